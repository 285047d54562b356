//! `GET /v1/webhooks`: the webhooks the key can see (one per number).

use super::{authed, parse_wrapped, Endpoint};
use crate::config::Config;
use crate::error::Error;
use crate::http::{HttpRequest, HttpResponse, Method};
use crate::model::Webhook;

/// Lists webhooks. With a tenant key, [`Config::with_whatsapp_number_id`] narrows it to one number.
#[must_use = "build it with `to_request` or send it with a client"]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ListWebhooks;

impl ListWebhooks {
    /// The request.
    pub fn new() -> Self {
        Self
    }
}

impl Endpoint for ListWebhooks {
    type Output = Vec<Webhook>;

    fn to_request(&self, config: &Config) -> Result<HttpRequest, Error> {
        authed(config, Method::Get, "/v1/webhooks".into())
    }

    fn parse(&self, response: &HttpResponse) -> Result<Vec<Webhook>, Error> {
        parse_wrapped(response, ["data", "webhooks"])
    }
}
