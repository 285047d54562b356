// pilot-connect-server in a fresh Next.js app (App Router, TypeScript, no bundler config):
// `next build` with the default bundler (Turbopack), then `next start` against the sandbox.
// Route handlers in the Node runtime create, list and delete numbers, mint connect tokens and
// receive webhooks — the sandbox's own signed deliveries and ones signed here with node:crypto —
// relaying the lifecycle events to the edge in after() (a stand-in edge records them; the relay
// into the real worker runs in tests/express-app), and the same token and webhook handlers run
// in the Edge runtime (middleware.ts). Then tsc checks
// the app (strict, skipLibCheck false), so the package's types hold inside a Next project.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { spawnReady } from "../../support/node.mjs";
import { fakeEdge, until } from "../../support/recipes.mjs";
import { APP, ROOT, appAddress, buildOnce, startNext } from "./app.mjs";

const KEY = "ps_next_app_tenant_key_7c6d5e";
const HOOK_SECRET = "whsec_next_app_dashboard";
const TOKEN_SECRET = "next-app-connect-token-secret-0123456789";
const AUDIENCE = "https://connect.example.test";
const ORIGIN = "https://app.example.test";
const HOOKS = ["/api/webhooks/pilot-status", "/api/edge/webhooks/pilot-status"];

const procs = [];
let app, sandbox, edge;

before(async () => {
  edge = await fakeEdge(HOOK_SECRET);
  await buildOnce();
  const { port, url } = await appAddress();
  app = url;
  // The sandbox delivers every number event, signed with its --webhook-secret, to both receivers.
  sandbox = await spawnReady(path.join(ROOT, "target/debug/pilot-sandbox"), ["--port", "0", "--tenant-key", KEY,
    "--webhook-secret", HOOK_SECRET, ...HOOKS.flatMap((h) => ["--webhook-url", `${app}${h}`])],
  "pilot-sandbox listening on ", { procs });
  await startNext(port, { PS_API_KEY: KEY, PS_BASE_URL: sandbox, PS_WEBHOOK_SECRET: HOOK_SECRET,
    CONNECT_TOKEN_SECRET: TOKEN_SECRET, CONNECT_TOKEN_AUDIENCE: AUDIENCE, APP_ORIGIN: ORIGIN, PILOT_EDGE_URL: edge.url }, procs);
});
after(() => { edge?.close(); procs.forEach((p) => p.kill()); });

const post = (route, body, headers = {}) => fetch(`${app}${route}`, {
  method: "POST", body: typeof body === "string" ? body : JSON.stringify(body),
  headers: { "content-type": "application/json", ...headers },
});
const sign = (secret, body) => createHmac("sha256", secret).update(body).digest("hex");
let phoneSeq = 0;
const phone = () => `+5511${String(970000000 + (process.pid % 1000) * 1000 + ++phoneSeq).slice(-9)}`;

/** Checks an HS256 JWS with node:crypto alone and answers its claims. */
function claimsOf(token) {
  const [h, c, s] = token.split(".");
  assert.equal(createHmac("sha256", TOKEN_SECRET).update(`${h}.${c}`).digest("base64url"), s, "signed with the shared secret");
  assert.deepEqual(JSON.parse(Buffer.from(h, "base64url")), { alg: "HS256", typ: "JWT" });
  return JSON.parse(Buffer.from(c, "base64url"));
}

async function deliveries(event, numberId) {
  const { deliveries: all } = await (await fetch(`${sandbox}/_sandbox/webhooks/deliveries`)).json();
  return all.filter((d) => d.event === event && JSON.stringify(d.body).includes(numberId));
}

async function delivered(event, numberId) {
  for (let i = 0; i < 100; i++) {
    const ds = await deliveries(event, numberId);
    if (ds.length === HOOKS.length && ds.every((d) => d.status !== "pending")) return ds;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no ${event} deliveries for ${numberId}: ${JSON.stringify(await deliveries(event, numberId))}`);
}

let numberId;

test("POST /api/numbers creates a number, GET /api/numbers lists it, DELETE /api/numbers/{id} deletes one (Node runtime)", async () => {
  const r = await post("/api/numbers", { name: "Loja Next", number: phone() });
  assert.equal(r.status, 201, await r.clone().text());
  const created = await r.json();
  assert.match(created.id, /^wa_/);
  numberId = created.id;
  const list = await (await fetch(`${app}/api/numbers`)).json();
  assert.ok(list.some((n) => n.id === numberId), "the new number is listed");
  const other = (await (await post("/api/numbers", { name: "Gone", number: phone() })).json()).id;
  const del = await fetch(`${app}/api/numbers/${other}`, { method: "DELETE" });
  assert.equal(del.status, 200, await del.clone().text());
  assert.equal((await del.json()).ok, true);
  const bad = await post("/api/numbers", { name: "Loja", number: "11 9999" });
  assert.equal(bad.status, 400);
  assert.deepEqual([(await bad.json()).kind], ["validation"], "refused by the package before sending");
});

test("POST /api/connect-token mints a 10-minute HS256 connect token, in both runtimes", async () => {
  for (const route of ["/api/connect-token", "/api/edge/connect-token"]) {
    const r = await post(route, { numberId: "wa_next_1" });
    assert.equal(r.status, 200, `${route}: ${await r.clone().text()}`);
    const { token } = await r.json();
    const claims = claimsOf(token);
    assert.deepEqual([claims.sub, claims.aud, claims.origin, claims.exp - claims.iat], ["wa_next_1", AUDIENCE, ORIGIN, 600], route);
    const bad = await post(route, { numberId: 7 });
    assert.equal(bad.status, 400, route);
  }
});

test("the sandbox's signed deliveries are accepted by both receivers; lifecycle events relayed byte for byte, message.* not", async () => {
  assert.ok(numberId, "a number was created");
  for (const d of await delivered("number.created", numberId)) {
    assert.equal(d.status, "delivered", `${d.url}: ${JSON.stringify(d.attempts)}`);
    assert.equal(d.attempts.at(-1).status, 200, d.url);
  }
  const scan = await fetch(`${sandbox}/_sandbox/numbers/${numberId}/scan`, { method: "POST" });
  assert.equal(scan.status, 200);
  const connected = await delivered("number.connected", numberId);
  for (const d of connected) assert.equal(d.attempts.at(-1).status, 200, d.url);
  const relayed = await until(() => {
    const got = edge.got.filter((g) => g.raw.includes(numberId) && g.raw.includes("number.connected"));
    return got.length === HOOKS.length && got;
  }, "both receivers relayed number.connected");
  for (const g of relayed) {
    assert.deepEqual([g.method, g.path, g.verified], ["POST", "/v1/hooks/pilot-status", true]);
    assert.equal(g.signature, connected[0].signature, "the original signature");
    assert.deepEqual(JSON.parse(g.raw), connected[0].body);
  }
  const { messageIds } = await (await fetch(`${sandbox}/_sandbox/numbers/${numberId}/messages`, { method: "POST", body: JSON.stringify({ count: 1 }) })).json();
  for (const d of await delivered("message.received", messageIds[0])) assert.equal(d.attempts.at(-1).status, 200, d.url);
  await new Promise((r) => setTimeout(r, 300));
  assert.ok(!edge.got.some((g) => g.raw.includes("message.") || g.raw.includes("number.created")), "only lifecycle events reach the edge");
});

test("a delivery signed with node:crypto → 200; forged, tampered or unsigned → 401", async () => {
  const body = JSON.stringify({ event: "number.connected",
    data: { numberId: "wa_next_hook", phone: "+5511999990000", displayName: "Loja", createdAt: "2026-01-01T00:00:00Z" } });
  for (const route of HOOKS) {
    const ok = await post(route, body, { "x-pilot-status-signature": sign(HOOK_SECRET, body) });
    assert.equal(ok.status, 200, `${route}: ${await ok.clone().text()}`);
    assert.deepEqual(await ok.json(), { ok: true, event: "number.connected", dedupKey: "number.connected|wa_next_hook|2026-01-01T00:00:00Z" });
    const forged = await post(route, body, { "x-pilot-status-signature": sign("whsec_forged", body) });
    assert.equal(forged.status, 401, route);
    assert.equal((await forged.json()).kind, "signature");
    const tampered = await post(route, body.replace("Loja", "Loj4"), { "x-pilot-status-signature": sign(HOOK_SECRET, body) });
    assert.equal(tampered.status, 401, route);
    assert.equal((await post(route, body)).status, 401, `${route}: unsigned`);
  }
  await new Promise((r) => setTimeout(r, 300));
  const hookRelays = edge.got.filter((g) => g.raw.includes("wa_next_hook"));
  assert.equal(hookRelays.length, HOOKS.length, "each valid one relayed once, nothing forged");
  assert.ok(hookRelays.every((g) => g.verified && g.raw === body));
});

test("the package was bundled, not left external: its wasm is emitted into the Node and Edge builds", () => {
  const wasm = readdirSync(path.join(APP, ".next/server"), { recursive: true }).filter((f) => /pilot_connect_server_bg.*\.wasm$/.test(f));
  assert.ok(wasm.some((f) => !f.startsWith("edge")), `a Node asset in ${wasm}`);
  assert.ok(wasm.some((f) => f.startsWith("edge")), `an Edge module in ${wasm}`);
});

test("tsc --noEmit over the app (strict, skipLibCheck false: both packages' .d.ts too)", () => {
  assert.ok(existsSync(path.join(APP, ".next/types")), "next build generated the route types");
  let files;
  try {
    files = execFileSync(process.execPath, [path.join(APP, "node_modules/typescript/bin/tsc"), "-p", "test", "--listFiles"], { cwd: APP, encoding: "utf8" });
  } catch (e) {
    throw new Error(`tsc failed:\n${e.stdout}${e.stderr}`);
  }
  // The widget's page (app/connect) brings the widget package's React entry and JSX types in.
  for (const f of ["pilot-connect-server/index.d.ts", "pilot-connect-widget/react.d.ts", "pilot-connect-widget/index.d.ts"]) {
    assert.ok(files.includes(`node_modules/${f}`), `the check covered ${f}`);
  }
});
