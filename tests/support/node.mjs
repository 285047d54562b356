// Helpers shared by the Node-driven suites (worker tests, e2e, bench): start a binary and wait
// for its ready line, pick a free loopback port, sign an HS256 JWS the way a customer backend does.
import { parse as parseToml } from "smol-toml";
import { spawn, spawnSync } from "node:child_process";
import { createServer } from "node:net";
import { createHmac } from "node:crypto";
import { createInterface } from "node:readline";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";

/** Spawns `bin` and resolves with what follows `prefix` on its first stdout line starting with it. */
export function spawnReady(bin, args, prefix, { env = {}, procs, cwd } = {}) {
  const p = spawn(bin, args, { env: { ...process.env, ...env }, cwd, stdio: ["ignore", "pipe", "inherit"] });
  procs?.push(p);
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: p.stdout });
    rl.on("line", (l) => { if (l.startsWith(prefix)) resolve(l.slice(prefix.length).trim()); });
    p.once("exit", (c) => reject(new Error(`${bin} exited ${c}`)));
  });
}

export const freePort = () => new Promise((resolve) => {
  const s = createServer().listen(0, "127.0.0.1", () => { const { port } = s.address(); s.close(() => resolve(port)); });
});

/** A compact JWS over `claims`, HMAC-SHA256 with `secret`; `header` may be overridden to forge bad ones. */
export function signJws(claims, secret, header = { alg: "HS256", typ: "JWT" }) {
  const b64 = (v) => Buffer.from(typeof v === "string" ? v : JSON.stringify(v)).toString("base64url");
  const signing = `${b64(header)}.${b64(claims)}`;
  return `${signing}.${createHmac("sha256", secret).update(signing).digest("base64url")}`;
}

const ROOT = new URL("../../", import.meta.url);

/**
 * What the tests need from worker/wrangler.toml, read from the file itself so there is one
 * source: the compatibility date, the [vars] defaults and the rate-limiter binding.
 */
export function wranglerConfig() {
  const toml = parseToml(readFileSync(new URL("worker/wrangler.toml", ROOT), "utf8"));
  const date = toml.compatibility_date;
  if (!date) throw new Error("worker/wrangler.toml has no compatibility_date");
  const rl = toml.ratelimits?.[0] ?? {};
  const limiter = { name: rl.name, namespaceId: rl.namespace_id, limit: rl.simple?.limit, period: rl.simple?.period };
  const objects = (toml.durable_objects?.bindings ?? []).map((b) => ({ name: b.name, className: b.class_name }));
  const sqlite = (toml.migrations ?? []).flatMap((m) => m.new_sqlite_classes ?? []);
  const producers = (toml.queues?.producers ?? []).map((p) => ({ binding: p.binding, queue: p.queue }));
  const consumers = (toml.queues?.consumers ?? []).map((c) => ({
    queue: c.queue, maxBatchSize: c.max_batch_size, maxBatchTimeout: c.max_batch_timeout,
    maxRetries: c.max_retries, deadLetterQueue: c.dead_letter_queue,
  }));
  return { compatibilityDate: date, vars: { ...toml.vars }, limiter, objects, sqlite, producers, consumers };
}

/** The worker's compatibility date (from wrangler.toml). */
export const compatibilityDate = () => wranglerConfig().compatibilityDate;

/**
 * A worker in workerd via Miniflare: by default the built Rust worker (worker/build), with
 * wrangler.toml's [vars] under `bindings`, its rate-limiter binding (`limit` overridable; the
 * period is the file's) and its Durable Objects (`sessions: false` leaves them out; `persist`
 * is a directory that keeps their storage across restarts). `modules` swaps in another worker
 * (the bench's JS baseline, the server package's edge check). `omit` names bindings of the
 * config to leave out (the rate limiter, a Durable Object, a queue producer): a deployment
 * without them.
 * Resolves the Miniflare instance and its URL.
 */
export async function startWorker(bindings, { limit, onLog, port, modules, sessions = !modules, persist, queues = {}, omit = [] } = {}) {
  const { Miniflare, convertV4MiniflareOptions } = await import("miniflare");
  const cfg = wranglerConfig();
  cfg.objects = cfg.objects.filter((o) => !omit.includes(o.name));
  cfg.producers = cfg.producers.filter((p) => !omit.includes(p.binding));
  const limiters = omit.includes(cfg.limiter.name) ? {} : {
    [cfg.limiter.name]: { namespace_id: cfg.limiter.namespaceId, simple: { limit: limit ?? 1000, period: cfg.limiter.period } },
  };
  const build = (f) => fileURLToPath(new URL(`worker/build/${f}`, ROOT));
  const mods = modules ?? [
    { type: "ESModule", path: build("index.js") },
    { type: "CompiledWasm", path: build("index_bg.wasm") },
  ];
  const mf = new Miniflare(convertV4MiniflareOptions({
    modules: mods,
    modulesRoot: path.dirname(mods[0].path), // module names relative to the worker, whatever the cwd
    compatibilityDate: cfg.compatibilityDate,
    host: "127.0.0.1",
    port: port ?? await freePort(),
    // `undefined` in `bindings` removes a binding (to test a worker without it).
    bindings: Object.fromEntries(Object.entries({ ...cfg.vars, ...bindings }).filter(([, v]) => v !== undefined)),
    ratelimits: limiters,
    // wrangler.toml's Durable Objects (SQLite-backed as its migrations say), for the Rust worker.
    ...(sessions ? {
      durableObjects: Object.fromEntries(cfg.objects.map((o) => [o.name, { className: o.className, useSQLite: cfg.sqlite.includes(o.className) }])),
      ...(persist ? { isolatedResourcePersistencePath: persist, resourcePersistencePath: persist } : {}),
    } : {}),
    // wrangler.toml's queues, for the Rust worker; `queues` overrides consumer settings (e.g. a
    // shorter maxRetries for a test).
    ...(sessions ? {
      queueProducers: Object.fromEntries(cfg.producers.map((p) => [p.binding, { queueName: p.queue }])),
      queueConsumers: Object.fromEntries(cfg.consumers.map(({ queue, ...c }) => [queue, { ...c, ...(queues[queue] ?? {}) }])),
    } : {}),
    handleStructuredLogs: onLog ?? (() => {}),
    cf: false,
  }));
  const url = String(await mf.ready).replace(/\/$/, "");
  return { mf, url };
}

/**
 * Opens the push stream `/v1/events` of worker `w` (`{ url, mf }` from startWorker) as the widget
 * does: the token as the `bearer.<token>` subprotocol, the page's `origin`. Frames are collected
 * parsed, each with its arrival time (`at`); `onText` sees each frame's raw text. A refused
 * handshake resolves to `{ status, body }`.
 */
export async function openEvents(w, token, { origin, protocols = ["pilot-connect.v1", `bearer.${token}`], onText } = {}) {
  const headers = { upgrade: "websocket" };
  if (protocols) headers["sec-websocket-protocol"] = protocols.join(", ");
  if (origin) headers.origin = origin;
  const res = await w.mf.dispatchFetch(`${w.url}/v1/events`, { headers });
  if (res.status !== 101) return { status: res.status, body: await res.json() };
  const ws = res.webSocket;
  const frames = [];
  ws.addEventListener("message", (e) => { onText?.(String(e.data)); frames.push({ at: Date.now(), ...JSON.parse(e.data) }); });
  ws.accept();
  return { status: 101, protocol: res.headers.get("sec-websocket-protocol"), ws, frames };
}

/** The Rust tools a team without Rust does not have. */
export const RUST_TOOLS = ["cargo", "rustc", "worker-build", "wasm-bindgen"];

/**
 * The environment of a team without Rust: this PATH without any directory that holds a Rust tool
 * (~/.cargo/bin), wrangler's telemetry off. `noRustEnv().prove()` throws unless every Rust tool is
 * unreachable with it: the suites that run as such a team call it first.
 */
export function noRustEnv() {
  const PATH = process.env.PATH.split(":").filter((d) => d && !RUST_TOOLS.some((t) => existsSync(path.join(d, t)))).join(":");
  const env = { ...process.env, PATH, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", NO_COLOR: "1" };
  const prove = () => {
    for (const tool of RUST_TOOLS) {
      const r = spawnSync("bash", ["-c", `command -v ${tool}`], { env, encoding: "utf8" });
      if (r.status === 0) throw new Error(`${tool} is reachable on the no-Rust PATH: ${r.stdout.trim()}`);
    }
  };
  return { env, prove };
}

/** The workspace's one version (Cargo.toml `[workspace.package]`): the crates' and the npm packages'. */
export function workspaceVersion() {
  const toml = readFileSync(new URL("Cargo.toml", ROOT), "utf8");
  const v = toml.match(/\[workspace\.package\][^[]*?\nversion = "([^"]+)"/)?.[1];
  if (!v) throw new Error("Cargo.toml has no [workspace.package] version");
  return v;
}
