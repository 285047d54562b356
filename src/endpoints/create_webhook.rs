//! `POST /v1/webhooks`: point a number's webhook at a URL.

use serde::{Deserialize, Serialize};

use super::{authed, json_body, parse_wrapped, webhook_events, Endpoint};
use crate::config::Config;
use crate::error::Error;
use crate::http::{HttpRequest, HttpResponse, Method};
use crate::model::Webhook;
use crate::validate;

/// Longest webhook `name` accepted, in characters.
pub const MAX_WEBHOOK_NAME: usize = 100;

/// Creates the webhook of one number. With a tenant key the number is required (the API
/// answers `400 NUMBER_REQUIRED` otherwise): give it here or through
/// [`Config::with_whatsapp_number_id`]. The signing secret is not returned: it comes from
/// the dashboard.
/// It also deserialises from its JSON input (camelCase, strictly: unknown keys are refused), so
/// bindings take it from their callers as they are.
#[must_use = "build it with `to_request` or send it with a client"]
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateWebhook {
    /// Absolute http(s) URL that receives signed `POST`s.
    url: String,
    /// At least one: e.g. `["number.connected", "number.disconnected"]`, or `["*"]` for all.
    events: Vec<String>,
    /// Which number (required with a tenant key, unless the client has `whatsappNumberId`).
    whatsapp_number_id: Option<String>,
    /// `false` creates it paused.
    active: Option<bool>,
    /// A label: not empty, at most 100 characters.
    name: Option<String>,
}

impl CreateWebhook {
    /// Deliver `events` (e.g. `["number.connected"]`, or `["*"]` for all) to `url`.
    pub fn new(
        url: impl Into<String>,
        events: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        Self {
            url: url.into(),
            events: events.into_iter().map(Into::into).collect(),
            whatsapp_number_id: None,
            active: None,
            name: None,
        }
    }

    /// The number the webhook belongs to (`whatsappNumberId`).
    pub fn whatsapp_number_id(mut self, id: impl Into<String>) -> Self {
        self.whatsapp_number_id = Some(id.into());
        self
    }

    /// Create it paused (`false`) or active (the server default).
    pub fn active(mut self, active: bool) -> Self {
        self.active = Some(active);
        self
    }

    /// A label (e.g. `"pilot-connect edge"`): not empty, at most [`MAX_WEBHOOK_NAME`] characters.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Body<'a> {
    url: &'a str,
    events: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    whatsapp_number_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    active: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
}

impl Endpoint for CreateWebhook {
    type Output = Webhook;

    fn to_request(&self, config: &Config) -> Result<HttpRequest, Error> {
        let url = validate::http_url("url", &self.url)?;
        let events = webhook_events(&self.events)?;
        let number = match &self.whatsapp_number_id {
            Some(id) => Some(validate::text("whatsappNumberId", id)?),
            None => None,
        };
        let name = self
            .name
            .as_deref()
            .map(|n| validate::label("name", n, MAX_WEBHOOK_NAME))
            .transpose()?;
        let mut req = authed(config, Method::Post, "/v1/webhooks".into())?;
        json_body(
            &mut req,
            &Body {
                url: &url,
                events: &events,
                whatsapp_number_id: number.as_deref(),
                active: self.active,
                name: name.as_deref(),
            },
        )?;
        Ok(req)
    }

    fn parse(&self, response: &HttpResponse) -> Result<Webhook, Error> {
        parse_wrapped(response, ["webhook", "data"])
    }
}
