// The session objects off the happy path, in workerd against the sandbox: how often a watched
// number's session may call Pilot Status when calls fail (counted at the sandbox, with 1 and 5
// viewers: the budget is per number, not per viewer), the error every viewer is pushed, and how
// the session learns "connected" with a webhook, with a secret but no webhook, and with no secret.
import { test, before, after, afterEach } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { openEvents, spawnReady, signJws, startWorker } from "../../tests/support/node.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const KEY = "ps_budget_suite_tenant_key_31";
const SECRET = "budget-suite-connect-token-secret-0123456789";
const HOOK = "whsec_budget_suite_dashboard";
const AUD = "pilot-connect-budget";
const PAGE = "https://app.example.com";
const procs = [];
let live = [];
let sandbox;

const now = () => Math.floor(Date.now() / 1000);
const token = (sub, extra = {}) => signJws({ sub, aud: AUD, iat: now(), exp: now() + 600, ...extra }, SECRET);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const sign = (body) => createHmac("sha256", HOOK).update(body).digest("hex");

async function worker(extra = {}) {
  const vars = {
    PS_API_KEY: KEY, CONNECT_TOKEN_SECRET: SECRET, PS_BASE_URL: sandbox, ALLOWED_ORIGINS: PAGE,
    CONNECT_TOKEN_AUDIENCE: AUD, QR_REFRESH_MS: "20000", PS_WEBHOOK_SECRET: HOOK, UPSTREAM_TIMEOUT_MS: "400",
    ...extra,
  };
  const w = await startWorker(Object.fromEntries(Object.entries(vars).filter(([, v]) => v !== undefined)), { limit: 1e6 });
  live.push(w);
  return w;
}

const ctl = (route, init) => fetch(`${sandbox}${route}`, init).then((r) => r.json());
const hits = async () => (await ctl("/_sandbox/stats")).hits;
const upstreamCalls = async () => { const h = await hits(); return (h.connect ?? 0) + (h.status ?? 0); };
const resetHits = () => ctl("/_sandbox/stats", { method: "DELETE" });
const fault = (f) => ctl("/_sandbox/faults", { method: "POST", body: JSON.stringify(f) });
const clearFaults = () => ctl("/_sandbox/faults", { method: "DELETE" });
let seq = 0;
async function newNumber() {
  const r = await fetch(`${sandbox}/v1/numbers`, {
    method: "POST", headers: { "x-api-key": KEY, "content-type": "application/json" },
    body: JSON.stringify({ name: "Budget", number: `+55119620${String(++seq).padStart(5, "0")}` }),
  });
  return (await r.json()).instance.id;
}

/** A WebSocket to /v1/events as the widget opens it; frames with their arrival times. */
async function subscribe(w, sub, claims = {}) {
  const s = await openEvents(w, token(sub, claims), { origin: PAGE });
  assert.equal(s.status, 101, "push is offered");
  return s;
}
const viewers = (w, sub, n, claims) => Promise.all(Array.from({ length: n }, () => subscribe(w, sub, claims)));
const until = async (check, what, ms = 8000) => {
  for (const t0 = Date.now(); Date.now() - t0 < ms;) { if (await check()) return; await sleep(25); }
  throw new Error(`timed out: ${what}`);
};
const code = (f) => f.error?.code;

before(async () => {
  sandbox = await spawnReady(path.join(ROOT, "target/debug/pilot-sandbox"),
    ["--port", "0", "--tenant-key", KEY, "--webhook-secret", HOOK, "--rate-limit", "0"], "pilot-sandbox listening on ", { procs });
});
afterEach(async () => {
  for (const w of live) await w.mf.dispose().catch(() => {});
  live = [];
  await clearFaults();
});
after(() => procs.forEach((p) => p.kill()));

for (const n of [1, 5]) {
  test(`a number Pilot Status does not know, ${n} viewer(s): one call, not_found pushed, then none`, async () => {
    const w = await worker();
    await resetHits();
    const vs = await viewers(w, "wa_unknown_to_pilot_status", n);
    await until(() => vs.every((v) => v.frames.some((f) => code(f) === "not_found")), "not_found at every viewer");
    await sleep(3000);
    const h = await hits();
    // The one call is the number read a new session's first connect waits for: its 404 is final.
    assert.equal(h.get ?? 0, 1, `one number read: ${JSON.stringify(h)}`);
    assert.equal(h.connect ?? 0, 0, "no connect after it");
    assert.equal(h.status ?? 0, 0, "no status poll of a number that does not exist");
  });

  test(`a watched number deleted, ${n} viewer(s): at most one call after, not_found pushed`, async () => {
    const w = await worker({ STATUS_POLL_MS: "500" });
    const id = await newNumber();
    const vs = await viewers(w, id, n);
    await until(() => vs.every((v) => v.frames.some((f) => f.state === "pairing")), "QR at every viewer");
    await resetHits();
    await fetch(`${sandbox}/v1/numbers/${id}`, { method: "DELETE", headers: { "x-api-key": KEY } });
    await until(() => vs.every((v) => v.frames.some((f) => code(f) === "not_found")), "not_found at every viewer");
    await sleep(3000);
    assert.ok(await upstreamCalls() <= 1, `one call after the delete: ${JSON.stringify(await hits())}`);
  });

  test(`429 with Retry-After, ${n} viewer(s): nothing before it, rate_limited pushed with retryAfterMs`, async () => {
    const w = await worker();
    const id = await newNumber();
    await fault({ route: "connect", kind: "rate_limit", retryAfter: 3 });
    await resetHits();
    const t0 = Date.now();
    const vs = await viewers(w, id, n);
    await until(() => vs.every((v) => v.frames.some((f) => code(f) === "rate_limited")), "rate_limited at every viewer");
    for (const v of vs) {
      const f = v.frames.find((x) => code(x) === "rate_limited");
      assert.ok(f.error.retryAfterMs >= 2000 && f.error.retryAfterMs <= 3000, JSON.stringify(f));
    }
    await sleep(2500 - (Date.now() - t0));
    assert.equal(await upstreamCalls(), 1, "no call before Retry-After");
    await clearFaults();
    // Once it has passed, the session asks again by itself and every viewer gets the QR.
    await until(() => vs.every((v) => v.frames.some((f) => f.state === "pairing")), "QR after the wait", 6000);
  });

  for (const [kind, spec, expected] of [
    ["5xx", { route: "*", kind: "status", status: 503 }, "upstream_error"],
    ["timeouts", { route: "*", kind: "latency", latencyMs: 1500 }, "upstream_timeout"],
  ]) {
    test(`${kind}, ${n} viewer(s): backoff with jitter, within 10 requests, every viewer told`, async () => {
      const w = await worker({ STATUS_POLL_MS: "500" });
      const id = await newNumber();
      await fault(spec);
      await resetHits();
      const vs = await viewers(w, id, n);
      await until(() => vs.every((v) => v.frames.some((f) => code(f) === expected)), `${expected} at every viewer`);
      const times = [];
      let last = 0;
      const t0 = Date.now();
      while (Date.now() - t0 < 9000) {
        const c = await upstreamCalls();
        if (c > last) { for (let i = last; i < c; i++) times.push(Date.now() - t0); last = c; }
        await sleep(20);
      }
      // Polling every 500 ms with no budget would be ~18 requests here; retries inside each call more.
      assert.ok(last <= 10, `${last} requests in 9 s: ${times}`);
      assert.ok(last >= 3, `it keeps trying: ${times}`);
      const calls = [...new Set(times.map((t) => Math.round(t / 100)))];
      const gaps = calls.slice(1).map((c, i) => c - calls[i]);
      assert.ok(gaps.length < 2 || gaps[gaps.length - 1] >= gaps[0], `the gaps grow: ${times}`);
      // Every failure reached every viewer.
      for (const v of vs) assert.ok(v.frames.filter((f) => code(f) === expected).length >= 2, JSON.stringify(v.frames.map(code)));
    });
  }
}

async function scanToConnected(w, { register }) {
  const id = await newNumber();
  if (register) {
    const r = await fetch(`${sandbox}/v1/webhooks`, {
      method: "POST", headers: { "x-api-key": KEY, "content-type": "application/json" },
      body: JSON.stringify({ url: `${w.url}/v1/hooks/pilot-status`, events: ["number.connected", "number.disconnected", "number.removed", "number.restored"], whatsappNumberId: id }),
    });
    assert.equal(r.status, 201);
  }
  const vs = await viewers(w, id, 3);
  await until(() => vs.every((v) => v.frames.some((f) => f.state === "pairing")), "QR at every viewer");
  await resetHits();
  const t0 = Date.now();
  await fetch(`${sandbox}/_sandbox/numbers/${id}/scan`, { method: "POST" });
  await until(() => vs.every((v) => v.frames.some((f) => f.state === "connected")), "connected at every viewer", 10000);
  const latest = Math.max(...vs.map((v) => v.frames.find((f) => f.state === "connected").at)) - t0;
  return { latest, hits: await hits() };
}

test("a webhook secret but no webhook for the number: connected by the session's own check, within one STATUS_POLL_MS", async () => {
  const w = await worker({ STATUS_POLL_MS: "1000" });
  const { latest, hits: h } = await scanToConnected(w, { register: false });
  assert.ok(latest < 1000 + 1500, `connected ${latest} ms after the scan`);
  assert.ok((h.status ?? 0) >= 1, "learned by a status check");
});

test("no webhook secret at all: the same, by push", async () => {
  const w = await worker({ STATUS_POLL_MS: "1000", PS_WEBHOOK_SECRET: undefined });
  const { latest } = await scanToConnected(w, { register: false });
  assert.ok(latest < 1000 + 1500, `connected ${latest} ms after the scan`);
});

test("a webhook registered: connected by the webhook, with no status call", async () => {
  const w = await worker({ STATUS_POLL_MS: "60000" });
  const { hits: h } = await scanToConnected(w, { register: true });
  assert.equal(h.status ?? 0, 0, "no status call");
});

test("events apply in order: a number.connected older than the last disconnected is ignored", async () => {
  const w = await worker({ STATUS_POLL_MS: "60000" });
  const id = await newNumber();
  const [v] = await viewers(w, id, 1);
  await until(() => v.frames.some((f) => f.state === "pairing"), "QR");
  const deliver = (event, createdAt) => {
    const body = JSON.stringify({ event, data: { numberId: id, phone: "+5511962000000", displayName: "B", createdAt } });
    return fetch(`${w.url}/v1/hooks/pilot-status`, { method: "POST", headers: { "content-type": "application/json", "x-pilot-status-signature": sign(body) }, body });
  };
  assert.equal((await deliver("number.disconnected", "2026-12-01T10:00:05.000Z")).status, 204);
  assert.equal((await deliver("number.connected", "2026-12-01T10:00:01.000Z")).status, 204, "acknowledged");
  await sleep(300);
  assert.ok(!v.frames.some((f) => f.state === "connected"), JSON.stringify(v.frames.map((f) => f.state ?? code(f))));
  const r = await w.mf.dispatchFetch(`${w.url}/v1/status`, { headers: { origin: PAGE, authorization: `Bearer ${token(id)}` } });
  assert.notEqual((await r.json()).state, "connected");
  // A newer one applies.
  assert.equal((await deliver("number.connected", "2026-12-01T10:00:09.000Z")).status, 204);
  await until(() => v.frames.some((f) => f.state === "connected"), "the newer connected applies");
});

test("message.* and call.* are never acknowledged and dropped: 501 no_forward_target", async () => {
  const w = await worker();
  for (const body of [
    JSON.stringify({ event: "message.received", data: { id: "msg_1", numberId: "n", createdAt: "t" } }),
    JSON.stringify({ event: "call.offer", id: "call_1", from: "+5511" }),
  ]) {
    const r = await fetch(`${w.url}/v1/hooks/pilot-status`, { method: "POST", headers: { "content-type": "application/json", "x-pilot-status-signature": sign(body) }, body });
    assert.equal(r.status, 501);
    assert.equal((await r.json()).error.code, "no_forward_target");
  }
  // Any of several secrets verifies a delivery (one per webhook, or rotation).
  const rotated = await worker({ PS_WEBHOOK_SECRET: undefined, PS_WEBHOOK_SECRETS: `whsec_old_one, ${HOOK}` });
  const body = JSON.stringify({ event: "number.created", data: { numberId: "n", phone: "+1", displayName: "d", createdAt: "t" } });
  const ok = await fetch(`${rotated.url}/v1/hooks/pilot-status`, { method: "POST", headers: { "x-pilot-status-signature": sign(body) }, body });
  assert.equal(ok.status, 204);
  const forged = await fetch(`${rotated.url}/v1/hooks/pilot-status`, { method: "POST", headers: { "x-pilot-status-signature": createHmac("sha256", "whsec_other").update(body).digest("hex") }, body });
  assert.equal(forged.status, 401);
});

test("a dual number: a webhook does not say which link, so each watched link learns its own state", async () => {
  const w = await worker({ STATUS_POLL_MS: "60000" });
  const id = await newNumber();
  const up = await fetch(`${sandbox}/v1/numbers/${id}/upgrade-to-dual`, { method: "POST", headers: { "x-api-key": KEY } });
  assert.equal(up.status, 201);
  const reg = await fetch(`${sandbox}/v1/webhooks`, {
    method: "POST", headers: { "x-api-key": KEY, "content-type": "application/json" },
    body: JSON.stringify({ url: `${w.url}/v1/hooks/pilot-status`, events: ["number.connected", "number.disconnected", "number.removed", "number.restored"], whatsappNumberId: id }),
  });
  assert.equal(reg.status, 201);
  const [first] = await viewers(w, id, 1);
  const [second] = await viewers(w, id, 1, { link: "secondary" });
  await until(() => first.frames.some((f) => f.state === "pairing") && second.frames.some((f) => f.state === "pairing"), "a QR per link");
  assert.notEqual(first.frames[0].qr, second.frames[0].qr, "each link its own QR");
  // The phone links the second link: only its viewer turns connected, by the webhook.
  await fetch(`${sandbox}/_sandbox/numbers/${id}/scan`, { method: "POST", body: JSON.stringify({ link: "secondary" }), headers: { "content-type": "application/json" } });
  await until(() => second.frames.some((f) => f.state === "connected"), "the secondary viewer connected");
  await sleep(500);
  assert.ok(!first.frames.some((f) => f.state === "connected"), "the primary viewer still pairs");
  await fetch(`${sandbox}/_sandbox/numbers/${id}/scan`, { method: "POST" });
  await until(() => first.frames.some((f) => f.state === "connected"), "then the primary viewer");
});

// A token that says the number's webhooks reach the edge (mintConnectToken's `webhooks: true`):
// no status calls while pairing, one connect per rotation, whatever the number of viewers;
// without the claim, STATUS_POLL_MS as before. Counted at the sandbox.
for (const n of [1, 5]) {
  test(`webhooks expected, ${n} viewer(s): one upstream call per QR rotation, no status poll; without: polls`, async () => {
    // A QR is handed out until 1 s before it goes stale: a 4 s refresh rotates every ~3 s.
    const w = await worker({ STATUS_POLL_MS: "500", QR_REFRESH_MS: "4000" });
    const expected = await newNumber();
    const unsure = await newNumber();
    await resetHits();
    const vs = await viewers(w, expected, n, { webhooks: true });
    await until(() => vs.every((v) => v.frames.some((f) => f.state === "pairing")), "QR at every viewer");
    await sleep(6000);
    const h = await hits();
    assert.equal(h.status ?? 0, 0, `no status call: ${JSON.stringify(h)}`);
    // The first connect and one per ~3 s rotation: 3 in ~6 s (one more at a boundary).
    assert.ok((h.connect ?? 0) >= 2 && (h.connect ?? 0) <= 4, `one connect per rotation: ${JSON.stringify(h)}`);
    vs.forEach((v) => v.ws.close());
    await resetHits();
    const us = await viewers(w, unsure, n);
    await until(() => us.every((v) => v.frames.some((f) => f.state === "pairing")), "QR at every viewer");
    await sleep(3000);
    assert.ok(((await hits()).status ?? 0) >= 3, `polls every STATUS_POLL_MS without the claim: ${JSON.stringify(await hits())}`);
    us.forEach((v) => v.ws.close());
  });
}

// Without the claim, the session lists the number's webhooks at Pilot Status (once, then once per
// 10 min while pairing): one pointing at this edge and subscribed to number.connected means
// webhooks are expected, so no status calls either. Counted at the sandbox.
for (const n of [1, 5]) {
  test(`a webhook at Pilot Status pointing at the edge, ${n} viewer(s): listed once, no status poll, connected by the webhook`, async () => {
    const w = await worker({ STATUS_POLL_MS: "500", QR_REFRESH_MS: "4000" });
    const id = await newNumber();
    const r = await fetch(`${sandbox}/v1/webhooks`, {
      method: "POST", headers: { "x-api-key": KEY, "content-type": "application/json" },
      body: JSON.stringify({ url: `${w.url}/v1/hooks/pilot-status`, events: ["number.connected", "number.disconnected", "number.removed", "number.restored"], whatsappNumberId: id }),
    });
    assert.equal(r.status, 201);
    await resetHits();
    const vs = await viewers(w, id, n);
    await until(() => vs.every((v) => v.frames.some((f) => f.state === "pairing")), "QR at every viewer");
    await sleep(4000);
    const h = await hits();
    assert.equal(h.webhooks_list ?? 0, 1, `listed once: ${JSON.stringify(h)}`);
    // A status read may start beside the listing, before its answer: none after it.
    assert.ok((h.status ?? 0) <= 1, `no status polling: ${JSON.stringify(h)}`);
    await resetHits();
    await fetch(`${sandbox}/_sandbox/numbers/${id}/scan`, { method: "POST" });
    await until(() => vs.every((v) => v.frames.some((f) => f.state === "connected")), "connected at every viewer", 10000);
    assert.equal((await hits()).status ?? 0, 0, "connected by the webhook, not a status read");
    vs.forEach((v) => v.ws.close());
  });
}
