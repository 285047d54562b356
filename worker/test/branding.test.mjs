// The tenant's branding beside the edge's answers, in workerd against the sandbox: what the
// tenant set with PUT /v1/branding reaches every 200 answer of /v1/qr and /v1/status (only the
// fields a page shows, each passing its wire rule), read at most once per isolate per
// BRANDING_TTL_MS whatever the viewers and numbers (counted at the sandbox: `branding_get`);
// a 403 / 5xx / slow read means no branding for the TTL, never an error and never a held QR;
// BRANDING_TTL_MS=0 never reads it; a bad value is a configuration error.
import { test, before, after, afterEach } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { spawnReady, signJws, startWorker } from "../../tests/support/node.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const KEY = "ps_branding_suite_tenant_key_7";
const SECRET = "branding-suite-connect-token-secret-0123456789abcd";
const AUD = "pilot-connect-branding";
const PAGE = "https://app.example.com";
const procs = [];
let live = [];
let sandbox;

const now = () => Math.floor(Date.now() / 1000);
const token = (sub) => signJws({ sub, aud: AUD, iat: now(), exp: now() + 600 }, SECRET);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const ctl = (route, init) => fetch(`${sandbox}${route}`, init).then((r) => r.json());
const reads = async () => (await ctl("/_sandbox/stats")).hits.branding_get ?? 0;
const resetHits = () => ctl("/_sandbox/stats", { method: "DELETE" });
const fault = (f) => ctl("/_sandbox/faults", { method: "POST", body: JSON.stringify(f) });

async function worker(extra = {}) {
  const vars = {
    PS_API_KEY: KEY, CONNECT_TOKEN_SECRET: SECRET, PS_BASE_URL: sandbox, ALLOWED_ORIGINS: PAGE,
    CONNECT_TOKEN_AUDIENCE: AUD, ...extra,
  };
  const w = await startWorker(vars, { limit: 1e6 });
  live.push(w);
  return w;
}

async function ask(w, route, sub) {
  const r = await fetch(`${w.url}${route}`, { headers: { origin: PAGE, authorization: `Bearer ${token(sub)}` } });
  return { status: r.status, body: await r.json() };
}

let seq = 0;
async function newNumber() {
  const r = await fetch(`${sandbox}/v1/numbers`, {
    method: "POST", headers: { "x-api-key": KEY, "content-type": "application/json" },
    body: JSON.stringify({ name: "Branding", number: `+55119650${String(++seq).padStart(5, "0")}` }),
  });
  assert.equal(r.status, 201);
  return (await r.json()).instance.id;
}

async function setBranding(branding) {
  const r = await fetch(`${sandbox}/v1/branding`, {
    method: "PUT", headers: { "x-api-key": KEY, "content-type": "application/json" }, body: JSON.stringify(branding),
  });
  assert.equal(r.status, 200, await r.clone().text());
}

// What the tenant set, and what a page may see of it.
const SET = {
  companyName: "Acme Clínicas", subtitle: "Conecte o WhatsApp da sua clínica", logoUrl: "https://logo.test/acme.png",
  primaryColor: "#FFFF00", backgroundColor: "#FFFFFF", supportUrl: "https://help.acme.test/whatsapp",
  defaultRedirectUrl: "https://acme.test/done", hidePilotStatusBranding: true,
};
const SHOWN = {
  companyName: "Acme Clínicas", subtitle: "Conecte o WhatsApp da sua clínica", logoUrl: "https://logo.test/acme.png",
  primaryColor: "#ffff00", backgroundColor: "#ffffff", supportUrl: "https://help.acme.test/whatsapp",
};

before(async () => {
  const bin = path.join(ROOT, "target/debug/pilot-sandbox");
  sandbox = await spawnReady(bin, ["--port", "0", "--tenant-key", KEY, "--rate-limit", "0"], "pilot-sandbox listening on ", { procs });
  await setBranding(SET);
});
afterEach(async () => {
  for (const w of live) await w.mf.dispose().catch(() => {});
  live = [];
  await ctl("/_sandbox/faults", { method: "DELETE" });
});
after(() => procs.forEach((p) => p.kill()));

test("1 viewer, then 5 viewers on each of 3 numbers: one branding read, and it is in every answer", async () => {
  const w = await worker();
  const ids = [await newNumber(), await newNumber(), await newNumber()];
  await resetHits();
  for (const id of ids) {
    const a = await ask(w, "/v1/qr", id);
    assert.equal(a.status, 200);
    assert.deepEqual(a.body.branding, SHOWN, "only the fields a page shows, each as its rule writes it");
  }
  const answers = await Promise.all(ids.flatMap((id) => Array.from({ length: 5 }, (_, i) => ask(w, i % 2 ? "/v1/status" : "/v1/qr", id))));
  for (const a of answers) {
    assert.equal(a.status, 200);
    assert.deepEqual(a.body.branding, SHOWN);
  }
  assert.equal(await reads(), 1, "one GET /v1/branding for 18 answers on 3 numbers");
});

test("many viewers arriving together on a cold isolate share the one read", async () => {
  const w = await worker();
  const ids = [await newNumber(), await newNumber(), await newNumber()];
  await resetHits();
  const answers = await Promise.all(ids.flatMap((id) => Array.from({ length: 5 }, () => ask(w, "/v1/qr", id))));
  assert.ok(answers.every((a) => a.status === 200 && a.body.branding?.companyName === SHOWN.companyName));
  assert.equal(await reads(), 1, "15 concurrent first answers, one read");
});

test("read again only once BRANDING_TTL_MS is over; a change reaches the next read", async () => {
  const w = await worker({ BRANDING_TTL_MS: "1500" });
  const id = await newNumber();
  await resetHits();
  assert.equal((await ask(w, "/v1/qr", id)).body.branding.companyName, SHOWN.companyName);
  await setBranding({ companyName: "Acme 2", subtitle: null });
  for (let i = 0; i < 5; i++) assert.equal((await ask(w, "/v1/status", id)).body.branding.companyName, SHOWN.companyName);
  assert.equal(await reads(), 1, "within the TTL: the first read serves");
  await sleep(1700);
  const after = await ask(w, "/v1/status", id);
  assert.equal(await reads(), 2, "the TTL is over: read once more");
  assert.equal(after.body.branding.companyName, "Acme 2", "what the tenant changed");
  assert.equal(after.body.branding.subtitle, undefined, "a cleared field is gone");
  await setBranding(SET);
});

test("a refused or failing read: answers without branding, not retried within the TTL", async () => {
  for (const f of [
    { route: "branding_get", kind: "status", status: 403, body: { error: { code: "NUMBER_SCOPE_NOT_ALLOWED", message: "tenant key required" } } },
    { route: "branding_get", kind: "status", status: 404 },
    { route: "branding_get", kind: "status", status: 500 },
    { route: "branding_get", kind: "malformed" },
    { route: "branding_get", kind: "drop" },
  ]) {
    const w = await worker();
    const id = await newNumber();
    await fault(f);
    await resetHits();
    for (let i = 0; i < 4; i++) {
      const a = await ask(w, i % 2 ? "/v1/status" : "/v1/qr", id);
      assert.equal(a.status, 200, `${f.kind} ${f.status ?? ""}: the answer is not at fault`);
      assert.equal(a.body.branding, undefined, "no branding, no error");
    }
    assert.equal(await reads(), 1, `${f.kind} ${f.status ?? ""}: one read, not retried within the TTL`);
    await ctl("/_sandbox/faults", { method: "DELETE" });
    for (const x of live) await x.mf.dispose().catch(() => {});
    live = [];
  }
});

test("a slow read never holds an answer: the next answers carry it once it lands", async () => {
  const w = await worker();
  const id = await newNumber();
  await fault({ route: "branding_get", kind: "latency", latencyMs: 3000 });
  await resetHits();
  const first = await ask(w, "/v1/qr", id);
  assert.equal(first.status, 200);
  assert.equal(first.body.branding, undefined, "the QR went without waiting for a 3 s read");
  let later;
  for (let i = 0; i < 40 && !later?.body.branding; i++) {
    await sleep(150);
    later = await ask(w, "/v1/status", id);
  }
  assert.deepEqual(later.body.branding, SHOWN, "the read landed and is served");
  assert.equal(await reads(), 1, "the answers in between waited on the same read");
});

test("BRANDING_TTL_MS=0 never reads; a bad value is a configuration error", async () => {
  const off = await worker({ BRANDING_TTL_MS: "0" });
  const id = await newNumber();
  await resetHits();
  const a = await ask(off, "/v1/qr", id);
  assert.equal(a.status, 200);
  assert.equal(a.body.branding, undefined);
  assert.equal(await reads(), 0);
  const bad = await worker({ BRANDING_TTL_MS: "ten minutes" });
  const h = await fetch(`${bad.url}/healthz`);
  assert.equal(h.status, 503);
  assert.match(JSON.stringify(await h.json()), /BRANDING_TTL_MS/);
  assert.equal((await ask(bad, "/v1/qr", id)).body.error.code, "config_error");
});
