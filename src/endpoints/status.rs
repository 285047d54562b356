//! `GET /v1/numbers/{id}/status[?link=secondary]`: a live connection check.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{authed, number_path, parse_json, Endpoint};
use crate::config::Config;
use crate::error::Error;
use crate::http::{HttpRequest, HttpResponse, Method};
use crate::model::{ready, Link, LinkInfo, NumberState};

/// Reads the live state of a number.
#[must_use = "build it with `to_request` or send it with a client"]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetStatus {
    id: String,
    link: Link,
}

impl GetStatus {
    /// Status of the primary link of number `id`.
    pub fn new(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            link: Link::Primary,
        }
    }

    /// Which link; `Secondary` adds `?link=secondary`.
    pub fn link(mut self, link: Link) -> Self {
        self.link = link;
        self
    }
}

/// Any of the three documented status shapes: `{id,state}`, `{state,isFullyConnected}` and
/// `{id,state,stale,checkedAt|lastKnownAt}`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NumberStatus {
    /// Number id (absent in one documented shape, `{state, isFullyConnected}`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Connection state.
    pub state: NumberState,
    /// Ready to send (absent in two shapes): the raw upstream field, which on a dual number
    /// speaks for both links. To decide, use the link rule ([`NumberStatus::is_link_connected`];
    /// `ready` in the npm package).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_fully_connected: Option<bool>,
    /// `true`: the provider did not answer and `state` is the last one remembered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stale: Option<bool>,
    /// When a live reading was taken.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checked_at: Option<String>,
    /// When the remembered state was last seen live.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_known_at: Option<String>,
    /// First link (the SDK's shape).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_link: Option<LinkInfo>,
    /// Second link: present only for a dual number (`null` otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secondary_link: Option<LinkInfo>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl NumberStatus {
    /// Ready to send: `isFullyConnected` when present, else `state == OPEN`.
    #[must_use]
    pub fn is_ready(&self) -> bool {
        ready(self.is_fully_connected, Some(&self.state))
    }

    /// Whether the number has a second link.
    #[must_use]
    pub fn is_dual(&self) -> bool {
        self.secondary_link.is_some()
    }

    /// Whether the link asked about is linked. For a dual number that is `state` (the state of
    /// the link the call named): `isFullyConnected` speaks for both links, so a link that is
    /// `OPEN` while the other still pairs is connected as far as its own pairing goes. For a
    /// single link, [`is_ready`](Self::is_ready).
    #[must_use]
    pub fn is_link_connected(&self) -> bool {
        link_connected(self.is_fully_connected, &self.state, self.is_dual())
    }
}

/// The one "is this link connected?" rule (status and remote-pairing status): on a dual number
/// the link's own `state`; on a single link `isFullyConnected` when present, else `state == OPEN`.
pub(crate) fn link_connected(fully: Option<bool>, state: &NumberState, dual: bool) -> bool {
    if dual {
        *state == NumberState::Open
    } else {
        ready(fully, Some(state))
    }
}

impl Endpoint for GetStatus {
    type Output = NumberStatus;

    fn to_request(&self, config: &Config) -> Result<HttpRequest, Error> {
        let suffix = super::link_suffix("/status", &self.link)?;
        authed(config, Method::Get, number_path(&self.id, &suffix)?)
    }

    fn parse(&self, response: &HttpResponse) -> Result<NumberStatus, Error> {
        parse_json(response)
    }
}
