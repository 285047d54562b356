//! Contract tests: the sandbox over real HTTP, through the core crate's native transport and
//! through raw requests checked against the documented example payloads.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::*;
use pilot_connect::endpoints::*;
use pilot_connect::webhook::{self, EventName, WebhookEvent};
use pilot_connect::{ErrorCode, ErrorKind, ForbiddenScope, NumberState, WebhookSecret};
use pilot_sandbox::{NumberKeyPolicy, Options, StatusShape};
use serde_json::{json, Value};

fn fast(scale: f64) -> Options {
    Options {
        time_scale: scale,
        ..Options::default()
    }
}

#[tokio::test]
async fn full_lifecycle_over_http() {
    let sb = sandbox(Options::default()).await;
    let c = client(&sb.base_url);
    let raw = Raw::new(&sb.base_url);

    // create → QR-paired number, CONNECTING, with a QR that decodes to the current ref.
    let created = c
        .send(&CreateNumber::new("Loja Centro", "+55 11 98888-7777"))
        .await
        .unwrap();
    let id = created.id().to_owned();
    assert_eq!(created.instance.state, Some(NumberState::Connecting));
    assert_eq!(
        created.linked_api_key_id, None,
        "tenant keys are never linked"
    );
    let ctl = raw.control(&id).await;
    let first_ref = ctl["pairing"]["ref"].as_str().unwrap().to_owned();
    assert_eq!(
        decode_qr(created.qrcode_base64.as_ref().unwrap().as_data_url()),
        first_ref
    );
    let code = created.pairing_code.clone().unwrap();
    assert_eq!(code.as_str().len(), 9);
    assert_eq!(code.grouped(), code.as_str(), "shown as XXXX-XXXX");

    // connect during the attempt → the current QR and the same pairing code.
    let ConnectOutcome::Pairing(p) = c.send(&Connect::new(&id)).await.unwrap() else {
        panic!()
    };
    assert_eq!(decode_qr(p.qrcode_base64.unwrap().as_data_url()), first_ref);
    assert_eq!(p.pairing_code.unwrap(), code);

    let st = c.send(&GetStatus::new(&id)).await.unwrap();
    assert_eq!(
        (st.state.clone(), st.stale, st.is_ready()),
        (NumberState::Connecting, Some(false), false)
    );
    assert!(st.checked_at.is_some());

    // The phone scans the current QR → OPEN.
    let (s, _, v) = raw
        .call(
            "POST",
            &format!("/_sandbox/numbers/{id}/scan"),
            None,
            Some(&json!({"ref": first_ref}).to_string()),
        )
        .await;
    assert_eq!((s, v["state"].as_str()), (200, Some("OPEN")));
    let st = c.send(&GetStatus::new(&id)).await.unwrap();
    assert_eq!((st.state.clone(), st.is_ready()), (NumberState::Open, true));
    assert_eq!(
        c.send(&Connect::new(&id)).await.unwrap(),
        ConnectOutcome::AlreadyConnected
    );

    let list = c.send(&ListNumbers::new()).await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(
        (list[0].id.as_str(), list[0].number.as_deref()),
        (id.as_str(), Some("5511988887777"))
    );
    let got = c.send(&GetNumber::new(&id)).await.unwrap();
    assert_eq!(
        (got.state, got.is_fully_connected),
        (Some(NumberState::Open), Some(true))
    );

    // delete → soft delete with a restore window; gone from list/get.
    let del = c.send(&DeleteNumber::new(&id)).await.unwrap();
    assert!(del.ok && del.restorable_until.is_some());
    assert_eq!(
        c.send(&GetNumber::new(&id)).await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
    assert!(c.send(&ListNumbers::new()).await.unwrap().is_empty());
    // Creating the same phone now → 409 NUMBER_SOFT_DELETED.
    let err = c
        .send(&CreateNumber::new("Again", "+5511988887777"))
        .await
        .unwrap_err();
    assert_eq!(
        (err.kind(), err.code()),
        (ErrorKind::Conflict, Some(&ErrorCode::NumberSoftDeleted))
    );

    // restore → back, disconnected; connect starts a fresh attempt with a new code.
    let r = c.send(&RestoreNumber::new(&id)).await.unwrap();
    assert_eq!(r.requires_reconnect, Some(true));
    assert_eq!(
        c.send(&GetStatus::new(&id)).await.unwrap().state,
        NumberState::Close
    );
    let ConnectOutcome::Pairing(p2) = c.send(&Connect::new(&id)).await.unwrap() else {
        panic!()
    };
    assert_ne!(
        p2.pairing_code.unwrap(),
        code,
        "a new attempt has a new pairing code"
    );
    assert_ne!(
        raw.control(&id).await["pairing"]["ref"].as_str().unwrap(),
        first_ref
    );

    // purge → gone for good.
    assert!(c.send(&PurgeNumber::new(&id)).await.unwrap().ok);
    assert_eq!(
        c.send(&GetNumber::new(&id)).await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
    assert_eq!(
        c.send(&RestoreNumber::new(&id)).await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
    assert_eq!(
        c.send(&PurgeNumber::new(&id)).await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
    sb.stop().await.unwrap();
}

#[tokio::test]
async fn qr_rotates_like_whatsapp_and_the_attempt_ends() {
    // 20×: first ref 3 s, then 1 s each, 8 s in all. (At 50× a loaded 2-core machine could
    // oversleep a 0.4 s window and skip a ref: the bounds below leave room for that.)
    let sb = sandbox(fast(20.0)).await;
    let raw = Raw::new(&sb.base_url);
    let c = client(&sb.base_url);
    let id = raw.create_id("Rotor", "+5511970000001").await;
    let ctl = raw.control(&id).await;
    assert_eq!(
        (
            ctl["pairing"]["refIndex"].as_u64(),
            ctl["pairing"]["refsTotal"].as_u64()
        ),
        (Some(0), Some(6))
    );
    let first_left = ctl["pairing"]["refExpiresInMs"].as_u64().unwrap();
    assert!(
        (2000..=3000).contains(&first_left),
        "first ref lives 60 virtual s: {first_left} ms"
    );
    let code = ctl["pairing"]["pairingCode"].as_str().unwrap().to_owned();

    let mut seen = vec![ctl["pairing"]["ref"].as_str().unwrap().to_owned()];
    for idx in 1..6u64 {
        let left = raw.control(&id).await["pairing"]["refExpiresInMs"]
            .as_u64()
            .unwrap();
        tokio::time::sleep(Duration::from_millis(left + 150)).await;
        let ctl = raw.control(&id).await;
        assert_eq!(ctl["pairing"]["refIndex"].as_u64(), Some(idx), "{ctl}");
        let r = ctl["pairing"]["ref"].as_str().unwrap().to_owned();
        assert!(!seen.contains(&r), "each ref is new");
        assert_eq!(
            ctl["pairing"]["pairingCode"].as_str(),
            Some(code.as_str()),
            "the code does not rotate"
        );
        let left = ctl["pairing"]["refExpiresInMs"].as_u64().unwrap();
        assert!(left <= 1000, "later refs live 20 virtual s: {left} ms");
        // What connect returns is the QR of this ref.
        let ConnectOutcome::Pairing(p) = c.send(&Connect::new(&id)).await.unwrap() else {
            panic!()
        };
        assert_eq!(decode_qr(p.qrcode_base64.unwrap().as_data_url()), r);
        seen.push(r);
    }
    // A stale ref cannot be scanned.
    let (s, _, _) = raw
        .call(
            "POST",
            &format!("/_sandbox/numbers/{id}/scan"),
            None,
            Some(&json!({"ref": seen[0]}).to_string()),
        )
        .await;
    assert_eq!(s, 409);
    let left = raw.control(&id).await["pairing"]["refExpiresInMs"]
        .as_u64()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(left + 150)).await;
    let ctl = raw.control(&id).await;
    assert_eq!(
        (ctl["state"].as_str(), &ctl["pairing"]),
        (Some("CLOSE"), &Value::Null),
        "after 6 refs the attempt ends"
    );
    assert_eq!(
        c.send(&GetStatus::new(&id)).await.unwrap().state,
        NumberState::Close
    );
    let (s, _, _) = raw
        .call("POST", &format!("/_sandbox/numbers/{id}/scan"), None, None)
        .await;
    assert_eq!(s, 409, "nothing to scan once the attempt is over");
    // Reconnect starts attempt 2.
    let ConnectOutcome::Pairing(p) = c.send(&Connect::new(&id)).await.unwrap() else {
        panic!()
    };
    assert_ne!(p.pairing_code.unwrap().as_str(), code);
    assert_eq!(raw.control(&id).await["attempts"].as_u64(), Some(2));
    sb.stop().await.unwrap();
}

#[tokio::test]
async fn pairing_code_and_disconnect() {
    let sb = sandbox(Options::default()).await;
    let raw = Raw::new(&sb.base_url);
    let id = raw.create_id("Code", "+5511970000002").await;
    let code = raw.control(&id).await["pairing"]["pairingCode"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/_sandbox/numbers/{id}/pair");
    let (s, _, v) = raw
        .call("POST", &path, None, Some(r#"{"code":"AAAA-AAAA"}"#))
        .await;
    assert_eq!(
        (s, v["error"].as_str()),
        (400, Some("Invalid pairing code"))
    );
    let typed = code.replace('-', "").to_lowercase();
    let (s, _, _) = raw
        .call(
            "POST",
            &path,
            None,
            Some(&json!({"code": typed}).to_string()),
        )
        .await;
    assert_eq!(s, 200, "typed without dash, lower case: accepted");
    assert_eq!(raw.control(&id).await["state"], "OPEN");
    let (s, _, _) = raw
        .call(
            "POST",
            &format!("/_sandbox/numbers/{id}/disconnect"),
            None,
            None,
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(raw.control(&id).await["state"], "CLOSE");
    let (s, _, _) = raw
        .call(
            "POST",
            &format!("/_sandbox/numbers/{id}/disconnect"),
            None,
            None,
        )
        .await;
    assert_eq!(s, 409);
    sb.stop().await.unwrap();
}

#[tokio::test]
async fn answers_match_the_documented_payloads() {
    let sb = sandbox(Options::default()).await;
    let raw = Raw::new(&sb.base_url);
    let created = raw.create("Doc", "+5511970000003").await;
    covers(&fixture("create_number_201.json"), &created, "create");
    covers(
        &fixture("create_number_201.json")["instance"],
        &created["instance"],
        "create.instance",
    );
    assert!(created["qrcodeBase64"]
        .as_str()
        .unwrap()
        .starts_with("data:image/png;base64,iVBORw0KGgo"));
    let id = created["instance"]["id"].as_str().unwrap().to_owned();

    let (s, h, connect) = raw
        .call(
            "GET",
            &format!("/v1/numbers/{id}/connect"),
            Some(TENANT),
            None,
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        keys(&connect),
        keys(&fixture("connect_200.json")),
        "connect has exactly the documented keys"
    );
    assert_eq!(h.get("content-type").unwrap(), "application/json");
    let (_, _, status) = raw
        .call(
            "GET",
            &format!("/v1/numbers/{id}/status"),
            Some(TENANT),
            None,
        )
        .await;
    covers(&fixture("status_sdk.json"), &status, "status");
    covers(&fixture("status_rendered.json"), &status, "status");
    let (_, _, list) = raw.call("GET", "/v1/numbers", Some(TENANT), None).await;
    covers(&fixture("list_200.json")[0], &list[0], "list item");
    let (_, _, one) = raw
        .call("GET", &format!("/v1/numbers/{id}"), Some(TENANT), None)
        .await;
    covers(&fixture("get_200.json"), &one, "get");
    let (_, _, del) = raw
        .call("DELETE", &format!("/v1/numbers/{id}"), Some(TENANT), None)
        .await;
    assert_eq!(keys(&del), keys(&fixture("delete_200_soft.json")));
    let (_, _, res) = raw
        .call(
            "POST",
            &format!("/v1/numbers/{id}/restore"),
            Some(TENANT),
            None,
        )
        .await;
    assert_eq!(res, fixture("restore_200.json"));
    let (_, _, purged) = raw
        .call(
            "DELETE",
            &format!("/v1/numbers/{id}/purge"),
            Some(TENANT),
            None,
        )
        .await;
    assert_eq!(purged, fixture("purge_200.json"));

    // Seed 004: the Meta request example is accepted and the 201 has the documented shape.
    let seed_req = std::fs::read_to_string(format!(
        "{}/../fixtures/create_meta_number_request.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let (s, _, meta) = raw
        .call("POST", "/v1/numbers/meta", Some(TENANT), Some(&seed_req))
        .await;
    assert_eq!(s, 201, "{meta}");
    let doc = fixture("create_meta_number_201.json");
    assert_eq!(keys(&meta), keys(&doc));
    assert_eq!(keys(&meta["number"]), keys(&doc["number"]));
    assert_eq!(keys(&meta["webhook"]), keys(&doc["webhook"]));
    assert_eq!(meta["number"]["provider"], "META");
    assert_eq!(meta["number"]["metaWabaId"], "987654321098765");
    assert!(meta["webhook"]["verifyToken"]
        .as_str()
        .unwrap()
        .starts_with("ps_meta_verify_"));
    let (s, _, v) = raw
        .call("POST", "/v1/numbers/meta", Some(TENANT), Some(&seed_req))
        .await;
    assert_eq!(
        (s, v),
        (409, json!({"error": "Number already exists"})),
        "seed 004's 409 example"
    );
    let meta_id = meta["number"]["id"].as_str().unwrap();
    let (s, _, v) = raw
        .call(
            "GET",
            &format!("/v1/numbers/{meta_id}/connect"),
            Some(TENANT),
            None,
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (400, Some("FEATURE_NOT_SUPPORTED")),
        "Meta numbers do not use QR"
    );
    let (_, _, st) = raw
        .call(
            "GET",
            &format!("/v1/numbers/{meta_id}/status"),
            Some(TENANT),
            None,
        )
        .await;
    assert_eq!(st["state"], "OPEN");
    sb.stop().await.unwrap();
}

#[tokio::test]
async fn status_shapes_each_parse() {
    for shape in [
        StatusShape::Md,
        StatusShape::Rendered,
        StatusShape::Sdk,
        StatusShape::Full,
    ] {
        let sb = sandbox(Options {
            status_shape: shape,
            ..Options::default()
        })
        .await;
        let raw = Raw::new(&sb.base_url);
        let id = raw.create_id("S", "+5511970000004").await;
        let (_, _, v) = raw
            .call(
                "GET",
                &format!("/v1/numbers/{id}/status"),
                Some(TENANT),
                None,
            )
            .await;
        let doc = match shape {
            StatusShape::Md => fixture("status_md.json"),
            StatusShape::Rendered => fixture("status_rendered.json"),
            StatusShape::Sdk => fixture("status_sdk.json"),
            StatusShape::Full => {
                json!({"id":"", "state":"", "isFullyConnected": false, "stale": false, "checkedAt": "",
                       "primaryLink": {}, "secondaryLink": null})
            }
        };
        assert_eq!(keys(&v), keys(&doc), "{shape:?}");
        let st = client(&sb.base_url)
            .send(&GetStatus::new(&id))
            .await
            .unwrap();
        assert_eq!(st.state, NumberState::Connecting, "{shape:?}");
        sb.stop().await.unwrap();
    }
}

#[tokio::test]
async fn auth_and_scopes() {
    let sb = sandbox(Options {
        unbound_number_keys: vec!["ps_unbound_number_key".into()],
        ..Options::default()
    })
    .await;
    let raw = Raw::new(&sb.base_url);
    for key in [None, Some("ps_wrong"), Some("")] {
        let (s, _, v) = raw.call("GET", "/v1/numbers", key, None).await;
        assert_eq!((s, v), (401, json!({"error": "Unauthorized"})), "{key:?}");
    }
    // x-api-key-id resolves the tenant key.
    let r = raw
        .http
        .get(format!("{}/v1/numbers", sb.base_url))
        .header("x-api-key-id", "key_tenant")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = raw
        .http
        .get(format!("{}/v1/numbers", sb.base_url))
        .header("x-api-key-id", "key_nope")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    let a = raw.create_id("A", "+5511970000005").await;
    let b = raw.create_id("B", "+5511970000006").await;
    let a_key = raw.control(&a).await["apiKey"].as_str().unwrap().to_owned();
    let ca = client_with(&sb.base_url, &a_key, Duration::from_secs(5));
    assert!(
        ca.send(&GetStatus::new(&a)).await.is_ok(),
        "a number key works on its own number"
    );
    let err = ca.send(&GetStatus::new(&b)).await.unwrap_err();
    assert_eq!(
        err.kind(),
        ErrorKind::Forbidden(ForbiddenScope::NumberKeyNotAllowed)
    );
    assert_eq!(
        ca.send(&ListNumbers::new()).await.unwrap().len(),
        1,
        "a number key lists only its number"
    );
    assert_eq!(
        ca.send(&PurgeNumber::new(&a)).await.unwrap_err().kind(),
        ErrorKind::Forbidden(ForbiddenScope::NumberKeyNotAllowed)
    );
    assert_eq!(
        ca.send(&CreateRemotePairing::pilot_status("X", "+5511970000099"))
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::Forbidden(ForbiddenScope::NumberKeyNotAllowed)
    );

    // linkToApiKey: an unbound number key creating a number is re-pointed to it.
    let cu = client_with(
        &sb.base_url,
        "ps_unbound_number_key",
        Duration::from_secs(5),
    );
    let created = cu
        .send(&CreateNumber::new("Linked", "+5511970000007"))
        .await
        .unwrap();
    let linked = created.linked_api_key_id.clone().unwrap();
    assert!(linked.starts_with("key_"));
    assert!(cu.send(&GetStatus::new(created.id())).await.is_ok());
    // With linkToApiKey:false a number key stays where it was.
    let created2 = ca
        .send(&CreateNumber::new("NotLinked", "+5511970000008").link_to_api_key(false))
        .await
        .unwrap();
    assert_eq!(created2.linked_api_key_id, None);
    assert!(ca.send(&GetStatus::new(&a)).await.is_ok());

    // A key bound to a deleted number stops authenticating.
    assert!(ca.send(&DeleteNumber::new(&a)).await.is_ok());
    assert_eq!(
        ca.send(&GetStatus::new(&a)).await.unwrap_err().kind(),
        ErrorKind::Unauthorized
    );
    sb.stop().await.unwrap();

    // Strict policy (best-practices page): number keys are refused on /v1/numbers.
    let sb = sandbox(Options {
        number_keys: NumberKeyPolicy::Deny,
        ..Options::default()
    })
    .await;
    let raw = Raw::new(&sb.base_url);
    let id = raw.create_id("C", "+5511970000009").await;
    let key = raw.control(&id).await["apiKey"]
        .as_str()
        .unwrap()
        .to_owned();
    let (s, _, v) = raw
        .call("GET", &format!("/v1/numbers/{id}/status"), Some(&key), None)
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (403, Some("NUMBER_SCOPE_NOT_ALLOWED"))
    );
    sb.stop().await.unwrap();
}

#[tokio::test]
async fn bad_input_never_crashes() {
    let sb = sandbox(Options {
        max_body_bytes: 1024,
        ..Options::default()
    })
    .await;
    let raw = Raw::new(&sb.base_url);
    let cases: Vec<(&str, &str, Option<String>, u16)> = vec![
        ("POST", "/v1/numbers", Some("{not json".into()), 400),
        ("POST", "/v1/numbers", Some("[1,2]".into()), 400),
        ("POST", "/v1/numbers", None, 400),
        ("POST", "/v1/numbers", Some(r#"{"name":"x"}"#.into()), 400),
        ("POST", "/v1/numbers", Some(r#"{"name":"","number":"+5511999999999"}"#.into()), 400),
        ("POST", "/v1/numbers", Some(r#"{"name":"x","number":5511999999999}"#.into()), 400),
        ("POST", "/v1/numbers", Some(r#"{"name":"x","number":"+55119"}"#.into()), 400),
        ("POST", "/v1/numbers", Some(r#"{"name":"x","number":"+5511999999999","linkToApiKey":"yes"}"#.into()), 400),
        ("POST", "/v1/numbers", Some(format!(r#"{{"name":"{}","number":"+5511999999999"}}"#, "x".repeat(5000))), 400),
        ("POST", "/v1/numbers/meta", Some(r#"{"name":"x","number":"5511999999999"}"#.into()), 400),
        ("POST", "/v1/numbers/meta", Some(r#"{"name":"x","number":"1234567","metaPhoneId":"1","metaWabaId":"2","metaAccessToken":"t","metaAppSecret":"s","metaAppId":"3"}"#.into()), 400),
        ("GET", "/v1/nothing-here", None, 404),
        ("GET", "/v1/numbers/nope/status", None, 404),
        ("GET", "/v1/numbers/a/b/c/d", None, 404),
        ("PUT", "/v1/numbers", None, 405),
        ("GET", "/v1/numbers/x/connect?link=tertiary", None, 400),
    ];
    for (m, path, body, want) in cases {
        let (s, _, v) = raw.call(m, path, Some(TENANT), body.as_deref()).await;
        assert_eq!(s, want, "{m} {path} {body:?}: {v}");
        assert!(
            v["error"].is_string(),
            "{m} {path}: JSON error body, got {v}"
        );
        if want == 400 {
            assert_eq!(v["error"], "Validation error", "{m} {path}");
        }
    }
    // Still alive and well.
    raw.create("Alive", "+5511970000010").await;
    let (s, _, _) = raw
        .call(
            "POST",
            "/v1/numbers",
            Some(TENANT),
            Some(r#"{"name":"Dup","number":"+5511970000010"}"#),
        )
        .await;
    assert_eq!(s, 409, "duplicate phone");
    sb.stop().await.unwrap();
}

#[tokio::test]
async fn rate_limit_per_key() {
    let sb = sandbox(Options {
        rate_limit: 3,
        rate_window: Duration::from_secs(30),
        ..Options::default()
    })
    .await;
    let raw = Raw::new(&sb.base_url);
    for _ in 0..3 {
        assert_eq!(
            raw.call("GET", "/v1/numbers", Some(TENANT), None).await.0,
            200
        );
    }
    let (s, h, v) = raw.call("GET", "/v1/numbers", Some(TENANT), None).await;
    assert_eq!((s, v), (429, json!({"error": "Too many requests"})));
    let wait: u64 = h
        .get("retry-after")
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=30).contains(&wait));
    let e = client(&sb.base_url)
        .send(&ListNumbers::new())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RateLimited);
    assert!(e.retry_after().is_some());
    // Another key has its own budget; the control API is never limited.
    assert_eq!(
        raw.call("GET", "/v1/numbers", Some("ps_other"), None)
            .await
            .0,
        401
    );
    assert_eq!(raw.call("GET", "/_sandbox/health", None, None).await.0, 200);
    assert_eq!(
        raw.call("DELETE", "/_sandbox/rate-limits", None, None)
            .await
            .0,
        200
    );
    assert_eq!(
        raw.call("GET", "/v1/numbers", Some(TENANT), None).await.0,
        200
    );
    sb.stop().await.unwrap();
}

#[tokio::test]
async fn faults_reach_clients_as_typed_errors() {
    let sb = sandbox(Options::default()).await;
    let raw = Raw::new(&sb.base_url);
    let id = raw.create_id("F", "+5511970000011").await;
    let fault = |v: Value| {
        let raw = &raw;
        async move {
            let (s, _, out) = raw
                .call("POST", "/_sandbox/faults", None, Some(&v.to_string()))
                .await;
            assert_eq!(s, 200, "{out}");
        }
    };
    let quick = client_with(&sb.base_url, TENANT, Duration::from_millis(300));
    let no_retry = |c: pilot_connect::Client<_>| {
        c.with_retry_policy(pilot_connect::retry::RetryPolicy::none())
    };

    // Latency past the client timeout → Timeout.
    fault(json!({"route": "status", "kind": "latency", "latencyMs": 800, "times": 1})).await;
    let e = no_retry(quick.clone())
        .send(&GetStatus::new(&id))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout);

    // 5xx once → the client's GET retry recovers.
    fault(json!({"route": "status", "kind": "status", "status": 503, "times": 1})).await;
    assert!(client(&sb.base_url)
        .send(&GetStatus::new(&id))
        .await
        .is_ok());
    // 5xx without retries → typed server error with the documented 503 code.
    fault(json!({"route": "status", "kind": "status", "status": 503, "times": 1})).await;
    let e = no_retry(client(&sb.base_url))
        .send(&GetStatus::new(&id))
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind(), e.code()),
        (ErrorKind::Server, Some(&ErrorCode::UpstreamTimeout))
    );
    fault(json!({"route": "status", "kind": "status", "status": 503, "body": {"error": "x", "code": "PROVIDER_NOT_CONFIGURED"}, "times": 3})).await;
    let e = client(&sb.base_url)
        .send(&GetStatus::new(&id))
        .await
        .unwrap_err();
    assert_eq!(
        e.code(),
        Some(&ErrorCode::ProviderNotConfigured),
        "final: not retried"
    );
    let left = raw.call("GET", "/_sandbox/faults", None, None).await.2;
    assert_eq!(left["faults"][0]["hits"], 1, "only one request was made");
    raw.call("DELETE", "/_sandbox/faults", None, None).await;

    // 429 with Retry-After.
    fault(json!({"route": "connect", "kind": "rate_limit", "retryAfter": 7, "times": 1})).await;
    let e = no_retry(client(&sb.base_url))
        .send(&Connect::new(&id))
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind(), e.retry_after()),
        (ErrorKind::RateLimited, Some(Duration::from_secs(7)))
    );

    // Malformed JSON → decode error.
    fault(json!({"route": "connect", "kind": "malformed", "times": 1})).await;
    assert_eq!(
        client(&sb.base_url)
            .send(&Connect::new(&id))
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::Decode
    );

    // Dropped connection → transport error (POST: never retried).
    fault(json!({"route": "create", "kind": "drop", "times": 1})).await;
    let e = client(&sb.base_url)
        .send(&CreateNumber::new("D", "+5511970000012"))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport, "{e}");
    // …and the fault is used up: the next call works.
    assert!(client(&sb.base_url)
        .send(&CreateNumber::new("D", "+5511970000012"))
        .await
        .is_ok());

    // `*` matches every route until cleared; bad fault specs are refused.
    fault(json!({"route": "*", "kind": "status", "status": 500})).await;
    assert_eq!(
        raw.call("GET", "/v1/numbers", Some(TENANT), None).await.0,
        500
    );
    assert_eq!(
        raw.call("GET", &format!("/v1/numbers/{id}"), Some(TENANT), None)
            .await
            .0,
        500
    );
    raw.call("DELETE", "/_sandbox/faults", None, None).await;
    assert_eq!(
        raw.call("GET", "/v1/numbers", Some(TENANT), None).await.0,
        200
    );
    let (s, _, _) = raw
        .call(
            "POST",
            "/_sandbox/faults",
            None,
            Some(r#"{"route":"nope","kind":"drop"}"#),
        )
        .await;
    assert_eq!(s, 400);
    let (s, _, _) = raw
        .call(
            "POST",
            "/_sandbox/faults",
            None,
            Some(r#"{"route":"list","kind":"explode"}"#),
        )
        .await;
    assert_eq!(s, 400);
    sb.stop().await.unwrap();
}

#[tokio::test]
async fn webhooks_arrive_signed_and_failed_ones_are_retried() {
    let (ok_rx, ok_url) = Receiver::start(0).await;
    let (flaky_rx, flaky_url) = Receiver::start(2).await;
    let secret = "whsec_contract_secret";
    let sb = sandbox(Options {
        webhook_urls: vec![ok_url.clone()],
        webhook_secret: secret.into(),
        time_scale: 100.0,
        ..Options::default()
    })
    .await;
    let raw = Raw::new(&sb.base_url);
    let (s, _, _) = raw
        .call(
            "POST",
            "/_sandbox/webhooks",
            None,
            Some(&json!({"url": flaky_url, "secret": secret}).to_string()),
        )
        .await;
    assert_eq!(s, 200);

    let id = raw.create_id("Hook", "+5511970000013").await;
    raw.call("POST", &format!("/_sandbox/numbers/{id}/scan"), None, None)
        .await;
    raw.call("DELETE", &format!("/v1/numbers/{id}"), Some(TENANT), None)
        .await;
    raw.call(
        "POST",
        &format!("/v1/numbers/{id}/restore"),
        Some(TENANT),
        None,
    )
    .await;
    assert!(
        eventually(5.0, || ok_rx.count() >= 4).await,
        "4 events delivered"
    );

    let key = WebhookSecret::new(secret).unwrap();
    let mut names = Vec::new();
    for (sig, body) in ok_rx.got.lock().unwrap().iter() {
        let ev = webhook::verify_and_parse(&key, body, sig.as_deref()).expect("valid signature");
        let WebhookEvent::Number { event, data } = ev else {
            panic!("number event")
        };
        assert_eq!(
            (data.number_id.as_str(), data.phone.as_str()),
            (id.as_str(), "+5511970000013")
        );
        names.push(event);
        // The raw body is the documented {event, data} envelope.
        let v: Value = serde_json::from_slice(body).unwrap();
        assert_eq!(keys(&v), ["data", "event"]);
    }
    assert_eq!(
        names,
        [
            EventName::NumberCreated,
            EventName::NumberConnected,
            EventName::NumberRemoved,
            EventName::NumberRestored
        ]
    );
    let wrong = WebhookSecret::new("another").unwrap();
    let (sig, body) = ok_rx.got.lock().unwrap()[0].clone();
    assert!(webhook::verify_signature(&wrong, &body, sig.as_deref()).is_err());

    // The flaky target answered 500 twice: 4 events + 2 retries, then everything delivered.
    assert!(
        eventually(10.0, || flaky_rx.count() >= 6).await,
        "retries happened: {}",
        flaky_rx.count()
    );
    let delivered = || async {
        let log = raw
            .call("GET", "/_sandbox/webhooks/deliveries", None, None)
            .await
            .2;
        log["deliveries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["url"] == flaky_url.as_str())
            .cloned()
            .collect::<Vec<Value>>()
    };
    let mut flaky = delivered().await;
    for _ in 0..100 {
        if flaky.iter().all(|d| d["status"] == "delivered") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        flaky = delivered().await;
    }
    assert_eq!(flaky.len(), 4);
    let tries: usize = flaky
        .iter()
        .map(|d| d["attempts"].as_array().unwrap().len())
        .sum();
    assert_eq!(tries, 6, "{flaky:?}");
    for d in &flaky {
        assert_eq!(d["status"], "delivered", "{d}");
        let attempts = d["attempts"].as_array().unwrap();
        assert_eq!(attempts.last().unwrap()["status"], 200);
        if attempts.len() > 1 {
            assert_eq!(attempts[0]["status"], 500);
        }
    }
    assert_eq!(flaky_rx.count(), 6, "no extra deliveries");
    sb.stop().await.unwrap();
}

#[tokio::test]
async fn remote_pairing_and_public_token_endpoints() {
    let sb = sandbox(Options::default()).await;
    let c = client(&sb.base_url);
    let raw = Raw::new(&sb.base_url);
    let link = c
        .send(&CreateRemotePairing::pilot_status(
            "Cliente Acme",
            "+5511988887777",
        ))
        .await
        .unwrap();
    let token = link.token().unwrap().to_owned();
    let id = link.number_id().unwrap().to_owned();
    assert_eq!(
        link.instance.as_ref().unwrap().state,
        Some(NumberState::Close),
        "starts CLOSE, no QR"
    );
    assert_eq!(link.masked_number.as_deref(), Some("+55119****7777"));
    assert!(link
        .remote_pairing_url
        .as_deref()
        .unwrap()
        .ends_with(&token));

    let anon = pilot_connect::Client::new(
        pilot_connect::Config::anonymous()
            .with_base_url(&sb.base_url)
            .unwrap(),
        pilot_connect::native::NativeTransport::new().unwrap(),
    );
    let info = anon.send(&RemotePairingInfo::new(&token)).await.unwrap();
    assert!(info.valid);
    assert_eq!(
        (info.name.as_deref(), info.state),
        (Some("Cliente Acme"), Some(NumberState::Close))
    );
    covers(
        &fixture("remote_pairing_info_200.json"),
        &raw.call("GET", &format!("/v1/remote-pairing/{token}"), None, None)
            .await
            .2,
        "token info",
    );
    let ConnectOutcome::Pairing(p) = anon.send(&RemotePairingConnect::new(&token)).await.unwrap()
    else {
        panic!()
    };
    let r = raw.control(&id).await["pairing"]["ref"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(decode_qr(p.qrcode_base64.unwrap().as_data_url()), r);
    assert_eq!(
        anon.send(&RemotePairingStatus::new(&token))
            .await
            .unwrap()
            .state,
        NumberState::Connecting
    );
    raw.call("POST", &format!("/_sandbox/numbers/{id}/scan"), None, None)
        .await;
    // Single-use: cleared once connected.
    assert_eq!(
        anon.send(&RemotePairingStatus::new(&token))
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::NotFound
    );
    assert_eq!(
        anon.send(&RemotePairingInfo::new("no-such-token"))
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::NotFound
    );

    // sendViaWhatsApp: the sandbox cannot send, and says so like the guide documents.
    let link = c
        .send(&CreateRemotePairing::pilot_status("B", "+5511988887778").send_via_whatsapp(true))
        .await
        .unwrap();
    assert_eq!(link.message_sent, Some(false));
    assert!(link.message_error.is_some());
    let meta = c.send(&CreateRemotePairing::meta()).await.unwrap();
    assert!(meta.token().is_some());
    sb.stop().await.unwrap();
}

#[tokio::test]
async fn tenant_branding_get_and_put() {
    use pilot_connect::model::Branding;
    let sb = sandbox(Options::default()).await;
    let c = client(&sb.base_url);
    let raw = Raw::new(&sb.base_url);
    let get = || raw.call("GET", "/v1/branding", Some(TENANT), None);
    let put = |body: &str| {
        let (raw, body) = (&raw, body.to_owned());
        async move {
            raw.call("PUT", "/v1/branding", Some(TENANT), Some(&body))
                .await
        }
    };

    // Nothing set: the documented wrapper around an empty object.
    let (s, _, v) = get().await;
    assert_eq!((s, v), (200, json!({"branding": {}})));
    assert_eq!(
        c.send(&GetBranding::new()).await.unwrap(),
        Branding::default()
    );

    // Through the core: set some fields; the answer is the whole branding.
    let out = c
        .send(
            &UpdateBranding::new()
                .company_name("Acme")
                .primary_color("#0A84FF")
                .logo_url("https://cdn.acme.example/logo.png")
                .hide_pilot_status_branding(true),
        )
        .await
        .unwrap();
    let want = Branding {
        company_name: Some("Acme".into()),
        primary_color: Some("#0A84FF".into()),
        logo_url: Some("https://cdn.acme.example/logo.png".into()),
        hide_pilot_status_branding: Some(true),
        ..Branding::default()
    };
    assert_eq!(out, want);
    assert_eq!(c.send(&GetBranding::new()).await.unwrap(), want);

    // An omitted field stays; null clears.
    let out = c
        .send(
            &UpdateBranding::new()
                .subtitle("Conecte seu WhatsApp")
                .clear_logo_url(),
        )
        .await
        .unwrap();
    assert_eq!(
        out,
        Branding {
            logo_url: None,
            subtitle: Some("Conecte seu WhatsApp".into()),
            ..want.clone()
        }
    );
    let (s, _, v) = put(r#"{"companyName":null,"hidePilotStatusBranding":false}"#).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        v,
        json!({"branding": {"primaryColor": "#0A84FF", "subtitle": "Conecte seu WhatsApp", "hidePilotStatusBranding": false}})
    );
    assert_eq!(get().await.2, v);

    // Bad values: 400 in the documented validation shape, and nothing changes (even the good
    // fields of the same request).
    for body in [
        r#"{"logoUrl":"http://cdn.example/logo.png"}"#,
        r#"{"supportUrl":"not a url"}"#,
        r#"{"defaultRedirectUrl":"https://"}"#,
        r##"{"primaryColor":"#FFF"}"##,
        r#"{"backgroundColor":"white"}"#,
        r##"{"companyName":"Acme","primaryColor":"#GGGGGG"}"##,
        r#"{"subtitle":""}"#,
        r#"{"hidePilotStatusBranding":"yes"}"#,
        r#"{"companyName":42}"#,
        r#"{"compnayName":"Acme"}"#,
        r#"{}"#,
        r#"[]"#,
        r#"{not json"#,
    ] {
        let (s, _, e) = put(body).await;
        assert_eq!(
            (s, e["error"].as_str()),
            (400, Some("Validation error")),
            "{body}: {e}"
        );
    }
    let long = format!(r#"{{"companyName":"{}"}}"#, "é".repeat(61));
    assert_eq!(put(&long).await.0, 400);
    let fits = format!(r#"{{"companyName":"{}"}}"#, "é".repeat(60));
    assert_eq!(put(&fits).await.0, 200, "60 characters (120 bytes) fit");
    assert_eq!(
        put(&format!(r#"{{"subtitle":"{}"}}"#, "x".repeat(121)))
            .await
            .0,
        400
    );
    assert_eq!(get().await.2["branding"]["companyName"], "é".repeat(60));
    assert_eq!(get().await.2["branding"]["primaryColor"], "#0A84FF");

    // Tenant keys only: a number key gets 403 NUMBER_SCOPE_NOT_ALLOWED on both routes.
    let id = raw.create_id("Marca", "+5511970000031").await;
    let key = raw.control(&id).await["apiKey"]
        .as_str()
        .unwrap()
        .to_owned();
    for (m, body) in [("GET", None), ("PUT", Some(r#"{"companyName":"Mine"}"#))] {
        let (s, _, v) = raw.call(m, "/v1/branding", Some(&key), body).await;
        assert_eq!(
            (s, v["code"].as_str(), v["error"].is_string()),
            (403, Some("NUMBER_SCOPE_NOT_ALLOWED"), true),
            "{m}: {v}"
        );
    }
    let cn = client_with(&sb.base_url, &key, Duration::from_secs(5));
    let e = cn.send(&GetBranding::new()).await.unwrap_err();
    assert_eq!(
        (e.kind(), e.code()),
        (
            ErrorKind::Forbidden(ForbiddenScope::NumberKeyNotAllowed),
            Some(&ErrorCode::NumberScopeNotAllowed)
        )
    );
    let e = cn
        .send(&UpdateBranding::new().company_name("Mine"))
        .await
        .unwrap_err();
    assert_eq!(
        e.kind(),
        ErrorKind::Forbidden(ForbiddenScope::NumberKeyNotAllowed)
    );
    assert_eq!(raw.call("GET", "/v1/branding", None, None).await.0, 401);
    assert_eq!(
        get().await.2["branding"]["companyName"],
        "é".repeat(60),
        "unchanged"
    );

    // Counted by route name.
    let hits = raw.call("GET", "/_sandbox/stats", None, None).await.2;
    assert!(hits["hits"]["branding_get"].as_u64() >= Some(5), "{hits}");
    assert!(
        hits["hits"]["branding_update"].as_u64() >= Some(10),
        "{hits}"
    );
    sb.stop().await.unwrap();
}

#[tokio::test]
async fn remote_pairing_links_keep_their_branding_snapshot() {
    use pilot_connect::model::Branding;
    let sb = sandbox(Options::default()).await;
    let c = client(&sb.base_url);
    let raw = Raw::new(&sb.base_url);
    let info = |token: String| {
        let raw = &raw;
        async move {
            raw.call("GET", &format!("/v1/remote-pairing/{token}"), None, None)
                .await
                .2
        }
    };
    // Under the name it was given, and only that one.
    for (i, name) in ["branding", "brandingOverride"].into_iter().enumerate() {
        let body = json!({
            "name": "Cliente", "number": format!("+551197000004{i}"),
            name: {"companyName": "Acme", "primaryColor": "#0A84FF", "subtitle": null, "fontFamily": "Inter"},
        });
        let (s, _, link) = raw
            .call(
                "POST",
                "/v1/numbers/remote-pairing",
                Some(TENANT),
                Some(&body.to_string()),
            )
            .await;
        assert_eq!(s, 201, "{link}");
        let got = info(link["remotePairingToken"].as_str().unwrap().to_owned()).await;
        assert_eq!(
            got[name],
            json!({"companyName": "Acme", "primaryColor": "#0A84FF", "fontFamily": "Inter"}),
            "{name}: {got}"
        );
        let other = if name == "branding" {
            "brandingOverride"
        } else {
            "branding"
        };
        assert!(got.get(other).is_none(), "{name}: {got}");
    }
    // Without one: neither name.
    let plain = c
        .send(&CreateRemotePairing::pilot_status(
            "Sem marca",
            "+5511970000049",
        ))
        .await
        .unwrap();
    let got = info(plain.token().unwrap().to_owned()).await;
    assert!(
        got.get("branding").is_none() && got.get("brandingOverride").is_none(),
        "{got}"
    );

    // Through the core: sent under both names, read back typed (no duplicate-field error),
    // for a QR link and a Meta link.
    let snapshot = Branding {
        company_name: Some("Acme".into()),
        logo_url: Some("https://cdn.acme.example/logo.png".into()),
        ..Branding::default()
    };
    let anon = pilot_connect::Client::new(
        pilot_connect::Config::anonymous()
            .with_base_url(&sb.base_url)
            .unwrap(),
        pilot_connect::native::NativeTransport::new().unwrap(),
    );
    for ep in [
        CreateRemotePairing::pilot_status("Com marca", "+5511970000050").branding(snapshot.clone()),
        CreateRemotePairing::meta().branding(snapshot.clone()),
    ] {
        let link = c.send(&ep).await.unwrap();
        let token = link.token().unwrap().to_owned();
        let typed = anon.send(&RemotePairingInfo::new(&token)).await.unwrap();
        assert_eq!(typed.branding.as_ref(), Some(&snapshot));
        let got = info(token).await;
        assert_eq!(got["branding"], got["brandingOverride"], "{got}");
    }

    // A bad snapshot is refused before anything is created.
    let before = c.send(&ListNumbers::new()).await.unwrap().len();
    for snap in [
        json!({"logoUrl": "http://cdn.example/l.png"}),
        json!({"primaryColor": "blue"}),
        json!({"companyName": "x".repeat(61)}),
        json!("Acme"),
    ] {
        for name in ["branding", "brandingOverride"] {
            let body = json!({"name": "X", "number": "+5511970000059", name: snap});
            let (s, _, e) = raw
                .call(
                    "POST",
                    "/v1/numbers/remote-pairing",
                    Some(TENANT),
                    Some(&body.to_string()),
                )
                .await;
            assert_eq!(
                (s, e["error"].as_str()),
                (400, Some("Validation error")),
                "{body}: {e}"
            );
        }
    }
    assert_eq!(c.send(&ListNumbers::new()).await.unwrap().len(), before);
    sb.stop().await.unwrap();
}

#[tokio::test]
async fn the_binary_starts_prints_its_url_and_stops_on_sigterm() {
    use tokio::io::AsyncBufReadExt as _;
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_pilot-sandbox"))
        .args(["--port", "0", "--tenant-key", TENANT, "--time-scale", "10"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let line = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let url = line
        .strip_prefix("pilot-sandbox listening on ")
        .unwrap()
        .to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let raw = Raw::new(&url);
    assert_eq!(
        raw.call("GET", "/_sandbox/health", None, None).await.2["timeScale"],
        10.0
    );
    assert_eq!(
        raw.call("GET", "/v1/numbers", Some(TENANT), None).await.0,
        200
    );
    let pid = child.id().unwrap();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "clean exit on SIGTERM: {status:?}");

    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_pilot-sandbox"))
        .args(["--port", "0", "--tenant-key", "not-a-ps-key"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("must start with ps_"));
}

/// One route table: every `/v1` route the index lists can be targeted by a fault and is counted
/// in `/_sandbox/stats` under that name; the index, the fault names and the router agree.
#[tokio::test]
async fn the_route_table_drives_faults_counts_and_the_index() {
    let sb = sandbox(Options::default()).await;
    let raw = Raw::new(&sb.base_url);
    let index = raw.call("GET", "/_sandbox", None, None).await.2;
    let api = index["api"].as_object().expect("api map");
    let mut names: Vec<&str> = api.values().filter_map(Value::as_str).collect();
    names.sort_unstable();
    let mut fault_routes: Vec<&str> = index["faultRoutes"]
        .as_array()
        .expect("faultRoutes")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    fault_routes.sort_unstable();
    assert_eq!(names, fault_routes);
    assert!(names.len() >= 19, "{names:?}");
    assert!(index["routes"]
        .as_object()
        .expect("routes")
        .contains_key("POST /_sandbox/faults"));

    for (route, name) in api {
        let name = name.as_str().expect("name");
        let (method, path) = route.split_once(' ').expect("METHOD path");
        let path = path.replace("{id}", "x1").replace("{token}", "t1");
        let f = json!({"route": name, "kind": "status", "status": 418, "times": 1});
        let (s, _, out) = raw
            .call("POST", "/_sandbox/faults", None, Some(&f.to_string()))
            .await;
        assert_eq!(s, 200, "{name}: {out}");
        let (s, _, out) = raw.call(method, &path, Some(TENANT), Some("{}")).await;
        assert_eq!(s, 418, "{route} should hit the fault named {name}: {out}");
        let hits = raw.call("GET", "/_sandbox/stats", None, None).await.2;
        assert!(hits["hits"][name].as_u64() >= Some(1), "{name}: {hits}");
    }
    // Every fault was consumed by the route it names.
    let left = raw.call("GET", "/_sandbox/faults", None, None).await.2;
    assert_eq!(left["faults"], json!([]), "{left}");

    let bad = json!({"route": "nope", "kind": "status", "status": 500});
    let (s, _, out) = raw
        .call("POST", "/_sandbox/faults", None, Some(&bad.to_string()))
        .await;
    assert_eq!(s, 400);
    for name in &names {
        assert!(out.to_string().contains(name), "{name} missing from: {out}");
    }
}
