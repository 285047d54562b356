//! The npm package's operations, natively: JSON in → the core's request → canned answer → JSON
//! out, and every failure as the record the JS side turns into `PilotStatusError`.
#![cfg(not(target_arch = "wasm32"))]
// Tests fail by panicking.
#![allow(clippy::panic, clippy::result_large_err)]

use std::cell::RefCell;
use std::time::Duration;

use pilot_connect::{Client, HttpRequest, HttpResponse, Transport, TransportError};
use pilot_connect_server::{ops, options, tokens, ErrorRecord};
use serde_json::{json, Value};

/// Answers each request with the next canned response and records what was sent.
struct Canned {
    answers: RefCell<Vec<HttpResponse>>,
    sent: RefCell<Vec<HttpRequest>>,
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

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

fn client(answers: Vec<HttpResponse>) -> Client<Canned> {
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

fn ok(status: u16, body: Vec<u8>) -> HttpResponse {
    HttpResponse::new(status, vec![], body)
}

async fn run(c: &Client<Canned>, op: &str, args: Value) -> Result<Value, ErrorRecord> {
    let text = ops::call(c, op, &args.to_string()).await?;
    Ok(serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}")))
}

#[tokio::test]
async fn create_sends_the_golden_body_and_lifts_the_id() {
    let c = client(vec![ok(201, fixture("create_number_201.json"))]);
    let out = run(
        &c,
        "numbers.create",
        json!({"name": "Loja", "number": "+55 (11) 99999-9999", "settings": {"alwaysOnline": null, "rejectCall": true}}),
    )
    .await
    .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(out["id"], "wa_abc");
    assert_eq!(out["instance"]["state"], "CONNECTING");
    let sent = c.transport().sent.borrow();
    assert_eq!(sent[0].url(), "http://127.0.0.1:9/v1/numbers");
    assert_eq!(sent[0].header("x-api-key"), Some("ps_test_key"));
    let body: Value = serde_json::from_slice(&sent[0].body).unwrap_or_default();
    assert_eq!(
        body,
        json!({"name": "Loja", "number": "+5511999999999", "settings": {"alwaysOnline": null, "rejectCall": true}})
    );
}

#[tokio::test]
async fn bad_arguments_are_refused_before_sending_with_their_field() {
    let c = client(vec![]);
    let cases = [
        (
            "numbers.create",
            json!({"name": "A", "number": "12"}),
            "number",
        ),
        (
            "numbers.create",
            json!({"name": " ", "number": "+5511999999999"}),
            "name",
        ),
        (
            "numbers.create",
            json!({"nmae": "A", "number": "+5511999999999"}),
            "nmae",
        ),
        (
            "numbers.create",
            json!({"name": "A", "number": "+5511999999999", "settings": {"bogus": 1}}),
            "bogus",
        ),
        ("numbers.connect", json!({"id": ".."}), "id"),
        (
            "numbers.connect",
            json!({"id": "wa_1", "link": "third"}),
            "link",
        ),
        ("numbers.get", json!({"id": 7}), "id"),
        (
            "numbers.delete",
            json!({"id": "wa_1", "link": "primary"}),
            "link",
        ),
        (
            "remotePairing.create",
            json!({"provider": "OTHER"}),
            "provider",
        ),
    ];
    for (op, args, field) in cases {
        let e = run(&c, op, args.clone())
            .await
            .err()
            .unwrap_or_else(|| panic!("{op} {args} passed"));
        assert_eq!(e.kind, "validation", "{op} {args}: {e:?}");
        assert!(
            e.field.as_deref() == Some(field) || e.message.contains(field),
            "{op} {args}: {e:?} should name {field}"
        );
    }
    assert!(c.transport().sent.borrow().is_empty(), "nothing was sent");
    let e = run(&c, "numbers.frobnicate", json!({})).await.err();
    assert_eq!(e.map(|e| e.kind), Some("validation"));
    // A `/` cannot walk into another route: the id travels as one encoded segment.
    let _ = run(&c, "numbers.connect", json!({"id": "a/../b"})).await;
    assert_eq!(
        c.transport().sent.borrow()[0].path_and_query(),
        "/v1/numbers/a%2F..%2Fb/connect"
    );
}

#[tokio::test]
async fn connect_is_a_union_of_pairing_and_connected() {
    let c = client(vec![
        ok(200, fixture("connect_200.json")),
        ok(409, fixture("error_409_exists.json")),
    ]);
    let p = run(&c, "numbers.connect", json!({"id": "wa_abc"}))
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(p["state"], "pairing");
    assert!(p["qr"]
        .as_str()
        .unwrap_or("")
        .starts_with("data:image/png;base64,"));
    assert!(p.get("qrcodeBase64").is_none());
    let done = run(
        &c,
        "numbers.connect",
        json!({"id": "wa_abc", "link": "secondary"}),
    )
    .await
    .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(done, json!({"state": "connected"}));
    assert!(c.transport().sent.borrow()[1]
        .url()
        .ends_with("/connect?link=secondary"));
}

#[tokio::test]
async fn status_adds_the_ready_rule_and_keeps_unknown_values() {
    let c = client(vec![ok(
        200,
        br#"{"id":"wa_1","state":"PAIRING_SOON","brandNew":1}"#.to_vec(),
    )]);
    let s = run(&c, "numbers.status", json!({"id": "wa_1"}))
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(
        s,
        json!({"id": "wa_1", "state": "PAIRING_SOON", "brandNew": 1, "ready": false})
    );
}

#[tokio::test]
async fn api_errors_carry_kind_status_code_and_retry_after() {
    let mut limited = ok(429, fixture("error_429.json"));
    limited.headers.push(("retry-after".into(), "30".into()));
    let c = client(vec![limited]);
    let e = run(&c, "numbers.list", json!({}))
        .await
        .err()
        .unwrap_or_else(|| panic!("passed"));
    assert_eq!(
        (e.kind, e.status, e.retry_after_ms),
        ("rate_limited", Some(429), Some(30_000))
    );
    let c = client(vec![ok(403, fixture("error_403_tenant_scope.json"))]);
    let e = run(&c, "numbers.delete", json!({"id": "wa_1"}))
        .await
        .err()
        .unwrap_or_else(|| panic!("passed"));
    assert_eq!(
        (e.kind, e.code.as_deref()),
        ("forbidden", Some("TENANT_SCOPE_NOT_ALLOWED"))
    );
    let c = client(vec![ok(200, br#"{"id":"wa_1","state":7}"#.to_vec())]);
    let e = run(&c, "numbers.status", json!({"id": "wa_1"}))
        .await
        .err()
        .unwrap_or_else(|| panic!("passed"));
    assert_eq!((e.kind, e.path.as_deref()), ("decode", Some("state")));
}

#[tokio::test]
async fn create_meta_returns_the_verify_token_for_the_js_secret_wrapper() {
    let c = client(vec![ok(201, fixture("create_meta_number_201.json"))]);
    let out = run(
        &c,
        "numbers.createMeta",
        json!({"name": "M", "number": "+5511988887777", "metaPhoneId": "1", "metaWabaId": "2",
               "metaAccessToken": "EAAGsecret", "metaAppSecret": "appsecret", "metaAppId": "3"}),
    )
    .await
    .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(out["number"]["provider"], "META");
    assert!(out["webhook"]["verifyToken"].is_string());
    let e = run(
        &c,
        "numbers.createMeta",
        json!({"name": "M", "number": "+5511988887777", "metaPhoneId": "1", "metaWabaId": "2",
               "metaAccessToken": "EAAG secret with spaces", "metaAppSecret": "appsecret", "metaAppId": "3"}),
    )
    .await
    .err()
    .unwrap_or_else(|| panic!("passed"));
    assert_eq!(e.field.as_deref(), Some("metaAccessToken"));
    assert!(!e.to_json().contains("EAAG"), "{e:?}");
}

#[test]
fn options_are_checked_once() {
    for (opts, field) in [
        (r#"{"apiKey":"ps_a","apiKeyId":"k"}"#, "apiKeyId"),
        (r#"{"apiKey":"sk_live_x"}"#, "apiKey"),
        (r#"{"apiKey":"ps_a","baseUrl":"ftp://x"}"#, "baseUrl"),
        (r#"{"apiKey":"ps_a","timeoutMs":0}"#, "timeoutMs"),
        (r#"{"apiKey":"ps_a","retries":3}"#, "retries"),
    ] {
        let e = options::settings(opts)
            .err()
            .unwrap_or_else(|| panic!("{opts} passed"));
        assert_eq!(e.kind, "validation");
        assert!(
            e.field.as_deref() == Some(field) || e.message.contains(field),
            "{opts}: {e:?}"
        );
        assert!(!e.to_json().contains("sk_live_x"), "{e:?}");
    }
    // A key given but empty or undefined (`undefined` arrives as `null`) is a deployment
    // mistake, reported at construction; no key at all is an anonymous client.
    for (opts, field) in [
        (r#"{"apiKey":null}"#, "apiKey"),
        (r#"{"apiKey":""}"#, "apiKey"),
        (r#"{"apiKey":"  "}"#, "apiKey"),
        (r#"{"apiKeyId":null}"#, "apiKeyId"),
        (r#"{"apiKeyId":" "}"#, "apiKeyId"),
        (r#"{"apiKey":null,"apiKeyId":"k"}"#, "apiKey"),
    ] {
        let e = options::settings(opts)
            .err()
            .unwrap_or_else(|| panic!("{opts} passed"));
        assert_eq!(
            (e.kind, e.field.as_deref()),
            ("configuration", Some(field)),
            "{opts}"
        );
        assert!(
            e.message
                .starts_with(&format!("{field} is empty or undefined")),
            "{e:?}"
        );
    }
    assert!(options::settings(r#"{"baseUrl":null,"timeoutMs":null}"#).is_ok());
    let s = options::settings(r#"{"apiKey":"ps_a","retry":false,"timeoutMs":500}"#)
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(
        (s.policy.max_retries, s.timeout),
        (0, Duration::from_millis(500))
    );
}

#[tokio::test]
async fn a_client_without_a_key_refuses_keyed_calls_before_sending() {
    let s = options::settings(r#"{"baseUrl":"http://127.0.0.1:9"}"#)
        .unwrap_or_else(|e| panic!("{e:?}"));
    let c = Client::new(
        s.config,
        Canned {
            answers: RefCell::new(vec![]),
            sent: RefCell::new(Vec::new()),
        },
    );
    for op in ["numbers.list", "webhooks.list"] {
        let e = run(&c, op, json!({}))
            .await
            .err()
            .unwrap_or_else(|| panic!("{op} passed"));
        assert_eq!(e.kind, "configuration", "{op}: {e:?}");
        assert!(
            e.message.contains("needs apiKey or apiKeyId"),
            "{op}: {e:?}"
        );
    }
    assert!(c.transport().sent.borrow().is_empty(), "nothing was sent");
}

const SECRET: &str = "binding-test-connect-secret-0123456789";

#[test]
fn tokens_round_trip_with_the_workers_rules() {
    let t = tokens::mint(
        &json!({"secret": SECRET, "numberId": "wa_1", "audience": "edge", "origin": "https://app.example", "ttlSeconds": 120}).to_string(),
        1_000,
    )
    .unwrap_or_else(|e| panic!("{e:?}"));
    let verify = |opts: Value, now| tokens::verify(&t, &opts.to_string(), now);
    let claims: Value = serde_json::from_str(
        &verify(
            json!({"secret": SECRET, "audience": "edge", "origin": "https://app.example"}),
            1_010,
        )
        .unwrap_or_else(|e| panic!("{e:?}")),
    )
    .unwrap_or_default();
    assert_eq!(
        claims,
        json!({"sub": "wa_1", "aud": "edge", "iat": 1000, "exp": 1120, "origin": "https://app.example"})
    );
    let code = |r: Result<String, ErrorRecord>| r.err().and_then(|e| e.code);
    assert_eq!(
        code(verify(
            json!({"secret": SECRET, "audience": "edge", "origin": "https://app.example"}),
            2_000
        ))
        .as_deref(),
        Some("expired")
    );
    assert_eq!(
        code(verify(
            json!({"secret": SECRET, "audience": "other", "origin": "https://app.example"}),
            1_010
        ))
        .as_deref(),
        Some("wrong_audience")
    );
    assert_eq!(
        code(verify(json!({"secret": SECRET, "audience": "edge"}), 1_010)).as_deref(),
        Some("origin_mismatch")
    );
    assert_eq!(
        code(verify(
            json!({"secret": "another-secret-of-enough-length-000000", "audience": "edge"}),
            1_010
        ))
        .as_deref(),
        Some("bad_signature")
    );
    for bad in [
        json!({"secret": "short", "numberId": "wa_1", "audience": "edge"}),
        json!({"secret": null, "numberId": "wa_1", "audience": "edge"}),
        json!({"numberId": "wa_1", "audience": "edge"}),
        json!({"secret": "", "numberId": "wa_1", "audience": "edge"}),
    ] {
        let e = tokens::mint(&bad.to_string(), 1_000)
            .err()
            .unwrap_or_else(|| panic!("{bad} passed"));
        assert_eq!(
            (e.kind, e.field.as_deref()),
            ("configuration", Some("secret")),
            "{bad}"
        );
        assert!(e.message.contains("CONNECT_TOKEN_SECRET"), "{e:?}");
    }
    for bad in [
        json!({"secret": SECRET, "numberId": "wa_1", "audience": "edge", "ttlSeconds": 3601}),
        json!({"secret": SECRET, "numberId": "", "audience": "edge"}),
    ] {
        let e = tokens::mint(&bad.to_string(), 1_000)
            .err()
            .unwrap_or_else(|| panic!("{bad} passed"));
        assert_eq!(e.kind, "validation", "{bad}");
        assert!(!e.to_json().contains(SECRET));
    }
}

#[test]
fn webhooks_are_verified_over_raw_bytes_then_parsed() {
    let body = fixture("webhook_number_connected.json");
    let sig = tokens::sign_webhook("whsec_x", &body).unwrap_or_default();
    let event: Value = serde_json::from_str(
        &tokens::verify_webhook("whsec_x", &body, Some(&sig)).unwrap_or_else(|e| panic!("{e:?}")),
    )
    .unwrap_or_default();
    assert_eq!(event["kind"], "number");
    assert_eq!(event["event"], "number.connected");
    assert_eq!(event["data"]["profileName"], "Acme Support");
    assert_eq!(
        event["dedupKey"],
        "number.connected|num_01HZX...|2026-06-01T12:00:00.000Z"
    );
    let code = |r: Result<String, ErrorRecord>| r.err().map(|e| (e.kind, e.code));
    assert_eq!(
        code(tokens::verify_webhook("whsec_x", &body, None)),
        Some(("signature", Some("missing".into())))
    );
    assert_eq!(
        code(tokens::verify_webhook("whsec_x", &body, Some("zz"))),
        Some(("signature", Some("malformed".into())))
    );
    assert_eq!(
        code(tokens::verify_webhook("whsec_y", &body, Some(&sig))),
        Some(("signature", Some("mismatch".into())))
    );
    let junk = b"not json";
    let junk_sig = tokens::sign_webhook("whsec_x", junk).unwrap_or_default();
    assert_eq!(
        code(tokens::verify_webhook("whsec_x", junk, Some(&junk_sig))).map(|c| c.0),
        Some("decode")
    );
}
