// WidgetState, ErrorKind and PilotConnectMessages are generated from the Rust side
// (typescript_custom_section), so these types and the widget cannot drift.
import type { WidgetState, ErrorKind, PilotConnectMessages } from "./pilot_connect.js";
export type { WidgetState, ErrorKind, PilotConnectMessages };

export interface Appearance {
  /** `auto` follows `prefers-color-scheme`. The QR itself always stays dark on light. */
  theme?: "light" | "dark" | "auto";
  /** Mapped to CSS custom properties `--psw-*` (also settable from your CSS). */
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

export interface QrEvent { attempt: number; expiresInMs: number; pairingCode: string | null }
export interface ConnectedEvent { numberId: string | null }
export interface ErrorEvent { kind: ErrorKind; code: string | null; retryAfterMs: number | null }

export interface MountOptions {
  /** The pilot-connect edge worker base URL. */
  endpoint: string;
  /** A connect token minted by your backend. */
  token?: string;
  /** Called for the first token (if `token` is absent) and again when the worker says it expired. */
  getToken?: () => string | Promise<string>;
  /** `pt-BR`, `en`, `es` or `auto` (default: the browser's language; `pt*` → pt-BR). */
  locale?: string;
  /** Overrides of built-in strings, by name (`{n}`/`{m}` are numbers). */
  messages?: PilotConnectMessages;
  appearance?: Appearance;
  /** QR codes shown before the `expired` state (default 6). */
  maxAttempts?: number;
  /** Status poll interval while pairing (default 2500 ms). */
  pollIntervalMs?: number;
  /** Per-request timeout (default 10000 ms). */
  requestTimeoutMs?: number;
  onReady?: () => void;
  onStateChange?: (e: { state: WidgetState }) => void;
  onQr?: (e: QrEvent) => void;
  onConnected?: (e: ConnectedEvent) => void;
  onExpired?: () => void;
  onError?: (e: ErrorEvent) => void;
}

export interface WidgetHandle {
  readonly state: WidgetState | "unmounted";
  /** Removes the widget; it can be mounted again. */
  unmount(): void;
  mount(target: Element | string): void;
  /** Final and idempotent: cancels every timer, listener and in-flight request. */
  destroy(): void;
  update(options: Pick<MountOptions, "locale" | "messages" | "appearance">): void;
  /** A fresh QR now, with a fresh attempt budget. */
  restart(): void;
}

export function mount(target: Element | string, options: MountOptions): Promise<WidgetHandle>;
export function preload(): Promise<void>;
export { defineCustomElement } from "./element.js";

declare global {
  interface HTMLElementEventMap {
    "pilot-connect:ready": CustomEvent<undefined>;
    "pilot-connect:statechange": CustomEvent<{ state: WidgetState }>;
    "pilot-connect:qr": CustomEvent<QrEvent>;
    "pilot-connect:connected": CustomEvent<ConnectedEvent>;
    "pilot-connect:expired": CustomEvent<undefined>;
    "pilot-connect:error": CustomEvent<ErrorEvent>;
  }
}
