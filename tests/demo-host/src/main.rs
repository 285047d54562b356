//! `pilot-demo-host`: the "customer backend" of the demo. It holds the tenant key (the browser
//! never sees it), creates a number in the sandbox with the core crate, mints a short-lived
//! connect token for it, and serves the demo page. `--oneshot` runs the whole flow headless
//! through the worker and exits 0 when the number is connected.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use clap::Parser;
use pilot_connect::connect_token::{mint, ConnectClaims};
use pilot_connect::endpoints::CreateNumber;
use pilot_connect::native::NativeTransport;
use pilot_connect::{ApiKey, Auth, Client, Config, ConnectTokenSecret};
use serde_json::{json, Value};

/// Demo customer backend for pilot-connect.
#[derive(Debug, Parser, Clone)]
struct Cli {
    /// Port on 127.0.0.1.
    #[arg(long, default_value_t = 8788)]
    port: u16,
    /// Pilot Status (sandbox) base URL.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    sandbox: String,
    /// Edge worker base URL (what the browser calls).
    #[arg(long, default_value = "http://127.0.0.1:8787")]
    worker: String,
    /// Tenant key (server side only).
    #[arg(long, env = "PS_API_KEY")]
    tenant_key: String,
    /// Connect-token signing secret (shared with the worker).
    #[arg(long, env = "CONNECT_TOKEN_SECRET")]
    token_secret: String,
    /// Token audience (the worker's CONNECT_TOKEN_AUDIENCE).
    #[arg(long, default_value = "pilot-connect-demo")]
    audience: String,
    /// Token lifetime in seconds (≤ 3600).
    #[arg(long, default_value_t = 600)]
    token_ttl: u64,
    /// Run the flow once through the worker and exit.
    #[arg(long)]
    oneshot: bool,
    /// The built npm package of the widget, served at /pkg/ (tools/build-widget.sh).
    #[arg(long, default_value = "target/widget-pkg")]
    widget_dir: std::path::PathBuf,
}

struct AppState {
    cli: Cli,
    client: Client<NativeTransport>,
    secret: ConnectTokenSecret,
    origin: String,
    http: reqwest::Client,
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn fail(status: StatusCode, msg: impl Into<String>) -> Response {
    (status, Json(json!({ "error": msg.into() }))).into_response()
}

impl AppState {
    /// Creates a number and mints a token bound to the page origin.
    async fn session(&self) -> Result<Value, String> {
        let phone = format!("+55119{:08}", fastrand::u32(..100_000_000));
        let created = self
            .client
            .send(&CreateNumber::new("Demo customer", phone))
            .await
            .map_err(|e| format!("create number: {e}"))?;
        let id = created
            .id()
            .ok_or("create number: no id in the answer")?
            .to_owned();
        let claims = ConnectClaims::new(&id, &self.cli.audience, unix_now(), self.cli.token_ttl)
            .with_origin(&self.origin);
        let token = mint(&self.secret, &claims).map_err(|e| format!("mint: {e}"))?;
        Ok(
            json!({ "numberId": id, "token": token, "endpoint": self.cli.worker, "expiresIn": self.cli.token_ttl }),
        )
    }

    async fn scan(&self, id: &str) -> Result<(), String> {
        let url = format!("{}/_sandbox/numbers/{id}/scan", self.cli.sandbox);
        let r = self
            .http
            .post(url)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if r.status().is_success() {
            Ok(())
        } else {
            Err(format!("sandbox scan answered {}", r.status()))
        }
    }
}

async fn index() -> impl IntoResponse {
    (
        [(header::CACHE_CONTROL, "no-store")],
        Html(include_str!("index.html")),
    )
}

/// Serves the widget package files (flat directory, fixed MIME types).
async fn pkg(
    State(app): State<Arc<AppState>>,
    axum::extract::Path(file): axum::extract::Path<String>,
) -> Response {
    let mime = match file.rsplit('.').next() {
        Some("js") => "text/javascript",
        Some("wasm") => "application/wasm",
        Some("json") => "application/json",
        _ => return fail(StatusCode::NOT_FOUND, "not found"),
    };
    if file.contains('/') || file.contains("..") {
        return fail(StatusCode::NOT_FOUND, "not found");
    }
    match tokio::fs::read(app.cli.widget_dir.join(&file)).await {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, mime),
                (header::CACHE_CONTROL, "no-store"),
            ],
            bytes,
        )
            .into_response(),
        Err(_) => fail(StatusCode::NOT_FOUND, "not found"),
    }
}

async fn session(State(app): State<Arc<AppState>>) -> Response {
    match app.session().await {
        Ok(v) => Json(v).into_response(),
        Err(e) => fail(StatusCode::BAD_GATEWAY, e),
    }
}

async fn simulate_scan(State(app): State<Arc<AppState>>, Json(body): Json<Value>) -> Response {
    let Some(id) = body.get("numberId").and_then(Value::as_str) else {
        return fail(StatusCode::BAD_REQUEST, "numberId required");
    };
    match app.scan(id).await {
        Ok(()) => Json(json!({ "ok": true })).into_response(),
        Err(e) => fail(StatusCode::BAD_GATEWAY, e),
    }
}

/// The whole flow, headless, as the page would do it.
async fn oneshot(app: &AppState) -> Result<(), String> {
    let s = app.session().await?;
    let (id, token) = (
        s["numberId"].as_str().unwrap_or(""),
        s["token"].as_str().unwrap_or(""),
    );
    println!(
        "created number {id}; minted a {}-second connect token",
        app.cli.token_ttl
    );
    let get = |path: &'static str| {
        app.http
            .get(format!("{}{path}", app.cli.worker))
            .header("origin", &app.origin)
            .header("authorization", format!("Bearer {token}"))
            .send()
    };
    let qr: Value = get("/v1/qr")
        .await
        .map_err(|e| e.to_string())?
        .json()
        .await
        .map_err(|e| e.to_string())?;
    if qr["state"] != "pairing"
        || !qr["qr"]
            .as_str()
            .unwrap_or("")
            .starts_with("data:image/png;base64,")
    {
        return Err(format!("worker /v1/qr: unexpected {qr}"));
    }
    println!(
        "worker /v1/qr: pairing, code {}, QR {} bytes, refresh in {} ms",
        qr["pairingCode"],
        qr["qr"].as_str().map_or(0, str::len),
        qr["refreshAfterMs"]
    );
    app.scan(id).await?;
    println!("sandbox: phone scanned the QR");
    for _ in 0..50 {
        let st: Value = get("/v1/status")
            .await
            .map_err(|e| e.to_string())?
            .json()
            .await
            .map_err(|e| e.to_string())?;
        if st["state"] == "connected" {
            println!("worker /v1/status: connected");
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err("never reached connected".into())
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pilot-demo-host: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    let key = ApiKey::new(&cli.tenant_key).map_err(|e| e.to_string())?;
    let secret = ConnectTokenSecret::new(&cli.token_secret).map_err(|e| e.to_string())?;
    let config = Config::new(Auth::ApiKey(key))
        .with_base_url(&cli.sandbox)
        .map_err(|e| e.to_string())?;
    let client = Client::new(config, NativeTransport::new().map_err(|e| e.to_string())?);
    let origin = format!("http://127.0.0.1:{}", cli.port);
    let app = Arc::new(AppState {
        cli: cli.clone(),
        client,
        secret,
        origin: origin.clone(),
        http: reqwest::Client::new(),
    });
    if cli.oneshot {
        return oneshot(&app).await;
    }
    let router = Router::new()
        .route("/", get(index))
        .route("/api/connect-session", post(session))
        .route("/api/simulate-scan", post(simulate_scan))
        .route("/pkg/{file}", get(pkg))
        .with_state(app);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", cli.port))
        .await
        .map_err(|e| e.to_string())?;
    println!("demo page: {origin}/");
    axum::serve(listener, router)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(|e| e.to_string())
}
