//! Webhook management (`/v1/webhooks`): golden requests, validation before sending, and the
//! lenient parsing of answers whose shape the contract does not document.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use common::{config, response, BASE, KEY};
use pilot_connect::endpoints::*;
use pilot_connect::{Error, ErrorKind, Method};

fn fixture(name: &str) -> &'static str {
    match name {
        "webhook_201.json" => include_str!("fixtures/webhook_201.json"),
        "webhook_list_200.json" => include_str!("fixtures/webhook_list_200.json"),
        "webhook_logs_200.json" => include_str!("fixtures/webhook_logs_200.json"),
        "error_400_number_required.json" => include_str!("fixtures/error_400_number_required.json"),
        "error_404_webhook.json" => include_str!("fixtures/error_404_webhook.json"),
        _ => panic!("unknown fixture {name}"),
    }
}

fn json(req: &pilot_connect::HttpRequest) -> serde_json::Value {
    serde_json::from_slice(&req.body).unwrap()
}

#[test]
fn create_golden() {
    let req = CreateWebhook::new(
        " https://example.com/hooks/pilot-status ",
        ["number.connected", "number.disconnected"],
    )
    .whatsapp_number_id("wa_abc")
    .to_request(&config())
    .unwrap();
    assert_eq!(req.method, Method::Post);
    assert_eq!(req.url(), format!("{BASE}/v1/webhooks"));
    assert_eq!(req.header("x-api-key"), Some(KEY));
    assert_eq!(
        json(&req),
        serde_json::json!({"url": "https://example.com/hooks/pilot-status",
                           "events": ["number.connected", "number.disconnected"], "whatsappNumberId": "wa_abc"})
    );
    let paused = CreateWebhook::new("http://127.0.0.1:1/h", ["*"])
        .active(false)
        .to_request(&config())
        .unwrap();
    assert_eq!(
        json(&paused),
        serde_json::json!({"url": "http://127.0.0.1:1/h", "events": ["*"], "active": false})
    );
}

#[test]
fn list_get_update_delete_logs_golden() {
    let c = config();
    let list = ListWebhooks::new().to_request(&c).unwrap();
    assert_eq!(
        (list.method, list.path_and_query()),
        (Method::Get, "/v1/webhooks")
    );
    let get = GetWebhook::new("wh_1").to_request(&c).unwrap();
    assert_eq!(
        (get.method, get.path_and_query()),
        (Method::Get, "/v1/webhooks/wh_1")
    );
    let patch = UpdateWebhook::new("wh_1")
        .events(["*"])
        .active(false)
        .to_request(&c)
        .unwrap();
    assert_eq!(
        (patch.method, patch.path_and_query()),
        (Method::Patch, "/v1/webhooks/wh_1")
    );
    assert_eq!(
        json(&patch),
        serde_json::json!({"events": ["*"], "active": false})
    );
    let url_only = UpdateWebhook::new("wh_1")
        .url("https://new.example/h")
        .to_request(&c)
        .unwrap();
    assert_eq!(
        json(&url_only),
        serde_json::json!({"url": "https://new.example/h"})
    );
    let del = DeleteWebhook::new("wh_1").to_request(&c).unwrap();
    assert_eq!(
        (del.method, del.path_and_query(), del.body.len()),
        (Method::Delete, "/v1/webhooks/wh_1", 0)
    );
    let logs = WebhookLogs::new("wh_1")
        .limit(50)
        .event("number.connected")
        .to_request(&c)
        .unwrap();
    assert_eq!(
        logs.path_and_query(),
        "/v1/webhooks/wh_1/logs?limit=50&event=number%2Econnected"
    );
    assert_eq!(
        WebhookLogs::new("wh_1")
            .to_request(&c)
            .unwrap()
            .path_and_query(),
        "/v1/webhooks/wh_1/logs"
    );
}

#[test]
fn bad_input_is_refused_before_sending() {
    let c = config();
    let field = |e: Error| match e {
        Error::Validation(v) => v.to_string(),
        other => panic!("not a validation error: {other:?}"),
    };
    for (url, why) in [
        ("", "empty"),
        ("ftp://x", "scheme"),
        ("https://", "no host"),
        ("https://a b", "space"),
        ("/hooks", "relative"),
    ] {
        let e = CreateWebhook::new(url, ["*"]).to_request(&c).unwrap_err();
        assert!(field(e).contains("`url`"), "{why}");
    }
    let e = CreateWebhook::new("https://a.example/h", Vec::<String>::new())
        .to_request(&c)
        .unwrap_err();
    assert!(field(e).contains("dispatches nothing"));
    let e = CreateWebhook::new("https://a.example/h", [" "])
        .to_request(&c)
        .unwrap_err();
    assert!(field(e).contains("`events`"));
    let e = UpdateWebhook::new("wh_1").to_request(&c).unwrap_err();
    assert!(field(e).contains("at least one"));
    let e = UpdateWebhook::new("wh_1")
        .events(Vec::<String>::new())
        .to_request(&c)
        .unwrap_err();
    assert!(field(e).contains("dispatches nothing"));
    for limit in [0, 51] {
        let e = WebhookLogs::new("wh_1")
            .limit(limit)
            .to_request(&c)
            .unwrap_err();
        assert!(field(e).contains("`limit`"));
    }
    // Ids stay one segment: no walking from /v1/webhooks/{id} into /logs or another resource.
    let req = GetWebhook::new("wh_1/logs").to_request(&c).unwrap();
    assert_eq!(req.path_and_query(), "/v1/webhooks/wh_1%2Flogs");
    assert!(DeleteWebhook::new("..").to_request(&c).is_err());
}

#[test]
fn answers_parse_leniently() {
    let created = CreateWebhook::new("https://example.com/h", ["*"])
        .parse(&response(201, fixture("webhook_201.json")))
        .unwrap();
    assert_eq!(created.id, "wh_01J8ZK");
    assert_eq!(
        created.events.as_deref(),
        Some(
            &[
                "number.connected".to_owned(),
                "number.disconnected".to_owned()
            ][..]
        )
    );
    assert_eq!(created.extra["secretHint"], "…7f3a");
    // Wrapped as {webhook: …} parses the same.
    let wrapped = format!(r#"{{"webhook": {}}}"#, fixture("webhook_201.json"));
    assert_eq!(
        GetWebhook::new("wh_01J8ZK")
            .parse(&response(200, &wrapped))
            .unwrap(),
        created
    );

    let list = ListWebhooks::new()
        .parse(&response(200, fixture("webhook_list_200.json")))
        .unwrap();
    assert_eq!((list.len(), list[0].active), (1, Some(false)));
    let bare = serde_json::to_string(&list).unwrap();
    assert_eq!(
        ListWebhooks::new().parse(&response(200, &bare)).unwrap(),
        list
    );

    let logs = WebhookLogs::new("wh_1")
        .parse(&response(200, fixture("webhook_logs_200.json")))
        .unwrap();
    assert_eq!(
        (logs[0].status_code, logs[1].status_code),
        (Some(200), None)
    );
    assert_eq!(logs[0].extra["durationMs"], 84);

    assert!(
        DeleteWebhook::new("wh_1")
            .parse(&response(204, ""))
            .unwrap()
            .ok
    );
    assert!(
        DeleteWebhook::new("wh_1")
            .parse(&response(200, r#"{"ok":true}"#))
            .unwrap()
            .ok
    );

    // A body that fits no shape names the JSON path of the documented (bare) one.
    let e = GetWebhook::new("wh_1")
        .parse(&response(200, r#"{"id": 7}"#))
        .unwrap_err();
    assert!(matches!(&e, Error::Decode(d) if d.path == "id"), "{e:?}");
}

#[test]
fn documented_errors() {
    let e = CreateWebhook::new("https://a.example/h", ["*"])
        .parse(&response(400, fixture("error_400_number_required.json")))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BadRequest);
    assert_eq!(e.code().map(|c| c.as_str()), Some("NUMBER_REQUIRED"));
    let e = GetWebhook::new("wh_x")
        .parse(&response(404, fixture("error_404_webhook.json")))
        .unwrap_err();
    assert_eq!(
        (e.kind(), e.code().map(|c| c.as_str())),
        (ErrorKind::NotFound, Some("WEBHOOK_NOT_FOUND"))
    );
}

#[test]
fn name_and_one_numbers_list() {
    let c = config();
    let req = CreateWebhook::new(
        "https://connect.example/v1/hooks/pilot-status",
        ["number.connected"],
    )
    .whatsapp_number_id("wa_abc")
    .name(" pilot-connect edge ")
    .to_request(&c)
    .unwrap();
    assert_eq!(json(&req)["name"], "pilot-connect edge", "trimmed");
    let patch = UpdateWebhook::new("wh_1")
        .name("renamed")
        .to_request(&c)
        .unwrap();
    assert_eq!(
        json(&patch),
        serde_json::json!({"name": "renamed"}),
        "a name alone is a change"
    );
    let long = "x".repeat(MAX_WEBHOOK_NAME + 1);
    for bad in ["", "  ", "a\u{7}b", long.as_str()] {
        let e = CreateWebhook::new("https://a.example/h", ["*"])
            .name(bad)
            .to_request(&c)
            .unwrap_err();
        assert!(e.to_string().contains("`name`"), "{bad:?}: {e}");
        let e = UpdateWebhook::new("wh_1")
            .name(bad)
            .to_request(&c)
            .unwrap_err();
        assert!(e.to_string().contains("`name`"), "{bad:?}: {e}");
    }
    assert!(
        CreateWebhook::new("https://a.example/h", ["*"])
            .name("é".repeat(MAX_WEBHOOK_NAME))
            .to_request(&c)
            .is_ok(),
        "counted in characters, not bytes"
    );
    let parsed = GetWebhook::new("wh_1")
        .parse(&response(
            200,
            r#"{"id":"wh_1","name":"pilot-connect edge"}"#,
        ))
        .unwrap();
    assert_eq!(parsed.name.as_deref(), Some("pilot-connect edge"));

    // One number's webhooks: its header, replacing the config's.
    let list = ListWebhooks::new()
        .whatsapp_number_id("wa_2")
        .to_request(&c.clone().with_whatsapp_number_id("wa_1"))
        .unwrap();
    let numbers: Vec<_> = list
        .headers
        .iter()
        .filter(|h| h.name == "x-whatsapp-number-id")
        .map(|h| h.value.as_str())
        .collect();
    assert_eq!(numbers, ["wa_2"]);
    assert!(ListWebhooks::new()
        .whatsapp_number_id(" ")
        .to_request(&c)
        .is_err());
}
