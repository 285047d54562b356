//! `GET /v1/remote-pairing/{token}` (public, no key): what a pairing link is for.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{anonymous, parse_json, token_path, Endpoint};
use crate::config::Config;
use crate::error::Error;
use crate::http::{HttpRequest, HttpResponse, Method};
use crate::model::{LinkInfo, NumberState};

/// Reads a pairing token. `404` when it is invalid or expired.
#[must_use = "build it with `to_request` or send it with a client"]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemotePairingInfo {
    token: String,
}

impl RemotePairingInfo {
    /// For `token`.
    pub fn new(token: impl Into<String>) -> Self {
        Self {
            token: token.into(),
        }
    }
}

/// `{valid, name, number|maskedNumber, state, reason?, …}`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RemotePairingInfoResult {
    /// Whether the token can still be used.
    pub valid: bool,
    /// Display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Phone (docs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    /// Masked phone (SDK).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub masked_number: Option<String>,
    /// Current state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<NumberState>,
    /// Why it is not valid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// First link.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub primary_link: Option<LinkInfo>,
    /// Second link.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secondary_link: Option<LinkInfo>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Endpoint for RemotePairingInfo {
    type Output = RemotePairingInfoResult;

    fn to_request(&self, config: &Config) -> Result<HttpRequest, Error> {
        Ok(anonymous(config, Method::Get, token_path(&self.token, "")?))
    }

    fn parse(&self, response: &HttpResponse) -> Result<RemotePairingInfoResult, Error> {
        parse_json(response)
    }
}
