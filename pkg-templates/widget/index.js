// The package's one entry module (the custom element lives here too, so a page fetches one small
// file before the glue and the wasm; `./element` re-exports it).
// Loads the wasm only on first use, so importing the package touches no window/document and
// fetches nothing (safe under SSR).
let loading = null;

function load() {
  if (!loading) {
    loading = import("./pilot_connect.js").then(async (m) => {
      const url = new URL("./pilot_connect_bg.wasm", import.meta.url);
      const res = await fetch(url);
      // A dev server that moved this file away from its .wasm (Vite's dependency pre-bundling)
      // answers its HTML page: say so, instead of a compile error about magic numbers.
      const type = res.headers.get("content-type") ?? "";
      if (!res.ok || type.includes("text/html")) {
        throw new Error(`pilot-connect: ${url} is not the widget's wasm (HTTP ${res.status}, ${type || "no type"}); ` +
          "serve the package's files together (Vite dev server: optimizeDeps.exclude ['pilot-connect-widget'])");
      }
      await m.default({ module_or_path: res });
      return m;
    });
    loading.catch(() => { loading = null; });
  }
  return loading;
}

const hasDom = () => typeof window !== "undefined" && typeof document !== "undefined" && typeof customElements !== "undefined";

/**
 * Mounts the connect widget into `target` (an Element or a CSS selector).
 *
 * Returns at once an object that is both the handle (`mount(target)`, `unmount()`, `destroy()`,
 * `update({ locale, messages, appearance, mode, branding, nextStep })`, `restart()`, `state`) and a Promise of it: it
 * resolves, once the wasm is loaded and the widget mounted, to a plain handle (no `then`) of the
 * same widget. Calls made before that are applied in order then; `destroy()` before it cancels the
 * mount (no DOM, no request, no socket) and the promise resolves with `state === "destroyed"`.
 * Rejects with `pilot-connect: mount needs a browser window` without a DOM (before anything is
 * fetched), or with the widget's error for a bad target or bad options.
 */
export function mount(target, options) {
  let widget = null; // the wasm handle, once mounted
  let queue = []; // [op name, arg] called before that
  let over = false; // destroyed (or failed) before mounted: nothing will ever run
  let mounting = false;
  let OP = null; // the op numbers of the wasm handle's `call(op, arg)`: the Rust enum, exported as `Op`
  let resolve, reject;
  const ready = new Promise((res, rej) => { resolve = res; reject = rej; });

  const call = (op, arg) => {
    if (widget) return widget.call(OP[op], arg);
    if (op === "State") return over ? "destroyed" : "idle";
    if (over) {
      if (op === "Mount") throw new Error("pilot-connect: this widget was destroyed");
      return undefined;
    }
    if (op === "Destroy" && !mounting) {
      over = true;
      queue = null;
      resolve(handle);
      return undefined;
    }
    queue.push([op, arg]);
    return undefined;
  };

  // The plain handle the promise resolves to: no `then`, so `await` ends on it.
  const handle = Object.defineProperties({}, {
    mount: { value: (t) => { call("Mount", t); }, enumerable: true },
    unmount: { value: () => { call("Unmount"); }, enumerable: true },
    destroy: { value: () => { call("Destroy"); }, enumerable: true },
    update: { value: (o) => { call("Update", o); }, enumerable: true },
    restart: { value: () => { call("Restart"); }, enumerable: true },
    state: { get: () => call("State"), enumerable: true },
  });

  if (!hasDom()) {
    over = true;
    reject(new Error("pilot-connect: mount needs a browser window"));
  } else {
    load().then((wasm) => {
      if (over) return;
      OP = wasm.Op;
      mounting = true;
      try {
        widget = wasm.mount(target, options ?? {});
      } finally {
        mounting = false;
      }
      // Replayed in order; calls made from inside the widget's callbacks meanwhile were queued too.
      let failure = null;
      for (const [op, arg] of queue) {
        try { widget.call(OP[op], arg); } catch (e) { failure ??= e; }
      }
      queue = null;
      if (failure) throw failure;
      resolve(handle);
    }).catch((e) => {
      if (!widget) over = true;
      reject(e);
    });
  }
  // The handle's methods and `state` on the promise itself: `Promise<WidgetHandle> & WidgetHandle`.
  return Object.defineProperties(ready, Object.getOwnPropertyDescriptors(handle));
}

/** Loads the wasm ahead of time (optional). */
export async function preload() {
  await load();
}

// The element's properties that a page may set before `defineCustomElement()` ran (they then sit
// on the instance and are moved to the class's setters on connect).
const PROPS = ["endpoint", "token", "locale", "mode", "getToken", "messages", "appearance", "options"];
// <tables> generated from the widget's Rust tables (widget/src/types.rs): edit them there
/** The callback options of `mount()`, in the widget's event order. */
export const CALLBACKS = Object.freeze(["onStateChange", "onQr", "onReady", "onConnected", "onExpired", "onError"]);
// `options` fields fixed at mount: a change re-mounts.
const FIXED = ["endpoint", "token", "maxAttempts", "pollIntervalMs", "requestTimeoutMs"];
// The options update() changes in place, each with what stands for "not given".
const LOOK = { locale: "auto", mode: "auto", messages: {}, appearance: {}, branding: {}, nextStep: null };
// </tables>

/**
 * Defines `<pilot-connect endpoint="…" token="…" locale="…" theme="…" variant="…" mode="…">`.
 * Call it once on the client; the class is created here, not at import, so importing this module is
 * safe under SSR. Properties (typed in element.d.ts): `endpoint`, `token`, `locale`, `mode`
 * (reflect their attributes), `getToken`, `messages`, `appearance`, `options` (the rest of
 * `mount()`'s options), `state` (read-only) and `restart()`. Setting one after connect takes effect:
 * `endpoint`/`token` (and adding or removing `getToken`) re-mount, the others update in place.
 */
export function defineCustomElement(name = "pilot-connect") {
  if (typeof customElements === "undefined" || customElements.get(name)) return;

  const reflect = (attr) => ({
    get() { return this.getAttribute(attr); },
    set(v) { v == null ? this.removeAttribute(attr) : this.setAttribute(attr, String(v)); },
  });

  class PilotConnectElement extends HTMLElement {
    static get observedAttributes() {
      return ["endpoint", "token", "locale", "theme", "variant", "mode"];
    }

    #handle = null;
    #styled = ""; // the last look applied (JSON), to skip updates that change nothing
    #getToken = null;
    #messages = null;
    #appearance = null;
    #options = null;
    #live = false; // between connectedCallback and disconnectedCallback

    constructor() {
      super();
      // Set on the element before it was upgraded: move them to the setters.
      for (const p of PROPS) {
        if (Object.prototype.hasOwnProperty.call(this, p)) {
          const v = this[p];
          delete this[p];
          this[p] = v;
        }
      }
    }

    connectedCallback() {
      this.#live = true;
      this.#start();
    }

    disconnectedCallback() {
      this.#live = false;
      this.#stop();
    }

    attributeChangedCallback(attr, before, after) {
      if (before === after || !this.#live) return;
      if (attr === "endpoint" || attr === "token") this.#start();
      else this.#restyle();
    }

    get getToken() { return this.#getToken; }
    set getToken(f) {
      const had = !!this.#tokenSource();
      this.#getToken = typeof f === "function" ? f : null;
      // The widget calls the current one through a wrapper: only its presence is fixed at mount.
      if (this.#live && had !== !!this.#tokenSource()) this.#start();
    }

    get messages() { return this.#messages; }
    set messages(m) { this.#messages = m ?? null; this.#restyle(); }

    get appearance() { return this.#appearance; }
    set appearance(a) { this.#appearance = a ?? null; this.#restyle(); }

    get options() { return this.#options; }
    set options(o) {
      const before = this.#options ?? {};
      const had = !!this.#tokenSource();
      this.#options = o ?? null;
      const now = this.#options ?? {};
      if (!this.#live) return;
      if (FIXED.some((k) => before[k] !== now[k]) || had !== !!this.#tokenSource()) this.#start();
      else this.#restyle();
    }

    /** The widget's state: `idle` until it is mounted. */
    get state() {
      return this.#handle?.state ?? "idle";
    }

    /** A fresh code now, with a fresh attempt budget. */
    restart() {
      this.#handle?.restart();
    }

    #tokenSource() {
      return this.#getToken ?? this.#options?.getToken;
    }

    #look() {
      const o = this.#options ?? {};
      const look = {};
      for (const [k, none] of Object.entries(LOOK)) look[k] = o[k] ?? none;
      const appearance = { ...o.appearance, ...this.#appearance };
      appearance.theme = this.getAttribute("theme") ?? appearance.theme ?? "auto";
      appearance.variant = this.getAttribute("variant") ?? appearance.variant ?? "card";
      look.locale = this.getAttribute("locale") ?? look.locale;
      look.mode = this.getAttribute("mode") ?? look.mode;
      look.messages = this.#messages ?? look.messages;
      look.appearance = appearance;
      return look;
    }

    #restyle() {
      if (!this.#handle) return;
      const look = this.#look();
      const key = JSON.stringify(look);
      if (key === this.#styled) return;
      this.#styled = key;
      // A bad value is logged and changes nothing (as a bad attribute would).
      try { this.#handle.update(look); } catch (e) { console.error(e); }
    }

    #stop() {
      this.#handle?.destroy();
      this.#handle = null;
    }

    #start() {
      this.#stop();
      if (!this.#live) return;
      const o = this.#options ?? {};
      const endpoint = this.getAttribute("endpoint") ?? o.endpoint;
      const token = this.getAttribute("token") ?? o.token;
      const hasSource = !!this.#tokenSource();
      if (!endpoint || (!token && !hasSource)) return; // not configured yet
      const look = this.#look();
      this.#styled = JSON.stringify(look);
      const opts = { ...o, ...look, endpoint, token: token || undefined };
      // Through wrappers: a new `getToken` or new callbacks in `options` apply without a re-mount.
      opts.getToken = hasSource ? () => this.#tokenSource()() : undefined;
      for (const k of CALLBACKS) opts[k] = (e) => this.#options?.[k]?.(e);
      const handle = mount(this, opts);
      this.#handle = handle;
      handle.catch((e) => {
        if (this.#handle === handle) this.#handle = null;
        console.error(e);
      });
    }
  }

  for (const p of ["endpoint", "token", "locale", "mode"]) {
    Object.defineProperty(PilotConnectElement.prototype, p, { ...reflect(p), configurable: true });
  }
  customElements.define(name, PilotConnectElement);
}
