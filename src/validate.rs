//! Input rules applied before anything is sent: phone numbers, names, ids in paths, URLs,
//! colours.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Why a request could not be built. Nothing was sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ValidationError {
    /// A required text field is empty.
    #[error("`{field}` must not be empty")]
    Empty {
        /// JSON name of the field.
        field: &'static str,
    },
    /// A text field holds control characters.
    #[error("`{field}` must not contain control characters")]
    ControlCharacters {
        /// JSON name of the field.
        field: &'static str,
    },
    /// Not an E.164 phone number.
    #[error(
        "`{field}` must be an E.164 phone number like +5511999999999 (got {value:?}): {reason}"
    )]
    Phone {
        /// JSON name of the field.
        field: &'static str,
        /// What was given.
        value: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// An id that cannot be used as one path segment.
    #[error("`{field}` is not a usable id ({value:?}): {reason}")]
    Id {
        /// Which id.
        field: &'static str,
        /// What was given.
        value: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The base URL is not an absolute http(s) URL.
    #[error("base URL must be an absolute http:// or https:// URL without query or fragment (got {0:?})")]
    BaseUrl(String),
    /// An authenticated endpoint was built from [`crate::Config::anonymous`].
    #[error("this endpoint needs an API key (x-api-key) or key id (x-api-key-id)")]
    MissingCredentials,
    /// A text field is too long.
    #[error("`{field}` must be at most {max} characters")]
    TooLong {
        /// JSON name of the field.
        field: &'static str,
        /// Maximum characters.
        max: usize,
    },
    /// Not an absolute `http(s)://` URL.
    #[error("`{field}` must be an absolute http:// or https:// URL (got {value:?})")]
    Url {
        /// JSON name of the field.
        field: &'static str,
        /// What was given.
        value: String,
    },
    /// A value outside what the API accepts (the reason says what is).
    #[error("`{field}` {reason}")]
    Invalid {
        /// JSON name of the field.
        field: &'static str,
        /// What is wrong.
        reason: &'static str,
    },
    /// The body could not be serialised.
    #[error("request body could not be serialised: {0}")]
    Body(String),
    /// A secret was refused.
    #[error(transparent)]
    Secret(#[from] crate::secret::SecretError),
}

/// Strips the separators people type (`space - ( ) .`), keeping a leading `+`.
fn strip_separators(raw: &str) -> String {
    raw.trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.' | '\u{a0}'))
        .collect()
}

/// Normalises and checks an E.164 number for `POST /v1/numbers`: `+`, then 10–15 digits, the
/// first not `0` (E.164 caps numbers at 15 digits; the API asks for at least 10).
///
/// # Errors
/// [`ValidationError::Phone`] with the reason.
pub fn e164(field: &'static str, raw: &str) -> Result<String, ValidationError> {
    let s = strip_separators(raw);
    let err = |reason| ValidationError::Phone {
        field,
        value: raw.to_owned(),
        reason,
    };
    let digits = s
        .strip_prefix('+')
        .ok_or_else(|| err("it must start with +"))?;
    check_digits(digits, 10).map_err(err)?;
    Ok(s)
}

/// Normalises and checks a phone for `POST /v1/numbers/meta`: optional `+`, 8–15 digits.
///
/// # Errors
/// [`ValidationError::Phone`] with the reason.
pub fn meta_phone(field: &'static str, raw: &str) -> Result<String, ValidationError> {
    let s = strip_separators(raw);
    let digits = s.strip_prefix('+').unwrap_or(&s);
    check_digits(digits, 8).map_err(|reason| ValidationError::Phone {
        field,
        value: raw.to_owned(),
        reason,
    })?;
    Ok(s)
}

fn check_digits(digits: &str, min: usize) -> Result<(), &'static str> {
    if digits.is_empty() {
        return Err("it has no digits");
    }
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err("only digits may follow the +");
    }
    if digits.starts_with('0') {
        return Err("the country code cannot start with 0");
    }
    if digits.len() < min {
        return Err(if min >= 10 {
            "it needs at least 10 digits including the country code"
        } else {
            "it needs at least 8 digits including the country code"
        });
    }
    if digits.len() > 15 {
        return Err("E.164 numbers have at most 15 digits");
    }
    Ok(())
}

/// A required, printable text field (names, Meta ids). Returns it trimmed.
///
/// # Errors
/// [`ValidationError::Empty`] or [`ValidationError::ControlCharacters`].
pub fn text(field: &'static str, raw: &str) -> Result<String, ValidationError> {
    let t = raw.trim();
    if t.is_empty() {
        return Err(ValidationError::Empty { field });
    }
    if t.chars().any(char::is_control) {
        return Err(ValidationError::ControlCharacters { field });
    }
    Ok(t.to_owned())
}

/// [`text`] of at most `max` characters (labels such as a webhook's `name`). Returns it trimmed.
///
/// # Errors
/// [`ValidationError::Empty`], [`ValidationError::ControlCharacters`] or
/// [`ValidationError::TooLong`].
pub fn label(field: &'static str, raw: &str, max: usize) -> Result<String, ValidationError> {
    let t = text(field, raw)?;
    if t.chars().count() > max {
        return Err(ValidationError::TooLong { field, max });
    }
    Ok(t)
}

/// Everything but RFC 3986 unreserved characters is escaped, so `/`, `?`, `#`, `%` and spaces
/// in an id can never reach another route.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Ids longer than this are refused; real ones are a few dozen characters.
pub const MAX_ID_LEN: usize = 256;

/// Percent-encodes an opaque id as exactly one path segment.
///
/// # Errors
/// [`ValidationError::Id`] when it is empty, longer than [`MAX_ID_LEN`], holds control
/// characters, or is `.`/`..` (which URL parsers resolve as dot-segments even when escaped).
pub fn path_segment(field: &'static str, id: &str) -> Result<String, ValidationError> {
    let err = |reason| ValidationError::Id {
        field,
        value: id.to_owned(),
        reason,
    };
    if id.is_empty() {
        return Err(err("it is empty"));
    }
    if id.len() > MAX_ID_LEN {
        return Err(err("it is longer than 256 bytes"));
    }
    if id.chars().any(char::is_control) {
        return Err(err("it contains control characters"));
    }
    if id == "." || id == ".." {
        return Err(err("`.` and `..` would walk to another route"));
    }
    Ok(utf8_percent_encode(id, SEGMENT).to_string())
}

/// Longest URL accepted for a webhook target.
pub const MAX_URL_LEN: usize = 2048;

/// An absolute `http(s)://host…` URL without whitespace or control characters (webhook
/// targets). Returns it trimmed.
///
/// # Errors
/// [`ValidationError::Url`].
pub fn http_url(field: &'static str, raw: &str) -> Result<String, ValidationError> {
    let t = raw.trim();
    let rest = t
        .strip_prefix("https://")
        .or_else(|| t.strip_prefix("http://"));
    let ok = t.len() <= MAX_URL_LEN
        && rest.is_some_and(|r| {
            !r.is_empty()
                && !r.starts_with(['/', '?', '#'])
                && !r.chars().any(|c| c.is_whitespace() || c.is_control())
        });
    if ok {
        Ok(t.to_owned())
    } else {
        Err(ValidationError::Url {
            field,
            value: raw.to_owned(),
        })
    }
}

/// [`http_url`] restricted to `https://` (the branding URLs: a logo, a support page, a
/// redirect). Returns it trimmed.
///
/// # Errors
/// [`ValidationError::Invalid`] ("must be an absolute https:// URL") for an `http://` URL or
/// anything else that is not an absolute `https://` URL.
pub fn https_url(field: &'static str, raw: &str) -> Result<String, ValidationError> {
    match http_url(field, raw) {
        Ok(url) if url.starts_with("https://") => Ok(url),
        _ => Err(ValidationError::Invalid {
            field,
            reason: "must be an absolute https:// URL",
        }),
    }
}

/// A page a browser is sent to (a pairing link, the page it returns to): an absolute `https://`
/// URL, or `http://` on a loopback host (`localhost`, `127.x.x.x`, `[::1]`: a laptop, the
/// sandbox). Returns it trimmed.
///
/// # Errors
/// [`ValidationError::Invalid`] for anything else (`javascript:`, `data:`, `http:` elsewhere).
pub fn page_url(field: &'static str, raw: &str) -> Result<String, ValidationError> {
    let bad = ValidationError::Invalid {
        field,
        reason: "must be an absolute https:// URL (http:// only on a loopback host)",
    };
    let url = http_url(field, raw).map_err(|_| bad.clone())?;
    if url.starts_with("https://") || is_loopback(host_of(&url)) {
        Ok(url)
    } else {
        Err(bad)
    }
}

/// The `scheme://host[:port]` of an absolute http(s) URL, lowercased as browsers serialise an
/// origin (default ports dropped); `None` when it is not one.
#[must_use]
pub fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "https" && scheme != "http" {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next()?;
    // Userinfo is not part of an origin.
    let authority = authority.rsplit('@').next()?.to_ascii_lowercase();
    if authority.is_empty() {
        return None;
    }
    let default = if scheme == "https" { ":443" } else { ":80" };
    let authority = authority.strip_suffix(default).unwrap_or(&authority);
    Some(format!("{scheme}://{authority}"))
}

fn host_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let authority = authority.rsplit('@').next().unwrap_or_default();
    if let Some(v6) = authority.strip_prefix('[') {
        return v6.split(']').next().unwrap_or_default();
    }
    authority.split(':').next().unwrap_or_default()
}

fn is_loopback(host: &str) -> bool {
    let host = host.trim_end_matches('.');
    host.eq_ignore_ascii_case("localhost")
        || host == "::1"
        || host.strip_prefix("127.").is_some_and(|r| {
            r.split('.').count() == 3 && r.split('.').all(|o| o.parse::<u8>().is_ok())
        })
}

/// A colour as `#RRGGBB`: `#` and six hex digits, either case. Returns it trimmed.
///
/// # Errors
/// [`ValidationError::Invalid`].
pub fn hex_color(field: &'static str, raw: &str) -> Result<String, ValidationError> {
    let t = raw.trim();
    let ok = t
        .strip_prefix('#')
        .is_some_and(|hex| hex.len() == 6 && hex.bytes().all(|b| b.is_ascii_hexdigit()));
    if ok {
        Ok(t.to_owned())
    } else {
        Err(ValidationError::Invalid {
            field,
            reason: "must be a colour written #RRGGBB (six hex digits)",
        })
    }
}
