//! The one protocol between the worker and a number's session: [`SessionRequest`] (JSON in a
//! POST to the object; [`SessionRequest::Watch`] is the widget's own WebSocket upgrade handed on
//! as it came), [`EventAck`], and [`SessionClient`], the worker's side. Sessions are named
//! `<number>|<link>` (a Meta pairing link's: `<link token>|pairing-link`) and read who they are
//! from their own name ([`Subject`]).

use pilot_connect::connect_token::ConnectClaims;
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
        /// A pairing link's session: when the link expires (Unix seconds), from the token.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        link_exp: Option<u64>,
        /// A pairing link's session: the link's token.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        link_token: Option<String>,
    },
    /// The current status, as `GET /v1/status` answers it.
    Status {
        /// The viewer's token says the number's webhooks reach the edge.
        #[serde(default)]
        webhooks: bool,
        /// This edge's webhook receiver, as the viewer reached the edge.
        #[serde(default)]
        hook_url: Option<String>,
        /// A pairing link's session: when the link expires (Unix seconds), from the token.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        link_exp: Option<u64>,
        /// A pairing link's session: the link's token.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        link_token: Option<String>,
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
        /// The delivery's number id (`data.numberId`): a pairing link's session learns its new
        /// number from it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        number_id: Option<String>,
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
/// On a watch of a pairing link's session: when the link expires (Unix seconds).
pub const LINK_EXP_HEADER: &str = "x-pilot-connect-link-exp";

/// The second half of a pairing link's session name.
pub const PAIRING_LINK: &str = "pairing-link";
/// A ref-named pairing link session's name starts with this.
const REF_PREFIX: &str = "ref:";
/// On a watch of a pairing link's session: the link's token.
pub const LINK_TOKEN_HEADER: &str = "x-pilot-connect-link-token";

/// Whom a session speaks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// One link of a number.
    Number {
        /// The number id.
        number: String,
        /// Which link.
        link: Link,
    },
    /// A Meta pairing link (no number yet): named by its `externalRef` when the token carries
    /// one (so a webhook naming the ref finds it), else by its token.
    PairingLink {
        /// The link's token (empty when read back from a ref-named object's name: the session
        /// keeps it in its state).
        token: String,
        /// The link's `externalRef`, from the token.
        external_ref: Option<String>,
    },
}

impl Subject {
    /// The session a verified token is for.
    #[must_use]
    pub fn of(claims: &ConnectClaims) -> Self {
        match claims.remote_pairing_link() {
            Some(rp) => Self::PairingLink {
                token: rp.token.clone(),
                external_ref: rp.external_ref.clone(),
            },
            None => Self::Number {
                number: claims.sub.clone(),
                link: claims.link.clone().unwrap_or(Link::Primary),
            },
        }
    }

    /// The object's name: `<number>|<link>`, `ref:<externalRef>|pairing-link` or
    /// `<token>|pairing-link` (a link's token holds neither `|` nor `:`, a ref no `|`, and no
    /// number link is called that).
    #[must_use]
    pub fn object_name(&self) -> String {
        match self {
            Self::Number { number, link } => format!("{number}|{}", link.as_str()),
            Self::PairingLink {
                external_ref: Some(r),
                ..
            } => format!("{REF_PREFIX}{r}|{PAIRING_LINK}"),
            Self::PairingLink { token, .. } => format!("{token}|{PAIRING_LINK}"),
        }
    }

    /// The session of the pairing link created with `external_ref`.
    #[must_use]
    pub fn of_external_ref(external_ref: &str) -> Self {
        Self::PairingLink {
            token: String::new(),
            external_ref: Some(external_ref.to_owned()),
        }
    }

    /// Who an object is, from its name.
    #[must_use]
    pub fn parse(name: &str) -> Option<Self> {
        let (first, second) = name.rsplit_once('|')?;
        Some(if second == PAIRING_LINK {
            match first.strip_prefix(REF_PREFIX) {
                Some(r) => Self::of_external_ref(r),
                None => Self::PairingLink {
                    token: first.to_owned(),
                    external_ref: None,
                },
            }
        } else {
            Self::Number {
                number: first.to_owned(),
                link: Link::parse(second),
            }
        })
    }
}

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
        Self::of(
            ns,
            &Subject::Number {
                number: number.to_owned(),
                link: link.clone(),
            },
        )
    }

    /// The session of `subject` in `ns`.
    pub fn of(ns: &ObjectNamespace, subject: &Subject) -> Result<Self> {
        let stub = ns.id_from_name(&subject.object_name())?.get_stub()?;
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
        link: Option<(&str, u64)>,
    ) -> Result<Response> {
        let headers = upgrade.headers().clone();
        headers.set(TOKEN_EXP_HEADER, &exp.to_string())?;
        if let Some((token, link_exp)) = link {
            headers.set(LINK_EXP_HEADER, &link_exp.to_string())?;
            headers.set(LINK_TOKEN_HEADER, token)?;
        }
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
