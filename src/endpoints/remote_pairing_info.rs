//! `GET /v1/remote-pairing/{token}` (public, no key): what a pairing link is for.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{anonymous, parse_json, token_path, Endpoint};
use crate::config::Config;
use crate::error::{DecodeError, Error};
use crate::http::{HttpRequest, HttpResponse, Method};
use crate::model::{lenient, Branding, LinkInfo, NumberState};

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
    /// The link's branding snapshot, when it was created with one: read from `branding` or
    /// `brandingOverride` (the documentation uses both names). When an answer carries both,
    /// this is `branding` and `brandingOverride` stays with the unknown fields. A value that is
    /// not an object is left out.
    #[serde(
        default,
        alias = "brandingOverride",
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub branding: Option<Branding>,
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
        let mut body: Value = parse_json(response)?;
        // Both names at once would be a duplicate field for serde's alias: read `branding`,
        // keep `brandingOverride` as received in `extra`.
        let second = body.as_object_mut().and_then(|map| {
            if map.contains_key("branding") {
                map.remove("brandingOverride")
            } else {
                None
            }
        });
        let mut info: RemotePairingInfoResult =
            serde_path_to_error::deserialize(body).map_err(|e| {
                let path = e.path().to_string();
                Error::Decode(DecodeError::from_json(
                    response.status,
                    &path,
                    &e.into_inner(),
                ))
            })?;
        if let Some(v) = second {
            info.extra.insert("brandingOverride".into(), v);
        }
        Ok(info)
    }
}
