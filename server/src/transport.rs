//! The transport: the core builds each request, JavaScript performs it with the `fetch` the
//! caller injected (so the package runs wherever `fetch` does), and the core parses the answer.

use core::time::Duration;

use js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array};
use pilot_connect::{HttpRequest, HttpResponse, Transport, TransportError};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// Calls the JS `send(request)` and `sleep(ms)` functions the wrapper hands over.
pub struct JsTransport {
    send: Function,
    sleep: Function,
    timeout: Duration,
}

impl JsTransport {
    /// `send({method, url, headers, body, timeoutMs})` resolves `{status, headers, body}` or
    /// rejects `{timeout, message}`; `sleep(ms)` resolves after `ms`.
    #[must_use]
    pub fn new(send: Function, sleep: Function, timeout: Duration) -> Self {
        Self {
            send,
            sleep,
            timeout,
        }
    }
}

fn millis(d: Duration) -> f64 {
    // Exact for any wait this crate uses (well below 2^53 ms).
    d.as_millis() as f64
}

fn set(obj: &Object, key: &str, value: &JsValue) {
    // Setting a property on a fresh plain object cannot fail.
    let _ = Reflect::set(obj, &JsValue::from_str(key), value);
}

fn get(obj: &JsValue, key: &str) -> JsValue {
    Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn request_object(request: &HttpRequest, timeout: Duration) -> Object {
    let obj = Object::new();
    set(&obj, "method", &request.method.as_str().into());
    set(&obj, "url", &request.url().into());
    let headers = Array::new();
    for h in &request.headers {
        headers.push(&Array::of2(&h.name.into(), &h.value.as_str().into()));
    }
    set(&obj, "headers", &headers);
    if !request.body.is_empty() {
        set(&obj, "body", &Uint8Array::from(request.body.as_slice()));
    }
    set(&obj, "timeoutMs", &millis(timeout).into());
    obj
}

fn response_from(value: &JsValue) -> Result<HttpResponse, TransportError> {
    let bad = || TransportError::Network("fetch adapter returned an unusable answer".into());
    let status = get(value, "status")
        .as_f64()
        .filter(|s| (100.0..=599.0).contains(s))
        .ok_or_else(bad)? as u16;
    let mut headers = Vec::new();
    for pair in Array::from(&get(value, "headers")).iter() {
        let pair = Array::from(&pair);
        if let (Some(k), Some(v)) = (pair.get(0).as_string(), pair.get(1).as_string()) {
            headers.push((k, v));
        }
    }
    let body = get(value, "body")
        .dyn_into::<Uint8Array>()
        .map_err(|_| bad())?
        .to_vec();
    Ok(HttpResponse::new(status, headers, body))
}

impl Transport for JsTransport {
    async fn send(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        let arg = request_object(request, self.timeout);
        let promise = self
            .send
            .call1(&JsValue::NULL, &arg)
            .map_err(|e| TransportError::Network(describe(&e)))?;
        match JsFuture::from(Promise::resolve(&promise)).await {
            Ok(value) => response_from(&value),
            Err(e) if get(&e, "timeout").as_bool() == Some(true) => Err(TransportError::Timeout),
            Err(e) => Err(TransportError::Network(describe(&e))),
        }
    }

    async fn sleep(&self, duration: Duration) {
        if let Ok(p) = self.sleep.call1(&JsValue::NULL, &millis(duration).into()) {
            let _ = JsFuture::from(Promise::resolve(&p)).await;
        }
    }

    fn timeout(&self) -> Duration {
        self.timeout
    }

    fn jitter(&self) -> f64 {
        js_sys::Math::random()
    }
}

fn describe(e: &JsValue) -> String {
    get(e, "message")
        .as_string()
        .or_else(|| e.as_string())
        .unwrap_or_else(|| "fetch failed".into())
}
