//! `POST /v1/hooks/pilot-status`: Pilot Status webhooks in.
//!
//! The signature is checked over the raw body, against each configured secret, before
//! anything is parsed; then the core parses the delivery ([`webhook::parse_event`]) and gives
//! its dedup key. What happens next depends on what the delivery is, and nothing is ever
//! acknowledged and dropped:
//!
//! - the edge's lifecycle events ([`webhook::EDGE_EVENTS`]) go to the number's sessions, every
//!   link (a webhook does not say which one it is about), and get `204`;
//! - with `FORWARD_WEBHOOK_URL` (edge in front), every verified delivery is first put on the
//!   forward queue for the customer's receiver ([`crate::forward`]), original bytes and
//!   signature; if it cannot be queued the answer is `503` and Pilot Status retries;
//! - without it, a customer's own traffic (`message.*`, `call.*`) cannot be handed on, so it is
//!   refused with `501 no_forward_target` and logged: Pilot Status keeps it, and its webhook
//!   logs say why. Subscribe the edge to [`webhook::EDGE_EVENTS`] only (see the README);
//! - anything else (`number.created`, health events, events of the future) is acknowledged,
//!   as the contract asks.

use pilot_connect::connect_token;
use pilot_connect::public::PublicErrorCode;
use pilot_connect::webhook::{self, WebhookEvent, SIGNATURE_HEADER};
use pilot_connect::Link;
use worker::{console_error, Env, Request, Response};

use crate::forward::{self, ForwardJob};
use crate::reply::Reply;
use crate::session::protocol::Subject;
use crate::session::{EventAck, SessionClient, SessionRequest};
use crate::settings::Settings;
use crate::SESSIONS;

/// Largest delivery accepted (real ones are well under 2 KB).
pub const MAX_BODY: usize = 64 * 1024;

pub async fn receive(mut req: Request, env: &Env, s: &Settings) -> Response {
    let reply = Reply::BARE;
    // Not offered without a secret: a request here could not be trusted anyway.
    if s.webhook_secrets.is_empty() {
        return reply.error(PublicErrorCode::RouteNotFound);
    }
    // Pilot Status is a server; a browser has no business here.
    if req.headers().get("origin").ok().flatten().is_some() {
        return reply.error(PublicErrorCode::OriginNotAllowed);
    }
    let declared = req
        .headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|v| v.trim().parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_BODY) {
        return reply.error(PublicErrorCode::PayloadTooLarge);
    }
    let Ok(body) = req.bytes().await else {
        return reply.error(PublicErrorCode::BadRequest);
    };
    if body.len() > MAX_BODY {
        return reply.error(PublicErrorCode::PayloadTooLarge);
    }
    let signature = req.headers().get(SIGNATURE_HEADER).ok().flatten();
    // The signature first, over the raw bytes: nothing unsigned is even parsed. Any of the
    // secrets may have signed it (one per webhook, or old and new while rotating).
    let signed = s
        .webhook_secrets
        .iter()
        .any(|secret| webhook::verify_signature(secret, &body, signature.as_deref()).is_ok());
    if !signed {
        return reply.error(PublicErrorCode::InvalidSignature);
    }
    let (Ok(event), Ok(text)) = (webhook::parse_event(&body), String::from_utf8(body)) else {
        return reply.error(PublicErrorCode::BadRequest);
    };
    let name = event.name();
    if s.forward_url.is_some() {
        // Edge in front: every verified delivery goes on to the customer, as it came, before
        // Pilot Status is told it arrived.
        let job = ForwardJob {
            body: text,
            signature: signature.unwrap_or_default(),
            dedup_key: event.dedup_key(),
            event: name.as_str().to_owned(),
            received_at: js_sys::Date::now(),
        };
        if let Err(e) = forward::enqueue(env, &job).await {
            console_error!("webhook {} not queued for forwarding: {e}", name.as_str());
            return reply.error(PublicErrorCode::Unavailable);
        }
    } else if name.is_customer_traffic() {
        console_error!(
            "webhook {} refused (no_forward_target): this edge takes lifecycle events only",
            name.as_str()
        );
        return reply.error(PublicErrorCode::NoForwardTarget);
    }
    if let WebhookEvent::Number { event: e, data } = &event {
        if e.is_edge_event() {
            let request = SessionRequest::Event {
                event: e.as_str().to_owned(),
                key: event.dedup_key().unwrap_or_default(),
                at: Some(data.created_at.clone()),
                ambiguous: false,
                number_id: None,
            };
            if let Err(e) = tell_sessions(env, &data.number_id, &request).await {
                // Pilot Status retries a failed delivery: say so rather than lose the event.
                console_error!("webhook forward failed: {e}");
                return reply.error(PublicErrorCode::Unavailable);
            }
            // [I] Where Pilot Status echoes a Meta link's `externalRef` (its number's
            // webhooks), the link's session hears it, with the new number's id.
            let external_ref = data
                .extra
                .get("externalRef")
                .and_then(serde_json::Value::as_str)
                .filter(|r| connect_token::is_external_ref(r));
            if let Some(r) = external_ref {
                let mut to_link = request.clone();
                if let SessionRequest::Event { number_id, .. } = &mut to_link {
                    *number_id = Some(data.number_id.clone());
                }
                if let Err(e) = tell_link(env, r, &to_link).await {
                    console_error!("webhook forward to a pairing link failed: {e}");
                    return reply.error(PublicErrorCode::Unavailable);
                }
            }
        }
    }
    reply.empty(204)
}

/// Tells the session of the pairing link created with `external_ref` what happened.
async fn tell_link(env: &Env, external_ref: &str, request: &SessionRequest) -> worker::Result<()> {
    let ns = env.durable_object(SESSIONS)?;
    let resp = SessionClient::of(&ns, &Subject::of_external_ref(external_ref))?
        .call(request)
        .await?;
    if resp.status_code() != 200 {
        return Err(worker::Error::RustError(format!(
            "the pairing link's session refused the event ({})",
            resp.status_code()
        )));
    }
    Ok(())
}

/// Tells every link's session of the number what happened: the secondary link first, so the
/// primary knows whether the event may be about another link that is pairing too.
async fn tell_sessions(env: &Env, number: &str, request: &SessionRequest) -> worker::Result<()> {
    let ns = env.durable_object(SESSIONS)?;
    let mut other_pairing = false;
    for link in [Link::Secondary, Link::Primary] {
        let mut req = request.clone();
        if let SessionRequest::Event { ambiguous, .. } = &mut req {
            *ambiguous = other_pairing;
        }
        let mut resp = SessionClient::new(&ns, number, &link)?.call(&req).await?;
        if resp.status_code() != 200 {
            return Err(worker::Error::RustError(format!(
                "the {} session refused the event ({})",
                link.as_str(),
                resp.status_code()
            )));
        }
        let ack: EventAck = resp.json().await?;
        other_pairing |= ack.pairing;
    }
    Ok(())
}
