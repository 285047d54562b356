// pilot-connect-widget/react in the fresh Next.js App Router app: app/connect/page.tsx (a server
// component) renders a client component with <PilotConnect>, whose getToken asks the app's route
// handler (POST /api/connect-token, on pilot-connect-server). The same `next build` as
// next.test.mjs (test/app.mjs builds once), then `next start` against the real worker (workerd)
// and the sandbox: the server-rendered HTML holds the widget's empty mount <div> and no widget;
// hydrated in Chromium it shows one widget (one container, one push stream, one onConnected),
// fetches each QR once, and connects after a sandbox scan.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { launchChromium, widgetLayout } from "../../support/browser.mjs";
import { freePort, spawnReady, startWorker } from "../../support/node.mjs";
import { ensureWorkerBuild, phone } from "../../support/recipes.mjs";
import { watchPage, until } from "../../support/widget-page.mjs";
import { ROOT, appAddress, buildOnce, startNext } from "./app.mjs";

const KEY = "ps_next_widget_tenant_key_3e2f1a";
const TOKEN_SECRET = "next-widget-connect-token-secret-0123456789";
const OUT = path.join(ROOT, "target/e2e");
const procs = [];
let app, sandbox, worker, mf, browser;

before(async () => {
  mkdirSync(OUT, { recursive: true });
  ensureWorkerBuild();
  await buildOnce();
  const { port, url } = await appAddress();
  app = url;
  const workerPort = await freePort();
  worker = `http://127.0.0.1:${workerPort}`;
  // 20×: the first QR lives 3 s, later ones 1 s. No webhooks: the worker's session learns
  // "connected" by its own status check (every 500 ms here).
  sandbox = await spawnReady(path.join(ROOT, "target/debug/pilot-sandbox"),
    ["--port", "0", "--tenant-key", KEY, "--time-scale", "20"], "pilot-sandbox listening on ", { procs });
  ({ mf } = await startWorker({
    PS_API_KEY: KEY, CONNECT_TOKEN_SECRET: TOKEN_SECRET, PS_BASE_URL: sandbox, ALLOWED_ORIGINS: app,
    CONNECT_TOKEN_AUDIENCE: worker, QR_REFRESH_MS: "1000", STATUS_POLL_MS: "500",
  }, { port: workerPort }));
  await startNext(port, { PS_API_KEY: KEY, PS_BASE_URL: sandbox, CONNECT_TOKEN_SECRET: TOKEN_SECRET,
    CONNECT_TOKEN_AUDIENCE: worker, APP_ORIGIN: app, PILOT_EDGE_URL: worker }, procs);
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await mf?.dispose();
  procs.forEach((p) => p.kill());
});

/** A number created through the app's own route handler (POST /api/numbers). */
async function newNumber() {
  const r = await fetch(`${app}/api/numbers`, { method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: "Loja Next widget", number: phone("5") }) });
  assert.equal(r.status, 201, await r.clone().text());
  return (await r.json()).id;
}

test("SSR: /connect renders the page and <PilotConnect>'s empty mount <div>, no widget, no crash", async () => {
  const id = await newNumber();
  const r = await fetch(`${app}/connect?number=${encodeURIComponent(id)}`);
  assert.equal(r.status, 200);
  const html = await r.text();
  // (assert.ok, not match: a failure should not print the whole page)
  assert.ok(html.includes("<h1>Connect your WhatsApp</h1>"), "the page");
  assert.ok(/<section id="connect-slot"><div class="widget"><\/div>/.test(html), "the mount <div>, empty, from the server");
  assert.ok(!html.includes("data-pilot-connect"), "nothing of the widget itself on the server");
  assert.ok(!/Application error|Internal Server Error/.test(html), "no server error page");
});

test("hydrated in Chromium: one widget, one /v1/qr per rotation, one socket, one onConnected; a scan connects", async () => {
  const id = await newNumber();
  const page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
  // One widget (its token comes from the app: the test does not know it).
  const w = watchPage(page, "widget");
  await page.goto(`${app}/connect?number=${encodeURIComponent(id)}`);
  await page.waitForSelector('#connect-slot > .widget[data-state="pairing"]', { timeout: 20_000 });
  const qrs = async () => (await page.evaluate(() => window.__rec?.qr.length ?? 0));
  await until(async () => (await qrs()) >= 2, "a QR rotation", 20_000);
  const containers = () => page.locator("#connect-slot [data-pilot-connect]").count();
  assert.equal(await containers(), 1, "one widget in the mount point");
  assert.equal(await page.locator("#connect-slot > .widget").count(), 1, "one mount <div> (hydrated, not doubled)");
  assert.equal(w.sockets.length, 1, "one push stream");
  writeFileSync(path.join(OUT, "next-pairing.png"), await page.screenshot());

  // Scanned right after a QR arrived, so no /v1/qr is in flight.
  const n = await qrs();
  await until(async () => (await qrs()) > n, "a fresh QR", 10_000);
  const pairing = await widgetLayout(page, "#connect-slot > .widget");
  const scan = await fetch(`${sandbox}/_sandbox/numbers/${id}/scan`, { method: "POST" });
  assert.equal(scan.status, 200, await scan.text());
  await page.waitForSelector('#connect-slot > .widget[data-state="connected"]', { timeout: 15_000 });
  await new Promise((r) => setTimeout(r, 1_500)); // a rotation more: any late duplicate shows
  // "Connected" is compact in the Next page too: the success panel only.
  const done = await widgetLayout(page, "#connect-slot > .widget");
  assert.ok(pairing.pair && !done.pair && done.done, `connected lays out the success panel only (${JSON.stringify(done)})`);
  assert.ok(done.height < pairing.height - 40, `compact: ${done.height} px after ${pairing.height} px`);
  writeFileSync(path.join(OUT, "next-connected.png"), await page.screenshot());

  const rec = await page.evaluate(() => window.__rec);
  const requests = w.qrRequests().widget;
  const result = { requests, aborted: w.aborted(), rotations: w.rotations(), onQr: rec.qr.length,
    onConnected: rec.connected.length, sockets: w.sockets.length, tokens: rec.tokens };
  console.log(`# ${JSON.stringify(result)}`);
  assert.deepEqual(rec.connected, [{ numberId: id }], "onConnected once, with the number");
  assert.deepEqual(rec.qr.map((q) => q.attempt), rec.qr.map((_, i) => i + 1), "QR attempts counted once each");
  assert.equal(new Set(w.fetched.widget).size, w.fetched.widget.length, "each QR fetched once");
  assert.ok(requests <= rec.qr.length, `${requests} /v1/qr for ${rec.qr.length} QRs`);
  assert.equal(rec.qr.length, w.rotations(), "one onQr per rotation on the wire");
  assert.equal(w.aborted().widget ?? 0, 0, "no request dropped");
  assert.equal(w.sockets.length, 1, "still one push stream");
  assert.equal(await containers(), 1);
  assert.equal(rec.tokens, 1, "getToken asked once (inline, re-created on every render: no re-mount)");
  assert.deepEqual(rec.errors, []);
  assert.equal(await page.locator("#connect-state").textContent(), "connected");
  assert.deepEqual(w.errors, [], "no console error or page error");
  await page.close();
});

test("an official number: /connect/official renders <PilotConnect> for the customer's Meta signup link — Continue with Facebook, the popup, connected", async () => {
  const customer = `next-official-${Date.now()}`;
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  await page.goto(`${app}/connect/official?customer=${encodeURIComponent(customer)}`);
  const host = "#official-slot > .widget";
  await page.waitForSelector(`${host}[data-state="waiting"]`, { timeout: 30_000 });
  const button = page.locator(`${host} .signup`);
  await until(async () => (await button.isVisible()) && (await button.textContent()) === "Continuar com o Facebook", "the signup action", 5_000);
  const links = await (await fetch(`${app}/api/meta-links`)).json();
  const link = (Array.isArray(links) ? links : Object.values(links)).find((l) => l.customerId === customer);
  assert.ok(link, `the app made the customer's link: ${JSON.stringify(links)}`);
  const [popup] = await Promise.all([page.waitForEvent("popup"), button.click()]);
  await popup.waitForLoadState();
  assert.equal(popup.url(), link.linkUrl, "the customer's hosted signup");
  const token = link.linkUrl.split("/").pop();
  const r = await fetch(`${sandbox}/_sandbox/remote-pairing/${token}/finish`, { method: "POST", body: "{}" });
  assert.equal(r.status, 200, await r.text());
  await page.waitForSelector(`${host}[data-state="connected"]`, { timeout: 15_000 });
  await until(async () => (await page.locator("#official-state").textContent()) === "connected", "React saw connected", 5_000);
  const rec = await page.evaluate(() => window.__official);
  assert.equal(rec.connected.length, 1, "onConnected once");
  assert.deepEqual(rec.errors, []);
  assert.equal(rec.tokens, 1, "one token for the link");
  await until(async () => popup.isClosed(), "the widget closed its window", 5_000);
  assert.deepEqual(errors, [], "no console error or page error");
  writeFileSync(path.join(OUT, "next-official-connected.png"), await page.screenshot());
  await page.close();
});
