// Shared by the framework recipe suites (tests/express-app, tests/hono-app, tests/fastify-app,
// tests/next-app, tests/worker-app): the sandbox, a recipe app as a child process, a stand-in
// edge that records what is relayed to it, and the sandbox's delivery log.
import { createServer } from "node:http";
import { createHmac } from "node:crypto";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, spawnReady } from "./node.mjs";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** A sandbox with `args`; resolves its URL. Kill `procs` in `after`. */
export const startSandbox = (procs, args) =>
  spawnReady(path.join(ROOT, "target/debug/pilot-sandbox"), ["--port", "0", ...args], "pilot-sandbox listening on ", { procs });

/** `node <script>` in `cwd` with `env`, resolved when it prints `<prefix><url>`. */
export const startApp = (procs, cwd, script, prefix, env) =>
  spawnReady(process.execPath, [script], prefix, { procs, cwd, env });

/** Resolves once `check()` is truthy (bounded), else throws naming `what`. */
export async function until(check, what, ms = 10_000) {
  for (const t0 = Date.now(); Date.now() - t0 < ms;) {
    const v = await check();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out: ${what}`);
}

/** HMAC-SHA256 hex of `body` with `secret`: what Pilot Status sends. */
export const sign = (secret, body) => createHmac("sha256", secret).update(body).digest("hex");

/** The sandbox's delivery log for `event` about `numberId`. */
export async function deliveries(sandbox, event, numberId) {
  const { deliveries: all } = await (await fetch(`${sandbox}/_sandbox/webhooks/deliveries`)).json();
  return all.filter((d) => d.event === event && JSON.stringify(d.body).includes(numberId));
}

/** Waits until the sandbox has delivered `event` for `numberId` (not pending); resolves the deliveries. */
export const delivered = (sandbox, event, numberId) =>
  until(async () => { const ds = await deliveries(sandbox, event, numberId); return ds.length > 0 && ds.every((d) => d.status !== "pending") && ds; },
    `${event} delivered for ${numberId}`);

/**
 * A stand-in for the edge worker's `POST /v1/hooks/pilot-status`: records each relayed request
 * (path, signature, the raw bytes, whether they verify with `secret`) and answers 204.
 */
export async function fakeEdge(secret) {
  const got = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const raw = Buffer.concat(chunks);
      const signature = req.headers["x-pilot-status-signature"];
      got.push({ method: req.method, path: req.url, signature, raw: raw.toString(), verified: signature === sign(secret, raw),
        origin: req.headers.origin ?? null });
      res.writeHead(204).end();
    });
  });
  const port = await freePort();
  await new Promise((r) => server.listen(port, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${port}`, got, close: () => server.close() };
}

/** worker/build (the edge worker built by worker-build) exists, or is built now. */
export function ensureWorkerBuild() {
  if (existsSync(path.join(ROOT, "worker/build/index.js")) && existsSync(path.join(ROOT, "worker/build/index_bg.wasm"))) return;
  execFileSync("bash", ["-c", "source tools/env.sh && cd worker && worker-build --release"], { cwd: ROOT, stdio: "inherit" });
}

let seq = 0;
/** A fresh valid E.164 number per call (per process), so suites never collide on the sandbox. */
export const phone = (prefix = "9") =>
  `+5511${prefix}${String(10000000 + (process.pid % 1000) * 10000 + ++seq).slice(-8)}`;
