//! `pilot-sandbox`: run a local Pilot Status for development and tests.

use std::io::Write as _;
use std::time::Duration;

use clap::Parser;
use pilot_sandbox::{
    LinkAfterAbort, LinkAfterSuccess, LinkExternalRef, LinkNumberId, MetaNumbers, NumberKeyPolicy,
    Options, RedirectParams, StatusShape, WebhookSecrets, WebhooksPerNumber,
};

/// A local, stateful Pilot Status number API: QR pairing that rotates like WhatsApp, signed
/// webhooks, rate limits and fault injection. Control routes live under /_sandbox/.
#[derive(Debug, Parser)]
#[command(name = "pilot-sandbox", version)]
struct Cli {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Tenant-scoped API key (repeatable).
    #[arg(long = "tenant-key", required = true, env = "PILOT_SANDBOX_TENANT_KEY")]
    tenant_keys: Vec<String>,
    /// Key id of the first tenant key, for x-api-key-id.
    #[arg(long, default_value = "key_tenant")]
    tenant_key_id: String,
    /// Extra number-scoped key not yet bound to a number (repeatable).
    #[arg(long = "number-key")]
    number_keys: Vec<String>,
    /// Virtual time runs this many times faster (e.g. 100: a 160 s pairing attempt takes 1.6 s).
    #[arg(long, default_value_t = 1.0)]
    time_scale: f64,
    /// Requests per key per window (0 disables rate limiting).
    #[arg(long, default_value_t = 600)]
    rate_limit: u32,
    /// Rate-limit window in seconds.
    #[arg(long, default_value_t = 60)]
    rate_window: u64,
    /// Webhook target URL (repeatable).
    #[arg(long = "webhook-url")]
    webhook_urls: Vec<String>,
    /// Global webhook signing secret (--webhook-url targets, and /v1/webhooks webhooks unless
    /// --webhook-secrets per-webhook, where it keys each webhook's own secret).
    #[arg(
        long,
        default_value = "whsec_sandbox",
        env = "PILOT_SANDBOX_WEBHOOK_SECRET"
    )]
    webhook_secret: String,
    /// Tries per webhook delivery (backoff 1, 2, 4… virtual seconds).
    #[arg(long, default_value_t = 5)]
    webhook_tries: u32,
    /// How many /v1/webhooks webhooks one number may have (the docs do not say): `one` (a
    /// second create → 409 WEBHOOK_ALREADY_EXISTS) or `many` (each matching delivery goes to
    /// every one of them).
    #[arg(long, value_enum, default_value_t = WebhooksPerNumber::One)]
    webhooks_per_number: WebhooksPerNumber,
    /// What signs the deliveries of /v1/webhooks webhooks: `global` (--webhook-secret) or
    /// `per-webhook`: each its own, "whsec_" + hex HMAC-SHA256(key = --webhook-secret,
    /// message = the webhook id). Never returned by the API; GET /_sandbox/webhooks/{id}/secret
    /// shows it, like the dashboard.
    #[arg(long, value_enum, default_value_t = WebhookSecrets::Global)]
    webhook_secrets: WebhookSecrets,
    /// Which documented status shape to answer.
    #[arg(long, value_enum, default_value_t = StatusShape::Full)]
    status_shape: StatusShape,
    /// Whether number-scoped keys may use /v1/numbers routes (the docs disagree).
    #[arg(long = "number-key-policy", value_enum, default_value_t = NumberKeyPolicy::Allow)]
    number_key_policy: NumberKeyPolicy,
    /// How a Meta number created with POST /v1/numbers/meta (or by a hosted Meta signup) starts: `open` (connected at once,
    /// health.metaStatus CONNECTED) or `pending` (not connected yet: state CLOSE, metaStatus
    /// PENDING, until POST /_sandbox/numbers/{id}/meta {"state":"OPEN"} plays Meta connecting it).
    #[arg(long, value_enum, default_value_t = MetaNumbers::Open)]
    meta_numbers: MetaNumbers,
    /// Meta remote-pairing link, signup finished: `open-then-gone` (GET
    /// /v1/remote-pairing/{token}/status answers OPEN once, then the token is cleared and every
    /// later read is 404) or `gone` (cleared as the number connects: 404 at once). Undocumented.
    #[arg(long, value_enum, default_value_t = LinkAfterSuccess::OpenThenGone)]
    link_after_success: LinkAfterSuccess,
    /// Meta remote-pairing link, signup finished: where the new number's id appears as
    /// `numberId`: `none`, `status` (the token's status), `info` (the token's info) or `both`.
    /// Undocumented.
    #[arg(long, value_enum, default_value_t = LinkNumberId::None)]
    link_number_id: LinkNumberId,
    /// Meta remote-pairing link: where its `externalRef` is echoed on the number it made: `none`,
    /// `webhook` (data of its number.* webhooks), `detail` (GET /v1/numbers/{id}) or `both`.
    /// Undocumented.
    #[arg(long, value_enum, default_value_t = LinkExternalRef::Webhook)]
    link_external_ref: LinkExternalRef,
    /// Meta remote-pairing link, signup finished: what the 303 to its redirectUrl adds: `none`,
    /// `status` (?status=success) or `full` (?status=success&numberId=…&externalRef=…).
    /// Undocumented.
    #[arg(long, value_enum, default_value_t = RedirectParams::None)]
    redirect_params: RedirectParams,
    /// Meta remote-pairing link, signup cancelled or failed: `retry` (the link stays pending and
    /// usable) or `spent` (the token is cleared). Undocumented.
    #[arg(long, value_enum, default_value_t = LinkAfterAbort::Retry)]
    link_after_abort: LinkAfterAbort,
    /// Largest accepted request body in bytes.
    #[arg(long, default_value_t = 65_536)]
    max_body_bytes: usize,
    /// Log each request (method and path) to stderr.
    #[arg(long)]
    verbose: bool,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let opts = Options {
        tenant_keys: cli.tenant_keys,
        tenant_key_id: cli.tenant_key_id,
        unbound_number_keys: cli.number_keys,
        time_scale: cli.time_scale,
        rate_limit: cli.rate_limit,
        rate_window: Duration::from_secs(cli.rate_window.max(1)),
        webhook_urls: cli.webhook_urls,
        webhook_secret: cli.webhook_secret,
        webhook_tries: cli.webhook_tries,
        webhooks_per_number: cli.webhooks_per_number,
        webhook_secrets: cli.webhook_secrets,
        status_shape: cli.status_shape,
        number_keys: cli.number_key_policy,
        meta_numbers: cli.meta_numbers,
        link_after_success: cli.link_after_success,
        link_number_id: cli.link_number_id,
        link_external_ref: cli.link_external_ref,
        redirect_params: cli.redirect_params,
        link_after_abort: cli.link_after_abort,
        max_body_bytes: cli.max_body_bytes,
        verbose: cli.verbose,
    };
    match run(opts, cli.port).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pilot-sandbox: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(opts: Options, port: u16) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let app = pilot_sandbox::app_for(opts, &listener)?;
    println!(
        "pilot-sandbox listening on http://{}",
        listener.local_addr()?
    );
    std::io::stdout().flush()?;
    pilot_sandbox::serve(listener, app, shutdown_signal()).await?;
    eprintln!("pilot-sandbox: stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
}
