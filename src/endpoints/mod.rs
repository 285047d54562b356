//! One file per endpoint. Each builder is `#[must_use]`, validates in
//! [`Endpoint::to_request`] (before anything is sent) and parses with [`Endpoint::parse`].

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::config::{Auth, Config};
use crate::error::{ApiError, DecodeError, Error};
use crate::http::{HttpRequest, HttpResponse, Method};
use crate::model::Link;
use crate::validate::{self, ValidationError};

mod connect;
mod create_meta_number;
mod create_number;
mod create_webhook;
mod delete_number;
mod delete_webhook;
mod get_branding;
mod get_number;
mod get_webhook;
mod list_numbers;
mod list_webhooks;
mod purge_number;
mod remote_pairing;
mod remote_pairing_connect;
mod remote_pairing_info;
mod remote_pairing_status;
mod restore_number;
mod status;
mod update_branding;
mod update_webhook;
mod webhook_logs;

pub use connect::{Connect, ConnectOutcome, PairingCredentials};
pub use create_meta_number::{CreateMetaNumber, CreatedMetaNumber, MetaNumberWebhook};
pub use create_number::{CreateNumber, CreatedNumber, NumberSettings};
pub use create_webhook::{CreateWebhook, MAX_WEBHOOK_NAME};
pub use delete_number::{DeleteNumber, Deleted};
pub use delete_webhook::DeleteWebhook;
pub use get_branding::GetBranding;
pub use get_number::GetNumber;
pub use get_webhook::GetWebhook;
pub use list_numbers::ListNumbers;
pub use list_webhooks::ListWebhooks;
pub use purge_number::PurgeNumber;
pub use remote_pairing::{CreateRemotePairing, RemotePairingLink, RemotePairingProvider};
pub use remote_pairing_connect::RemotePairingConnect;
pub use remote_pairing_info::{RemotePairingInfo, RemotePairingInfoResult};
pub use remote_pairing_status::{RemotePairingStatus, RemotePairingStatusResult};
pub use restore_number::{RestoreNumber, Restored};
pub use status::{GetStatus, NumberStatus};
pub use update_branding::{UpdateBranding, MAX_COMPANY_NAME, MAX_SUBTITLE};
pub use update_webhook::UpdateWebhook;
pub use webhook_logs::{WebhookLogs, MAX_LOG_LIMIT};

/// A request to the Pilot Status API: builds an [`HttpRequest`] and parses its answer.
pub trait Endpoint {
    /// The typed result.
    type Output;

    /// Validates the input and builds the request. Nothing is sent.
    ///
    /// # Errors
    /// [`Error::Validation`] for bad input or missing credentials.
    fn to_request(&self, config: &Config) -> Result<HttpRequest, Error>;

    /// Parses the answer.
    ///
    /// # Errors
    /// [`Error::Api`] for an error status, [`Error::Decode`] (with the JSON path) for a success
    /// body that does not fit.
    fn parse(&self, response: &HttpResponse) -> Result<Self::Output, Error>;
}

/// A request with `accept`, `user-agent` and the credentials set.
pub(crate) fn authed(
    config: &Config,
    method: Method,
    path_and_query: String,
) -> Result<HttpRequest, Error> {
    let mut req = anonymous(config, method, path_and_query);
    match config.auth() {
        Some(Auth::ApiKey(key)) => req.push_header("x-api-key", key.expose().to_owned(), true),
        Some(Auth::ApiKeyId(id)) => req.push_header("x-api-key-id", id.clone(), true),
        None => return Err(ValidationError::MissingCredentials.into()),
    }
    if let Some(id) = config.whatsapp_number_id() {
        req.push_header("x-whatsapp-number-id", id.to_owned(), false);
    }
    Ok(req)
}

/// A request without credentials (the public remote-pairing token endpoints).
pub(crate) fn anonymous(config: &Config, method: Method, path_and_query: String) -> HttpRequest {
    let mut req = HttpRequest::new(method, config.base_url(), path_and_query);
    req.push_header("accept", "application/json".into(), false);
    if let Some(ua) = config.user_agent() {
        req.push_header("user-agent", ua.to_owned(), false);
    }
    req
}

/// `/v1/numbers/{id}{suffix}` with the id encoded as one segment.
pub(crate) fn number_path(id: &str, suffix: &str) -> Result<String, Error> {
    let seg = validate::path_segment("id", id)?;
    Ok(format!("/v1/numbers/{seg}{suffix}"))
}

/// `/v1/webhooks/{id}{suffix}` with the id encoded as one segment.
pub(crate) fn webhook_path(id: &str, suffix: &str) -> Result<String, Error> {
    let seg = validate::path_segment("id", id)?;
    Ok(format!("/v1/webhooks/{seg}{suffix}"))
}

/// The events list of a webhook: at least one, each a non-empty printable name. The API
/// accepts an empty list but then dispatches nothing, which is never what a caller means.
pub(crate) fn webhook_events(events: &[String]) -> Result<Vec<String>, Error> {
    if events.is_empty() {
        return Err(ValidationError::Invalid {
            field: "events",
            reason: "must list at least one event (an empty list dispatches nothing; use [\"*\"] for all, or active: false to pause)",
        }
        .into());
    }
    events
        .iter()
        .map(|e| validate::text("events", e).map_err(Error::from))
        .collect()
}

/// An answer that is `T` bare, or wrapped in an object under one of `keys` (servers and SDKs
/// disagree: `[…]` vs `{data:[…]}`). The bare shape is tried first; when it does not fit and
/// the body is an object holding one of `keys`, the value under that key is decoded instead, so
/// a decode error names the real JSON path either way (`id`, `data[0].id`).
pub(crate) fn parse_wrapped<T: DeserializeOwned>(
    response: &HttpResponse,
    keys: [&str; 2],
) -> Result<T, Error> {
    match parse_json::<T>(response) {
        Err(Error::Decode(first)) => {
            let inner = match serde_json::from_slice(&response.body) {
                Ok(serde_json::Value::Object(mut map)) => {
                    keys.iter().find_map(|k| map.remove(*k).map(|v| (*k, v)))
                }
                _ => None,
            };
            let Some((key, value)) = inner else {
                return Err(Error::Decode(first));
            };
            serde_path_to_error::deserialize(value).map_err(|e| {
                let path = e.path().to_string();
                Error::Decode(
                    DecodeError::from_json(response.status, &path, &e.into_inner()).under(key),
                )
            })
        }
        other => other,
    }
}

/// `Option<Option<T>>` where a present `null` is `Some(None)` (serde folds it into `None`).
pub(crate) mod explicit_null {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub(crate) fn serialize<T: Serialize, S: Serializer>(
        value: &Option<Option<T>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        value.serialize(s)
    }

    pub(crate) fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(d).map(Some)
    }
}

/// `/v1/remote-pairing/{token}{suffix}`.
pub(crate) fn token_path(token: &str, suffix: &str) -> Result<String, Error> {
    let seg = validate::path_segment("token", token)?;
    Ok(format!("/v1/remote-pairing/{seg}{suffix}"))
}

pub(crate) fn link_suffix(base: &'static str, link: &Link) -> Result<String, Error> {
    match link {
        Link::Primary => Ok(base.to_owned()),
        Link::Secondary => Ok(format!("{base}?link=secondary")),
        Link::Unknown(v) => Err(ValidationError::Id {
            field: "link",
            value: v.clone(),
            reason: "must be primary or secondary",
        }
        .into()),
    }
}

pub(crate) fn json_body<T: Serialize>(req: &mut HttpRequest, body: &T) -> Result<(), Error> {
    let bytes = serde_json::to_vec(body)
        .map_err(|e| Error::Validation(ValidationError::Body(e.to_string())))?;
    req.json_body(bytes);
    Ok(())
}

/// Any non-2xx → [`Error::Api`]; a 2xx body → `T` or [`Error::Decode`] with the JSON path.
pub(crate) fn parse_json<T: DeserializeOwned>(resp: &HttpResponse) -> Result<T, Error> {
    if !resp.is_success() {
        return Err(Error::Api(ApiError::from_response(resp)));
    }
    decode(resp)
}

pub(crate) fn decode<T: DeserializeOwned>(resp: &HttpResponse) -> Result<T, Error> {
    let de = &mut serde_json::Deserializer::from_slice(&resp.body);
    let result: Result<T, _> = serde_path_to_error::deserialize(de);
    result.map_err(|e| {
        let path = e.path().to_string();
        Error::Decode(DecodeError::from_json(resp.status, &path, &e.into_inner()))
    })
}
