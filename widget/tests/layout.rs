//! The view's per-state table, natively: which parts each phase and face shows, and what they
//! say, from the same `scene()` the browser applies; and the template holds each part once.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use pilot_connect_widget::layout::{scene, Part, Texts, CLASSES, PARTS, TEMPLATE};
use pilot_connect_widget::machine::{ErrorKind, Failure, Frame, Phase};
use pilot_connect_widget::messages::{Locale, Msg};

struct En;
impl Texts for En {
    fn text(&self, m: Msg) -> String {
        Locale::En.text(m).to_owned()
    }
}

const PNG: &str = "data:image/png;base64,iVBORw0KGgo=";

fn frame(phase: Phase, show_code: bool) -> Frame<'static> {
    Frame {
        phase,
        qr: (!matches!(phase, Phase::Loading | Phase::Idle)).then_some(PNG),
        code: (!matches!(phase, Phase::Loading | Phase::Idle)).then_some("ABCD-1234"),
        attempt: 1,
        max_attempts: 6,
        seconds_left: 20,
        failure: (phase == Phase::Error).then_some(Failure {
            kind: ErrorKind::Server,
            code: None,
            retry_after_ms: None,
        }),
        copied: false,
        show_code,
        masked_number: Some("+55 11 9••••-1234"),
        code_seconds_left: None,
        code_replaced: false,
        can_retry: true,
        detail: None,
        signup: None,
    }
}

#[test]
fn template_holds_each_part_exactly_once() {
    assert_eq!(CLASSES.split_terminator('\0').count(), PARTS);
    let classes: Vec<&str> = TEMPLATE
        .split("class=\"")
        .skip(1)
        .flat_map(|rest| rest.split('"').next().unwrap().split(' '))
        .collect();
    for p in Part::ALL {
        assert_eq!(
            classes.iter().filter(|c| **c == p.class()).count(),
            1,
            "{}",
            p.class()
        );
    }
}

#[test]
fn every_phase_shows_one_panel_and_what_it_needs() {
    use Part::*;
    // (phase, code face, shown, not shown)
    let table: [(Phase, bool, &[Part], &[Part]); 9] = [
        (
            Phase::Loading,
            false,
            &[Pair, Frame, Skeleton, Timer],
            &[Qr, CodeBox, Error, Done, Switch, NewCode],
        ),
        (
            Phase::Loading,
            true,
            &[Pair, CodeBox, Timer],
            &[Frame, Copy, Error, Done],
        ),
        (
            Phase::Pairing,
            false,
            &[Pair, Frame, Qr, Timer, Switch, NewCode, NumberLine],
            &[Skeleton, CodeBox, Reload, Error, Done],
        ),
        (
            Phase::Pairing,
            true,
            &[
                Pair, CodeBox, Code, Copy, NumberLine, CodeLife, Switch, NewCode,
            ],
            &[Frame, Timer, CodeNote, Error, Done],
        ),
        (
            Phase::Refreshing,
            true,
            &[Pair, CodeBox, Timer],
            &[Frame, NewCode, Error],
        ),
        (
            Phase::Expired,
            false,
            &[Pair, Frame, Qr, Reload, Timer],
            &[Switch, NewCode, CodeBox, Error],
        ),
        (
            Phase::Expired,
            true,
            &[Pair, CodeBox, NewCode, Timer],
            &[Reload, Copy, Switch, Error],
        ),
        (Phase::Error, false, &[Error, Retry], &[Pair, Done]),
        (Phase::Connected, true, &[Done], &[Pair, Error]),
    ];
    for (phase, code, yes, no) in table {
        let s = scene(&frame(phase, code), &En);
        for p in yes {
            assert!(s.shown(*p), "{phase:?} code={code}: {p:?} should show");
        }
        for p in no {
            assert!(!s.shown(*p), "{phase:?} code={code}: {p:?} should not show");
        }
        assert_eq!(s.face, if code { "code" } else { "qr" });
    }
}

#[test]
fn the_steps_and_the_switch_follow_the_face() {
    let qr = scene(&frame(Phase::Pairing, false), &En);
    assert_eq!(
        qr.text(Part::Step4),
        Some("Point your phone at this QR code.")
    );
    assert_eq!(
        qr.text(Part::Switch),
        Some("Link with phone number instead")
    );
    let code = scene(&frame(Phase::Pairing, true), &En);
    assert!(code
        .text(Part::Step4)
        .unwrap()
        .contains("Link with phone number instead"));
    assert_eq!(code.text(Part::Switch), Some("Show QR code"));
    assert_eq!(
        code.text(Part::Step3),
        Some("Tap Linked devices, then Link a device.")
    );
    assert_eq!(code.text(Part::Number), Some("+55 11 9••••-1234"));
    // No known lifetime: an honest sentence, never a made-up countdown.
    assert_eq!(
        code.text(Part::CodeLife),
        Some("If this code expires, a new one appears here.")
    );
    let mut f = frame(Phase::Pairing, true);
    f.code_seconds_left = Some(42);
    assert_eq!(
        scene(&f, &En).text(Part::CodeLife),
        Some("Valid for 42 more seconds")
    );
    f.code_replaced = true;
    assert!(scene(&f, &En).shown(Part::CodeNote));
    assert!(code
        .text(Part::Status)
        .unwrap()
        .starts_with("Enter the linking code in WhatsApp."));
    // No code from the provider: the QR leads whatever was asked, and there is nothing to switch to.
    let mut f = frame(Phase::Pairing, true);
    f.code = None;
    let s = scene(&f, &En);
    assert_eq!(s.face, "qr");
    assert!(!s.shown(Part::Switch));
}

#[test]
fn dashboard_copy_never_says_close_this_window() {
    for locale in [Locale::PtBr, Locale::En, Locale::Es] {
        for m in [
            Msg::ConnectedText,
            Msg::ErrorUnauthorized,
            Msg::ErrorExpired,
        ] {
            let t = locale.text(m).to_lowercase();
            for banned in [
                "close this window",
                "fechar esta janela",
                "cerrar esta ventana",
                "sent you here",
                "enviou você",
            ] {
                assert!(!t.contains(banned), "{locale:?} {m:?}: {t}");
            }
        }
    }
}

#[test]
fn an_unhelpful_retry_is_not_offered() {
    let mut f = frame(Phase::Error, false);
    f.can_retry = false;
    assert!(!scene(&f, &En).shown(Part::Retry));
}

/// A page that passed branding and a next step.
struct Branded(pilot_connect_wire::Branding, Option<&'static str>);
impl Texts for Branded {
    fn text(&self, m: Msg) -> String {
        Locale::En.text(m).to_owned()
    }
    fn brand(&self) -> pilot_connect_wire::Branding {
        self.0.clone()
    }
    fn next_label(&self) -> Option<String> {
        self.1.map(str::to_owned)
    }
}

#[test]
fn branding_shows_in_every_face_and_nothing_without_it() {
    use pilot_connect_wire::{Branding, BrandingField as F};
    let full = Branding::default()
        .with(F::CompanyName, "Acme")
        .with(F::Subtitle, "Link the clinic's number")
        .with(F::LogoUrl, "https://logo.test/a.png")
        .with(F::SupportUrl, "https://help.test");
    for phase in [
        Phase::Loading,
        Phase::Pairing,
        Phase::Expired,
        Phase::Error,
        Phase::Connected,
    ] {
        for code in [false, true] {
            let s = scene(&frame(phase, code), &Branded(full.clone(), None));
            for p in [Part::Head, Part::Logo, Part::Company, Part::Help] {
                assert!(s.shown(p), "{phase:?} {p:?}");
            }
            // Connected, the success line takes the title area's place (the brand line stays).
            let connected = phase == Phase::Connected;
            assert_eq!(s.shown(Part::Title), !connected, "{phase:?}");
            assert_eq!(s.shown(Part::Subtitle), !connected, "{phase:?}");
            assert_eq!(s.text(Part::Company), Some("Acme"));
            assert_eq!(s.text(Part::Subtitle), Some("Link the clinic's number"));
            assert_eq!(s.text(Part::Help), Some("Need help?"));
            let bare = scene(&frame(phase, code), &En);
            for p in [
                Part::Head,
                Part::Logo,
                Part::Company,
                Part::Subtitle,
                Part::Help,
            ] {
                assert!(!bare.shown(p), "no branding: {phase:?} {p:?} hidden");
            }
        }
    }
    // A name without a logo: the brand line shows, the image does not.
    let name_only = Branding::default().with(F::CompanyName, "Acme");
    let s = scene(&frame(Phase::Pairing, false), &Branded(name_only, None));
    assert!(s.shown(Part::Head) && s.shown(Part::Company) && !s.shown(Part::Logo));
}

#[test]
fn connected_is_the_success_line_the_number_and_the_next_step() {
    let s = scene(
        &frame(Phase::Connected, false),
        &Branded(Default::default(), Some("Go to the inbox")),
    );
    assert!(s.shown(Part::Done) && !s.shown(Part::Pair) && !s.shown(Part::Error));
    assert!(s.shown(Part::DoneNumber));
    assert_eq!(s.text(Part::DoneNumber), Some("+55 11 9••••-1234"));
    assert!(s.shown(Part::Next));
    assert_eq!(s.text(Part::Next), Some("Go to the inbox"));
    let mut f = frame(Phase::Connected, false);
    f.masked_number = None;
    let plain = scene(&f, &En);
    assert!(
        !plain.shown(Part::Next),
        "no next step unless the host passes one"
    );
    assert!(
        !plain.shown(Part::DoneNumber),
        "no number line when the number is not known"
    );
}

#[test]
fn a_pairing_links_face_has_one_action_then_says_where_the_signup_stands() {
    use pilot_connect_widget::machine::SignupStep;
    use Part::*;
    let at = |step: SignupStep| {
        let mut f = frame(Phase::Waiting, false);
        f.detail = Some("PENDING");
        f.signup = Some(step);
        scene(&f, &En)
    };
    let ready = at(SignupStep::Ready);
    for p in [Wait, WaitTitle, WaitText, Signup] {
        assert!(ready.shown(p), "{p:?}");
    }
    for p in [SignupNote, SignupLink, WaitDetail, Pair, Error, Done] {
        assert!(!ready.shown(p), "{p:?}");
    }
    assert_eq!(ready.text(Signup), Some("Continue with Facebook"));
    assert_eq!(
        ready.text(WaitTitle),
        Some("Connect your official WhatsApp number")
    );
    let open = at(SignupStep::Open);
    assert!(open.shown(SignupNote) && open.shown(Signup));
    assert_eq!(open.text(Signup), Some("Reopen the window"));
    assert!(open.text(SignupNote).unwrap().contains("Facebook window"));
    let blocked = at(SignupStep::Blocked);
    assert!(blocked.shown(SignupLink) && blocked.shown(SignupNote) && !blocked.shown(Signup));
    assert_eq!(blocked.text(SignupLink), Some("Open in a new tab"));
    let unsure = at(SignupStep::Unsure);
    assert!(unsure.shown(Signup) && unsure.text(SignupNote).unwrap().contains("no longer open"));
    let closed = at(SignupStep::Closed);
    assert!(closed.shown(Signup) && closed.text(SignupNote).unwrap().contains("closed"));
    // An official number's waiting face is unchanged: Meta's word, no signup action.
    let mut f = frame(Phase::Waiting, false);
    f.detail = Some("PENDING");
    let official = scene(&f, &En);
    assert!(official.shown(WaitDetail) && !official.shown(Signup) && !official.shown(SignupLink));
    assert_eq!(official.text(WaitTitle), Some("Official WhatsApp number"));
}

/// `build.rs`'s minifier keeps every selector as written: each `<something> :pseudo` of the
/// source (a descendant, then a pseudo-class) is still a descendant in the shipped CSS. It once
/// dropped that space, and `.psw[data-variant="plain"] :is(.title, …)` hid nothing.
#[test]
fn the_minified_css_keeps_descendants_before_pseudo_classes() {
    use pilot_connect_widget::layout::CSS;
    let source = include_str!("../src/widget.css");
    let mut found = 0;
    for line in source.lines().filter(|l| !l.trim_start().starts_with("/*")) {
        let selector = line.split('{').next().unwrap_or_default();
        for (i, _) in selector.match_indices(" :") {
            let before = selector[..i].trim_end();
            if before.is_empty() || before.ends_with([',', '>', '(', '{', ';', '}', ':']) {
                continue;
            }
            let pseudo: String = selector[i + 1..]
                .chars()
                .take_while(|c| !c.is_whitespace() && *c != '{')
                .collect();
            let tail = before.rsplit(' ').next().unwrap_or_default();
            let want = format!(
                "{tail} {}",
                pseudo.split(['(', ',']).next().unwrap_or_default()
            );
            assert!(
                CSS.contains(&want),
                "{want:?} lost its descendant space in the minified CSS"
            );
            found += 1;
        }
    }
    assert!(found >= 1, "the check saw the plain variant's selector");
    assert!(
        CSS.contains(r#".psw[data-variant="plain"] :is(.title,.head,.subtitle){display:none}"#),
        "{CSS}"
    );
}
