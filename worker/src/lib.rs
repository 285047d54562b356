//! The pilot-connect edge worker.
//!
//! Holds the Pilot Status `ps_` key as a secret and exposes to browsers only:
//! `GET /v1/qr`, `GET /v1/status` (each authorised by a short-lived, number-scoped connect
//! token in `Authorization: Bearer …`), their `OPTIONS` preflights, and `GET /healthz`.
//! Everything is a thin shell over the `pilot-connect` core: building, retrying, parsing and
//! the public error mapping all live there.

mod settings;

use pilot_connect::connect_token::{self, ConnectClaims, TokenError, VerifyOptions};
use pilot_connect::endpoints::{Connect, GetStatus};
use pilot_connect::fetch::FetchTransport;
use pilot_connect::public::{public_error, ErrorBody, PublicErrorCode, QrAnswer, StatusAnswer};
use pilot_connect::retry::RetryPolicy;
use pilot_connect::{Client, Link};
use serde_json::{json, Value};
use worker::{console_error, console_log, event, Context, Env, Method, Request, Response};

use std::cell::OnceCell;
use std::rc::Rc;

use crate::settings::{ConfigError, Settings};

const RATE_LIMITER: &str = "CONNECT_RATE_LIMITER";

/// Per-request facts every answer needs.
struct Reply {
    /// The request `Origin`, when it is allowed.
    allowed_origin: Option<String>,
}

impl Reply {
    fn json(&self, status: u16, body: &Value) -> Response {
        let resp = Response::builder()
            .with_status(status)
            .from_json(body)
            .unwrap_or_else(|_| Response::builder().with_status(500).empty());
        self.decorate(resp)
    }

    fn error(&self, code: PublicErrorCode) -> Response {
        self.json(code.status(), &ErrorBody { code }.to_json())
    }

    fn decorate(&self, mut resp: Response) -> Response {
        // In place: the answer's own headers (Retry-After, WWW-Authenticate) stay.
        let h = resp.headers_mut();
        let _ = h.set("content-type", "application/json");
        let _ = h.set("cache-control", "no-store");
        let _ = h.set("vary", "Origin");
        let _ = h.set("x-content-type-options", "nosniff");
        if let Some(o) = &self.allowed_origin {
            let _ = h.set("access-control-allow-origin", o);
            let _ = h.set("access-control-expose-headers", "Retry-After");
        }
        resp
    }
}

fn with_header(mut resp: Response, name: &str, value: &str) -> Response {
    let _ = resp.headers_mut().set(name, value);
    resp
}

thread_local! {
    // Bindings are fixed for the life of an isolate: read and validate them once, not on
    // every request (each read is a JS call, a missing var a thrown exception).
    static SETTINGS: OnceCell<Rc<Result<Settings, ConfigError>>> = const { OnceCell::new() };
}

fn settings(env: &Env) -> Rc<Result<Settings, ConfigError>> {
    SETTINGS.with(|c| Rc::clone(c.get_or_init(|| Rc::new(Settings::from_env(env)))))
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    let method = req.method();
    // `Request::path` parses the whole URL in wasm on every call: once per request is enough.
    let path = req.path();
    let resp = handle(req, &env, method.clone(), &path).await;
    console_log!("{} {} -> {}", method.as_ref(), path, resp.status_code());
    Ok(resp)
}

/// What a route does.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Action {
    Health,
    Qr,
    Status,
}

/// A route: every route answers `GET`; browser routes also answer CORS preflights.
struct Route {
    path: &'static str,
    action: Action,
    browser: bool,
}

/// Every route, listed once: routing, 404, 405 with `Allow`, and preflights come from here.
const ROUTES: [Route; 3] = [
    Route {
        path: "/healthz",
        action: Action::Health,
        browser: false,
    },
    Route {
        path: "/v1/qr",
        action: Action::Qr,
        browser: true,
    },
    Route {
        path: "/v1/status",
        action: Action::Status,
        browser: true,
    },
];

async fn handle(req: Request, env: &Env, method: Method, path: &str) -> Response {
    let origin = req.headers().get("origin").ok().flatten();
    let bare = Reply {
        allowed_origin: None,
    };
    let cached = settings(env);
    let settings = match cached.as_ref() {
        Ok(s) => s,
        Err(e) => {
            console_error!("config: {e}");
            return bare.error(PublicErrorCode::ConfigError);
        }
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
    match (method, route.action) {
        (Method::Get, Action::Health) => reply.json(200, &json!({ "ok": true })),
        (Method::Options, _) if route.browser => preflight(&reply),
        (Method::Get, action) => {
            match authorize(&req, env, settings, &reply, origin.as_deref()).await {
                Ok(auth) => serve(auth, action, settings, &reply).await,
                Err(resp) => resp,
            }
        }
        _ => with_header(
            reply.error(PublicErrorCode::MethodNotAllowed),
            "allow",
            if route.browser { "GET, OPTIONS" } else { "GET" },
        ),
    }
}

fn preflight(reply: &Reply) -> Response {
    let mut resp = reply.decorate(Response::builder().with_status(204).empty());
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

/// The public code of an upstream failure. A request the core refused to build can only come
/// from the token's claims (its `sub` or `link`), so it is the token that is invalid.
fn upstream_error(e: &pilot_connect::Error) -> PublicErrorCode {
    public_error(e).unwrap_or(PublicErrorCode::InvalidToken)
}

fn unauthorized(reply: &Reply, code: PublicErrorCode) -> Response {
    with_header(
        reply.error(code),
        "www-authenticate",
        r#"Bearer error="invalid_token""#,
    )
}

/// A verified, rate-checked caller: whose number it is and the client to reach Pilot Status.
struct Authorized {
    claims: ConnectClaims,
    client: Client<FetchTransport>,
}

/// Token → claims (audience, origin, lifetime) → rate limit → client. Every failure is the
/// answer to send.
async fn authorize(
    req: &Request,
    env: &Env,
    s: &Settings,
    reply: &Reply,
    origin: Option<&str>,
) -> Result<Authorized, Response> {
    let Some(token) = bearer(req) else {
        return Err(unauthorized(reply, PublicErrorCode::MissingToken));
    };
    let own_origin;
    let audience = match s.audience.as_deref() {
        Some(a) => a,
        None => {
            own_origin = req
                .url()
                .map(|u| u.origin().ascii_serialization())
                .unwrap_or_default();
            &own_origin
        }
    };
    let now = (js_sys::Date::now() / 1000.0) as u64;
    let claims = connect_token::verify(
        &s.token_secret,
        &token,
        &VerifyOptions::new(audience, now, origin),
    )
    .map_err(|e| unauthorized(reply, token_error(&e)))?;

    // Per token subject and client address, through the Cloudflare rate-limiting binding.
    let ip = req
        .headers()
        .get("cf-connecting-ip")
        .ok()
        .flatten()
        .unwrap_or_else(|| "unknown".into());
    let limiter = env.rate_limiter(RATE_LIMITER).map_err(|_| {
        console_error!("config: missing rate-limit binding {RATE_LIMITER}");
        reply.error(PublicErrorCode::ConfigError)
    })?;
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

    let client = Client::new(
        s.upstream.clone(),
        FetchTransport::with_timeout(s.upstream_timeout),
    )
    .with_retry_policy(RetryPolicy {
        total_budget: Some(s.upstream_budget),
        ..RetryPolicy::default()
    });
    Ok(Authorized { claims, client })
}

/// Calls Pilot Status for the caller's number and answers in the public wire format.
async fn serve(auth: Authorized, action: Action, s: &Settings, reply: &Reply) -> Response {
    let Authorized { claims, client } = auth;
    let link = claims.link.unwrap_or(Link::Primary);
    // (public code, upstream error when there was one)
    let result: Result<Value, (PublicErrorCode, Option<pilot_connect::Error>)> =
        if action == Action::Qr {
            match client.send(&Connect::new(&claims.sub).link(link)).await {
                Ok(out) => QrAnswer::from_outcome(out, s.qr_refresh_ms)
                    .map(|q| q.to_json())
                    .map_err(|code| (code, None)),
                Err(e) => Err((upstream_error(&e), Some(e))),
            }
        } else {
            client
                .send(&GetStatus::new(&claims.sub).link(link))
                .await
                .map(|st| StatusAnswer::of(&st).to_json())
                .map_err(|e| (upstream_error(&e), Some(e)))
        };
    match result {
        Ok(body) => reply.json(200, &body),
        Err((code, e)) => {
            // The kind and status only: upstream bodies may echo request details.
            console_error!(
                "upstream: {:?} status={:?} -> {}",
                e.as_ref().map(pilot_connect::Error::kind),
                e.as_ref().and_then(pilot_connect::Error::status),
                code.as_str()
            );
            let resp = reply.error(code);
            match e.as_ref().and_then(pilot_connect::Error::retry_after) {
                Some(wait) if code == PublicErrorCode::RateLimited => {
                    with_header(resp, "retry-after", &wait.as_secs().max(1).to_string())
                }
                _ => resp,
            }
        }
    }
}
