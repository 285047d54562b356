//! Shared helpers for the sandbox contract tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use pilot_connect::native::NativeTransport;
use pilot_connect::{ApiKey, Auth, Client, Config};
use pilot_sandbox::{Options, Running};
use serde_json::Value;

pub const TENANT: &str = "ps_contract_tenant_key";

pub async fn sandbox(opts: Options) -> Running {
    pilot_sandbox::start(
        Options {
            tenant_keys: vec![TENANT.into()],
            ..opts
        },
        0,
    )
    .await
    .unwrap()
}

pub fn client_with(base: &str, key: &str, timeout: Duration) -> Client<NativeTransport> {
    let cfg = Config::new(Auth::ApiKey(ApiKey::new(key).unwrap()))
        .with_base_url(base)
        .unwrap();
    Client::new(cfg, NativeTransport::with_timeout(timeout).unwrap())
}

pub fn client(base: &str) -> Client<NativeTransport> {
    client_with(base, TENANT, Duration::from_secs(10))
}

/// Raw HTTP, bypassing the core crate, so the sandbox is checked independently of it.
pub struct Raw {
    pub base: String,
    pub http: reqwest::Client,
}

impl Raw {
    pub fn new(base: &str) -> Self {
        Self {
            base: base.to_owned(),
            http: reqwest::Client::new(),
        }
    }

    pub async fn call(
        &self,
        method: &str,
        path: &str,
        key: Option<&str>,
        body: Option<&str>,
    ) -> (u16, reqwest::header::HeaderMap, Value) {
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut rb = self.http.request(m, format!("{}{path}", self.base));
        if let Some(k) = key {
            rb = rb.header("x-api-key", k);
        }
        if let Some(b) = body {
            rb = rb
                .header("content-type", "application/json")
                .body(b.to_owned());
        }
        let r = rb.send().await.unwrap();
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let text = r.text().await.unwrap();
        let v = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, headers, v)
    }

    /// Like [`Raw::call`], with extra request headers.
    pub async fn call_with(
        &self,
        method: &str,
        path: &str,
        key: Option<&str>,
        body: Option<&str>,
        headers: &[(&str, &str)],
    ) -> (u16, Value) {
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut rb = self.http.request(m, format!("{}{path}", self.base));
        if let Some(k) = key {
            rb = rb.header("x-api-key", k);
        }
        for (name, value) in headers {
            rb = rb.header(*name, *value);
        }
        if let Some(b) = body {
            rb = rb
                .header("content-type", "application/json")
                .body(b.to_owned());
        }
        let r = rb.send().await.unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn control(&self, id: &str) -> Value {
        self.call("GET", &format!("/_sandbox/numbers/{id}"), None, None)
            .await
            .2
    }

    pub async fn create(&self, name: &str, phone: &str) -> Value {
        let body = format!(r#"{{"name":"{name}","number":"{phone}"}}"#);
        let (s, _, v) = self
            .call("POST", "/v1/numbers", Some(TENANT), Some(&body))
            .await;
        assert_eq!(s, 201, "{v}");
        v
    }

    /// Creates a number and returns its id.
    pub async fn create_id(&self, name: &str, phone: &str) -> String {
        self.create(name, phone).await["instance"]["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}

/// The keys of a JSON object, sorted.
pub fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
    k.sort();
    k
}

/// Same JSON type (null matches anything: the docs show nulls where values may appear).
pub fn same_type(a: &Value, b: &Value) -> bool {
    matches!(
        (a, b),
        (Value::Null, _)
            | (_, Value::Null)
            | (Value::Bool(_), Value::Bool(_))
            | (Value::Number(_), Value::Number(_))
            | (Value::String(_), Value::String(_))
            | (Value::Array(_), Value::Array(_))
            | (Value::Object(_), Value::Object(_))
    )
}

/// Every key of the documented example is present in `actual` with the same JSON type.
pub fn covers(doc: &Value, actual: &Value, what: &str) {
    for (k, dv) in doc.as_object().unwrap() {
        let av = actual
            .get(k)
            .unwrap_or_else(|| panic!("{what}: missing documented field `{k}` in {actual}"));
        assert!(
            same_type(dv, av),
            "{what}: `{k}` is {av}, documented as {dv}"
        );
    }
}

pub fn fixture(name: &str) -> Value {
    let path = format!("{}/../fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Decodes the QR code in a PNG data URL to its text.
pub fn decode_qr(data_url: &str) -> String {
    use base64::Engine as _;
    let b64 = data_url
        .strip_prefix("data:image/png;base64,")
        .expect("png data url");
    let png = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    let decoder = png::Decoder::new(std::io::Cursor::new(png));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.color_type, png::ColorType::Grayscale);
    let (w, h) = (info.width as usize, info.height as usize);
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| buf[y * w + x]);
    let grids = img.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in the image");
    grids[0].decode().unwrap().1
}

/// (signature header, raw body) of each request a receiver got.
pub type Received = Arc<Mutex<Vec<(Option<String>, Vec<u8>)>>>;

/// A local webhook receiver that records (headers, raw body) and answers `fail_first` 500s first.
#[derive(Clone, Default)]
pub struct Receiver {
    pub got: Received,
    pub fail_first: Arc<Mutex<u32>>,
}

impl Receiver {
    pub async fn start(fail_first: u32) -> (Self, String) {
        let me = Self::default();
        *me.fail_first.lock().unwrap() = fail_first;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let state = me.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(
                |axum::extract::State(s): axum::extract::State<Receiver>,
                 headers: axum::http::HeaderMap,
                 body: axum::body::Bytes| async move {
                    let sig = headers
                        .get("x-pilot-status-signature")
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned);
                    s.got.lock().unwrap().push((sig, body.to_vec()));
                    let mut f = s.fail_first.lock().unwrap();
                    if *f > 0 {
                        *f -= 1;
                        axum::http::StatusCode::INTERNAL_SERVER_ERROR
                    } else {
                        axum::http::StatusCode::OK
                    }
                },
            ),
        );
        tokio::spawn(async move { axum::serve(listener, app.with_state(state)).await });
        (me, url)
    }

    pub fn count(&self) -> usize {
        self.got.lock().unwrap().len()
    }
}

/// Polls `f` every 20 ms for up to `secs`.
pub async fn eventually<F: FnMut() -> bool>(secs: f64, mut f: F) -> bool {
    let end = std::time::Instant::now() + Duration::from_secs_f64(secs);
    while std::time::Instant::now() < end {
        if f() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    f()
}
