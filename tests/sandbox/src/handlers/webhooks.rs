//! `/v1/webhooks`, managed with the number's key or the tenant key (which names the number with
//! `whatsappNumberId` or `x-whatsapp-number-id`; a number key always acts on its own number and
//! the header is ignored for it). One webhook per number, or several with
//! `--webhooks-per-number many`. Deliveries are signed with `--webhook-secret`, or with each
//! webhook's own secret under `--webhook-secrets per-webhook`: the "dashboard" secret the API
//! never returns (`GET /_sandbox/webhooks/{id}/secret` reads it).

use super::*;
use crate::webhooks::Registered;

/// Longest accepted `name`, in characters.
const NAME_MAX: usize = 100;

fn webhook_not_found() -> Response {
    error(
        StatusCode::NOT_FOUND,
        "Webhook not found",
        Some("WEBHOOK_NOT_FOUND"),
    )
}

fn visible(c: &Caller, hook: &Registered) -> bool {
    match &c.scope {
        Scope::Tenant => true,
        Scope::Number(Some(id)) => *id == hook.whatsapp_number_id,
        Scope::Number(None) => false,
    }
}

/// The number a create/list call is about. A tenant key names it in the body
/// (`whatsappNumberId`, which wins) or the `x-whatsapp-number-id` header. A number key always
/// acts on its own number: the header is ignored (as in the SDK), a body naming another number
/// is refused with `NUMBER_MISMATCH`. A number key bound to no number sees no number (`None`).
fn number_of(
    c: &Caller,
    body: Option<&Value>,
    headers: &HeaderMap,
) -> Result<Option<String>, Response> {
    let named = match body {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Some(_) => return Err(invalid("whatsappNumberId: must be a non-empty string")),
    };
    match &c.scope {
        Scope::Tenant => Ok(named.or_else(|| {
            headers
                .get("x-whatsapp-number-id")
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        })),
        Scope::Number(Some(own)) => match named {
            Some(n) if n != *own => Err(error(
                StatusCode::BAD_REQUEST,
                "whatsappNumberId does not match the key's number",
                Some("NUMBER_MISMATCH"),
            )),
            _ => Ok(Some(own.clone())),
        },
        Scope::Number(None) => Ok(None),
    }
}

fn events_of(v: &Value) -> Result<Vec<String>, Response> {
    v.as_array()
        .and_then(|a| a.iter().map(|e| e.as_str().map(str::to_owned)).collect())
        .ok_or_else(|| invalid("events: must be an array of event names"))
}

fn url_of(v: &Value) -> Result<String, Response> {
    v.as_str()
        .and_then(|u| pilot_connect::validate::http_url("url", u).ok())
        .ok_or_else(|| invalid("url: must be an absolute http(s) URL"))
}

fn active_of(v: &Value) -> Result<bool, Response> {
    v.as_bool()
        .ok_or_else(|| invalid("active: must be a boolean"))
}

/// `name`: `null` (none) or a non-empty string of at most [`NAME_MAX`] characters (trimmed).
fn name_of(v: &Value) -> Result<Option<String>, Response> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) if s.trim().is_empty() => Err(invalid("name: must not be empty")),
        Value::String(s) if s.trim().chars().count() > NAME_MAX => Err(invalid(&format!(
            "name: must be at most {NAME_MAX} characters"
        ))),
        Value::String(s) => Ok(Some(s.trim().to_owned())),
        _ => Err(invalid("name: must be a string")),
    }
}

pub(super) async fn list(AxState(app): AxState<Shared>, headers: HeaderMap) -> Reply {
    let (_st, _now, c) = authenticate(&app, &headers)?;
    let only = number_of(&c, None, &headers)?;
    let hooks: Vec<Registered> = app
        .hooks
        .registered()
        .into_iter()
        .filter(|h| visible(&c, h) && only.as_ref().is_none_or(|n| *n == h.whatsapp_number_id))
        .collect();
    Ok(json_response(StatusCode::OK, &json!(hooks)))
}

pub(super) async fn create(
    AxState(app): AxState<Shared>,
    headers: HeaderMap,
    body: Bytes,
) -> Reply {
    let (mut st, _now, c) = authenticate(&app, &headers)?;
    let b = object(&body)?;
    let number = match (
        number_of(&c, b.get("whatsappNumberId"), &headers)?,
        &c.scope,
    ) {
        (Some(n), _) => n,
        // A number key bound to no number sees no number to attach a webhook to.
        (None, Scope::Number(_)) => {
            return Err(error(
                StatusCode::FORBIDDEN,
                "This number-scoped key is bound to no number; use the tenant key",
                Some("NUMBER_SCOPE_NOT_ALLOWED"),
            ));
        }
        (None, Scope::Tenant) => {
            return Err(error(
                StatusCode::BAD_REQUEST,
                "whatsappNumberId is required with a tenant key",
                Some("NUMBER_REQUIRED"),
            ));
        }
    };
    if st.numbers.get(&number).is_none_or(|n| n.deleted.is_some()) {
        return Err(not_found_number());
    }
    let Some(url) = b.get("url").map(url_of).transpose()? else {
        return Err(invalid("url: required"));
    };
    // Omitted or empty: accepted, and dispatches nothing (as documented).
    let events = b
        .get("events")
        .map(events_of)
        .transpose()?
        .unwrap_or_default();
    let active = b.get("active").map(active_of).transpose()?.unwrap_or(true);
    let name = b.get("name").map(name_of).transpose()?.flatten();
    let now = app.clock.iso_now();
    let id = st.next_id("wh_");
    let secret = app
        .secret_for(&id)
        .map_err(|e| error(StatusCode::INTERNAL_SERVER_ERROR, &e, None))?;
    let hook = Registered {
        id,
        name,
        url,
        events,
        active,
        whatsapp_number_id: number,
        created_at: now.clone(),
        updated_at: now,
        secret,
    };
    drop(st);
    Ok(match app.hooks.register(hook) {
        Ok(h) => json_response(StatusCode::CREATED, &json!(h)),
        Err(existing) => json_response(
            StatusCode::CONFLICT,
            &json!({
                "error": "This number already has a webhook",
                "code": "WEBHOOK_ALREADY_EXISTS",
                "webhookId": existing,
            }),
        ),
    })
}

fn find(app: &App, c: &Caller, id: &str) -> Result<Registered, Response> {
    app.hooks
        .registered()
        .into_iter()
        .find(|h| h.id == id && visible(c, h))
        .ok_or_else(webhook_not_found)
}

pub(super) async fn get_one(
    AxState(app): AxState<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Reply {
    let (_st, _now, c) = authenticate(&app, &headers)?;
    let hook = find(&app, &c, &id)?;
    Ok(json_response(StatusCode::OK, &json!(hook)))
}

pub(super) async fn update(
    AxState(app): AxState<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Reply {
    let (_st, _now, c) = authenticate(&app, &headers)?;
    find(&app, &c, &id)?;
    let b = object(&body)?;
    if b.contains_key("whatsappNumberId") {
        return Err(invalid(
            "whatsappNumberId: the number of a webhook cannot change",
        ));
    }
    let url = b.get("url").map(url_of).transpose()?;
    let events = b.get("events").map(events_of).transpose()?;
    let active = b.get("active").map(active_of).transpose()?;
    // `Some(None)`: `"name": null` clears it.
    let name = b.get("name").map(name_of).transpose()?;
    if url.is_none() && events.is_none() && active.is_none() && name.is_none() {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "Nothing to update",
            Some("EMPTY_PATCH"),
        ));
    }
    let now = app.clock.iso_now();
    let updated = app.hooks.update_registered(&id, |h| {
        if let Some(u) = url {
            h.url = u;
        }
        if let Some(e) = events {
            h.events = e; // replaces the whole list
        }
        if let Some(a) = active {
            h.active = a;
        }
        if let Some(n) = name {
            h.name = n;
        }
        h.updated_at = now;
    });
    Ok(match updated {
        Some(h) => json_response(StatusCode::OK, &json!(h)),
        None => return Err(webhook_not_found()),
    })
}

pub(super) async fn delete(
    AxState(app): AxState<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Reply {
    let (_st, _now, c) = authenticate(&app, &headers)?;
    find(&app, &c, &id)?;
    if app.hooks.unregister(&id) {
        Ok(json_response(StatusCode::OK, &json!({ "ok": true })))
    } else {
        Err(webhook_not_found())
    }
}

#[derive(Deserialize)]
pub(super) struct LogQuery {
    limit: Option<String>,
    event: Option<String>,
}

pub(super) async fn logs(
    AxState(app): AxState<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<LogQuery>,
) -> Reply {
    let (_st, _now, c) = authenticate(&app, &headers)?;
    find(&app, &c, &id)?;
    let limit = match q.limit.as_deref().map(str::parse::<usize>) {
        None => 20,
        Some(Ok(n)) if (1..=50).contains(&n) => n,
        Some(_) => return Err(invalid("limit: must be between 1 and 50")),
    };
    let entries: Vec<Value> = app
        .hooks
        .log()
        .into_iter()
        .rev()
        .filter(|d| d.webhook_id.as_deref() == Some(id.as_str()))
        .filter(|d| q.event.as_ref().is_none_or(|e| *e == d.event))
        .take(limit)
        .map(|d| {
            let last = d.attempts.last();
            json!({
                "id": format!("log_{}", d.id),
                "event": d.event,
                "statusCode": last.and_then(|t| t.status),
                "success": d.status == "delivered",
                "error": last.and_then(|t| t.error.clone()),
                "attempts": d.attempts.len(),
                "createdAt": d.attempts.first().map(|t| t.at.clone()),
            })
        })
        .collect();
    Ok(json_response(StatusCode::OK, &json!(entries)))
}
