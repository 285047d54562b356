//! `NumberSession`: a Durable Object per number and link (named `<number>|<link>`), the one
//! place that talks to Pilot Status about that number, and [`SessionClient`], the worker's side
//! of the one protocol between them ([`SessionRequest`]).
//!
//! The session:
//! - single-flights `connect` and `status` for every viewer (N tabs → one upstream call per QR
//!   rotation and at most one status call per `STATUS_TTL_MS`);
//! - holds the current pairing session (QR, code, until when it is fresh), so a second tab or a
//!   reload gets the same QR at once, with the time it has left;
//! - while someone watches an unconnected number, checks its status itself every
//!   `STATUS_POLL_MS` (one call per number, never per viewer) unless a webhook for the number
//!   arrived within `WEBHOOK_TRUST_MS`, and rotates the QR: webhooks make "connected"
//!   instant, they are never required for it;
//! - keeps the customer's Pilot Status budget when calls fail ([`Budget`]: final answers stop
//!   calls until a webhook or a new watcher, 429s wait `Retry-After`, other failures back off
//!   with jitter) and pushes every failure to its viewers;
//! - applies webhooks in order (an event older than the last applied one is ignored) and once
//!   (retried deliveries are dropped by the core's dedup key);
//! - reads the number itself once from Pilot Status (`GET /v1/numbers/{id}`, beside the first
//!   QR call, never in front of it, within its own [`Budget`]) and keeps it masked, for the
//!   `maskedNumber` of every pairing answer ([`NumberRead`]);
//! - times the pairing codes it hands out ([`CodeSeen`]): the lifetime of the last code it saw
//!   end by itself is the `codeExpiresInMs` of the next ones (see [`Session::code_expires_in`]);
//! - keeps all that in its SQLite-backed storage (serde values), so an eviction or restart loses
//!   nothing, and pushes every change to the widgets watching it over WebSockets accepted with
//!   the hibernation API. Nobody watching: no alarm, and the object can hibernate.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::{Rc, Weak};
use std::time::Duration;

use futures_util::future::{select, FutureExt, LocalBoxFuture, Shared};
use pilot_connect::budget::{Budget, BudgetPolicy, Outcome, Wait};
use pilot_connect::public::{
    field, is_masked_number, ErrorBody, PublicErrorCode, PublicState, QrAnswer, QrFields,
    StatusAnswer,
};
use pilot_connect::webhook::EventName;
use pilot_connect::Link;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use worker::{
    durable_object, Delay, DurableObject, Env, Method, ObjectNamespace, Request, RequestInit,
    Response, Result, State, Stub, WebSocket, WebSocketIncomingMessage, WebSocketPair,
};

use crate::settings::Settings;
use crate::upstream::{self, Called, Failed, StatusRead};
use crate::Cfg;

/// The subprotocol a widget offers (with its token as a second one) and the worker accepts.
pub const PROTOCOL: &str = "pilot-connect.v1";

/// What the worker asks of a number's session. [`Watch`](Self::Watch) is the widget's own
/// WebSocket upgrade handed on as it came; every other request travels as this enum in JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum SessionRequest {
    /// The current QR, as `GET /v1/qr` answers it.
    Qr,
    /// The current status, as `GET /v1/status` answers it.
    Status,
    /// A widget's push stream (an upgrade the worker authorised for this number).
    Watch,
    /// A verified lifecycle webhook about this number.
    Event {
        /// The event name.
        event: String,
        /// The core's dedup key of the delivery.
        key: String,
        /// `data.createdAt`, when the delivery has it.
        at: Option<String>,
        /// Another link of the number is pairing too, so the event may be about either: the
        /// link reads its own status instead of taking the event as its own.
        #[serde(default)]
        ambiguous: bool,
    },
}

/// A session's answer to [`SessionRequest::Event`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventAck {
    /// This link is being paired here (watched, or a QR is out).
    #[serde(default)]
    pub pairing: bool,
}

/// The worker's side of the protocol: the session of one number and link.
pub struct SessionClient {
    stub: Stub,
}

impl SessionClient {
    /// The session of `number`'s `link` in `ns`.
    pub fn new(ns: &ObjectNamespace, number: &str, link: &Link) -> Result<Self> {
        let stub = ns.id_from_name(&object_name(number, link))?.get_stub()?;
        Ok(Self { stub })
    }

    /// Sends a request; the answer is the session's, in the public wire format.
    pub async fn call(&self, request: &SessionRequest) -> Result<Response> {
        crate::object::call(&self.stub, request).await
    }

    /// Hands a widget's WebSocket upgrade to the session.
    pub async fn watch(&self, upgrade: &Request) -> Result<Response> {
        let init = RequestInit {
            method: Method::Get,
            headers: upgrade.headers().clone(),
            ..RequestInit::default()
        };
        self.stub
            .fetch_with_request(Request::new_with_init("https://session/", &init)?)
            .await
    }
}

/// Objects are named `<number>|<link>`: the object reads who it is from its own name.
fn object_name(number: &str, link: &Link) -> String {
    format!("{number}|{}", link.as_str())
}

fn parse_object_name(name: &str) -> Option<(String, Link)> {
    let (number, link) = name.rsplit_once('|')?;
    Some((number.to_owned(), Link::parse(link)))
}

fn is_upgrade(req: &Request) -> bool {
    req.headers()
        .get("upgrade")
        .ok()
        .flatten()
        .is_some_and(|u| u.eq_ignore_ascii_case("websocket"))
}

/// Webhook keys remembered for de-duplication.
const SEEN_MAX: usize = 200;
/// A QR with less than this left is not handed out: the next rotation is due.
const QR_MIN_LEFT_MS: f64 = 1_000.0;

/// One upstream call in flight, shared by every request that arrives while it runs.
type Flight<T> = Shared<LocalBoxFuture<'static, Called<T>>>;

/// The pairing session on offer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StoredQr {
    qr: String,
    code: Option<String>,
    fresh_until: f64,
}

/// The number being linked, read once from Pilot Status and kept masked only: the session never
/// needs the raw digits again, so it does not keep them.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct NumberRead {
    /// `mask_number` of the number Pilot Status gave; `None`: it gave none that can be masked
    /// (not asked again).
    #[serde(default)]
    masked: Option<String>,
}

/// The pairing code on offer, as this session saw it: when it first saw it (ms), and the last
/// time (ms) it had word that the code was still on offer (a connect answer with the same code,
/// a live `CONNECTING` status).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CodeSeen {
    code: String,
    first_seen: f64,
    alive_at: f64,
}

/// Settles one finished upstream call (its retries included) in `budget`: success, or the
/// failure's outcome, with jitter for the next wait.
fn settle<T>(budget: &mut Budget, called: &Called<T>, t: f64) {
    let o = called
        .result
        .as_ref()
        .err()
        .map_or(Outcome::Success, outcome);
    budget.settle(
        &BudgetPolicy::default(),
        ms(called.started),
        ms(t),
        called.attempts,
        o,
        js_sys::Math::random(),
    );
}

/// The longest code lifetime believed (ms): the wire format's own bound (a reader drops more).
const CODE_LIFETIME_MAX_MS: f64 = pilot_connect::public::CODE_LIFETIME_MAX_MS as f64;

/// The last failure, answered to viewers while the budget holds calls back.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StoredFailure {
    code: String,
}

/// What survives an eviction.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Saved {
    #[serde(default)]
    qr: Option<StoredQr>,
    #[serde(default)]
    connected: bool,
    /// Dedup keys of the webhooks applied lately.
    #[serde(default)]
    seen: VecDeque<String>,
    /// `createdAt` (ms) of the last webhook applied: older ones are ignored.
    #[serde(default)]
    last_event_ms: Option<f64>,
    /// When (ms) the last webhook for this number arrived: within `WEBHOOK_TRUST_MS` the
    /// session trusts webhooks to tell it what changes, and does not poll.
    #[serde(default)]
    last_hook_ms: Option<f64>,
    /// The number has two links (learned from a status read).
    #[serde(default)]
    dual: bool,
    #[serde(default)]
    budget: Budget,
    #[serde(default)]
    failure: Option<StoredFailure>,
    /// The number, masked, once read (`None`: not read yet).
    #[serde(default)]
    number: Option<NumberRead>,
    /// The budget of the number read: its failures never hold a QR back.
    #[serde(default)]
    number_budget: Budget,
    /// The pairing code on offer and when it was first seen.
    #[serde(default)]
    code: Option<CodeSeen>,
    /// The observed lifetime (ms) of the last code that ended by itself: first seen → learned
    /// that it ended.
    #[serde(default)]
    code_lifetime_ms: Option<f64>,
}

const STORAGE_KEY: &str = "session.v2";

#[derive(Default)]
struct Inner {
    loaded: bool,
    saved: Saved,
    /// The last status and when (ms) it was read.
    status: Option<(StatusAnswer, f64)>,
    /// When (ms) the session last checked the status itself.
    polled_at: f64,
    qr_flight: Option<Flight<QrAnswer>>,
    status_flight: Option<Flight<StatusRead>>,
    /// The number read under way (at most one, in the background), for a first QR answer to
    /// wait on briefly ([`NUMBER_WAIT_MS`]).
    number_flight: Option<Shared<LocalBoxFuture<'static, ()>>>,
}

/// How long a QR answer fresh from upstream waits for the number read started beside it, so the
/// first screen already says which number the code is for. Bounded: the QR never waits longer,
/// and the number still reaches the viewers by push when it lands later.
const NUMBER_WAIT_MS: u64 = 250;

#[durable_object]
pub struct NumberSession {
    core: Rc<Session>,
}

/// The object's state and logic, shared with the work it runs in the background (the number
/// read, which must outlive the request that started it).
struct Session {
    state: State,
    env: Env,
    inner: RefCell<Inner>,
    me: Weak<Session>,
}

fn now() -> f64 {
    js_sys::Date::now()
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

/// The frame pushed to viewers for a failure: the error answer, with `retryAfterMs` when the
/// session will call again by itself.
fn failure_frame(f: Failed) -> Value {
    let mut body = ErrorBody { code: f.code }.to_json();
    if let (Some(secs), Some(Value::Object(e))) = (f.retry_after_secs, body.get_mut(field::ERROR)) {
        e.insert(field::RETRY_AFTER_MS.into(), (secs * 1000).into());
    }
    body
}

/// How a failure counts against the budget.
fn outcome(f: &Failed) -> Outcome {
    match f.code {
        PublicErrorCode::NotFound
        | PublicErrorCode::NotPairable
        | PublicErrorCode::UnauthorizedUpstream
        | PublicErrorCode::InvalidToken
        | PublicErrorCode::ConfigError => Outcome::Final,
        PublicErrorCode::RateLimited => Outcome::RateLimited {
            retry_after_ms: f.retry_after_secs.unwrap_or(1) * 1000,
        },
        _ => Outcome::Transient,
    }
}

fn ms(t: f64) -> u64 {
    t.max(0.0) as u64
}

impl Session {
    fn settings(&self) -> Cfg {
        crate::settings(&self.env)
    }

    /// A duration setting in ms, or `fallback` when the configuration is broken (every call
    /// then fails as `config_error` anyway).
    fn setting_ms(&self, pick: fn(&Settings) -> core::time::Duration, fallback: f64) -> f64 {
        self.settings()
            .as_ref()
            .as_ref()
            .map_or(fallback, |s| pick(s).as_millis() as f64)
    }

    /// Who this object speaks for, from its own name.
    fn identity(&self) -> Option<(String, Link)> {
        self.state
            .id()
            .name()
            .as_deref()
            .and_then(parse_object_name)
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

    /// Within the trust window of the last webhook, webhooks keep this session current.
    fn trusts_webhooks(&self, t: f64) -> bool {
        let trust = self.setting_ms(|s| s.webhook_trust, 0.0);
        self.inner
            .borrow()
            .saved
            .last_hook_ms
            .is_some_and(|h| t - h < trust)
    }

    /// While the budget holds calls back: the failure to answer with, and until when.
    fn held_back(&self, t: f64) -> Option<Failed> {
        let inner = self.inner.borrow();
        let wait = inner
            .saved
            .budget
            .may_call(&BudgetPolicy::default(), ms(t))
            .err()?;
        let code = inner
            .saved
            .failure
            .as_ref()
            .and_then(|f| PublicErrorCode::parse(&f.code))
            .unwrap_or(PublicErrorCode::UpstreamError);
        Some(Failed {
            code,
            retry_after_secs: match wait {
                Wait::Until(at) => Some(at.saturating_sub(ms(t)).div_ceil(1000).max(1)),
                Wait::Halted => None,
            },
        })
    }

    /// Runs `call` unless one is in flight (then joins it), and settles the budget once.
    async fn single_flight<T: Clone + 'static>(
        &self,
        slot: fn(&mut Inner) -> &mut Option<Flight<T>>,
        call: impl FnOnce(Cfg, String, Link, bool) -> LocalBoxFuture<'static, Called<T>>,
    ) -> core::result::Result<T, Failed> {
        let existing = slot(&mut self.inner.borrow_mut()).clone();
        if let Some(flight) = existing {
            return flight.await.result;
        }
        let Some((number, link)) = self.identity() else {
            worker::console_error!("session: the object has no name");
            return Err(Failed::from(PublicErrorCode::ConfigError));
        };
        let settings = self.settings();
        // In a failure streak every call is one attempt, and one at a time: each request is one
        // the budget allowed.
        let retries = {
            let mut inner = self.inner.borrow_mut();
            inner.saved.budget.begin();
            !inner.saved.budget.failing()
        };
        let flight = call(settings, number, link, retries).shared();
        *slot(&mut self.inner.borrow_mut()) = Some(flight.clone());
        let called = flight.await;
        *slot(&mut self.inner.borrow_mut()) = None;
        let t = now();
        {
            let mut inner = self.inner.borrow_mut();
            settle(&mut inner.saved.budget, &called, t);
            inner.saved.failure = called.result.as_ref().err().map(|f| StoredFailure {
                code: f.code.as_str().to_owned(),
            });
        }
        if let Err(f) = &called.result {
            // Every failure reaches whoever waits: the viewers get it pushed, with the wait.
            let mut frame_failure = *f;
            if let Some(Failed {
                retry_after_secs, ..
            }) = self.held_back(t)
            {
                frame_failure.retry_after_secs = retry_after_secs;
            }
            self.broadcast(&failure_frame(frame_failure));
            self.save().await;
        }
        called.result
    }

    /// Sends `frame` to every widget watching.
    fn broadcast(&self, frame: &Value) {
        let text = frame.to_string();
        for ws in self.state.get_websockets() {
            let _ = ws.send_with_str(&text);
        }
    }

    /// The QR on offer while it has at least a second left.
    fn fresh_qr(&self, t: f64) -> Option<QrAnswer> {
        let a = {
            let inner = self.inner.borrow();
            let q = inner.saved.qr.as_ref()?;
            let left = q.fresh_until - t;
            (left >= QR_MIN_LEFT_MS).then(|| QrAnswer::Pairing {
                qr: q.qr.clone(),
                pairing_code: q.code.clone(),
                refresh_after_ms: left as u32,
                masked_number: None,
                code_expires_in_ms: None,
            })?
        };
        Some(self.decorate(a, t))
    }

    /// A pairing answer as viewers get it: with the number, masked, and how long its code has
    /// left, as far as this session knows them.
    fn decorate(&self, a: QrAnswer, t: f64) -> QrAnswer {
        match a {
            QrAnswer::Pairing {
                qr,
                pairing_code,
                refresh_after_ms,
                ..
            } => QrAnswer::Pairing {
                masked_number: self
                    .inner
                    .borrow()
                    .saved
                    .number
                    .as_ref()
                    .and_then(|n| n.masked.clone()),
                code_expires_in_ms: self.code_expires_in(pairing_code.as_deref(), t),
                qr,
                pairing_code,
                refresh_after_ms,
            },
            QrAnswer::Connected => QrAnswer::Connected,
        }
    }

    /// How long (ms) `code` stays valid, as far as this session knows: the lifetime it observed
    /// for the last code that ended by itself (first seen → learned that it ended), or else
    /// `PAIRING_CODE_TTL_MS`, minus the time since it first saw `code`; never below 0. `None`
    /// when it knows no lifetime (Pilot Status documents none), or `code` is not the one it is
    /// timing.
    ///
    /// What it is not: a deadline from Pilot Status or WhatsApp. The observed lifetime may run
    /// over the real one by up to how long the session went without a look (see
    /// [`Self::code_ended`]), and a code first seen late (an attempt started elsewhere) is
    /// older than the session counts.
    fn code_expires_in(&self, code: Option<&str>, t: f64) -> Option<u32> {
        let ttl = self
            .settings()
            .as_ref()
            .as_ref()
            .ok()
            .and_then(|s| s.pairing_code_ttl)
            .map(|d| d.as_millis() as f64);
        let inner = self.inner.borrow();
        let s = &inner.saved;
        let seen = s.code.as_ref().filter(|c| Some(c.code.as_str()) == code)?;
        let lifetime = s.code_lifetime_ms.or(ttl)?;
        let left = (lifetime - (t - seen.first_seen)).clamp(0.0, CODE_LIFETIME_MAX_MS);
        Some(left as u32)
    }

    /// The longest (ms) a watched session goes without word of its code: at most one QR
    /// rotation, plus one status poll. An end learned later than this after the code was last
    /// seen on offer says too little about when it ended, and is not learned from.
    fn look_gap_ms(&self) -> f64 {
        let refresh = self
            .settings()
            .as_ref()
            .as_ref()
            .map_or(20_000.0, |s| f64::from(s.qr_refresh_ms));
        refresh + self.setting_ms(|s| s.status_poll, 2_500.0)
    }

    /// A connect answer offered `code` at `t` (so the number is not connected): the same code is
    /// still on offer; a different one means the one before ended by itself. No code: nothing to
    /// time, and nothing learned.
    fn code_offered(&self, code: Option<&str>, t: f64) {
        let Some(code) = code else {
            self.code_dropped();
            return;
        };
        let same = {
            let mut inner = self.inner.borrow_mut();
            match inner.saved.code.as_mut() {
                Some(seen) if seen.code == code => {
                    seen.alive_at = t;
                    true
                }
                _ => false,
            }
        };
        if same {
            return;
        }
        self.code_ended(t);
        self.inner.borrow_mut().saved.code = Some(CodeSeen {
            code: code.to_owned(),
            first_seen: t,
            alive_at: t,
        });
    }

    /// The session learned at `t` that the code on offer ended by itself (a different code
    /// from connect, a live `CLOSE` status, `number.disconnected`): its lifetime is first seen →
    /// `t`, learned only when the code was seen on offer within [`Self::look_gap_ms`] before.
    fn code_ended(&self, t: f64) {
        let gap = self.look_gap_ms();
        let mut inner = self.inner.borrow_mut();
        let s = &mut inner.saved;
        if let Some(seen) = s.code.take() {
            let lifetime = t - seen.first_seen;
            if t - seen.alive_at <= gap && lifetime > 0.0 && lifetime <= CODE_LIFETIME_MAX_MS {
                s.code_lifetime_ms = Some(lifetime);
            }
        }
    }

    /// The code on offer ended for another reason (the number connected, was removed or
    /// restored): not a natural end, nothing learned.
    fn code_dropped(&self) {
        self.inner.borrow_mut().saved.code = None;
    }

    /// Reads the number from Pilot Status, once, in the background: unless it is known, a read
    /// is under way, the number is connected, or either budget holds calls back (the session's:
    /// no read while its calls fail; the read's own: after a failed read, backoff and caps as
    /// for any call, a final answer until a webhook or a new visit). Never in front of a QR:
    /// the answer that comes before it goes without the number, and the viewers get the QR
    /// again, with it, when it lands.
    fn read_number(&self, t: f64) {
        let policy = BudgetPolicy::default();
        let due = {
            let inner = self.inner.borrow();
            let s = &inner.saved;
            s.number.is_none()
                && inner.number_flight.is_none()
                && !s.connected
                && s.budget.may_call(&policy, ms(t)).is_ok()
                && s.number_budget.may_call(&policy, ms(t)).is_ok()
        };
        if !due {
            return;
        }
        // The number read is the same for both links of a dual number.
        let (Some(me), Some((number, _))) = (self.me.upgrade(), self.identity()) else {
            return;
        };
        let settings = self.settings();
        let retries = {
            let mut inner = self.inner.borrow_mut();
            inner.saved.number_budget.begin();
            !inner.saved.number_budget.failing()
        };
        let read = async move {
            let called = upstream::masked_number(&settings, &number, retries).await;
            me.number_read(called).await;
        }
        .boxed_local()
        .shared();
        self.inner.borrow_mut().number_flight = Some(read.clone());
        worker::wasm_bindgen_futures::spawn_local(read);
    }

    /// The number read is back: settled in its budget, kept, and, when it brought the number,
    /// pushed with the QR on offer.
    async fn number_read(&self, called: Called<Option<String>>) {
        let t = now();
        let learned = {
            let mut inner = self.inner.borrow_mut();
            inner.number_flight = None;
            settle(&mut inner.saved.number_budget, &called, t);
            match called.result {
                Ok(masked) => {
                    let some = masked.is_some();
                    inner.saved.number = Some(NumberRead { masked });
                    some
                }
                // Logged by `upstream`; the viewers' QR is not at fault, so nothing is pushed.
                Err(_) => false,
            }
        };
        self.save().await;
        if learned && !self.inner.borrow().saved.connected {
            if let Some(a) = self.fresh_qr(now()) {
                self.broadcast(&a.to_json());
            }
        }
    }

    /// The frame a new watcher gets at once: what is known now, if anything.
    fn snapshot(&self, t: f64) -> Option<Value> {
        if self.inner.borrow().saved.connected {
            return Some(QrAnswer::Connected.to_json());
        }
        if let Some(f) = self.held_back(t) {
            return Some(failure_frame(f));
        }
        self.fresh_qr(t).map(|a| a.to_json())
    }

    /// Keeps one alarm while someone watches an unconnected number that may still call; none
    /// otherwise: the next QR rotation, the next status check (unless webhooks are trusted),
    /// never before the budget allows a call.
    async fn schedule(&self) {
        let storage = self.state.storage();
        let t = now();
        let (connected, halted, qr_due, wait) = {
            let inner = self.inner.borrow();
            let s = &inner.saved;
            (
                s.connected,
                s.budget.halted(),
                s.qr.as_ref().map_or(t, |q| q.fresh_until - QR_MIN_LEFT_MS),
                s.budget.may_call(&BudgetPolicy::default(), ms(t)).err(),
            )
        };
        if !self.watched() || connected || halted {
            let _ = storage.delete_alarm().await;
            return;
        }
        let mut next = qr_due;
        if !self.trusts_webhooks(t) {
            let poll = self.setting_ms(|s| s.status_poll, 2_500.0);
            next = next.min(self.inner.borrow().polled_at + poll);
        }
        if let Some(Wait::Until(at)) = wait {
            next = next.max(at as f64);
        }
        // An offset from now (an i64 is one in workers-rs), never less than 50 ms.
        let _ = storage.set_alarm((next - t).max(50.0) as i64).await;
    }

    async fn load(&self) {
        if self.inner.borrow().loaded {
            return;
        }
        // Stored as serde JSON text: one value, read back by the same derive.
        let saved = match self.state.storage().get::<String>(STORAGE_KEY).await {
            Ok(Some(text)) => serde_json::from_str::<Saved>(&text).unwrap_or_else(|e| {
                worker::console_error!("session storage unreadable, starting afresh: {e}");
                Saved::default()
            }),
            Ok(None) => Saved::default(),
            Err(e) => {
                worker::console_error!("session storage: {e}");
                Saved::default()
            }
        };
        let mut inner = self.inner.borrow_mut();
        if !inner.loaded {
            inner.loaded = true;
            inner.saved = saved;
            // Stored QRs passed the wire format's rule when they arrived; re-checked anyway.
            let keep = inner.saved.qr.as_ref().is_some_and(|q| {
                QrAnswer::from_fields(QrFields {
                    state: Some("pairing"),
                    qr: Some(&q.qr),
                    ..QrFields::default()
                })
                .is_ok()
            });
            if !keep {
                inner.saved.qr = None;
            }
            // Only ever a masked number goes to a browser: anything else is read again.
            if let Some(NumberRead { masked: Some(m) }) = &inner.saved.number {
                if !is_masked_number(m) {
                    inner.saved.number = None;
                }
            }
        }
    }

    async fn save(&self) {
        let text = serde_json::to_string(&self.inner.borrow().saved);
        let stored = match text {
            Ok(t) => self.state.storage().put(STORAGE_KEY, t).await,
            Err(e) => Err(e.into()),
        };
        if let Err(e) = stored {
            worker::console_error!("session storage: {e}");
        }
    }

    /// Accepts a watcher. The first one after nobody watched lifts a final answer's hold: a
    /// new visit is a new reason to ask.
    async fn watch(&self) -> Result<Response> {
        let first = !self.watched();
        let pair = WebSocketPair::new()?;
        self.state.accept_web_socket(&pair.server);
        if first {
            let mut inner = self.inner.borrow_mut();
            if inner.saved.budget.halted() {
                inner.saved.budget.clear();
                inner.saved.failure = None;
            }
            if inner.saved.number_budget.halted() {
                inner.saved.number_budget.clear();
            }
        }
        let t = now();
        self.read_number(t);
        match self.snapshot(t) {
            Some(frame) => {
                let _ = pair.server.send_with_str(frame.to_string());
            }
            None => {
                // Nothing fresh: ask now; the answer (or the failure) is pushed to every watcher.
                let _ = self.qr().await;
            }
        }
        self.schedule().await;
        let mut resp = Response::from_websocket(pair.client)?;
        resp.headers_mut().set("sec-websocket-protocol", PROTOCOL)?;
        Ok(resp)
    }

    /// The QR to show: the one on offer, or a new one from Pilot Status.
    async fn qr(&self) -> Result<Response> {
        let t = now();
        if self.inner.borrow().saved.connected && self.trusts_webhooks(t) {
            return json(200, &QrAnswer::Connected.to_json());
        }
        self.read_number(t);
        if let Some(a) = self.fresh_qr(t) {
            return json(200, &a.to_json());
        }
        if let Some(f) = self.held_back(t) {
            return failure_response(f);
        }
        let result = self
            .single_flight(
                |i| &mut i.qr_flight,
                |cfg, number, link, retries| {
                    async move { upstream::qr(&cfg, &number, link, retries).await }.boxed_local()
                },
            )
            .await;
        let a = match result {
            Ok(a) => a,
            Err(f) => return failure_response(f),
        };
        // The number read started beside this connect: a short, bounded wait for it.
        let number = self.inner.borrow().number_flight.clone();
        if let (Some(read), QrAnswer::Pairing { .. }) = (number, &a) {
            let delay = Delay::from(Duration::from_millis(NUMBER_WAIT_MS));
            let _ = select(read, delay.boxed_local()).await;
        }
        match &a {
            QrAnswer::Connected => self.code_dropped(),
            QrAnswer::Pairing { pairing_code, .. } => self.code_offered(pairing_code.as_deref(), t),
        }
        {
            let mut inner = self.inner.borrow_mut();
            match &a {
                QrAnswer::Connected => {
                    inner.saved.connected = true;
                    inner.saved.qr = None;
                }
                QrAnswer::Pairing {
                    qr,
                    pairing_code,
                    refresh_after_ms,
                    ..
                } => {
                    // A pairing answer says "not connected" as surely as a status read would.
                    inner.polled_at = t;
                    inner.saved.connected = false;
                    inner.saved.qr = Some(StoredQr {
                        qr: qr.clone(),
                        code: pairing_code.clone(),
                        fresh_until: t + f64::from(*refresh_after_ms),
                    });
                }
            }
        }
        self.save().await;
        let body = self.decorate(a, t).to_json();
        self.broadcast(&body);
        json(200, &body)
    }

    /// The status: known from a trusted webhook, shared for `STATUS_TTL_MS`, or read upstream.
    async fn status(&self) -> Result<Response> {
        let t = now();
        if self.inner.borrow().saved.connected && self.trusts_webhooks(t) {
            let a = StatusAnswer {
                state: PublicState::Connected,
                stale: false,
            };
            return json(200, &a.to_json());
        }
        let ttl = self.setting_ms(|s| s.status_ttl, 0.0);
        if let Some((a, at)) = self.inner.borrow().status {
            if t - at < ttl {
                return json(200, &a.to_json());
            }
        }
        match self.read_status().await {
            Ok(a) => json(200, &a.to_json()),
            Err(f) => failure_response(f),
        }
    }

    /// One upstream status read (or the one in flight), applied and pushed when it changes
    /// something.
    async fn read_status(&self) -> core::result::Result<StatusAnswer, Failed> {
        let t = now();
        if let Some(f) = self.held_back(t) {
            return Err(f);
        }
        self.inner.borrow_mut().polled_at = t;
        let read = self
            .single_flight(
                |i| &mut i.status_flight,
                |cfg, number, link, retries| {
                    async move { upstream::status(&cfg, &number, link, retries).await }
                        .boxed_local()
                },
            )
            .await?;
        let a = read.answer;
        match a.state {
            PublicState::Connected => self.code_dropped(),
            // Only a live reading says anything about the code (a stale one is a remembered
            // state).
            PublicState::Disconnected if !a.stale => self.code_ended(t),
            PublicState::Connecting if !a.stale => {
                if let Some(seen) = self.inner.borrow_mut().saved.code.as_mut() {
                    seen.alive_at = t;
                }
            }
            _ => {}
        }
        let changed = {
            let mut inner = self.inner.borrow_mut();
            inner.saved.dual = read.dual;
            inner.status = Some((a, t));
            let was = inner.saved.connected;
            inner.saved.connected = a.state == PublicState::Connected;
            if matches!(a.state, PublicState::Disconnected | PublicState::Connected) {
                inner.saved.qr = None; // the pairing attempt is over, one way or the other
            }
            was != inner.saved.connected
        };
        if changed {
            self.save().await;
        }
        if changed || a.state == PublicState::Disconnected {
            self.broadcast(&a.to_json());
        }
        Ok(a)
    }

    /// A verified lifecycle webhook about this number: applied once, in order. An event that
    /// can only be about this link (the primary link of a single-link number, or one about the
    /// whole number: removed, restored) is applied as it is, with no upstream call; otherwise
    /// (a dual number, another link pairing too) a watched link reads its own status once.
    async fn event(
        &self,
        event: &str,
        key: &str,
        at: Option<&str>,
        ambiguous: bool,
    ) -> Result<Response> {
        let t = now();
        let at_ms = at.map(js_sys::Date::parse).filter(|v| v.is_finite());
        let name = EventName::parse(event);
        let primary = self.identity().is_some_and(|(_, l)| l == Link::Primary);
        let pairing = self.watched() || self.inner.borrow().saved.qr.is_some();
        let ack = || json(200, &serde_json::to_value(EventAck { pairing })?);
        if !primary && !pairing && !self.inner.borrow().saved.connected {
            // A secondary link nobody pairs here and that holds nothing: no state to keep.
            return ack();
        }
        {
            let mut inner = self.inner.borrow_mut();
            let s = &mut inner.saved;
            if s.seen.iter().any(|k| k == key) {
                return ack(); // a retried delivery
            }
            if let (Some(new), Some(last)) = (at_ms, s.last_event_ms) {
                if new < last {
                    return ack(); // older than what was applied: out of order
                }
            }
            s.seen.push_back(key.to_owned());
            while s.seen.len() > SEEN_MAX {
                s.seen.pop_front();
            }
            if at_ms.is_some() {
                s.last_event_ms = at_ms;
            }
            s.last_hook_ms = Some(t);
            // Something changed: whatever held calls back may no longer hold.
            s.budget.clear();
            s.number_budget.clear();
            s.failure = None;
            inner.status = None;
        }
        let whole_number = matches!(name, EventName::NumberRemoved | EventName::NumberRestored);
        let own = whole_number || (primary && !ambiguous && !self.inner.borrow().saved.dual);
        if !own {
            if name != EventName::NumberConnected {
                let mut inner = self.inner.borrow_mut();
                inner.saved.connected = false;
                inner.saved.qr = None;
            }
            if self.watched() {
                let _ = self.read_status().await;
            }
            self.save().await;
            self.schedule().await;
            return ack();
        }
        if name == EventName::NumberDisconnected {
            self.code_ended(t);
        } else {
            self.code_dropped();
        }
        let frame = {
            let mut inner = self.inner.borrow_mut();
            let s = &mut inner.saved;
            s.qr = None;
            s.connected = name == EventName::NumberConnected;
            match name {
                EventName::NumberConnected => StatusAnswer {
                    state: PublicState::Connected,
                    stale: false,
                }
                .to_json(),
                EventName::NumberRemoved => {
                    // Deleted: nothing to ask Pilot Status until it is restored.
                    s.budget.settle(
                        &BudgetPolicy::default(),
                        ms(t),
                        ms(t),
                        0,
                        Outcome::Final,
                        0.0,
                    );
                    s.failure = Some(StoredFailure {
                        code: PublicErrorCode::NotFound.as_str().to_owned(),
                    });
                    failure_frame(Failed::from(PublicErrorCode::NotFound))
                }
                _ => StatusAnswer {
                    state: PublicState::Disconnected,
                    stale: false,
                }
                .to_json(),
            }
        };
        self.save().await;
        self.broadcast(&frame);
        self.schedule().await;
        ack()
    }
}

impl DurableObject for NumberSession {
    fn new(state: State, env: Env) -> Self {
        Self {
            core: Rc::new_cyclic(|me| Session {
                state,
                env,
                inner: RefCell::new(Inner::default()),
                me: me.clone(),
            }),
        }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let this = &*self.core;
        this.load().await;
        let request = if is_upgrade(&req) {
            SessionRequest::Watch
        } else {
            match req.json::<SessionRequest>().await {
                Ok(r) => r,
                Err(_) => {
                    return json(
                        400,
                        &ErrorBody {
                            code: PublicErrorCode::BadRequest,
                        }
                        .to_json(),
                    )
                }
            }
        };
        match request {
            SessionRequest::Watch => this.watch().await,
            SessionRequest::Qr => this.qr().await,
            SessionRequest::Status => this.status().await,
            SessionRequest::Event {
                event,
                key,
                at,
                ambiguous,
            } => this.event(&event, &key, at.as_deref(), ambiguous).await,
        }
    }

    /// While watched and not connected: rotate the QR when it goes stale and, unless webhooks
    /// are trusted, check the status; push what changed. Not re-armed once nobody watches.
    async fn alarm(&self) -> Result<Response> {
        let this = &*self.core;
        this.load().await;
        if !this.watched() {
            return Response::empty();
        }
        let t = now();
        let poll = this.setting_ms(|s| s.status_poll, 2_500.0);
        let due = !this.trusts_webhooks(t) && t - this.inner.borrow().polled_at >= poll - 50.0;
        if due && !this.inner.borrow().saved.connected {
            let _ = this.read_status().await;
        }
        let stale = {
            let inner = this.inner.borrow();
            !inner.saved.connected
                && inner
                    .saved
                    .qr
                    .as_ref()
                    .is_none_or(|q| q.fresh_until - now() < QR_MIN_LEFT_MS)
        };
        if stale {
            let _ = this.qr().await;
        } else {
            // A read that failed earlier is tried again when its budget allows.
            this.read_number(now());
        }
        this.schedule().await;
        Response::empty()
    }

    /// Widgets only listen; anything they send is ignored.
    async fn websocket_message(
        &self,
        _ws: WebSocket,
        _message: WebSocketIncomingMessage,
    ) -> Result<()> {
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
        this.schedule().await;
        Ok(())
    }

    async fn websocket_error(&self, _ws: WebSocket, _error: worker::Error) -> Result<()> {
        let this = &*self.core;
        this.load().await;
        this.schedule().await;
        Ok(())
    }
}
