//! The edge next to the customer's webhooks, natively: what a receiver relays and where, what
//! the worker's answers mean, the provisioning rules per topology (canned API answers, every
//! request checked), and bodies that are not the raw bytes.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::panic, clippy::result_large_err)]

mod common;
use common::Canned;

use pilot_connect::webhook::sign;
use pilot_connect::{Client, HttpResponse, Method, WebhookSecret};
use pilot_connect_server::{edge, ops, raw_body, tokens, ErrorRecord};
use serde_json::{json, Value};

fn client(answers: Vec<(u16, Value)>) -> Client<Canned> {
    common::client(
        answers
            .into_iter()
            .map(|(s, b)| HttpResponse::new(s, vec![], b.to_string().into_bytes()))
            .collect(),
    )
}

async fn provision(c: &Client<Canned>, args: Value) -> Result<Value, ErrorRecord> {
    let text = ops::call(c, "webhooks.provisionEdge", &args.to_string()).await?;
    Ok(serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}")))
}

/// `(method, path, body)` of every request sent.
fn sent(c: &Client<Canned>) -> Vec<(Method, String, Value)> {
    c.transport()
        .sent
        .borrow()
        .iter()
        .map(|r| {
            (
                r.method,
                r.path_and_query().to_owned(),
                serde_json::from_slice(&r.body).unwrap_or(Value::Null),
            )
        })
        .collect()
}

const EDGE: &str = "https://connect.example.com";
const EDGE_HOOK: &str = "https://connect.example.com/v1/hooks/pilot-status";
const MINE: &str = "https://api.example.com/hooks/pilot-status";

fn hook(id: &str, url: &str, events: &[&str]) -> Value {
    json!({"id": id, "url": url, "events": events, "active": true, "whatsappNumberId": "wa_1"})
}

fn edge_events() -> Value {
    json!([
        "number.connected",
        "number.disconnected",
        "number.removed",
        "number.restored"
    ])
}

#[tokio::test]
async fn side_by_side_creates_the_edges_own_hook_for_the_four_events() {
    let created = json!({"id": "wh_edge", "url": EDGE_HOOK, "events": edge_events(), "name": "pilot-connect edge"});
    let c = client(vec![
        (200, json!([hook("wh_mine", MINE, &["*"])])),
        (201, created),
    ]);
    let out = provision(&c, json!({"whatsappNumberId": "wa_1", "edgeUrl": EDGE}))
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(
        (&out["topology"], &out["action"], &out["webhook"]["id"]),
        (&json!("side_by_side"), &json!("created"), &json!("wh_edge"))
    );
    assert_eq!(out["edgeWebhookUrl"], EDGE_HOOK);
    assert!(out["message"]
        .as_str()
        .unwrap_or_default()
        .contains("PS_WEBHOOK_SECRETS"));
    let s = sent(&c);
    assert_eq!(
        s.len(),
        2,
        "list, create: the customer's hook is never touched"
    );
    assert_eq!((s[0].0, s[0].1.as_str()), (Method::Get, "/v1/webhooks"));
    assert_eq!(
        c.transport().sent.borrow()[0].header("x-whatsapp-number-id"),
        Some("wa_1"),
        "only this number's webhooks"
    );
    assert_eq!((s[1].0, s[1].1.as_str()), (Method::Post, "/v1/webhooks"));
    assert_eq!(
        s[1].2,
        json!({"url": EDGE_HOOK, "events": edge_events(), "whatsappNumberId": "wa_1", "name": "pilot-connect edge"})
    );
}

#[tokio::test]
async fn one_webhook_per_number_is_relay_and_the_customers_hook_stays() {
    let conflict = json!({"error": "This number already has a webhook", "code": "WEBHOOK_ALREADY_EXISTS", "webhookId": "wh_mine"});
    let c = client(vec![
        (200, json!([hook("wh_mine", MINE, &["*"])])),
        (409, conflict),
    ]);
    let out = provision(
        &c,
        json!({"whatsappNumberId": "wa_1", "edgeUrl": format!("{EDGE}/"), "name": "edge"}),
    )
    .await
    .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(
        (&out["topology"], &out["action"]),
        (&json!("relay"), &json!("none"))
    );
    assert_eq!(
        out["webhook"],
        hook("wh_mine", MINE, &["*"]),
        "the customer's, as it is"
    );
    assert!(out["message"]
        .as_str()
        .unwrap_or_default()
        .contains("relayWebhook"));
    let methods: Vec<Method> = sent(&c).into_iter().map(|s| s.0).collect();
    assert_eq!(methods, [Method::Get, Method::Post], "no PATCH, no DELETE");
}

#[tokio::test]
async fn an_existing_edge_hook_gets_exactly_the_four_events_never_star() {
    // Already right: nothing sent but the list.
    let c = client(vec![(
        200,
        json!([hook(
            "wh_edge",
            EDGE_HOOK,
            &[
                "number.restored",
                "number.removed",
                "number.disconnected",
                "number.connected"
            ]
        )]),
    )]);
    let out = provision(
        &c,
        json!({"whatsappNumberId": "wa_1", "edgeUrl": EDGE_HOOK}),
    )
    .await
    .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(
        (&out["topology"], &out["action"]),
        (&json!("side_by_side"), &json!("unchanged"))
    );
    assert_eq!(sent(&c).len(), 1);

    // Subscribed to "*" (or paused): narrowed to the four and resumed.
    let mut star = hook(
        "wh_edge",
        "HTTPS://Connect.Example.com/v1/hooks/pilot-status/",
        &["*"],
    );
    star["active"] = json!(false);
    let c = client(vec![
        (200, json!([hook("wh_mine", MINE, &["*"]), star])),
        (200, hook("wh_edge", EDGE_HOOK, &[])),
    ]);
    let out = provision(&c, json!({"whatsappNumberId": "wa_1", "edgeUrl": EDGE}))
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(
        (&out["topology"], &out["action"]),
        (&json!("side_by_side"), &json!("updated"))
    );
    let s = sent(&c);
    assert_eq!(
        (s[1].0, s[1].1.as_str()),
        (Method::Patch, "/v1/webhooks/wh_edge"),
        "the edge's own hook only"
    );
    assert_eq!(s[1].2, json!({"events": edge_events(), "active": true}));
}

#[tokio::test]
async fn edge_in_front_points_only_the_hook_at_forward_to_at_the_edge() {
    let c = client(vec![
        (200, json!([hook("wh_mine", MINE, &["message.received"])])),
        (200, hook("wh_mine", EDGE_HOOK, &["*"])),
    ]);
    let out = provision(&c, json!({"whatsappNumberId": "wa_1", "edgeUrl": EDGE, "mode": "edge_in_front", "forwardTo": MINE}))
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(
        (&out["topology"], &out["action"]),
        (&json!("edge_in_front"), &json!("updated"))
    );
    assert_eq!(out["forwardWebhookUrl"], MINE);
    assert!(out["message"]
        .as_str()
        .unwrap_or_default()
        .contains("FORWARD_WEBHOOK_URL"));
    let s = sent(&c);
    assert_eq!(
        (s[1].0, s[1].1.as_str()),
        (Method::Patch, "/v1/webhooks/wh_mine")
    );
    assert_eq!(
        s[1].2,
        json!({"url": EDGE_HOOK, "events": ["*"], "active": true})
    );

    // No hook at forwardTo, and the number's one webhook is elsewhere: refused, nothing changed.
    let other = hook("wh_other", "https://other.example/h", &["*"]);
    let c = client(vec![
        (200, json!([other])),
        (
            409,
            json!({"error": "exists", "code": "WEBHOOK_ALREADY_EXISTS"}),
        ),
    ]);
    let e = provision(&c, json!({"whatsappNumberId": "wa_1", "edgeUrl": EDGE, "mode": "edge_in_front", "forwardTo": MINE}))
        .await
        .err()
        .unwrap_or_else(|| panic!("accepted"));
    assert_eq!(e.kind.as_str(), "conflict");
    assert!(
        e.message.contains("wh_other") && e.message.contains("nothing was changed"),
        "{}",
        e.message
    );
    let methods: Vec<Method> = sent(&c).into_iter().map(|s| s.0).collect();
    assert_eq!(
        methods,
        [Method::Get, Method::Post],
        "the create (for \"*\") was refused; no PATCH"
    );
    assert_eq!(sent(&c)[1].2["events"], json!(["*"]));

    // No webhook at all: the edge's own, for everything.
    let c = client(vec![
        (200, json!([])),
        (201, hook("wh_edge", EDGE_HOOK, &["*"])),
    ]);
    let out = provision(&c, json!({"whatsappNumberId": "wa_1", "edgeUrl": EDGE, "mode": "edge_in_front", "forwardTo": MINE}))
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(
        (&out["topology"], &out["action"]),
        (&json!("edge_in_front"), &json!("created"))
    );
}

#[tokio::test]
async fn bad_provisioning_arguments_send_nothing() {
    for (args, kind, field) in [
        (
            json!({"whatsappNumberId": "wa_1", "edgeUrl": null}),
            "configuration",
            "edgeUrl",
        ),
        (
            json!({"whatsappNumberId": "wa_1", "edgeUrl": "connect.example.com"}),
            "validation",
            "edgeUrl",
        ),
        (
            json!({"whatsappNumberId": "wa_1", "edgeUrl": format!("{EDGE}?x=1")}),
            "validation",
            "edgeUrl",
        ),
        (
            json!({"whatsappNumberId": " ", "edgeUrl": EDGE}),
            "validation",
            "whatsappNumberId",
        ),
        (
            json!({"whatsappNumberId": "wa_1", "edgeUrl": EDGE, "mode": "edge_in_front"}),
            "validation",
            "forwardTo",
        ),
        (
            json!({"whatsappNumberId": "wa_1", "edgeUrl": EDGE, "forwardTo": MINE}),
            "validation",
            "forwardTo",
        ),
        (
            json!({"whatsappNumberId": "wa_1", "edgeUrl": EDGE, "mode": "edge_in_front", "forwardTo": EDGE_HOOK}),
            "validation",
            "forwardTo",
        ),
        (
            json!({"whatsappNumberId": "wa_1", "edgeUrl": EDGE, "mode": "instead"}),
            "validation",
            "mode",
        ),
        (
            json!({"whatsappNumberId": "wa_1", "edgeUrl": EDGE, "name": ""}),
            "validation",
            "name",
        ),
        (
            json!({"whatsappNumberId": "wa_1", "edgeUrl": EDGE, "name": "x".repeat(101)}),
            "validation",
            "name",
        ),
        (
            json!({"whatsappNumberId": "wa_1", "edgeUrl": EDGE, "events": ["*"]}),
            "validation",
            "events",
        ),
    ] {
        let c = client(vec![]);
        let e = provision(&c, args.clone())
            .await
            .err()
            .unwrap_or_else(|| panic!("{args} accepted"));
        assert_eq!(e.kind.as_str(), kind, "{args}: {e:?}");
        assert!(
            e.field.as_deref() == Some(field) || e.message.contains(field),
            "{args}: {e:?}"
        );
        assert!(sent(&c).is_empty(), "{args}: nothing sent");
    }
}

fn delivery(event: &str) -> String {
    json!({"event": event, "data": {"numberId": "wa_1", "phone": "+5511999999999", "displayName": "Loja",
        "createdAt": "2026-01-01T00:00:00Z", "id": "msg_1"}})
    .to_string()
}

#[test]
fn only_the_four_lifecycle_events_are_relayed() {
    let opts = json!({"edgeUrl": EDGE}).to_string();
    for e in [
        "number.connected",
        "number.disconnected",
        "number.removed",
        "number.restored",
    ] {
        let plan: Value = serde_json::from_str(
            &edge::relay_plan(delivery(e).as_bytes(), &opts).unwrap_or_else(|e| panic!("{e:?}")),
        )
        .unwrap_or_default();
        assert_eq!(
            (&plan["relay"], &plan["url"], &plan["event"]),
            (&json!(true), &json!(EDGE_HOOK), &json!(e))
        );
        assert_eq!(plan["timeoutMs"], 10_000);
    }
    for e in [
        "message.received",
        "message.sent",
        "call.offer",
        "number.created",
        "number.health_blocked",
        "future.event",
    ] {
        let plan: Value = serde_json::from_str(
            &edge::relay_plan(delivery(e).as_bytes(), &opts).unwrap_or_else(|e| panic!("{e:?}")),
        )
        .unwrap_or_default();
        assert_eq!(
            plan,
            json!({"relay": false, "reason": "not_lifecycle", "event": e}),
            "{e} is the customer's"
        );
    }
    // A flat call.* body is not relayed either, and is no error.
    let plan =
        edge::relay_plan(br#"{"event":"call.offer","from":"+5511"}"#, &opts).unwrap_or_default();
    assert!(plan.contains("not_lifecycle"));
    // The customer's traffic is never refused for a setting only a relay needs.
    let unset = r#"{"edgeUrl":null,"timeoutMs":0}"#;
    let message = edge::relay_plan(delivery("message.received").as_bytes(), unset);
    assert!(message.unwrap_or_default().contains("not_lifecycle"));
    assert_eq!(
        edge::relay_plan(b"not json", &opts)
            .err()
            .map(|e| e.kind.as_str()),
        Some("decode")
    );
    let connected = delivery("number.connected");
    assert_eq!(
        edge::relay_plan(connected.as_bytes(), "{}")
            .err()
            .map(|e| e.kind.as_str()),
        Some("configuration")
    );
    let opts0 = json!({"edgeUrl": EDGE, "timeoutMs": 0}).to_string();
    let e = edge::relay_plan(connected.as_bytes(), &opts0).err();
    assert_eq!(e.and_then(|e| e.field), Some("timeoutMs".into()));
}

#[test]
fn the_workers_answers_say_what_to_fix() {
    assert_eq!(
        edge::relay_outcome(204, b"").unwrap_or_default(),
        r#"{"relayed":true,"status":204}"#
    );
    let body = |code: &str| {
        json!({"error": {"code": code, "message": "…"}})
            .to_string()
            .into_bytes()
    };
    for (status, code, fix) in [
        (401, "invalid_signature", "PS_WEBHOOK_SECRETS"),
        (404, "route_not_found", "PS_WEBHOOK_SECRET"),
        (503, "unavailable", "later"),
        (400, "bad_request", "raw body"),
    ] {
        let e = edge::relay_outcome(status, &body(code))
            .err()
            .unwrap_or_else(|| panic!("{status} ok"));
        assert_eq!(
            (e.kind.as_str(), e.status, e.code.as_deref()),
            ("edge", Some(status), Some(code))
        );
        assert!(e.message.contains(fix), "{status}: {}", e.message);
    }
    let e = edge::relay_outcome(502, b"<html>bad gateway</html>")
        .err()
        .unwrap_or_else(|| panic!("ok"));
    assert_eq!(
        (e.kind.as_str(), e.status, e.code),
        ("edge", Some(502), None)
    );
}

#[test]
fn a_body_that_is_not_the_raw_bytes_says_so() {
    let secret = "whsec_raw_body_suite";
    let s = WebhookSecret::new(secret).unwrap_or_else(|e| panic!("{e}"));
    // What Pilot Status sent, and what JSON.stringify(req.body) makes of it after express.json().
    let sent = "{\"event\": \"number.connected\", \"data\": {\"numberId\": \"wa_1\", \"phone\": \"+5511999999999\", \"displayName\": \"Caf\\u00e9\", \"createdAt\": \"t\"}}";
    let restringified = r#"{"event":"number.connected","data":{"numberId":"wa_1","phone":"+5511999999999","displayName":"Café","createdAt":"t"}}"#;
    let sig = sign(&s, sent.as_bytes());
    assert!(tokens::verify_webhook(secret, sent.as_bytes(), Some(&sig)).is_ok());
    let e = tokens::verify_webhook(secret, restringified.as_bytes(), Some(&sig))
        .err()
        .unwrap_or_else(|| panic!("ok"));
    assert_eq!(
        (e.kind.as_str(), e.code.as_deref()),
        ("raw_body_required", Some("reserialised"))
    );
    assert!(e.message.starts_with("verifyWebhook needs the raw request body (a string, Buffer or Uint8Array exactly as received)"));
    // A forgery or a wrong secret stays a signature mismatch.
    let forged = sign(
        &WebhookSecret::new("whsec_forger").unwrap_or_else(|e| panic!("{e}")),
        sent.as_bytes(),
    );
    let e = tokens::verify_webhook(secret, restringified.as_bytes(), Some(&forged))
        .err()
        .unwrap_or_else(|| panic!("ok"));
    assert_eq!(
        (e.kind.as_str(), e.code.as_deref()),
        ("signature", Some("mismatch"))
    );

    let e = raw_body::required("verifyWebhook", "object");
    assert_eq!(
        e.message,
        "verifyWebhook needs the raw request body (a string, Buffer or Uint8Array exactly as received); got an object — is express.json() (or another body parser) running before this route?"
    );
    assert_eq!(
        (e.kind.as_str(), e.code.as_deref(), e.field.as_deref()),
        ("raw_body_required", Some("parsed"), Some("rawBody"))
    );
    assert_eq!(
        raw_body::required("relayWebhook", "undefined")
            .code
            .as_deref(),
        Some("missing")
    );
    assert!(raw_body::required("verifyWebhook", "object-string")
        .message
        .contains("[object Object]"));
}
