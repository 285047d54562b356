//! What the widget shows for a frame, as data: which parts of the template are visible and
//! what each says. Pure (no DOM), so the per-state table is tested natively like the machine;
//! `view` only applies a [`Scene`] to the shadow DOM.

use alloc::string::String;
use alloc::vec::Vec;

use pilot_connect_wire::{Branding, PublicErrorCode};

use crate::machine::{ErrorKind, Failure, Frame, Phase, SignupStep};
use crate::messages::{fill, nth, Msg};

/// The texts of one render, resolved by the driver (built-ins or the page's overrides).
pub trait Texts {
    /// The text of `m`.
    fn text(&self, m: Msg) -> String;

    /// The branding shown (the page's over the tenant's).
    fn brand(&self) -> Branding {
        Branding::default()
    }

    /// The label of the connected face's action (`options.nextStep`), if any.
    fn next_label(&self) -> Option<String> {
        None
    }
}

macro_rules! parts {
    ($( $(#[$doc:meta])* $name:ident $class:literal ),* $(,)?) => {
        /// The elements a render touches. One list: the enum, [`CLASSES`] (how `stamp` finds
        /// each in the template) and [`PARTS`] come from it; a native test checks that the
        /// template holds each class exactly once.
        #[derive(Clone, Copy, PartialEq, Eq, Debug)]
        pub enum Part { $( $(#[$doc])* $name, )* }

        /// The class of each [`Part`], in order, NUL-terminated (`stamp` in `page.js` looks
        /// them up in one pass).
        pub const CLASSES: &str = concat!($( $class, "\0", )*);

        /// How many parts there are.
        pub const PARTS: usize = [$( $class, )*].len();

        impl Part {
            /// Every part, in order.
            pub const ALL: [Part; PARTS] = [$( Part::$name, )*];
        }
    };
}

parts! {
    /// The brand line: the logo and the company's name (shown when either is set).
    Head "head",
    /// The tenant's logo (`https:` only, set by property; hidden when it fails to load).
    Logo "logo",
    Company "company",
    Title "title",
    /// The tenant's subtitle.
    Subtitle "subtitle",
    /// The pairing area (QR or code, steps, actions).
    Pair "pair",
    /// The QR's frame (QR first).
    Frame "frame",
    Skeleton "skeleton",
    /// The QR image.
    Qr "qr",
    /// The "get a new code" action over an expired QR.
    Reload "reload",
    ReloadLabel "reload-label",
    /// The pairing code's box (code first).
    CodeBox "code-box",
    CodeTitle "code-title",
    Code "code",
    /// The copy action.
    Copy "copy",
    /// "For the number +55 11 9••••-1234".
    NumberLine "number-line",
    ForNumber "for-number",
    Number "number",
    /// How long the code stays valid (or that a new one will replace it).
    CodeLife "code-life",
    /// "This is a new code" after it changed while the person was away.
    CodeNote "code-note",
    Step1 "s1",
    Step2 "s2",
    Step3 "s3",
    Step4 "s4",
    Timer "timer",
    /// Switches between the QR and the pairing code.
    Switch "switch",
    /// The "get a new code" action while pairing.
    NewCode "new-code",
    Error "error",
    ErrorTitle "error-title",
    ErrorText "error-text",
    /// The error panel's one action.
    Retry "retry",
    /// An official number waiting on Meta.
    Wait "wait",
    WaitTitle "wait-title",
    WaitText "wait-text",
    /// "Status at Meta: PENDING" (when the edge read one).
    WaitDetail "wait-detail",
    WaitLabel "wait-label",
    MetaStatus "meta-status",
    /// A Meta pairing link: where its signup stands (open, blocked, closed).
    SignupNote "signup-note",
    /// "Continue with Facebook" (or "Reopen the window"): opens the hosted signup.
    Signup "signup",
    /// The hosted signup as a plain link (a refused popup); its `href` is set by property.
    SignupLink "signup-link",
    Done "done",
    DoneTitle "done-title",
    /// The connected number, masked.
    DoneNumber "done-number",
    DoneText "done-text",
    /// The host's next step (`options.nextStep`), a link styled as the primary action.
    Next "next",
    /// "Need help?", to the tenant's `supportUrl`.
    Help "help",
    /// The screen reader's polite announcement.
    Status "status",
}

/// The panels that share one grid cell, so the widget keeps one height across the states before
/// "connected" (the tallest): hidden ones stay laid out, invisible and inert (`data-off`), not
/// removed. Connected (and waiting on Meta: nothing to pair), the others leave the layout and the
/// widget is as tall as the panel shown: the height changes once, at the end.
pub const STACKED: [Part; 4] = [Part::Pair, Part::Error, Part::Wait, Part::Done];

/// Parts inside the pairing area that come and go with the state (the countdown, the actions,
/// the code's lines): hidden the same way, so they keep their room and the widget does not jump
/// between loading, pairing and connected. (The "new code" note is not: it appears only when
/// the person comes back to a replaced code, and an empty line would sit in every code box.)
pub const RESERVED: [Part; 6] = [
    Part::Timer,
    Part::Switch,
    Part::NewCode,
    Part::Copy,
    Part::NumberLine,
    Part::CodeLife,
];

/// The widget's stylesheet, minified from `widget.css` by `build.rs`.
pub const CSS: &str = include_str!(concat!(env!("OUT_DIR"), "/widget.min.css"));

/// The widget's markup: static and trusted (no page or server data is ever put in HTML; texts
/// go in with `textContent`). Stamped by one `innerHTML` (`stamp` in `page.js`).
pub const TEMPLATE: &str = concat!(
    r#"<div class="psw" part="container"><div class="head" part="header">"#,
    r#"<img class="logo" part="logo" alt="" referrerpolicy="no-referrer"><span class="company"></span></div>"#,
    r#"<h2 class="title"></h2><p class="subtitle"></p><div class="stack">"#,
    r#"<div class="pair"><div class="visual">"#,
    r#"<div class="frame" part="qr-frame"><div class="skeleton" aria-hidden="true"></div>"#,
    r#"<img class="qr" part="qr" width="240" height="240" hidden>"#,
    r#"<button type="button" part="button" class="reload primary" hidden>"#,
    r#"<svg viewBox="0 0 24 24" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"><path d="M20 12a8 8 0 1 1-2.34-5.66M20 4v5h-5"/></svg>"#,
    r#"<span class="reload-label"></span></button></div>"#,
    r#"<div class="code-box" part="code-box"><p class="code-title"></p>"#,
    r#"<bdi class="code" dir="ltr" part="code"></bdi>"#,
    r#"<button type="button" part="button" class="copy primary"></button>"#,
    r#"<p class="number-line"><span class="for-number"></span> <bdi class="number" dir="ltr"></bdi></p>"#,
    r#"<p class="code-life"></p><p class="code-note"></p></div></div>"#,
    r#"<div class="side"><ol class="steps"><li class="s1"></li><li class="s2"></li><li class="s3"></li><li class="s4"></li></ol>"#,
    r#"<p class="timer"></p><div class="actions"><button type="button" part="button" class="switch"></button>"#,
    r#"<button type="button" part="button" class="new-code"></button></div></div></div>"#,
    r#"<div class="panel error" role="alert">"#,
    r#"<svg viewBox="0 0 24 24" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"><circle cx="12" cy="12" r="10"/><path d="M12 7v6M12 16.5v.5"/></svg>"#,
    r#"<h3 class="error-title"></h3><p class="error-text"></p><button type="button" part="button" class="retry primary"></button></div>"#,
    r#"<div class="panel wait">"#,
    r#"<svg viewBox="0 0 24 24" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"><circle cx="12" cy="12" r="10"/><path d="M12 7v5l3 2"/></svg>"#,
    r#"<h3 class="wait-title"></h3><p class="wait-text"></p>"#,
    r#"<p class="wait-detail"><span class="wait-label"></span> <bdi class="meta-status" dir="ltr"></bdi></p>"#,
    r#"<p class="signup-note" role="status"></p><button type="button" part="button" class="signup primary"></button>"#,
    r#"<a class="signup-link" part="link" target="_blank" rel="noopener noreferrer"></a></div>"#,
    r#"<div class="panel done">"#,
    r#"<svg viewBox="0 0 24 24" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"><circle cx="12" cy="12" r="10"/><path d="m7.5 12.5 3 3 6-6.5"/></svg>"#,
    r#"<h3 class="done-title"></h3><bdi class="done-number" dir="ltr"></bdi><p class="done-text"></p>"#,
    r#"<a class="next" part="button"></a></div></div>"#,
    r#"<a class="help" part="link" target="_blank" rel="noopener noreferrer"></a>"#,
    r#"<p class="status sr" role="status" aria-live="polite"></p></div>"#,
);

impl Part {
    /// Its class in the template.
    #[must_use]
    pub fn class(self) -> &'static str {
        nth(CLASSES, self as usize)
    }
}

/// What one frame shows: each part's visibility and text (`None`: leave it as it is).
pub struct Scene {
    /// Visible parts, by `Part as usize`.
    pub shown: [bool; PARTS],
    /// Texts, by `Part as usize`.
    pub texts: Vec<Option<String>>,
    /// `qr` or `code`: which one leads (`data-face`, for the CSS).
    pub face: &'static str,
}

impl Scene {
    /// Whether `p` is visible.
    #[must_use]
    pub fn shown(&self, p: Part) -> bool {
        self.shown[p as usize]
    }

    /// The text of `p`, if this frame sets one.
    #[must_use]
    pub fn text(&self, p: Part) -> Option<&str> {
        self.texts.get(p as usize).and_then(|t| t.as_deref())
    }
}

/// Parts whose text is one message, whatever the state.
const FIXED_TEXTS: [(Part, Msg); 16] = [
    (Part::Title, Msg::Title),
    (Part::ReloadLabel, Msg::Reload),
    (Part::CodeTitle, Msg::CodeTitle),
    (Part::ForNumber, Msg::ForNumber),
    (Part::CodeNote, Msg::CodeReplaced),
    (Part::Step1, Msg::Step1),
    (Part::Step2, Msg::Step2),
    (Part::Step3, Msg::Step3),
    (Part::NewCode, Msg::NewCode),
    (Part::Retry, Msg::Retry),
    (Part::DoneTitle, Msg::Connected),
    (Part::DoneText, Msg::ConnectedText),
    (Part::Help, Msg::Help),
    (Part::WaitTitle, Msg::WaitTitle),
    (Part::WaitText, Msg::WaitText),
    (Part::WaitLabel, Msg::MetaStatus),
];

/// The scene of frame `f`.
#[must_use]
pub fn scene(f: &Frame<'_>, t: &impl Texts) -> Scene {
    let mut texts: Vec<Option<String>> = (0..PARTS).map(|_| None).collect();
    let mut set = |p: Part, s: String| {
        if let Some(slot) = texts.get_mut(p as usize) {
            *slot = Some(s);
        }
    };
    for (part, msg) in FIXED_TEXTS {
        set(part, t.text(msg));
    }

    let pairing = matches!(
        f.phase,
        Phase::Idle | Phase::Loading | Phase::Pairing | Phase::Refreshing | Phase::Expired
    );
    let live = matches!(f.phase, Phase::Pairing | Phase::Refreshing);
    let expired = f.phase == Phase::Expired;
    let failure = f.failure.filter(|_| f.phase == Phase::Error);
    // The code leads when asked, unless the provider gave no code (then only the QR can
    // link); while loading the code face shows its own skeleton.
    let code_face = f.show_code && (f.code.is_some() || !live);
    let code_known = f.code.is_some();
    let brand = t.brand();
    let next = t.next_label();
    let connected = f.phase == Phase::Connected;
    let signup = f.signup;

    let mut shown = [false; PARTS];
    for (part, visible) in [
        (
            Part::Head,
            brand.logo_url().is_some() || brand.company_name().is_some(),
        ),
        (Part::Logo, brand.logo_url().is_some()),
        (Part::Company, brand.company_name().is_some()),
        // Connected, the success line is the title: the call to link and its subtitle go.
        (Part::Title, !connected),
        (Part::Subtitle, brand.subtitle().is_some() && !connected),
        (Part::Pair, pairing),
        (Part::Error, failure.is_some()),
        (Part::Wait, f.phase == Phase::Waiting),
        (Part::WaitTitle, true),
        (Part::WaitText, true),
        (Part::WaitDetail, f.detail.is_some() && signup.is_none()),
        (
            Part::SignupNote,
            matches!(
                signup,
                Some(
                    SignupStep::Open
                        | SignupStep::Blocked
                        | SignupStep::Closed
                        | SignupStep::Unsure
                )
            ),
        ),
        // Blocked, the link is the action (the button would be refused again).
        (
            Part::Signup,
            signup.is_some() && signup != Some(SignupStep::Blocked),
        ),
        (Part::SignupLink, signup == Some(SignupStep::Blocked)),
        (Part::WaitLabel, true),
        (Part::MetaStatus, true),
        (Part::Done, connected),
        (Part::Frame, !code_face),
        // The QR slot: a skeleton until the first QR, then the QR (dimmed while refreshing
        // and when expired, with the reload action on it when expired).
        (Part::Qr, f.qr.is_some()),
        (Part::Skeleton, f.qr.is_none() && pairing),
        (Part::Reload, expired),
        (Part::CodeBox, code_face),
        (Part::CodeTitle, true),
        (Part::Code, true),
        (Part::Copy, code_face && live && code_known),
        (Part::NumberLine, f.masked_number.is_some()),
        (Part::ForNumber, true),
        (Part::Number, true),
        (Part::CodeLife, code_face && live && code_known),
        (Part::CodeNote, code_face && live && f.code_replaced),
        (Part::Step1, true),
        (Part::Step2, true),
        (Part::Step3, true),
        (Part::Step4, true),
        // QR first: the countdown (or loading / refreshing / expired). Code first the code
        // says how long it lasts; the line is only for loading, refreshing and expired.
        (
            Part::Timer,
            if code_face {
                !live || f.phase == Phase::Refreshing
            } else {
                live || expired || f.phase == Phase::Loading
            },
        ),
        (Part::Switch, live && code_known),
        (
            Part::NewCode,
            f.phase == Phase::Pairing || (code_face && expired),
        ),
        (Part::ErrorTitle, true),
        (Part::ErrorText, true),
        (Part::Retry, failure.is_some() && f.can_retry),
        (Part::DoneTitle, true),
        (Part::DoneNumber, f.masked_number.is_some()),
        (Part::DoneText, true),
        (Part::Next, next.is_some()),
        (Part::Help, brand.support_url().is_some()),
        (Part::Status, true),
    ] {
        shown[part as usize] = visible;
    }
    // On an expired code face the reload lives in the actions (the QR's overlay is not shown).
    if code_face && expired {
        shown[Part::Reload as usize] = false;
    }

    set(
        Part::Step4,
        t.text(if code_face {
            Msg::CodeStep4
        } else {
            Msg::Step4
        }),
    );
    set(
        Part::Switch,
        t.text(if code_face { Msg::ShowQr } else { Msg::UseCode }),
    );
    set(Part::Code, String::from(f.code.unwrap_or("")));
    set(Part::Number, String::from(f.masked_number.unwrap_or("")));
    set(Part::MetaStatus, String::from(f.detail.unwrap_or("")));
    if let Some(step) = signup {
        set(Part::WaitTitle, t.text(Msg::SignupTitle));
        set(Part::WaitText, t.text(Msg::SignupText));
        set(
            Part::Signup,
            t.text(match step {
                SignupStep::Ready => Msg::Signup,
                _ => Msg::SignupReopen,
            }),
        );
        set(Part::SignupLink, t.text(Msg::SignupNewTab));
        set(
            Part::SignupNote,
            match step {
                SignupStep::Open => t.text(Msg::SignupOpen),
                SignupStep::Blocked => t.text(Msg::SignupBlocked),
                SignupStep::Closed => t.text(Msg::SignupClosed),
                SignupStep::Unsure => t.text(Msg::SignupUnsure),
                SignupStep::Ready => String::new(),
            },
        );
    }
    set(
        Part::DoneNumber,
        String::from(f.masked_number.unwrap_or("")),
    );
    set(
        Part::Company,
        String::from(brand.company_name().unwrap_or("")),
    );
    set(Part::Subtitle, String::from(brand.subtitle().unwrap_or("")));
    set(Part::Next, next.unwrap_or_default());
    set(
        Part::Copy,
        t.text(if f.copied { Msg::Copied } else { Msg::Copy }),
    );
    set(
        Part::CodeLife,
        match f.code_seconds_left {
            Some(s) => fill(&t.text(Msg::CodeExpiresIn), s, 0),
            None => t.text(Msg::CodeRenews),
        },
    );
    set(
        Part::Timer,
        match f.phase {
            Phase::Loading | Phase::Idle => t.text(Msg::Loading),
            Phase::Refreshing => t.text(Msg::Refreshing),
            Phase::Expired => t.text(Msg::Expired),
            _ => fill(&t.text(Msg::Countdown), f.seconds_left, 0),
        },
    );
    if let Some(failure) = failure {
        let (title, text) = error_texts(&failure);
        set(Part::ErrorTitle, t.text(title));
        let wait_s = failure.retry_after_ms.unwrap_or(0).div_ceil(1000);
        set(Part::ErrorText, fill(&t.text(text), wait_s, 0));
    }

    // One polite announcement per state, for screen readers only (the panels say it visibly).
    let status = match f.phase {
        Phase::Loading => t.text(Msg::Loading),
        Phase::Pairing => {
            let mut s = t.text(if code_face { Msg::TypeCode } else { Msg::Scan });
            s.push_str(" ");
            s.push_str(&fill(&t.text(Msg::Attempt), f.attempt, f.max_attempts));
            if f.copied {
                s.push_str(" ");
                s.push_str(&t.text(Msg::Copied));
            }
            s
        }
        Phase::Refreshing => t.text(Msg::Refreshing),
        Phase::Connected => t.text(Msg::Connected),
        Phase::Waiting if signup.is_some() => t.text(Msg::SignupTitle),
        Phase::Waiting => t.text(Msg::WaitTitle),
        Phase::Expired => t.text(Msg::Expired),
        Phase::Error => f
            .failure
            .map(|x| t.text(error_texts(&x).0))
            .unwrap_or_default(),
        Phase::Idle | Phase::Destroyed => String::new(),
    };
    set(Part::Status, status);

    Scene {
        shown,
        texts,
        face: if code_face { "code" } else { "qr" },
    }
}

/// The (title, what to do) pair for a failure.
#[must_use]
pub fn error_texts(f: &Failure) -> (Msg, Msg) {
    match f.kind {
        ErrorKind::Network => (Msg::ErrorNetworkTitle, Msg::ErrorNetwork),
        ErrorKind::RateLimited => (Msg::ErrorRateLimitedTitle, Msg::ErrorRateLimited),
        ErrorKind::Unauthorized if f.code == Some(PublicErrorCode::TokenExpired) => {
            (Msg::ErrorExpiredTitle, Msg::ErrorExpired)
        }
        ErrorKind::Unauthorized => (Msg::ErrorUnauthorizedTitle, Msg::ErrorUnauthorized),
        ErrorKind::Origin => (Msg::ErrorOriginTitle, Msg::ErrorOrigin),
        ErrorKind::NotFound => (Msg::ErrorNotFoundTitle, Msg::ErrorNotFound),
        ErrorKind::NotPairable => (Msg::ErrorNotPairableTitle, Msg::ErrorNotPairable),
        ErrorKind::Server => (Msg::ErrorServerTitle, Msg::ErrorServer),
        ErrorKind::Config => (Msg::ErrorConfigTitle, Msg::ErrorConfig),
        ErrorKind::LinkExpired => (Msg::ErrorLinkExpiredTitle, Msg::ErrorLinkExpired),
    }
}
