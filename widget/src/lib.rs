//! # pilot-connect-widget
//!
//! The WhatsApp QR / pairing-code widget of pilot-connect, as a `cdylib` for the npm package
//! `pilot-connect-widget` (assembled from `pkg-templates/`). Three parts, one file each:
//!
//! - [`machine`]: the pure state machine (events in → state + commands out), tested natively;
//! - `driver`: runs the commands in the browser (fetch, timers, visibility, callbacks);
//! - `view`: renders a state into the shadow DOM.
//!
//! `page.js` holds the driver's stateless JS leaf operations (the fetch promise chain, event
//! dispatch, the push socket's handlers, `getToken`, a JWT's `sub`).
//!
//! [`messages`] holds every string (pt-BR, en, es) in one table. The worker's answers are read
//! with the `pilot-connect-wire` format (the one the worker writes), and QR images pass its
//! PNG rule.
//!
//! The shipped wasm is `no_std`: std's panic hook and formatting machinery cost more bytes than
//! the rest of the driver, and nothing here can use them. A panic (there is no path to one in
//! the driver; `unwrap`/`expect`/`panic!` are denied) traps.
#![cfg_attr(all(target_arch = "wasm32", not(feature = "std")), no_std)]
// `push_str("x")` on purpose: `String::push(char)` links a UTF-8 encoder into the wasm.
#![allow(clippy::single_char_add_str)]

extern crate alloc;

#[cfg(all(target_arch = "wasm32", not(feature = "std")))]
#[panic_handler]
fn trap(_: &core::panic::PanicInfo<'_>) -> ! {
    core::arch::wasm32::unreachable()
}

pub mod machine;
pub mod messages;

// A free-list allocator (coalescing) instead of dlmalloc: about 4 KB less wasm, and the widget
// allocates little (a few strings per answer). Measured in bench/REPORT.md.
// SAFETY: wasm32-unknown-unknown without the atomics feature has one thread; this cdylib is
// never built with threads, so no allocation can race.
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: lol_alloc::AssumeSingleThreaded<lol_alloc::FreeListAllocator> =
    unsafe { lol_alloc::AssumeSingleThreaded::new(lol_alloc::FreeListAllocator::new()) };

#[cfg(target_arch = "wasm32")]
mod driver;
#[cfg(target_arch = "wasm32")]
mod view;

#[cfg(target_arch = "wasm32")]
pub use api::*;

#[cfg(target_arch = "wasm32")]
mod api {
    use alloc::rc::Rc;

    use wasm_bindgen::prelude::*;
    use wasm_bindgen::JsCast;
    use web_sys::Element;

    use crate::driver::{browser_lang, error, Options, Widget};
    use crate::messages::TS_MESSAGES;
    use crate::view::View;

    #[wasm_bindgen(typescript_custom_section)]
    const TS_MESSAGES_SECTION: &str = TS_MESSAGES;

    #[wasm_bindgen(typescript_custom_section)]
    const TS_TYPES_SECTION: &str = crate::machine::TS_TYPES;

    #[wasm_bindgen]
    extern "C" {
        /// `document.querySelector` of the page (throws without a document, or for a bad
        /// selector: both reach the caller as that error).
        #[wasm_bindgen(catch, js_namespace = document, js_name = querySelector)]
        fn query_page(selector: &str) -> Result<Option<Element>, JsValue>;
    }

    fn resolve_target(target: &JsValue) -> Result<Element, JsValue> {
        if let Some(e) = target.dyn_ref::<Element>() {
            return Ok(e.clone());
        }
        let sel = target
            .as_string()
            .ok_or_else(|| error("pilot-connect: target must be an Element or a CSS selector"))?;
        query_page(&sel)?.ok_or_else(|| error("pilot-connect: target not found"))
    }

    fn create(target: &JsValue, options: &JsValue) -> Result<Rc<Widget>, JsValue> {
        let host = resolve_target(target)?;
        let doc = host
            .owner_document()
            .ok_or_else(|| error("pilot-connect: mount needs a browser window"))?;
        let opts = Options::parse(options, &browser_lang(&doc))?;
        let view = View::build(&host)?;
        Ok(Widget::new(host, doc, view, opts))
    }

    /// A mounted widget. `destroy()` is final and idempotent; `unmount()` can be followed by
    /// `mount(target)` to show it again.
    #[wasm_bindgen]
    pub struct Handle {
        widget: Option<Rc<Widget>>,
        options: JsValue,
        destroyed: bool,
    }

    /// Mounts the widget into `target` (an Element or a CSS selector).
    ///
    /// # Errors
    /// A JS `Error` when the target is missing, the options are invalid (no endpoint, no token
    /// or getToken) or there is no browser DOM.
    #[wasm_bindgen]
    pub fn mount(target: JsValue, options: JsValue) -> Result<Handle, JsValue> {
        let widget = create(&target, &options)?;
        Ok(Handle {
            widget: Some(widget),
            options,
            destroyed: false,
        })
    }

    #[wasm_bindgen]
    impl Handle {
        /// The handle's methods behind one export, for the package's JS handle (`index.js`):
        /// one wasm-bindgen shim instead of six. `op`: 0 `mount(target)`, 1 `unmount()`,
        /// 2 `destroy()`, 3 `update(options)`, 4 `restart()`, 5 `state`.
        ///
        /// # Errors
        /// As [`Handle::mount`], for op 0.
        #[wasm_bindgen(unchecked_return_type = "string | undefined")]
        pub fn call(&mut self, op: u8, arg: JsValue) -> Result<JsValue, JsValue> {
            match op {
                0 => self.mount(arg)?,
                1 => self.unmount(),
                2 => self.destroy(),
                3 => self.update(&arg),
                4 => self.restart(),
                _ => return Ok(self.state()),
            }
            Ok(JsValue::UNDEFINED)
        }
    }

    impl Handle {
        /// Mounts again after `unmount()`.
        ///
        /// # Errors
        /// As [`mount`], or when the handle was destroyed.
        pub fn mount(&mut self, target: JsValue) -> Result<(), JsValue> {
            if self.destroyed {
                return Err(error("pilot-connect: this widget was destroyed"));
            }
            if let Some(w) = self.widget.take() {
                w.teardown();
            }
            self.widget = Some(create(&target, &self.options)?);
            Ok(())
        }

        /// Removes the widget and stops all work; it can be mounted again.
        pub fn unmount(&mut self) {
            if let Some(w) = self.widget.take() {
                w.teardown();
            }
        }

        /// Removes the widget, cancels every timer, listener and in-flight request. Idempotent.
        pub fn destroy(&mut self) {
            self.unmount();
            self.destroyed = true;
        }

        /// Changes `locale`, `messages` and/or `appearance` at run time.
        pub fn update(&self, options: &JsValue) {
            let Some(w) = &self.widget else { return };
            let lang = browser_lang(w.document());
            w.opts.with(|o| o.restyle(options, &lang));
            w.apply_appearance();
            w.render();
        }

        /// Asks for a fresh QR now (resets the attempt budget).
        pub fn restart(&self) {
            if let Some(w) = &self.widget {
                w.dispatch(crate::machine::Event::Restart);
            }
        }

        /// The current state name (`idle`, `loading`, `pairing`, `refreshing`, `connected`,
        /// `expired`, `error`, `unmounted` or `destroyed`).
        #[must_use]
        pub fn state(&self) -> JsValue {
            JsValue::from_str(match &self.widget {
                Some(w) => w.phase_name(),
                None if self.destroyed => "destroyed",
                None => "unmounted",
            })
        }
    }
}
