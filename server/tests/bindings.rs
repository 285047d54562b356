//! The npm package's operations, natively: JSON in → the core's request → canned answer → JSON
//! out, and every failure as the record the JS side turns into `PilotStatusError`.
#![cfg(not(target_arch = "wasm32"))]
// Tests fail by panicking.
#![allow(clippy::panic, clippy::result_large_err)]

mod common;
use common::{client, generated_block, Canned};

use std::cell::RefCell;
use std::time::Duration;

use pilot_connect::{Client, HttpResponse};
use pilot_connect_server::{ops, options, tokens, ErrorRecord, Reason};
use serde_json::{json, Value};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap_or_else(|e| panic!("fixture {name}: {e}"))
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
        assert_eq!(e.kind.as_str(), "validation", "{op} {args}: {e:?}");
        assert!(
            e.field.as_deref() == Some(field) || e.message.contains(field),
            "{op} {args}: {e:?} should name {field}"
        );
    }
    assert!(c.transport().sent.borrow().is_empty(), "nothing was sent");
    let e = run(&c, "numbers.frobnicate", json!({})).await.err();
    assert_eq!(e.map(|e| e.kind.as_str()), Some("validation"));
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
        (e.kind.as_str(), e.status, e.retry_after_ms),
        ("rate_limited", Some(429), Some(30_000))
    );
    let c = client(vec![ok(403, fixture("error_403_tenant_scope.json"))]);
    let e = run(&c, "numbers.delete", json!({"id": "wa_1"}))
        .await
        .err()
        .unwrap_or_else(|| panic!("passed"));
    assert_eq!(
        (e.kind.as_str(), e.code.as_deref()),
        ("forbidden", Some("TENANT_SCOPE_NOT_ALLOWED"))
    );
    let c = client(vec![ok(200, br#"{"id":"wa_1","state":7}"#.to_vec())]);
    let e = run(&c, "numbers.status", json!({"id": "wa_1"}))
        .await
        .err()
        .unwrap_or_else(|| panic!("passed"));
    assert_eq!(
        (e.kind.as_str(), e.path.as_deref()),
        ("decode", Some("state"))
    );
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
        assert_eq!(e.kind.as_str(), "validation");
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
            (e.kind.as_str(), e.field.as_deref()),
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
        assert_eq!(e.kind.as_str(), "configuration", "{op}: {e:?}");
        assert!(
            e.message.contains("needs apiKey or apiKeyId"),
            "{op}: {e:?}"
        );
    }
    assert!(c.transport().sent.borrow().is_empty(), "nothing was sent");
}

const SECRET: &str = "binding-test-connect-secret-0123456789";

#[test]
fn a_pairing_link_token_carries_the_link_and_its_branding() {
    let url = "http://127.0.0.1:8787/connect/rp_abc";
    let t = tokens::mint(
        &json!({"secret": SECRET, "remotePairing": url, "audience": "edge",
            "origin": "http://localhost:3000", "redirectUrl": "http://localhost:3000/back?x=1",
            "branding": {"companyName": "Acme", "primaryColor": "#112233", "defaultRedirectUrl": "https://x.example"},
            "now": 1_000})
        .to_string(),
        1_000,
    )
    .unwrap_or_else(|e| panic!("{e:?}"));
    let claims: Value = serde_json::from_str(
        &tokens::verify(
            &t,
            &json!({"secret": SECRET, "audience": "edge", "origin": "http://localhost:3000"})
                .to_string(),
            1_010,
        )
        .unwrap_or_else(|e| panic!("{e:?}")),
    )
    .unwrap_or_default();
    assert_eq!(claims["sub"], "rp_abc");
    assert_eq!(
        claims["rp"],
        json!({"token": "rp_abc", "url": url, "provider": "META", "exp": 1_000 + 86_400})
    );
    // Only the fields a page shows, each checked.
    assert_eq!(
        claims["branding"],
        json!({"companyName": "Acme", "primaryColor": "#112233"})
    );

    let refused = |args: Value| {
        let e = tokens::mint(&args.to_string(), 1_000)
            .err()
            .unwrap_or_else(|| panic!("{args} passed"));
        assert_eq!(e.kind.as_str(), "validation", "{args}: {e:?}");
        e.field.unwrap_or_default()
    };
    let base = json!({"secret": SECRET, "audience": "edge", "origin": "https://app.example"});
    let with = |extra: Value| {
        let mut v = base.clone();
        for (k, x) in extra.as_object().into_iter().flatten() {
            v[k] = x.clone();
        }
        v
    };
    assert_eq!(
        refused(with(json!({"numberId": "wa_1", "remotePairing": "rp_1"}))),
        "remotePairing"
    );
    assert_eq!(refused(with(json!({}))), "numberId");
    assert_eq!(
        refused(with(json!({"remotePairing": "rp_1", "link": "secondary"}))),
        "link"
    );
    assert_eq!(
        refused(with(
            json!({"remotePairing": "http://example.com/connect/rp_1"})
        )),
        "remotePairing"
    );
    assert_eq!(
        refused(with(json!({"numberId": "wa_1", "branding": {}}))),
        "branding"
    );
    assert_eq!(
        refused(with(json!({"numberId": "wa_1", "externalRef": "c1"}))),
        "externalRef"
    );
    assert_eq!(
        refused(with(json!({"remotePairing": "rp_1", "externalRef": "a|b"}))),
        "externalRef"
    );
    let with_ref = tokens::mint(
        &with(json!({"remotePairing": "rp_1", "externalRef": "cust_42"})).to_string(),
        1_000,
    )
    .unwrap_or_else(|e| panic!("{e:?}"));
    let claims: Value = serde_json::from_str(
        &tokens::verify(
            &with_ref,
            &json!({"secret": SECRET, "audience": "edge", "origin": "https://app.example"})
                .to_string(),
            1_010,
        )
        .unwrap_or_else(|e| panic!("{e:?}")),
    )
    .unwrap_or_default();
    assert_eq!(claims["rp"]["ref"], "cust_42");
    assert_eq!(
        refused(with(
            json!({"remotePairing": "rp_1", "branding": {"logoUrl": "javascript:alert(1)"}})
        )),
        "logoUrl"
    );
    for redirect in [
        "https://other.example/back",
        "http://app.example/back",
        "javascript:alert(1)",
    ] {
        assert_eq!(
            refused(with(
                json!({"remotePairing": "rp_1", "redirectUrl": redirect})
            )),
            "redirectUrl",
            "{redirect}"
        );
    }
    let mut no_origin =
        with(json!({"remotePairing": "rp_1", "redirectUrl": "https://app.example/back"}));
    no_origin.as_object_mut().map(|m| m.remove("origin"));
    assert_eq!(refused(no_origin), "redirectUrl");
    assert!(tokens::mint(
        &with(json!({"remotePairing": "rp_1", "redirectUrl": "https://app.example/back"}))
            .to_string(),
        1_000
    )
    .is_ok());
}

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
    // `webhooks: true` (the number's webhooks reach the edge) travels as a claim; absent, none.
    let hooked = tokens::mint(
        &json!({"secret": SECRET, "numberId": "wa_1", "audience": "edge", "webhooks": true, "now": 1_000}).to_string(),
        1_000,
    )
    .unwrap_or_else(|e| panic!("{e:?}"));
    let claims: Value = serde_json::from_str(
        &tokens::verify(
            &hooked,
            &json!({"secret": SECRET, "audience": "edge"}).to_string(),
            1_010,
        )
        .unwrap_or_else(|e| panic!("{e:?}")),
    )
    .unwrap_or_default();
    assert_eq!(claims["webhooks"], json!(true));
    let bad = tokens::mint(
        &json!({"secret": SECRET, "numberId": "wa_1", "audience": "edge", "webhooks": "yes"})
            .to_string(),
        1_000,
    );
    assert!(bad.is_err(), "webhooks must be a boolean");
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
            (e.kind.as_str(), e.field.as_deref()),
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
        assert_eq!(e.kind.as_str(), "validation", "{bad}");
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
    let code = |r: Result<String, ErrorRecord>| r.err().map(|e| (e.kind.as_str(), e.code));
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

/// The reasons live in one table (`server/src/reason.rs`); `index.d.ts`'s `ErrorReason` union
/// and `index.js`'s default reason per kind are generated from it.
/// `PILOT_BLESS=1 cargo test -p pilot-connect-server --test bindings` rewrites both blocks.
#[test]
fn the_dts_reason_union_is_the_rust_table() {
    use pilot_connect_server::reason::{dts_block, js_block, DTS_BEGIN, DTS_END};
    generated_block("index.d.ts", DTS_BEGIN, DTS_END, &dts_block());
    generated_block("index.js", DTS_BEGIN, DTS_END, &js_block());
    let names: Vec<&str> = Reason::ALL.iter().map(|r| r.as_str()).collect();
    // The package README's table of common reasons names only reasons of the table.
    let readme = std::fs::read_to_string(format!(
        "{}/../pkg-templates/server/README.md",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap_or_default();
    let rows: Vec<&str> = readme
        .lines()
        .skip_while(|l| !l.starts_with("| reason | kind |"))
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .collect();
    assert!(rows.len() > 5, "the README's reasons table");
    for row in rows {
        let first = row.split('|').nth(1).unwrap_or_default();
        for word in first.split('`').skip(1).step_by(2) {
            assert!(names.contains(&word), "README names {word:?}, not a reason");
        }
    }
    let mut unique = names.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), names.len(), "reasons are unique");
    // Every kind's default reason is of that kind, and every kind has reasons.
    for k in pilot_connect_server::reason::Kind::ALL {
        assert_eq!(k.default_reason().kind(), *k, "{k:?}");
    }
    for r in Reason::ALL {
        assert_eq!(r.kind().default_reason().kind(), r.kind(), "{r:?}");
    }
}

/// A record that crosses to JavaScript: `reason` present, in the table and of the record's kind.
fn has_reason(e: &ErrorRecord) -> Value {
    let v: Value = serde_json::from_str(&e.to_json()).unwrap_or_default();
    let reason = v["reason"]
        .as_str()
        .unwrap_or_else(|| panic!("no reason: {v}"));
    let r = Reason::ALL
        .iter()
        .find(|r| r.as_str() == reason)
        .unwrap_or_else(|| panic!("{reason} is not in the table"));
    assert_eq!(r.kind().as_str(), v["kind"], "{v}");
    v
}

#[tokio::test]
async fn every_error_has_a_reason_of_its_kind() {
    let mut seen = Vec::new();
    let mut check = |e: ErrorRecord, want: &str| {
        let v = has_reason(&e);
        assert_eq!(v["reason"], want, "{v}");
        assert!(
            !e.message.contains(" at line ") && !e.message.contains("column"),
            "parser detail stays out of the message: {v}"
        );
        seen.push(want.to_owned());
    };
    let fail = |r: Result<Value, ErrorRecord>| r.err().unwrap_or_else(|| panic!("passed"));
    let none = client(vec![]);
    check(
        fail(
            run(
                &none,
                "numbers.create",
                json!({"name": "A", "number": "12"}),
            )
            .await,
        ),
        "invalid_argument",
    );
    let typo = fail(
        run(
            &none,
            "numbers.create",
            json!({"nmae": "A", "number": "+5511999999999"}),
        )
        .await,
    );
    assert!(
        typo.message.contains("nmae")
            && typo.details["parser"]
                .as_str()
                .is_some_and(|p| p.contains("line")),
        "{typo:?}"
    );
    check(typo, "unknown_argument");
    check(
        fail(run(&none, "numbers.frobnicate", json!({})).await),
        "unknown_argument",
    );
    let e = options::settings(r#"{"apiKey":null}"#)
        .err()
        .unwrap_or_else(|| panic!("passed"));
    check(e, "missing_api_key");
    check(
        tokens::mint(
            &json!({"secret": "", "numberId": "wa_1", "audience": "a"}).to_string(),
            1,
        )
        .err()
        .unwrap_or_else(|| panic!("passed")),
        "missing_secret",
    );
    check(
        tokens::mint(
            &json!({"secret": "short", "numberId": "wa_1", "audience": "a"}).to_string(),
            1,
        )
        .err()
        .unwrap_or_else(|| panic!("passed")),
        "secret_too_short",
    );
    check(
        tokens::verify_webhook("", b"{}", None)
            .err()
            .unwrap_or_else(|| panic!("passed")),
        "missing_secret",
    );
    let anonymous = options::settings(r#"{"baseUrl":"http://127.0.0.1:9"}"#)
        .unwrap_or_else(|e| panic!("{e:?}"));
    let anon = Client::new(
        anonymous.config,
        Canned {
            answers: RefCell::new(vec![]),
            sent: RefCell::new(vec![]),
        },
    );
    check(
        fail(run(&anon, "numbers.list", json!({})).await),
        "missing_api_key",
    );
    for (status, file, want) in [
        (400, "error_400.json", "bad_request"),
        (401, "error_401.json", "unauthorized"),
        (403, "error_403_tenant_scope.json", "tenant_key_not_allowed"),
        (403, "error_403_number_scope.json", "number_key_not_allowed"),
        (404, "error_404_webhook.json", "not_found"),
        (409, "error_409_soft_deleted.json", "conflict"),
        (429, "error_429.json", "rate_limited"),
        (503, "error_503_provider.json", "server_error"),
        (402, "error_400.json", "http_status"),
        (302, "error_400.json", "redirect"),
    ] {
        let c = client(vec![ok(status, fixture(file))]);
        check(
            fail(run(&c, "numbers.delete", json!({"id": "wa_1"})).await),
            want,
        );
    }
    let c = client(vec![ok(
        403,
        br#"{"error":"nope","code":"PERMISSION_DENIED"}"#.to_vec(),
    )]);
    check(
        fail(run(&c, "numbers.delete", json!({"id": "wa_1"})).await),
        "forbidden",
    );
    let c = client(vec![ok(200, br#"{"id":"wa_1","state":7}"#.to_vec())]);
    check(
        fail(run(&c, "numbers.status", json!({"id": "wa_1"})).await),
        "decode",
    );
    let t = tokens::mint(
        &json!({"secret": SECRET, "numberId": "wa_1", "audience": "edge"}).to_string(),
        1_000,
    )
    .unwrap_or_default();
    let verify = |opts: Value, now| {
        tokens::verify(&t, &opts.to_string(), now)
            .err()
            .unwrap_or_else(|| panic!("passed"))
    };
    check(
        verify(json!({"secret": SECRET, "audience": "edge"}), 9_000),
        "token_expired",
    );
    check(
        verify(json!({"secret": SECRET, "audience": "other"}), 1_000),
        "token_wrong_audience",
    );
    check(
        tokens::verify(
            "a.b",
            &json!({"secret": SECRET, "audience": "edge"}).to_string(),
            1_000,
        )
        .err()
        .unwrap_or_else(|| panic!("passed")),
        "token_malformed",
    );
    let body = fixture("webhook_number_connected.json");
    check(
        tokens::verify_webhook("whsec_x", &body, None)
            .err()
            .unwrap_or_else(|| panic!("passed")),
        "signature_missing",
    );
    check(
        tokens::verify_webhook("whsec_x", &body, Some("zz"))
            .err()
            .unwrap_or_else(|| panic!("passed")),
        "signature_malformed",
    );
    let other = tokens::sign_webhook("whsec_y", b"something else").unwrap_or_default();
    check(
        tokens::verify_webhook("whsec_x", &body, Some(&other))
            .err()
            .unwrap_or_else(|| panic!("passed")),
        "signature_mismatch",
    );
    let junk = br#"{"event":"number.connected","data":{"numberId":"wa_1"}}"#;
    let sig = tokens::sign_webhook("whsec_x", junk).unwrap_or_default();
    let e = tokens::verify_webhook("whsec_x", junk, Some(&sig))
        .err()
        .unwrap_or_else(|| panic!("passed"));
    assert_eq!(
        (e.kind.as_str(), e.path.as_deref()),
        ("decode", Some("data.phone")),
        "{e:?}"
    );
    check(e, "invalid_event");
    // A kind changed after the fact still crosses with a reason of that kind.
    let mut r = ErrorRecord::new(pilot_connect_server::reason::Kind::Validation, "x");
    r.kind = pilot_connect_server::reason::Kind::Internal;
    check(r, "internal");
    assert!(seen.len() > 25);
}

#[tokio::test]
async fn a_missing_id_is_a_decode_error_with_its_path() {
    let cases = [
        (
            "numbers.create",
            json!({"name": "A", "number": "+5511999999999"}),
            r#"{"instance":{"name":"A","state":"CONNECTING"},"pairingCode":"ABCD-1234"}"#,
            "instance.id",
        ),
        (
            "numbers.create",
            json!({"name": "A", "number": "+5511999999999"}),
            r#"{"qrcodeBase64":null}"#,
            "instance",
        ),
        (
            "numbers.list",
            json!({}),
            r#"[{"id":"wa_1"},{"name":"B"}]"#,
            "[1].id",
        ),
        (
            "numbers.get",
            json!({"id": "wa_1"}),
            r#"{"name":"B","state":"OPEN"}"#,
            "id",
        ),
        (
            "webhooks.create",
            json!({"url": "https://a.example/h", "events": ["*"], "whatsappNumberId": "wa_1"}),
            r#"{"url":"https://a.example/h","events":["*"]}"#,
            "id",
        ),
        (
            "webhooks.get",
            json!({"id": "wh_1"}),
            r#"{"webhook":{"url":"https://a.example/h"}}"#,
            "webhook.id",
        ),
        (
            "webhooks.list",
            json!({}),
            r#"{"data":[{"url":"https://a.example/h"}]}"#,
            "data[0].id",
        ),
        (
            "webhooks.update",
            json!({"id": "wh_1", "active": false}),
            r#"{"active":false}"#,
            "id",
        ),
        (
            "remotePairing.create",
            json!({"name": "A", "number": "+5511999999999"}),
            r#"{"remotePairingUrl":"https://x.example/connect/t","messageSent":false}"#,
            "numberId",
        ),
    ];
    for (op, args, body, path) in cases {
        let c = client(vec![ok(201, body.as_bytes().to_vec())]);
        let e = run(&c, op, args)
            .await
            .err()
            .unwrap_or_else(|| panic!("{op} {body} passed"));
        let v = has_reason(&e);
        assert_eq!(
            (e.kind.as_str(), e.path.as_deref(), v["reason"].as_str()),
            ("decode", Some(path), Some("decode")),
            "{op}: {e:?}"
        );
        assert!(
            e.message
                .starts_with("Pilot Status answered 201 with a body this call cannot use: "),
            "{e:?}"
        );
        assert!(e.message.ends_with("is missing"), "{e:?}");
        assert!(!e.message.contains("line"), "{e:?}");
        assert!(e.details.contains_key("parser"), "{e:?}");
    }
    // A META link may have no number yet (picked in Meta's dialog): numberId is null there.
    let c = client(vec![ok(
        201,
        br#"{"provider":"META","remotePairingUrl":"https://x.example/connect/t2"}"#.to_vec(),
    )]);
    let link = run(&c, "remotePairing.create", json!({"provider": "META"}))
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(
        (&link["token"], &link["numberId"]),
        (&json!("t2"), &Value::Null)
    );
    // Not JSON at all: said in words, the parser's text (line, column) in details.parser.
    let c = client(vec![ok(
        200,
        br#"{"qrcodeBase64": "data:image/png;base64,iVBOR"#.to_vec(),
    )]);
    let e = run(&c, "numbers.connect", json!({"id": "wa_1"}))
        .await
        .err()
        .unwrap_or_else(|| panic!("passed"));
    assert_eq!(
        e.message,
        "Pilot Status answered 200 with a body this call cannot use: the body is not valid JSON"
    );
    assert!(
        e.details["parser"]
            .as_str()
            .is_some_and(|p| p.contains("line 1 column")),
        "{e:?}"
    );
}

#[tokio::test]
async fn a_second_webhook_is_webhook_exists_and_says_keep_yours() {
    let c = client(vec![ok(
        409,
        br#"{"error":"This number already has a webhook","webhookId":"wh_theirs"}"#.to_vec(),
    )]);
    let e = run(
        &c,
        "webhooks.create",
        json!({"url": "https://edge.example/v1/hooks/pilot-status", "events": ["number.connected"], "whatsappNumberId": "wa_1"}),
    )
    .await
    .err()
    .unwrap_or_else(|| panic!("passed"));
    let v = has_reason(&e);
    assert_eq!(
        (
            v["kind"].as_str(),
            v["reason"].as_str(),
            e.status,
            e.code.as_deref()
        ),
        (Some("conflict"), Some("webhook_exists"), Some(409), None)
    );
    assert!(
        e.message.contains("already has a webhook") && e.message.contains("keep it"),
        "{}",
        e.message
    );
    assert!(
        !e.message.contains("PATCH it"),
        "never invites overwriting it: {}",
        e.message
    );
    assert_eq!(e.details["webhookId"], "wh_theirs");
    // Another op's 409 stays a plain conflict.
    let c = client(vec![ok(409, fixture("error_409_soft_deleted.json"))]);
    let e = run(
        &c,
        "numbers.create",
        json!({"name": "A", "number": "+5511999999999"}),
    )
    .await
    .err()
    .unwrap_or_else(|| panic!("passed"));
    assert_eq!(has_reason(&e)["reason"], "conflict");
}

/// `ready` is THE answer to "is it connected?": for status, the dual-link rule
/// (`NumberStatus::is_link_connected`), for list/get the whole number.
#[tokio::test]
async fn ready_is_the_link_rule() {
    let dual_open = br#"{"id":"wa_1","state":"OPEN","isFullyConnected":false,"primaryLink":{"state":"CONNECTING"},"secondaryLink":{"state":"OPEN"}}"#;
    let single = br#"{"id":"wa_1","state":"OPEN","isFullyConnected":false}"#;
    let c = client(vec![ok(200, dual_open.to_vec()), ok(200, single.to_vec())]);
    let s = run(
        &c,
        "numbers.status",
        json!({"id": "wa_1", "link": "secondary"}),
    )
    .await
    .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(
        (&s["ready"], &s["isFullyConnected"]),
        (&json!(true), &json!(false)),
        "the asked link is open"
    );
    let s = run(&c, "numbers.status", json!({"id": "wa_1"}))
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(s["ready"], false, "single link: isFullyConnected wins");
    let c = client(vec![
        ok(200, fixture("list_200.json")),
        ok(200, fixture("get_200.json")),
    ]);
    let list = run(&c, "numbers.list", json!({}))
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert!(
        list.as_array()
            .is_some_and(|l| l.iter().all(|n| n["ready"].is_boolean())),
        "{list}"
    );
    let one = run(&c, "numbers.get", json!({"id": "wa_abc"}))
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(
        one["ready"],
        json!(one["isFullyConnected"]
            .as_bool()
            .unwrap_or(one["state"] == "OPEN"))
    );
}

/// The operations live in one table (`server/src/ops.rs`): the dispatch takes exactly its
/// names, and `index.js`'s method map and `index.d.ts`'s interfaces are generated from it.
#[test]
fn operations_are_one_table() {
    use pilot_connect_server::ops::{dts_block, js_block, Op, OPS_BEGIN, OPS_END};
    generated_block("index.js", OPS_BEGIN, OPS_END, &js_block());
    generated_block("index.d.ts", OPS_BEGIN, OPS_END, &dts_block());
    let mut names: Vec<String> = Op::ALL.iter().map(|op| op.name()).collect();
    for (i, op) in Op::ALL.iter().enumerate() {
        assert_eq!(Op::parse(&names[i]), Some(*op));
    }
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), Op::ALL.len(), "operation names are unique");
    assert_eq!(Op::parse("numbers"), None);
    assert_eq!(Op::parse("numbers.frobnicate"), None);
}

/// The code and event-name unions of `index.d.ts` come from the core's and the edge's lists.
#[test]
fn code_unions_are_the_lists() {
    use pilot_connect_server::reason::{
        codes_block, enums_block, CODES_BEGIN, CODES_END, ENUMS_BEGIN, ENUMS_END,
    };
    generated_block("index.d.ts", CODES_BEGIN, CODES_END, &codes_block());
    generated_block("index.d.ts", ENUMS_BEGIN, ENUMS_END, &enums_block());
}

/// `branding.get` / `branding.update`: the core's builders, `null` clears, an absent field is
/// not sent; the remote-pairing snapshot is typed, under either name.
#[tokio::test]
async fn branding_get_update_and_the_link_snapshot() {
    let c = client(vec![
        ok(200, fixture("branding_200.json")),
        ok(200, fixture("branding_200_empty.json")),
    ]);
    let got = run(&c, "branding.get", json!({}))
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(got["companyName"], "Acme");
    assert_eq!(got["hidePilotStatusBranding"], true);
    assert_eq!(
        got["updatedAt"], "2026-06-01T12:00:00.000Z",
        "unknown fields kept"
    );
    let out = run(
        &c,
        "branding.update",
        json!({"companyName": " Acme ", "logoUrl": null, "primaryColor": "#0A84FF"}),
    )
    .await
    .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(out, json!({}));
    let sent = c.transport().sent.borrow().clone();
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path_and_query()),
        ("GET", "/v1/branding")
    );
    assert_eq!(
        (sent[1].method.as_str(), sent[1].path_and_query()),
        ("PUT", "/v1/branding")
    );
    let body: Value = serde_json::from_slice(&sent[1].body).unwrap_or_default();
    assert_eq!(
        body,
        json!({"logoUrl": null, "primaryColor": "#0A84FF", "companyName": "Acme"})
    );

    // Refused before sending, naming the field.
    let c = client(vec![]);
    for (args, field) in [
        (json!({}), "branding"),
        (json!({"logoUrl": "http://cdn.example/l.png"}), "logoUrl"),
        (json!({"primaryColor": "#FFF"}), "primaryColor"),
        (json!({"companyName": "x".repeat(61)}), "companyName"),
        (json!({"companyName": 42}), "companyName"),
        (json!({"compnayName": "Acme"}), "compnayName"),
    ] {
        let e = run(&c, "branding.update", args.clone())
            .await
            .err()
            .unwrap_or_else(|| panic!("{args} passed"));
        assert_eq!(e.kind.as_str(), "validation", "{args}: {e:?}");
        assert!(
            e.field.as_deref() == Some(field)
                || e.path.as_deref() == Some(field)
                || e.message.contains(field),
            "{args}: {e:?} should name {field}"
        );
        has_reason(&e);
    }
    for (args, what) in [
        (
            json!({"name": "A", "number": "+5511999999999", "branding": {"companyName": 42}}),
            "companyName",
        ),
        (
            json!({"name": "A", "number": "+5511999999999", "brandingOverride": {"primaryColor": "blue"}}),
            "primaryColor",
        ),
        (
            json!({"name": "A", "number": "+5511999999999", "branding": {}, "brandingOverride": {}}),
            "branding",
        ),
    ] {
        let e = run(&c, "remotePairing.create", args.clone())
            .await
            .err()
            .unwrap_or_else(|| panic!("{args} passed"));
        assert_eq!(e.kind.as_str(), "validation", "{args}: {e:?}");
        assert!(
            format!("{e:?}").contains(what),
            "{args}: {e:?} should name {what}"
        );
    }
    assert!(c.transport().sent.borrow().is_empty(), "nothing was sent");

    // Either input name: the snapshot is sent under both names, unknown fields kept.
    for name in ["branding", "brandingOverride"] {
        let c = client(vec![ok(201, fixture("remote_pairing_openapi.json"))]);
        run(
            &c,
            "remotePairing.create",
            json!({"name": "A", "number": "+5511999999999", name: {"companyName": "Acme", "subtitle": null, "fontFamily": "Inter"}}),
        )
        .await
        .unwrap_or_else(|e| panic!("{name}: {e:?}"));
        let body: Value =
            serde_json::from_slice(&c.transport().sent.borrow()[0].body).unwrap_or_default();
        let want = json!({"companyName": "Acme", "fontFamily": "Inter"});
        assert_eq!(
            (&body["branding"], &body["brandingOverride"]),
            (&want, &want),
            "{name}"
        );
    }
}
