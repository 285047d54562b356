// Integration tests: the built worker (worker/build) in the real workerd runtime (Miniflare),
// with the pilot-sandbox binary as upstream. Every response header/body and every worker log
// line of the whole suite is scanned for the ps_ key.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { spawnReady, signJws, startWorker as startSharedWorker, wranglerConfig } from "../../tests/support/node.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const KEY = "ps_worker_suite_tenant_key_9f8e7d";
const SECRET = "worker-suite-connect-token-secret-0123456789";
const AUD = "pilot-connect-test";
const PAGE = "https://app.example.com";
const W = "http://worker.test";

const seen = []; // every response header/body and log line, for the leak scan
const procs = [];
const workers = [];
let sandbox;

function startSandbox(extra = []) {
  return spawnReady(path.join(ROOT, "target/debug/pilot-sandbox"), ["--port", "0", "--tenant-key", KEY, ...extra],
    "pilot-sandbox listening on ", { procs });
}

/** The built worker in workerd (tests/support: wrangler.toml's date, vars and limiter). */
async function startWorker(bindings = {}, { limit = 1000, omit = [] } = {}) {
  const all = {
    PS_API_KEY: KEY,
    CONNECT_TOKEN_SECRET: SECRET,
    PS_BASE_URL: sandbox,
    ALLOWED_ORIGINS: `${PAGE}, http://localhost:5173`,
    CONNECT_TOKEN_AUDIENCE: AUD,
    QR_REFRESH_MS: "1500",
    UPSTREAM_TIMEOUT_MS: "2000",
    UPSTREAM_BUDGET_MS: "6000",
    // Every status request reaches the sandbox in these tests (the sharing is tested on its own).
    STATUS_TTL_MS: "0",
    ...bindings,
  };
  for (const k of omit) all[k] = undefined;
  const { mf } = await startSharedWorker(
    Object.fromEntries(Object.entries(all).filter(([, v]) => v !== undefined)),
    { limit, onLog: (log) => seen.push(JSON.stringify(log)) });
  workers.push(mf);
  return mf;
}

function mint(claims, { secret = SECRET, header } = {}) {
  return signJws(claims, secret, header);
}

const now = () => Math.floor(Date.now() / 1000);
const tokenFor = (sub, extra = {}) => mint({ sub, aud: AUD, iat: now(), exp: now() + 600, ...extra });

async function call(mf, route, { token, origin = PAGE, method = "GET", headers = {} } = {}) {
  const h = { ...headers };
  if (origin) h.origin = origin;
  if (token) h.authorization = `Bearer ${token}`;
  const res = await mf.dispatchFetch(`${W}${route}`, { method, headers: h });
  const text = await res.text();
  const hdrs = Object.fromEntries(res.headers.entries());
  seen.push(JSON.stringify(hdrs), text);
  let body = null;
  try { body = JSON.parse(text); } catch { body = text; }
  return { status: res.status, headers: hdrs, body };
}

async function upstream(method, route, body) {
  const res = await fetch(`${sandbox}${route}`, {
    method, headers: { "x-api-key": KEY, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

let phoneSeq = 0;
async function newNumber() {
  phoneSeq += 1;
  const r = await upstream("POST", "/v1/numbers", { name: `N${phoneSeq}`, number: `+55119700${String(phoneSeq).padStart(5, "0")}` });
  assert.equal(r.status, 201);
  return r.body.instance.id;
}
const control = async (id, action) => (await fetch(`${sandbox}/_sandbox/numbers/${id}${action ? `/${action}` : ""}`, { method: action ? "POST" : "GET" })).json();
const fault = (spec) => fetch(`${sandbox}/_sandbox/faults`, { method: "POST", body: JSON.stringify(spec) });
const clearFaults = () => fetch(`${sandbox}/_sandbox/faults`, { method: "DELETE" });

let mf;
before(async () => {
  // 60×: the first QR ref lives 1 s, later ones 0.33 s.
  sandbox = await startSandbox(["--time-scale", "60"]);
  mf = await startWorker();
});

after(async () => {
  for (const w of workers) await w.dispose();
  for (const p of procs) p.kill("SIGTERM");
  const leaks = seen.filter((s) => s.includes(KEY) || s.includes(SECRET));
  assert.deepEqual(leaks, [], "the ps_ key or the token secret leaked");
  assert.ok(seen.length > 100, `scanned ${seen.length} responses and log lines`);
});

test("healthz", async () => {
  const r = await call(mf, "/healthz");
  assert.equal(r.status, 200);
  assert.equal(r.body.ok, true);
  assert.deepEqual(r.body.missing, [], "everything this suite's worker needs is bound (deploy.test.mjs: what is missing)");
});

test("QR happy path: pairing → rotate → scan → connected", async () => {
  const id = await newNumber();
  const t = tokenFor(id);
  const r = await call(mf, "/v1/qr", { token: t });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.state, "pairing");
  assert.match(r.body.qr, /^data:image\/png;base64,iVBORw0KGgo/);
  assert.match(r.body.pairingCode, /^[0-9A-Z]{4}-[0-9A-Z]{4}$/);
  assert.equal(r.body.refreshAfterMs, 1500);
  assert.equal(r.headers["cache-control"], "no-store");
  assert.equal(r.headers["access-control-allow-origin"], PAGE);
  assert.match(r.headers.vary, /Origin/);
  // Exactly what the upstream shows for the current ref: passed through, validated.
  const direct = await upstream("GET", `/v1/numbers/${id}/connect`);
  assert.equal(r.body.qr, direct.body.qrcodeBase64);

  const st = await call(mf, "/v1/status", { token: t });
  assert.deepEqual(st.body, { state: "connecting", stale: false });

  await new Promise((res) => setTimeout(res, 1200)); // past the first ref
  const r2 = await call(mf, "/v1/qr", { token: t });
  assert.equal(r2.body.state, "pairing");
  assert.notEqual(r2.body.qr, r.body.qr, "the QR rotated");
  assert.equal(r2.body.pairingCode, r.body.pairingCode, "the pairing code did not");

  await control(id, "scan");
  assert.deepEqual((await call(mf, "/v1/status", { token: t })).body, { state: "connected", stale: false });
  const done = await call(mf, "/v1/qr", { token: t });
  assert.equal(done.status, 200);
  assert.deepEqual(done.body, { state: "connected" }, "upstream 409 → connected");

  await control(id, "disconnect");
  assert.equal((await call(mf, "/v1/status", { token: t })).body.state, "disconnected");
});

test("token rejections", async () => {
  const id = await newNumber();
  const cases = [
    ["missing", null, 401, "missing_token"],
    ["bad signature", tokenFor(id).slice(0, -3) + "AAA", 401, "invalid_token"],
    ["other secret", mint({ sub: id, aud: AUD, iat: now(), exp: now() + 60 }, { secret: "x".repeat(40) }), 401, "invalid_token"],
    ["alg none", `${Buffer.from('{"alg":"none"}').toString("base64url")}.${Buffer.from(JSON.stringify({ sub: id, aud: AUD, iat: now(), exp: now() + 60 })).toString("base64url")}.`, 401, "invalid_token"],
    ["alg HS512", mint({ sub: id, aud: AUD, iat: now(), exp: now() + 60 }, { header: { alg: "HS512" } }), 401, "invalid_token"],
    ["expired", mint({ sub: id, aud: AUD, iat: now() - 700, exp: now() - 100 }), 401, "token_expired"],
    ["not yet valid", mint({ sub: id, aud: AUD, iat: now() + 300, exp: now() + 600 }), 401, "invalid_token"],
    ["over an hour", mint({ sub: id, aud: AUD, iat: now(), exp: now() + 7200 }), 401, "invalid_token"],
    ["wrong audience", mint({ sub: id, aud: "someone-else", iat: now(), exp: now() + 60 }), 401, "invalid_token"],
    ["malformed", "not.a.jwt.at.all", 401, "invalid_token"],
    ["garbage", "%%%", 401, "invalid_token"],
    ["origin-bound to another page", tokenFor(id, { origin: "http://localhost:5173" }), 403, "origin_mismatch"],
  ];
  for (const [name, token, status, code] of cases) {
    for (const route of ["/v1/qr", "/v1/status"]) {
      const r = await call(mf, route, { token });
      assert.equal(r.status, status, `${name} ${route}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error.code, code, `${name} ${route}`);
      if (status === 401) assert.match(r.headers["www-authenticate"], /Bearer/);
    }
  }
  // Origin-bound token on its own page works.
  const ok = await call(mf, "/v1/status", { token: tokenFor(id, { origin: PAGE }) });
  assert.equal(ok.status, 200);
  // A token in the URL is not accepted.
  const q = await call(mf, `/v1/status?token=${tokenFor(id)}`);
  assert.equal(q.body.error.code, "missing_token");
  // Token minted by the Rust core for the same secret also verifies (shared rule): see core tests.
});

test("origins, preflight, routes", async () => {
  const id = await newNumber();
  const bad = await call(mf, "/v1/qr", { token: tokenFor(id), origin: "https://evil.example" });
  assert.equal(bad.status, 403);
  assert.equal(bad.body.error.code, "origin_not_allowed");
  assert.equal(bad.headers["access-control-allow-origin"], undefined);
  assert.match(bad.headers.vary, /Origin/);
  // Server-to-server calls without Origin are fine.
  assert.equal((await call(mf, "/v1/status", { token: tokenFor(id), origin: null })).status, 200);

  const pre = await call(mf, "/v1/qr", { method: "OPTIONS", headers: { "access-control-request-method": "GET", "access-control-request-headers": "authorization" } });
  assert.equal(pre.status, 204);
  assert.equal(pre.headers["access-control-allow-origin"], PAGE);
  assert.equal(pre.headers["access-control-allow-methods"], "GET, OPTIONS");
  assert.equal(pre.headers["access-control-allow-headers"], "authorization");
  assert.equal(pre.headers["access-control-max-age"], "600");
  assert.match(pre.headers.vary, /Origin/);
  const preBad = await call(mf, "/v1/status", { method: "OPTIONS", origin: "https://evil.example" });
  assert.equal(preBad.status, 403);
  assert.equal(preBad.headers["access-control-allow-origin"], undefined);

  const nf = await call(mf, "/v1/numbers");
  assert.equal(nf.status, 404);
  assert.equal(nf.body.error.code, "route_not_found");
  const m = await call(mf, "/v1/qr", { method: "POST", token: tokenFor(id) });
  assert.equal(m.status, 405);
  assert.equal(m.headers.allow, "GET, OPTIONS");
  assert.equal(m.body.error.code, "method_not_allowed");
});

test("rate limit per subject and client", async () => {
  const limited = await startWorker({}, { limit: 3 });
  const id = await newNumber();
  const t = tokenFor(id);
  for (let i = 0; i < 3; i++) assert.equal((await call(limited, "/v1/status", { token: t })).status, 200);
  const r = await call(limited, "/v1/status", { token: t });
  assert.equal(r.status, 429);
  assert.equal(r.body.error.code, "rate_limited");
  // Retry-After is the limiter's window, as configured (not a made-up number).
  const { vars, limiter } = wranglerConfig();
  assert.equal(vars.RATE_LIMIT_PERIOD_SECS, String(limiter.period), "wrangler.toml: the var equals [[ratelimits]] period");
  assert.equal(r.headers["retry-after"], String(limiter.period));
  assert.equal(r.headers["access-control-expose-headers"], "Retry-After");
  const tenSeconds = await startWorker({ RATE_LIMIT_PERIOD_SECS: "10" }, { limit: 1 });
  await call(tenSeconds, "/v1/status", { token: t });
  assert.equal((await call(tenSeconds, "/v1/status", { token: t })).headers["retry-after"], "10");
  // Another subject has its own budget.
  assert.equal((await call(limited, "/v1/status", { token: tokenFor(await newNumber()) })).status, 200);
});

test("upstream failures map to the public error set", async () => {
  const quick = await startWorker({ UPSTREAM_TIMEOUT_MS: "400", UPSTREAM_BUDGET_MS: "1500" });
  const t = tokenFor(await newNumber());
  // Each case on a number of its own: a failure puts that number's session into backoff, so
  // a second request to it would be answered from the session without reaching the fault.
  const expect = async (w, route, spec, status, code) => {
    await clearFaults();
    if (spec) await fault(spec);
    const r = await call(w, route, { token: tokenFor(await newNumber()) });
    await clearFaults();
    assert.equal(r.status, status, `${JSON.stringify(spec)}: ${JSON.stringify(r.body)}`);
    if (code) assert.equal(r.body.error.code, code);
    else assert.ok(!r.body.error);
    return r;
  };
  await expect(quick, "/v1/qr", { route: "connect", kind: "latency", latencyMs: 1200 }, 504, "upstream_timeout");
  await expect(mf, "/v1/status", { route: "status", kind: "status", status: 500, times: 1 }, 200, null); // retried
  await expect(mf, "/v1/status", { route: "status", kind: "status", status: 500 }, 502, "upstream_error");
  await expect(mf, "/v1/status", { route: "status", kind: "status", status: 503, body: { error: `leak? ${KEY}`, code: "PROVIDER_NOT_CONFIGURED" } }, 502, "upstream_error");
  const rl = await expect(mf, "/v1/qr", { route: "connect", kind: "rate_limit", retryAfter: 7 }, 429, "rate_limited");
  assert.equal(rl.headers["retry-after"], "7");
  await expect(mf, "/v1/qr", { route: "connect", kind: "malformed" }, 502, "bad_upstream_response");
  await expect(mf, "/v1/qr", { route: "connect", kind: "drop" }, 502, "upstream_error");
  await expect(mf, "/v1/qr", { route: "connect", kind: "status", status: 200, body: { qrcodeBase64: null, pairingCode: "ABCD-1234" } }, 502, "bad_upstream_response");
  await expect(mf, "/v1/qr", { route: "connect", kind: "status", status: 200, body: { qrcodeBase64: "data:image/svg+xml;base64,PHN2Zz4=", pairingCode: null } }, 502, "bad_upstream_response");
  // A number that does not exist, and an upstream that refuses our key.
  assert.equal((await call(mf, "/v1/qr", { token: tokenFor("wa_missing") })).body.error.code, "not_found");
  const wrongKey = await startWorker({ PS_API_KEY: "ps_not_the_right_key" });
  const u = await call(wrongKey, "/v1/qr", { token: t });
  assert.equal(u.status, 502);
  assert.equal(u.body.error.code, "unauthorized_upstream");
  assert.ok(!JSON.stringify(u.body).includes("Unauthorized"), "upstream bodies are not forwarded");
});

test("missing or bad configuration answers config_error on every route", async () => {
  for (const [omit, bindings, name] of [
    [["PS_API_KEY"], {}, "PS_API_KEY"],
    [["CONNECT_TOKEN_SECRET"], {}, "CONNECT_TOKEN_SECRET"],
    [[], { CONNECT_TOKEN_SECRET: "too-short" }, "CONNECT_TOKEN_SECRET"],
    [[], { PS_BASE_URL: "not a url" }, "PS_BASE_URL"],
    [[], { RATE_LIMIT_PERIOD_SECS: "30" }, "RATE_LIMIT_PERIOD_SECS"],
  ]) {
    const before = seen.length;
    const w = await startWorker(bindings, { omit });
    for (const [route, method] of [["/healthz", "GET"], ["/v1/qr", "GET"], ["/v1/status", "OPTIONS"], ["/nope", "GET"]]) {
      const r = await call(w, route, { method, token: tokenFor("wa_x") });
      if (route === "/healthz") {
        // Health names what is wrong instead (deploy.test.mjs).
        assert.equal(r.status, 503, `${name} ${route}`);
        assert.ok(JSON.stringify(r.body).includes(name), `${name}: ${JSON.stringify(r.body)}`);
        continue;
      }
      assert.equal(r.status, 500, `${name} ${route}`);
      assert.equal(r.body.error.code, "config_error");
    }
    await new Promise((res) => setTimeout(res, 100));
    assert.ok(seen.slice(before).some((l) => l.includes(name)), `the log names ${name}`);
  }
});
