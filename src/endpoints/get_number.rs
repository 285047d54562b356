//! `GET /v1/numbers/{id}[?refresh=1]`: full detail of one number.

use super::{authed, number_path, parse_json, Endpoint};
use crate::config::Config;
use crate::error::Error;
use crate::http::{HttpRequest, HttpResponse, Method};
use crate::model::Number;

/// Reads one number.
#[must_use = "build it with `to_request` or send it with a client"]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetNumber {
    id: String,
    refresh: bool,
}

impl GetNumber {
    /// Number `id`.
    pub fn new(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            refresh: false,
        }
    }

    /// `?refresh=1`: force a live Meta Graph fetch instead of the cached snapshot.
    pub fn refresh(mut self, refresh: bool) -> Self {
        self.refresh = refresh;
        self
    }
}

impl Endpoint for GetNumber {
    type Output = Number;

    fn to_request(&self, config: &Config) -> Result<HttpRequest, Error> {
        let suffix = if self.refresh { "?refresh=1" } else { "" };
        authed(config, Method::Get, number_path(&self.id, suffix)?)
    }

    fn parse(&self, response: &HttpResponse) -> Result<Number, Error> {
        parse_json(response)
    }
}
