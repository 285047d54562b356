//! Runs the machine's commands in the browser: requests to the worker (`fetch` with an
//! `AbortController` per request kind), timers (one RAII slot per kind), page visibility and
//! clicks, the clipboard, the push stream, callbacks and DOM events. Everything it owns is
//! dropped on teardown, so `destroy()` leaves no timer, listener, socket or request behind.

use alloc::borrow::ToOwned;
use alloc::rc::{Rc, Weak};
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;

use js_sys::{Function, Object};
use pilot_connect_wire::{field, ErrorBody, QrAnswer, QrFields, StatusAnswer};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{AbortController, Document, Element, EventTarget};

use crate::machine::{Command, Config, Emitted, Event, Failure, Machine, Request, TIMER_COUNT};
use crate::messages::{Locale, Msg};
use crate::view::{Part, Texts, View};

// The page's leaf operations, in JS (`page.js`): a promise chain, a `CustomEvent`, a socket's
// handlers. They hold no state; when to call them is the machine's and the driver's decision.
#[wasm_bindgen(module = "/src/page.js")]
extern "C" {
    /// The widget's static template in a shadow root of a container appended to `host`:
    /// `[container, root, ...the first element of each NUL-terminated class]`.
    pub(crate) fn stamp(host: &Element, css: &str, html: &str, classes: &str) -> js_sys::Array;
    /// `GET url`; calls `done({ status, retryAfter, body })` once (`body` is `null` when it is
    /// not JSON), or `done(null)` when the request failed (network, abort, timeout).
    #[wasm_bindgen(js_name = getJson)]
    fn get_json(url: &str, authorization: &str, signal: &web_sys::AbortSignal, done: &JsValue);
    /// Calls `options[callback](detail)` (a throwing page callback cannot break the widget),
    /// then dispatches a bubbling, composed `CustomEvent` `name` on `host`.
    fn emit(host: &Element, options: &JsValue, name: &str, callback: &str, detail: &JsValue);
    /// Opens the push stream with the token as the `bearer.<token>` subprotocol; `on(true)`
    /// when it opens, `on(false)` when it closes, `on(frame)` for each JSON frame. `undefined`
    /// when the browser refuses the URL.
    #[wasm_bindgen(js_name = openEvents)]
    fn open_events(url: &str, token: &str, on: &JsValue) -> JsValue;
    /// Detaches `on` and closes the socket.
    #[wasm_bindgen(js_name = closeEvents)]
    fn close_events(ws: &JsValue);
    /// Calls the page's `getToken()` (sync or async); `done(token)` with a non-empty string,
    /// else `done(null)` (also when it throws or rejects).
    #[wasm_bindgen(js_name = renewToken)]
    fn renew_token_with(get_token: &Function, done: &JsValue);
    /// The `sub` of a JWT's payload (display only: the worker verifies tokens, never the
    /// widget), or `undefined`.
    #[wasm_bindgen(js_name = tokenSubject)]
    fn token_subject(token: &str) -> JsValue;
}

#[wasm_bindgen]
extern "C" {
    // `Reflect.get/set` with the key as a Rust `&str` (the glue decodes it): no JS string to
    // make and drop at each of the many call sites.
    #[wasm_bindgen(catch, js_namespace = Reflect, js_name = get)]
    fn reflect_get(target: &JsValue, key: &str) -> Result<JsValue, JsValue>;
    /// On the widget's own plain objects, where it cannot throw.
    #[wasm_bindgen(js_namespace = Reflect, js_name = set)]
    fn set(target: &Object, key: &str, value: &JsValue);
    #[wasm_bindgen(js_namespace = Reflect, js_name = set)]
    fn set_str(target: &Object, key: &str, value: &str);
}

/// `obj[key]`, or `undefined` when `obj` is not an object or its getter throws.
pub(crate) fn get(obj: &JsValue, key: &str) -> JsValue {
    if obj.is_object() {
        reflect_get(obj, key).unwrap_or(JsValue::UNDEFINED)
    } else {
        JsValue::UNDEFINED
    }
}

pub(crate) fn get_str(obj: &JsValue, key: &str) -> Option<String> {
    get(obj, key).as_string()
}

fn get_u32(obj: &JsValue, key: &str, default: u32, min: u32, max: u32) -> u32 {
    get(obj, key)
        .as_f64()
        .filter(|v| v.is_finite())
        .map_or(default, |v| (v as u32).max(min).min(max))
}

pub(crate) fn error(msg: &str) -> JsValue {
    js_sys::Error::new(msg).into()
}

fn now() -> f64 {
    js_sys::Date::now()
}

/// The page's `navigator`, read as properties: rare reads, so no getters to import.
fn navigator(doc: &Document) -> JsValue {
    get(&get(doc, "defaultView"), "navigator")
}

/// The language the browser prefers (`navigator.language`).
pub(crate) fn browser_lang(doc: &Document) -> String {
    get_str(&navigator(doc), "language").unwrap_or_default()
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
            .map(|e| {
                let mut e = e.trim_ascii();
                while let Some(shorter) = e.strip_suffix("/") {
                    e = shorter;
                }
                e.to_owned()
            })
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
        let mut opts = Self {
            endpoint,
            token,
            get_token,
            locale: Locale::pick("", browser_lang),
            messages: JsValue::UNDEFINED,
            theme: "auto",
            variables: JsValue::UNDEFINED,
            max_attempts: get_u32(o, "maxAttempts", 6, 1, 100),
            poll_ms: get_u32(o, "pollIntervalMs", 2500, 500, 60_000),
            timeout_ms: get_u32(o, "requestTimeoutMs", 10_000, 1000, 60_000),
            callbacks: o.clone(),
        };
        opts.restyle(o, browser_lang);
        Ok(opts)
    }

    /// Takes `locale`, `messages` and `appearance` (`theme`, `variables`) from `o`, each only
    /// when given: at mount, and for `handle.update()`.
    pub(crate) fn restyle(&mut self, o: &JsValue, browser_lang: &str) {
        if let Some(l) = get_str(o, "locale") {
            self.locale = Locale::pick(&l, browser_lang);
        }
        let messages = get(o, "messages");
        if messages.is_object() {
            self.messages = messages;
        }
        let appearance = get(o, "appearance");
        match get_str(&appearance, "theme").as_deref() {
            Some("dark") => self.theme = "dark",
            Some("light") => self.theme = "light",
            Some(_) => self.theme = "auto",
            None => {}
        }
        let variables = get(&appearance, "variables");
        if variables.is_object() {
            self.variables = variables;
        }
    }
}

impl Texts for Options {
    fn text(&self, m: Msg) -> String {
        get_str(&self.messages, m.key()).unwrap_or_else(|| self.locale.text(m).to_owned())
    }

    fn lang(&self) -> &'static str {
        self.locale.tag()
    }

    fn theme(&self) -> &str {
        self.theme
    }
}

/// A `RefCell` whose access never panics: a conflicting borrow (only possible through a page
/// callback re-entering the widget) skips the access instead. Panic paths cost wasm bytes, too.
pub(crate) struct Slot<T>(RefCell<T>);

impl<T> Slot<T> {
    fn new(v: T) -> Self {
        Self(RefCell::new(v))
    }

    /// Runs `f` on the value, or returns `None` when it is borrowed already.
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> Option<R> {
        self.0.try_borrow_mut().ok().map(|mut v| f(&mut v))
    }
}

#[wasm_bindgen]
extern "C" {
    // The page's own globals, called directly: reaching them through `web_sys::window()`
    // (a `globalThis`/`self`/`window`/`global` probe) costs more wasm than the calls.
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(callback: &JsValue, ms: u32) -> i32;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(id: i32);
}

/// Every callback the page's JS calls into: one closure type, so one set of wasm-bindgen shims.
type Callback = Closure<dyn FnMut(JsValue)>;

/// A `setTimeout` that is cleared when dropped.
pub(crate) struct Timer {
    id: i32,
    _callback: Callback,
}

impl Timer {
    /// Calls `f` once after `ms`, unless dropped first.
    fn new(ms: u32, f: impl FnMut(JsValue) + 'static) -> Self {
        let callback = Callback::new(f);
        Self {
            id: set_timeout(callback.as_ref(), ms),
            _callback: callback,
        }
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        clear_timeout(self.id);
    }
}

/// A JS function for one settlement (a request, a token renewal). The JS garbage collector
/// frees it, and the Rust closure with it, once nothing holds it, also when it runs after
/// `destroy()` (it then finds no widget). Same closure type as timers and listeners: no extra
/// wasm-bindgen shims.
fn js_fn(f: impl FnMut(JsValue) + 'static) -> JsValue {
    Callback::new(f).into_js_value()
}

/// An event listener that is removed when dropped.
pub(crate) struct Listener {
    target: EventTarget,
    name: &'static str,
    callback: Callback,
}

impl Listener {
    fn new(target: &EventTarget, name: &'static str, f: impl FnMut(JsValue) + 'static) -> Self {
        let callback = Callback::new(f);
        let _ = target.add_event_listener_with_callback(name, callback.as_ref().unchecked_ref());
        Self {
            target: target.clone(),
            name,
            callback,
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self
            .target
            .remove_event_listener_with_callback(self.name, self.callback.as_ref().unchecked_ref());
    }
}

/// A request in flight: aborted when dropped (superseded, connected, destroyed), its deadline
/// cleared with it.
struct InFlight {
    id: u32,
    controller: AbortController,
    _deadline: Timer,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.controller.abort();
    }
}

/// The push stream (`/v1/events`): its socket and callback. Dropping it closes the socket.
struct Push {
    ws: JsValue,
    _on_event: Callback,
}

impl Drop for Push {
    fn drop(&mut self) {
        close_events(&self.ws);
    }
}

/// A worker route: `endpoint` + `path` (`/v1/qr`, `/v1/status`, `/v1/events`).
///
/// The push stream's URL is http(s) or relative too: the WebSocket constructor resolves it on
/// the page and switches the scheme (WHATWG, 2023; Chrome 125, Firefox 124, Safari 17.3). An
/// older browser refuses it and the widget polls, as it does behind a proxy without WebSockets.
fn route(endpoint: &str, path: &str) -> String {
    let mut url = String::with_capacity(endpoint.len() + path.len());
    url.push_str(endpoint);
    url.push_str(path);
    url
}

/// A `/v1/qr` answer (or a pushed QR frame), read with the wire format's one rule.
fn read_qr(body: &JsValue) -> Option<QrAnswer> {
    let state = get_str(body, field::STATE);
    let qr = get_str(body, field::QR);
    let code = get_str(body, field::PAIRING_CODE);
    let number = get_str(body, field::MASKED_NUMBER);
    QrAnswer::from_fields(QrFields {
        state: state.as_deref(),
        qr: qr.as_deref(),
        pairing_code: code.as_deref(),
        refresh_after_ms: get(body, field::REFRESH_AFTER_MS).as_f64(),
        masked_number: number.as_deref(),
        code_expires_in_ms: get(body, field::CODE_EXPIRES_IN_MS).as_f64(),
    })
    .ok()
}

/// A `/v1/status` answer (or a pushed status frame).
fn read_status(body: &JsValue) -> Option<Event> {
    let state = get_str(body, field::STATE);
    StatusAnswer::from_fields(state.as_deref(), get(body, field::STALE).as_bool())
        .ok()
        .map(|a| Event::StatusArrived(a.state))
}

/// A pushed frame as a machine event: a QR answer, a status, or the session's failure.
fn pushed(frame: &JsValue) -> Option<Event> {
    let error = get(frame, field::ERROR);
    if error.is_object() {
        let body = ErrorBody::from_fields(get_str(&error, field::CODE).as_deref())?;
        let wait = get(&error, field::RETRY_AFTER_MS)
            .as_f64()
            .filter(|v| v.is_finite() && *v >= 0.0)
            .map(|v| v as u32);
        return Some(Event::PushFailed(Failure::from_answer(
            body.code.status(),
            Some(body.code),
            wait,
        )));
    }
    if get_str(frame, field::STATE).as_deref() == Some("pairing") {
        read_qr(frame).map(Event::QrArrived)
    } else {
        read_status(frame)
    }
}

/// One mounted widget.
pub(crate) struct Widget {
    host: Element,
    doc: Document,
    pub(crate) view: View,
    pub(crate) opts: Slot<Options>,
    machine: Slot<Machine>,
    timers: Slot<[Option<Timer>; TIMER_COUNT]>,
    requests: Slot<[Option<InFlight>; 2]>,
    /// Tells a settled request from a newer one of the same kind.
    request_ids: core::cell::Cell<u32>,
    listeners: Slot<Vec<Listener>>,
    push: Slot<Option<Push>>,
    /// The widget's own strong reference while mounted: a page that drops the handle `mount()`
    /// gave it (the README's quick start does) must not lose the widget to the garbage collector.
    /// Only `teardown()` (unmount, destroy) lets go.
    mounted: Slot<Option<Rc<Widget>>>,
}

impl Widget {
    pub(crate) fn new(host: Element, doc: Document, view: View, opts: Options) -> Rc<Self> {
        let machine = Machine::new(
            Config {
                max_attempts: opts.max_attempts,
                poll_ms: opts.poll_ms,
                can_renew_token: opts.get_token.is_some(),
            },
            doc.hidden(),
        );
        let w = Rc::new(Self {
            host,
            doc,
            view,
            opts: Slot::new(opts),
            machine: Slot::new(machine),
            timers: Slot::new(Default::default()),
            requests: Slot::new(Default::default()),
            request_ids: core::cell::Cell::new(0),
            listeners: Slot::new(Vec::new()),
            push: Slot::new(None),
            mounted: Slot::new(None),
        });
        w.mounted.with(|m| *m = Some(w.clone()));
        w.apply_appearance();
        w.wire();
        w.render();
        w.dispatch(Event::Start);
        w
    }

    /// The page this widget lives in.
    pub(crate) fn document(&self) -> &Document {
        &self.doc
    }

    pub(crate) fn phase_name(&self) -> &'static str {
        self.machine.with(|m| m.phase().as_str()).unwrap_or("idle")
    }

    /// Feeds an event to the machine and runs what it asks for.
    pub(crate) fn dispatch(self: &Rc<Self>, event: Event) {
        // A re-entrant dispatch (a page callback calling back in) is dropped, never a panic.
        let commands = self
            .machine
            .with(|m| m.handle(event, now()))
            .unwrap_or_default();
        for c in commands {
            self.run(c);
        }
    }

    /// A callback that dispatches `event(value)` to this widget while it lives.
    fn on(
        self: &Rc<Self>,
        event: impl Fn(JsValue) -> Option<Event> + 'static,
    ) -> impl FnMut(JsValue) {
        let weak: Weak<Self> = Rc::downgrade(self);
        move |v| {
            if let (Some(w), Some(e)) = (weak.upgrade(), event(v)) {
                w.dispatch(e);
            }
        }
    }

    fn run(self: &Rc<Self>, c: Command) {
        match c {
            Command::Fetch(r) => self.fetch(r),
            Command::RenewToken => self.renew_token(),
            Command::Arm(t, ms) => {
                // Reopening the push stream waits a random part of the upper half of its
                // backoff, so widgets dropped together do not all come back together.
                let ms = if t == crate::machine::Timer::Reopen {
                    ms / 2 + (f64::from(ms / 2) * js_sys::Math::random()) as u32
                } else {
                    ms
                };
                let timer = Timer::new(ms, self.on(move |_| Some(Event::Fired(t))));
                // The old timer (if any) is dropped outside the borrow: clearing it is JS work.
                let old = self.timers.with(|ts| ts[t as usize].replace(timer));
                drop(old);
            }
            Command::Disarm(t) => {
                let old = self.timers.with(|ts| ts[t as usize].take());
                drop(old);
            }
            Command::Abort => self.abort_all(),
            Command::CopyCode => {
                let code = self.machine.with(|m| m.code().map(str::to_owned)).flatten();
                let clipboard = get(&navigator(&self.doc), "clipboard");
                if let (Some(code), true) = (code, clipboard.is_object()) {
                    let _ = clipboard
                        .unchecked_into::<web_sys::Clipboard>()
                        .write_text(&code);
                }
            }
            Command::Watch(true) => self.open_push(),
            Command::Watch(false) => {
                // Safe even from the socket's own listener: wasm-bindgen frees a closure only
                // after its running call returns.
                let p = self.push.with(Option::take);
                drop(p);
            }
            Command::Render => self.render(),
            Command::Emit(e) => self.emit(e),
        }
    }

    pub(crate) fn render(&self) {
        let phase = self.machine.with(|m| {
            self.opts.with(|o| self.view.render(&m.view(now()), o));
            m.phase().as_str()
        });
        if let Some(phase) = phase {
            let _ = self.host.set_attribute("data-state", phase);
        }
    }

    /// `GET` a worker route with the token, aborting a running request of the same kind.
    /// Promise callbacks, not futures (no executor in the wasm): a fetch and its body always
    /// settle (the deadline aborts both), and nothing runs for a request that was replaced or
    /// aborted.
    fn fetch(self: &Rc<Self>, kind: Request) {
        let path = match kind {
            Request::Qr => "/v1/qr",
            Request::Status => "/v1/status",
        };
        let Some((url, token, timeout)) = self
            .opts
            .with(|o| (route(&o.endpoint, path), o.token.clone(), o.timeout_ms))
        else {
            return;
        };
        let Some(token) = token else {
            return self.dispatch(failed(kind, Failure::no_token()));
        };
        let Ok(controller) = AbortController::new() else {
            return self.dispatch(failed(kind, Failure::network()));
        };
        let mut bearer = String::with_capacity(7 + token.len());
        bearer.push_str("Bearer ");
        bearer.push_str(&token);

        let id = self.request_ids.get().wrapping_add(1);
        self.request_ids.set(id);
        let signal = controller.signal();
        let ctl = controller.clone();
        // A timeout aborts the request; it then settles as a network error.
        let deadline = Timer::new(timeout, move |_| ctl.abort());
        let flight = InFlight {
            id,
            controller,
            _deadline: deadline,
        };
        // Replacing the slot drops (aborts) a running request of this kind.
        let old = self.requests.with(|r| r[kind as usize].replace(flight));
        drop(old);

        let weak = Rc::downgrade(self);
        let done = js_fn(move |settled: JsValue| {
            if let Some(w) = weak.upgrade() {
                w.settle(kind, id, |()| answer(kind, &settled));
            }
        });
        get_json(&url, &bearer, &signal, &done);
    }

    /// Frees the slot of request `id` and dispatches its event, unless a newer request of the
    /// same kind replaced it or we aborted it (connected, destroy): then nobody waits for it.
    fn settle(self: &Rc<Self>, kind: Request, id: u32, event: impl FnOnce(()) -> Event) {
        let mine = self.requests.with(|slots| {
            let mine = slots[kind as usize].as_ref().is_some_and(|f| f.id == id);
            if mine {
                slots[kind as usize] = None;
            }
            mine
        });
        if mine == Some(true) {
            self.dispatch(event(()));
        }
    }

    /// Opens `/v1/events` with the token as the `bearer.<token>` subprotocol. If the worker does
    /// not offer it (old worker, a proxy that drops WebSockets, no webhooks), the socket closes
    /// and the machine keeps polling.
    fn open_push(self: &Rc<Self>) {
        let target = self
            .opts
            .with(|o| Some((route(&o.endpoint, "/v1/events"), o.token.clone()?)))
            .flatten();
        let Some((url, token)) = target else {
            return self.dispatch(Event::PushClosed);
        };
        let on_event = Callback::new(self.on(|v| match v.as_bool() {
            Some(true) => Some(Event::PushOpened),
            Some(false) => Some(Event::PushClosed),
            None => pushed(&v),
        }));
        let ws = open_events(&url, &token, on_event.as_ref());
        if ws.is_undefined() {
            return self.dispatch(Event::PushClosed);
        }
        let old = self.push.with(|p| {
            p.replace(Push {
                ws,
                _on_event: on_event,
            })
        });
        drop(old);
    }

    /// Calls `getToken()`; its value or promise settles into [`Event::TokenRenewed`].
    fn renew_token(self: &Rc<Self>) {
        let getter = self.opts.with(|o| o.get_token.clone()).flatten();
        let Some(getter) = getter else {
            return self.dispatch(Event::TokenRenewed(false));
        };
        let weak = Rc::downgrade(self);
        let done = js_fn(move |t: JsValue| {
            let Some(w) = weak.upgrade() else { return };
            let token = t.as_string();
            let ok = token.is_some();
            if ok {
                w.opts.with(|o| o.token = token);
            }
            w.dispatch(Event::TokenRenewed(ok));
        });
        renew_token_with(&getter, &done);
    }

    /// Calls `options.<callback>(detail)` and dispatches `pilot-connect:<name>` on the host.
    fn emit(&self, e: Emitted) {
        let detail = Object::new();
        let (name, callback) = match e {
            Emitted::StateChange(p) => {
                set_str(&detail, "state", p.as_str());
                ("pilot-connect:statechange", "onStateChange")
            }
            Emitted::Qr {
                attempt,
                expires_in_ms,
            } => {
                set(&detail, "attempt", &attempt.into());
                set(&detail, "expiresInMs", &expires_in_ms.into());
                let code = self.machine.with(|m| m.code().map(JsValue::from)).flatten();
                set(&detail, "pairingCode", &code.unwrap_or(JsValue::NULL));
                ("pilot-connect:qr", "onQr")
            }
            Emitted::Ready => ("pilot-connect:ready", "onReady"),
            Emitted::Connected => {
                let id = self.opts.with(|o| o.token.as_deref().map(token_subject));
                let id = id.flatten().filter(JsValue::is_string);
                set(&detail, "numberId", &id.unwrap_or(JsValue::NULL));
                ("pilot-connect:connected", "onConnected")
            }
            Emitted::Expired => ("pilot-connect:expired", "onExpired"),
            Emitted::Error(f) => {
                set_str(&detail, "kind", f.kind.as_str());
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
        // Called outside the borrow: the page's callback may call back into the widget.
        let callbacks = self
            .opts
            .with(|o| o.callbacks.clone())
            .unwrap_or(JsValue::UNDEFINED);
        emit(&self.host, &callbacks, name, callback, &detail);
    }

    fn wire(self: &Rc<Self>) {
        let mut ls = Vec::new();
        for (part, event) in [
            (Part::NewCode, Event::Restart),
            (Part::Reload, Event::Restart),
            (Part::Retry, Event::Restart),
            (Part::Copy, Event::Copy),
        ] {
            let on_click = self.on(move |_| Some(event.clone()));
            ls.push(Listener::new(self.view.part(part), "click", on_click));
        }
        let doc = self.doc.clone();
        ls.push(Listener::new(
            &self.doc,
            "visibilitychange",
            self.on(move |_| {
                Some(Event::Visibility {
                    hidden: doc.hidden(),
                })
            }),
        ));
        self.listeners.with(|l| *l = ls);
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
        let Some(vars) = self.opts.with(|o| o.variables.clone()) else {
            return;
        };
        let mut style = String::new();
        for (key, prop) in VARS {
            // One declaration each: a value cannot close it and start another.
            let ends_declaration = |v: &String| v.bytes().any(|b| matches!(b, b';' | b'{' | b'}'));
            if let Some(v) = get_str(&vars, key).filter(|v| !ends_declaration(v)) {
                style.push_str(prop);
                style.push_str(&v);
                style.push_str(";");
            }
        }
        let _ = self.view.container.set_attribute("style", &style);
    }

    fn abort_all(&self) {
        // Dropping a request aborts it (outside the borrow: abort runs JS).
        let taken = self.requests.with(|r| [r[0].take(), r[1].take()]);
        drop(taken);
    }

    /// Stops everything and removes the DOM.
    pub(crate) fn teardown(self: &Rc<Self>) {
        self.dispatch(Event::Destroy);
        // Belt and braces: every slot is dropped even if the machine had not armed it.
        let timers = self.timers.with(core::mem::take);
        drop(timers);
        self.abort_all();
        let listeners = self.listeners.with(core::mem::take);
        drop(listeners);
        let push = self.push.with(Option::take);
        drop(push);
        self.view.container.remove();
        let _ = self.host.remove_attribute("data-state");
        // Last: the caller still holds a reference, so the widget is not dropped mid-teardown.
        let me = self.mounted.with(Option::take);
        drop(me);
    }
}

/// The failure event of a request kind.
fn failed(kind: Request, f: Failure) -> Event {
    match kind {
        Request::Qr => Event::QrFailed(f),
        Request::Status => Event::StatusFailed(f),
    }
}

/// The machine event for a settled request (see [`get_json`]): its status with `Retry-After`
/// (seconds → ms) and JSON body, or a network failure.
fn answer(kind: Request, settled: &JsValue) -> Event {
    let status = get(settled, "status").as_f64().map_or(0, |s| s as u16);
    if status == 0 {
        return failed(kind, Failure::network());
    }
    let body = &get(settled, "body");
    if status != 200 {
        let retry = get_str(settled, "retryAfter")
            .and_then(|v| v.trim_ascii().parse::<u32>().ok())
            .map(|s| s.saturating_mul(1000));
        let code = get_str(&get(body, field::ERROR), field::CODE);
        let code = ErrorBody::from_fields(code.as_deref()).map(|b| b.code);
        return failed(kind, Failure::from_answer(status, code, retry));
    }
    let event = match kind {
        Request::Qr => read_qr(body).map(Event::QrArrived),
        Request::Status => read_status(body),
    };
    event.unwrap_or_else(|| failed(kind, Failure::bad_answer()))
}
