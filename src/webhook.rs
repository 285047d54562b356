//! `number.*` webhooks: signature verification and typed parsing.
//!
//! Pilot Status signs each delivery with `x-pilot-status-signature`: the hex HMAC-SHA256 of the
//! raw body, keyed with the webhook secret. Verify the raw bytes *before* parsing.

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::Sha256;

use crate::error::{DecodeError, Error};
use crate::open_enum::open_enum;
use crate::secret::WebhookSecret;

/// The signature header name.
pub const SIGNATURE_HEADER: &str = "x-pilot-status-signature";

open_enum! {
    /// A webhook event name. Unknown events are kept, never rejected (acknowledge and ignore).
    pub enum EventName {
        /// Instance created.
        NumberCreated = "number.created",
        /// Connected (`OPEN`).
        NumberConnected = "number.connected",
        /// Disconnect confirmed by a health check.
        NumberDisconnected = "number.disconnected",
        /// Deleted.
        NumberRemoved = "number.removed",
        /// Restored within 30 days (comes back disconnected).
        NumberRestored = "number.restored",
        /// Recovered from a degraded/blocked state.
        NumberRecovered = "number.recovered",
    }
}

/// The lifecycle events the edge worker acts on, and so all its own webhook subscribes to
/// (never `"*"`: a customer's `message.*` traffic is not the edge's to take). One list for the
/// worker's receiver, the server package's provisioning and the docs.
pub const EDGE_EVENTS: [EventName; 4] = [
    EventName::NumberConnected,
    EventName::NumberDisconnected,
    EventName::NumberRemoved,
    EventName::NumberRestored,
];

/// The events whose `data` is a [`NumberEventData`] ([`WebhookEvent::Number`]); any other
/// event is [`WebhookEvent::Other`].
pub const NUMBER_DATA_EVENTS: [EventName; 5] = [
    EventName::NumberCreated,
    EventName::NumberConnected,
    EventName::NumberDisconnected,
    EventName::NumberRemoved,
    EventName::NumberRestored,
];

impl EventName {
    /// One of [`EDGE_EVENTS`]: the edge worker's session objects act on it.
    #[must_use]
    pub fn is_edge_event(&self) -> bool {
        EDGE_EVENTS.contains(self)
    }

    /// A customer's own traffic (`message.*`, `call.*`): what a SaaS backend lives on. The edge
    /// never acknowledges one it cannot hand on, so that Pilot Status keeps it.
    #[must_use]
    pub fn is_customer_traffic(&self) -> bool {
        let name = self.as_str();
        name.starts_with("message.") || name.starts_with("call.")
    }
}

/// `data` of the five lifecycle events.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NumberEventData {
    /// Same id as `/v1/numbers/{id}`.
    pub number_id: String,
    /// E.164 with `+`.
    pub phone: String,
    /// Display name.
    pub display_name: String,
    /// Event time (ISO-8601).
    pub created_at: String,
    /// WhatsApp profile name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile_name: Option<String>,
    /// Error text (disconnects, failures).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Error code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A parsed delivery.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum WebhookEvent {
    /// One of `number.created/connected/disconnected/removed/restored`.
    Number {
        /// Which.
        event: EventName,
        /// Its data.
        data: NumberEventData,
    },
    /// Any other event (health events, `number.recovered`, future ones), with raw `data`.
    Other {
        /// Its name.
        event: EventName,
        /// The `data` object, or the whole flat body for events without a wrapper.
        data: Value,
    },
}

impl WebhookEvent {
    /// The event name.
    #[must_use]
    pub fn name(&self) -> &EventName {
        match self {
            Self::Number { event, .. } | Self::Other { event, .. } => event,
        }
    }

    /// The key that identifies a delivery across Pilot Status's retries, for de-duplication:
    /// `data.id` for `message.*` (and any other event whose data carries a string `id`, as the
    /// docs advise), `event|numberId|createdAt` for `number.*` events (their data has no id).
    /// `None` when the delivery carries neither.
    #[must_use]
    pub fn dedup_key(&self) -> Option<String> {
        match self {
            Self::Number { event, data } => {
                Some(format!("{event}|{}|{}", data.number_id, data.created_at))
            }
            Self::Other { event, data } => {
                let text = |k: &str| data.get(k).and_then(Value::as_str);
                match (text("id"), text("numberId"), text("createdAt")) {
                    (Some(id), _, _) if !event.as_str().starts_with("number.") => {
                        Some(id.to_owned())
                    }
                    (_, Some(number), Some(at)) => Some(format!("{event}|{number}|{at}")),
                    (Some(id), _, _) => Some(id.to_owned()),
                    _ => None,
                }
            }
        }
    }
}

/// Why a signature was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// No header.
    #[error("missing x-pilot-status-signature header")]
    Missing,
    /// Not hex of the right length.
    #[error("signature is not a hex HMAC-SHA256")]
    Malformed,
    /// Does not match the body.
    #[error("signature does not match the body")]
    Mismatch,
}

fn mac(secret: &WebhookSecret) -> Hmac<Sha256> {
    // HMAC accepts keys of any length, so this cannot fail.
    match Hmac::<Sha256>::new_from_slice(secret.expose().as_bytes()) {
        Ok(m) => m,
        Err(_) => unreachable_hmac(),
    }
}

#[cold]
fn unreachable_hmac() -> ! {
    unreachable!("HMAC-SHA256 accepts keys of any length")
}

/// The header value Pilot Status sends for `raw_body` (lower-case hex).
#[must_use]
pub fn sign(secret: &WebhookSecret, raw_body: &[u8]) -> String {
    let mut m = mac(secret);
    m.update(raw_body);
    hex_lower(&m.finalize().into_bytes())
}

pub(crate) fn hex_lower(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(HEX[usize::from(b >> 4)] as char);
        s.push(HEX[usize::from(b & 0xf)] as char);
    }
    s
}

fn hex_decode(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    let nib = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    };
    s.as_bytes()
        .chunks(2)
        .map(|p| Some(nib(p[0])? << 4 | nib(p[1])?))
        .collect()
}

/// Checks `x-pilot-status-signature` against the raw body: trims, accepts an optional
/// `sha256=` prefix and either hex case, and compares in constant time.
///
/// # Errors
/// [`SignatureError`].
pub fn verify_signature(
    secret: &WebhookSecret,
    raw_body: &[u8],
    header: Option<&str>,
) -> Result<(), SignatureError> {
    let value = header
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or(SignatureError::Missing)?;
    let hex = value
        .strip_prefix("sha256=")
        .or_else(|| value.strip_prefix("SHA256="))
        .unwrap_or(value);
    let given = hex_decode(hex)
        .filter(|b| b.len() == 32)
        .ok_or(SignatureError::Malformed)?;
    let mut m = mac(secret);
    m.update(raw_body);
    m.verify_slice(&given).map_err(|_| SignatureError::Mismatch)
}

/// Parses a delivery body. Call [`verify_signature`] first.
///
/// # Errors
/// [`Error::Decode`] when the body is not `{event, data}` JSON, or a known `number.*` event's
/// `data` lacks a required field.
pub fn parse_event(raw_body: &[u8]) -> Result<WebhookEvent, Error> {
    #[derive(Deserialize)]
    struct Envelope {
        event: EventName,
        data: Option<Value>,
    }
    let decode_err =
        |path: &str, e: &serde_json::Error| Error::Decode(DecodeError::from_json(0, path, e));
    let whole: Value = serde_json::from_slice(raw_body).map_err(|e| decode_err("", &e))?;
    let env: Envelope = serde_path_to_error::deserialize(whole.clone()).map_err(|e| {
        let path = e.path().to_string();
        decode_err(&path, &e.into_inner())
    })?;
    let lifecycle = NUMBER_DATA_EVENTS.contains(&env.event);
    match (lifecycle, env.data) {
        (true, Some(data)) => {
            let data: NumberEventData = serde_path_to_error::deserialize(data).map_err(|e| {
                let path = e.path().to_string();
                Error::Decode(DecodeError::from_json(0, &path, &e.into_inner()).under("data"))
            })?;
            Ok(WebhookEvent::Number {
                event: env.event,
                data,
            })
        }
        (true, None) => Err(Error::Decode(DecodeError::missing(
            0,
            "data",
            "a number.* event without `data`",
        ))),
        (false, Some(data)) => Ok(WebhookEvent::Other {
            event: env.event,
            data,
        }),
        // Flat events (`call.*`) carry their fields at the top level.
        (false, None) => Ok(WebhookEvent::Other {
            event: env.event,
            data: whole,
        }),
    }
}

/// [`verify_signature`] then [`parse_event`].
///
/// # Errors
/// [`WebhookError`].
pub fn verify_and_parse(
    secret: &WebhookSecret,
    raw_body: &[u8],
    signature_header: Option<&str>,
) -> Result<WebhookEvent, WebhookError> {
    verify_signature(secret, raw_body, signature_header)?;
    Ok(parse_event(raw_body)?)
}

/// A refused delivery.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookError {
    /// Bad or missing signature: answer 401.
    #[error(transparent)]
    Signature(#[from] SignatureError),
    /// Signed, but not a parsable event: answer 400.
    #[error(transparent)]
    Parse(#[from] Error),
}
