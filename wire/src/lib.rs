//! # pilot-connect-wire
//!
//! The narrow public format the pilot-connect edge worker speaks to browsers, defined once: the
//! worker and the server package write it (`json` feature), the widget reads it. `no_std` (with
//! `alloc`), so the widget's wasm carries no `std`.
//!
//! `GET /v1/qr` → [`QrAnswer`]: `{state:"pairing", qr, pairingCode, refreshAfterMs, maskedNumber,
//! codeExpiresInMs}` | `{state:"connected"}` | `{state:"waiting", detail}` (an official number
//! that Meta has not connected yet: it never pairs by QR)
//! `GET /v1/status` → [`StatusAnswer`]: `{state:"connecting"|"connected"|"disconnected"|"unknown", stale}`
//! errors → [`ErrorBody`]: `{error:{code, message}}` with one of [`PublicErrorCode`].
//! Each 200 answer of those two routes may carry the tenant's [`Branding`] as `branding`
//! (only fields that pass their [`BrandingRule`]); pushed frames do not.
//!
//! The field names live in [`field`]; each answer has `to_json` (writers) and `from_fields`
//! (any reader: serde, `Reflect`, …), so writer and readers cannot drift. QR images pass one
//! rule, [`check_png_base64`], wherever they are read.
#![no_std]

extern crate alloc;

mod branding;
pub use branding::{Branding, Field as BrandingField, Rule as BrandingRule, URL_MAX};

use alloc::borrow::ToOwned;
use alloc::string::String;
use core::fmt;

/// Defines [`PublicErrorCode`] from one table: each code's variant, wire value, HTTP status and
/// message are written once, and every list (the enum, [`PublicErrorCode::ALL`], the three
/// lookups, [`PublicErrorCode::parse`]) comes from it.
macro_rules! public_error_codes {
    ($($(#[doc = $doc:literal])* $variant:ident = $wire:literal, $status:literal, $message:literal;)*) => {
        /// Error codes a browser may see. Upstream bodies are never forwarded.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[non_exhaustive]
        pub enum PublicErrorCode {
            $($(#[doc = $doc])* $variant,)*
        }

        impl PublicErrorCode {
            /// Every code, in the table's order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),*];

            /// The wire value.
            #[must_use]
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $wire,)*
                }
            }

            /// The HTTP status the worker answers with.
            #[must_use]
            pub const fn status(self) -> u16 {
                match self {
                    $(Self::$variant => $status,)*
                }
            }

            /// A short, safe, English message.
            #[must_use]
            pub const fn message(self) -> &'static str {
                match self {
                    $(Self::$variant => $message,)*
                }
            }
        }
    };
}

public_error_codes! {
    /// The worker lacks a secret or has a bad setting.
    ConfigError = "config_error", 500, "The connect service is not configured.";
    /// No `Authorization: Bearer` token.
    MissingToken = "missing_token", 401, "Missing Authorization: Bearer token.";
    /// Bad signature, algorithm, audience or shape.
    InvalidToken = "invalid_token", 401, "The connect token is invalid.";
    /// The token expired (the page should fetch a new one).
    TokenExpired = "token_expired", 401, "The connect token has expired.";
    /// The token is bound to another page origin.
    OriginMismatch = "origin_mismatch", 403, "The connect token was issued for another page.";
    /// The page origin is not in `ALLOWED_ORIGINS`.
    OriginNotAllowed = "origin_not_allowed", 403, "This page origin is not allowed.";
    /// Too many requests (ours or upstream's); see `Retry-After`.
    RateLimited = "rate_limited", 429, "Too many requests. Try again shortly.";
    /// The number does not exist (or was deleted).
    NotFound = "not_found", 404, "This number does not exist.";
    /// The number cannot pair by QR (a Meta number, or a link it lacks).
    NotPairable = "not_pairable", 409, "This number cannot be paired with a QR code.";
    /// Pilot Status refused our key: an operator problem, not the user's.
    UnauthorizedUpstream = "unauthorized_upstream", 502, "The connect service could not authenticate upstream.";
    /// Pilot Status did not answer in time.
    UpstreamTimeout = "upstream_timeout", 504, "WhatsApp pairing service timed out.";
    /// Pilot Status failed or the connection broke.
    UpstreamError = "upstream_error", 502, "WhatsApp pairing service is unavailable.";
    /// Pilot Status answered something we cannot use (bad JSON, no or non-PNG QR).
    BadUpstreamResponse = "bad_upstream_response", 502, "WhatsApp pairing service sent an unusable answer.";
    /// Unknown route.
    RouteNotFound = "route_not_found", 404, "Not found.";
    /// Known route, wrong method.
    MethodNotAllowed = "method_not_allowed", 405, "Method not allowed.";
    /// A platform dependency of the worker (its rate limiter) failed: try again shortly.
    Unavailable = "unavailable", 503, "The connect service is briefly unavailable. Try again shortly.";
    /// Webhook receiver: missing or wrong `x-pilot-status-signature`.
    InvalidSignature = "invalid_signature", 401, "Missing or invalid webhook signature.";
    /// Webhook receiver: a signed body that is not an event.
    BadRequest = "bad_request", 400, "The request body is not valid.";
    /// A Meta pairing link that expired (24 h) or was never valid: the page asks its backend
    /// for a new link (the widget's `getToken`).
    LinkExpired = "link_expired", 410, "This signup link has expired. Ask for a new one.";
    /// Webhook receiver: the body is over the size limit.
    PayloadTooLarge = "payload_too_large", 413, "The request body is too large.";
    /// Webhook receiver: a customer's own traffic (`message.*`, `call.*`) reached an edge with
    /// nowhere to hand it on. Not acknowledged, so Pilot Status keeps and retries it.
    NoForwardTarget = "no_forward_target", 501, "This endpoint takes number lifecycle events only; message and call events need FORWARD_WEBHOOK_URL or a webhook of their own.";
}

impl PublicErrorCode {
    /// Parses a wire value (the widget reads it back).
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|c| c.as_str() == s)
    }
}

/// The worker's routes, defined once: the worker routes by them, the widget and the server
/// package build URLs from them (an endpoint's path, if it has one, is their prefix).
pub mod route {
    /// `GET`: the current QR ([`crate::QrAnswer`]).
    pub const QR: &str = "/v1/qr";
    /// `GET`: the current status ([`crate::StatusAnswer`]).
    pub const STATUS: &str = "/v1/status";
    /// `GET` with `Upgrade: websocket`: the push stream ([`crate::PushFrame`]s), offered with
    /// [`crate::SUBPROTOCOL`] and the token as [`crate::BEARER_PREFIX`]`<token>`.
    pub const EVENTS: &str = "/v1/events";
    /// `POST`: Pilot Status's signed webhooks (never a browser).
    pub const HOOK: &str = "/v1/hooks/pilot-status";
    /// `GET`: the operator's dead letters (`ADMIN_SECRET`; never a browser).
    pub const DEAD_LETTERS: &str = "/v1/admin/dead-letters";
    /// `POST`: the operator replays the dead letters (`ADMIN_SECRET`; never a browser).
    pub const REPLAY: &str = "/v1/admin/dead-letters/replay";
    /// `GET`: liveness.
    pub const HEALTH: &str = "/healthz";
}

/// The WebSocket subprotocol of the push stream: the widget offers it, the worker answers with it.
pub const SUBPROTOCOL: &str = "pilot-connect.v1";

/// The prefix of the second subprotocol a widget offers, `bearer.<token>`: browsers cannot set
/// headers on a WebSocket, and a token in the URL would end up in logs.
pub const BEARER_PREFIX: &str = "bearer.";

/// The push stream lives no longer than its token: a socket whose token lapsed (its `exp` and
/// the verifier's leeway) is closed with this code and [`PublicErrorCode::TokenExpired`]'s code
/// as the reason. Reopen it with a fresh token.
pub const CLOSE_TOKEN_EXPIRED: u16 = 4001;

/// The one frame a widget sends on the push stream, `{"renew":"<token>"}`: a fresh token for the
/// same number and link, before the socket's lapses. Nothing is answered; a token that does
/// not verify (or is for another number) changes nothing.
pub mod renew {
    use alloc::string::String;

    /// The frame's field.
    pub const FIELD: &str = "renew";

    /// The frame for `token` (a compact JWS: base64url and dots, nothing JSON would escape).
    #[must_use]
    pub fn frame(token: &str) -> String {
        let mut s = String::with_capacity(token.len() + 12);
        s.push_str("{\"renew\":\"");
        s.push_str(token);
        s.push_str("\"}");
        s
    }

    /// The token of a renew frame; `None` for anything else (or a token with characters a
    /// compact JWS never has).
    #[must_use]
    pub fn read(text: &str) -> Option<&str> {
        let token = text
            .trim()
            .strip_prefix("{\"renew\":\"")?
            .strip_suffix("\"}")?;
        let jws = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
        (!token.is_empty() && token.chars().all(jws)).then_some(token)
    }
}

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
    /// A waiting answer's word from Meta (the number's `health.metaStatus`, e.g. `PENDING`), or
    /// `null`.
    pub const DETAIL: &str = "detail";
    /// Beside a 200 answer of `/v1/qr` or `/v1/status`: the tenant's [`crate::Branding`], when
    /// the edge has one.
    pub const BRANDING: &str = "branding";
    /// A connected answer's number id ([`is_number_id`]), when the edge knows one that the
    /// page's token does not name: a Meta pairing link's new number, as Pilot Status told it.
    pub const NUMBER_ID: &str = "numberId";
}

/// Why a public answer could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReadError {
    /// `state` missing or not one this version knows.
    State,
    /// A pairing answer without a QR, or one that is not a PNG data URL.
    Qr,
    /// An error with a code this version does not know.
    Code,
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
    Connected {
        /// The number's id, when the token did not name it (a pairing link's new number) and a
        /// source gave it; `None` is a valid outcome.
        number_id: Option<String>,
    },
    /// An official (Meta) number that is not connected yet: nothing to scan; the edge watches
    /// its status and says "connected" when Meta is done.
    Waiting {
        /// Meta's status word as the number read gave it ([`is_detail`]), e.g. `PENDING`.
        detail: Option<String>,
    },
}

/// Whether `s` may be shown as a waiting answer's detail: 1 to 40 ASCII letters, digits, `_`,
/// `-` or spaces (a status word, never free text).
#[must_use]
pub fn is_detail(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 40
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b' '))
}

/// Whether `s` may be passed on as a number id: 1 to 128 ASCII letters, digits, `_`, `-`, `.`
/// or `:` (Pilot Status's ids are `wa_…`/`num_…`; nothing a page could be tricked by).
#[must_use]
pub fn is_number_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 128
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':'))
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
    /// [`field::DETAIL`]
    pub detail: Option<&'a str>,
    /// [`field::NUMBER_ID`]
    pub number_id: Option<&'a str>,
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
            Some("connected") => Ok(Self::Connected {
                number_id: read_number_id(f.number_id),
            }),
            Some("waiting") => Ok(Self::Waiting {
                detail: f.detail.filter(|d| is_detail(d)).map(str::to_owned),
            }),
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
            Self::Connected { number_id } => {
                m.insert(field::STATE.into(), "connected".into());
                if let Some(id) = number_id {
                    m.insert(field::NUMBER_ID.into(), id.as_str().into());
                }
            }
            Self::Waiting { detail } => {
                m.insert(field::STATE.into(), "waiting".into());
                m.insert(field::DETAIL.into(), detail.clone().into());
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

fn read_number_id(raw: Option<&str>) -> Option<String> {
    raw.filter(|id| is_number_id(id)).map(str::to_owned)
}

/// The body of `GET /v1/status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusAnswer {
    /// The state.
    pub state: PublicState,
    /// `true`: upstream did not answer live and this is the last state it remembered.
    pub stale: bool,
    /// Connected: the number's id, when the token did not name it (see
    /// [`QrAnswer::Connected`]).
    pub number_id: Option<String>,
}

impl StatusAnswer {
    /// Reads the answer from its fields.
    ///
    /// # Errors
    /// [`ReadError::State`] when `state` is missing.
    pub fn from_fields(
        state: Option<&str>,
        stale: Option<bool>,
        number_id: Option<&str>,
    ) -> Result<Self, ReadError> {
        let state = PublicState::parse(state.ok_or(ReadError::State)?);
        Ok(Self {
            state,
            stale: stale.unwrap_or(false),
            number_id: read_number_id(number_id).filter(|_| state == PublicState::Connected),
        })
    }

    /// A live answer in `state`, with no number id.
    #[must_use]
    pub const fn live(state: PublicState) -> Self {
        Self {
            state,
            stale: false,
            number_id: None,
        }
    }

    /// The JSON body.
    #[cfg(feature = "json")]
    #[must_use]
    pub fn to_json(&self) -> serde_json::Value {
        let mut m = serde_json::Map::new();
        m.insert(field::STATE.into(), self.state.as_str().into());
        m.insert(field::STALE.into(), self.stale.into());
        if let Some(id) = &self.number_id {
            m.insert(field::NUMBER_ID.into(), id.as_str().into());
        }
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

/// One frame of the push stream ([`route::EVENTS`]), a JSON text each: written by a number's
/// session, read by the widget. A frame is one of the answers the HTTP routes give, so a reader
/// has one rule for both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushFrame {
    /// A QR answer, as [`route::QR`] gives it (a new QR or code, or connected).
    Qr(QrAnswer),
    /// A status, as [`route::STATUS`] gives it.
    Status(StatusAnswer),
    /// A failure of the session's calls, as an error answer, with `retryAfterMs` inside `error`
    /// when the session will call again by itself.
    Failure {
        /// The public code.
        code: PublicErrorCode,
        /// When (ms from now) the session calls again; `None`: it does not by itself (a final
        /// answer), or it did not say.
        retry_after_ms: Option<u64>,
    },
}

/// Which answer a pushed frame carries: the rule every reader of the push stream follows
/// ([`PushFrame::kind`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameKind {
    /// An error object: a [`PushFrame::Failure`].
    Failure,
    /// `state: "pairing"` or `"waiting"`: a QR answer.
    Qr,
    /// Any other state: a status.
    Status,
}

/// The fields of a pushed frame as a reader found them, for [`PushFrame::from_fields`].
#[derive(Debug, Clone, Copy, Default)]
pub struct PushFields<'a> {
    /// Whether the frame has an [`field::ERROR`] object.
    pub error: bool,
    /// [`field::CODE`] inside it.
    pub error_code: Option<&'a str>,
    /// [`field::RETRY_AFTER_MS`] inside it.
    pub retry_after_ms: Option<f64>,
    /// The QR answer's fields ([`field::STATE`] among them).
    pub qr: QrFields<'a>,
    /// [`field::STALE`]
    pub stale: Option<bool>,
}

impl PushFrame {
    /// Reads a frame: an error object is a failure, `state: "pairing"` or `"waiting"` a QR
    /// answer, any other state a status (so `{state:"connected"}` reads as the connected status).
    ///
    /// # Errors
    /// [`ReadError::Code`] for an error with a code this version does not know; those of
    /// [`QrAnswer::from_fields`] and [`StatusAnswer::from_fields`] otherwise.
    pub fn from_fields(f: PushFields<'_>) -> Result<Self, ReadError> {
        match Self::kind(f.error, f.qr.state) {
            FrameKind::Failure => Ok(Self::Failure {
                code: f
                    .error_code
                    .and_then(PublicErrorCode::parse)
                    .ok_or(ReadError::Code)?,
                retry_after_ms: Self::retry_after(f.retry_after_ms),
            }),
            FrameKind::Qr => QrAnswer::from_fields(f.qr).map(Self::Qr),
            FrameKind::Status => {
                StatusAnswer::from_fields(f.qr.state, f.stale, f.qr.number_id).map(Self::Status)
            }
        }
    }

    /// Which answer a frame carries, from whether it has an [`field::ERROR`] object and its
    /// [`field::STATE`]: a reader that reads each answer its own way (the widget) follows this.
    #[must_use]
    pub fn kind(error: bool, state: Option<&str>) -> FrameKind {
        if error {
            FrameKind::Failure
        } else if matches!(state, Some("pairing" | "waiting")) {
            FrameKind::Qr
        } else {
            FrameKind::Status
        }
    }

    /// A failure's `retryAfterMs` as read: a finite, non-negative number, else none.
    #[must_use]
    pub fn retry_after(raw: Option<f64>) -> Option<u64> {
        raw.filter(|v| v.is_finite() && *v >= 0.0).map(|v| v as u64)
    }

    /// The JSON text frame.
    #[cfg(feature = "json")]
    #[must_use]
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Self::Qr(a) => a.to_json(),
            Self::Status(a) => a.to_json(),
            Self::Failure {
                code,
                retry_after_ms,
            } => {
                let mut body = ErrorBody { code: *code }.to_json();
                if let (Some(ms), Some(serde_json::Value::Object(e))) =
                    (retry_after_ms, body.get_mut(field::ERROR))
                {
                    e.insert(field::RETRY_AFTER_MS.into(), (*ms).into());
                }
                body
            }
        }
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
    fn a_waiting_detail_is_a_status_word_or_nothing() {
        for (raw, read) in [
            (Some("PENDING"), Some("PENDING")),
            (Some("IN_REVIEW 2"), Some("IN_REVIEW 2")),
            (Some("<b>x</b>"), None),
            (Some(""), None),
            (None, None),
        ] {
            let a = QrAnswer::from_fields(QrFields {
                state: Some("waiting"),
                detail: raw,
                ..QrFields::default()
            });
            assert_eq!(
                a,
                Ok(QrAnswer::Waiting {
                    detail: read.map(Into::into)
                })
            );
        }
        assert!(!is_detail(&"A".repeat(41)));
        assert_eq!(PushFrame::kind(false, Some("waiting")), FrameKind::Qr);
    }

    #[test]
    fn every_code_reads_back() {
        for &code in PublicErrorCode::ALL {
            assert_eq!(PublicErrorCode::parse(code.as_str()), Some(code));
        }
        assert_eq!(PublicErrorCode::parse("nope"), None);
    }

    #[cfg(feature = "json")]
    #[test]
    fn push_frames_read_back_as_written() {
        let png = "data:image/png;base64,iVBORw0KGgo=";
        let frames = [
            PushFrame::Qr(QrAnswer::Pairing {
                qr: png.into(),
                pairing_code: Some("ABCD-1234".into()),
                refresh_after_ms: 20_000,
                masked_number: Some("+55 11 9••••-1234".into()),
                code_expires_in_ms: Some(5_000),
            }),
            PushFrame::Status(StatusAnswer {
                state: PublicState::Disconnected,
                stale: true,
                number_id: None,
            }),
            PushFrame::Failure {
                code: PublicErrorCode::RateLimited,
                retry_after_ms: Some(7_000),
            },
            PushFrame::Failure {
                code: PublicErrorCode::NotFound,
                retry_after_ms: None,
            },
            PushFrame::Qr(QrAnswer::Waiting {
                detail: Some("PENDING".into()),
            }),
            PushFrame::Qr(QrAnswer::Waiting { detail: None }),
        ];
        fn s<'a>(o: &'a serde_json::Value, k: &str) -> Option<&'a str> {
            o.get(k).and_then(serde_json::Value::as_str)
        }
        for frame in frames {
            let v = frame.to_json();
            let e = v.get(field::ERROR);
            let read = PushFrame::from_fields(PushFields {
                error: e.is_some(),
                error_code: e.and_then(|e| s(e, field::CODE)),
                retry_after_ms: e
                    .and_then(|e| e.get(field::RETRY_AFTER_MS))
                    .and_then(serde_json::Value::as_f64),
                qr: QrFields {
                    state: s(&v, field::STATE),
                    qr: s(&v, field::QR),
                    pairing_code: s(&v, field::PAIRING_CODE),
                    refresh_after_ms: v
                        .get(field::REFRESH_AFTER_MS)
                        .and_then(serde_json::Value::as_f64),
                    masked_number: s(&v, field::MASKED_NUMBER),
                    code_expires_in_ms: v
                        .get(field::CODE_EXPIRES_IN_MS)
                        .and_then(serde_json::Value::as_f64),
                    detail: s(&v, field::DETAIL),
                    number_id: s(&v, field::NUMBER_ID),
                },
                stale: v.get(field::STALE).and_then(serde_json::Value::as_bool),
            });
            assert_eq!(read, Ok(frame));
        }
        // Connected as a QR answer reads as the connected status: the same news.
        let read = PushFrame::from_fields(PushFields {
            qr: QrFields {
                state: Some("connected"),
                ..QrFields::default()
            },
            ..PushFields::default()
        });
        assert_eq!(
            read,
            Ok(PushFrame::Status(StatusAnswer {
                state: PublicState::Connected,
                stale: false,
                number_id: None,
            }))
        );
        let unknown = PushFields {
            error: true,
            error_code: Some("from_a_newer_worker"),
            ..PushFields::default()
        };
        assert_eq!(PushFrame::from_fields(unknown), Err(ReadError::Code));
    }

    #[test]
    fn every_code_has_a_status_and_a_message() {
        for &code in PublicErrorCode::ALL {
            assert!((400..600).contains(&code.status()), "{code:?}");
            assert!(code.message().ends_with('.'), "{code:?}");
        }
        assert_eq!(PublicErrorCode::ALL.len(), 21);
    }

    #[test]
    fn a_connected_answer_carries_a_checked_number_id() {
        let a = QrAnswer::Connected {
            number_id: Some("wa_new".into()),
        };
        #[cfg(feature = "json")]
        assert_eq!(a.to_json()[field::NUMBER_ID], "wa_new");
        let read = |id: Option<&str>| {
            QrAnswer::from_fields(QrFields {
                state: Some("connected"),
                number_id: id,
                ..QrFields::default()
            })
        };
        assert_eq!(read(Some("wa_new")), Ok(a));
        for bad in ["", "<script>", "a b", &"x".repeat(129)] {
            assert_eq!(
                read(Some(bad)),
                Ok(QrAnswer::Connected { number_id: None }),
                "{bad}"
            );
        }
        // A pushed `{state:"connected", numberId}` reads as a status that keeps it; any other
        // state drops it.
        let frame = |state| {
            PushFrame::from_fields(PushFields {
                qr: QrFields {
                    state: Some(state),
                    number_id: Some("wa_new"),
                    ..QrFields::default()
                },
                ..PushFields::default()
            })
        };
        assert_eq!(
            frame("connected"),
            Ok(PushFrame::Status(StatusAnswer {
                state: PublicState::Connected,
                stale: false,
                number_id: Some("wa_new".into()),
            }))
        );
        assert_eq!(
            frame("connecting"),
            Ok(PushFrame::Status(StatusAnswer::live(
                PublicState::Connecting
            )))
        );
    }

    #[test]
    fn renew_frames_round_trip_and_refuse_anything_else() {
        let t = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ3YV8xIn0.c2lnbmF0dXJl-_";
        assert_eq!(
            crate::renew::frame(t),
            alloc::format!("{{\"renew\":\"{t}\"}}")
        );
        assert_eq!(crate::renew::read(&crate::renew::frame(t)), Some(t));
        for bad in [
            "",
            "{}",
            "{\"renew\":\"\"}",
            "{\"renew\":\"a\\\"b\"}",
            "{\"renew\":\"a b\"}",
            "{\"renew\":1}",
        ] {
            assert_eq!(crate::renew::read(bad), None, "{bad}");
        }
    }
}
