//! The one error type of the crate.

use core::time::Duration;

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::http::HttpResponse;
use crate::model::ErrorCode;
use crate::validate::ValidationError;

/// A failed transport: nothing usable came back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// Connection refused/reset/dropped, DNS, TLS, a body cut short…
    #[error("network error: {0}")]
    Network(String),
    /// The request took longer than the transport's timeout.
    #[error("request timed out")]
    Timeout,
}

/// Which way round a 403 scope error went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ForbiddenScope {
    /// `TENANT_SCOPE_NOT_ALLOWED`: a tenant key used where a number key is needed.
    TenantKeyNotAllowed,
    /// `NUMBER_SCOPE_NOT_ALLOWED`: a number key used where the tenant key is needed.
    NumberKeyNotAllowed,
    /// Another 403.
    Other,
}

/// The category of an [`Error`], for `match`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Input refused before sending.
    Validation,
    /// 400 from the server.
    BadRequest,
    /// 401: missing or invalid key.
    Unauthorized,
    /// 403.
    Forbidden(ForbiddenScope),
    /// 404.
    NotFound,
    /// 409.
    Conflict,
    /// 429.
    RateLimited,
    /// 5xx.
    Server,
    /// Another non-2xx status (e.g. 402).
    OtherStatus,
    /// A 2xx body that does not fit the expected shape.
    Decode,
    /// Network failure.
    Transport,
    /// Timed out.
    Timeout,
}

/// An error answer from the API.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// `code` from the body, when present.
    pub code: Option<ErrorCode>,
    /// `error` from the body, or `HTTP <status>`.
    pub message: String,
    /// From `Retry-After` (seconds or HTTP date ignored) or the body's `retryAfterSeconds`.
    pub retry_after: Option<Duration>,
    /// Other body fields (`reason`, `declineCode`, …).
    pub extra: Map<String, Value>,
}

/// A 2xx body that did not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// HTTP status.
    pub status: u16,
    /// JSON path of the failing value, e.g. `qrcodeBase64` or `[0].state`.
    pub path: String,
    /// What went wrong.
    pub message: String,
}

/// Everything that can go wrong building, sending or parsing a request.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Refused before sending.
    #[error("invalid request: {0}")]
    Validation(#[from] ValidationError),
    /// The API answered with an error status.
    #[error("Pilot Status answered {}: {}", .0.status, .0.message)]
    Api(ApiError),
    /// A success body did not parse.
    #[error("could not decode the {} response at `{}`: {}", .0.status, .0.path, .0.message)]
    Decode(DecodeError),
    /// Nothing usable came back.
    #[error(transparent)]
    Transport(#[from] TransportError),
}

impl Error {
    /// The category, for `match`.
    #[must_use]
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Validation(_) => ErrorKind::Validation,
            Self::Decode(_) => ErrorKind::Decode,
            Self::Transport(TransportError::Timeout) => ErrorKind::Timeout,
            Self::Transport(_) => ErrorKind::Transport,
            Self::Api(e) => e.kind(),
        }
    }

    /// The HTTP status, when a response came back.
    #[must_use]
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Api(e) => Some(e.status),
            Self::Decode(e) => Some(e.status),
            _ => None,
        }
    }

    /// The body's `code`, when present.
    #[must_use]
    pub fn code(&self) -> Option<&ErrorCode> {
        match self {
            Self::Api(e) => e.code.as_ref(),
            _ => None,
        }
    }

    /// How long the server asked us to wait.
    #[must_use]
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Api(e) => e.retry_after,
            _ => None,
        }
    }
}

impl ApiError {
    /// The category of this status/code pair.
    #[must_use]
    pub fn kind(&self) -> ErrorKind {
        match self.status {
            400 => ErrorKind::BadRequest,
            401 => ErrorKind::Unauthorized,
            403 => ErrorKind::Forbidden(match self.code {
                Some(ErrorCode::TenantScopeNotAllowed) => ForbiddenScope::TenantKeyNotAllowed,
                Some(ErrorCode::NumberScopeNotAllowed) => ForbiddenScope::NumberKeyNotAllowed,
                _ => ForbiddenScope::Other,
            }),
            404 => ErrorKind::NotFound,
            409 => ErrorKind::Conflict,
            429 => ErrorKind::RateLimited,
            500..=599 => ErrorKind::Server,
            _ => ErrorKind::OtherStatus,
        }
    }

    /// Reads an error answer. Any body is accepted: JSON `{error, code?, …}`, other JSON, text
    /// or nothing.
    #[must_use]
    pub fn from_response(resp: &HttpResponse) -> Self {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Body {
            error: Option<Value>,
            message: Option<String>,
            code: Option<String>,
            retry_after_seconds: Option<f64>,
            #[serde(flatten)]
            extra: Map<String, Value>,
        }
        let parsed: Option<Body> = serde_json::from_slice(&resp.body).ok();
        let header_wait = resp.header("retry-after").and_then(parse_retry_after);
        match parsed {
            Some(b) => Self {
                status: resp.status,
                code: b.code.as_deref().map(ErrorCode::parse),
                message: match b.error {
                    Some(Value::String(s)) => s,
                    _ => b.message.unwrap_or_else(|| http_message(resp.status)),
                },
                retry_after: header_wait.or_else(|| {
                    b.retry_after_seconds
                        .filter(|s| s.is_finite() && *s >= 0.0 && *s < 86_400.0)
                        .map(Duration::from_secs_f64)
                }),
                extra: b.extra,
            },
            None => Self {
                status: resp.status,
                code: None,
                message: http_message(resp.status),
                retry_after: header_wait,
                extra: Map::new(),
            },
        }
    }
}

fn http_message(status: u16) -> String {
    format!("HTTP {status}")
}

/// `Retry-After` in delta-seconds (an HTTP-date is ignored: we cannot trust clocks to agree).
#[must_use]
pub fn parse_retry_after(v: &str) -> Option<Duration> {
    let secs: u64 = v.trim().parse().ok()?;
    (secs <= 86_400).then(|| Duration::from_secs(secs))
}
