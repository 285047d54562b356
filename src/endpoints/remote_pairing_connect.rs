//! `POST /v1/remote-pairing/{token}/connect` (public, no key): QR + pairing code via a token.

use super::connect::{parse_connect, ConnectOutcome};
use super::{anonymous, token_path, Endpoint};
use crate::config::Config;
use crate::error::Error;
use crate::http::{HttpRequest, HttpResponse, Method};

/// Starts a connection for the token's number (marks it `CONNECTING`). Never retried
/// automatically: it has a side effect.
#[must_use = "build it with `to_request` or send it with a client"]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemotePairingConnect {
    token: String,
}

impl RemotePairingConnect {
    /// For `token`.
    pub fn new(token: impl Into<String>) -> Self {
        Self {
            token: token.into(),
        }
    }
}

impl Endpoint for RemotePairingConnect {
    type Output = ConnectOutcome;

    fn to_request(&self, config: &Config) -> Result<HttpRequest, Error> {
        Ok(anonymous(
            config,
            Method::Post,
            token_path(&self.token, "/connect")?,
        ))
    }

    fn parse(&self, response: &HttpResponse) -> Result<ConnectOutcome, Error> {
        parse_connect(response)
    }
}
