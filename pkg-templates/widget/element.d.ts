// `pilot-connect-widget/element`: `<pilot-connect>`.
import type { Appearance, MountOptions, WidgetState, WidgetMode, PilotConnectMessages } from "./index.js";

/** `<pilot-connect>`'s `options` property: every `mount()` option that has no attribute or property of its own (callbacks, `maxAttempts`, …). */
export type PilotConnectElementOptions = Omit<MountOptions, "endpoint" | "token" | "getToken" | "locale" | "mode" | "messages" | "appearance">;

/**
 * `<pilot-connect endpoint token locale theme variant mode>`. Each property can be set at any time;
 * once connected, `endpoint` and `token` (and adding or removing `getToken`) re-mount the widget,
 * the others update it in place. The widget mounts when the element is connected with an
 * `endpoint` and a `token` or `getToken`, and is destroyed when it is removed from the document.
 */
export interface PilotConnectElement extends HTMLElement {
  /** The worker URL (the `endpoint` attribute). */
  endpoint: string | null;
  /** A connect token from your backend (the `token` attribute). */
  token: string | null;
  /** `pt-BR`, `en`, `es` or `auto` (the `locale` attribute). */
  locale: string | null;
  /** `auto`, `qr` or `code` (the `mode` attribute). */
  mode: WidgetMode | null;
  /** Token renewal: called for the first token (without `token`) and when the worker says it expired. */
  getToken: (() => string | Promise<string>) | null;
  /** Overrides of built-in strings, by name. */
  messages: PilotConnectMessages | null;
  /** Theme, variant and CSS variables; the `theme` and `variant` attributes win over it. */
  appearance: Appearance | null;
  /** The rest of `mount()`'s options: callbacks, `maxAttempts`, `pollIntervalMs`, `requestTimeoutMs`. */
  options: PilotConnectElementOptions | null;
  /** The widget's state: `idle` until it is mounted. */
  readonly state: WidgetState | "unmounted";
  /** A fresh code now, with a fresh attempt budget. */
  restart(): void;
}

/** Defines `<pilot-connect>` (or `name`). Safe to call more than once, and a no-op without a DOM (SSR). */
export function defineCustomElement(name?: string): void;

declare global {
  interface HTMLElementTagNameMap {
    "pilot-connect": PilotConnectElement;
  }
}
