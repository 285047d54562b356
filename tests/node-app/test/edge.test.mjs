// pilot-connect-server in a Cloudflare Worker: wrangler bundles tests/node-app/edge/worker.js
// (resolving the package's `workerd` condition, which imports the wasm as a module) and the
// bundle runs in workerd, calling the sandbox, minting tokens and verifying a webhook.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readdirSync, rmSync } from "node:fs";
import path from "node:path";
import { signWebhook } from "pilot-connect-server";
import { compatibilityDate, startWorker } from "../../support/node.mjs";
import { KEY, ROOT, startSandbox, control, phone } from "./helpers.mjs";

const OUT = path.join(ROOT, "target/edge-check");
const procs = [];
let mf, url, base;

before(async () => {
  base = await startSandbox(procs);
  rmSync(OUT, { recursive: true, force: true });
  execFileSync(path.join(ROOT, "node_modules/.bin/wrangler"), ["deploy", "--dry-run", "--outdir", OUT,
    "--name", "pilot-connect-server-edge-check", "--compatibility-date", compatibilityDate(), "edge/worker.js"],
    { cwd: path.join(ROOT, "tests/node-app"), stdio: "pipe", env: { ...process.env, WRANGLER_SEND_METRICS: "false" } });
  const wasm = readdirSync(OUT).filter((f) => f.endsWith(".wasm"));
  assert.equal(wasm.length, 1, "the wasm stays a separate module (Workers cannot compile bytes at run time)");
  ({ mf, url } = await startWorker(
    { PS_API_KEY: KEY, PS_BASE_URL: base, TOKEN_SECRET: "edge-check-connect-token-secret-0123456789", HOOK_SECRET: "whsec_edge" },
    { modules: [{ type: "ESModule", path: path.join(OUT, "worker.js") }, { type: "CompiledWasm", path: path.join(OUT, wasm[0]) }] }));
});
after(async () => { procs.forEach((p) => p.kill()); await mf?.dispose(); });

test("the client calls Pilot Status from workerd", async () => {
  const created = await (await fetch(`${base}/v1/numbers`, {
    method: "POST", headers: { "x-api-key": KEY, "content-type": "application/json" },
    body: JSON.stringify({ name: "Edge", number: phone() }),
  })).json();
  const id = created.instance.id;
  await control(base, "POST", `/numbers/${id}/scan`);
  const r = await fetch(`${url}/status?id=${id}`);
  assert.equal(r.status, 200);
  const s = await r.json();
  assert.equal(s.state, "OPEN");
  assert.equal(s.ready, true);
  const missing = await (await fetch(`${url}/status?id=wa_nope`)).json();
  assert.deepEqual(missing, { kind: "not_found", code: "NUMBER_NOT_FOUND", status: 404 });
});

test("tokens and webhooks in workerd", async () => {
  const { token, claims } = await (await fetch(`${url}/token?id=wa_edge`)).json();
  assert.equal(token.split(".").length, 3);
  assert.equal(claims.sub, "wa_edge");
  const body = JSON.stringify({ event: "number.connected", data: { numberId: "wa_edge", phone: "+1", displayName: "d", createdAt: "t" } });
  const hook = (sig) => fetch(`${url}/hook`, { method: "POST", body, headers: sig ? { "x-pilot-status-signature": sig } : {} });
  const ok = await hook(signWebhook("whsec_edge", body));
  assert.equal((await ok.json()).dedupKey, "number.connected|wa_edge|t");
  assert.deepEqual(await (await hook(signWebhook("whsec_forged", body))).json(), { kind: "signature", code: "mismatch", status: null });
  assert.deepEqual(await (await hook()).json(), { kind: "signature", code: "missing", status: null });
});
