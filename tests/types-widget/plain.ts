// Typical use of pilot-connect-widget without React, and wrong use that must not compile
// (each `@ts-expect-error` fails the check when its line compiles).
import { mount, preload, defineCustomElement } from "pilot-connect-widget";
import type {
  Appearance, MountOptions, WidgetHandle, WidgetState, ErrorKind, QrEvent, PilotConnectElement, UpdateOptions, WidgetMode,
} from "pilot-connect-widget";
import { defineCustomElement as defineFromElement } from "pilot-connect-widget/element";

const options: MountOptions = {
  endpoint: "https://connect.example.com",
  token: "t",
  getToken: async () => "t2",
  locale: "pt-BR",
  mode: "code",
  appearance: { theme: "dark", variant: "plain", variables: { colorPrimary: "#075e54" } },
  messages: { title: "Conecte" },
  maxAttempts: 3,
  onQr: (e: QrEvent) => {
    const masked: string | null = e.maskedNumber;
    const life: number | null = e.codeExpiresInMs;
    void [masked, life, e.pairingCode, e.attempt, e.expiresInMs];
  },
  onConnected: ({ numberId }) => { const id: string | null = numberId; void id; },
  onError: ({ kind, retryAfterMs }) => { const k: ErrorKind = kind; void [k, retryAfterMs]; },
  onStateChange: ({ state }) => { const s: WidgetState = state; void s; },
};

export async function typical(el: HTMLElement): Promise<void> {
  await preload();
  // Sync use: the handle at once.
  const widget = mount(el, options);
  widget.update({ locale: "en", mode: "qr", appearance: { variant: "card" } });
  widget.restart();
  const s: WidgetState | "unmounted" = widget.state;
  void s;
  widget.destroy();
  // Awaited: a plain handle.
  const handle: WidgetHandle = await mount("#wa", options);
  handle.unmount();
  handle.mount(el);
  const again = await handle; // not a thenable: stays the handle
  again.destroy();
  mount("#wa", options).then((h) => h.destroy(), (e: unknown) => console.error(e));
  mount(el, { endpoint: "/connect", getToken: () => "t" }).catch(() => undefined);
  const look: Appearance = { theme: "auto" };
  const up: UpdateOptions = { appearance: look, messages: {} };
  handle.update(up);
  const m: WidgetMode = "auto";
  void m;

  // @ts-expect-error free() is not part of the handle
  handle.free();
  // @ts-expect-error the awaited handle has no then()
  handle.then;
  // @ts-expect-error endpoint is required
  mount(el, { token: "t" });
  // @ts-expect-error no such mode
  mount(el, { endpoint: "/c", token: "t", mode: "phone" });
  // @ts-expect-error no such variant
  mount(el, { endpoint: "/c", token: "t", appearance: { variant: "boxed" } });
  // @ts-expect-error update cannot change the endpoint
  handle.update({ endpoint: "/other" });
  // @ts-expect-error state is read-only
  handle.state = "idle";
  // @ts-expect-error a target is an Element or a selector
  mount(42, options);
  // @ts-expect-error onQr's event has no numberId (the callbacks are mapped from the event tables)
  mount(el, { endpoint: "/c", token: "t", onQr: (e) => e.numberId });
  // @ts-expect-error no such callback
  mount(el, { endpoint: "/c", token: "t", onPaired: () => undefined });
}

export function element(): void {
  defineCustomElement();
  defineFromElement("my-connect");
  const el = document.createElement("pilot-connect");
  const typed: PilotConnectElement = el;
  el.endpoint = "https://connect.example.com";
  el.token = "t";
  el.locale = "es";
  el.mode = "auto";
  el.getToken = async () => "t";
  el.messages = { title: "x" };
  el.appearance = { variant: "plain" };
  el.options = { maxAttempts: 2, onConnected: (e) => console.log(e.numberId) };
  el.restart();
  const s: WidgetState | "unmounted" = typed.state;
  void s;
  document.querySelector("pilot-connect")?.restart();
  el.addEventListener("pilot-connect:connected", (e) => console.log(e.detail.numberId));
  el.addEventListener("pilotconnectconnected", (e) => console.log(e.detail.numberId));
  el.addEventListener("pilotconnectqr", (e) => console.log(e.detail.maskedNumber, e.detail.codeExpiresInMs));
  el.addEventListener("pilot-connect:error", (e) => { const k: ErrorKind = e.detail.kind; void k; });
  document.body.addEventListener("pilotconnectstatechange", (e) => console.log(e.detail.state));

  // @ts-expect-error state is read-only
  el.state = "idle";
  // @ts-expect-error no such mode
  el.mode = "phone";
  // @ts-expect-error endpoint belongs to its own property, not options
  el.options = { endpoint: "/c" };
  // @ts-expect-error getToken is a function
  el.getToken = "t";
  // @ts-expect-error the event detail is typed
  el.addEventListener("pilotconnectconnected", (e) => e.detail.nope);
}
