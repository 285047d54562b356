//! `GET /v1/remote-pairing/{token}/status` (public, no key): poll until `OPEN`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::status::link_connected;
use super::{anonymous, parse_json, token_path, Endpoint};
use crate::config::Config;
use crate::error::Error;
use crate::http::{HttpRequest, HttpResponse, Method};
use crate::model::{ready, LinkInfo, NumberState};

/// Polls the state of a pairing token's number. The token is cleared once connected, so a
/// `404` right after an `OPEN` means success.
#[must_use = "build it with `to_request` or send it with a client"]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemotePairingStatus {
    token: String,
}

impl RemotePairingStatus {
    /// For `token`.
    pub fn new(token: impl Into<String>) -> Self {
        Self {
            token: token.into(),
        }
    }
}

/// `{state, isFullyConnected, primaryLink?, secondaryLink?}`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RemotePairingStatusResult {
    /// Connection state.
    pub state: NumberState,
    /// Ready to send: the raw upstream field. To decide, use the link rule (`ready` in the npm
    /// package).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_fully_connected: Option<bool>,
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

impl RemotePairingStatusResult {
    /// Ready to send: `isFullyConnected` when present, else `state == OPEN`.
    #[must_use]
    pub fn is_ready(&self) -> bool {
        ready(self.is_fully_connected, Some(&self.state))
    }

    /// Whether the link this token pairs is linked: the rule of
    /// [`NumberStatus::is_link_connected`](super::NumberStatus::is_link_connected) (on a dual
    /// number its own `state`, since `isFullyConnected` speaks for both links).
    #[must_use]
    pub fn is_link_connected(&self) -> bool {
        link_connected(
            self.is_fully_connected,
            &self.state,
            self.secondary_link.is_some(),
        )
    }
}

impl Endpoint for RemotePairingStatus {
    type Output = RemotePairingStatusResult;

    fn to_request(&self, config: &Config) -> Result<HttpRequest, Error> {
        Ok(anonymous(
            config,
            Method::Get,
            token_path(&self.token, "/status")?,
        ))
    }

    fn parse(&self, response: &HttpResponse) -> Result<RemotePairingStatusResult, Error> {
        parse_json(response)
    }
}
