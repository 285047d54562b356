// pilot-connect-edge: the pilot-connect edge Worker, prebuilt. The Worker itself (worker/) is
// worker-build's output from the Rust crate; this module only chooses what is public and mounts
// it inside another Worker. No Rust is needed to deploy it.
import Edge, {
  NumberSession as BuiltNumberSession,
  DeadLetters as BuiltDeadLetters,
} from "./worker/index.js";

/** The edge as a whole Worker: `export { default } from "pilot-connect-edge"`. */
export default Edge;
/** One per number (and link): the Durable Object class of `NUMBER_SESSIONS`. */
export const NumberSession = BuiltNumberSession;
/** Forwards that ran out of retries (edge in front): the class of `DEAD_LETTERS`. */
export const DeadLetters = BuiltDeadLetters;

/** The queues the edge consumes (edge in front): its forward queue and that queue's dead letters. */
export const PILOT_CONNECT_QUEUES = Object.freeze(["pilot-connect-forward", "pilot-connect-forward-dlq"]);

function basePath(prefix) {
  if (prefix === undefined || prefix === null) return "";
  if (typeof prefix !== "string") throw new TypeError("pilot-connect-edge: `prefix` must be a string such as \"/pilot\"");
  const p = prefix.trim().replace(/\/+$/, "");
  if (p === "") return "";
  if (!p.startsWith("/") || /[?#\s]/.test(p)) {
    throw new TypeError(`pilot-connect-edge: \`prefix\` must be a path such as "/pilot", not ${JSON.stringify(prefix)}`);
  }
  return p;
}

function names(options) {
  const map = options?.env ?? {};
  if (typeof map !== "object") throw new TypeError("pilot-connect-edge: `env` maps the edge's names to yours, e.g. { ALLOWED_ORIGINS: \"PILOT_ALLOWED_ORIGINS\" }");
  for (const [ours, theirs] of Object.entries(map)) {
    if (typeof theirs !== "string" || theirs === "") throw new TypeError(`pilot-connect-edge: env.${ours} must name one of your bindings`);
  }
  return map;
}

// The edge reads its bindings by its own names; a mounted edge reads them through this view:
// renamed ones from the team's names, and `BASE_PATH` from the mount's prefix (never the team's
// own variable of that name).
function view(env, map, base) {
  return new Proxy(env, {
    get(target, key, receiver) {
      if (key === "BASE_PATH" && base !== undefined) return base;
      if (typeof key === "string" && Object.hasOwn(map, key)) return Reflect.get(target, map[key]);
      return Reflect.get(target, key, receiver);
    },
    has(target, key) {
      if (key === "BASE_PATH" && base !== undefined) return true;
      if (typeof key === "string" && Object.hasOwn(map, key)) return Reflect.has(target, map[key]);
      return Reflect.has(target, key);
    },
  });
}

/**
 * Hands `request` to the edge when its path is under `options.prefix` (every route of the edge:
 * its browser routes, the push WebSocket, the webhook receiver, admin, `/healthz`, and its JSON
 * 404 for anything else there). Resolves to `null` outside the prefix, so your own routes
 * answer. Return its Response untouched: a WebSocket upgrade lives in it.
 */
export async function routePilotConnectRequest(request, env, ctx, options = {}) {
  const base = basePath(options.prefix);
  const map = names(options);
  const { pathname } = new URL(request.url);
  if (base !== "" && pathname !== base && !pathname.startsWith(`${base}/`)) return null;
  return new Edge(ctx, view(env, map, base)).fetch(request);
}

/**
 * Consumes a batch of the edge's queues (edge in front) and resolves to `true`; resolves to
 * `false` for any other queue's batch, untouched, so your `queue()` handles it.
 */
export async function handlePilotConnectQueue(batch, env, ctx, options = {}) {
  if (!PILOT_CONNECT_QUEUES.includes(batch?.queue)) return false;
  await new Edge(ctx, view(env, names(options), undefined)).queue(batch);
  return true;
}

/**
 * The Durable Object classes reading your binding names (`options.env`, the same map as the
 * routing options'): export these instead of `NumberSession`/`DeadLetters` when you rename.
 */
export function pilotConnectObjects(options = {}) {
  const map = names(options);
  if (Object.keys(map).length === 0) return { NumberSession, DeadLetters };
  return {
    NumberSession: class NumberSession extends BuiltNumberSession {
      constructor(state, env) {
        super(state, view(env, map, undefined));
      }
    },
    DeadLetters: class DeadLetters extends BuiltDeadLetters {
      constructor(state, env) {
        super(state, view(env, map, undefined));
      }
    },
  };
}
