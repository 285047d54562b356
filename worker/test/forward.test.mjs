// Edge in front, in workerd against the sandbox: the worker is the number's only webhook and
// forwards every verified delivery — original bytes and signature — to the customer's receiver
// through its Cloudflare Queue, with retries and backoff while the receiver is down, dead letters
// kept for the operator and replayable, and nothing unsigned ever forwarded.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { createHmac } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { spawnReady, signJws, startWorker, freePort, wranglerConfig } from "../../tests/support/node.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const KEY = "ps_forward_suite_tenant_key_52";
const SECRET = "forward-suite-connect-token-secret-0123456789";
const HOOK = "whsec_forward_suite_dashboard";
const ADMIN = "forward-suite-admin-secret-0123456789abcdef";
const AUD = "pilot-connect-forward";
const PAGE = "https://app.example.com";
const procs = [];
const workers = [];
const servers = [];
let sandbox;

const now = () => Math.floor(Date.now() / 1000);
const token = (sub) => signJws({ sub, aud: AUD, iat: now(), exp: now() + 600 }, SECRET);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const sign = (body, secret = HOOK) => createHmac("sha256", secret).update(body).digest("hex");
const until = async (check, what, ms = 30000) => {
  for (const t0 = Date.now(); Date.now() - t0 < ms;) { if (await check()) return; await sleep(50); }
  throw new Error(`timed out: ${what}`);
};

/** The customer's own receiver: verifies each delivery with the dashboard secret, like its code does. */
async function backend({ downUntil = 0 } = {}) {
  const got = [];
  const refused = [];
  let down = downUntil;
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const raw = Buffer.concat(chunks);
      if (Date.now() < down || down === Infinity) { refused.push(raw.toString()); res.writeHead(503).end(); return; }
      got.push({ raw: raw.toString(), signature: req.headers["x-pilot-status-signature"], dedup: req.headers["x-pilot-connect-dedup-key"],
        verified: req.headers["x-pilot-status-signature"] === createHmac("sha256", HOOK).update(raw).digest("hex") });
      res.writeHead(200).end();
    });
  });
  const port = await freePort();
  await new Promise((r) => server.listen(port, "127.0.0.1", r));
  servers.push(server);
  return { url: `http://127.0.0.1:${port}/hooks/pilot-status`, got, refused, up: () => { down = 0; } };
}

async function worker(extra = {}, queues = {}) {
  const w = await startWorker({
    PS_API_KEY: KEY, CONNECT_TOKEN_SECRET: SECRET, PS_BASE_URL: sandbox, ALLOWED_ORIGINS: PAGE, CONNECT_TOKEN_AUDIENCE: AUD,
    PS_WEBHOOK_SECRET: HOOK, ADMIN_SECRET: ADMIN, FORWARD_RETRY_BASE_SECS: "1", STATUS_POLL_MS: "60000", ...extra,
  }, { limit: 1e6, queues });
  workers.push(w.mf);
  return w;
}

let seq = 0;
async function connectedNumber(w) {
  const r = await fetch(`${sandbox}/v1/numbers`, {
    method: "POST", headers: { "x-api-key": KEY, "content-type": "application/json" },
    body: JSON.stringify({ name: "Forward", number: `+55119630${String(++seq).padStart(5, "0")}` }),
  });
  const id = (await r.json()).instance.id;
  // Edge in front: the worker is the number's webhook, for everything.
  const hook = await fetch(`${sandbox}/v1/webhooks`, {
    method: "POST", headers: { "x-api-key": KEY, "content-type": "application/json" },
    body: JSON.stringify({ url: `${w.url}/v1/hooks/pilot-status`, events: ["*"], whatsappNumberId: id }),
  });
  assert.equal(hook.status, 201);
  return id;
}
const emit = async (id, count) =>
  (await (await fetch(`${sandbox}/_sandbox/numbers/${id}/messages`, { method: "POST", body: JSON.stringify({ count }) })).json()).messageIds;
const admin = (w, route, init = {}) =>
  fetch(`${w.url}/v1/admin/dead-letters${route}`, { ...init, headers: { authorization: `Bearer ${ADMIN}`, ...(init.headers ?? {}) } });

before(async () => {
  sandbox = await spawnReady(path.join(ROOT, "target/debug/pilot-sandbox"),
    ["--port", "0", "--tenant-key", KEY, "--webhook-secret", HOOK, "--rate-limit", "0"], "pilot-sandbox listening on ", { procs });
});
after(async () => {
  for (const mf of workers) await mf.dispose().catch(() => {});
  for (const s of servers) s.close();
  procs.forEach((p) => p.kill());
});

test("wrangler.toml's dead-letter queue is the one the worker keeps", () => {
  const { consumers, producers } = wranglerConfig();
  assert.deepEqual(producers, [{ binding: "WEBHOOK_FORWARD", queue: "pilot-connect-forward" }]);
  const main = consumers.find((c) => c.queue === "pilot-connect-forward");
  assert.equal(main.deadLetterQueue, "pilot-connect-forward-dlq", "worker/src/forward.rs DEAD_LETTER_QUEUE");
  assert.ok(main.maxRetries >= 3, "explicit max_retries");
  assert.ok(consumers.some((c) => c.queue === main.deadLetterQueue), "the dead letters have a consumer");
});

test("the receiver down for a while: every one of 200 messages reaches it, verifiable, none lost", async () => {
  // Down until it has refused a good part of the traffic (not for a fixed time: a loaded machine
  // could deliver everything after the outage, and the test would prove nothing).
  const b = await backend({ downUntil: Infinity });
  const w = await worker({ FORWARD_WEBHOOK_URL: b.url });
  const id = await connectedNumber(w);
  const [v] = [await w.mf.dispatchFetch(`${w.url}/v1/qr`, { headers: { origin: PAGE, authorization: `Bearer ${token(id)}` } })];
  assert.equal(v.status, 200);
  await fetch(`${sandbox}/_sandbox/numbers/${id}/scan`, { method: "POST" });
  const ids = await emit(id, 200);
  assert.equal(ids.length, 200);
  await until(() => b.refused.length >= 50, "the receiver refused deliveries while down");
  await sleep(1000);
  b.up();
  await until(() => ids.every((m) => b.got.some((g) => JSON.parse(g.raw).data?.id === m)), "all 200 messages forwarded", 60000).catch(async (e) => { const d = (await (await fetch(`${sandbox}/_sandbox/webhooks/deliveries`)).json()).deliveries; const st = {}; for (const x of d) st[x.status] = (st[x.status] ?? 0) + 1; throw new Error(`${e.message}: got ${new Set(b.got.map((g) => JSON.parse(g.raw).data?.id)).size} distinct of 200, ${b.got.length} in all, refused ${b.refused.length}; sandbox deliveries ${JSON.stringify(st)}`); });
  assert.ok(b.refused.length > 0, "the receiver really was down at first");
  for (const g of b.got) assert.ok(g.verified, "the original signature verifies the original bytes");
  // Duplicates (a delivery Pilot Status or the queue retried) share their dedup key.
  const byKey = new Map();
  for (const g of b.got) {
    const body = JSON.parse(g.raw);
    const key = body.event.startsWith("message.") ? body.data.id : `${body.event}|${body.data.numberId}|${body.data.createdAt}`;
    assert.equal(g.dedup, key, "the forward carries the core's dedup key");
    byKey.set(key, (byKey.get(key) ?? 0) + 1);
  }
  // number.connected went first, so it may be in a later retry than the messages: wait for it too.
  await until(() => b.got.some((g) => JSON.parse(g.raw).event === "number.connected"), "lifecycle events are forwarded too", 60000);
  // And the edge used the lifecycle event itself: the viewer sees connected with no poll.
  const s = await w.mf.dispatchFetch(`${w.url}/v1/status`, { headers: { origin: PAGE, authorization: `Bearer ${token(id)}` } });
  assert.equal((await s.json()).state, "connected");
});

test("past max_retries a delivery is kept in the dead letters, listed and replayed", async () => {
  const b = await backend({ downUntil: Infinity });
  const w = await worker({ FORWARD_WEBHOOK_URL: b.url }, { "pilot-connect-forward": { maxRetries: 1 } });
  const id = await connectedNumber(w);
  await fetch(`${sandbox}/_sandbox/numbers/${id}/scan`, { method: "POST" });
  const [msg] = await emit(id, 1);
  let letters = [];
  await until(async () => {
    letters = (await (await admin(w, "")).json()).deadLetters ?? [];
    return letters.some((l) => JSON.parse(l.job.body).data?.id === msg);
  }, "the message in the dead letters", 30000);
  const letter = letters.find((l) => JSON.parse(l.job.body).data?.id === msg);
  assert.equal(letter.job.dedupKey, msg);
  assert.equal(letter.job.signature, sign(letter.job.body), "kept with its original signature");
  assert.equal((await fetch(`${w.url}/v1/admin/dead-letters`)).status, 401, "the operator's secret is required");
  assert.equal((await admin(w, "", { headers: { authorization: "Bearer wrong-secret-wrong-secret-wrong-secret" } })).status, 401);
  // The receiver is back: replay puts it on the queue again, and it arrives.
  b.up();
  const r = await admin(w, "/replay", { method: "POST", body: JSON.stringify({ ids: [letter.id] }) });
  assert.equal(r.status, 200);
  assert.deepEqual((await r.json()).replayed, [letter.id]);
  await until(() => b.got.some((g) => JSON.parse(g.raw).data?.id === msg && g.verified), "the replayed message arrives");
  const left = (await (await admin(w, "")).json()).deadLetters;
  assert.ok(!left.some((l) => l.id === letter.id), "a replayed letter leaves the store");
});

test("unsigned and forged deliveries are never forwarded", async () => {
  const b = await backend();
  const w = await worker({ FORWARD_WEBHOOK_URL: b.url });
  const body = JSON.stringify({ event: "message.received", data: { id: "msg_forged", numberId: "n", createdAt: "t" } });
  for (const signature of [undefined, sign(body, "whsec_attacker"), "sha256=00"]) {
    const headers = { "content-type": "application/json" };
    if (signature) headers["x-pilot-status-signature"] = signature;
    assert.equal((await fetch(`${w.url}/v1/hooks/pilot-status`, { method: "POST", headers, body })).status, 401);
  }
  // A signed one is forwarded: the path works, so the forged ones' absence means something.
  const good = JSON.stringify({ event: "message.received", data: { id: "msg_signed", numberId: "n", createdAt: "t" } });
  assert.equal((await fetch(`${w.url}/v1/hooks/pilot-status`, { method: "POST", headers: { "x-pilot-status-signature": sign(good) }, body: good })).status, 204);
  await until(() => b.got.some((g) => g.raw === good), "the signed one arrives");
  await sleep(500);
  assert.ok(!b.got.some((g) => g.raw.includes("msg_forged")), "nothing forged reached the customer");
});
