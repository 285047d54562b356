//! Runs the machine's commands in the browser: requests to the worker (`fetch` with an
//! `AbortController` per request kind), timers (one RAII slot per kind), page visibility and
//! clicks, the clipboard, the push stream, callbacks and DOM events. Everything it owns is
//! dropped on teardown, so `destroy()` leaves no timer, listener, socket or request behind.

use alloc::borrow::ToOwned;
use alloc::rc::{Rc, Weak};
use alloc::string::String;
use alloc::vec::Vec;

use js_sys::Object;
use pilot_connect_wire::{
    field, renew, route as path, Branding, ErrorBody, FrameKind, PushFrame, QrAnswer, QrFields,
    StatusAnswer, BEARER_PREFIX, CLOSE_TOKEN_EXPIRED, SUBPROTOCOL,
};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{AbortController, Document, Element};

use crate::layout::{Part, Texts};
use crate::machine::Mode;
use crate::machine::{Command, Config, Emitted, Event, Failure, Machine, Request, TIMER_COUNT};
use crate::options::Options;
use crate::page::{
    browser_lang, close_events, dark_query, emit, get, get_json, get_str, js_fn, navigator, now,
    open_events, renew_token_with, send_events, set, set_str, set_style, token_claim, touch_phone,
    Callback, Listener, Slot, Timer,
};
use crate::sched;
use crate::view::View;

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

/// A worker route: `endpoint` + `path` (one of the wire format's [`path`]s).
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
    let detail = get_str(body, field::DETAIL);
    let number_id = get_str(body, field::NUMBER_ID);
    QrAnswer::from_fields(QrFields {
        state: state.as_deref(),
        qr: qr.as_deref(),
        pairing_code: code.as_deref(),
        refresh_after_ms: get(body, field::REFRESH_AFTER_MS).as_f64(),
        masked_number: number.as_deref(),
        code_expires_in_ms: get(body, field::CODE_EXPIRES_IN_MS).as_f64(),
        detail: detail.as_deref(),
        number_id: number_id.as_deref(),
    })
    .ok()
}

/// A `/v1/status` answer (or a pushed status frame): "connected" naming the number (a pairing
/// link's) is the connected answer with its id.
fn read_status(body: &JsValue) -> Option<Event> {
    let state = get_str(body, field::STATE);
    let number_id = get_str(body, field::NUMBER_ID);
    let a = StatusAnswer::from_fields(
        state.as_deref(),
        get(body, field::STALE).as_bool(),
        number_id.as_deref(),
    )
    .ok()?;
    Some(match a.number_id {
        Some(id) => Event::QrArrived(QrAnswer::Connected {
            number_id: Some(id),
        }),
        None => Event::StatusArrived(a.state),
    })
}

/// A pushed frame as a machine event: a QR answer, a status, or the session's failure, told
/// apart by the wire format's rule ([`PushFrame::kind`]) and each read as its answer is.
fn pushed(frame: &JsValue) -> Option<Event> {
    let error = get(frame, field::ERROR);
    let state = get_str(frame, field::STATE);
    match PushFrame::kind(error.is_object(), state.as_deref()) {
        FrameKind::Failure => {
            let body = ErrorBody::from_fields(get_str(&error, field::CODE).as_deref())?;
            let wait = PushFrame::retry_after(get(&error, field::RETRY_AFTER_MS).as_f64());
            Some(Event::PushFailed(Failure::from_answer(
                body.code.status(),
                Some(body.code),
                wait.map(|v| v.min(u64::from(u32::MAX)) as u32),
            )))
        }
        FrameKind::Qr => read_qr(frame).map(Event::QrArrived),
        FrameKind::Status => read_status(frame),
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
    /// The hosted signup's window, while the widget holds its handle.
    signup: Slot<Option<JsValue>>,
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
                code_first: opts.mode.code_first(touch_phone()),
                phone: touch_phone(),
                framed: crate::page::framed(),
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
            signup: Slot::new(None),
            mounted: Slot::new(None),
        });
        w.mounted.with(|m| *m = Some(w.clone()));
        w.apply_appearance();
        w.wire();
        w.render();
        w.dispatch(Event::Start);
        w
    }

    pub(crate) fn phase_name(&self) -> &'static str {
        self.machine.with(|m| m.phase().as_str()).unwrap_or("idle")
    }

    /// Feeds an event to the machine and runs what it asks for; from within a running event
    /// (a page callback, a command that settles at once) it is queued and runs right after.
    pub(crate) fn dispatch(self: &Rc<Self>, event: Event) {
        let w = self.clone();
        let _ = sched::run(move || w.step(event));
    }

    fn step(self: &Rc<Self>, event: Event) {
        // The edge's waiting answer for a pairing link's token is the signup face.
        let event = match event {
            Event::QrArrived(QrAnswer::Waiting { .. })
                if self.opts.with(|o| o.is_link_token()) == Some(true) =>
            {
                Event::SignupArrived
            }
            e => e,
        };
        let opened = event == Event::PushOpened;
        let commands = self
            .machine
            .with(|m| m.handle(event, now()))
            .unwrap_or_default();
        for c in commands {
            self.run(c);
        }
        if opened {
            self.token_left();
        }
    }

    /// Tells the machine how long the current token has (its `exp`), for the push stream's
    /// renewal; nothing when the token has no readable `exp`.
    fn token_left(self: &Rc<Self>) {
        let exp = self
            .opts
            .with(|o| o.token.as_deref().map(|t| token_claim(t, "exp").as_f64()))
            .flatten()
            .flatten();
        if let Some(exp) = exp {
            let left = (exp * 1000.0 - now()).clamp(0.0, f64::from(u32::MAX));
            self.step(Event::TokenLeft(left as u32));
        }
    }

    /// Takes `locale`, `messages`, `mode` and `appearance` from `options` (`handle.update()`).
    ///
    /// # Errors
    /// As [`Options::restyle`].
    pub(crate) fn update(self: &Rc<Self>, options: &JsValue) -> Result<(), JsValue> {
        let lang = browser_lang(&self.doc);
        let modes = self.opts.with(|o| {
            let before = o.mode;
            o.restyle(options, &lang)?;
            Ok::<_, JsValue>((before, o.mode))
        });
        let (before, mode) = modes.unwrap_or(Ok((Mode::Auto, Mode::Auto)))?;
        self.apply_appearance();
        // Only a new mode moves the face: an update of the locale (that repeats the mode, as a
        // React prop does) keeps the person's own QR / code choice.
        if mode != before {
            self.step(Event::CodeFirst(mode.code_first(touch_phone())));
        }
        self.render();
        Ok(())
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
            Command::RenewPush => {
                let token = self.opts.with(|o| o.token.clone()).flatten();
                let sent = self.push.with(|p| match (p.as_ref(), token.as_deref()) {
                    (Some(p), Some(t)) => {
                        send_events(&p.ws, &renew::frame(t));
                        true
                    }
                    _ => false,
                });
                if sent == Some(true) {
                    self.token_left();
                }
            }
            Command::Watch(false) => {
                // Safe even from the socket's own listener: wasm-bindgen frees a closure only
                // after its running call returns.
                let p = self.push.with(Option::take);
                drop(p);
            }
            Command::Render => self.render(),
            Command::Emit(e) => self.emit(e),
            Command::OpenSignup(how) => self.open_signup(how),
            Command::CheckSignup => {
                let closed = self
                    .signup
                    .with(|w| w.as_ref().is_none_or(crate::page::window_closed));
                self.dispatch(Event::SignupWindow {
                    closed: closed.unwrap_or(true),
                });
            }
            Command::CloseSignup => {
                if let Some(Some(w)) = self.signup.with(Option::take) {
                    crate::page::close_window(&w);
                }
            }
        }
    }

    /// Opens the token's hosted signup: a popup (its outcome goes back to the machine), or the
    /// whole page. No URL that passes the rule: nothing opens.
    fn open_signup(self: &Rc<Self>, how: crate::machine::SignupHow) {
        let Some(url) = self.opts.with(|o| o.signup_url()).flatten() else {
            return;
        };
        match how {
            crate::machine::SignupHow::Navigate => crate::page::navigate(&url),
            crate::machine::SignupHow::Popup => {
                let w = crate::page::open_window(&url, "pilot-connect-signup");
                let opened = w.is_object();
                self.signup.with(|s| *s = opened.then_some(w));
                self.dispatch(Event::SignupOpened(opened));
            }
        }
    }

    pub(crate) fn render(&self) {
        let phase = self.machine.with(|m| {
            self.opts.with(|o| self.view.render(&m.frame(now()), o));
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
            Request::Qr => path::QR,
            Request::Status => path::STATUS,
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
                w.tenant_branding(&settled);
                w.settle(kind, id, |()| answer(kind, &settled));
            }
        });
        get_json(&url, &bearer, &signal, &done);
    }

    /// The tenant's branding beside a 200 answer (the edge sends it when it has one): shown
    /// from now on, under the page's own. An answer without it changes nothing.
    fn tenant_branding(&self, settled: &JsValue) {
        if get(settled, "status").as_f64() != Some(200.0) {
            return;
        }
        let b = get(&get(settled, "body"), field::BRANDING);
        if !b.is_object() {
            return;
        }
        let tenant = Branding::from_fields(|k| get_str(&b, k));
        let changed = self.opts.with(|o| {
            let changed = o.tenant != tenant;
            o.tenant = tenant;
            changed
        });
        if changed == Some(true) {
            self.apply_appearance();
            self.render();
        }
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
            .with(|o| Some((route(&o.endpoint, path::EVENTS), o.token.clone()?)))
            .flatten();
        let Some((url, token)) = target else {
            return self.dispatch(Event::PushClosed);
        };
        let on_event = Callback::new(self.on(|v| match (v.as_bool(), v.as_f64()) {
            (Some(true), _) => Some(Event::PushOpened),
            // Closed: the edge's code for a lapsed token, or a drop.
            (_, Some(code)) if code == f64::from(CLOSE_TOKEN_EXPIRED) => Some(Event::PushLapsed),
            (Some(false), _) | (_, Some(_)) => Some(Event::PushClosed),
            _ => pushed(&v),
        }));
        let mut bearer = String::with_capacity(BEARER_PREFIX.len() + token.len());
        bearer.push_str(BEARER_PREFIX);
        bearer.push_str(&token);
        let ws = open_events(&url, SUBPROTOCOL, &bearer, on_event.as_ref());
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

    /// Calls `options.<callback>(detail)` and dispatches the event's two DOM names on the host.
    fn emit(&self, e: Emitted) {
        let detail = Object::new();
        let or_null = |v: Option<JsValue>| v.unwrap_or(JsValue::NULL);
        match e {
            Emitted::StateChange(p) => set_str(&detail, "state", p.as_str()),
            Emitted::Qr {
                attempt,
                expires_in_ms,
            } => {
                set(&detail, "attempt", &attempt.into());
                set(&detail, "expiresInMs", &expires_in_ms.into());
                let _ = self.machine.with(|m| {
                    let v = m.frame(now());
                    set(&detail, "pairingCode", &or_null(v.code.map(JsValue::from)));
                    set(
                        &detail,
                        "maskedNumber",
                        &or_null(v.masked_number.map(JsValue::from)),
                    );
                    let ms = v
                        .code_seconds_left
                        .map(|s| JsValue::from(s.saturating_mul(1000)));
                    set(&detail, "codeExpiresInMs", &or_null(ms));
                });
            }
            Emitted::Connected => {
                // The id the edge named (a pairing link's new number), else the token's number;
                // a pairing link's token names the link, never a number: `null` then.
                let named = self
                    .machine
                    .with(|m| m.number_id().map(JsValue::from))
                    .flatten();
                let id = named.or_else(|| {
                    self.opts
                        .with(|o| {
                            let t = o.token.as_deref().filter(|_| !o.is_link_token())?;
                            Some(token_claim(t, "sub"))
                        })
                        .flatten()
                        .filter(JsValue::is_string)
                });
                set(&detail, "numberId", &or_null(id));
            }
            Emitted::Error(f) => {
                set_str(&detail, "kind", f.kind.as_str());
                set(&detail, "code", &or_null(f.code.map(|c| c.as_str().into())));
                let wait = f.retry_after_ms.map(JsValue::from);
                set(&detail, "retryAfterMs", &or_null(wait));
            }
            Emitted::Ready | Emitted::Expired => {}
        }
        let (name, callback) = (e.name(), e.callback());
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
            (Part::Switch, Event::SwitchView),
            (Part::Signup, Event::SignupClicked),
        ] {
            let on_click = self.on(move |_| Some(event.clone()));
            ls.push(Listener::new(self.view.part(part), "click", on_click));
        }
        // The colours are fitted to the theme as rendered: again when `auto` follows a new scheme.
        let dark = dark_query();
        if dark.is_object() {
            let weak = Rc::downgrade(self);
            ls.push(Listener::new(dark.unchecked_ref(), "change", move |_| {
                if let Some(w) = weak.upgrade() {
                    w.apply_appearance();
                }
            }));
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

    /// `appearance.variables` → `--psw-*` custom properties on our container, the brand's colours
    /// under them (page > tenant), then the colours as rendered made readable.
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
        let Some((vars, brand)) = self.opts.with(|o| (o.variables.clone(), o.brand())) else {
            return;
        };
        let mut style = String::new();
        // The brand's colours (checked `#rrggbb`): under the page's variables.
        for (color, prop, var) in [
            (
                brand.primary_color(),
                "--psw-color-primary:",
                "colorPrimary",
            ),
            (brand.background_color(), "--psw-brand-background:", ""),
        ] {
            if let (Some(c), None) = (color, get_str(&vars, var)) {
                style.push_str(prop);
                style.push_str(c);
                style.push_str(";");
            }
        }
        for (key, prop) in VARS {
            // One declaration each: a value cannot close it and start another.
            let ends_declaration = |v: &String| v.bytes().any(|b| matches!(b, b';' | b'{' | b'}'));
            if let Some(v) = get_str(&vars, key).filter(|v| !ends_declaration(v)) {
                style.push_str(prop);
                style.push_str(&v);
                style.push_str(";");
            }
        }
        set_style(&self.view.container, &style);
        self.view.fit_colors();
    }

    fn abort_all(&self) {
        // Dropping a request aborts it (outside the borrow: abort runs JS).
        let taken = self.requests.with(|r| [r[0].take(), r[1].take()]);
        drop(taken);
    }

    /// Stops everything and removes the DOM.
    pub(crate) fn teardown(self: &Rc<Self>) {
        // At once, not queued: nothing may run for this widget after its teardown.
        self.step(Event::Destroy);
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
