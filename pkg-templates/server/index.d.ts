// pilot-connect-server: a typed Pilot Status client for JavaScript backends, built from the
// pilot-connect Rust core. Every response type is lenient: fields this version does not know
// are kept on the object, and enums are open (`(string & {})` keeps unknown values typed).
// The ids the contract always returns are not: a number's `id` (create, list, get), a
// webhook's `id` and a PILOT_STATUS remote-pairing link's `numberId` are plain `string`s, and
// an answer without one throws `PilotStatusError` `decode` with the id's JSON `path`.

/** A string enum that also accepts values a later server may add. */
export type Open<T extends string> = T | (string & {});

// <enums> generated from the core's open enums (server/src/reason.rs enums_block)
/** Connection state of a number (or of one link). `CLOSED` from one doc page is read as `CLOSE`. */
export type NumberState = Open<"OPEN" | "CONNECTING" | "CLOSE">;
export type Provider = Open<"PILOT_STATUS" | "META">;
export type Link = "primary" | "secondary";
// </enums>

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

// <models> generated from the core's types (server/tests/models.rs): edit the Rust types there

/** State of one link of a number. */
export interface LinkInfo extends Extra {
  /** Link state. */
  state?: NumberState;
  /** When it connected. */
  connectedAt?: string;
}

/** QR + pairing code of one link, as returned by create/connect. */
export interface LinkCredentials extends Extra {
  /** The QR image: `data:image/png;base64,…`, checked to be a PNG. */
  qrcodeBase64?: string;
  /** The pairing code (`null` when the provider gives none). */
  pairingCode?: string;
}

/** Metadata of an API key as listed with a number (never the key itself). */
export interface ApiKeyInfo extends Extra {
  /** Key name. */
  name?: string;
  /** First characters, e.g. `ps_abcd`. */
  keyPrefix?: string;
  /** Last four characters. */
  keyLast4?: string;
}

/**
 * A number as returned inside create and remote-pairing results. Its `id` is always there
 * (the SDK's `WhatsAppNumberInstance.id` is required, and every documented example has it): an
 * answer without it is a `DecodeError` at `instance.id`. Everything else
 * is optional.
 */
export interface NumberInstance extends Extra {
  /**
   * Number id (as used in `/v1/numbers/{id}`). Always there (a missing one is a decode
   * error at `instance.id`).
   */
  id: string;
  /** Provider-side instance name. */
  instanceName?: string;
  /** Phone, digits only. */
  number?: string;
  /** Display name. */
  name?: string;
  /** Provider. */
  provider?: Provider;
  /** Connection state. */
  state?: NumberState;
  /** First link. */
  primaryLink?: LinkInfo;
  /** Second link (dual numbers). */
  secondaryLink?: LinkInfo;
  /** Ready to send. */
  isFullyConnected?: boolean;
  /** ISO-8601. */
  createdAt?: string;
  /** ISO-8601. */
  updatedAt?: string;
}

/** One number of `GET /v1/numbers`, or the detail of `GET /v1/numbers/{id}`. */
export interface PilotNumber extends Extra {
  /**
   * Number id: always there (the list example, the SDK's `NumberDetail.id` is required); an
   * item without it is a decode error at `i.id` / `id`.
   */
  id: string;
  /** Provider-side instance name. */
  instanceName?: string;
  /** Phone, digits only. */
  number?: string;
  /** Display name. */
  name?: string;
  /** Provider. */
  provider?: Provider;
  /** Key metadata. */
  apiKeys?: ApiKeyInfo[];
  /** Connection state. */
  state?: NumberState;
  /** Ready to send. */
  isFullyConnected?: boolean;
  /** First link. */
  primaryLink?: LinkInfo;
  /** Second link. */
  secondaryLink?: LinkInfo;
  /** Health block (get-one). */
  health?: unknown;
  /** Meta block (get-one; `null` for QR numbers). */
  meta?: unknown;
  /** Meta phone id (Meta numbers). */
  metaPhoneId?: string;
  /** Meta WABA id (Meta numbers). */
  metaWabaId?: string;
  /** ISO-8601. */
  createdAt?: string;
  /** ISO-8601. */
  updatedAt?: string;
  /**
   * **Use this** to know whether the number is connected (list/get; absent on `createMeta`'s
   * `number`): `isFullyConnected` when the server sends it, else `state === "OPEN"`.
   * `isFullyConnected` itself is the raw upstream field.
   */
  ready?: boolean;
}

/** Evolution-GO fields accept `null` to reset to the provider default. Unknown keys are refused. */
export interface NumberSettings {
  /** Import history after connecting (default true; only settable at creation). */
  historyImportEnabled?: boolean;
  /** Deliver historical messages to webhooks. */
  webhookHistoricalMessages?: boolean;
  /** Ignore newsletter messages. */
  ignoreNewsletters?: boolean;
  /** Mark read on send (Meta only). */
  markReadOnSend?: boolean;
  /** Evolution-GO: always online. */
  alwaysOnline?: boolean | null;
  /** Evolution-GO: reject calls. */
  rejectCall?: boolean | null;
  /** Evolution-GO: mark incoming messages read. */
  readMessages?: boolean | null;
  /** Evolution-GO: ignore groups. */
  ignoreGroups?: boolean | null;
  /** Evolution-GO: ignore status updates. */
  ignoreStatus?: boolean | null;
  /** Evolution-GO: message sent when a call is rejected (≤ 1000 characters). */
  msgRejectCall?: string | null;
}

/** What `numbers.create` takes. Unknown keys are refused. */
export interface CreateNumberInput {
  /** Display name (not empty, no control characters). */
  name: string;
  /** E.164 (`+5511999999999`); spaces, dashes, dots and parentheses are removed. */
  number: string;
  /** Re-point the calling key to the new number. */
  linkToApiKey?: boolean;
  /** Initial settings. */
  settings?: NumberSettings;
}

/** The created number with its first QR and pairing code. */
export interface CreatedNumber extends Extra {
  /**
   * The number. Always there, with its id (the SDK's `CreateNumberResult.instance` is
   * required): an answer without it is a decode error at `instance` / `instance.id`.
   */
  instance: NumberInstance;
  /** First QR. */
  qrcodeBase64?: string;
  /** Pairing code (`null` when the provider gives none). */
  pairingCode?: string;
  /** The key re-pointed to this number (`null` with a tenant key). */
  linkedApiKeyId?: string;
  /** QR + code of the first link. */
  primaryLink?: LinkCredentials;
  /** QR + code of the second link (dual numbers). */
  secondaryLink?: LinkCredentials;
  /** The new number's id: `instance.id`, lifted. Always there (a `decode` error otherwise). */
  id: string;
}

/**
 * What `numbers.createMeta` takes: every field but `linkToApiKey` is required by the API.
 * Unknown keys are refused.
 */
export interface CreateMetaNumberInput {
  /** Display name. */
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

/** Where to point your Meta app's webhook. */
export interface MetaNumberWebhook extends Extra {
  /** Callback URL to configure in the Meta app. */
  url?: string;
  /** Configure it in your Meta app: `verifyToken.reveal()`. */
  verifyToken?: Secret | null;
}

/** The created Meta number and its webhook set-up. */
export interface CreatedMetaNumber extends Extra {
  /** The number (`provider: META`). */
  number: PilotNumber;
  /** Webhook URL + verify token for the Meta app. */
  webhook?: MetaNumberWebhook;
  /** The key linked to this number. */
  linkedApiKeyId?: string;
}

/**
 * Any of the three documented status shapes: `{id,state}`, `{state,isFullyConnected}` and
 * `{id,state,stale,checkedAt|lastKnownAt}`.
 */
export interface NumberStatus extends Extra {
  /** Number id (absent in one documented shape, `{state, isFullyConnected}`). */
  id?: string;
  /** Connection state. */
  state: NumberState;
  /**
   * Ready to send (absent in two shapes): the raw upstream field, which on a dual number
   * speaks for both links. To decide, use the link rule (`NumberStatus::is_link_connected`;
   * `ready` in the npm package).
   */
  isFullyConnected?: boolean;
  /** `true`: the provider did not answer and `state` is the last one remembered. */
  stale?: boolean;
  /** When a live reading was taken. */
  checkedAt?: string;
  /** When the remembered state was last seen live. */
  lastKnownAt?: string;
  /** First link (the SDK's shape). */
  primaryLink?: LinkInfo;
  /** Second link: present only for a dual number (`null` otherwise). */
  secondaryLink?: LinkInfo;
  /**
   * **THE answer to "is it connected?"** — for the link asked about (primary unless
   * `{ link: "secondary" }`), by the core's rule (`NumberStatus::is_link_connected`): on a dual
   * number that link's own `state === "OPEN"` (`isFullyConnected` speaks for both links); on a
   * single link `isFullyConnected` when present, else `state === "OPEN"`.
   */
  ready: boolean;
}

/** `{ok:true}` (permanent delete) or `{ok:true, restorableUntil}` (soft delete). */
export interface Deleted extends Extra {
  /** `true` on success. */
  ok: boolean;
  /**
   * Until when `restore` works (ISO-8601; 30 days where the server soft-deletes); absent on
   * servers that delete permanently.
   */
  restorableUntil?: string;
}

/** `{ok:true, requiresReconnect:true}`. */
export interface Restored extends Extra {
  /** `true` on success. */
  ok: boolean;
  /** Always `true` today: pair again with connect. */
  requiresReconnect?: boolean;
}

/** `{ ok, … }` answers (purge, and the base of delete/restore). */
export interface OkResult extends Extra {
  /** `true` on success. */
  ok: boolean;
}

/**
 * Any of the documented answers (OpenAPI, guide, SDK). For a PILOT_STATUS link the number id
 * is always there (checked by `CreateRemotePairing`'s parse, a decode error at `numberId`
 * otherwise): the number is created with the link (in `CLOSE`), and every documented shape
 * carries its id, as `numberId` (OpenAPI) or `instance.id` (guide, SDK). For a META link it
 * may be absent: the person picks the number in Meta's signup dialog after the link is made.
 * Everything else is optional.
 */
export interface RemotePairingLink extends Extra {
  /** Provider of the link. */
  provider?: Provider;
  /** The token (`rp_…` or a UUID). */
  remotePairingToken?: string;
  /** The link to give the end customer. */
  remotePairingUrl?: string;
  /**
   * `numberId`, else `instance.id`. A string for a PILOT_STATUS link (see
   * `PilotStatusRemotePairingLink`); `null` possible only for a META link, whose number is
   * picked in Meta's signup dialog after the link is made.
   */
  numberId: string | null;
  /**
   * The number being paired (starts `CLOSE`); when present, its `id` is required. The SDK's
   * `RemotePairingResult` is `total=False` and the OpenAPI shape has no `instance`, so the
   * object itself is optional.
   */
  instance?: NumberInstance;
  /** e.g. `+551199****9999`. */
  maskedNumber?: string;
  /** Whether the WhatsApp message went out. */
  messageSent?: boolean;
  /** Why it did not. */
  messageError?: string;
  /** The key linked to the number. */
  linkedApiKeyId?: string;
  /** `remotePairingToken`, else the last segment of `remotePairingUrl`. */
  token: string | null;
}

/** `{valid, name, number|maskedNumber, state, reason?, …}`. */
export interface RemotePairingInfo extends Extra {
  /** Whether the token can still be used. */
  valid: boolean;
  /** Display name. */
  name?: string;
  /** Phone (docs). */
  number?: string;
  /** Masked phone (SDK). */
  maskedNumber?: string;
  /** Current state. */
  state?: NumberState;
  /** Why it is not valid. */
  reason?: string;
  /** First link. */
  primaryLink?: LinkInfo;
  /** Second link. */
  secondaryLink?: LinkInfo;
  /**
   * The link's branding snapshot, when it was created with one: read from `branding` or
   * `brandingOverride` (the documentation uses both names). When an answer carries both,
   * this is `branding` and `brandingOverride` stays with the unknown fields. A value that is
   * not an object is left out.
   */
  branding?: Branding;
}

/** `{state, isFullyConnected, primaryLink?, secondaryLink?}`. */
export interface RemotePairingStatus extends Extra {
  /** Connection state. */
  state: NumberState;
  /**
   * Ready to send: the raw upstream field. To decide, use the link rule (`ready` in the npm
   * package).
   */
  isFullyConnected?: boolean;
  /** First link. */
  primaryLink?: LinkInfo;
  /** Second link. */
  secondaryLink?: LinkInfo;
  /** **THE answer to "is it connected?"**, by the same rule as `NumberStatus.ready`. */
  ready: boolean;
}

/**
 * A webhook of one number, as `/v1/webhooks` returns it. The contract documents no response
 * example, so everything but `id` is optional and unknown fields are kept. The `id` is
 * required: every other webhook route takes it (`/v1/webhooks/{id}`), so an answer without
 * one is useless and a decode error at `id`. The signing secret is never returned by the API.
 */
export interface Webhook extends Extra {
  /** Webhook id (as used in `/v1/webhooks/{id}`). */
  id: string;
  /** Optional label (e.g. `"pilot-connect edge"`). */
  name?: string;
  /** Where deliveries go. */
  url?: string;
  /** Subscribed events; `"*"` means all, an empty list dispatches nothing. */
  events?: string[];
  /** `false` pauses deliveries. */
  active?: boolean;
  /** The number it belongs to (fixed at creation). */
  whatsappNumberId?: string;
  /** Created at (ISO-8601). */
  createdAt?: string;
  /** Updated at (ISO-8601). */
  updatedAt?: string;
}

/**
 * What `webhooks.create` takes. Unknown keys are refused. The signing secret is not returned:
 * it comes from the dashboard.
 */
export interface CreateWebhookInput {
  /** Absolute http(s) URL that receives signed `POST`s. */
  url: string;
  /** At least one: e.g. `"number.connected", "number.disconnected"`, or `"*"` for all. */
  events: [string, ...string[]];
  /** Which number (required with a tenant key, unless the client has `whatsappNumberId`). */
  whatsappNumberId?: string;
  /** `false` creates it paused. */
  active?: boolean;
  /** A label: not empty, at most 100 characters. */
  name?: string;
}

/**
 * One delivery attempt of a webhook (`GET /v1/webhooks/{id}/logs`). Undocumented shape:
 * every field is optional and unknown fields are kept.
 */
export interface WebhookLog extends Extra {
  /** Log entry id. */
  id?: string;
  /** Event name. */
  event?: string;
  /** HTTP status the target answered, when it answered. */
  statusCode?: number;
  /** Whether the delivery succeeded. */
  success?: boolean;
  /** Transport or target error. */
  error?: string;
  /** When (ISO-8601). */
  createdAt?: string;
}

/**
 * A tenant's branding (`GET`/`PUT /v1/branding`), also the per-link snapshot of a
 * remote-pairing link (`branding` / `brandingOverride`). What the hosted connect page shows:
 * URL query parameters win over the link's snapshot, which wins over the tenant's branding.
 */
export interface Branding extends Extra {
  /** Logo image URL (https). */
  logoUrl?: string;
  /** Main colour, `#RRGGBB`. */
  primaryColor?: string;
  /** Background colour, `#RRGGBB`. */
  backgroundColor?: string;
  /** Company name shown on the page (at most 60 characters). */
  companyName?: string;
  /** Line under the company name (at most 120 characters). */
  subtitle?: string;
  /** Where the page's "help" link goes (https). */
  supportUrl?: string;
  /** Where the person goes after pairing, unless the link says otherwise (https). */
  defaultRedirectUrl?: string;
  /** Hide the "Pilot Status" marks on the hosted pages. */
  hidePilotStatusBranding?: boolean;
}

/**
 * What `branding.update` takes: a field set to a value changes it, `null` clears it, a field
 * left out is left as it is. At least one. Unknown keys are refused.
 */
export interface UpdateBrandingInput {
  /** Logo image URL (https); `null` clears it. */
  logoUrl?: string | null;
  /** Main colour, `#RRGGBB`; `null` clears it. */
  primaryColor?: string | null;
  /** Background colour, `#RRGGBB`; `null` clears it. */
  backgroundColor?: string | null;
  /** Company name, 1…60 characters; `null` clears it. */
  companyName?: string | null;
  /** Line under the company name, 1…120 characters; `null` clears it. */
  subtitle?: string | null;
  /** Support page URL (https); `null` clears it. */
  supportUrl?: string | null;
  /** Where the person goes after pairing (https); `null` clears it. */
  defaultRedirectUrl?: string | null;
  /** Hide the "Pilot Status" marks on the hosted pages; `null` clears it. */
  hidePilotStatusBranding?: boolean | null;
}

// </models>

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

/**
 * A link's own branding snapshot, shown over the tenant's branding (`branding.get()`). Checked
 * like `branding.update` before sending (https URLs, `#RRGGBB` colours, `companyName` ≤ 60 and
 * `subtitle` ≤ 120 characters); sent to Pilot Status under both names its documentation uses.
 * Give it as `branding` or as `brandingOverride`, not both.
 */
export type BrandingSnapshotInput =
  | { branding?: Branding; brandingOverride?: never }
  | { brandingOverride?: Branding; branding?: never };

export type CreateRemotePairingInput =
  | ({
      provider?: "PILOT_STATUS";
      name: string;
      number: string;
      /** Also send the link to the phone over WhatsApp. */
      sendViaWhatsApp?: boolean;
      linkToApiKey?: boolean;
    } & BrandingSnapshotInput)
  | ({
      provider: "META";
      metaFlow?: Open<"embedded" | "credentials">;
      redirectUrl?: string;
      externalRef?: string;
      linkToApiKey?: boolean;
    } & BrandingSnapshotInput);

/** A PILOT_STATUS link: the number is created with it, so its id is always there (a `decode` error at `numberId` otherwise). */
export interface PilotStatusRemotePairingLink extends RemotePairingLink {
  numberId: string;
}

interface WebhookChanges {
  url?: string;
  /** Replaces the whole list. */
  events?: [string, ...string[]];
  active?: boolean;
  /** Not empty, at most 100 characters. */
  name?: string;
}

/** At least one change. `events` replaces the whole list. */
export type UpdateWebhookInput =
  | (WebhookChanges & { url: string })
  | (WebhookChanges & { events: [string, ...string[]] })
  | (WebhookChanges & { active: boolean })
  | (WebhookChanges & { name: string });

interface ProvisionEdgeBase {
  /** The number whose webhooks are provisioned. */
  whatsappNumberId: string;
  /**
   * The edge worker's URL (what the widget's `endpoint` is), or its full webhook URL
   * (`…/v1/hooks/pilot-status`). `undefined` (an unset environment variable): `configuration`.
   */
  edgeUrl: string | undefined;
  /** Name of a webhook created for the edge (default `"pilot-connect edge"`). */
  name?: string;
}

/**
 * `mode: "auto"` (default): the edge's own webhook for the four lifecycle events, or relay when
 * the number takes one webhook — the customer's is never changed. `mode: "edge_in_front"`: the
 * edge takes every event and forwards it to `forwardTo`.
 */
export type ProvisionEdgeInput =
  | (ProvisionEdgeBase & { mode?: "auto"; forwardTo?: never })
  | (ProvisionEdgeBase & {
      mode: "edge_in_front";
      /** Your own receiver's URL: set it as the worker's FORWARD_WEBHOOK_URL. */
      forwardTo: string;
    });

interface ProvisionEdgeCommon {
  /** What was done: a webhook created, one updated (events, resumed, or pointed at the edge), or nothing. */
  action: "created" | "updated" | "unchanged" | "none";
  /** `edgeUrl` + `/v1/hooks/pilot-status`. */
  edgeWebhookUrl: string;
  /** What the operator still has to do (worker secrets, FORWARD_WEBHOOK_URL, relayWebhook). */
  message: string;
}

export type ProvisionEdgeResult =
  /** The edge has its own webhook, for the four lifecycle events; yours are untouched. */
  | (ProvisionEdgeCommon & { topology: "side_by_side"; webhook: Webhook })
  /** One webhook per number, and it is yours: unchanged (`webhook`); call `relayWebhook` from your receiver. */
  | (ProvisionEdgeCommon & { topology: "relay"; action: "none"; webhook: Webhook | null })
  /** The edge takes every event; set the worker's FORWARD_WEBHOOK_URL to `forwardWebhookUrl`. */
  | (ProvisionEdgeCommon & { topology: "edge_in_front"; webhook: Webhook; forwardWebhookUrl: string });

// ── Client ──────────────────────────────────────────────────────────────────────────────────

// <operations> generated from server/src/ops.rs: edit the table there
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
  create(input: Extract<CreateRemotePairingInput, { name: string }>): Promise<PilotStatusRemotePairingLink>;
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
  /**
   * Sets up the edge worker's webhook for a number without taking your traffic: side by side
   * (its own webhook, the four lifecycle events, never `"*"`), relay (one webhook per number and
   * it is yours: left as it is), or edge in front (asked for with `mode: "edge_in_front"`).
   * Never changes a webhook whose URL is not the edge's, except the one at `forwardTo` in
   * `edge_in_front` mode. Safe to call again: it converges.
   * @throws {PilotStatusError} `validation` / `configuration` (nothing sent); `conflict` in
   * `edge_in_front` mode when the number's one webhook points elsewhere than `forwardTo`.
   */
  provisionEdge(input: ProvisionEdgeInput): Promise<ProvisionEdgeResult>;
}

/**
 * `/v1/branding`: the tenant's branding, what the hosted connect page shows unless a link's own
 * snapshot (`remotePairing.create({ branding })`) says otherwise. Tenant key only: a number key
 * gets `forbidden` (`number_key_not_allowed`).
 */
export interface TenantBranding {
  /** `GET /v1/branding`: the tenant's branding (`{}` when nothing is set). */
  get(): Promise<Branding>;
  /**
   * `PUT /v1/branding`: changes the fields given (`null` clears one; a field left out is left
   * as it is) and answers the whole branding. At least one change.
   */
  update(changes: UpdateBrandingInput): Promise<Branding>;
}
// </operations>

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
  readonly branding: TenantBranding;
  /** `{ client: "PilotStatus", credentials: "[redacted]" }` */
  toJSON(): { client: "PilotStatus"; credentials: "[redacted]" };
}

// ── Errors ──────────────────────────────────────────────────────────────────────────────────

// <codes> generated from the core's and the edge's lists (server/src/reason.rs codes_block)
/** The `code` of a Pilot Status error body: the documented set (the server may add more). */
export type ApiErrorCode = Open<
  | "TENANT_SCOPE_NOT_ALLOWED"
  | "NUMBER_SCOPE_NOT_ALLOWED"
  | "PERMISSION_DENIED"
  | "NUMBER_NOT_FOUND"
  | "NUMBER_SOFT_DELETED"
  | "NUMBER_ALREADY_ACTIVE"
  | "EMPTY_PATCH"
  | "FEATURE_NOT_SUPPORTED"
  | "RATE_LIMITED"
  | "PROVIDER_NOT_CONFIGURED"
  | "UPSTREAM_TIMEOUT"
  | "UPSTREAM_ERROR"
  | "NUMBER_REQUIRED"
  | "NUMBER_MISMATCH"
  | "WEBHOOK_NOT_FOUND"
>;
/** `verifyConnectToken`'s failed check (`kind: "token"`). */
export type TokenErrorCode =
  | "malformed"
  | "unsupported_algorithm"
  | "bad_signature"
  | "expired"
  | "not_yet_valid"
  | "too_long_lived"
  | "wrong_audience"
  | "origin_mismatch"
  | "invalid_claims"
;
/** `verifyWebhook`'s failed check (`kind: "signature"`). */
export type SignatureErrorCode =
  | "missing"
  | "malformed"
  | "mismatch"
;
/** The edge worker's public error codes (`relayWebhook`'s `code` when the edge refused, `kind: "edge"`). */
export type EdgeErrorCode =
  | "config_error"
  | "missing_token"
  | "invalid_token"
  | "token_expired"
  | "origin_mismatch"
  | "origin_not_allowed"
  | "rate_limited"
  | "not_found"
  | "not_pairable"
  | "unauthorized_upstream"
  | "upstream_timeout"
  | "upstream_error"
  | "bad_upstream_response"
  | "route_not_found"
  | "method_not_allowed"
  | "unavailable"
  | "invalid_signature"
  | "bad_request"
  | "link_expired"
  | "payload_too_large"
  | "no_forward_target"
;
/** The events whose `data` is a `NumberEventData` (the core's `NUMBER_DATA_EVENTS`). */
export type NumberEventName =
  | "number.created"
  | "number.connected"
  | "number.disconnected"
  | "number.removed"
  | "number.restored"
;
/** The four lifecycle events the edge worker acts on (the core's `EDGE_EVENTS`). */
export type EdgeEventName =
  | "number.connected"
  | "number.disconnected"
  | "number.removed"
  | "number.restored"
;
// </codes>

// <reasons> generated from server/src/reason.rs: edit the table there
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
  | "network" // the request did not complete (connection refused or dropped, DNS, TLS)
  | "timeout" // no answer within `timeoutMs`
  | "token" // verifyConnectToken: `code` names the failed check
  | "signature" // verifyWebhook: `code` is missing | malformed | mismatch
  | "raw_body_required" // verifyWebhook / relayWebhook got a parsed body, not the bytes as received: `code` is parsed | missing | reserialised
  | "edge" // relayWebhook: the edge worker answered non-2xx; `status`, and `code` its public error code (e.g. invalid_signature)
  | "internal" // a fault of this package: please report it
;

/** Why it failed, in one stable word: `PilotStatusError.reason` (beside the API's `code`). */
export type ErrorReason =
  | "invalid_argument" // validation: An argument or option was refused before anything was sent; `field` / `path` name it.
  | "unknown_argument" // validation: An argument or option this version does not know (a typo?); nothing was sent.
  | "missing_api_key" // configuration: `apiKey` / `apiKeyId` given but undefined or empty (an unset PS_API_KEY?), or a keyed call on a client built without a key.
  | "missing_secret" // configuration: A connect-token or webhook secret that is undefined or empty (an unset environment variable?).
  | "secret_too_short" // configuration: A connect-token secret shorter than 32 bytes.
  | "missing_setting" // configuration: Another deployment setting (e.g. `edgeUrl`) that is undefined or empty; `field` names it.
  | "missing_wasm" // configuration: pilot_connect_server_bg.wasm is not where the loader looks: keep the package external or copy the file next to the bundle.
  | "bad_request" // bad_request: 400: Pilot Status refused the request (`code` may say why, e.g. NUMBER_REQUIRED).
  | "unauthorized" // unauthorized: 401: the key is missing, wrong or revoked.
  | "tenant_key_not_allowed" // forbidden: 403 TENANT_SCOPE_NOT_ALLOWED: a tenant key on a per-number route (use a number key or whatsappNumberId).
  | "number_key_not_allowed" // forbidden: 403 NUMBER_SCOPE_NOT_ALLOWED: a number key on a tenant-only route (use the tenant key).
  | "forbidden" // forbidden: Another 403 (e.g. PERMISSION_DENIED).
  | "not_found" // not_found: 404: no such number, webhook or token in this key's scope.
  | "webhook_exists" // conflict: 409 on webhooks.create: the number already has a webhook, most likely the customer's own; keep it (never PATCH or delete it to make room).
  | "conflict" // conflict: Another 409 (`code`: NUMBER_SOFT_DELETED, NUMBER_ALREADY_ACTIVE, …).
  | "rate_limited" // rate_limited: 429: wait `retryAfterMs` (when the server said) before trying again.
  | "server_error" // server: 5xx from Pilot Status (GETs were already retried).
  | "redirect" // http: A 3xx: redirects are never followed, so the key never travels to another host.
  | "http_status" // http: Another non-2xx status (e.g. 402).
  | "decode" // decode: A 2xx answer that does not fit (an id the contract always returns is missing, …): `path` names the JSON path, `details.parser` has the parser's text.
  | "invalid_event" // decode: verifyWebhook: correctly signed, but the body is not a Pilot Status event (answer 400).
  | "raw_body_required" // raw_body_required: The webhook body is not the bytes as received (a body parser ran first, or it was re-serialised): `code` says which.
  | "edge_refused" // edge: relayWebhook: the edge worker answered a non-2xx (`code` is its error code).
  | "network" // network: The request did not complete: connection refused or dropped, DNS, TLS.
  | "timeout" // timeout: No answer within `timeoutMs`.
  | "token_malformed" // token: verifyConnectToken: not a compact HS256 JWS.
  | "token_unsupported_algorithm" // token: verifyConnectToken: `alg` is not HS256 (`none` included).
  | "token_bad_signature" // token: verifyConnectToken: signed with another secret, or altered.
  | "token_expired" // token: verifyConnectToken: past `exp` (beyond the leeway).
  | "token_not_yet_valid" // token: verifyConnectToken: before `nbf` / `iat` (beyond the leeway).
  | "token_too_long_lived" // token: verifyConnectToken: a lifetime over one hour.
  | "token_wrong_audience" // token: verifyConnectToken: `aud` is not this audience.
  | "token_origin_mismatch" // token: verifyConnectToken: the request's Origin is not the token's `origin`.
  | "token_invalid_claims" // token: verifyConnectToken: claims that no valid token has (empty `sub`, `exp` before `iat`, …).
  | "signature_missing" // signature: verifyWebhook: no x-pilot-status-signature header (answer 401).
  | "signature_malformed" // signature: verifyWebhook: the header is not one hex HMAC-SHA256 (answer 401).
  | "signature_mismatch" // signature: verifyWebhook: the signature does not match the raw body and secret (answer 401).
  | "internal" // internal: A fault of this package: please report it.
;
// </reasons>

/** `parsed`: an object (a body parser ran); `missing`: undefined or null; `reserialised`: a string or buffer whose signature matches only another serialisation of the JSON (`JSON.stringify(req.body)`). */
export type RawBodyErrorCode = "parsed" | "missing" | "reserialised";

export class PilotStatusError extends Error {
  readonly name: "PilotStatusError";
  readonly kind: ErrorKind;
  /**
   * Why, in one stable word — always set, also where the API sent no `code` (e.g.
   * `webhook_exists` for the webhook-create 409). Switch on this rather than on `message`.
   */
  readonly reason: ErrorReason;
  /** HTTP status, when an answer came back. */
  readonly status: number | null;
  /** The API's code, the failed check (`token`, `signature`, `raw_body_required`), or the edge worker's error code (`edge`). */
  readonly code: ApiErrorCode | TokenErrorCode | SignatureErrorCode | RawBodyErrorCode | Open<EdgeErrorCode> | null;
  /** From `Retry-After` or the body's `retryAfterSeconds`. */
  readonly retryAfterMs: number | null;
  /** JSON path of the value that failed to decode, or of the refused argument. */
  readonly path: string | null;
  /** The refused input field (`validation`). */
  readonly field: string | null;
  /**
   * Other fields of the API's error body (`reason`, `declineCode`, `webhookId`, …), and
   * `parser`: the parser's own text (line and column) of a `decode` or argument error. The
   * message stays in words.
   */
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

interface MintConnectTokenCommon {
  /**
   * The HS256 secret shared with the worker (CONNECT_TOKEN_SECRET), at least 32 bytes.
   * `undefined`, empty or shorter: `PilotStatusError` `configuration`.
   */
  secret: string | undefined;
  /** The worker's CONNECT_TOKEN_AUDIENCE (`aud`). */
  audience: string;
  /** The only page origin allowed to use it, e.g. `https://app.example.com`. */
  origin?: string;
  /** Lifetime, 1…3600 s (default 600). */
  ttlSeconds?: number;
  /** Unix seconds; default the current time. */
  now?: number;
}

/** A token for a number: the widget pairs it by QR or code (or shows an official number's state). */
export interface MintNumberTokenOptions extends MintConnectTokenCommon {
  /** The number the token may pair (`sub`). */
  numberId: string;
  remotePairing?: never;
  link?: Link;
  /**
   * `true` when the number's lifecycle webhooks reach the edge — any topology `provisionEdge`
   * set up (`side_by_side`, `relay` with your receiver calling `relayWebhook`, `edge_in_front`).
   * The number's session then makes no status calls while it pairs: the webhook says
   * "connected", and each QR rotation's connect is the safety net. Leave it out when unsure:
   * the session polls `STATUS_POLL_MS` as before.
   */
  webhooks?: boolean;
}

/**
 * A token for a Meta pairing link (`remotePairing.create({ provider: "META", … })`), which has
 * no number until the person picks one at Meta: the widget opens Pilot Status's hosted signup
 * and the edge watches the link. The token's header marks it critical, so an edge built before
 * pairing-link tokens (the 0.3.0 release) refuses it (`invalid_token`).
 */
export interface MintPairingLinkTokenOptions extends MintConnectTokenCommon {
  numberId?: never;
  /** The link's `remotePairingUrl` (preferred) or `remotePairingToken`. */
  remotePairing: string;
  /** When the link expires (Unix seconds): default 24 h from `now`, for a link just created. */
  remotePairingExpiresAt?: number;
  /**
   * The link's own branding snapshot (what you created it with): the widget shows it between
   * the page's options and the tenant's. Each field is checked (`validation` names a bad one);
   * fields a page does not show are left out.
   */
  branding?: Branding;
  /**
   * The `redirectUrl` you created the link with, checked: https (http on loopback) and on
   * `origin` (the phone returns there and mounts the widget with a token for the same link).
   * Not carried in the token.
   */
  redirectUrl?: string;
  /**
   * The `externalRef` you created the link with: where Pilot Status echoes it in the new
   * number's webhooks, the edge's session for this link hears "connected" (with the number's id)
   * the moment it happens, instead of at its next poll.
   */
  externalRef?: string;
  /** A pairing link has only a primary link. */
  link?: "primary";
  webhooks?: never;
}

export type MintConnectTokenOptions = MintNumberTokenOptions | MintPairingLinkTokenOptions;

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
  /** The number id (a pairing-link token: the link's token). */
  sub: string;
  aud: string;
  iat: number;
  exp: number;
  nbf?: number;
  link?: Link;
  origin?: string;
  webhooks?: boolean;
  /** A pairing-link token's link. */
  rp?: { token: string; url: string; provider: "META"; exp: number; ref?: string };
  /** A pairing-link token's branding snapshot. */
  branding?: Branding;
}

/** @throws {PilotStatusError} `configuration` (the secret), `validation` (other options). */
export function mintConnectToken(options: MintConnectTokenOptions): string;
/** HS256 only, lifetime ≤ 1 h, audience and origin checked. @throws {PilotStatusError} `token`, `configuration` (the secret). */
export function verifyConnectToken(token: string, options: VerifyConnectTokenOptions): ConnectClaims;

// ── Webhooks ────────────────────────────────────────────────────────────────────────────────

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

/** The body as received: a string, `Buffer`, `Uint8Array`, `ArrayBuffer` or other byte view. */
export type RawBody = string | Uint8Array | ArrayBuffer | ArrayBufferView;

/**
 * Checks `x-pilot-status-signature` (constant time) over the raw body, then parses the event.
 * Pass the exact bytes you received — not `JSON.parse`d, not re-serialised.
 * @throws {PilotStatusError} `signature` (answer 401) or `decode` (answer 400); `configuration`
 * for a secret that is `undefined` or empty (an unset environment variable: your fault, not the
 * sender's); `raw_body_required` for a parsed body (an object, `undefined`, or a re-serialised
 * copy whose signature matches only another serialisation): fix the route, answer 500.
 */
export function verifyWebhook(
  secret: string | Secret | undefined,
  rawBody: RawBody,
  signatureHeader: string | string[] | null | undefined,
): WebhookEvent;

/** The header value Pilot Status sends for this body: for testing your receiver. */
export function signWebhook(secret: string | Secret, rawBody: RawBody): string;

export interface RelayWebhookOptions {
  /** The body exactly as received (the one `verifyWebhook` checked). */
  rawBody: RawBody;
  /** The delivery's `x-pilot-status-signature`, as received: the worker checks it (its PS_WEBHOOK_SECRETS needs your webhook's secret). */
  signature: string | string[] | null | undefined;
  /** The edge worker's URL, or its full webhook URL (`…/v1/hooks/pilot-status`). */
  edgeUrl: string | undefined;
  /** Any WHATWG `fetch` (default: the global one). */
  fetch?: (input: string, init: RequestInit) => Promise<Response>;
  /** 1…120 000 ms (default 10 000). */
  timeoutMs?: number;
}

export type RelayResult =
  | { relayed: true; /** The worker's status (204). */ status: number; event: EdgeEventName }
  /** Not a lifecycle event (`message.*`, `call.*`, others): yours alone, not sent anywhere. */
  | { relayed: false; reason: "not_lifecycle"; event: string };

/**
 * Relay topology: hands a delivery your receiver has verified on to the edge worker — only the
 * four lifecycle events (`number.connected`, `number.disconnected`, `number.removed`,
 * `number.restored`), byte for byte with the original signature. Everything else resolves
 * `{ relayed: false }` without a request. Call it after `verifyWebhook`, and do not make your
 * own 200 wait for it (`relayWebhook(…).catch(log)`).
 * @throws {PilotStatusError} (rejects) `network` / `timeout` (the worker did not answer), `edge`
 * (it answered non-2xx: `status`, `code`), `configuration` (`edgeUrl` unset), `validation`,
 * `raw_body_required`, `decode` (not a delivery).
 */
export function relayWebhook(options: RelayWebhookOptions): Promise<RelayResult>;
