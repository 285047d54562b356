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
use axum::routing::{delete, get, patch, post, put, MethodRouter};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::faults::{self, Fault, FaultKind};
use crate::state::{
    Conn, LinkId, MetaRec, NumberRec, Scope, State, RESTORE_WINDOW_SECS, TOKEN_TTL_SECS,
};
use crate::webhooks::Target;
use crate::{lock, App, MetaNumbers, NumberKeyPolicy, StatusShape};

type Shared = Arc<App>;

/// What an API handler answers: the error side is a finished error response, so `?` works on
/// every check (`authenticate`, input helpers, scope rules).
type Reply = Result<Response, Response>;

mod branding;
mod control;
mod gate;
mod hosted;
mod numbers;
mod remote_pairing;
mod webhooks;

/// A route: method, path, the name faults and request counts use for the `/v1` API, what it
/// does (the control index), and its handler.
pub(crate) struct RouteDef {
    pub method: &'static str,
    pub path: &'static str,
    pub name: &'static str,
    pub doc: &'static str,
    handler: fn() -> MethodRouter<Shared>,
}

/// Every route, listed once: the router, fault targeting, request counts and the control index
/// are all derived from this table.
pub(crate) const ROUTES: &[RouteDef] = &[
    RouteDef {
        method: "POST",
        path: "/v1/numbers",
        name: "create",
        doc: "create a QR number",
        handler: || post(numbers::create),
    },
    RouteDef {
        method: "GET",
        path: "/v1/numbers",
        name: "list",
        doc: "list numbers",
        handler: || get(numbers::list),
    },
    RouteDef {
        method: "POST",
        path: "/v1/numbers/meta",
        name: "create_meta",
        doc: "create a Meta number",
        handler: || post(numbers::create_meta),
    },
    RouteDef {
        method: "POST",
        path: "/v1/numbers/remote-pairing",
        name: "remote_pairing",
        doc: "create a remote-pairing link",
        handler: || post(remote_pairing::remote_pairing),
    },
    RouteDef {
        method: "GET",
        path: "/v1/numbers/{id}",
        name: "get",
        doc: "one number",
        handler: || get(numbers::get_number),
    },
    RouteDef {
        method: "DELETE",
        path: "/v1/numbers/{id}",
        name: "delete",
        doc: "soft delete",
        handler: || delete(numbers::delete_number),
    },
    RouteDef {
        method: "GET",
        path: "/v1/numbers/{id}/connect",
        name: "connect",
        doc: "QR + pairing code",
        handler: || get(numbers::connect),
    },
    RouteDef {
        method: "GET",
        path: "/v1/numbers/{id}/status",
        name: "status",
        doc: "live state",
        handler: || get(numbers::status),
    },
    RouteDef {
        method: "POST",
        path: "/v1/numbers/{id}/upgrade-to-dual",
        name: "upgrade_to_dual",
        doc: "give a QR number its secondary link -> 201 {secondaryLink: {qrcodeBase64, pairingCode}}; 409 if already dual",
        handler: || post(numbers::upgrade_to_dual),
    },
    RouteDef {
        method: "POST",
        path: "/v1/numbers/{id}/restore",
        name: "restore",
        doc: "undo a delete",
        handler: || post(numbers::restore),
    },
    RouteDef {
        method: "DELETE",
        path: "/v1/numbers/{id}/purge",
        name: "purge",
        doc: "delete for good",
        handler: || delete(numbers::purge),
    },
    RouteDef {
        method: "GET",
        path: "/v1/remote-pairing/{token}",
        name: "token_info",
        doc: "public token info",
        handler: || get(remote_pairing::token_info),
    },
    RouteDef {
        method: "GET",
        path: "/v1/remote-pairing/{token}/status",
        name: "token_status",
        doc: "public token status",
        handler: || get(remote_pairing::token_status),
    },
    RouteDef {
        method: "POST",
        path: "/v1/remote-pairing/{token}/connect",
        name: "token_connect",
        doc: "public token connect",
        handler: || post(remote_pairing::token_connect),
    },
    RouteDef {
        method: "GET",
        path: "/connect/{token}",
        name: "",
        doc: "remotePairingUrl of a Meta link: the hosted page playing Meta's Embedded Signup (company name, #continue \"Continue with Facebook\" (?step=number without JavaScript), #pick-number / #other-number / #display-name, #finish, #cancel-step + #cancel, #error-message + #error-id + #fail); unknown or QR token 404, used / expired / abandoned 410",
        handler: || get(hosted::page),
    },
    RouteDef {
        method: "POST",
        path: "/connect/{token}/finish",
        name: "",
        doc: "the page's finish form (number, otherNumber wins when not blank, displayName) -> 303 to the link's redirectUrl (--redirect-params), else an HTML result page (#result data-outcome=finished data-number-id); same code as the control route",
        handler: || post(hosted::page_finish),
    },
    RouteDef {
        method: "POST",
        path: "/connect/{token}/cancel",
        name: "",
        doc: "the page's cancel form (step: one of Meta's current_step values) -> HTML result page (#result data-outcome=cancelled data-step, #try-again while the link is usable)",
        handler: || post(hosted::page_cancel),
    },
    RouteDef {
        method: "POST",
        path: "/connect/{token}/fail",
        name: "",
        doc: "the page's fail form (errorId, errorMessage) -> HTML result page (#result data-outcome=failed data-error-id data-session-id)",
        handler: || post(hosted::page_fail),
    },
    RouteDef {
        method: "GET",
        path: "/v1/webhooks",
        name: "webhooks_list",
        doc: "list webhooks",
        handler: || get(webhooks::list),
    },
    RouteDef {
        method: "POST",
        path: "/v1/webhooks",
        name: "webhook_create",
        doc: "create a webhook of a number (one, or several with --webhooks-per-number many)",
        handler: || post(webhooks::create),
    },
    RouteDef {
        method: "GET",
        path: "/v1/webhooks/{id}",
        name: "webhook_get",
        doc: "one webhook",
        handler: || get(webhooks::get_one),
    },
    RouteDef {
        method: "PATCH",
        path: "/v1/webhooks/{id}",
        name: "webhook_update",
        doc: "change url/events/active/name",
        handler: || patch(webhooks::update),
    },
    RouteDef {
        method: "DELETE",
        path: "/v1/webhooks/{id}",
        name: "webhook_delete",
        doc: "remove a webhook",
        handler: || delete(webhooks::delete),
    },
    RouteDef {
        method: "GET",
        path: "/v1/webhooks/{id}/logs",
        name: "webhook_logs",
        doc: "delivery attempts (?limit=&event=)",
        handler: || get(webhooks::logs),
    },
    RouteDef {
        method: "GET",
        path: "/v1/branding",
        name: "branding_get",
        doc: "the tenant's branding -> {branding: {…}} ({} when nothing is set); tenant key only",
        handler: || get(branding::get_branding),
    },
    RouteDef {
        method: "PUT",
        path: "/v1/branding",
        name: "branding_update",
        doc: "change the tenant's branding (a value sets a field, null clears it, a field left out stays) -> {branding: {…}}; tenant key only",
        handler: || put(branding::update_branding),
    },
    RouteDef {
        method: "GET",
        path: "/_sandbox",
        name: "",
        doc: "this index",
        handler: || get(control::control_index),
    },
    RouteDef {
        method: "GET",
        path: "/_sandbox/health",
        name: "",
        doc: "liveness",
        handler: || get(control::health),
    },
    RouteDef {
        method: "GET",
        path: "/_sandbox/numbers/{id}",
        name: "",
        doc: "internal state: each link's state, current QR ref and pairing code (primaryLink, secondaryLink), the number's own key",
        handler: || get(control::control_number),
    },
    RouteDef {
        method: "POST",
        path: "/_sandbox/numbers/{id}/scan",
        name: "",
        doc: "the phone scans the current QR of a link ({\"ref\"} optional: must be the current one; {\"link\"} or ?link= primary (default) | secondary)",
        handler: || post(control::control_scan),
    },
    RouteDef {
        method: "POST",
        path: "/_sandbox/numbers/{id}/pair",
        name: "",
        doc: "the phone enters a link's pairing code ({\"code\"}; {\"link\"} or ?link= primary (default) | secondary)",
        handler: || post(control::control_pair),
    },
    RouteDef {
        method: "POST",
        path: "/_sandbox/numbers/{id}/disconnect",
        name: "",
        doc: "a link's device logs out (OPEN -> CLOSE, number.disconnected; {\"link\"} or ?link= primary (default) | secondary)",
        handler: || post(control::control_disconnect),
    },
    RouteDef {
        method: "POST",
        path: "/_sandbox/numbers/{id}/meta",
        name: "",
        doc: "Meta connects or disconnects a Meta (official) number ({\"state\": \"OPEN\" | \"CLOSE\"}; health.metaStatus CONNECTED | PENDING) -> {ok, state, metaStatus, changed}; number.connected / number.disconnected on a change, none when it already has that state; a QR number -> 400",
        handler: || post(control::control_meta),
    },
    RouteDef {
        method: "POST",
        path: "/_sandbox/numbers/{id}/messages",
        name: "",
        doc: "the number's contact writes messages (needs an OPEN link; {count?: 1-1000, event?: \"message.received\", from?, content?, participantName?}) -> {messageIds, webhookIds}; signed message.* deliveries",
        handler: || post(control::control_messages),
    },
    RouteDef {
        method: "GET",
        path: "/_sandbox/remote-pairing/{token}",
        name: "",
        doc: "a remote-pairing link as the sandbox keeps it, cleared or not: {token, provider, status: pending | finished | used | expired | abandoned, pageUrl, createdAt, expiresAt, numberId, finishedAt, redirectUrl, externalRef, metaFlow, branding, aborts: [{outcome, step | errorId, errorMessage, sessionId, at}]}",
        handler: || get(hosted::control_view),
    },
    RouteDef {
        method: "POST",
        path: "/_sandbox/remote-pairing/{token}/finish",
        name: "",
        doc: "finish a Meta link's signup, like the page's #finish ({\"number\"?: \"+55…\" (default: the first number the page offers), \"displayName\"?}) -> {ok, outcome: finished, numberId, number, displayName, state, metaStatus, redirect, tokenCleared}; makes an official number (OPEN / CONNECTED, or CLOSE / PENDING with --meta-numbers pending), signed number.created + number.connected, single use; unknown token 404, QR link 400, used / expired / abandoned 410, phone taken 409",
        handler: || post(hosted::control_finish),
    },
    RouteDef {
        method: "POST",
        path: "/_sandbox/remote-pairing/{token}/cancel",
        name: "",
        doc: "the person cancels a Meta link's signup at one of Meta's steps ({\"step\"?: BUSINESS_ACCOUNT_SELECTION | WABA_PHONE_PROFILE_PICKER | WHATSAPP_BUSINESS_PROFILE_SETUP | PHONE_NUMBER_SETUP (default) | PHONE_NUMBER_VERIFICATION | PERMISSIONS}) -> {ok, outcome: cancelled, step, linkUsable} (--link-after-abort); no number, no webhook",
        handler: || post(hosted::control_cancel),
    },
    RouteDef {
        method: "POST",
        path: "/_sandbox/remote-pairing/{token}/fail",
        name: "",
        doc: "Meta fails a Meta link's signup ({\"errorId\"?, \"errorMessage\"?}) -> {ok, outcome: failed, errorId, errorMessage, sessionId, linkUsable} (--link-after-abort); no number, no webhook",
        handler: || post(hosted::control_fail),
    },
    RouteDef {
        method: "GET",
        path: "/_sandbox/faults",
        name: "",
        doc: "list faults",
        handler: || get(control::faults_list),
    },
    RouteDef {
        method: "POST",
        path: "/_sandbox/faults",
        name: "",
        doc: "add a fault ({route, kind, latencyMs, status, body, retryAfter, times})",
        handler: || post(control::faults_add),
    },
    RouteDef {
        method: "DELETE",
        path: "/_sandbox/faults",
        name: "",
        doc: "clear faults",
        handler: || delete(control::faults_clear),
    },
    RouteDef {
        method: "GET",
        path: "/_sandbox/webhooks",
        name: "",
        doc: "list control-API targets",
        handler: || get(control::hooks_list),
    },
    RouteDef {
        method: "POST",
        path: "/_sandbox/webhooks",
        name: "",
        doc: "add a target ({url, secret})",
        handler: || post(control::hooks_add),
    },
    RouteDef {
        method: "GET",
        path: "/_sandbox/webhooks/{id}/secret",
        name: "",
        doc: "the dashboard: the signing secret of a /v1/webhooks webhook ({webhookId, secret})",
        handler: || get(control::hook_secret),
    },
    RouteDef {
        method: "GET",
        path: "/_sandbox/webhooks/deliveries",
        name: "",
        doc: "delivery log",
        handler: || get(control::hooks_log),
    },
    RouteDef {
        method: "DELETE",
        path: "/_sandbox/webhooks/deliveries",
        name: "",
        doc: "clear the delivery log",
        handler: || delete(control::hooks_log_clear),
    },
    RouteDef {
        method: "DELETE",
        path: "/_sandbox/rate-limits",
        name: "",
        doc: "reset rate-limit counters",
        handler: || delete(control::rate_reset),
    },
    RouteDef {
        method: "GET",
        path: "/_sandbox/stats",
        name: "",
        doc: "API requests received per route name",
        handler: || get(control::stats),
    },
    RouteDef {
        method: "DELETE",
        path: "/_sandbox/stats",
        name: "",
        doc: "reset the request counts",
        handler: || delete(control::stats_reset),
    },
];

/// The `/v1` route `method path` matches (`{…}` is one segment), for faults and counts.
pub(crate) fn route_name(method: &str, path: &str) -> Option<&'static str> {
    let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    ROUTES
        .iter()
        .filter(|r| !r.name.is_empty() && r.method == method)
        .find_map(|r| {
            let pat: Vec<&str> = r.path.trim_start_matches('/').split('/').collect();
            let same = pat.len() == segs.len()
                && pat
                    .iter()
                    .zip(&segs)
                    .all(|(p, s)| (p.starts_with('{') && !s.is_empty()) || p == s);
            same.then_some(r.name)
        })
}

/// The names faults can target.
pub(crate) fn route_names() -> Vec<&'static str> {
    ROUTES
        .iter()
        .filter(|r| !r.name.is_empty())
        .map(|r| r.name)
        .collect()
}

pub fn router(app: Shared) -> Router {
    // One MethodRouter per path, merged from the table's entries.
    let mut paths: Vec<(&'static str, MethodRouter<Shared>)> = Vec::new();
    for r in ROUTES {
        match paths.iter_mut().find(|(p, _)| *p == r.path) {
            Some((_, m)) => *m = std::mem::take(m).merge((r.handler)()),
            None => paths.push((r.path, (r.handler)())),
        }
    }
    paths
        .into_iter()
        .fold(Router::new(), |router, (path, m)| router.route(path, m))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(Arc::clone(&app), gate::gate))
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
    app.purge_expired(&mut st, now);
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

/// `?link=` of connect/status and of the control routes.
#[derive(Deserialize, Default)]
struct LinkQuery {
    link: Option<String>,
}

/// The link a `?link=` names (absent = primary), or the 400 for any other value.
fn parse_link(raw: Option<&str>) -> Result<LinkId, Response> {
    LinkId::parse(raw).ok_or_else(|| invalid("link: must be primary or secondary"))
}

/// The link named by a query string that may not parse at all.
fn query_link(
    q: Result<Query<LinkQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<LinkId, Response> {
    let Ok(Query(q)) = q else {
        return Err(invalid("invalid query string"));
    };
    parse_link(q.link.as_deref())
}

/// The answer when a call names the secondary link of a number that has none.
fn no_secondary_link() -> Response {
    error(
        StatusCode::BAD_REQUEST,
        "This number has no secondary link (upgrade it to dual first)",
        Some("FEATURE_NOT_SUPPORTED"),
    )
}

fn masked(phone: &str) -> String {
    let n = phone.len();
    if n < 8 {
        return format!("+{phone}");
    }
    format!("+{}****{}", &phone[..n - 8], &phone[n - 4..])
}
