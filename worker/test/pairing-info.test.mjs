// What a pairing answer says about the number and its code, in workerd against the sandbox:
// `maskedNumber` (read once per session from GET /v1/numbers/{id}, masked, never the digits) in
// /v1/qr and in pushed frames, for every viewer and rotation, and for both links of a dual
// number; a failing read never costs a QR and is tried again within its budget; and
// `codeExpiresInMs`: null until the session has seen a code end by itself (or the operator set
// PAIRING_CODE_TTL_MS), then the observed lifetime minus the code's age. Upstream calls are
// counted at the sandbox (GET /_sandbox/stats: `get` is GET /v1/numbers/{id}).
import { test, before, after, afterEach } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { openEvents, spawnReady, signJws, startWorker } from "../../tests/support/node.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const KEY = "ps_pairing_info_suite_tenant_key_5";
const SECRET = "pairing-info-suite-connect-token-secret-0123456789";
const AUD = "pilot-connect-pairing-info";
const PAGE = "https://app.example.com";
// The sandbox's pairing attempt lasts 160 virtual seconds; at this scale, 8 real seconds.
const SCALE = 20;
const ATTEMPT_MS = (160 / SCALE) * 1000;
const procs = [];
let live = [];
const seen = []; // every browser-facing answer and frame of the suite, as text
let sandbox, fast;

const now = () => Math.floor(Date.now() / 1000);
const token = (sub, extra = {}) => signJws({ sub, aud: AUD, iat: now(), exp: now() + 600, ...extra }, SECRET);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function worker(base, extra = {}) {
  const vars = {
    PS_API_KEY: KEY, CONNECT_TOKEN_SECRET: SECRET, PS_BASE_URL: base, ALLOWED_ORIGINS: PAGE,
    CONNECT_TOKEN_AUDIENCE: AUD, QR_REFRESH_MS: "20000", ...extra,
  };
  const w = await startWorker(Object.fromEntries(Object.entries(vars).filter(([, v]) => v !== undefined)), { limit: 1e6 });
  live.push(w);
  return w;
}

async function qr(w, sub, claims) {
  const r = await fetch(`${w.url}/v1/qr`, { headers: { origin: PAGE, authorization: `Bearer ${token(sub, claims)}` } });
  const text = await r.text();
  seen.push(text);
  return { status: r.status, body: JSON.parse(text) };
}

/** A WebSocket to /v1/events as the widget opens it; every frame's text joins `seen`. */
async function subscribe(w, sub, claims = {}) {
  const s = await openEvents(w, token(sub, claims), { origin: PAGE, onText: (t) => seen.push(t) });
  assert.equal(s.status, 101, "push is offered");
  return s;
}

const until = async (check, what, ms = 10000) => {
  for (const t0 = Date.now(); Date.now() - t0 < ms;) { if (await check()) return; await sleep(25); }
  throw new Error(`timed out: ${what}`);
};
const ctl = (base, route, init) => fetch(`${base}${route}`, init).then((r) => r.json());
const hits = async (base = sandbox) => (await ctl(base, "/_sandbox/stats")).hits;
const resetHits = (base = sandbox) => ctl(base, "/_sandbox/stats", { method: "DELETE" });
const fault = (f) => ctl(sandbox, "/_sandbox/faults", { method: "POST", body: JSON.stringify(f) });
const clearFaults = () => ctl(sandbox, "/_sandbox/faults", { method: "DELETE" });

let seq = 0;
const phones = [];
/** A new number on `base`: its id and its digits. */
async function newNumber(base = sandbox) {
  const digits = `55119640${String(++seq).padStart(5, "0")}`;
  phones.push(digits);
  const r = await fetch(`${base}/v1/numbers`, {
    method: "POST", headers: { "x-api-key": KEY, "content-type": "application/json" },
    body: JSON.stringify({ name: "Pairing info", number: `+${digits}` }),
  });
  return { id: (await r.json()).instance.id, digits };
}
/** A Brazilian mobile number masked by hand: +55 AA 9••••-LLLL. */
const masked = (d) => `+55 ${d.slice(2, 4)} ${d[4]}••••-${d.slice(-4)}`;

before(async () => {
  const bin = path.join(ROOT, "target/debug/pilot-sandbox");
  sandbox = await spawnReady(bin, ["--port", "0", "--tenant-key", KEY, "--rate-limit", "0"], "pilot-sandbox listening on ", { procs });
  fast = await spawnReady(bin, ["--port", "0", "--tenant-key", KEY, "--rate-limit", "0", "--time-scale", String(SCALE)],
    "pilot-sandbox listening on ", { procs });
});
afterEach(async () => {
  for (const w of live) await w.mf.dispose().catch(() => {});
  live = [];
  await clearFaults();
});
after(() => {
  procs.forEach((p) => p.kill());
  // Never the number's digits in anything a browser got: not whole, not its local part.
  assert.ok(seen.length > 0);
  for (const text of seen) {
    for (const d of phones) {
      assert.ok(!text.includes(d) && !text.includes(d.slice(4)) && !text.includes(d.slice(2)), `the raw number in ${text.slice(0, 200)}`);
    }
  }
});

test("a new session's first QR waits for the number read (one attempt); a failed read lets the connect go at once", async () => {
  const w = await worker(sandbox, { QR_REFRESH_MS: "2000" });
  // A quick read: the first answer already says which number the code is for.
  const a = await newNumber();
  const first = await qr(w, a.id);
  assert.equal(first.status, 200);
  assert.equal(first.body.maskedNumber, masked(a.digits), "the first screen shows the number");
  // A slow read: the first connect waits for it (the number may be an official one, which is never
  // asked for a QR), and the QR has the number.
  const b = await newNumber();
  await fault({ route: "get", kind: "latency", latencyMs: 1500, times: 1 });
  await resetHits();
  const slow = await qr(w, b.id);
  assert.equal(slow.body.state, "pairing");
  assert.equal(slow.body.maskedNumber, masked(b.digits), "the QR waited for the read");
  assert.deepEqual([(await hits()).get, (await hits()).connect], [1, 1]);
  // A failing read: one attempt (no retry in front of the QR), then the connect goes; the number
  // reaches the viewers by push once a later read lands.
  const c = await newNumber();
  await fault({ route: "get", kind: "status", status: 503, times: 1 });
  await resetHits();
  const failed = await qr(w, c.id);
  assert.equal(failed.body.state, "pairing");
  assert.equal(failed.body.maskedNumber, null);
  assert.equal((await hits()).get, 1, "one attempt before the QR");
  const v = await subscribe(w, c.id);
  await until(() => v.frames.some((f) => f.maskedNumber === masked(c.digits)), "pushed when a later read lands", 15000);
  v.ws.close();
  await clearFaults();
});

test("maskedNumber in /v1/qr and every pushed frame; GET number once for many viewers and rotations", async (t) => {
  const w = await worker(sandbox, { QR_REFRESH_MS: "2000" });
  const { id, digits } = await newNumber();
  const want = masked(digits);
  await resetHits();
  const first = await Promise.all(Array.from({ length: 5 }, () => qr(w, id)));
  assert.ok(first.every((r) => r.status === 200 && r.body.state === "pairing"), "the QR does not wait for the number");
  assert.ok(first.every((r) => r.body.maskedNumber === null || r.body.maskedNumber === want), JSON.stringify(first[0].body.maskedNumber));
  const viewers = await Promise.all(Array.from({ length: 5 }, () => subscribe(w, id)));
  await until(() => viewers.every((v) => v.frames.some((f) => f.maskedNumber === want)), "every viewer is pushed the number");
  // Rotations: the session calls connect once a second while watched.
  const c0 = (await hits()).connect ?? 0;
  await until(async () => ((await hits()).connect ?? 0) >= c0 + 4, "four more rotations");
  const again = await Promise.all(Array.from({ length: 10 }, () => qr(w, id)));
  assert.ok(again.every((r) => r.body.maskedNumber === want), "every later answer has it");
  for (const v of viewers) {
    const pairing = v.frames.filter((f) => f.state === "pairing");
    const from = pairing.findIndex((f) => f.maskedNumber === want);
    assert.ok(pairing.length >= 4, `rotations pushed: ${pairing.length}`);
    assert.ok(pairing.slice(from).every((f) => f.maskedNumber === want), "once known, in every frame after");
    v.ws.close();
  }
  const h = await hits();
  t.diagnostic(`GET number ${h.get}, connect ${h.connect}, status ${h.status}`);
  assert.equal(h.get, 1, `one GET number for 10 viewers, 16 answers and ${h.connect} connects`);
});

test("a dual number: the secondary link shows the same number", async () => {
  const w = await worker(sandbox);
  const { id, digits } = await newNumber();
  const up = await fetch(`${sandbox}/v1/numbers/${id}/upgrade-to-dual`, { method: "POST", headers: { "x-api-key": KEY } });
  assert.ok(up.ok, `upgrade-to-dual: ${up.status}`);
  const secondary = await subscribe(w, id, { link: "secondary" });
  await until(() => secondary.frames.some((f) => f.maskedNumber === masked(digits)), "the secondary link's frames have it");
  await until(async () => (await qr(w, id)).body.maskedNumber === masked(digits), "the primary link's answers have it");
  assert.equal((await qr(w, id, { link: "secondary" })).body.maskedNumber, masked(digits));
  secondary.ws.close();
});

test("GET number failing: the QR is served without it, tried again within the budget, then shown", async (t) => {
  const w = await worker(sandbox, { QR_REFRESH_MS: "2000", STATUS_POLL_MS: "250" });
  const { id, digits } = await newNumber();
  await fault({ route: "get", kind: "status", status: 503 });
  await resetHits();
  const v = await subscribe(w, id);
  // Many requests while it fails: each one is a QR, none waits for or triggers a read.
  for (let i = 0; i < 30; i++) {
    const r = await qr(w, id);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.state, "pairing");
    assert.equal(r.body.maskedNumber, null);
    await sleep(100);
  }
  const h = await hits();
  t.diagnostic(`while failing: ${JSON.stringify(h)}`);
  assert.ok(h.connect >= 2 && (h.status ?? 0) >= 2, `the session works as usual: ${JSON.stringify(h)}`);
  // The first read (with the core's retries), then one request per backoff step (1, 2, 4 s…):
  // never per request, and within the first minute's 10.
  assert.ok(h.get >= 2 && h.get <= 10, `GET number ${h.get} times in 3 s of 30 QR answers`);
  assert.ok(v.frames.every((f) => !f.error), "no viewer was told of the failed read");
  assert.ok(v.frames.every((f) => f.maskedNumber === undefined || f.maskedNumber === null));
  await clearFaults();
  await until(() => v.frames.some((f) => f.maskedNumber === masked(digits)), "shown once a read succeeds", 20000);
  const after1 = (await hits()).get;
  t.diagnostic(`GET number until shown: ${after1}`);
  await sleep(1500);
  assert.equal((await hits()).get, after1, "read for good: no more calls");
  assert.equal((await qr(w, id)).body.maskedNumber, masked(digits));
  v.ws.close();
});

test("a later GET number answered 404 (final): the QRs go on, no more reads until a new visit", async () => {
  const w = await worker(sandbox, { QR_REFRESH_MS: "2000", STATUS_POLL_MS: "250" });
  const { id, digits } = await newNumber();
  // The first read fails (the connect goes), the read tried again answers 404. (A first read's
  // 404 is the session's answer: a number Pilot Status does not know; budget.test.mjs.)
  await fault({ route: "get", kind: "status", status: 503, times: 1 });
  await fault({ route: "get", kind: "status", status: 404 });
  await resetHits();
  const v = await subscribe(w, id);
  await until(async () => ((await hits()).get ?? 0) >= 2 && ((await hits()).connect ?? 0) >= 3, "the 404 and rotations");
  await sleep(2500);
  assert.equal((await hits()).get, 2, "the failed read, the final one, then none");
  assert.equal((await qr(w, id)).body.maskedNumber, null);
  await clearFaults();
  v.ws.close();
  await sleep(300);
  const again = await subscribe(w, id); // the first watcher after nobody watched: a new visit
  await until(() => again.frames.some((f) => f.maskedNumber === masked(digits)), "read again on the new visit");
  assert.equal((await hits()).get, 3);
  again.ws.close();
});

test("codeExpiresInMs: null until a code ended by itself (a live CLOSE status), then lifetime − age", async (t) => {
  const w = await worker(fast, { QR_REFRESH_MS: "2000", STATUS_POLL_MS: "200" });
  const { id } = await newNumber(fast);
  const v = await subscribe(w, id);
  await until(() => v.frames.some((f) => f.state === "pairing"), "first QR");
  const codeA = v.frames.find((f) => f.state === "pairing").pairingCode;
  assert.ok(codeA);
  const a = await qr(w, id);
  assert.equal(a.body.pairingCode, codeA);
  assert.equal(a.body.codeExpiresInMs, null, "no lifetime is known yet: never a made-up one");
  // The attempt ends by itself after 160 virtual s: the status poll sees CLOSE, the session asks
  // again and gets a new code, now with the lifetime it observed.
  await until(() => v.frames.some((f) => f.state === "pairing" && f.pairingCode !== codeA), "a new code", ATTEMPT_MS + 8000);
  assert.ok(v.frames.every((f) => f.pairingCode !== codeA || f.codeExpiresInMs === null), "code A never had a lifetime");
  assert.ok(v.frames.some((f) => f.state === "disconnected"), "the fall back to CLOSE was pushed");
  const b = v.frames.find((f) => f.state === "pairing" && f.pairingCode !== codeA);
  assert.ok(b.codeExpiresInMs > ATTEMPT_MS - 1500 && b.codeExpiresInMs <= ATTEMPT_MS + 1000,
    `observed ≈ ${ATTEMPT_MS} ms: ${b.codeExpiresInMs}`);
  const r1 = await qr(w, id);
  await sleep(600);
  const r2 = await qr(w, id);
  assert.equal(r1.body.pairingCode, b.pairingCode);
  assert.equal(r2.body.pairingCode, b.pairingCode);
  assert.ok(r1.body.codeExpiresInMs < b.codeExpiresInMs, "it counts down");
  const fell = r1.body.codeExpiresInMs - r2.body.codeExpiresInMs;
  t.diagnostic(`new code: ${b.codeExpiresInMs} ms left; then ${r1.body.codeExpiresInMs}, ${r2.body.codeExpiresInMs}`);
  assert.ok(fell >= 550 && fell <= 1200, `it fell by the time between the reads: ${fell}`);
  v.ws.close();
});

test("codeExpiresInMs learned from connect alone (no polling): a different code while not connected", async (t) => {
  const w = await worker(fast, { QR_REFRESH_MS: "2000", STATUS_POLL_MS: "60000" });
  const { id } = await newNumber(fast);
  await resetHits(fast);
  const v = await subscribe(w, id);
  await until(() => v.frames.some((f) => f.state === "pairing"), "first QR");
  const codeA = v.frames.find((f) => f.state === "pairing").pairingCode;
  await until(() => v.frames.some((f) => f.state === "pairing" && f.pairingCode !== codeA), "a new code", ATTEMPT_MS + 8000);
  assert.equal((await hits(fast)).status ?? 0, 0, "no status call: learned from connect");
  const b = v.frames.find((f) => f.state === "pairing" && f.pairingCode !== codeA);
  t.diagnostic(`new code: ${b.codeExpiresInMs} ms left`);
  // Learned at the first rotation after the end: up to one QR_REFRESH_MS late.
  assert.ok(b.codeExpiresInMs > ATTEMPT_MS - 1500 && b.codeExpiresInMs <= ATTEMPT_MS + 1500, `${b.codeExpiresInMs}`);
  v.ws.close();
});

test("a code replaced because the number connected teaches nothing", async () => {
  const w = await worker(sandbox, { STATUS_POLL_MS: "200" });
  const { id } = await newNumber();
  const v = await subscribe(w, id);
  await until(() => v.frames.some((f) => f.state === "pairing"), "first QR");
  const codeA = v.frames.find((f) => f.state === "pairing").pairingCode;
  await fetch(`${sandbox}/_sandbox/numbers/${id}/scan`, { method: "POST" });
  await until(() => v.frames.some((f) => f.state === "connected"), "connected");
  v.ws.close();
  await fetch(`${sandbox}/_sandbox/numbers/${id}/disconnect`, { method: "POST" });
  await until(async () => { const r = await qr(w, id); return r.body.state === "pairing" && r.body.pairingCode !== codeA; }, "a new code");
  const r = await qr(w, id);
  assert.equal(r.body.codeExpiresInMs, null, "no lifetime learned from a code that ended by connecting");
});

test("PAIRING_CODE_TTL_MS: the operator's lifetime until one is observed; an invalid one is a config error", async () => {
  const w = await worker(sandbox, { PAIRING_CODE_TTL_MS: "90000" });
  const { id } = await newNumber();
  const r1 = await qr(w, id);
  assert.ok(r1.body.codeExpiresInMs > 85000 && r1.body.codeExpiresInMs <= 90000, `${r1.body.codeExpiresInMs}`);
  await sleep(400);
  const r2 = await qr(w, id);
  assert.equal(r2.body.pairingCode, r1.body.pairingCode);
  assert.ok(r2.body.codeExpiresInMs <= r1.body.codeExpiresInMs - 350, "it counts down");
  for (const bad of ["abc", "0", "3600001", "-5"]) {
    const b = await worker(sandbox, { PAIRING_CODE_TTL_MS: bad });
    const res = await qr(b, id);
    assert.equal(res.status, 500, bad);
    assert.equal(res.body.error.code, "config_error");
  }
});

test("lenient reading: only `number` is read; none is kept as none (not asked again); a malformed answer is retried", async () => {
  const w = await worker(sandbox, { QR_REFRESH_MS: "2000", STATUS_POLL_MS: "250" });
  // The number as a JSON number, no `id`, extra fields: read.
  const a = await newNumber();
  await fault({ route: "get", kind: "status", status: 200, body: { number: Number(a.digits), extra: { any: [1] } }, times: 1 });
  const va = await subscribe(w, a.id);
  await until(() => va.frames.some((f) => f.maskedNumber === masked(a.digits)), "a JSON number is read");
  va.ws.close();
  // No number at all: answered, so not asked again, and shown as null.
  const b = await newNumber();
  await fault({ route: "get", kind: "status", status: 200, body: { id: b.id, number: null }, times: 1 });
  await resetHits();
  const vb = await subscribe(w, b.id);
  await until(async () => ((await hits()).connect ?? 0) >= 3, "rotations");
  assert.equal((await hits()).get, 1, "answered: not asked again");
  assert.equal((await qr(w, b.id)).body.maskedNumber, null);
  assert.ok(vb.frames.every((f) => !f.error));
  vb.ws.close();
  // A malformed answer is a failed read: tried again, then shown.
  const c = await newNumber();
  await fault({ route: "get", kind: "malformed", times: 1 });
  await resetHits();
  const vc = await subscribe(w, c.id);
  await until(() => vc.frames.some((f) => f.maskedNumber === masked(c.digits)), "read again after the malformed answer");
  assert.ok((await hits()).get >= 2);
  vc.ws.close();
});
