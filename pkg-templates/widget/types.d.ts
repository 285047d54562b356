// Generated from the widget's Rust source (widget/src/types.rs); do not edit.
// `cargo test -p pilot-connect-widget --test machine` checks it; PILOT_BLESS=1 rewrites it.

/** A widget's state (`data-state`, `statechange`, `handle.state`). */
export type WidgetState = "idle" | "loading" | "pairing" | "refreshing" | "waiting" | "connected" | "expired" | "error" | "destroyed";
/** What kind of failure `onError` reports. */
export type ErrorKind = "network" | "rate_limited" | "unauthorized" | "origin" | "not_found" | "not_pairable" | "server" | "config" | "link_expired";
/** Which way of linking leads: `auto` (the pairing code on a touch phone, the QR elsewhere), `qr` or `code`. */
export type WidgetMode = "auto" | "qr" | "code";
/** The name of each event (`pilot-connect:<name>` and `pilotconnect<name>` on the element). */
export type PilotConnectEventName = "statechange" | "qr" | "ready" | "connected" | "expired" | "error";
/** Each event's callback option. */
export interface PilotConnectCallbackNames {
  statechange: "onStateChange";
  qr: "onQr";
  ready: "onReady";
  connected: "onConnected";
  expired: "onExpired";
  error: "onError";
}
/** Each event's detail: the `CustomEvent`'s and the callback's argument (`undefined`: none). */
export interface PilotConnectEventDetails {
  statechange: import("./index.js").StateChangeEvent;
  qr: import("./index.js").QrEvent;
  ready: undefined;
  connected: import("./index.js").ConnectedEvent;
  expired: undefined;
  error: import("./index.js").ErrorEvent;
}
/** Overrides of built-in strings, by name. `{n}` and `{m}` are numbers. */
export interface PilotConnectMessages {
  title?: string;
  step1?: string;
  step2?: string;
  step3?: string;
  step4?: string;
  codeStep4?: string;
  loading?: string;
  scan?: string;
  typeCode?: string;
  attempt?: string;
  countdown?: string;
  refreshing?: string;
  newCode?: string;
  codeTitle?: string;
  forNumber?: string;
  codeExpiresIn?: string;
  codeRenews?: string;
  codeReplaced?: string;
  useCode?: string;
  showQr?: string;
  copy?: string;
  copied?: string;
  qrAlt?: string;
  expired?: string;
  reload?: string;
  connected?: string;
  connectedText?: string;
  help?: string;
  waitTitle?: string;
  waitText?: string;
  metaStatus?: string;
  signupTitle?: string;
  signupText?: string;
  signup?: string;
  signupOpen?: string;
  signupReopen?: string;
  signupBlocked?: string;
  signupNewTab?: string;
  signupUnsure?: string;
  signupClosed?: string;
  retry?: string;
  errorNetworkTitle?: string;
  errorNetwork?: string;
  errorRateLimitedTitle?: string;
  errorRateLimited?: string;
  errorExpiredTitle?: string;
  errorExpired?: string;
  errorUnauthorizedTitle?: string;
  errorUnauthorized?: string;
  errorOriginTitle?: string;
  errorOrigin?: string;
  errorLinkExpiredTitle?: string;
  errorLinkExpired?: string;
  errorNotFoundTitle?: string;
  errorNotFound?: string;
  errorNotPairableTitle?: string;
  errorNotPairable?: string;
  errorServerTitle?: string;
  errorServer?: string;
  errorConfigTitle?: string;
  errorConfig?: string;
}
/** A tenant's branding, as Pilot Status names it (`GET /v1/branding`): the page's `branding` option wins over the tenant's, field by field. A value that breaks its rule makes `mount()` throw. */
export interface PilotConnectBranding {
  /** The tenant's name, beside its logo (and the logo's `alt`). Must be 1 to 60 characters. */
  companyName?: string | null;
  /** A line under the title. Must be 1 to 120 characters. */
  subtitle?: string | null;
  /** The logo (`https:` only), at most 32 px high. Must be an `https://` URL. */
  logoUrl?: string | null;
  /** The brand colour of actions, links and the QR's frame (adjusted for contrast). Must be `#RRGGBB`. */
  primaryColor?: string | null;
  /** The card's background in the light theme (text colours follow it for contrast). Must be `#RRGGBB`. */
  backgroundColor?: string | null;
  /** Where "Need help?" leads (`https:` only). Must be an `https://` URL. */
  supportUrl?: string | null;
}
/** The options `update()` changes in place. */
export type UpdatableOption = "locale" | "mode" | "messages" | "appearance" | "branding" | "nextStep";
