//! The tenant's branding as a browser gets it: the fields of Pilot Status's branding object
//! (`GET /v1/branding`, the per-link snapshot) that a page shows, each with the one rule a value
//! must pass to be shown. The edge writes it beside its answers ([`crate::field::BRANDING`]);
//! the widget reads it there, and checks a page's own `branding` option with the same rules.
//!
//! Pilot's `defaultRedirectUrl` (where its hosted page sends people afterwards) and
//! `hidePilotStatusBranding` (hides Pilot's own mark: our widget shows none) change nothing a
//! page shows, so they are not sent.

use alloc::borrow::ToOwned;
use alloc::string::String;

/// What a branding value must be to be shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Text of at most this many characters (Pilot's limits), trimmed, not empty.
    Text(usize),
    /// An `https://` URL with a host: printable ASCII, at most [`URL_MAX`] bytes.
    HttpsUrl,
    /// `#RRGGBB` (written back lower-case).
    Color,
}

/// The longest URL taken.
pub const URL_MAX: usize = 2048;

impl Rule {
    /// The value as shown, or `None` when it breaks the rule.
    #[must_use]
    pub fn accept(self, raw: &str) -> Option<String> {
        let v = raw.trim_ascii();
        match self {
            Self::Text(max) => {
                // Characters: the bytes that start one (no UTF-8 decoding in the widget's wasm).
                let n = v.bytes().filter(|b| b & 0xC0 != 0x80).count();
                (n > 0 && n <= max).then(|| v.to_owned())
            }
            Self::HttpsUrl => {
                let rest = v
                    .get(..8)
                    .filter(|s| s.eq_ignore_ascii_case("https://"))
                    .and_then(|_| v.get(8..))?;
                let host_ok = rest
                    .as_bytes()
                    .first()
                    .is_some_and(|b| !matches!(b, b'/' | b'?' | b'#' | b'@'));
                let printable = v.bytes().all(|b| b.is_ascii_graphic() && b != b'\\');
                (host_ok && printable && v.len() <= URL_MAX).then(|| v.to_owned())
            }
            Self::Color => {
                let hex = v.strip_prefix("#")?;
                (hex.len() == 6 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
                    .then(|| v.to_ascii_lowercase())
            }
        }
    }

    /// What the rule asks for, for an error message.
    #[must_use]
    pub const fn describe(self) -> &'static str {
        match self {
            Self::Text(_) => {
                "text within Pilot Status's limits (companyName: 60 characters, subtitle: 120)"
            }
            Self::HttpsUrl => "an https:// URL",
            Self::Color => "a #RRGGBB colour",
        }
    }
}

/// Defines [`Field`] and [`Branding`]'s accessors from one table: each field's name, wire name
/// (Pilot's), rule and doc are written once. The readers, the writer and the precedence loop
/// over [`Field::ALL`] (one copy of their code in the widget's wasm, not one per field), and the
/// widget's TypeScript is generated from it.
macro_rules! branding_fields {
    ($($(#[doc = $doc:literal])* $variant:ident $field:ident = $wire:literal, $rule:expr;)*) => {
        /// A field of [`Branding`].
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Field {
            $($(#[doc = $doc])* $variant,)*
        }

        impl Field {
            /// Every field, in the table's order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),*];

            /// Pilot Status's (and the wire's) name.
            #[must_use]
            pub const fn wire(self) -> &'static str {
                match self { $(Self::$variant => $wire,)* }
            }

            /// The rule its values pass.
            #[must_use]
            pub const fn rule(self) -> Rule {
                match self { $(Self::$variant => $rule,)* }
            }

            /// Its doc (for generated types).
            #[must_use]
            pub const fn doc(self) -> &'static str {
                match self { $(Self::$variant => concat!($($doc),*),)* }
            }
        }

        impl Branding {
            $($(#[doc = $doc])*
            #[must_use]
            pub fn $field(&self) -> Option<&str> {
                self.get(Field::$variant)
            })*
        }
    };
}

branding_fields! {
    /// The tenant's name, beside its logo (and the logo's `alt`).
    CompanyName company_name = "companyName", Rule::Text(60);
    /// A line under the title.
    Subtitle subtitle = "subtitle", Rule::Text(120);
    /// The logo (`https:` only), at most 32 px high.
    LogoUrl logo_url = "logoUrl", Rule::HttpsUrl;
    /// The brand colour of actions, links and the QR's frame (adjusted for contrast).
    PrimaryColor primary_color = "primaryColor", Rule::Color;
    /// The card's background in the light theme (text colours follow it for contrast).
    BackgroundColor background_color = "backgroundColor", Rule::Color;
    /// Where "Need help?" leads (`https:` only).
    SupportUrl support_url = "supportUrl", Rule::HttpsUrl;
}

/// How many fields there are.
const FIELDS: usize = 6;

/// The branding a page shows: every field optional, each value checked by its field's [`Rule`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Branding {
    values: [Option<String>; FIELDS],
}

impl Branding {
    /// The value of `f`.
    #[must_use]
    pub fn get(&self, f: Field) -> Option<&str> {
        self.values.get(f as usize)?.as_deref()
    }

    /// With `f` set to `value` if it passes the field's rule (else left out).
    #[must_use]
    pub fn with(mut self, f: Field, value: &str) -> Self {
        if let Some(slot) = self.values.get_mut(f as usize) {
            *slot = f.rule().accept(value);
        }
        self
    }

    /// Reads it leniently (the edge's answers, Pilot's object): a value that breaks its rule, or
    /// is missing, is left out.
    #[must_use]
    pub fn from_fields(mut get: impl FnMut(&str) -> Option<String>) -> Self {
        let mut b = Self::default();
        for (slot, f) in b.values.iter_mut().zip(Field::ALL) {
            *slot = get(f.wire()).and_then(|v| f.rule().accept(&v));
        }
        b
    }

    /// Reads it strictly (a page's own option): the first value that breaks its rule is the
    /// error.
    ///
    /// # Errors
    /// The first field whose value breaks its rule.
    pub fn check(mut get: impl FnMut(&str) -> Option<String>) -> Result<Self, Field> {
        let mut b = Self::default();
        for (slot, f) in b.values.iter_mut().zip(Field::ALL) {
            if let Some(v) = get(f.wire()) {
                *slot = Some(f.rule().accept(&v).ok_or(*f)?);
            }
        }
        Ok(b)
    }

    /// Field by field, this one's value, else `fallback`'s (page > tenant > default).
    #[must_use]
    pub fn or(&self, fallback: &Self) -> Self {
        let mut b = self.clone();
        for (mine, theirs) in b.values.iter_mut().zip(&fallback.values) {
            if mine.is_none() {
                mine.clone_from(theirs);
            }
        }
        b
    }

    /// Nothing set.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.values.iter().all(Option::is_none)
    }

    /// The JSON object (set fields only).
    #[cfg(feature = "json")]
    #[must_use]
    pub fn to_json(&self) -> serde_json::Value {
        let mut m = serde_json::Map::new();
        for (v, f) in self.values.iter().zip(Field::ALL) {
            if let Some(v) = v {
                m.insert(f.wire().into(), v.as_str().into());
            }
        }
        serde_json::Value::Object(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl FnMut(&str) -> Option<String> + 'a {
        move |k| pairs.iter().find(|p| p.0 == k).map(|p| p.1.to_owned())
    }

    #[test]
    fn urls_must_be_https_with_a_host() {
        for ok in [
            "https://logo.test/a.png",
            " HTTPS://cdn.example.com/x?y=1 ",
            "https://a",
        ] {
            assert!(Rule::HttpsUrl.accept(ok).is_some(), "{ok}");
        }
        for bad in [
            "http://logo.test/a.png",
            "javascript:alert(1)",
            "data:image/png;base64,iVBORw0KGgo=",
            "https://",
            "https:///path",
            "https://@evil",
            "https://a b",
            "//logo.test/a.png",
            "https://logo.test/\\x",
            "https://caf\u{e9}.test",
        ] {
            assert_eq!(Rule::HttpsUrl.accept(bad), None, "{bad}");
        }
        let long = alloc::format!("https://a/{}", "x".repeat(URL_MAX));
        assert_eq!(Rule::HttpsUrl.accept(&long), None);
    }

    #[test]
    fn colours_are_six_hex_digits() {
        assert_eq!(Rule::Color.accept("#00A884").as_deref(), Some("#00a884"));
        for bad in ["00a884", "#0a8", "#00a88g", "red", "#00a8841", ""] {
            assert_eq!(Rule::Color.accept(bad), None, "{bad}");
        }
    }

    #[test]
    fn texts_count_characters_not_bytes() {
        let sixty = "ç".repeat(60);
        assert_eq!(
            Rule::Text(60).accept(&sixty).as_deref(),
            Some(sixty.as_str())
        );
        assert_eq!(Rule::Text(60).accept(&"ç".repeat(61)), None);
        assert_eq!(Rule::Text(60).accept("   "), None);
    }

    #[test]
    fn lenient_reads_drop_bad_values_and_strict_ones_name_them() {
        let pairs = [
            ("companyName", "Acme"),
            ("logoUrl", "javascript:alert(1)"),
            ("primaryColor", "#FFFF00"),
        ];
        let b = Branding::from_fields(from(&pairs));
        assert_eq!(b.company_name(), Some("Acme"));
        assert_eq!(b.logo_url(), None);
        assert_eq!(b.primary_color(), Some("#ffff00"));
        assert_eq!(Branding::check(from(&pairs)), Err(Field::LogoUrl));
        assert!(Branding::from_fields(|_| None).is_empty());
        assert_eq!(Field::ALL.len(), FIELDS);
    }

    #[test]
    fn the_page_wins_field_by_field() {
        let page = Branding::default().with(Field::CompanyName, "Page");
        let tenant = Branding::default()
            .with(Field::CompanyName, "Tenant")
            .with(Field::LogoUrl, "https://logo.test/t.png");
        let b = page.or(&tenant);
        assert_eq!(b.company_name(), Some("Page"));
        assert_eq!(b.logo_url(), Some("https://logo.test/t.png"));
        assert_eq!(Branding::default().or(&tenant), tenant);
    }

    #[cfg(feature = "json")]
    #[test]
    fn written_as_read() {
        let b = Branding::default()
            .with(Field::CompanyName, "Acme")
            .with(Field::SupportUrl, "https://help.test")
            .with(Field::LogoUrl, "javascript:void(0)");
        let v = b.to_json();
        let read = Branding::from_fields(|k| v.get(k).and_then(|x| x.as_str()).map(Into::into));
        assert_eq!(read, b);
        assert_eq!(v.as_object().map(serde_json::Map::len), Some(2));
    }
}
