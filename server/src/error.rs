//! Every failure as one plain record that the JavaScript side turns into `PilotStatusError`.
//! The record never holds a secret: the core's errors do not echo keys, tokens or secrets.

use pilot_connect::connect_token::TokenError;
use pilot_connect::error::ErrorKind;
use pilot_connect::secret::SecretError;
use pilot_connect::validate::ValidationError;
use pilot_connect::webhook::{SignatureError, WebhookError};
use pilot_connect::Error;
use serde::Serialize;
use serde_json::{Map, Value};

/// What `PilotStatusError` is built from (field names are the JS ones).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorRecord {
    /// One of the `ErrorKind` strings in `index.d.ts`.
    pub kind: &'static str,
    /// A readable sentence.
    pub message: String,
    /// HTTP status, when an answer came back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// The body's `code` (API errors), or the reason (token and signature errors).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// How long the server asked to wait.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after_ms: Option<u64>,
    /// JSON path of the value that did not decode, or of the refused argument.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The refused input field (validation).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Other fields of an API error body (`reason`, `declineCode`, …).
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub details: Map<String, Value>,
}

impl ErrorRecord {
    /// A record with only a kind and a message.
    #[must_use]
    pub fn new(kind: &'static str, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            status: None,
            code: None,
            retry_after_ms: None,
            path: None,
            field: None,
            details: Map::new(),
        }
    }

    /// A refused argument (`path` is where in the arguments object).
    #[must_use]
    pub fn invalid_argument(path: String, message: impl Into<String>) -> Self {
        let field = path
            .rsplit('.')
            .next()
            .filter(|f| !f.is_empty() && *f != "?");
        Self {
            field: field.map(str::to_owned),
            path: (!path.is_empty() && path != ".").then_some(path),
            ..Self::new("validation", message)
        }
    }

    /// A credential or secret the code was deployed with is missing or unusable (an unset
    /// environment variable, a short connect-token secret), or a call needs a key the client
    /// was built without. Nothing was sent.
    #[must_use]
    pub fn configuration(field: &str, message: impl Into<String>) -> Self {
        Self {
            field: Some(field.to_owned()),
            ..Self::new("configuration", message)
        }
    }

    /// A credential option `field` that is given but empty or undefined; `source` names where
    /// it usually comes from ("the PS_API_KEY environment variable").
    #[must_use]
    pub fn empty_credential(field: &str, source: &str) -> Self {
        Self::configuration(
            field,
            format!("{field} is empty or undefined — is {source} set?"),
        )
    }

    /// A refused secret option `field`: `configuration` when it is empty, undefined or too
    /// short (`source` says where it comes from), `validation` for a malformed one.
    #[must_use]
    pub fn secret(field: &str, e: &SecretError, source: &str) -> Self {
        match e {
            SecretError::Empty(_) => Self::empty_credential(field, source),
            SecretError::TooShort(what, min) => Self::configuration(
                field,
                format!(
                    "{field} is too short: a {what} must be at least {min} bytes — check {source}"
                ),
            ),
            _ => Self::invalid_argument(field.to_owned(), e.to_string()),
        }
    }

    fn with_code(mut self, code: &str) -> Self {
        self.code = Some(code.to_owned());
        self
    }

    /// The record as JSON text (it always serialises: only strings, numbers and maps).
    #[must_use]
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| {
            r#"{"kind":"internal","message":"error could not be serialised"}"#.to_owned()
        })
    }
}

/// The JS name of a core error kind.
#[must_use]
pub fn kind_name(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Validation => "validation",
        ErrorKind::BadRequest => "bad_request",
        ErrorKind::Unauthorized => "unauthorized",
        ErrorKind::Forbidden(_) => "forbidden",
        ErrorKind::NotFound => "not_found",
        ErrorKind::Conflict => "conflict",
        ErrorKind::RateLimited => "rate_limited",
        ErrorKind::Server => "server",
        ErrorKind::Decode => "decode",
        ErrorKind::Transport => "network",
        ErrorKind::Timeout => "timeout",
        // OtherStatus and kinds a later core adds.
        _ => "http",
    }
}

fn validation_field(e: &ValidationError) -> Option<&'static str> {
    match e {
        ValidationError::Empty { field }
        | ValidationError::ControlCharacters { field }
        | ValidationError::Phone { field, .. }
        | ValidationError::Id { field, .. }
        | ValidationError::TooLong { field, .. }
        | ValidationError::Url { field, .. }
        | ValidationError::Invalid { field, .. } => Some(field),
        ValidationError::BaseUrl(_) => Some("baseUrl"),
        _ => None,
    }
}

impl From<&Error> for ErrorRecord {
    fn from(e: &Error) -> Self {
        let mut r = Self::new(kind_name(e.kind()), e.to_string());
        r.status = e.status();
        r.code = e.code().map(|c| c.as_str().to_owned());
        r.retry_after_ms = e
            .retry_after()
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        match e {
            Error::Validation(ValidationError::MissingCredentials) => {
                r = Self::configuration(
                    "apiKey",
                    "this call needs apiKey or apiKeyId: the client was built with neither \
                     (without a key only the remotePairing token calls work)",
                );
            }
            Error::Validation(v) => r.field = validation_field(v).map(str::to_owned),
            Error::Decode(d) => r.path = Some(d.path.clone()),
            Error::Api(a) => r.details = a.extra.clone(),
            _ => {}
        }
        r
    }
}

impl From<Error> for ErrorRecord {
    fn from(e: Error) -> Self {
        Self::from(&e)
    }
}

impl From<ValidationError> for ErrorRecord {
    fn from(e: ValidationError) -> Self {
        Self::from(Error::Validation(e))
    }
}

impl From<&TokenError> for ErrorRecord {
    fn from(e: &TokenError) -> Self {
        let code = match e {
            TokenError::Malformed(_) => "malformed",
            TokenError::UnsupportedAlgorithm(_) => "unsupported_algorithm",
            TokenError::BadSignature => "bad_signature",
            TokenError::Expired => "expired",
            TokenError::NotYetValid => "not_yet_valid",
            TokenError::TooLongLived => "too_long_lived",
            TokenError::WrongAudience => "wrong_audience",
            TokenError::OriginMismatch => "origin_mismatch",
            TokenError::InvalidClaims(_) => "invalid_claims",
            _ => "invalid",
        };
        Self::new("token", e.to_string()).with_code(code)
    }
}

impl From<&SignatureError> for ErrorRecord {
    fn from(e: &SignatureError) -> Self {
        let code = match e {
            SignatureError::Missing => "missing",
            SignatureError::Malformed => "malformed",
            SignatureError::Mismatch => "mismatch",
            _ => "invalid",
        };
        Self::new("signature", e.to_string()).with_code(code)
    }
}

impl From<&WebhookError> for ErrorRecord {
    fn from(e: &WebhookError) -> Self {
        match e {
            WebhookError::Signature(s) => Self::from(s),
            WebhookError::Parse(p) => Self::from(p),
            _ => Self::new("decode", e.to_string()),
        }
    }
}
