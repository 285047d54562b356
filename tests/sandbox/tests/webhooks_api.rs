//! `/v1/webhooks` over real HTTP through the core crate: create/list/get/update/delete/logs,
//! scopes (NUMBER_REQUIRED, NUMBER_MISMATCH, WEBHOOK_NOT_FOUND), and deliveries that follow the
//! registered webhook's `events` and `active`, signed with the dashboard secret.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{client, client_with, eventually, sandbox, Raw, Receiver, TENANT};
use pilot_connect::endpoints::{
    CreateNumber, CreateWebhook, DeleteWebhook, GetWebhook, ListWebhooks, UpdateWebhook,
    WebhookLogs,
};
use pilot_connect::webhook::{self, WebhookEvent};
use pilot_connect::{Client, Config, ErrorKind, WebhookSecret};
use pilot_sandbox::Options;

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
    let id = created.id().unwrap().to_owned();

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
