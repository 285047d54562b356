//! `GET /v1/numbers/{id}/connect[?link=secondary]`: a fresh QR + pairing code.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{authed, decode, number_path, Endpoint};
use crate::config::Config;
use crate::error::{ApiError, Error};
use crate::http::{HttpRequest, HttpResponse, Method};
use crate::model::{Link, LinkCredentials, PairingCode, QrImage};

/// Asks for a fresh QR and pairing code for a number that is not `OPEN`.
#[must_use = "build it with `to_request` or send it with a client"]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connect {
    id: String,
    link: Link,
}

impl Connect {
    /// Connect the primary link of number `id`.
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

/// A QR + pairing code to show.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct PairingCredentials {
    /// The QR image (validated PNG data URL).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qrcode_base64: Option<QrImage>,
    /// The pairing code (`null` when the provider gives none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pairing_code: Option<PairingCode>,
    /// QR + code of the second link, when the server sends it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secondary_link: Option<LinkCredentials>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// What a connect call means for the person holding the phone.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ConnectOutcome {
    /// Show this QR / pairing code.
    Pairing(PairingCredentials),
    /// The documented 409: the number is already `OPEN`; there is nothing to pair.
    AlreadyConnected,
}

/// The connect parse rule, shared with the remote-pairing token connect.
pub(crate) fn parse_connect(response: &HttpResponse) -> Result<ConnectOutcome, Error> {
    match response.status {
        409 => Ok(ConnectOutcome::AlreadyConnected),
        s if (200..300).contains(&s) => decode(response).map(ConnectOutcome::Pairing),
        _ => Err(Error::Api(ApiError::from_response(response))),
    }
}

impl Endpoint for Connect {
    type Output = ConnectOutcome;

    fn to_request(&self, config: &Config) -> Result<HttpRequest, Error> {
        let suffix = super::link_suffix("/connect", &self.link)?;
        authed(config, Method::Get, number_path(&self.id, &suffix)?)
    }

    fn parse(&self, response: &HttpResponse) -> Result<ConnectOutcome, Error> {
        parse_connect(response)
    }
}
