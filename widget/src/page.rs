//! The page's side, as Rust sees it: the JS leaf operations of `page.js`, `Reflect` reads,
//! the page's timers and listeners as RAII values. No widget logic lives here.

use alloc::string::String;
use core::cell::RefCell;

use js_sys::{Function, Object};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element, EventTarget};

use crate::machine::NumberOption;

// The page's leaf operations, in JS (`page.js`): a promise chain, a `CustomEvent`, a socket's
// handlers. They hold no state; when to call them is the machine's and the driver's decision.
#[wasm_bindgen(module = "/src/page.js")]
extern "C" {
    /// The widget's static template in a shadow root of a container appended to `host`:
    /// `[container, root, ...the first element of each NUL-terminated class]`.
    pub(crate) fn stamp(host: &Element, css: &str, html: &str, classes: &str) -> js_sys::Array;
    /// `GET url`; calls `done({ status, retryAfter, body })` once (`body` is `null` when it is
    /// not JSON), or `done(null)` when the request failed (network, abort, timeout).
    #[wasm_bindgen(js_name = getJson)]
    pub(crate) fn get_json(
        url: &str,
        authorization: &str,
        signal: &web_sys::AbortSignal,
        done: &JsValue,
    );
    /// Calls `options[callback](detail)` (a throwing page callback cannot break the widget),
    /// then dispatches a bubbling, composed `CustomEvent` `name` on `host`.
    pub(crate) fn emit(
        host: &Element,
        options: &JsValue,
        name: &str,
        callback: &str,
        detail: &JsValue,
    );
    /// Opens the push stream offering the subprotocols `protocol` and `bearer` (the token with
    /// the wire format's prefix); `on(true)` when it opens, `on(false)` when it closes,
    /// `on(frame)` for each JSON frame. `undefined` when the browser refuses the URL.
    #[wasm_bindgen(js_name = openEvents)]
    pub(crate) fn open_events(url: &str, protocol: &str, bearer: &str, on: &JsValue) -> JsValue;
    /// Detaches `on` and closes the socket.
    #[wasm_bindgen(js_name = closeEvents)]
    pub(crate) fn close_events(ws: &JsValue);
    /// Calls the page's `getToken()` (sync or async); `done(token)` with a non-empty string,
    /// else `done(null)` (also when it throws or rejects).
    #[wasm_bindgen(js_name = renewToken)]
    pub(crate) fn renew_token_with(get_token: &Function, done: &JsValue);
    /// Whether the page runs on a touch phone (coarse pointer, narrow viewport).
    #[wasm_bindgen(js_name = touchPhone)]
    pub(crate) fn touch_phone() -> bool;
    /// Claim `key` of a JWT's payload (`sub` for display, `exp` to renew the push stream in
    /// time: the worker verifies tokens, never the widget), or `undefined`.
    #[wasm_bindgen(js_name = tokenClaim)]
    pub(crate) fn token_claim(token: &str, key: &str) -> JsValue;
    /// Sends a text frame on the push stream (a closing socket drops it).
    #[wasm_bindgen(js_name = sendEvents)]
    pub(crate) fn send_events(ws: &JsValue, text: &str);
    /// Sets `el[prop] = url` (a URL the view checked) when it changed; a failed image is marked
    /// `data-failed` until its URL changes.
    #[wasm_bindgen(js_name = setUrl)]
    pub(crate) fn set_url(el: &Element, prop: &str, url: &str);
    /// Sets `el`'s inline style through the CSSOM (`style.cssText`: allowed by a CSP that
    /// refuses style attributes).
    #[wasm_bindgen(js_name = setStyle)]
    pub(crate) fn set_style(el: &Element, text: &str);
    /// A computed style of `el` (`rgb(…)` for colours), or `""`.
    pub(crate) fn computed(el: &Element, prop: &str) -> String;
    /// The rendered height of `el` (px).
    #[wasm_bindgen(js_name = heightOf)]
    pub(crate) fn height_of(el: &Element) -> f64;
    /// Animates `el` from `from` px to its height now (not when the person prefers reduced
    /// motion).
    #[wasm_bindgen(js_name = growFrom)]
    pub(crate) fn grow_from(el: &Element, from: f64);
    /// `matchMedia("(prefers-color-scheme: dark)")`, or `undefined`.
    #[wasm_bindgen(js_name = darkQuery)]
    pub(crate) fn dark_query() -> JsValue;
    /// `window.open(url, name, popup features)` from the person's click: the window, or `null`
    /// when the browser refused it.
    #[wasm_bindgen(js_name = openWindow)]
    pub(crate) fn open_window(url: &str, name: &str) -> JsValue;
    /// Whether a window the widget opened says it is closed.
    #[wasm_bindgen(js_name = windowClosed)]
    pub(crate) fn window_closed(w: &JsValue) -> bool;
    /// Closes a window the widget opened, if it still can.
    #[wasm_bindgen(js_name = closeWindow)]
    pub(crate) fn close_window(w: &JsValue);
    /// `location.assign(url)`: the whole page goes there.
    pub(crate) fn navigate(url: &str);
    /// Whether the widget runs in a frame.
    pub(crate) fn framed() -> bool;
}

#[wasm_bindgen]
extern "C" {
    // `Reflect.get/set` with the key as a Rust `&str` (the glue decodes it): no JS string to
    // make and drop at each of the many call sites.
    #[wasm_bindgen(catch, js_namespace = Reflect, js_name = get)]
    fn reflect_get(target: &JsValue, key: &str) -> Result<JsValue, JsValue>;
    /// On the widget's own plain objects, where it cannot throw.
    #[wasm_bindgen(js_namespace = Reflect, js_name = set)]
    pub(crate) fn set(target: &Object, key: &str, value: &JsValue);
    #[wasm_bindgen(js_namespace = Reflect, js_name = set)]
    pub(crate) fn set_str(target: &Object, key: &str, value: &str);
}

/// `obj[key]`, or `undefined` when `obj` is not an object or its getter throws.
pub(crate) fn get(obj: &JsValue, key: &str) -> JsValue {
    if obj.is_object() {
        reflect_get(obj, key).unwrap_or(JsValue::UNDEFINED)
    } else {
        JsValue::UNDEFINED
    }
}

pub(crate) fn get_str(obj: &JsValue, key: &str) -> Option<String> {
    get(obj, key).as_string()
}

pub(crate) fn get_u32(obj: &JsValue, opt: NumberOption) -> u32 {
    get(obj, opt.key)
        .as_f64()
        .filter(|v| v.is_finite())
        .map_or(opt.default, |v| (v as u32).max(opt.min).min(opt.max))
}

pub(crate) fn error(msg: &str) -> JsValue {
    js_sys::Error::new(msg).into()
}

pub(crate) fn now() -> f64 {
    js_sys::Date::now()
}

/// The page's `navigator`, read as properties: rare reads, so no getters to import.
pub(crate) fn navigator(doc: &Document) -> JsValue {
    get(&get(doc, "defaultView"), "navigator")
}

/// The language the browser prefers (`navigator.language`).
pub(crate) fn browser_lang(doc: &Document) -> String {
    get_str(&navigator(doc), "language").unwrap_or_default()
}

/// A `RefCell` whose access never panics: a conflicting borrow (only possible through a page
/// callback re-entering the widget) skips the access instead. Panic paths cost wasm bytes, too.
pub(crate) struct Slot<T>(RefCell<T>);

impl<T> Slot<T> {
    pub(crate) fn new(v: T) -> Self {
        Self(RefCell::new(v))
    }

    /// Runs `f` on the value, or returns `None` when it is borrowed already.
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> Option<R> {
        self.0.try_borrow_mut().ok().map(|mut v| f(&mut v))
    }
}

#[wasm_bindgen]
extern "C" {
    // The page's own globals, called directly: reaching them through `web_sys::window()`
    // (a `globalThis`/`self`/`window`/`global` probe) costs more wasm than the calls.
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(callback: &JsValue, ms: u32) -> i32;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(id: i32);
}

/// Every callback the page's JS calls into: one closure type, so one set of wasm-bindgen shims.
pub(crate) type Callback = Closure<dyn FnMut(JsValue)>;

/// A `setTimeout` that is cleared when dropped (so it must be kept, as gloo's `Timeout`).
#[must_use = "a Timer is cleared when dropped"]
pub(crate) struct Timer {
    id: i32,
    _callback: Callback,
}

impl Timer {
    /// Calls `f` once after `ms`, unless dropped first.
    pub(crate) fn new(ms: u32, f: impl FnMut(JsValue) + 'static) -> Self {
        let callback = Callback::new(f);
        Self {
            id: set_timeout(callback.as_ref(), ms),
            _callback: callback,
        }
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        clear_timeout(self.id);
    }
}

/// A JS function for one settlement (a request, a token renewal). The JS garbage collector
/// frees it, and the Rust closure with it, once nothing holds it, also when it runs after
/// `destroy()` (it then finds no widget). Same closure type as timers and listeners: no extra
/// wasm-bindgen shims.
pub(crate) fn js_fn(f: impl FnMut(JsValue) + 'static) -> JsValue {
    Callback::new(f).into_js_value()
}

/// An event listener that is removed when dropped (so it must be kept, as gloo's
/// `EventListener`).
#[must_use = "a Listener is removed when dropped"]
pub(crate) struct Listener {
    target: EventTarget,
    name: &'static str,
    callback: Callback,
}

impl Listener {
    pub(crate) fn new(
        target: &EventTarget,
        name: &'static str,
        f: impl FnMut(JsValue) + 'static,
    ) -> Self {
        let callback = Callback::new(f);
        let _ = target.add_event_listener_with_callback(name, callback.as_ref().unchecked_ref());
        Self {
            target: target.clone(),
            name,
            callback,
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self
            .target
            .remove_event_listener_with_callback(self.name, self.callback.as_ref().unchecked_ref());
    }
}
