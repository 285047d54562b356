// The typed JavaScript face of the pilot-connect core. Requests are built and answers parsed
// by the Rust core (compiled to wasm); this file only moves bytes with `fetch`, turns failures
// into PilotStatusError and keeps secrets out of logs. The wasm is instantiated on first use,
// so importing this module does nothing (`sideEffects: false` holds).
import { loadWasm } from "#wasm";
import {
  initSync,
  Core,
  mintConnectToken as coreMint,
  verifyConnectToken as coreVerify,
  verifyWebhook as coreVerifyWebhook,
  signWebhook as coreSignWebhook,
  relayPlan as coreRelayPlan,
  relayOutcome as coreRelayOutcome,
  rawBodyRequired as coreRawBodyRequired,
} from "./pilot_connect_server.js";

const INSPECT = Symbol.for("nodejs.util.inspect.custom");
const REDACTED = "[redacted]";

// <reasons> generated from server/src/reason.rs: edit the table there
const DEFAULT_REASON = { validation: "invalid_argument", configuration: "missing_setting", bad_request: "bad_request", unauthorized: "unauthorized", forbidden: "forbidden", not_found: "not_found", conflict: "conflict", rate_limited: "rate_limited", server: "server_error", http: "http_status", decode: "decode", network: "network", timeout: "timeout", token: "token_malformed", signature: "signature_malformed", raw_body_required: "raw_body_required", edge: "edge_refused", internal: "internal" };
// </reasons>

/** Every failure of this package: one class, discriminated by `kind`, with a stable `reason`. */
export class PilotStatusError extends Error {
  constructor(record, options) {
    super(record.message, options);
    this.name = "PilotStatusError";
    this.kind = record.kind;
    // The core always sets it; errors raised here take their kind's default (from the same table).
    this.reason = record.reason ?? DEFAULT_REASON[record.kind] ?? "internal";
    this.status = record.status ?? null;
    this.code = record.code ?? null;
    this.retryAfterMs = record.retryAfterMs ?? null;
    this.path = record.path ?? null;
    this.field = record.field ?? null;
    this.details = record.details ?? {};
  }
}

/** A value that must not be logged: `reveal()` reads it; JSON, inspect and strings show `[redacted]`. */
export class Secret {
  #value;
  constructor(value) { this.#value = value; }
  reveal() { return this.#value; }
  toJSON() { return REDACTED; }
  toString() { return REDACTED; }
  [INSPECT]() { return `Secret(${REDACTED})`; }
}

const invalid = (message, field) => new PilotStatusError({ kind: "validation", message, field });

function rethrow(e) {
  if (e instanceof PilotStatusError) throw e;
  // The core throws plain `{kind, message, …}` records; anything else is a fault of ours.
  if (e && typeof e === "object" && !(e instanceof Error) && typeof e.kind === "string") {
    throw new PilotStatusError(e);
  }
  throw new PilotStatusError({ kind: "internal", message: `pilot-connect-server internal error: ${e?.message ?? e}` }, { cause: e });
}

let ready = false;
function guard(fn) {
  try {
    if (!ready) { initSync({ module: loadWasm() }); ready = true; }
    return fn();
  } catch (e) {
    return rethrow(e);
  }
}

function argsJson(value, what) {
  if (value === undefined) return "{}";
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw invalid(`${what} must be an object`);
  return JSON.stringify(value);
}

/**
 * Options objects (the client's, the token calls'): an option set to `undefined` — an unset
 * environment variable — is sent as `null`, so the core tells it from an absent one and can
 * refuse `{ apiKey: process.env.PS_API_KEY }` at once (`configuration`) instead of building a
 * client without a key. (Call arguments keep JSON's rule: `undefined` is absent, `null` resets.)
 */
function optionsJson(value, what) {
  if (value === undefined) return "{}";
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw invalid(`${what} must be an object`);
  return JSON.stringify(value, function (key, v) { return v === undefined && this === value ? null : v; });
}

function describe(e) {
  const code = e?.cause?.code ?? e?.code;
  const message = e?.message ?? String(e);
  return code ? `${message} (${code})` : message;
}

/** The transport the core calls: one fetch with a timeout; redirects are never followed (the key must not travel). */
function fetchAdapter(fetchImpl) {
  return async (req) => {
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; controller.abort(); }, req.timeoutMs);
    try {
      const res = await Reflect.apply(fetchImpl, globalThis, [req.url, {
        method: req.method, headers: req.headers, body: req.body, signal: controller.signal, redirect: "manual",
      }]);
      const body = new Uint8Array(await res.arrayBuffer());
      const headers = [];
      res.headers?.forEach?.((value, name) => headers.push([name, value]));
      return { status: res.status, headers, body };
    } catch (e) {
      throw { timeout: timedOut, message: timedOut ? "request timed out" : describe(e) };
    } finally {
      clearTimeout(timer);
    }
  };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// <operations> generated from server/src/ops.rs: edit the table there
const OPERATIONS = {
  numbers: {
    create: ["numbers.create", "input"],
    createMeta: ["numbers.createMeta", "input"],
    connect: ["numbers.connect", "keyOptions", "id"],
    status: ["numbers.status", "keyOptions", "id"],
    list: ["numbers.list", "none"],
    get: ["numbers.get", "keyOptions", "id"],
    delete: ["numbers.delete", "key", "id"],
    restore: ["numbers.restore", "key", "id"],
    purge: ["numbers.purge", "key", "id"],
  },
  remotePairing: {
    create: ["remotePairing.create", "input"],
    info: ["remotePairing.info", "key", "token"],
    status: ["remotePairing.status", "key", "token"],
    connect: ["remotePairing.connect", "key", "token"],
  },
  webhooks: {
    list: ["webhooks.list", "none"],
    create: ["webhooks.create", "input"],
    get: ["webhooks.get", "key", "id"],
    update: ["webhooks.update", "keyOptions", "id"],
    delete: ["webhooks.delete", "key", "id"],
    logs: ["webhooks.logs", "keyOptions", "id"],
    provisionEdge: ["webhooks.provisionEdge", "input"],
  },
  branding: {
    get: ["branding.get", "none"],
    update: ["branding.update", "input"],
  },
};
// </operations>

// What the JavaScript side adds to an operation's answer: the Meta verify token as a `Secret`.
const AFTER = {
  "numbers.createMeta": (out) => {
    if (out.webhook && typeof out.webhook.verifyToken === "string") out.webhook.verifyToken = new Secret(out.webhook.verifyToken);
    return out;
  },
};

function idArgs(id, options, what) {
  if (typeof id !== "string") throw invalid(`${what} must be a string`, what);
  if (options !== undefined && (options === null || typeof options !== "object")) throw invalid("options must be an object");
  return { ...options, [what]: id };
}

/** A Pilot Status client. The key stays inside the wasm core; nothing here can print it. */
export class PilotStatus {
  #core;

  constructor(options = {}) {
    if (options === null || typeof options !== "object") throw invalid("options must be an object");
    const { fetch: fetchImpl = globalThis.fetch, ...rest } = options;
    if (typeof fetchImpl !== "function") throw invalid("no fetch: this runtime has no global fetch, so pass options.fetch", "fetch");
    this.#core = guard(() => new Core(optionsJson(rest, "options"), fetchAdapter(fetchImpl), sleep));
    const call = (op, args) => this.#call(op, args);
    // One async method per operation (a bad argument rejects, never throws), from the table.
    for (const [group, methods] of Object.entries(OPERATIONS)) {
      const api = {};
      for (const [method, [op, args, key]] of Object.entries(methods)) {
        api[method] = async (a, b) => {
          const input = args === "input" ? a : args === "none" ? {} : idArgs(a, args === "keyOptions" ? b : undefined, key);
          const out = await call(op, input);
          return AFTER[op] ? AFTER[op](out) : out;
        };
      }
      this[group] = Object.freeze(api);
    }
    Object.freeze(this);
  }

  async #call(op, args) {
    const json = argsJson(args, "the argument");
    let text;
    try { text = await guard(() => this.#core.call(op, json)); } catch (e) { rethrow(e); }
    return JSON.parse(text);
  }

  toJSON() { return { client: "PilotStatus", credentials: REDACTED }; }
  [INSPECT]() { return `PilotStatus { credentials: ${REDACTED} }`; }
}

/** Mints a short-lived connect token for the edge worker (HS256, at most one hour). */
export function mintConnectToken(options) {
  const json = optionsJson(options, "options");
  return guard(() => coreMint(json));
}

/** Verifies a connect token with the worker's rules and returns its claims. */
export function verifyConnectToken(token, options) {
  if (typeof token !== "string") throw invalid("token must be a string", "token");
  const json = optionsJson(options, "options");
  return JSON.parse(guard(() => coreVerify(token, json)));
}

const encoder = new TextEncoder();

/** What came instead of the raw body, in the words `rawBodyRequired` (the core) expects. */
function whatCame(body) {
  if (body === null) return "null";
  if (Array.isArray(body)) return "array";
  if (body === "[object Object]") return "object-string";
  return typeof body;
}

/** The body as bytes, or `raw_body_required` (kind decided and worded by the core) for `fn`. */
function rawBytes(body, fn) {
  if (typeof body === "string" && body !== "[object Object]") return encoder.encode(body);
  if (body instanceof Uint8Array) return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  return guard(() => { throw coreRawBodyRequired(fn, whatCame(body)); });
}

/** One header value: a string, or an array of one (Node's duplicated headers); else `undefined`. */
function headerValue(header, what) {
  let h = header;
  if (Array.isArray(h)) {
    if (h.length > 1) throw new PilotStatusError({ kind: "signature", code: "malformed", message: `more than one ${SIGNATURE_HEADER} header` });
    h = h[0];
  }
  if (h !== undefined && h !== null && typeof h !== "string") throw invalid(`${what} must be a string`, what);
  return h ?? undefined;
}

function secretString(secret) {
  if (secret instanceof Secret) return secret.reveal();
  // An unset environment variable: the core reports it as `configuration`, like an empty one.
  if (secret === undefined || secret === null) return "";
  if (typeof secret !== "string") throw invalid("secret must be a string", "secret");
  return secret;
}

/** Checks `x-pilot-status-signature` over the raw body, then parses the event. */
export function verifyWebhook(secret, rawBody, signatureHeader) {
  const s = secretString(secret);
  const bytes = rawBytes(rawBody, "verifyWebhook");
  const header = headerValue(signatureHeader, "signatureHeader");
  return JSON.parse(guard(() => coreVerifyWebhook(s, bytes, header)));
}

/** The `x-pilot-status-signature` value Pilot Status would send for this body (to test a receiver). */
export function signWebhook(secret, rawBody) {
  const s = secretString(secret);
  return guard(() => coreSignWebhook(s, rawBytes(rawBody, "signWebhook")));
}

const RELAY_OPTIONS = new Set(["rawBody", "signature", "edgeUrl", "fetch", "timeoutMs"]);

/**
 * Hands a verified delivery on to the edge worker when it is one of the four lifecycle events
 * (the core decides): the raw bytes with their original signature, as Pilot Status sent them.
 * Anything else (`message.*`, `call.*`, other events) is the customer's: `{ relayed: false }`.
 */
export async function relayWebhook(options) {
  if (options === null || typeof options !== "object" || Array.isArray(options)) throw invalid("relayWebhook needs an options object: { rawBody, signature, edgeUrl }");
  const unknown = Object.keys(options).find((k) => !RELAY_OPTIONS.has(k));
  if (unknown) throw invalid(`unknown option ${JSON.stringify(unknown)}`, unknown);
  const { rawBody, signature, edgeUrl, fetch: fetchImpl = globalThis.fetch, timeoutMs } = options;
  const bytes = rawBytes(rawBody, "relayWebhook");
  const header = headerValue(signature, "signature");
  if (typeof fetchImpl !== "function") throw invalid("no fetch: this runtime has no global fetch, so pass options.fetch", "fetch");
  const plan = JSON.parse(guard(() => coreRelayPlan(bytes, optionsJson({ edgeUrl, timeoutMs }, "options"))));
  if (!plan.relay) return { relayed: false, reason: plan.reason, event: plan.event };
  if (!header) throw invalid(`signature is missing: pass the delivery's ${SIGNATURE_HEADER} header as it came`, "signature");
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => { timedOut = true; controller.abort(); }, plan.timeoutMs);
  let res, body;
  try {
    res = await Reflect.apply(fetchImpl, globalThis, [plan.url, {
      method: "POST", body: bytes, signal: controller.signal, redirect: "manual",
      headers: { "content-type": "application/json", [SIGNATURE_HEADER]: header, "user-agent": plan.userAgent },
    }]);
    body = new Uint8Array(await res.arrayBuffer());
  } catch (e) {
    throw new PilotStatusError(timedOut
      ? { kind: "timeout", message: `relayWebhook: the edge worker at ${plan.url} did not answer within ${plan.timeoutMs} ms` }
      : { kind: "network", message: `relayWebhook: the edge worker at ${plan.url} could not be reached: ${describe(e)}` }, { cause: e });
  } finally {
    clearTimeout(timer);
  }
  return { ...JSON.parse(guard(() => coreRelayOutcome(res.status, body))), event: plan.event };
}

export const SIGNATURE_HEADER = "x-pilot-status-signature";
