//! Dual-link numbers over real HTTP: `POST /v1/numbers/{id}/upgrade-to-dual`, `?link=secondary`
//! on connect/status, per-link state in the bodies, the control routes' `link`, and the
//! `number.*` webhooks a secondary link fires (which, as documented, name no link).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::*;
use pilot_connect::endpoints::{ConnectOutcome, GetStatus};
use pilot_connect::webhook::{self, EventName, WebhookEvent};
use pilot_connect::{Link, NumberState, WebhookSecret};
use pilot_sandbox::Options;
use serde_json::{json, Value};

const NO_SECONDARY: &str = "This number has no secondary link (upgrade it to dual first)";

async fn get(raw: &Raw, path: &str) -> (u16, Value) {
    let (s, _, v) = raw.call("GET", path, Some(TENANT), None).await;
    (s, v)
}

async fn post(raw: &Raw, path: &str, body: Option<&str>) -> (u16, Value) {
    let (s, _, v) = raw.call("POST", path, None, body).await;
    (s, v)
}

async fn upgrade(raw: &Raw, id: &str) -> (u16, Value) {
    let (s, _, v) = raw
        .call(
            "POST",
            &format!("/v1/numbers/{id}/upgrade-to-dual"),
            Some(TENANT),
            None,
        )
        .await;
    (s, v)
}

/// The number's entry in `GET /v1/numbers`.
async fn listed(raw: &Raw, id: &str) -> Value {
    let (s, list) = get(raw, "/v1/numbers").await;
    assert_eq!(s, 200);
    list.as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == id)
        .cloned()
        .expect("listed")
}

/// `(state, isFullyConnected)` of `status[?link=…]`.
async fn status(raw: &Raw, id: &str, link: &str) -> (String, bool, Value) {
    let (s, v) = get(raw, &format!("/v1/numbers/{id}/status{link}")).await;
    assert_eq!(s, 200, "{v}");
    (
        v["state"].as_str().unwrap().to_owned(),
        v["isFullyConnected"].as_bool().unwrap(),
        v,
    )
}

#[tokio::test]
async fn a_number_that_is_not_dual_refuses_the_secondary_link() {
    let sb = sandbox(Options::default()).await;
    let raw = Raw::new(&sb.base_url);
    let id = raw.create_id("Single", "+5511960000001").await;

    for route in ["connect", "status"] {
        let (s, v) = get(&raw, &format!("/v1/numbers/{id}/{route}?link=secondary")).await;
        assert_eq!(
            (s, v["error"].as_str(), v["code"].as_str()),
            (400, Some(NO_SECONDARY), Some("FEATURE_NOT_SUPPORTED")),
            "{route}"
        );
        // Naming the primary link explicitly is the same as omitting it.
        let (s, _) = get(&raw, &format!("/v1/numbers/{id}/{route}?link=primary")).await;
        assert_eq!(s, 200, "{route}?link=primary");
        let (s, v) = get(&raw, &format!("/v1/numbers/{id}/{route}?link=third")).await;
        assert_eq!((s, v["error"].as_str()), (400, Some("Validation error")));
    }
    // The phone cannot scan a link the number does not have either.
    let (s, v) = post(
        &raw,
        &format!("/_sandbox/numbers/{id}/scan"),
        Some(r#"{"link":"secondary"}"#),
    )
    .await;
    assert_eq!((s, v["error"].as_str()), (400, Some(NO_SECONDARY)));
    let (s, v) = post(
        &raw,
        &format!("/_sandbox/numbers/{id}/scan?link=sideways"),
        None,
    )
    .await;
    assert_eq!(s, 400, "{v}");

    // Bodies: secondaryLink is null, isFullyConnected follows the only link.
    let (_, _, st) = status(&raw, &id, "").await;
    assert_eq!(st["secondaryLink"], Value::Null, "{st}");
    assert_eq!(st["primaryLink"]["state"], "CONNECTING", "{st}");
    assert_eq!(listed(&raw, &id).await["secondaryLink"], Value::Null);
    let (_, one) = get(&raw, &format!("/v1/numbers/{id}")).await;
    assert_eq!(one["secondaryLink"], Value::Null);
    assert_eq!(raw.control(&id).await["secondaryLink"], Value::Null);

    // Through the core crate as well.
    let err = client(&sb.base_url)
        .send(&GetStatus::new(&id).link(Link::Secondary))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), pilot_connect::ErrorKind::BadRequest, "{err}");
    assert!(err.to_string().contains("upgrade it to dual"), "{err}");

    // Meta numbers have no QR links to add.
    let seed = std::fs::read_to_string(format!(
        "{}/../fixtures/create_meta_number_request.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let (s, _, meta) = raw
        .call("POST", "/v1/numbers/meta", Some(TENANT), Some(&seed))
        .await;
    assert_eq!(s, 201);
    let meta_id = meta["number"]["id"].as_str().unwrap();
    let (s, v) = upgrade(&raw, meta_id).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (400, Some("FEATURE_NOT_SUPPORTED"))
    );
    sb.stop().await.unwrap();
}

#[tokio::test]
async fn upgrade_gives_a_secondary_link_with_its_own_qr_and_code() {
    let sb = sandbox(Options::default()).await;
    let raw = Raw::new(&sb.base_url);
    let created = raw.create("Dual", "+5511960000002").await;
    let id = created["instance"]["id"].as_str().unwrap().to_owned();
    let primary_qr = created["qrcodeBase64"].as_str().unwrap().to_owned();
    let primary_code = created["pairingCode"].as_str().unwrap().to_owned();

    let (s, up) = upgrade(&raw, &id).await;
    assert_eq!(s, 201, "{up}");
    assert_eq!(keys(&up), ["secondaryLink"], "{up}");
    let link = &up["secondaryLink"];
    assert_eq!(keys(link), ["pairingCode", "qrcodeBase64"], "{up}");
    let qr = link["qrcodeBase64"].as_str().unwrap();
    assert!(
        qr.starts_with("data:image/png;base64,iVBORw0KGgo"),
        "a PNG data URL: {qr:.40}"
    );
    pilot_connect::QrImage::parse(qr).expect("a valid PNG");
    let code = link["pairingCode"].as_str().unwrap();
    assert_eq!(code.len(), 9, "XXXX-XXXX: {code}");

    // Its own ref and code, not the primary's.
    let ctl = raw.control(&id).await;
    assert_eq!(ctl["dual"], true);
    let secondary_ref = ctl["secondaryLink"]["pairing"]["ref"].as_str().unwrap();
    let primary_ref = ctl["primaryLink"]["pairing"]["ref"].as_str().unwrap();
    assert_eq!(decode_qr(qr), secondary_ref);
    assert_eq!(decode_qr(&primary_qr), primary_ref);
    assert_ne!(secondary_ref, primary_ref);
    assert_ne!(qr, primary_qr);
    assert_ne!(code, primary_code);
    assert_eq!(
        ctl["secondaryLink"]["pairing"]["pairingCode"].as_str(),
        Some(code)
    );
    assert_eq!(
        ctl["pairing"], ctl["primaryLink"]["pairing"],
        "top level = primary"
    );

    // connect?link=secondary shows the running secondary attempt; plain connect the primary.
    let (s, c2) = get(&raw, &format!("/v1/numbers/{id}/connect?link=secondary")).await;
    assert_eq!(s, 200, "{c2}");
    assert_eq!(keys(&c2), keys(&fixture("connect_200.json")));
    assert_eq!(
        decode_qr(c2["qrcodeBase64"].as_str().unwrap()),
        secondary_ref
    );
    assert_eq!(c2["pairingCode"].as_str(), Some(code));
    let (_, c1) = get(&raw, &format!("/v1/numbers/{id}/connect")).await;
    assert_eq!(decode_qr(c1["qrcodeBase64"].as_str().unwrap()), primary_ref);
    assert_eq!(c1["pairingCode"].as_str(), Some(primary_code.as_str()));

    // A second upgrade is a conflict and changes nothing.
    let (s, v) = upgrade(&raw, &id).await;
    assert_eq!(s, 409, "{v}");
    assert!(v["error"].as_str().unwrap().contains("already dual"), "{v}");
    assert_eq!(
        raw.control(&id).await["secondaryLink"]["pairing"]["ref"].as_str(),
        Some(secondary_ref)
    );

    // Same auth and scope rules as connect.
    let (s, _, _) = raw
        .call(
            "POST",
            &format!("/v1/numbers/{id}/upgrade-to-dual"),
            None,
            None,
        )
        .await;
    assert_eq!(s, 401);
    let other = raw.create_id("Other", "+5511960000003").await;
    let other_key = raw.control(&other).await["apiKey"]
        .as_str()
        .unwrap()
        .to_owned();
    let (s, _, v) = raw
        .call(
            "POST",
            &format!("/v1/numbers/{id}/upgrade-to-dual"),
            Some(&other_key),
            None,
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (403, Some("NUMBER_SCOPE_NOT_ALLOWED"))
    );
    let (s, _, v) = raw
        .call(
            "POST",
            &format!("/v1/numbers/{other}/upgrade-to-dual"),
            Some(&other_key),
            None,
        )
        .await;
    assert_eq!(s, 201, "a number key may upgrade its own number: {v}");
    let (s, _, v) = raw
        .call(
            "POST",
            "/v1/numbers/wa_nope/upgrade-to-dual",
            Some(TENANT),
            None,
        )
        .await;
    assert_eq!((s, v["code"].as_str()), (404, Some("NUMBER_NOT_FOUND")));
    sb.stop().await.unwrap();
}

#[tokio::test]
async fn each_link_has_its_own_state_and_fully_connected_needs_both() {
    let sb = sandbox(Options::default()).await;
    let raw = Raw::new(&sb.base_url);
    let c = client(&sb.base_url);
    let id = raw.create_id("Both", "+5511960000004").await;
    assert_eq!(upgrade(&raw, &id).await.0, 201);
    let ctl = raw.control(&id).await;
    let secondary_ref = ctl["secondaryLink"]["pairing"]["ref"]
        .as_str()
        .unwrap()
        .to_owned();
    let primary_code = ctl["primaryLink"]["pairing"]["pairingCode"]
        .as_str()
        .unwrap()
        .to_owned();

    let (state, fully, st) = status(&raw, &id, "?link=secondary").await;
    assert_eq!((state.as_str(), fully), ("CONNECTING", false));
    assert_eq!(
        st["secondaryLink"],
        json!({"state": "CONNECTING", "connectedAt": null})
    );

    // The secondary's ref is not the primary's: scanning it on the primary fails.
    let (s, _) = post(
        &raw,
        &format!("/_sandbox/numbers/{id}/scan"),
        Some(&json!({"ref": secondary_ref}).to_string()),
    )
    .await;
    assert_eq!(s, 409);

    // The phone scans the secondary link.
    let (s, v) = post(
        &raw,
        &format!("/_sandbox/numbers/{id}/scan"),
        Some(&json!({"ref": secondary_ref, "link": "secondary"}).to_string()),
    )
    .await;
    assert_eq!((s, v["state"].as_str()), (200, Some("OPEN")), "{v}");

    let (state, fully, st) = status(&raw, &id, "?link=secondary").await;
    assert_eq!((state.as_str(), fully), ("OPEN", false), "{st}");
    let (state, fully, st) = status(&raw, &id, "").await;
    assert_eq!((state.as_str(), fully), ("CONNECTING", false), "{st}");
    assert_eq!(st["primaryLink"]["state"], "CONNECTING");
    assert_eq!(st["secondaryLink"]["state"], "OPEN");
    assert!(st["secondaryLink"]["connectedAt"].is_string(), "{st}");
    // Through the core crate: the typed status of each link.
    let s2 = c
        .send(&GetStatus::new(&id).link(Link::Secondary))
        .await
        .unwrap();
    assert_eq!((s2.is_ready(), s2.state), (false, NumberState::Open));
    let s1 = c.send(&GetStatus::new(&id)).await.unwrap();
    assert_eq!((s1.is_ready(), s1.state), (false, NumberState::Connecting));

    // get/list: the top-level state is the primary link's.
    for body in [
        get(&raw, &format!("/v1/numbers/{id}")).await.1,
        listed(&raw, &id).await,
    ] {
        assert_eq!(body["state"], "CONNECTING", "{body}");
        assert_eq!(body["isFullyConnected"], false, "{body}");
        assert_eq!(body["primaryLink"]["state"], "CONNECTING", "{body}");
        assert_eq!(body["secondaryLink"]["state"], "OPEN", "{body}");
    }
    // connect: the open secondary has nothing to pair; the primary still does.
    let (s, _) = get(&raw, &format!("/v1/numbers/{id}/connect?link=secondary")).await;
    assert_eq!(s, 409);
    assert!(matches!(
        c.send(&pilot_connect::endpoints::Connect::new(&id))
            .await
            .unwrap(),
        ConnectOutcome::Pairing(_)
    ));

    // The phone types the primary's code (link given in the query this time: primary).
    let (s, v) = post(
        &raw,
        &format!("/_sandbox/numbers/{id}/pair?link=primary"),
        Some(&json!({"code": primary_code}).to_string()),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    for link in ["", "?link=secondary"] {
        let (state, fully, st) = status(&raw, &id, link).await;
        assert_eq!((state.as_str(), fully), ("OPEN", true), "{link}: {st}");
    }
    let (_, one) = get(&raw, &format!("/v1/numbers/{id}")).await;
    assert_eq!(
        (&one["state"], &one["isFullyConnected"]),
        (&json!("OPEN"), &json!(true))
    );
    assert_eq!(listed(&raw, &id).await["isFullyConnected"], true);
    assert_eq!(raw.control(&id).await["isFullyConnected"], true);

    // The secondary's device logs out: only that link closes.
    let (s, v) = post(
        &raw,
        &format!("/_sandbox/numbers/{id}/disconnect?link=secondary"),
        None,
    )
    .await;
    assert_eq!((s, v["state"].as_str()), (200, Some("CLOSE")), "{v}");
    let (state, fully, _) = status(&raw, &id, "").await;
    assert_eq!((state.as_str(), fully), ("OPEN", false));
    let (state, _, _) = status(&raw, &id, "?link=secondary").await;
    assert_eq!(state, "CLOSE");
    let (s, _) = post(
        &raw,
        &format!("/_sandbox/numbers/{id}/disconnect"),
        Some(r#"{"link":"secondary"}"#),
    )
    .await;
    assert_eq!(s, 409, "already closed");
    // Body and query must agree.
    let (s, _) = post(
        &raw,
        &format!("/_sandbox/numbers/{id}/disconnect?link=primary"),
        Some(r#"{"link":"secondary"}"#),
    )
    .await;
    assert_eq!(s, 400);
    // connect?link=secondary starts a fresh attempt with a new code on that link only.
    let (s, again) = get(&raw, &format!("/v1/numbers/{id}/connect?link=secondary")).await;
    assert_eq!(s, 200);
    let ctl = raw.control(&id).await;
    assert_eq!(ctl["secondaryLink"]["attempts"], 2);
    assert_eq!(ctl["primaryLink"]["attempts"], 1);
    assert_eq!(
        decode_qr(again["qrcodeBase64"].as_str().unwrap()),
        ctl["secondaryLink"]["pairing"]["ref"].as_str().unwrap()
    );

    // Delete logs every device out; restore brings back a dual number with both links CLOSE.
    raw.call("DELETE", &format!("/v1/numbers/{id}"), Some(TENANT), None)
        .await;
    raw.call(
        "POST",
        &format!("/v1/numbers/{id}/restore"),
        Some(TENANT),
        None,
    )
    .await;
    let (_, one) = get(&raw, &format!("/v1/numbers/{id}")).await;
    assert_eq!(one["primaryLink"]["state"], "CLOSE", "{one}");
    assert_eq!(one["secondaryLink"]["state"], "CLOSE", "{one}");
    assert_eq!(upgrade(&raw, &id).await.0, 409, "still dual");
    sb.stop().await.unwrap();
}

#[tokio::test]
async fn the_secondary_attempt_has_its_own_lifetime() {
    // 50×: an attempt lasts 160 virtual s = 3.2 s.
    let sb = sandbox(Options {
        time_scale: 50.0,
        ..Options::default()
    })
    .await;
    let raw = Raw::new(&sb.base_url);
    let id = raw.create_id("Later", "+5511960000005").await;
    tokio::time::sleep(Duration::from_millis(1600)).await;
    assert_eq!(upgrade(&raw, &id).await.0, 201);
    let ctl = raw.control(&id).await;
    let p_ends = ctl["primaryLink"]["pairing"]["attemptEndsInMs"]
        .as_u64()
        .unwrap();
    let s_ends = ctl["secondaryLink"]["pairing"]["attemptEndsInMs"]
        .as_u64()
        .unwrap();
    assert!(
        s_ends > p_ends + 1000,
        "the secondary attempt started later: {p_ends} vs {s_ends} ms"
    );
    assert!(s_ends <= 3200, "{s_ends}");
    tokio::time::sleep(Duration::from_millis(p_ends + 150)).await;
    let (primary, _, _) = status(&raw, &id, "").await;
    let (secondary, _, _) = status(&raw, &id, "?link=secondary").await;
    assert_eq!(
        (primary.as_str(), secondary.as_str()),
        ("CLOSE", "CONNECTING"),
        "the primary attempt ended, the secondary's did not"
    );
    let left = raw.control(&id).await["secondaryLink"]["pairing"]["attemptEndsInMs"]
        .as_u64()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(left + 150)).await;
    let (secondary, _, _) = status(&raw, &id, "?link=secondary").await;
    assert_eq!(secondary, "CLOSE");
    let (s, v) = post(
        &raw,
        &format!("/_sandbox/numbers/{id}/scan"),
        Some(r#"{"link":"secondary"}"#),
    )
    .await;
    assert_eq!(s, 409, "nothing shown on the secondary link: {v}");
    sb.stop().await.unwrap();
}

/// Waits for delivery `n` (1-based), checks its signature, envelope and number, and returns
/// (event, data, raw body).
async fn delivery(
    rx: &Receiver,
    key: &WebhookSecret,
    id: &str,
    n: usize,
) -> (EventName, Value, String) {
    assert!(eventually(5.0, || rx.count() >= n).await, "delivery #{n}");
    let (sig, body) = rx.got.lock().unwrap()[n - 1].clone();
    let ev = webhook::verify_and_parse(key, &body, sig.as_deref()).expect("signed");
    let WebhookEvent::Number { event, data } = ev else {
        panic!("number event")
    };
    assert_eq!(data.number_id, id);
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(keys(&v), ["data", "event"]);
    (event, v["data"].clone(), String::from_utf8(body).unwrap())
}

#[tokio::test]
async fn secondary_link_webhooks_are_the_documented_ones_and_name_no_link() {
    let (rx, url) = Receiver::start(0).await;
    let secret = "whsec_dual_secret";
    let sb = sandbox(Options {
        webhook_urls: vec![url],
        webhook_secret: secret.into(),
        ..Options::default()
    })
    .await;
    let raw = Raw::new(&sb.base_url);
    let key = WebhookSecret::new(secret).unwrap();
    let id = raw.create_id("Hooks", "+5511960000006").await;
    assert!(eventually(5.0, || rx.count() >= 1).await, "number.created");
    assert_eq!(upgrade(&raw, &id).await.0, 201);

    let next = |n: usize| delivery(&rx, &key, &id, n);

    post(
        &raw,
        &format!("/_sandbox/numbers/{id}/scan"),
        Some(r#"{"link":"secondary"}"#),
    )
    .await;
    let (event, secondary_connected, body) = next(2).await;
    assert_eq!(event, EventName::NumberConnected, "upgrade fires nothing");
    assert!(
        !body.to_ascii_lowercase().contains("link"),
        "no link field: {body}"
    );
    post(
        &raw,
        &format!("/_sandbox/numbers/{id}/disconnect"),
        Some(r#"{"link":"secondary"}"#),
    )
    .await;
    let (event, secondary_gone, body) = next(3).await;
    assert_eq!(event, EventName::NumberDisconnected);
    assert!(!body.to_ascii_lowercase().contains("link"), "{body}");

    // The primary's events look exactly the same: a receiver cannot tell the links apart.
    post(&raw, &format!("/_sandbox/numbers/{id}/scan"), None).await;
    let (event, primary_connected, _) = next(4).await;
    assert_eq!(event, EventName::NumberConnected);
    post(&raw, &format!("/_sandbox/numbers/{id}/disconnect"), None).await;
    let (event, primary_gone, _) = next(5).await;
    assert_eq!(event, EventName::NumberDisconnected);
    assert_eq!(keys(&secondary_connected), keys(&primary_connected));
    assert_eq!(keys(&secondary_gone), keys(&primary_gone));
    for field in ["numberId", "phone", "displayName", "profileName"] {
        assert_eq!(
            secondary_connected[field], primary_connected[field],
            "{field}"
        );
    }
    assert_eq!(secondary_gone["errorCode"], primary_gone["errorCode"]);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        rx.count(),
        5,
        "one delivery per event, none for the upgrade"
    );
    sb.stop().await.unwrap();
}
