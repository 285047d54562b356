// The local stack the benchmarks run against: the sandbox (release build), the Rust worker and
// the JavaScript baseline worker, each in its own workerd (Miniflare) with the same settings.
import { fileURLToPath } from "node:url";
import path from "node:path";
import { spawnReady, freePort, signJws, startWorker as startSharedWorker } from "../tests/support/node.mjs";

export { freePort };

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const KEY = "ps_bench_tenant_key_0123456789";
export const SECRET = "bench-connect-token-secret-0123456789abcdef";
export const AUD = "pilot-connect-bench";

const procs = [];
const workers = [];

/** A connect token as a customer backend mints it (HS256, 10 min). */
export function mint(sub, extra = {}) {
  const now = Math.floor(Date.now() / 1000);
  return signJws({ sub, aud: AUD, iat: now, exp: now + 600, ...extra }, SECRET);
}

/** Starts the sandbox: no rate limit (the bench measures the worker, not the limiter). */
export async function startSandbox(timeScale = 1, extra = []) {
  return spawnReady(path.join(ROOT, "target/release/pilot-sandbox"),
    ["--port", "0", "--tenant-key", KEY, "--time-scale", String(timeScale), "--rate-limit", "0", ...extra],
    "pilot-sandbox listening on ", { procs });
}

/** Creates a number in the sandbox and returns its id. */
export async function createNumber(sandbox, phone) {
  const r = await fetch(`${sandbox}/v1/numbers`, {
    method: "POST", headers: { "x-api-key": KEY, "content-type": "application/json" },
    body: JSON.stringify({ name: "Bench", number: phone }),
  });
  if (r.status !== 201) throw new Error(`create number: ${r.status} ${await r.text()}`);
  const body = await r.json();
  return body.instance?.id ?? body.id;
}

/**
 * One worker in workerd (tests/support's startWorker: wrangler.toml's date, vars and limiter).
 * `kind` is "rust" (worker-build output) or "js" (bench/js-baseline). Both get the same
 * bindings and a rate limit high enough never to trip.
 */
export async function startWorker(kind, { sandbox, origins, onLog, qrRefreshMs = 20000 }) {
  const modules = kind === "rust" ? undefined
    : [{ type: "ESModule", path: path.join(ROOT, "bench/js-baseline/worker.js") }];
  const { mf, url } = await startSharedWorker({
    PS_API_KEY: KEY, CONNECT_TOKEN_SECRET: SECRET, PS_BASE_URL: sandbox, ALLOWED_ORIGINS: origins.join(","),
    CONNECT_TOKEN_AUDIENCE: AUD, QR_REFRESH_MS: String(qrRefreshMs), UPSTREAM_TIMEOUT_MS: "8000", UPSTREAM_BUDGET_MS: "20000",
  }, { limit: 100000000, onLog, modules });
  workers.push(mf);
  return url;
}

export async function stopAll() {
  for (const mf of workers.splice(0)) await mf.dispose().catch(() => {});
  for (const p of procs.splice(0)) p.kill("SIGTERM");
}
