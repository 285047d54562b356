// pilot-connect-edge: the pilot-connect edge Worker, prebuilt. Types for the team's own Worker;
// the runtime's types (`wrangler types`, or @cloudflare/workers-types) provide `cloudflare:workers`.
import type { DurableObject, WorkerEntrypoint } from "cloudflare:workers";

// <env> generated from the edge's table of bindings and settings (worker/src/health.rs)
/** The bindings and settings the edge reads, by the edge's names (`options.env` renames them). */
export interface PilotConnectEnv {
  /** The sessions: one Durable Object per number (class `NumberSession`, SQLite-backed). It single-flights Pilot Status calls for every viewer, keeps the budget and pushes to widgets. Required. */
  NUMBER_SESSIONS: DurableObjectNamespace;
  /** Your Pilot Status key (`ps_…`, a tenant key). Never reaches a browser. Required (or `PS_API_KEY_ID`). */
  PS_API_KEY?: string;
  /** Instead of `PS_API_KEY`: the id of one of your keys, sent as `x-api-key-id` (Pilot Status resolves the id to the key; the docs say no more). Prefer `PS_API_KEY`. */
  PS_API_KEY_ID?: string;
  /** The HS256 secret of connect tokens, shared with the backend that mints them (`mintConnectToken`): at least 32 bytes, e.g. `openssl rand -base64 48`. Required. */
  CONNECT_TOKEN_SECRET: string;
  /** More accepted connect-token secrets, comma-separated: the old one while the secret rotates. */
  CONNECT_TOKEN_SECRETS?: string;
  /** Rate limit per token subject and client address (a `ratelimits` binding, period 10 or 60 s). Without it tokens are not rate limited. Recommended. */
  CONNECT_RATE_LIMITER?: RateLimit;
  /** The exact origins of the pages that embed the widget, comma-separated (`https://app.example.com`). Without them every browser is refused. Recommended. */
  ALLOWED_ORIGINS?: string;
  /** The signing secret of the Pilot Status webhook that points at this edge: the webhook receiver is offered when it (or `PS_WEBHOOK_SECRETS`) is set. */
  PS_WEBHOOK_SECRET?: string;
  /** More webhook signing secrets, comma-separated: one per webhook, or old and new while rotating. */
  PS_WEBHOOK_SECRETS?: string;
  /** Edge in front: your own receiver, where every verified delivery is forwarded (needs `WEBHOOK_FORWARD` and `DEAD_LETTERS`). */
  FORWARD_WEBHOOK_URL?: string;
  /** Edge in front: the forward queue (`pilot-connect-forward`, consumed by this edge, dead letters to `pilot-connect-forward-dlq`). */
  WEBHOOK_FORWARD?: Queue;
  /** Edge in front: forwards that ran out of retries (class `DeadLetters`, SQLite-backed), listed and replayed with `ADMIN_SECRET`. */
  DEAD_LETTERS?: DurableObjectNamespace;
  /** Bearer secret of the dead-letter routes (at least 32 bytes); unset, they are not offered. */
  ADMIN_SECRET?: string;
  /** Pilot Status's URL (default `https://pilotstatus.com.br`). */
  PS_BASE_URL?: string;
  /** The `aud` connect tokens must carry. Default: this edge's own URL (its origin and base path), the widget's `endpoint`. */
  CONNECT_TOKEN_AUDIENCE?: string;
  /** The path the edge answers under (`/pilot`); mounted with `routePilotConnectRequest`, its `prefix`. Default: the root. */
  BASE_PATH?: string;
  /** How often the widget asks for a new QR (ms, default 20000). */
  QR_REFRESH_MS?: string;
  /** Timeout of one Pilot Status attempt (ms, default 8000). */
  UPSTREAM_TIMEOUT_MS?: string;
  /** Bound of one Pilot Status call, retries included (ms, default 20000). */
  UPSTREAM_BUDGET_MS?: string;
  /** The rate limiter's period (10 or 60, default 60): the `Retry-After` of its 429s. */
  RATE_LIMIT_PERIOD_SECS?: string;
  /** How long one status answer serves every viewer of a number (ms, default 2000). */
  STATUS_TTL_MS?: string;
  /** How often a watched, unconnected number's session checks its status without webhooks (ms, default 2500). */
  STATUS_POLL_MS?: string;
  /** How long a webhook for a number keeps its session from polling (ms, default 600000). */
  WEBHOOK_TRUST_MS?: string;
  /** How long a pairing code stays valid, if you know it (ms, at most 3600000). Default: unknown until observed. */
  PAIRING_CODE_TTL_MS?: string;
  /** How long the tenant's branding (`GET /v1/branding`, read at most once per isolate per this, sent to widgets beside the answers) is reused (ms, default 600000, at most 86400000; `0`: never read). */
  BRANDING_TTL_MS?: string;
  /** Edge in front: first wait before a failed forward is retried (s, default 5). */
  FORWARD_RETRY_BASE_SECS?: string;
}
// </env>

/** A binding or setting name of the edge (`PilotConnectEnv`'s keys). */
export type PilotConnectEnvName = keyof PilotConnectEnv;

/** How the edge is mounted inside your Worker. */
export interface PilotConnectOptions {
  /**
   * The path the edge answers under, e.g. `"/pilot"`: the widget's `endpoint` is then
   * `https://api.example.com/pilot`. Default: the root.
   */
  prefix?: string;
  /**
   * Your names for the edge's bindings and settings, where yours differ or collide:
   * `{ ALLOWED_ORIGINS: "PILOT_ALLOWED_ORIGINS", NUMBER_SESSIONS: "PILOT_SESSIONS" }`. Pass the
   * same map to `pilotConnectObjects`. `BASE_PATH` is always the `prefix`.
   */
  env?: Partial<Record<Exclude<PilotConnectEnvName, "BASE_PATH">, string>>;
}

/** The part of the execution context the edge uses. */
export interface PilotConnectContext {
  waitUntil(promise: Promise<unknown>): void;
}

/** The part of a queue batch the routing looks at. */
export interface PilotConnectQueueBatch {
  readonly queue: string;
}

/** The edge as a whole Worker: `export { default, NumberSession } from "pilot-connect-edge"`. */
declare class PilotConnectEdge extends WorkerEntrypoint<PilotConnectEnv> {
  fetch(request: Request): Promise<Response>;
  queue(batch: PilotConnectQueueBatch): Promise<void>;
}
export default PilotConnectEdge;

/** The Durable Object class of `NUMBER_SESSIONS`: one per number (and link). */
export declare class NumberSession extends DurableObject<PilotConnectEnv> {
  fetch(request: Request): Promise<Response>;
}

/** The Durable Object class of `DEAD_LETTERS` (edge in front: forwards that ran out of retries). */
export declare class DeadLetters extends DurableObject<PilotConnectEnv> {
  fetch(request: Request): Promise<Response>;
}

/** The queues the edge consumes (edge in front): its forward queue and that queue's dead letters. */
export declare const PILOT_CONNECT_QUEUES: readonly ["pilot-connect-forward", "pilot-connect-forward-dlq"];

/**
 * Hands `request` to the edge when its path is under `options.prefix` (its browser routes, the
 * push WebSocket, the webhook receiver, admin, `/healthz`, and its JSON 404 for anything else
 * there). `null` outside the prefix, so your routes answer. Return its Response untouched: a
 * WebSocket upgrade lives in it.
 */
export function routePilotConnectRequest(
  request: Request,
  env: object,
  ctx: PilotConnectContext,
  options?: PilotConnectOptions,
): Promise<Response | null>;

/** Consumes a batch of the edge's queues (`true`); `false`, untouched, for any other queue. */
export function handlePilotConnectQueue(
  batch: PilotConnectQueueBatch,
  env: object,
  ctx: PilotConnectContext,
  options?: PilotConnectOptions,
): Promise<boolean>;

/**
 * The Durable Object classes reading your names (`options.env`): when you rename, export classes
 * that extend these (`export class NumberSession extends objects.NumberSession {}`: a class
 * declaration, which `wrangler types` can name).
 */
export function pilotConnectObjects(options?: Pick<PilotConnectOptions, "env">): {
  NumberSession: typeof NumberSession;
  DeadLetters: typeof DeadLetters;
};
