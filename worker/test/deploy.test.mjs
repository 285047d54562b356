// What a deployment has and lacks, in workerd against the sandbox: /healthz names every missing
// dependency (never a value) and answers 503 only without a required one; the first request
// an isolate serves logs each missing one; the rate limiter is recommended, not required; the
// edge served under a base path (a mount's prefix); the connect-token secret rotated without
// logging widgets out.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { spawnReady, signJws, startWorker, workspaceVersion, wranglerConfig } from "../../tests/support/node.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const KEY = "ps_deploy_suite_tenant_key_7a6b5c";
const SECRET = "deploy-suite-connect-token-secret-0123456789";
const NEW_SECRET = "deploy-suite-the-next-token-secret-9876543210";
const HOOK = "whsec_deploy_suite";
const PAGE = "https://app.example.com";
const procs = [];
const workers = [];
const logs = [];
let sandbox;

const now = () => Math.floor(Date.now() / 1000);
const token = (sub, { secret = SECRET, aud = "pilot-connect-deploy" } = {}) =>
  signJws({ sub, aud, iat: now(), exp: now() + 600 }, secret);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function worker(extra = {}, opts = {}) {
  const seen = [];
  const w = await startWorker({
    PS_API_KEY: KEY, CONNECT_TOKEN_SECRET: SECRET, PS_BASE_URL: sandbox, ALLOWED_ORIGINS: PAGE,
    CONNECT_TOKEN_AUDIENCE: "pilot-connect-deploy", ...extra,
  }, { limit: 1e6, onLog: (l) => { seen.push(JSON.stringify(l)); logs.push(JSON.stringify(l)); }, ...opts });
  workers.push(w.mf);
  return { ...w, seen };
}

async function call(w, route, { tok, origin = PAGE, method = "GET", body, headers = {} } = {}) {
  const h = { ...headers };
  if (origin) h.origin = origin;
  if (tok) h.authorization = `Bearer ${tok}`;
  const res = await w.mf.dispatchFetch(`${w.url}${route}`, { method, headers: h, body });
  const text = await res.text();
  logs.push(text);
  let json = null;
  try { json = JSON.parse(text); } catch { json = text; }
  return { status: res.status, body: json, headers: Object.fromEntries(res.headers.entries()) };
}

let seq = 0;
async function newNumber() {
  const r = await fetch(`${sandbox}/v1/numbers`, {
    method: "POST", headers: { "x-api-key": KEY, "content-type": "application/json" },
    body: JSON.stringify({ name: "Deploy", number: `+55119610${String(++seq).padStart(5, "0")}` }),
  });
  assert.equal(r.status, 201);
  return (await r.json()).instance.id;
}

before(async () => {
  sandbox = await spawnReady(path.join(ROOT, "target/debug/pilot-sandbox"), ["--port", "0", "--tenant-key", KEY],
    "pilot-sandbox listening on ", { procs });
});

after(async () => {
  for (const w of workers) await w.dispose();
  for (const p of procs) p.kill("SIGTERM");
  const leaks = logs.filter((s) => s.includes(KEY) || s.includes(SECRET) || s.includes(NEW_SECRET) || s.includes(HOOK));
  assert.deepEqual(leaks, [], "a secret reached a response or the log");
});

test("healthz: version, features and nothing missing on a full deployment", async () => {
  const w = await worker({ PS_WEBHOOK_SECRET: HOOK });
  const r = await call(w, "/healthz", { origin: null });
  assert.equal(r.status, 200);
  assert.equal(r.body.version, workspaceVersion());
  assert.deepEqual(r.body.features, { push: true, webhooks: true, forward: false, rateLimit: true, admin: false });
  assert.deepEqual(r.body.missing, []);
  assert.equal(r.body.ok, true);
  assert.equal((await call(w, "/healthz", { origin: null, method: "POST" })).status, 405);
});

test("each required dependency removed in turn is named, and only the required ones make it 503", async () => {
  for (const [vars, omit, name, status] of [
    [{ PS_API_KEY: undefined }, [], "PS_API_KEY", 503],
    [{ CONNECT_TOKEN_SECRET: undefined }, [], "CONNECT_TOKEN_SECRET", 503],
    [{}, ["NUMBER_SESSIONS"], "NUMBER_SESSIONS", 503],
    [{}, [wranglerConfig().limiter.name], "CONNECT_RATE_LIMITER", 200],
    [{ ALLOWED_ORIGINS: undefined }, [], "ALLOWED_ORIGINS", 200],
    [{ FORWARD_WEBHOOK_URL: "https://backend.example.com/hooks" }, ["WEBHOOK_FORWARD"], "WEBHOOK_FORWARD", 200],
    [{ FORWARD_WEBHOOK_URL: "https://backend.example.com/hooks" }, ["DEAD_LETTERS"], "DEAD_LETTERS", 200],
  ]) {
    const w = await worker(vars, { omit });
    const r = await call(w, "/healthz", { origin: null });
    assert.equal(r.status, status, `${name}: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.ok, status === 200, name);
    assert.ok(r.body.missing.includes(name), `${name} in ${JSON.stringify(r.body.missing)}`);
    // The first request of the isolate logged it, once, by name.
    await call(w, "/v1/status", { tok: token("wa_x") });
    await sleep(100);
    const lines = w.seen.filter((l) => l.includes("pilot-connect edge: missing") && l.includes(name));
    assert.equal(lines.length, 1, `${name}: ${JSON.stringify(w.seen)}`);
  }
  // An unusable setting: named in the body, never its value.
  const w = await worker({ STATUS_POLL_MS: "soon" });
  const r = await call(w, "/healthz", { origin: null });
  assert.equal(r.status, 503);
  assert.equal(r.body.error, "invalid setting STATUS_POLL_MS");
});

test("without the rate limiter the edge still serves (a warning, not an outage)", async () => {
  const w = await worker({}, { omit: [wranglerConfig().limiter.name] });
  const id = await newNumber();
  const r = await call(w, "/v1/qr", { tok: token(id) });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.state, "pairing");
});

test("FORWARD_WEBHOOK_URL without its queue: a delivery is refused, never acknowledged and dropped", async () => {
  const w = await worker({ PS_WEBHOOK_SECRET: HOOK, FORWARD_WEBHOOK_URL: "https://backend.example.com/hooks" }, { omit: ["WEBHOOK_FORWARD"] });
  const body = JSON.stringify({ event: "message.received", whatsappNumberId: "wa_1", timestamp: new Date().toISOString(), data: { id: "m1" } });
  const r = await call(w, "/v1/hooks/pilot-status", {
    origin: null, method: "POST", body,
    headers: { "content-type": "application/json", "x-pilot-status-signature": createHmac("sha256", HOOK).update(body).digest("hex") },
  });
  assert.ok(r.status >= 500, `refused so that Pilot Status retries: ${r.status} ${JSON.stringify(r.body)}`);
});

test("BASE_PATH: every route under it, nothing outside, the default audience is the edge's URL", async () => {
  const w = await worker({ BASE_PATH: "/pilot/", CONNECT_TOKEN_AUDIENCE: undefined });
  assert.equal((await call(w, "/pilot/healthz", { origin: null })).status, 200);
  const outside = await call(w, "/healthz", { origin: null });
  assert.equal(outside.status, 404);
  assert.equal(outside.body.error.code, "route_not_found");
  assert.equal((await call(w, "/pilotx/healthz", { origin: null })).status, 404);
  const id = await newNumber();
  const ok = await call(w, "/pilot/v1/qr", { tok: token(id, { aud: `${w.url}/pilot` }) });
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  // A token for the bare origin is for another edge.
  const other = await call(w, "/pilot/v1/qr", { tok: token(id, { aud: w.url }) });
  assert.equal(other.status, 401);
  assert.equal(other.body.error.code, "invalid_token");
  const bad = await worker({ BASE_PATH: "/pilot?x=1" });
  assert.equal((await call(bad, "/healthz", { origin: null })).body.error, "invalid setting BASE_PATH");
});

test("rotating CONNECT_TOKEN_SECRET: old tokens work while both are set, refused once the old one is gone", async () => {
  const id = await newNumber();
  const old = token(id, { secret: SECRET });
  const fresh = token(id, { secret: NEW_SECRET });
  // 1. The worker gets both (the new one as CONNECT_TOKEN_SECRETS).
  let w = await worker({ CONNECT_TOKEN_SECRETS: NEW_SECRET });
  assert.equal((await call(w, "/v1/qr", { tok: old })).status, 200);
  assert.equal((await call(w, "/v1/qr", { tok: fresh })).status, 200);
  // 2. The backend switches; the worker's main secret becomes the new one, the old one extra.
  w = await worker({ CONNECT_TOKEN_SECRET: NEW_SECRET, CONNECT_TOKEN_SECRETS: SECRET });
  assert.equal((await call(w, "/v1/qr", { tok: old })).status, 200);
  assert.equal((await call(w, "/v1/qr", { tok: fresh })).status, 200);
  // 3. The old one removed after the longest token lifetime.
  w = await worker({ CONNECT_TOKEN_SECRET: NEW_SECRET });
  const refused = await call(w, "/v1/qr", { tok: old });
  assert.equal(refused.status, 401);
  assert.equal(refused.body.error.code, "invalid_token");
  assert.equal((await call(w, "/v1/qr", { tok: fresh })).status, 200);
  const short = await worker({ CONNECT_TOKEN_SECRETS: "short" });
  assert.equal((await call(short, "/healthz", { origin: null })).body.error, "invalid setting CONNECT_TOKEN_SECRETS");
});

// A push stream lives no longer than its token (+ the verifier's 30 s leeway) unless the widget
// renews it over the socket: a token minted 25 s past its exp lapses 5 s after the handshake.
test("a push stream is closed when its token lapses (4001 token_expired) and lives on when renewed over it", async () => {
  const { openEvents } = await import("../../tests/support/node.mjs");
  const w = await worker({ STATUS_POLL_MS: "1000" }); // "connected" learned by polling here
  const lapsing = (sub) => signJws({ sub, aud: "pilot-connect-deploy", iat: now() - 100, exp: now() - 25 }, SECRET);
  const open = async (id, tok) => {
    const s = await openEvents(w, tok, { origin: PAGE });
    assert.equal(s.status, 101, JSON.stringify(s.body));
    s.closed = new Promise((r) => s.ws.addEventListener("close", (e) => r({ code: e.code, reason: e.reason })));
    return s;
  };
  const [a, b, c] = [await newNumber(), await newNumber(), await newNumber()];
  const plain = await open(a, lapsing(a));
  const renewed = await open(b, lapsing(b));
  const wrong = await open(c, lapsing(c));
  renewed.ws.send(JSON.stringify({ renew: token(b) })); // a fresh token for its own number
  wrong.ws.send(JSON.stringify({ renew: token(a) })); // a valid token, for another number: ignored
  await sleep(6500);
  for (const id of [a, b, c]) assert.equal((await fetch(`${sandbox}/_sandbox/numbers/${id}/scan`, { method: "POST" })).status, 200);
  // Connected is pushed: the lapsed sockets are closed instead, the renewed one gets it.
  for (const s of [plain, wrong]) {
    const closed = await Promise.race([s.closed, sleep(15000).then(() => null)]);
    assert.deepEqual(closed, { code: 4001, reason: "token_expired" });
    assert.ok(!s.frames.some((f) => f.state === "connected"), "nothing reached it after its token lapsed");
  }
  for (let t0 = Date.now(); Date.now() - t0 < 15000 && !renewed.frames.some((f) => f.state === "connected");) await sleep(100);
  assert.ok(renewed.frames.some((f) => f.state === "connected"), JSON.stringify(renewed.frames.map((f) => f.state)));
  renewed.ws.close();
});
