//! Renders a [`View`](crate::machine::View) into the widget's shadow DOM. Built once per mount;
//! each render only sets text, attributes and `hidden`. Text goes in with `textContent` only;
//! the QR goes into `<img>` only after the core's PNG data-URL rule accepted it (in the driver).

use alloc::string::String;

use wasm_bindgen::JsValue;
use web_sys::{Document, Element};

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
/// go in with `textContent`). One `innerHTML` builds it, which costs far fewer bytes of wasm
/// than a DOM call per node.
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

/// The elements a render touches.
pub struct View {
    /// Our own container inside the host (removed on unmount).
    pub container: Element,
    root: Element,
    title: Element,
    pair: Element,
    skeleton: Element,
    /// The QR image.
    pub qr: Element,
    /// The "load a new code" action over an expired QR.
    pub reload: Element,
    reload_label: Element,
    steps: [Element; 3],
    timer: Element,
    /// The "get a new code" action while pairing.
    pub new_code: Element,
    code_box: Element,
    code_label: Element,
    code: Element,
    /// The copy action.
    pub copy: Element,
    code_steps: Element,
    error: Element,
    error_title: Element,
    error_text: Element,
    /// The error panel's one action.
    pub retry: Element,
    done: Element,
    done_title: Element,
    done_text: Element,
    status: Element,
}

fn show(e: &Element, visible: bool) {
    let _ = e.toggle_attribute_with_force("hidden", !visible);
}

fn set_text(e: &Element, s: &str) {
    if e.text_content().as_deref() != Some(s) {
        e.set_text_content(Some(s));
    }
}

impl View {
    /// Builds the DOM inside `host` (in a shadow root of our own container).
    ///
    /// # Errors
    /// When the DOM refuses an operation (it does not in a real browser).
    pub fn build(doc: &Document, host: &Element) -> Result<Self, JsValue> {
        let container = doc.create_element("div")?;
        container.set_attribute("data-pilot-connect", "")?;
        host.append_child(&container)?;
        let shadow = container
            .attach_shadow(&web_sys::ShadowRootInit::new(web_sys::ShadowRootMode::Open))?;
        let mut html = String::with_capacity(CSS.len() + TEMPLATE.len() + 16);
        html.push_str("<style>");
        html.push_str(CSS);
        html.push_str("</style>");
        html.push_str(TEMPLATE);
        shadow.set_inner_html(&html);
        let root = shadow
            .first_element_child()
            .and_then(|style| style.next_element_sibling())
            .ok_or_else(|| JsValue::from_str("pilot-connect: template"))?;
        let q = |class: &str| -> Result<Element, JsValue> {
            root.query_selector(class)?
                .ok_or_else(|| JsValue::from_str("pilot-connect: template"))
        };
        Ok(Self {
            title: q(".title")?,
            pair: q(".pair")?,
            skeleton: q(".skeleton")?,
            qr: q(".qr")?,
            reload: q(".reload")?,
            reload_label: q(".reload-label")?,
            steps: [q(".s1")?, q(".s2")?, q(".s3")?],
            timer: q(".timer")?,
            new_code: q(".new-code")?,
            code_box: q(".code-box")?,
            code_label: q(".code-label")?,
            code: q(".code")?,
            copy: q(".copy")?,
            code_steps: q(".code-steps")?,
            error: q(".error")?,
            error_title: q(".error-title")?,
            error_text: q(".error-text")?,
            retry: q(".retry")?,
            done: q(".done")?,
            done_title: q(".done-title")?,
            done_text: q(".done-text")?,
            status: q(".status")?,
            container,
            root,
        })
    }

    /// Draws one frame.
    pub fn render(&self, f: &Frame<'_>, t: &dyn Texts) {
        let _ = self.root.set_attribute("data-state", f.phase.as_str());
        let _ = self.root.set_attribute("lang", t.lang());
        let _ = self.root.set_attribute("data-theme", t.theme());
        set_text(&self.title, &t.text(Msg::Title));

        let pairing = matches!(
            f.phase,
            Phase::Idle | Phase::Loading | Phase::Pairing | Phase::Refreshing | Phase::Expired
        );
        show(&self.pair, pairing);
        show(&self.error, f.phase == Phase::Error);
        show(&self.done, f.phase == Phase::Connected);

        // The QR slot: a skeleton until the first QR, then the QR (dimmed while refreshing and
        // when expired, with the reload action on it when expired).
        match f.qr {
            Some(src) => {
                if self.qr.get_attribute("src").as_deref() != Some(src) {
                    let _ = self.qr.set_attribute("src", src);
                }
                show(&self.qr, true);
            }
            None => {
                let _ = self.qr.remove_attribute("src");
                show(&self.qr, false);
            }
        }
        let _ = self.qr.set_attribute("alt", &t.text(Msg::QrAlt));
        show(&self.skeleton, f.qr.is_none() && pairing);
        let expired = f.phase == Phase::Expired;
        show(&self.reload, expired);
        set_text(&self.reload_label, &t.text(Msg::Reload));

        for (e, m) in self.steps.iter().zip([Msg::Step1, Msg::Step2, Msg::Step3]) {
            set_text(e, &t.text(m));
        }
        let live = matches!(f.phase, Phase::Pairing | Phase::Refreshing);
        show(&self.timer, live || expired || f.phase == Phase::Loading);
        let timer = match f.phase {
            Phase::Loading => t.text(Msg::Loading),
            Phase::Refreshing => t.text(Msg::Refreshing),
            Phase::Expired => t.text(Msg::Expired),
            _ => fill(&t.text(Msg::Countdown), f.seconds_left, 0),
        };
        set_text(&self.timer, &timer);
        show(&self.new_code, f.phase == Phase::Pairing);
        set_text(&self.new_code, &t.text(Msg::NewCode));

        show(&self.code_box, live && f.code.is_some());
        set_text(&self.code_label, &t.text(Msg::CodeLabel));
        set_text(&self.code, f.code.unwrap_or(""));
        set_text(
            &self.copy,
            &t.text(if f.copied { Msg::Copied } else { Msg::Copy }),
        );
        set_text(&self.code_steps, &t.text(Msg::CodeSteps));

        if let Some(failure) = f.failure.filter(|_| f.phase == Phase::Error) {
            let (title, text) = error_texts(&failure);
            set_text(&self.error_title, &t.text(title));
            let wait_s = failure.retry_after_ms.unwrap_or(0).div_ceil(1000);
            set_text(&self.error_text, &fill(&t.text(text), wait_s, 0));
            // Rate limits retry by themselves: no action to offer.
            show(&self.retry, failure.kind != ErrorKind::RateLimited);
            set_text(&self.retry, &t.text(Msg::Retry));
        }
        set_text(&self.done_title, &t.text(Msg::Connected));
        set_text(&self.done_text, &t.text(Msg::ConnectedText));

        // One polite announcement per state, for screen readers only (the panels say it visibly).
        let status = match f.phase {
            Phase::Loading => t.text(Msg::Loading),
            Phase::Pairing => {
                let mut s = t.text(Msg::Scan);
                s.push(' ');
                s.push_str(&fill(&t.text(Msg::Attempt), f.attempt, f.max_attempts));
                if f.copied {
                    s.push(' ');
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
        set_text(&self.status, &status);
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
