// The edge mounted inside the team's own API Worker (worker.js: Hono with logger(), secureHeaders()
// and cors(), routes and a queue of its own), run as the team runs it: `wrangler dev` with the
// app's wrangler.jsonc, no Rust on the PATH. Through /pilot: the browser routes, the push
// WebSocket (a 101 that survives the middleware), signed webhooks that push "connected", and the
// edge-in-front forward through the edge's queue; outside it, nothing of the edge, the team's
// routes, CORS and queue untouched; `wrangler deploy --dry-run` green.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createServer } from "node:http";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import WebSocket from "ws";
import { PilotStatus } from "pilot-connect-server";
import { launchChromium, serveFiles, widgetPage } from "../../support/browser.mjs";
import { freePort, noRustEnv, signJws } from "../../support/node.mjs";
import { ROOT, sign, startSandbox, until } from "../../support/recipes.mjs";

const APP = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const KEY = "ps_mounted_edge_tenant_key_88";
const SECRET = "mounted-edge-connect-token-secret-0123456789";
const HOOK = "whsec_mounted_edge_dashboard";
const PAGE = "https://app.example.com";
const { env: ENV, prove: proveNoRust } = noRustEnv();
const procs = [];
const servers = [];
let sandbox, app, edge, dir, site, log = "";
const sink = [];

const wrangler = (...args) => spawnSync(process.execPath, [path.join(APP, "node_modules/wrangler/bin/wrangler.js"), ...args],
  { cwd: APP, env: ENV, encoding: "utf8", timeout: 180_000 });

before(async () => {
  proveNoRust();
  sandbox = await startSandbox(procs, ["--tenant-key", KEY, "--webhook-secret", HOOK, "--time-scale", "20"]);
  // Where the team's queue consumer and the edge's forward report what they got.
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => { sink.push({ path: req.url, body: Buffer.concat(chunks).toString(), signature: req.headers["x-pilot-status-signature"] ?? null }); res.writeHead(200).end(); });
  });
  const sinkPort = await freePort();
  await new Promise((r) => server.listen(sinkPort, "127.0.0.1", r));
  servers.push(server);

  // A page with the packed widget, on an origin of its own.
  site = await serveFiles(path.join(ROOT, "target/widget-pkg"), {
    prefix: "/pkg/",
    page: widgetPage,
  });
  servers.push(site.server);
  const port = await freePort();
  app = `http://127.0.0.1:${port}`;
  edge = `${app}/pilot`;
  dir = mkdtempSync(path.join(tmpdir(), "pilot-mounted-"));
  const vars = path.join(dir, "dev.vars");
  writeFileSync(vars, [
    `PS_API_KEY=${KEY}`, `PS_BASE_URL=${sandbox}`, `CONNECT_TOKEN_SECRET=${SECRET}`, `PS_WEBHOOK_SECRET=${HOOK}`,
    `ALLOWED_ORIGINS=${PAGE},${site.url}`, `APP_ORIGIN=${PAGE}`, `CORS_ORIGINS=${PAGE},${site.url}`, `PILOT_EDGE_URL=${edge}`,
    `FORWARD_WEBHOOK_URL=http://127.0.0.1:${sinkPort}/forwarded`, `APP_JOBS_SINK=http://127.0.0.1:${sinkPort}/jobs`,
    "STATUS_POLL_MS=60000", // webhooks, not polling, bring "connected" here
  ].join("\n"));
  const dev = spawn(process.execPath, [path.join(APP, "node_modules/wrangler/bin/wrangler.js"), "dev", "--ip", "127.0.0.1",
    "--port", String(port), "--env-file", vars, "--persist-to", path.join(dir, "state"),
    "--show-interactive-dev-session=false", "--log-level", "info"], { cwd: APP, env: ENV, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  procs.push({ kill: () => { try { process.kill(-dev.pid, "SIGTERM"); } catch { dev.kill("SIGTERM"); } } });
  dev.stdout.on("data", (d) => { log += d; });
  dev.stderr.on("data", (d) => { log += d; });
  await until(() => fetch(`${edge}/healthz`).then((r) => r.ok).catch(() => false), `wrangler dev: ${log}`, 90_000);
});

after(() => {
  for (const p of procs) p.kill("SIGTERM");
  for (const s of servers) s.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const json = async (r) => ({ status: r.status, headers: r.headers, body: await r.json().catch(() => null) });

async function newNumber(n) {
  const r = await json(await fetch(`${app}/api/numbers`, { method: "POST", headers: { "content-type": "application/json", origin: PAGE },
    body: JSON.stringify({ name: "Mounted", number: `+55119650${String(n).padStart(5, "0")}` }) }));
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.id;
}

async function tokenFor(numberId) {
  const r = await json(await fetch(`${app}/api/connect-token`, { method: "POST", headers: { "content-type": "application/json", origin: PAGE },
    body: JSON.stringify({ numberId }) }));
  assert.equal(r.status, 200);
  return r.body.token;
}

test("wrangler deploy --dry-run is green for the app with the edge mounted", () => {
  const dry = wrangler("deploy", "--dry-run", "--outdir", path.join(dir, "dist"));
  assert.equal(dry.status, 0, `${dry.stdout}${dry.stderr}`);
  assert.match(dry.stdout, /env\.NUMBER_SESSIONS \(NumberSession\)/);
  const upload = dry.stdout.match(/Total Upload: ([\d.]+) KiB \/ gzip: ([\d.]+) KiB/);
  console.log(`mounted upload (Hono app + server package + edge): ${upload?.[1]} KiB, gzip ${upload?.[2]} KiB`);
});

test("under /pilot: health and the browser routes, one set of CORS headers, the edge's origin rule", async () => {
  const h = await json(await fetch(`${edge}/healthz`));
  assert.equal(h.status, 200);
  assert.equal(h.body.ok, true, JSON.stringify(h.body));
  assert.deepEqual(h.body.features, { push: true, webhooks: true, forward: true, rateLimit: true, admin: false });
  const id = await newNumber(1);
  const token = await tokenFor(id);
  const qr = await fetch(`${edge}/v1/qr`, { headers: { authorization: `Bearer ${token}`, origin: PAGE } });
  const body = await qr.json();
  assert.equal(qr.status, 200, JSON.stringify(body));
  assert.equal(body.state, "pairing");
  // One Access-Control-Allow-Origin, the page's (undici joins repeated headers with ", ").
  assert.equal(qr.headers.get("access-control-allow-origin"), PAGE);
  assert.equal(qr.headers.get("cache-control"), "no-store");
  // A page the edge does not allow is refused by the edge, whatever the app's CORS says.
  const other = await fetch(`${edge}/v1/qr`, { headers: { authorization: `Bearer ${token}`, origin: "https://evil.example" } });
  assert.equal(other.status, 403);
  // The edge's own 404 under its prefix.
  const nope = await json(await fetch(`${edge}/v1/nope`));
  assert.equal(nope.status, 404);
  assert.equal(nope.body.error.code, "route_not_found");
});

test("outside /pilot: nothing of the edge; the team's routes and CORS untouched", async () => {
  for (const p of ["/healthz", "/v1/qr", "/v1/hooks/pilot-status", "/pilotx/healthz"]) {
    const r = await json(await fetch(`${app}${p}`));
    assert.equal(r.status, 404, p);
    assert.deepEqual(r.body, { kind: "not_found" }, `${p} is the app's 404`);
  }
  const pre = await fetch(`${app}/api/numbers`, { method: "OPTIONS", headers: { origin: PAGE, "access-control-request-method": "POST" } });
  assert.equal(pre.headers.get("access-control-allow-origin"), PAGE);
  assert.equal(pre.headers.get("access-control-allow-credentials"), "true");
  const list = await fetch(`${app}/api/numbers`, { headers: { origin: PAGE } });
  assert.equal(list.status, 200);
  assert.equal(list.headers.get("access-control-allow-origin"), PAGE);
  assert.equal(list.headers.get("x-content-type-options"), "nosniff", "secureHeaders() still runs on the app's routes");
});

test("push over the WebSocket through the middleware; a signed webhook into /pilot pushes connected", async () => {
  const id = await newNumber(2);
  // The number's webhook points at the mounted edge's receiver: provisionEdge with an edge URL
  // that has a path.
  const pilot = new PilotStatus({ apiKey: KEY, baseUrl: sandbox });
  const provisioned = await pilot.webhooks.provisionEdge({ whatsappNumberId: id, edgeUrl: edge });
  assert.equal(provisioned.edgeWebhookUrl, `${edge}/v1/hooks/pilot-status`);
  assert.equal(provisioned.webhook?.url, `${edge}/v1/hooks/pilot-status`, JSON.stringify(provisioned));
  const token = await tokenFor(id);
  const frames = [];
  const ws = new WebSocket(`${edge.replace("http", "ws")}/v1/events`, ["pilot-connect.v1", `bearer.${token}`], { headers: { origin: PAGE } });
  const opened = await new Promise((resolve, reject) => {
    ws.on("upgrade", (res) => resolve(res));
    ws.on("unexpected-response", (_, res) => reject(new Error(`no 101: ${res.statusCode}`)));
    ws.on("error", reject);
  });
  assert.equal(opened.statusCode, 101);
  assert.equal(opened.headers["sec-websocket-protocol"], "pilot-connect.v1");
  ws.on("message", (d) => frames.push(JSON.parse(String(d))));
  await until(() => frames.some((f) => f.state === "pairing"), "a QR pushed", 20_000);
  assert.equal((await fetch(`${sandbox}/_sandbox/numbers/${id}/scan`, { method: "POST" })).status, 200);
  await until(() => frames.some((f) => f.state === "connected"), `connected pushed (frames: ${JSON.stringify(frames.map((f) => f.state))})`, 20_000);
  ws.close();
  const { deliveries } = await (await fetch(`${sandbox}/_sandbox/webhooks/deliveries`)).json();
  const mine = deliveries.filter((d) => d.event === "number.connected" && JSON.stringify(d.body).includes(id));
  assert.ok(mine.length > 0 && mine.every((d) => d.status === "delivered"), `delivered to /pilot: ${JSON.stringify(mine)}`);
});

test("queues: the team's own batch is the team's; the edge's forward queue goes through handlePilotConnectQueue", async () => {
  const job = await fetch(`${app}/api/jobs`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ invoice: 42 }) });
  assert.equal(job.status, 202);
  await until(() => sink.some((s) => s.path === "/jobs"), "the app's job consumed by the app", 20_000);
  const got = sink.find((s) => s.path === "/jobs");
  assert.deepEqual(JSON.parse(got.body), { queue: "app-jobs", job: { invoice: 42 } });
  // Edge in front: a customer message delivered to the edge is forwarded, bytes and signature.
  const body = JSON.stringify({ event: "message.received", whatsappNumberId: "wa_mounted", timestamp: new Date().toISOString(), data: { id: "m-1", text: "oi" } });
  const r = await fetch(`${edge}/v1/hooks/pilot-status`, { method: "POST", headers: { "content-type": "application/json", "x-pilot-status-signature": sign(HOOK, body) }, body });
  assert.ok(r.status < 300, `accepted: ${r.status}`);
  // (Edge in front forwards every delivery: the number.connected of the test before too.)
  await until(() => sink.some((s) => s.path === "/forwarded" && s.body === body), `forwarded through the edge's queue: ${log.slice(-1500)}`, 30_000);
  const fwd = sink.find((s) => s.path === "/forwarded" && s.body === body);
  assert.equal(fwd.signature, sign(HOOK, body));
  assert.ok(!sink.some((s) => s.path === "/jobs" && s.body.includes("message.received")), "the app's consumer never saw the edge's batch");
});

test("the packed widget in Chromium with the edge's URL under /pilot as its endpoint: QR → scan → connected by push", async () => {
  const id = await newNumber(3);
  // Its lifecycle webhooks reach the mounted edge, so "connected" comes by webhook and push.
  await new PilotStatus({ apiKey: KEY, baseUrl: sandbox }).webhooks.provisionEdge({ whatsappNumberId: id, edgeUrl: edge });
  const now = Math.floor(Date.now() / 1000);
  const token = signJws({ sub: id, aud: edge, iat: now, exp: now + 600, origin: site.url }, SECRET);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const errors = [];
    const sockets = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    page.on("websocket", (ws) => sockets.push(ws.url()));
    await page.goto(`${site.url}/`);
    await page.waitForFunction(() => !!window.pc);
    await page.evaluate(({ endpoint, token }) => {
      window.connected = [];
      window.pc.mount("#w", { endpoint, token, onConnected: (e) => window.connected.push(e) });
    }, { endpoint: edge, token });
    await page.waitForFunction(() => document.querySelector("#w").dataset.state === "pairing", null, { timeout: 30_000 });
    assert.ok((await fetch(`${sandbox}/_sandbox/numbers/${id}/scan`, { method: "POST" })).ok);
    await page.waitForFunction(() => window.connected.length > 0, null, { timeout: 30_000 });
    assert.deepEqual(sockets, [`${edge.replace("http", "ws")}/v1/events`], "the push stream under the prefix");
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});
