//! Every failure as one plain record that the JavaScript side turns into `PilotStatusError`.
//! The record never holds a secret: the core's errors do not echo keys, tokens or secrets.
//! Each carries a [`Reason`] (the one table, `reason.rs`); its message says what happened in
//! words, and a parser's own text (line, column) goes into `details.parser`.

use pilot_connect::connect_token::TokenError;
use pilot_connect::error::{ErrorKind, ForbiddenScope};
use pilot_connect::secret::SecretError;
use pilot_connect::validate::ValidationError;
use pilot_connect::webhook::{SignatureError, WebhookError};
use pilot_connect::Error;
use serde::Serialize;
use serde_json::{Map, Value};

pub use crate::reason::{Kind, Reason};

/// What `PilotStatusError` is built from (field names are the JS ones).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorRecord {
    /// Its kind (`index.d.ts`'s `ErrorKind`).
    pub kind: Kind,
    /// The stable package-level reason (one of `Reason::ALL`); always of `kind`.
    pub reason: Reason,
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
    /// Other fields of an API error body (`reason`, `declineCode`, …), and `parser`: a
    /// parser's own text (with line and column) for a decode or argument error.
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub details: Map<String, Value>,
}

/// serde_json's text without its ` at line L column C` suffix.
fn without_position(text: &str) -> &str {
    match text.rfind(" at line ") {
        Some(i) if text[i..].contains(" column ") => &text[..i],
        _ => text,
    }
}

impl ErrorRecord {
    /// A record with only a kind and a message; its reason is the kind's default
    /// ([`Kind::default_reason`]).
    #[must_use]
    pub fn new(kind: Kind, message: impl Into<String>) -> Self {
        Self {
            kind,
            reason: kind.default_reason(),
            message: message.into(),
            status: None,
            code: None,
            retry_after_ms: None,
            path: None,
            field: None,
            details: Map::new(),
        }
    }

    /// The same record with `reason` (and the kind it belongs to).
    #[must_use]
    pub fn with_reason(mut self, reason: Reason) -> Self {
        self.reason = reason;
        self.kind = reason.kind();
        self
    }

    /// An argument the strict JSON reader refused: serde's words as the message (an unknown
    /// key is [`Reason::UnknownArgument`]), its full text in `details.parser`.
    #[must_use]
    pub fn unreadable_argument(path: String, e: &serde_json::Error) -> Self {
        let text = e.to_string();
        let words = without_position(&text);
        let reason = if words.starts_with("unknown field") {
            Reason::UnknownArgument
        } else {
            Reason::InvalidArgument
        };
        let mut r = Self::invalid_argument(path, words.to_owned()).with_reason(reason);
        r.details.insert("parser".into(), text.into());
        r
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
            ..Self::new(Kind::Validation, message)
        }
    }

    /// A credential or secret the code was deployed with is missing or unusable (an unset
    /// environment variable, a short connect-token secret), or a call needs a key the client
    /// was built without. Nothing was sent.
    #[must_use]
    pub fn configuration(field: &str, message: impl Into<String>) -> Self {
        Self {
            field: Some(field.to_owned()),
            reason: match field {
                "apiKey" | "apiKeyId" => Reason::MissingApiKey,
                "secret" => Reason::MissingSecret,
                _ => Reason::MissingSetting,
            },
            ..Self::new(Kind::Configuration, message)
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

    /// `webhooks.create` answered 409: the number already has a webhook. Most likely it is the
    /// customer's own, carrying their `message.*` traffic, so the message says to keep it, not
    /// to overwrite it. The API's own text and `code` stay (`code`, `details`).
    #[must_use]
    pub fn webhook_exists(mut self) -> Self {
        let theirs = self.message.clone();
        self = self.with_reason(Reason::WebhookExists);
        self.message = format!(
            "this number already has a webhook, most likely your own (it carries your message.* \
             traffic): keep it as it is, and do not PATCH, pause or delete it to make room for \
             another ({theirs})"
        );
        self
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
            )
            .with_reason(Reason::SecretTooShort),
            _ => Self::invalid_argument(field.to_owned(), e.to_string()),
        }
    }

    fn with_code(mut self, code: &str) -> Self {
        self.code = Some(code.to_owned());
        self
    }

    /// The record as JSON text (it always serialises: only strings, numbers and maps). A
    /// `kind` changed after the reason was set gets that kind's default reason, so the two
    /// always agree.
    #[must_use]
    pub fn to_json(&self) -> String {
        let fixed;
        let record = if self.reason.kind() == self.kind {
            self
        } else {
            fixed = Self {
                reason: self.kind.default_reason(),
                ..self.clone()
            };
            &fixed
        };
        serde_json::to_string(record).unwrap_or_else(|_| {
            r#"{"kind":"internal","reason":"internal","message":"error could not be serialised"}"#
                .to_owned()
        })
    }
}

/// The package's kind of a core error kind.
#[must_use]
pub fn kind_of(kind: ErrorKind) -> Kind {
    match kind {
        ErrorKind::Validation => Kind::Validation,
        ErrorKind::BadRequest => Kind::BadRequest,
        ErrorKind::Unauthorized => Kind::Unauthorized,
        ErrorKind::Forbidden(_) => Kind::Forbidden,
        ErrorKind::NotFound => Kind::NotFound,
        ErrorKind::Conflict => Kind::Conflict,
        ErrorKind::RateLimited => Kind::RateLimited,
        ErrorKind::Server => Kind::Server,
        ErrorKind::Decode => Kind::Decode,
        ErrorKind::Transport => Kind::Network,
        ErrorKind::Timeout => Kind::Timeout,
        // OtherStatus and kinds a later core adds.
        _ => Kind::Http,
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

/// The reason of a core error.
fn reason_of(e: &Error) -> Reason {
    match (e, e.kind()) {
        (Error::Validation(ValidationError::MissingCredentials), _) => Reason::MissingApiKey,
        (_, ErrorKind::Forbidden(ForbiddenScope::TenantKeyNotAllowed)) => {
            Reason::TenantKeyNotAllowed
        }
        (_, ErrorKind::Forbidden(ForbiddenScope::NumberKeyNotAllowed)) => {
            Reason::NumberKeyNotAllowed
        }
        (_, ErrorKind::OtherStatus) if e.status().is_some_and(|s| (300..400).contains(&s)) => {
            Reason::Redirect
        }
        (_, kind) => kind_of(kind).default_reason(),
    }
}

impl From<&Error> for ErrorRecord {
    fn from(e: &Error) -> Self {
        let mut r = Self::new(kind_of(e.kind()), e.to_string()).with_reason(reason_of(e));
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
            Error::Decode(d) => {
                r.message = format!(
                    "Pilot Status answered {} with a body this call cannot use: {}",
                    d.status,
                    d.describe()
                );
                r.path = Some(d.path.clone());
                r.details.insert("parser".into(), d.detail.clone().into());
            }
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
        let reason = match e {
            TokenError::Malformed(_) => Reason::TokenMalformed,
            TokenError::UnsupportedAlgorithm(_) => Reason::TokenUnsupportedAlgorithm,
            TokenError::BadSignature => Reason::TokenBadSignature,
            TokenError::Expired => Reason::TokenExpired,
            TokenError::NotYetValid => Reason::TokenNotYetValid,
            TokenError::TooLongLived => Reason::TokenTooLongLived,
            TokenError::WrongAudience => Reason::TokenWrongAudience,
            TokenError::OriginMismatch => Reason::TokenOriginMismatch,
            TokenError::InvalidClaims(_) => Reason::TokenInvalidClaims,
            _ => Reason::TokenMalformed,
        };
        // `code` repeats the failed check (kept for callers written before `reason`).
        Self::new(Kind::Token, e.to_string())
            .with_reason(reason)
            .with_code(reason.check_code().unwrap_or("malformed"))
    }
}

impl From<&SignatureError> for ErrorRecord {
    fn from(e: &SignatureError) -> Self {
        let reason = match e {
            SignatureError::Missing => Reason::SignatureMissing,
            SignatureError::Mismatch => Reason::SignatureMismatch,
            _ => Reason::SignatureMalformed,
        };
        Self::new(Kind::Signature, e.to_string())
            .with_reason(reason)
            .with_code(reason.check_code().unwrap_or("malformed"))
    }
}

impl From<&WebhookError> for ErrorRecord {
    fn from(e: &WebhookError) -> Self {
        match e {
            WebhookError::Signature(s) => Self::from(s),
            WebhookError::Parse(Error::Decode(d)) => {
                let mut r = Self::new(
                    Kind::Decode,
                    format!(
                        "the webhook body is signed but is not a Pilot Status event: {}",
                        d.describe()
                    ),
                )
                .with_reason(Reason::InvalidEvent);
                r.path = Some(d.path.clone());
                r.details.insert("parser".into(), d.detail.clone().into());
                r
            }
            WebhookError::Parse(p) => Self::from(p),
            _ => Self::new(Kind::Decode, e.to_string()).with_reason(Reason::InvalidEvent),
        }
    }
}
