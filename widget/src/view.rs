//! Renders a [`View`](crate::machine::View) into the widget's shadow DOM. Built once per mount;
//! each render only sets text, attributes and `hidden`. Text goes in with `textContent` only;
//! the QR goes into `<img>` only after the core's PNG data-URL rule accepted it (in the driver).

use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Document, Element, HtmlElement, HtmlImageElement};

use crate::machine::{ErrorKind, Failure, Phase, View as Frame};
use crate::messages::{fill, Msg};
use pilot_connect::public::PublicErrorCode;

const CSS: &str = include_str!(concat!(env!("OUT_DIR"), "/widget.min.css"));
// Static, trusted markup (no page or server data ever reaches innerHTML).
const ICON_RELOAD: &str = r#"<svg viewBox="0 0 24 24" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"><path d="M20 12a8 8 0 1 1-2.34-5.66M20 4v5h-5"/></svg>"#;
const ICON_ERROR: &str = r#"<svg viewBox="0 0 24 24" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"><circle cx="12" cy="12" r="10"/><path d="M12 7v6M12 16.5v.5"/></svg>"#;
const ICON_DONE: &str = r#"<svg viewBox="0 0 24 24" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"><circle cx="12" cy="12" r="10"/><path d="m7.5 12.5 3 3 6-6.5"/></svg>"#;

/// The texts of one render, resolved by the driver (built-ins or the page's overrides).
pub trait Texts {
    /// The text of `m`.
    fn text(&self, m: Msg) -> String;
    /// The locale tag for `lang`.
    fn lang(&self) -> &'static str;
    /// `light`, `dark` or `auto`.
    fn theme(&self) -> &str;
}

/// The elements a render touches.
pub struct View {
    /// Our own container inside the host (removed on unmount).
    pub container: Element,
    root: Element,
    title: Element,
    pair: Element,
    skeleton: Element,
    /// The QR image.
    pub qr: HtmlImageElement,
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

fn el(doc: &Document, parent: &Element, tag: &str, class: &str) -> Result<Element, JsValue> {
    let e = doc.create_element(tag)?;
    if !class.is_empty() {
        e.set_class_name(class);
    }
    parent.append_child(&e)?;
    Ok(e)
}

fn button(doc: &Document, parent: &Element, class: &str) -> Result<Element, JsValue> {
    let b = el(doc, parent, "button", class)?;
    b.set_attribute("type", "button")?;
    b.set_attribute("part", "button")?;
    Ok(b)
}

fn show(e: &Element, visible: bool) {
    if let Some(h) = e.dyn_ref::<HtmlElement>() {
        h.set_hidden(!visible);
    }
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
        let style = doc.create_element("style")?;
        style.set_text_content(Some(CSS));
        shadow.append_child(&style)?;
        let root = doc.create_element("div")?;
        root.set_class_name("psw");
        root.set_attribute("part", "container")?;
        shadow.append_child(&root)?;

        let title = el(doc, &root, "h2", "title")?;
        let pair = el(doc, &root, "div", "pair")?;
        let frame = el(doc, &pair, "div", "frame")?;
        frame.set_attribute("part", "qr-frame")?;
        let skeleton = el(doc, &frame, "div", "skeleton")?;
        skeleton.set_attribute("aria-hidden", "true")?;
        let qr: HtmlImageElement = el(doc, &frame, "img", "qr")?.dyn_into()?;
        qr.set_attribute("part", "qr")?;
        qr.set_width(240);
        qr.set_height(240);
        let reload = button(doc, &frame, "reload primary")?;
        reload.set_inner_html(ICON_RELOAD);
        let reload_label = el(doc, &reload, "span", "")?;
        let side = el(doc, &pair, "div", "side")?;
        let list = el(doc, &side, "ol", "steps")?;
        let steps = [
            el(doc, &list, "li", "")?,
            el(doc, &list, "li", "")?,
            el(doc, &list, "li", "")?,
        ];
        let timer = el(doc, &side, "p", "timer")?;
        let new_code = button(doc, &side, "new-code")?;
        let code_box = el(doc, &side, "div", "code-box")?;
        let code_label = el(doc, &code_box, "p", "code-label")?;
        let row = el(doc, &code_box, "div", "code-row")?;
        let code = el(doc, &row, "bdi", "code")?;
        code.set_attribute("dir", "ltr")?;
        code.set_attribute("part", "code")?;
        let copy = button(doc, &row, "copy")?;
        let code_steps = el(doc, &code_box, "p", "code-steps")?;

        let error = el(doc, &root, "div", "panel error")?;
        error.set_attribute("role", "alert")?;
        error.set_inner_html(ICON_ERROR);
        let error_title = el(doc, &error, "h3", "error-title")?;
        let error_text = el(doc, &error, "p", "error-text")?;
        let retry = button(doc, &error, "retry primary")?;

        let done = el(doc, &root, "div", "panel done")?;
        done.set_inner_html(ICON_DONE);
        let done_title = el(doc, &done, "h3", "done-title")?;
        let done_text = el(doc, &done, "p", "done-text")?;

        let status = el(doc, &root, "p", "status sr")?;
        status.set_attribute("role", "status")?;
        status.set_attribute("aria-live", "polite")?;
        Ok(Self {
            container,
            root,
            title,
            pair,
            skeleton,
            qr,
            reload,
            reload_label,
            steps,
            timer,
            new_code,
            code_box,
            code_label,
            code,
            copy,
            code_steps,
            error,
            error_title,
            error_text,
            retry,
            done,
            done_title,
            done_text,
            status,
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
                    self.qr.set_src(src);
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
        show(&self.timer, live || expired);
        let timer = match f.phase {
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
