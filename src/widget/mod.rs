//! The QR pairing widget (feature `widget`): renders the QR and pairing code from the edge
//! worker, refreshes it, polls status, and reports "connected".
//!
//! Every timer and listener is an RAII handle (gloo) owned by the widget, and every request
//! carries an `AbortController` the widget keeps, so `destroy()` is "drop everything".
//! Text goes in with `textContent` only; the QR goes into `<img>` only after the core's
//! [`QrImage`](crate::QrImage) rule accepted it as a PNG data URL.

mod i18n;

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use gloo_events::EventListener;
use gloo_timers::callback::{Interval, Timeout};
use js_sys::{Function, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{AbortController, Document, Element, HtmlElement, HtmlImageElement};

use crate::fetch::FetchTransport;
use crate::http::{HttpRequest, Method};
use crate::public::PublicErrorCode;
use crate::QrImage;
use i18n::{fill, Locale, Msg, KEYS};

const CSS: &str = include_str!("widget.css");

/// Where the widget is in its life.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Phase {
    Idle,
    Loading,
    Pairing,
    Refreshing,
    Connected,
    Expired,
    Error,
}

impl Phase {
    fn as_str(self) -> &'static str {
        match self {
            Self::Idle => "idle",
            Self::Loading => "loading",
            Self::Pairing => "pairing",
            Self::Refreshing => "refreshing",
            Self::Connected => "connected",
            Self::Expired => "expired",
            Self::Error => "error",
        }
    }
}

/// Error kinds reported to the page.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ErrKind {
    Network,
    RateLimited,
    Unauthorized,
    NotFound,
    Server,
    Config,
}

impl ErrKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Network => "network",
            Self::RateLimited => "rate_limited",
            Self::Unauthorized => "unauthorized",
            Self::NotFound => "not_found",
            Self::Server => "server",
            Self::Config => "config",
        }
    }

    fn msg(self) -> Msg {
        match self {
            Self::Network => Msg::ErrNetwork,
            Self::RateLimited => Msg::ErrRateLimited,
            Self::Unauthorized => Msg::ErrUnauthorized,
            Self::NotFound => Msg::ErrNotFound,
            Self::Server => Msg::ErrServer,
            Self::Config => Msg::ErrConfig,
        }
    }
}

fn get(obj: &JsValue, key: &str) -> JsValue {
    if obj.is_object() {
        Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
    } else {
        JsValue::UNDEFINED
    }
}

fn get_str(obj: &JsValue, key: &str) -> Option<String> {
    get(obj, key).as_string()
}

fn get_u32(obj: &JsValue, key: &str, default: u32, min: u32, max: u32) -> u32 {
    get(obj, key)
        .as_f64()
        .filter(|v| v.is_finite())
        .map_or(default, |v| (v as u32).clamp(min, max))
}

fn error(msg: &str) -> JsValue {
    js_sys::Error::new(msg).into()
}

/// Parsed options (everything the page passed in).
struct Options {
    endpoint: String,
    token: Option<String>,
    get_token: Option<Function>,
    locale: Locale,
    messages: JsValue,
    theme: String,
    variables: JsValue,
    max_attempts: u32,
    poll_ms: u32,
    timeout_ms: u32,
    callbacks: JsValue,
}

impl Options {
    fn parse(o: &JsValue, browser_lang: &str) -> Result<Self, JsValue> {
        let endpoint = get_str(o, "endpoint")
            .map(|e| e.trim().trim_end_matches('/').to_owned())
            .filter(|e| e.starts_with("https://") || e.starts_with("http://") || e.starts_with('/'))
            .ok_or_else(|| {
                error(
                    "pilot-connect: options.endpoint must be the worker URL (http(s)://… or /path)",
                )
            })?;
        let token = get_str(o, "token").filter(|t| !t.is_empty());
        let get_token = get(o, "getToken").dyn_into::<Function>().ok();
        if token.is_none() && get_token.is_none() {
            return Err(error(
                "pilot-connect: pass options.token or options.getToken",
            ));
        }
        let appearance = get(o, "appearance");
        Ok(Self {
            endpoint,
            token,
            get_token,
            locale: Locale::pick(&get_str(o, "locale").unwrap_or_default(), browser_lang),
            messages: get(o, "messages"),
            theme: match get_str(&appearance, "theme").as_deref() {
                Some("dark") => "dark".into(),
                Some("light") => "light".into(),
                _ => "auto".into(),
            },
            variables: get(&appearance, "variables"),
            max_attempts: get_u32(o, "maxAttempts", 6, 1, 100),
            poll_ms: get_u32(o, "pollIntervalMs", 2500, 500, 60_000),
            timeout_ms: get_u32(o, "requestTimeoutMs", 10_000, 1000, 60_000),
            callbacks: o.clone(),
        })
    }

    fn text(&self, m: Msg) -> String {
        get_str(&self.messages, KEYS[m as usize]).unwrap_or_else(|| self.locale.text(m).to_owned())
    }
}

/// The DOM the widget owns (inside its shadow root).
struct View {
    container: Element,
    root: Element,
    title: Element,
    steps: [Element; 3],
    qr: HtmlImageElement,
    countdown: Element,
    keep: Element,
    code_label: Element,
    code: Element,
    copy: Element,
    code_steps: Element,
    status: Element,
    alert: Element,
    alert_text: Element,
    retry: Element,
    done: Element,
}

fn el(doc: &Document, parent: &Element, tag: &str, class: &str) -> Result<Element, JsValue> {
    let e = doc.create_element(tag)?;
    if !class.is_empty() {
        e.set_class_name(class);
    }
    parent.append_child(&e)?;
    Ok(e)
}

impl View {
    fn build(doc: &Document, host: &Element) -> Result<Self, JsValue> {
        // Our own container inside the host, so unmount leaves the host as it was.
        let container = doc.create_element("div")?;
        container.set_attribute("data-pilot-connect", "")?;
        host.append_child(&container)?;
        let shadow = container
            .attach_shadow(&web_sys::ShadowRootInit::new(web_sys::ShadowRootMode::Open))?;
        let style = doc.create_element("style")?;
        style.set_text_content(Some(CSS));
        shadow.append_child(&style)?;
        let root = doc.create_element("div")?;
        root.set_class_name("psw");
        root.set_attribute("part", "container")?;
        shadow.append_child(&root)?;
        let title = el(doc, &root, "h2", "title")?;
        let body = el(doc, &root, "div", "body")?;
        let frame = el(doc, &body, "div", "qr-frame")?;
        frame.set_attribute("part", "qr-frame")?;
        let qr: HtmlImageElement = el(doc, &frame, "img", "qr")?.dyn_into()?;
        qr.set_attribute("part", "qr")?;
        qr.set_width(264);
        qr.set_height(264);
        qr.set_hidden(true);
        let spinner = el(doc, &frame, "div", "spinner")?;
        spinner.set_attribute("aria-hidden", "true")?;
        let side = el(doc, &body, "div", "side")?;
        let list = el(doc, &side, "ol", "steps")?;
        let steps = [
            el(doc, &list, "li", "")?,
            el(doc, &list, "li", "")?,
            el(doc, &list, "li", "")?,
        ];
        let countdown = el(doc, &side, "p", "countdown")?;
        let keep = el(doc, &side, "button", "keep")?;
        keep.set_attribute("type", "button")?;
        keep.set_attribute("part", "button")?;
        let code_box = el(doc, &side, "div", "code-box")?;
        let code_label = el(doc, &code_box, "span", "code-label")?;
        let code = el(doc, &code_box, "bdi", "code")?;
        code.set_attribute("dir", "ltr")?;
        code.set_attribute("part", "code")?;
        let copy = el(doc, &code_box, "button", "copy")?;
        copy.set_attribute("type", "button")?;
        copy.set_attribute("part", "button")?;
        let code_steps = el(doc, &side, "p", "code-steps")?;
        let status = el(doc, &root, "p", "status")?;
        status.set_attribute("role", "status")?;
        status.set_attribute("aria-live", "polite")?;
        let alert = el(doc, &root, "div", "alert")?;
        alert.set_attribute("role", "alert")?;
        let alert_text = el(doc, &alert, "p", "")?;
        let retry = el(doc, &alert, "button", "retry primary")?;
        retry.set_attribute("type", "button")?;
        retry.set_attribute("part", "button")?;
        let done = el(doc, &root, "p", "done")?;
        Ok(Self {
            container,
            root,
            title,
            steps,
            qr,
            countdown,
            keep,
            code_label,
            code,
            copy,
            code_steps,
            status,
            alert,
            alert_text,
            retry,
            done,
        })
    }
}

fn show(e: &Element, visible: bool) {
    if let Some(h) = e.dyn_ref::<HtmlElement>() {
        h.set_hidden(!visible);
    }
}

fn text(e: &Element, s: &str) {
    e.set_text_content(Some(s));
}

#[derive(Default)]
struct Timers {
    refresh: Option<Timeout>,
    poll: Option<Interval>,
    countdown: Option<Interval>,
    retry: Option<Timeout>,
    copied: Option<Timeout>,
}

struct State {
    phase: Phase,
    attempt: u32,
    qr_expires_at: f64,
    pairing_code: Option<String>,
    token: Option<String>,
    token_refreshed: bool,
    err: Option<(ErrKind, Option<u32>)>,
}

struct Widget {
    host: Element,
    view: View,
    opts: RefCell<Options>,
    state: RefCell<State>,
    timers: RefCell<Timers>,
    listeners: RefCell<Vec<EventListener>>,
    inflight: RefCell<Vec<AbortController>>,
    alive: Cell<bool>,
    ready_sent: Cell<bool>,
}

fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// `sub` of a JWT payload (display only; the worker verifies tokens, the widget never does).
fn token_subject(token: &str) -> Option<String> {
    use base64::Engine as _;
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let json = js_sys::JSON::parse(&String::from_utf8(bytes).ok()?).ok()?;
    get_str(&json, "sub")
}

enum Answer {
    Json(u16, JsValue, Option<u32>),
    Network,
}

impl Widget {
    fn set_phase(self: &Rc<Self>, phase: Phase) {
        let changed = {
            let mut st = self.state.borrow_mut();
            let changed = st.phase != phase;
            st.phase = phase;
            changed
        };
        let _ = self.view.root.set_attribute("data-state", phase.as_str());
        let _ = self.host.set_attribute("data-state", phase.as_str());
        self.render();
        if changed {
            let detail = Object::new();
            let _ = Reflect::set(&detail, &"state".into(), &phase.as_str().into());
            self.emit("statechange", "onStateChange", &detail);
        }
    }

    /// Calls `options.<callback>(detail)` and dispatches `pilot-connect:<name>` on the host.
    fn emit(&self, name: &str, callback: &str, detail: &JsValue) {
        let cb = get(&self.opts.borrow().callbacks, callback);
        if let Some(f) = cb.dyn_ref::<Function>() {
            // A throwing page callback must not break the widget.
            let _ = f.call1(&JsValue::NULL, detail);
        }
        let init = web_sys::CustomEventInit::new();
        init.set_detail(detail);
        init.set_bubbles(true);
        init.set_composed(true);
        let mut event_name = String::from("pilot-connect:");
        event_name.push_str(name);
        if let Ok(ev) = web_sys::CustomEvent::new_with_event_init_dict(&event_name, &init) {
            let _ = self.host.dispatch_event(&ev);
        }
    }

    /// Writes every text from the current state (also on locale change).
    fn render(&self) {
        let o = self.opts.borrow();
        let st = self.state.borrow();
        let v = &self.view;
        let _ = v.root.set_attribute("lang", o.locale.tag());
        let _ = v.root.set_attribute("data-theme", &o.theme);
        text(&v.title, &o.text(Msg::Title));
        for (i, m) in [Msg::Step1, Msg::Step2, Msg::Step3].into_iter().enumerate() {
            text(&v.steps[i], &o.text(m));
        }
        text(&v.keep, &o.text(Msg::KeepShowing));
        text(&v.code_label, &o.text(Msg::CodeLabel));
        text(&v.code_steps, &o.text(Msg::CodeSteps));
        if st.phase != Phase::Pairing || v.copy.text_content().is_none_or(|t| t.is_empty()) {
            text(&v.copy, &o.text(Msg::Copy));
        }
        text(&v.done, &o.text(Msg::Connected));
        let _ = v.qr.set_attribute("alt", &o.text(Msg::QrAlt));
        text(&v.code, st.pairing_code.as_deref().unwrap_or("—"));
        let code_visible = st.pairing_code.is_some();
        show(&v.copy, code_visible);
        let pairing = matches!(st.phase, Phase::Pairing | Phase::Refreshing);
        show(&v.keep, pairing || st.phase == Phase::Expired);
        text(
            &v.keep,
            &o.text(if st.phase == Phase::Expired {
                Msg::NewCode
            } else {
                Msg::KeepShowing
            }),
        );
        show(&v.countdown, pairing);
        show(&v.done, st.phase == Phase::Connected);
        let status = match st.phase {
            Phase::Idle => String::new(),
            Phase::Loading => o.text(Msg::Loading),
            Phase::Refreshing => o.text(Msg::Refreshing),
            Phase::Pairing => {
                let mut s = o.text(Msg::Scan);
                s.push(' ');
                s.push_str(&fill(&o.text(Msg::Attempt), st.attempt, o.max_attempts));
                s
            }
            Phase::Connected => o.text(Msg::Connected),
            Phase::Expired => o.text(Msg::Expired),
            Phase::Error => String::new(),
        };
        text(&v.status, &status);
        match (st.phase, st.err) {
            (Phase::Error, Some((kind, wait))) => {
                show(&v.alert, true);
                text(
                    &v.alert_text,
                    &fill(&o.text(kind.msg()), wait.unwrap_or(0).div_ceil(1000), 0),
                );
                text(&v.retry, &o.text(Msg::Retry));
                show(&v.retry, kind != ErrKind::RateLimited);
            }
            _ => show(&v.alert, false),
        }
        drop(st);
        drop(o);
        self.tick();
    }

    /// Updates the countdown text.
    fn tick(&self) {
        let st = self.state.borrow();
        if !matches!(st.phase, Phase::Pairing | Phase::Refreshing) {
            return;
        }
        let left = ((st.qr_expires_at - now_ms()) / 1000.0).ceil().max(0.0) as u32;
        let o = self.opts.borrow();
        text(
            &self.view.countdown,
            &fill(&o.text(Msg::Countdown), left, 0),
        );
        let list = self.view.countdown.class_list();
        let _ = if left <= 5 {
            list.add_1("soon")
        } else {
            list.remove_1("soon")
        };
    }

    fn stop_timers(&self) {
        let mut t = self.timers.borrow_mut();
        t.refresh = None;
        t.poll = None;
        t.countdown = None;
        t.retry = None;
    }

    fn abort_inflight(&self) {
        for c in self.inflight.borrow_mut().drain(..) {
            c.abort();
        }
    }

    /// GET `path` on the worker with the token; JSON answers only.
    async fn call(self: &Rc<Self>, path: &str) -> Answer {
        let (url, token, timeout) = {
            let o = self.opts.borrow();
            let mut url = o.endpoint.clone();
            url.push_str(path);
            (url, self.state.borrow().token.clone(), o.timeout_ms)
        };
        let Some(token) = token else {
            return Answer::Json(401, JsValue::NULL, None);
        };
        let mut req = HttpRequest::new(Method::Get, &url, String::new());
        let mut bearer = String::from("Bearer ");
        bearer.push_str(&token);
        req.push_header("authorization", bearer, true);
        let Ok(controller) = AbortController::new() else {
            return Answer::Network;
        };
        self.inflight.borrow_mut().push(controller.clone());
        let transport =
            FetchTransport::with_timeout(core::time::Duration::from_millis(u64::from(timeout)));
        let result = transport.send_with(&req, &controller).await;
        self.inflight.borrow_mut().retain(|c| c != &controller);
        match result {
            Ok(resp) => {
                let wait = resp
                    .header("retry-after")
                    .and_then(|v| v.trim().parse::<u32>().ok())
                    .map(|s| s.saturating_mul(1000));
                let body = String::from_utf8(resp.body)
                    .ok()
                    .and_then(|b| js_sys::JSON::parse(&b).ok());
                match body {
                    Some(json) => Answer::Json(resp.status, json, wait),
                    None => Answer::Json(resp.status, JsValue::NULL, wait),
                }
            }
            Err(_) => Answer::Network,
        }
    }

    async fn ensure_token(self: &Rc<Self>, force: bool) -> bool {
        if !force && self.state.borrow().token.is_some() {
            return true;
        }
        let getter = self.opts.borrow().get_token.clone();
        let Some(f) = getter else {
            return self.state.borrow().token.is_some() && !force;
        };
        let Ok(v) = f.call0(&JsValue::NULL) else {
            return false;
        };
        let v = match v.dyn_into::<js_sys::Promise>() {
            Ok(p) => wasm_bindgen_futures::JsFuture::from(p)
                .await
                .unwrap_or(JsValue::UNDEFINED),
            Err(v) => v,
        };
        match v.as_string().filter(|t| !t.is_empty()) {
            Some(t) => {
                self.state.borrow_mut().token = Some(t);
                true
            }
            None => false,
        }
    }

    /// Fetches a QR (or learns it is connected).
    fn fetch_qr(self: &Rc<Self>) {
        let weak = Rc::downgrade(self);
        wasm_bindgen_futures::spawn_local(async move {
            let Some(w) = weak.upgrade().filter(|w| w.alive.get()) else {
                return;
            };
            {
                let st = w.state.borrow();
                if st.attempt >= w.opts.borrow().max_attempts {
                    drop(st);
                    w.expire();
                    return;
                }
            }
            let has_qr = w.state.borrow().pairing_code.is_some() || !w.view.qr.src().is_empty();
            w.set_phase(if has_qr {
                Phase::Refreshing
            } else {
                Phase::Loading
            });
            if !w.ensure_token(false).await {
                w.fail(ErrKind::Unauthorized, None, None);
                return;
            }
            let answer = w.call("/v1/qr").await;
            if !w.alive.get() {
                return;
            }
            w.on_qr_answer(answer);
        });
    }

    fn on_qr_answer(self: &Rc<Self>, answer: Answer) {
        let (status, json, wait) = match answer {
            Answer::Network => return self.fail(ErrKind::Network, None, None),
            Answer::Json(s, j, w) => (s, j, w),
        };
        if status != 200 {
            return self.fail_status(status, &json, wait, true);
        }
        match get_str(&json, "state").as_deref() {
            Some("connected") => self.connected(),
            Some("pairing") => {
                // The one QR rule (core): a PNG data URL, or nothing goes into <img>.
                let Some(qr) = get_str(&json, "qr").and_then(|q| QrImage::parse(&q).ok()) else {
                    return self.fail(ErrKind::Server, None, None);
                };
                let refresh = get_u32(&json, "refreshAfterMs", 20_000, 1000, 600_000);
                self.view.qr.set_src(qr.as_data_url());
                self.view.qr.set_hidden(false);
                {
                    let mut st = self.state.borrow_mut();
                    st.attempt += 1;
                    st.qr_expires_at = now_ms() + f64::from(refresh);
                    st.pairing_code =
                        get_str(&json, "pairingCode").map(|c| crate::model::group_pairing_code(&c));
                    st.err = None;
                    st.token_refreshed = false;
                }
                self.set_phase(Phase::Pairing);
                self.schedule(refresh);
                let detail = Object::new();
                let st = self.state.borrow();
                let _ = Reflect::set(&detail, &"attempt".into(), &st.attempt.into());
                let _ = Reflect::set(&detail, &"expiresInMs".into(), &refresh.into());
                let _ = Reflect::set(
                    &detail,
                    &"pairingCode".into(),
                    &st.pairing_code.clone().map_or(JsValue::NULL, JsValue::from),
                );
                drop(st);
                self.emit("qr", "onQr", &detail);
                if !self.ready_sent.replace(true) {
                    self.emit("ready", "onReady", &JsValue::UNDEFINED);
                }
            }
            _ => self.fail(ErrKind::Server, None, None),
        }
    }

    /// (Re)arms the refresh timeout, the status poll and the countdown.
    fn schedule(self: &Rc<Self>, refresh_ms: u32) {
        let doc_hidden = web_sys::window()
            .and_then(|w| w.document())
            .is_some_and(|d| d.hidden());
        let mut t = self.timers.borrow_mut();
        t.retry = None;
        if doc_hidden {
            // Paused while hidden; visibilitychange resumes.
            t.refresh = None;
            t.poll = None;
            t.countdown = None;
            return;
        }
        let weak = Rc::downgrade(self);
        t.refresh = Some(Timeout::new(refresh_ms, move || {
            if let Some(w) = weak.upgrade() {
                w.fetch_qr();
            }
        }));
        if t.poll.is_none() {
            let weak = Rc::downgrade(self);
            t.poll = Some(Interval::new(self.opts.borrow().poll_ms, move || {
                if let Some(w) = weak.upgrade() {
                    w.poll_status();
                }
            }));
        }
        if t.countdown.is_none() {
            let weak: Weak<Self> = Rc::downgrade(self);
            t.countdown = Some(Interval::new(1000, move || {
                if let Some(w) = weak.upgrade() {
                    w.tick();
                }
            }));
        }
    }

    fn poll_status(self: &Rc<Self>) {
        if !matches!(
            self.state.borrow().phase,
            Phase::Pairing | Phase::Refreshing
        ) {
            return;
        }
        let weak = Rc::downgrade(self);
        wasm_bindgen_futures::spawn_local(async move {
            let Some(w) = weak.upgrade().filter(|w| w.alive.get()) else {
                return;
            };
            let answer = w.call("/v1/status").await;
            if !w.alive.get()
                || !matches!(w.state.borrow().phase, Phase::Pairing | Phase::Refreshing)
            {
                return;
            }
            match answer {
                Answer::Json(200, json, _) => match get_str(&json, "state").as_deref() {
                    Some("connected") => w.connected(),
                    // The upstream attempt ended early: ask for a new QR now.
                    Some("disconnected") if w.state.borrow().phase == Phase::Pairing => {
                        w.fetch_qr()
                    }
                    _ => {}
                },
                Answer::Json(status @ (401 | 403), json, wait) => {
                    w.fail_status(status, &json, wait, false)
                }
                // Transient poll failures are ignored: the next poll or refresh will tell.
                _ => {}
            }
        });
    }

    fn connected(self: &Rc<Self>) {
        self.stop_timers();
        self.abort_inflight();
        self.set_phase(Phase::Connected);
        let detail = Object::new();
        let token = self.state.borrow().token.clone().unwrap_or_default();
        let id = token_subject(&token).map_or(JsValue::NULL, JsValue::from);
        let _ = Reflect::set(&detail, &"numberId".into(), &id);
        self.emit("connected", "onConnected", &detail);
    }

    fn expire(self: &Rc<Self>) {
        self.stop_timers();
        self.set_phase(Phase::Expired);
        self.emit("expired", "onExpired", &JsValue::UNDEFINED);
    }

    fn fail_status(
        self: &Rc<Self>,
        status: u16,
        json: &JsValue,
        wait: Option<u32>,
        may_refresh_token: bool,
    ) {
        let code = get_str(&get(json, "error"), "code").and_then(|c| PublicErrorCode::parse(&c));
        let kind = match (status, code) {
            (429, _) => ErrKind::RateLimited,
            (401, _)
            | (403, Some(PublicErrorCode::OriginMismatch | PublicErrorCode::OriginNotAllowed)) => {
                ErrKind::Unauthorized
            }
            (404, _) => ErrKind::NotFound,
            (500, Some(PublicErrorCode::ConfigError)) => ErrKind::Config,
            _ => ErrKind::Server,
        };
        // An expired token is renewed once through getToken, then the call is retried.
        if kind == ErrKind::Unauthorized
            && may_refresh_token
            && self.opts.borrow().get_token.is_some()
            && !self.state.borrow().token_refreshed
        {
            self.state.borrow_mut().token_refreshed = true;
            let weak = Rc::downgrade(self);
            wasm_bindgen_futures::spawn_local(async move {
                let Some(w) = weak.upgrade().filter(|w| w.alive.get()) else {
                    return;
                };
                if w.ensure_token(true).await {
                    w.fetch_qr();
                } else {
                    w.fail(ErrKind::Unauthorized, None, None);
                }
            });
            return;
        }
        self.fail(
            kind,
            code,
            if kind == ErrKind::RateLimited {
                Some(wait.unwrap_or(5000))
            } else {
                None
            },
        );
    }

    fn fail(self: &Rc<Self>, kind: ErrKind, code: Option<PublicErrorCode>, wait: Option<u32>) {
        self.stop_timers();
        self.state.borrow_mut().err = Some((kind, wait));
        self.set_phase(Phase::Error);
        let detail = Object::new();
        let _ = Reflect::set(&detail, &"kind".into(), &kind.as_str().into());
        let _ = Reflect::set(
            &detail,
            &"code".into(),
            &code.map_or(JsValue::NULL, |c| c.as_str().into()),
        );
        let _ = Reflect::set(
            &detail,
            &"retryAfterMs".into(),
            &wait.map_or(JsValue::NULL, JsValue::from),
        );
        self.emit("error", "onError", &detail);
        if let Some(ms) = wait {
            // Honour the server's wait, then try again by itself.
            let weak = Rc::downgrade(self);
            self.timers.borrow_mut().retry = Some(Timeout::new(ms, move || {
                if let Some(w) = weak.upgrade() {
                    w.fetch_qr();
                }
            }));
        }
    }

    fn on_visibility(self: &Rc<Self>) {
        let hidden = web_sys::window()
            .and_then(|w| w.document())
            .is_some_and(|d| d.hidden());
        let phase = self.state.borrow().phase;
        if !matches!(phase, Phase::Pairing | Phase::Refreshing) {
            return;
        }
        if hidden {
            let mut t = self.timers.borrow_mut();
            t.refresh = None;
            t.poll = None;
            t.countdown = None;
            return;
        }
        // Back in view: check at once, and refresh the QR if it went stale meanwhile.
        self.poll_status();
        let left = self.state.borrow().qr_expires_at - now_ms();
        if left <= 0.0 {
            self.fetch_qr();
        } else {
            self.schedule(left as u32);
        }
    }

    fn copy_code(self: &Rc<Self>) {
        let Some(code) = self.state.borrow().pairing_code.clone() else {
            return;
        };
        let Some(win) = web_sys::window() else { return };
        let _ = win.navigator().clipboard().write_text(&code);
        text(&self.view.copy, &self.opts.borrow().text(Msg::Copied));
        text(&self.view.status, &self.opts.borrow().text(Msg::Copied));
        let weak = Rc::downgrade(self);
        self.timers.borrow_mut().copied = Some(Timeout::new(2000, move || {
            if let Some(w) = weak.upgrade() {
                text(&w.view.copy, &w.opts.borrow().text(Msg::Copy));
            }
        }));
    }

    /// A fresh QR now, with a fresh attempt budget (the WCAG 2.2.1 "extend" action).
    fn restart(self: &Rc<Self>) {
        self.stop_timers();
        {
            let mut st = self.state.borrow_mut();
            st.attempt = 0;
            st.err = None;
        }
        self.fetch_qr();
    }

    fn wire(self: &Rc<Self>) {
        let mut ls = self.listeners.borrow_mut();
        let on = |target: &web_sys::EventTarget, name: &'static str, f: fn(&Rc<Widget>)| {
            let weak = Rc::downgrade(self);
            EventListener::new(target, name, move |_| {
                if let Some(w) = weak.upgrade() {
                    f(&w);
                }
            })
        };
        ls.push(on(&self.view.keep, "click", Widget::restart));
        ls.push(on(&self.view.retry, "click", Widget::restart));
        ls.push(on(&self.view.copy, "click", Widget::copy_code));
        if let Some(doc) = web_sys::window().and_then(|w| w.document()) {
            ls.push(on(&doc, "visibilitychange", Widget::on_visibility));
        }
    }

    fn apply_appearance(&self) {
        let o = self.opts.borrow();
        let Some(h) = self.view.container.dyn_ref::<HtmlElement>() else {
            return;
        };
        let style = h.style();
        const VARS: [(&str, &str); 7] = [
            ("colorPrimary", "--psw-color-primary"),
            ("colorBackground", "--psw-color-background"),
            ("colorText", "--psw-color-text"),
            ("colorDanger", "--psw-color-danger"),
            ("fontFamily", "--psw-font-family"),
            ("borderRadius", "--psw-border-radius"),
            ("spacingUnit", "--psw-spacing-unit"),
        ];
        for (key, prop) in VARS {
            if let Some(v) = get_str(&o.variables, key) {
                let _ = style.set_property(prop, &v);
            }
        }
    }

    /// Stops everything and removes the DOM.
    fn teardown(&self) {
        self.alive.set(false);
        self.stop_timers();
        self.timers.borrow_mut().copied = None;
        self.listeners.borrow_mut().clear();
        self.abort_inflight();
        self.view.container.remove();
        let _ = self.host.remove_attribute("data-state");
    }
}

fn resolve_target(target: &JsValue) -> Result<Element, JsValue> {
    if let Some(e) = target.dyn_ref::<Element>() {
        return Ok(e.clone());
    }
    let doc = web_sys::window()
        .and_then(|w| w.document())
        .ok_or_else(|| error("pilot-connect: no document"))?;
    let sel = target
        .as_string()
        .ok_or_else(|| error("pilot-connect: target must be an Element or a CSS selector"))?;
    doc.query_selector(&sel)?
        .ok_or_else(|| error("pilot-connect: target not found"))
}

fn create(target: &JsValue, options: &JsValue) -> Result<Rc<Widget>, JsValue> {
    let win =
        web_sys::window().ok_or_else(|| error("pilot-connect: mount needs a browser window"))?;
    let doc = win
        .document()
        .ok_or_else(|| error("pilot-connect: no document"))?;
    let host = resolve_target(target)?;
    let opts = Options::parse(options, &win.navigator().language().unwrap_or_default())?;
    let view = View::build(&doc, &host)?;
    let token = opts.token.clone();
    let w = Rc::new(Widget {
        host,
        view,
        opts: RefCell::new(opts),
        state: RefCell::new(State {
            phase: Phase::Idle,
            attempt: 0,
            qr_expires_at: 0.0,
            pairing_code: None,
            token,
            token_refreshed: false,
            err: None,
        }),
        timers: RefCell::new(Timers::default()),
        listeners: RefCell::new(Vec::new()),
        inflight: RefCell::new(Vec::new()),
        alive: Cell::new(true),
        ready_sent: Cell::new(false),
    });
    w.apply_appearance();
    w.wire();
    w.set_phase(Phase::Idle);
    w.fetch_qr();
    Ok(w)
}

/// A mounted widget. `destroy()` is final and idempotent; `unmount()` can be followed by
/// `mount(target)` to show it again.
#[wasm_bindgen]
pub struct Handle {
    widget: Option<Rc<Widget>>,
    options: JsValue,
    destroyed: bool,
}

/// Mounts the widget into `target` (an Element or a CSS selector).
///
/// # Errors
/// A JS `Error` when the target is missing, the options are invalid (no endpoint, no token or
/// getToken) or there is no browser DOM.
#[wasm_bindgen]
pub fn mount(target: JsValue, options: JsValue) -> Result<Handle, JsValue> {
    let widget = create(&target, &options)?;
    Ok(Handle {
        widget: Some(widget),
        options,
        destroyed: false,
    })
}

#[wasm_bindgen]
impl Handle {
    /// Mounts again after `unmount()`.
    ///
    /// # Errors
    /// As [`mount`], or when the handle was destroyed.
    pub fn mount(&mut self, target: JsValue) -> Result<(), JsValue> {
        if self.destroyed {
            return Err(error("pilot-connect: this widget was destroyed"));
        }
        if let Some(w) = self.widget.take() {
            w.teardown();
        }
        self.widget = Some(create(&target, &self.options)?);
        Ok(())
    }

    /// Removes the widget and stops all work; it can be mounted again.
    pub fn unmount(&mut self) {
        if let Some(w) = self.widget.take() {
            w.teardown();
        }
    }

    /// Removes the widget, cancels every timer, listener and in-flight request. Idempotent.
    pub fn destroy(&mut self) {
        self.unmount();
        self.destroyed = true;
    }

    /// Changes `locale`, `messages` and/or `appearance` at run time.
    ///
    /// # Errors
    /// Never for well-formed input; reserved for future validation.
    pub fn update(&self, options: JsValue) -> Result<(), JsValue> {
        let Some(w) = &self.widget else { return Ok(()) };
        {
            let mut o = w.opts.borrow_mut();
            if let Some(l) = get_str(&options, "locale") {
                let browser = web_sys::window()
                    .and_then(|w| w.navigator().language())
                    .unwrap_or_default();
                o.locale = Locale::pick(&l, &browser);
            }
            let m = get(&options, "messages");
            if m.is_object() {
                o.messages = m;
            }
            let a = get(&options, "appearance");
            if a.is_object() {
                if let Some(t) = get_str(&a, "theme") {
                    o.theme = if t == "dark" || t == "light" {
                        t
                    } else {
                        "auto".into()
                    };
                }
                let vars = get(&a, "variables");
                if vars.is_object() {
                    o.variables = vars;
                }
            }
        }
        w.apply_appearance();
        w.render();
        Ok(())
    }

    /// Asks for a fresh QR now (resets the attempt budget).
    pub fn restart(&self) {
        if let Some(w) = &self.widget {
            w.restart();
        }
    }

    /// The current state name (`idle`, `loading`, `pairing`, `refreshing`, `connected`,
    /// `expired`, `error`, or `destroyed`).
    #[wasm_bindgen(getter)]
    pub fn state(&self) -> String {
        match &self.widget {
            Some(w) => w.state.borrow().phase.as_str().into(),
            None if self.destroyed => "destroyed".into(),
            None => "unmounted".into(),
        }
    }
}
