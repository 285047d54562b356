//! The hosted Meta signup: a `provider: "META"` remote-pairing link's `remotePairingUrl` is a
//! local page playing Meta's Embedded Signup; finishing (page form or control route) makes an
//! official number, sends signed `number.created` / `number.connected`, spends the link and
//! redirects; cancel and fail leave no number. Every undocumented choice is a flag, and each
//! mode is checked here by what a client can observe.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::*;
use pilot_connect::webhook::{self, EventName, WebhookEvent};
use pilot_connect::WebhookSecret;
use pilot_sandbox::{
    LinkAfterAbort, LinkAfterSuccess, LinkExternalRef, LinkNumberId, MetaNumbers, Options,
    RedirectParams,
};
use serde_json::{json, Value};

const SECRET: &str = "whsec_hosted_meta";
const REDIRECT: &str = "https://app.example/after-signup?tenant=7";

/// A sandbox delivering every webhook to a local receiver, with `opts` on top.
async fn sandbox_with_hooks(opts: Options) -> (pilot_sandbox::Running, Receiver) {
    let (rx, url) = Receiver::start(0).await;
    let sb = sandbox(Options {
        webhook_urls: vec![url],
        webhook_secret: SECRET.into(),
        ..opts
    })
    .await;
    (sb, rx)
}

/// Creates a Meta link; returns its token.
async fn meta_link(raw: &Raw, extra: Value) -> String {
    let mut body = json!({"provider": "META"});
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    let (s, _, v) = raw
        .call(
            "POST",
            "/v1/numbers/remote-pairing",
            Some(TENANT),
            Some(&body.to_string()),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["numberId"], Value::Null, "{v}");
    let token = v["remotePairingToken"].as_str().unwrap().to_owned();
    assert_eq!(
        v["remotePairingUrl"].as_str().unwrap(),
        format!("{}/connect/{token}", raw.base)
    );
    token
}

/// A link with everything a SaaS can give: redirect, correlation reference, branding.
async fn full_link(raw: &Raw) -> String {
    meta_link(
        raw,
        json!({
            "redirectUrl": REDIRECT, "externalRef": "crm-42/ü", "metaFlow": "embedded",
            "branding": {"companyName": "Acme <Lojas> & Cia", "primaryColor": "#0A84FF", "subtitle": "Atendimento"},
        }),
    )
    .await
}

/// An HTTP client that does not follow redirects (the test reads `Location`).
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

struct Page {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: String,
}

async fn get_page(base: &str, path: &str) -> Page {
    let r = browser().get(format!("{base}{path}")).send().await.unwrap();
    Page {
        status: r.status().as_u16(),
        headers: r.headers().clone(),
        body: r.text().await.unwrap(),
    }
}

fn form_encode(fields: &[(&str, &str)]) -> String {
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                    char::from(b).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect()
    };
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Posts a form like the page does (`action` of one of its forms).
async fn post_form(base: &str, path: &str, fields: &[(&str, &str)]) -> Page {
    let r = browser()
        .post(format!("{base}{path}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form_encode(fields))
        .send()
        .await
        .unwrap();
    Page {
        status: r.status().as_u16(),
        headers: r.headers().clone(),
        body: r.text().await.unwrap(),
    }
}

/// The value of `attr` on the element with id `id` (the page writes `id` first).
fn attr(html: &str, id: &str, attr: &str) -> Option<String> {
    let start = html.find(&format!("id=\"{id}\""))?;
    let tag_end = start + html[start..].find('>')?;
    let tag = &html[start..tag_end];
    let at = tag.find(&format!(" {attr}=\""))? + attr.len() + 3;
    Some(tag[at..at + tag[at..].find('"')?].to_owned())
}

/// Whether the element with id `id` carries `hidden`.
fn hidden(html: &str, id: &str) -> bool {
    let start = html.find(&format!("id=\"{id}\"")).unwrap();
    let tag = &html[start..start + html[start..].find('>').unwrap()];
    tag.contains(" hidden")
}

/// The `value`s of the `<option>`s of the select with id `id`.
fn options(html: &str, id: &str) -> Vec<String> {
    let start = html.find(&format!("id=\"{id}\"")).unwrap();
    let end = start + html[start..].find("</select>").unwrap();
    html[start..end]
        .split("<option value=\"")
        .skip(1)
        .map(|s| s[..s.find('"').unwrap()].to_owned())
        .collect()
}

async fn control(raw: &Raw, token: &str, action: &str, body: Option<Value>) -> (u16, Value) {
    let body = body.map(|b| b.to_string());
    let (s, _, v) = raw
        .call(
            "POST",
            &format!("/_sandbox/remote-pairing/{token}/{action}"),
            None,
            body.as_deref(),
        )
        .await;
    (s, v)
}

async fn public(raw: &Raw, token: &str, tail: &str) -> (u16, Value) {
    let (s, _, v) = raw
        .call(
            "GET",
            &format!("/v1/remote-pairing/{token}{tail}"),
            None,
            None,
        )
        .await;
    (s, v)
}

async fn detail(raw: &Raw, id: &str) -> Value {
    let (s, _, v) = raw
        .call("GET", &format!("/v1/numbers/{id}"), Some(TENANT), None)
        .await;
    assert_eq!(s, 200, "{v}");
    v
}

/// Every delivery the receiver got: signature checked, (event, raw JSON body).
fn deliveries(rx: &Receiver) -> Vec<(EventName, Value)> {
    let key = WebhookSecret::new(SECRET).unwrap();
    rx.got
        .lock()
        .unwrap()
        .iter()
        .map(|(sig, body)| {
            let ev = webhook::verify_and_parse(&key, body, sig.as_deref()).expect("signed");
            let WebhookEvent::Number { event, .. } = ev else {
                panic!("a number.* event")
            };
            (event, serde_json::from_slice(body).unwrap())
        })
        .collect()
}

/// Waits for exactly `n` deliveries (and a little longer, to catch extra ones).
async fn expect_deliveries(rx: &Receiver, n: usize) -> Vec<(EventName, Value)> {
    assert!(
        eventually(5.0, || rx.count() >= n).await,
        "{n} deliveries, got {}",
        rx.count()
    );
    tokio::time::sleep(Duration::from_millis(150)).await;
    let got = deliveries(rx);
    assert_eq!(got.len(), n, "{got:?}");
    got
}

#[tokio::test]
async fn the_link_page_plays_embedded_signup_and_finishing_it_makes_an_official_number() {
    let (sb, rx) = sandbox_with_hooks(Options::default()).await;
    let raw = Raw::new(&sb.base_url);
    let token = full_link(&raw).await;
    let path = format!("/connect/{token}");

    // The page: HTML, the link's branding, every control findable, nothing from elsewhere.
    let page = get_page(&sb.base_url, &path).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(
        page.headers["content-type"].to_str().unwrap(),
        "text/html; charset=utf-8"
    );
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.starts_with("default-src 'none'"), "{csp}");
    let html = &page.body;
    assert!(html.starts_with("<!doctype html>"));
    assert!(
        html.contains("<h1 id=\"company-name\">Acme &lt;Lojas&gt; &amp; Cia</h1>"),
        "{html}"
    );
    assert!(html.contains("<p id=\"subtitle\">Atendimento</p>"));
    assert!(html.contains("--primary:#0A84FF"));
    assert!(!html.contains("Acme <Lojas>"), "escaped");
    for external in ["http:", "https:", "//", " src=", "@import", "url("] {
        assert!(!html.contains(external), "{external:?} in the page");
    }
    for id in [
        "continue",
        "pick-number",
        "other-number",
        "display-name",
        "finish",
        "cancel-step",
        "cancel",
        "error-message",
        "error-id",
        "fail",
        "finish-form",
        "cancel-form",
        "fail-form",
    ] {
        assert!(html.contains(&format!("id=\"{id}\"")), "#{id}");
    }
    assert_eq!(attr(html, "signup", "data-token").unwrap(), token);
    // "Continue with Facebook" first; the number step opens on it (script, or ?step=number).
    assert!(!hidden(html, "step-login") && hidden(html, "step-number"));
    assert_eq!(
        attr(html, "continue", "href").unwrap(),
        format!("{path}?step=number")
    );
    assert_eq!(
        attr(html, "finish-form", "action").unwrap(),
        format!("{path}/finish")
    );
    assert_eq!(
        attr(html, "cancel-form", "action").unwrap(),
        format!("{path}/cancel")
    );
    assert_eq!(
        attr(html, "fail-form", "action").unwrap(),
        format!("{path}/fail")
    );
    assert_eq!(
        attr(html, "display-name", "value").unwrap(),
        "Acme &lt;Lojas&gt; &amp; Cia"
    );
    let numbers = options(html, "pick-number");
    assert_eq!(numbers.len(), 3, "{numbers:?}");
    assert!(numbers.iter().all(|n| n.starts_with("+55")));
    assert_eq!(
        options(html, "cancel-step"),
        [
            "BUSINESS_ACCOUNT_SELECTION",
            "WABA_PHONE_PROFILE_PICKER",
            "WHATSAPP_BUSINESS_PROFILE_SETUP",
            "PHONE_NUMBER_SETUP",
            "PHONE_NUMBER_VERIFICATION",
            "PERMISSIONS"
        ]
    );
    let step2 = get_page(&sb.base_url, &format!("{path}?step=number")).await;
    assert!(hidden(&step2.body, "step-login") && !hidden(&step2.body, "step-number"));

    // Pending while not finished.
    assert_eq!(
        public(&raw, &token, "/status").await,
        (200, json!({"state": "CLOSE", "isFullyConnected": false}))
    );
    let (s, info) = public(&raw, &token, "").await;
    assert_eq!((s, &info["valid"]), (200, &json!(true)));
    assert!(
        info.get("provider").is_none(),
        "the documented token info has no provider: {info}"
    );
    assert_eq!(info["branding"]["companyName"], "Acme <Lojas> & Cia");
    assert!(info.get("state").is_none(), "{info}");

    // Finish with the form, as the page posts it: 303 to the link's redirectUrl, as given.
    let picked = numbers[1].clone();
    let done = post_form(
        &sb.base_url,
        &format!("{path}/finish"),
        &[
            ("number", &picked),
            ("otherNumber", ""),
            ("displayName", "Acme Lojas"),
        ],
    )
    .await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(done.headers["location"].to_str().unwrap(), REDIRECT);

    // The number: official, connected, picked phone and name.
    let view = raw
        .call(
            "GET",
            &format!("/_sandbox/remote-pairing/{token}"),
            None,
            None,
        )
        .await
        .2;
    let id = view["numberId"].as_str().unwrap().to_owned();
    assert_eq!(view["status"], "finished", "{view}");
    let d = detail(&raw, &id).await;
    assert_eq!(
        (
            &d["provider"],
            &d["state"],
            &d["isFullyConnected"],
            &d["name"]
        ),
        (
            &json!("META"),
            &json!("OPEN"),
            &json!(true),
            &json!("Acme Lojas")
        )
    );
    assert_eq!(d["number"], picked.trim_start_matches('+'));
    assert_eq!(d["health"]["metaStatus"], "CONNECTED");
    assert!(d["metaPhoneId"].as_str().unwrap().len() == 15, "{d}");
    assert!(d.get("externalRef").is_none(), "default: webhook only: {d}");

    // number.created then number.connected, signed like every delivery, with externalRef.
    let got = expect_deliveries(&rx, 2).await;
    let mut names: Vec<EventName> = got.iter().map(|(e, _)| e.clone()).collect();
    names.sort_by_key(|e| format!("{e:?}"));
    assert_eq!(
        names,
        [EventName::NumberConnected, EventName::NumberCreated]
    );
    for (_, body) in &got {
        assert_eq!(body["data"]["numberId"], id.as_str());
        assert_eq!(body["data"]["phone"], picked.as_str());
        assert_eq!(body["data"]["displayName"], "Acme Lojas");
        assert_eq!(body["data"]["externalRef"], "crm-42/ü");
    }

    // Default --link-after-success open-then-gone: OPEN once (no numberId), then 404.
    let (s, st) = public(&raw, &token, "").await;
    assert_eq!(
        (s, &st["state"]),
        (200, &json!("OPEN")),
        "info reads do not clear it"
    );
    assert!(st.get("numberId").is_none(), "{st}");
    let (s, st) = public(&raw, &token, "/status").await;
    assert_eq!(
        (s, &st["state"], &st["isFullyConnected"]),
        (200, &json!("OPEN"), &json!(true)),
        "{st}"
    );
    assert!(st.get("numberId").is_none(), "{st}");
    assert_eq!(public(&raw, &token, "/status").await.0, 404);
    assert_eq!(public(&raw, &token, "").await.0, 404);

    // Single use: the page, its forms and the control routes say so.
    let again = get_page(&sb.base_url, &path).await;
    assert_eq!(again.status, 410);
    assert_eq!(
        attr(&again.body, "link-gone", "data-reason").unwrap(),
        "used"
    );
    let again = post_form(&sb.base_url, &format!("{path}/finish"), &[]).await;
    assert_eq!(again.status, 410);
    for action in ["finish", "cancel", "fail"] {
        let (s, v) = control(&raw, &token, action, None).await;
        assert_eq!((s, v["code"].as_str()), (410, Some("LINK_USED")), "{v}");
    }
    let view = raw
        .call(
            "GET",
            &format!("/_sandbox/remote-pairing/{token}"),
            None,
            None,
        )
        .await
        .2;
    assert_eq!(
        (&view["status"], &view["numberId"]),
        (&json!("used"), &json!(id))
    );
    assert_eq!(
        (
            &view["redirectUrl"],
            &view["externalRef"],
            &view["metaFlow"]
        ),
        (&json!(REDIRECT), &json!("crm-42/ü"), &json!("embedded"))
    );
    expect_deliveries(&rx, 2).await;
    sb.stop().await.unwrap();
}

#[tokio::test]
async fn the_control_routes_finish_cancel_and_fail_like_the_buttons() {
    let (sb, rx) = sandbox_with_hooks(Options::default()).await;
    let raw = Raw::new(&sb.base_url);
    let token = meta_link(&raw, json!({"externalRef": "ref-1"})).await;
    let path = format!("/connect/{token}");

    // Cancel at a step (any case): no number, no webhook, the link stays pending.
    let (s, v) = control(&raw, &token, "cancel", Some(json!({"step": "permissions"}))).await;
    assert_eq!(
        (s, v),
        (
            200,
            json!({"ok": true, "outcome": "cancelled", "step": "PERMISSIONS", "linkUsable": true})
        )
    );
    let (s, v) = control(&raw, &token, "cancel", None).await;
    assert_eq!((s, &v["step"]), (200, &json!("PHONE_NUMBER_SETUP")));
    let (s, v) = control(&raw, &token, "cancel", Some(json!({"step": "LUNCH"}))).await;
    assert_eq!((s, &v["error"]), (400, &json!("Validation error")), "{v}");
    assert!(v["details"]
        .as_str()
        .unwrap()
        .contains("BUSINESS_ACCOUNT_SELECTION"));

    // The same through the page's cancel form: a result page with a way back.
    let page = post_form(
        &sb.base_url,
        &format!("{path}/cancel"),
        &[("step", "WABA_PHONE_PROFILE_PICKER")],
    )
    .await;
    assert_eq!(page.status, 200);
    assert_eq!(
        attr(&page.body, "result", "data-outcome").unwrap(),
        "cancelled"
    );
    assert_eq!(
        attr(&page.body, "result", "data-step").unwrap(),
        "WABA_PHONE_PROFILE_PICKER"
    );
    assert_eq!(attr(&page.body, "try-again", "href").unwrap(), path);
    let page = post_form(&sb.base_url, &format!("{path}/cancel"), &[("step", "nope")]).await;
    assert_eq!(page.status, 400);
    assert!(page.body.contains("id=\"error\""), "{}", page.body);
    assert!(
        !hidden(&page.body, "step-number"),
        "back on the number step"
    );

    // Fail with Meta's error id, from the page and from the control route.
    let page = post_form(
        &sb.base_url,
        &format!("{path}/fail"),
        &[
            ("errorId", "ES-1234"),
            ("errorMessage", "The display name was not approved."),
        ],
    )
    .await;
    assert_eq!(page.status, 200);
    assert_eq!(
        attr(&page.body, "result", "data-outcome").unwrap(),
        "failed"
    );
    assert_eq!(
        attr(&page.body, "result", "data-error-id").unwrap(),
        "ES-1234"
    );
    assert!(page.body.contains("The display name was not approved."));
    let (s, v) = control(&raw, &token, "fail", Some(json!({"errorId": "524126"}))).await;
    assert_eq!(
        (s, &v["outcome"], &v["errorId"], &v["linkUsable"]),
        (200, &json!("failed"), &json!("524126"), &json!(true)),
        "{v}"
    );
    assert!(v["errorMessage"].as_str().unwrap().contains("registered"));
    assert_eq!(v["sessionId"].as_str().unwrap().len(), 16);
    let (s, v) = control(&raw, &token, "fail", Some(json!({"errorId": "has space"}))).await;
    assert_eq!(s, 400, "{v}");
    let (s, v) = control(&raw, &token, "fail", Some(json!({"errorId": 7}))).await;
    assert_eq!(s, 400, "{v}");

    // Still pending, and nothing was made or sent.
    assert_eq!(public(&raw, &token, "/status").await.1["state"], "CLOSE");
    let view = raw
        .call(
            "GET",
            &format!("/_sandbox/remote-pairing/{token}"),
            None,
            None,
        )
        .await
        .2;
    assert_eq!(view["status"], "pending");
    let outcomes: Vec<&str> = view["aborts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(
        outcomes,
        ["cancelled", "cancelled", "cancelled", "failed", "failed"]
    );
    assert_eq!(view["aborts"][3]["errorId"], "ES-1234");
    let (_, _, list) = raw.call("GET", "/v1/numbers", Some(TENANT), None).await;
    assert_eq!(list, json!([]));
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(rx.count(), 0);

    // Finish refuses bad input and a phone already taken, and changes nothing then.
    let qr_id = raw.create_id("Loja", "+5511955501234").await;
    let (s, v) = control(
        &raw,
        &token,
        "finish",
        Some(json!({"number": "+55 11 95550-1234"})),
    )
    .await;
    assert_eq!(
        (s, &v["error"]),
        (409, &json!("Number already exists")),
        "{v}"
    );
    let page = post_form(
        &sb.base_url,
        &format!("{path}/finish"),
        &[
            ("number", "+5511955500001"),
            ("otherNumber", "+5511955501234"),
        ],
    )
    .await;
    assert_eq!(
        page.status, 409,
        "the typed number wins over the picked one"
    );
    assert!(page.body.contains("Number already exists"));
    for bad in [
        json!({"number": "12ab"}),
        json!({"number": 5511}),
        json!({"displayName": "x".repeat(61)}),
    ] {
        let (s, v) = control(&raw, &token, "finish", Some(bad.clone())).await;
        assert_eq!(
            (s, &v["error"]),
            (400, &json!("Validation error")),
            "{bad}: {v}"
        );
    }
    let (s, _, v) = raw
        .call(
            "POST",
            &format!("/_sandbox/remote-pairing/{token}/finish"),
            None,
            Some("[]"),
        )
        .await;
    assert_eq!(s, 400, "{v}");

    // Finish through the control route, typed with spaces: the number the page would make.
    let (s, v) = control(
        &raw,
        &token,
        "finish",
        Some(json!({"number": "+55 (11) 95550-9999"})),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        (&v["outcome"], &v["number"], &v["state"], &v["metaStatus"]),
        (
            &json!("finished"),
            &json!("+5511955509999"),
            &json!("OPEN"),
            &json!("CONNECTED")
        )
    );
    assert_eq!(
        (&v["displayName"], &v["redirect"], &v["tokenCleared"]),
        (&json!("WhatsApp Business"), &Value::Null, &json!(false))
    );
    let id = v["numberId"].as_str().unwrap().to_owned();
    // The QR number's number.created, then the Meta number's created + connected.
    let got = expect_deliveries(&rx, 3).await;
    let mine: Vec<_> = got
        .iter()
        .filter(|(_, b)| b["data"]["numberId"] == id.as_str())
        .collect();
    assert_eq!(mine.len(), 2, "{got:?}");
    assert!(mine
        .iter()
        .all(|(_, b)| b["data"]["externalRef"] == "ref-1"));
    assert_eq!(detail(&raw, &id).await["health"]["metaStatus"], "CONNECTED");
    assert_eq!(detail(&raw, &qr_id).await["provider"], "PILOT_STATUS");
    sb.stop().await.unwrap();
}

#[tokio::test]
async fn a_finish_without_a_redirect_shows_a_result_page_and_tells_the_embedder() {
    let (sb, rx) = sandbox_with_hooks(Options::default()).await;
    let raw = Raw::new(&sb.base_url);
    // The tenant's branding stands in when the link has none.
    let (s, _, _) = raw
        .call(
            "PUT",
            "/v1/branding",
            Some(TENANT),
            Some(r#"{"companyName":"Tenant Co","hidePilotStatusBranding":true}"#),
        )
        .await;
    assert_eq!(s, 200);
    let token = meta_link(&raw, json!({})).await;
    let path = format!("/connect/{token}");
    let page = get_page(&sb.base_url, &path).await;
    assert!(page.body.contains("<h1 id=\"company-name\">Tenant Co</h1>"));
    assert!(!page.body.contains("powered-by"));
    let first = options(&page.body, "pick-number")[0].clone();

    // No field at all: the first offered number, the company name as display name.
    let done = post_form(&sb.base_url, &format!("{path}/finish"), &[]).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert_eq!(
        attr(&done.body, "result", "data-outcome").unwrap(),
        "finished"
    );
    assert_eq!(attr(&done.body, "result", "data-number").unwrap(), first);
    assert_eq!(attr(&done.body, "result", "data-state").unwrap(), "OPEN");
    let id = attr(&done.body, "result", "data-number-id").unwrap();
    // The embed Connect message for the opener / parent frame.
    assert!(
        done.body.contains(r#""type":"connect:paired""#),
        "{}",
        done.body
    );
    assert!(done.body.contains(&format!(r#""numberId":"{id}""#)));
    assert_eq!(detail(&raw, &id).await["name"], "Tenant Co");
    // A link without externalRef adds none to the webhooks.
    let got = expect_deliveries(&rx, 2).await;
    assert!(got
        .iter()
        .all(|(_, b)| b["data"].get("externalRef").is_none()));

    // The number the page offers next is another one.
    let token2 = meta_link(&raw, json!({})).await;
    let page = get_page(&sb.base_url, &format!("/connect/{token2}")).await;
    assert!(!options(&page.body, "pick-number").contains(&first));
    sb.stop().await.unwrap();
}

#[tokio::test]
async fn unknown_qr_and_expired_links_are_refused_clearly() {
    let sb = sandbox(Options::default()).await;
    let raw = Raw::new(&sb.base_url);

    let page = get_page(&sb.base_url, "/connect/no-such-token").await;
    assert_eq!(page.status, 404);
    assert_eq!(
        attr(&page.body, "link-gone", "data-reason").unwrap(),
        "unknown"
    );
    let page = post_form(&sb.base_url, "/connect/no-such-token/finish", &[]).await;
    assert_eq!(page.status, 404);
    for action in ["finish", "cancel", "fail"] {
        let (s, v) = control(&raw, "no-such-token", action, None).await;
        assert_eq!(
            (s, v["code"].as_str()),
            (404, Some("LINK_NOT_FOUND")),
            "{v}"
        );
    }
    assert_eq!(
        raw.call("GET", "/_sandbox/remote-pairing/no-such-token", None, None)
            .await
            .0,
        404
    );

    // A QR link keeps its behaviour: no hosted page here, and the control routes say why.
    let (s, _, qr) = raw
        .call(
            "POST",
            "/v1/numbers/remote-pairing",
            Some(TENANT),
            Some(r#"{"name":"Loja","number":"+5511970000301"}"#),
        )
        .await;
    assert_eq!(s, 201);
    let qr_token = qr["remotePairingToken"].as_str().unwrap();
    assert_eq!(
        get_page(&sb.base_url, &format!("/connect/{qr_token}"))
            .await
            .status,
        404
    );
    let (s, v) = control(&raw, qr_token, "finish", None).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (400, Some("FEATURE_NOT_SUPPORTED"))
    );
    let (s, st) = public(&raw, qr_token, "/status").await;
    assert_eq!((s, &st["state"]), (200, &json!("CLOSE")));

    // Bad Meta link input is refused at creation.
    for bad in [
        json!({"provider": "META", "redirectUrl": "/relative"}),
        json!({"provider": "META", "redirectUrl": "ftp://x.example/"}),
        json!({"provider": "META", "redirectUrl": 3}),
        json!({"provider": "META", "externalRef": ""}),
        json!({"provider": "META", "externalRef": {"id": 1}}),
        json!({"provider": "META", "metaFlow": "popup"}),
    ] {
        let (s, _, v) = raw
            .call(
                "POST",
                "/v1/numbers/remote-pairing",
                Some(TENANT),
                Some(&bad.to_string()),
            )
            .await;
        assert_eq!(
            (s, &v["error"]),
            (400, &json!("Validation error")),
            "{bad}: {v}"
        );
    }

    sb.stop().await.unwrap();

    // 24 h later the link is expired: 410 on the page and the control routes, 404 publicly.
    let sb = sandbox(Options {
        // 24 virtual hours in about 0.43 s.
        time_scale: 200_000.0,
        ..Options::default()
    })
    .await;
    let raw = Raw::new(&sb.base_url);
    let token = meta_link(&raw, json!({"redirectUrl": "http://127.0.0.1:9/done"})).await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    let page = get_page(&sb.base_url, &format!("/connect/{token}")).await;
    assert_eq!(page.status, 410);
    assert_eq!(
        attr(&page.body, "link-gone", "data-reason").unwrap(),
        "expired"
    );
    assert!(page.body.contains(r#""type":"connect:expired""#));
    let (s, v) = control(&raw, &token, "finish", None).await;
    assert_eq!((s, v["code"].as_str()), (410, Some("LINK_EXPIRED")), "{v}");
    assert_eq!(public(&raw, &token, "/status").await.0, 404);
    assert_eq!(public(&raw, &token, "").await.0, 404);
    let view = raw
        .call(
            "GET",
            &format!("/_sandbox/remote-pairing/{token}"),
            None,
            None,
        )
        .await
        .2;
    assert_eq!(view["status"], "expired");
    sb.stop().await.unwrap();
}

#[tokio::test]
async fn link_after_success_gone_clears_the_token_at_once() {
    let (sb, _rx) = sandbox_with_hooks(Options {
        link_after_success: LinkAfterSuccess::Gone,
        ..Options::default()
    })
    .await;
    let raw = Raw::new(&sb.base_url);
    let token = full_link(&raw).await;
    let (s, v) = control(&raw, &token, "finish", None).await;
    assert_eq!((s, &v["tokenCleared"]), (200, &json!(true)), "{v}");
    assert_eq!(public(&raw, &token, "/status").await.0, 404);
    assert_eq!(public(&raw, &token, "").await.0, 404);
    let page = get_page(&sb.base_url, &format!("/connect/{token}")).await;
    assert_eq!(
        (
            page.status,
            attr(&page.body, "link-gone", "data-reason").as_deref()
        ),
        (410, Some("used"))
    );
    sb.stop().await.unwrap();
}

#[tokio::test]
async fn link_number_id_puts_the_id_where_it_says() {
    for (mode, in_info, in_status) in [
        (LinkNumberId::None, false, false),
        (LinkNumberId::Status, false, true),
        (LinkNumberId::Info, true, false),
        (LinkNumberId::Both, true, true),
    ] {
        let sb = sandbox(Options {
            link_number_id: mode,
            ..Options::default()
        })
        .await;
        let raw = Raw::new(&sb.base_url);
        let token = meta_link(&raw, json!({})).await;
        // Before the finish there is no number to name, in any mode.
        assert!(public(&raw, &token, "/status")
            .await
            .1
            .get("numberId")
            .is_none());
        assert!(public(&raw, &token, "").await.1.get("numberId").is_none());
        let (_, v) = control(&raw, &token, "finish", None).await;
        let id = v["numberId"].clone();
        let (_, info) = public(&raw, &token, "").await;
        let (_, status) = public(&raw, &token, "/status").await;
        assert_eq!(
            info.get("numberId") == Some(&id),
            in_info,
            "{mode:?}: {info}"
        );
        assert_eq!(
            status.get("numberId") == Some(&id),
            in_status,
            "{mode:?}: {status}"
        );
        assert_eq!(info.get("numberId").is_some(), in_info, "{mode:?}");
        assert_eq!(status.get("numberId").is_some(), in_status, "{mode:?}");
        sb.stop().await.unwrap();
    }
}

#[tokio::test]
async fn link_external_ref_echoes_it_where_it_says() {
    for (mode, in_hooks, in_detail) in [
        (LinkExternalRef::None, false, false),
        (LinkExternalRef::Webhook, true, false),
        (LinkExternalRef::Detail, false, true),
        (LinkExternalRef::Both, true, true),
    ] {
        let (sb, rx) = sandbox_with_hooks(Options {
            link_external_ref: mode,
            ..Options::default()
        })
        .await;
        let raw = Raw::new(&sb.base_url);
        let token = meta_link(&raw, json!({"externalRef": "order-77"})).await;
        let (_, v) = control(&raw, &token, "finish", None).await;
        let id = v["numberId"].as_str().unwrap().to_owned();
        let d = detail(&raw, &id).await;
        assert_eq!(
            d.get("externalRef") == Some(&json!("order-77")),
            in_detail,
            "{mode:?}: {d}"
        );
        assert_eq!(d.get("externalRef").is_some(), in_detail, "{mode:?}");
        // Every later number.* event of that number carries it the same way.
        let (s, _, _) = raw
            .call(
                "POST",
                &format!("/_sandbox/numbers/{id}/meta"),
                None,
                Some(r#"{"state":"CLOSE"}"#),
            )
            .await;
        assert_eq!(s, 200);
        let got = expect_deliveries(&rx, 3).await;
        for (event, body) in &got {
            assert_eq!(
                body["data"].get("externalRef") == Some(&json!("order-77")),
                in_hooks,
                "{mode:?} {event:?}: {body}"
            );
            assert_eq!(body["data"].get("externalRef").is_some(), in_hooks);
        }
        sb.stop().await.unwrap();
    }
}

#[tokio::test]
async fn redirect_params_shape_the_location() {
    for (mode, want) in [
        (RedirectParams::None, REDIRECT.to_owned()),
        (RedirectParams::Status, format!("{REDIRECT}&status=success")),
        (
            RedirectParams::Full,
            format!("{REDIRECT}&status=success&numberId={{id}}&externalRef=crm-42%2F%C3%BC"),
        ),
    ] {
        let sb = sandbox(Options {
            redirect_params: mode,
            ..Options::default()
        })
        .await;
        let raw = Raw::new(&sb.base_url);
        let token = full_link(&raw).await;
        let done = post_form(&sb.base_url, &format!("/connect/{token}/finish"), &[]).await;
        assert_eq!(done.status, 303, "{mode:?}");
        let view = raw
            .call(
                "GET",
                &format!("/_sandbox/remote-pairing/{token}"),
                None,
                None,
            )
            .await
            .2;
        let want = want.replace("{id}", view["numberId"].as_str().unwrap());
        assert_eq!(done.headers["location"].to_str().unwrap(), want, "{mode:?}");

        // The control route reports the same target; a link without externalRef omits it.
        let token = meta_link(&raw, json!({"redirectUrl": "http://127.0.0.1:9/back#done"})).await;
        let (_, v) = control(&raw, &token, "finish", None).await;
        let id = v["numberId"].as_str().unwrap();
        let want = match mode {
            RedirectParams::None => "http://127.0.0.1:9/back#done".to_owned(),
            RedirectParams::Status => "http://127.0.0.1:9/back?status=success#done".to_owned(),
            RedirectParams::Full => {
                format!("http://127.0.0.1:9/back?status=success&numberId={id}#done")
            }
        };
        assert_eq!(v["redirect"], want.as_str(), "{mode:?}");
        sb.stop().await.unwrap();
    }
}

#[tokio::test]
async fn link_after_abort_spent_clears_the_link_on_cancel_and_on_fail() {
    let sb = sandbox(Options {
        link_after_abort: LinkAfterAbort::Spent,
        ..Options::default()
    })
    .await;
    let raw = Raw::new(&sb.base_url);
    // Cancel through the control route.
    let token = meta_link(&raw, json!({})).await;
    let (s, v) = control(
        &raw,
        &token,
        "cancel",
        Some(json!({"step": "PHONE_NUMBER_VERIFICATION"})),
    )
    .await;
    assert_eq!((s, &v["linkUsable"]), (200, &json!(false)), "{v}");
    assert_eq!(public(&raw, &token, "/status").await.0, 404);
    assert_eq!(public(&raw, &token, "").await.0, 404);
    let (s, v) = control(&raw, &token, "finish", None).await;
    assert_eq!((s, v["code"].as_str()), (410, Some("LINK_ABANDONED")));
    let page = get_page(&sb.base_url, &format!("/connect/{token}")).await;
    assert_eq!(
        attr(&page.body, "link-gone", "data-reason").unwrap(),
        "abandoned"
    );
    // Fail through the page: no "try again".
    let token = meta_link(&raw, json!({})).await;
    let page = post_form(
        &sb.base_url,
        &format!("/connect/{token}/fail"),
        &[("errorId", "ES-1")],
    )
    .await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("id=\"link-spent\"") && !page.body.contains("try-again"));
    assert_eq!(public(&raw, &token, "/status").await.0, 404);
    let view = raw
        .call(
            "GET",
            &format!("/_sandbox/remote-pairing/{token}"),
            None,
            None,
        )
        .await
        .2;
    assert_eq!(
        (&view["status"], &view["aborts"][0]["errorId"]),
        (&json!("abandoned"), &json!("ES-1"))
    );
    sb.stop().await.unwrap();
}

#[tokio::test]
async fn with_meta_numbers_pending_the_link_waits_for_meta_to_connect_the_number() {
    for after in [LinkAfterSuccess::OpenThenGone, LinkAfterSuccess::Gone] {
        let (sb, rx) = sandbox_with_hooks(Options {
            meta_numbers: MetaNumbers::Pending,
            link_after_success: after,
            link_number_id: LinkNumberId::Status,
            ..Options::default()
        })
        .await;
        let raw = Raw::new(&sb.base_url);
        let token = meta_link(&raw, json!({"externalRef": "p-1"})).await;
        let (s, v) = control(&raw, &token, "finish", None).await;
        assert_eq!(
            (s, &v["state"], &v["metaStatus"], &v["tokenCleared"]),
            (200, &json!("CLOSE"), &json!("PENDING"), &json!(false)),
            "{after:?}: {v}"
        );
        let id = v["numberId"].as_str().unwrap().to_owned();
        // Only number.created so far; the link is spent but still answers, CLOSE.
        let got = expect_deliveries(&rx, 1).await;
        assert_eq!(got[0].0, EventName::NumberCreated);
        let (s, st) = public(&raw, &token, "/status").await;
        assert_eq!(
            (s, &st["state"], &st["numberId"]),
            (200, &json!("CLOSE"), &json!(id))
        );
        assert_eq!(
            public(&raw, &token, "/status").await.0,
            200,
            "{after:?}: still there"
        );
        assert_eq!(control(&raw, &token, "finish", None).await.0, 410);

        // Meta connects it: number.connected (with the link's externalRef), then the token goes.
        let (s, _, _) = raw
            .call(
                "POST",
                &format!("/_sandbox/numbers/{id}/meta"),
                None,
                Some(r#"{"state":"OPEN"}"#),
            )
            .await;
        assert_eq!(s, 200);
        let got = expect_deliveries(&rx, 2).await;
        assert_eq!(got[1].0, EventName::NumberConnected);
        assert_eq!(got[1].1["data"]["externalRef"], "p-1");
        if after == LinkAfterSuccess::OpenThenGone {
            let (s, st) = public(&raw, &token, "/status").await;
            assert_eq!((s, &st["state"]), (200, &json!("OPEN")));
        }
        assert_eq!(public(&raw, &token, "/status").await.0, 404, "{after:?}");
        sb.stop().await.unwrap();
    }
}

#[tokio::test]
async fn the_control_index_lists_the_routes_and_the_page() {
    let sb = sandbox(Options::default()).await;
    let raw = Raw::new(&sb.base_url);
    let index = raw.call("GET", "/_sandbox", None, None).await.2;
    for route in [
        "GET /_sandbox/remote-pairing/{token}",
        "POST /_sandbox/remote-pairing/{token}/finish",
        "POST /_sandbox/remote-pairing/{token}/cancel",
        "POST /_sandbox/remote-pairing/{token}/fail",
    ] {
        assert!(index["routes"][route].is_string(), "{route}: {index}");
    }
    for page in [
        "GET /connect/{token}",
        "POST /connect/{token}/finish",
        "POST /connect/{token}/cancel",
        "POST /connect/{token}/fail",
    ] {
        assert!(index["pages"][page].is_string(), "{page}: {index}");
    }
    // The page is not an API route: no fault name, no request count.
    assert!(!index["faultRoutes"].to_string().contains("connect/"));
    sb.stop().await.unwrap();
}

#[tokio::test]
async fn the_binary_takes_the_hosted_flags() {
    use tokio::io::AsyncBufReadExt as _;
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_pilot-sandbox"))
        .args([
            "--port",
            "0",
            "--tenant-key",
            TENANT,
            "--link-after-success",
            "gone",
            "--link-number-id",
            "both",
            "--link-external-ref",
            "detail",
            "--redirect-params",
            "full",
            "--link-after-abort",
            "spent",
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
    let token = meta_link(&raw, json!({"redirectUrl": REDIRECT, "externalRef": "b-1"})).await;
    let done = post_form(url, &format!("/connect/{token}/finish"), &[]).await;
    let location = done.headers["location"].to_str().unwrap();
    assert!(
        location.contains("&status=success&numberId=wa_") && location.ends_with("&externalRef=b-1"),
        "{location}"
    );
    assert_eq!(public(&raw, &token, "/status").await.0, 404, "gone");
    let id = location
        .split("numberId=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    assert_eq!(detail(&raw, id).await["externalRef"], "b-1");
    let token = meta_link(&raw, json!({})).await;
    assert_eq!(
        control(&raw, &token, "cancel", None).await.1["linkUsable"],
        false
    );
    child.kill().await.unwrap();

    let help = std::process::Command::new(env!("CARGO_BIN_EXE_pilot-sandbox"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    for flag in [
        "--link-after-success",
        "--link-number-id",
        "--link-external-ref",
        "--redirect-params",
        "--link-after-abort",
    ] {
        assert!(help.contains(flag), "{flag} in --help");
    }
    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_pilot-sandbox"))
        .args([
            "--port",
            "0",
            "--tenant-key",
            TENANT,
            "--redirect-params",
            "some",
        ])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("none") && err.contains("status") && err.contains("full"),
        "{err}"
    );
}
