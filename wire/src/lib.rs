//! # pilot-connect-wire
//!
//! The narrow public format the pilot-connect edge worker speaks to browsers, defined once: the
//! worker and the server package write it (`json` feature), the widget reads it. `no_std` (with
//! `alloc`), so the widget's wasm carries no `std`.
//!
//! `GET /v1/qr` → [`QrAnswer`]: `{state:"pairing", qr, pairingCode, refreshAfterMs, maskedNumber,
//! codeExpiresInMs}` | `{state:"connected"}`
//! `GET /v1/status` → [`StatusAnswer`]: `{state:"connecting"|"connected"|"disconnected"|"unknown", stale}`
//! errors → [`ErrorBody`]: `{error:{code, message}}` with one of [`PublicErrorCode`].
//!
//! The field names live in [`field`]; each answer has `to_json` (writers) and `from_fields`
//! (any reader: serde, `Reflect`, …), so writer and readers cannot drift. QR images pass one
//! rule, [`check_png_base64`], wherever they are read.
#![no_std]

extern crate alloc;

use alloc::borrow::ToOwned;
use alloc::string::String;
use core::fmt;

/// Error codes a browser may see. Upstream bodies are never forwarded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PublicErrorCode {
    /// The worker lacks a secret or has a bad setting.
    ConfigError,
    /// No `Authorization: Bearer` token.
    MissingToken,
    /// Bad signature, algorithm, audience or shape.
    InvalidToken,
    /// The token expired (the page should fetch a new one).
    TokenExpired,
    /// The token is bound to another page origin.
    OriginMismatch,
    /// The page origin is not in `ALLOWED_ORIGINS`.
    OriginNotAllowed,
    /// Too many requests (ours or upstream's); see `Retry-After`.
    RateLimited,
    /// The number does not exist (or was deleted).
    NotFound,
    /// The number cannot pair by QR (a Meta number, or a link it lacks).
    NotPairable,
    /// Pilot Status refused our key: an operator problem, not the user's.
    UnauthorizedUpstream,
    /// Pilot Status did not answer in time.
    UpstreamTimeout,
    /// Pilot Status failed or the connection broke.
    UpstreamError,
    /// Pilot Status answered something we cannot use (bad JSON, no or non-PNG QR).
    BadUpstreamResponse,
    /// Unknown route.
    RouteNotFound,
    /// Known route, wrong method.
    MethodNotAllowed,
    /// A platform dependency of the worker (its rate limiter) failed: try again shortly.
    Unavailable,
    /// Webhook receiver: missing or wrong `x-pilot-status-signature`.
    InvalidSignature,
    /// Webhook receiver: a signed body that is not an event.
    BadRequest,
    /// Webhook receiver: the body is over the size limit.
    PayloadTooLarge,
    /// Webhook receiver: a customer's own traffic (`message.*`, `call.*`) reached an edge with
    /// nowhere to hand it on. Not acknowledged, so Pilot Status keeps and retries it.
    NoForwardTarget,
}

impl PublicErrorCode {
    /// The wire value.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::ConfigError => "config_error",
            Self::MissingToken => "missing_token",
            Self::InvalidToken => "invalid_token",
            Self::TokenExpired => "token_expired",
            Self::OriginMismatch => "origin_mismatch",
            Self::OriginNotAllowed => "origin_not_allowed",
            Self::RateLimited => "rate_limited",
            Self::NotFound => "not_found",
            Self::NotPairable => "not_pairable",
            Self::UnauthorizedUpstream => "unauthorized_upstream",
            Self::UpstreamTimeout => "upstream_timeout",
            Self::UpstreamError => "upstream_error",
            Self::BadUpstreamResponse => "bad_upstream_response",
            Self::RouteNotFound => "route_not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::Unavailable => "unavailable",
            Self::InvalidSignature => "invalid_signature",
            Self::BadRequest => "bad_request",
            Self::PayloadTooLarge => "payload_too_large",
            Self::NoForwardTarget => "no_forward_target",
        }
    }

    /// The HTTP status the worker answers with.
    #[must_use]
    pub const fn status(self) -> u16 {
        match self {
            Self::ConfigError => 500,
            Self::MissingToken | Self::InvalidToken | Self::TokenExpired => 401,
            Self::OriginMismatch | Self::OriginNotAllowed => 403,
            Self::RateLimited => 429,
            Self::NotFound | Self::RouteNotFound => 404,
            Self::NotPairable => 409,
            Self::UnauthorizedUpstream | Self::UpstreamError | Self::BadUpstreamResponse => 502,
            Self::UpstreamTimeout => 504,
            Self::MethodNotAllowed => 405,
            Self::Unavailable => 503,
            Self::InvalidSignature => 401,
            Self::BadRequest => 400,
            Self::PayloadTooLarge => 413,
            Self::NoForwardTarget => 501,
        }
    }

    /// A short, safe, English message.
    #[must_use]
    pub const fn message(self) -> &'static str {
        match self {
            Self::ConfigError => "The connect service is not configured.",
            Self::MissingToken => "Missing Authorization: Bearer token.",
            Self::InvalidToken => "The connect token is invalid.",
            Self::TokenExpired => "The connect token has expired.",
            Self::OriginMismatch => "The connect token was issued for another page.",
            Self::OriginNotAllowed => "This page origin is not allowed.",
            Self::RateLimited => "Too many requests. Try again shortly.",
            Self::NotFound => "This number does not exist.",
            Self::NotPairable => "This number cannot be paired with a QR code.",
            Self::UnauthorizedUpstream => "The connect service could not authenticate upstream.",
            Self::UpstreamTimeout => "WhatsApp pairing service timed out.",
            Self::UpstreamError => "WhatsApp pairing service is unavailable.",
            Self::BadUpstreamResponse => "WhatsApp pairing service sent an unusable answer.",
            Self::RouteNotFound => "Not found.",
            Self::MethodNotAllowed => "Method not allowed.",
            Self::Unavailable => "The connect service is briefly unavailable. Try again shortly.",
            Self::InvalidSignature => "Missing or invalid webhook signature.",
            Self::BadRequest => "The request body is not valid.",
            Self::PayloadTooLarge => "The request body is too large.",
            Self::NoForwardTarget => "This endpoint takes number lifecycle events only; message and call events need FORWARD_WEBHOOK_URL or a webhook of their own.",
        }
    }

    /// Parses a wire value (the widget reads it back).
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        ALL.iter().copied().find(|c| c.as_str() == s)
    }
}

const ALL: [PublicErrorCode; 20] = [
    PublicErrorCode::ConfigError,
    PublicErrorCode::MissingToken,
    PublicErrorCode::InvalidToken,
    PublicErrorCode::TokenExpired,
    PublicErrorCode::OriginMismatch,
    PublicErrorCode::OriginNotAllowed,
    PublicErrorCode::RateLimited,
    PublicErrorCode::NotFound,
    PublicErrorCode::NotPairable,
    PublicErrorCode::UnauthorizedUpstream,
    PublicErrorCode::UpstreamTimeout,
    PublicErrorCode::UpstreamError,
    PublicErrorCode::BadUpstreamResponse,
    PublicErrorCode::RouteNotFound,
    PublicErrorCode::MethodNotAllowed,
    PublicErrorCode::Unavailable,
    PublicErrorCode::InvalidSignature,
    PublicErrorCode::BadRequest,
    PublicErrorCode::PayloadTooLarge,
    PublicErrorCode::NoForwardTarget,
];

/// The JSON field names of the public wire format, written by the worker and read by the
/// widget (and anyone else), defined once.
pub mod field {
    /// `state` of a QR or status answer.
    pub const STATE: &str = "state";
    /// The QR PNG data URL.
    pub const QR: &str = "qr";
    /// The pairing code, `XXXX-XXXX` (or `null`).
    pub const PAIRING_CODE: &str = "pairingCode";
    /// When to ask for a new QR.
    pub const REFRESH_AFTER_MS: &str = "refreshAfterMs";
    /// The number being linked, masked ([`mask_number`]), or `null` when not known.
    pub const MASKED_NUMBER: &str = "maskedNumber";
    /// How long the pairing code stays valid as far as the worker knows (ms), or `null` when
    /// it does not know (the upstream lifetime is not documented: never a guess).
    pub const CODE_EXPIRES_IN_MS: &str = "codeExpiresInMs";
    /// Whether a status is the last one remembered rather than live.
    pub const STALE: &str = "stale";
    /// The error object of an error answer.
    pub const ERROR: &str = "error";
    /// The error code inside `error`.
    pub const CODE: &str = "code";
    /// The error message inside `error`.
    pub const MESSAGE: &str = "message";
    /// Inside `error` of a pushed `rate_limited` frame: when the session calls again (ms).
    pub const RETRY_AFTER_MS: &str = "retryAfterMs";
}

/// Why a public answer could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReadError {
    /// `state` missing or not one this version knows.
    State,
    /// A pairing answer without a QR, or one that is not a PNG data URL.
    Qr,
}

/// The body of `GET /v1/qr`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QrAnswer {
    /// Show this QR (a checked PNG data URL) and code.
    Pairing {
        /// `data:image/png;base64,…`
        qr: String,
        /// `XXXX-XXXX`, when the provider gave one.
        pairing_code: Option<String>,
        /// When to ask again.
        refresh_after_ms: u32,
        /// The number being linked, masked ([`mask_number`]).
        masked_number: Option<String>,
        /// How long the pairing code stays valid, when the worker knows.
        code_expires_in_ms: Option<u32>,
    },
    /// Already connected.
    Connected,
}

/// The fields of a QR answer as a reader found them (serde, `Reflect`, …), for
/// [`QrAnswer::from_fields`].
#[derive(Debug, Clone, Copy, Default)]
pub struct QrFields<'a> {
    /// [`field::STATE`]
    pub state: Option<&'a str>,
    /// [`field::QR`]
    pub qr: Option<&'a str>,
    /// [`field::PAIRING_CODE`]
    pub pairing_code: Option<&'a str>,
    /// [`field::REFRESH_AFTER_MS`]
    pub refresh_after_ms: Option<f64>,
    /// [`field::MASKED_NUMBER`]
    pub masked_number: Option<&'a str>,
    /// [`field::CODE_EXPIRES_IN_MS`]
    pub code_expires_in_ms: Option<f64>,
}

/// A code lifetime longer than this (one hour) is not believed.
pub const CODE_LIFETIME_MAX_MS: u32 = 3_600_000;

/// Refresh delays outside this range are clamped when read.
pub const REFRESH_RANGE_MS: (u32, u32) = (1_000, 600_000);
/// Used when an answer carries no usable `refreshAfterMs`.
pub const DEFAULT_REFRESH_MS: u32 = 20_000;

impl QrAnswer {
    /// Reads the answer from its fields (however the reader got them: serde, `Reflect`, …).
    /// The QR must pass the core's PNG data-URL rule; the refresh delay is clamped.
    ///
    /// # Errors
    /// [`ReadError`].
    pub fn from_fields(f: QrFields<'_>) -> Result<Self, ReadError> {
        match f.state {
            Some("connected") => Ok(Self::Connected),
            Some("pairing") => {
                let qr = f.qr.filter(|q| is_png_data_url(q)).ok_or(ReadError::Qr)?;
                let (lo, hi) = REFRESH_RANGE_MS;
                let refresh = f
                    .refresh_after_ms
                    .filter(|v| v.is_finite())
                    // max/min, not clamp: no assertion (and panic path) in the widget's wasm.
                    .map_or(DEFAULT_REFRESH_MS, |v| {
                        v.max(f64::from(lo)).min(f64::from(hi)) as u32
                    });
                // A code lifetime is a hint: a negative, huge or non-number one is dropped.
                let code_expires_in_ms = f
                    .code_expires_in_ms
                    .filter(|v| v.is_finite() && *v >= 0.0 && *v <= f64::from(CODE_LIFETIME_MAX_MS))
                    .map(|v| v as u32);
                Ok(Self::Pairing {
                    qr: qr.to_owned(),
                    pairing_code: f.pairing_code.map(group_pairing_code),
                    refresh_after_ms: refresh,
                    masked_number: f
                        .masked_number
                        .filter(|n| is_masked_number(n))
                        .map(str::to_owned),
                    code_expires_in_ms,
                })
            }
            _ => Err(ReadError::State),
        }
    }

    /// The JSON body.
    #[cfg(feature = "json")]
    #[must_use]
    pub fn to_json(&self) -> serde_json::Value {
        let mut m = serde_json::Map::new();
        match self {
            Self::Pairing {
                qr,
                pairing_code,
                refresh_after_ms,
                masked_number,
                code_expires_in_ms,
            } => {
                m.insert(field::STATE.into(), "pairing".into());
                m.insert(field::QR.into(), qr.as_str().into());
                m.insert(field::PAIRING_CODE.into(), pairing_code.clone().into());
                m.insert(field::REFRESH_AFTER_MS.into(), (*refresh_after_ms).into());
                m.insert(field::MASKED_NUMBER.into(), masked_number.clone().into());
                m.insert(
                    field::CODE_EXPIRES_IN_MS.into(),
                    (*code_expires_in_ms).into(),
                );
            }
            Self::Connected => {
                m.insert(field::STATE.into(), "connected".into());
            }
        }
        serde_json::Value::Object(m)
    }
}

/// The public state of a number, as `GET /v1/status` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublicState {
    /// A QR or code is out; waiting for the phone.
    Connecting,
    /// Linked and ready.
    Connected,
    /// Not linked (the pairing attempt ended, or the device logged out).
    Disconnected,
    /// Anything else.
    Unknown,
}

impl PublicState {
    /// The wire value.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Connecting => "connecting",
            Self::Connected => "connected",
            Self::Disconnected => "disconnected",
            Self::Unknown => "unknown",
        }
    }

    /// Reads a wire value; unknown ones are [`PublicState::Unknown`].
    #[must_use]
    pub fn parse(s: &str) -> Self {
        match s {
            "connecting" => Self::Connecting,
            "connected" => Self::Connected,
            "disconnected" => Self::Disconnected,
            _ => Self::Unknown,
        }
    }
}

/// The body of `GET /v1/status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusAnswer {
    /// The state.
    pub state: PublicState,
    /// `true`: upstream did not answer live and this is the last state it remembered.
    pub stale: bool,
}

impl StatusAnswer {
    /// Reads the answer from its fields.
    ///
    /// # Errors
    /// [`ReadError::State`] when `state` is missing.
    pub fn from_fields(state: Option<&str>, stale: Option<bool>) -> Result<Self, ReadError> {
        Ok(Self {
            state: PublicState::parse(state.ok_or(ReadError::State)?),
            stale: stale.unwrap_or(false),
        })
    }

    /// The JSON body.
    #[cfg(feature = "json")]
    #[must_use]
    pub fn to_json(&self) -> serde_json::Value {
        let mut m = serde_json::Map::new();
        m.insert(field::STATE.into(), self.state.as_str().into());
        m.insert(field::STALE.into(), self.stale.into());
        serde_json::Value::Object(m)
    }
}

/// The body of every error answer: `{error:{code, message}}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorBody {
    /// The public code (its message is [`PublicErrorCode::message`]).
    pub code: PublicErrorCode,
}

impl ErrorBody {
    /// Reads the code of an error answer; `None` when it is not one of ours.
    #[must_use]
    pub fn from_fields(code: Option<&str>) -> Option<Self> {
        code.and_then(PublicErrorCode::parse)
            .map(|code| Self { code })
    }

    /// The JSON body.
    #[cfg(feature = "json")]
    #[must_use]
    pub fn to_json(&self) -> serde_json::Value {
        let mut inner = serde_json::Map::new();
        inner.insert(field::CODE.into(), self.code.as_str().into());
        inner.insert(field::MESSAGE.into(), self.code.message().into());
        let mut m = serde_json::Map::new();
        m.insert(field::ERROR.into(), serde_json::Value::Object(inner));
        serde_json::Value::Object(m)
    }
}

/// Why a `qrcodeBase64` value was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum QrError {
    /// A `data:` URL of another type (SVG, HTML, …) or not base64.
    NotPngDataUrl,
    /// Not valid base64.
    Base64,
    /// Decodes, but is not a PNG.
    NotPng,
}

impl fmt::Display for QrError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::NotPngDataUrl => "QR must be a data:image/png;base64 URL or bare base64 PNG",
            Self::Base64 => "QR is not valid base64",
            Self::NotPng => "QR bytes are not a PNG image",
        })
    }
}

impl core::error::Error for QrError {}

/// The prefix of every QR a page may show.
pub const PNG_DATA_URL_PREFIX: &str = "data:image/png;base64,";

/// The PNG signature (`89 50 4E 47 0D 0A 1A 0A`) in base64: the first 11 characters of any PNG.
const PNG_SIGNATURE_B64: &str = "iVBORw0KGgo";

/// The one QR rule, without decoding: well-formed standard base64 (alphabet, length, padding)
/// whose first bytes are the PNG signature. The first 11 characters carry those 8 bytes, so
/// nothing is allocated and the widget needs no base64 decoder.
///
/// # Errors
/// [`QrError::Base64`] for malformed base64, [`QrError::NotPng`] for another signature.
pub fn check_png_base64(b64: &str) -> Result<(), QrError> {
    let bytes = b64.as_bytes();
    let body = bytes
        .strip_suffix(b"==")
        .or_else(|| bytes.strip_suffix(b"="))
        .unwrap_or(bytes);
    let alphabet = |c: &u8| c.is_ascii_alphanumeric() || *c == b'+' || *c == b'/';
    if bytes.is_empty() || !bytes.len().is_multiple_of(4) || !body.iter().all(alphabet) {
        return Err(QrError::Base64);
    }
    if b64.starts_with(PNG_SIGNATURE_B64) {
        Ok(())
    } else {
        Err(QrError::NotPng)
    }
}

/// Whether `raw` is a `data:image/png;base64,` URL that passes [`check_png_base64`]: the only
/// thing a page may put into `<img src>`.
#[must_use]
pub fn is_png_data_url(raw: &str) -> bool {
    raw.strip_prefix(PNG_DATA_URL_PREFIX)
        .is_some_and(|b64| check_png_base64(b64).is_ok())
}

/// The one grouping rule for pairing codes, used by the worker and the widget:
/// `ABCD1234` or `abcd-1234` → `ABCD-1234`; anything that is not 8 letters/digits is returned
/// unchanged.
#[must_use]
pub fn group_pairing_code(code: &str) -> String {
    let mut out = String::with_capacity(9);
    // Bytes, not chars: a code is ASCII, and any other byte is not alphanumeric.
    for &b in code.as_bytes() {
        if matches!(b, b'-' | b' ') {
            continue;
        }
        if !b.is_ascii_alphanumeric() || out.len() == 9 {
            return code.to_owned();
        }
        if out.len() == 4 {
            out.push('-');
        }
        out.push(char::from(b.to_ascii_uppercase()));
    }
    if out.len() == 9 {
        out
    } else {
        code.to_owned()
    }
}

/// The mask character of [`mask_number`].
pub const MASK: char = '•';

/// A phone number as a page may show it: the country code, and the last four digits, the rest
/// masked, so the person can tell which number a code is for without the page learning it.
/// Brazilian numbers read the way people write them: `+55 11 9••••-1234` (mobile, 9 digits),
/// `+55 11 ••••-1234` (landline, 8). Others: `+` and the first two digits, masked digits, the
/// last four (`+44 ••••••1234`). `None` for fewer than 8 digits (not a phone number).
/// Separators and a leading `+` in `raw` are ignored; any other character refuses it.
#[must_use]
pub fn mask_number(raw: &str) -> Option<String> {
    let mut digits = String::with_capacity(16);
    for b in raw.bytes() {
        match b {
            b'0'..=b'9' => digits.push(char::from(b)),
            b'+' | b' ' | b'-' | b'(' | b')' | b'.' => {}
            _ => return None,
        }
    }
    let n = digits.len();
    if !(8..=15).contains(&n) {
        return None;
    }
    let last4 = digits.get(n - 4..)?;
    let mut out = String::with_capacity(n * 3 + 4);
    out.push('+');
    let masked = |out: &mut String, count: usize| (0..count).for_each(|_| out.push(MASK));
    if let (Some(rest), true) = (digits.strip_prefix("55"), n == 12 || n == 13) {
        let (area, local) = rest.split_at_checked(2)?;
        out.push_str("55 ");
        out.push_str(area);
        out.push(' ');
        if local.len() == 9 {
            out.push_str(local.get(..1)?);
        }
        masked(&mut out, 4);
        out.push('-');
    } else {
        out.push_str(digits.get(..2)?);
        out.push(' ');
        masked(&mut out, n - 6);
    }
    out.push_str(last4);
    Some(out)
}

/// Whether `s` looks like what [`mask_number`] writes: `+`, digits, spaces, `-` and the mask,
/// with at least one mask character (a reader never shows an unmasked number as masked).
/// Bytes only (the mask is matched as its UTF-8 bytes): the widget reads this, and char
/// iteration or `str` searching would link a panic and UTF-8 machinery into its wasm.
#[must_use]
pub fn is_masked_number(s: &str) -> bool {
    let b = s.as_bytes();
    if b.first() != Some(&b'+') || b.len() > 64 {
        return false;
    }
    let (mut i, mut masks) = (0, 0);
    while let Some(rest) = b.get(i..) {
        match rest {
            [] => break,
            // '•' in UTF-8
            [0xE2, 0x80, 0xA2, ..] => {
                masks += 1;
                i += 3;
            }
            [c, ..] if c.is_ascii_digit() || matches!(c, b'+' | b' ' | b'-') => i += 1,
            _ => return false,
        }
    }
    masks > 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_masked_but_for_country_area_and_last_four() {
        for (raw, masked) in [
            ("5511987651234", Some("+55 11 9••••-1234")),
            ("+55 (11) 98765-1234", Some("+55 11 9••••-1234")),
            ("551133221234", Some("+55 11 ••••-1234")),
            ("+447700900123", Some("+44 ••••••0123")),
            ("12345678", Some("+12 ••5678")),
            ("1234567", None),
            ("5511abc", None),
            ("", None),
            ("1234567890123456", None),
        ] {
            assert_eq!(mask_number(raw).as_deref(), masked, "{raw}");
            if let Some(m) = masked {
                assert!(is_masked_number(m), "{m}");
            }
        }
        assert!(
            !is_masked_number("+5511987651234"),
            "an unmasked number is refused"
        );
        assert!(!is_masked_number("<b>•</b>"));
    }

    #[test]
    fn pairing_codes_group_only_when_eight_letters_or_digits() {
        for (raw, grouped) in [
            ("abcd1234", "ABCD-1234"),
            ("ABCD-1234", "ABCD-1234"),
            ("ab cd 12 34", "ABCD-1234"),
            ("ABCD12345", "ABCD12345"),
            ("ABCD123", "ABCD123"),
            ("ABCD-12é4", "ABCD-12é4"),
            ("", ""),
        ] {
            assert_eq!(group_pairing_code(raw), grouped, "{raw}");
        }
    }

    #[test]
    fn only_png_data_urls_pass() {
        assert!(is_png_data_url("data:image/png;base64,iVBORw0KGgo="));
        assert!(!is_png_data_url("iVBORw0KGgo="));
        assert!(!is_png_data_url("data:image/svg+xml;base64,iVBORw0KGgo="));
        assert_eq!(
            check_png_base64("R0lGODlhAQABAAAAACw="),
            Err(QrError::NotPng)
        );
        assert_eq!(check_png_base64("iVBORw0KGgo"), Err(QrError::Base64));
    }

    #[test]
    fn every_code_reads_back() {
        for code in ALL {
            assert_eq!(PublicErrorCode::parse(code.as_str()), Some(code));
        }
        assert_eq!(PublicErrorCode::parse("nope"), None);
    }
}
