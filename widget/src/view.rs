//! Renders a [`View`](crate::machine::View) into the widget's shadow DOM. Built once per mount;
//! each render only sets text, attributes and `hidden`. Text goes in with `textContent` only;
//! the QR goes into `<img>` only after the wire format's PNG data-URL rule accepted it (in the
//! driver).

use alloc::string::String;
use alloc::vec::Vec;

use wasm_bindgen::{JsCast, JsValue};
use web_sys::Element;

use crate::driver::{get_str, stamp};
use crate::machine::{ErrorKind, Failure, Phase, View as Frame};
use crate::messages::{fill, Msg};
use pilot_connect_wire::PublicErrorCode;

const CSS: &str = include_str!(concat!(env!("OUT_DIR"), "/widget.min.css"));

/// The texts of one render, resolved by the driver (built-ins or the page's overrides).
pub trait Texts {
    /// The text of `m`.
    fn text(&self, m: Msg) -> String;
    /// The locale tag for `lang`.
    fn lang(&self) -> &'static str;
    /// `light`, `dark` or `auto`.
    fn theme(&self) -> &str;
}

/// The widget's markup: static and trusted (no page or server data is ever put in HTML; texts
/// go in with `textContent`). Stamped by one `innerHTML` (`stamp` in `page.js`), which costs far
/// fewer bytes than a DOM call per node.
const TEMPLATE: &str = concat!(
    r#"<div class="psw" part="container"><h2 class="title"></h2>"#,
    r#"<div class="pair"><div class="frame" part="qr-frame"><div class="skeleton" aria-hidden="true"></div>"#,
    r#"<img class="qr" part="qr" width="240" height="240" hidden>"#,
    r#"<button type="button" part="button" class="reload primary" hidden>"#,
    r#"<svg viewBox="0 0 24 24" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"><path d="M20 12a8 8 0 1 1-2.34-5.66M20 4v5h-5"/></svg>"#,
    r#"<span class="reload-label"></span></button></div>"#,
    r#"<div class="side"><ol class="steps"><li class="s1"></li><li class="s2"></li><li class="s3"></li></ol>"#,
    r#"<p class="timer"></p><button type="button" part="button" class="new-code"></button>"#,
    r#"<div class="code-box"><p class="code-label"></p><div class="code-row">"#,
    r#"<bdi class="code" dir="ltr" part="code"></bdi><button type="button" part="button" class="copy"></button></div>"#,
    r#"<p class="code-steps"></p></div></div></div>"#,
    r#"<div class="panel error" role="alert" hidden>"#,
    r#"<svg viewBox="0 0 24 24" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"><circle cx="12" cy="12" r="10"/><path d="M12 7v6M12 16.5v.5"/></svg>"#,
    r#"<h3 class="error-title"></h3><p class="error-text"></p><button type="button" part="button" class="retry primary"></button></div>"#,
    r#"<div class="panel done" hidden>"#,
    r#"<svg viewBox="0 0 24 24" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"><circle cx="12" cy="12" r="10"/><path d="m7.5 12.5 3 3 6-6.5"/></svg>"#,
    r#"<h3 class="done-title"></h3><p class="done-text"></p></div>"#,
    r#"<p class="status sr" role="status" aria-live="polite"></p></div>"#,
);

/// The elements a render touches, in `CLASSES` order.
#[derive(Clone, Copy)]
pub enum Part {
    Title,
    Pair,
    Skeleton,
    /// The QR image.
    Qr,
    /// The "load a new code" action over an expired QR.
    Reload,
    ReloadLabel,
    Step1,
    Step2,
    Step3,
    Timer,
    /// The "get a new code" action while pairing.
    NewCode,
    CodeBox,
    CodeLabel,
    Code,
    /// The copy action.
    Copy,
    CodeSteps,
    Error,
    ErrorTitle,
    ErrorText,
    /// The error panel's one action.
    Retry,
    Done,
    DoneTitle,
    DoneText,
    Status,
}

/// The class of each [`Part`] in the template, NUL-terminated: `stamp` (in `page.js`) looks
/// them up in one pass.
const CLASSES: &str = concat!(
    "title\0pair\0skeleton\0qr\0reload\0reload-label\0s1\0s2\0s3\0timer\0new-code\0",
    "code-box\0code-label\0code\0copy\0code-steps\0error\0error-title\0error-text\0retry\0",
    "done\0done-title\0done-text\0status\0",
);
/// How many parts there are.
const PARTS: usize = Part::Status as usize + 1;

/// Parts whose text is one message, whatever the state.
const FIXED_TEXTS: [(Part, Msg); 11] = [
    (Part::Title, Msg::Title),
    (Part::ReloadLabel, Msg::Reload),
    (Part::Step1, Msg::Step1),
    (Part::Step2, Msg::Step2),
    (Part::Step3, Msg::Step3),
    (Part::NewCode, Msg::NewCode),
    (Part::CodeLabel, Msg::CodeLabel),
    (Part::CodeSteps, Msg::CodeSteps),
    (Part::Retry, Msg::Retry),
    (Part::DoneTitle, Msg::Connected),
    (Part::DoneText, Msg::ConnectedText),
];

/// The widget's DOM.
pub struct View {
    /// Our own container inside the host (removed on unmount).
    pub container: Element,
    root: Element,
    parts: [Element; PARTS],
}

fn show(e: &Element, visible: bool) {
    let _ = e.toggle_attribute_with_force("hidden", !visible);
}

/// Sets the text only when it changed (a live region re-announces every write). Read as a
/// property, like the QR's `src`: one string getter for all.
fn set_text(e: &Element, s: &str) {
    if get_str(e, "textContent").as_deref() != Some(s) {
        e.set_text_content(Some(s));
    }
}

fn template_error() -> JsValue {
    JsValue::from_str("pilot-connect: template")
}

impl View {
    /// Builds the DOM inside `host` (in a shadow root of our own container).
    ///
    /// # Errors
    /// When the stamped template lacks a part (it cannot, short of a broken build).
    pub fn build(host: &Element) -> Result<Self, JsValue> {
        let stamped = stamp(host, CSS, TEMPLATE, CLASSES);
        let element = |i: u32| {
            stamped
                .get(i)
                .dyn_into::<Element>()
                .map_err(|_| template_error())
        };
        let mut parts = Vec::with_capacity(PARTS);
        for i in 0..PARTS as u32 {
            parts.push(element(i + 2)?);
        }
        Ok(Self {
            parts: parts.try_into().map_err(|_| template_error())?,
            container: element(0)?,
            root: element(1)?,
        })
    }

    /// One element of the template.
    pub fn part(&self, p: Part) -> &Element {
        // In bounds: `PARTS` counts the variants of `Part`.
        &self.parts[p as usize]
    }

    /// Draws one frame.
    pub fn render(&self, f: &Frame<'_>, t: &impl Texts) {
        let _ = self.root.set_attribute("data-state", f.phase.as_str());
        let _ = self.root.set_attribute("lang", t.lang());
        let _ = self.root.set_attribute("data-theme", t.theme());
        for (part, msg) in FIXED_TEXTS {
            set_text(self.part(part), &t.text(msg));
        }

        let pairing = matches!(
            f.phase,
            Phase::Idle | Phase::Loading | Phase::Pairing | Phase::Refreshing | Phase::Expired
        );
        let live = matches!(f.phase, Phase::Pairing | Phase::Refreshing);
        let expired = f.phase == Phase::Expired;
        let failure = f.failure.filter(|_| f.phase == Phase::Error);
        for (part, visible) in [
            (Part::Pair, pairing),
            (Part::Error, failure.is_some()),
            (Part::Done, f.phase == Phase::Connected),
            // The QR slot: a skeleton until the first QR, then the QR (dimmed while refreshing
            // and when expired, with the reload action on it when expired).
            (Part::Qr, f.qr.is_some()),
            (Part::Skeleton, f.qr.is_none() && pairing),
            (Part::Reload, expired),
            (Part::Timer, live || expired || f.phase == Phase::Loading),
            (Part::NewCode, f.phase == Phase::Pairing),
            (Part::CodeBox, live && f.code.is_some()),
            // Rate limits retry by themselves: no action to offer.
            (
                Part::Retry,
                failure.is_some_and(|x| x.kind != ErrorKind::RateLimited),
            ),
        ] {
            show(self.part(part), visible);
        }

        let qr = self.part(Part::Qr);
        match f.qr {
            Some(src) if get_str(qr, "src").as_deref() != Some(src) => {
                let _ = qr.set_attribute("src", src);
            }
            Some(_) => {}
            None => {
                let _ = qr.remove_attribute("src");
            }
        }
        let _ = qr.set_attribute("alt", &t.text(Msg::QrAlt));

        let timer = match f.phase {
            Phase::Loading => t.text(Msg::Loading),
            Phase::Refreshing => t.text(Msg::Refreshing),
            Phase::Expired => t.text(Msg::Expired),
            _ => fill(&t.text(Msg::Countdown), f.seconds_left, 0),
        };
        set_text(self.part(Part::Timer), &timer);
        set_text(self.part(Part::Code), f.code.unwrap_or(""));
        let copy = if f.copied { Msg::Copied } else { Msg::Copy };
        set_text(self.part(Part::Copy), &t.text(copy));

        if let Some(failure) = failure {
            let (title, text) = error_texts(&failure);
            set_text(self.part(Part::ErrorTitle), &t.text(title));
            let wait_s = failure.retry_after_ms.unwrap_or(0).div_ceil(1000);
            set_text(self.part(Part::ErrorText), &fill(&t.text(text), wait_s, 0));
        }

        // One polite announcement per state, for screen readers only (the panels say it visibly).
        let status = match f.phase {
            Phase::Loading => t.text(Msg::Loading),
            Phase::Pairing => {
                let mut s = t.text(Msg::Scan);
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
            Phase::Expired => t.text(Msg::Expired),
            Phase::Error => f
                .failure
                .map(|x| t.text(error_texts(&x).0))
                .unwrap_or_default(),
            Phase::Idle | Phase::Destroyed => String::new(),
        };
        set_text(self.part(Part::Status), &status);
    }
}

/// The (title, what to do) pair for a failure.
fn error_texts(f: &Failure) -> (Msg, Msg) {
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
    }
}
