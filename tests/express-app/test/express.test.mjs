// The Express recipe against the sandbox and the edge worker (built, in workerd): the one place
// where the relay and provisioning run end to end.
// - Sandbox "one" (one webhook per number): the app's own webhook comes first, so provisionEdge
//   ends in relay and leaves it as it is; a phone scan reaches the app as a signed
//   number.connected, the app relays it, and a watcher on the worker's push stream gets
//   "connected" (the session's own polling is minutes away, so only the relay can have told it);
//   a message.received reaches the app and is not relayed.
// - Sandbox "many": provisionEdge ends side by side, the edge's own webhook on the four events.
// - Forged and unsigned deliveries are refused; the app.use(express.json()) pitfall answers
//   raw_body_required.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { PilotStatus } from "pilot-connect-server";
import { freePort, startWorker } from "../../support/node.mjs";
import { startSandbox, startApp, until, sign, delivered, ensureWorkerBuild, phone } from "../../support/recipes.mjs";

const APP = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const KEY = "ps_express_recipe_tenant_key_8d";
const HOOK = "whsec_express_recipe_dashboard";
const TOKEN_SECRET = "express-recipe-connect-token-secret-0123456789";
const PAGE = "https://app.example.test";
const EDGE_EVENTS = ["number.connected", "number.disconnected", "number.removed", "number.restored"];

const procs = [];
const logs = [];
let one, many, worker, app, appMany;

/** The recipe app against `sandbox`, relaying to the worker. */
async function recipe(sandbox) {
  const port = await freePort();
  return startApp(procs, APP, "server.mjs", "express-app listening on ", {
    PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}`, PS_API_KEY: KEY, PS_BASE_URL: sandbox,
    PS_WEBHOOK_SECRET: HOOK, CONNECT_TOKEN_SECRET: TOKEN_SECRET, PILOT_EDGE_URL: worker.url, APP_ORIGIN: PAGE,
  });
}

before(async () => {
  ensureWorkerBuild();
  const common = ["--tenant-key", KEY, "--webhook-secret", HOOK, "--rate-limit", "0"];
  [one, many] = await Promise.all([
    startSandbox(procs, [...common, "--webhooks-per-number", "one"]),
    startSandbox(procs, [...common, "--webhooks-per-number", "many"]),
  ]);
  const port = await freePort();
  worker = await startWorker({
    PS_API_KEY: KEY, CONNECT_TOKEN_SECRET: TOKEN_SECRET, PS_BASE_URL: one, ALLOWED_ORIGINS: PAGE,
    CONNECT_TOKEN_AUDIENCE: `http://127.0.0.1:${port}`, PS_WEBHOOK_SECRET: HOOK,
    STATUS_POLL_MS: "120000", // the session's own status checks are two minutes apart: "connected" can only come from the relay
  }, { port, limit: 1e6, onLog: (l) => logs.push(JSON.stringify(l)) });
  [app, appMany] = await Promise.all([recipe(one), recipe(many)]);
});
after(async () => {
  await worker?.mf.dispose().catch(() => {});
  procs.forEach((p) => p.kill());
});

const post = (base, route, body, headers = {}) => fetch(`${base}${route}`, {
  method: "POST", body: typeof body === "string" ? body : JSON.stringify(body), headers: { "content-type": "application/json", ...headers },
});
const received = async () => (await fetch(`${app}/api/received`)).json();

/** The worker's push stream as the widget opens it; frames collected. */
async function watch(token) {
  const res = await worker.mf.dispatchFetch(`${worker.url}/v1/events`, {
    headers: { upgrade: "websocket", origin: PAGE, "sec-websocket-protocol": `pilot-connect.v1, bearer.${token}` },
  });
  assert.equal(res.status, 101, "push is offered");
  const frames = [];
  res.webSocket.addEventListener("message", (e) => frames.push(JSON.parse(e.data)));
  res.webSocket.accept();
  return { frames, close: () => res.webSocket.close() };
}

test("numbers: created (with the app's own webhook, then provisionEdge), listed, deleted", async () => {
  const r = await post(appMany, "/api/numbers", { name: "Loja Express", number: phone() });
  assert.equal(r.status, 201, await r.clone().text());
  const { number } = await r.json();
  assert.match(number.id, /^wa_/);
  assert.ok((await (await fetch(`${appMany}/api/numbers`)).json()).some((n) => n.id === number.id), "listed");
  const del = await fetch(`${appMany}/api/numbers/${number.id}`, { method: "DELETE" });
  assert.equal(del.status, 200);
  assert.equal((await del.json()).ok, true);
  const bad = await post(appMany, "/api/numbers", { name: "Loja", number: "11 9999" });
  assert.equal(bad.status, 400);
  assert.equal((await bad.json()).kind, "validation");
});

test("provisionEdge: one webhook per number → relay, the customer's hook unchanged; several → side by side on the four events", async () => {
  const pilotOne = new PilotStatus({ apiKey: KEY, baseUrl: one });
  const r = await post(app, "/api/numbers", { name: "Relay", number: phone() });
  assert.equal(r.status, 201, await r.clone().text());
  const { number, webhook, edge } = await r.json();
  assert.equal(edge.topology, "relay", edge.message);
  assert.equal(edge.action, "none");
  assert.deepEqual(edge.webhook, webhook, "the customer's webhook, as it was");
  assert.match(edge.message, /relayWebhook/);
  const hooks = await pilotOne.webhooks.list();
  const mine = hooks.filter((h) => h.whatsappNumberId === number.id);
  assert.deepEqual(mine, [webhook], "one webhook, still the customer's: same url, events, active, updatedAt");
  assert.deepEqual([mine[0].url, mine[0].events], [`${app}/hooks/pilot-status`, ["*"]]);
  // Called again: still relay, still untouched.
  const again = await pilotOne.webhooks.provisionEdge({ whatsappNumberId: number.id, edgeUrl: worker.url });
  assert.equal(again.topology, "relay");
  assert.deepEqual((await pilotOne.webhooks.list()).filter((h) => h.whatsappNumberId === number.id), [webhook]);

  const pilotMany = new PilotStatus({ apiKey: KEY, baseUrl: many });
  const m = await (await post(appMany, "/api/numbers", { name: "Side", number: phone() })).json();
  assert.equal(m.edge.topology, "side_by_side", m.edge.message);
  assert.equal(m.edge.action, "created");
  assert.deepEqual([m.edge.webhook.url, m.edge.webhook.events, m.edge.webhook.name],
    [`${worker.url}/v1/hooks/pilot-status`, EDGE_EVENTS, "pilot-connect edge"]);
  const both = (await pilotMany.webhooks.list()).filter((h) => h.whatsappNumberId === m.number.id);
  assert.deepEqual(both.map((h) => h.id).sort(), [m.webhook.id, m.edge.webhook.id].sort());
  assert.deepEqual(both.find((h) => h.id === m.webhook.id), m.webhook, "the customer's webhook untouched");
  const same = await pilotMany.webhooks.provisionEdge({ whatsappNumberId: m.number.id, edgeUrl: worker.url });
  assert.deepEqual([same.topology, same.action, same.webhook.id], ["side_by_side", "unchanged", m.edge.webhook.id], "it converges");
});

test("relay end to end: scan → the app gets number.connected → relays → the watcher is pushed connected; message.received stays with the app", async () => {
  const r = await (await post(app, "/api/numbers", { name: "Push", number: phone() })).json();
  const id = r.number.id;
  assert.equal(r.edge.topology, "relay");
  const { token } = await (await post(app, "/api/connect-token", { numberId: id })).json();
  const watcher = await watch(token);
  try {
    await until(() => watcher.frames.some((f) => f.state === "pairing"), "the QR pushed to the watcher");
    const scan = await fetch(`${one}/_sandbox/numbers/${id}/scan`, { method: "POST" });
    assert.equal(scan.status, 200);
    const t0 = Date.now();
    await until(() => watcher.frames.some((f) => f.state === "connected"), "connected pushed", 8000);
    assert.ok(Date.now() - t0 < 8000);
    const [d] = await delivered(one, "number.connected", id);
    assert.deepEqual([d.url, d.status, d.attempts.at(-1).status], [`${app}/hooks/pilot-status`, "delivered", 200], "the sandbox's signed delivery reached the app");
    const connected = await until(async () => (await received()).find((e) => e.event === "number.connected" && e.dedupKey.includes(id) && e.relay), "the relay settled");
    assert.deepEqual(connected.relay, { relayed: true, status: 204, event: "number.connected" });
  } finally {
    watcher.close();
  }

  const emitted = await (await fetch(`${one}/_sandbox/numbers/${id}/messages`, { method: "POST", body: JSON.stringify({ count: 1 }) })).json();
  const [msgId] = emitted.messageIds;
  const msg = await until(async () => (await received()).find((e) => e.dedupKey === msgId && e.relay), "message.received at the app");
  assert.equal(msg.event, "message.received");
  assert.deepEqual(msg.relay, { relayed: false, reason: "not_lifecycle", event: "message.received" }, "the customer's, never the edge's");
  assert.ok(!logs.some((l) => l.includes("message.received")), "the worker never saw it");
});

test("the connect token the app mints opens the edge's /v1/qr", async () => {
  const r = await (await post(app, "/api/numbers", { name: "Token", number: phone() })).json();
  const { token } = await (await post(app, "/api/connect-token", { numberId: r.number.id })).json();
  const qr = await worker.mf.dispatchFetch(`${worker.url}/v1/qr`, { headers: { origin: PAGE, authorization: `Bearer ${token}` } });
  assert.equal(qr.status, 200);
  assert.equal((await qr.json()).state, "pairing");
  const bad = await post(app, "/api/connect-token", { numberId: 7 });
  assert.equal(bad.status, 400);
});

test("forged, tampered and unsigned deliveries → 401, nothing relayed; the express.json() pitfall → raw_body_required", async () => {
  const body = JSON.stringify({ event: "number.connected", data: { numberId: "wa_forged", phone: "+5511999990000", displayName: "Loja", createdAt: "2026-01-01T00:00:00Z" } });
  const before = (await received()).length;
  for (const [headers, what] of [
    [{ "x-pilot-status-signature": sign("whsec_forged", body) }, "forged"],
    [{}, "unsigned"],
  ]) {
    const r = await post(app, "/hooks/pilot-status", body, headers);
    assert.equal(r.status, 401, what);
    assert.equal((await r.json()).kind, "signature", what);
  }
  const tampered = await post(app, "/hooks/pilot-status", body.replace("Loja", "Loj4"), { "x-pilot-status-signature": sign(HOOK, body) });
  assert.equal(tampered.status, 401);
  assert.equal((await received()).length, before, "nothing handled, nothing relayed");

  const ok = await post(app, "/hooks/pilot-status", body, { "x-pilot-status-signature": sign(HOOK, body) });
  assert.equal(ok.status, 200, "the same body, correctly signed, on the right route");
  const pitfall = await post(app, "/pitfall/hooks/pilot-status", body, { "x-pilot-status-signature": sign(HOOK, body) });
  assert.equal(pitfall.status, 500);
  const e = await pitfall.json();
  assert.deepEqual([e.kind, e.code], ["raw_body_required", "parsed"]);
  assert.equal(e.message, "verifyWebhook needs the raw request body (a string, Buffer or Uint8Array exactly as received); got an object — is express.json() (or another body parser) running before this route?");
});
