//! The page's options: parsed and checked once at mount (`mount()` throws for bad ones), and
//! restyled by `handle.update()`.

use alloc::borrow::ToOwned;
use alloc::string::String;

use pilot_connect_wire::{Branding, BrandingRule};

use js_sys::Function;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::layout::Texts;
use crate::machine::Mode;
use crate::machine::{MAX_ATTEMPTS, POLL_INTERVAL, REQUEST_TIMEOUT};
use crate::messages::{Locale, Msg};
use crate::page::{error, get, get_str, get_u32};
use crate::types::NEXT_LABEL_MAX;

/// Everything the page passed in.
pub(crate) struct Options {
    pub endpoint: String,
    pub token: Option<String>,
    pub get_token: Option<Function>,
    pub locale: Locale,
    pub messages: JsValue,
    pub theme: &'static str,
    /// `card` (bordered, titled) or `plain` (inside the host's own card).
    pub variant: &'static str,
    pub variables: JsValue,
    /// `auto`, `qr` or `code`.
    pub mode: Mode,
    pub max_attempts: u32,
    pub poll_ms: u32,
    pub timeout_ms: u32,
    pub callbacks: JsValue,
    /// The page's own branding (`options.branding`): it wins over the tenant's.
    pub branding: Branding,
    /// The tenant's branding, as the edge's last answer carrying one said.
    pub tenant: Branding,
    /// `options.nextStep`: the connected face's action, `(label, href)`.
    pub next_step: Option<(String, String)>,
}

impl Options {
    /// The hosted signup of the token's Meta pairing link (its `rp.url` claim), when the token
    /// is a pairing link's and the URL may be opened ([`crate::machine::signup_url_ok`]). The
    /// edge verifies the token; the widget only reads where to send the person.
    pub(crate) fn signup_url(&self) -> Option<String> {
        let rp = crate::page::token_claim(self.token.as_deref()?, "rp");
        get_str(&rp, "url").filter(|u| crate::machine::signup_url_ok(u))
    }

    /// Whether the token is a pairing link's (its `sub` is then the link, not a number).
    pub(crate) fn is_link_token(&self) -> bool {
        self.token
            .as_deref()
            .is_some_and(|t| crate::page::token_claim(t, "rp").is_object())
    }

    pub(crate) fn parse(o: &JsValue, browser_lang: &str) -> Result<Self, JsValue> {
        let endpoint = get_str(o, "endpoint")
            .map(|e| {
                let mut e = e.trim_ascii();
                while let Some(shorter) = e.strip_suffix("/") {
                    e = shorter;
                }
                e.to_owned()
            })
            .filter(|e| e.starts_with("https://") || e.starts_with("http://") || e.starts_with('/'))
            .ok_or_else(|| {
                error(
                    "pilot-connect: options.endpoint must be the worker URL (http(s)://… or /path)",
                )
            })?;
        let token = get_str(o, "token").filter(|t| !t.is_empty());
        let get_token = get(o, "getToken").dyn_into::<Function>().ok();
        if token.is_none() && get_token.is_none() {
            return Err(error(
                "pilot-connect: pass options.token or options.getToken",
            ));
        }
        let mut opts = Self {
            endpoint,
            token,
            get_token,
            locale: Locale::pick("", browser_lang),
            messages: JsValue::UNDEFINED,
            theme: "auto",
            variant: "card",
            variables: JsValue::UNDEFINED,
            mode: Mode::Auto,
            max_attempts: get_u32(o, MAX_ATTEMPTS),
            poll_ms: get_u32(o, POLL_INTERVAL),
            timeout_ms: get_u32(o, REQUEST_TIMEOUT),
            callbacks: o.clone(),
            branding: Branding::default(),
            tenant: Branding::default(),
            next_step: None,
        };
        opts.restyle(o, browser_lang)?;
        Ok(opts)
    }

    /// Takes `locale`, `messages`, `mode` and `appearance` (`theme`, `variant`, `variables`)
    /// from `o`, each only when given: at mount, and for `handle.update()`.
    ///
    /// # Errors
    /// A `mode` or `appearance.variant` this version does not know (nothing is changed then).
    pub(crate) fn restyle(&mut self, o: &JsValue, browser_lang: &str) -> Result<(), JsValue> {
        let mode = parse_mode(o)?;
        let appearance = get(o, "appearance");
        let variant = parse_variant(&appearance)?;
        let branding = parse_branding(o)?;
        let next_step = parse_next_step(o)?;
        if let Some(b) = branding {
            self.branding = b;
        }
        if let Some(n) = next_step {
            self.next_step = n;
        }
        self.mode = mode.unwrap_or(self.mode);
        self.variant = variant.unwrap_or(self.variant);
        if let Some(l) = get_str(o, "locale") {
            self.locale = Locale::pick(&l, browser_lang);
        }
        let messages = get(o, "messages");
        if messages.is_object() {
            self.messages = messages;
        }
        match get_str(&appearance, "theme").as_deref() {
            Some("dark") => self.theme = "dark",
            Some("light") => self.theme = "light",
            Some(_) => self.theme = "auto",
            None => {}
        }
        let variables = get(&appearance, "variables");
        if variables.is_object() {
            self.variables = variables;
        }
        Ok(())
    }
}

impl Options {
    /// Checks what [`Options::restyle`] would refuse, changing nothing (for an `update()` that
    /// is queued: its error must reach the caller before).
    ///
    /// # Errors
    /// As [`Options::restyle`].
    pub(crate) fn check_style(o: &JsValue) -> Result<(), JsValue> {
        parse_mode(o)?;
        parse_variant(&get(o, "appearance"))?;
        parse_branding(o)?;
        parse_next_step(o)?;
        Ok(())
    }
}

/// `options.branding`: `None` when not given (kept as it is); `null` or `{}` clears it. Every
/// value must pass its rule.
fn parse_branding(o: &JsValue) -> Result<Option<Branding>, JsValue> {
    let b = get(o, "branding");
    if b.is_undefined() {
        return Ok(None);
    }
    Branding::check(|k| {
        let v = get(&b, k);
        // Not a string: refused as the rule says (`undefined`/`null`: not set).
        (!v.is_undefined() && !v.is_null()).then(|| v.as_string().unwrap_or_default())
    })
    .map(Some)
    .map_err(|f| {
        let mut m = String::from("pilot-connect: options.branding.");
        m.push_str(f.wire());
        m.push_str(" must be ");
        m.push_str(f.rule().describe());
        error(&m)
    })
}

/// `options.nextStep`: `{ label, href }`, `href` an `https://` URL or a path of the page's own
/// site (`/…`). `None` when not given; `null` clears it.
fn parse_next_step(o: &JsValue) -> Result<Option<Option<(String, String)>>, JsValue> {
    let n = get(o, "nextStep");
    if n.is_undefined() {
        return Ok(None);
    }
    if n.is_null() {
        return Ok(Some(None));
    }
    let label = get_str(&n, "label").and_then(|l| BrandingRule::Text(NEXT_LABEL_MAX).accept(&l));
    let href = get_str(&n, "href").and_then(|h| {
        let h = h.trim_ascii();
        let path = h.starts_with('/')
            && !h.starts_with("//")
            && h.bytes().all(|b| b.is_ascii_graphic() && b != b'\\');
        if path {
            Some(h.to_owned())
        } else {
            BrandingRule::HttpsUrl.accept(h)
        }
    });
    match (label, href) {
        (Some(l), Some(h)) => Ok(Some(Some((l, h)))),
        _ => Err(error(
            "pilot-connect: options.nextStep must be { label, href }: a label of 1 to 80 characters, and an https:// URL or a path of this site (/…)",
        )),
    }
}

fn parse_mode(o: &JsValue) -> Result<Option<Mode>, JsValue> {
    match get_str(o, "mode") {
        None => Ok(None),
        Some(m) => Mode::parse(&m).map(Some).ok_or_else(|| {
            error("pilot-connect: options.mode must be \"auto\", \"qr\" or \"code\"")
        }),
    }
}

fn parse_variant(appearance: &JsValue) -> Result<Option<&'static str>, JsValue> {
    Ok(match get_str(appearance, "variant").as_deref() {
        None => None,
        Some("card") => Some("card"),
        Some("plain") => Some("plain"),
        Some(_) => {
            return Err(error(
                "pilot-connect: options.appearance.variant must be \"card\" or \"plain\"",
            ))
        }
    })
}

impl Texts for Options {
    fn text(&self, m: Msg) -> String {
        get_str(&self.messages, m.key()).unwrap_or_else(|| self.locale.text(m).to_owned())
    }

    fn brand(&self) -> Branding {
        self.branding.or(&self.tenant)
    }

    fn next_label(&self) -> Option<String> {
        self.next_step.as_ref().map(|n| n.0.clone())
    }
}
