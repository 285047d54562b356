//! Runs the machine's commands in the browser: requests to the worker (`fetch` with an
//! `AbortController` per request kind), timers (one RAII slot per kind), page visibility and
//! clicks, the clipboard, callbacks and DOM events. Everything it owns is dropped on teardown,
//! so `destroy()` leaves no timer, listener or request behind.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use gloo_events::EventListener;
use gloo_timers::callback::Timeout;
use js_sys::{Function, Object, Reflect};
use pilot_connect::public::{field, ErrorBody, QrAnswer, StatusAnswer};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, Element};

use crate::machine::{Command, Config, Emitted, Event, Failure, Machine, Request};
use crate::messages::{Locale, Msg, KEYS};
use crate::view::{Texts, View};

pub(crate) fn get(obj: &JsValue, key: &str) -> JsValue {
    if obj.is_object() {
        Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
    } else {
        JsValue::UNDEFINED
    }
}

pub(crate) fn get_str(obj: &JsValue, key: &str) -> Option<String> {
    get(obj, key).as_string()
}

fn set(obj: &Object, key: &str, value: &JsValue) {
    let _ = Reflect::set(obj, &JsValue::from_str(key), value);
}

fn get_u32(obj: &JsValue, key: &str, default: u32, min: u32, max: u32) -> u32 {
    get(obj, key)
        .as_f64()
        .filter(|v| v.is_finite())
        .map_or(default, |v| (v as u32).clamp(min, max))
}

pub(crate) fn error(msg: &str) -> JsValue {
    js_sys::Error::new(msg).into()
}

fn now() -> f64 {
    js_sys::Date::now()
}

fn document_hidden() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .is_some_and(|d| d.hidden())
}

/// `light`, `dark` or `auto`.
pub(crate) fn theme(value: Option<String>) -> &'static str {
    match value.as_deref() {
        Some("dark") => "dark",
        Some("light") => "light",
        _ => "auto",
    }
}

/// Everything the page passed in.
pub(crate) struct Options {
    pub endpoint: String,
    pub token: Option<String>,
    pub get_token: Option<Function>,
    pub locale: Locale,
    pub messages: JsValue,
    pub theme: &'static str,
    pub variables: JsValue,
    pub max_attempts: u32,
    pub poll_ms: u32,
    pub timeout_ms: u32,
    pub callbacks: JsValue,
}

impl Options {
    pub(crate) fn parse(o: &JsValue, browser_lang: &str) -> Result<Self, JsValue> {
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
            theme: theme(get_str(&appearance, "theme")),
            variables: get(&appearance, "variables"),
            max_attempts: get_u32(o, "maxAttempts", 6, 1, 100),
            poll_ms: get_u32(o, "pollIntervalMs", 2500, 500, 60_000),
            timeout_ms: get_u32(o, "requestTimeoutMs", 10_000, 1000, 60_000),
            callbacks: o.clone(),
        })
    }
}

impl Texts for Options {
    fn text(&self, m: Msg) -> String {
        KEYS.get(m as usize)
            .and_then(|k| get_str(&self.messages, k))
            .unwrap_or_else(|| self.locale.text(m).to_owned())
    }

    fn lang(&self) -> &'static str {
        self.locale.tag()
    }

    fn theme(&self) -> &str {
        self.theme
    }
}

/// One mounted widget.
pub(crate) struct Widget {
    host: Element,
    pub(crate) view: View,
    pub(crate) opts: RefCell<Options>,
    machine: RefCell<Machine>,
    timers: RefCell<[Option<Timeout>; 5]>,
    requests: RefCell<[Option<AbortController>; 2]>,
    listeners: RefCell<Vec<EventListener>>,
}

impl Widget {
    pub(crate) fn new(host: Element, view: View, opts: Options) -> Rc<Self> {
        let machine = Machine::new(
            Config {
                max_attempts: opts.max_attempts,
                poll_ms: opts.poll_ms,
                can_renew_token: opts.get_token.is_some(),
            },
            document_hidden(),
        );
        let w = Rc::new(Self {
            host,
            view,
            opts: RefCell::new(opts),
            machine: RefCell::new(machine),
            timers: RefCell::new(Default::default()),
            requests: RefCell::new(Default::default()),
            listeners: RefCell::new(Vec::new()),
        });
        w.apply_appearance();
        w.wire();
        w.render();
        w.dispatch(Event::Start);
        w
    }

    pub(crate) fn phase_name(&self) -> &'static str {
        self.machine.borrow().phase().as_str()
    }

    /// Feeds an event to the machine and runs what it asks for.
    pub(crate) fn dispatch(self: &Rc<Self>, event: Event) {
        let commands = self.machine.borrow_mut().handle(event, now());
        for c in commands {
            self.run(c);
        }
    }

    fn run(self: &Rc<Self>, c: Command) {
        match c {
            Command::Fetch(r) => self.fetch(r),
            Command::RenewToken => self.renew_token(),
            Command::Arm(t, ms) => {
                let weak = Rc::downgrade(self);
                let timer = Timeout::new(ms, move || {
                    if let Some(w) = weak.upgrade() {
                        w.dispatch(Event::Fired(t));
                    }
                });
                self.timers.borrow_mut()[t as usize] = Some(timer);
            }
            Command::Disarm(t) => self.timers.borrow_mut()[t as usize] = None,
            Command::Abort => {
                for c in self
                    .requests
                    .borrow_mut()
                    .iter_mut()
                    .filter_map(Option::take)
                {
                    c.abort();
                }
            }
            Command::CopyCode => {
                if let (Some(code), Some(win)) = (self.machine.borrow().code(), web_sys::window()) {
                    let _ = win.navigator().clipboard().write_text(code);
                }
            }
            Command::Render => self.render(),
            Command::Emit(e) => self.emit(e),
        }
    }

    pub(crate) fn render(&self) {
        let m = self.machine.borrow();
        self.view.render(&m.view(now()), &*self.opts.borrow());
        let _ = self.host.set_attribute("data-state", m.phase().as_str());
    }

    /// `GET` a worker route with the token, aborting a running request of the same kind.
    fn fetch(self: &Rc<Self>, kind: Request) {
        let (url, token, timeout) = {
            let o = self.opts.borrow();
            let path = match kind {
                Request::Qr => "/v1/qr",
                Request::Status => "/v1/status",
            };
            let mut url = String::with_capacity(o.endpoint.len() + path.len());
            url.push_str(&o.endpoint);
            url.push_str(path);
            (url, o.token.clone(), o.timeout_ms)
        };
        let failed = move |f| match kind {
            Request::Qr => Event::QrFailed(f),
            Request::Status => Event::StatusFailed(f),
        };
        let Some(token) = token else {
            return self.dispatch(failed(Failure::no_token()));
        };
        let Ok(controller) = AbortController::new() else {
            return self.dispatch(failed(Failure::network()));
        };
        if let Some(old) = self.requests.borrow_mut()[kind as usize].replace(controller.clone()) {
            old.abort();
        }
        let weak = Rc::downgrade(self);
        wasm_bindgen_futures::spawn_local(async move {
            let ctl = controller.clone();
            // Dropped on every path: the timeout only fires while the request runs.
            let _deadline = Timeout::new(timeout, move || ctl.abort());
            let answer = get_json(&url, &token, &controller).await;
            let Some(w) = weak.upgrade() else { return };
            {
                // Superseded by a newer request or aborted by us (connected, destroy): nobody
                // waits for this answer. A timeout keeps the slot and reads as a network error.
                let mut slots = w.requests.borrow_mut();
                if slots[kind as usize].as_ref() != Some(&controller) {
                    return;
                }
                slots[kind as usize] = None;
            }
            let event = match (kind, answer) {
                (_, Err(())) => failed(Failure::network()),
                (_, Ok((status, retry, body))) if status != 200 => {
                    let code = get_str(&get(&body, field::ERROR), field::CODE);
                    let code = ErrorBody::from_fields(code.as_deref()).map(|b| b.code);
                    failed(Failure::from_answer(status, code, retry))
                }
                (Request::Qr, Ok((_, _, body))) => {
                    let state = get_str(&body, field::STATE);
                    let qr = get_str(&body, field::QR);
                    let code = get_str(&body, field::PAIRING_CODE);
                    let refresh = get(&body, field::REFRESH_AFTER_MS).as_f64();
                    match QrAnswer::from_fields(
                        state.as_deref(),
                        qr.as_deref(),
                        code.as_deref(),
                        refresh,
                    ) {
                        Ok(a) => Event::QrArrived(a),
                        Err(_) => Event::QrFailed(Failure::bad_answer()),
                    }
                }
                (Request::Status, Ok((_, _, body))) => {
                    let state = get_str(&body, field::STATE);
                    match StatusAnswer::from_fields(
                        state.as_deref(),
                        get(&body, field::STALE).as_bool(),
                    ) {
                        Ok(a) => Event::StatusArrived(a.state),
                        Err(_) => Event::StatusFailed(Failure::bad_answer()),
                    }
                }
            };
            w.dispatch(event);
        });
    }

    fn renew_token(self: &Rc<Self>) {
        let getter = self.opts.borrow().get_token.clone();
        let weak = Rc::downgrade(self);
        wasm_bindgen_futures::spawn_local(async move {
            let token = match getter.map(|f| f.call0(&JsValue::NULL)) {
                Some(Ok(v)) => match v.dyn_into::<js_sys::Promise>() {
                    Ok(p) => JsFuture::from(p).await.ok(),
                    Err(v) => Some(v),
                },
                _ => None,
            };
            let token = token.and_then(|t| t.as_string()).filter(|t| !t.is_empty());
            let Some(w) = weak.upgrade() else { return };
            let ok = token.is_some();
            if ok {
                w.opts.borrow_mut().token = token;
            }
            w.dispatch(Event::TokenRenewed(ok));
        });
    }

    /// Calls `options.<callback>(detail)` and dispatches `pilot-connect:<name>` on the host.
    fn emit(&self, e: Emitted) {
        let detail = Object::new();
        let (name, callback) = match e {
            Emitted::StateChange(p) => {
                set(&detail, "state", &p.as_str().into());
                ("pilot-connect:statechange", "onStateChange")
            }
            Emitted::Qr {
                attempt,
                expires_in_ms,
            } => {
                set(&detail, "attempt", &attempt.into());
                set(&detail, "expiresInMs", &expires_in_ms.into());
                let code = self.machine.borrow().code().map(JsValue::from);
                set(&detail, "pairingCode", &code.unwrap_or(JsValue::NULL));
                ("pilot-connect:qr", "onQr")
            }
            Emitted::Ready => ("pilot-connect:ready", "onReady"),
            Emitted::Connected => {
                let id = self
                    .opts
                    .borrow()
                    .token
                    .as_deref()
                    .and_then(token_subject)
                    .map_or(JsValue::NULL, JsValue::from);
                set(&detail, "numberId", &id);
                ("pilot-connect:connected", "onConnected")
            }
            Emitted::Expired => ("pilot-connect:expired", "onExpired"),
            Emitted::Error(f) => {
                set(&detail, "kind", &f.kind.as_str().into());
                let code = f.code.map_or(JsValue::NULL, |c| c.as_str().into());
                set(&detail, "code", &code);
                let wait = f.retry_after_ms.map_or(JsValue::NULL, JsValue::from);
                set(&detail, "retryAfterMs", &wait);
                ("pilot-connect:error", "onError")
            }
        };
        let detail: JsValue = if matches!(e, Emitted::Ready | Emitted::Expired) {
            JsValue::UNDEFINED
        } else {
            detail.into()
        };
        let cb = get(&self.opts.borrow().callbacks, callback);
        if let Some(f) = cb.dyn_ref::<Function>() {
            // A throwing page callback must not break the widget.
            let _ = f.call1(&JsValue::NULL, &detail);
        }
        let init = web_sys::CustomEventInit::new();
        init.set_detail(&detail);
        init.set_bubbles(true);
        init.set_composed(true);
        if let Ok(ev) = web_sys::CustomEvent::new_with_event_init_dict(name, &init) {
            let _ = self.host.dispatch_event(&ev);
        }
    }

    fn wire(self: &Rc<Self>) {
        let mut ls = self.listeners.borrow_mut();
        let on = |target: &web_sys::EventTarget, name: &'static str, event: fn() -> Event| {
            let weak: Weak<Self> = Rc::downgrade(self);
            EventListener::new(target, name, move |_| {
                if let Some(w) = weak.upgrade() {
                    w.dispatch(event());
                }
            })
        };
        let v = &self.view;
        for b in [&v.new_code, &v.reload, &v.retry] {
            ls.push(on(b, "click", || Event::Restart));
        }
        ls.push(on(&v.copy, "click", || Event::Copy));
        if let Some(doc) = web_sys::window().and_then(|w| w.document()) {
            ls.push(on(&doc, "visibilitychange", || Event::Visibility {
                hidden: document_hidden(),
            }));
        }
    }

    /// `appearance.variables` → `--psw-*` custom properties on our container.
    pub(crate) fn apply_appearance(&self) {
        const VARS: [(&str, &str); 7] = [
            ("colorPrimary", "--psw-color-primary:"),
            ("colorBackground", "--psw-color-background:"),
            ("colorText", "--psw-color-text:"),
            ("colorDanger", "--psw-color-danger:"),
            ("fontFamily", "--psw-font-family:"),
            ("borderRadius", "--psw-border-radius:"),
            ("spacingUnit", "--psw-spacing-unit:"),
        ];
        let o = self.opts.borrow();
        let mut style = String::new();
        for (key, prop) in VARS {
            // One declaration each: a value cannot close it and start another.
            if let Some(v) = get_str(&o.variables, key).filter(|v| !v.contains([';', '{', '}'])) {
                style.push_str(prop);
                style.push_str(&v);
                style.push(';');
            }
        }
        let _ = self.view.container.set_attribute("style", &style);
    }

    /// Stops everything and removes the DOM.
    pub(crate) fn teardown(self: &Rc<Self>) {
        self.dispatch(Event::Destroy);
        // Belt and braces: every slot is dropped even if the machine had not armed it.
        *self.timers.borrow_mut() = Default::default();
        for c in self
            .requests
            .borrow_mut()
            .iter_mut()
            .filter_map(Option::take)
        {
            c.abort();
        }
        self.listeners.borrow_mut().clear();
        self.view.container.remove();
        let _ = self.host.remove_attribute("data-state");
    }
}

/// `GET url` with the bearer token; `(status, Retry-After in ms, JSON body or null)`.
async fn get_json(
    url: &str,
    token: &str,
    controller: &AbortController,
) -> Result<(u16, Option<u32>, JsValue), ()> {
    let win = web_sys::window().ok_or(())?;
    let headers = web_sys::Headers::new().map_err(|_| ())?;
    let mut bearer = String::with_capacity(7 + token.len());
    bearer.push_str("Bearer ");
    bearer.push_str(token);
    headers.set("authorization", &bearer).map_err(|_| ())?;
    let init = web_sys::RequestInit::new();
    init.set_method("GET");
    init.set_headers(&headers);
    init.set_signal(Some(&controller.signal()));
    let resp: web_sys::Response = JsFuture::from(win.fetch_with_str_and_init(url, &init))
        .await
        .map_err(|_| ())?
        .dyn_into()
        .map_err(|_| ())?;
    let retry = resp
        .headers()
        .get("retry-after")
        .ok()
        .flatten()
        .and_then(|v| v.trim().parse::<u32>().ok())
        .map(|s| s.saturating_mul(1000));
    let body = match resp.json() {
        Ok(p) => JsFuture::from(p).await.unwrap_or(JsValue::NULL),
        Err(_) => JsValue::NULL,
    };
    Ok((resp.status(), retry, body))
}

/// `sub` of a JWT payload, for `onConnected({ numberId })` (display only: the worker verifies
/// tokens, the widget never does). Decoded with the browser's `atob`.
fn token_subject(token: &str) -> Option<String> {
    let payload = token.split('.').nth(1)?;
    let mut b64: String = payload
        .chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            c => c,
        })
        .collect();
    while !b64.len().is_multiple_of(4) {
        b64.push('=');
    }
    let json = web_sys::window()?.atob(&b64).ok()?;
    get_str(&js_sys::JSON::parse(&json).ok()?, "sub")
}
