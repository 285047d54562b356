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
    /// HTTP status (0 for a webhook body).
    pub status: u16,
    /// JSON path of the failing value, e.g. `qrcodeBase64`, `[0].state` or `instance.id` (a
    /// missing field is named by its own path); empty for the whole body.
    pub path: String,
    /// What went wrong, in words: `is missing`, `has an unexpected value`, ….
    pub message: String,
    /// The parser's own text (with line and column), for logs and bug reports.
    pub detail: String,
}

impl DecodeError {
    /// From a serde_json failure at `path` (as `serde_path_to_error` prints it: `.` for the
    /// root). A missing field is reported at the field's own path.
    #[must_use]
    pub fn from_json(status: u16, path: &str, e: &serde_json::Error) -> Self {
        let detail = e.to_string();
        let words = strip_position(&detail);
        let missing = words
            .strip_prefix("missing field `")
            .and_then(|rest| rest.strip_suffix('`'));
        let (path, message) = match (e.classify(), missing) {
            (serde_json::error::Category::Data, Some(field)) => {
                (join_path(path, field), "is missing".to_owned())
            }
            (serde_json::error::Category::Data, None) => (
                join_path(path, ""),
                "has a value this version cannot read".to_owned(),
            ),
            _ => (String::new(), "is not valid JSON".to_owned()),
        };
        Self {
            status,
            path,
            message,
            detail,
        }
    }

    /// A field this call needs is absent (found missing after parsing).
    #[must_use]
    pub fn missing(status: u16, path: &str, detail: impl Into<String>) -> Self {
        Self {
            status,
            path: path.to_owned(),
            message: "is missing".to_owned(),
            detail: detail.into(),
        }
    }

    /// `path` prefixed with the key the value was found under (`data` → `data.id`, `data[0].id`).
    #[must_use]
    pub fn under(mut self, key: &str) -> Self {
        self.path = if self.path.is_empty() {
            key.to_owned()
        } else if self.path.starts_with('[') {
            format!("{key}{}", self.path)
        } else {
            format!("{key}.{}", self.path)
        };
        self
    }

    /// One sentence: ``the body is not valid JSON``, ```instance.id` is missing``.
    #[must_use]
    pub fn describe(&self) -> String {
        if self.path.is_empty() {
            format!("the body {}", self.message)
        } else {
            format!("`{}` {}", self.path, self.message)
        }
    }
}

/// `a` + `.b` (a root of `.` or `` is dropped; `[0]` + `id` → `[0].id`).
fn join_path(base: &str, field: &str) -> String {
    let base = if base == "." { "" } else { base };
    match (base.is_empty(), field.is_empty()) {
        (_, true) => base.to_owned(),
        (true, false) => field.to_owned(),
        (false, false) => format!("{base}.{field}"),
    }
}

/// serde_json's text without its ` at line L column C` suffix.
fn strip_position(text: &str) -> &str {
    match text.rfind(" at line ") {
        Some(i) if text[i..].contains(" column ") => &text[..i],
        _ => text,
    }
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
    #[error("could not decode the {} response: {}", .0.status, .0.describe())]
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
