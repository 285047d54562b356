//! What the server crate's native suites share: a transport that answers each request with the
//! next canned response and records what was sent, and a keyed client on it.
#![allow(dead_code, clippy::panic)]

use std::cell::RefCell;
use std::time::Duration;

use pilot_connect::{Client, HttpRequest, HttpResponse, Transport, TransportError};
use pilot_connect_server::options;

/// Answers each request with the next canned response and records what was sent.
pub struct Canned {
    pub answers: RefCell<Vec<HttpResponse>>,
    pub sent: RefCell<Vec<HttpRequest>>,
}

impl Transport for Canned {
    async fn send(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        self.sent.borrow_mut().push(request.clone());
        let mut answers = self.answers.borrow_mut();
        if answers.is_empty() {
            return Err(TransportError::Network("no canned answer left".into()));
        }
        Ok(answers.remove(0))
    }
    async fn sleep(&self, _: Duration) {}
    fn timeout(&self) -> Duration {
        Duration::from_secs(1)
    }
    fn jitter(&self) -> f64 {
        0.0
    }
}

/// A client with a test key on `answers`, with the package's own settings (retry policy).
pub fn client(answers: Vec<HttpResponse>) -> Client<Canned> {
    let s = options::settings(r#"{"apiKey":"ps_test_key","baseUrl":"http://127.0.0.1:9"}"#)
        .unwrap_or_else(|e| panic!("{e:?}"));
    Client::new(
        s.config,
        Canned {
            answers: RefCell::new(answers),
            sent: RefCell::new(Vec::new()),
        },
    )
    .with_retry_policy(s.policy)
}

/// Checks that `file` (in the package templates) holds `want` between `begin` and `end`;
/// `PILOT_BLESS=1` rewrites the block.
pub fn generated_block(file: &str, begin: &str, end: &str, want: &str) {
    let path = format!(
        "{}/../pkg-templates/server/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let (Some(start), Some(stop)) = (text.find(begin), text.find(end)) else {
        panic!("{path} has no {begin:?} … {end:?} block")
    };
    let current = &text[start..stop + end.len()];
    if current != want {
        if std::env::var_os("PILOT_BLESS").is_some() {
            let fixed = format!("{}{want}{}", &text[..start], &text[stop + end.len()..]);
            std::fs::write(&path, fixed).unwrap_or_else(|e| panic!("{path}: {e}"));
        } else {
            panic!("{file}'s generated block is out of date (PILOT_BLESS=1 rewrites it):\n{want}");
        }
    }
}
