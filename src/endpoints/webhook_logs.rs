//! `GET /v1/webhooks/{id}/logs[?limit=&event=]`: recent delivery attempts.

use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use serde::Deserialize;

use super::{authed, parse_wrapped, webhook_path, Endpoint};
use crate::config::Config;
use crate::error::Error;
use crate::http::{HttpRequest, HttpResponse, Method};
use crate::model::WebhookLog;
use crate::validate::{self, ValidationError};

/// Largest `limit` the API accepts.
pub const MAX_LOG_LIMIT: u32 = 50;

/// Reads a webhook's delivery log, optionally only one event.
/// It also deserialises from its JSON input (camelCase, strictly: unknown keys are refused), so
/// bindings take it from their callers as they are.
#[must_use = "build it with `to_request` or send it with a client"]
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WebhookLogs {
    id: String,
    limit: Option<u32>,
    event: Option<String>,
}

impl WebhookLogs {
    /// Logs of webhook `id`.
    pub fn new(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            limit: None,
            event: None,
        }
    }

    /// How many entries, 1…[`MAX_LOG_LIMIT`].
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = Some(limit);
        self
    }

    /// Only this event (e.g. `number.connected`).
    pub fn event(mut self, event: impl Into<String>) -> Self {
        self.event = Some(event.into());
        self
    }
}

impl Endpoint for WebhookLogs {
    type Output = Vec<WebhookLog>;

    fn to_request(&self, config: &Config) -> Result<HttpRequest, Error> {
        let mut query = Vec::new();
        if let Some(limit) = self.limit {
            if !(1..=MAX_LOG_LIMIT).contains(&limit) {
                return Err(ValidationError::Invalid {
                    field: "limit",
                    reason: "must be between 1 and 50",
                }
                .into());
            }
            query.push(format!("limit={limit}"));
        }
        if let Some(event) = &self.event {
            let event = validate::text("event", event)?;
            query.push(format!(
                "event={}",
                utf8_percent_encode(&event, NON_ALPHANUMERIC)
            ));
        }
        let suffix = if query.is_empty() {
            "/logs".to_owned()
        } else {
            format!("/logs?{}", query.join("&"))
        };
        authed(config, Method::Get, webhook_path(&self.id, &suffix)?)
    }

    fn parse(&self, response: &HttpResponse) -> Result<Vec<WebhookLog>, Error> {
        parse_wrapped(response, ["data", "logs"])
    }
}
