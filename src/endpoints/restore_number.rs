//! `POST /v1/numbers/{id}/restore`: undo a delete within its 30-day window.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{authed, number_path, parse_json, Endpoint};
use crate::config::Config;
use crate::error::Error;
use crate::http::{HttpRequest, HttpResponse, Method};
use crate::model::yes;

/// Restores a soft-deleted number. It comes back disconnected: connect again to pair.
#[must_use = "build it with `to_request` or send it with a client"]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreNumber {
    id: String,
}

impl RestoreNumber {
    /// Number `id`.
    pub fn new(id: impl Into<String>) -> Self {
        Self { id: id.into() }
    }
}

/// `{ok:true, requiresReconnect:true}`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Restored {
    /// `true` on success.
    #[serde(default = "yes")]
    pub ok: bool,
    /// Always `true` today: pair again with connect.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requires_reconnect: Option<bool>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Endpoint for RestoreNumber {
    type Output = Restored;

    fn to_request(&self, config: &Config) -> Result<HttpRequest, Error> {
        authed(config, Method::Post, number_path(&self.id, "/restore")?)
    }

    fn parse(&self, response: &HttpResponse) -> Result<Restored, Error> {
        parse_json(response)
    }
}
