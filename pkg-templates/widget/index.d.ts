// `pilot-connect-widget`: mount(), the handle, the options and the DOM events.
// WidgetState, ErrorKind, WidgetMode and PilotConnectMessages are generated from the Rust side
// (types.d.ts), so these types and the widget cannot drift. No React types here: those live in
// `pilot-connect-widget/react` only.
import type {
  WidgetState, ErrorKind, PilotConnectMessages, WidgetMode, PilotConnectCallbackNames, PilotConnectEventName,
  PilotConnectEventDetails, PilotConnectBranding, UpdatableOption,
} from "./types.js";
export type {
  WidgetState, ErrorKind, PilotConnectMessages, WidgetMode, PilotConnectEventName, PilotConnectEventDetails,
  PilotConnectBranding, UpdatableOption,
};

export interface Appearance {
  /** `auto` follows `prefers-color-scheme`. The QR itself always stays dark on light. */
  theme?: "light" | "dark" | "auto";
  /** `card` (default): a bordered card with a title. `plain`: no border, background or title, to sit inside your own card. */
  variant?: "card" | "plain";
  /** Mapped to CSS custom properties `--psw-*` (also settable from your CSS); they win over `branding`'s colours. `borderRadius` reaches the card, every action and the QR's frame. */
  variables?: {
    colorPrimary?: string;
    colorBackground?: string;
    colorText?: string;
    colorDanger?: string;
    fontFamily?: string;
    borderRadius?: string;
    spacingUnit?: string;
  };
}

export interface QrEvent {
  attempt: number;
  expiresInMs: number;
  pairingCode: string | null;
  /**
   * The number the code is for, masked (e.g. `+55 11 9••••-1234`), when the worker knows it. The
   * worker reads it once per number, beside the first QR, so the first `qr` event may carry `null`;
   * the widget shows the number as soon as it arrives (no new `qr` event for the same QR).
   */
  maskedNumber: string | null;
  /** How long the pairing code stays valid as far as the worker knows it; `null` when it does not. */
  codeExpiresInMs: number | null;
}
export interface StateChangeEvent { state: WidgetState }
export interface ConnectedEvent { numberId: string | null }
export interface ErrorEvent { kind: ErrorKind; code: string | null; retryAfterMs: number | null }

/**
 * `mount()`'s callback options, one per event (`onQr(e)`, `onReady()`, …), mapped from the
 * generated event tables (`types.d.ts`).
 */
export type PilotConnectCallbacks = {
  [K in PilotConnectEventName as PilotConnectCallbackNames[K]]?: PilotConnectEventDetails[K] extends undefined
    ? () => void
    : (e: PilotConnectEventDetails[K]) => void;
};

export interface MountOptions extends PilotConnectCallbacks {
  /** The pilot-connect edge worker base URL (`https://…`, `http://…` or `/path`). */
  endpoint: string;
  /** A connect token minted by your backend. */
  token?: string;
  /** Called for the first token (if `token` is absent) and again when the worker says it expired. */
  getToken?: () => string | Promise<string>;
  /** `pt-BR`, `en`, `es` or `auto` (default: the browser's language; `pt*` → pt-BR). */
  locale?: string;
  /** `auto` (default): the pairing code first on a touch phone, the QR first elsewhere. The other is one tap away. */
  mode?: WidgetMode;
  /** Overrides of built-in strings, by name (`{n}`/`{m}` are numbers). */
  messages?: PilotConnectMessages;
  appearance?: Appearance;
  /**
   * Your branding, over the tenant's (what it set in Pilot Status's dashboard, which the edge sends)
   * field by field, over the defaults: the logo and company name above the title, the subtitle under
   * it, "Need help?" to `supportUrl`, the brand colours (adjusted when they would not be readable).
   */
  branding?: PilotConnectBranding;
  /** The connected face's one action, e.g. `{ label: "Go to the inbox", href: "/inbox" }` (`href`: `https://…` or a path of this site). */
  nextStep?: NextStep | null;
  /** QR codes shown before the `expired` state (default 6). */
  maxAttempts?: number;
  /** Status poll interval while pairing without the push stream (default 2500 ms). */
  pollIntervalMs?: number;
  /** Per-request timeout (default 10000 ms). */
  requestTimeoutMs?: number;
}

/** The connected face's action (a link styled as the main action). */
export interface NextStep { label: string; href: string }

/** What `handle.update()` can change in place. */
export type UpdateOptions = Pick<MountOptions, UpdatableOption>;

export interface WidgetHandle {
  /** `idle` until the widget is mounted (wasm loaded); `unmounted` after `unmount()`; `destroyed` after `destroy()`. */
  readonly state: WidgetState | "unmounted";
  /** Removes the widget; it can be mounted again. */
  unmount(): void;
  /** Shows the widget again (after `unmount()`) in `target`. */
  mount(target: Element | string): void;
  /** Final and idempotent: cancels every timer, listener and in-flight request. Before ready: cancels the mount. */
  destroy(): void;
  update(options: UpdateOptions): void;
  /** A fresh QR now, with a fresh attempt budget. */
  restart(): void;
}

/**
 * Mounts the widget into `target` (an Element or a CSS selector). Returns the handle at once; it is
 * also a promise of the same handle, resolved once the widget is mounted (`await` works as before).
 * Calls made before that are applied in order; `destroy()` before it cancels the mount.
 * Rejects with `Error("pilot-connect: mount needs a browser window")` without a DOM (on a server),
 * or with the widget's error for a bad target or bad options.
 */
export function mount(target: Element | string, options: MountOptions): Promise<WidgetHandle> & WidgetHandle;
/** Loads the wasm ahead of time (optional). */
export function preload(): Promise<void>;
/** The callback options of `mount()` (`onStateChange`, `onQr`, `onReady`, `onConnected`, `onExpired`, `onError`), in event order. */
export const CALLBACKS: readonly PilotConnectCallbackNames[keyof PilotConnectCallbackNames][];
export { defineCustomElement } from "./element.js";
export type { PilotConnectElement, PilotConnectElementOptions } from "./element.js";

/**
 * The DOM events on the host element, each under both names (bubbling, composed):
 * `pilot-connect:<name>`, and the same as `pilotconnect<name>`, named so that React 19 can take it
 * as `onpilotconnect<name>`. Mapped from the generated event tables (`types.d.ts`).
 */
export interface PilotConnectEventMap extends PilotConnectDomEvents {}
/** {@link PilotConnectEventMap}'s members. */
export type PilotConnectDomEvents = {
  [K in PilotConnectEventName as `pilot-connect:${K}` | `pilotconnect${K}`]: CustomEvent<PilotConnectEventDetails[K]>;
};

declare global {
  interface HTMLElementEventMap extends PilotConnectEventMap {}
}
