//! `PATCH /v1/webhooks/{id}`: change the URL, the events (the list is replaced whole), the
//! name, or pause/resume deliveries. The number of a webhook cannot change.

use serde::{Deserialize, Serialize};

use super::create_webhook::MAX_WEBHOOK_NAME;
use super::{authed, json_body, parse_wrapped, webhook_events, webhook_path, Endpoint};
use crate::config::Config;
use crate::error::Error;
use crate::http::{HttpRequest, HttpResponse, Method};
use crate::model::Webhook;
use crate::validate::{self, ValidationError};

/// Updates a webhook. At least one change is required (the API answers `EMPTY_PATCH`).
/// It also deserialises from its JSON input (camelCase, strictly: unknown keys are refused), so
/// bindings take it from their callers as they are.
#[must_use = "build it with `to_request` or send it with a client"]
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateWebhook {
    id: String,
    url: Option<String>,
    events: Option<Vec<String>>,
    active: Option<bool>,
    name: Option<String>,
}

impl UpdateWebhook {
    /// Webhook `id`; add changes with the other methods.
    pub fn new(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            url: None,
            events: None,
            active: None,
            name: None,
        }
    }

    /// A new target URL.
    pub fn url(mut self, url: impl Into<String>) -> Self {
        self.url = Some(url.into());
        self
    }

    /// Replaces the whole events list.
    pub fn events(mut self, events: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.events = Some(events.into_iter().map(Into::into).collect());
        self
    }

    /// `false` pauses deliveries, `true` resumes them.
    pub fn active(mut self, active: bool) -> Self {
        self.active = Some(active);
        self
    }

    /// A new label: not empty, at most [`MAX_WEBHOOK_NAME`] characters.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Body {
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    events: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    active: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
}

impl Endpoint for UpdateWebhook {
    type Output = Webhook;

    fn to_request(&self, config: &Config) -> Result<HttpRequest, Error> {
        let path = webhook_path(&self.id, "")?;
        let body = Body {
            url: self
                .url
                .as_deref()
                .map(|u| validate::http_url("url", u))
                .transpose()?,
            events: self.events.as_deref().map(webhook_events).transpose()?,
            active: self.active,
            name: self
                .name
                .as_deref()
                .map(|n| validate::label("name", n, MAX_WEBHOOK_NAME))
                .transpose()?,
        };
        if body.url.is_none()
            && body.events.is_none()
            && body.active.is_none()
            && body.name.is_none()
        {
            return Err(ValidationError::Invalid {
                field: "patch",
                reason: "must change at least one of url, events, active or name",
            }
            .into());
        }
        let mut req = authed(config, Method::Patch, path)?;
        json_body(&mut req, &body)?;
        Ok(req)
    }

    fn parse(&self, response: &HttpResponse) -> Result<Webhook, Error> {
        parse_wrapped(response, ["webhook", "data"])
    }
}
