// Official (Meta) numbers in workerd against the sandbox: the session reads the number before
// its first connect and never asks /connect for a META one (counted at the sandbox: `connect`
// stays 0); its viewers get `{state:"waiting", detail}` (Meta's status word from the number read)
// until its status says OPEN, then "connected", over HTTP and over the push stream; one status
// poll per interval whatever the viewers. A QR number still pairs, its connect after the read.
import { test, before, after, afterEach } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { openEvents, spawnReady, signJws, startWorker } from "../../tests/support/node.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const KEY = "ps_official_suite_tenant_key_9";
const SECRET = "official-suite-connect-token-secret-0123456789abc";
const AUD = "pilot-connect-official";
const PAGE = "https://app.example.com";
const procs = [];
let live = [];
let pending, open;

const now = () => Math.floor(Date.now() / 1000);
const token = (sub) => signJws({ sub, aud: AUD, iat: now(), exp: now() + 600 }, SECRET);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const ctl = (base, route, init) => fetch(`${base}${route}`, init).then((r) => r.json());
const hits = async (base) => (await ctl(base, "/_sandbox/stats")).hits;
const resetHits = (base) => ctl(base, "/_sandbox/stats", { method: "DELETE" });

async function worker(base, extra = {}) {
  const w = await startWorker({
    PS_API_KEY: KEY, CONNECT_TOKEN_SECRET: SECRET, PS_BASE_URL: base, ALLOWED_ORIGINS: PAGE,
    CONNECT_TOKEN_AUDIENCE: AUD, STATUS_POLL_MS: "500", STATUS_TTL_MS: "250", BRANDING_TTL_MS: "0", ...extra,
  }, { limit: 1e6 });
  live.push(w);
  return w;
}

async function ask(w, route, sub) {
  const r = await fetch(`${w.url}${route}`, { headers: { origin: PAGE, authorization: `Bearer ${token(sub)}` } });
  return { status: r.status, body: await r.json() };
}

let seq = 0;
async function metaNumber(base) {
  const n = String(++seq).padStart(5, "0");
  const r = await fetch(`${base}/v1/numbers/meta`, {
    method: "POST", headers: { "x-api-key": KEY, "content-type": "application/json" },
    body: JSON.stringify({
      name: "Oficial", number: `+55119670${n}`, metaPhoneId: `1000${n}`, metaWabaId: `2000${n}`,
      metaAccessToken: "EAAG_test_token", metaAppSecret: "app_secret_test", metaAppId: "3000",
    }),
  });
  assert.equal(r.status, 201, await r.clone().text());
  return (await r.json()).number.id;
}

async function qrNumber(base) {
  const r = await fetch(`${base}/v1/numbers`, {
    method: "POST", headers: { "x-api-key": KEY, "content-type": "application/json" },
    body: JSON.stringify({ name: "QR", number: `+55119680${String(++seq).padStart(5, "0")}` }),
  });
  assert.equal(r.status, 201);
  return (await r.json()).instance.id;
}

const setMeta = (base, id, state) => ctl(base, `/_sandbox/numbers/${encodeURIComponent(id)}/meta`, { method: "POST", body: JSON.stringify({ state }) });

before(async () => {
  const bin = path.join(ROOT, "target/debug/pilot-sandbox");
  pending = await spawnReady(bin, ["--port", "0", "--tenant-key", KEY, "--rate-limit", "0", "--meta-numbers", "pending"],
    "pilot-sandbox listening on ", { procs });
  open = await spawnReady(bin, ["--port", "0", "--tenant-key", KEY, "--rate-limit", "0"], "pilot-sandbox listening on ", { procs });
});
afterEach(async () => {
  for (const w of live) await w.mf.dispose().catch(() => {});
  live = [];
});
after(() => procs.forEach((p) => p.kill()));

test("an official number waiting on Meta: no connect, waiting with Meta's word, connected once Meta is done", async () => {
  const w = await worker(pending);
  const id = await metaNumber(pending);
  await resetHits(pending);
  const answers = await Promise.all(Array.from({ length: 5 }, () => ask(w, "/v1/qr", id)));
  for (const a of answers) {
    assert.equal(a.status, 200, JSON.stringify(a.body));
    assert.deepEqual(a.body, { state: "waiting", detail: "PENDING" });
  }
  const s = await ask(w, "/v1/status", id);
  assert.equal(s.body.state, "disconnected");
  let h = await hits(pending);
  assert.equal(h.connect ?? 0, 0, "never asked for a QR");
  assert.equal(h.get, 1, "the number read once");
  // Meta finishes.
  await setMeta(pending, id, "OPEN");
  let last;
  for (let i = 0; i < 40 && last?.body.state !== "connected"; i++) {
    await sleep(100);
    last = await ask(w, "/v1/qr", id);
  }
  assert.deepEqual(last.body, { state: "connected" });
  h = await hits(pending);
  assert.equal(h.connect ?? 0, 0, "still no connect");
});

test("watched: the push stream shows waiting, polls once per interval for 1 or 5 viewers, then connected", async () => {
  for (const viewers of [1, 5]) {
    const w = await worker(pending);
    const id = await metaNumber(pending);
    await resetHits(pending);
    const frames = Array.from({ length: viewers }, () => []);
    const sockets = [];
    for (let i = 0; i < viewers; i++) {
      const s = await openEvents(w, token(id), { origin: PAGE, onText: (t) => frames[i].push(JSON.parse(t)) });
      assert.equal(s.status, 101);
      sockets.push(s);
    }
    await sleep(3_000);
    for (const f of frames) assert.deepEqual(f[0], { state: "waiting", detail: "PENDING" }, "the first frame is the waiting face");
    const h = await hits(pending);
    assert.equal(h.connect ?? 0, 0);
    // 3 s at STATUS_POLL_MS 500: about 6 polls, whatever the viewers (one session).
    assert.ok(h.status >= 3 && h.status <= 8, `${viewers} viewers: ${h.status} status reads in 3 s`);
    await setMeta(pending, id, "OPEN");
    await sleep(1_000);
    for (const f of frames) {
      assert.ok(f.some((x) => x.state === "connected"), `${viewers} viewers: connected pushed (${JSON.stringify(f)})`);
    }
    for (const s of sockets) s.ws.close();
  }
});

test("an official number already connected answers connected at once; a QR number still pairs, its connect after the read", async () => {
  const w = await worker(open);
  const id = await metaNumber(open);
  await resetHits(open);
  const a = await ask(w, "/v1/qr", id);
  assert.deepEqual(a.body, { state: "connected" });
  assert.equal((await hits(open)).connect ?? 0, 0);
  const q = await qrNumber(open);
  await resetHits(open);
  const p = await ask(w, "/v1/qr", q);
  assert.equal(p.body.state, "pairing");
  assert.match(p.body.maskedNumber, /^\+55 11 9••••-\d{4}$/, "the number read came first: the first answer has it");
  const h = await hits(open);
  assert.deepEqual([h.get, h.connect], [1, 1]);
});
