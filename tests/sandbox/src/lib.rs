//! # pilot-sandbox
//!
//! A local, stateful stand-in for the Pilot Status number API (in the spirit of stripe-mock).
//! It speaks the documented contract over real HTTP, pairs numbers like WhatsApp does (rotating
//! QR refs rendered as real QR PNGs, a stable pairing code), delivers signed `number.*`
//! webhooks with retries, rate-limits per key and injects faults on demand. Dual numbers
//! (`POST /v1/numbers/{id}/upgrade-to-dual`) get a secondary link that pairs on its own
//! (`?link=secondary` on connect/status, `{"link": "secondary"}` on the phone's control
//! routes) and fires the same, link-less `number.*` webhooks. Meta (official) numbers are
//! connected at creation, or with `--meta-numbers pending` wait on Meta until a control route
//! connects them (`health.metaStatus` `PENDING` / `CONNECTED`). Control routes
//! under `/_sandbox/` play the phone (scan, type the code, disconnect, receive messages), play
//! Meta (connect or disconnect an official number), play the dashboard (a webhook's signing
//! secret) and steer faults.
//!
//! A `provider: "META"` remote-pairing link is served as Pilot's hosted page would serve it:
//! `remotePairingUrl` (`/connect/{token}`) is a local HTML page that plays Meta's Embedded Signup
//! (the link's company name, "Continue with Facebook", pick or type a number, then finish,
//! cancel at one of Meta's steps, or fail with a Meta error id). Finishing makes an official
//! number (`OPEN`, `health.metaStatus` `CONNECTED`), sends the signed `number.created` and
//! `number.connected`, spends the link and sends the browser to the link's `redirectUrl` (303).
//! `POST /_sandbox/remote-pairing/{token}/finish|cancel|fail` do what the page's buttons do.
//! What the Pilot Status documentation leaves open about that flow is a flag each
//! ([`LinkAfterSuccess`], [`LinkNumberId`], [`LinkExternalRef`], [`RedirectParams`],
//! [`LinkAfterAbort`]; `docs/meta-inferences.md` says why each default was chosen).

#![warn(missing_docs)]

pub mod clock;
pub mod faults;
mod handlers;
pub mod qr;
pub mod ratelimit;
pub mod state;
pub mod webhooks;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::clock::Clock;
use crate::faults::Fault;
use crate::ratelimit::RateLimiter;
use crate::state::{Scope, State};
use crate::webhooks::{Dispatcher, Target};

/// Which documented generation of the status answer to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StatusShape {
    /// `{id, state}` (docs .md copy).
    Md,
    /// `{state, isFullyConnected}` (docs rendered copy).
    Rendered,
    /// `{id, state, stale, checkedAt}` (SDK 1.15).
    Sdk,
    /// The union of all three (default), plus `primaryLink` and `secondaryLink`
    /// (`{state, connectedAt}`; `secondaryLink` is `null` unless the number is dual).
    Full,
}

/// May number-scoped keys use `/v1/numbers/*`? The docs disagree (contract §11.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum NumberKeyPolicy {
    /// Create guide: a number key works on its own number (default).
    Allow,
    /// Best-practices page: 403 `NUMBER_SCOPE_NOT_ALLOWED` on every `/v1/numbers` route.
    Deny,
}

/// How many webhooks one number may have. The docs do not say (contract §8.1), so both are
/// modelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum WebhooksPerNumber {
    /// One: a second `POST /v1/webhooks` for the same number is refused with 409
    /// `WEBHOOK_ALREADY_EXISTS` (default).
    One,
    /// Several: each matching delivery goes to every one of them.
    Many,
}

/// Which secret signs the deliveries of webhooks created through `POST /v1/webhooks`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum WebhookSecrets {
    /// Every delivery is signed with `--webhook-secret` (default).
    Global,
    /// Each webhook has its own secret: "whsec_" + hex HMAC-SHA256 of its id keyed with
    /// `--webhook-secret` (`per_webhook_secret`). The API never returns it;
    /// `GET /_sandbox/webhooks/{id}/secret` plays the dashboard.
    PerWebhook,
}

/// The signing secret of webhook `webhook_id` under `--webhook-secrets per-webhook`:
/// `"whsec_"` + lower-case hex HMAC-SHA256 of the webhook id, keyed with the global
/// `--webhook-secret` (the same computation as a signature: `sign(global, id)`).
#[must_use]
pub fn per_webhook_secret(global: &pilot_connect::WebhookSecret, webhook_id: &str) -> String {
    format!(
        "whsec_{}",
        pilot_connect::webhook::sign(global, webhook_id.as_bytes())
    )
}

/// How a Meta (official) number starts when `POST /v1/numbers/meta` or a finished hosted Meta
/// signup (a `provider: "META"` remote-pairing link) creates it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MetaNumbers {
    /// Connected at once: state `OPEN`, `health.metaStatus` `CONNECTED` (default).
    Open,
    /// Not connected yet, waiting on Meta: state `CLOSE`, `health.metaStatus` `PENDING`, until
    /// `POST /_sandbox/numbers/{id}/meta` `{"state": "OPEN"}` connects it.
    Pending,
}

/// What the public token endpoints answer once a Meta link's signup is finished (the docs:
/// "poll until OPEN", and "after connection the single-use token is cleared"; not when).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LinkAfterSuccess {
    /// The token's status answers `OPEN` once, and that read clears it: every later
    /// `GET /v1/remote-pairing/{token}[/status]` is 404 (default).
    OpenThenGone,
    /// The token is cleared as the number connects: the status is 404 straight away.
    Gone,
}

/// Where a finished Meta link names the number it made (`numberId`). No documented answer of
/// the token endpoints has the field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LinkNumberId {
    /// In neither answer (default; SDK 1.15 types both answers without it).
    None,
    /// In `GET /v1/remote-pairing/{token}/status`.
    Status,
    /// In `GET /v1/remote-pairing/{token}`.
    Info,
    /// In both.
    Both,
}

impl LinkNumberId {
    /// `numberId` in the status answer?
    #[must_use]
    pub fn in_status(self) -> bool {
        matches!(self, Self::Status | Self::Both)
    }

    /// `numberId` in the token info?
    #[must_use]
    pub fn in_info(self) -> bool {
        matches!(self, Self::Info | Self::Both)
    }
}

/// Where a Meta link's `externalRef` ("correlation reference") comes back on the number it
/// made. The docs say no more than that.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LinkExternalRef {
    /// Nowhere.
    None,
    /// In the `data` of that number's `number.*` webhooks (default).
    Webhook,
    /// In `GET /v1/numbers/{id}`.
    Detail,
    /// In both.
    Both,
}

impl LinkExternalRef {
    /// `externalRef` in the number's `number.*` webhook data?
    #[must_use]
    pub fn in_webhook(self) -> bool {
        matches!(self, Self::Webhook | Self::Both)
    }

    /// `externalRef` in `GET /v1/numbers/{id}`?
    #[must_use]
    pub fn in_detail(self) -> bool {
        matches!(self, Self::Detail | Self::Both)
    }
}

/// What the 303 to a finished Meta link's `redirectUrl` adds to it (query parameters; none is
/// documented).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RedirectParams {
    /// The `redirectUrl` as given (default).
    None,
    /// `status=success`.
    Status,
    /// `status=success&numberId=…`, and `&externalRef=…` when the link has one.
    Full,
}

/// What a Meta link is worth after the person cancelled the signup or Meta failed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LinkAfterAbort {
    /// Still pending: the person can try again on the same link (default).
    Retry,
    /// Spent: the token is cleared (public endpoints 404, the page and control routes 410).
    Spent,
}

/// Start-up settings.
#[derive(Debug, Clone)]
pub struct Options {
    /// Tenant-scoped keys (`ps_…`).
    pub tenant_keys: Vec<String>,
    /// Id of the first tenant key, for `x-api-key-id`.
    pub tenant_key_id: String,
    /// Extra number-scoped keys not yet bound to a number (to test `linkToApiKey`).
    pub unbound_number_keys: Vec<String>,
    /// Virtual time speed-up.
    pub time_scale: f64,
    /// Requests per window per key (0 = off).
    pub rate_limit: u32,
    /// Rate-limit window.
    pub rate_window: Duration,
    /// Webhook targets at start.
    pub webhook_urls: Vec<String>,
    /// The global signing secret: signs the start-up targets, control-API targets added
    /// without a secret and (with [`WebhookSecrets::Global`]) registered webhooks; keys the
    /// per-webhook secrets otherwise.
    pub webhook_secret: String,
    /// Tries per delivery.
    pub webhook_tries: u32,
    /// One or several webhooks per number.
    pub webhooks_per_number: WebhooksPerNumber,
    /// One global signing secret, or one per webhook.
    pub webhook_secrets: WebhookSecrets,
    /// Status shape.
    pub status_shape: StatusShape,
    /// Number-key policy.
    pub number_keys: NumberKeyPolicy,
    /// Whether a new Meta number is connected at once (`open`, default) or waits on Meta
    /// (`pending`: `CLOSE` / `metaStatus` `PENDING` until `POST /_sandbox/numbers/{id}/meta`).
    pub meta_numbers: MetaNumbers,
    /// Meta link, finished: the token's status answers `OPEN` once and then 404
    /// (`open-then-gone`, default), or 404 at once (`gone`).
    pub link_after_success: LinkAfterSuccess,
    /// Meta link, finished: whether the new number's id is in the token's status answer, its
    /// info, both or neither (default).
    pub link_number_id: LinkNumberId,
    /// Meta link: whether its `externalRef` is echoed in the new number's `number.*` webhook data
    /// (default), in `GET /v1/numbers/{id}`, both or neither.
    pub link_external_ref: LinkExternalRef,
    /// Meta link, finished: what the 303 to its `redirectUrl` adds (nothing by default).
    pub redirect_params: RedirectParams,
    /// Meta link, cancelled or failed: still usable (`retry`, default) or spent.
    pub link_after_abort: LinkAfterAbort,
    /// Largest accepted body.
    pub max_body_bytes: usize,
    /// Log each request to stderr (never keys).
    pub verbose: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            tenant_keys: vec!["ps_sandbox_tenant_key".into()],
            tenant_key_id: "key_tenant".into(),
            unbound_number_keys: Vec::new(),
            time_scale: 1.0,
            rate_limit: 600,
            rate_window: Duration::from_secs(60),
            webhook_urls: Vec::new(),
            webhook_secret: "whsec_sandbox".into(),
            webhook_tries: 5,
            webhooks_per_number: WebhooksPerNumber::One,
            webhook_secrets: WebhookSecrets::Global,
            status_shape: StatusShape::Full,
            number_keys: NumberKeyPolicy::Allow,
            meta_numbers: MetaNumbers::Open,
            link_after_success: LinkAfterSuccess::OpenThenGone,
            link_number_id: LinkNumberId::None,
            link_external_ref: LinkExternalRef::Webhook,
            redirect_params: RedirectParams::None,
            link_after_abort: LinkAfterAbort::Retry,
            max_body_bytes: 64 * 1024,
            verbose: false,
        }
    }
}

/// Shared server state.
#[derive(Debug)]
pub struct App {
    opts: Options,
    clock: Clock,
    base_url: String,
    state: Mutex<State>,
    faults: Mutex<Vec<Fault>>,
    /// API requests received, by route name (what a client cost us: `GET /_sandbox/stats`).
    hits: Mutex<std::collections::BTreeMap<&'static str, u64>>,
    limiter: Mutex<RateLimiter>,
    hooks: Dispatcher,
    /// Signs registered webhooks' deliveries in `global` mode; keys per-webhook secrets.
    secret: pilot_connect::WebhookSecret,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panicked handler must not take the whole sandbox down with it.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl App {
    fn new(opts: Options, base_url: String) -> Result<Self, String> {
        if !(opts.time_scale.is_finite() && opts.time_scale > 0.0) {
            return Err("--time-scale must be a positive number".into());
        }
        let clock = Clock::new(opts.time_scale);
        let secret = pilot_connect::WebhookSecret::new(&opts.webhook_secret)
            .map_err(|e| format!("--webhook-secret: {e}"))?;
        let targets = opts
            .webhook_urls
            .iter()
            .map(|url| Target {
                url: url.clone(),
                secret: secret.clone(),
            })
            .collect();
        let mut state = State::default();
        for (i, key) in opts.tenant_keys.iter().enumerate() {
            if !key.starts_with("ps_") {
                return Err(format!("tenant key #{} must start with ps_", i + 1));
            }
            let id = if i == 0 {
                opts.tenant_key_id.clone()
            } else {
                format!("{}_{i}", opts.tenant_key_id)
            };
            state.add_key(key.clone(), id, "Tenant", Scope::Tenant);
        }
        for key in &opts.unbound_number_keys {
            if !key.starts_with("ps_") {
                return Err("number keys must start with ps_".into());
            }
            let id = state.next_id("key_");
            state.add_key(key.clone(), id, "Unbound", Scope::Number(None));
        }
        Ok(Self {
            hooks: Dispatcher::new(targets, clock, opts.webhook_tries, opts.webhooks_per_number),
            secret,
            limiter: Mutex::new(RateLimiter::new(opts.rate_limit, opts.rate_window)),
            clock,
            base_url,
            state: Mutex::new(state),
            faults: Mutex::new(Vec::new()),
            hits: Mutex::new(std::collections::BTreeMap::new()),
            opts,
        })
    }
}

impl App {
    /// The secret that signs the deliveries of a new registered webhook `id`.
    fn secret_for(&self, id: &str) -> Result<pilot_connect::WebhookSecret, String> {
        match self.opts.webhook_secrets {
            WebhookSecrets::Global => Ok(self.secret.clone()),
            WebhookSecrets::PerWebhook => {
                pilot_connect::WebhookSecret::new(per_webhook_secret(&self.secret, id))
                    .map_err(|e| e.to_string())
            }
        }
    }

    /// Erases soft-deleted numbers whose 30-day window is over, with their webhooks.
    fn purge_expired(&self, st: &mut State, now: f64) {
        for id in st.purge_expired(now) {
            self.hooks.forget_number(&id);
        }
    }
}

/// A running sandbox.
#[derive(Debug)]
pub struct Running {
    /// `http://127.0.0.1:<port>`.
    pub base_url: String,
    /// Bound address.
    pub addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

impl Running {
    /// Stops accepting, finishes in-flight requests and waits.
    ///
    /// # Errors
    /// The server's I/O error, if it failed.
    pub async fn stop(mut self) -> std::io::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        (&mut self.task)
            .await
            .unwrap_or_else(|e| Err(std::io::Error::other(e)))
    }
}

/// Binds `127.0.0.1:port` (0 = any free port) and serves in the background.
///
/// # Errors
/// Bind failures and invalid options.
pub async fn start(opts: Options, port: u16) -> std::io::Result<Running> {
    let listener = TcpListener::bind(("127.0.0.1", port)).await?;
    let addr = listener.local_addr()?;
    let (tx, rx) = oneshot::channel();
    let base_url = format!("http://{addr}");
    let app = App::new(opts, base_url.clone()).map_err(std::io::Error::other)?;
    let task = tokio::spawn(serve(listener, app, async {
        let _ = rx.await;
    }));
    Ok(Running {
        base_url,
        addr,
        shutdown: Some(tx),
        task,
    })
}

/// Builds the app for a bound listener (used by the binary).
///
/// # Errors
/// Invalid options.
pub fn app_for(opts: Options, listener: &TcpListener) -> std::io::Result<App> {
    let addr = listener.local_addr()?;
    App::new(opts, format!("http://{addr}")).map_err(std::io::Error::other)
}

/// Serves until `shutdown` resolves.
///
/// # Errors
/// I/O errors from the listener.
pub async fn serve(
    listener: TcpListener,
    app: App,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let router = handlers::router(Arc::new(app));
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
