// The packed widget in a fresh React 19 + Vite + TypeScript app (create-vite's react-ts template,
// StrictMode), on the Vite dev server and on its production build served as static files, in
// real Chromium against the real worker (workerd) and the sandbox. The page renders
// <PilotConnect token …> and a React 19 <pilot-connect getToken={…} onpilotconnect…> element.
// Each must be one widget (one container, one push stream, one onConnected), fetch each QR once
// and show each rotation once, survive being unmounted and mounted again (no leftover socket or
// container), and connect after a sandbox scan. Then tsc checks the app with skipLibCheck false.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { createServer } from "node:http";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { launchChromium, widgetLayout } from "../../support/browser.mjs";
import { freePort, signJws, spawnReady, startWorker } from "../../support/node.mjs";
import { watchPage, until } from "../../support/widget-page.mjs";
import { ensureWorkerBuild, phone } from "../../support/recipes.mjs";

const APP = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const ROOT = path.resolve(APP, "../..");
const OUT = path.join(ROOT, "target/e2e");
const VITE = path.join(APP, "node_modules/vite/bin/vite.js");
const KEY = "ps_react_app_tenant_key_5a4b3c";
const SECRET = "react-app-connect-token-secret-0123456789";
const SCALE = 20; // the sandbox's time scale: its first QR lives 3 s, later ones 1 s
const procs = [];
let sandbox, worker, mf, browser, staticServer, devUrl, buildUrl;

/** Serves `dir` as static files (what a CDN does with `vite build`'s output). */
function serveStatic(dir, port) {
  const types = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".wasm": "application/wasm", ".svg": "image/svg+xml" };
  const server = createServer((req, res) => {
    const rel = decodeURIComponent(new URL(req.url, "http://x").pathname).replace(/^\/+/, "") || "index.html";
    const file = path.join(dir, rel);
    if (!file.startsWith(dir) || !existsSync(file)) { res.writeHead(404).end(); return; }
    res.writeHead(200, { "content-type": types[path.extname(file)] ?? "application/octet-stream" }).end(readFileSync(file));
  });
  return new Promise((r) => server.listen(port, "127.0.0.1", () => r(server)));
}

before(async () => {
  mkdirSync(OUT, { recursive: true });
  ensureWorkerBuild();
  execFileSync(process.execPath, [VITE, "build", "--logLevel", "warn"], { cwd: APP, stdio: ["ignore", "inherit", "inherit"] });
  const [devPort, buildPort, workerPort] = [await freePort(), await freePort(), await freePort()];
  devUrl = `http://127.0.0.1:${devPort}`;
  buildUrl = `http://127.0.0.1:${buildPort}`;
  worker = `http://127.0.0.1:${workerPort}`;
  staticServer = await serveStatic(path.join(APP, "dist"), buildPort);
  sandbox = await spawnReady(path.join(ROOT, "target/debug/pilot-sandbox"),
    ["--port", "0", "--tenant-key", KEY, "--time-scale", String(SCALE)], "pilot-sandbox listening on ", { procs });
  // No webhooks: the worker's session learns "connected" by its own status check (every 500 ms here).
  ({ mf } = await startWorker({
    PS_API_KEY: KEY, CONNECT_TOKEN_SECRET: SECRET, PS_BASE_URL: sandbox, ALLOWED_ORIGINS: `${devUrl},${buildUrl}`,
    CONNECT_TOKEN_AUDIENCE: worker, QR_REFRESH_MS: "1000", STATUS_POLL_MS: "500",
  }, { port: workerPort }));
  const dev = spawn(process.execPath, [VITE, "--host", "127.0.0.1", "--port", String(devPort), "--strictPort", "--clearScreen", "false"],
    { cwd: APP, stdio: ["ignore", "ignore", "inherit"] });
  procs.push(dev);
  await until(async () => (await fetch(devUrl).catch(() => null))?.ok, "the Vite dev server answers", 30_000);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  staticServer?.close();
  await mf?.dispose();
  for (const p of procs) p.kill("SIGTERM");
});

async function newNumber() {
  const number = phone("6");
  const r = await fetch(`${sandbox}/v1/numbers`, { method: "POST", headers: { "x-api-key": KEY, "content-type": "application/json" },
    body: JSON.stringify({ name: "React check", number }) });
  assert.equal(r.status, 201, await r.clone().text());
  return (await r.json()).instance.id;
}

function mint(sub) {
  const now = Math.floor(Date.now() / 1000);
  return signJws({ sub, aud: worker, iat: now, exp: now + 600 }, SECRET);
}

/** The page's record of one widget's callbacks (src/e2e.ts). */
const recOf = (page, which) => page.evaluate((w) => window.__rec[w], which);

async function exercise(url, label) {
  const ids = { component: await newNumber(), element: await newNumber() };
  const tokens = { component: mint(ids.component), element: mint(ids.element) };
  const page = await browser.newPage({ viewport: { width: 1100, height: 1000 } });
  const w = watchPage(page, tokens);
  await page.addInitScript((cfg) => { window.__E2E = cfg; }, { endpoint: worker, tokenA: tokens.component, tokenB: tokens.element });
  const hosts = { component: "#component-slot > .widget", element: "#element" };
  const slots = { component: "#component-slot", element: "#element-slot" };
  const containers = () => page.evaluate((s) => Object.fromEntries(Object.entries(s).map(([k, sel]) =>
    [k, document.querySelectorAll(`${sel} [data-pilot-connect]`).length])), slots);
  const qrsOf = async () => ({ component: (await recOf(page, "component")).qr.length, element: (await recOf(page, "element")).qr.length });

  await page.goto(`${url}/`);
  for (const h of Object.values(hosts)) await page.waitForSelector(`${h}[data-state="pairing"]`, { timeout: 20_000 });
  // A rotation each (the first QR lives 3 s / SCALE-scaled), then one widget per mount point.
  await until(async () => Object.values(await qrsOf()).every((n) => n >= 2), "a QR rotation in each widget", 20_000);
  assert.deepEqual(await containers(), { component: 1, element: 1 }, `${label}: one widget per mount point`);
  assert.equal(await page.locator("#component-slot > *:not(h2)").count(), 1, `${label}: <PilotConnect> renders one element`);
  assert.equal(w.sockets.length, 2, `${label}: one push stream per widget (StrictMode mounts once)`);
  assert.deepEqual(w.aborted(), { component: 0, element: 0 }, `${label}: no request started and dropped (StrictMode's first mount fetched nothing)`);
  assert.equal((await recOf(page, "element")).tokens, 1, `${label}: the element asked getToken once`);
  // React 19 set the element's getToken and options as properties (not as attributes: "[object Object]").
  assert.deepEqual(await page.evaluate(() => {
    const el = document.getElementById("element");
    return { getToken: typeof el.getToken, maxAttempts: el.options?.maxAttempts, attributes: el.getAttributeNames().sort() };
  }), { getToken: "function", maxAttempts: 30, attributes: ["data-state", "endpoint", "id", "locale"] }, `${label}: element properties`);
  // A prop that update() applies (locale), next to an inline `appearance` object re-created on
  // every render: the same widget, in place.
  await page.click("#locale");
  await until(async () => (await page.locator("#component-slot .title").textContent()) === "Conecte seu WhatsApp",
    `${label}: the locale changed in place`, 5_000);
  assert.deepEqual(await containers(), { component: 1, element: 1 }, `${label}: still one widget per mount point`);
  assert.equal(w.sockets.length, 2, `${label}: no new push stream for a locale change`);
  await page.click("#locale");
  await until(async () => (await page.locator("#component-slot .title").textContent()) === "Connect your WhatsApp",
    `${label}: and back`, 5_000);
  writeFileSync(path.join(OUT, `react-${label}-pairing.png`), await page.screenshot({ fullPage: true }));

  // Branding as a prop, in place; then a bad colour (from a customer's setting, say): logged, the
  // widget keeps what it showed, and the app around it stays mounted.
  const company = () => page.locator("#component-slot .company").evaluate((e) => (e.checkVisibility() ? e.textContent : null));
  await page.click("#brand");
  await until(async () => (await company()) === "Acme Clínicas", `${label}: the branding prop shown in place`, 5_000);
  const errorsBefore = w.errors.length;
  await page.click("#brand");
  await until(() => w.errors.length > errorsBefore, `${label}: the bad colour logged`, 5_000);
  assert.match(w.errors.slice(errorsBefore).join("\n"), /options\.branding\.primaryColor must be a #RRGGBB colour/);
  w.errors.splice(errorsBefore); // expected: asserted above
  assert.equal(await page.locator("#toggle").count(), 1, `${label}: the app is still mounted`);
  assert.equal(await company(), "Acme Clínicas", `${label}: the widget kept what it showed`);
  assert.deepEqual(await containers(), { component: 1, element: 1 }, `${label}: the same widgets`);
  await page.click("#brand");
  await until(async () => (await company()) === null, `${label}: no branding again`, 5_000);

  // Unmounted (React state) right after a QR arrived, then mounted again.
  const n0 = await qrsOf();
  await until(async () => { const n = await qrsOf(); return n.component > n0.component; }, "a fresh QR", 10_000);
  await page.click("#toggle");
  assert.deepEqual(await containers(), { component: 0, element: 0 }, `${label}: unmounted, no container left`);
  await until(() => w.sockets.every((s) => s.isClosed()), `${label}: every push stream closed on unmount`, 5_000);
  const requestsOff = w.qrRequests();
  await new Promise((r) => setTimeout(r, 1_500)); // longer than a rotation: nothing may fetch now
  assert.deepEqual(w.qrRequests(), requestsOff, `${label}: no /v1/qr after unmount`);
  const gen1 = await qrsOf();
  await page.click("#toggle");
  for (const h of Object.values(hosts)) await page.waitForSelector(`${h}[data-state="pairing"]`, { timeout: 20_000 });
  assert.deepEqual(await containers(), { component: 1, element: 1 }, `${label}: mounted again, one widget per mount point`);
  await until(() => w.sockets.length === 4, `${label}: one new push stream per widget`, 5_000);
  assert.equal(w.sockets.filter((s) => !s.isClosed()).length, 2, `${label}: only the new streams are open`);

  // Scanned right after a QR arrived (so no /v1/qr is in flight), each in turn; "connected"
  // is compact (the success panel only), under React as anywhere.
  for (const which of ["component", "element"]) {
    const before = (await qrsOf())[which];
    await until(async () => (await qrsOf())[which] > before, `${label}: a fresh QR in the ${which}`, 10_000);
    const pairing = await widgetLayout(page, hosts[which]);
    const r = await fetch(`${sandbox}/_sandbox/numbers/${ids[which]}/scan`, { method: "POST" });
    assert.equal(r.status, 200, await r.text());
    await page.waitForSelector(`${hosts[which]}[data-state="connected"]`, { timeout: 15_000 });
    await new Promise((res) => setTimeout(res, 400)); // past the height's animation
    const done = await widgetLayout(page, hosts[which]);
    assert.ok(pairing.pair && !done.pair && done.done, `${label}: ${which} connected lays out the success panel only (${JSON.stringify(done)})`);
    assert.ok(done.height < pairing.height - 40, `${label}: ${which} compact: ${done.height} px after ${pairing.height} px`);
  }
  await new Promise((r) => setTimeout(r, 1_500)); // a rotation more: any late duplicate shows
  writeFileSync(path.join(OUT, `react-${label}-connected.png`), await page.screenshot({ fullPage: true }));

  const requests = w.qrRequests();
  const result = { label, requests, aborted: w.aborted(), rotations: w.rotations(), sockets: w.sockets.length };
  for (const which of ["component", "element"]) {
    const rec = await recOf(page, which);
    result[which] = { onQr: rec.qr.length, onConnected: rec.connected.length, ready: rec.ready, tokens: rec.tokens };
    assert.deepEqual(rec.connected, [{ numberId: ids[which] }], `${label}: ${which} onConnected once, with its number`);
    assert.deepEqual(rec.errors, [], `${label}: ${which} reported no error`);
    // Each mount counts its QRs from 1, one by one: a second widget would repeat them.
    const attempts = rec.qr.map((q) => q.attempt);
    const split = gen1[which];
    for (const part of [attempts.slice(0, split), attempts.slice(split)]) {
      assert.deepEqual(part, part.map((_, i) => i + 1), `${label}: ${which} QR attempts ${attempts}`);
    }
    assert.equal(rec.ready, 2, `${label}: ${which} ready once per mount`);
    // One /v1/qr per rotation at most (pushed QRs need none), and never the same QR fetched twice.
    const got = w.fetched[which];
    assert.equal(new Set(got).size, got.length, `${label}: ${which} fetched each QR once`);
    assert.ok(requests[which] - w.aborted()[which] <= rec.qr.length, `${label}: ${which} ${requests[which]} /v1/qr for ${rec.qr.length} QRs`);
  }
  // Each QR on the wire (fetched or pushed) shown once: the onQr calls of both widgets.
  assert.equal(result.component.onQr + result.element.onQr, w.rotations(), `${label}: one onQr per rotation (${JSON.stringify(result)})`);
  assert.equal(await page.locator("#component-state").textContent(), "connected");
  assert.equal(await page.locator("#element-state").textContent(), "connected");
  assert.deepEqual(w.errors, [], `${label}: no console error or page error`);
  console.log(`# ${JSON.stringify(result)}`);

  await page.click("#toggle");
  assert.deepEqual(await containers(), { component: 0, element: 0 });
  await until(() => w.sockets.every((s) => s.isClosed()), `${label}: no socket left after the last unmount`, 5_000);
  await page.close();
}

test("React 19 + Vite dev server (StrictMode): <PilotConnect> and <pilot-connect> — one widget, one QR per rotation, one socket, one onConnected; remount; scan connects", async () => {
  await exercise(devUrl, "dev");
});

test("React 19 + Vite production build: the same", async () => {
  await exercise(buildUrl, "build");
});

/** A Meta pairing link (`provider: "META"`) and its connect token (header `crit: ["pck"]`). */
async function metaLinkToken() {
  const r = await fetch(`${sandbox}/v1/numbers/remote-pairing`, { method: "POST",
    headers: { "x-api-key": KEY, "content-type": "application/json" },
    body: JSON.stringify({ provider: "META", metaFlow: "embedded", externalRef: "react-app" }) });
  assert.equal(r.status, 201, await r.clone().text());
  const link = await r.json();
  const token = link.remotePairingToken ?? link.remotePairingUrl.split("/").pop();
  const now = Math.floor(Date.now() / 1000);
  const jwt = signJws({ sub: token, aud: worker, iat: now, exp: now + 600,
    rp: { token, url: link.remotePairingUrl, provider: "META", exp: now + 86_400 } },
  SECRET, { alg: "HS256", typ: "JWT", crit: ["pck"], pck: "remotePairing" });
  return { token, url: link.remotePairingUrl, jwt };
}

for (const [label, url] of [["dev", () => devUrl], ["build", () => buildUrl]]) {
  test(`React 19 + Vite ${label}: <PilotConnect> with a Meta pairing link — Continue with Facebook, the popup, connected`, async () => {
    const link = await metaLinkToken();
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.addInitScript((cfg) => { window.__E2E = cfg; }, { endpoint: worker, tokenA: "", tokenB: "", tokenMeta: link.jwt });
    await page.goto(`${url()}/`);
    const host = "#meta-slot > .widget";
    await page.waitForSelector(`${host}[data-state="waiting"]`, { timeout: 20_000 });
    const button = page.locator(`${host} .signup`);
    await until(async () => (await button.isVisible()) && (await button.textContent()) === "Continuar com o Facebook", `${label}: the signup action`, 5_000);
    const [popup] = await Promise.all([page.waitForEvent("popup"), button.click()]);
    await popup.waitForLoadState();
    assert.equal(popup.url(), link.url, `${label}: the link's hosted signup`);
    const r = await fetch(`${sandbox}/_sandbox/remote-pairing/${link.token}/finish`, { method: "POST", body: "{}" });
    assert.equal(r.status, 200, await r.text());
    await page.waitForSelector(`${host}[data-state="connected"]`, { timeout: 15_000 });
    await until(async () => (await page.locator("#meta-state").textContent()) === "connected", `${label}: React saw connected`, 5_000);
    const rec = await recOf(page, "meta");
    assert.deepEqual(rec.connected, [{ numberId: null }], `${label}: onConnected once`);
    assert.deepEqual(rec.errors, []);
    assert.equal(await page.locator(`${host} .next`).textContent(), "Ir para o painel");
    await until(async () => popup.isClosed(), `${label}: the widget closed its window`, 5_000);
    assert.deepEqual(errors, []);
    writeFileSync(path.join(OUT, `react-${label}-meta-connected.png`), await page.screenshot({ fullPage: true }));
    await page.close();
  });
}

test("tsc --noEmit over the app (the react-ts template's tsconfig, skipLibCheck false: the package's .d.ts too)", () => {
  const tsc = path.join(APP, "node_modules/typescript/bin/tsc");
  const run = (...args) => {
    try {
      return execFileSync(process.execPath, [tsc, "--noEmit", ...args], { cwd: APP, encoding: "utf8" });
    } catch (e) {
      throw new Error(`tsc ${args.join(" ")} failed:\n${e.stdout}${e.stderr}`);
    }
  };
  const files = run("-p", "tsconfig.app.json", "--listFiles");
  for (const f of ["pilot-connect-widget/react.d.ts", "pilot-connect-widget/index.d.ts", "pilot-connect-widget/element.d.ts"]) {
    assert.ok(files.includes(`node_modules/${f}`), `the check covered ${f}`);
  }
  run("-p", "tsconfig.node.json");
});
