//! The retry policy as a table, and the client loop that applies it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use core::time::Duration;

use common::{block_on, config, response, Scripted};
use pilot_connect::endpoints::{Connect, ConnectOutcome, CreateNumber, DeleteNumber, GetStatus};
use pilot_connect::retry::{Attempt, Decision, RetryPolicy};
use pilot_connect::{ApiError, Client, ErrorKind, HttpResponse, Method, TransportError};

const MS: fn(u64) -> Duration = Duration::from_millis;

fn api(status: u16, body: &str, retry_after: Option<&str>) -> ApiError {
    let mut r = response(status, body);
    if let Some(v) = retry_after {
        r.headers.push(("retry-after".into(), v.into()));
    }
    ApiError::from_response(&r)
}

#[test]
fn backoff_doubles_with_jitter_and_cap() {
    let p = RetryPolicy::default();
    assert_eq!(p.backoff(0, 0.0), MS(250));
    assert_eq!(p.backoff(1, 0.0), MS(500));
    assert_eq!(p.backoff(2, 0.0), MS(1000));
    assert_eq!(p.backoff(0, 0.5), MS(375));
    assert_eq!(p.backoff(0, 1.7), MS(500), "jitter clamps to one base step");
    assert_eq!(p.backoff(30, 0.0), Duration::from_secs(8), "capped");
}

#[test]
fn decision_table() {
    let p = RetryPolicy::default();
    let net = TransportError::Network("reset".into());
    let e500 = api(500, r#"{"error":"boom"}"#, None);
    let e503_final = api(
        503,
        r#"{"error":"x","code":"PROVIDER_NOT_CONFIGURED"}"#,
        None,
    );
    let e503_transient = api(503, r#"{"error":"x","code":"UPSTREAM_TIMEOUT"}"#, None);
    let e503_after = api(503, "{}", Some("3"));
    let e429_after = api(429, r#"{"error":"Too many requests"}"#, Some("2"));
    let e429_long = api(429, "{}", Some("60"));
    let e429_bare = api(429, "{}", None);
    let e404 = api(404, "{}", None);
    let t = Duration::from_secs(5);
    let d = |m: Method, n: u32, a: Attempt<'_>| p.decide(m, n, a, 0.0, Duration::ZERO, t);

    let rows: Vec<(Method, u32, Attempt<'_>, Decision)> = vec![
        (
            Method::Get,
            0,
            Attempt::Transport(&net),
            Decision::RetryAfter(MS(250)),
        ),
        (
            Method::Get,
            1,
            Attempt::Transport(&TransportError::Timeout),
            Decision::RetryAfter(MS(500)),
        ),
        (Method::Get, 2, Attempt::Transport(&net), Decision::Stop),
        (
            Method::Get,
            0,
            Attempt::Status(500, Some(&e500)),
            Decision::RetryAfter(MS(250)),
        ),
        (
            Method::Get,
            0,
            Attempt::Status(503, Some(&e503_transient)),
            Decision::RetryAfter(MS(250)),
        ),
        (
            Method::Get,
            0,
            Attempt::Status(503, Some(&e503_final)),
            Decision::Stop,
        ),
        (
            Method::Get,
            0,
            Attempt::Status(503, Some(&e503_after)),
            Decision::RetryAfter(Duration::from_secs(3)),
        ),
        (
            Method::Get,
            0,
            Attempt::Status(429, Some(&e429_after)),
            Decision::RetryAfter(Duration::from_secs(2)),
        ),
        (
            Method::Get,
            0,
            Attempt::Status(429, Some(&e429_long)),
            Decision::Stop,
        ),
        (
            Method::Get,
            0,
            Attempt::Status(429, Some(&e429_bare)),
            Decision::RetryAfter(MS(250)),
        ),
        (
            Method::Get,
            0,
            Attempt::Status(404, Some(&e404)),
            Decision::Stop,
        ),
        (Method::Get, 0, Attempt::Status(200, None), Decision::Stop),
        (Method::Get, 0, Attempt::Status(409, None), Decision::Stop),
        (Method::Post, 0, Attempt::Transport(&net), Decision::Stop),
        (
            Method::Post,
            0,
            Attempt::Status(500, Some(&e500)),
            Decision::Stop,
        ),
        (
            Method::Post,
            0,
            Attempt::Status(429, Some(&e429_after)),
            Decision::Stop,
        ),
        (Method::Delete, 0, Attempt::Transport(&net), Decision::Stop),
        (
            Method::Delete,
            0,
            Attempt::Status(503, Some(&e503_transient)),
            Decision::Stop,
        ),
    ];
    for (i, (m, n, a, want)) in rows.into_iter().enumerate() {
        assert_eq!(d(m, n, a), want, "row {i}: {m:?} attempt {n} {a:?}");
    }
    assert_eq!(
        RetryPolicy::none().decide(
            Method::Get,
            0,
            Attempt::Transport(&net),
            0.0,
            Duration::ZERO,
            t
        ),
        Decision::Stop
    );
}

#[test]
fn total_budget_bounds_retries() {
    let p = RetryPolicy {
        total_budget: Some(Duration::from_secs(4)),
        ..RetryPolicy::default()
    };
    let net = TransportError::Timeout;
    let t = Duration::from_millis(1500);
    // 1.5 s spent + 250 ms wait + 1.5 s next attempt = 3.25 s ≤ 4 s → retry.
    assert_eq!(
        p.decide(Method::Get, 0, Attempt::Transport(&net), 0.0, t, t),
        Decision::RetryAfter(MS(250))
    );
    // 3.25 s spent + 500 ms + 1.5 s > 4 s → stop.
    assert_eq!(
        p.decide(Method::Get, 1, Attempt::Transport(&net), 0.0, MS(3250), t),
        Decision::Stop
    );
}

fn ok_status() -> Result<HttpResponse, TransportError> {
    Ok(response(200, r#"{"id":"wa_abc","state":"CONNECTING"}"#))
}

#[test]
fn client_retries_get_then_succeeds() {
    let t = Scripted::new(vec![
        Err(TransportError::Network("reset".into())),
        Ok(response(502, "bad gateway")),
        ok_status(),
    ]);
    let client = Client::new(config(), &t);
    let st = block_on(client.send(&GetStatus::new("wa_abc"))).unwrap();
    assert_eq!(st.id.as_deref(), Some("wa_abc"));
    assert_eq!(t.sent.borrow().len(), 3);
    assert_eq!(*t.slept.borrow(), vec![MS(375), MS(625)]);
}

#[test]
fn client_gives_up_after_max_retries() {
    let t = Scripted::new(vec![
        Ok(response(500, "{}")),
        Ok(response(500, "{}")),
        Ok(response(500, r#"{"error":"still down"}"#)),
        ok_status(),
    ]);
    let err = block_on(Client::new(config(), &t).send(&GetStatus::new("wa_abc"))).unwrap_err();
    assert_eq!(
        (err.kind(), err.to_string()),
        (
            ErrorKind::Server,
            "Pilot Status answered 500: still down".into()
        )
    );
    assert_eq!(t.sent.borrow().len(), 3);
}

#[test]
fn client_never_retries_side_effects() {
    let t = Scripted::new(vec![
        Err(TransportError::Network("reset".into())),
        ok_status(),
    ]);
    let err = block_on(Client::new(config(), &t).send(&CreateNumber::new("a", "+5511999999999")))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport);
    let t2 = Scripted::new(vec![Ok(response(503, "{}")), ok_status()]);
    let err = block_on(Client::new(config(), &t2).send(&DeleteNumber::new("wa_abc"))).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Server);
    assert_eq!((t.sent.borrow().len(), t2.sent.borrow().len()), (1, 1));
}

#[test]
fn client_stops_on_provider_not_configured_and_honours_429() {
    let t = Scripted::new(vec![
        Ok(response(
            503,
            r#"{"error":"x","code":"PROVIDER_NOT_CONFIGURED"}"#,
        )),
        ok_status(),
    ]);
    assert!(block_on(Client::new(config(), &t).send(&GetStatus::new("wa_abc"))).is_err());
    assert_eq!(t.sent.borrow().len(), 1);

    let mut limited = response(429, r#"{"error":"Too many requests"}"#);
    limited.headers.push(("retry-after".into(), "1".into()));
    let t = Scripted::new(vec![Ok(limited), ok_status()]);
    assert!(block_on(Client::new(config(), &t).send(&GetStatus::new("wa_abc"))).is_ok());
    assert_eq!(*t.slept.borrow(), vec![Duration::from_secs(1)]);
}

#[test]
fn validation_happens_before_sending() {
    let t = Scripted::new(vec![ok_status()]);
    let err = block_on(Client::new(config(), &t).send(&Connect::new(""))).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
    assert!(t.sent.borrow().is_empty(), "nothing was sent");
}

#[test]
fn connect_409_through_client_is_a_state() {
    let t = Scripted::new(vec![Ok(response(409, r#"{"error":"Already connected"}"#))]);
    let out = block_on(Client::new(config(), &t).send(&Connect::new("wa_abc"))).unwrap();
    assert_eq!(out, ConnectOutcome::AlreadyConnected);
}
