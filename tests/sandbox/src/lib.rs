//! # pilot-sandbox
//!
//! A local, stateful stand-in for the Pilot Status number API (in the spirit of stripe-mock).
//! It speaks the documented contract over real HTTP, pairs numbers like WhatsApp does (rotating
//! QR refs rendered as real QR PNGs, a stable pairing code), delivers signed `number.*`
//! webhooks with retries, rate-limits per key and injects faults on demand. Control routes
//! under `/_sandbox/` play the phone (scan, type the code, disconnect) and steer faults.

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
    /// The union of all three (default).
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
    /// Their signing secret.
    pub webhook_secret: String,
    /// Tries per delivery.
    pub webhook_tries: u32,
    /// Status shape.
    pub status_shape: StatusShape,
    /// Number-key policy.
    pub number_keys: NumberKeyPolicy,
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
            status_shape: StatusShape::Full,
            number_keys: NumberKeyPolicy::Allow,
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
            hooks: Dispatcher::new(targets, secret, clock, opts.webhook_tries),
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
