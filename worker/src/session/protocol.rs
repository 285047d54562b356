//! The one protocol between the worker and a number's session: [`SessionRequest`] (JSON in a
//! POST to the object; [`SessionRequest::Watch`] is the widget's own WebSocket upgrade handed on
//! as it came), [`EventAck`], and [`SessionClient`], the worker's side. Sessions are named
//! `<number>|<link>` and read who they are from their own name.

use pilot_connect::Link;
use serde::{Deserialize, Serialize};
use worker::{Method, ObjectNamespace, Request, RequestInit, Response, Result, Stub};

/// What the worker asks of a number's session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum SessionRequest {
    /// The current QR, as `GET /v1/qr` answers it.
    Qr {
        /// The viewer's token says the number's webhooks reach the edge.
        #[serde(default)]
        webhooks: bool,
        /// This edge's webhook receiver, as the viewer reached the edge.
        #[serde(default)]
        hook_url: Option<String>,
    },
    /// The current status, as `GET /v1/status` answers it.
    Status {
        /// The viewer's token says the number's webhooks reach the edge.
        #[serde(default)]
        webhooks: bool,
        /// This edge's webhook receiver, as the viewer reached the edge.
        #[serde(default)]
        hook_url: Option<String>,
    },
    /// A widget's push stream (an upgrade the worker authorised for this number).
    Watch,
    /// A verified lifecycle webhook about this number.
    Event {
        /// The event name.
        event: String,
        /// The core's dedup key of the delivery.
        key: String,
        /// `data.createdAt`, when the delivery has it.
        at: Option<String>,
        /// Another link of the number is pairing too, so the event may be about either: the
        /// link reads its own status instead of taking the event as its own.
        #[serde(default)]
        ambiguous: bool,
    },
}

/// On a watch (an upgrade handed on as it came): `1` when the viewer's token says the number's
/// webhooks reach the edge.
pub const WEBHOOKS_HEADER: &str = "x-pilot-connect-webhooks";
/// On a watch: this edge's webhook receiver, as the viewer reached the edge.
pub const HOOK_URL_HEADER: &str = "x-pilot-connect-hook-url";
/// On a watch: the viewer's token's `exp` (Unix seconds): the socket lives no longer.
pub const TOKEN_EXP_HEADER: &str = "x-pilot-connect-token-exp";
/// On a watch: the audience the viewer's token was verified against (its renewals are too).
pub const AUDIENCE_HEADER: &str = "x-pilot-connect-audience";

/// A session's answer to [`SessionRequest::Event`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventAck {
    /// This link is being paired here (watched, or a QR is out).
    #[serde(default)]
    pub pairing: bool,
}

/// The worker's side of the protocol: the session of one number and link.
pub struct SessionClient {
    stub: Stub,
}

impl SessionClient {
    /// The session of `number`'s `link` in `ns`.
    pub fn new(ns: &ObjectNamespace, number: &str, link: &Link) -> Result<Self> {
        let stub = ns.id_from_name(&object_name(number, link))?.get_stub()?;
        Ok(Self { stub })
    }

    /// Sends a request; the answer is the session's, in the public wire format.
    pub async fn call(&self, request: &SessionRequest) -> Result<Response> {
        crate::object::call(&self.stub, request).await
    }

    /// Hands a widget's WebSocket upgrade to the session; `webhooks`: the viewer's token says
    /// the number's webhooks reach the edge; `exp` and `audience`: its token's expiry and the
    /// audience it was verified against (the socket's lease).
    pub async fn watch(
        &self,
        upgrade: &Request,
        webhooks: bool,
        hook_url: Option<&str>,
        exp: u64,
        audience: &str,
    ) -> Result<Response> {
        let headers = upgrade.headers().clone();
        headers.set(TOKEN_EXP_HEADER, &exp.to_string())?;
        headers.set(AUDIENCE_HEADER, audience)?;
        if webhooks {
            headers.set(WEBHOOKS_HEADER, "1")?;
        }
        if let Some(url) = hook_url {
            headers.set(HOOK_URL_HEADER, url)?;
        }
        let init = RequestInit {
            method: Method::Get,
            headers,
            ..RequestInit::default()
        };
        self.stub
            .fetch_with_request(Request::new_with_init("https://session/", &init)?)
            .await
    }
}

/// Objects are named `<number>|<link>`: the object reads who it is from its own name.
pub fn object_name(number: &str, link: &Link) -> String {
    format!("{number}|{}", link.as_str())
}

/// The number and link of a session's name.
pub fn parse_object_name(name: &str) -> Option<(String, Link)> {
    let (number, link) = name.rsplit_once('|')?;
    Some((number.to_owned(), Link::parse(link)))
}
