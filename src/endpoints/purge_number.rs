//! `DELETE /v1/numbers/{id}/purge`: immediate, irreversible removal.

use super::{authed, number_path, parse_json, Endpoint};
use crate::config::Config;
use crate::error::Error;
use crate::http::{HttpRequest, HttpResponse, Method};
use crate::model::OkResult;

/// Erases a number (active or soft-deleted) and everything under it. There is no undo.
#[must_use = "build it with `to_request` or send it with a client"]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurgeNumber {
    id: String,
}

impl PurgeNumber {
    /// Number `id`.
    pub fn new(id: impl Into<String>) -> Self {
        Self { id: id.into() }
    }
}

impl Endpoint for PurgeNumber {
    type Output = OkResult;

    fn to_request(&self, config: &Config) -> Result<HttpRequest, Error> {
        authed(config, Method::Delete, number_path(&self.id, "/purge")?)
    }

    fn parse(&self, response: &HttpResponse) -> Result<OkResult, Error> {
        parse_json(response)
    }
}
