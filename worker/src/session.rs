//! `NumberSession`: a Durable Object per number (and link), addressed by the connect token's
//! `sub`. It is the one place that talks to Pilot Status about that number:
//!
//! - single-flights `connect` and `status` for every viewer (N tabs → one upstream call per QR
//!   rotation and at most one status call per `STATUS_TTL_MS`, 2 s by default);
//! - holds the current pairing session (QR, code, until when it is fresh), so a second tab or a
//!   reload gets the same QR at once, with the time it has left;
//! - learns `connected` / `disconnected` from Pilot Status webhooks (forwarded by the worker,
//!   de-duplicated here), so status answers need no upstream call at all once it is linked;
//! - keeps that state in its SQLite-backed storage, so an eviction or restart loses nothing;
//! - pushes every change (a new QR, connected, disconnected) to the widgets watching it over
//!   WebSockets accepted with the hibernation API, and runs an alarm only while someone watches
//!   and the number is not connected (QR rotation, and a status check when no webhook secret
//!   keeps it informed). Nobody watching: no alarm, and the object can hibernate.

use std::cell::RefCell;

use pilot_connect::public::{ErrorBody, PublicErrorCode, PublicState, QrAnswer, StatusAnswer};
use pilot_connect::Link;
use serde_json::Value;
use std::rc::Rc;
use worker::{
    durable_object, DurableObject, Env, Method, Request, Response, Result, State, WebSocket,
    WebSocketIncomingMessage, WebSocketPair,
};

use crate::settings::Settings;
use crate::upstream::{self, Failed};

/// Webhook keys remembered for de-duplication.
const SEEN_MAX: usize = 200;

/// One upstream call in flight: the caller that started it fills the slot; viewers that came
/// meanwhile wait for it instead of calling again (single-flight).
type Flight<T> = Rc<RefCell<Option<core::result::Result<T, Failed>>>>;

/// An upstream call borrowing the settings.
type Upstream<'s, T> =
    core::pin::Pin<Box<dyn core::future::Future<Output = core::result::Result<T, Failed>> + 's>>;

/// Waits for a flight another request started, at most about 30 s (past any upstream budget:
/// should that request have been cancelled, its joiners still answer).
async fn join<T: Clone>(flight: Flight<T>) -> core::result::Result<T, Failed> {
    for _ in 0..6_000 {
        if let Some(r) = flight.borrow().clone() {
            return r;
        }
        gloo_timers::future::TimeoutFuture::new(5).await;
    }
    Err(Failed::from(PublicErrorCode::UpstreamTimeout))
}

#[derive(Default)]
struct Inner {
    loaded: bool,
    /// The QR on offer and until when (ms) it is fresh.
    qr: Option<(QrAnswer, f64)>,
    /// The last status and when (ms) it was read.
    status: Option<(StatusAnswer, f64)>,
    connected: bool,
    seen: Vec<String>,
    qr_flight: Option<Flight<QrAnswer>>,
    status_flight: Option<Flight<StatusAnswer>>,
}

/// What survives an eviction, stored as one line-separated string: `v1`, the QR data URL, the
/// pairing code, fresh-until (ms), `1`/`0` for connected, then the remembered webhook keys. No
/// serde derive for it: every byte of the bundle counts, and none of these values holds a
/// newline (data URLs and codes never do; keys that would are not kept).
#[derive(Default)]
struct Saved {
    qr: Option<String>,
    code: Option<String>,
    fresh_until: f64,
    connected: bool,
    seen: Vec<String>,
}

impl Saved {
    fn encode(&self) -> String {
        let mut out = String::from("v1\n");
        out.push_str(self.qr.as_deref().unwrap_or(""));
        out.push('\n');
        out.push_str(self.code.as_deref().unwrap_or(""));
        out.push('\n');
        out.push_str(&(self.fresh_until as u64).to_string());
        out.push('\n');
        out.push(if self.connected { '1' } else { '0' });
        for k in self.seen.iter().filter(|k| !k.contains('\n')) {
            out.push('\n');
            out.push_str(k);
        }
        out
    }

    fn decode(text: &str) -> Option<Self> {
        let mut lines = text.split('\n');
        if lines.next()? != "v1" {
            return None;
        }
        let some = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        Some(Self {
            qr: some(lines.next()?),
            code: some(lines.next()?),
            fresh_until: lines.next()?.parse::<u64>().ok()? as f64,
            connected: lines.next()? == "1",
            seen: lines.map(str::to_owned).collect(),
        })
    }
}

#[durable_object]
pub struct NumberSession {
    state: State,
    env: Env,
    inner: RefCell<Inner>,
}

fn now() -> f64 {
    js_sys::Date::now()
}

fn json(status: u16, body: &Value) -> Result<Response> {
    Ok(Response::from_json(body)?.with_status(status))
}

fn failure(f: Failed) -> Result<Response> {
    let mut resp = json(f.code.status(), &ErrorBody { code: f.code }.to_json())?;
    if let Some(secs) = f.retry_after_secs {
        resp.headers_mut().set("retry-after", &secs.to_string())?;
    }
    Ok(resp)
}

/// The number (token `sub`) a worker request to a session is about.
pub const SUB_HEADER: &str = "x-pilot-sub";
/// Its link (`primary` or `secondary`).
pub const LINK_HEADER: &str = "x-pilot-link";

/// The subprotocol a widget offers (with its token as a second one) and the worker accepts.
pub const PROTOCOL: &str = "pilot-connect.v1";
/// Alarm cadence while watched: status checks when webhooks do not keep the object current.
const WATCH_POLL_MS: f64 = 2_500.0;

impl NumberSession {
    /// Joins the upstream call in flight in `slot`, or makes `call` and shares its result with
    /// every request that joined meanwhile (single-flight).
    async fn single_flight<T: Clone>(
        &self,
        slot: fn(&mut Inner) -> &mut Option<Flight<T>>,
        call: impl for<'s> FnOnce(&'s Settings) -> Upstream<'s, T>,
    ) -> core::result::Result<T, Failed> {
        let joined = {
            let mut inner = self.inner.borrow_mut();
            let flight = slot(&mut inner);
            match flight {
                Some(f) => Some(f.clone()),
                None => {
                    *flight = Some(Rc::new(RefCell::new(None)));
                    None
                }
            }
        };
        if let Some(f) = joined {
            return join(f).await;
        }
        let cfg = crate::settings(&self.env);
        let r = match cfg.as_ref() {
            Ok(s) => call(s).await,
            Err(_) => Err(Failed::from(PublicErrorCode::ConfigError)),
        };
        if let Some(f) = slot(&mut self.inner.borrow_mut()).take() {
            *f.borrow_mut() = Some(r.clone());
        }
        r
    }

    /// Sends `frame` to every widget watching.
    fn broadcast(&self, frame: &Value) {
        let text = frame.to_string();
        for ws in self.state.get_websockets() {
            let _ = ws.send_with_str(&text);
        }
    }

    /// The frame a new watcher gets at once: what is known now, if anything.
    fn snapshot(&self, t: f64) -> Option<Value> {
        let inner = self.inner.borrow();
        if inner.connected {
            return Some(QrAnswer::Connected.to_json());
        }
        match &inner.qr {
            Some((
                QrAnswer::Pairing {
                    qr, pairing_code, ..
                },
                until,
            )) if until - t >= 1_000.0 => {
                let a = QrAnswer::Pairing {
                    qr: qr.clone(),
                    pairing_code: pairing_code.clone(),
                    refresh_after_ms: (until - t) as u32,
                };
                Some(a.to_json())
            }
            _ => None,
        }
    }

    /// Keeps one alarm while someone watches an unconnected number; none otherwise.
    async fn schedule(&self) {
        let watched = !self.state.get_websockets().is_empty();
        let (connected, fresh_until) = {
            let inner = self.inner.borrow();
            (
                inner.connected,
                inner.qr.as_ref().map_or(0.0, |(_, until)| *until),
            )
        };
        let storage = self.state.storage();
        if !watched || connected {
            let _ = storage.delete_alarm().await;
            return;
        }
        let t = now();
        let until_qr = (fresh_until - t).max(0.0);
        let next = if self.trusts_webhooks() {
            until_qr
        } else {
            until_qr.min(WATCH_POLL_MS)
        };
        let _ = storage.set_alarm(next.max(250.0) as i64).await;
    }

    /// Accepts a watcher (a WebSocket upgrade the worker authorised for this number).
    async fn watch(&self, sub: String, link: Link) -> Result<Response> {
        let pair = WebSocketPair::new()?;
        self.state.accept_web_socket(&pair.server);
        let t = now();
        match self.snapshot(t) {
            Some(frame) => {
                let _ = pair.server.send_with_str(frame.to_string());
            }
            None => {
                // Nothing fresh: ask now; the answer is pushed to every watcher.
                let _ = self.qr(sub.clone(), link.clone()).await;
            }
        }
        self.remember_number(&sub, &link).await;
        self.schedule().await;
        let mut resp = Response::from_websocket(pair.client)?;
        resp.headers_mut().set("sec-websocket-protocol", PROTOCOL)?;
        Ok(resp)
    }

    /// The alarm needs to know which number it speaks for.
    async fn remember_number(&self, sub: &str, link: &Link) {
        let storage = self.state.storage();
        let _ = storage.put("sub", sub.to_owned()).await;
        let _ = storage.put("link", link.as_str().to_owned()).await;
    }

    /// With a webhook secret, Pilot Status tells this object when the number connects or
    /// disconnects, so a known "connected" is current and needs no upstream call. Without it,
    /// every answer is checked upstream (shared by all viewers for `STATUS_TTL_MS`).
    fn trusts_webhooks(&self) -> bool {
        crate::settings(&self.env)
            .as_ref()
            .as_ref()
            .is_ok_and(|s| s.webhook_secret.is_some())
    }

    async fn load(&self) {
        if self.inner.borrow().loaded {
            return;
        }
        let saved: Option<Saved> = match self.state.storage().get::<String>("session").await {
            Ok(s) => s.as_deref().and_then(Saved::decode),
            Err(e) => {
                worker::console_error!("session storage: {e}");
                None
            }
        };
        let mut inner = self.inner.borrow_mut();
        if !inner.loaded {
            inner.loaded = true;
            if let Some(s) = saved {
                // Stored QRs passed the core's rule when they arrived; re-checked anyway.
                inner.qr = QrAnswer::from_fields(
                    Some("pairing"),
                    s.qr.as_deref(),
                    s.code.as_deref(),
                    None,
                )
                .ok()
                .map(|q| (q, s.fresh_until));
                inner.connected = s.connected;
                inner.seen = s.seen;
            }
        }
    }

    async fn save(&self) {
        let saved = {
            let inner = self.inner.borrow();
            let (qr, code) = match &inner.qr {
                Some((
                    QrAnswer::Pairing {
                        qr, pairing_code, ..
                    },
                    _,
                )) => (Some(qr.clone()), pairing_code.clone()),
                _ => (None, None),
            };
            Saved {
                qr,
                code,
                fresh_until: inner.qr.as_ref().map_or(0.0, |(_, t)| *t),
                connected: inner.connected,
                seen: inner.seen.clone(),
            }
        };
        if let Err(e) = self.state.storage().put("session", saved.encode()).await {
            worker::console_error!("session storage: {e}");
        }
    }

    async fn qr(&self, sub: String, link: Link) -> Result<Response> {
        let t = now();
        let trusted = self.trusts_webhooks();
        {
            let inner = self.inner.borrow();
            if inner.connected && trusted {
                return json(200, &QrAnswer::Connected.to_json());
            }
            // The same QR for every viewer while it is fresh, with the time it has left.
            if let Some((
                QrAnswer::Pairing {
                    qr, pairing_code, ..
                },
                until,
            )) = &inner.qr
            {
                let left = until - t;
                if left >= 1_000.0 {
                    let answer = QrAnswer::Pairing {
                        qr: qr.clone(),
                        pairing_code: pairing_code.clone(),
                        refresh_after_ms: left as u32,
                    };
                    return json(200, &answer.to_json());
                }
            }
        }
        let result = self
            .single_flight(
                |i| &mut i.qr_flight,
                move |s| Box::pin(async move { upstream::qr(s, &sub, link).await }),
            )
            .await;
        {
            let mut inner = self.inner.borrow_mut();
            match &result {
                Ok(QrAnswer::Connected) => inner.connected = true,
                Ok(
                    a @ QrAnswer::Pairing {
                        refresh_after_ms, ..
                    },
                ) => {
                    inner.qr = Some((a.clone(), t + f64::from(*refresh_after_ms)));
                }
                Err(_) => {}
            }
        }
        match result {
            Ok(a) => {
                self.save().await;
                let body = a.to_json();
                self.broadcast(&body);
                json(200, &body)
            }
            Err(f) => failure(f),
        }
    }

    async fn status(&self, sub: String, link: Link) -> Result<Response> {
        let t = now();
        let trusted = self.trusts_webhooks();
        {
            let inner = self.inner.borrow();
            if inner.connected && trusted {
                let a = StatusAnswer {
                    state: PublicState::Connected,
                    stale: false,
                };
                return json(200, &a.to_json());
            }
            let ttl = crate::settings(&self.env)
                .as_ref()
                .as_ref()
                .map_or(0.0, |s| s.status_ttl.as_millis() as f64);
            if let Some((a, at)) = inner.status {
                if t - at < ttl {
                    return json(200, &a.to_json());
                }
            }
        }
        let result = self
            .single_flight(
                |i| &mut i.status_flight,
                move |s| Box::pin(async move { upstream::status(s, &sub, link).await }),
            )
            .await;
        let changed = {
            let mut inner = self.inner.borrow_mut();
            match result {
                Ok(a) => {
                    inner.status = Some((a, t));
                    let was = inner.connected;
                    inner.connected = a.state == PublicState::Connected;
                    if matches!(a.state, PublicState::Disconnected | PublicState::Connected) {
                        inner.qr = None; // the pairing attempt is over, one way or the other
                    }
                    was != inner.connected
                }
                Err(_) => false,
            }
        };
        if changed {
            self.save().await;
        }
        match result {
            Ok(a) => {
                let body = a.to_json();
                if changed || a.state == PublicState::Disconnected {
                    self.broadcast(&body);
                }
                json(200, &body)
            }
            Err(f) => failure(f),
        }
    }

    /// A verified Pilot Status webhook for this number. Retried deliveries are acknowledged and
    /// ignored.
    async fn event(&self, event: &str, key: &str) -> Result<Response> {
        {
            let mut inner = self.inner.borrow_mut();
            if inner.seen.iter().any(|k| k == key) {
                return json(200, &serde_json::json!({ "duplicate": true }));
            }
            inner.seen.push(key.to_owned());
            if inner.seen.len() > SEEN_MAX {
                inner.seen.remove(0);
            }
            match event {
                "number.connected" => inner.connected = true,
                "number.disconnected" | "number.removed" | "number.restored" => {
                    inner.connected = false;
                    inner.qr = None;
                    inner.status = None;
                }
                _ => {}
            }
        }
        self.save().await;
        let state = if event == "number.connected" {
            PublicState::Connected
        } else {
            PublicState::Disconnected
        };
        self.broadcast(
            &StatusAnswer {
                state,
                stale: false,
            }
            .to_json(),
        );
        self.schedule().await;
        json(200, &serde_json::json!({ "ok": true }))
    }
}

impl DurableObject for NumberSession {
    fn new(state: State, env: Env) -> Self {
        Self {
            state,
            env,
            inner: RefCell::new(Inner::default()),
        }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        self.load().await;
        let header = |name: &str| req.headers().get(name).ok().flatten();
        let sub = header(SUB_HEADER).unwrap_or_default();
        let link = match header(LINK_HEADER).as_deref() {
            Some("secondary") => Link::Secondary,
            _ => Link::Primary,
        };
        let path = req.path();
        match (req.method(), path.as_str()) {
            (Method::Get, "/watch") => self.watch(sub, link).await,
            (Method::Get, "/qr") => self.qr(sub, link).await,
            (Method::Get, "/status") => self.status(sub, link).await,
            (Method::Post, "/event") => {
                let body: Value = req.json().await?;
                let event = body["event"].as_str().unwrap_or_default();
                let key = body["key"].as_str().unwrap_or_default();
                self.event(event, key).await
            }
            _ => json(
                404,
                &ErrorBody {
                    code: PublicErrorCode::RouteNotFound,
                }
                .to_json(),
            ),
        }
    }

    /// While watched and not connected: rotate the QR when it goes stale and, without
    /// webhooks, check the status; push what changed. Not re-armed once nobody watches.
    async fn alarm(&self) -> Result<Response> {
        self.load().await;
        if self.state.get_websockets().is_empty() {
            return Response::empty();
        }
        let storage = self.state.storage();
        let sub: Option<String> = storage.get("sub").await.ok().flatten();
        let link = match storage
            .get::<String>("link")
            .await
            .ok()
            .flatten()
            .as_deref()
        {
            Some("secondary") => Link::Secondary,
            _ => Link::Primary,
        };
        if let Some(sub) = sub {
            if !self.trusts_webhooks() {
                let _ = self.status(sub.clone(), link.clone()).await;
            }
            let stale = {
                let inner = self.inner.borrow();
                !inner.connected
                    && inner
                        .qr
                        .as_ref()
                        .is_none_or(|(_, until)| *until - now() < 1_000.0)
            };
            if stale {
                let _ = self.qr(sub, link).await;
            }
        }
        self.schedule().await;
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
        let _ = ws.close(Some(1000), Some("bye"));
        self.schedule().await;
        Ok(())
    }

    async fn websocket_error(&self, _ws: WebSocket, _error: worker::Error) -> Result<()> {
        self.schedule().await;
        Ok(())
    }
}
