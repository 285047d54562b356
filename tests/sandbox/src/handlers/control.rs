//! The control API under `/_sandbox` (no key): state, the phone, faults, webhooks, counters.

use super::*;
use crate::state::LinkRec;

// ---------- control API ----------

pub(super) async fn control_index(AxState(app): AxState<Shared>) -> Response {
    json_response(StatusCode::OK, &index(&app))
}

/// The control index, from the route table. (A plain function: the async handler above must
/// not name `ROUTES`, whose entries name it.)
fn index(app: &App) -> Value {
    json!({
            "sandbox": "pilot-sandbox",
            "timeScale": app.clock.scale(),
            // From the one route table.
            "routes": ROUTES
                .iter()
                .filter(|r| r.path.starts_with("/_sandbox"))
                .map(|r| (format!("{} {}", r.method, r.path), r.doc))
                .collect::<std::collections::BTreeMap<_, _>>(),
            "api": ROUTES
                .iter()
                .filter(|r| !r.name.is_empty())
                .map(|r| (format!("{} {}", r.method, r.path), r.name))
                .collect::<std::collections::BTreeMap<_, _>>(),
            // Pages a person opens (Pilot's hosted page), neither API nor control.
            "pages": ROUTES
                .iter()
                .filter(|r| !r.path.starts_with("/_sandbox") && !r.path.starts_with("/v1"))
                .map(|r| (format!("{} {}", r.method, r.path), r.doc))
                .collect::<std::collections::BTreeMap<_, _>>(),
            "faultRoutes": route_names(),
            "faultKinds": ["latency", "status", "rate_limit", "malformed", "drop"],
    })
}

pub(super) async fn health(AxState(app): AxState<Shared>) -> Response {
    json_response(
        StatusCode::OK,
        &json!({ "ok": true, "timeScale": app.clock.scale() }),
    )
}

/// What the control API shows of one link: state, connection time, attempts and the
/// running attempt (current ref, pairing code, lifetimes).
fn link_view(link: &LinkRec, state: Conn, app: &App, now: f64) -> Value {
    let pairing = link.attempt.as_ref().and_then(|a| {
        let (idx, left) = a.current(now)?;
        Some(json!({
            "attempt": a.number,
            "refIndex": idx,
            "refsTotal": a.refs.len(),
            "ref": a.refs[idx],
            "refExpiresInMs": (app.clock.real(left).as_millis()),
            "attemptEndsInMs": (app.clock.real(a.ends_in(now)).as_millis()),
            "pairingCode": a.pairing_code,
        }))
    });
    json!({
        "state": state.as_str(),
        "connectedAt": link.open_since.map(|t| app.clock.iso_at(t)),
        "attempts": link.attempts,
        "pairing": pairing,
    })
}

/// `GET /_sandbox/numbers/{id}`. The top-level `state`, `connectedAt`, `attempts` and
/// `pairing` are the primary link's (as before dual numbers existed); `primaryLink` and
/// `secondaryLink` (`null` unless dual) show each link the same way.
pub(super) async fn control_number(AxState(app): AxState<Shared>, Path(id): Path<String>) -> Reply {
    let mut st = lock(&app.state);
    let now = app.clock.now();
    app.purge_expired(&mut st, now);
    let n = st.numbers.get_mut(&id).ok_or_else(not_found_number)?;
    let state = n.settle(now);
    let secondary_state = n.settle_link(LinkId::Secondary, now);
    let fully = n.fully_connected(now);
    let primary = link_view(&n.primary, state, &app, now);
    let secondary = match (&n.secondary, secondary_state) {
        (Some(l), Some(s)) => link_view(l, s, &app, now),
        _ => Value::Null,
    };
    Ok(json_response(
        StatusCode::OK,
        &json!({
            "id": n.id,
            "number": n.phone,
            "name": n.name,
            "provider": n.provider(),
            "state": state.as_str(),
            "isFullyConnected": fully,
            "dual": n.is_dual(),
            "deleted": n.deleted.is_some(),
            "restorableUntil": n.deleted.map(|d| app.clock.iso_at(d + RESTORE_WINDOW_SECS)),
            "connectedAt": primary["connectedAt"],
            "attempts": primary["attempts"],
            "pairing": primary["pairing"],
            "primaryLink": primary,
            "secondaryLink": secondary,
            "apiKey": n.key,
            "apiKeyId": n.key_id,
            "metaVerifyToken": n.meta.as_ref().map(|m| m.verify_token.clone()),
            "metaAppId": n.meta.as_ref().map(|m| m.app_id.clone()),
            "metaStatus": n.meta_status(),
        }),
    ))
}

#[derive(Deserialize, Default)]
struct ScanBody {
    #[serde(rename = "ref")]
    qr_ref: Option<String>,
    code: Option<String>,
    #[serde(rename = "profileName")]
    profile_name: Option<String>,
    /// `primary` (default) or `secondary`.
    link: Option<String>,
}

fn scan_body(body: &Bytes) -> Result<ScanBody, Response> {
    if body.is_empty() {
        return Ok(ScanBody::default());
    }
    serde_json::from_slice(body).map_err(|e| invalid(&format!("body: {e}")))
}

type LinkQueryResult = Result<Query<LinkQuery>, axum::extract::rejection::QueryRejection>;

/// The link a control call acts on: `{"link"}` in the body or `?link=` (primary when
/// neither is given; both given must agree).
fn control_link(q: LinkQueryResult, body: &ScanBody) -> Result<LinkId, Response> {
    let Ok(Query(q)) = q else {
        return Err(invalid("invalid query string"));
    };
    match (q.link.as_deref(), body.link.as_deref()) {
        (Some(a), Some(b)) if a != b => Err(invalid(
            "link: the body and the query string name different links",
        )),
        (from_query, from_body) => parse_link(from_body.or(from_query)),
    }
}

/// "primary link" wording stays as it was; the secondary one is named.
fn on_link(which: LinkId, primary: &'static str, secondary: &'static str) -> &'static str {
    match which {
        LinkId::Primary => primary,
        LinkId::Secondary => secondary,
    }
}

/// Connects link `which` of a number through the phone (QR scan or code), firing
/// `number.connected` (the same event, without any link field, for either link).
fn phone_connects(
    app: &App,
    id: &str,
    which: LinkId,
    check: impl FnOnce(&crate::state::Attempt, usize) -> Result<(), Response>,
    profile: Option<String>,
) -> Reply {
    let data = {
        let mut st = lock(&app.state);
        let now = app.clock.now();
        let n = live_number(&mut st, id)?;
        let state = n.settle_link(which, now).ok_or_else(no_secondary_link)?;
        if state != Conn::Connecting {
            return Err(error(
                StatusCode::CONFLICT,
                on_link(
                    which,
                    "No QR code or pairing code is being shown for this number",
                    "No QR code or pairing code is being shown for the secondary link of this number",
                ),
                None,
            ));
        }
        let conflict = |msg| error(StatusCode::CONFLICT, msg, None);
        let a = n
            .link(which)
            .and_then(|l| l.attempt.as_ref())
            .ok_or_else(|| conflict("No pairing attempt"))?;
        let (idx, _) = a
            .current(now)
            .ok_or_else(|| conflict("The pairing attempt is over"))?;
        check(a, idx)?;
        if profile.is_some() {
            n.profile_name = profile;
        }
        n.open(which, now)
            .map_err(|e| error(StatusCode::INTERNAL_SERVER_ERROR, &e, None))?;
        let data = n.event_data(&app.clock);
        if which == LinkId::Primary {
            // Remote-pairing tokens (which pair the primary link) are single-use: cleared
            // once it is connected.
            st.tokens.retain(|_, t| t.number_id.as_deref() != Some(id));
        }
        data
    };
    app.hooks.emit("number.connected", data);
    Ok(json_response(
        StatusCode::OK,
        &json!({ "ok": true, "state": "OPEN", "link": which.as_str() }),
    ))
}

/// A number that is not deleted, or the 404 answer.
fn live_number<'a>(
    st: &'a mut crate::state::State,
    id: &str,
) -> Result<&'a mut NumberRec, Response> {
    st.numbers
        .get_mut(id)
        .filter(|n| n.deleted.is_none())
        .ok_or_else(not_found_number)
}

pub(super) async fn control_scan(
    AxState(app): AxState<Shared>,
    Path(id): Path<String>,
    q: LinkQueryResult,
    body: Bytes,
) -> Reply {
    let b = scan_body(&body)?;
    let which = control_link(q, &b)?;
    let wanted = b.qr_ref.clone();
    phone_connects(
        &app,
        &id,
        which,
        |a, idx| match &wanted {
            Some(r) if *r != a.refs[idx] => Err(error(
                StatusCode::CONFLICT,
                "That QR code has expired (not the current ref)",
                None,
            )),
            _ => Ok(()),
        },
        b.profile_name,
    )
}

pub(super) async fn control_pair(
    AxState(app): AxState<Shared>,
    Path(id): Path<String>,
    q: LinkQueryResult,
    body: Bytes,
) -> Reply {
    let b = scan_body(&body)?;
    let which = control_link(q, &b)?;
    let code = b.code.clone().ok_or_else(|| invalid("code: required"))?;
    let norm = |s: &str| {
        s.chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_ascii_uppercase()
    };
    phone_connects(
        &app,
        &id,
        which,
        |a, _| {
            if norm(&code) == norm(&a.pairing_code) {
                Ok(())
            } else {
                Err(error(StatusCode::BAD_REQUEST, "Invalid pairing code", None))
            }
        },
        b.profile_name,
    )
}

/// The device of link `which` logs out: that link goes `CLOSE` and `number.disconnected`
/// fires (the same event, without any link field, for either link).
pub(super) async fn control_disconnect(
    AxState(app): AxState<Shared>,
    Path(id): Path<String>,
    q: LinkQueryResult,
    body: Bytes,
) -> Reply {
    let b = scan_body(&body)?;
    let which = control_link(q, &b)?;
    let data = {
        let mut st = lock(&app.state);
        let now = app.clock.now();
        let n = live_number(&mut st, &id)?;
        let state = n.settle_link(which, now).ok_or_else(no_secondary_link)?;
        if state != Conn::Open {
            return Err(error(
                StatusCode::CONFLICT,
                on_link(
                    which,
                    "Number is not connected",
                    "The secondary link is not connected",
                ),
                None,
            ));
        }
        n.close(which, now)
            .map_err(|e| error(StatusCode::INTERNAL_SERVER_ERROR, &e, None))?;
        let mut d = n.event_data(&app.clock);
        if let Some(o) = d.as_object_mut() {
            o.insert("error".into(), json!("Device logged out"));
            o.insert("errorCode".into(), json!("LOGGED_OUT"));
        }
        d
    };
    app.hooks.emit("number.disconnected", data);
    Ok(json_response(
        StatusCode::OK,
        &json!({ "ok": true, "state": "CLOSE", "link": which.as_str() }),
    ))
}

/// `POST /_sandbox/numbers/{id}/meta` (`{"state": "OPEN" | "CLOSE"}`): Meta connects or
/// disconnects an official number. Its (primary) link moves to that state, `updated` moves on,
/// `health.metaStatus` follows (`CONNECTED` / `PENDING`) and the same signed `number.connected`
/// / `number.disconnected` events as `scan` / `disconnect` go out (a Meta close carries no
/// `error` / `errorCode`: no device logged out). A number already in that state → 200
/// (`changed: false`) and no event; a QR number → 400 `FEATURE_NOT_SUPPORTED`; an unknown or
/// deleted one → 404.
pub(super) async fn control_meta(
    AxState(app): AxState<Shared>,
    Path(id): Path<String>,
    body: Bytes,
) -> Reply {
    let m = object(&body)?;
    let wanted = match m.get("state") {
        Some(Value::String(s)) if s == "OPEN" => Conn::Open,
        Some(Value::String(s)) if s == "CLOSE" => Conn::Close,
        _ => return Err(invalid("state: must be \"OPEN\" or \"CLOSE\"")),
    };
    let (event, meta_status) = {
        let mut st = lock(&app.state);
        let now = app.clock.now();
        app.purge_expired(&mut st, now);
        let n = live_number(&mut st, &id)?;
        if n.meta.is_none() {
            return Err(error(
                StatusCode::BAD_REQUEST,
                "Not a Meta number: /_sandbox/numbers/{id}/meta moves Meta (official) numbers only; \
                 a QR number connects with scan or pair and logs out with disconnect",
                Some("FEATURE_NOT_SUPPORTED"),
            ));
        }
        let event = if n.settle(now) == wanted {
            None
        } else {
            let name = if wanted == Conn::Open {
                n.open(LinkId::Primary, now)
                    .map_err(|e| error(StatusCode::INTERNAL_SERVER_ERROR, &e, None))?;
                "number.connected"
            } else {
                n.close(LinkId::Primary, now)
                    .map_err(|e| error(StatusCode::INTERNAL_SERVER_ERROR, &e, None))?;
                "number.disconnected"
            };
            Some((name, n.event_data(&app.clock)))
        };
        let meta_status = n.meta_status();
        if event
            .as_ref()
            .is_some_and(|(name, _)| *name == "number.connected")
        {
            // A hosted Meta link that made this number is spent once it connects.
            super::hosted::number_connected(&app, &mut st, &id);
        }
        (event, meta_status)
    };
    let changed = event.is_some();
    if let Some((name, data)) = event {
        app.hooks.emit(name, data);
    }
    Ok(json_response(
        StatusCode::OK,
        &json!({
            "ok": true,
            "state": wanted.as_str(),
            "metaStatus": meta_status,
            "changed": changed,
        }),
    ))
}

pub(super) async fn faults_list(AxState(app): AxState<Shared>) -> Response {
    let f = lock(&app.faults).clone();
    json_response(StatusCode::OK, &json!({ "faults": f }))
}

pub(super) async fn faults_add(AxState(app): AxState<Shared>, body: Bytes) -> Reply {
    let fault: Fault =
        serde_json::from_slice(&body).map_err(|e| invalid(&format!("fault: {e}")))?;
    let names = route_names();
    if fault.route != "*" && !names.contains(&fault.route.as_str()) {
        return Err(invalid(&format!("route: one of * or {}", names.join(", "))));
    }
    if fault.kind == FaultKind::Status && fault.status.is_some_and(|s| !(100..=599).contains(&s)) {
        return Err(invalid("status: must be 100-599"));
    }
    lock(&app.faults).push(Fault { hits: 0, ..fault });
    Ok(faults_list(AxState(app)).await)
}

pub(super) async fn faults_clear(AxState(app): AxState<Shared>) -> Response {
    lock(&app.faults).clear();
    json_response(StatusCode::OK, &json!({ "faults": [] }))
}

pub(super) async fn hooks_list(AxState(app): AxState<Shared>) -> Response {
    json_response(
        StatusCode::OK,
        &json!({ "targets": app.hooks.target_urls() }),
    )
}

#[derive(Deserialize)]
struct HookBody {
    url: String,
    secret: Option<String>,
}

pub(super) async fn hooks_add(AxState(app): AxState<Shared>, body: Bytes) -> Reply {
    let b: HookBody = serde_json::from_slice(&body).map_err(|e| invalid(&format!("body: {e}")))?;
    if !(b.url.starts_with("http://") || b.url.starts_with("https://")) {
        return Err(invalid("url: must be http(s)"));
    }
    let secret = b.secret.unwrap_or_else(|| app.opts.webhook_secret.clone());
    let secret = pilot_connect::WebhookSecret::new(secret)
        .map_err(|_| invalid("secret: must be non-empty without whitespace"))?;
    app.hooks.add_target(Target { url: b.url, secret });
    Ok(hooks_list(AxState(app)).await)
}

pub(super) async fn hooks_log(AxState(app): AxState<Shared>) -> Response {
    json_response(StatusCode::OK, &json!({ "deliveries": app.hooks.log() }))
}

pub(super) async fn hooks_log_clear(AxState(app): AxState<Shared>) -> Response {
    app.hooks.clear_log();
    json_response(StatusCode::OK, &json!({ "deliveries": [] }))
}

pub(super) async fn stats(AxState(app): AxState<Shared>) -> Response {
    json_response(StatusCode::OK, &json!({ "hits": *lock(&app.hits) }))
}

pub(super) async fn stats_reset(AxState(app): AxState<Shared>) -> Response {
    lock(&app.hits).clear();
    stats(AxState(app)).await
}

pub(super) async fn rate_reset(AxState(app): AxState<Shared>) -> Response {
    lock(&app.limiter).reset();
    json_response(StatusCode::OK, &json!({ "ok": true }))
}

/// `GET /_sandbox/webhooks/{id}/secret`: what the dashboard shows for a registered webhook,
/// the secret that signs its deliveries (the API never returns it).
pub(super) async fn hook_secret(AxState(app): AxState<Shared>, Path(id): Path<String>) -> Reply {
    {
        let mut st = lock(&app.state);
        let now = app.clock.now();
        app.purge_expired(&mut st, now);
    }
    let hook = app
        .hooks
        .registered()
        .into_iter()
        .find(|h| h.id == id)
        .ok_or_else(|| {
            error(
                StatusCode::NOT_FOUND,
                "Webhook not found",
                Some("WEBHOOK_NOT_FOUND"),
            )
        })?;
    Ok(json_response(
        StatusCode::OK,
        &json!({ "webhookId": hook.id, "secret": hook.secret.expose() }),
    ))
}

/// Most messages one `POST /_sandbox/numbers/{id}/messages` makes.
const MESSAGES_MAX: u64 = 1000;

/// Outbound status events: the number is the sender (`fromMe: true`).
const OUTBOUND: [&str; 4] = [
    "message.sent",
    "message.delivered",
    "message.read",
    "message.failed",
];

fn opt_text(m: &Map<String, Value>, field: &str) -> Result<Option<String>, Response> {
    match m.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(Some(s.clone())),
        Some(_) => Err(invalid(&format!("{field}: must be a non-empty string"))),
    }
}

/// `POST /_sandbox/numbers/{id}/messages` (`{count?, event?, from?, content?,
/// participantName?}`): the connected number's contact writes `count` text messages. Each is
/// a `message.*` event in the documented shape (guides/receive-messages) with a unique
/// `data.id`, delivered like any event: signed, logged, retried, to every webhook of the number
/// subscribed to the event (or `"*"`) and to the control-API targets.
pub(super) async fn control_messages(
    AxState(app): AxState<Shared>,
    Path(id): Path<String>,
    body: Bytes,
) -> Reply {
    let m = if body.is_empty() {
        Map::new()
    } else {
        object(&body)?
    };
    let count = match m.get("count") {
        None | Some(Value::Null) => 1,
        Some(v) => v
            .as_u64()
            .filter(|n| (1..=MESSAGES_MAX).contains(n))
            .ok_or_else(|| {
                invalid(&format!(
                    "count: must be an integer between 1 and {MESSAGES_MAX}"
                ))
            })?,
    };
    let event = match opt_text(&m, "event")? {
        None => "message.received".to_owned(),
        Some(e)
            if e.len() > "message.".len()
                && e.starts_with("message.")
                && e.bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'.' || b == b'_') =>
        {
            e
        }
        Some(_) => return Err(invalid("event: must be a message.* event name")),
    };
    let contact = match opt_text(&m, "from")? {
        None => "+5511987654321".to_owned(),
        Some(p) => {
            let digits = p.strip_prefix('+').unwrap_or(&p);
            if !(8..=15).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(invalid("from: must be an E.164 phone (+ and 8-15 digits)"));
            }
            format!("+{digits}")
        }
    };
    let content = opt_text(&m, "content")?;
    let participant = opt_text(&m, "participantName")?.unwrap_or_else(|| "Sandbox Contact".into());
    let outbound = OUTBOUND.contains(&event.as_str());
    let messages: Vec<Value> = {
        let mut st = lock(&app.state);
        let now = app.clock.now();
        app.purge_expired(&mut st, now);
        let n = live_number(&mut st, &id)?;
        // A dual number gets messages while either of its links is OPEN.
        if !n.any_open(now) {
            return Err(error(
                StatusCode::CONFLICT,
                "Number is not connected: only a connected number gets messages",
                None,
            ));
        }
        let own = format!("+{}", n.phone);
        let number_id = n.id.clone();
        let (from, to) = if outbound {
            (own.clone(), contact.clone())
        } else {
            (contact.clone(), own)
        };
        (1..=count)
            .map(|i| {
                json!({
                    "id": st.next_id("msg_"),
                    "messageId": format!("3EB0{:016X}", fastrand::u64(..)),
                    "numberId": number_id,
                    "from": from,
                    "to": to,
                    "type": "text",
                    "fromMe": outbound,
                    "content": content.clone().unwrap_or_else(|| format!("Sandbox message {i} of {count}")),
                    "participantName": participant,
                    "createdAt": app.clock.iso_now(),
                })
            })
            .collect()
    };
    let mut ids = Vec::with_capacity(messages.len());
    let mut webhooks = Vec::new();
    for data in messages {
        ids.push(data["id"].clone());
        webhooks = app.hooks.emit(&event, data);
    }
    Ok(json_response(
        StatusCode::OK,
        &json!({ "ok": true, "event": event, "messageIds": ids, "webhookIds": webhooks }),
    ))
}
