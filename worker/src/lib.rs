//! The pilot-connect edge worker.
//!
//! Holds the Pilot Status `ps_` key as a secret. Its routes are the wire format's
//! (`pilot_connect::public::route`, listed once in `ROUTES`): for browsers `GET /v1/qr`,
//! `GET /v1/status` (each authorised by a short-lived, number-scoped connect token in
//! `Authorization: Bearer …`) and the `/v1/events` push stream (the token as a subprotocol),
//! with their `OPTIONS` preflights; for Pilot Status the signed webhook receiver; for the
//! operator the dead letters (`ADMIN_SECRET`); and `GET /healthz`.
//!
//! A browser request: `authorize` (token, origin, rate limit) → [`SessionClient`] → the
//! number's session ([`session`]: a pure machine driven by a Durable Object) → `upstream` →
//! the core's endpoint. A webhook: `hooks` (signature, dedup key) → the sessions of the number's
//! links → pushed to their widgets. Building, retrying, parsing and the public error mapping
//! live in the `pilot-connect` core.

mod admin;
mod branding;
mod forward;
mod health;
mod hooks;
mod object;
mod reply;
pub mod session;
mod settings;
mod upstream;

pub use forward::DeadLetters;
pub use session::NumberSession;

use pilot_connect::connect_token::{self, ConnectClaims, TokenError, VerifyOptions};
use pilot_connect::public::{route as path, PublicErrorCode, BEARER_PREFIX, SUBPROTOCOL};
use worker::{console_error, console_log, event, Context, Env, Method, Request, Response};

use std::cell::OnceCell;
use std::rc::Rc;

use crate::reply::{with_header, Reply};
use crate::session::protocol::Subject;
use crate::session::{SessionClient, SessionRequest};
use crate::settings::{ConfigError, Settings};

const RATE_LIMITER: &str = "CONNECT_RATE_LIMITER";
/// The Durable Object namespace of the per-number sessions. Required: the session is what
/// keeps the customer's Pilot Status budget (single-flight, backoff, `Retry-After`), so there
/// is no path to Pilot Status around it.
pub(crate) const SESSIONS: &str = "NUMBER_SESSIONS";

/// The settings, read once per isolate (or why they are unusable).
pub(crate) type Cfg = Rc<Result<Settings, ConfigError>>;

thread_local! {
    // Bindings are fixed for the life of an isolate: read and validate them once, not on
    // every request (each read is a JS call, a missing var a thrown exception).
    static SETTINGS: OnceCell<Rc<Result<Settings, ConfigError>>> = const { OnceCell::new() };
    // What is missing is logged once per isolate, on its first request or batch.
    static REPORTED: OnceCell<()> = const { OnceCell::new() };
}

/// Which of the edge's dependencies this env has (names from [`health::DEPS`]).
fn health_of(env: &Env) -> health::Health {
    use health::Kind;
    health::assess(|d| match d.kind {
        Kind::Secret | Kind::Var => settings::has_text(env, d.name),
        Kind::DurableObject => env.durable_object(d.name).is_ok(),
        Kind::Queue => env.queue(d.name).is_ok(),
        Kind::RateLimiter => env.rate_limiter(d.name).is_ok(),
    })
}

/// The first request or batch an isolate serves names each missing dependency, one line each.
fn report_missing(env: &Env) {
    REPORTED.with(|r| {
        r.get_or_init(|| {
            for line in health_of(env).log_lines() {
                console_error!("{line}");
            }
        });
    });
}

pub(crate) fn settings(env: &Env) -> Cfg {
    SETTINGS.with(|c| Rc::clone(c.get_or_init(|| Rc::new(Settings::from_env(env)))))
}

/// The forward queue's consumer, and the dead-letter queue's (edge in front).
#[event(queue)]
async fn queue(
    batch: worker::MessageBatch<forward::ForwardJob>,
    env: Env,
    _ctx: Context,
) -> worker::Result<()> {
    report_missing(&env);
    let cached = settings(&env);
    match cached.as_ref() {
        Err(e) => {
            console_error!("config: {e}; queue batch retried");
            batch.retry_all();
        }
        Ok(_) if batch.queue() == forward::DEAD_LETTER_QUEUE => {
            forward::keep_dead(batch, &env).await
        }
        Ok(s) => forward::consume(batch, s).await,
    }
    Ok(())
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> worker::Result<Response> {
    report_missing(&env);
    let method = req.method();
    // `Request::path` parses the whole URL in wasm on every call: once per request is enough.
    let path = req.path();
    let resp = handle(req, &env, &ctx, method.clone(), &path).await;
    console_log!("{} {} -> {}", method.as_ref(), path, resp.status_code());
    Ok(resp)
}

/// What a route does.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Action {
    Health,
    Qr,
    Status,
    Events,
    Hook,
    DeadLetters,
    Replay,
}

/// A route: its one method, and whether browsers call it (then it answers CORS preflights).
struct Route {
    path: &'static str,
    action: Action,
    method: Method,
    browser: bool,
}

/// Every route, listed once: routing, 404, 405 with `Allow`, and preflights come from here.
const ROUTES: [Route; 7] = [
    Route {
        path: path::HEALTH,
        action: Action::Health,
        method: Method::Get,
        browser: false,
    },
    Route {
        path: path::QR,
        action: Action::Qr,
        method: Method::Get,
        browser: true,
    },
    Route {
        path: path::STATUS,
        action: Action::Status,
        method: Method::Get,
        browser: true,
    },
    // Push to the widget: a WebSocket to the number's session object.
    Route {
        path: path::EVENTS,
        action: Action::Events,
        method: Method::Get,
        browser: true,
    },
    // Pilot Status → worker. Never CORS, never a browser.
    Route {
        path: path::HOOK,
        action: Action::Hook,
        method: Method::Post,
        browser: false,
    },
    // The operator (ADMIN_SECRET): forwards that ran out of retries. Never a browser.
    Route {
        path: path::DEAD_LETTERS,
        action: Action::DeadLetters,
        method: Method::Get,
        browser: false,
    },
    Route {
        path: path::REPLAY,
        action: Action::Replay,
        method: Method::Post,
        browser: false,
    },
];

async fn handle(
    req: Request,
    env: &Env,
    ctx: &Context,
    method: Method,
    full_path: &str,
) -> Response {
    // Routes live under the base path (a mount's prefix): anything else is not ours.
    let base = settings::base_path(env).unwrap_or_default();
    let Some(path) = settings::under_base(full_path, &base) else {
        return Reply::BARE.error(PublicErrorCode::RouteNotFound);
    };
    // Health answers whatever the settings say: it is how an operator learns what is wrong.
    if path == path::HEALTH && method == Method::Get {
        let cached = settings(env);
        let error = cached.as_ref().as_ref().err().map(ToString::to_string);
        let h = health_of(env);
        return Reply::BARE.json(
            h.status(error.as_deref()),
            &h.to_json(env!("CARGO_PKG_VERSION"), error.as_deref()),
        );
    }
    let origin = req.headers().get("origin").ok().flatten();
    let cached = settings(env);
    let settings = match cached.as_ref() {
        Ok(s) => s,
        Err(e) => {
            console_error!("config: {e}");
            return Reply::BARE.error(PublicErrorCode::ConfigError);
        }
    };
    let Ok(ns) = env.durable_object(SESSIONS) else {
        console_error!("config: missing Durable Object binding {SESSIONS}");
        return Reply::BARE.error(PublicErrorCode::ConfigError);
    };
    let allowed = origin
        .as_deref()
        .filter(|o| settings.allowed_origins.iter().any(|a| a == o))
        .map(str::to_owned);
    let reply = Reply {
        allowed_origin: allowed.clone(),
    };
    let Some(route) = ROUTES.iter().find(|r| r.path == path) else {
        return reply.error(PublicErrorCode::RouteNotFound);
    };
    // A browser page whose origin is not allowed gets nothing from us.
    if origin.is_some() && allowed.is_none() {
        return reply.error(PublicErrorCode::OriginNotAllowed);
    }
    if method == Method::Options && route.browser {
        return preflight(&reply);
    }
    if method != route.method {
        let allow = match (&route.method, route.browser) {
            (Method::Post, _) => "POST",
            (_, true) => "GET, OPTIONS",
            _ => "GET",
        };
        return with_header(
            reply.error(PublicErrorCode::MethodNotAllowed),
            "allow",
            allow,
        );
    }
    match route.action {
        // Answered above (GET); here only for its 405.
        Action::Health => reply.error(PublicErrorCode::MethodNotAllowed),
        Action::Hook => hooks::receive(req, env, settings).await,
        Action::DeadLetters | Action::Replay => {
            admin::dead_letters(req, env, settings, route.action == Action::Replay).await
        }
        Action::Events => events(req, env, &ns, settings, &reply, origin.as_deref()).await,
        action => {
            let token = bearer(&req);
            match authorize(&req, env, settings, &reply, origin.as_deref(), token).await {
                Ok(claims) => {
                    let hook_url = hook_url(&req, settings);
                    let branding = branding::tenant(settings, ctx);
                    serve(&claims, action, &ns, &reply, hook_url, branding).await
                }
                Err(resp) => resp,
            }
        }
    }
}

fn preflight(reply: &Reply) -> Response {
    let mut resp = reply.empty(204);
    let h = resp.headers_mut();
    let _ = h.set("access-control-allow-methods", "GET, OPTIONS");
    let _ = h.set("access-control-allow-headers", "authorization");
    let _ = h.set("access-control-max-age", "600");
    let _ = h.delete("content-type");
    resp
}

fn bearer(req: &Request) -> Option<String> {
    let value = req.headers().get("authorization").ok().flatten()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
        .filter(|t| !t.is_empty())
}

fn token_error(e: &TokenError) -> PublicErrorCode {
    match e {
        TokenError::Expired => PublicErrorCode::TokenExpired,
        TokenError::OriginMismatch => PublicErrorCode::OriginMismatch,
        _ => PublicErrorCode::InvalidToken,
    }
}

/// Token → claims (audience, origin, lifetime) → rate limit. Every failure is the answer to
/// send.
async fn authorize(
    req: &Request,
    env: &Env,
    s: &Settings,
    reply: &Reply,
    origin: Option<&str>,
    token: Option<String>,
) -> Result<ConnectClaims, Response> {
    let Some(token) = token else {
        return Err(reply.unauthorized(PublicErrorCode::MissingToken));
    };
    let audience = audience_of(req, s);
    let now = (js_sys::Date::now() / 1000.0) as u64;
    let claims = connect_token::verify_with_any(
        &s.token_secrets,
        &token,
        &VerifyOptions::new(&audience, now, origin),
    )
    .map_err(|e| reply.unauthorized(token_error(&e)))?;

    // Per token subject and client address, through the Cloudflare rate-limiting binding.
    let ip = req
        .headers()
        .get("cf-connecting-ip")
        .ok()
        .flatten()
        .unwrap_or_else(|| "unknown".into());
    // Recommended, not required: without the binding (named once per isolate by
    // `report_missing`) tokens are not rate limited; the sessions still keep the budget.
    let Ok(limiter) = env.rate_limiter(RATE_LIMITER) else {
        return Ok(claims);
    };
    match limiter.limit(format!("{}|{ip}", claims.sub)).await {
        Ok(o) if o.success => {}
        // Over the limit: come back when the limiter's window has passed.
        Ok(_) => {
            return Err(with_header(
                reply.error(PublicErrorCode::RateLimited),
                "retry-after",
                &s.rate_limit_period_secs.to_string(),
            ))
        }
        // The limiter itself failed: our platform, not Pilot Status.
        Err(e) => {
            console_error!("rate limiter failed: {e}");
            return Err(reply.error(PublicErrorCode::Unavailable));
        }
    }

    Ok(claims)
}

/// `GET /v1/events`: a WebSocket to the caller's number session, which pushes every change.
///
/// Offered whenever the session objects are: with webhooks the session learns "connected" the
/// moment a phone links; without them it checks the status itself (one call per number, not
/// per tab). Browsers cannot set headers on a WebSocket, and a token in the URL would end up in
/// logs, so the token travels as the second subprotocol, `bearer.<token>`, next to
/// `pilot-connect.v1`; the Origin is checked like on every route.
async fn events(
    req: Request,
    env: &Env,
    ns: &worker::ObjectNamespace,
    s: &Settings,
    reply: &Reply,
    origin: Option<&str>,
) -> Response {
    let upgrade = req.headers().get("upgrade").ok().flatten();
    if !upgrade.is_some_and(|u| u.eq_ignore_ascii_case("websocket")) {
        return with_header(
            reply.error(PublicErrorCode::MethodNotAllowed),
            "upgrade",
            "websocket",
        );
    }
    let offered = req
        .headers()
        .get("sec-websocket-protocol")
        .ok()
        .flatten()
        .unwrap_or_default();
    let mut protocols = offered.split(',').map(str::trim);
    if !protocols.clone().any(|p| p == SUBPROTOCOL) {
        return reply.unauthorized(PublicErrorCode::MissingToken);
    }
    let token = protocols
        .find_map(|p| p.strip_prefix(BEARER_PREFIX))
        .map(str::to_owned)
        .filter(|t| !t.is_empty());
    let claims = match authorize(&req, env, s, reply, origin, token).await {
        Ok(c) => c,
        Err(resp) => return resp,
    };
    let watched = match SessionClient::of(ns, &Subject::of(&claims)) {
        Ok(session) => {
            let hook = hook_url(&req, s);
            let audience = audience_of(&req, s);
            session
                .watch(
                    &req,
                    claims.webhooks == Some(true),
                    hook.as_deref(),
                    claims.exp,
                    &audience,
                    claims
                        .remote_pairing_link()
                        .map(|rp| (rp.token.as_str(), rp.exp)),
                )
                .await
        }
        Err(e) => Err(e),
    };
    watched.unwrap_or_else(|e| {
        console_error!("session object failed: {e}");
        reply.error(PublicErrorCode::Unavailable)
    })
}

/// The `aud` tokens must carry: `CONNECT_TOKEN_AUDIENCE`, else this edge's own URL.
fn audience_of(req: &Request, s: &Settings) -> String {
    match s.audience.as_deref() {
        Some(a) => a.to_owned(),
        None => own_url_of(req, s).unwrap_or_default(),
    }
}

/// This edge's URL as the caller reached it: its origin and the base path (what the widget's
/// `endpoint` is, and a token's default audience).
fn own_url_of(req: &Request, s: &Settings) -> Option<String> {
    let url = req.url().ok()?;
    Some(format!(
        "{}{}",
        url.origin().ascii_serialization(),
        s.base_path
    ))
}

/// This edge's webhook receiver as the caller reached the edge: what a webhook pointing at
/// this edge has as its URL. Sessions list the number's webhooks to know whether one does.
fn hook_url(req: &Request, s: &Settings) -> Option<String> {
    own_url_of(req, s).map(|u| format!("{u}{}", path::HOOK))
}

/// Answers for the caller's number in the public wire format, through its session object (one
/// upstream call for every viewer).
async fn serve(
    claims: &ConnectClaims,
    action: Action,
    ns: &worker::ObjectNamespace,
    reply: &Reply,
    hook_url: Option<String>,
    branding: impl core::future::Future<Output = std::rc::Rc<pilot_connect::public::Branding>>,
) -> Response {
    let webhooks = claims.webhooks == Some(true);
    let link_exp = claims.remote_pairing_link().map(|rp| rp.exp);
    let link_token = claims.remote_pairing_link().map(|rp| rp.token.clone());
    let request = if action == Action::Qr {
        SessionRequest::Qr {
            webhooks,
            hook_url,
            link_exp,
            link_token,
        }
    } else {
        SessionRequest::Status {
            webhooks,
            hook_url,
            link_exp,
            link_token,
        }
    };
    let answer = async {
        match SessionClient::of(ns, &Subject::of(claims)) {
            Ok(session) => session.call(&request).await,
            Err(e) => Err(e),
        }
    };
    // The tenant's branding is read (when stale) while the session answers.
    let (answered, tenant) = futures_util::future::join(answer, branding).await;
    // A pairing link's own snapshot comes before the tenant's (the page's options before both,
    // in the widget).
    let shown = match &claims.branding {
        Some(link) => branding::from_object(link).or(&tenant),
        None => (*tenant).clone(),
    };
    match answered {
        Ok(resp) => relay(resp, reply, &shown).await,
        Err(e) => {
            console_error!("session object failed: {e}");
            reply.error(PublicErrorCode::Unavailable)
        }
    }
}

/// The session's answer (already in the public wire format) as the page's, with the tenant's
/// branding beside a 200's fields: a fetched response's headers are immutable, so status,
/// `Retry-After` and body move to a new one.
async fn relay(
    mut resp: Response,
    reply: &Reply,
    tenant: &pilot_connect::public::Branding,
) -> Response {
    let status = resp.status_code();
    let retry = resp.headers().get("retry-after").ok().flatten();
    let relayed = match resp.bytes().await {
        Ok(body) => {
            let body = if status == 200 {
                branding::with_branding(body, tenant)
            } else {
                body
            };
            Response::from_bytes(body).map(|r| reply.decorate(r.with_status(status)))
        }
        Err(e) => Err(e),
    };
    match (relayed, retry) {
        (Ok(r), Some(secs)) => with_header(r, "retry-after", &secs),
        (Ok(r), None) => r,
        (Err(e), _) => {
            console_error!("session answer unreadable: {e}");
            reply.error(PublicErrorCode::Unavailable)
        }
    }
}
