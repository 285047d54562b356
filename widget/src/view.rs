//! Applies a [`Scene`](crate::layout::Scene) to the widget's shadow DOM. Built once per mount;
//! each render only sets text, attributes, `hidden` and `data-off`. Text goes in with
//! `textContent` only; the QR goes into `<img>` only after the wire format's PNG data-URL rule
//! accepted it (in the driver).

use alloc::vec::Vec;

use wasm_bindgen::{JsCast, JsValue};
use web_sys::Element;

use crate::layout::{scene, Part, Texts, CLASSES, PARTS, RESERVED, STACKED, TEMPLATE};
use crate::machine::Frame;
use crate::messages::Msg;
use crate::options::Options;
use crate::page::{get_str, stamp};

const CSS: &str = include_str!(concat!(env!("OUT_DIR"), "/widget.min.css"));

/// The widget's DOM.
pub struct View {
    /// Our own container inside the host (removed on unmount).
    pub container: Element,
    root: Element,
    parts: [Element; PARTS],
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
    pub fn render(&self, f: &Frame<'_>, o: &Options) {
        let s = scene(f, o);
        let root = &self.root;
        let _ = root.set_attribute("data-state", f.phase.as_str());
        let _ = root.set_attribute("data-face", s.face);
        let _ = root.set_attribute("data-variant", o.variant);
        let _ = root.set_attribute("lang", o.locale.tag());
        let _ = root.set_attribute("data-theme", o.theme);
        for p in Part::ALL {
            let e = self.part(p);
            let visible = s.shown(p);
            if STACKED.contains(&p) || RESERVED.contains(&p) {
                // Laid out but invisible and inert: the tallest panel sets the height, and the
                // pairing area keeps its lines' room in every state.
                let _ = e.toggle_attribute_with_force("data-off", !visible);
                let _ = e.toggle_attribute_with_force("inert", !visible);
            } else {
                let _ = e.toggle_attribute_with_force("hidden", !visible);
            }
            if let Some(t) = s.text(p) {
                set_text(e, t);
            }
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
        let _ = qr.set_attribute("alt", &o.text(Msg::QrAlt));
    }
}
