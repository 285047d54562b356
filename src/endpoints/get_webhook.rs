//! `GET /v1/webhooks/{id}`: one webhook.

use super::{authed, parse_wrapped, webhook_path, Endpoint};
use crate::config::Config;
use crate::error::Error;
use crate::http::{HttpRequest, HttpResponse, Method};
use crate::model::Webhook;

/// Reads one webhook.
#[must_use = "build it with `to_request` or send it with a client"]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetWebhook {
    id: String,
}

impl GetWebhook {
    /// Webhook `id`.
    pub fn new(id: impl Into<String>) -> Self {
        Self { id: id.into() }
    }
}

impl Endpoint for GetWebhook {
    type Output = Webhook;

    fn to_request(&self, config: &Config) -> Result<HttpRequest, Error> {
        authed(config, Method::Get, webhook_path(&self.id, "")?)
    }

    fn parse(&self, response: &HttpResponse) -> Result<Webhook, Error> {
        parse_wrapped(response, ["webhook", "data"])
    }
}
