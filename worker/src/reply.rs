//! Every answer the worker sends: JSON with the headers each one needs (no-store, `Vary:
//! Origin`, CORS for allowed pages), errors in the public wire format.

use pilot_connect::public::{ErrorBody, PublicErrorCode};
use serde_json::Value;
use worker::Response;

/// Per-request facts every answer needs.
pub struct Reply {
    /// The request `Origin`, when it is allowed.
    pub allowed_origin: Option<String>,
}

impl Reply {
    /// An answer for a request with no allowed origin (webhooks, config errors).
    pub const BARE: Self = Self {
        allowed_origin: None,
    };

    pub fn json(&self, status: u16, body: &Value) -> Response {
        let resp = Response::builder()
            .with_status(status)
            .from_json(body)
            .unwrap_or_else(|_| Response::builder().with_status(500).empty());
        self.decorate(resp)
    }

    pub fn error(&self, code: PublicErrorCode) -> Response {
        self.json(code.status(), &ErrorBody { code }.to_json())
    }

    /// An empty answer (`204`, or a preflight's).
    pub fn empty(&self, status: u16) -> Response {
        self.decorate(Response::builder().with_status(status).empty())
    }

    pub fn decorate(&self, mut resp: Response) -> Response {
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

    /// A token problem: the error with `WWW-Authenticate` (RFC 6750's `invalid_token`, the
    /// same word as our code by design).
    pub fn unauthorized(&self, code: PublicErrorCode) -> Response {
        let challenge = format!(
            "Bearer error=\"{}\"",
            PublicErrorCode::InvalidToken.as_str()
        );
        with_header(self.error(code), "www-authenticate", &challenge)
    }
}

pub fn with_header(mut resp: Response, name: &str, value: &str) -> Response {
    let _ = resp.headers_mut().set(name, value);
    resp
}
