//! Meta (official) numbers that are not connected yet: `--meta-numbers pending`,
//! `health.metaStatus` on the detail, and `POST /_sandbox/numbers/{id}/meta` playing Meta.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::*;
use pilot_connect::endpoints::*;
use pilot_connect::model::Provider;
use pilot_connect::webhook::{self, EventName, WebhookEvent};
use pilot_connect::{NumberState, WebhookSecret};
use pilot_sandbox::{MetaNumbers, Options};
use serde_json::{json, Value};

const SECRET: &str = "whsec_meta_numbers";

fn meta_request(phone: &str) -> String {
    json!({
        "name": "Atendimento", "number": phone, "metaPhoneId": "123456789012345",
        "metaWabaId": "987654321098765", "metaAccessToken": "EAAG...", "metaAppSecret": "a1b2c3...",
        "metaAppId": "100200300400500",
    })
    .to_string()
}

/// Creates a Meta number; returns (its id, the 201 body).
async fn create_meta(raw: &Raw, phone: &str) -> (String, Value) {
    let (s, _, v) = raw
        .call(
            "POST",
            "/v1/numbers/meta",
            Some(TENANT),
            Some(&meta_request(phone)),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    (v["number"]["id"].as_str().unwrap().to_owned(), v)
}

async fn get(raw: &Raw, path: &str) -> Value {
    let (s, _, v) = raw.call("GET", path, Some(TENANT), None).await;
    assert_eq!(s, 200, "{path}: {v}");
    v
}

async fn set_meta(raw: &Raw, id: &str, state: &str) -> (u16, Value) {
    let (s, _, v) = raw
        .call(
            "POST",
            &format!("/_sandbox/numbers/{id}/meta"),
            None,
            Some(&json!({ "state": state }).to_string()),
        )
        .await;
    (s, v)
}

/// The `number.*` events a receiver got, checked against the signing secret, in order.
fn events(rx: &Receiver) -> Vec<(EventName, String)> {
    let key = WebhookSecret::new(SECRET).unwrap();
    rx.got
        .lock()
        .unwrap()
        .iter()
        .map(|(sig, body)| {
            let ev =
                webhook::verify_and_parse(&key, body, sig.as_deref()).expect("valid signature");
            let WebhookEvent::Number { event, data } = ev else {
                panic!("number event")
            };
            (event, data.number_id)
        })
        .collect()
}

#[tokio::test]
async fn a_pending_meta_number_waits_until_meta_connects_it() {
    let (rx, url) = Receiver::start(0).await;
    let sb = sandbox(Options {
        meta_numbers: MetaNumbers::Pending,
        webhook_urls: vec![url],
        webhook_secret: SECRET.into(),
        time_scale: 100.0,
        ..Options::default()
    })
    .await;
    let raw = Raw::new(&sb.base_url);
    let c = client(&sb.base_url);
    let qr_id = raw.create_id("Loja", "+5511970000101").await;
    let (id, created) = create_meta(&raw, "+5511970000102").await;
    assert_eq!(created["number"]["isFullyConnected"], false, "{created}");
    let detail_path = format!("/v1/numbers/{id}");
    let status_path = format!("/v1/numbers/{id}/status");

    // Not connected yet: CLOSE, metaStatus PENDING, not sendable.
    let d = get(&raw, &detail_path).await;
    assert_eq!(
        (&d["provider"], &d["state"], &d["isFullyConnected"]),
        (&json!("META"), &json!("CLOSE"), &json!(false)),
        "{d}"
    );
    assert_eq!(
        d["health"],
        json!({"qualityRating": "UNKNOWN", "sendable": false, "metaStatus": "PENDING"})
    );
    assert_eq!(get(&raw, &status_path).await["state"], "CLOSE");
    let typed = c.send(&GetNumber::new(&id)).await.unwrap();
    assert_eq!(
        (
            typed.provider.clone(),
            typed.state.clone(),
            typed.is_ready()
        ),
        (Some(Provider::Meta), Some(NumberState::Close), false)
    );
    assert_eq!(typed.health.unwrap()["metaStatus"], "PENDING");
    assert_eq!(raw.control(&id).await["metaStatus"], "PENDING");
    // Not connected: it gets no messages.
    let (s, _, _) = raw
        .call(
            "POST",
            &format!("/_sandbox/numbers/{id}/messages"),
            None,
            None,
        )
        .await;
    assert_eq!(s, 409);

    // QR numbers keep their health without metaStatus; list and detail name the provider.
    let qr = get(&raw, &format!("/v1/numbers/{qr_id}")).await;
    assert_eq!(qr["provider"], "PILOT_STATUS");
    assert_eq!(
        qr["health"],
        json!({"qualityRating": "UNKNOWN", "sendable": false})
    );
    let list = get(&raw, "/v1/numbers").await;
    let provider_of = |nid: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|n| n["id"] == nid)
            .unwrap()["provider"]
            .clone()
    };
    assert_eq!(
        (provider_of(&id), provider_of(&qr_id)),
        (json!("META"), json!("PILOT_STATUS"))
    );
    assert_eq!(
        raw.control(&qr_id).await["metaStatus"],
        Value::Null,
        "QR numbers have no metaStatus"
    );

    // Meta connects it: OPEN / CONNECTED, updatedAt moves, number.connected is delivered.
    assert!(
        eventually(5.0, || rx.count() == 2).await,
        "2 number.created"
    );
    tokio::time::sleep(Duration::from_millis(30)).await;
    let (s, v) = set_meta(&raw, &id, "OPEN").await;
    assert_eq!(
        (s, v),
        (
            200,
            json!({"ok": true, "state": "OPEN", "metaStatus": "CONNECTED", "changed": true})
        )
    );
    let d = get(&raw, &detail_path).await;
    assert_eq!(
        (
            &d["state"],
            &d["isFullyConnected"],
            &d["health"]["metaStatus"]
        ),
        (&json!("OPEN"), &json!(true), &json!("CONNECTED")),
        "{d}"
    );
    assert_eq!(d["health"]["sendable"], true);
    assert!(
        d["updatedAt"].as_str().unwrap() > d["createdAt"].as_str().unwrap(),
        "updated moved on: {d}"
    );
    let st = get(&raw, &status_path).await;
    assert_eq!(
        (&st["state"], &st["isFullyConnected"]),
        (&json!("OPEN"), &json!(true))
    );
    let st = c.send(&GetStatus::new(&id)).await.unwrap();
    assert_eq!((st.state.clone(), st.is_ready()), (NumberState::Open, true));
    assert!(
        eventually(5.0, || rx.count() == 3).await,
        "number.connected"
    );
    assert_eq!(events(&rx)[2], (EventName::NumberConnected, id.clone()));
    assert_eq!(
        raw.call(
            "POST",
            &format!("/_sandbox/numbers/{id}/messages"),
            None,
            None
        )
        .await
        .0,
        200,
        "connected: it gets messages"
    );
    assert!(
        eventually(5.0, || rx.count() == 4).await,
        "message.received"
    );
    rx.got.lock().unwrap().truncate(3);

    // The state it already has: 200, nothing changes, no webhook.
    let updated = d["updatedAt"].clone();
    let (s, v) = set_meta(&raw, &id, "OPEN").await;
    assert_eq!(
        (s, &v["changed"], &v["state"]),
        (200, &json!(false), &json!("OPEN"))
    );
    assert_eq!(get(&raw, &detail_path).await["updatedAt"], updated);

    // Meta disconnects it: CLOSE / PENDING and number.disconnected.
    tokio::time::sleep(Duration::from_millis(30)).await;
    let (s, v) = set_meta(&raw, &id, "CLOSE").await;
    assert_eq!(
        (s, v),
        (
            200,
            json!({"ok": true, "state": "CLOSE", "metaStatus": "PENDING", "changed": true})
        )
    );
    let d = get(&raw, &detail_path).await;
    assert_eq!(
        (
            &d["state"],
            &d["isFullyConnected"],
            &d["health"]["metaStatus"]
        ),
        (&json!("CLOSE"), &json!(false), &json!("PENDING")),
        "{d}"
    );
    assert!(d["updatedAt"].as_str().unwrap() > updated.as_str().unwrap());
    assert_eq!(get(&raw, &status_path).await["state"], "CLOSE");
    assert!(
        eventually(5.0, || rx.count() == 4).await,
        "number.disconnected"
    );
    assert_eq!(events(&rx)[3], (EventName::NumberDisconnected, id.clone()));
    let (s, v) = set_meta(&raw, &id, "CLOSE").await;
    assert_eq!((s, &v["changed"]), (200, &json!(false)));

    // Exactly one delivery per change: created ×2, connected, message, disconnected.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(rx.count(), 4);
    let log = raw
        .call("GET", "/_sandbox/webhooks/deliveries", None, None)
        .await
        .2;
    let names: Vec<&str> = log["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["event"].as_str())
        .collect();
    assert_eq!(
        names,
        [
            "number.created",
            "number.created",
            "number.connected",
            "message.received",
            "number.disconnected"
        ],
        "{log}"
    );
    sb.stop().await.unwrap();
}

#[tokio::test]
async fn by_default_a_meta_number_is_connected_at_once_and_can_be_moved() {
    let sb = sandbox(Options::default()).await;
    let raw = Raw::new(&sb.base_url);
    let (id, created) = create_meta(&raw, "+5511970000103").await;
    assert_eq!(created["number"]["isFullyConnected"], true);
    let d = get(&raw, &format!("/v1/numbers/{id}")).await;
    assert_eq!(
        (&d["provider"], &d["state"], &d["health"]["metaStatus"]),
        (&json!("META"), &json!("OPEN"), &json!("CONNECTED"))
    );
    assert_eq!(
        get(&raw, &format!("/v1/numbers/{id}/status")).await["state"],
        "OPEN"
    );
    let (s, v) = set_meta(&raw, &id, "OPEN").await;
    assert_eq!((s, &v["changed"]), (200, &json!(false)));
    let (s, v) = set_meta(&raw, &id, "CLOSE").await;
    assert_eq!((s, &v["metaStatus"]), (200, &json!("PENDING")));
    assert_eq!(
        get(&raw, &format!("/v1/numbers/{id}/status")).await["state"],
        "CLOSE"
    );
    sb.stop().await.unwrap();
}

#[tokio::test]
async fn the_meta_control_route_refuses_what_it_cannot_move() {
    let sb = sandbox(Options {
        meta_numbers: MetaNumbers::Pending,
        ..Options::default()
    })
    .await;
    let raw = Raw::new(&sb.base_url);
    let qr_id = raw.create_id("Loja", "+5511970000104").await;
    let (id, _) = create_meta(&raw, "+5511970000105").await;

    // A QR number: 400 with a message that says why, and nothing moved.
    let (s, v) = set_meta(&raw, &qr_id, "OPEN").await;
    assert_eq!(
        (s, v["code"].as_str()),
        (400, Some("FEATURE_NOT_SUPPORTED")),
        "{v}"
    );
    assert!(
        v["error"].as_str().unwrap().contains("Not a Meta number"),
        "{v}"
    );
    assert_eq!(raw.control(&qr_id).await["state"], "CONNECTING");

    // Unknown number: 404.
    let (s, v) = set_meta(&raw, "wa_nope", "OPEN").await;
    assert_eq!((s, v["code"].as_str()), (404, Some("NUMBER_NOT_FOUND")));

    // Bad bodies: 400 Validation error, nothing moved.
    let path = format!("/_sandbox/numbers/{id}/meta");
    for body in [
        None,
        Some("not json"),
        Some("[]"),
        Some("{}"),
        Some(r#"{"state":"CONNECTING"}"#),
        Some(r#"{"state":"open"}"#),
        Some(r#"{"state":true}"#),
    ] {
        let (s, _, v) = raw.call("POST", &path, None, body).await;
        assert_eq!(
            (s, &v["error"]),
            (400, &json!("Validation error")),
            "{body:?}: {v}"
        );
    }
    assert_eq!(raw.control(&id).await["state"], "CLOSE");

    // A deleted Meta number is gone for the control API too.
    let (s, _, _) = raw
        .call("DELETE", &format!("/v1/numbers/{id}"), Some(TENANT), None)
        .await;
    assert_eq!(s, 200);
    let (s, _) = set_meta(&raw, &id, "OPEN").await;
    assert_eq!(s, 404);

    // The control index lists the route.
    let index = raw.call("GET", "/_sandbox", None, None).await.2;
    assert!(
        index["routes"]["POST /_sandbox/numbers/{id}/meta"]
            .as_str()
            .unwrap()
            .contains("metaStatus"),
        "{index}"
    );
    sb.stop().await.unwrap();
}

#[tokio::test]
async fn the_binary_takes_meta_numbers() {
    use tokio::io::AsyncBufReadExt as _;
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_pilot-sandbox"))
        .args([
            "--port",
            "0",
            "--tenant-key",
            TENANT,
            "--meta-numbers",
            "pending",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
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
    let url = line.strip_prefix("pilot-sandbox listening on ").unwrap();
    let raw = Raw::new(url);
    let (id, _) = create_meta(&raw, "+5511970000106").await;
    let d = get(&raw, &format!("/v1/numbers/{id}")).await;
    assert_eq!(
        (&d["state"], &d["health"]["metaStatus"]),
        (&json!("CLOSE"), &json!("PENDING"))
    );
    child.kill().await.unwrap();

    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_pilot-sandbox"))
        .args([
            "--port",
            "0",
            "--tenant-key",
            TENANT,
            "--meta-numbers",
            "later",
        ])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("open") && err.contains("pending"), "{err}");
}
