//! Native transport (reqwest + tokio) for Rust backends, tools and tests.
//! Plain `http://` only unless the `rustls` feature is on.

use core::time::Duration;
use std::hash::{BuildHasher, Hasher};

use crate::client::Transport;
use crate::error::TransportError;
use crate::http::{HttpRequest, HttpResponse, Method};

/// A reqwest-backed [`Transport`] with a per-request timeout (default 30 s, like the SDK).
#[derive(Debug, Clone)]
pub struct NativeTransport {
    http: reqwest::Client,
    timeout: Duration,
}

impl NativeTransport {
    /// With the default 30 s timeout.
    ///
    /// # Errors
    /// [`TransportError::Network`] when the HTTP client cannot be set up.
    pub fn new() -> Result<Self, TransportError> {
        Self::with_timeout(Duration::from_secs(30))
    }

    /// With a custom per-request timeout.
    ///
    /// # Errors
    /// [`TransportError::Network`] when the HTTP client cannot be set up.
    pub fn with_timeout(timeout: Duration) -> Result<Self, TransportError> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| TransportError::Network(e.to_string()))?;
        Ok(Self { http, timeout })
    }
}

fn map_err(e: &reqwest::Error) -> TransportError {
    if e.is_timeout() {
        TransportError::Timeout
    } else {
        // Without the source chain the message is just "error sending request".
        let mut msg = e.to_string();
        let mut src = std::error::Error::source(e);
        while let Some(s) = src {
            msg.push_str(": ");
            msg.push_str(&s.to_string());
            src = s.source();
        }
        TransportError::Network(msg)
    }
}

impl Transport for NativeTransport {
    async fn send(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        let method = match request.method {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Delete => reqwest::Method::DELETE,
            Method::Patch => reqwest::Method::PATCH,
            Method::Put => reqwest::Method::PUT,
        };
        let mut builder = self.http.request(method, request.url());
        for h in &request.headers {
            builder = builder.header(h.name, h.value.as_str());
        }
        if !request.body.is_empty() {
            builder = builder.body(request.body.clone());
        }
        let resp = builder.send().await.map_err(|e| map_err(&e))?;
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
            .collect();
        let body = resp.bytes().await.map_err(|e| map_err(&e))?.to_vec();
        Ok(HttpResponse::new(status, headers, body))
    }

    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }

    fn timeout(&self) -> Duration {
        self.timeout
    }

    fn jitter(&self) -> f64 {
        // A fresh RandomState is randomly keyed: enough entropy for jitter, no extra crate.
        let bits = std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish();
        (bits >> 11) as f64 / (1u64 << 53) as f64
    }
}
