// End to end in real Chromium: demo page (packed widget) → worker (workerd via Miniflare) →
// sandbox. A screenshot of the rendered QR is decoded and compared with the sandbox's current
// ref; the QR rotates; a simulated scan turns the widget to "connected"; worker errors show.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer as createHttpServer } from "node:http";
import { readFileSync, existsSync } from "node:fs";
import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { launchChromium } from "../support/browser.mjs";
import { PNG } from "pngjs";
import jsQR from "jsqr";
import { spawnReady, freePort, signJws, startWorker } from "../support/node.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const KEY = "ps_e2e_tenant_key_0123";
const SECRET = "e2e-connect-token-secret-0123456789abcdef";
const HOOK_SECRET = "whsec_e2e_dashboard";
const OUT = path.join(ROOT, "target/e2e");
const procs = [];
let sandbox, worker, page, browser, mf, hostUrl, viteUrl, viteServer, quickUrl, mfPlain, pollUrl, restartPlainWorker;

const control = async (id) => (await fetch(`${sandbox}/_sandbox/numbers/${id}`)).json();

function decode(png) {
  const img = PNG.sync.read(png);
  const code = jsQR(new Uint8ClampedArray(img.data), img.width, img.height);
  assert.ok(code, "the screenshot holds a readable QR code");
  return code.data;
}

before(async () => {
  mkdirSync(OUT, { recursive: true });
  // 20×: the first ref lives 3 s, later ones 1 s.
  sandbox = await spawnReady(path.join(ROOT, "target/debug/pilot-sandbox"),
    ["--port", "0", "--tenant-key", KEY, "--time-scale", "20", "--webhook-secret", HOOK_SECRET], "pilot-sandbox listening on ", { procs });
  const hostPort = await freePort();
  hostUrl = `http://127.0.0.1:${hostPort}`;
  // The fresh Vite app's production build, served as static files.
  const dist = path.join(ROOT, "tests/vite-app/dist");
  const types = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm" };
  viteServer = createHttpServer((req, res) => {
    const rel = new URL(req.url, "http://x").pathname.replace(/^\/+/, "") || "index.html";
    const file = path.join(dist, rel);
    if (!file.startsWith(dist) || !existsSync(file)) { res.writeHead(404).end(); return; }
    res.writeHead(200, { "content-type": types[path.extname(file)] ?? "application/octet-stream" }).end(readFileSync(file));
  });
  const vitePort = await freePort();
  await new Promise((r) => viteServer.listen(vitePort, "127.0.0.1", r));
  viteUrl = `http://127.0.0.1:${vitePort}`;
  const quickPort = await freePort();
  quickUrl = `http://127.0.0.1:${quickPort}`;
  // The worker's audience is its own URL (CONNECT_TOKEN_AUDIENCE as a deploy would set it).
  const workerPort = await freePort();
  worker = `http://127.0.0.1:${workerPort}`;
  ({ mf } = await startWorker({
    PS_API_KEY: KEY, CONNECT_TOKEN_SECRET: SECRET, PS_BASE_URL: sandbox, ALLOWED_ORIGINS: `${hostUrl},${viteUrl},${quickUrl}`,
    CONNECT_TOKEN_AUDIENCE: worker, QR_REFRESH_MS: "1000", PS_WEBHOOK_SECRET: HOOK_SECRET,
  }, { port: workerPort }));
  // The demo backend is the Node one, on the installed pilot-connect-server package.
  await spawnReady(process.execPath,
    [path.join(ROOT, "tests/node-app/demo/backend.mjs"), "--port", String(hostPort), "--sandbox", sandbox, "--worker", worker, "--audience", worker,
     "--widget-dir", path.join(ROOT, "target/widget-pkg")],
    "demo page: ", { env: { PS_API_KEY: KEY, CONNECT_TOKEN_SECRET: SECRET, PS_WEBHOOK_SECRET: HOOK_SECRET }, procs });
  // A second stack without webhooks at the worker: no webhook secret, and a backend that keeps
  // the number's webhook for itself (one webhook per number). The page must still connect by push.
  const plainPort = await freePort();
  const workerPlain = `http://127.0.0.1:${plainPort}`;
  const pollPort = await freePort();
  pollUrl = `http://127.0.0.1:${pollPort}`;
  const plainBindings = {
    PS_API_KEY: KEY, CONNECT_TOKEN_SECRET: SECRET, PS_BASE_URL: sandbox, ALLOWED_ORIGINS: pollUrl,
    // A long QR life: connected can only be learned by the session's own status check.
    CONNECT_TOKEN_AUDIENCE: workerPlain, QR_REFRESH_MS: "60000",
  };
  ({ mf: mfPlain } = await startWorker(plainBindings, { port: plainPort }));
  restartPlainWorker = async () => {
    await mfPlain.dispose();
    ({ mf: mfPlain } = await startWorker(plainBindings, { port: plainPort }));
  };
  await spawnReady(process.execPath,
    [path.join(ROOT, "tests/node-app/demo/backend.mjs"), "--port", String(pollPort), "--sandbox", sandbox, "--worker", workerPlain,
     "--audience", workerPlain, "--hook-target", "backend", "--widget-dir", path.join(ROOT, "target/widget-pkg")],
    "demo page: ", { env: { PS_API_KEY: KEY, CONNECT_TOKEN_SECRET: SECRET, PS_WEBHOOK_SECRET: HOOK_SECRET }, procs });
  // The README's Node quick start, run as written (cwd: a project with both packages installed).
  await spawnReady(process.execPath, [path.join(ROOT, "tests/node-app/quickstart.mjs")], "quick start: ", {
    env: { PS_API_KEY: KEY, PS_BASE_URL: sandbox, CONNECT_TOKEN_SECRET: SECRET, PILOT_EDGE_URL: worker, PORT: String(quickPort) },
    cwd: path.join(ROOT, "tests/node-app"), procs });
  browser = await launchChromium(["--js-flags=--expose-gc"]);
});

after(async () => {
  viteServer?.close();
  await browser?.close();
  await mf?.dispose();
  await mfPlain?.dispose();
  for (const p of procs) p.kill("SIGTERM");
});

test("demo page → worker → sandbox: QR decodes to the current ref, rotates, scan connects by push (relay topology)", async () => {
  page = await browser.newPage({ viewport: { width: 900, height: 700 } });
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  const statusCalls = [];
  page.on("request", (r) => { if (r.url().includes("/v1/status")) statusCalls.push(r.url()); });
  const sockets = [];
  page.on("websocket", (ws) => sockets.push(ws.url()));
  await page.goto(`${hostUrl}/?locale=en`);
  await page.waitForSelector('#widget[data-state="pairing"]', { timeout: 20000 });
  const id = await page.evaluate(() => window.__demo.numberId);

  const qr = page.locator(".qr");
  const before = (await control(id)).pairing.ref;
  const shot = await qr.screenshot();
  const after = (await control(id)).pairing?.ref;
  const first = decode(shot);
  assert.ok([before, after].includes(first), "decoded QR is the sandbox's current ref");
  writeFileSync(path.join(OUT, "widget-pairing.png"), await page.screenshot());

  const code = await page.locator(".code").textContent();
  assert.equal(code, (await control(id)).pairing.pairingCode);
  assert.match(await page.locator(".status").textContent(), /Scan the QR code/);

  // The widget refreshes on the worker's refreshAfterMs and shows the next ref.
  const firstSrc = await qr.getAttribute("src");
  await page.waitForFunction((src) => {
    const img = document.querySelector("[data-pilot-connect]").shadowRoot.querySelector(".qr");
    return img.getAttribute("src") !== src;
  }, firstSrc, { timeout: 15000 });
  await page.waitForSelector('#widget[data-state="pairing"]');
  const b2 = (await control(id)).pairing?.ref;
  const second = decode(await qr.screenshot());
  const a2 = (await control(id)).pairing?.ref;
  assert.notEqual(second, first, "the QR rotated");
  assert.ok([b2, a2].includes(second), "the new QR is the current ref again");
  assert.equal(await page.locator(".code").textContent(), code, "the pairing code stayed");

  await page.click("#scan");
  await page.waitForSelector('#widget[data-state="connected"]', { timeout: 10000 });
  assert.equal(await page.evaluate(() => window.__demo.connected), id, "onConnected fired with the number id");
  assert.match(await page.locator(".done").textContent(), /WhatsApp connected/);
  // Live: the page learned it over the push stream, the moment Pilot Status's webhook reached
  // the worker — not one status poll in the network log.
  assert.ok(sockets.some((u) => u.endsWith("/v1/events")), "the widget opened the push stream");
  assert.deepEqual(statusCalls, [], "no status poll with push on");
  // The backend owns the number's one webhook (the sandbox allows one per number); provisionEdge
  // left it as it was and said relay, and the backend relayed number.connected to the edge.
  await page.waitForFunction(() => (window.__demo.webhooks ?? []).some((e) => e.event === "number.connected"), null, { timeout: 10000 });
  const fed = await (await fetch(`${hostUrl}/api/webhook-events?numberId=${encodeURIComponent(id)}`)).json();
  assert.equal(fed.topology, "relay", "one webhook per number: the backend's, relayed");
  assert.ok(fed.relayed >= 1, "the backend relayed the lifecycle event to the edge");
  writeFileSync(path.join(OUT, "widget-connected.png"), await page.screenshot());
  assert.deepEqual(errors, []);
  await page.close();
});

test("worker errors show as the right widget state", async () => {
  await fetch(`${sandbox}/_sandbox/faults`, { method: "POST", body: JSON.stringify({ route: "connect", kind: "status", status: 500 }) });
  const p = await browser.newPage();
  await p.goto(`${hostUrl}/?locale=pt-BR`);
  await p.waitForSelector('#widget[data-state="error"]', { timeout: 20000 });
  assert.equal(await p.locator(".error-title").textContent(), "Serviço indisponível");
  assert.equal(await p.locator(".error-text").textContent(), "O serviço de conexão falhou. Tente novamente em instantes.");
  assert.equal(await p.locator(".pair").isHidden(), true, "the error panel replaces the pairing area");
  assert.equal(await p.locator(".retry").textContent(), "Tentar novamente");
  writeFileSync(path.join(OUT, "widget-error.png"), await p.screenshot());
  await fetch(`${sandbox}/_sandbox/faults`, { method: "DELETE" });
  await p.locator(".retry").click();
  await p.waitForSelector('#widget[data-state="pairing"]', { timeout: 20000 });
  await p.close();
});

function mint(sub) {
  const now = Math.floor(Date.now() / 1000);
  return signJws({ sub, aud: worker, iat: now, exp: now + 600 }, SECRET);
}

async function newNumber(phone) {
  const r = await fetch(`${sandbox}/v1/numbers`, { method: "POST", headers: { "x-api-key": KEY, "content-type": "application/json" },
    body: JSON.stringify({ name: "Vite check", number: phone }) });
  assert.equal(r.status, 201);
  return (await r.json()).instance.id;
}

test("the packed tarball in a fresh Vite app: plain mount and custom element render a QR", async () => {
  const [a, b] = [await newNumber("+5511961000001"), await newNumber("+5511961000002")];
  const p = await browser.newPage({ viewport: { width: 900, height: 1200 } });
  const errors = [];
  p.on("pageerror", (e) => errors.push(String(e)));
  await p.addInitScript((cfg) => { window.__E2E = cfg; }, { endpoint: worker, tokenA: mint(a), tokenB: mint(b) });
  await p.goto(`${viteUrl}/`);
  await p.waitForSelector('#plain[data-state="pairing"]', { timeout: 20000 });
  await p.waitForSelector('#element[data-state="pairing"]', { timeout: 20000 });
  for (const [sel, id] of [["#plain", a], ["#element", b]]) {
    const before = (await control(id)).pairing.ref;
    const got = decode(await p.locator(`${sel} .qr`).screenshot());
    const after = (await control(id)).pairing?.ref;
    assert.ok([before, after].includes(got), `${sel}: QR decodes to its number's ref`);
  }
  assert.equal(await p.locator("#plain .title").textContent(), "Connect your WhatsApp");
  assert.equal(await p.locator("#element .title").textContent(), "Conecta tu WhatsApp");
  // Attribute change on the element: locale switches in place.
  await p.evaluate(() => document.getElementById("element").setAttribute("locale", "pt-BR"));
  assert.equal(await p.locator("#element .title").textContent(), "Conecte seu WhatsApp");
  // Removing the element destroys its widget (disconnectedCallback).
  await p.evaluate(() => document.getElementById("element").remove());
  writeFileSync(path.join(OUT, "vite-app.png"), await p.screenshot());
  assert.deepEqual(errors, []);
  await p.close();
});

test("the README's Node quick start shows a live QR", async () => {
  const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
  const code = readFileSync(path.join(ROOT, "tests/node-app/quickstart.mjs"), "utf8");
  assert.ok(readme.includes(code), "README.md holds tests/node-app/quickstart.mjs verbatim");
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(`${quickUrl}/`);
  await page.waitForSelector('#wa[data-state="pairing"]', { timeout: 15000 });
  const shot = await page.locator("[data-pilot-connect]").evaluateHandle((el) => el.shadowRoot.querySelector(".qr"));
  assert.ok(shot, "a QR image is in the widget");
  decode(await shot.asElement().screenshot());
  writeFileSync(path.join(OUT, "quickstart.png"), await page.screenshot());
  // The quick start drops the handle `mount()` resolves to. Collected by the GC, it must not take
  // the widget with it: the QR keeps rotating.
  const qrSrc = () => page.evaluate(() => document.querySelector("[data-pilot-connect]").shadowRoot.querySelector(".qr").src);
  for (let i = 0; i < 5; i++) {
    await page.evaluate(() => { globalThis.gc(); return new Promise((r) => setTimeout(r, 50)); });
  }
  const before = await qrSrc();
  await page.waitForFunction((src) => {
    const host = document.querySelector("#wa");
    const qr = host.querySelector("[data-pilot-connect]").shadowRoot.querySelector(".qr");
    return qr.src !== src || host.dataset.state === "expired";
  }, before, { timeout: 8000 });
  assert.deepEqual(errors, []);
  await page.close();
});

test("no webhooks at the worker (the backend keeps its own): connected by push, from the session's own check", async () => {
  const p = await browser.newPage();
  const errors = [];
  p.on("pageerror", (e) => errors.push(String(e)));
  const statusCalls = [];
  p.on("request", (r) => { if (r.url().includes("/v1/status")) statusCalls.push(r.url()); });
  const sockets = [];
  p.on("websocket", (ws) => sockets.push(ws.url()));
  await p.goto(`${pollUrl}/?locale=en`);
  await p.waitForSelector('#widget[data-state="pairing"]', { timeout: 20000 });
  await p.click("#scan");
  await p.waitForSelector('#widget[data-state="connected"]', { timeout: 15000 });
  assert.equal(sockets.length, 1, "one push stream");
  assert.equal(statusCalls.length, 0, "the page never polled: the session checked and pushed");
  // Here the backend keeps the webhook for itself and verifies it with the package.
  await p.waitForFunction(() => (window.__demo.webhooks ?? []).some((e) => e.event === "number.connected"), null, { timeout: 10000 });
  assert.deepEqual(errors, []);
  await p.close();
});

test("the worker drops the push stream mid-pairing: the widget reopens it with backoff and still connects by push", async () => {
  const p = await browser.newPage();
  const errors = [];
  p.on("pageerror", (e) => errors.push(String(e)));
  const opened = [];
  const closed = [];
  p.on("websocket", (ws) => { opened.push(Date.now()); ws.on("close", () => closed.push(Date.now())); });
  await p.goto(`${pollUrl}/?locale=en`);
  await p.waitForSelector('#widget[data-state="pairing"]', { timeout: 20000 });
  for (let i = 0; i < 100 && !opened.length; i++) await new Promise((r) => setTimeout(r, 50));
  assert.equal(opened.length, 1);
  // A deploy or an eviction: the runtime goes away and comes back on the same address.
  await restartPlainWorker();
  for (let i = 0; i < 200 && opened.length < 2; i++) await new Promise((r) => setTimeout(r, 50));
  assert.equal(opened.length, 2, "the stream was reopened, without waiting for a new QR");
  const gap = opened[1] - closed[0];
  assert.ok(gap >= 400, `reopened after a backoff (${gap} ms), not at once`);
  await p.click("#scan");
  await p.waitForSelector('#widget[data-state="connected"]', { timeout: 15000 });
  assert.deepEqual(errors, []);
  await p.close();
});
