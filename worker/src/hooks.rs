//! `POST /v1/hooks/pilot-status`: Pilot Status webhooks in. The signature is checked over the
//! raw body with the core's constant-time check before anything is parsed; `number.*` lifecycle
//! events go to the number's session object (which de-duplicates retried deliveries); anything
//! else is acknowledged and ignored. The answer is fast and never echoes the body.

use pilot_connect::public::PublicErrorCode;
use pilot_connect::webhook::{self, EventName, SIGNATURE_HEADER};
use serde::Deserialize;
use worker::{console_error, Env, Request, Response};

use crate::settings::Settings;
use crate::{Reply, SESSIONS};

/// Largest delivery accepted (real ones are well under 2 KB).
pub const MAX_BODY: usize = 64 * 1024;

/// The part of a delivery the worker acts on. The full typed parse is the core's
/// `webhook::parse_event`; the worker needs three fields, and every byte of bundle counts.
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow)]
    event: &'a str,
    #[serde(default, borrow)]
    data: Option<Data<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Data<'a> {
    #[serde(borrow)]
    number_id: Option<&'a str>,
    #[serde(borrow)]
    created_at: Option<&'a str>,
}

fn lifecycle(e: &EventName) -> bool {
    matches!(
        e,
        EventName::NumberConnected
            | EventName::NumberDisconnected
            | EventName::NumberRemoved
            | EventName::NumberRestored
    )
}

pub async fn receive(mut req: Request, env: &Env, s: &Settings, reply: &Reply) -> Response {
    // Not offered without a secret: a request here could not be trusted anyway.
    let Some(secret) = &s.webhook_secret else {
        return reply.error(PublicErrorCode::RouteNotFound);
    };
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
    // The signature first, over the raw bytes: nothing unsigned is even parsed.
    if webhook::verify_signature(secret, &body, signature.as_deref()).is_err() {
        return reply.error(PublicErrorCode::InvalidSignature);
    }
    let Ok(env_) = serde_json::from_slice::<Envelope<'_>>(&body) else {
        return reply.error(PublicErrorCode::BadRequest);
    };
    let name = EventName::parse(env_.event);
    if let (
        true,
        Some(Data {
            number_id: Some(id),
            created_at: Some(at),
        }),
    ) = (lifecycle(&name), env_.data)
    {
        // The core's de-duplication key: `event|numberId|createdAt`.
        let mut key = String::with_capacity(env_.event.len() + id.len() + at.len() + 2);
        key.push_str(env_.event);
        key.push('|');
        key.push_str(id);
        key.push('|');
        key.push_str(at);
        if let Err(e) = forward(env, id, env_.event, &key).await {
            // Pilot Status retries a failed delivery: say so rather than lose the event.
            console_error!("webhook forward failed: {e}");
            return reply.error(PublicErrorCode::Unavailable);
        }
    }
    Response::empty()
        .map(|r| reply.decorate(r.with_status(204)))
        .unwrap_or_else(|_| reply.error(PublicErrorCode::Unavailable))
}

/// Tells the number's session (its primary link: webhooks carry no link) what happened.
async fn forward(env: &Env, number_id: &str, event: &str, key: &str) -> worker::Result<()> {
    // Without the binding the worker polls; the event is acknowledged and needs no forwarding.
    let Ok(ns) = env.durable_object(SESSIONS) else {
        return Ok(());
    };
    let stub = crate::session_stub(&ns, number_id, &pilot_connect::Link::Primary)?;
    let init = worker::RequestInit {
        method: worker::Method::Post,
        body: Some(
            serde_json::json!({ "event": event, "key": key })
                .to_string()
                .into(),
        ),
        ..worker::RequestInit::default()
    };
    let req = Request::new_with_init("https://session/event", &init)?;
    let resp = stub.fetch_with_request(req).await?;
    if resp.status_code() == 200 {
        Ok(())
    } else {
        Err(worker::Error::RustError("session refused the event".into()))
    }
}
