//! HTTP routes: the public API under `/v1`, the control API under `/_sandbox`.

// Input helpers return the finished error `Response` so handlers can `?` straight to it;
// these run once per request, so the size of the `Err` variant does not matter.
#![allow(clippy::result_large_err)]

use std::net::SocketAddr;
use std::sync::{Arc, MutexGuard};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Path, Query, Request, State as AxState};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::faults::{self, Fault, FaultKind};
use crate::state::{Conn, MetaRec, NumberRec, Scope, State, RESTORE_WINDOW_SECS, TOKEN_TTL_SECS};
use crate::webhooks::Target;
use crate::{lock, App, NumberKeyPolicy, StatusShape};

type Shared = Arc<App>;

#[path = "webhook_api.rs"]
mod webhook_api;

pub fn router(app: Shared) -> Router {
    Router::new()
        .route("/v1/numbers", post(create).get(list))
        .route("/v1/numbers/meta", post(create_meta))
        .route("/v1/numbers/remote-pairing", post(remote_pairing))
        .route("/v1/numbers/{id}", get(get_number).delete(delete_number))
        .route("/v1/numbers/{id}/connect", get(connect))
        .route("/v1/numbers/{id}/status", get(status))
        .route("/v1/numbers/{id}/restore", post(restore))
        .route("/v1/numbers/{id}/purge", axum::routing::delete(purge))
        .route(
            "/v1/webhooks",
            get(webhook_api::list).post(webhook_api::create),
        )
        .route(
            "/v1/webhooks/{id}",
            get(webhook_api::get_one)
                .patch(webhook_api::update)
                .delete(webhook_api::delete),
        )
        .route("/v1/webhooks/{id}/logs", get(webhook_api::logs))
        .route("/v1/remote-pairing/{token}", get(token_info))
        .route("/v1/remote-pairing/{token}/status", get(token_status))
        .route("/v1/remote-pairing/{token}/connect", post(token_connect))
        .route("/_sandbox", get(control_index))
        .route("/_sandbox/health", get(health))
        .route("/_sandbox/numbers/{id}", get(control_number))
        .route("/_sandbox/numbers/{id}/scan", post(control_scan))
        .route("/_sandbox/numbers/{id}/pair", post(control_pair))
        .route(
            "/_sandbox/numbers/{id}/disconnect",
            post(control_disconnect),
        )
        .route(
            "/_sandbox/faults",
            get(faults_list).post(faults_add).delete(faults_clear),
        )
        .route("/_sandbox/webhooks", get(hooks_list).post(hooks_add))
        .route(
            "/_sandbox/webhooks/deliveries",
            get(hooks_log).delete(hooks_log_clear),
        )
        .route("/_sandbox/rate-limits", axum::routing::delete(rate_reset))
        .route("/_sandbox/stats", get(stats).delete(stats_reset))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(Arc::clone(&app), gate))
        .with_state(app)
}

// ---------- responses ----------

fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut r = (status, Json(body)).into_response();
    r.headers_mut()
        .insert("cache-control", HeaderValue::from_static("no-store"));
    r
}

fn error(status: StatusCode, message: &str, code: Option<&str>) -> Response {
    let mut body = json!({ "error": message });
    if let (Some(c), Some(o)) = (code, body.as_object_mut()) {
        o.insert("code".into(), json!(c));
    }
    json_response(status, &body)
}

fn invalid(details: &str) -> Response {
    json_response(
        StatusCode::BAD_REQUEST,
        &json!({ "error": "Validation error", "details": details }),
    )
}

fn not_found_number() -> Response {
    error(
        StatusCode::NOT_FOUND,
        "Number not found",
        Some("NUMBER_NOT_FOUND"),
    )
}

async fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "Not found", None)
}

async fn method_not_allowed() -> Response {
    error(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed", None)
}

// ---------- gate: body limit, faults, rate limit, logging ----------

async fn gate(
    AxState(app): AxState<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request,
    next: Next,
) -> Response {
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_owned();
    if app.opts.verbose {
        eprintln!("{} {}", parts.method, path);
    }
    let Ok(bytes) = axum::body::to_bytes(body, app.opts.max_body_bytes).await else {
        return invalid(&format!(
            "request body exceeds {} bytes",
            app.opts.max_body_bytes
        ));
    };
    let route = faults::route_name(parts.method.as_str(), &path);
    if let Some(route) = route {
        *lock(&app.hits).entry(route).or_insert(0) += 1;
        let who = parts
            .headers
            .get("x-api-key")
            .or_else(|| parts.headers.get("x-api-key-id"))
            .and_then(|v| v.to_str().ok())
            .map_or_else(|| format!("ip:{}", peer.ip()), |k| format!("key:{k}"));
        if let Err(wait) = lock(&app.limiter).check(&who) {
            let mut r = error(StatusCode::TOO_MANY_REQUESTS, "Too many requests", None);
            r.headers_mut()
                .insert("retry-after", HeaderValue::from(wait));
            return r;
        }
        let fault = faults::take(&mut lock(&app.faults), route);
        if let Some(f) = fault {
            match f.kind {
                FaultKind::Latency => {
                    tokio::time::sleep(Duration::from_millis(f.latency_ms.unwrap_or(1000))).await;
                }
                FaultKind::Status => {
                    let status = f
                        .status
                        .and_then(|s| StatusCode::from_u16(s).ok())
                        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                    let body = f.body.unwrap_or_else(|| match status.as_u16() {
                        503 => json!({"error": "Upstream timeout", "code": "UPSTREAM_TIMEOUT"}),
                        s => json!({"error": status.canonical_reason().unwrap_or("Error"), "status": s}),
                    });
                    return json_response(status, &body);
                }
                FaultKind::RateLimit => {
                    let mut r = error(StatusCode::TOO_MANY_REQUESTS, "Too many requests", None);
                    r.headers_mut()
                        .insert("retry-after", HeaderValue::from(f.retry_after.unwrap_or(1)));
                    return r;
                }
                FaultKind::Malformed => {
                    return Response::builder()
                        .status(StatusCode::OK)
                        .header("content-type", "application/json")
                        .body(Body::from(
                            r#"{"qrcodeBase64": "data:image/png;base64,iVBOR"#,
                        ))
                        .unwrap_or_default();
                }
                FaultKind::Drop => {
                    let stream = futures_util::stream::once(async {
                        Err::<Bytes, std::io::Error>(std::io::Error::other(
                            "sandbox: dropped connection",
                        ))
                    });
                    return Response::builder()
                        .status(StatusCode::OK)
                        .header("content-type", "application/json")
                        .body(Body::from_stream(stream))
                        .unwrap_or_default();
                }
            }
        }
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

// ---------- auth and input ----------

#[derive(Debug, Clone)]
struct Caller {
    key: String,
    key_id: String,
    scope: Scope,
}

/// How every authenticated route starts: lock the state, expire what is due, check the key.
fn authenticate<'a>(
    app: &'a App,
    headers: &HeaderMap,
) -> Result<(MutexGuard<'a, State>, f64, Caller), Response> {
    let mut st = lock(&app.state);
    let now = app.clock.now();
    st.purge_expired(now);
    let c = caller(app, &st, headers)?;
    Ok((st, now, c))
}

fn caller(app: &App, st: &State, headers: &HeaderMap) -> Result<Caller, Response> {
    let unauthorized = || error(StatusCode::UNAUTHORIZED, "Unauthorized", None);
    let raw = if let Some(k) = headers.get("x-api-key") {
        k.to_str().map_err(|_| unauthorized())?.to_owned()
    } else if let Some(id) = headers.get("x-api-key-id") {
        let id = id.to_str().map_err(|_| unauthorized())?;
        st.key_ids.get(id).cloned().ok_or_else(unauthorized)?
    } else {
        return Err(unauthorized());
    };
    let rec = st.keys.get(&raw).ok_or_else(unauthorized)?;
    if let Scope::Number(Some(nid)) = &rec.scope {
        // A key bound to a deleted number stops authenticating.
        if st.numbers.get(nid).is_none_or(|n| n.deleted.is_some()) {
            return Err(unauthorized());
        }
    }
    if app.opts.number_keys == NumberKeyPolicy::Deny && rec.scope != Scope::Tenant {
        return Err(number_scope());
    }
    Ok(Caller {
        key: raw.clone(),
        key_id: rec.id.clone(),
        scope: rec.scope.clone(),
    })
}

fn number_scope() -> Response {
    error(
        StatusCode::FORBIDDEN,
        "This endpoint needs the tenant-scoped API key",
        Some("NUMBER_SCOPE_NOT_ALLOWED"),
    )
}

fn tenant_only(c: &Caller) -> Result<(), Response> {
    if c.scope == Scope::Tenant {
        Ok(())
    } else {
        Err(number_scope())
    }
}

fn may_use(c: &Caller, number_id: &str) -> Result<(), Response> {
    match &c.scope {
        Scope::Tenant => Ok(()),
        Scope::Number(Some(id)) if id == number_id => Ok(()),
        Scope::Number(_) => Err(error(
            StatusCode::FORBIDDEN,
            "A number-scoped key can only act on its own number",
            Some("NUMBER_SCOPE_NOT_ALLOWED"),
        )),
    }
}

fn object(body: &Bytes) -> Result<Map<String, Value>, Response> {
    if body.is_empty() {
        return Err(invalid("request body is required"));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(invalid("request body must be a JSON object")),
        Err(e) => Err(invalid(&format!("request body is not valid JSON: {e}"))),
    }
}

fn req_str(m: &Map<String, Value>, field: &str) -> Result<String, Response> {
    match m.get(field) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.trim().to_owned()),
        Some(Value::String(_)) => Err(invalid(&format!("{field}: must not be empty"))),
        None | Some(Value::Null) => Err(invalid(&format!("{field}: required"))),
        Some(_) => Err(invalid(&format!("{field}: must be a string"))),
    }
}

fn opt_bool(m: &Map<String, Value>, field: &str) -> Result<Option<bool>, Response> {
    match m.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(invalid(&format!("{field}: must be a boolean"))),
    }
}

/// Phone rule of the OpenAPI: digits with an optional `+`, at least `min`, at most 15.
fn phone(m: &Map<String, Value>, min: usize) -> Result<String, Response> {
    let raw = req_str(m, "number")?;
    let digits = raw.strip_prefix('+').unwrap_or(&raw);
    if digits.len() < min || digits.len() > 15 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(&format!(
            "number: must be {min}-15 digits with an optional + (E.164), got {raw:?}"
        )));
    }
    Ok(digits.to_owned())
}

fn masked(phone: &str) -> String {
    let n = phone.len();
    if n < 8 {
        return format!("+{phone}");
    }
    format!("+{}****{}", &phone[..n - 8], &phone[n - 4..])
}

// ---------- /v1/numbers ----------

/// A phone can back one number: 409 while another is active, `NUMBER_SOFT_DELETED` while a
/// deleted one is still restorable.
fn phone_free(st: &State, number: &str) -> Result<(), Response> {
    if st.active_by_phone(number).is_some() {
        return Err(error(StatusCode::CONFLICT, "Number already exists", None));
    }
    if st.deleted_by_phone(number).is_some() {
        return Err(error(
            StatusCode::CONFLICT,
            "This number was deleted and is still restorable; restore or purge it first",
            Some("NUMBER_SOFT_DELETED"),
        ));
    }
    Ok(())
}

async fn create(AxState(app): AxState<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let (resp, event) = {
        let (mut st, now, c) = match authenticate(&app, &headers) {
            Ok(v) => v,
            Err(r) => return r,
        };
        let result = (|| {
            let m = object(&body)?;
            let name = req_str(&m, "name")?;
            let number = phone(&m, 10)?;
            let link = opt_bool(&m, "linkToApiKey")?.unwrap_or(true);
            if let Some(s) = m.get("settings") {
                if !(s.is_object() || s.is_null()) {
                    return Err(invalid("settings: must be an object"));
                }
            }
            phone_free(&st, &number)?;
            Ok((name, number, link))
        })();
        let (name, number, link) = match result {
            Ok(v) => v,
            Err(r) => return r,
        };
        let id = st.create_number(&name, &number, None, now);
        let linked = match (&c.scope, link) {
            (Scope::Number(_), true) => {
                if let Some(k) = st.keys.get_mut(&c.key) {
                    k.scope = Scope::Number(Some(id.clone()));
                }
                Value::String(c.key_id.clone())
            }
            _ => Value::Null,
        };
        let Some(n) = st.numbers.get_mut(&id) else {
            return error(StatusCode::INTERNAL_SERVER_ERROR, "lost number", None);
        };
        let (idx, _ref, code) = match n.ensure_attempt(now) {
            Ok(v) => v,
            Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, &e, None),
        };
        let qr = match n.qr_data_url(idx) {
            Ok(v) => v,
            Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, &e, None),
        };
        let body = json!({
            "instance": n.instance(&app.clock),
            "qrcodeBase64": qr,
            "pairingCode": code,
            "linkedApiKeyId": linked,
            "primaryLink": { "qrcodeBase64": qr, "pairingCode": code },
            "secondaryLink": null,
        });
        (
            json_response(StatusCode::CREATED, &body),
            n.event_data(&app.clock),
        )
    };
    app.hooks.emit("number.created", event);
    resp
}

async fn create_meta(AxState(app): AxState<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let (resp, event) = {
        let (mut st, now, c) = match authenticate(&app, &headers) {
            Ok(v) => v,
            Err(r) => return r,
        };
        let parsed = (|| {
            let m = object(&body)?;
            let name = req_str(&m, "name")?;
            let number = phone(&m, 8)?;
            let phone_id = req_str(&m, "metaPhoneId")?;
            let waba_id = req_str(&m, "metaWabaId")?;
            req_str(&m, "metaAccessToken")?;
            req_str(&m, "metaAppSecret")?;
            let app_id = req_str(&m, "metaAppId")?;
            let link = opt_bool(&m, "linkToApiKey")?.unwrap_or(true);
            phone_free(&st, &number)?;
            Ok((name, number, phone_id, waba_id, app_id, link))
        })();
        let (name, number, phone_id, waba_id, app_id, link) = match parsed {
            Ok(v) => v,
            Err(r) => return r,
        };
        let verify_token = format!("ps_meta_verify_{:016x}", fastrand::u64(..));
        let meta = MetaRec {
            phone_id: phone_id.clone(),
            waba_id: waba_id.clone(),
            app_id,
            verify_token: verify_token.clone(),
        };
        let id = st.create_number(&name, &number, Some(meta), now);
        // The seed's example links the calling key (default true).
        let linked = if link {
            if let (Scope::Number(_), Some(k)) = (&c.scope, st.keys.get_mut(&c.key)) {
                k.scope = Scope::Number(Some(id.clone()));
            }
            Value::String(c.key_id.clone())
        } else {
            Value::Null
        };
        let Some(n) = st.numbers.get_mut(&id) else {
            return error(StatusCode::INTERNAL_SERVER_ERROR, "lost number", None);
        };
        let body = json!({
            "number": {
                "id": n.id, "number": n.phone, "name": n.name, "provider": "META",
                "metaPhoneId": phone_id, "metaWabaId": waba_id,
                "isFullyConnected": true, "createdAt": app.clock.iso_at(n.created),
            },
            "webhook": { "url": format!("{}/webhooks/meta", app.base_url), "verifyToken": verify_token },
            "linkedApiKeyId": linked,
        });
        (
            json_response(StatusCode::CREATED, &body),
            n.event_data(&app.clock),
        )
    };
    app.hooks.emit("number.created", event);
    resp
}

async fn list(AxState(app): AxState<Shared>, headers: HeaderMap) -> Response {
    let mut st = lock(&app.state);
    st.purge_expired(app.clock.now());
    let c = match caller(&app, &st, &headers) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let items: Vec<Value> = st
        .numbers
        .values_mut()
        .filter(|n| n.deleted.is_none())
        .filter(|n| match &c.scope {
            Scope::Tenant => true,
            Scope::Number(id) => id.as_deref() == Some(n.id.as_str()),
        })
        .map(|n| n.summary(&app.clock))
        .collect();
    json_response(StatusCode::OK, &Value::Array(items))
}

/// Runs `f` on a live (not deleted) number the caller may use.
fn with_number(
    app: &App,
    headers: &HeaderMap,
    id: &str,
    f: impl FnOnce(&mut NumberRec, &App) -> Response,
) -> Response {
    let mut st = lock(&app.state);
    st.purge_expired(app.clock.now());
    let c = match caller(app, &st, headers) {
        Ok(c) => c,
        Err(r) => return r,
    };
    if let Err(r) = may_use(&c, id) {
        return r;
    }
    match st.numbers.get_mut(id) {
        Some(n) if n.deleted.is_none() => f(n, app),
        _ => not_found_number(),
    }
}

async fn get_number(
    AxState(app): AxState<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    with_number(&app, &headers, &id, |n, app| {
        json_response(StatusCode::OK, &n.detail(&app.clock))
    })
}

#[derive(Deserialize)]
struct LinkQuery {
    link: Option<String>,
}

fn check_link(q: &LinkQuery) -> Result<(), Response> {
    match q.link.as_deref() {
        None | Some("primary") => Ok(()),
        Some("secondary") => Err(error(
            StatusCode::BAD_REQUEST,
            "This number has no secondary link (upgrade it to dual first)",
            Some("FEATURE_NOT_SUPPORTED"),
        )),
        Some(_) => Err(invalid("link: must be primary or secondary")),
    }
}

async fn connect(
    AxState(app): AxState<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    q: Result<Query<LinkQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Ok(Query(q)) = q else {
        return invalid("invalid query string");
    };
    if let Err(r) = check_link(&q) {
        return r;
    }
    with_number(&app, &headers, &id, pairing_answer)
}

/// The connect answer for a number: a QR + code, or 409 when it is `OPEN`.
fn pairing_answer(n: &mut NumberRec, app: &App) -> Response {
    if n.meta.is_some() {
        return error(
            StatusCode::BAD_REQUEST,
            "Meta numbers do not use QR pairing",
            Some("FEATURE_NOT_SUPPORTED"),
        );
    }
    let now = app.clock.now();
    if n.settle(now) == Conn::Open {
        return error(StatusCode::CONFLICT, "Number is already connected", None);
    }
    let result = n
        .ensure_attempt(now)
        .and_then(|(idx, _, code)| Ok((n.qr_data_url(idx)?, code)));
    match result {
        Ok((qr, code)) => json_response(
            StatusCode::OK,
            &json!({ "qrcodeBase64": qr, "pairingCode": code }),
        ),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, &e, None),
    }
}

async fn status(
    AxState(app): AxState<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    q: Result<Query<LinkQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Ok(Query(q)) = q else {
        return invalid("invalid query string");
    };
    if let Err(r) = check_link(&q) {
        return r;
    }
    let shape = app.opts.status_shape;
    with_number(&app, &headers, &id, |n, app| {
        let state = n.settle(app.clock.now());
        let open = state == Conn::Open;
        let body = match shape {
            StatusShape::Md => json!({ "id": n.id, "state": state.as_str() }),
            StatusShape::Rendered => json!({ "state": state.as_str(), "isFullyConnected": open }),
            StatusShape::Sdk if n.meta.is_some() => {
                json!({ "id": n.id, "state": state.as_str(), "stale": false })
            }
            StatusShape::Sdk => json!({
                "id": n.id, "state": state.as_str(), "stale": false, "checkedAt": app.clock.iso_now(),
            }),
            StatusShape::Full => json!({
                "id": n.id, "state": state.as_str(), "isFullyConnected": open,
                "stale": false, "checkedAt": app.clock.iso_now(),
            }),
        };
        json_response(StatusCode::OK, &body)
    })
}

async fn delete_number(
    AxState(app): AxState<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let mut event = None;
    let resp = with_number(&app, &headers, &id, |n, app| {
        let now = app.clock.now();
        n.attempt = None;
        n.open_since = None;
        n.deleted = Some(now);
        n.updated = now;
        event = Some(n.event_data(&app.clock));
        json_response(
            StatusCode::OK,
            &json!({ "ok": true, "restorableUntil": app.clock.iso_at(now + RESTORE_WINDOW_SECS) }),
        )
    });
    if let Some(data) = event {
        lock(&app.state)
            .tokens
            .retain(|_, t| t.number_id.as_deref() != Some(id.as_str()));
        app.hooks.emit("number.removed", data);
    }
    resp
}

async fn restore(
    AxState(app): AxState<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let event = {
        let (mut st, now, c) = match authenticate(&app, &headers) {
            Ok(v) => v,
            Err(r) => return r,
        };
        if let Err(r) = tenant_only(&c) {
            return r;
        }
        let phone = match st.numbers.get(&id) {
            Some(n) if n.deleted.is_some() => n.phone.clone(),
            _ => {
                return error(
                    StatusCode::NOT_FOUND,
                    "No restorable number with this id",
                    None,
                )
            }
        };
        if st.active_by_phone(&phone).is_some() {
            return error(
                StatusCode::CONFLICT,
                "The same phone was connected again in the meantime",
                Some("NUMBER_ALREADY_ACTIVE"),
            );
        }
        let Some(n) = st.numbers.get_mut(&id) else {
            return not_found_number();
        };
        n.deleted = None;
        n.updated = now;
        n.event_data(&app.clock)
    };
    app.hooks.emit("number.restored", event);
    json_response(
        StatusCode::OK,
        &json!({ "ok": true, "requiresReconnect": true }),
    )
}

async fn purge(
    AxState(app): AxState<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let event = {
        let mut st = lock(&app.state);
        st.purge_expired(app.clock.now());
        let c = match caller(&app, &st, &headers) {
            Ok(c) => c,
            Err(r) => return r,
        };
        if let Err(r) = tenant_only(&c) {
            return r;
        }
        match st.remove_for_good(&id) {
            // Purging a live number removes it; a soft-deleted one already fired number.removed.
            Some(n) if n.deleted.is_none() => Some(n.event_data(&app.clock)),
            Some(_) => None,
            None => return not_found_number(),
        }
    };
    if let Some(data) = event {
        app.hooks.emit("number.removed", data);
    }
    json_response(StatusCode::OK, &json!({ "ok": true }))
}

async fn remote_pairing(
    AxState(app): AxState<Shared>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (mut st, now, c) = match authenticate(&app, &headers) {
        Ok(v) => v,
        Err(r) => return r,
    };
    if let Err(r) = tenant_only(&c) {
        return r;
    }
    let m = if body.is_empty() {
        Map::new()
    } else {
        match object(&body) {
            Ok(m) => m,
            Err(r) => return r,
        }
    };
    let provider = match m.get("provider") {
        None | Some(Value::Null) => "PILOT_STATUS",
        Some(Value::String(p)) if p == "PILOT_STATUS" => "PILOT_STATUS",
        Some(Value::String(p)) if p == "META" => "META",
        Some(_) => return invalid("provider: must be PILOT_STATUS or META"),
    };
    let token = format!(
        "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
        fastrand::u32(..),
        fastrand::u16(..),
        fastrand::u16(..0xfff),
        fastrand::u16(..0xfff),
        fastrand::u64(..0xffff_ffff_ffff)
    );
    let url = format!("{}/connect/{token}", app.base_url);
    if provider == "META" {
        st.tokens.insert(
            token.clone(),
            crate::state::TokenRec {
                number_id: None,
                created: now,
                provider,
            },
        );
        return json_response(
            StatusCode::CREATED,
            &json!({ "provider": "META", "remotePairingToken": token, "remotePairingUrl": url, "numberId": null }),
        );
    }
    let parsed = (|| {
        let name = req_str(&m, "name")?;
        let number = phone(&m, 10)?;
        let send = opt_bool(&m, "sendViaWhatsApp")?.unwrap_or(false);
        if st.active_by_phone(&number).is_some() {
            return Err(error(StatusCode::CONFLICT, "Number already exists", None));
        }
        Ok((name, number, send))
    })();
    let (name, number, send) = match parsed {
        Ok(v) => v,
        Err(r) => return r,
    };
    let id = st.create_number(&name, &number, None, now);
    st.tokens.insert(
        token.clone(),
        crate::state::TokenRec {
            number_id: Some(id.clone()),
            created: now,
            provider,
        },
    );
    let Some(n) = st.numbers.get_mut(&id) else {
        return error(StatusCode::INTERNAL_SERVER_ERROR, "lost number", None);
    };
    let mut body = json!({
        "provider": "PILOT_STATUS",
        "remotePairingToken": token,
        "remotePairingUrl": url,
        "numberId": id,
        "instance": n.instance(&app.clock),
        "maskedNumber": masked(&n.phone),
        "messageSent": false,
        "linkedApiKeyId": null,
    });
    if send {
        if let Some(o) = body.as_object_mut() {
            o.insert(
                "messageError".into(),
                json!("The sandbox does not send WhatsApp messages (template pilot_status_remote_pairing)"),
            );
        }
    }
    let data = n.event_data(&app.clock);
    drop(st);
    app.hooks.emit("number.created", data);
    json_response(StatusCode::CREATED, &body)
}

// ---------- public token endpoints ----------

fn with_token(
    app: &App,
    token: &str,
    f: impl FnOnce(Option<&mut NumberRec>, &App) -> Response,
) -> Response {
    let mut st = lock(&app.state);
    let now = app.clock.now();
    st.purge_expired(now);
    let expired = || error(StatusCode::NOT_FOUND, "Invalid or expired token", None);
    let Some(t) = st.tokens.get(token) else {
        return expired();
    };
    if now - t.created > TOKEN_TTL_SECS {
        st.tokens.remove(token);
        return expired();
    }
    match t.number_id.clone() {
        Some(id) => match st.numbers.get_mut(&id) {
            Some(n) if n.deleted.is_none() => f(Some(n), app),
            _ => expired(),
        },
        None => f(None, app),
    }
}

async fn token_info(AxState(app): AxState<Shared>, Path(token): Path<String>) -> Response {
    with_token(&app, &token, |n, app| match n {
        Some(n) => {
            let state = n.settle(app.clock.now());
            json_response(
                StatusCode::OK,
                &json!({
                    "valid": true, "name": n.name, "number": n.phone, "maskedNumber": masked(&n.phone),
                    "state": state.as_str(), "primaryLink": n.link_info(&app.clock), "secondaryLink": null,
                }),
            )
        }
        None => json_response(
            StatusCode::OK,
            &json!({ "valid": true, "provider": "META" }),
        ),
    })
}

async fn token_status(AxState(app): AxState<Shared>, Path(token): Path<String>) -> Response {
    with_token(&app, &token, |n, app| match n {
        Some(n) => {
            let state = n.settle(app.clock.now());
            json_response(
                StatusCode::OK,
                &json!({
                    "state": state.as_str(), "isFullyConnected": state == Conn::Open,
                    "primaryLink": n.link_info(&app.clock), "secondaryLink": null,
                }),
            )
        }
        None => json_response(
            StatusCode::OK,
            &json!({ "state": "CLOSE", "isFullyConnected": false }),
        ),
    })
}

async fn token_connect(AxState(app): AxState<Shared>, Path(token): Path<String>) -> Response {
    with_token(&app, &token, |n, app| match n {
        Some(n) => pairing_answer(n, app),
        None => error(
            StatusCode::BAD_REQUEST,
            "Meta links use Embedded Signup, not QR pairing",
            Some("FEATURE_NOT_SUPPORTED"),
        ),
    })
}

// ---------- control API ----------

async fn control_index(AxState(app): AxState<Shared>) -> Response {
    json_response(
        StatusCode::OK,
        &json!({
            "sandbox": "pilot-sandbox",
            "timeScale": app.clock.scale(),
            "routes": {
                "GET /_sandbox/health": "liveness",
                "GET /_sandbox/numbers/{id}": "internal state: current QR ref, pairing code, the number's own key",
                "POST /_sandbox/numbers/{id}/scan": "the phone scans the current QR ({\"ref\"} optional: must be the current one)",
                "POST /_sandbox/numbers/{id}/pair": "the phone enters the pairing code ({\"code\"})",
                "POST /_sandbox/numbers/{id}/disconnect": "the device logs out (OPEN -> CLOSE, number.disconnected)",
                "GET|POST|DELETE /_sandbox/faults": "list / add ({route, kind, latencyMs, status, body, retryAfter, times}) / clear faults",
                "GET|DELETE /_sandbox/stats": "API requests received per route name / reset the counts",
                "GET|POST /_sandbox/webhooks": "list targets / add one ({url, secret})",
                "GET|DELETE /_sandbox/webhooks/deliveries": "delivery log / clear it",
                "DELETE /_sandbox/rate-limits": "reset rate-limit counters",
            },
            "faultRoutes": faults::ROUTES,
            "faultKinds": ["latency", "status", "rate_limit", "malformed", "drop"],
        }),
    )
}

async fn health(AxState(app): AxState<Shared>) -> Response {
    json_response(
        StatusCode::OK,
        &json!({ "ok": true, "timeScale": app.clock.scale() }),
    )
}

async fn control_number(AxState(app): AxState<Shared>, Path(id): Path<String>) -> Response {
    let mut st = lock(&app.state);
    let now = app.clock.now();
    st.purge_expired(now);
    let Some(n) = st.numbers.get_mut(&id) else {
        return not_found_number();
    };
    let state = n.settle(now);
    let pairing = n.attempt.as_ref().and_then(|a| {
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
    json_response(
        StatusCode::OK,
        &json!({
            "id": n.id,
            "number": n.phone,
            "name": n.name,
            "provider": n.provider(),
            "state": state.as_str(),
            "deleted": n.deleted.is_some(),
            "restorableUntil": n.deleted.map(|d| app.clock.iso_at(d + RESTORE_WINDOW_SECS)),
            "connectedAt": n.open_since.map(|t| app.clock.iso_at(t)),
            "attempts": n.attempts,
            "pairing": pairing,
            "apiKey": n.key,
            "apiKeyId": n.key_id,
            "metaVerifyToken": n.meta.as_ref().map(|m| m.verify_token.clone()),
            "metaAppId": n.meta.as_ref().map(|m| m.app_id.clone()),
        }),
    )
}

#[derive(Deserialize, Default)]
struct ScanBody {
    #[serde(rename = "ref")]
    qr_ref: Option<String>,
    code: Option<String>,
    #[serde(rename = "profileName")]
    profile_name: Option<String>,
}

fn scan_body(body: &Bytes) -> Result<ScanBody, Response> {
    if body.is_empty() {
        return Ok(ScanBody::default());
    }
    serde_json::from_slice(body).map_err(|e| invalid(&format!("body: {e}")))
}

/// Connects a number through the phone (QR scan or code), firing `number.connected`.
fn phone_connects(
    app: &App,
    id: &str,
    check: impl FnOnce(&crate::state::Attempt, usize) -> Result<(), Response>,
    profile: Option<String>,
) -> Response {
    let data = {
        let mut st = lock(&app.state);
        let now = app.clock.now();
        let Some(n) = st.numbers.get_mut(id).filter(|n| n.deleted.is_none()) else {
            return not_found_number();
        };
        if n.settle(now) != Conn::Connecting {
            return error(
                StatusCode::CONFLICT,
                "No QR code or pairing code is being shown for this number",
                None,
            );
        }
        let Some(a) = n.attempt.as_ref() else {
            return error(StatusCode::CONFLICT, "No pairing attempt", None);
        };
        let Some((idx, _)) = a.current(now) else {
            return error(StatusCode::CONFLICT, "The pairing attempt is over", None);
        };
        if let Err(r) = check(a, idx) {
            return r;
        }
        if profile.is_some() {
            n.profile_name = profile;
        }
        n.open(now);
        let data = n.event_data(&app.clock);
        // Remote-pairing tokens are single-use: cleared once connected.
        st.tokens.retain(|_, t| t.number_id.as_deref() != Some(id));
        data
    };
    app.hooks.emit("number.connected", data);
    json_response(StatusCode::OK, &json!({ "ok": true, "state": "OPEN" }))
}

async fn control_scan(
    AxState(app): AxState<Shared>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let b = match scan_body(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let wanted = b.qr_ref.clone();
    phone_connects(
        &app,
        &id,
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

async fn control_pair(
    AxState(app): AxState<Shared>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let b = match scan_body(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let Some(code) = b.code.clone() else {
        return invalid("code: required");
    };
    let norm = |s: &str| {
        s.chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_ascii_uppercase()
    };
    phone_connects(
        &app,
        &id,
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

async fn control_disconnect(AxState(app): AxState<Shared>, Path(id): Path<String>) -> Response {
    let data = {
        let mut st = lock(&app.state);
        let now = app.clock.now();
        let Some(n) = st.numbers.get_mut(&id).filter(|n| n.deleted.is_none()) else {
            return not_found_number();
        };
        if n.settle(now) != Conn::Open {
            return error(StatusCode::CONFLICT, "Number is not connected", None);
        }
        n.open_since = None;
        n.updated = now;
        let mut d = n.event_data(&app.clock);
        if let Some(o) = d.as_object_mut() {
            o.insert("error".into(), json!("Device logged out"));
            o.insert("errorCode".into(), json!("LOGGED_OUT"));
        }
        d
    };
    app.hooks.emit("number.disconnected", data);
    json_response(StatusCode::OK, &json!({ "ok": true, "state": "CLOSE" }))
}

async fn faults_list(AxState(app): AxState<Shared>) -> Response {
    let f = lock(&app.faults).clone();
    json_response(StatusCode::OK, &json!({ "faults": f }))
}

async fn faults_add(AxState(app): AxState<Shared>, body: Bytes) -> Response {
    let fault: Fault = match serde_json::from_slice(&body) {
        Ok(f) => f,
        Err(e) => return invalid(&format!("fault: {e}")),
    };
    if fault.route != "*" && !faults::ROUTES.contains(&fault.route.as_str()) {
        return invalid(&format!("route: one of * or {}", faults::ROUTES.join(", ")));
    }
    if fault.kind == FaultKind::Status && fault.status.is_some_and(|s| !(100..=599).contains(&s)) {
        return invalid("status: must be 100-599");
    }
    lock(&app.faults).push(Fault { hits: 0, ..fault });
    faults_list(AxState(app)).await
}

async fn faults_clear(AxState(app): AxState<Shared>) -> Response {
    lock(&app.faults).clear();
    json_response(StatusCode::OK, &json!({ "faults": [] }))
}

async fn hooks_list(AxState(app): AxState<Shared>) -> Response {
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

async fn hooks_add(AxState(app): AxState<Shared>, body: Bytes) -> Response {
    let b: HookBody = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => return invalid(&format!("body: {e}")),
    };
    if !(b.url.starts_with("http://") || b.url.starts_with("https://")) {
        return invalid("url: must be http(s)");
    }
    let secret = b.secret.unwrap_or_else(|| app.opts.webhook_secret.clone());
    let Ok(secret) = pilot_connect::WebhookSecret::new(secret) else {
        return invalid("secret: must be non-empty without whitespace");
    };
    app.hooks.add_target(Target { url: b.url, secret });
    hooks_list(AxState(app)).await
}

async fn hooks_log(AxState(app): AxState<Shared>) -> Response {
    json_response(StatusCode::OK, &json!({ "deliveries": app.hooks.log() }))
}

async fn hooks_log_clear(AxState(app): AxState<Shared>) -> Response {
    app.hooks.clear_log();
    json_response(StatusCode::OK, &json!({ "deliveries": [] }))
}

async fn stats(AxState(app): AxState<Shared>) -> Response {
    json_response(StatusCode::OK, &json!({ "hits": *lock(&app.hits) }))
}

async fn stats_reset(AxState(app): AxState<Shared>) -> Response {
    lock(&app.hits).clear();
    stats(AxState(app)).await
}

async fn rate_reset(AxState(app): AxState<Shared>) -> Response {
    lock(&app.limiter).reset();
    json_response(StatusCode::OK, &json!({ "ok": true }))
}
