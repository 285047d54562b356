// Shared by the framework recipe suites (tests/express-app, tests/hono-app, tests/fastify-app,
// tests/next-app, tests/worker-app): the sandbox, a recipe app as a child process, a stand-in
// edge that records what is relayed to it, and the sandbox's delivery log.
import { createServer } from "node:http";
import { createHmac } from "node:crypto";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, spawnReady } from "./node.mjs";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** A sandbox with `args`; resolves its URL. Kill `procs` in `after`. */
export const startSandbox = (procs, args) =>
  spawnReady(path.join(ROOT, "target/debug/pilot-sandbox"), ["--port", "0", ...args], "pilot-sandbox listening on ", { procs });

/** `node <script>` in `cwd` with `env`, resolved when it prints `<prefix><url>`. */
export const startApp = (procs, cwd, script, prefix, env) =>
  spawnReady(process.execPath, [script], prefix, { procs, cwd, env });

/** Resolves once `check()` is truthy (bounded), else throws naming `what`. */
export async function until(check, what, ms = 10_000) {
  for (const t0 = Date.now(); Date.now() - t0 < ms;) {
    const v = await check();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out: ${what}`);
}

/** HMAC-SHA256 hex of `body` with `secret`: what Pilot Status sends. */
export const sign = (secret, body) => createHmac("sha256", secret).update(body).digest("hex");

/** The sandbox's delivery log for `event` about `numberId`. */
export async function deliveries(sandbox, event, numberId) {
  const { deliveries: all } = await (await fetch(`${sandbox}/_sandbox/webhooks/deliveries`)).json();
  return all.filter((d) => d.event === event && JSON.stringify(d.body).includes(numberId));
}

/** Waits until the sandbox has delivered `event` for `numberId` (not pending); resolves the deliveries. */
export const delivered = (sandbox, event, numberId) =>
  until(async () => { const ds = await deliveries(sandbox, event, numberId); return ds.length > 0 && ds.every((d) => d.status !== "pending") && ds; },
    `${event} delivered for ${numberId}`);

/**
 * A stand-in for the edge worker's `POST /v1/hooks/pilot-status`: records each relayed request
 * (path, signature, the raw bytes, whether they verify with `secret`) and answers 204.
 */
export async function fakeEdge(secret) {
  const got = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const raw = Buffer.concat(chunks);
      const signature = req.headers["x-pilot-status-signature"];
      got.push({ method: req.method, path: req.url, signature, raw: raw.toString(), verified: signature === sign(secret, raw),
        origin: req.headers.origin ?? null });
      res.writeHead(204).end();
    });
  });
  const port = await freePort();
  await new Promise((r) => server.listen(port, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${port}`, got, close: () => server.close() };
}

/** worker/build (the edge worker built by worker-build) exists, or is built now. */
export function ensureWorkerBuild() {
  if (existsSync(path.join(ROOT, "worker/build/index.js")) && existsSync(path.join(ROOT, "worker/build/index_bg.wasm"))) return;
  execFileSync("bash", ["-c", "source tools/env.sh && cd worker && worker-build --release"], { cwd: ROOT, stdio: "inherit" });
}

let seq = 0;
/** A fresh valid E.164 number per call (per process), so suites never collide on the sandbox. */
export const phone = (prefix = "9") =>
  `+5511${prefix}${String(10000000 + (process.pid % 1000) * 10000 + ++seq).slice(-8)}`;

/** Checks an HS256 JWS with node:crypto alone and answers its claims. */
export function claimsOf(token, secret) {
  const [h, c, s] = token.split(".");
  if (createHmac("sha256", secret).update(`${h}.${c}`).digest("base64url") !== s) throw new Error("not signed with the shared secret");
  return { header: JSON.parse(Buffer.from(h, "base64url")), claims: JSON.parse(Buffer.from(c, "base64url")) };
}

/**
 * The suite every recipe app passes (node:test), against a sandbox that delivers every event,
 * signed, to the app's webhook route (`--webhook-url`), with a stand-in edge (`fakeEdge`) as
 * the app's PILOT_EDGE_URL. `start(env)` starts the app on `env.PORT` and resolves when it
 * answers; each app answers:
 *   POST /api/numbers {name, number} → 201 the number; GET /api/numbers; DELETE /api/numbers/:id
 *   POST /api/connect-token {numberId} → {token}
 *   POST <hookPath> → verifyWebhook over the raw body: 200, or 401 {kind: "signature"};
 *                     lifecycle events relayed to PILOT_EDGE_URL with relayWebhook.
 */
export function recipeSuite({ test, before, after, assert }, { name, start, hookPath = "/hooks/pilot-status" }) {
  const KEY = `ps_${name}_recipe_tenant_key_5e`;
  const HOOK = `whsec_${name}_recipe_dashboard`;
  const TOKEN_SECRET = `${name}-recipe-connect-token-secret-0123456789`;
  const PAGE = "https://app.example.test";
  const procs = [];
  let sandbox, app, edge;

  before(async () => {
    edge = await fakeEdge(HOOK);
    const port = await freePort();
    app = `http://127.0.0.1:${port}`;
    sandbox = await startSandbox(procs, ["--tenant-key", KEY, "--webhook-secret", HOOK, "--rate-limit", "0", "--webhook-url", `${app}${hookPath}`]);
    await start({ PORT: String(port), PS_API_KEY: KEY, PS_BASE_URL: sandbox, PS_WEBHOOK_SECRET: HOOK, CONNECT_TOKEN_SECRET: TOKEN_SECRET,
      PILOT_EDGE_URL: edge.url, APP_ORIGIN: PAGE }, procs);
  });
  after(async () => { edge?.close(); procs.forEach((p) => (p.kill ? p.kill() : p.dispose?.())); });

  const post = (route, body, headers = {}) => fetch(`${app}${route}`, {
    method: "POST", body: typeof body === "string" ? body : JSON.stringify(body), headers: { "content-type": "application/json", ...headers },
  });
  let numberId;

  test(`${name}: numbers created, listed, deleted`, async () => {
    const r = await post("/api/numbers", { name: `Loja ${name}`, number: phone() });
    assert.equal(r.status, 201, await r.clone().text());
    const created = await r.json();
    assert.match(created.id, /^wa_/);
    numberId = created.id;
    assert.ok((await (await fetch(`${app}/api/numbers`)).json()).some((n) => n.id === numberId), "listed");
    const other = (await (await post("/api/numbers", { name: "Gone", number: phone() })).json()).id;
    const del = await fetch(`${app}/api/numbers/${other}`, { method: "DELETE" });
    assert.equal(del.status, 200, await del.clone().text());
    assert.equal((await del.json()).ok, true);
    const bad = await post("/api/numbers", { name: "Loja", number: "11 9999" });
    assert.equal(bad.status, 400);
    assert.equal((await bad.json()).kind, "validation", "refused by the package before sending");
  });

  test(`${name}: a 10-minute HS256 connect token for the widget`, async () => {
    const r = await post("/api/connect-token", { numberId: "wa_recipe_1" });
    assert.equal(r.status, 200, await r.clone().text());
    const { header, claims } = claimsOf((await r.json()).token, TOKEN_SECRET);
    assert.deepEqual(header, { alg: "HS256", typ: "JWT" });
    assert.deepEqual([claims.sub, claims.aud, claims.origin, claims.exp - claims.iat], ["wa_recipe_1", edge.url, PAGE, 600], "audience: the edge (PILOT_EDGE_URL)");
    assert.equal((await post("/api/connect-token", { numberId: 7 })).status, 400);
  });

  test(`${name}: the sandbox's signed number.connected is verified and relayed byte for byte; message.received is not relayed`, async () => {
    assert.ok(numberId, "a number was created");
    assert.equal((await fetch(`${sandbox}/_sandbox/numbers/${numberId}/scan`, { method: "POST" })).status, 200);
    const [d] = await delivered(sandbox, "number.connected", numberId);
    assert.deepEqual([d.status, d.attempts.at(-1).status], ["delivered", 200], JSON.stringify(d.attempts));
    const relayed = await until(() => edge.got.find((g) => g.raw.includes(numberId) && g.raw.includes("number.connected")), "relayed to the edge");
    assert.deepEqual([relayed.method, relayed.path, relayed.origin], ["POST", "/v1/hooks/pilot-status", null]);
    assert.equal(relayed.signature, d.signature, "the original signature");
    assert.ok(relayed.verified, "the bytes still verify with the dashboard secret");
    assert.deepEqual(JSON.parse(relayed.raw), d.body, "the delivery as the sandbox sent it");

    const emitted = await (await fetch(`${sandbox}/_sandbox/numbers/${numberId}/messages`, { method: "POST", body: JSON.stringify({ count: 2 }) })).json();
    for (const id of emitted.messageIds) {
      const [m] = await delivered(sandbox, "message.received", id);
      assert.equal(m.attempts.at(-1).status, 200, "the app verified and took it");
    }
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(!edge.got.some((g) => g.raw.includes("message.")), "message.* stays with the app");
    assert.ok(!edge.got.some((g) => g.raw.includes("number.created")), "number.created is not the edge's either");
  });

  test(`${name}: forged, tampered and unsigned deliveries → 401, never relayed`, async () => {
    const body = JSON.stringify({ event: "number.connected", data: { numberId: "wa_forged_recipe", phone: "+5511999990000", displayName: "Loja", createdAt: "2026-01-01T00:00:00Z" } });
    for (const [b, headers, what] of [
      [body, { "x-pilot-status-signature": sign("whsec_forged", body) }, "forged"],
      [body.replace("Loja", "Loj4"), { "x-pilot-status-signature": sign(HOOK, body) }, "tampered"],
      [body, {}, "unsigned"],
    ]) {
      const r = await post(hookPath, b, headers);
      assert.equal(r.status, 401, what);
      assert.equal((await r.json()).kind, "signature", what);
    }
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(!edge.got.some((g) => g.raw.includes("wa_forged_recipe")), "nothing forged reaches the edge");
  });
}
