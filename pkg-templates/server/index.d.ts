// pilot-connect-server: a typed Pilot Status client for JavaScript backends, built from the
// pilot-connect Rust core. Every response type is lenient: fields this version does not know
// are kept on the object, and enums are open (`(string & {})` keeps unknown values typed).

/** A string enum that also accepts values a later server may add. */
export type Open<T extends string> = T | (string & {});

/** Connection state of a number (or of one link). `CLOSED` from one doc page is read as `CLOSE`. */
export type NumberState = Open<"OPEN" | "CONNECTING" | "CLOSE">;
export type Provider = Open<"PILOT_STATUS" | "META">;
export type Link = "primary" | "secondary";

/** Server fields this version of the types does not name. */
export interface Extra {
  [field: string]: unknown;
}

// ── Client options ──────────────────────────────────────────────────────────────────────────

export interface RetryOptions {
  /** Retries after the first attempt (default 2, at most 10). Only GET is ever retried. */
  maxRetries?: number;
  /** First backoff step (default 250 ms), doubled per retry plus up to one step of jitter. */
  baseDelayMs?: number;
  /** Cap on one backoff step (default 8000 ms). */
  maxDelayMs?: number;
  /** Longest `Retry-After` waited for inside one call (default 10 000 ms); longer → the 429 is thrown. */
  maxRateLimitWaitMs?: number;
  /** Upper bound for a whole call, counting each attempt at its full timeout. */
  totalBudgetMs?: number;
}

interface BaseOptions {
  /** Default `https://pilotstatus.com.br`. Absolute http(s) URL, no query or fragment. */
  baseUrl?: string;
  /** Any WHATWG `fetch` (default: the global one). Node ≥ 18, Bun, Deno, Workers, undici, a mock… */
  fetch?: (input: string, init: RequestInit) => Promise<Response>;
  /** Per-request timeout, 1…600 000 ms (default 30 000). */
  timeoutMs?: number;
  /** `false` never retries; an object tunes the policy. */
  retry?: boolean | RetryOptions;
  /** Sends `x-whatsapp-number-id`, so a tenant key acts on one number. */
  whatsappNumberId?: string;
  /** Default `pilot-connect-server/<version>`. */
  userAgent?: string;
}

/**
 * Give exactly one of `apiKey` / `apiKeyId`, or neither (then only the public remote-pairing
 * token calls work; keyed calls throw `configuration` before sending). `undefined` is accepted so
 * `process.env.PS_API_KEY` can be passed as it is: a key that is given but `undefined`, `null`,
 * empty or blank throws `PilotStatusError` `configuration` at construction.
 */
export type PilotStatusOptions =
  | (BaseOptions & { /** Your `ps_…` key. Never let it reach a browser. */ apiKey: string | undefined; apiKeyId?: never })
  | (BaseOptions & { /** The key's id (`x-api-key-id`). */ apiKeyId: string | undefined; apiKey?: never })
  | (BaseOptions & { apiKey?: never; apiKeyId?: never }); // only the public remote-pairing token calls

// ── Models ──────────────────────────────────────────────────────────────────────────────────

export interface LinkInfo extends Extra {
  state?: NumberState;
  connectedAt?: string | null;
}

export interface LinkCredentials extends Extra {
  /** `data:image/png;base64,…` — checked to be a PNG. */
  qrcodeBase64?: string;
  pairingCode?: string;
}

export interface ApiKeyInfo extends Extra {
  name?: string;
  keyPrefix?: string;
  keyLast4?: string;
}

export interface NumberInstance extends Extra {
  id?: string;
  instanceName?: string;
  number?: string;
  name?: string;
  provider?: Provider;
  state?: NumberState;
  primaryLink?: LinkInfo;
  secondaryLink?: LinkInfo;
  isFullyConnected?: boolean;
  createdAt?: string;
  updatedAt?: string;
}

export interface PilotNumber extends Extra {
  id: string;
  instanceName?: string;
  /** Digits only. */
  number?: string;
  name?: string;
  provider?: Provider;
  apiKeys?: ApiKeyInfo[];
  state?: NumberState;
  isFullyConnected?: boolean;
  primaryLink?: LinkInfo;
  secondaryLink?: LinkInfo;
  health?: unknown;
  meta?: unknown;
  metaPhoneId?: string;
  metaWabaId?: string;
  createdAt?: string;
  updatedAt?: string;
}

/** Evolution-GO fields accept `null` to reset to the provider default. Unknown keys are refused. */
export interface NumberSettings {
  historyImportEnabled?: boolean;
  webhookHistoricalMessages?: boolean;
  ignoreNewsletters?: boolean;
  markReadOnSend?: boolean;
  alwaysOnline?: boolean | null;
  rejectCall?: boolean | null;
  readMessages?: boolean | null;
  ignoreGroups?: boolean | null;
  ignoreStatus?: boolean | null;
  /** At most 1000 characters. */
  msgRejectCall?: string | null;
}

export interface CreateNumberInput {
  /** Display name (not empty, no control characters). */
  name: string;
  /** E.164 (`+5511999999999`); spaces, dashes, dots and parentheses are removed. */
  number: string;
  linkToApiKey?: boolean;
  settings?: NumberSettings;
}

export interface CreatedNumber extends Extra {
  /** `instance.id`, lifted for convenience. */
  id: string | null;
  instance?: NumberInstance;
  qrcodeBase64?: string;
  pairingCode?: string;
  linkedApiKeyId?: string;
  primaryLink?: LinkCredentials;
  secondaryLink?: LinkCredentials;
}

export interface CreateMetaNumberInput {
  name: string;
  /** At least 8 digits, optional `+`. */
  number: string;
  metaPhoneId: string;
  metaWabaId: string;
  metaAccessToken: string;
  metaAppSecret: string;
  metaAppId: string;
  linkToApiKey?: boolean;
}

export interface CreatedMetaNumber extends Extra {
  number: PilotNumber;
  webhook?: { url?: string; /** Configure it in your Meta app: `verifyToken.reveal()`. */ verifyToken?: Secret | null } & Extra;
  linkedApiKeyId?: string;
}

/** What `connect` means for the person holding the phone. */
export type ConnectResult =
  | ({
      state: "pairing";
      /** `data:image/png;base64,…` (checked to be a PNG, safe for `<img src>`), or null if none came. */
      qr: string | null;
      /** "Link with phone number" code, as received; null when the provider gives none. */
      pairingCode: string | null;
      secondaryLink?: LinkCredentials;
    } & Extra)
  /** The documented 409: already connected, nothing to pair. */
  | { state: "connected" };

export interface NumberStatus extends Extra {
  id?: string;
  state: NumberState;
  isFullyConnected?: boolean;
  /** true: the provider did not answer and `state` is the last one remembered. */
  stale?: boolean;
  checkedAt?: string;
  lastKnownAt?: string;
  /** Ready to send: `isFullyConnected` when present, else `state === "OPEN"` (the core's rule). */
  ready: boolean;
}

export interface Deleted extends Extra {
  ok: boolean;
  /** Present where the server soft-deletes (30 days). */
  restorableUntil?: string;
}

export interface Restored extends Extra {
  ok: boolean;
  requiresReconnect?: boolean;
}

export interface OkResult extends Extra {
  ok: boolean;
}

export type CreateRemotePairingInput =
  | {
      provider?: "PILOT_STATUS";
      name: string;
      number: string;
      /** Also send the link to the phone over WhatsApp. */
      sendViaWhatsApp?: boolean;
      linkToApiKey?: boolean;
      branding?: Record<string, unknown>;
    }
  | {
      provider: "META";
      metaFlow?: Open<"embedded" | "credentials">;
      redirectUrl?: string;
      externalRef?: string;
      linkToApiKey?: boolean;
      branding?: Record<string, unknown>;
    };

export interface RemotePairingLink extends Extra {
  /** `remotePairingToken`, else the last segment of `remotePairingUrl`. */
  token: string | null;
  /** `numberId`, else `instance.id`. */
  numberId: string | null;
  provider?: Provider;
  remotePairingToken?: string;
  remotePairingUrl?: string;
  instance?: NumberInstance;
  maskedNumber?: string;
  messageSent?: boolean;
  messageError?: string;
  linkedApiKeyId?: string;
}

export interface RemotePairingInfo extends Extra {
  valid: boolean;
  name?: string;
  number?: string;
  maskedNumber?: string;
  state?: NumberState;
  reason?: string;
  primaryLink?: LinkInfo;
  secondaryLink?: LinkInfo;
}

export interface RemotePairingStatus extends Extra {
  state: NumberState;
  isFullyConnected?: boolean;
  primaryLink?: LinkInfo;
  secondaryLink?: LinkInfo;
  ready: boolean;
}

export interface Webhook extends Extra {
  id: string;
  url?: string;
  /** `"*"` = all events. */
  events?: string[];
  /** `false`: deliveries paused. */
  active?: boolean;
  /** The number it belongs to (fixed at creation). */
  whatsappNumberId?: string;
  createdAt?: string;
  updatedAt?: string;
}

export interface CreateWebhookInput {
  /** Absolute http(s) URL that receives signed `POST`s. */
  url: string;
  /** At least one: e.g. `["number.connected", "number.disconnected"]`, or `["*"]` for all. */
  events: [string, ...string[]];
  /** Which number (required with a tenant key, unless the client has `whatsappNumberId`). */
  whatsappNumberId?: string;
  active?: boolean;
}

/** At least one change. `events` replaces the whole list. */
export type UpdateWebhookInput =
  | { url: string; events?: [string, ...string[]]; active?: boolean }
  | { url?: string; events: [string, ...string[]]; active?: boolean }
  | { url?: string; events?: [string, ...string[]]; active: boolean };

export interface WebhookLog extends Extra {
  id?: string;
  event?: string;
  statusCode?: number | null;
  success?: boolean;
  error?: string | null;
  createdAt?: string;
}

// ── Client ──────────────────────────────────────────────────────────────────────────────────

export interface Numbers {
  /** `POST /v1/numbers`: a QR-paired number, with its first QR and pairing code. */
  create(input: CreateNumberInput): Promise<CreatedNumber>;
  /** `POST /v1/numbers/meta`: a Meta Cloud API number with your WABA credentials. */
  createMeta(input: CreateMetaNumberInput): Promise<CreatedMetaNumber>;
  /** `GET /v1/numbers/{id}/connect`: a fresh QR + pairing code, or `connected` (the 409). */
  connect(id: string, options?: { link?: Link }): Promise<ConnectResult>;
  /** `GET /v1/numbers/{id}/status`: live state (retried on 5xx/network). */
  status(id: string, options?: { link?: Link }): Promise<NumberStatus>;
  /** `GET /v1/numbers`. */
  list(): Promise<PilotNumber[]>;
  /** `GET /v1/numbers/{id}`; `refresh` asks the provider instead of the cache. */
  get(id: string, options?: { refresh?: boolean }): Promise<PilotNumber>;
  /** `DELETE /v1/numbers/{id}` (never retried). */
  delete(id: string): Promise<Deleted>;
  /** `POST /v1/numbers/{id}/restore` within the soft-delete window. */
  restore(id: string): Promise<Restored>;
  /** `DELETE /v1/numbers/{id}/purge`: immediate and irreversible. */
  purge(id: string): Promise<OkResult>;
}

export interface RemotePairing {
  /** `POST /v1/numbers/remote-pairing`: a 24 h single-use link for your customer. */
  create(input: CreateRemotePairingInput): Promise<RemotePairingLink>;
  /** `GET /v1/remote-pairing/{token}` (public: no key needed). */
  info(token: string): Promise<RemotePairingInfo>;
  /** `GET /v1/remote-pairing/{token}/status` (public). */
  status(token: string): Promise<RemotePairingStatus>;
  /** `POST /v1/remote-pairing/{token}/connect` (public). */
  connect(token: string): Promise<ConnectResult>;
}

/**
 * `/v1/webhooks`: one webhook per number. The signing secret is never returned by the API: it
 * comes from the dashboard (pass it to `verifyWebhook`).
 */
export interface Webhooks {
  list(): Promise<Webhook[]>;
  create(input: CreateWebhookInput): Promise<Webhook>;
  get(id: string): Promise<Webhook>;
  update(id: string, changes: UpdateWebhookInput): Promise<Webhook>;
  delete(id: string): Promise<OkResult>;
  /** Recent delivery attempts; `limit` 1…50. */
  logs(id: string, options?: { limit?: number; event?: string }): Promise<WebhookLog[]>;
}

export class PilotStatus {
  /**
   * @throws {PilotStatusError} `configuration` for an `apiKey`/`apiKeyId` given but empty or
   * undefined (an unset environment variable); `validation` for other bad options (unknown
   * keys, both keys, a key without `ps_`, bad URL…).
   */
  constructor(options?: PilotStatusOptions);
  readonly numbers: Numbers;
  readonly remotePairing: RemotePairing;
  readonly webhooks: Webhooks;
  /** `{ client: "PilotStatus", credentials: "[redacted]" }` */
  toJSON(): { client: "PilotStatus"; credentials: "[redacted]" };
}

// ── Errors ──────────────────────────────────────────────────────────────────────────────────

export type ErrorKind =
  | "validation" // refused before sending: `field` / `path` name the input
  | "configuration" // a key or secret missing, empty or too short (an unset env var?), or a keyed call on a client without a key: `field` names the option; nothing was sent
  | "bad_request" // 400
  | "unauthorized" // 401
  | "forbidden" // 403 (`code`: TENANT_SCOPE_NOT_ALLOWED, NUMBER_SCOPE_NOT_ALLOWED, PERMISSION_DENIED…)
  | "not_found" // 404
  | "conflict" // 409 (other than connect's "already connected", which is a state)
  | "rate_limited" // 429: see `retryAfterMs`
  | "server" // 5xx
  | "http" // another status (402, 3xx: redirects are never followed)
  | "decode" // a 2xx body that does not fit: `path` is the JSON path
  | "network"
  | "timeout"
  | "token" // verifyConnectToken: `code` names the failed check
  | "signature" // verifyWebhook: `code` is missing | malformed | mismatch
  | "internal";

export type ApiErrorCode = Open<
  | "TENANT_SCOPE_NOT_ALLOWED" | "NUMBER_SCOPE_NOT_ALLOWED" | "PERMISSION_DENIED" | "NUMBER_NOT_FOUND"
  | "NUMBER_SOFT_DELETED" | "NUMBER_ALREADY_ACTIVE" | "EMPTY_PATCH" | "FEATURE_NOT_SUPPORTED"
  | "RATE_LIMITED" | "PROVIDER_NOT_CONFIGURED" | "UPSTREAM_TIMEOUT" | "UPSTREAM_ERROR"
  | "NUMBER_REQUIRED" | "NUMBER_MISMATCH" | "WEBHOOK_NOT_FOUND"
>;
export type TokenErrorCode =
  | "malformed" | "unsupported_algorithm" | "bad_signature" | "expired" | "not_yet_valid"
  | "too_long_lived" | "wrong_audience" | "origin_mismatch" | "invalid_claims";
export type SignatureErrorCode = "missing" | "malformed" | "mismatch";

export class PilotStatusError extends Error {
  readonly name: "PilotStatusError";
  readonly kind: ErrorKind;
  /** HTTP status, when an answer came back. */
  readonly status: number | null;
  readonly code: ApiErrorCode | TokenErrorCode | SignatureErrorCode | null;
  /** From `Retry-After` or the body's `retryAfterSeconds`. */
  readonly retryAfterMs: number | null;
  /** JSON path of the value that failed to decode, or of the refused argument. */
  readonly path: string | null;
  /** The refused input field (`validation`). */
  readonly field: string | null;
  /** Other fields of the API's error body (`reason`, `declineCode`, …). */
  readonly details: Record<string, unknown>;
}

/** A value that must not be logged. JSON, `util.inspect` and `String()` show `[redacted]`. */
export class Secret {
  constructor(value: string);
  reveal(): string;
  toJSON(): "[redacted]";
  toString(): "[redacted]";
}

// ── Connect tokens (for the pilot-connect edge worker) ──────────────────────────────────────

export interface MintConnectTokenOptions {
  /**
   * The HS256 secret shared with the worker (CONNECT_TOKEN_SECRET), at least 32 bytes.
   * `undefined`, empty or shorter: `PilotStatusError` `configuration`.
   */
  secret: string | undefined;
  /** The number the token may pair (`sub`). */
  numberId: string;
  /** The worker's CONNECT_TOKEN_AUDIENCE (`aud`). */
  audience: string;
  /** The only page origin allowed to use it, e.g. `https://app.example.com`. */
  origin?: string;
  /** Lifetime, 1…3600 s (default 600). */
  ttlSeconds?: number;
  link?: Link;
  /** Unix seconds; default the current time. */
  now?: number;
}

export interface VerifyConnectTokenOptions {
  /** As in `MintConnectTokenOptions`: `undefined`, empty or shorter than 32 bytes is `configuration`. */
  secret: string | undefined;
  audience: string;
  /** The request's `Origin` header: must equal the token's `origin` claim when it has one. */
  origin?: string;
  /** Clock-skew allowance, default 30 s, at most 300. */
  leewaySeconds?: number;
  now?: number;
}

export interface ConnectClaims {
  sub: string;
  aud: string;
  iat: number;
  exp: number;
  nbf?: number;
  link?: Link;
  origin?: string;
}

/** @throws {PilotStatusError} `configuration` (the secret), `validation` (other options). */
export function mintConnectToken(options: MintConnectTokenOptions): string;
/** HS256 only, lifetime ≤ 1 h, audience and origin checked. @throws {PilotStatusError} `token`, `configuration` (the secret). */
export function verifyConnectToken(token: string, options: VerifyConnectTokenOptions): ConnectClaims;

// ── Webhooks ────────────────────────────────────────────────────────────────────────────────

export type NumberEventName = "number.created" | "number.connected" | "number.disconnected" | "number.removed" | "number.restored";

export interface NumberEventData extends Extra {
  numberId: string;
  /** E.164 with `+`. */
  phone: string;
  displayName: string;
  createdAt: string;
  profileName?: string;
  error?: string;
  errorCode?: string;
}

/** A `number.*` lifecycle event. Narrow with `event.kind === "number"`. */
export interface NumberEvent {
  kind: "number";
  event: NumberEventName;
  data: NumberEventData;
  /** `event|numberId|createdAt`: drop retried duplicates with it. */
  dedupKey: string;
}

/** Any other event (`number.recovered`, health events, future ones): acknowledge it, never refuse it. */
export interface OtherEvent {
  kind: "other";
  event: string;
  /** The `data` object, or the whole body for events sent without one. */
  data: unknown;
  dedupKey: null;
}

export type WebhookEvent = NumberEvent | OtherEvent;

export const SIGNATURE_HEADER: "x-pilot-status-signature";

/**
 * Checks `x-pilot-status-signature` (constant time) over the raw body, then parses the event.
 * Pass the exact bytes you received — not `JSON.parse`d, not re-serialised.
 * @throws {PilotStatusError} `signature` (answer 401) or `decode` (answer 400); `configuration`
 * for a secret that is `undefined` or empty (an unset environment variable: your fault, not the sender's).
 */
export function verifyWebhook(
  secret: string | Secret | undefined,
  rawBody: string | Uint8Array | ArrayBuffer | ArrayBufferView,
  signatureHeader: string | string[] | null | undefined,
): WebhookEvent;

/** The header value Pilot Status sends for this body: for testing your receiver. */
export function signWebhook(secret: string | Secret, rawBody: string | Uint8Array | ArrayBuffer | ArrayBufferView): string;
