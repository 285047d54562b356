//! The narrow public surface the edge worker exposes to browsers, and the one place that
//! maps upstream results onto it. The worker answers with these; the widget reads them.
//!
//! `GET /v1/qr` → `{state:"pairing", qr, pairingCode, refreshAfterMs}` | `{state:"connected"}`
//! `GET /v1/status` → `{state:"connecting"|"connected"|"disconnected"|"unknown", stale}`
//! errors → `{error:{code, message}}` with one of [`PublicErrorCode`].

use crate::endpoints::{ConnectOutcome, NumberStatus};
use crate::error::{Error, ErrorKind, TransportError};
use crate::model::NumberState;

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
        }
    }

    /// Parses a wire value (the widget reads it back).
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        ALL.iter().copied().find(|c| c.as_str() == s)
    }
}

const ALL: [PublicErrorCode; 15] = [
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
];

/// Maps any upstream failure onto the public set.
#[must_use]
pub fn public_error(e: &Error) -> PublicErrorCode {
    match e.kind() {
        ErrorKind::Validation => PublicErrorCode::InvalidToken,
        ErrorKind::Unauthorized | ErrorKind::Forbidden(_) => PublicErrorCode::UnauthorizedUpstream,
        ErrorKind::NotFound => PublicErrorCode::NotFound,
        ErrorKind::BadRequest | ErrorKind::Conflict => PublicErrorCode::NotPairable,
        ErrorKind::RateLimited => PublicErrorCode::RateLimited,
        ErrorKind::Timeout => PublicErrorCode::UpstreamTimeout,
        ErrorKind::Decode => PublicErrorCode::BadUpstreamResponse,
        ErrorKind::Server | ErrorKind::Transport | ErrorKind::OtherStatus => {
            if matches!(e, Error::Transport(TransportError::Timeout)) {
                PublicErrorCode::UpstreamTimeout
            } else {
                PublicErrorCode::UpstreamError
            }
        }
    }
}

/// The public answer of `GET /v1/qr`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicQr {
    /// Show this QR (a validated PNG data URL) and code.
    Pairing {
        /// `data:image/png;base64,…`
        qr: String,
        /// `XXXX-XXXX`, when the provider gave one.
        pairing_code: Option<String>,
        /// When to ask again.
        refresh_after_ms: u32,
    },
    /// Already connected.
    Connected,
}

/// Turns a connect outcome into the public answer.
///
/// # Errors
/// [`PublicErrorCode::BadUpstreamResponse`] when upstream sent no QR: a missing QR is an
/// error, never an endless spinner.
pub fn public_qr(
    outcome: ConnectOutcome,
    refresh_after_ms: u32,
) -> Result<PublicQr, PublicErrorCode> {
    match outcome {
        ConnectOutcome::AlreadyConnected => Ok(PublicQr::Connected),
        ConnectOutcome::Pairing(p) => {
            let qr = p
                .qrcode_base64
                .ok_or(PublicErrorCode::BadUpstreamResponse)?;
            Ok(PublicQr::Pairing {
                qr: qr.as_data_url().to_owned(),
                pairing_code: p.pairing_code.map(|c| c.grouped()),
                refresh_after_ms,
            })
        }
    }
}

/// The public state name of a status answer.
#[must_use]
pub fn public_state(status: &NumberStatus) -> &'static str {
    if status.is_ready() {
        return "connected";
    }
    match status.state {
        NumberState::Open | NumberState::Connecting => "connecting",
        NumberState::Close => "disconnected",
        _ => "unknown",
    }
}

impl PublicQr {
    /// The JSON body.
    #[must_use]
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Self::Pairing {
                qr,
                pairing_code,
                refresh_after_ms,
            } => serde_json::json!({
                "state": "pairing",
                "qr": qr,
                "pairingCode": pairing_code,
                "refreshAfterMs": refresh_after_ms,
            }),
            Self::Connected => serde_json::json!({ "state": "connected" }),
        }
    }
}

/// The JSON body of an error.
#[must_use]
pub fn error_json(code: PublicErrorCode) -> serde_json::Value {
    serde_json::json!({ "error": { "code": code.as_str(), "message": code.message() } })
}
