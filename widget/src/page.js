// The widget's leaf operations on the page, imported by `driver.rs` (wasm-bindgen snippet,
// bundled into the glue by tools/build-widget.sh). Each is a line or two of JS that took a
// dozen imports and closures from Rust. None holds state: when to call them is the state
// machine's and the driver's decision, and every answer is read back in Rust.

/**
 * Stamps the widget's static template: our own container appended to `host`, with an open shadow
 * root holding `<style>css</style>` + `html`. Returns [container, the template's root element,
 * then the first element of each class in `classes` (NUL-terminated names)].
 */
export function stamp(host, css, html, classes) {
  const container = host.ownerDocument.createElement("div");
  container.setAttribute("data-pilot-connect", "");
  host.append(container);
  const shadow = container.attachShadow({ mode: "open" });
  // A constructed stylesheet, not a <style>: a page whose CSP has no style-src 'unsafe-inline'
  // styles it too (a <style> is the fallback where constructable sheets are missing).
  let sheet;
  try { sheet = new CSSStyleSheet(); sheet.replaceSync(css); shadow.adoptedStyleSheets = [sheet]; } catch { sheet = null; }
  shadow.innerHTML = (sheet ? "" : "<style>" + css + "</style>") + html;
  const root = shadow.lastElementChild;
  return [container, root, ...classes.split("\0").slice(0, -1).map((c) => root.getElementsByClassName(c)[0])];
}

/** `GET url`; `done({ status, retryAfter, body })` once (`body` null when not JSON), or `done(null)`. */
export function getJson(url, authorization, signal, done) {
  fetch(url, { headers: { authorization }, signal }).then(
    (r) => r.json().catch(() => null).then((body) =>
      done({ status: r.status, retryAfter: r.headers.get("retry-after"), body })),
    () => done(null),
  );
}

/**
 * `options[callback](detail)` (a throwing page callback cannot break the widget), then two bubbling, composed events on
 * `host`: `pilot-connect:<name>` and `pilotconnect<name>` (no separator, DOM style: React 19 takes it as `onpilotconnect<name>`).
 */
export function emit(host, options, name, callback, detail) {
  const f = options[callback];
  if (typeof f === "function") try { f(detail); } catch {}
  for (const type of ["pilot-connect:" + name, "pilotconnect" + name]) {
    host.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
  }
}

/** A touch phone: a coarse pointer and a narrow viewport (its own screen's QR cannot be scanned by it). */
export function touchPhone() {
  return typeof matchMedia === "function" && matchMedia("(pointer: coarse) and (max-width: 640px)").matches;
}

/** The push stream, offered as subprotocols `protocol` and `bearer` (the token, prefixed): `on(true)` open, `on(false)` closed, `on(frame)` per JSON frame; `undefined` when the URL is refused. */
export function openEvents(url, protocol, bearer, on) {
  let ws;
  try { ws = new WebSocket(url, [protocol, bearer]); } catch { return; }
  ws.onopen = () => on(true);
  // The close code tells a lapsed token (the edge's close) from a drop.
  ws.onclose = (e) => on(e.code);
  ws.onmessage = (e) => {
    let frame;
    try { frame = JSON.parse(e.data); } catch { return; }
    on(frame);
  };
  return ws;
}

/** Sends a text frame on the push stream (its token's renewal); a closing socket drops it. */
export function sendEvents(ws, text) {
  try { ws.send(text); } catch {}
}

/** Detaches the handlers, then closes. */
export function closeEvents(ws) {
  ws.onopen = ws.onclose = ws.onmessage = null;
  ws.close();
}

/** The page's `getToken()`, sync or async: `done(token)` for a non-empty string, else `done(null)` (also when it throws or rejects). */
export function renewToken(getToken, done) {
  Promise.resolve().then(() => getToken()).then(
    (t) => done(typeof t === "string" && t ? t : null),
    () => done(null),
  );
}

/** Claim `key` of a JWT's payload (`sub` for display, `exp` to renew in time: the worker verifies tokens), or `undefined`. */
export function tokenClaim(token, key) {
  try {
    return JSON.parse(atob(token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")))[key];
  } catch {}
}

/**
 * Sets a URL property (`src`, `href`) the view checked, only when it changed: a failed image is
 * marked `data-failed` (the CSS hides it) until its URL changes.
 */
export function setUrl(el, prop, url) {
  if (el.dataset.url === url) return;
  el.dataset.url = url;
  el.removeAttribute("data-failed");
  if (prop === "src") el.onerror = () => el.setAttribute("data-failed", "");
  el[prop] = url;
}

/** `el`'s inline style through the CSSOM (`style.cssText`), which a CSP without style-src 'unsafe-inline' allows (a style attribute it refuses). */
export function setStyle(el, text) {
  el.style.cssText = text;
}

/** A computed style of `el` (`rgb(…)` for colours), or "" when it has none. */
export function computed(el, prop) {
  try { return getComputedStyle(el).getPropertyValue(prop); } catch { return ""; }
}

/** The rendered height of `el` (px). */
export function heightOf(el) {
  return el.getBoundingClientRect().height;
}

/** Animates `el` from `from` px to its height now, unless the person prefers reduced motion. */
export function growFrom(el, from) {
  const to = el.getBoundingClientRect().height;
  if (!from || Math.abs(to - from) < 1 || typeof el.animate !== "function") return;
  if (typeof matchMedia === "function" && matchMedia("(prefers-reduced-motion: reduce)").matches) return;
  el.animate([{ height: from + "px", overflow: "hidden" }, { height: to + "px", overflow: "hidden" }],
    { duration: 280, easing: "cubic-bezier(.2, 0, 0, 1)" });
}

/** The page's `(prefers-color-scheme: dark)` query (its `change` re-fits the colours), or `undefined`. */
export function darkQuery() {
  return typeof matchMedia === "function" ? matchMedia("(prefers-color-scheme: dark)") : undefined;
}

/**
 * Opens `url` in a popup named `name` from the person's click (a popup needs it), or returns
 * `null` when the browser refuses (a blocker, a sandboxed frame). `noopener` is not asked: the
 * handle tells the widget when the window closes (a host page with COOP same-origin loses it).
 */
export function openWindow(url, name) {
  try { return window.open(url, name, "popup,width=600,height=760") || null; } catch { return null; }
}

/** Whether a window the widget opened says it is closed (a handle that cannot be read: closed). */
export function windowClosed(w) {
  try { return !!w.closed; } catch { return true; }
}

/** Closes a window the widget opened (done): nothing when its handle was cut or it is gone. */
export function closeWindow(w) {
  try { if (!w.closed) w.close(); } catch {}
}

/** Sends the whole page to `url` (a phone, or a popup the browser refused on a top-level page). */
export function navigate(url) {
  window.location.assign(url);
}

/** Whether the widget runs in a frame (a refused popup is then a link: the signup is never framed). */
export function framed() {
  try { return window.top !== window.self; } catch { return true; }
}
