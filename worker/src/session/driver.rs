//! `NumberSession`, the Durable Object: it feeds the [`Machine`] one [`Input`] at a time with
//! the clock, the watchers and a random draw ([`Now`]), and carries out its [`Effect`]s in
//! order — storage, sockets (accepted with the hibernation API), the alarm, upstream calls in
//! flight (spawned, their outcomes fed back), replies to the requests waiting on them. No
//! policy lives here.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::rc::{Rc, Weak};
use std::time::Duration;

use futures_channel::oneshot;
use futures_util::future::{FutureExt, LocalBoxFuture, Shared};
use pilot_connect::connect_token::LINK_LIFETIME_SECS;
use pilot_connect::public::{renew, ErrorBody, PublicErrorCode, CLOSE_TOKEN_EXPIRED, SUBPROTOCOL};
use pilot_connect::Link;
use serde_json::Value;
use worker::{
    durable_object, Delay, DurableObject, Env, Request, Response, Result, State, WebSocket,
    WebSocketIncomingMessage, WebSocketPair,
};

use super::lease::Lease;
use super::machine::{
    Answer, Ask, Call, Called, Effect, Failed, Input, Machine, Now, Reply, ReplyId, Saved, Settled,
    Timing, STORAGE_KEY,
};
use super::protocol::{
    SessionRequest, Subject, AUDIENCE_HEADER, HOOK_URL_HEADER, LINK_EXP_HEADER, LINK_TOKEN_HEADER,
    TOKEN_EXP_HEADER, WEBHOOKS_HEADER,
};
use crate::upstream;

#[durable_object]
pub struct NumberSession {
    core: Rc<Driver>,
}

/// The object's state, shared with the work it runs in the background (upstream calls, the
/// number wait), which must outlive the request that started it.
struct Driver {
    state: State,
    env: Env,
    machine: RefCell<Option<Machine>>,
    /// Requests waiting for the machine's reply (a few at a time: a list, no hashing in the wasm).
    waiting: RefCell<Vec<(ReplyId, oneshot::Sender<Reply>)>>,
    next_id: Cell<ReplyId>,
    /// Work under way: the alarm handler returns once it (and what it started) is done.
    busy: RefCell<Vec<Shared<LocalBoxFuture<'static, ()>>>>,
    me: Weak<Driver>,
}

fn json(status: u16, body: &Value) -> Result<Response> {
    Ok(Response::from_json(body)?.with_status(status))
}

fn failure_response(f: Failed) -> Result<Response> {
    let mut resp = json(f.code.status(), &ErrorBody { code: f.code }.to_json())?;
    if let Some(secs) = f.retry_after_secs {
        resp.headers_mut().set("retry-after", &secs.to_string())?;
    }
    Ok(resp)
}

fn is_upgrade(req: &Request) -> bool {
    req.headers()
        .get("upgrade")
        .ok()
        .flatten()
        .is_some_and(|u| u.eq_ignore_ascii_case("websocket"))
}

/// The outcome of a call that could not be made (a config error).
fn not_made(call: Call) -> Settled {
    match call {
        Call::Qr => Settled::Qr(unnamed()),
        Call::Status => Settled::Status(unnamed()),
        Call::Number => Settled::Number(unnamed()),
        Call::Hooks => Settled::Hooks(unnamed()),
        Call::LinkCheck => Settled::LinkCheck(unnamed()),
    }
}

/// A call that could not be made: the object has no name to say which number it is for.
fn unnamed<T>() -> Called<T> {
    Called {
        result: Err(Failed::from(PublicErrorCode::ConfigError)),
        started: js_sys::Date::now(),
        attempts: 0,
    }
}

impl Driver {
    /// Who this object speaks for, from its own name.
    fn identity(&self) -> Option<Subject> {
        self.state.id().name().as_deref().and_then(Subject::parse)
    }

    /// Whether a widget watches: an open socket (one closing, or closed but not yet let go by
    /// the runtime, watches no more).
    fn watched(&self) -> bool {
        const OPEN: u16 = 1;
        self.state
            .get_websockets()
            .iter()
            .any(|ws| ws.as_ref().ready_state() == OPEN)
    }

    /// The stored state, read once per instance.
    async fn load(&self) {
        if self.machine.borrow().is_some() {
            return;
        }
        // Stored as serde JSON text: one value, read back by the same derive.
        let text = match self.state.storage().get::<String>(STORAGE_KEY).await {
            Ok(t) => t,
            Err(e) => {
                worker::console_error!("session storage: {e}");
                None
            }
        };
        let (saved, error) = Saved::restore(text.as_deref());
        if let Some(e) = error {
            worker::console_error!("session storage unreadable, starting afresh: {e}");
        }
        let timing = crate::settings(&self.env)
            .as_ref()
            .as_ref()
            .map_or_else(|_| Timing::default(), crate::settings::Settings::timing);
        let identity = self.identity();
        let link = match &identity {
            Some(Subject::Number { link, .. }) => link.clone(),
            _ => Link::Primary,
        };
        let mut slot = self.machine.borrow_mut();
        if slot.is_none() {
            let mut m = Machine::new(&link, timing, saved);
            if let (Some(Subject::PairingLink { token, .. }), false) =
                (&identity, m.is_pairing_link())
            {
                // Its requests say which link and until when it is valid; until one does, the
                // documented lifetime from now (the object never calls as a number).
                let until = js_sys::Date::now() + LINK_LIFETIME_SECS as f64 * 1000.0;
                let _ = m.handle(
                    Input::PairingLink {
                        exp_ms: until,
                        token: token.clone(),
                    },
                    Now {
                        t: js_sys::Date::now(),
                        watched: false,
                        jitter: 0.0,
                    },
                );
            }
            *slot = Some(m);
        }
    }

    async fn save(&self) {
        let text = match self.machine.borrow().as_ref() {
            Some(m) => serde_json::to_string(m.saved()),
            None => return,
        };
        let stored = match text {
            Ok(t) => self.state.storage().put(STORAGE_KEY, t).await,
            Err(e) => Err(e.into()),
        };
        if let Err(e) = stored {
            worker::console_error!("session storage: {e}");
        }
    }

    /// A new request id, and where its reply arrives.
    fn wait_for_reply(&self) -> (ReplyId, oneshot::Receiver<Reply>) {
        let id = self.next_id.get().wrapping_add(1);
        self.next_id.set(id);
        let (tx, rx) = oneshot::channel();
        self.waiting.borrow_mut().push((id, tx));
        (id, rx)
    }

    /// The reply channel of request `id`, taken out of the waiting list.
    fn take_waiting(&self, id: ReplyId) -> Option<oneshot::Sender<Reply>> {
        let mut waiting = self.waiting.borrow_mut();
        let at = waiting.iter().position(|(w, _)| *w == id)?;
        Some(waiting.swap_remove(at).1)
    }

    /// One input to the machine, at one clock reading, and its effects carried out in order.
    async fn step(&self, input: Input) {
        let now = Now {
            t: js_sys::Date::now(),
            watched: self.watched(),
            jitter: js_sys::Math::random(),
        };
        let effects = match self.machine.borrow_mut().as_mut() {
            Some(m) => m.handle(input, now),
            None => return,
        };
        for effect in effects {
            match effect {
                Effect::Call { call, retries } => self.start(call, retries),
                Effect::Reply { id, reply } => {
                    if let Some(tx) = self.take_waiting(id) {
                        let _ = tx.send(reply);
                    }
                }
                Effect::Push(frame) => {
                    let text = frame.to_json().to_string();
                    for ws in self.state.get_websockets() {
                        // A socket whose token lapsed gets nothing more: it is closed instead.
                        if !Self::close_if_lapsed(&ws, now.t) {
                            let _ = ws.send_with_str(&text);
                        }
                    }
                }
                Effect::Save => self.save().await,
                // An offset from now (an i64 is one in workers-rs).
                Effect::Alarm(Some(in_ms)) => {
                    let _ = self.state.storage().set_alarm(in_ms as i64).await;
                }
                Effect::Alarm(None) => {
                    let _ = self.state.storage().delete_alarm().await;
                }
                Effect::Log(note) => worker::console_log!("session: {}", note.as_str()),
                Effect::WakeIn(in_ms) => {
                    let Some(me) = self.me.upgrade() else {
                        continue;
                    };
                    self.spawn(async move {
                        Delay::from(Duration::from_millis(in_ms as u64)).await;
                        me.step(Input::NumberWaitOver).await;
                    });
                }
            }
        }
    }

    /// Starts an upstream call in the background; its outcome is the machine's next input.
    fn start(&self, call: Call, retries: bool) {
        let Some(me) = self.me.upgrade() else {
            return;
        };
        let cfg = crate::settings(&self.env);
        let identity = self.identity();
        let (hook_url, link_token) = self
            .machine
            .borrow()
            .as_ref()
            .map(|m| {
                (
                    m.hook_url().map(str::to_owned).unwrap_or_default(),
                    m.link_token().map(str::to_owned),
                )
            })
            .unwrap_or_default();
        self.spawn(async move {
            let settled = match (identity, call) {
                (None, _) => {
                    worker::console_error!("session: the object has no name");
                    not_made(call)
                }
                // Only a pairing link's machine asks for a check.
                (Some(Subject::Number { .. }), Call::LinkCheck) => not_made(call),
                (Some(Subject::Number { number, link }), Call::Qr) => {
                    Settled::Qr(upstream::qr(&cfg, &number, link, retries).await)
                }
                (Some(Subject::Number { number, link }), Call::Status) => {
                    Settled::Status(upstream::status(&cfg, &number, link, retries).await)
                }
                // The number read is the same for both links of a dual number.
                (Some(Subject::Number { number, .. }), Call::Number) => {
                    Settled::Number(upstream::number_facts(&cfg, &number, retries).await)
                }
                (Some(Subject::Number { number, .. }), Call::Hooks) => Settled::Hooks(
                    upstream::webhooks_reach(&cfg, &number, &hook_url, retries).await,
                ),
                (Some(Subject::PairingLink { .. }), Call::LinkCheck) => {
                    Settled::LinkCheck(upstream::meta_numbers(&cfg, retries).await)
                }
                (Some(Subject::PairingLink { .. }), Call::Status) => match link_token {
                    Some(token) => {
                        Settled::Status(upstream::link_status(&cfg, &token, retries).await)
                    }
                    None => {
                        worker::console_error!("session: a pairing link without its token");
                        Settled::Status(unnamed())
                    }
                },
                // A pairing link's machine never asks these (it is official from the start).
                (Some(Subject::PairingLink { .. }), call) => {
                    worker::console_error!("session: a pairing link has no {call:?} call");
                    not_made(call)
                }
            };
            me.step(Input::Settled(settled)).await;
        });
    }

    fn spawn(&self, work: impl Future<Output = ()> + 'static) {
        let work = work.boxed_local().shared();
        let mut busy = self.busy.borrow_mut();
        busy.retain(|w| w.peek().is_none());
        busy.push(work.clone());
        worker::wasm_bindgen_futures::spawn_local(work);
    }

    /// Waits until no background work is under way (work that work started included).
    async fn idle(&self) {
        loop {
            let pending: Vec<_> = {
                let mut busy = self.busy.borrow_mut();
                busy.retain(|w| w.peek().is_none());
                busy.clone()
            };
            if pending.is_empty() {
                return;
            }
            // One after the other: each is waited for until done (no join machinery in the wasm).
            for work in pending {
                work.await;
            }
        }
    }

    /// A request's reply as the worker gets it.
    fn respond(reply: Option<Reply>) -> Result<Response> {
        match reply {
            Some(Reply::Answer(Answer::Qr(a))) => json(200, &a.to_json()),
            Some(Reply::Answer(Answer::Status(a))) => json(200, &a.to_json()),
            Some(Reply::Answer(Answer::Failed(f))) => failure_response(f),
            Some(Reply::Ack(ack)) => json(200, &serde_json::to_value(ack)?),
            // A reply of the wrong kind, or none (the machine dropped the request): ours to fix.
            Some(Reply::Upgrade(_)) | None => {
                worker::console_error!("session: a request went without its reply");
                failure_response(Failed::from(PublicErrorCode::UpstreamError))
            }
        }
    }

    /// A pairing link's request says which link and until when it is valid (Unix seconds).
    async fn link_expires(&self, link_exp: Option<u64>, token: Option<String>) {
        if let (Some(exp), Some(token)) = (link_exp, token) {
            self.step(Input::PairingLink {
                exp_ms: exp as f64 * 1000.0,
                token,
            })
            .await;
        }
    }

    /// Closes `ws` (code [`CLOSE_TOKEN_EXPIRED`]) when its lease lapsed at `now_ms`; `true`
    /// if it did. A socket without a lease (accepted by an earlier build) is left as it is.
    fn close_if_lapsed(ws: &WebSocket, now_ms: f64) -> bool {
        let lapsed = ws
            .deserialize_attachment::<Lease>()
            .ok()
            .flatten()
            .is_some_and(|l| l.lapsed(now_ms));
        if lapsed {
            let _ = ws.close(
                Some(CLOSE_TOKEN_EXPIRED),
                Some(PublicErrorCode::TokenExpired.as_str()),
            );
        }
        lapsed
    }

    /// Accepts a watcher: its socket first (so it is counted and gets what is pushed), then the
    /// machine's word, and its first frame before the 101.
    async fn watch(
        &self,
        webhooks: bool,
        hook_url: Option<String>,
        lease: Option<Lease>,
    ) -> Result<Response> {
        let first = !self.watched();
        let pair = WebSocketPair::new()?;
        self.state.accept_web_socket(&pair.server);
        if let Some(lease) = lease {
            pair.server.serialize_attachment(&lease)?;
        }
        let (id, rx) = self.wait_for_reply();
        self.step(Input::Watch {
            id,
            first,
            webhooks,
            hook_url,
        })
        .await;
        if let Ok(Reply::Upgrade(Some(frame))) = rx.await {
            let _ = pair.server.send_with_str(frame.to_json().to_string());
        }
        let mut resp = Response::from_websocket(pair.client)?;
        resp.headers_mut()
            .set("sec-websocket-protocol", SUBPROTOCOL)?;
        Ok(resp)
    }
}

impl DurableObject for NumberSession {
    fn new(state: State, env: Env) -> Self {
        Self {
            core: Rc::new_cyclic(|me| Driver {
                state,
                env,
                machine: RefCell::new(None),
                waiting: RefCell::new(Vec::new()),
                next_id: Cell::new(0),
                busy: RefCell::new(Vec::new()),
                me: me.clone(),
            }),
        }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let this = &*self.core;
        this.load().await;
        if is_upgrade(&req) {
            let header = |name: &str| req.headers().get(name).ok().flatten();
            let webhooks = header(WEBHOOKS_HEADER).as_deref() == Some("1");
            let link_exp = header(LINK_EXP_HEADER).and_then(|e| e.parse::<u64>().ok());
            this.link_expires(link_exp, header(LINK_TOKEN_HEADER)).await;
            let lease = match (header(TOKEN_EXP_HEADER), header(AUDIENCE_HEADER)) {
                (Some(exp), Some(aud)) => exp.parse().ok().map(|exp| Lease {
                    exp,
                    aud,
                    origin: header("origin"),
                }),
                _ => None,
            };
            return this.watch(webhooks, header(HOOK_URL_HEADER), lease).await;
        }
        let Ok(request) = req.json::<SessionRequest>().await else {
            let code = PublicErrorCode::BadRequest;
            return json(code.status(), &ErrorBody { code }.to_json());
        };
        let (id, rx) = this.wait_for_reply();
        let input = match request {
            SessionRequest::Watch => {
                drop(this.take_waiting(id));
                return this.watch(false, None, None).await;
            }
            SessionRequest::Qr {
                webhooks,
                hook_url,
                link_exp,
                link_token,
            } => {
                this.link_expires(link_exp, link_token).await;
                Input::Ask {
                    id,
                    ask: Ask::Qr,
                    webhooks,
                    hook_url,
                }
            }
            SessionRequest::Status {
                webhooks,
                hook_url,
                link_exp,
                link_token,
            } => {
                this.link_expires(link_exp, link_token).await;
                Input::Ask {
                    id,
                    ask: Ask::Status,
                    webhooks,
                    hook_url,
                }
            }
            SessionRequest::Event {
                event,
                key,
                at,
                ambiguous,
                number_id,
            } => Input::Event {
                number_id,
                id,
                event,
                key,
                at_ms: at
                    .as_deref()
                    .map(js_sys::Date::parse)
                    .filter(|v| v.is_finite()),
                ambiguous,
            },
        };
        this.step(input).await;
        Driver::respond(rx.await.ok())
    }

    /// The machine decides what is due (a status check, a new QR); the handler returns once
    /// the calls it started are done.
    async fn alarm(&self) -> Result<Response> {
        let this = &*self.core;
        this.load().await;
        this.step(Input::Alarm).await;
        this.idle().await;
        Response::empty()
    }

    /// Widgets listen, and renew their socket's token (`{"renew":"<token>"}`) before it lapses;
    /// anything else is ignored.
    async fn websocket_message(
        &self,
        ws: WebSocket,
        message: WebSocketIncomingMessage,
    ) -> Result<()> {
        let this = &*self.core;
        let now = js_sys::Date::now();
        if Driver::close_if_lapsed(&ws, now) {
            return Ok(());
        }
        let WebSocketIncomingMessage::String(text) = message else {
            return Ok(());
        };
        let (Some(token), Some(mut lease), Some(subject)) = (
            renew::read(&text),
            ws.deserialize_attachment::<Lease>().ok().flatten(),
            this.identity(),
        ) else {
            return Ok(());
        };
        let cfg = crate::settings(&this.env);
        let Ok(settings) = cfg.as_ref() else {
            return Ok(());
        };
        match lease.renew(&settings.token_secrets, token, &subject, now) {
            Ok(()) => ws.serialize_attachment(&lease)?,
            Err(e) => worker::console_log!("session: a push stream's renewal was refused: {e:?}"),
        }
        Ok(())
    }

    async fn websocket_close(
        &self,
        ws: WebSocket,
        _code: usize,
        _reason: String,
        _was_clean: bool,
    ) -> Result<()> {
        let this = &*self.core;
        let _ = ws.close(Some(1000), Some("bye"));
        this.load().await;
        this.step(Input::Left).await;
        Ok(())
    }

    async fn websocket_error(&self, _ws: WebSocket, _error: worker::Error) -> Result<()> {
        let this = &*self.core;
        this.load().await;
        this.step(Input::Left).await;
        Ok(())
    }
}
