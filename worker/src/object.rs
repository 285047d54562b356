//! How the worker talks to its Durable Objects: each object's protocol is a serde enum, sent as
//! the JSON body of a POST to the object's stub (the URL is ignored by the objects).

use serde::Serialize;
use worker::{Method, Request, RequestInit, Response, Result, Stub};

/// Sends `request` to `stub` as JSON; the answer is the object's.
pub async fn call<T: Serialize>(stub: &Stub, request: &T) -> Result<Response> {
    let init = RequestInit {
        method: Method::Post,
        body: Some(serde_json::to_string(request)?.into()),
        ..RequestInit::default()
    };
    stub.fetch_with_request(Request::new_with_init("https://object/", &init)?)
        .await
}
