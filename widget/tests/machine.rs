//! The state machine, natively: a table of states × events, the flows that matter (attempt
//! cap, 429 with Retry-After, 401 → one renewal, visibility pause, restart, destroy mid-request,
//! pushed updates), and property tests over random event sequences.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use pilot_connect_widget::machine::{
    signup_url_ok, Command, Config, Emitted, ErrorKind, Event, Failure, Machine, Phase, Request,
    SignupHow, SignupStep, Timer, SIGNUP_CHECK_MS, SIGNUP_SEEN_OPEN_MS, TIMERS, TIMER_COUNT,
    TOKEN_RENEW_MIN_MS,
};
use pilot_connect_wire::{PublicErrorCode, PublicState, QrAnswer};
use proptest::prelude::*;

const PNG: &str = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

fn cfg(max: u32, renew: bool) -> Config {
    Config {
        max_attempts: max,
        poll_ms: 2_500,
        can_renew_token: renew,
        code_first: false,
        phone: false,
        framed: false,
    }
}

fn qr(n: u32) -> Event {
    Event::QrArrived(QrAnswer::Pairing {
        qr: format!("{PNG}#{n}"),
        pairing_code: Some("ABCD-1234".into()),
        refresh_after_ms: 20_000,
        masked_number: None,
        code_expires_in_ms: None,
    })
}

fn status(s: PublicState) -> Event {
    Event::StatusArrived(s)
}

fn fail(status: u16, code: Option<PublicErrorCode>, wait: Option<u32>) -> Failure {
    Failure::from_answer(status, code, wait)
}

fn has(cmds: &[Command], c: Command) -> bool {
    cmds.contains(&c)
}

fn emitted(cmds: &[Command]) -> Vec<Emitted> {
    cmds.iter()
        .filter_map(|c| match c {
            Command::Emit(e) => Some(*e),
            _ => None,
        })
        .collect()
}

/// A machine driven into `phase` by real events.
fn in_phase(phase: Phase) -> Machine {
    let mut m = Machine::new(cfg(3, true), false);
    let t = 0.0;
    match phase {
        Phase::Idle => {}
        Phase::Loading => {
            m.handle(Event::Start, t);
        }
        Phase::Pairing => {
            m.handle(Event::Start, t);
            m.handle(qr(1), t);
        }
        Phase::Refreshing => {
            m.handle(Event::Start, t);
            m.handle(qr(1), t);
            m.handle(Event::Fired(Timer::Refresh), t);
        }
        Phase::Waiting => {
            m.handle(Event::Start, t);
            m.handle(waiting(), t);
        }
        Phase::Connected => {
            m.handle(Event::Start, t);
            m.handle(status(PublicState::Connected), t);
        }
        Phase::Expired => {
            let mut m2 = Machine::new(cfg(1, true), false);
            m2.handle(Event::Start, t);
            m2.handle(qr(1), t);
            m2.handle(Event::Fired(Timer::Refresh), t);
            return m2;
        }
        Phase::Error => {
            m.handle(Event::Start, t);
            m.handle(Event::QrFailed(Failure::network()), t);
        }
        Phase::Destroyed => {
            m.handle(Event::Destroy, t);
        }
    }
    assert_eq!(m.phase(), phase, "setup reached {phase:?}");
    m
}

fn waiting() -> Event {
    Event::QrArrived(QrAnswer::Waiting {
        detail: Some("PENDING".into()),
    })
}

const PHASES: [Phase; 9] = [
    Phase::Idle,
    Phase::Loading,
    Phase::Pairing,
    Phase::Refreshing,
    Phase::Waiting,
    Phase::Connected,
    Phase::Expired,
    Phase::Error,
    Phase::Destroyed,
];

fn events() -> Vec<(&'static str, Event)> {
    vec![
        ("start", Event::Start),
        ("qr", qr(9)),
        (
            "qr-connected",
            Event::QrArrived(QrAnswer::Connected { number_id: None }),
        ),
        ("qr-waiting", waiting()),
        ("status-connected", status(PublicState::Connected)),
        ("status-disconnected", status(PublicState::Disconnected)),
        ("status-connecting", status(PublicState::Connecting)),
        ("qr-failed-network", Event::QrFailed(Failure::network())),
        (
            "qr-failed-401",
            Event::QrFailed(fail(401, Some(PublicErrorCode::TokenExpired), None)),
        ),
        (
            "qr-failed-429",
            Event::QrFailed(fail(429, None, Some(7_000))),
        ),
        (
            "status-failed-500",
            Event::StatusFailed(fail(502, None, None)),
        ),
        (
            "status-failed-403",
            Event::StatusFailed(fail(403, Some(PublicErrorCode::OriginNotAllowed), None)),
        ),
        ("token-ok", Event::TokenRenewed(true)),
        ("token-none", Event::TokenRenewed(false)),
        ("fired-refresh", Event::Fired(Timer::Refresh)),
        ("fired-poll", Event::Fired(Timer::Poll)),
        ("fired-retry", Event::Fired(Timer::Retry)),
        ("fired-tick", Event::Fired(Timer::Tick)),
        ("fired-copied", Event::Fired(Timer::Copied)),
        ("hidden", Event::Visibility { hidden: true }),
        ("restart", Event::Restart),
        ("copy", Event::Copy),
        ("push-opened", Event::PushOpened),
        ("push-closed", Event::PushClosed),
        ("push-lapsed", Event::PushLapsed),
        ("token-left", Event::TokenLeft(120_000)),
        ("destroy", Event::Destroy),
    ]
}

/// The phase each (state, event) pair leads to. `=` means unchanged.
fn expected(from: Phase, event: &str) -> Phase {
    use Phase::*;
    match (from, event) {
        (Destroyed, _) => Destroyed,
        (_, "destroy") => Destroyed,
        (Idle, "start") => Loading,
        (Connected, _) => Connected,
        (_, "qr-connected" | "status-connected") => Connected,
        // The dimmed QR stays on screen while the fresh one loads.
        (Expired, "restart") => Refreshing,
        (Expired, _) => Expired,
        (Idle | Loading | Pairing | Refreshing | Error, "qr") => Pairing,
        // An official number: nothing to scan, waiting on Meta (a QR number never turns into one).
        (Idle | Loading | Refreshing | Waiting | Error, "qr-waiting") => Waiting,
        (Pairing, "status-disconnected" | "fired-refresh") => Refreshing,
        (
            Idle | Loading | Pairing | Refreshing | Waiting | Error,
            "qr-failed-network" | "qr-failed-429",
        ) => Error,
        // 401 with getToken: one renewal (shown as refreshing/loading), not an error.
        (Pairing, "qr-failed-401") => Refreshing,
        (Idle | Loading | Refreshing | Waiting | Error, "qr-failed-401") => {
            if matches!(from, Idle | Error | Waiting) {
                Refreshing
            } else {
                from
            }
        }
        (Pairing | Refreshing | Waiting, "status-failed-403") => Error,
        (Loading | Refreshing, "token-none") => Error,
        (Loading, "token-ok") => Loading,
        (Refreshing, "token-ok") => Refreshing,
        (Pairing | Idle | Loading | Refreshing | Waiting | Error, "restart") => {
            if from == Pairing || from == Refreshing {
                Refreshing
            } else {
                Loading
            }
        }
        _ => from,
    }
}

#[test]
fn every_state_times_every_event() {
    let mut failures = Vec::new();
    for from in PHASES {
        for (name, ev) in events() {
            let mut m = in_phase(from);
            let cmds = m.handle(ev, 1_000.0);
            let want = expected(from, name);
            if m.phase() != want {
                failures.push(format!(
                    "{from:?} + {name} → {:?}, want {want:?} ({cmds:?})",
                    m.phase()
                ));
            }
            // A phase change is always announced, once.
            let changes: Vec<_> = emitted(&cmds)
                .into_iter()
                .filter(|e| matches!(e, Emitted::StateChange(_)))
                .collect();
            let announced = from != m.phase() && m.phase() != Phase::Destroyed;
            if changes.len() != usize::from(announced) {
                failures.push(format!(
                    "{from:?} + {name}: statechange emitted {changes:?}"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn an_official_number_waits_watched_and_connects() {
    let mut m = Machine::new(cfg(6, false), false);
    m.handle(Event::Start, 0.0);
    let c = m.handle(waiting(), 0.0);
    assert_eq!(m.phase(), Phase::Waiting);
    assert!(
        has(&c, Command::Arm(Timer::Poll, 2_500)),
        "polls without push"
    );
    assert!(has(&c, Command::Watch(true)), "asks for the push stream");
    assert!(!c.iter().any(|x| matches!(
        x,
        Command::Arm(Timer::Refresh | Timer::Tick | Timer::CodeExpiry, _)
    )));
    assert_eq!(m.frame(0.0).detail, Some("PENDING"));
    assert_eq!(
        emitted(&c),
        vec![Emitted::StateChange(Phase::Waiting), Emitted::Ready]
    );
    // A poll asks the status; nothing asks for a QR, whatever the time.
    let c = m.handle(Event::Fired(Timer::Poll), 2_500.0);
    assert!(has(&c, Command::Fetch(Request::Status)));
    assert!(!has(&c, Command::Fetch(Request::Qr)));
    let c = m.handle(Event::Fired(Timer::Refresh), 600_000.0);
    assert!(c.is_empty() && m.phase() == Phase::Waiting, "{c:?}");
    // The push stream opens: no more polls. Then "connected".
    m.handle(Event::PushOpened, 3_000.0);
    let c = m.handle(Event::Fired(Timer::Poll), 5_000.0);
    assert!(!has(&c, Command::Fetch(Request::Status)));
    let c = m.handle(Event::StatusArrived(PublicState::Connected), 9_000.0);
    assert_eq!(m.phase(), Phase::Connected);
    assert!(emitted(&c).contains(&Emitted::Connected));
}

#[test]
fn pairing_arms_refresh_poll_and_tick_then_refreshes() {
    let mut m = Machine::new(cfg(6, false), false);
    let c = m.handle(Event::Start, 0.0);
    assert!(has(&c, Command::Fetch(Request::Qr)));
    let c = m.handle(qr(1), 0.0);
    assert!(has(&c, Command::Arm(Timer::Refresh, 20_000)));
    assert!(has(&c, Command::Arm(Timer::Poll, 2_500)));
    assert!(has(&c, Command::Arm(Timer::Tick, 1_000)));
    assert_eq!(
        emitted(&c),
        vec![
            Emitted::StateChange(Phase::Pairing),
            Emitted::Qr {
                attempt: 1,
                expires_in_ms: 20_000
            },
            Emitted::Ready
        ]
    );
    // Render comes before the first emit, so callbacks see the new DOM.
    let render = c.iter().position(|x| *x == Command::Render).unwrap();
    let first_emit = c
        .iter()
        .position(|x| matches!(x, Command::Emit(_)))
        .unwrap();
    assert!(render < first_emit);
    assert_eq!(m.frame(5_400.0).seconds_left, 15);
    let c = m.handle(Event::Fired(Timer::Poll), 2_500.0);
    assert!(has(&c, Command::Fetch(Request::Status)) && has(&c, Command::Arm(Timer::Poll, 2_500)));
    let c = m.handle(Event::Fired(Timer::Refresh), 20_000.0);
    assert_eq!(m.phase(), Phase::Refreshing);
    assert!(has(&c, Command::Fetch(Request::Qr)));
    assert_eq!(
        m.frame(20_000.0).qr,
        Some(format!("{PNG}#1").as_str()),
        "previous QR kept"
    );
    m.handle(qr(2), 20_100.0);
    assert_eq!((m.phase(), m.attempt()), (Phase::Pairing, 2));
}

#[test]
fn attempt_cap_expires_and_restart_resets_it() {
    let mut m = Machine::new(cfg(2, false), false);
    m.handle(Event::Start, 0.0);
    m.handle(qr(1), 0.0);
    m.handle(Event::Fired(Timer::Refresh), 0.0);
    m.handle(qr(2), 0.0);
    let c = m.handle(Event::Fired(Timer::Refresh), 0.0);
    assert_eq!(m.phase(), Phase::Expired);
    assert!(emitted(&c).contains(&Emitted::Expired));
    assert!(!has(&c, Command::Fetch(Request::Qr)));
    assert!(
        TIMERS
            .iter()
            .all(|t| *t == Timer::Copied || !m.is_armed(*t)),
        "no pairing timers"
    );
    assert!(m.frame(0.0).qr.is_some(), "the expired QR stays, dimmed");
    // A pushed QR after expiry waits for the person.
    m.handle(qr(3), 0.0);
    assert_eq!(m.phase(), Phase::Expired);
    let c = m.handle(Event::Restart, 0.0);
    assert!(has(&c, Command::Fetch(Request::Qr)));
    m.handle(qr(3), 0.0);
    assert_eq!((m.phase(), m.attempt()), (Phase::Pairing, 1));
}

#[test]
fn rate_limit_waits_retry_after_then_retries_by_itself() {
    let mut m = in_phase(Phase::Pairing);
    m.handle(Event::Fired(Timer::Refresh), 0.0);
    let c = m.handle(
        Event::QrFailed(fail(429, Some(PublicErrorCode::RateLimited), Some(7_000))),
        0.0,
    );
    assert_eq!(m.phase(), Phase::Error);
    assert!(has(&c, Command::Arm(Timer::Retry, 7_000)));
    let f = m.frame(0.0).failure.unwrap();
    assert_eq!(
        (f.kind, f.retry_after_ms),
        (ErrorKind::RateLimited, Some(7_000))
    );
    let c = m.handle(Event::Fired(Timer::Retry), 7_000.0);
    assert!(has(&c, Command::Fetch(Request::Qr)));
    // Without Retry-After: the default wait.
    let mut m = in_phase(Phase::Loading);
    let c = m.handle(Event::QrFailed(fail(429, None, None)), 0.0);
    assert!(has(&c, Command::Arm(Timer::Retry, 5_000)));
}

#[test]
fn unauthorized_renews_the_token_once() {
    let mut m = in_phase(Phase::Loading);
    let expired = fail(401, Some(PublicErrorCode::TokenExpired), None);
    let c = m.handle(Event::QrFailed(expired), 0.0);
    assert!(has(&c, Command::RenewToken));
    let c = m.handle(Event::TokenRenewed(true), 0.0);
    assert!(has(&c, Command::Fetch(Request::Qr)));
    let c = m.handle(Event::QrFailed(expired), 0.0);
    assert!(!has(&c, Command::RenewToken), "only once");
    assert_eq!(m.phase(), Phase::Error);
    assert_eq!(
        m.frame(0.0).failure.map(|f| f.code),
        Some(Some(PublicErrorCode::TokenExpired))
    );
    // Without getToken: straight to the error panel.
    let mut m = Machine::new(cfg(6, false), false);
    m.handle(Event::Start, 0.0);
    let c = m.handle(Event::QrFailed(expired), 0.0);
    assert!(!has(&c, Command::RenewToken));
    assert_eq!(m.phase(), Phase::Error);
    // getToken that gives nothing.
    let mut m = in_phase(Phase::Loading);
    m.handle(Event::QrFailed(expired), 0.0);
    m.handle(Event::TokenRenewed(false), 0.0);
    assert_eq!(
        m.frame(0.0).failure.map(|f| f.kind),
        Some(ErrorKind::Unauthorized)
    );
}

#[test]
fn error_kinds_from_worker_answers() {
    use PublicErrorCode as C;
    let k = |s, c| Failure::from_answer(s, c, None).kind;
    assert_eq!(k(401, Some(C::InvalidToken)), ErrorKind::Unauthorized);
    assert_eq!(k(403, Some(C::OriginNotAllowed)), ErrorKind::Origin);
    assert_eq!(k(403, Some(C::OriginMismatch)), ErrorKind::Origin);
    assert_eq!(k(404, None), ErrorKind::NotFound);
    assert_eq!(k(409, Some(C::NotPairable)), ErrorKind::NotPairable);
    assert_eq!(k(500, Some(C::ConfigError)), ErrorKind::Config);
    assert_eq!(k(502, Some(C::UpstreamError)), ErrorKind::Server);
    assert_eq!(k(418, None), ErrorKind::Server);
    // A passing upstream failure with the worker's wait (its session backs off): retried
    // after it, by itself; without one it waits for the person.
    assert_eq!(
        Failure::from_answer(502, None, Some(3_000)).retry_after_ms,
        Some(3_000)
    );
    assert_eq!(Failure::from_answer(502, None, None).retry_after_ms, None);
    assert_eq!(
        Failure::from_answer(404, None, Some(3_000)).retry_after_ms,
        None
    );
    let mut m = in_phase(Phase::Loading);
    let c = m.handle(
        Event::QrFailed(Failure::from_answer(
            502,
            Some(C::UpstreamError),
            Some(2_000),
        )),
        0.0,
    );
    assert!(has(&c, Command::Arm(Timer::Retry, 2_000)));
    let c = m.handle(Event::Fired(Timer::Retry), 2_000.0);
    assert!(
        has(&c, Command::Fetch(Request::Qr)),
        "asks again after the wait"
    );
}

#[test]
fn hidden_page_pauses_and_resumes_with_a_check() {
    let mut m = in_phase(Phase::Pairing);
    let c = m.handle(Event::Visibility { hidden: true }, 1_000.0);
    for t in [Timer::Refresh, Timer::Poll, Timer::Tick] {
        assert!(has(&c, Command::Disarm(t)) && !m.is_armed(t));
    }
    // Timers that fire anyway while hidden do nothing.
    assert!(m.handle(Event::Fired(Timer::Poll), 2_000.0).is_empty());
    // Back before the QR expired: status now, refresh for the time left.
    let c = m.handle(Event::Visibility { hidden: false }, 5_000.0);
    assert!(has(&c, Command::Fetch(Request::Status)));
    assert!(has(&c, Command::Arm(Timer::Refresh, 15_000)));
    // Hidden again past the expiry: back means a new QR at once.
    m.handle(Event::Visibility { hidden: true }, 6_000.0);
    let c = m.handle(Event::Visibility { hidden: false }, 60_000.0);
    assert!(has(&c, Command::Fetch(Request::Qr)));
    assert_eq!(m.phase(), Phase::Refreshing);
    // A QR that arrives while hidden arms nothing.
    let mut m = Machine::new(cfg(6, false), true);
    m.handle(Event::Start, 0.0);
    let c = m.handle(qr(1), 0.0);
    assert!(!c.iter().any(|x| matches!(x, Command::Arm(..))));
}

#[test]
fn destroy_mid_request_aborts_and_ignores_late_answers() {
    let mut m = in_phase(Phase::Refreshing);
    let c = m.handle(Event::Destroy, 0.0);
    assert!(has(&c, Command::Abort));
    for t in TIMERS {
        assert!(!m.is_armed(t), "{t:?} left armed");
    }
    for (_, e) in events() {
        assert!(m.handle(e, 0.0).is_empty(), "nothing after destroy");
    }
}

#[test]
fn pushed_updates_are_events_like_fetched_ones() {
    // A pushed QR identical to the one on screen is not a new attempt.
    let mut m = in_phase(Phase::Pairing);
    let c = m.handle(qr(1), 100.0);
    assert_eq!(m.attempt(), 1);
    assert!(!emitted(&c).iter().any(|e| matches!(e, Emitted::Qr { .. })));
    // A pushed new QR is.
    m.handle(qr(2), 200.0);
    assert_eq!(m.attempt(), 2);
    // A pushed "connected" while a QR request runs ends everything.
    m.handle(Event::Fired(Timer::Refresh), 300.0);
    let c = m.handle(status(PublicState::Connected), 300.0);
    assert!(has(&c, Command::Abort));
    assert!(emitted(&c).contains(&Emitted::Connected));
    assert!(TIMERS.iter().all(|t| !m.is_armed(*t)));
}

#[test]
fn copy_confirms_then_reverts() {
    let mut m = in_phase(Phase::Pairing);
    let c = m.handle(Event::Copy, 0.0);
    assert!(has(&c, Command::CopyCode) && has(&c, Command::Arm(Timer::Copied, 2_000)));
    assert!(m.frame(0.0).copied);
    m.handle(Event::Fired(Timer::Copied), 2_000.0);
    assert!(!m.frame(0.0).copied);
    let mut m = in_phase(Phase::Loading);
    assert!(
        m.handle(Event::Copy, 0.0).is_empty(),
        "no code, nothing to copy"
    );
}

fn any_event() -> impl Strategy<Value = Event> {
    let failure = (
        prop_oneof![
            Just(0u16),
            Just(401),
            Just(403),
            Just(404),
            Just(409),
            Just(429),
            Just(500),
            Just(502)
        ],
        proptest::option::of(0u32..20_000),
    )
        .prop_map(|(s, w)| {
            if s == 0 {
                Failure::network()
            } else {
                Failure::from_answer(s, None, w)
            }
        });
    prop_oneof![
        Just(Event::Start),
        (1u32..4).prop_map(qr),
        Just(Event::QrArrived(QrAnswer::Connected { number_id: None })),
        prop_oneof![
            Just(PublicState::Connecting),
            Just(PublicState::Connected),
            Just(PublicState::Disconnected),
            Just(PublicState::Unknown)
        ]
        .prop_map(Event::StatusArrived),
        failure.clone().prop_map(Event::QrFailed),
        failure.clone().prop_map(Event::StatusFailed),
        failure.prop_map(Event::PushFailed),
        any::<bool>().prop_map(Event::TokenRenewed),
        (0usize..TIMER_COUNT).prop_map(|i| Event::Fired(TIMERS[i])),
        any::<bool>().prop_map(|hidden| Event::Visibility { hidden }),
        Just(Event::Restart),
        Just(Event::Copy),
        Just(Event::PushOpened),
        Just(Event::PushClosed),
        Just(Event::PushLapsed),
        (0u32..200_000).prop_map(Event::TokenLeft),
        Just(Event::Destroy),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    /// No sequence panics, holds two timers of one kind, passes the attempt cap, or leaves a
    /// timer behind after connected/destroyed; fired timers are only ones the driver holds.
    #[test]
    fn no_sequence_breaks_the_invariants(
        max in 1u32..5,
        renew in any::<bool>(),
        events in proptest::collection::vec(any_event(), 0..80),
    ) {
        let mut m = Machine::new(cfg(max, renew), false);
        let mut held = [0u8; TIMER_COUNT];
        let mut now = 0.0;
        for e in events {
            // Only timers the driver really holds can fire.
            if let Event::Fired(t) = e {
                if held[t as usize] == 0 { continue; }
                held[t as usize] -= 1;
            }
            now += 500.0;
            for c in m.handle(e, now) {
                match c {
                    Command::Arm(t, _) => held[t as usize] += 1,
                    Command::Disarm(t) => held[t as usize] = held[t as usize].saturating_sub(1),
                    _ => {}
                }
            }
            for t in TIMERS {
                prop_assert!(held[t as usize] <= 1, "two {:?} timers", t);
                prop_assert_eq!(held[t as usize] == 1, m.is_armed(t), "{:?} bookkeeping", t);
            }
            prop_assert!(m.attempt() <= max);
            if matches!(m.phase(), Phase::Connected | Phase::Destroyed | Phase::Expired) {
                for t in [Timer::Refresh, Timer::Poll, Timer::Tick, Timer::Retry] {
                    prop_assert!(!m.is_armed(t), "{:?} armed in {:?}", t, m.phase());
                }
            }
            let v = m.frame(now);
            if v.phase == Phase::Error { prop_assert!(v.failure.is_some()); }
            // While pushed updates flow, nothing polls.
            if m.is_pushed() { prop_assert!(!m.is_armed(Timer::Poll), "poll armed under push"); }
        }
    }
}

#[test]
fn typescript_types_list_exactly_the_names_in_use() {
    let ts = pilot_connect_widget::types::typescript();
    let union = |name: &str| -> Vec<String> {
        let line = ts
            .lines()
            .find(|l| l.starts_with(&format!("export type {name} =")))
            .unwrap();
        line.split('"')
            .skip(1)
            .step_by(2)
            .map(str::to_owned)
            .collect()
    };
    let phases: Vec<String> = PHASES.iter().map(|p| p.as_str().to_owned()).collect();
    assert_eq!(union("WidgetState"), phases);
    assert_eq!(union("ErrorKind").len(), 9);
    assert_eq!(union("PilotConnectEventName").len(), 6);
    // Every message key is in the generated interface, once.
    let keys: Vec<&str> = pilot_connect_widget::messages::keys().collect();
    assert_eq!(keys.len(), 61, "one key per message");
    for key in keys {
        assert_eq!(
            ts.matches(&format!("  {key}?: string;")).count(),
            1,
            "{key}"
        );
    }
    // The package's runtime lists (callbacks, options fixed at mount) are generated blocks.
    for (file, want) in [
        ("index.js", pilot_connect_widget::types::index_js_block()),
        ("react.js", pilot_connect_widget::types::react_js_block()),
    ] {
        use pilot_connect_widget::types::{JS_BEGIN, JS_END};
        let path = format!(
            "{}/../pkg-templates/widget/{file}",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(&path).unwrap();
        let (start, stop) = (text.find(JS_BEGIN).unwrap(), text.find(JS_END).unwrap());
        if text[start..stop + JS_END.len()] != want {
            assert!(
                std::env::var_os("PILOT_BLESS").is_some(),
                "{file}'s generated block is out of date (PILOT_BLESS=1 rewrites it):\n{want}"
            );
            let fixed = format!("{}{want}{}", &text[..start], &text[stop + JS_END.len()..]);
            std::fs::write(&path, fixed).unwrap();
        }
    }
    // The documented defaults are the table's.
    let dts = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../pkg-templates/widget/index.d.ts"
    ))
    .unwrap();
    for o in pilot_connect_widget::machine::NUMBER_OPTIONS {
        let at = dts.find(&format!("  {}?: number;", o.key)).unwrap();
        let doc = &dts[dts[..at].rfind("/**").unwrap()..at];
        assert!(
            doc.contains(&format!("default {}", o.default)),
            "index.d.ts documents {}'s default as the table's {}: {doc}",
            o.key,
            o.default
        );
    }
    // The shipped file is exactly this (PILOT_BLESS=1 rewrites it).
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../pkg-templates/widget/types.d.ts"
    );
    if std::env::var_os("PILOT_BLESS").is_some() {
        std::fs::write(path, &ts).unwrap();
    }
    let shipped = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        shipped == ts,
        "pkg-templates/widget/types.d.ts is stale: run PILOT_BLESS=1 cargo test -p pilot-connect-widget --test machine"
    );
}

#[test]
fn fill_replaces_numbers_and_keeps_other_braces() {
    use pilot_connect_widget::messages::fill;
    assert_eq!(fill("Code {n} of {m}", 3, 6), "Code 3 of 6");
    assert_eq!(fill("{n}", 0, 0), "0");
    assert_eq!(fill("{n}{m}", 4_294_967_295, 10), "429496729510");
    assert_eq!(fill("a {x} {n", 1, 2), "a {x} {n");
    assert_eq!(fill("Novo código em {n} s", 20, 0), "Novo código em 20 s");
    assert_eq!(fill("{{n}}", 3, 0), "{3}");
    assert_eq!(fill("{", 1, 2), "{");
    assert_eq!(fill("ñ{m}é{", 1, 2), "ñ2é{");
}

#[test]
fn push_replaces_polling_and_falls_back_to_it() {
    let mut m = Machine::new(cfg(6, false), false);
    m.handle(Event::Start, 0.0);
    let c = m.handle(qr(1), 0.0);
    assert!(
        has(&c, Command::Watch(true)),
        "the first QR asks for the stream"
    );
    assert!(
        has(&c, Command::Arm(Timer::Poll, 2_500)),
        "polling until it is open"
    );
    let c = m.handle(Event::PushOpened, 10.0);
    assert!(has(&c, Command::Disarm(Timer::Poll)));
    assert!(m.is_pushed());
    // Pushed statuses and QRs are ordinary events; nothing polls meanwhile.
    assert!(m.handle(Event::Fired(Timer::Poll), 20.0).is_empty());
    m.handle(qr(2), 30.0);
    assert!(!m.is_armed(Timer::Poll));
    assert_eq!(m.attempt(), 2);
    // Back from a hidden tab (often from WhatsApp): one status check at once even with the
    // stream open (the phone's OS may have frozen the socket), but no poll timer while pushed.
    m.handle(Event::Visibility { hidden: true }, 40.0);
    let c = m.handle(Event::Visibility { hidden: false }, 50.0);
    assert!(has(&c, Command::Fetch(Request::Status)));
    assert!(!m.is_armed(Timer::Poll));
    // The stream drops: polling resumes at once, and the stream is reopened after a backoff
    // of its own, not at the next QR.
    let c = m.handle(Event::PushClosed, 60.0);
    assert!(has(&c, Command::Arm(Timer::Poll, 2_500)));
    assert!(has(&c, Command::Arm(Timer::Reopen, 1_000)));
    assert!(!m.is_pushed());
    let c = m.handle(qr(3), 70.0);
    assert!(
        !has(&c, Command::Watch(true)),
        "a reopen is on its way already"
    );
    let c = m.handle(Event::Fired(Timer::Reopen), 1_070.0);
    assert!(has(&c, Command::Watch(true)));
    m.handle(Event::PushOpened, 1_080.0);
    assert!(!m.is_armed(Timer::Poll), "polls only while it is closed");
    let c = m.handle(status(PublicState::Connected), 90.0);
    assert!(has(&c, Command::Watch(false)));
    assert!(!m.is_pushed());
}

#[test]
fn a_dropped_stream_comes_back_with_growing_backoff_and_a_refused_one_stops() {
    let mut m = Machine::new(cfg(6, false), false);
    m.handle(Event::Start, 0.0);
    m.handle(qr(1), 0.0);
    let mut t = 0.0;
    let mut waits = Vec::new();
    for _ in 0..7 {
        m.handle(Event::PushOpened, t);
        t += 100.0;
        let c = m.handle(Event::PushClosed, t);
        let wait = c.iter().find_map(|c| match c {
            Command::Arm(Timer::Reopen, ms) => Some(*ms),
            _ => None,
        });
        waits.push(wait.unwrap());
        t += 100.0;
        let c = m.handle(Event::Fired(Timer::Reopen), t);
        assert!(has(&c, Command::Watch(true)), "reopened at its own time");
    }
    assert_eq!(waits, [1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
    // A stream that stayed open a while was healthy: the next drop starts afresh.
    m.handle(Event::PushOpened, t);
    let c = m.handle(Event::PushClosed, t + 60_000.0);
    assert!(has(&c, Command::Arm(Timer::Reopen, 1_000)));
    m.handle(Event::Fired(Timer::Reopen), t + 61_000.0);

    // Refused handshakes (the worker or a proxy says no push): twice in a row, then it polls.
    let mut m = Machine::new(cfg(6, false), false);
    m.handle(Event::Start, 0.0);
    m.handle(qr(1), 0.0);
    let c = m.handle(Event::PushClosed, 10.0);
    assert!(has(&c, Command::Arm(Timer::Reopen, 1_000)));
    m.handle(Event::Fired(Timer::Reopen), 1_010.0);
    let c = m.handle(Event::PushClosed, 1_020.0);
    assert!(!c
        .iter()
        .any(|c| matches!(c, Command::Arm(Timer::Reopen, _))));
    assert!(m.push_off());
    assert!(m.is_armed(Timer::Poll), "polls instead");
    let c = m.handle(qr(2), 2_000.0);
    assert!(
        !has(&c, Command::Watch(true)),
        "push is off: not asked again"
    );
}

#[test]
fn failures_the_session_pushes() {
    let not_found = Failure::from_answer(404, Some(PublicErrorCode::NotFound), None);
    let limited = Failure::from_answer(429, Some(PublicErrorCode::RateLimited), Some(5_000));
    // Final: pairing ends, whatever is on screen.
    let mut m = in_phase(Phase::Pairing);
    m.handle(Event::PushFailed(not_found), 0.0);
    assert_eq!(m.phase(), Phase::Error);
    // A wait while a QR is on screen: the QR stays scannable.
    let mut m = in_phase(Phase::Pairing);
    m.handle(Event::PushFailed(limited), 0.0);
    assert_eq!(m.phase(), Phase::Pairing);
    // The same wait while the widget waits for a QR: shown, and retried after it.
    let mut m = Machine::new(cfg(6, false), false);
    m.handle(Event::Start, 0.0);
    let c = m.handle(Event::PushFailed(limited), 0.0);
    assert_eq!(m.phase(), Phase::Error);
    assert!(has(&c, Command::Arm(Timer::Retry, 5_000)));
    // And the session's QR, pushed when it recovers, resumes pairing.
    m.handle(qr(1), 5_000.0);
    assert_eq!(m.phase(), Phase::Pairing);
}

#[test]
fn expiry_and_destroy_close_the_stream() {
    let mut m = Machine::new(cfg(1, false), false);
    m.handle(Event::Start, 0.0);
    m.handle(qr(1), 0.0);
    m.handle(Event::PushOpened, 0.0);
    let c = m.handle(Event::Fired(Timer::Refresh), 0.0);
    assert_eq!(m.phase(), Phase::Expired);
    assert!(
        has(&c, Command::Watch(false)),
        "nobody watches an expired code"
    );
    let mut m = in_phase(Phase::Pairing);
    let c = m.handle(Event::Destroy, 0.0);
    assert!(has(&c, Command::Watch(false)));
}

#[test]
fn locales_are_picked_from_the_option_or_the_browser() {
    use pilot_connect_widget::messages::Locale;
    for (requested, browser, locale) in [
        ("en", "pt-BR", Locale::En),
        ("es-MX", "en", Locale::Es),
        ("EN_gb", "es", Locale::En),
        ("auto", "es-419", Locale::Es),
        ("", "en-US", Locale::En),
        ("pt", "en", Locale::PtBr),
        ("fr", "en", Locale::PtBr),
        ("auto", "", Locale::PtBr),
    ] {
        assert_eq!(
            Locale::pick(requested, browser),
            locale,
            "{requested} / {browser}"
        );
    }
}

#[test]
fn packed_message_lists_read_back_in_order() {
    use pilot_connect_widget::messages::{nth, Locale, Msg};
    assert_eq!(Msg::Title.key(), "title");
    assert_eq!(Msg::ErrorConfig.key(), "errorConfig");
    assert_eq!(Locale::En.text(Msg::Title), "Connect your WhatsApp");
    assert_eq!(Locale::Es.text(Msg::Retry), "Reintentar");
    assert_eq!(
        Locale::PtBr.text(Msg::ErrorConfigTitle),
        "Serviço não configurado"
    );
    let mut keys: Vec<&str> = pilot_connect_widget::messages::keys().collect();
    keys.sort_unstable();
    keys.dedup();
    assert_eq!(keys.len(), 61, "61 distinct, non-empty keys");
    assert!(keys.iter().all(|k| !k.is_empty()));
    for locale in [Locale::PtBr, Locale::En, Locale::Es] {
        // The last message is where a missing separator would show.
        assert!(!locale.text(Msg::ErrorConfig).is_empty());
    }
    assert_eq!(nth("a\0b\0", 1), "b");
    assert_eq!(nth("a\0b\0", 2), "");
    assert_eq!(nth("a\0b\0", 9), "");
    assert_eq!(nth("", 0), "");
}

fn coded(n: u32, code: &str, code_ms: Option<u32>) -> Event {
    Event::QrArrived(QrAnswer::Pairing {
        qr: format!("{PNG}#{n}"),
        pairing_code: Some(code.into()),
        refresh_after_ms: 20_000,
        masked_number: Some("+55 11 9••••-1234".into()),
        code_expires_in_ms: code_ms,
    })
}

fn code_first(max: u32) -> Machine {
    Machine::new(
        Config {
            code_first: true,
            ..cfg(max, false)
        },
        false,
    )
}

#[test]
fn code_first_leads_with_the_code_and_the_qr_is_one_tap_away() {
    let mut m = code_first(6);
    m.handle(Event::Start, 0.0);
    m.handle(coded(1, "ABCD-1234", None), 0.0);
    let v = m.frame(0.0);
    assert!(v.show_code);
    assert_eq!(v.code, Some("ABCD-1234"));
    assert_eq!(v.masked_number, Some("+55 11 9••••-1234"));
    // Unknown lifetime: no countdown is made up.
    assert_eq!(v.code_seconds_left, None);
    assert!(!m.is_armed(Timer::CodeExpiry));
    let c = m.handle(Event::SwitchView, 1.0);
    assert!(has(&c, Command::Render));
    assert!(!m.frame(1.0).show_code);
    m.handle(Event::SwitchView, 2.0);
    assert!(m.shows_code());
    // The page's `mode` can change it too.
    m.handle(Event::CodeFirst(false), 3.0);
    assert!(!m.shows_code());
    // QR first by default.
    assert!(!Machine::new(cfg(6, false), false).shows_code());
}

#[test]
fn code_first_counts_codes_not_qr_rotations() {
    let mut m = code_first(2);
    m.handle(Event::Start, 0.0);
    m.handle(coded(1, "ABCD-1234", None), 0.0);
    // The QR rotates four times within one pairing attempt: the same code, one attempt.
    for n in 2..6 {
        m.handle(Event::Fired(Timer::Refresh), f64::from(n) * 20_000.0);
        m.handle(coded(n, "ABCD-1234", None), f64::from(n) * 20_000.0);
        assert_eq!(m.phase(), Phase::Pairing);
        assert_eq!(m.attempt(), 1);
    }
    // A new code is the next attempt; past the cap, expired with one action.
    m.handle(Event::Fired(Timer::Refresh), 200_000.0);
    m.handle(coded(6, "EFGH-5678", None), 200_000.0);
    assert_eq!(m.attempt(), 2);
    m.handle(Event::Fired(Timer::Refresh), 220_000.0);
    let c = m.handle(coded(7, "JKLM-9012", None), 220_000.0);
    assert_eq!(m.phase(), Phase::Expired);
    assert!(emitted(&c).contains(&Emitted::Expired));
}

#[test]
fn a_known_code_lifetime_counts_down_and_the_next_code_follows_without_a_dead_end() {
    let mut m = code_first(6);
    m.handle(Event::Start, 0.0);
    let c = m.handle(coded(1, "ABCD-1234", Some(90_000)), 0.0);
    assert!(has(&c, Command::Arm(Timer::CodeExpiry, 90_000)));
    assert_eq!(m.frame(0.0).code_seconds_left, Some(90));
    assert_eq!(m.frame(30_500.0).code_seconds_left, Some(60));
    // The lifetime runs out: the next code is asked for at once, the screen says refreshing.
    let c = m.handle(Event::Fired(Timer::CodeExpiry), 90_000.0);
    assert!(has(&c, Command::Fetch(Request::Qr)));
    assert_eq!(m.phase(), Phase::Refreshing);
    m.handle(coded(2, "EFGH-5678", Some(90_000)), 90_100.0);
    assert_eq!(m.phase(), Phase::Pairing);
    assert_eq!(m.frame(90_100.0).code, Some("EFGH-5678"));
    // A lifetime the worker no longer knows clears the countdown and its timer.
    m.handle(Event::Fired(Timer::Refresh), 110_000.0);
    let c = m.handle(coded(3, "EFGH-5678", None), 110_000.0);
    assert!(has(&c, Command::Disarm(Timer::CodeExpiry)));
    assert_eq!(m.frame(110_000.0).code_seconds_left, None);
    // The worker says 0 while the code is still on offer (it has not learned the end yet): no
    // countdown, no timer, so no loop of asking for the same code.
    m.handle(Event::Fired(Timer::Refresh), 130_000.0);
    let c = m.handle(coded(2, "EFGH-5678", Some(0)), 130_000.0);
    assert!(!c.contains(&Command::Arm(Timer::CodeExpiry, 1_000)));
    assert!(!m.is_armed(Timer::CodeExpiry));
    assert_eq!(m.frame(130_000.0).code_seconds_left, None);
}

#[test]
fn time_away_in_whatsapp_neither_expires_the_widget_nor_hides_a_new_code() {
    let mut m = code_first(2);
    m.handle(Event::Start, 0.0);
    m.handle(coded(1, "ABCD-1234", Some(160_000)), 0.0);
    m.handle(Event::Copy, 1_000.0);
    // Away in WhatsApp for 170 s: the session pushes QRs and, after its attempt ended, a new
    // code. None of it counts toward the cap; nothing is armed while hidden.
    let c = m.handle(Event::Visibility { hidden: true }, 2_000.0);
    assert!(has(&c, Command::Disarm(Timer::CodeExpiry)));
    for n in 2..10 {
        let code = if n < 8 { "ABCD-1234" } else { "EFGH-5678" };
        let c = m.handle(
            coded(n, code, Some(160_000)),
            2_000.0 + f64::from(n) * 20_000.0,
        );
        assert!(
            !c.iter().any(|x| matches!(x, Command::Arm(..))),
            "nothing armed while hidden"
        );
    }
    assert_eq!(m.phase(), Phase::Pairing);
    assert_eq!(m.attempt(), 1);
    // Back: a status check at once (push or not), and the new code is marked as new.
    let c = m.handle(Event::Visibility { hidden: false }, 172_000.0);
    assert!(has(&c, Command::Fetch(Request::Status)));
    let v = m.frame(172_000.0);
    assert_eq!(v.code, Some("EFGH-5678"));
    assert!(
        v.code_replaced,
        "the person is told the code changed while away"
    );
    assert_eq!(m.phase(), Phase::Pairing);
    // Copying the new one clears the note.
    m.handle(Event::Copy, 173_000.0);
    assert!(!m.frame(173_000.0).code_replaced);
}

#[test]
fn back_after_the_code_ran_out_while_hidden_asks_for_the_next_one() {
    let mut m = code_first(6);
    m.handle(Event::Start, 0.0);
    m.handle(coded(1, "ABCD-1234", Some(60_000)), 0.0);
    m.handle(Event::Visibility { hidden: true }, 1_000.0);
    // Fired anyway while hidden (a throttled timer): nothing fetched until the page is back.
    let c = m.handle(Event::Fired(Timer::CodeExpiry), 60_000.0);
    assert!(!has(&c, Command::Fetch(Request::Qr)));
    let c = m.handle(Event::Visibility { hidden: false }, 61_000.0);
    assert!(has(&c, Command::Fetch(Request::Status)));
    assert!(
        has(&c, Command::Fetch(Request::Qr)),
        "no known lifetime left: the next code"
    );
}

#[test]
fn a_retry_is_offered_only_where_it_can_help() {
    let mut m = Machine::new(cfg(6, false), false);
    m.handle(Event::Start, 0.0);
    m.handle(
        Event::QrFailed(fail(401, Some(PublicErrorCode::TokenExpired), None)),
        0.0,
    );
    assert!(
        !m.frame(0.0).can_retry,
        "no getToken: retrying the same token cannot succeed"
    );
    let mut m = Machine::new(cfg(6, true), false);
    m.handle(Event::Start, 0.0);
    m.handle(Event::QrFailed(fail(500, None, None)), 0.0);
    assert!(m.frame(0.0).can_retry);
    m.handle(Event::QrFailed(fail(429, None, Some(3_000))), 0.0);
    assert!(!m.frame(0.0).can_retry, "a rate limit retries by itself");
    for (status, code) in [
        (403, PublicErrorCode::OriginNotAllowed),
        (404, PublicErrorCode::NotFound),
        (500, PublicErrorCode::ConfigError),
    ] {
        let mut m = Machine::new(cfg(6, true), false);
        m.handle(Event::Start, 0.0);
        m.handle(Event::QrFailed(fail(status, Some(code), None)), 0.0);
        assert!(!m.frame(0.0).can_retry, "{code:?}: someone else must act");
    }
}

/// A push stream lives no longer than its token: with `getToken`, the widget renews it over the
/// stream a minute before it lapses, and a stream the edge closed for a lapsed token comes back
/// with a fresh one at once (no backoff); without `getToken` a lapse is a drop.
#[test]
fn the_push_streams_token_is_renewed_before_it_lapses_and_after() {
    let mut m = Machine::new(cfg(6, true), false);
    m.handle(Event::Start, 0.0);
    m.handle(qr(1), 0.0);
    assert!(m.handle(Event::PushOpened, 10.0).is_empty() || m.is_pushed());
    assert!(m.is_pushed());
    let c = m.handle(Event::TokenLeft(600_000), 10.0);
    assert!(
        c.contains(&Command::Arm(Timer::TokenRenew, 540_000)),
        "{c:?}"
    );
    // A short-lived token: at half its time; one past its exp (the edge's leeway left): after
    // the least wait, never in a loop.
    let c = m.handle(Event::TokenLeft(30_000), 10.0);
    assert!(
        c.contains(&Command::Arm(Timer::TokenRenew, 15_000)),
        "{c:?}"
    );
    let c = m.handle(Event::TokenLeft(0), 10.0);
    assert!(
        c.contains(&Command::Arm(Timer::TokenRenew, TOKEN_RENEW_MIN_MS)),
        "{c:?}"
    );
    let c = m.handle(Event::Fired(Timer::TokenRenew), 20.0);
    assert_eq!(c, vec![Command::RenewToken]);
    // Fired again while getToken runs: one call.
    assert!(m.handle(Event::Fired(Timer::TokenRenew), 21.0).is_empty());
    let c = m.handle(Event::TokenRenewed(true), 30.0);
    assert_eq!(c, vec![Command::RenewPush]);
    assert_eq!(m.phase(), Phase::Pairing, "nothing visible changes");

    // The edge closed it anyway (a renewal that did not reach it): renewed and reopened now.
    let c = m.handle(Event::PushLapsed, 40.0);
    assert!(c.contains(&Command::RenewToken), "{c:?}");
    assert!(
        !c.iter()
            .any(|x| matches!(x, Command::Arm(Timer::Reopen, _))),
        "no backoff: {c:?}"
    );
    assert!(
        c.contains(&Command::Arm(Timer::Poll, 2_500)),
        "polls meanwhile: {c:?}"
    );
    let c = m.handle(Event::TokenRenewed(true), 50.0);
    assert!(c.contains(&Command::Watch(true)), "{c:?}");
    // getToken gave nothing: a drop, with its backoff, and the requests' own 401 path.
    m.handle(Event::PushOpened, 60.0);
    m.handle(Event::PushLapsed, 70.0);
    let c = m.handle(Event::TokenRenewed(false), 80.0);
    assert!(
        c.iter()
            .any(|x| matches!(x, Command::Arm(Timer::Reopen, _))),
        "{c:?}"
    );

    // Without getToken: a lapse is a drop; no renewal timer is armed.
    let mut plain = Machine::new(cfg(6, false), false);
    plain.handle(Event::Start, 0.0);
    plain.handle(qr(1), 0.0);
    plain.handle(Event::PushOpened, 10.0);
    assert!(plain.handle(Event::TokenLeft(600_000), 10.0).is_empty());
    let c = plain.handle(Event::PushLapsed, 20.0);
    assert!(!c.contains(&Command::RenewToken), "{c:?}");
    assert!(
        c.iter()
            .any(|x| matches!(x, Command::Arm(Timer::Reopen, _))),
        "{c:?}"
    );
    // Connected: the timer goes with the stream.
    m.handle(Event::Fired(Timer::Reopen), 85.0);
    m.handle(Event::PushOpened, 90.0);
    m.handle(Event::TokenLeft(600_000), 90.0);
    let c = m.handle(
        Event::QrArrived(QrAnswer::Connected { number_id: None }),
        100.0,
    );
    assert!(c.contains(&Command::Disarm(Timer::TokenRenew)), "{c:?}");
}

// --- a Meta pairing link: the signup face -----------------------------------------------------

fn signup_machine(c: Config) -> Machine {
    let mut m = Machine::new(c, false);
    m.handle(Event::Start, 0.0);
    let cmds = m.handle(Event::SignupArrived, 10.0);
    assert_eq!(m.phase(), Phase::Waiting);
    assert!(
        has(&cmds, Command::Watch(true)),
        "the edge is watched: {cmds:?}"
    );
    assert!(emitted(&cmds).contains(&Emitted::Ready));
    assert_eq!(m.frame(10.0).signup, Some(SignupStep::Ready));
    m
}

#[test]
fn a_click_opens_the_popup_then_the_window_is_watched_until_connected() {
    let mut m = signup_machine(cfg(3, true));
    let c = m.handle(Event::SignupClicked, 100.0);
    assert_eq!(c, vec![Command::OpenSignup(SignupHow::Popup)]);
    let c = m.handle(Event::SignupOpened(true), 100.0);
    assert_eq!(m.frame(100.0).signup, Some(SignupStep::Open));
    assert!(has(&c, Command::Arm(Timer::SignupCheck, SIGNUP_CHECK_MS)));
    // Each check looks at the window; open, it looks again.
    let c = m.handle(Event::Fired(Timer::SignupCheck), 1_100.0);
    assert_eq!(c, vec![Command::CheckSignup]);
    let c = m.handle(Event::SignupWindow { closed: false }, 1_100.0);
    assert!(has(&c, Command::Arm(Timer::SignupCheck, SIGNUP_CHECK_MS)));
    // The edge says connected (pushed, naming the number): the window is closed, the page told.
    let c = m.handle(
        Event::QrArrived(QrAnswer::Connected {
            number_id: Some("wa_new".into()),
        }),
        2_000.0,
    );
    assert_eq!(m.phase(), Phase::Connected);
    assert!(has(&c, Command::CloseSignup));
    assert!(emitted(&c).contains(&Emitted::Connected));
    assert_eq!(m.number_id(), Some("wa_new"));
    assert!(TIMERS.iter().all(|t| !m.is_armed(*t)), "nothing left armed");
}

#[test]
fn a_window_seen_open_then_closed_offers_reopening_and_keeps_watching() {
    let mut m = signup_machine(cfg(3, true));
    m.handle(Event::SignupClicked, 100.0);
    m.handle(Event::SignupOpened(true), 100.0);
    m.handle(Event::SignupWindow { closed: false }, 1_100.0);
    m.handle(
        Event::SignupWindow { closed: false },
        100.0 + SIGNUP_SEEN_OPEN_MS,
    );
    let c = m.handle(
        Event::SignupWindow { closed: true },
        100.0 + SIGNUP_SEEN_OPEN_MS + 1_000.0,
    );
    assert_eq!(m.frame(0.0).signup, Some(SignupStep::Closed));
    assert!(
        !has(&c, Command::Watch(false)),
        "still watching: a signup may still land"
    );
    assert_eq!(m.phase(), Phase::Waiting);
    // Reopening is the same action.
    assert_eq!(
        m.handle(Event::SignupClicked, 9_000.0),
        vec![Command::OpenSignup(SignupHow::Popup)]
    );
    m.handle(Event::SignupOpened(true), 9_000.0);
    assert_eq!(m.frame(0.0).signup, Some(SignupStep::Open));
}

#[test]
fn a_handle_closed_too_soon_is_never_called_closed_only_possibly_closed() {
    let mut m = signup_machine(cfg(3, true));
    m.handle(Event::SignupClicked, 100.0);
    m.handle(Event::SignupOpened(true), 100.0);
    // COOP same-origin (the handle says closed from its first look, the window is open), or a
    // window closed at once: the face says "if it is no longer open, open it again".
    let c = m.handle(Event::SignupWindow { closed: true }, 1_100.0);
    assert_eq!(m.frame(0.0).signup, Some(SignupStep::Unsure));
    assert!(
        !has(&c, Command::Arm(Timer::SignupCheck, SIGNUP_CHECK_MS)),
        "no more looks"
    );
    assert_eq!(
        m.handle(Event::SignupClicked, 2_000.0),
        vec![Command::OpenSignup(SignupHow::Popup)],
        "reopening is offered"
    );
    // Seen open only before the threshold, then closed: not called closed either.
    let mut m = signup_machine(cfg(3, true));
    m.handle(Event::SignupOpened(true), 100.0);
    m.handle(Event::SignupWindow { closed: false }, 1_100.0);
    m.handle(Event::SignupWindow { closed: true }, 2_000.0);
    assert_eq!(m.frame(0.0).signup, Some(SignupStep::Unsure));
}

#[test]
fn a_phone_navigates_a_refused_popup_navigates_or_in_a_frame_becomes_a_link() {
    let mut m = signup_machine(Config {
        phone: true,
        ..cfg(3, true)
    });
    assert_eq!(
        m.handle(Event::SignupClicked, 100.0),
        vec![Command::OpenSignup(SignupHow::Navigate)]
    );
    let mut m = signup_machine(cfg(3, true));
    m.handle(Event::SignupClicked, 100.0);
    assert_eq!(
        m.handle(Event::SignupOpened(false), 100.0),
        vec![Command::OpenSignup(SignupHow::Navigate)]
    );
    let mut m = signup_machine(Config {
        framed: true,
        ..cfg(3, true)
    });
    m.handle(Event::SignupClicked, 100.0);
    m.handle(Event::SignupOpened(false), 100.0);
    assert_eq!(m.frame(0.0).signup, Some(SignupStep::Blocked));
    assert!(m
        .handle(Event::Fired(Timer::SignupCheck), 1_100.0)
        .is_empty());
}

#[test]
fn an_expired_link_is_told_once_and_get_token_starts_a_new_one() {
    let expired = fail(410, Some(PublicErrorCode::LinkExpired), None);
    assert_eq!(expired.kind, ErrorKind::LinkExpired);
    assert_eq!(ErrorKind::LinkExpired.as_str(), "link_expired");
    // With getToken: onError(link_expired), a new token, a new link's face.
    let mut m = signup_machine(cfg(3, true));
    m.handle(Event::SignupOpened(true), 100.0);
    let c = m.handle(Event::PushFailed(expired), 500.0);
    assert_eq!(
        emitted(&c),
        vec![
            Emitted::Error(expired),
            Emitted::StateChange(Phase::Loading)
        ]
    );
    assert!(has(&c, Command::RenewToken) && has(&c, Command::Watch(false)));
    let c = m.handle(Event::TokenRenewed(true), 600.0);
    assert!(has(&c, Command::Fetch(Request::Qr)));
    m.handle(Event::SignupArrived, 700.0);
    assert_eq!(
        m.frame(700.0).signup,
        Some(SignupStep::Ready),
        "the new link starts afresh"
    );
    // getToken gives none: the expired panel, told once.
    let mut m = signup_machine(cfg(3, true));
    m.handle(Event::QrFailed(expired), 500.0);
    let c = m.handle(Event::TokenRenewed(false), 600.0);
    assert_eq!(m.phase(), Phase::Error);
    assert!(
        !emitted(&c).iter().any(|e| matches!(e, Emitted::Error(_))),
        "{c:?}"
    );
    assert!(m.frame(0.0).can_retry, "try again asks getToken again");
    let c = m.handle(Event::Restart, 700.0);
    assert!(has(&c, Command::Fetch(Request::Qr)));
    let c = m.handle(Event::QrFailed(expired), 800.0);
    assert!(has(&c, Command::RenewToken), "asked again: {c:?}");
    // Without getToken: the panel, no retry.
    let mut m = signup_machine(cfg(3, false));
    let c = m.handle(Event::QrFailed(expired), 500.0);
    assert_eq!(m.phase(), Phase::Error);
    assert!(emitted(&c).contains(&Emitted::Error(expired)));
    assert!(!m.frame(0.0).can_retry);
}

#[test]
fn only_https_or_loopback_http_signup_urls_open() {
    for ok in [
        "https://connect.pilotstatus.com.br/connect/abc",
        "http://127.0.0.1:8787/connect/abc",
        "http://localhost:3000/connect/abc",
        "http://[::1]:8080/connect/abc",
    ] {
        assert!(signup_url_ok(ok), "{ok}");
    }
    for bad in [
        "javascript:alert(1)",
        "data:text/html,x",
        "http://evil.example/connect/abc",
        "http://127.0.0.1.evil.example/x",
        "http://127.0.0.99999999999999999999/x",
        "http://127.0.0/x",
        "http://localhost@evil.example/x",
        "https://",
        "https:///x",
        "https://a b",
        "//connect.example/x",
    ] {
        assert!(!signup_url_ok(bad), "{bad}");
    }
}
