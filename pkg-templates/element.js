import { load } from "./loader.js";

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
      this.#handle = wasm.mount(this, {
        ...extra,
        endpoint,
        token: token ?? undefined,
        getToken: this.getToken ?? extra.getToken,
        locale: this.getAttribute("locale") ?? extra.locale ?? "auto",
        appearance: { ...(extra.appearance ?? {}), theme: this.getAttribute("theme") ?? extra.appearance?.theme ?? "auto" },
      });
    }
  }

  customElements.define(name, PilotConnectElement);
}
