// The package's one entry module (the custom element lives here too, so a page fetches one small
// file before the glue and the wasm; `./element` re-exports it).
// Loads the wasm only on first use, so importing the package touches no window/document and
// fetches nothing (safe under SSR).
let loading = null;

function load() {
  if (!loading) {
    loading = import("./pilot_connect.js").then(async (m) => {
      await m.default({ module_or_path: new URL("./pilot_connect_bg.wasm", import.meta.url) });
      return m;
    });
    loading.catch(() => { loading = null; });
  }
  return loading;
}

/**
 * Mounts the connect widget into `target` (an Element or a CSS selector).
 * Resolves to a handle with `unmount()`, `mount(target)`, `destroy()`, `update({ locale, messages, appearance })`,
 * `restart()` and `state`.
 */
export async function mount(target, options) {
  const wasm = await load();
  return new Handle(wasm.mount(target, options ?? {}));
}

/** The handle a page holds: the wasm's handle behind one `call(op, arg)` (one export, not six). */
class Handle {
  #h;
  constructor(h) { this.#h = h; }
  mount(target) { this.#h.call(0, target); }
  unmount() { this.#h.call(1); }
  destroy() { this.#h.call(2); }
  update(options) { this.#h.call(3, options); }
  restart() { this.#h.call(4); }
  get state() { return this.#h.call(5); }
}

/** Loads the wasm ahead of time (optional). */
export async function preload() {
  await load();
}

/**
 * Defines `<pilot-connect endpoint="…" token="…" locale="…" theme="…">`. Call it once on the client.
 * The class is created here, not at import, so importing this module is safe under SSR.
 * Set `element.getToken = async () => token` for token renewal, and `element.options = {…}` for
 * anything else `mount()` accepts (messages, appearance.variables, callbacks).
 */
export function defineCustomElement(name = "pilot-connect") {
  if (typeof customElements === "undefined" || customElements.get(name)) return;

  class PilotConnectElement extends HTMLElement {
    static get observedAttributes() {
      return ["endpoint", "token", "locale", "theme"];
    }

    #handle = null;
    #generation = 0;

    connectedCallback() {
      this.#start();
    }

    disconnectedCallback() {
      this.#generation += 1;
      this.#handle?.destroy();
      this.#handle = null;
    }

    attributeChangedCallback(attr, before, after) {
      if (before === after || !this.isConnected) return;
      if (attr === "locale" || attr === "theme") {
        this.#handle?.update({ locale: this.getAttribute("locale") ?? "auto", appearance: { theme: this.getAttribute("theme") ?? "auto" } });
      } else {
        this.#handle?.destroy();
        this.#handle = null;
        this.#start();
      }
    }

    get state() {
      return this.#handle?.state ?? "idle";
    }

    restart() {
      this.#handle?.restart();
    }

    async #start() {
      const generation = ++this.#generation;
      const endpoint = this.getAttribute("endpoint");
      const token = this.getAttribute("token");
      if (!endpoint || (!token && !this.getToken)) return;
      const wasm = await load();
      // Disconnected (or re-configured) while the wasm was loading: do nothing.
      if (generation !== this.#generation || !this.isConnected) return;
      const extra = this.options ?? {};
      this.#handle = new Handle(wasm.mount(this, {
        ...extra,
        endpoint,
        token: token ?? undefined,
        getToken: this.getToken ?? extra.getToken,
        locale: this.getAttribute("locale") ?? extra.locale ?? "auto",
        appearance: { ...(extra.appearance ?? {}), theme: this.getAttribute("theme") ?? extra.appearance?.theme ?? "auto" },
      }));
    }
  }

  customElements.define(name, PilotConnectElement);
}
