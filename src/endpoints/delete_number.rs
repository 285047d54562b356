//! `DELETE /v1/numbers/{id}`: remove a number (a 30-day soft delete on current servers).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{authed, number_path, parse_json, Endpoint};
use crate::config::Config;
use crate::error::Error;
use crate::http::{HttpRequest, HttpResponse, Method};
use crate::model::yes;

/// Deletes a number and logs its device out. Restorable until `restorableUntil` where the
/// server soft-deletes.
#[must_use = "build it with `to_request` or send it with a client"]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteNumber {
    id: String,
}

impl DeleteNumber {
    /// Number `id`.
    pub fn new(id: impl Into<String>) -> Self {
        Self { id: id.into() }
    }
}

/// `{ok:true}` (permanent delete) or `{ok:true, restorableUntil}` (soft delete).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Deleted {
    /// `true` on success.
    #[serde(default = "yes")]
    pub ok: bool,
    /// Until when `restore` works (ISO-8601; 30 days where the server soft-deletes); absent on
    /// servers that delete permanently.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restorable_until: Option<String>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Endpoint for DeleteNumber {
    type Output = Deleted;

    fn to_request(&self, config: &Config) -> Result<HttpRequest, Error> {
        authed(config, Method::Delete, number_path(&self.id, "")?)
    }

    fn parse(&self, response: &HttpResponse) -> Result<Deleted, Error> {
        parse_json(response)
    }
}
