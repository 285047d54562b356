//! # pilot-connect-widget
//!
//! The WhatsApp QR / pairing-code widget of pilot-connect, as a `cdylib` for the npm package
//! `pilot-connect-widget` (assembled from `pkg-templates/widget/`). Pure parts, tested natively:
//!
//! - [`machine`]: the state machine (events in → state + commands out, one `now` per step);
//! - [`layout`]: the per-state table of what is shown (parts, texts) for a [`machine::Frame`];
//! - [`messages`]: every string (pt-BR, en, es) in one table; [`types`]: the package's
//!   TypeScript, generated from those lists.
//!
//! The browser side carries them out: `driver` (fetch, timers, visibility, the push stream,
//! callbacks), `options` (the page's options, read once), `view` (renders a frame into the
//! shadow DOM), `sched` (re-entrant calls queued), `page` (the JS bindings).
//!
//! `page.js` holds the driver's stateless JS leaf operations (the fetch promise chain, event
//! dispatch, the push socket's handlers, `getToken`, a JWT's `sub`).
//!
//! The worker's answers and pushed frames are read with the `pilot-connect-wire` format (the
//! one the worker writes), and QR images pass its PNG rule.
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

pub mod contrast;
pub mod layout;
pub mod machine;
pub mod messages;
pub mod types;

// A free-list allocator (coalescing) instead of dlmalloc: about 4 KB less wasm, and the widget
// allocates little (a few strings per answer). Measured in bench/REPORT.md.
// SAFETY: wasm32-unknown-unknown without the atomics feature has one thread; this cdylib is
// never built with threads, so no allocation can race.
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: lol_alloc::AssumeSingleThreaded<lol_alloc::FreeListAllocator> =
    unsafe { lol_alloc::AssumeSingleThreaded::new(lol_alloc::FreeListAllocator::new()) };

// The browser side, in three layers: `page` (the page's JS and globals), `options` (what the
// page passed), `driver` (runs the machine), plus `view` (applies a layout scene) and `sched`
// (one queue for everything that enters).
#[cfg(target_arch = "wasm32")]
mod driver;
#[cfg(target_arch = "wasm32")]
mod options;
#[cfg(target_arch = "wasm32")]
mod page;
#[cfg(target_arch = "wasm32")]
mod sched;
#[cfg(target_arch = "wasm32")]
mod view;

#[cfg(target_arch = "wasm32")]
pub use api::*;

#[cfg(target_arch = "wasm32")]
mod api {
    use alloc::rc::Rc;
    use core::cell::Cell;

    use wasm_bindgen::prelude::*;
    use wasm_bindgen::JsCast;
    use web_sys::Element;

    use crate::driver::Widget;
    use crate::options::Options;
    use crate::page::{browser_lang, error, Slot};
    use crate::sched;
    use crate::view::View;

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

    fn create(host: Element, options: &JsValue) -> Result<Rc<Widget>, JsValue> {
        let doc = host
            .owner_document()
            .ok_or_else(|| error("pilot-connect: mount needs a browser window"))?;
        let opts = Options::parse(options, &browser_lang(&doc))?;
        let view = View::build(&host)?;
        Ok(Widget::new(host, doc, view, opts))
    }

    /// The handle's operations, behind one export (`Handle.call`): the package's `index.js`
    /// reads the numbers from this enum (wasm-bindgen exports it as `Op`), so they cannot drift.
    #[wasm_bindgen]
    #[derive(Clone, Copy, PartialEq, Eq)]
    pub enum Op {
        /// `mount(target)` again after `unmount()`.
        Mount = 0,
        /// `unmount()`
        Unmount = 1,
        /// `destroy()`
        Destroy = 2,
        /// `update(options)`
        Update = 3,
        /// `restart()`
        Restart = 4,
        /// `state`
        State = 5,
    }

    /// A mounted widget. `destroy()` is final and idempotent; `unmount()` can be followed by
    /// `mount(target)` to show it again.
    #[wasm_bindgen]
    pub struct Handle {
        inner: Rc<Inner>,
    }

    struct Inner {
        widget: Slot<Option<Rc<Widget>>>,
        options: JsValue,
        destroyed: Cell<bool>,
    }

    /// Mounts the widget into `target` (an Element or a CSS selector).
    ///
    /// # Errors
    /// A JS `Error` when the target is missing, the options are invalid (no endpoint, no token
    /// or getToken, an unknown `mode` or `appearance.variant`) or there is no browser DOM.
    #[wasm_bindgen]
    pub fn mount(target: JsValue, options: JsValue) -> Result<Handle, JsValue> {
        let host = resolve_target(&target)?;
        let inner = Rc::new(Inner {
            widget: Slot::new(None),
            options,
            destroyed: Cell::new(false),
        });
        let me = inner.clone();
        // Queued when called from a widget callback (a second widget mounted in `onConnected`).
        sched::run(move || me.show(host)).unwrap_or(Ok(()))?;
        Ok(Handle { inner })
    }

    #[wasm_bindgen]
    impl Handle {
        /// Runs one [`Op`]. Called from inside a widget callback (`destroy()` in `onConnected`,
        /// `restart()` in `onError`), the operation is queued and runs right after it.
        ///
        /// # Errors
        /// For `Mount`: a bad target, or a destroyed handle. For `Update`: an unknown `mode`
        /// or `appearance.variant`. Both are checked before anything is queued.
        #[wasm_bindgen(unchecked_return_type = "string | undefined")]
        pub fn call(&self, op: Op, arg: JsValue) -> Result<JsValue, JsValue> {
            let inner = self.inner.clone();
            match op {
                Op::State => return Ok(JsValue::from_str(inner.state())),
                Op::Mount => {
                    if inner.destroyed.get() {
                        return Err(error("pilot-connect: this widget was destroyed"));
                    }
                    let host = resolve_target(&arg)?;
                    sched::run(move || inner.show(host)).unwrap_or(Ok(()))?;
                }
                Op::Unmount => {
                    let _ = sched::run(move || inner.hide());
                }
                Op::Destroy => {
                    // Marked at once: nothing queued after this call can mount it again.
                    inner.destroyed.set(true);
                    let _ = sched::run(move || inner.hide());
                }
                Op::Update => {
                    Options::check_style(&arg)?;
                    let _ = sched::run(move || inner.update(&arg));
                }
                Op::Restart => {
                    let _ = sched::run(move || inner.restart());
                }
            }
            Ok(JsValue::UNDEFINED)
        }
    }

    impl Inner {
        /// (Re)creates the widget in `host`.
        fn show(&self, host: Element) -> Result<(), JsValue> {
            if self.destroyed.get() {
                return Ok(());
            }
            self.hide();
            let w = create(host, &self.options)?;
            self.widget.with(|slot| *slot = Some(w));
            Ok(())
        }

        /// Removes the widget and stops all work; it can be shown again.
        fn hide(&self) {
            if let Some(w) = self.widget.with(Option::take).flatten() {
                w.teardown();
            }
        }

        fn current(&self) -> Option<Rc<Widget>> {
            self.widget.with(|w| w.clone()).flatten()
        }

        fn update(&self, options: &JsValue) {
            if let Some(w) = self.current() {
                let _ = w.update(options);
            }
        }

        fn restart(&self) {
            if let Some(w) = self.current() {
                w.dispatch(crate::machine::Event::Restart);
            }
        }

        /// The state name (`idle`, `loading`, `pairing`, `refreshing`, `connected`, `expired`,
        /// `error`, `unmounted` or `destroyed`).
        fn state(&self) -> &'static str {
            match self.current() {
                Some(w) => w.phase_name(),
                None if self.destroyed.get() => "destroyed",
                None => "unmounted",
            }
        }
    }
}
