//! `fetch` transport (gloo-net) for browsers, Web Workers, Node and Cloudflare Workers: it uses
//! the global `fetch`, so no `window` is needed. Timeouts abort the request through an
//! `AbortController`.

use core::cell::Cell;
use core::time::Duration;
use std::rc::Rc;

use gloo_net::http::{Method as FetchMethod, RequestBuilder};
use wasm_bindgen::JsValue;

use crate::client::Transport;
use crate::error::TransportError;
use crate::http::{HttpRequest, HttpResponse, Method};

/// A `fetch`-backed [`Transport`] with a per-request timeout (default 30 s).
#[derive(Debug, Clone)]
pub struct FetchTransport {
    timeout: Duration,
}

impl Default for FetchTransport {
    fn default() -> Self {
        Self::with_timeout(Duration::from_secs(30))
    }
}

impl FetchTransport {
    /// With a custom per-request timeout.
    #[must_use]
    pub fn with_timeout(timeout: Duration) -> Self {
        Self { timeout }
    }
}

fn millis(d: Duration) -> u32 {
    u32::try_from(d.as_millis()).unwrap_or(u32::MAX)
}

impl FetchTransport {
    /// Sends with a caller-owned controller, so the caller can abort an in-flight request
    /// (the widget does on `destroy()`). The timeout aborts through the same controller.
    ///
    /// # Errors
    /// [`TransportError::Timeout`] after the timeout, [`TransportError::Network`] otherwise.
    pub async fn send_with(
        &self,
        request: &HttpRequest,
        controller: &web_sys::AbortController,
    ) -> Result<HttpResponse, TransportError> {
        let method = match request.method {
            Method::Get => FetchMethod::GET,
            Method::Post => FetchMethod::POST,
            Method::Delete => FetchMethod::DELETE,
            Method::Patch => FetchMethod::PATCH,
            Method::Put => FetchMethod::PUT,
        };
        let timed_out = Rc::new(Cell::new(false));
        let flag = Rc::clone(&timed_out);
        let ctl = controller.clone();
        // Dropping the timer (on every return path) clears it.
        let _timer = gloo_timers::callback::Timeout::new(millis(self.timeout), move || {
            flag.set(true);
            ctl.abort();
        });
        let signal = controller.signal();
        let mut builder = RequestBuilder::new(&request.url())
            .method(method)
            .abort_signal(Some(&signal));
        for h in &request.headers {
            builder = builder.header(h.name, &h.value);
        }
        let fail = |e: gloo_net::Error| {
            if timed_out.get() {
                TransportError::Timeout
            } else {
                TransportError::Network(e.to_string())
            }
        };
        let req = if request.body.is_empty() {
            builder.build()
        } else {
            let body = js_sys::Uint8Array::from(request.body.as_slice());
            builder.body(JsValue::from(body))
        }
        .map_err(&fail)?;
        let resp = req.send().await.map_err(&fail)?;
        let status = resp.status();
        let headers = resp.headers().entries().collect();
        let body = resp.binary().await.map_err(&fail)?;
        Ok(HttpResponse::new(status, headers, body))
    }
}

impl Transport for FetchTransport {
    async fn send(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        let controller = web_sys::AbortController::new()
            .map_err(|_| TransportError::Network("AbortController unavailable".into()))?;
        self.send_with(request, &controller).await
    }

    async fn sleep(&self, duration: Duration) {
        gloo_timers::future::TimeoutFuture::new(millis(duration)).await;
    }

    fn timeout(&self) -> Duration {
        self.timeout
    }

    fn jitter(&self) -> f64 {
        js_sys::Math::random()
    }
}
