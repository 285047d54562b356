//! Applies a [`Scene`](crate::layout::Scene) to the widget's shadow DOM. Built once per mount;
//! each render only sets text, attributes, `hidden` and `data-off`. Text goes in with
//! `textContent` only; the QR goes into `<img>` only after the wire format's PNG data-URL rule
//! accepted it (in the driver).

use alloc::string::String;
use alloc::vec::Vec;

use wasm_bindgen::{JsCast, JsValue};
use web_sys::Element;

use crate::contrast::{ratio, readable, Rgb, Seen, TEXT_MIN};
use crate::layout::{scene, Part, Texts, CLASSES, PARTS, RESERVED, STACKED, TEMPLATE};
use crate::machine::{Frame, Phase};
use crate::messages::Msg;
use crate::options::Options;
use crate::page::{computed, get_str, grow_from, height_of, set_style, set_url, stamp};

use crate::layout::CSS;

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
        // Connected, the panels not shown leave the layout: the widget shrinks to its success
        // panel, once, animated from the height it had.
        let connected = f.phase == Phase::Connected;
        let was_connected = root.get_attribute("data-state").as_deref() == Some("connected");
        let before = (connected && !was_connected).then(|| height_of(root));
        // Only one panel is laid out: connected, or an official number waiting on Meta.
        let compact = connected || f.phase == Phase::Waiting;
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
                // pairing area keeps its lines' room in every state (but connected).
                let _ = e.toggle_attribute_with_force("data-off", !visible);
                let _ = e.toggle_attribute_with_force("inert", !visible);
                if STACKED.contains(&p) {
                    let _ = e.toggle_attribute_with_force("hidden", compact && !visible);
                }
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

        // URLs the options' rules (https:, or the page's own path for the next step) let
        // through, set as properties.
        let brand = o.brand();
        let logo = self.part(Part::Logo);
        if let Some(url) = brand.logo_url() {
            set_url(logo, "src", url);
        }
        let _ = logo.set_attribute("alt", brand.company_name().unwrap_or(""));
        if let Some(url) = brand.support_url() {
            set_url(self.part(Part::Help), "href", url);
        }
        if let Some((_, href)) = &o.next_step {
            set_url(self.part(Part::Next), "href", href);
        }
        if s.shown(Part::SignupLink) {
            if let Some(url) = o.signup_url() {
                set_url(self.part(Part::SignupLink), "href", &url);
            }
        }
        if let Some(h) = before {
            grow_from(root, h);
        }
    }

    /// Makes the colours as rendered readable (WCAG AA, [`crate::contrast`]): reads them back
    /// without our own corrections, and sets a correction only for a colour that fails. Nothing
    /// when the widget is not rendered (no computed colours).
    pub fn fit_colors(&self) {
        let root = &self.root;
        set_style(root, "");
        let color = |p: Part, prop: &str| Rgb::parse(&computed(self.part(p), prop));
        // The card's own background; a plain (transparent) one: the actions' background.
        let bg = Rgb::parse(&computed(root, "background-color"))
            .or_else(|| color(Part::Switch, "background-color"));
        let seen = (|| {
            Some(Seen {
                bg: bg?,
                text: Rgb::parse(&computed(root, "color"))?,
                muted: color(Part::Timer, "color")?,
                primary: color(Part::Switch, "color")?,
            })
        })();
        let Some(seen) = seen else {
            return;
        };
        let fit = readable(&seen);
        let mut style = String::new();
        let mut put = |name: &str, c: Rgb| {
            style.push_str(name);
            style.push_str(&c.hex());
            style.push_str(";");
        };
        for (name, was, now) in [
            ("--_text:", seen.text, fit.text),
            ("--_muted:", seen.muted, fit.muted),
            ("--_primary:", seen.primary, fit.primary),
        ] {
            if was != now {
                put(name, now);
            }
        }
        // The filled actions' label (`.retry`), kept unless it fails on the brand colour.
        if color(Part::Retry, "color").is_none_or(|c| ratio(c, fit.primary) < TEXT_MIN) {
            put("--_on-primary:", fit.on_primary);
        }
        if !style.is_empty() {
            set_style(root, &style);
        }
    }
}
