//! `DELETE /v1/webhooks/{id}`: remove a webhook.

use super::{authed, parse_json, webhook_path, Endpoint};
use crate::config::Config;
use crate::error::{ApiError, Error};
use crate::http::{HttpRequest, HttpResponse, Method};
use crate::model::OkResult;

/// Deletes a webhook. Deliveries stop at once.
#[must_use = "build it with `to_request` or send it with a client"]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteWebhook {
    id: String,
}

impl DeleteWebhook {
    /// Webhook `id`.
    pub fn new(id: impl Into<String>) -> Self {
        Self { id: id.into() }
    }
}

impl Endpoint for DeleteWebhook {
    type Output = OkResult;

    fn to_request(&self, config: &Config) -> Result<HttpRequest, Error> {
        authed(config, Method::Delete, webhook_path(&self.id, "")?)
    }

    fn parse(&self, response: &HttpResponse) -> Result<OkResult, Error> {
        // Undocumented answer: `{ok:true}` or an empty 2xx (204) both mean done.
        if response.is_success() && response.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(OkResult {
                ok: true,
                extra: serde_json::Map::new(),
            });
        }
        if !response.is_success() {
            return Err(Error::Api(ApiError::from_response(response)));
        }
        parse_json(response)
    }
}
