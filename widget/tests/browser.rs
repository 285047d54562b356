//! The widget in headless Chromium: DOM per state (what each must show and must not), locales,
//! errors, bad QR payloads, and that destroy leaves no timer or listener behind. `fetch`,
//! timers and `addEventListener` are wrapped in JS so the worker's answers are scripted and
//! live timers/listeners are counted.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use gloo_timers::future::TimeoutFuture;
use js_sys::{Object, Reflect};
use pilot_connect_widget::{mount, Handle, Op};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(inline_js = r#"
const S = { routes: {}, calls: [], timers: new Set(), listeners: 0, events: [], copied: [] };
export function install() {
  if (globalThis.__pc) return;
  globalThis.__pc = S;
  const st = globalThis.setTimeout.bind(globalThis), ct = globalThis.clearTimeout.bind(globalThis);
  const si = globalThis.setInterval.bind(globalThis), ci = globalThis.clearInterval.bind(globalThis);
  globalThis.setTimeout = (f, ms, ...a) => { const id = st((...x) => { S.timers.delete(id); f(...x); }, ms, ...a); S.timers.add(id); return id; };
  globalThis.clearTimeout = (id) => { S.timers.delete(id); ct(id); };
  globalThis.setInterval = (f, ms, ...a) => { const id = si(f, ms, ...a); S.timers.add(id); return id; };
  globalThis.clearInterval = (id) => { S.timers.delete(id); ci(id); };
  const add = EventTarget.prototype.addEventListener, rem = EventTarget.prototype.removeEventListener;
  EventTarget.prototype.addEventListener = function (t, f, o) { S.listeners++; return add.call(this, t, f, o); };
  EventTarget.prototype.removeEventListener = function (t, f, o) { S.listeners--; return rem.call(this, t, f, o); };
  // Headless Chromium has no clipboard permission: record what the widget writes.
  Object.defineProperty(navigator, "clipboard", { configurable: true, value: { writeText: async (t) => { S.copied.push(t); } } });
  globalThis.fetch = async (input, init) => {
    const req = new Request(input, init);
    const url = new URL(req.url);
    S.calls.push({ path: url.pathname, auth: req.headers.get("authorization") });
    const q = S.routes[url.pathname] ?? [];
    const a = q.length > 1 ? q.shift() : q[0];
    if (!a || a.network) throw new TypeError("Failed to fetch");
    if (a.delay) await new Promise((r) => st(r, a.delay));
    const body = a.body === undefined ? "" : typeof a.body === "string" ? a.body : JSON.stringify(a.body);
    return new Response(body, { status: a.status ?? 200, headers: { "content-type": "application/json", ...(a.headers ?? {}) } });
  };
}
export function route(path, answers) { S.routes[path] = answers; }
export function reset() { S.routes = {}; S.calls = []; S.events = []; S.copied = []; }
export function copied() { return S.copied.join(","); }
export function calls(path) { return S.calls.filter((c) => c.path === path).length; }
export function last_auth() { return S.calls.length ? S.calls[S.calls.length - 1].auth : null; }
export function timers() { return S.timers.size; }
export function listeners() { return S.listeners; }
export function host() { const d = document.createElement("div"); document.body.appendChild(d);
  for (const n of ["statechange", "qr", "connected", "expired", "error", "ready"]) d.addEventListener("pilot-connect:" + n, (e) => S.events.push(n));
  return d; }
export function events() { return S.events.join(","); }
export function q(host, sel) { return host.querySelector("[data-pilot-connect]")?.shadowRoot?.querySelector(sel) ?? null; }
export function text(host, sel) { return q(host, sel)?.textContent ?? null; }
export function attr(host, sel, name) { return q(host, sel)?.getAttribute(name) ?? null; }
export function is_hidden(host, sel) { const e = q(host, sel); if (!e) return null; for (let n = e; n && n.nodeType === 1; n = n.parentNode) if (n.hidden || n.hasAttribute("data-off")) return true; return false; }
export function visible_text(host) { const root = host.querySelector("[data-pilot-connect]")?.shadowRoot; if (!root) return "";
  const out = []; const walk = (n) => { if (n.nodeType === 1 && (n.hidden || n.hasAttribute("data-off") || n.classList.contains("sr"))) return; if (n.nodeType === 3) out.push(n.textContent); n.childNodes.forEach(walk); };
  walk(root.querySelector(".psw")); return out.join(" "); }
export function click(host, sel) { q(host, sel).click(); }
export function set_hidden(v) { Object.defineProperty(document, "hidden", { configurable: true, get: () => v }); document.dispatchEvent(new Event("visibilitychange")); }
"#)]
extern "C" {
    fn install();
    fn route(path: &str, answers: JsValue);
    fn reset();
    fn calls(path: &str) -> u32;
    fn last_auth() -> Option<String>;
    fn timers() -> u32;
    fn listeners() -> i32;
    fn host() -> web_sys::Element;
    fn events() -> String;
    fn copied() -> String;
    fn text(host: &web_sys::Element, sel: &str) -> Option<String>;
    fn attr(host: &web_sys::Element, sel: &str, name: &str) -> Option<String>;
    fn is_hidden(host: &web_sys::Element, sel: &str) -> Option<bool>;
    fn click(host: &web_sys::Element, sel: &str);
    fn set_hidden(v: bool);
    fn visible_text(host: &web_sys::Element) -> String;
}

const PNG: &str = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";
// payload {"sub":"wa_abc"}: the widget reads `sub` for onConnected, never verifies.
const TOKEN: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ3YV9hYmMifQ.c2ln";

fn js(v: &str) -> JsValue {
    js_sys::JSON::parse(v).unwrap()
}

fn pairing(refresh_ms: u32) -> String {
    format!(
        r#"{{"body":{{"state":"pairing","qr":"{PNG}","pairingCode":"abcd1234","refreshAfterMs":{refresh_ms}}}}}"#
    )
}

fn options(extra: &str) -> JsValue {
    js(&format!(
        r#"{{"endpoint":"http://worker.test","token":"{TOKEN}","locale":"en","pollIntervalMs":500{extra}}}"#
    ))
}

/// The handle's operations, as the package's `index.js` calls them (one `call(op)` export).
trait Ops {
    fn state(&self) -> String;
    fn destroy(&mut self);
    fn unmount(&mut self);
    fn mount(&mut self, target: JsValue) -> Result<(), JsValue>;
    fn update(&self, o: &JsValue);
}

impl Ops for Handle {
    fn state(&self) -> String {
        self.call(Op::State, JsValue::UNDEFINED)
            .unwrap()
            .as_string()
            .unwrap()
    }
    fn destroy(&mut self) {
        self.call(Op::Destroy, JsValue::UNDEFINED).unwrap();
    }
    fn unmount(&mut self) {
        self.call(Op::Unmount, JsValue::UNDEFINED).unwrap();
    }
    fn mount(&mut self, target: JsValue) -> Result<(), JsValue> {
        self.call(Op::Mount, target).map(|_| ())
    }
    fn update(&self, o: &JsValue) {
        self.call(Op::Update, o.clone()).unwrap();
    }
}

fn state(h: &web_sys::Element) -> String {
    h.get_attribute("data-state").unwrap_or_default()
}

async fn until(h: &web_sys::Element, want: &str, ms: u32) -> bool {
    for _ in 0..ms / 20 {
        if state(h) == want {
            return true;
        }
        TimeoutFuture::new(20).await;
    }
    state(h) == want
}

fn setup(qr: &[String], status: &str) -> web_sys::Element {
    install();
    reset();
    route("/v1/qr", js(&format!("[{}]", qr.join(","))));
    route("/v1/status", js(&format!("[{status}]")));
    host()
}

#[wasm_bindgen_test]
async fn pairing_renders_qr_code_and_instructions() {
    let h = setup(
        &[pairing(20_000)],
        r#"{"body":{"state":"connecting","stale":false}}"#,
    );
    let mut w: Handle = mount(h.clone().into(), options("")).unwrap();
    assert!(until(&h, "pairing", 2000).await, "state {}", state(&h));
    assert_eq!(w.state(), "pairing");
    assert_eq!(attr(&h, ".qr", "src").as_deref(), Some(PNG));
    assert_eq!(
        attr(&h, ".qr", "alt").as_deref(),
        Some("QR code to link WhatsApp")
    );
    assert_eq!(text(&h, ".code").as_deref(), Some("ABCD-1234"));
    assert_eq!(attr(&h, ".code", "dir").as_deref(), Some("ltr"));
    assert_eq!(attr(&h, ".status", "aria-live").as_deref(), Some("polite"));
    assert!(text(&h, ".status")
        .unwrap()
        .starts_with("Scan the QR code with WhatsApp. Code 1 of 6"));
    assert_eq!(text(&h, ".timer").as_deref(), Some("New QR code in 20 s"));
    assert_eq!(text(&h, ".new-code").as_deref(), Some("Get a new code"));
    assert_eq!(is_hidden(&h, ".skeleton"), Some(true));
    assert_eq!(is_hidden(&h, ".reload"), Some(true));
    assert_eq!(is_hidden(&h, ".done"), Some(true));
    assert!(text(&h, ".steps").unwrap().contains("Linked devices"));
    assert_eq!(
        text(&h, ".switch").as_deref(),
        Some("Link with phone number instead")
    );
    assert_eq!(
        is_hidden(&h, ".code-box"),
        Some(true),
        "QR first on a desktop"
    );
    click(&h, ".switch");
    assert_eq!(
        is_hidden(&h, ".code-box"),
        Some(false),
        "the code is one tap away"
    );
    assert!(text(&h, ".s4")
        .unwrap()
        .contains("Link with phone number instead"));
    assert_eq!(text(&h, ".switch").as_deref(), Some("Show QR code"));
    assert_eq!(is_hidden(&h, ".error"), Some(true));
    assert_eq!(
        last_auth().as_deref(),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert!(
        events().contains("qr") && events().contains("ready") && events().contains("statechange")
    );
    w.destroy();
}

#[wasm_bindgen_test]
async fn locale_switching_and_overrides() {
    let h = setup(&[pairing(20_000)], r#"{"body":{"state":"connecting"}}"#);
    let w = mount(h.clone().into(), options(r#","locale":"pt-BR""#)).unwrap();
    assert!(until(&h, "pairing", 2000).await);
    assert_eq!(text(&h, ".title").as_deref(), Some("Conecte seu WhatsApp"));
    assert_eq!(attr(&h, ".psw", "lang").as_deref(), Some("pt-BR"));
    assert_eq!(
        text(&h, ".switch").as_deref(),
        Some("Conectar com número de telefone")
    );
    w.update(&js(r#"{"locale":"es"}"#));
    assert_eq!(text(&h, ".title").as_deref(), Some("Conecta tu WhatsApp"));
    assert_eq!(
        text(&h, ".timer").as_deref(),
        Some("Nuevo código QR en 20 s")
    );
    w.update(&js(
        r#"{"locale":"en","messages":{"title":"Link your number"},"appearance":{"theme":"dark"}}"#,
    ));
    assert_eq!(text(&h, ".title").as_deref(), Some("Link your number"));
    assert_eq!(attr(&h, ".psw", "data-theme").as_deref(), Some("dark"));
    let mut w = w;
    w.destroy();
}

#[wasm_bindgen_test]
async fn connected_through_status_poll_and_through_qr() {
    let h = setup(
        &[pairing(20_000)],
        r#"{"body":{"state":"connecting"}},{"body":{"state":"connected","stale":false}}"#,
    );
    let seen = Object::new();
    let cb = Closure::<dyn Fn(JsValue)>::new({
        let seen = seen.clone();
        move |d: JsValue| {
            let _ = Reflect::set(
                &seen,
                &"id".into(),
                &Reflect::get(&d, &"numberId".into()).unwrap(),
            );
        }
    });
    let o = options("");
    Reflect::set(&o, &"onConnected".into(), cb.as_ref()).unwrap();
    let mut w = mount(h.clone().into(), o).unwrap();
    assert!(until(&h, "connected", 3000).await, "state {}", state(&h));
    assert_eq!(
        Reflect::get(&seen, &"id".into())
            .unwrap()
            .as_string()
            .as_deref(),
        Some("wa_abc")
    );
    // One success panel; the pairing area is gone; "connected" is said once.
    assert_eq!(is_hidden(&h, ".done"), Some(false));
    assert_eq!(is_hidden(&h, ".pair"), Some(true));
    assert_eq!(
        visible_text(&h).matches("WhatsApp connected").count(),
        1,
        "{}",
        visible_text(&h)
    );
    assert!(events().contains("connected"));
    w.destroy();

    let h = setup(
        &[r#"{"body":{"state":"connected"}}"#.into()],
        r#"{"body":{"state":"connected"}}"#,
    );
    let mut w = mount(h.clone().into(), options("")).unwrap();
    assert!(until(&h, "connected", 2000).await);
    w.destroy();
}

#[wasm_bindgen_test]
async fn bad_qr_payloads_are_rejected() {
    for bad in [
        r#"{"body":{"state":"pairing","qr":"data:image/svg+xml;base64,PHN2Zz4=","pairingCode":null,"refreshAfterMs":20000}}"#,
        r#"{"body":{"state":"pairing","qr":"javascript:alert(1)","pairingCode":null,"refreshAfterMs":20000}}"#,
        r#"{"body":{"state":"pairing","qr":"data:image/png;base64,aGVsbG8=","refreshAfterMs":20000}}"#,
        r#"{"body":{"state":"pairing","pairingCode":"ABCD-1234","refreshAfterMs":20000}}"#,
        r#"{"body":"<html>not json</html>"}"#,
    ] {
        let h = setup(&[bad.into()], r#"{"body":{"state":"connecting"}}"#);
        let mut w = mount(h.clone().into(), options("")).unwrap();
        assert!(until(&h, "error", 2000).await, "{bad}: state {}", state(&h));
        assert_eq!(attr(&h, ".qr", "src"), None, "{bad}: nothing reached <img>");
        assert_eq!(is_hidden(&h, ".error"), Some(false));
        assert_eq!(
            text(&h, ".error-title").as_deref(),
            Some("Service unavailable")
        );
        w.destroy();
    }
}

#[wasm_bindgen_test]
async fn error_states() {
    for (answer, title, what) in [
        (
            r#"{"status":401,"body":{"error":{"code":"token_expired","message":"x"}}}"#,
            "Session expired",
            "Your session expired. Refresh the page to continue.",
        ),
        (
            r#"{"status":401,"body":{"error":{"code":"invalid_token","message":"x"}}}"#,
            "Not authorized",
            "We couldn't confirm your access. Refresh the page and try again.",
        ),
        (
            r#"{"status":403,"body":{"error":{"code":"origin_not_allowed","message":"x"}}}"#,
            "This page is not allowed",
            "This page is not allowed to link WhatsApp. Please contact support.",
        ),
        (
            r#"{"status":500,"body":{"error":{"code":"config_error","message":"x"}}}"#,
            "Service not configured",
            "The connection service is not set up yet. Please contact support.",
        ),
        (
            r#"{"status":502,"body":{"error":{"code":"upstream_error","message":"x"}}}"#,
            "Service unavailable",
            "The connection service failed. Try again in a moment.",
        ),
        (
            r#"{"status":404,"body":{"error":{"code":"not_found","message":"x"}}}"#,
            "Number not found",
            "This number no longer exists. Please contact support.",
        ),
        (
            r#"{"network":true}"#,
            "No connection",
            "We couldn't reach the server. Check your internet connection and try again.",
        ),
    ] {
        let h = setup(&[answer.into()], r#"{"body":{"state":"connecting"}}"#);
        let mut w = mount(h.clone().into(), options("")).unwrap();
        assert!(until(&h, "error", 2000).await, "{answer}");
        assert_eq!(text(&h, ".error-title").as_deref(), Some(title), "{answer}");
        assert_eq!(text(&h, ".error-text").as_deref(), Some(what), "{answer}");
        // The error panel replaces the pairing area: no scan steps, no empty QR, no code.
        assert_eq!(is_hidden(&h, ".pair"), Some(true), "{answer}");
        // "Try again" only where it can work: a network or service failure (a refused token
        // without getToken, a page origin, a missing number, a worker's settings need more).
        let retry_helps = answer.contains("upstream_error") || answer.contains("network");
        assert_eq!(is_hidden(&h, ".retry"), Some(!retry_helps), "{answer}");
        assert_eq!(text(&h, ".retry").as_deref(), Some("Try again"));
        assert!(!visible_text(&h).contains("Scan"), "{answer}");
        w.destroy();
    }
    // 429: shows the wait, then retries by itself.
    let h = setup(
        &[r#"{"status":429,"headers":{"retry-after":"1"},"body":{"error":{"code":"rate_limited","message":"x"}}}"#.into(), pairing(20_000)],
        r#"{"body":{"state":"connecting"}}"#,
    );
    let mut w = mount(h.clone().into(), options("")).unwrap();
    assert!(until(&h, "error", 2000).await);
    assert_eq!(
        text(&h, ".error-title").as_deref(),
        Some("Too many attempts")
    );
    assert_eq!(
        text(&h, ".error-text").as_deref(),
        Some("Trying again in 1 s.")
    );
    assert_eq!(is_hidden(&h, ".retry"), Some(true));
    assert!(
        until(&h, "pairing", 3000).await,
        "retried after Retry-After"
    );
    w.destroy();
    // An expired token is renewed through getToken once, then the call is retried.
    let h = setup(
        &[
            r#"{"status":401,"body":{"error":{"code":"token_expired","message":"x"}}}"#.into(),
            pairing(20_000),
        ],
        r#"{"body":{"state":"connecting"}}"#,
    );
    let get_token = js_sys::Function::new_no_args("return Promise.resolve('renewed.token.value')");
    let o = options("");
    Reflect::set(&o, &"getToken".into(), &get_token).unwrap();
    let mut w = mount(h.clone().into(), o).unwrap();
    assert!(until(&h, "pairing", 3000).await, "state {}", state(&h));
    assert_eq!(last_auth().as_deref(), Some("Bearer renewed.token.value"));
    w.destroy();
    // A getToken that throws, rejects or gives no string ends in the error panel, once.
    for body in [
        "throw new Error('backend down')",
        "return Promise.reject(new Error('backend down'))",
        "return ''",
    ] {
        let h = setup(
            &[r#"{"status":401,"body":{"error":{"code":"token_expired","message":"x"}}}"#.into()],
            r#"{"body":{"state":"connecting"}}"#,
        );
        let o = options("");
        Reflect::set(&o, &"getToken".into(), &js_sys::Function::new_no_args(body)).unwrap();
        let mut w = mount(h.clone().into(), o).unwrap();
        assert!(
            until(&h, "error", 3000).await,
            "{body}: state {}",
            state(&h)
        );
        assert_eq!(calls("/v1/qr"), 1, "{body}: no retry without a token");
        w.destroy();
    }
}

#[wasm_bindgen_test]
async fn refresh_keeps_previous_qr_then_expires_after_the_cap() {
    let second = format!(
        r#"{{"delay":400,"body":{{"state":"pairing","qr":"{PNG}","pairingCode":"abcd1234","refreshAfterMs":1000}}}}"#
    );
    let h = setup(
        &[pairing(1000), second],
        r#"{"body":{"state":"connecting"}}"#,
    );
    let mut w = mount(h.clone().into(), options(r#","maxAttempts":2"#)).unwrap();
    assert!(until(&h, "pairing", 2000).await);
    assert!(until(&h, "refreshing", 2000).await);
    assert_eq!(
        attr(&h, ".qr", "src").as_deref(),
        Some(PNG),
        "the previous QR stays during refresh"
    );
    assert!(until(&h, "pairing", 2000).await);
    assert!(text(&h, ".status").unwrap().contains("Code 2 of 2"));
    assert!(until(&h, "expired", 3000).await);
    // Expired: the QR stays (dimmed by CSS) with one centred action on it; no new-code button.
    assert_eq!(attr(&h, ".qr", "src").as_deref(), Some(PNG));
    assert_eq!(is_hidden(&h, ".reload"), Some(false));
    assert_eq!(text(&h, ".reload").as_deref(), Some("Get a new code"));
    assert_eq!(is_hidden(&h, ".new-code"), Some(true));
    assert_eq!(text(&h, ".timer").as_deref(), Some("The code expired."));
    assert!(events().contains("expired"));
    let before = calls("/v1/qr");
    click(&h, ".reload");
    assert!(until(&h, "pairing", 2000).await, "new code restarts");
    assert_eq!(calls("/v1/qr"), before + 1);
    w.destroy();
}

#[wasm_bindgen_test]
async fn loading_shows_a_skeleton_in_the_qr_slot() {
    let slow = format!(
        r#"{{"delay":600,"body":{{"state":"pairing","qr":"{PNG}","pairingCode":"abcd1234","refreshAfterMs":20000}}}}"#
    );
    let h = setup(&[slow], r#"{"body":{"state":"connecting"}}"#);
    let mut w = mount(h.clone().into(), options("")).unwrap();
    assert!(until(&h, "loading", 500).await);
    assert_eq!(is_hidden(&h, ".skeleton"), Some(false));
    assert_eq!(is_hidden(&h, ".qr"), Some(true));
    assert_eq!(attr(&h, ".qr", "src"), None);
    assert!(until(&h, "pairing", 2000).await);
    assert_eq!(is_hidden(&h, ".skeleton"), Some(true));
    w.destroy();
}

#[wasm_bindgen_test]
async fn hidden_page_pauses_and_resumes_with_a_check() {
    let h = setup(&[pairing(20_000)], r#"{"body":{"state":"connecting"}}"#);
    let mut w = mount(h.clone().into(), options("")).unwrap();
    assert!(until(&h, "pairing", 2000).await);
    let active = timers();
    set_hidden(true);
    assert!(
        timers() + 3 <= active,
        "refresh, poll and countdown paused: {active} → {}",
        timers()
    );
    let polls = calls("/v1/status");
    TimeoutFuture::new(1200).await;
    assert_eq!(calls("/v1/status"), polls, "no polling while hidden");
    set_hidden(false);
    TimeoutFuture::new(50).await;
    assert_eq!(calls("/v1/status"), polls + 1, "checked at once on return");
    assert!(timers() >= 3);
    w.destroy();
}

#[wasm_bindgen_test]
async fn destroy_leaves_no_timers_or_listeners() {
    let h = setup(&[pairing(20_000)], r#"{"body":{"state":"connecting"}}"#);
    TimeoutFuture::new(10).await;
    let (t0, l0) = (timers(), listeners());
    let mut w = mount(h.clone().into(), options(r#","mode":"code""#)).unwrap();
    assert!(until(&h, "pairing", 2000).await);
    assert!(timers() >= t0 + 3, "refresh + poll + countdown running");
    assert!(listeners() > l0);
    click(&h, ".copy");
    assert_eq!(
        copied(),
        "ABCD-1234",
        "the grouped code goes to the clipboard"
    );
    assert_eq!(text(&h, ".copy").as_deref(), Some("Code copied"));
    w.destroy();
    assert_eq!((timers(), listeners()), (t0, l0), "everything cancelled");
    assert_eq!(h.child_element_count(), 0, "DOM removed");
    assert_eq!(state(&h), "");
    w.destroy();
    assert_eq!(w.state(), "destroyed");
    assert!(w.mount(h.clone().into()).is_err(), "destroyed is final");
}

#[wasm_bindgen_test]
async fn unmount_then_mount_again_and_bad_options() {
    let h = setup(&[pairing(20_000)], r#"{"body":{"state":"connecting"}}"#);
    let mut w = mount(h.clone().into(), options("")).unwrap();
    assert!(until(&h, "pairing", 2000).await);
    w.unmount();
    assert_eq!(h.child_element_count(), 0);
    w.mount(h.clone().into()).unwrap();
    assert!(until(&h, "pairing", 2000).await);
    w.destroy();
    assert!(
        mount(h.clone().into(), js(r#"{"token":"t"}"#)).is_err(),
        "endpoint required"
    );
    assert!(
        mount(h.clone().into(), js(r#"{"endpoint":"http://x"}"#)).is_err(),
        "token or getToken required"
    );
    assert!(mount(
        h.clone().into(),
        js(r#"{"endpoint":"javascript:x","token":"t"}"#)
    )
    .is_err());
    assert!(mount("#does-not-exist".into(), options("")).is_err());
}

#[wasm_bindgen_test]
async fn code_first_shows_the_number_and_how_long_the_code_lasts() {
    let coded = format!(
        r#"{{"body":{{"state":"pairing","qr":"{PNG}","pairingCode":"abcd1234","refreshAfterMs":20000,"maskedNumber":"+55 11 9••••-1234","codeExpiresInMs":90000}}}}"#
    );
    let h = setup(&[coded], r#"{"body":{"state":"connected"}}"#);
    let mut w = mount(
        h.clone().into(),
        options(r#","mode":"code","pollIntervalMs":60000"#),
    )
    .unwrap();
    assert!(until(&h, "pairing", 2000).await, "state {}", state(&h));
    assert_eq!(attr(&h, ".psw", "data-face").as_deref(), Some("code"));
    assert_eq!(text(&h, ".code").as_deref(), Some("ABCD-1234"));
    assert_eq!(text(&h, ".number").as_deref(), Some("+55 11 9••••-1234"));
    assert_eq!(is_hidden(&h, ".number-line"), Some(false));
    assert_eq!(
        text(&h, ".code-life").as_deref(),
        Some("Valid for 90 more seconds")
    );
    assert_eq!(is_hidden(&h, ".frame"), Some(true));
    assert!(
        w.call(Op::Update, js(r#"{"mode":"sideways"}"#)).is_err(),
        "a bad mode is refused"
    );
    w.update(&js(r#"{"mode":"qr"}"#));
    assert_eq!(attr(&h, ".psw", "data-face").as_deref(), Some("qr"));
    w.destroy();
}
