//! The widget's state machine: events in, new state plus commands out. Pure: no DOM, no
//! clock, no I/O, so every state × event pair is tested natively. The driver performs the
//! commands and feeds back what happened; the view renders [`Machine::view`].
//!
//! QR codes and statuses arrive as events ([`Event::QrArrived`], [`Event::StatusArrived`]),
//! whether a fetch or a pushed stream brought them.

use alloc::string::String;
use alloc::vec::Vec;

use pilot_connect_wire::{PublicErrorCode, PublicState, QrAnswer};

/// Where the widget is in its life.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Phase {
    /// Created, nothing asked yet.
    Idle,
    /// Asking for the first QR.
    Loading,
    /// Showing a QR and pairing code.
    Pairing,
    /// Asking for the next QR; the previous one stays (dimmed).
    Refreshing,
    /// An official (Meta) number that Meta has not connected yet: nothing to scan; the edge
    /// says when it is connected.
    Waiting,
    /// The phone is linked.
    Connected,
    /// The attempt cap was reached: the last QR is dimmed with a reload action.
    Expired,
    /// Something failed: an error panel with one action.
    Error,
    /// Destroyed: no more work, ever.
    Destroyed,
}

impl Phase {
    /// Every phase (the TypeScript `WidgetState` is generated from it).
    pub const ALL: [Self; 9] = [
        Self::Idle,
        Self::Loading,
        Self::Pairing,
        Self::Refreshing,
        Self::Waiting,
        Self::Connected,
        Self::Expired,
        Self::Error,
        Self::Destroyed,
    ];

    /// The public state name (`data-state`, events, `handle.state`).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Idle => "idle",
            Self::Loading => "loading",
            Self::Pairing => "pairing",
            Self::Refreshing => "refreshing",
            Self::Waiting => "waiting",
            Self::Connected => "connected",
            Self::Expired => "expired",
            Self::Error => "error",
            Self::Destroyed => "destroyed",
        }
    }

    const fn showing_qr(self) -> bool {
        matches!(self, Self::Pairing | Self::Refreshing)
    }

    /// The widget watches the number: a QR or code on screen, or an official number waiting
    /// on Meta (status polls, the push stream).
    const fn watches(self) -> bool {
        matches!(self, Self::Pairing | Self::Refreshing | Self::Waiting)
    }
}

/// What kind of failure the page sees (`onError({ kind })`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ErrorKind {
    /// No answer (offline, DNS, timeout, CORS).
    Network,
    /// Too many requests: retried by itself after `retryAfterMs`.
    RateLimited,
    /// The connect token is missing, invalid or expired.
    Unauthorized,
    /// This page's origin may not use the worker or the token.
    Origin,
    /// The number does not exist.
    NotFound,
    /// The number cannot pair by QR.
    NotPairable,
    /// The worker or Pilot Status failed, or answered something unusable.
    Server,
    /// The worker is not configured.
    Config,
    /// A Meta pairing link expired (24 h) or was never valid: the page's `getToken` may give a
    /// token for a new link, and the widget starts over on it.
    LinkExpired,
}

impl ErrorKind {
    /// Every kind (the TypeScript `ErrorKind` is generated from it).
    pub const ALL: [Self; 9] = [
        Self::Network,
        Self::RateLimited,
        Self::Unauthorized,
        Self::Origin,
        Self::NotFound,
        Self::NotPairable,
        Self::Server,
        Self::Config,
        Self::LinkExpired,
    ];

    /// The public name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Network => "network",
            Self::RateLimited => "rate_limited",
            Self::Unauthorized => "unauthorized",
            Self::Origin => "origin",
            Self::NotFound => "not_found",
            Self::NotPairable => "not_pairable",
            Self::Server => "server",
            Self::Config => "config",
            Self::LinkExpired => "link_expired",
        }
    }
}

/// Default wait after a 429 without `Retry-After`.
pub const DEFAULT_RETRY_MS: u32 = 5_000;

/// A failed request, as the page and the view see it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Failure {
    /// The kind.
    pub kind: ErrorKind,
    /// The worker's public code, when it sent one.
    pub code: Option<PublicErrorCode>,
    /// How long to wait before the automatic retry (rate limits only).
    pub retry_after_ms: Option<u32>,
}

impl Failure {
    /// No answer came back.
    #[must_use]
    pub const fn network() -> Self {
        Self {
            kind: ErrorKind::Network,
            code: None,
            retry_after_ms: None,
        }
    }

    /// No token to send (none given and `getToken` gave none).
    #[must_use]
    pub const fn no_token() -> Self {
        Self {
            kind: ErrorKind::Unauthorized,
            code: Some(PublicErrorCode::MissingToken),
            retry_after_ms: None,
        }
    }

    /// A 200 whose body is not a usable answer (no or non-PNG QR, unknown state).
    #[must_use]
    pub const fn bad_answer() -> Self {
        Self {
            kind: ErrorKind::Server,
            code: Some(PublicErrorCode::BadUpstreamResponse),
            retry_after_ms: None,
        }
    }

    /// An error answer of the worker: its status, its code and its `Retry-After`.
    #[must_use]
    pub fn from_answer(
        status: u16,
        code: Option<PublicErrorCode>,
        retry_after_ms: Option<u32>,
    ) -> Self {
        use PublicErrorCode as C;
        let kind = match (status, code) {
            (_, Some(C::RateLimited)) | (429, _) => ErrorKind::RateLimited,
            (_, Some(C::OriginMismatch | C::OriginNotAllowed)) => ErrorKind::Origin,
            (_, Some(C::MissingToken | C::InvalidToken | C::TokenExpired)) | (401, _) => {
                ErrorKind::Unauthorized
            }
            (_, Some(C::NotFound)) | (404, _) => ErrorKind::NotFound,
            (_, Some(C::NotPairable)) | (409, _) => ErrorKind::NotPairable,
            (_, Some(C::ConfigError)) => ErrorKind::Config,
            (_, Some(C::LinkExpired)) | (410, _) => ErrorKind::LinkExpired,
            _ => ErrorKind::Server,
        };
        // A rate limit always waits (its Retry-After, or a default); a passing upstream failure
        // waits when the worker says how long (its session backs off), then retries by itself.
        let retry_after_ms = match kind {
            ErrorKind::RateLimited => Some(retry_after_ms.unwrap_or(DEFAULT_RETRY_MS)),
            ErrorKind::Server => retry_after_ms,
            _ => None,
        };
        Self {
            kind,
            code,
            retry_after_ms,
        }
    }
}

macro_rules! timers {
    ($( $(#[$doc:meta])* $name:ident ),* $(,)?) => {
        /// The driver's timers: one slot each, so arming one replaces it.
        #[derive(Clone, Copy, PartialEq, Eq, Debug)]
        pub enum Timer { $( $(#[$doc])* $name, )* }

        /// Every timer, indexable by `Timer as usize`.
        pub const TIMERS: [Timer; TIMER_COUNT] = [$( Timer::$name, )*];

        /// How many timers there are: the size of every per-timer array.
        pub const TIMER_COUNT: usize = [$( stringify!($name), )*].len();
    };
}

// One list: the enum, `TIMERS` and `TIMER_COUNT` (the size of every per-timer array in the
// machine and the driver) come from it.
timers! {
    /// Ask for the next QR.
    Refresh,
    /// Ask for the status.
    Poll,
    /// Retry after a rate limit.
    Retry,
    /// Update the countdown.
    Tick,
    /// End the "copied" confirmation.
    Copied,
    /// Reopen the push stream after it dropped. Its delay is an upper bound: the driver draws
    /// the actual wait from its upper half (jitter), so widgets dropped together do not come
    /// back together.
    Reopen,
    /// The pairing code's known lifetime ran out: ask for the next one.
    CodeExpiry,
    /// The push stream's token lapses soon: renew it over the stream (`getToken`).
    TokenRenew,
    /// Look whether the signup window is still open.
    SignupCheck,
}

/// First wait before reopening a dropped push stream.
pub const REOPEN_BASE_MS: u32 = 1_000;
/// Longest wait before reopening it.
pub const REOPEN_MAX_MS: u32 = 30_000;
/// Handshakes refused in a row (the stream closed before it ever opened: a worker without
/// push, a proxy without WebSockets) after which the widget stops trying and polls.
pub const PUSH_REFUSALS_MAX: u32 = 2;
/// A stream open at least this long was healthy: the next drop starts the backoff afresh.
const PUSH_HEALTHY_MS: f64 = 30_000.0;
/// How long before its token's `exp` an open push stream is renewed (`getToken`, then the
/// token sent over the stream; at most half the time left): the edge closes a stream whose
/// token lapsed (its `exp` and a 30 s leeway).
pub const TOKEN_RENEW_AHEAD_MS: u32 = 60_000;
/// The least wait before a renewal: a `getToken` that gives short-lived tokens is called at
/// most this often, never in a loop.
pub const TOKEN_RENEW_MIN_MS: u32 = 10_000;

/// How often the driver looks whether the signup window is still open.
pub const SIGNUP_CHECK_MS: u32 = 1_000;
/// A signup window is said to be closed only if its handle said "open" at a look at least this
/// long after it opened: a host page with `Cross-Origin-Opener-Policy: same-origin` loses its
/// handle to a cross-origin window as the window navigates (the handle then says "closed" while
/// the window is open). Closed sooner, the widget cannot tell which: [`SignupStep::Unsure`].
pub const SIGNUP_SEEN_OPEN_MS: f64 = 2_000.0;

/// Where a Meta pairing link's signup stands on this page (the edge says when it is done).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum SignupStep {
    /// Not opened yet: one action, "Continue with Facebook".
    Ready,
    /// Pilot Status's hosted signup is open in its window: finish there (or reopen it).
    Open,
    /// The browser refused the window (a frame without `allow-popups`): a plain link.
    Blocked,
    /// The window closed before the signup finished: still watching, reopen offered.
    Closed,
    /// The handle said "closed" too soon to tell a window the person closed from a handle the
    /// page's opener policy cut: "if it is no longer open, open it again".
    Unsure,
}

/// How to open the hosted signup.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum SignupHow {
    /// A popup window, opened by the person's click.
    Popup,
    /// The whole page goes to the link (a phone, or a popup that could not open); Pilot
    /// Status sends the person back to the link's `redirectUrl`.
    Navigate,
}

/// The worker routes the driver calls.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Request {
    /// `GET /v1/qr`
    Qr = 0,
    /// `GET /v1/status`
    Status,
}

/// What happened.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Event {
    /// Mounted: start.
    Start,
    /// A QR answer (fetched or pushed).
    QrArrived(QrAnswer),
    /// A status (fetched or pushed).
    StatusArrived(PublicState),
    /// `GET /v1/qr` failed.
    QrFailed(Failure),
    /// `GET /v1/status` failed.
    StatusFailed(Failure),
    /// `getToken()` gave a token (`true`) or not.
    TokenRenewed(bool),
    /// A timer fired.
    Fired(Timer),
    /// The page was hidden or shown.
    Visibility {
        /// `document.hidden`
        hidden: bool,
    },
    /// The person asked for a fresh QR (new code, reload, try again, `handle.restart()`).
    Restart,
    /// The person asked to copy the pairing code.
    Copy,
    /// The person switched between the QR and the pairing code.
    SwitchView,
    /// The page changed `mode` (`true`: lead with the pairing code).
    CodeFirst(bool),
    /// The push stream (`/v1/events`) is open: statuses and QRs arrive without asking.
    PushOpened,
    /// The push stream closed (a drop: poll, and reopen it with backoff) or never opened
    /// (refused: after [`PUSH_REFUSALS_MAX`] in a row, push is off and the widget polls).
    PushClosed,
    /// The edge closed the push stream because its token lapsed: renew the token (`getToken`)
    /// and reopen it; without `getToken`, as [`Event::PushClosed`].
    PushLapsed,
    /// The token of the open push stream lapses in this many ms (given when the stream opens
    /// and after each renewal; none when the token has no readable `exp`).
    TokenLeft(u32),
    /// The number's session pushed a failure (its own upstream call failed).
    PushFailed(Failure),
    /// The edge's waiting answer for a Meta pairing link (the page's token names one).
    SignupArrived,
    /// The person asked to open (or reopen) the hosted signup.
    SignupClicked,
    /// The popup opened (`true`) or the browser refused it.
    SignupOpened(bool),
    /// What the driver found when it looked at the signup window.
    SignupWindow {
        /// Its handle says it is closed.
        closed: bool,
    },
    /// Unmounted or destroyed.
    Destroy,
}

/// What the page is told (callbacks + `pilot-connect:*` DOM events).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Emitted {
    /// `statechange`
    StateChange(Phase),
    /// `qr`: a new QR is on screen.
    Qr {
        /// 1-based attempt.
        attempt: u32,
        /// Until the next one.
        expires_in_ms: u32,
    },
    /// `ready`: the first QR is on screen.
    Ready,
    /// `connected`
    Connected,
    /// `expired`
    Expired,
    /// `error`
    Error(Failure),
}

/// One table, two lists: what the wasm reads ([`EVENTS`]) and what only the generated types
/// read ([`EVENT_DETAILS`], kept out of the wasm).
macro_rules! events {
    ($(($name:literal, $callback:literal, $detail:literal)),+ $(,)?) => {
        /// Every event the page can hear: its name and its callback option, in
        /// [`Emitted::index`] order. The DOM names (`pilot-connect:<name>` and
        /// `pilotconnect<name>`), the callbacks and the TypeScript event maps, callback options
        /// and React event props all come from this one table.
        pub const EVENTS: [(&str, &str); 6] = [$(($name, $callback)),+];
        /// The TypeScript type of each event's detail (the callback's argument; `undefined`:
        /// none), in [`EVENTS`] order.
        pub const EVENT_DETAILS: [&str; 6] = [$($detail),+];
    };
}

events![
    ("statechange", "onStateChange", "StateChangeEvent"),
    ("qr", "onQr", "QrEvent"),
    ("ready", "onReady", "undefined"),
    ("connected", "onConnected", "ConnectedEvent"),
    ("expired", "onExpired", "undefined"),
    ("error", "onError", "ErrorEvent"),
];

impl Emitted {
    /// Its row in [`EVENTS`].
    #[must_use]
    pub const fn index(self) -> usize {
        match self {
            Self::StateChange(_) => 0,
            Self::Qr { .. } => 1,
            Self::Ready => 2,
            Self::Connected => 3,
            Self::Expired => 4,
            Self::Error(_) => 5,
        }
    }

    /// Its name (`connected`): the DOM events are `pilot-connect:connected` and
    /// `pilotconnectconnected` (a name React 19 can take as `onpilotconnectconnected`).
    #[must_use]
    pub const fn name(self) -> &'static str {
        EVENTS[self.index()].0
    }

    /// The option called with it (`onConnected`).
    #[must_use]
    pub const fn callback(self) -> &'static str {
        EVENTS[self.index()].1
    }
}

/// What the driver must do.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Command {
    /// Send this request (a running one of the same kind is aborted first).
    Fetch(Request),
    /// Call `getToken()` for a fresh token.
    RenewToken,
    /// (Re)start this timer.
    Arm(Timer, u32),
    /// Stop this timer.
    Disarm(Timer),
    /// Abort every request in flight.
    Abort,
    /// Open (`true`) or close (`false`) the push stream.
    Watch(bool),
    /// Send the current token over the open push stream (its renewal).
    RenewPush,
    /// Put the pairing code on the clipboard.
    CopyCode,
    /// Open the hosted signup this way (from the person's click: a popup needs it).
    OpenSignup(SignupHow),
    /// Look at the signup window and say ([`Event::SignupWindow`]).
    CheckSignup,
    /// Close the signup window, if it is still ours (done).
    CloseSignup,
    /// Render [`Machine::view`].
    Render,
    /// Tell the page.
    Emit(Emitted),
}

/// Which way of linking leads (`options.mode`). One list: the option's values, its parser and
/// the TypeScript `WidgetMode` come from [`Mode::ALL`] and [`Mode::as_str`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Mode {
    /// The pairing code on a touch phone (its own screen's QR cannot be scanned by it), the QR
    /// elsewhere.
    Auto,
    /// The QR first.
    Qr,
    /// The pairing code first.
    Code,
}

impl Mode {
    /// Every mode.
    pub const ALL: [Self; 3] = [Self::Auto, Self::Qr, Self::Code];

    /// The option's value.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Qr => "qr",
            Self::Code => "code",
        }
    }

    /// The mode named `s`, if any.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }

    /// Whether the code leads, `touch_phone` being what the page looks like right now.
    #[must_use]
    pub const fn code_first(self, touch_phone: bool) -> bool {
        match self {
            Self::Auto => touch_phone,
            Self::Qr => false,
            Self::Code => true,
        }
    }
}

/// A numeric `mount()` option: its name, default and bounds (a value outside is clamped).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct NumberOption {
    /// The option's name.
    pub key: &'static str,
    /// Its value when not given (or not a finite number).
    pub default: u32,
    /// The least value taken.
    pub min: u32,
    /// The greatest value taken.
    pub max: u32,
}

/// `maxAttempts`: QR codes (or codes, when the code leads) shown before `expired`.
pub const MAX_ATTEMPTS: NumberOption = NumberOption {
    key: "maxAttempts",
    default: 6,
    min: 1,
    max: 100,
};
/// `pollIntervalMs`: the status poll while pairing without the push stream.
pub const POLL_INTERVAL: NumberOption = NumberOption {
    key: "pollIntervalMs",
    default: 2_500,
    min: 500,
    max: 60_000,
};
/// `requestTimeoutMs`: each request's deadline.
pub const REQUEST_TIMEOUT: NumberOption = NumberOption {
    key: "requestTimeoutMs",
    default: 10_000,
    min: 1_000,
    max: 60_000,
};
/// The numeric options, all fixed at mount (a change re-mounts: `index.js`'s and `react.js`'s
/// generated lists come from this one).
pub const NUMBER_OPTIONS: [NumberOption; 3] = [MAX_ATTEMPTS, POLL_INTERVAL, REQUEST_TIMEOUT];

/// Limits and abilities, fixed at mount.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Config {
    /// QR codes shown before `expired` (≥ 1).
    pub max_attempts: u32,
    /// Status poll interval while pairing.
    pub poll_ms: u32,
    /// Whether a `getToken` callback exists.
    pub can_renew_token: bool,
    /// Lead with the pairing code rather than the QR (`mode: "code"`, or `"auto"` on a touch
    /// phone, where the QR on screen cannot be scanned by the phone showing it).
    pub code_first: bool,
    /// The page looks like a touch phone: a signup opens as a full-page navigation (phones and
    /// in-app browsers lose popups).
    pub phone: bool,
    /// The widget runs in a frame: a refused popup is offered as a link, never a navigation of
    /// the frame (the hosted signup is never framed).
    pub framed: bool,
}

/// How long the "copied" confirmation stays.
pub const COPIED_MS: u32 = 2_000;
/// Countdown step.
pub const TICK_MS: u32 = 1_000;

/// What the view needs to draw one frame.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Frame<'a> {
    /// The phase.
    pub phase: Phase,
    /// The QR data URL, when one was received (kept while refreshing and when expired).
    pub qr: Option<&'a str>,
    /// The grouped pairing code.
    pub code: Option<&'a str>,
    /// 1-based attempt of the QR on screen.
    pub attempt: u32,
    /// The cap.
    pub max_attempts: u32,
    /// Whole seconds until the next QR.
    pub seconds_left: u32,
    /// The failure on screen (error phase).
    pub failure: Option<Failure>,
    /// The code was just copied.
    pub copied: bool,
    /// The pairing code leads (the QR is one tap away), else the QR does.
    pub show_code: bool,
    /// The number being linked, masked, when the worker said.
    pub masked_number: Option<&'a str>,
    /// Whole seconds the code stays valid, when the worker knows its lifetime.
    pub code_seconds_left: Option<u32>,
    /// The code on screen replaced one the person had already seen (it expired meanwhile).
    pub code_replaced: bool,
    /// The error panel's action can help (an unauthorized answer without `getToken` cannot).
    pub can_retry: bool,
    /// Waiting on Meta: its status word, as the edge read it.
    pub detail: Option<&'a str>,
    /// A Meta pairing link's signup, where it stands (waiting phase only).
    pub signup: Option<SignupStep>,
}

/// The widget's whole logical state.
#[derive(Clone, Debug)]
pub struct Machine {
    cfg: Config,
    phase: Phase,
    attempt: u32,
    qr: Option<String>,
    code: Option<String>,
    expires_at: f64,
    failure: Option<Failure>,
    hidden: bool,
    token_renewed: bool,
    /// `getToken` was called for the push stream (its renewal, or a lapsed stream's reopening),
    /// not for a refused request.
    renewing_push: bool,
    ready_sent: bool,
    copied: bool,
    armed: [bool; TIMER_COUNT],
    /// A push stream was asked for and not closed since.
    watching: bool,
    /// It is open: no status polls.
    push: bool,
    /// When (ms) it opened.
    push_opened_at: f64,
    /// Drops in a row (the backoff step).
    push_drops: u32,
    /// Handshakes refused in a row.
    push_refusals: u32,
    /// The pairing code leads.
    show_code: bool,
    masked_number: Option<String>,
    /// When (ms) the code's known lifetime ends.
    code_expires_at: Option<f64>,
    /// The person saw the code on screen (copied it, or left with it on screen).
    code_seen: bool,
    code_replaced: bool,
    /// Meta's status word while waiting.
    detail: Option<String>,
    /// A Meta pairing link: where its signup stands.
    signup: Option<SignupStep>,
    /// When (ms) the signup window opened.
    signup_opened_at: f64,
    /// The window's handle said "open" at a check [`SIGNUP_SEEN_OPEN_MS`] or more after it
    /// opened.
    signup_seen_open: bool,
    /// The connected number's id, when the edge named it (a pairing link's new number).
    number_id: Option<String>,
    /// The expired link `getToken` was asked to replace (told to the page already).
    expired_link: Option<Failure>,
}

impl Machine {
    /// A machine in [`Phase::Idle`]; `hidden` is `document.hidden` at mount.
    #[must_use]
    pub fn new(cfg: Config, hidden: bool) -> Self {
        Self {
            cfg: Config {
                max_attempts: cfg.max_attempts.max(1),
                ..cfg
            },
            phase: Phase::Idle,
            attempt: 0,
            qr: None,
            code: None,
            expires_at: 0.0,
            failure: None,
            hidden,
            token_renewed: false,
            renewing_push: false,
            ready_sent: false,
            copied: false,
            armed: [false; TIMER_COUNT],
            watching: false,
            push: false,
            push_opened_at: 0.0,
            push_drops: 0,
            push_refusals: 0,
            show_code: cfg.code_first,
            masked_number: None,
            code_expires_at: None,
            code_seen: false,
            code_replaced: false,
            detail: None,
            signup: None,
            signup_opened_at: 0.0,
            signup_seen_open: false,
            number_id: None,
            expired_link: None,
        }
    }

    /// The connected number's id, when the edge named it.
    #[must_use]
    pub fn number_id(&self) -> Option<&str> {
        self.number_id.as_deref()
    }

    /// Whether the pairing code leads.
    #[must_use]
    pub fn shows_code(&self) -> bool {
        self.show_code
    }

    /// The phase.
    #[must_use]
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// 1-based attempt of the QR on screen (0 before the first).
    #[must_use]
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// The config.
    #[must_use]
    pub fn config(&self) -> Config {
        self.cfg
    }

    /// Whether the push stream is open.
    #[must_use]
    pub fn is_pushed(&self) -> bool {
        self.push
    }

    /// Whether the driver should be holding this timer.
    #[must_use]
    pub fn is_armed(&self, t: Timer) -> bool {
        self.armed[t as usize]
    }

    /// The pairing code on screen.
    #[must_use]
    pub fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }

    /// The frame to draw at `now` (ms).
    #[must_use]
    pub fn frame(&self, now: f64) -> Frame<'_> {
        Frame {
            phase: self.phase,
            qr: self.qr.as_deref(),
            code: self.code.as_deref(),
            attempt: self.attempt,
            max_attempts: self.cfg.max_attempts,
            seconds_left: ceil_seconds(self.expires_at - now),
            failure: self.failure,
            copied: self.copied,
            show_code: self.show_code,
            masked_number: self.masked_number.as_deref(),
            code_seconds_left: self
                .code_expires_at
                .filter(|_| self.code.is_some())
                .map(|at| ceil_seconds(at - now)),
            code_replaced: self.code_replaced,
            detail: self.detail.as_deref(),
            signup: self.signup.filter(|_| self.phase == Phase::Waiting),
            // "Try again" only where trying again can work: a network or service failure, or a
            // refused token that getToken can replace. A page origin, a missing number, a number
            // that cannot pair and a worker without its settings need someone else; a rate
            // limit retries by itself.
            can_retry: self.failure.is_some_and(|f| match f.kind {
                ErrorKind::Network | ErrorKind::Server => true,
                ErrorKind::Unauthorized => self.cfg.can_renew_token,
                ErrorKind::RateLimited
                | ErrorKind::Origin
                | ErrorKind::NotFound
                | ErrorKind::NotPairable
                | ErrorKind::Config => false,
                // A new link comes from the page's backend (getToken).
                ErrorKind::LinkExpired => self.cfg.can_renew_token,
            }),
        }
    }

    /// Handles `event` at `now` (ms) and returns what the driver must do, in order.
    pub fn handle(&mut self, event: Event, now: f64) -> Vec<Command> {
        let mut out = Out::default();
        if self.phase == Phase::Destroyed {
            return out.finish();
        }
        if let Event::Fired(t) = event {
            self.armed[t as usize] = false;
        }
        match event {
            Event::Start if self.phase == Phase::Idle => self.fetch_qr(&mut out),
            Event::Start => {}
            Event::QrArrived(QrAnswer::Connected { number_id }) => {
                if number_id.is_some() {
                    self.number_id = number_id;
                }
                self.connected(&mut out);
            }
            Event::StatusArrived(PublicState::Connected) => self.connected(&mut out),
            Event::QrArrived(QrAnswer::Pairing {
                qr,
                pairing_code,
                refresh_after_ms,
                masked_number,
                code_expires_in_ms,
            }) => {
                if masked_number.is_some() {
                    self.masked_number = masked_number;
                }
                self.show_qr(qr, pairing_code, refresh_after_ms, now, &mut out);
                if self.phase == Phase::Pairing {
                    self.code_expiry(code_expires_in_ms, now, &mut out);
                }
            }
            Event::QrArrived(QrAnswer::Waiting { detail }) => self.waiting(detail, &mut out),
            Event::StatusArrived(PublicState::Disconnected) if self.phase == Phase::Pairing => {
                // The upstream attempt ended early: ask for the next QR now.
                self.fetch_qr(&mut out);
            }
            Event::StatusArrived(_) => {}
            Event::QrFailed(f) => self.failed(f, &mut out),
            Event::StatusFailed(f) => {
                // Polls are best effort; only an auth problem stops pairing.
                if self.phase.watches()
                    && matches!(f.kind, ErrorKind::Unauthorized | ErrorKind::Origin)
                {
                    self.failed(f, &mut out);
                }
            }
            // For the push stream: renewed over it, or (it lapsed) reopened with the new token.
            Event::TokenRenewed(ok) if self.renewing_push => {
                self.renewing_push = false;
                if ok && self.push {
                    out.push(Command::RenewPush);
                } else if ok && self.phase.watches() && !self.watching {
                    self.watching = true;
                    out.push(Command::Watch(true));
                } else if !self.push && self.phase.watches() {
                    self.push_closed(now, &mut out);
                }
                // A refused request that waited on the same getToken call goes on with it.
                if self.is_fetching() && self.token_renewed {
                    if ok {
                        self.fetch_qr(&mut out);
                    } else {
                        self.fail(Failure::no_token(), &mut out);
                    }
                }
            }
            Event::TokenRenewed(true) if self.is_fetching() => {
                self.expired_link = None;
                self.fetch_qr(&mut out);
            }
            Event::TokenRenewed(false) if self.is_fetching() => match self.expired_link.take() {
                // No new link: the expired one's panel (the page heard it once).
                Some(f) => {
                    self.failure = Some(f);
                    self.set_phase(Phase::Error, &mut out);
                }
                None => self.fail(Failure::no_token(), &mut out),
            },
            Event::TokenRenewed(_) => {}
            Event::Fired(Timer::Refresh) if self.phase == Phase::Pairing && !self.hidden => {
                self.fetch_qr(&mut out)
            }
            Event::Fired(Timer::Poll) if self.phase.watches() && !self.hidden && !self.push => {
                out.push(Command::Fetch(Request::Status));
                self.arm(Timer::Poll, self.cfg.poll_ms, &mut out);
            }
            Event::Fired(Timer::Retry)
                if self.phase == Phase::Error
                    && self.failure.is_some_and(|f| f.retry_after_ms.is_some()) =>
            {
                self.fetch_qr(&mut out)
            }
            Event::Fired(Timer::Tick) if self.phase.showing_qr() && !self.hidden => {
                self.arm(Timer::Tick, TICK_MS, &mut out);
                out.render();
            }
            Event::Fired(Timer::Copied) => {
                self.copied = false;
                out.render();
            }
            // The code's known lifetime ran out: the next one, without a dead end (it does not
            // wait for the QR's refresh, and a code-first screen never shows a stale code).
            // (Hidden: asked for on return, see `visibility`.)
            Event::Fired(Timer::CodeExpiry) if self.phase == Phase::Pairing && !self.hidden => {
                self.code_expires_at = None;
                self.fetch_qr(&mut out);
            }
            Event::Fired(Timer::TokenRenew) if self.push && !self.renewing_push => {
                self.renewing_push = true;
                out.push(Command::RenewToken);
            }
            Event::Fired(Timer::SignupCheck) if self.signup == Some(SignupStep::Open) => {
                out.push(Command::CheckSignup);
            }
            Event::Fired(Timer::Reopen) if self.phase.watches() && !self.watching => {
                self.watching = true;
                out.push(Command::Watch(true));
            }
            Event::Fired(_) => {}
            Event::Visibility { hidden } => self.visibility(hidden, now, &mut out),
            Event::Restart => {
                if self.phase != Phase::Connected {
                    // "Try again" on an expired link asks the page for a new one again.
                    if self
                        .failure
                        .is_some_and(|f| f.kind == ErrorKind::LinkExpired)
                    {
                        self.token_renewed = false;
                    }
                    self.attempt = 0;
                    self.failure = None;
                    self.code_replaced = false;
                    self.code_seen = false;
                    self.disarm(Timer::Retry, &mut out);
                    self.fetch_qr(&mut out);
                }
            }
            Event::SwitchView => {
                self.show_code = !self.show_code;
                out.render();
            }
            Event::CodeFirst(on) => {
                self.show_code = on;
                out.render();
            }
            Event::Copy => {
                if self.code.is_some() && self.phase.showing_qr() {
                    self.copied = true;
                    self.code_seen = true;
                    self.code_replaced = false;
                    out.push(Command::CopyCode);
                    self.arm(Timer::Copied, COPIED_MS, &mut out);
                    out.render();
                }
            }
            Event::PushOpened if self.watching => {
                self.push = true;
                self.push_opened_at = now;
                self.push_refusals = 0;
                self.disarm(Timer::Poll, &mut out);
            }
            Event::PushClosed if self.watching => self.push_closed(now, &mut out),
            Event::PushLapsed if self.watching => {
                self.disarm(Timer::TokenRenew, &mut out);
                if self.cfg.can_renew_token && self.phase.watches() && !self.renewing_push {
                    // Not a drop: no backoff, the stream comes back with a fresh token.
                    self.push = false;
                    self.watching = false;
                    self.renewing_push = true;
                    if !self.hidden && !self.is_armed(Timer::Poll) {
                        self.arm(Timer::Poll, self.cfg.poll_ms, &mut out);
                    }
                    out.push(Command::RenewToken);
                } else {
                    self.push_closed(now, &mut out);
                }
            }
            Event::TokenLeft(ms) if self.push && self.cfg.can_renew_token => {
                let ahead = TOKEN_RENEW_AHEAD_MS.min(ms / 2);
                let wait = ms.saturating_sub(ahead).max(TOKEN_RENEW_MIN_MS);
                self.arm(Timer::TokenRenew, wait, &mut out);
            }
            Event::PushOpened | Event::PushClosed | Event::PushLapsed | Event::TokenLeft(_) => {}
            Event::PushFailed(f) => self.push_failed(f, &mut out),
            Event::SignupArrived => {
                self.waiting(None, &mut out);
                if self.phase == Phase::Waiting && self.signup.is_none() {
                    self.signup = Some(SignupStep::Ready);
                    out.render();
                }
            }
            Event::SignupClicked if self.phase == Phase::Waiting && self.signup.is_some() => {
                let how = if self.cfg.phone {
                    SignupHow::Navigate
                } else {
                    SignupHow::Popup
                };
                out.push(Command::OpenSignup(how));
            }
            Event::SignupOpened(true) if self.signup.is_some() => {
                self.signup = Some(SignupStep::Open);
                self.signup_opened_at = now;
                self.signup_seen_open = false;
                self.arm(Timer::SignupCheck, SIGNUP_CHECK_MS, &mut out);
                out.render();
            }
            Event::SignupOpened(false) if self.signup.is_some() => {
                if self.cfg.framed {
                    self.signup = Some(SignupStep::Blocked);
                    self.disarm(Timer::SignupCheck, &mut out);
                    out.render();
                } else {
                    // A top-level page whose popup was refused: the page goes to the link.
                    out.push(Command::OpenSignup(SignupHow::Navigate));
                }
            }
            Event::SignupWindow { closed } if self.signup == Some(SignupStep::Open) => {
                if !closed {
                    if now - self.signup_opened_at >= SIGNUP_SEEN_OPEN_MS {
                        self.signup_seen_open = true;
                    }
                    self.arm(Timer::SignupCheck, SIGNUP_CHECK_MS, &mut out);
                } else {
                    // Seen open long enough, then closed: the person closed it before
                    // finishing. Closed sooner: a window closed as fast, or a handle cut by the
                    // page's opener policy (the window still open); the face says both. The
                    // edge keeps watching either way (a signup may still land); reopening is
                    // offered.
                    self.signup = Some(if self.signup_seen_open {
                        SignupStep::Closed
                    } else {
                        SignupStep::Unsure
                    });
                    out.render();
                }
            }
            Event::SignupClicked | Event::SignupOpened(_) | Event::SignupWindow { .. } => {}
            Event::Destroy => {
                self.disarm_all(&mut out);
                self.unwatch(&mut out);
                out.push(Command::Abort);
                self.phase = Phase::Destroyed;
            }
        }
        out.finish()
    }

    /// Whether push is off for good: the handshake was refused too often.
    #[must_use]
    pub fn push_off(&self) -> bool {
        self.push_refusals >= PUSH_REFUSALS_MAX
    }

    /// The stream closed: poll while it is closed, and reopen it after a backoff that does not
    /// wait for the next QR (unless push is off).
    fn push_closed(&mut self, now: f64, out: &mut Out) {
        let was_open = self.push;
        self.push = false;
        self.watching = false;
        self.disarm(Timer::TokenRenew, out);
        if was_open {
            if now - self.push_opened_at >= PUSH_HEALTHY_MS {
                self.push_drops = 0;
            }
            self.push_drops = self.push_drops.saturating_add(1);
        } else {
            self.push_refusals = self.push_refusals.saturating_add(1);
        }
        if self.phase.watches() && !self.hidden && !self.is_armed(Timer::Poll) {
            self.arm(Timer::Poll, self.cfg.poll_ms, out);
        }
        if !self.push_off() {
            let step = self
                .push_drops
                .max(self.push_refusals)
                .saturating_sub(1)
                .min(5);
            let wait = (REOPEN_BASE_MS << step).min(REOPEN_MAX_MS);
            self.arm(Timer::Reopen, wait, out);
        }
    }

    /// A failure the session pushed. Final ones end pairing; a wait (rate limit) or a passing
    /// upstream failure matters only while the widget has no QR to show: a QR on screen stays
    /// scannable, and the session retries by itself.
    fn push_failed(&mut self, f: Failure, out: &mut Out) {
        let fatal = matches!(
            f.kind,
            ErrorKind::NotFound | ErrorKind::NotPairable | ErrorKind::Config
        );
        if f.kind == ErrorKind::LinkExpired {
            self.failed(f, out);
        } else if fatal || self.is_fetching() || self.phase == Phase::Error {
            self.fail(f, out);
        }
    }

    fn is_fetching(&self) -> bool {
        matches!(self.phase, Phase::Loading | Phase::Refreshing)
    }

    fn set_phase(&mut self, phase: Phase, out: &mut Out) {
        if self.phase != phase {
            self.phase = phase;
            out.push(Command::Emit(Emitted::StateChange(phase)));
        }
        out.render();
    }

    fn arm(&mut self, t: Timer, ms: u32, out: &mut Out) {
        // One slot per kind: re-arming replaces, so a kind is never held twice.
        if self.armed[t as usize] {
            out.push(Command::Disarm(t));
        }
        self.armed[t as usize] = true;
        out.push(Command::Arm(t, ms));
    }

    fn disarm(&mut self, t: Timer, out: &mut Out) {
        if self.armed[t as usize] {
            self.armed[t as usize] = false;
            out.push(Command::Disarm(t));
        }
    }

    fn disarm_pairing(&mut self, out: &mut Out) {
        for t in [Timer::Refresh, Timer::Poll, Timer::Tick, Timer::CodeExpiry] {
            self.disarm(t, out);
        }
    }

    fn unwatch(&mut self, out: &mut Out) {
        self.disarm(Timer::TokenRenew, out);
        if self.watching {
            self.watching = false;
            self.push = false;
            out.push(Command::Watch(false));
        }
    }

    fn disarm_all(&mut self, out: &mut Out) {
        for t in TIMERS {
            self.disarm(t, out);
        }
    }

    /// Asks for the next QR, or expires at the cap. Code first, the last code keeps its QR
    /// fresh until a new code would count (see `show_qr`).
    fn fetch_qr(&mut self, out: &mut Out) {
        let last_code_on_screen =
            self.show_code && self.code.is_some() && self.phase == Phase::Pairing;
        if self.attempt >= self.cfg.max_attempts && !last_code_on_screen {
            self.expire(out);
            return;
        }
        self.disarm(Timer::Refresh, out);
        let next = if self.qr.is_some() && self.phase != Phase::Error {
            Phase::Refreshing
        } else {
            Phase::Loading
        };
        self.set_phase(next, out);
        out.push(Command::Fetch(Request::Qr));
    }

    /// The attempt cap was reached: stop, dim the last QR, offer a new one.
    fn expire(&mut self, out: &mut Out) {
        self.disarm_pairing(out);
        self.disarm(Timer::Retry, out);
        self.disarm(Timer::Reopen, out);
        self.unwatch(out);
        self.set_phase(Phase::Expired, out);
        out.push(Command::Emit(Emitted::Expired));
    }

    fn show_qr(
        &mut self,
        qr: String,
        code: Option<String>,
        refresh_ms: u32,
        now: f64,
        out: &mut Out,
    ) {
        // A QR nobody asked for (expired, or after connected) waits for the person's action.
        if !matches!(
            self.phase,
            Phase::Idle | Phase::Loading | Phase::Pairing | Phase::Refreshing | Phase::Error
        ) {
            return;
        }
        let same = self.qr.as_deref() == Some(qr.as_str()) && self.phase == Phase::Pairing;
        let new_code = code.is_some() && code != self.code;
        // What the person is shown counts toward the cap: a new QR, or (code first) a new
        // code; nothing that arrives while the page is hidden (the person may be in WhatsApp
        // typing the code, and must not come back to "expired").
        let counts = !self.hidden
            && if self.show_code && code.is_some() {
                new_code || self.attempt == 0
            } else {
                !same
            };
        if counts {
            if self.attempt >= self.cfg.max_attempts {
                self.expire(out);
                return;
            }
            self.attempt += 1;
        }
        if new_code && self.code.is_some() {
            // The person had this code in hand: say the one on screen is a new one.
            self.code_replaced = self.code_seen;
            self.code_seen = false;
            self.code_expires_at = None;
        }
        self.qr = Some(qr);
        self.code = code;
        self.failure = None;
        self.token_renewed = false;
        self.expires_at = now + f64::from(refresh_ms);
        self.disarm(Timer::Retry, out);
        self.set_phase(Phase::Pairing, out);
        if self.hidden {
            self.disarm_pairing(out);
        } else {
            self.arm(Timer::Refresh, refresh_ms, out);
            if !self.push && !self.is_armed(Timer::Poll) {
                self.arm(Timer::Poll, self.cfg.poll_ms, out);
            }
            self.arm(Timer::Tick, TICK_MS, out);
        }
        // A QR came, so the token works: ask for the push stream (the driver falls back to
        // polling if the worker does not offer it), unless a reopen is already on its way or
        // push is off.
        if !self.watching && !self.push_off() && !self.is_armed(Timer::Reopen) {
            self.watching = true;
            out.push(Command::Watch(true));
        }
        if !same {
            out.push(Command::Emit(Emitted::Qr {
                attempt: self.attempt.max(1),
                expires_in_ms: refresh_ms,
            }));
            if !self.ready_sent {
                self.ready_sent = true;
                out.push(Command::Emit(Emitted::Ready));
            }
        }
    }

    /// An official number Meta has not connected yet: its face, watched (push, else status
    /// polls) until "connected". No attempts, no QR timers.
    fn waiting(&mut self, detail: Option<String>, out: &mut Out) {
        if !matches!(
            self.phase,
            Phase::Idle | Phase::Loading | Phase::Refreshing | Phase::Waiting | Phase::Error
        ) {
            return;
        }
        self.detail = detail;
        self.failure = None;
        self.token_renewed = false;
        self.disarm(Timer::Retry, out);
        for t in [Timer::Refresh, Timer::Tick, Timer::CodeExpiry] {
            self.disarm(t, out);
        }
        self.set_phase(Phase::Waiting, out);
        if !self.hidden && !self.push && !self.is_armed(Timer::Poll) {
            self.arm(Timer::Poll, self.cfg.poll_ms, out);
        }
        if !self.watching && !self.push_off() && !self.is_armed(Timer::Reopen) {
            self.watching = true;
            out.push(Command::Watch(true));
        }
        if !self.ready_sent {
            self.ready_sent = true;
            out.push(Command::Emit(Emitted::Ready));
        }
    }

    /// The code's lifetime as the worker knows it (`None`: it does not): a countdown, and a
    /// timer that asks for the next code when it runs out.
    fn code_expiry(&mut self, expires_in_ms: Option<u32>, now: f64, out: &mut Out) {
        // Under a second left is "past what the worker knows, and still on offer": no countdown
        // and no timer (asking again would only bring the same code back, in a loop), until the
        // worker learns the code ended and sends the next.
        match expires_in_ms.filter(|ms| self.code.is_some() && *ms >= TICK_MS) {
            Some(ms) => {
                self.code_expires_at = Some(now + f64::from(ms));
                if !self.hidden {
                    self.arm(Timer::CodeExpiry, ms, out);
                }
            }
            None => {
                self.code_expires_at = None;
                self.disarm(Timer::CodeExpiry, out);
            }
        }
    }

    fn connected(&mut self, out: &mut Out) {
        if self.phase == Phase::Connected {
            return;
        }
        self.disarm_all(out);
        self.unwatch(out);
        out.push(Command::Abort);
        if self.signup.take() == Some(SignupStep::Open) {
            out.push(Command::CloseSignup);
        }
        self.failure = None;
        self.copied = false;
        self.set_phase(Phase::Connected, out);
        out.push(Command::Emit(Emitted::Connected));
    }

    fn failed(&mut self, f: Failure, out: &mut Out) {
        if matches!(self.phase, Phase::Connected | Phase::Expired) {
            return;
        }
        // An expired pairing link: the page hears it, and its getToken may start a new link.
        if f.kind == ErrorKind::LinkExpired && self.cfg.can_renew_token && !self.token_renewed {
            self.token_renewed = true;
            self.expired_link = Some(f);
            self.signup = None;
            self.disarm(Timer::SignupCheck, out);
            self.unwatch(out);
            out.push(Command::Emit(Emitted::Error(f)));
            self.set_phase(Phase::Loading, out);
            out.push(Command::RenewToken);
            return;
        }
        // An expired token is renewed once through getToken, then the QR is asked again.
        if f.kind == ErrorKind::Unauthorized && self.cfg.can_renew_token && !self.token_renewed {
            self.token_renewed = true;
            self.disarm_pairing(out);
            if !self.is_fetching() {
                self.set_phase(Phase::Refreshing, out);
            }
            out.push(Command::RenewToken);
            return;
        }
        self.fail(f, out);
    }

    fn fail(&mut self, f: Failure, out: &mut Out) {
        self.disarm_pairing(out);
        self.disarm(Timer::SignupCheck, out);
        self.failure = Some(f);
        self.set_phase(Phase::Error, out);
        out.push(Command::Emit(Emitted::Error(f)));
        if let Some(wait) = f.retry_after_ms {
            self.arm(Timer::Retry, wait, out);
        }
    }

    fn visibility(&mut self, hidden: bool, now: f64, out: &mut Out) {
        if self.hidden == hidden {
            return;
        }
        self.hidden = hidden;
        if !self.phase.watches() {
            return;
        }
        if hidden {
            // Leaving with a code on screen: the person may be typing it in WhatsApp.
            if self.show_code && self.code.is_some() {
                self.code_seen = true;
            }
            self.disarm_pairing(out);
            return;
        }
        // Back in view (often from WhatsApp itself): check the status at once, push or not (a
        // socket the phone's OS froze may not have said a word), and fetch the next QR or code
        // if this one went stale.
        out.push(Command::Fetch(Request::Status));
        if !self.push {
            self.arm(Timer::Poll, self.cfg.poll_ms, out);
        }
        if self.phase == Phase::Pairing {
            let left = self.expires_at - now;
            let code_left = self.code_expires_at.map(|at| at - now);
            if left <= 0.0 || code_left.is_some_and(|l| l <= 0.0) {
                self.fetch_qr(out);
                return;
            }
            self.arm(Timer::Refresh, left as u32, out);
            if let Some(l) = code_left {
                self.arm(Timer::CodeExpiry, l as u32, out);
            }
        }
        if self.phase.showing_qr() {
            self.arm(Timer::Tick, TICK_MS, out);
        }
        out.render();
    }
}

/// Whether a pairing link's URL (from the page's token) may be opened: `https://`, or `http://`
/// on a loopback host (a laptop, the sandbox). Anything else (`javascript:`, `data:`, plain
/// `http:` elsewhere) is never opened or linked.
#[must_use]
pub fn signup_url_ok(url: &str) -> bool {
    // Bytes only: `char` patterns would link UTF-8 searchers into the wasm.
    if url
        .bytes()
        .any(|c| c.is_ascii_whitespace() || c.is_ascii_control())
    {
        return false;
    }
    let (https, rest) = match (url.strip_prefix("https://"), url.strip_prefix("http://")) {
        (Some(r), _) => (true, r.as_bytes()),
        (None, Some(r)) => (false, r.as_bytes()),
        _ => return false,
    };
    let end = rest
        .iter()
        .position(|c| matches!(c, b'/' | b'?' | b'#'))
        .unwrap_or(rest.len());
    let authority = rest.get(..end).unwrap_or_default();
    if authority.is_empty() || authority.contains(&b'@') {
        return false;
    }
    if https {
        return true;
    }
    let host = match authority.strip_prefix(b"[") {
        Some(v6) => v6.split(|c| *c == b']').next(),
        None => authority.split(|c| *c == b':').next(),
    }
    .unwrap_or_default();
    host.eq_ignore_ascii_case(b"localhost") || host == b"::1" || is_loopback_v4(host)
}

/// `127.a.b.c`, each part 1 to 3 digits up to 255.
fn is_loopback_v4(host: &[u8]) -> bool {
    let Some(rest) = host.strip_prefix(b"127.") else {
        return false;
    };
    let mut parts = 0;
    for part in rest.split(|c| *c == b'.') {
        parts += 1;
        let value = part.iter().try_fold(0u32, |v, d| {
            d.is_ascii_digit()
                .then(|| v.saturating_mul(10).saturating_add(u32::from(d - b'0')))
        });
        if part.is_empty() || part.len() > 3 || value.is_none_or(|v| v > 255) {
            return false;
        }
    }
    parts == 3
}

/// Whole seconds in `ms`, rounded up, never negative (no `f64::ceil` without std).
fn ceil_seconds(ms: f64) -> u32 {
    let left = ms / 1000.0;
    let whole = left as u32; // saturates: negative → 0
    whole + u32::from(f64::from(whole) < left)
}

/// Commands in order, plus at most one render, placed before the first emit so a page's
/// callback already sees the new DOM.
#[derive(Default)]
struct Out {
    cmds: Vec<Command>,
    render: bool,
}

impl Out {
    fn push(&mut self, c: Command) {
        self.cmds.push(c);
    }

    fn render(&mut self) {
        self.render = true;
    }

    /// The commands, with one render before the first event to the page (so a callback sees
    /// the new state on screen), or last. No `Vec::insert`: it carries a panic path.
    fn finish(self) -> Vec<Command> {
        if !self.render {
            return self.cmds;
        }
        let mut out = Vec::with_capacity(self.cmds.len() + 1);
        let mut render = Some(Command::Render);
        for c in self.cmds {
            if matches!(c, Command::Emit(_)) {
                if let Some(r) = render.take() {
                    out.push(r);
                }
            }
            out.push(c);
        }
        if let Some(r) = render {
            out.push(r);
        }
        out
    }
}
