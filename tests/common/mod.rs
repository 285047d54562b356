//! Helpers shared by the core test suites (native and wasm32).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use core::future::Future;
use core::pin::pin;
use core::task::{Context, Poll, Waker};
use core::time::Duration;
use std::cell::RefCell;
use std::collections::VecDeque;

use pilot_connect::{ApiKey, Auth, Config, HttpRequest, HttpResponse, Transport, TransportError};

pub const KEY: &str = "ps_test_0123456789abcdef";
pub const BASE: &str = "http://127.0.0.1:9";

pub fn config() -> Config {
    Config::new(Auth::ApiKey(ApiKey::new(KEY).unwrap()))
        .with_base_url(BASE)
        .unwrap()
}

pub fn response(status: u16, body: &str) -> HttpResponse {
    HttpResponse::new(
        status,
        vec![("Content-Type".into(), "application/json".into())],
        body.as_bytes().to_vec(),
    )
}

/// Runs a future whose awaits all complete at once (the scripted transport never pends).
pub fn block_on<F: Future>(f: F) -> F::Output {
    let mut f = pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..1_000_000 {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
    panic!("future did not complete");
}

/// A transport that replays scripted answers and records what it was asked.
#[derive(Default)]
pub struct Scripted {
    pub answers: RefCell<VecDeque<Result<HttpResponse, TransportError>>>,
    pub sent: RefCell<Vec<HttpRequest>>,
    pub slept: RefCell<Vec<Duration>>,
}

impl Scripted {
    pub fn new(answers: Vec<Result<HttpResponse, TransportError>>) -> Self {
        Self {
            answers: RefCell::new(answers.into()),
            ..Self::default()
        }
    }
}

impl Transport for &Scripted {
    async fn send(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        self.sent.borrow_mut().push(request.clone());
        self.answers
            .borrow_mut()
            .pop_front()
            .unwrap_or_else(|| Err(TransportError::Network("script exhausted".into())))
    }

    async fn sleep(&self, duration: Duration) {
        self.slept.borrow_mut().push(duration);
    }

    fn timeout(&self) -> Duration {
        Duration::from_secs(5)
    }

    fn jitter(&self) -> f64 {
        0.5
    }
}
