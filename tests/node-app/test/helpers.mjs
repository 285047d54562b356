// Shared by the suites: the sandbox binary, its control API and a fetch that records calls.
import path from "node:path";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { spawnReady } from "../../support/node.mjs";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
export const KEY = "ps_node_suite_tenant_key_5a4b3c";

/** Starts a sandbox; resolves its base URL. Kill `procs` in `after`. */
export function startSandbox(procs, extra = []) {
  return spawnReady(path.join(ROOT, "target/debug/pilot-sandbox"), ["--port", "0", "--tenant-key", KEY, ...extra],
    "pilot-sandbox listening on ", { procs });
}

export async function control(base, method, route, body) {
  const r = await fetch(`${base}/_sandbox${route}`, {
    method, headers: body ? { "content-type": "application/json" } : {}, body: body ? JSON.stringify(body) : undefined,
  });
  if (!r.ok) throw new Error(`sandbox ${method} ${route}: ${r.status} ${await r.text()}`);
  return r.json();
}

/** A fetch that records `{method, url, headers}` of every call, then forwards to the real one. */
export function recordingFetch() {
  const calls = [];
  const f = async (url, init = {}) => {
    calls.push({ method: init.method ?? "GET", url: String(url), headers: Object.fromEntries(init.headers ?? []) });
    return fetch(url, init);
  };
  return { fetch: f, calls };
}

/** Waits until `check()` is truthy (bounded); throws with `what` otherwise. */
export async function eventually(check, what, { tries = 100, everyMs = 50 } = {}) {
  for (let i = 0; i < tries; i++) {
    const v = await check();
    if (v) return v;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export let phoneSeq = 0;
/** A fresh valid E.164 number per call, so suites never collide on the sandbox's phone rule. */
export const phone = () => `+5511${String(900000000 + process.pid % 1000 * 10000 + ++phoneSeq).slice(-9)}`;

/** A loopback URL where nothing listens. */
export async function freePortUrl() {
  const { freePort } = await import("../../support/node.mjs");
  return `http://127.0.0.1:${await freePort()}`;
}

/** The `ErrorReason` union of the installed package's index.d.ts (generated from the Rust table). */
export const REASONS = (() => {
  const pkg = createRequire(import.meta.url).resolve("pilot-connect-server/package.json");
  const dts = readFileSync(path.join(path.dirname(pkg), "index.d.ts"), "utf8");
  const block = dts.slice(dts.indexOf("// <reasons>"), dts.indexOf("// </reasons>"));
  return new Set([...block.matchAll(/^\s*\| "([a-z_]+)" \/\//gm)].map((m) => m[1]));
})();

/** `e` is a PilotStatusError whose `reason` is one of the table's (and `want`, when given). */
export function hasReason(e, want) {
  if (e?.name !== "PilotStatusError") throw new Error(`not a PilotStatusError: ${e}`);
  if (!REASONS.has(e.reason)) throw new Error(`reason ${JSON.stringify(e.reason)} is not an ErrorReason (${e.kind}: ${e.message})`);
  if (want !== undefined && e.reason !== want) throw new Error(`reason ${e.reason}, expected ${want} (${e.kind}: ${e.message})`);
  return true;
}
