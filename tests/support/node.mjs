// Helpers shared by the Node-driven suites (worker tests, e2e, bench): start a binary and wait
// for its ready line, pick a free loopback port, sign an HS256 JWS the way a customer backend does.
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { createHmac } from "node:crypto";
import { createInterface } from "node:readline";
import { readFileSync } from "node:fs";
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
  const toml = readFileSync(new URL("worker/wrangler.toml", ROOT), "utf8");
  const date = toml.match(/^compatibility_date\s*=\s*"([^"]+)"/m)?.[1];
  if (!date) throw new Error("worker/wrangler.toml has no compatibility_date");
  const vars = {};
  const varsBlock = toml.match(/^\[vars\]\n([\s\S]*?)(?=^\[)/m)?.[1] ?? "";
  for (const m of varsBlock.matchAll(/^([A-Z0-9_]+)\s*=\s*"([^"]*)"/gm)) vars[m[1]] = m[2];
  const rl = toml.match(/^\[\[ratelimits\]\]\n([\s\S]*?)(?=^\[|(?![\s\S]))/m)?.[1] ?? "";
  const limiter = {
    name: rl.match(/^name\s*=\s*"([^"]+)"/m)?.[1],
    namespaceId: rl.match(/^namespace_id\s*=\s*"([^"]+)"/m)?.[1],
    limit: Number(rl.match(/limit\s*=\s*(\d+)/)?.[1]),
    period: Number(rl.match(/period\s*=\s*(\d+)/)?.[1]),
  };
  const objects = [...toml.matchAll(/^\[\[durable_objects\.bindings\]\]\n([\s\S]*?)(?=^\[|(?![\s\S]))/gm)].map((m) => ({
    name: m[1].match(/^name\s*=\s*"([^"]+)"/m)?.[1],
    className: m[1].match(/^class_name\s*=\s*"([^"]+)"/m)?.[1],
  }));
  const sqlite = [...toml.matchAll(/new_sqlite_classes\s*=\s*\[([^\]]*)\]/g)].flatMap((m) => m[1].match(/"([^"]+)"/g)?.map((x) => x.slice(1, -1)) ?? []);
  return { compatibilityDate: date, vars, limiter, objects, sqlite };
}

/** The worker's compatibility date (from wrangler.toml). */
export const compatibilityDate = () => wranglerConfig().compatibilityDate;

/**
 * A worker in workerd via Miniflare: by default the built Rust worker (worker/build), with
 * wrangler.toml's [vars] under `bindings`, its rate-limiter binding (`limit` overridable; the
 * period is the file's) and its Durable Objects (`sessions: false` leaves them out; `persist`
 * is a directory that keeps their storage across restarts). `modules` swaps in another worker
 * (the bench's JS baseline, the server package's edge check).
 * Resolves the Miniflare instance and its URL.
 */
export async function startWorker(bindings, { limit, onLog, port, modules, sessions = !modules, persist } = {}) {
  const { Miniflare, convertV4MiniflareOptions } = await import("miniflare");
  const cfg = wranglerConfig();
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
    ratelimits: {
      [cfg.limiter.name]: { namespace_id: cfg.limiter.namespaceId, simple: { limit: limit ?? 1000, period: cfg.limiter.period } },
    },
    // wrangler.toml's Durable Objects (SQLite-backed as its migrations say), for the Rust worker.
    ...(sessions ? {
      durableObjects: Object.fromEntries(cfg.objects.map((o) => [o.name, { className: o.className, useSQLite: cfg.sqlite.includes(o.className) }])),
      ...(persist ? { isolatedResourcePersistencePath: persist, resourcePersistencePath: persist } : {}),
    } : {}),
    handleStructuredLogs: onLog ?? (() => {}),
    cf: false,
  }));
  const url = String(await mf.ready).replace(/\/$/, "");
  return { mf, url };
}
