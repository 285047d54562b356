//! `/v1/webhooks` over real HTTP through the core crate and raw requests:
//! create/list/get/update/delete/logs, scopes (NUMBER_REQUIRED, NUMBER_MISMATCH,
//! WEBHOOK_NOT_FOUND, the header ignored for number keys, unbound keys refused), deliveries that
//! follow each registered webhook's `events` and `active`, signed with the dashboard secret
//! (global or per webhook), one or several webhooks per number, `name`, purges, and the
//! `message.*` route that lets tests play a customer's traffic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::{client, client_with, eventually, keys, sandbox, Raw, Receiver, TENANT};
use hmac::{Hmac, Mac};
use pilot_connect::endpoints::{
    CreateNumber, CreateWebhook, DeleteWebhook, GetWebhook, ListWebhooks, UpdateWebhook,
    WebhookLogs,
};
use pilot_connect::webhook::{self, WebhookEvent};
use pilot_connect::{Client, Config, ErrorKind, WebhookSecret};
use pilot_sandbox::{Options, WebhookSecrets, WebhooksPerNumber};
use serde_json::{json, Value};

const SECRET: &str = "whsec_dashboard_secret";

#[tokio::test]
async fn lifecycle_scopes_and_filtered_signed_deliveries() {
    let (rx, url) = Receiver::start(0).await;
    let sb = sandbox(Options {
        webhook_secret: SECRET.into(),
        time_scale: 100.0,
        ..Options::default()
    })
    .await;
    let c = client(&sb.base_url);
    let raw = Raw::new(&sb.base_url);
    let created = c
        .send(&CreateNumber::new("Hooks", "+5511970000101"))
        .await
        .unwrap();
    let id = created.id().to_owned();

    // A tenant key must name the number.
    let e = c.send(&CreateWebhook::new(&url, ["*"])).await.unwrap_err();
    assert_eq!(
        (e.kind(), e.code().map(|c| c.as_str())),
        (ErrorKind::BadRequest, Some("NUMBER_REQUIRED"))
    );
    let e = c
        .send(&CreateWebhook::new(&url, ["*"]).whatsapp_number_id("wa_nope"))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);

    let hook = c
        .send(&CreateWebhook::new(&url, ["number.connected"]).whatsapp_number_id(&id))
        .await
        .unwrap();
    assert_eq!(hook.whatsapp_number_id.as_deref(), Some(id.as_str()));
    assert_eq!(hook.active, Some(true));
    // One webhook per number.
    let e = c
        .send(&CreateWebhook::new(&url, ["*"]).whatsapp_number_id(&id))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict);
    assert_eq!(
        c.send(&ListWebhooks::new()).await.unwrap(),
        vec![hook.clone()]
    );
    assert_eq!(c.send(&GetWebhook::new(&hook.id)).await.unwrap(), hook);

    // The number's own key sees it; the header form of the tenant key narrows the list.
    let k = raw.control(&id).await["apiKey"]
        .as_str()
        .map(str::to_owned)
        .expect("the number has its own key");
    let own = client_with(&sb.base_url, &k, Duration::from_secs(5));
    assert_eq!(own.send(&ListWebhooks::new()).await.unwrap().len(), 1);
    let e = own
        .send(&CreateWebhook::new(&url, ["*"]).whatsapp_number_id("wa_other"))
        .await
        .unwrap_err();
    assert_eq!(e.code().map(|c| c.as_str()), Some("NUMBER_MISMATCH"));
    let other = Client::new(
        Config::clone(c.config()).with_whatsapp_number_id("wa_someone_else"),
        pilot_connect::native::NativeTransport::new().unwrap(),
    );
    assert!(other.send(&ListWebhooks::new()).await.unwrap().is_empty());

    // Subscribed to number.connected only: the scan is delivered, the disconnect is not.
    raw.call("POST", &format!("/_sandbox/numbers/{id}/scan"), None, None)
        .await;
    assert!(
        eventually(5.0, || rx.count() >= 1).await,
        "number.connected delivered"
    );
    raw.call(
        "POST",
        &format!("/_sandbox/numbers/{id}/disconnect"),
        None,
        None,
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(rx.count(), 1, "number.disconnected is not subscribed");
    let key = WebhookSecret::new(SECRET).unwrap();
    {
        let got = rx.got.lock().unwrap();
        let (sig, body) = &got[0];
        let ev = webhook::verify_and_parse(&key, body, sig.as_deref())
            .expect("signed with the dashboard secret");
        assert!(matches!(ev, WebhookEvent::Number { ref data, .. } if data.number_id == id));
    }

    // PATCH replaces the events; paused hooks get nothing.
    let all = c
        .send(&UpdateWebhook::new(&hook.id).events(["*"]))
        .await
        .unwrap();
    assert_eq!(all.events.as_deref(), Some(&["*".to_owned()][..]));
    // A new pairing attempt after the disconnect, then the phone scans again.
    raw.call(
        "GET",
        &format!("/v1/numbers/{id}/connect"),
        Some(TENANT),
        None,
    )
    .await;
    raw.call("POST", &format!("/_sandbox/numbers/{id}/scan"), None, None)
        .await;
    assert!(
        eventually(5.0, || rx.count() >= 2).await,
        "delivered again after PATCH"
    );
    c.send(&UpdateWebhook::new(&hook.id).active(false))
        .await
        .unwrap();
    raw.call(
        "POST",
        &format!("/_sandbox/numbers/{id}/disconnect"),
        None,
        None,
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(rx.count(), 2, "paused");

    let logs = c.send(&WebhookLogs::new(&hook.id).limit(10)).await.unwrap();
    assert_eq!(logs.len(), 2);
    assert!(logs
        .iter()
        .all(|l| l.success == Some(true) && l.status_code == Some(200)));
    let only = c
        .send(&WebhookLogs::new(&hook.id).event("number.connected"))
        .await
        .unwrap();
    assert!(only
        .iter()
        .all(|l| l.event.as_deref() == Some("number.connected")));

    assert!(c.send(&DeleteWebhook::new(&hook.id)).await.unwrap().ok);
    let e = c.send(&GetWebhook::new(&hook.id)).await.unwrap_err();
    assert_eq!(
        (e.kind(), e.code().map(|c| c.as_str())),
        (ErrorKind::NotFound, Some("WEBHOOK_NOT_FOUND"))
    );
    // Raw: an empty PATCH is the API's EMPTY_PATCH (the core refuses it before sending).
    let (s, _, _) = raw
        .call("PATCH", "/v1/webhooks/wh_x", Some(TENANT), Some("{}"))
        .await;
    assert_eq!(s, 404);
}

// ---------- helpers for the raw tests below ----------

async fn create_hook(raw: &Raw, key: &str, body: Value) -> (u16, Value) {
    let (s, _, v) = raw
        .call("POST", "/v1/webhooks", Some(key), Some(&body.to_string()))
        .await;
    (s, v)
}

async fn created_hook(raw: &Raw, body: Value) -> String {
    let (s, v) = create_hook(raw, TENANT, body).await;
    assert_eq!(s, 201, "{v}");
    v["id"].as_str().unwrap().to_owned()
}

async fn list_hooks(raw: &Raw, key: &str) -> Vec<Value> {
    let (s, _, v) = raw.call("GET", "/v1/webhooks", Some(key), None).await;
    assert_eq!(s, 200, "{v}");
    v.as_array().unwrap().clone()
}

async fn scan(raw: &Raw, id: &str) {
    let (s, _, v) = raw
        .call("POST", &format!("/_sandbox/numbers/{id}/scan"), None, None)
        .await;
    assert_eq!(s, 200, "{v}");
}

async fn dashboard_secret(raw: &Raw, hook: &str) -> (u16, Value) {
    let (s, _, v) = raw
        .call(
            "GET",
            &format!("/_sandbox/webhooks/{hook}/secret"),
            None,
            None,
        )
        .await;
    (s, v)
}

async fn deliveries(raw: &Raw) -> Vec<Value> {
    raw.call("GET", "/_sandbox/webhooks/deliveries", None, None)
        .await
        .2["deliveries"]
        .as_array()
        .unwrap()
        .clone()
}

/// Hex HMAC-SHA256, computed here independently of the sandbox and the core crate.
fn hmac_hex(key: &str, msg: &[u8]) -> String {
    let mut m = Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes()).unwrap();
    m.update(msg);
    m.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn signed_by(secret: &str, sig: Option<&str>, body: &[u8]) -> bool {
    webhook::verify_signature(&WebhookSecret::new(secret).unwrap(), body, sig).is_ok()
}

/// The parsed bodies a receiver got.
fn bodies(rx: &Receiver) -> Vec<Value> {
    rx.got
        .lock()
        .unwrap()
        .iter()
        .map(|(_, b)| serde_json::from_slice(b).unwrap())
        .collect()
}

fn many() -> Options {
    Options {
        webhooks_per_number: WebhooksPerNumber::Many,
        webhook_secret: SECRET.into(),
        time_scale: 100.0,
        ..Options::default()
    }
}

// ---------- one or several webhooks per number ----------

#[tokio::test]
async fn one_webhook_per_number_by_default_409_without_patch_advice() {
    let sb = sandbox(Options {
        webhook_secret: SECRET.into(),
        ..Options::default()
    })
    .await;
    let raw = Raw::new(&sb.base_url);
    let id = raw.create_id("One", "+5511970000201").await;
    let first = created_hook(
        &raw,
        json!({"url": "http://127.0.0.1:9/a", "events": ["*"], "whatsappNumberId": id}),
    )
    .await;
    let (s, v) = create_hook(
        &raw,
        TENANT,
        json!({"url": "http://127.0.0.1:9/b", "events": ["message.received"], "whatsappNumberId": id}),
    )
    .await;
    assert_eq!(s, 409, "{v}");
    assert_eq!(v["code"], "WEBHOOK_ALREADY_EXISTS", "{v}");
    assert_eq!(v["webhookId"], first.as_str());
    let msg = v["error"].as_str().unwrap();
    assert!(msg.contains("already has a webhook"), "{msg}");
    assert!(
        !msg.to_lowercase().contains("patch"),
        "must not tell the caller to take over the existing webhook: {msg}"
    );
    assert_eq!(list_hooks(&raw, TENANT).await.len(), 1);
    // The first one is untouched.
    let (s, _, v) = raw
        .call("GET", &format!("/v1/webhooks/{first}"), Some(TENANT), None)
        .await;
    assert_eq!((s, v["url"].as_str()), (200, Some("http://127.0.0.1:9/a")));
    // In global mode, the dashboard shows the global secret for every webhook.
    let (s, v) = dashboard_secret(&raw, &first).await;
    assert_eq!((s, v), (200, json!({"webhookId": first, "secret": SECRET})));
    let (s, v) = dashboard_secret(&raw, "wh_nope").await;
    assert_eq!((s, v["code"].as_str()), (404, Some("WEBHOOK_NOT_FOUND")));
    sb.stop().await.unwrap();
}

#[tokio::test]
async fn many_webhooks_per_number_each_get_every_matching_delivery() {
    let (rx1, url1) = Receiver::start(0).await;
    let (rx2, url2) = Receiver::start(0).await;
    let (rx3, url3) = Receiver::start(0).await;
    let sb = sandbox(many()).await;
    let raw = Raw::new(&sb.base_url);
    let id = raw.create_id("Many", "+5511970000202").await;
    let other = raw.create_id("Other", "+5511970000203").await;
    let h1 = created_hook(
        &raw,
        json!({"url": url1, "events": ["number.connected"], "whatsappNumberId": id}),
    )
    .await;
    let h2 = created_hook(
        &raw,
        json!({"url": url2, "events": ["*"], "whatsappNumberId": id}),
    )
    .await;
    // Same number, not subscribed to number.connected; and another number's webhook.
    created_hook(
        &raw,
        json!({"url": url3, "events": ["message.received"], "whatsappNumberId": id}),
    )
    .await;
    created_hook(
        &raw,
        json!({"url": url3, "events": ["*"], "whatsappNumberId": other}),
    )
    .await;
    assert_eq!(list_hooks(&raw, TENANT).await.len(), 4);

    scan(&raw, &id).await;
    assert!(
        eventually(5.0, || rx1.count() == 1 && rx2.count() == 1).await,
        "both webhooks got number.connected: {} {}",
        rx1.count(),
        rx2.count()
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(rx3.count(), 0, "neither subscribed nor the same number");
    for rx in [&rx1, &rx2] {
        let (sig, body) = rx.got.lock().unwrap()[0].clone();
        assert!(signed_by(SECRET, sig.as_deref(), &body));
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            (v["event"].as_str(), v["data"]["numberId"].as_str()),
            (Some("number.connected"), Some(id.as_str()))
        );
    }
    let log = deliveries(&raw).await;
    let to: BTreeSet<&str> = log
        .iter()
        .filter(|d| d["event"] == "number.connected")
        .filter_map(|d| d["webhookId"].as_str())
        .collect();
    assert_eq!(to, BTreeSet::from([h1.as_str(), h2.as_str()]));
    sb.stop().await.unwrap();
}

// ---------- per-webhook signing secrets ----------

#[tokio::test]
async fn per_webhook_secrets_sign_each_webhook_and_are_never_returned() {
    let (rx1, url1) = Receiver::start(0).await;
    let (rx2, url2) = Receiver::start(0).await;
    let sb = sandbox(Options {
        webhook_secrets: WebhookSecrets::PerWebhook,
        ..many()
    })
    .await;
    let raw = Raw::new(&sb.base_url);
    let id = raw.create_id("Secrets", "+5511970000204").await;
    let (s, created) = create_hook(
        &raw,
        TENANT,
        json!({"url": url1, "events": ["*"], "whatsappNumberId": id}),
    )
    .await;
    assert_eq!(s, 201);
    let h1 = created["id"].as_str().unwrap().to_owned();
    let h2 = created_hook(
        &raw,
        json!({"url": url2, "events": ["*"], "whatsappNumberId": id}),
    )
    .await;

    // The documented rule: "whsec_" + hex HMAC-SHA256(key = --webhook-secret, msg = id).
    let (s, v) = dashboard_secret(&raw, &h1).await;
    assert_eq!(s, 200, "{v}");
    let s1 = v["secret"].as_str().unwrap().to_owned();
    assert_eq!(s1, format!("whsec_{}", hmac_hex(SECRET, h1.as_bytes())));
    assert_eq!(
        s1,
        pilot_sandbox::per_webhook_secret(&WebhookSecret::new(SECRET).unwrap(), &h1)
    );
    let s2 = dashboard_secret(&raw, &h2).await.1["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(s2, format!("whsec_{}", hmac_hex(SECRET, h2.as_bytes())));
    assert_ne!(s1, s2);

    // No API answer carries a secret.
    let (_, _, one) = raw
        .call("GET", &format!("/v1/webhooks/{h1}"), Some(TENANT), None)
        .await;
    let (_, _, patched) = raw
        .call(
            "PATCH",
            &format!("/v1/webhooks/{h1}"),
            Some(TENANT),
            Some(r#"{"name":"Edge"}"#),
        )
        .await;
    let answers = json!([created, one, patched, list_hooks(&raw, TENANT).await]).to_string();
    for secret in [s1.as_str(), s2.as_str(), SECRET] {
        assert!(!answers.contains(secret), "{answers}");
    }
    assert!(!answers.contains("secret"), "{answers}");

    scan(&raw, &id).await;
    assert!(eventually(5.0, || rx1.count() == 1 && rx2.count() == 1).await);
    let (sig1, body1) = rx1.got.lock().unwrap()[0].clone();
    let (sig2, body2) = rx2.got.lock().unwrap()[0].clone();
    assert_eq!(body1, body2, "the same event");
    assert!(signed_by(&s1, sig1.as_deref(), &body1), "its own secret");
    assert!(
        !signed_by(SECRET, sig1.as_deref(), &body1),
        "not the global one"
    );
    assert!(
        !signed_by(&s2, sig1.as_deref(), &body1),
        "not another webhook's"
    );
    assert!(signed_by(&s2, sig2.as_deref(), &body2));
    assert!(!signed_by(SECRET, sig2.as_deref(), &body2));
    // A receiver that knows its secret verifies and parses through the core crate.
    let ev = webhook::verify_and_parse(&WebhookSecret::new(&s1).unwrap(), &body1, sig1.as_deref())
        .unwrap();
    assert!(matches!(ev, WebhookEvent::Number { ref data, .. } if data.number_id == id));
    sb.stop().await.unwrap();
}

// ---------- message.* traffic ----------

#[tokio::test]
async fn messages_route_delivers_many_unique_signed_messages_with_retries() {
    const N: usize = 250;
    let (rx_msg, url_msg) = Receiver::start(0).await;
    let (rx_all, url_all) = Receiver::start(5).await; // answers 500 to its first 5 requests
    let (rx_num, url_num) = Receiver::start(0).await;
    let sb = sandbox(many()).await;
    let raw = Raw::new(&sb.base_url);
    let id = raw.create_id("Messages", "+5511970000205").await;
    let idle = raw.create_id("Idle", "+5511970000206").await;
    let post = |path: String, body: Value| {
        let raw = &raw;
        async move {
            let (s, _, v) = raw.call("POST", &path, None, Some(&body.to_string())).await;
            (s, v)
        }
    };
    let path = format!("/_sandbox/numbers/{id}/messages");

    // Only a connected number gets messages; bad input is refused.
    let (s, v) = post(format!("/_sandbox/numbers/{idle}/messages"), json!({})).await;
    assert_eq!(s, 409, "{v}");
    let (s, _) = post("/_sandbox/numbers/wa_nope/messages".into(), json!({})).await;
    assert_eq!(s, 404);
    scan(&raw, &id).await;
    for bad in [
        json!({"count": 0}),
        json!({"count": 1001}),
        json!({"count": "3"}),
        json!({"count": 1.5}),
        json!({"event": "number.connected"}),
        json!({"event": "message."}),
        json!({"event": 7}),
        json!({"from": "abc"}),
        json!({"content": ""}),
    ] {
        let (s, v) = post(path.clone(), bad.clone()).await;
        assert_eq!(s, 400, "{bad}: {v}");
    }

    let h_msg = created_hook(
        &raw,
        json!({"url": url_msg, "events": ["message.received"], "whatsappNumberId": id}),
    )
    .await;
    let h_all = created_hook(
        &raw,
        json!({"url": url_all, "events": ["*"], "whatsappNumberId": id}),
    )
    .await;
    created_hook(
        &raw,
        json!({"url": url_num, "events": ["number.connected"], "whatsappNumberId": id}),
    )
    .await;

    let (s, out) = post(path.clone(), json!({"count": N})).await;
    assert_eq!(s, 200, "{out}");
    assert_eq!(out["event"], "message.received");
    let ids: Vec<String> = out["messageIds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    let unique: BTreeSet<String> = ids.iter().cloned().collect();
    assert_eq!((ids.len(), unique.len()), (N, N), "N unique ids");
    assert!(ids.iter().all(|i| i.starts_with("msg_")));
    let to: BTreeSet<&str> = out["webhookIds"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(to, BTreeSet::from([h_msg.as_str(), h_all.as_str()]));

    assert!(
        eventually(30.0, || rx_msg.count() >= N && rx_all.count() >= N + 5).await,
        "every message delivered: {} and {} (with 5 retries)",
        rx_msg.count(),
        rx_all.count()
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(rx_msg.count(), N, "no duplicates");
    assert_eq!(rx_all.count(), N + 5, "no extra deliveries");
    assert_eq!(rx_num.count(), 0, "not subscribed to messages");
    for (sig, body) in rx_msg.got.lock().unwrap().iter() {
        assert!(signed_by(SECRET, sig.as_deref(), body));
    }
    for rx in [&rx_msg, &rx_all] {
        let got: Vec<Value> = bodies(rx);
        let got_ids: BTreeSet<String> = got
            .iter()
            .filter(|v| {
                v["data"]["content"]
                    .as_str()
                    .is_some_and(|c| c.ends_with(" of 250"))
            })
            .map(|v| v["data"]["id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(got_ids, unique, "each message exactly once per webhook");
    }
    // The documented message.received shape (guides/receive-messages), as {event, data}.
    let first = bodies(&rx_msg)[0].clone();
    assert_eq!(keys(&first), ["data", "event"]);
    assert_eq!(first["event"], "message.received");
    let d = &first["data"];
    assert_eq!(
        keys(d),
        [
            "content",
            "createdAt",
            "from",
            "fromMe",
            "id",
            "messageId",
            "numberId",
            "participantName",
            "to",
            "type"
        ]
    );
    assert_eq!(
        (
            d["numberId"].as_str(),
            d["to"].as_str(),
            d["type"].as_str(),
            d["fromMe"].as_bool()
        ),
        (
            Some(id.as_str()),
            Some("+5511970000205"),
            Some("text"),
            Some(false)
        )
    );
    assert!(d["from"].as_str().unwrap().starts_with("+55"));
    let parsed = webhook::parse_event(serde_json::to_vec(&first).unwrap().as_slice()).unwrap();
    assert_eq!(
        parsed.dedup_key().as_deref(),
        d["id"].as_str(),
        "dedup by data.id"
    );

    // The log records every attempt: the flaky webhook's first tries are 500s, then 200s.
    let mut log = Vec::new();
    for _ in 0..200 {
        log = deliveries(&raw).await;
        if log.iter().all(|d| d["status"] == "delivered") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let of = |h: &str| -> Vec<Value> {
        log.iter()
            .filter(|d| d["webhookId"] == h && d["event"] == "message.received")
            .cloned()
            .collect()
    };
    let (msg_log, all_log) = (of(&h_msg), of(&h_all));
    assert_eq!((msg_log.len(), all_log.len()), (N, N));
    assert!(msg_log.iter().all(|d| d["status"] == "delivered"
        && d["attempts"].as_array().unwrap().len() == 1
        && d["attempts"][0]["status"] == 200));
    let tries: Vec<&Value> = all_log
        .iter()
        .flat_map(|d| d["attempts"].as_array().unwrap())
        .collect();
    assert_eq!(tries.len(), N + 5);
    assert_eq!(tries.iter().filter(|t| t["status"] == 500).count(), 5);
    assert!(all_log.iter().all(|d| d["status"] == "delivered"
        && d["attempts"].as_array().unwrap().last().unwrap()["status"] == 200));
    // And the API's logs agree.
    let c = client(&sb.base_url);
    let logs = c.send(&WebhookLogs::new(&h_msg).limit(50)).await.unwrap();
    assert_eq!(logs.len(), 50);
    assert!(logs.iter().all(|l| l.success == Some(true)));

    // An outbound status event: the number is the sender; only "*" is subscribed.
    let before = (rx_msg.count(), rx_all.count());
    let (s, out) = post(
        path.clone(),
        json!({"event": "message.sent", "from": "+5511911112222", "content": "hi"}),
    )
    .await;
    assert_eq!(s, 200, "{out}");
    assert_eq!(out["messageIds"].as_array().unwrap().len(), 1);
    assert!(eventually(5.0, || rx_all.count() == before.1 + 1).await);
    let sent = bodies(&rx_all).pop().unwrap();
    assert_eq!(sent["event"], "message.sent");
    assert_eq!(
        (
            sent["data"]["from"].as_str(),
            sent["data"]["to"].as_str(),
            sent["data"]["fromMe"].as_bool(),
            sent["data"]["content"].as_str()
        ),
        (
            Some("+5511970000205"),
            Some("+5511911112222"),
            Some(true),
            Some("hi")
        )
    );
    assert_eq!(sent["data"]["id"], out["messageIds"][0]);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        rx_msg.count(),
        before.0,
        "message.sent is not message.received"
    );
    sb.stop().await.unwrap();
}

// ---------- scopes ----------

#[tokio::test]
async fn number_keys_ignore_the_number_header() {
    let sb = sandbox(Options::default()).await;
    let raw = Raw::new(&sb.base_url);
    let a = raw.create_id("A", "+5511970000207").await;
    let b = raw.create_id("B", "+5511970000208").await;
    let a_key = raw.control(&a).await["apiKey"].as_str().unwrap().to_owned();
    let hook = json!({"url": "http://127.0.0.1:9/h", "events": ["*"]}).to_string();

    // The header names B; the number key acts on A anyway.
    let (s, v) = raw
        .call_with(
            "POST",
            "/v1/webhooks",
            Some(&a_key),
            Some(&hook),
            &[("x-whatsapp-number-id", &b)],
        )
        .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["whatsappNumberId"], a.as_str());
    let first = v["id"].clone();
    let (s, v) = raw
        .call_with(
            "GET",
            "/v1/webhooks",
            Some(&a_key),
            None,
            &[("x-whatsapp-number-id", &b)],
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v.as_array().unwrap().len(), 1);
    assert_eq!(v[0]["whatsappNumberId"], a.as_str());
    // Body names A, header names B: still A, which has its webhook already.
    let body_a =
        json!({"url": "http://127.0.0.1:9/h", "events": ["*"], "whatsappNumberId": a}).to_string();
    let (s, v) = raw
        .call_with(
            "POST",
            "/v1/webhooks",
            Some(&a_key),
            Some(&body_a),
            &[("x-whatsapp-number-id", &b)],
        )
        .await;
    assert_eq!((s, &v["webhookId"]), (409, &first), "{v}");
    // A body naming another number stays refused.
    let body_b =
        json!({"url": "http://127.0.0.1:9/h", "events": ["*"], "whatsappNumberId": b}).to_string();
    let (s, v) = create_hook(&raw, &a_key, serde_json::from_str(&body_b).unwrap()).await;
    assert_eq!((s, v["code"].as_str()), (400, Some("NUMBER_MISMATCH")));
    // Through the core crate: a config that names B, used with A's key, lists A's webhook.
    let own = Client::new(
        Config::clone(client_with(&sb.base_url, &a_key, Duration::from_secs(5)).config())
            .with_whatsapp_number_id(&b),
        pilot_connect::native::NativeTransport::new().unwrap(),
    );
    let listed = own.send(&ListWebhooks::new()).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].whatsapp_number_id.as_deref(), Some(a.as_str()));

    // A tenant key is the one the header is for.
    let (s, v) = raw
        .call_with(
            "POST",
            "/v1/webhooks",
            Some(TENANT),
            Some(&hook),
            &[("x-whatsapp-number-id", &b)],
        )
        .await;
    assert_eq!(
        (s, v["whatsappNumberId"].as_str()),
        (201, Some(b.as_str())),
        "{v}"
    );
    let (_, v) = raw
        .call_with(
            "GET",
            "/v1/webhooks",
            Some(TENANT),
            None,
            &[("x-whatsapp-number-id", &a)],
        )
        .await;
    assert_eq!(v.as_array().unwrap().len(), 1);
    assert_eq!(v[0]["whatsappNumberId"], a.as_str());
    sb.stop().await.unwrap();
}

#[tokio::test]
async fn an_unbound_number_key_cannot_create_webhooks() {
    const UNBOUND: &str = "ps_unbound_webhook_key";
    let sb = sandbox(Options {
        unbound_number_keys: vec![UNBOUND.into()],
        ..Options::default()
    })
    .await;
    let raw = Raw::new(&sb.base_url);
    let a = raw.create_id("A", "+5511970000209").await;
    let url = "http://127.0.0.1:9/h";
    for (body, header) in [
        (
            json!({"url": url, "events": ["*"], "whatsappNumberId": a}),
            None,
        ),
        (json!({"url": url, "events": ["*"]}), Some(a.as_str())),
        (json!({"url": url, "events": ["*"]}), None),
    ] {
        let headers: Vec<(&str, &str)> = header
            .map(|h| ("x-whatsapp-number-id", h))
            .into_iter()
            .collect();
        let (s, v) = raw
            .call_with(
                "POST",
                "/v1/webhooks",
                Some(UNBOUND),
                Some(&body.to_string()),
                &headers,
            )
            .await;
        assert_eq!(
            (s, v["code"].as_str()),
            (403, Some("NUMBER_SCOPE_NOT_ALLOWED")),
            "{body} {header:?}: {v}"
        );
    }
    assert!(list_hooks(&raw, UNBOUND).await.is_empty());
    assert!(
        list_hooks(&raw, TENANT).await.is_empty(),
        "nothing was created on A"
    );
    sb.stop().await.unwrap();
}

// ---------- purge ----------

#[tokio::test]
async fn purging_a_number_removes_its_webhooks() {
    let sb = sandbox(many()).await;
    let raw = Raw::new(&sb.base_url);
    let a = raw.create_id("A", "+5511970000210").await;
    let b = raw.create_id("B", "+5511970000211").await;
    let url = "http://127.0.0.1:9/h";
    let a1 = created_hook(
        &raw,
        json!({"url": url, "events": ["*"], "whatsappNumberId": a}),
    )
    .await;
    let a2 = created_hook(
        &raw,
        json!({"url": url, "events": ["*"], "whatsappNumberId": a}),
    )
    .await;
    let b1 = created_hook(
        &raw,
        json!({"url": url, "events": ["*"], "whatsappNumberId": b}),
    )
    .await;

    // A soft delete keeps them (a restore brings the number back with its webhooks).
    raw.call("DELETE", &format!("/v1/numbers/{a}"), Some(TENANT), None)
        .await;
    let (s, _, _) = raw
        .call("GET", &format!("/v1/webhooks/{a1}"), Some(TENANT), None)
        .await;
    assert_eq!(s, 200);
    // Purging the soft-deleted A removes both; purging the live B removes its own.
    let (s, _, v) = raw
        .call(
            "DELETE",
            &format!("/v1/numbers/{a}/purge"),
            Some(TENANT),
            None,
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let left: Vec<Value> = list_hooks(&raw, TENANT).await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["id"], b1.as_str());
    for h in [&a1, &a2] {
        let (s, _, v) = raw
            .call("GET", &format!("/v1/webhooks/{h}"), Some(TENANT), None)
            .await;
        assert_eq!((s, v["code"].as_str()), (404, Some("WEBHOOK_NOT_FOUND")));
        assert_eq!(dashboard_secret(&raw, h).await.0, 404);
    }
    raw.call(
        "DELETE",
        &format!("/v1/numbers/{b}/purge"),
        Some(TENANT),
        None,
    )
    .await;
    assert!(list_hooks(&raw, TENANT).await.is_empty());
    sb.stop().await.unwrap();

    // The automatic purge, 30 virtual days after a delete, takes them too.
    let sb = sandbox(Options {
        time_scale: 10_000_000.0, // 30 days in ~0.26 s
        ..Options::default()
    })
    .await;
    let raw = Raw::new(&sb.base_url);
    let c = raw.create_id("C", "+5511970000212").await;
    let hook = created_hook(
        &raw,
        json!({"url": url, "events": ["*"], "whatsappNumberId": c}),
    )
    .await;
    raw.call("DELETE", &format!("/v1/numbers/{c}"), Some(TENANT), None)
        .await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(dashboard_secret(&raw, &hook).await.0, 404);
    assert!(list_hooks(&raw, TENANT).await.is_empty());
    sb.stop().await.unwrap();
}

// ---------- field rules: active, name ----------

#[tokio::test]
async fn active_must_be_a_boolean() {
    let sb = sandbox(Options::default()).await;
    let raw = Raw::new(&sb.base_url);
    let id = raw.create_id("Active", "+5511970000213").await;
    let url = "http://127.0.0.1:9/h";
    for bad in [
        json!("yes"),
        json!(1),
        json!("true"),
        json!(null),
        json!({}),
    ] {
        let (s, v) = create_hook(
            &raw,
            TENANT,
            json!({"url": url, "events": ["*"], "whatsappNumberId": id, "active": bad}),
        )
        .await;
        assert_eq!(s, 400, "active: {bad} → {v}");
        assert!(v["details"].as_str().unwrap().contains("active"), "{v}");
    }
    assert!(list_hooks(&raw, TENANT).await.is_empty());
    let (s, v) = create_hook(
        &raw,
        TENANT,
        json!({"url": url, "events": ["*"], "whatsappNumberId": id, "active": false}),
    )
    .await;
    assert_eq!((s, v["active"].as_bool()), (201, Some(false)));
    let hook = v["id"].as_str().unwrap().to_owned();
    let patch = |body: Value| {
        let raw = &raw;
        let path = format!("/v1/webhooks/{hook}");
        async move {
            let (s, _, v) = raw
                .call("PATCH", &path, Some(TENANT), Some(&body.to_string()))
                .await;
            (s, v)
        }
    };
    for bad in [json!("yes"), json!(0), json!(null)] {
        let (s, v) = patch(json!({"active": bad})).await;
        assert_eq!(s, 400, "PATCH active: {bad} → {v}");
    }
    let (s, v) = patch(json!({"active": true})).await;
    assert_eq!((s, v["active"].as_bool()), (200, Some(true)));
    sb.stop().await.unwrap();
}

#[tokio::test]
async fn a_webhook_name_round_trips() {
    let sb = sandbox(Options {
        webhooks_per_number: WebhooksPerNumber::Many,
        ..Options::default()
    })
    .await;
    let raw = Raw::new(&sb.base_url);
    let id = raw.create_id("Named", "+5511970000214").await;
    let url = "http://127.0.0.1:9/h";
    let (s, v) = create_hook(
        &raw,
        TENANT,
        json!({"url": url, "events": ["*"], "whatsappNumberId": id, "name": "  pilot-connect edge  "}),
    )
    .await;
    assert_eq!(
        (s, v["name"].as_str()),
        (201, Some("pilot-connect edge")),
        "{v}"
    );
    let hook = v["id"].as_str().unwrap().to_owned();
    let (_, _, got) = raw
        .call("GET", &format!("/v1/webhooks/{hook}"), Some(TENANT), None)
        .await;
    assert_eq!(got["name"], "pilot-connect edge");
    assert_eq!(
        list_hooks(&raw, TENANT).await[0]["name"],
        "pilot-connect edge"
    );
    // Through the core crate: the typed `Webhook.name` (not left in `extra`).
    let c = client(&sb.base_url);
    let typed = c.send(&GetWebhook::new(&hook)).await.unwrap();
    assert_eq!(typed.name.as_deref(), Some("pilot-connect edge"));
    assert!(!typed.extra.contains_key("name"));

    let patch = |body: Value| {
        let raw = &raw;
        let path = format!("/v1/webhooks/{hook}");
        async move {
            let (s, _, v) = raw
                .call("PATCH", &path, Some(TENANT), Some(&body.to_string()))
                .await;
            (s, v)
        }
    };
    let (s, v) = patch(json!({"name": "Renamed"})).await;
    assert_eq!(
        (s, v["name"].as_str(), v["url"].as_str()),
        (200, Some("Renamed"), Some(url))
    );
    let (_, _, got) = raw
        .call("GET", &format!("/v1/webhooks/{hook}"), Some(TENANT), None)
        .await;
    assert_eq!(got["name"], "Renamed");
    // null clears it (and is a change, not an empty PATCH).
    let (s, v) = patch(json!({"name": null})).await;
    assert_eq!((s, &v["name"]), (200, &Value::Null), "{v}");
    let (_, _, got) = raw
        .call("GET", &format!("/v1/webhooks/{hook}"), Some(TENANT), None)
        .await;
    assert_eq!(got["name"], Value::Null);
    assert!(
        got.as_object().unwrap().contains_key("name"),
        "always present"
    );

    let long = "x".repeat(101);
    for bad in [json!(""), json!("   "), json!(long), json!(5), json!(["a"])] {
        let (s, v) = patch(json!({"name": bad})).await;
        assert_eq!(s, 400, "PATCH name: {bad} → {v}");
        let (s, v) = create_hook(
            &raw,
            TENANT,
            json!({"url": url, "events": ["*"], "whatsappNumberId": id, "name": bad}),
        )
        .await;
        assert_eq!(s, 400, "create name: {bad} → {v}");
    }
    // 100 characters (not bytes) is the limit.
    let (s, v) = patch(json!({"name": "é".repeat(100)})).await;
    assert_eq!(s, 200, "{v}");
    // Without a name: null.
    let (s, v) = create_hook(
        &raw,
        TENANT,
        json!({"url": url, "events": ["*"], "whatsappNumberId": id}),
    )
    .await;
    assert_eq!((s, &v["name"]), (201, &Value::Null));
    sb.stop().await.unwrap();
}
