//! `GET /v1/webhooks`: the webhooks the key can see (one or more per number).

use super::{authed, parse_wrapped, Endpoint};
use crate::config::Config;
use crate::error::Error;
use crate::http::{HttpRequest, HttpResponse, Method};
use crate::model::Webhook;
use crate::validate;

/// Lists webhooks. With a tenant key, [`ListWebhooks::whatsapp_number_id`] (or
/// [`Config::with_whatsapp_number_id`]) narrows it to one number.
#[must_use = "build it with `to_request` or send it with a client"]
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListWebhooks {
    whatsapp_number_id: Option<String>,
}

impl ListWebhooks {
    /// The request.
    pub fn new() -> Self {
        Self::default()
    }

    /// Only this number's webhooks (`x-whatsapp-number-id`, instead of the config's).
    pub fn whatsapp_number_id(mut self, id: impl Into<String>) -> Self {
        self.whatsapp_number_id = Some(id.into());
        self
    }
}

impl Endpoint for ListWebhooks {
    type Output = Vec<Webhook>;

    fn to_request(&self, config: &Config) -> Result<HttpRequest, Error> {
        let mut req = authed(config, Method::Get, "/v1/webhooks".into())?;
        if let Some(id) = &self.whatsapp_number_id {
            let id = validate::text("whatsappNumberId", id)?;
            req.headers
                .retain(|h| !h.name.eq_ignore_ascii_case("x-whatsapp-number-id"));
            req.push_header("x-whatsapp-number-id", id, false);
        }
        Ok(req)
    }

    fn parse(&self, response: &HttpResponse) -> Result<Vec<Webhook>, Error> {
        parse_wrapped(response, ["data", "webhooks"])
    }
}
