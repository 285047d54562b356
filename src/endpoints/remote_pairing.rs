//! `POST /v1/numbers/remote-pairing`: a hosted pairing link for the end customer.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::update_branding::checked_snapshot;
use super::{authed, json_body, parse_json, Endpoint};
use crate::config::Config;
use crate::error::{DecodeError, Error};
use crate::http::{HttpRequest, HttpResponse, Method};
use crate::model::{Branding, NumberInstance, Provider};
use crate::validate;

/// Which kind of link to create.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RemotePairingProvider {
    /// A QR-paired number: `name` and `number` are required.
    PilotStatus {
        /// Display name.
        name: String,
        /// E.164 phone.
        number: String,
        /// Send the link over WhatsApp (template `pilot_status_remote_pairing`).
        send_via_whatsapp: Option<bool>,
    },
    /// Hosted Meta Embedded Signup (or credentials) flow.
    Meta {
        /// `embedded` or `credentials`.
        meta_flow: Option<String>,
        /// Where to send the person afterwards.
        redirect_url: Option<String>,
        /// Your correlation reference.
        external_ref: Option<String>,
    },
}

/// Creates a remote-pairing link (24 h, single use).
#[must_use = "build it with `to_request` or send it with a client"]
#[derive(Debug, Clone, PartialEq)]
pub struct CreateRemotePairing {
    provider: RemotePairingProvider,
    link_to_api_key: Option<bool>,
    branding: Option<Branding>,
}

impl CreateRemotePairing {
    /// A link that pairs a new QR number.
    pub fn pilot_status(name: impl Into<String>, number: impl Into<String>) -> Self {
        Self {
            provider: RemotePairingProvider::PilotStatus {
                name: name.into(),
                number: number.into(),
                send_via_whatsapp: None,
            },
            link_to_api_key: None,
            branding: None,
        }
    }

    /// A hosted Meta onboarding link.
    pub fn meta() -> Self {
        Self {
            provider: RemotePairingProvider::Meta {
                meta_flow: None,
                redirect_url: None,
                external_ref: None,
            },
            link_to_api_key: None,
            branding: None,
        }
    }

    /// With a number key, re-point it to the new number (default `true`).
    pub fn link_to_api_key(mut self, link: bool) -> Self {
        self.link_to_api_key = Some(link);
        self
    }

    /// Per-link branding snapshot, kept with the link: the hosted page shows it over the
    /// tenant's branding (`GET /v1/branding`). Its fields are checked like
    /// [`UpdateBranding`](super::UpdateBranding)'s before sending (https URLs, `#RRGGBB`
    /// colours, lengths); fields left `None` are not sent, and `extra` travels as it is. It is
    /// sent under both names the documentation uses, `branding` and `brandingOverride`.
    pub fn branding(mut self, branding: Branding) -> Self {
        self.branding = Some(branding);
        self
    }

    /// PILOT_STATUS: also send the link to the phone over WhatsApp.
    pub fn send_via_whatsapp(mut self, send: bool) -> Self {
        if let RemotePairingProvider::PilotStatus {
            send_via_whatsapp, ..
        } = &mut self.provider
        {
            *send_via_whatsapp = Some(send);
        }
        self
    }

    /// META: `embedded` or `credentials`.
    pub fn meta_flow(mut self, flow: impl Into<String>) -> Self {
        if let RemotePairingProvider::Meta { meta_flow, .. } = &mut self.provider {
            *meta_flow = Some(flow.into());
        }
        self
    }

    /// META: redirect after completion.
    pub fn redirect_url(mut self, url: impl Into<String>) -> Self {
        if let RemotePairingProvider::Meta { redirect_url, .. } = &mut self.provider {
            *redirect_url = Some(url.into());
        }
        self
    }

    /// META: your correlation reference.
    pub fn external_ref(mut self, r: impl Into<String>) -> Self {
        if let RemotePairingProvider::Meta { external_ref, .. } = &mut self.provider {
            *external_ref = Some(r.into());
        }
        self
    }
}

#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
struct Body<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    provider: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    link_to_api_key: Option<bool>,
    #[serde(rename = "sendViaWhatsApp", skip_serializing_if = "Option::is_none")]
    send_via_whatsapp: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    meta_flow: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    redirect_url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    external_ref: Option<&'a str>,
    // The remote-pairing guide names the snapshot `branding`, the embed-connect guide
    // `brandingOverride` (contract §11 item 7): no source says which one the server reads, so
    // the same snapshot goes under both. A server that knows one ignores the other.
    #[serde(skip_serializing_if = "Option::is_none")]
    branding: Option<&'a Branding>,
    #[serde(skip_serializing_if = "Option::is_none")]
    branding_override: Option<&'a Branding>,
}

/// Any of the documented answers (OpenAPI, guide, SDK). For a PILOT_STATUS link the number id
/// is always there (checked by [`CreateRemotePairing`]'s parse, a decode error at `numberId`
/// otherwise): the number is created with the link (in `CLOSE`), and every documented shape
/// carries its id, as `numberId` (OpenAPI) or `instance.id` (guide, SDK). For a META link it
/// may be absent: the person picks the number in Meta's signup dialog after the link is made.
/// Everything else is optional.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RemotePairingLink {
    /// Provider of the link.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<Provider>,
    /// The token (`rp_…` or a UUID).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remote_pairing_token: Option<String>,
    /// The link to give the end customer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remote_pairing_url: Option<String>,
    /// Id of the number being paired (OpenAPI); see [`number_id`](Self::number_id).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number_id: Option<String>,
    /// The number being paired (starts `CLOSE`); when present, its `id` is required. The SDK's
    /// `RemotePairingResult` is `total=False` and the OpenAPI shape has no `instance`, so the
    /// object itself is optional.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<NumberInstance>,
    /// e.g. `+551199****9999`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub masked_number: Option<String>,
    /// Whether the WhatsApp message went out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_sent: Option<bool>,
    /// Why it did not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_error: Option<String>,
    /// The key linked to the number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub linked_api_key_id: Option<String>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl RemotePairingLink {
    /// The token: `remotePairingToken`, else the last path segment of `remotePairingUrl`.
    #[must_use]
    pub fn token(&self) -> Option<&str> {
        self.remote_pairing_token.as_deref().or_else(|| {
            let url = self.remote_pairing_url.as_deref()?;
            let path = url.split(['?', '#']).next()?;
            path.trim_end_matches('/')
                .rsplit('/')
                .next()
                .filter(|s| !s.is_empty() && !s.contains(':'))
        })
    }

    /// The number id: `numberId`, else `instance.id`. Always `Some` for a PILOT_STATUS link
    /// parsed by [`CreateRemotePairing`]; `None` only for a META link.
    #[must_use]
    pub fn number_id(&self) -> Option<&str> {
        self.number_id
            .as_deref()
            .or_else(|| self.instance.as_ref().map(|i| i.id.as_str()))
    }
}

impl Endpoint for CreateRemotePairing {
    type Output = RemotePairingLink;

    fn to_request(&self, config: &Config) -> Result<HttpRequest, Error> {
        let branding = self.branding.as_ref().map(checked_snapshot).transpose()?;
        let mut body = Body {
            link_to_api_key: self.link_to_api_key,
            branding: branding.as_ref(),
            branding_override: branding.as_ref(),
            ..Body::default()
        };
        match &self.provider {
            RemotePairingProvider::PilotStatus {
                name,
                number,
                send_via_whatsapp,
            } => {
                body.name = Some(validate::text("name", name)?);
                body.number = Some(validate::e164("number", number)?);
                body.send_via_whatsapp = *send_via_whatsapp;
            }
            RemotePairingProvider::Meta {
                meta_flow,
                redirect_url,
                external_ref,
            } => {
                body.provider = Some("META");
                body.meta_flow = meta_flow.as_deref();
                body.redirect_url = redirect_url.as_deref();
                body.external_ref = external_ref.as_deref();
            }
        }
        let mut req = authed(config, Method::Post, "/v1/numbers/remote-pairing".into())?;
        json_body(&mut req, &body)?;
        Ok(req)
    }

    fn parse(&self, response: &HttpResponse) -> Result<RemotePairingLink, Error> {
        let link: RemotePairingLink = parse_json(response)?;
        if matches!(self.provider, RemotePairingProvider::PilotStatus { .. })
            && link.number_id().is_none()
        {
            return Err(Error::Decode(DecodeError::missing(
                response.status,
                "numberId",
                "a PILOT_STATUS link answer has neither `numberId` nor `instance.id`",
            )));
        }
        Ok(link)
    }
}
