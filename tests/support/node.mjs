// Helpers shared by the Node-driven suites (worker tests, e2e, bench): start a binary and wait
// for its ready line, pick a free loopback port, sign an HS256 JWS the way a customer backend does.
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { createHmac } from "node:crypto";
import { createInterface } from "node:readline";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

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

/** The worker's compatibility date, read from worker/wrangler.toml (the one place it is set). */
export function compatibilityDate() {
  const toml = readFileSync(new URL("worker/wrangler.toml", ROOT), "utf8");
  const m = toml.match(/^compatibility_date\s*=\s*"([^"]+)"/m);
  if (!m) throw new Error("worker/wrangler.toml has no compatibility_date");
  return m[1];
}

/**
 * The built worker (worker/build) in workerd via Miniflare, with `bindings` as its vars and the
 * rate limiter from wrangler.toml's binding name. Resolves the Miniflare instance and its URL.
 */
export async function startWorker(bindings, { limit = 1000, onLog, port } = {}) {
  const { Miniflare, convertV4MiniflareOptions } = await import("miniflare");
  const build = (f) => fileURLToPath(new URL(`worker/build/${f}`, ROOT));
  const mf = new Miniflare(convertV4MiniflareOptions({
    modules: [
      { type: "ESModule", path: build("index.js") },
      { type: "CompiledWasm", path: build("index_bg.wasm") },
    ],
    modulesRoot: build(""), // module names relative to the build, whatever the caller's cwd
    compatibilityDate: compatibilityDate(),
    host: "127.0.0.1",
    port: port ?? await freePort(),
    bindings,
    ratelimits: { CONNECT_RATE_LIMITER: { namespace_id: "1001", simple: { limit, period: 60 } } },
    handleStructuredLogs: onLog,
    cf: false,
  }));
  const url = String(await mf.ready).replace(/\/$/, "");
  return { mf, url };
}
