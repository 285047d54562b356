//! # pilot-connect-server
//!
//! The pilot-connect core for JavaScript server runtimes. The npm package `pilot-connect-server`
//! (assembled from `pkg-templates/server/`) wraps these exports in a typed `PilotStatus` class;
//! requests are built and answers parsed here, by the same core the edge worker uses, and the
//! JavaScript side only performs `fetch`.
//!
//! Values cross the boundary as JSON text; failures as an [`ErrorRecord`] object that the
//! wrapper turns into `PilotStatusError`.

// A failure is built once per call and handed straight to JavaScript; boxing it buys nothing.
#![allow(clippy::result_large_err)]

pub mod edge;
pub mod error;
pub mod ops;
pub mod options;
pub mod raw_body;
pub mod reason;
pub mod tokens;
mod transport;

use std::rc::Rc;

use js_sys::{Function, Promise};
use pilot_connect::Client;
use wasm_bindgen::prelude::*;

pub use error::ErrorRecord;
pub use reason::Reason;
use transport::JsTransport;

fn throw(record: &ErrorRecord) -> JsValue {
    js_sys::JSON::parse(&record.to_json()).unwrap_or_else(|_| JsValue::from_str(&record.message))
}

fn now_secs() -> u64 {
    // Date.now() is positive milliseconds; whole seconds fit in u64.
    (js_sys::Date::now() / 1000.0) as u64
}

/// A configured client: the wrapper creates one per `PilotStatus`.
#[wasm_bindgen]
pub struct Core {
    client: Rc<Client<JsTransport>>,
}

#[wasm_bindgen]
impl Core {
    /// `options` is JSON (`apiKey`, `apiKeyId`, `baseUrl`, `timeoutMs`, `retry`,
    /// `whatsappNumberId`, `userAgent`); `send` and `sleep` are the wrapper's fetch adapter.
    ///
    /// # Errors
    /// A `configuration` record for a key given but empty, `validation` for other bad options.
    #[wasm_bindgen(constructor)]
    pub fn new(options: &str, send: Function, sleep: Function) -> Result<Core, JsValue> {
        let s = options::settings(options).map_err(|e| throw(&e))?;
        let transport = JsTransport::new(send, sleep, s.timeout);
        let client = Client::new(s.config, transport).with_retry_policy(s.policy);
        Ok(Core {
            client: Rc::new(client),
        })
    }

    /// Runs operation `op` (one of `ops::Op`, by its name) with JSON `args`; resolves JSON text.
    pub fn call(&self, op: String, args: String) -> Promise {
        let client = Rc::clone(&self.client);
        wasm_bindgen_futures::future_to_promise(async move {
            ops::call(&client, &op, &args)
                .await
                .map(JsValue::from)
                .map_err(|e| throw(&e))
        })
    }
}

/// Mints a connect token (JSON args: `secret`, `numberId`, `audience`, `origin?`,
/// `ttlSeconds?`, `link?`, `now?`).
///
/// # Errors
/// A `configuration` record for a missing or short secret, `validation` for other bad arguments.
#[wasm_bindgen(js_name = mintConnectToken)]
pub fn mint_connect_token(args: &str) -> Result<String, JsValue> {
    tokens::mint(args, now_secs()).map_err(|e| throw(&e))
}

/// Verifies a connect token; answers its claims as JSON text.
///
/// # Errors
/// A `token` record naming the failed check.
#[wasm_bindgen(js_name = verifyConnectToken)]
pub fn verify_connect_token(token: &str, options: &str) -> Result<String, JsValue> {
    tokens::verify(token, options, now_secs()).map_err(|e| throw(&e))
}

/// Verifies a webhook delivery and parses it; answers `{event, data, dedupKey}` as JSON text.
///
/// # Errors
/// A `signature` or `decode` record; `configuration` for an empty secret.
#[wasm_bindgen(js_name = verifyWebhook)]
pub fn verify_webhook(
    secret: &str,
    raw_body: &[u8],
    signature: Option<String>,
) -> Result<String, JsValue> {
    tokens::verify_webhook(secret, raw_body, signature.as_deref()).map_err(|e| throw(&e))
}

/// The `x-pilot-status-signature` value for a body (to test a receiver).
///
/// # Errors
/// A `configuration` record for an empty secret.
#[wasm_bindgen(js_name = signWebhook)]
pub fn sign_webhook(secret: &str, raw_body: &[u8]) -> Result<String, JsValue> {
    tokens::sign_webhook(secret, raw_body).map_err(|e| throw(&e))
}

/// What `relayWebhook` does with a verified delivery: `{relay, url?, event, reason?, timeoutMs?,
/// userAgent?}` as JSON text (options JSON: `edgeUrl`, `timeoutMs?`).
///
/// # Errors
/// `configuration` (unset `edgeUrl`), `validation`, or `decode` for a body that is not a delivery.
#[wasm_bindgen(js_name = relayPlan)]
pub fn relay_plan(raw_body: &[u8], options: &str) -> Result<String, JsValue> {
    edge::relay_plan(raw_body, options).map_err(|e| throw(&e))
}

/// The edge worker's answer to a relay: `{relayed: true, status}` as JSON text.
///
/// # Errors
/// An `edge` record for any non-2xx answer.
#[wasm_bindgen(js_name = relayOutcome)]
pub fn relay_outcome(status: u16, body: &[u8]) -> Result<String, JsValue> {
    edge::relay_outcome(status, body).map_err(|e| throw(&e))
}

/// The `raw_body_required` record (as a JS object) for function `func` given `got` instead of
/// the raw body (see `raw_body::required`).
#[wasm_bindgen(js_name = rawBodyRequired)]
pub fn raw_body_required(func: &str, got: &str) -> JsValue {
    throw(&raw_body::required(func, got))
}
