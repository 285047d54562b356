//! `POST /v1/numbers`: create an unofficial (QR-paired) number.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{authed, json_body, parse_json, Endpoint};
use crate::config::Config;
use crate::error::Error;
use crate::http::{HttpRequest, HttpResponse, Method};
use crate::model::{LinkCredentials, NumberInstance, PairingCode, QrImage};
use crate::validate;

/// Initial per-number settings (all optional). For the Evolution-GO fields, `Some(None)` sends
/// an explicit `null`, which resets the field to the provider default. It also deserialises
/// (strictly: unknown keys are refused, an explicit `null` stays `Some(None)`) so bindings can
/// take it from their callers.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NumberSettings {
    /// Import history after connecting (default true; only settable at creation).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history_import_enabled: Option<bool>,
    /// Deliver historical messages to webhooks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_historical_messages: Option<bool>,
    /// Ignore newsletter messages.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ignore_newsletters: Option<bool>,
    /// Mark read on send (Meta only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mark_read_on_send: Option<bool>,
    /// Evolution-GO: always online.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "super::explicit_null"
    )]
    pub always_online: Option<Option<bool>>,
    /// Evolution-GO: reject calls.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "super::explicit_null"
    )]
    pub reject_call: Option<Option<bool>>,
    /// Evolution-GO: mark incoming messages read.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "super::explicit_null"
    )]
    pub read_messages: Option<Option<bool>>,
    /// Evolution-GO: ignore groups.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "super::explicit_null"
    )]
    pub ignore_groups: Option<Option<bool>>,
    /// Evolution-GO: ignore status updates.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "super::explicit_null"
    )]
    pub ignore_status: Option<Option<bool>>,
    /// Evolution-GO: message sent when a call is rejected (≤ 1000 characters).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "super::explicit_null"
    )]
    pub msg_reject_call: Option<Option<String>>,
}

/// Creates a QR-paired number. The answer carries the first QR and pairing code.
/// It also deserialises from its JSON input (camelCase, strictly: unknown keys are refused), so
/// bindings take it from their callers as they are.
#[must_use = "build it with `to_request` or send it with a client"]
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateNumber {
    /// Display name (not empty, no control characters).
    name: String,
    /// E.164 (`+5511999999999`); spaces, dashes, dots and parentheses are removed.
    number: String,
    /// Re-point the calling key to the new number.
    link_to_api_key: Option<bool>,
    /// Initial settings.
    settings: Option<NumberSettings>,
}

impl CreateNumber {
    /// `name` is the display name; `number` an E.164 phone (`+5511999999999`; spaces, dashes
    /// and parentheses are removed).
    pub fn new(name: impl Into<String>, number: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            number: number.into(),
            link_to_api_key: None,
            settings: None,
        }
    }

    /// With a number-scoped key, re-point that key to the new number (server default `true`).
    /// A no-op with a tenant key.
    pub fn link_to_api_key(mut self, link: bool) -> Self {
        self.link_to_api_key = Some(link);
        self
    }

    /// Initial settings.
    pub fn settings(mut self, settings: NumberSettings) -> Self {
        self.settings = Some(settings);
        self
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Body<'a> {
    name: &'a str,
    number: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    link_to_api_key: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    settings: Option<&'a NumberSettings>,
}

/// The created number with its first QR and pairing code.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedNumber {
    /// The number. Always there, with its id (the SDK's `CreateNumberResult.instance` is
    /// required): an answer without it is a decode error at `instance` / `instance.id`.
    pub instance: NumberInstance,
    /// First QR.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qrcode_base64: Option<QrImage>,
    /// Pairing code (`null` when the provider gives none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pairing_code: Option<PairingCode>,
    /// The key re-pointed to this number (`null` with a tenant key).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub linked_api_key_id: Option<String>,
    /// QR + code of the first link.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub primary_link: Option<LinkCredentials>,
    /// QR + code of the second link (dual numbers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secondary_link: Option<LinkCredentials>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl CreatedNumber {
    /// The new number's id (`instance.id`).
    #[must_use]
    pub fn id(&self) -> &str {
        &self.instance.id
    }
}

impl Endpoint for CreateNumber {
    type Output = CreatedNumber;

    fn to_request(&self, config: &Config) -> Result<HttpRequest, Error> {
        let name = validate::text("name", &self.name)?;
        let number = validate::e164("number", &self.number)?;
        if let Some(Some(Some(msg))) = self.settings.as_ref().map(|s| &s.msg_reject_call) {
            if msg.chars().count() > 1000 {
                return Err(validate::ValidationError::TooLong {
                    field: "settings.msgRejectCall",
                    max: 1000,
                }
                .into());
            }
        }
        let mut req = authed(config, Method::Post, "/v1/numbers".into())?;
        json_body(
            &mut req,
            &Body {
                name: &name,
                number: &number,
                link_to_api_key: self.link_to_api_key,
                settings: self.settings.as_ref(),
            },
        )?;
        Ok(req)
    }

    fn parse(&self, response: &HttpResponse) -> Result<CreatedNumber, Error> {
        parse_json(response)
    }
}
