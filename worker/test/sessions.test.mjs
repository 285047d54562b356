// The per-number session objects and the webhook receiver, in workerd against the sandbox:
// N viewers cost one upstream call, a signed Pilot Status webhook makes every viewer see
// "connected" with no status call at all, forged/unsigned/oversize/replayed deliveries change
// nothing, and the state survives a restart of the runtime. Upstream calls are counted at the
// sandbox (GET /_sandbox/stats).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { createHmac } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { openEvents, spawnReady, signJws, startWorker } from "../../tests/support/node.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const KEY = "ps_sessions_suite_tenant_key_77";
const SECRET = "sessions-suite-connect-token-secret-0123456789";
const HOOK = "whsec_sessions_suite_dashboard";
const AUD = "pilot-connect-sessions";
const PAGE = "https://app.example.com";
const procs = [];
const workers = [];
const logs = [];
let sandbox, persist;

const now = () => Math.floor(Date.now() / 1000);
const token = (sub) => signJws({ sub, aud: AUD, iat: now(), exp: now() + 600 }, SECRET);
const sign = (body, secret = HOOK) => createHmac("sha256", secret).update(body).digest("hex");

async function worker(extra = {}, opts = {}) {
  const w = await startWorker({
    PS_API_KEY: KEY, CONNECT_TOKEN_SECRET: SECRET, PS_BASE_URL: sandbox, ALLOWED_ORIGINS: PAGE,
    CONNECT_TOKEN_AUDIENCE: AUD, QR_REFRESH_MS: "20000", PS_WEBHOOK_SECRET: HOOK, ...extra,
  }, { onLog: (l) => { logs.push(JSON.stringify(l)); if (process.env.DEBUG_LOGS) console.error(JSON.stringify(l)); }, ...opts });
  workers.push(w.mf);
  return w;
}

async function get(w, route, sub) {
  const r = await fetch(`${w.url}${route}`, { headers: { origin: PAGE, authorization: `Bearer ${token(sub)}` } });
  const text = await r.text();
  logs.push(text);
  return { status: r.status, body: JSON.parse(text) };
}

const hits = async () => (await (await fetch(`${sandbox}/_sandbox/stats`)).json()).hits;
const resetHits = () => fetch(`${sandbox}/_sandbox/stats`, { method: "DELETE" });
let seq = 0;
async function newNumber() {
  const r = await fetch(`${sandbox}/v1/numbers`, {
    method: "POST", headers: { "x-api-key": KEY, "content-type": "application/json" },
    body: JSON.stringify({ name: "Sessions", number: `+55119610${String(++seq).padStart(5, "0")}` }),
  });
  return (await r.json()).instance.id;
}

function hook(w, body, { signature = sign(body), headers = {} } = {}) {
  const h = { "content-type": "application/json", ...headers };
  if (signature) h["x-pilot-status-signature"] = signature;
  return fetch(`${w.url}/v1/hooks/pilot-status`, { method: "POST", headers: h, body });
}

const event = (name, numberId, createdAt = new Date().toISOString()) =>
  JSON.stringify({ event: name, data: { numberId, phone: "+5511961000000", displayName: "S", createdAt } });

before(async () => {
  sandbox = await spawnReady(path.join(ROOT, "target/debug/pilot-sandbox"),
    ["--port", "0", "--tenant-key", KEY, "--webhook-secret", HOOK], "pilot-sandbox listening on ", { procs });
  persist = mkdtempSync(path.join(tmpdir(), "pilot-sessions-"));
});

after(async () => {
  for (const mf of workers) await mf.dispose().catch(() => {});
  procs.forEach((p) => p.kill());
  rmSync(persist, { recursive: true, force: true });
  // Nothing secret in any answer or log line of the whole suite.
  for (const line of logs) {
    assert.ok(!line.includes(KEY), "the ps_ key leaked");
    assert.ok(!line.includes(HOOK), "the webhook secret leaked");
  }
});

for (const viewers of [2, 20]) {
  test(`${viewers} viewers of one number: one upstream connect, one status check`, async () => {
    const w = await worker();
    const id = await newNumber();
    await resetHits();
    const qrs = await Promise.all(Array.from({ length: viewers }, () => get(w, "/v1/qr", id)));
    assert.ok(qrs.every((r) => r.status === 200 && r.body.state === "pairing"));
    assert.equal(new Set(qrs.map((r) => r.body.qr)).size, 1, "every viewer shows the same QR");
    assert.equal((await hits()).connect, 1, "one upstream connect");
    // A reload later gets the same QR at once, with the time it has left.
    const again = await get(w, "/v1/qr", id);
    assert.equal(again.body.qr, qrs[0].body.qr);
    assert.ok(again.body.refreshAfterMs <= 20000 && again.body.refreshAfterMs >= 1000);
    assert.equal((await hits()).connect, 1, "still one");
    const sts = await Promise.all(Array.from({ length: viewers }, () => get(w, "/v1/status", id)));
    assert.ok(sts.every((r) => r.body.state === "connecting"));
    assert.equal((await hits()).status, 1, "one upstream status check for all viewers");
  });
}

test("a signed number.connected webhook: every viewer sees connected, no status call", async () => {
  const w = await worker();
  const id = await newNumber();
  // Pilot Status is told where to send this number's events, through the API contract.
  const reg = await fetch(`${sandbox}/v1/webhooks`, {
    method: "POST", headers: { "x-api-key": KEY, "content-type": "application/json" },
    body: JSON.stringify({ url: `${w.url}/v1/hooks/pilot-status`, events: ["*"], whatsappNumberId: id }),
  });
  assert.equal(reg.status, 201);
  assert.equal((await get(w, "/v1/qr", id)).body.state, "pairing");
  await fetch(`${sandbox}/_sandbox/numbers/${id}/scan`, { method: "POST" });
  // The sandbox delivers number.connected to the worker; then no viewer needs Pilot Status.
  let seen;
  for (let i = 0; i < 100 && !seen; i++) {
    const d = (await (await fetch(`${sandbox}/_sandbox/webhooks/deliveries`)).json()).deliveries;
    seen = d.find((x) => x.event === "number.connected" && x.status === "delivered" && x.body.data.numberId === id);
    if (!seen) await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(seen, "the sandbox delivered number.connected to the worker, and it was accepted");
  await resetHits();
  const views = await Promise.all(Array.from({ length: 5 }, () => get(w, "/v1/status", id)));
  assert.ok(views.every((r) => r.body.state === "connected"), JSON.stringify(views.map((v) => v.body)));
  assert.deepEqual((await get(w, "/v1/qr", id)).body, { state: "connected" });
  const h = await hits();
  assert.equal(h.status ?? 0, 0, "no upstream status call");
  assert.equal(h.connect ?? 0, 0, "no upstream connect call");
});

test("forged, unsigned, oversize, malformed, browser and replayed deliveries change nothing", async () => {
  const w = await worker();
  const id = await newNumber();
  const connected = event("number.connected", id, "2026-11-26T00:00:00.000Z");
  assert.equal((await hook(w, connected, { signature: sign(connected, "whsec_forger") })).status, 401);
  assert.equal((await hook(w, connected, { signature: null })).status, 401);
  assert.equal((await hook(w, connected, { signature: "sha256=zz" })).status, 401);
  const big = JSON.stringify({ event: "number.connected", data: { numberId: id, pad: "x".repeat(70 * 1024) } });
  assert.equal((await hook(w, big)).status, 413);
  assert.equal((await hook(w, "{not json")).status, 400);
  assert.equal((await hook(w, connected, { headers: { origin: PAGE } })).status, 403, "never answers a browser");
  assert.equal((await get(w, "/v1/status", id)).body.state, "connecting", "nothing changed");

  // Signed: connected; then disconnected; a replay of the first is ignored.
  assert.equal((await hook(w, connected)).status, 204);
  assert.equal((await get(w, "/v1/status", id)).body.state, "connected");
  assert.equal((await hook(w, event("number.disconnected", id))).status, 204);
  assert.equal((await hook(w, connected)).status, 204, "a replay is acknowledged");
  assert.equal((await get(w, "/v1/status", id)).body.state, "connecting", "the replay changed nothing");
  // Unknown events are acknowledged and ignored.
  const future = JSON.stringify({ event: "number.teleported", data: { numberId: id } });
  assert.equal((await hook(w, future)).status, 204);
  // A token for another number never sees this one's state.
  const other = await newNumber();
  assert.equal((await hook(w, event("number.connected", id, "2026-11-26T00:00:01.000Z"))).status, 204);
  assert.equal((await get(w, "/v1/status", other)).body.state, "connecting");
  // Without the secret the route is not offered.
  const plain = await worker({ PS_WEBHOOK_SECRET: undefined });
  assert.equal((await hook(plain, connected)).status, 404);
});

test("the session survives a restart of the runtime", async () => {
  const first = await worker({}, { persist });
  const id = await newNumber();
  const q1 = await get(first, "/v1/qr", id);
  assert.equal((await hook(first, event("number.connected", "wa_other_for_restart"))).status, 204);
  await first.mf.dispose();
  workers.splice(workers.indexOf(first.mf), 1);
  await resetHits();
  const second = await worker({}, { persist });
  const q2 = await get(second, "/v1/qr", id);
  assert.equal(q2.body.qr, q1.body.qr, "the same pairing session after the restart");
  assert.equal((await hits()).connect ?? 0, 0, "served from storage, no upstream call");
});

/** A WebSocket to /v1/events as a widget opens it; every frame's text joins the logs. */
const subscribe = (w, sub, { protocols, origin = PAGE } = {}) =>
  openEvents(w, token(sub), { protocols, origin, onText: (t) => logs.push(t) });

const until = async (check, what) => {
  for (let i = 0; i < 200; i++) { if (check()) return; await new Promise((r) => setTimeout(r, 25)); }
  throw new Error(`timed out: ${what}`);
};

test("push: watchers get the QR at once and connected the moment the webhook arrives", async () => {
  // Polling far apart: "connected" can only come from the webhook.
  const w = await worker({ STATUS_POLL_MS: "60000" });
  const a = await newNumber();
  const b = await newNumber();
  await fetch(`${sandbox}/v1/webhooks`, {
    method: "POST", headers: { "x-api-key": KEY, "content-type": "application/json" },
    body: JSON.stringify({ url: `${w.url}/v1/hooks/pilot-status`, events: ["*"], whatsappNumberId: a }),
  });
  const one = await subscribe(w, a);
  const two = await subscribe(w, a);
  const other = await subscribe(w, b);
  assert.equal(one.status, 101);
  assert.equal(one.protocol, "pilot-connect.v1");
  await until(() => one.frames.length && two.frames.length && other.frames.length, "first frames");
  assert.equal(one.frames[0].state, "pairing");
  assert.equal(two.frames[0].qr, one.frames[0].qr, "both watchers, one QR");
  assert.notEqual(other.frames[0].qr, one.frames[0].qr, "a token for B sees B's session only");
  await resetHits();
  await fetch(`${sandbox}/_sandbox/numbers/${a}/scan`, { method: "POST" });
  await until(() => one.frames.some((f) => f.state === "connected") && two.frames.some((f) => f.state === "connected"), "connected pushed");
  assert.ok(!other.frames.some((f) => f.state === "connected"), "B saw nothing of A");
  assert.equal((await hits()).status ?? 0, 0, "no status poll anywhere");
  for (const s of [one, two, other]) s.ws.close();
});

test("push is refused without a token, with a bad one or from another page; offered without webhooks", async () => {
  const w = await worker();
  const id = await newNumber();
  assert.equal((await subscribe(w, id, { protocols: null })).status, 401);
  assert.equal((await subscribe(w, id, { protocols: ["pilot-connect.v1"] })).status, 401);
  assert.equal((await subscribe(w, id, { protocols: ["pilot-connect.v1", "bearer.not.a.token"] })).status, 401);
  assert.equal((await subscribe(w, id, { origin: "https://evil.example" })).status, 403);
  // Without webhooks push is still offered: the session checks the status itself.
  const plain = await worker({ PS_WEBHOOK_SECRET: undefined });
  const s = await subscribe(plain, id);
  assert.equal(s.status, 101, "push without webhooks");
  s.ws.close();
});

test("nobody watching: no alarm, no upstream calls", async () => {
  const w = await worker({ QR_REFRESH_MS: "1000" });
  const id = await newNumber();
  const s = await subscribe(w, id);
  await until(() => s.frames.length, "first QR");
  // While watched, the object rotates the QR by itself (and pushes it).
  await until(() => s.frames.filter((f) => f.state === "pairing").length >= 2, "a rotation pushed");
  s.ws.close();
  await new Promise((r) => setTimeout(r, 1500));
  await resetHits();
  await new Promise((r) => setTimeout(r, 2500));
  const h = await hits();
  assert.equal((h.connect ?? 0) + (h.status ?? 0), 0, `no upstream calls once nobody watches: ${JSON.stringify(h)}`);
});
