//! A number's session as a pure state machine: [`Machine::handle`] takes one [`Input`] (a
//! viewer asks for the QR or the status, watches, leaves; a webhook; the alarm; an upstream
//! call's outcome) at one [`Now`], and returns the [`Effect`]s the Durable Object carries out
//! (call upstream, reply, push a frame, save, set or clear the alarm, wake later). Nothing here
//! does I/O, reads a clock or draws a random number, so every rule is tested natively
//! (`worker/tests/machine.rs`), and the driver (`driver.rs`) holds no policy.
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
//! - reads the number itself once from Pilot Status (`GET /v1/numbers/{id}`, within its own
//!   [`Budget`]) and keeps it masked, for the `maskedNumber` of every pairing answer, with its
//!   provider: a new session's first connect waits for that read (never for a failed one), so an
//!   official (Meta) number is never asked for a QR. Its viewers get [`QrAnswer::Waiting`] (with
//!   Meta's status word) until its status says connected, from the status reads and webhooks
//!   alone;
//! - times the pairing codes it hands out: the lifetime of the last code it saw end by itself is
//!   the `codeExpiresInMs` of the next ones (see [`Machine::code_expires_in`]);
//! - keeps all that in [`Saved`] (stored as [`STORAGE_KEY`]), so an eviction or restart loses
//!   nothing. Nobody watching: no alarm, and the object can hibernate.

use std::collections::VecDeque;

use pilot_connect::budget::{Budget, BudgetPolicy, Outcome, Wait};
use pilot_connect::public::{
    is_detail, is_masked_number, is_number_id, PublicErrorCode, PublicState, PushFrame, QrAnswer,
    QrFields, StatusAnswer, CODE_LIFETIME_MAX_MS,
};
use pilot_connect::webhook::EventName;
use pilot_connect::Link;
use serde::{Deserialize, Serialize};

use super::protocol::EventAck;

/// The storage key of [`Saved`]. Its shape is public (semver): every state an earlier build
/// wrote is read (`worker/test/fixtures/session-state`).
pub const STORAGE_KEY: &str = "session.v2";
/// Webhook keys remembered for de-duplication.
pub const SEEN_MAX: usize = 200;
/// A QR with less than this left (ms) is not handed out: the next rotation is due.
pub const QR_MIN_LEFT_MS: f64 = 1_000.0;
/// How long (ms) a QR answer fresh from upstream waits for the number read started beside it,
/// so the first screen already says which number the code is for. Bounded: the QR never waits
/// longer, and the number still reaches the viewers by push when it lands later.
pub const NUMBER_WAIT_MS: f64 = 250.0;
/// How long (ms) a listing of the number's webhooks holds: while pairing, the session lists them
/// again after this, so a deleted or paused hook is noticed.
pub const HOOKS_TTL_MS: f64 = 600_000.0;
/// The shortest alarm (ms).
pub const ALARM_MIN_MS: f64 = 50.0;
/// A status check is due this much (ms) before its interval is over (alarms fire a little late
/// or early).
const POLL_SLACK_MS: f64 = 50.0;
/// The longest code lifetime believed (ms): the wire format's own bound (a reader drops more).
const CODE_LIFETIME_MAX: f64 = CODE_LIFETIME_MAX_MS as f64;

/// A failed upstream call: the public code and, for rate limits, Pilot Status's wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Failed {
    /// The public code.
    pub code: PublicErrorCode,
    /// Pilot Status's `Retry-After` (s), or the session's own wait.
    pub retry_after_secs: Option<u64>,
}

impl From<PublicErrorCode> for Failed {
    fn from(code: PublicErrorCode) -> Self {
        Self {
            code,
            retry_after_secs: None,
        }
    }
}

impl Failed {
    /// How the failure counts against the budget.
    #[must_use]
    pub fn outcome(&self) -> Outcome {
        match self.code {
            PublicErrorCode::NotFound
            | PublicErrorCode::LinkExpired
            | PublicErrorCode::NotPairable
            | PublicErrorCode::UnauthorizedUpstream
            | PublicErrorCode::InvalidToken
            | PublicErrorCode::ConfigError => Outcome::Final,
            PublicErrorCode::RateLimited => Outcome::RateLimited {
                retry_after_ms: self.retry_after_secs.unwrap_or(1) * 1000,
            },
            _ => Outcome::Transient,
        }
    }

    /// The frame pushed to viewers for this failure: the error answer, with `retryAfterMs`
    /// when the session will call again by itself.
    #[must_use]
    pub fn frame(self) -> PushFrame {
        PushFrame::Failure {
            code: self.code,
            retry_after_ms: self.retry_after_secs.map(|secs| secs * 1000),
        }
    }
}

/// What one upstream call did: its result, when it started (ms) and how many requests it sent.
#[derive(Clone, Debug)]
pub struct Called<T> {
    /// The answer, or the failure mapped to the public set.
    pub result: Result<T, Failed>,
    /// When it started (ms).
    pub started: f64,
    /// Requests sent, the core's retries included.
    pub attempts: u32,
}

/// A status read: the public answer, and whether the number has two links.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusRead {
    /// The public answer.
    pub answer: StatusAnswer,
    /// The number has a secondary link too.
    pub dual: bool,
}

/// The session's durations (ms), from the worker's settings ([`Timing::default`] is theirs).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Timing {
    /// `QR_REFRESH_MS`: the `refreshAfterMs` handed out.
    pub qr_refresh_ms: f64,
    /// `STATUS_POLL_MS`: how often a watched, unconnected number's status is checked.
    pub status_poll_ms: f64,
    /// `STATUS_TTL_MS`: how long one status answer serves every viewer.
    pub status_ttl_ms: f64,
    /// `WEBHOOK_TRUST_MS`: how long a webhook keeps the session from polling.
    pub webhook_trust_ms: f64,
    /// `PAIRING_CODE_TTL_MS`: the operator's code lifetime, until one is observed.
    pub pairing_code_ttl_ms: Option<f64>,
}

impl Timing {
    /// The settings' defaults, defined here once (also what a broken configuration runs with:
    /// every call then fails as `config_error`).
    pub const DEFAULT: Self = Self {
        qr_refresh_ms: 20_000.0,
        status_poll_ms: 2_500.0,
        status_ttl_ms: 2_000.0,
        webhook_trust_ms: 600_000.0,
        pairing_code_ttl_ms: None,
    };
}

impl Default for Timing {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// The one clock reading and random draw of a step, and whether anyone watches.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Now {
    /// The time (ms since the epoch).
    pub t: f64,
    /// An open push stream exists (after a new one was accepted, for [`Input::Watch`]).
    pub watched: bool,
    /// A number in `[0, 1)` for the budget's jitter.
    pub jitter: f64,
}

/// Tells replies apart: the driver's id of a request waiting for one.
pub type ReplyId = u64;

/// What a viewer asks over HTTP.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ask {
    /// `GET /v1/qr`
    Qr,
    /// `GET /v1/status`
    Status,
}

/// An upstream call's outcome.
#[derive(Clone, Debug)]
pub enum Settled {
    /// `connect` (the QR).
    Qr(Called<QrAnswer>),
    /// The status.
    Status(Called<StatusRead>),
    /// The number read.
    Number(Called<NumberFacts>),
    /// The number's webhooks listed: whether one delivers to this edge.
    Hooks(Called<bool>),
    /// A pairing link's check: the tenant's official numbers.
    LinkCheck(Called<Vec<MetaNumberSeen>>),
}

/// An official number as a pairing link's check sees it (from the tenant's number list).
#[derive(Clone, Debug, PartialEq)]
pub struct MetaNumberSeen {
    /// Its id.
    pub id: String,
    /// When it was created (ms), when the list says.
    pub created_ms: Option<f64>,
    /// It is connected.
    pub open: bool,
}

/// How long before its link's creation (its `exp` less 24 h) a number still counts as the
/// link's in a check: the token's `exp` may be a little later than the link's.
pub const LINK_CHECK_SKEW_MS: f64 = 10.0 * 60_000.0;
/// A link's lifetime (ms).
const LINK_LIFETIME_MS: f64 = 24.0 * 3_600_000.0;

/// One thing that happened to the session.
#[derive(Clone, Debug)]
pub enum Input {
    /// A viewer asks; the answer is the [`Reply::Answer`] to `id`.
    Ask {
        /// The reply's id.
        id: ReplyId,
        /// What is asked.
        ask: Ask,
        /// The viewer's token says the number's webhooks reach the edge.
        webhooks: bool,
        /// This edge's webhook receiver, as the viewer reached the edge.
        hook_url: Option<String>,
    },
    /// A widget's push stream was accepted; `first`: nobody watched before it. The
    /// [`Reply::Upgrade`] to `id` carries its first frame, if any.
    Watch {
        /// The reply's id.
        id: ReplyId,
        /// Nobody watched before.
        first: bool,
        /// The viewer's token says the number's webhooks reach the edge.
        webhooks: bool,
        /// This edge's webhook receiver, as the viewer reached the edge.
        hook_url: Option<String>,
    },
    /// A push stream closed.
    Left,
    /// A verified lifecycle webhook about this number; the [`Reply::Ack`] to `id` answers it.
    Event {
        /// The reply's id.
        id: ReplyId,
        /// The event name.
        event: String,
        /// The core's dedup key of the delivery.
        key: String,
        /// `data.createdAt` (ms), when the delivery has a readable one.
        at_ms: Option<f64>,
        /// Another link of the number is pairing too: the event may be about either.
        ambiguous: bool,
        /// The delivery's number id (a pairing link's session learns its new number from it).
        number_id: Option<String>,
    },
    /// The alarm fired.
    Alarm,
    /// An upstream call ended.
    Settled(Settled),
    /// The wait for the number read ([`NUMBER_WAIT_MS`]) is over.
    NumberWaitOver,
    /// A viewer's token names a Meta pairing link, valid until `exp_ms`: this session is the
    /// link's (it has no number until the person picks one at Meta). Given before the
    /// viewer's own input.
    PairingLink {
        /// When the link stops being valid (ms), as the latest token says.
        exp_ms: f64,
        /// The link's token (a ref-named session may see a new link for the same ref).
        token: String,
    },
}

/// An upstream call to make.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Call {
    /// `connect` (the QR).
    Qr,
    /// The status.
    Status,
    /// The number itself.
    Number,
    /// The number's webhooks ([`Machine::hook_url`] is the receiver to look for).
    Hooks,
    /// A pairing link's check after an unexplained 404: the tenant's official numbers.
    LinkCheck,
}

/// An answer to a viewer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// A QR answer (200).
    Qr(QrAnswer),
    /// A status answer (200).
    Status(StatusAnswer),
    /// An error answer (its status, `Retry-After` when there is a wait).
    Failed(Failed),
}

/// A reply to a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// To [`Input::Ask`].
    Answer(Answer),
    /// To [`Input::Watch`]: accepted, with the frame the new watcher gets at once, if any.
    Upgrade(Option<PushFrame>),
    /// To [`Input::Event`].
    Ack(EventAck),
}

/// What the driver carries out, in order.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    /// Start an upstream call; `retries`: the core may retry inside it.
    Call {
        /// Which call.
        call: Call,
        /// Retries allowed (not in a failure streak: then every call is one attempt).
        retries: bool,
    },
    /// Reply to request `id`.
    Reply {
        /// The request.
        id: ReplyId,
        /// The reply.
        reply: Reply,
    },
    /// Send a frame to every watcher.
    Push(PushFrame),
    /// Store [`Saved`] as it is now.
    Save,
    /// Set the alarm this many ms from now, or clear it (`None`).
    Alarm(Option<f64>),
    /// Give [`Input::NumberWaitOver`] this many ms from now.
    WakeIn(f64),
    /// Something the operator should see in the log.
    Log(Note),
}

/// What the session tells the operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Note {
    /// The number connected and the `number.connected` webhook a viewer's token promised had
    /// not come: the webhooks may be deleted, paused or failing. The session polls again.
    WebhooksSilent,
}

impl Note {
    /// The log line.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::WebhooksSilent => "connected without the number.connected webhook the token said would come (deleted, paused or failing?): checking the status itself again",
        }
    }
}

/// The pairing session on offer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredQr {
    /// The QR (a checked PNG data URL).
    pub qr: String,
    /// The pairing code.
    pub code: Option<String>,
    /// Until when (ms) it is handed out.
    pub fresh_until: f64,
}

/// What a number read says (the driver reads only these fields of the answer).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NumberFacts {
    /// `mask_number` of its phone number; `None` when it had none that can be masked.
    pub masked: Option<String>,
    /// Its `provider` as Pilot Status spelled it (`PILOT_STATUS`, `META`, or one this build does
    /// not know); `None` when absent.
    pub provider: Option<String>,
    /// `health.metaStatus`, when it passes the wire's detail rule.
    pub meta_status: Option<String>,
}

/// The number being linked, read once from Pilot Status and kept masked only: the session never
/// needs the raw digits again, so it does not keep them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NumberRead {
    /// `mask_number` of the number Pilot Status gave; `None`: it gave none that can be masked
    /// (not asked again).
    #[serde(default)]
    pub masked: Option<String>,
    /// Its provider (`None`: not given, or a state written before 0.4, which read none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// Meta's status word for an official number (`health.metaStatus`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta_status: Option<String>,
}

impl NumberRead {
    /// An official number: it never pairs by QR.
    #[must_use]
    pub fn is_meta(&self) -> bool {
        self.provider
            .as_deref()
            .is_some_and(|p| p.eq_ignore_ascii_case("META"))
    }
}

/// The pairing code on offer, as this session saw it: when it first saw it (ms), and the last
/// time (ms) it had word that the code was still on offer (a connect answer with the same code,
/// a live `CONNECTING` status).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CodeSeen {
    /// The code.
    pub code: String,
    /// First seen (ms).
    pub first_seen: f64,
    /// Last known on offer (ms).
    pub alive_at: f64,
}

/// What a listing of the number's webhooks found.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HooksListed {
    /// One of them delivers `number.connected` to this edge.
    pub reach: bool,
    /// When (ms) it was read.
    pub at: f64,
}

/// The last failure, answered to viewers while the budget holds calls back. Stored as its wire
/// value (`{"code":"not_found"}`); a code this build does not know reads as `upstream_error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredFailure {
    /// The public code.
    #[serde(with = "code_text")]
    pub code: PublicErrorCode,
}

mod code_text {
    use pilot_connect::public::PublicErrorCode;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(code: &PublicErrorCode, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(code.as_str())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<PublicErrorCode, D::Error> {
        let text = String::deserialize(d)?;
        Ok(PublicErrorCode::parse(&text).unwrap_or(PublicErrorCode::UpstreamError))
    }
}

/// What survives an eviction ([`STORAGE_KEY`], serde JSON). Every field defaults, so a state
/// written by an earlier build reads.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Saved {
    /// The QR on offer.
    #[serde(default)]
    pub qr: Option<StoredQr>,
    /// The link is connected.
    #[serde(default)]
    pub connected: bool,
    /// Dedup keys of the webhooks applied lately.
    #[serde(default)]
    pub seen: VecDeque<String>,
    /// `createdAt` (ms) of the last webhook applied: older ones are ignored.
    #[serde(default)]
    pub last_event_ms: Option<f64>,
    /// When (ms) the last webhook for this number arrived: within `WEBHOOK_TRUST_MS` the
    /// session trusts webhooks to tell it what changes, and does not poll.
    #[serde(default)]
    pub last_hook_ms: Option<f64>,
    /// The number has two links (learned from a status read).
    #[serde(default)]
    pub dual: bool,
    /// The budget of the connect and status calls.
    #[serde(default)]
    pub budget: Budget,
    /// The last failure of those calls.
    #[serde(default)]
    pub failure: Option<StoredFailure>,
    /// The number, masked, once read (`None`: not read yet).
    #[serde(default)]
    pub number: Option<NumberRead>,
    /// The budget of the number read: its failures never hold a QR back.
    #[serde(default)]
    pub number_budget: Budget,
    /// The pairing code on offer and when it was first seen.
    #[serde(default)]
    pub code: Option<CodeSeen>,
    /// The observed lifetime (ms) of the last code that ended by itself: first seen → learned
    /// that it ended.
    #[serde(default)]
    pub code_lifetime_ms: Option<f64>,
    /// The latest viewer's token says the number's webhooks reach the edge: no status polls
    /// while pairing (each QR rotation's connect is the safety net).
    #[serde(default)]
    pub webhooks_expected: bool,
    /// The last listing of the number's webhooks: whether one delivers to this edge, and when
    /// (ms) it was read.
    #[serde(default)]
    pub hooks_listed: Option<HooksListed>,
    /// The budget of the listing: its failures never hold a QR back.
    #[serde(default)]
    pub hooks_budget: Budget,
    /// The number connected without the webhook that was expected: polls again until a
    /// webhook arrives.
    #[serde(default)]
    pub webhooks_silent: bool,
    /// A Meta pairing link's session: what it knows of the link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pairing_link: Option<PairingLinkSeen>,
}

/// What a pairing link's session knows of its link.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PairingLinkSeen {
    /// The link's token (its status is read with it).
    #[serde(default)]
    pub token: String,
    /// When the link stops being valid (ms).
    pub exp_ms: f64,
    /// Pilot Status answered its status at least once: a 404 after that, before `exp_ms`, is
    /// the signup done (the token is cleared on success [D]; whether a poll sees `OPEN` first
    /// is not documented [I]).
    #[serde(default)]
    pub seen_valid: bool,
    /// The new number's id, when the status answer carried one [I].
    #[serde(default)]
    pub number_id: Option<String>,
}

impl Saved {
    /// Reads a stored state: `None` (nothing stored) is a new session; a state that does not
    /// parse starts afresh, with the reason (for the log). Values a browser could see are
    /// checked again: a QR that fails the wire format's rule, or a number that is not masked,
    /// is dropped (and read again).
    ///
    /// # Errors
    /// The parse error's text, beside the fresh state.
    pub fn restore(text: Option<&str>) -> (Self, Option<String>) {
        let (mut saved, error) = match text {
            None => (Self::default(), None),
            Some(t) => match serde_json::from_str::<Self>(t) {
                Ok(s) => (s, None),
                Err(e) => (Self::default(), Some(e.to_string())),
            },
        };
        let keep = saved.qr.as_ref().is_some_and(|q| {
            QrAnswer::from_fields(QrFields {
                state: Some("pairing"),
                qr: Some(&q.qr),
                ..QrFields::default()
            })
            .is_ok()
        });
        if !keep {
            saved.qr = None;
        }
        if let Some(NumberRead {
            masked: Some(m), ..
        }) = &saved.number
        {
            if !is_masked_number(m) {
                saved.number = None;
            }
        }
        if let Some(n) = saved.number.as_mut() {
            n.meta_status = n.meta_status.take().filter(|d| is_detail(d));
        }
        (saved, error)
    }
}

/// Who waits on a call in flight.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Waiter {
    /// An HTTP ask: the call's answer.
    Answer(ReplyId),
    /// A new watcher: accepted once the call settled (its frame was pushed to every watcher).
    Upgrade(ReplyId),
    /// A webhook: acknowledged once the call settled.
    Ack(ReplyId, EventAck),
    /// An HTTP ask for the QR of an official number: a status read's answer, as a QR answer
    /// (connected, or waiting on Meta).
    Official(ReplyId),
}

/// A QR answer fresh from upstream, waiting (at most [`NUMBER_WAIT_MS`]) for the number read.
#[derive(Clone, Debug)]
struct Held {
    answer: QrAnswer,
    /// When the connect call started (ms): the QR's age counts from there.
    started: f64,
    waiters: Vec<Waiter>,
}

fn ms(t: f64) -> u64 {
    t.max(0.0) as u64
}

/// One number's session (one link of it).
#[derive(Debug)]
pub struct Machine {
    primary: bool,
    timing: Timing,
    policy: BudgetPolicy,
    saved: Saved,
    /// The last status and when (ms) it was read.
    status: Option<(StatusAnswer, f64)>,
    /// When (ms) the session last checked the status itself.
    polled_at: f64,
    qr_call: Option<Vec<Waiter>>,
    status_call: Option<Vec<Waiter>>,
    number_call: bool,
    hooks_call: bool,
    /// A pairing link's check is out (its status call's waiters wait for it).
    link_check_call: bool,
    /// When (ms) the session last learned "connected" (from a webhook, a status read or a
    /// connect answer): a QR from a connect call that started before it is stale.
    connected_at: f64,
    /// This edge's webhook receiver (from the viewers' requests; `None`: not known yet).
    hook_url: Option<String>,
    held: Option<Held>,
    /// The alarm's QR check waits for the status read it started.
    alarm_tail: bool,
    /// Who asks for a QR while a new session's first number read is out: a connect waits for
    /// it (the number may be an official one); `Some(vec![])`: the session's own rotation.
    parked: Option<Vec<Waiter>>,
    /// A number read settled in this session, or it had shown QRs before (restored): a read
    /// tried again later goes beside the connect, never in front of it.
    number_tried: bool,
}

impl Machine {
    /// The session of `link`, from its stored state.
    #[must_use]
    pub fn new(link: &Link, timing: Timing, saved: Saved) -> Self {
        Self {
            primary: *link == Link::Primary,
            timing,
            policy: BudgetPolicy::default(),
            status: None,
            polled_at: 0.0,
            qr_call: None,
            status_call: None,
            number_call: false,
            hooks_call: false,
            link_check_call: false,
            connected_at: 0.0,
            hook_url: None,
            held: None,
            alarm_tail: false,
            parked: None,
            number_tried: saved.qr.is_some(),
            saved,
        }
    }

    /// The state to store.
    #[must_use]
    pub fn saved(&self) -> &Saved {
        &self.saved
    }

    /// Whether a call of this kind is in flight.
    #[must_use]
    pub fn in_flight(&self, call: Call) -> bool {
        match call {
            Call::Qr => self.qr_call.is_some(),
            Call::Status => self.status_call.is_some(),
            Call::Number => self.number_call,
            Call::Hooks => self.hooks_call,
            Call::LinkCheck => self.link_check_call,
        }
    }

    /// The receiver a [`Call::Hooks`] looks for.
    #[must_use]
    pub fn hook_url(&self) -> Option<&str> {
        self.hook_url.as_deref()
    }

    /// Takes one input at `now`; the effects, in the order to carry them out.
    #[must_use]
    pub fn handle(&mut self, input: Input, now: Now) -> Vec<Effect> {
        let mut out = Vec::new();
        let schedule = match input {
            Input::Ask {
                id,
                ask,
                webhooks,
                hook_url,
            } => {
                self.viewer_says(webhooks, hook_url, &mut out);
                match ask {
                    Ask::Qr => self.ask_qr(Some(Waiter::Answer(id)), now, &mut out),
                    Ask::Status => self.ask_status(id, now, &mut out),
                }
                false
            }
            Input::Watch {
                id,
                first,
                webhooks,
                hook_url,
            } => {
                self.viewer_says(webhooks, hook_url, &mut out);
                self.watch(id, first, now, &mut out);
                true
            }
            Input::Left => true,
            Input::Event {
                id,
                event,
                key,
                number_id,
                ..
            } if self.is_pairing_link() => {
                self.link_event(id, EventName::parse(&event), &key, number_id, now, &mut out)
            }
            Input::Event {
                id,
                event,
                key,
                at_ms,
                ambiguous,
                ..
            } => self.event(id, &event, &key, at_ms, ambiguous, now, &mut out),
            Input::Alarm => {
                if !now.watched {
                    // Not re-armed once nobody watches.
                    return out;
                }
                self.alarm(now, &mut out);
                true
            }
            Input::Settled(Settled::Qr(called)) => {
                self.qr_settled(called, now, &mut out);
                true
            }
            Input::Settled(Settled::Status(called)) => {
                self.status_settled(called, now, &mut out);
                true
            }
            Input::Settled(Settled::Number(called)) => {
                self.number_settled(called, now, &mut out);
                true
            }
            Input::Settled(Settled::Hooks(called)) => {
                self.hooks_settled(called, now, &mut out);
                true
            }
            Input::Settled(Settled::LinkCheck(called)) => {
                self.link_checked(called, now, &mut out);
                true
            }
            Input::NumberWaitOver => {
                self.release_held(&mut out);
                true
            }
            Input::PairingLink { exp_ms, token } => {
                self.pairing_link(exp_ms, token);
                false
            }
        };
        if schedule {
            out.push(Effect::Alarm(self.next_alarm(now)));
        }
        out
    }

    // --- rules -------------------------------------------------------------------------------

    /// An official (Meta) number, as the number read said, or a Meta pairing link's session:
    /// never asked for a QR.
    #[must_use]
    pub fn is_official(&self) -> bool {
        self.is_pairing_link() || self.saved.number.as_ref().is_some_and(NumberRead::is_meta)
    }

    /// A Meta pairing link's session: its status is the link's, it has no number to read and
    /// no webhooks to list.
    #[must_use]
    pub fn is_pairing_link(&self) -> bool {
        self.saved.pairing_link.is_some()
    }

    /// A token names this session's link, valid until `exp_ms` (the latest token's word). A
    /// session named by the link's `externalRef` may be given a new link for the same ref (the
    /// old one expired): it starts afresh on it.
    fn pairing_link(&mut self, exp_ms: f64, token: String) {
        match self.saved.pairing_link.as_mut() {
            Some(seen) if seen.token == token || seen.token.is_empty() => {
                seen.exp_ms = exp_ms;
                seen.token = token;
            }
            _ => {
                let fresh = self.saved.pairing_link.is_some();
                if fresh {
                    self.saved = Saved::default();
                    self.status = None;
                }
                self.saved.pairing_link = Some(PairingLinkSeen {
                    token,
                    exp_ms,
                    ..PairingLinkSeen::default()
                });
            }
        }
    }

    /// The pairing link's token, when this is a link's session that knows it.
    #[must_use]
    pub fn link_token(&self) -> Option<&str> {
        self.saved
            .pairing_link
            .as_ref()
            .map(|l| l.token.as_str())
            .filter(|t| !t.is_empty())
    }

    /// A lifecycle webhook that reached a pairing link's session (its `externalRef` named the
    /// link): `number.connected` is the signup done, with the new number's id; the others are
    /// about the number after it, not the link. Applied once (dedup key).
    fn link_event(
        &mut self,
        id: ReplyId,
        name: EventName,
        key: &str,
        number_id: Option<String>,
        now: Now,
        out: &mut Vec<Effect>,
    ) -> bool {
        let ack = EventAck {
            pairing: now.watched,
        };
        let reply = Effect::Reply {
            id,
            reply: Reply::Ack(ack),
        };
        let s = &mut self.saved;
        if name != EventName::NumberConnected || s.connected || s.seen.iter().any(|k| k == key) {
            out.push(reply);
            return false;
        }
        s.seen.push_back(key.to_owned());
        while s.seen.len() > SEEN_MAX {
            s.seen.pop_front();
        }
        s.last_hook_ms = Some(now.t);
        s.connected = true;
        s.failure = None;
        s.budget.clear();
        if let Some(seen) = s.pairing_link.as_mut() {
            if let Some(id) = number_id.filter(|n| is_number_id(n)) {
                seen.number_id = Some(id);
            }
        }
        self.connected_at = now.t;
        self.status = None;
        out.push(Effect::Push(PushFrame::Qr(self.connected_answer())));
        out.push(Effect::Save);
        out.push(reply);
        true
    }

    /// The connected answer: with the number's id where the token does not name it.
    fn connected_answer(&self) -> QrAnswer {
        QrAnswer::Connected {
            number_id: self
                .saved
                .pairing_link
                .as_ref()
                .and_then(|l| l.number_id.clone()),
        }
    }

    /// A pairing link past its `exp_ms` and not signed up: nothing to ask Pilot Status.
    fn link_lapsed(&self, t: f64) -> bool {
        !self.saved.connected
            && self
                .saved
                .pairing_link
                .as_ref()
                .is_some_and(|l| t >= l.exp_ms)
    }

    /// What a pairing link's status read means ([`PairingLinkSeen::seen_valid`]): a 200 marks
    /// the link valid (and may name the new number); a 404 once it was valid and before it
    /// expires is the signup done; a 404 otherwise is a link that expired or never was.
    fn link_read(
        &mut self,
        result: Result<StatusRead, Failed>,
        t: f64,
    ) -> Result<StatusRead, Failed> {
        let Some(seen) = self.saved.pairing_link.as_mut() else {
            return result;
        };
        match result {
            Ok(mut read) => {
                seen.seen_valid = true;
                if read.answer.number_id.is_some() {
                    seen.number_id.clone_from(&read.answer.number_id);
                } else if read.answer.state == PublicState::Connected {
                    read.answer.number_id.clone_from(&seen.number_id);
                }
                Ok(read)
            }
            // An unexplained 404 (a link seen valid, not expired) went to a check first
            // (`link_check_due`): here a 404 is a link that expired or never was.
            Err(f) if f.code == PublicErrorCode::NotFound => {
                let _ = t;
                Err(Failed::from(PublicErrorCode::LinkExpired))
            }
            Err(f) => Err(f),
        }
    }

    /// An official number's answer to a QR ask, from a status: connected, or waiting on Meta
    /// with what the number read said.
    fn official_answer(&self, state: PublicState) -> QrAnswer {
        if state == PublicState::Connected {
            self.connected_answer()
        } else {
            QrAnswer::Waiting {
                detail: self
                    .saved
                    .number
                    .as_ref()
                    .and_then(|n| n.meta_status.clone()),
            }
        }
    }

    /// Within the trust window of the last webhook, webhooks keep this session current.
    #[must_use]
    pub fn trusts_webhooks(&self, t: f64) -> bool {
        self.saved
            .last_hook_ms
            .is_some_and(|h| t - h < self.timing.webhook_trust_ms)
    }

    /// Whether webhooks are expected: a viewer's token says they reach the edge, or the last
    /// listing found one that delivers to it; and they have not been found silent since.
    #[must_use]
    pub fn expects_webhooks(&self) -> bool {
        let listed = self.saved.hooks_listed.is_some_and(|l| l.reach);
        (self.saved.webhooks_expected || listed) && !self.saved.webhooks_silent
    }

    /// Whether the session checks the status itself: not while webhooks are trusted (one
    /// arrived within the trust window), nor while they are expected.
    #[must_use]
    pub fn polls(&self, t: f64) -> bool {
        !self.trusts_webhooks(t) && !self.expects_webhooks()
    }

    /// What a viewer's request says: whether its token says the number's webhooks reach the
    /// edge, and where the edge's receiver is.
    fn viewer_says(&mut self, webhooks: bool, hook_url: Option<String>, out: &mut Vec<Effect>) {
        if self.saved.webhooks_expected != webhooks {
            self.saved.webhooks_expected = webhooks;
            out.push(Effect::Save);
        }
        if hook_url.is_some() {
            self.hook_url = hook_url;
        }
    }

    /// Lists the number's webhooks, in the background: once a [`HOOKS_TTL_MS`] while the number
    /// pairs (so a deleted or paused hook is noticed), when the receiver is known, within the
    /// session's budget and the listing's own (its failures never hold a QR back). Not when a
    /// viewer's token already says webhooks reach the edge.
    fn list_hooks(&mut self, t: f64, out: &mut Vec<Effect>) {
        let s = &self.saved;
        let due = self.hook_url.is_some()
            && !self.is_pairing_link()
            && !self.hooks_call
            && !s.connected
            && !s.webhooks_expected
            && s.hooks_listed.is_none_or(|l| t - l.at >= HOOKS_TTL_MS)
            && s.budget.may_call(&self.policy, ms(t)).is_ok()
            && s.hooks_budget.may_call(&self.policy, ms(t)).is_ok();
        if !due {
            return;
        }
        self.hooks_call = true;
        self.saved.hooks_budget.begin();
        out.push(Effect::Call {
            call: Call::Hooks,
            retries: !self.saved.hooks_budget.failing(),
        });
    }

    fn hooks_settled(&mut self, called: Called<bool>, now: Now, out: &mut Vec<Effect>) {
        self.hooks_call = false;
        Self::settle(&mut self.saved.hooks_budget, &self.policy, &called, now);
        if let Ok(reach) = called.result {
            self.saved.hooks_listed = Some(HooksListed { reach, at: now.t });
        }
        out.push(Effect::Save);
    }

    /// The session learned "connected" from Pilot Status itself while a QR was out: if a webhook
    /// was expected and none said so, the webhooks are taken as silent (polling resumes until
    /// one arrives).
    fn connected_unannounced(&mut self, out: &mut Vec<Effect>) {
        if self.saved.webhooks_expected && !self.saved.webhooks_silent {
            self.saved.webhooks_silent = true;
            out.push(Effect::Log(Note::WebhooksSilent));
        }
    }

    /// While the budget holds calls back: the failure to answer with, and until when.
    #[must_use]
    pub fn held_back(&self, t: f64) -> Option<Failed> {
        let wait = self.saved.budget.may_call(&self.policy, ms(t)).err()?;
        let code = self
            .saved
            .failure
            .map_or(PublicErrorCode::UpstreamError, |f| f.code);
        Some(Failed {
            code,
            retry_after_secs: match wait {
                Wait::Until(at) => Some(at.saturating_sub(ms(t)).div_ceil(1000).max(1)),
                Wait::Halted => None,
            },
        })
    }

    /// The QR on offer while it has at least a second left, as viewers get it.
    #[must_use]
    pub fn fresh_qr(&self, t: f64) -> Option<QrAnswer> {
        let q = self.saved.qr.as_ref()?;
        let left = q.fresh_until - t;
        (left >= QR_MIN_LEFT_MS).then(|| {
            self.decorate(
                QrAnswer::Pairing {
                    qr: q.qr.clone(),
                    pairing_code: q.code.clone(),
                    refresh_after_ms: left as u32,
                    masked_number: None,
                    code_expires_in_ms: None,
                },
                t,
            )
        })
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
                masked_number: self.saved.number.as_ref().and_then(|n| n.masked.clone()),
                code_expires_in_ms: self.code_expires_in(pairing_code.as_deref(), t),
                qr,
                pairing_code,
                refresh_after_ms,
            },
            other => other,
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
    /// [`Self::look_gap_ms`]), and a code first seen late (an attempt started elsewhere) is
    /// older than the session counts.
    #[must_use]
    pub fn code_expires_in(&self, code: Option<&str>, t: f64) -> Option<u32> {
        let s = &self.saved;
        let seen = s.code.as_ref().filter(|c| Some(c.code.as_str()) == code)?;
        let lifetime = s.code_lifetime_ms.or(self.timing.pairing_code_ttl_ms)?;
        let left = (lifetime - (t - seen.first_seen)).clamp(0.0, CODE_LIFETIME_MAX);
        Some(left as u32)
    }

    /// The longest (ms) a watched session goes without word of its code: at most one QR
    /// rotation, plus one status poll. An end learned later than this after the code was last
    /// seen on offer says too little about when it ended, and is not learned from.
    #[must_use]
    pub fn look_gap_ms(&self) -> f64 {
        self.timing.qr_refresh_ms + self.timing.status_poll_ms
    }

    /// A connect answer offered `code` at `t` (so the number is not connected): the same code is
    /// still on offer; a different one means the one before ended by itself. No code: nothing to
    /// time, and nothing learned.
    fn code_offered(&mut self, code: Option<&str>, t: f64) {
        let Some(code) = code else {
            self.saved.code = None;
            return;
        };
        if let Some(seen) = self.saved.code.as_mut().filter(|s| s.code == code) {
            seen.alive_at = t;
            return;
        }
        self.code_ended(t);
        self.saved.code = Some(CodeSeen {
            code: code.to_owned(),
            first_seen: t,
            alive_at: t,
        });
    }

    /// The session learned at `t` that the code on offer ended by itself (a different code
    /// from connect, a live `CLOSE` status, `number.disconnected`): its lifetime is first seen →
    /// `t`, learned only when the code was seen on offer within [`Self::look_gap_ms`] before.
    fn code_ended(&mut self, t: f64) {
        let gap = self.look_gap_ms();
        if let Some(seen) = self.saved.code.take() {
            let lifetime = t - seen.first_seen;
            if t - seen.alive_at <= gap && lifetime > 0.0 && lifetime <= CODE_LIFETIME_MAX {
                self.saved.code_lifetime_ms = Some(lifetime);
            }
        }
    }

    /// When the alarm should next fire (ms from now), or `None`: one alarm while someone
    /// watches an unconnected number that may still call; none otherwise, nor while a connect or
    /// status call is out (its answer sets the next one: a second call of another kind before
    /// the first answer could be two calls where a final answer allows one). The next QR
    /// rotation, the next status check (unless webhooks are expected), never before the budget
    /// allows a call, never sooner than [`ALARM_MIN_MS`].
    #[must_use]
    pub fn next_alarm(&self, now: Now) -> Option<f64> {
        let (t, s) = (now.t, &self.saved);
        let calling = self.qr_call.is_some() || self.status_call.is_some();
        if !now.watched || s.connected || s.budget.halted() || calling {
            return None;
        }
        let official = self.is_official();
        if self.parked.is_some() || (official && !self.polls(t)) {
            // Waiting for the number read; or an official number whose webhooks say when it
            // connects: nothing to rotate, nothing to poll.
            return None;
        }
        // An official number has no QR to rotate: only its status polls.
        let mut next = if official {
            f64::INFINITY
        } else {
            s.qr.as_ref().map_or(t, |q| q.fresh_until - QR_MIN_LEFT_MS)
        };
        if self.held.is_some() {
            // A QR is on its way (waiting for the number read): no rotation before it lands.
            next = next.max(t + NUMBER_WAIT_MS);
        }
        if self.polls(t) {
            next = next.min(self.polled_at + self.timing.status_poll_ms);
        }
        if let Err(Wait::Until(at)) = s.budget.may_call(&self.policy, ms(t)) {
            next = next.max(at as f64);
        }
        Some((next - t).max(ALARM_MIN_MS))
    }

    // --- calls -------------------------------------------------------------------------------

    /// Settles one finished call (its retries included) in `budget`: success, or the failure's
    /// outcome, with jitter for the next wait.
    fn settle<T>(budget: &mut Budget, policy: &BudgetPolicy, called: &Called<T>, now: Now) {
        let o = called
            .result
            .as_ref()
            .err()
            .map_or(Outcome::Success, Failed::outcome);
        budget.settle(
            policy,
            ms(called.started),
            ms(now.t),
            called.attempts,
            o,
            now.jitter,
        );
    }

    /// Starts a connect or status call for `waiter` unless one is in flight (then joins it).
    fn join(&mut self, call: Call, waiter: Option<Waiter>, out: &mut Vec<Effect>) {
        let slot = match call {
            Call::Qr => &mut self.qr_call,
            Call::Status => &mut self.status_call,
            Call::Number | Call::Hooks | Call::LinkCheck => return,
        };
        if let Some(waiters) = slot {
            waiters.extend(waiter);
            return;
        }
        *slot = Some(waiter.into_iter().collect());
        // In a failure streak every call is one attempt, and one at a time: each request is one
        // the budget allowed.
        self.saved.budget.begin();
        out.push(Effect::Call {
            call,
            retries: !self.saved.budget.failing(),
        });
    }

    /// A connect or status call failed: settled, stored, and pushed to every viewer with the
    /// session's wait.
    fn failed(&mut self, f: Failed, now: Now, out: &mut Vec<Effect>) {
        self.saved.failure = Some(StoredFailure { code: f.code });
        let mut frame = f;
        if let Some(held) = self.held_back(now.t) {
            frame.retry_after_secs = held.retry_after_secs;
        }
        out.push(Effect::Push(frame.frame()));
        out.push(Effect::Save);
    }

    fn reply(waiters: Vec<Waiter>, answer: &Answer, out: &mut Vec<Effect>) {
        for w in waiters {
            out.push(match w {
                // Only a status read has official waiters; a failure is theirs as it is.
                Waiter::Answer(id) | Waiter::Official(id) => Effect::Reply {
                    id,
                    reply: Reply::Answer(answer.clone()),
                },
                Waiter::Upgrade(id) => Effect::Reply {
                    id,
                    reply: Reply::Upgrade(None),
                },
                Waiter::Ack(id, ack) => Effect::Reply {
                    id,
                    reply: Reply::Ack(ack),
                },
            });
        }
    }

    /// Reads the number from Pilot Status, once: unless it is known, a read is under way, the
    /// number is connected, or either budget holds calls back (the session's: no read while its
    /// calls fail; the read's own: after a failed read, backoff and caps as for any call, a final
    /// answer until a webhook or a new visit). A new session's first connect waits for its first
    /// read (one attempt); a read tried again later goes beside the connect, never in front of a
    /// QR for longer than [`NUMBER_WAIT_MS`].
    fn read_number(&mut self, t: f64, out: &mut Vec<Effect>) {
        let s = &self.saved;
        let due = s.number.is_none()
            && !self.is_pairing_link()
            && !self.number_call
            && !s.connected
            && s.budget.may_call(&self.policy, ms(t)).is_ok()
            && s.number_budget.may_call(&self.policy, ms(t)).is_ok();
        if !due {
            return;
        }
        self.number_call = true;
        self.saved.number_budget.begin();
        out.push(Effect::Call {
            call: Call::Number,
            // The read a new session's first connect waits for is one attempt: a failure lets
            // the connect go at once (and the read is tried again later, within its budget).
            retries: self.number_tried && !self.saved.number_budget.failing(),
        });
    }

    // --- inputs ------------------------------------------------------------------------------

    /// The QR to show: the one on offer, or a new one from Pilot Status. `waiter`: who gets
    /// it (`None`: the session's own rotation).
    fn ask_qr(&mut self, waiter: Option<Waiter>, now: Now, out: &mut Vec<Effect>) {
        let t = now.t;
        let answer = if self.saved.connected && self.trusts_webhooks(t) {
            Some(Answer::Qr(self.connected_answer()))
        } else {
            self.read_number(t, out);
            self.list_hooks(t, out);
            if self.is_official() {
                return self.ask_official(waiter, now, out);
            }
            if let Some(a) = self.fresh_qr(t) {
                Some(Answer::Qr(a))
            } else {
                self.held_back(t).map(Answer::Failed)
            }
        };
        match answer {
            Some(a) => Self::reply(waiter.into_iter().collect(), &a, out),
            None if self.number_call && !self.number_tried && self.saved.number.is_none() => {
                // A new session: what the number is (an official one never pairs by QR) comes
                // first. Its read settling (or failing) asks again for everyone parked here.
                self.parked.get_or_insert_with(Vec::new).extend(waiter);
            }
            None => {
                // A QR held for the number read is the one coming: wait with it.
                if let Some(held) = self.held.as_mut() {
                    held.waiters.extend(waiter);
                } else {
                    self.join(Call::Qr, waiter, out);
                }
            }
        }
    }

    /// An official number's QR ask: the status (shared for `STATUS_TTL_MS`, or read) as a QR
    /// answer. No connect, ever.
    fn ask_official(&mut self, waiter: Option<Waiter>, now: Now, out: &mut Vec<Effect>) {
        let fresh = self
            .status
            .as_ref()
            .filter(|(_, at)| now.t - at < self.timing.status_ttl_ms)
            .map(|(a, _)| a.state);
        match (fresh, waiter) {
            (Some(state), Some(w)) => {
                let a = self.official_answer(state);
                if matches!(w, Waiter::Upgrade(_)) {
                    // A new watcher gets the face as its first frame.
                    out.push(Effect::Push(PushFrame::Qr(a.clone())));
                }
                Self::reply(vec![w], &Answer::Qr(a), out);
            }
            (Some(_), None) => {}
            (None, waiter) => {
                let waiter = waiter.map(|w| match w {
                    Waiter::Answer(id) => Waiter::Official(id),
                    other => other,
                });
                self.read_status(waiter, now, out);
            }
        }
    }

    /// The status: known from a trusted webhook, shared for `STATUS_TTL_MS`, or read upstream.
    fn ask_status(&mut self, id: ReplyId, now: Now, out: &mut Vec<Effect>) {
        let t = now.t;
        if self.saved.connected && self.trusts_webhooks(t) {
            let a = StatusAnswer {
                state: PublicState::Connected,
                stale: false,
                number_id: self
                    .saved
                    .pairing_link
                    .as_ref()
                    .and_then(|l| l.number_id.clone()),
            };
            return Self::reply(vec![Waiter::Answer(id)], &Answer::Status(a), out);
        }
        if let Some((a, at)) = &self.status {
            if t - at < self.timing.status_ttl_ms {
                let a = Answer::Status(a.clone());
                return Self::reply(vec![Waiter::Answer(id)], &a, out);
            }
        }
        self.read_status(Some(Waiter::Answer(id)), now, out);
    }

    /// One upstream status read (or joins the one in flight). Held back by the budget: the
    /// waiter gets the failure at once, and `false` is returned.
    fn read_status(&mut self, waiter: Option<Waiter>, now: Now, out: &mut Vec<Effect>) -> bool {
        if self.link_lapsed(now.t) {
            // Expired by the clock: final, with no call (a new visit or token asks again).
            let f = Failed::from(PublicErrorCode::LinkExpired);
            if self.saved.failure.map(|s| s.code) != Some(f.code) {
                // Settled as a final answer with no request sent: the budget halts until a
                // new visit, like after a 404.
                let t = ms(now.t);
                self.saved
                    .budget
                    .settle(&self.policy, t, t, 0, Outcome::Final, now.jitter);
                self.failed(f, now, out);
            }
            Self::reply(waiter.into_iter().collect(), &Answer::Failed(f), out);
            return false;
        }
        if let Some(f) = self.held_back(now.t) {
            Self::reply(waiter.into_iter().collect(), &Answer::Failed(f), out);
            return false;
        }
        self.polled_at = now.t;
        self.join(Call::Status, waiter, out);
        true
    }

    /// Accepts a watcher. The first one after nobody watched lifts a final answer's hold: a
    /// new visit is a new reason to ask.
    fn watch(&mut self, id: ReplyId, first: bool, now: Now, out: &mut Vec<Effect>) {
        if first {
            if self.saved.budget.halted() {
                self.saved.budget.clear();
                self.saved.failure = None;
            }
            if self.saved.number_budget.halted() {
                self.saved.number_budget.clear();
            }
            if self.saved.hooks_budget.halted() {
                self.saved.hooks_budget.clear();
            }
        }
        let t = now.t;
        self.read_number(t, out);
        self.list_hooks(t, out);
        let official = self.is_official();
        let snapshot = if self.saved.connected {
            Some(PushFrame::Qr(self.connected_answer()))
        } else if let Some(f) = self.held_back(t) {
            Some(f.frame())
        } else if official {
            self.status
                .as_ref()
                .filter(|(_, at)| t - at < self.timing.status_ttl_ms)
                .map(|(a, _)| PushFrame::Qr(self.official_answer(a.state)))
        } else {
            self.fresh_qr(t).map(PushFrame::Qr)
        };
        match snapshot {
            Some(frame) => out.push(Effect::Reply {
                id,
                reply: Reply::Upgrade(Some(frame)),
            }),
            // Nothing fresh: ask now; the answer (or the failure) is pushed to every watcher,
            // and the stream is accepted when it is there.
            None => self.ask_qr(Some(Waiter::Upgrade(id)), now, out),
        }
    }

    /// While watched and not connected: check the status unless webhooks are trusted, then
    /// rotate the QR when it goes stale; push what changed.
    fn alarm(&mut self, now: Now, out: &mut Vec<Effect>) {
        let t = now.t;
        let due = self.polls(t) && t - self.polled_at >= self.timing.status_poll_ms - POLL_SLACK_MS;
        if due && !self.saved.connected && self.read_status(None, now, out) {
            self.alarm_tail = true;
            return;
        }
        self.alarm_tail(now, out);
    }

    /// The alarm's second half, after its status check: a new QR when the one on offer is
    /// stale, else the number read if it is due again.
    fn alarm_tail(&mut self, now: Now, out: &mut Vec<Effect>) {
        self.alarm_tail = false;
        let stale = !self.saved.connected
            && !self.is_official()
            && self
                .saved
                .qr
                .as_ref()
                .is_none_or(|q| q.fresh_until - now.t < QR_MIN_LEFT_MS);
        if stale {
            self.ask_qr(None, now, out);
        } else {
            // A read that failed earlier is tried again when its budget allows; the listing
            // when it is due again.
            self.read_number(now.t, out);
            self.list_hooks(now.t, out);
        }
    }

    fn qr_settled(&mut self, called: Called<QrAnswer>, now: Now, out: &mut Vec<Effect>) {
        let waiters = self.qr_call.take().unwrap_or_default();
        Self::settle(&mut self.saved.budget, &self.policy, &called, now);
        let a = match called.result {
            Err(f) => {
                self.failed(f, now, out);
                return Self::reply(waiters, &Answer::Failed(f), out);
            }
            Ok(a) => a,
        };
        self.saved.failure = None;
        let held = Held {
            answer: a,
            started: called.started,
            waiters,
        };
        // The number read started beside this connect: a short, bounded wait for it.
        if self.number_call && matches!(held.answer, QrAnswer::Pairing { .. }) {
            self.held = Some(held);
            out.push(Effect::WakeIn(NUMBER_WAIT_MS));
            return;
        }
        self.finish_qr(held, out);
    }

    /// The held QR goes out (the number read landed, or the wait is over).
    fn release_held(&mut self, out: &mut Vec<Effect>) {
        if let Some(held) = self.held.take() {
            self.finish_qr(held, out);
        }
    }

    /// A QR answer from upstream: kept, timed, pushed and answered. A pairing answer from a call
    /// that started before the session learned "connected" is stale: the number linked while
    /// it ran, so its QR is neither kept nor pushed, and its waiters are told "connected".
    fn finish_qr(&mut self, held: Held, out: &mut Vec<Effect>) {
        let Held {
            answer: a,
            started: t,
            waiters,
        } = held;
        if self.saved.connected && self.connected_at >= t {
            return Self::reply(
                waiters,
                &Answer::Qr(QrAnswer::Connected { number_id: None }),
                out,
            );
        }
        match &a {
            QrAnswer::Connected { .. } => {
                if self.saved.qr.is_some() {
                    self.connected_unannounced(out);
                }
                self.saved.code = None;
                self.saved.connected = true;
                self.connected_at = t;
                self.saved.qr = None;
            }
            QrAnswer::Pairing {
                qr,
                pairing_code,
                refresh_after_ms,
                ..
            } => {
                self.code_offered(pairing_code.as_deref(), t);
                // A pairing answer says "not connected" as surely as a status read would.
                self.polled_at = t;
                self.saved.connected = false;
                self.saved.qr = Some(StoredQr {
                    qr: qr.clone(),
                    code: pairing_code.clone(),
                    fresh_until: t + f64::from(*refresh_after_ms),
                });
            }
            // Not a connect answer (official numbers are never asked): nothing to keep.
            QrAnswer::Waiting { .. } => {}
        }
        out.push(Effect::Save);
        let a = self.decorate(a, t);
        out.push(Effect::Push(PushFrame::Qr(a.clone())));
        Self::reply(waiters, &Answer::Qr(a), out);
    }

    /// Whether a 404 from a pairing link's status needs a check: the link was seen valid and
    /// has not expired, so the 404 is its token cleared — on success [D], or (an [I] mode) after
    /// the person abandoned the signup. Only a new official number tells them apart.
    fn link_check_due(&self, result: &Result<StatusRead, Failed>, t: f64) -> bool {
        let ambiguous_404 = matches!(result, Err(f) if f.code == PublicErrorCode::NotFound);
        ambiguous_404
            && !self.saved.connected
            && self
                .saved
                .pairing_link
                .as_ref()
                .is_some_and(|l| l.seen_valid && t < l.exp_ms)
    }

    /// The check's answer: an official number created since the link and connected is the
    /// signup done (its id is not passed on: another signup may have made it); none is a link
    /// that ended without a number (`link_expired`: the page asks its backend for a new one). The
    /// status call's waiters get it as that call's answer.
    fn link_checked(
        &mut self,
        called: Called<Vec<MetaNumberSeen>>,
        now: Now,
        out: &mut Vec<Effect>,
    ) {
        self.link_check_call = false;
        let since = self.saved.pairing_link.as_ref().map_or(f64::INFINITY, |l| {
            l.exp_ms - LINK_LIFETIME_MS - LINK_CHECK_SKEW_MS
        });
        let result = called.result.map(|numbers| {
            numbers
                .iter()
                .any(|n| n.open && n.created_ms.is_some_and(|c| c >= since))
        });
        let result = match result {
            Ok(true) => Ok(StatusRead {
                answer: StatusAnswer::live(PublicState::Connected),
                dual: false,
            }),
            Ok(false) => Err(Failed::from(PublicErrorCode::LinkExpired)),
            Err(f) => Err(f),
        };
        self.status_settled(
            Called {
                result,
                started: called.started,
                attempts: called.attempts,
            },
            now,
            out,
        );
    }

    fn status_settled(&mut self, called: Called<StatusRead>, now: Now, out: &mut Vec<Effect>) {
        if self.link_check_due(&called.result, now.t) {
            // The status call is settled (it answered); its waiters wait for the check.
            let answered = Called {
                result: Ok(()),
                started: called.started,
                attempts: called.attempts,
            };
            Self::settle(&mut self.saved.budget, &self.policy, &answered, now);
            self.link_check_call = true;
            self.saved.budget.begin();
            out.push(Effect::Call {
                call: Call::LinkCheck,
                retries: !self.saved.budget.failing(),
            });
            return;
        }
        let waiters = self.status_call.take().unwrap_or_default();
        let called = Called {
            result: self.link_read(called.result, now.t),
            ..called
        };
        let acks = waiters.iter().any(|w| matches!(w, Waiter::Ack(..)));
        Self::settle(&mut self.saved.budget, &self.policy, &called, now);
        match called.result {
            Err(f) => {
                self.failed(f, now, out);
                Self::reply(waiters, &Answer::Failed(f), out);
            }
            Ok(read) => {
                self.saved.failure = None;
                let was_pairing = self.saved.qr.is_some();
                let a = self.status_read(read, called.started, now);
                let changed = a.1;
                if changed && self.saved.connected && was_pairing {
                    self.connected_unannounced(out);
                }
                if changed {
                    out.push(Effect::Save);
                }
                let official = self.is_official();
                let upgrades = waiters.iter().any(|w| matches!(w, Waiter::Upgrade(_)));
                if official && (changed || upgrades) {
                    // Its viewers (a new watcher among them) see the waiting or connected face.
                    out.push(Effect::Push(PushFrame::Qr(self.official_answer(a.0.state))));
                } else if changed || a.0.state == PublicState::Disconnected {
                    out.push(Effect::Push(PushFrame::Status(a.0.clone())));
                }
                if acks {
                    out.push(Effect::Save);
                }
                let (qr_waiters, waiters): (Vec<_>, Vec<_>) = waiters
                    .into_iter()
                    .partition(|w| matches!(w, Waiter::Official(_)));
                let as_qr = Answer::Qr(self.official_answer(a.0.state));
                Self::reply(qr_waiters, &as_qr, out);
                Self::reply(waiters, &Answer::Status(a.0), out);
            }
        }
        if self.alarm_tail {
            self.alarm_tail(now, out);
        }
    }

    /// Applies a status read that started at `t` (what it says of the code, it says of then):
    /// the answer, and whether "connected" changed.
    fn status_read(&mut self, read: StatusRead, t: f64, now: Now) -> (StatusAnswer, bool) {
        let a = read.answer;
        match a.state {
            PublicState::Connected => self.saved.code = None,
            // Only a live reading says anything about the code (a stale one is a remembered
            // state).
            PublicState::Disconnected if !a.stale => self.code_ended(t),
            PublicState::Connecting if !a.stale => {
                if let Some(seen) = self.saved.code.as_mut() {
                    seen.alive_at = t;
                }
            }
            _ => {}
        }
        self.saved.dual = read.dual;
        self.status = Some((a.clone(), now.t));
        let was = self.saved.connected;
        self.saved.connected = a.state == PublicState::Connected;
        if self.saved.connected {
            // When the session learned it: a connect call out since before then is stale.
            self.connected_at = now.t;
        }
        if matches!(a.state, PublicState::Disconnected | PublicState::Connected) {
            self.saved.qr = None; // the pairing attempt is over, one way or the other
        }
        (a, was != self.saved.connected)
    }

    fn number_settled(&mut self, called: Called<NumberFacts>, now: Now, out: &mut Vec<Effect>) {
        self.number_call = false;
        self.number_tried = true;
        Self::settle(&mut self.saved.number_budget, &self.policy, &called, now);
        // A failure is logged by the driver's call; the viewers' QR is not at fault, so nothing
        // is pushed.
        let learned = match called.result {
            // The read a new session's connect waits for: a final answer (no such number, a key
            // Pilot Status refuses) is the session's answer too, with no connect after it.
            Err(f) if self.parked.is_some() && f.outcome() == Outcome::Final => {
                Self::settle(&mut self.saved.budget, &self.policy, &called, now);
                self.failed(f, now, out);
                false
            }
            Ok(facts) => {
                let some = facts.masked.is_some();
                self.saved.number = Some(NumberRead {
                    masked: facts.masked,
                    provider: facts.provider,
                    meta_status: facts.meta_status.filter(|d| is_detail(d)),
                });
                some
            }
            Err(_) => false,
        };
        out.push(Effect::Save);
        if learned && !self.saved.connected && !self.is_official() {
            if let Some(a) = self.fresh_qr(now.t) {
                out.push(Effect::Push(PushFrame::Qr(a)));
            }
        }
        self.release_held(out);
        // Everyone who waited for the read asks again: an official number's status, else the
        // connect (also when the read failed: the number is then of unknown provider).
        if let Some(parked) = self.parked.take() {
            if parked.is_empty() {
                self.ask_qr(None, now, out);
            }
            for w in parked {
                self.ask_qr(Some(w), now, out);
            }
        }
    }

    /// A verified lifecycle webhook about this number: applied once, in order. An event that
    /// can only be about this link (the primary link of a single-link number, or one about the
    /// whole number: removed, restored) is applied as it is, with no upstream call; otherwise
    /// (a dual number, another link pairing too) a watched link reads its own status once.
    /// Returns whether to schedule the alarm.
    #[allow(clippy::too_many_arguments)]
    fn event(
        &mut self,
        id: ReplyId,
        event: &str,
        key: &str,
        at_ms: Option<f64>,
        ambiguous: bool,
        now: Now,
        out: &mut Vec<Effect>,
    ) -> bool {
        let t = now.t;
        let name = EventName::parse(event);
        let pairing = now.watched || self.saved.qr.is_some();
        let ack = EventAck { pairing };
        let reply = Effect::Reply {
            id,
            reply: Reply::Ack(ack),
        };
        if !self.primary && !pairing && !self.saved.connected {
            // A secondary link nobody pairs here and that holds nothing: no state to keep.
            out.push(reply);
            return false;
        }
        let s = &mut self.saved;
        if s.seen.iter().any(|k| k == key) {
            out.push(reply); // a retried delivery
            return false;
        }
        if let (Some(new), Some(last)) = (at_ms, s.last_event_ms) {
            if new < last {
                out.push(reply); // older than what was applied: out of order
                return false;
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
        // Webhooks arrive: whatever was found silent speaks again.
        s.webhooks_silent = false;
        // Something changed: whatever held calls back may no longer hold.
        s.budget.clear();
        s.number_budget.clear();
        s.hooks_budget.clear();
        s.failure = None;
        self.status = None;
        let whole_number = matches!(name, EventName::NumberRemoved | EventName::NumberRestored);
        let own = whole_number || (self.primary && !ambiguous && !self.saved.dual);
        if !own {
            if name != EventName::NumberConnected {
                self.saved.connected = false;
                self.saved.qr = None;
            }
            if now.watched {
                // Acknowledged once its own status is read (the read's outcome is pushed).
                self.read_status(Some(Waiter::Ack(id, ack)), now, out);
                return true;
            }
            out.push(Effect::Save);
            out.push(reply);
            return true;
        }
        if name == EventName::NumberDisconnected {
            self.code_ended(t);
        } else {
            self.saved.code = None;
        }
        let s = &mut self.saved;
        s.qr = None;
        s.connected = name == EventName::NumberConnected;
        if s.connected {
            self.connected_at = t;
        }
        let frame = match name {
            EventName::NumberConnected => PushFrame::Status(StatusAnswer {
                state: PublicState::Connected,
                stale: false,
                number_id: None,
            }),
            EventName::NumberRemoved => {
                // Deleted: nothing to ask Pilot Status until it is restored.
                s.budget
                    .settle(&self.policy, ms(t), ms(t), 0, Outcome::Final, 0.0);
                s.failure = Some(StoredFailure {
                    code: PublicErrorCode::NotFound,
                });
                Failed::from(PublicErrorCode::NotFound).frame()
            }
            _ => PushFrame::Status(StatusAnswer {
                state: PublicState::Disconnected,
                stale: false,
                number_id: None,
            }),
        };
        out.push(Effect::Save);
        out.push(Effect::Push(frame));
        out.push(reply);
        true
    }
}
