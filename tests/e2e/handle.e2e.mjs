// The package's handle and element, on the SHIPPED build (target/widget-pkg: the no_std wasm, the
// minified entry) in real Chromium against the worker (workerd) and the sandbox: mount() returns
// its handle at once and is awaitable; destroy() before ready cancels (no DOM, no /v1/qr, no
// socket); every op of the wasm's call(op) table reached through the handle; handle calls from
// inside callbacks (destroy() in onConnected, restart() in onError) run without errors;
// <pilot-connect> connected/disconnected quickly leaves one widget; its properties take effect.
// Also in Node: mount() without a DOM rejects with the documented error and fetches nothing.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import path from "node:path";
import { launchChromium, serveFiles, widgetPage } from "../support/browser.mjs";
import { spawnReady, freePort, signJws, startWorker } from "../support/node.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const PKG = path.join(ROOT, "target/widget-pkg");
const KEY = "ps_handle_tenant_key_0123";
const SECRET = "handle-connect-token-secret-0123456789abcdef";
const procs = [];
let sandbox, worker, mf, server, pageUrl, browser;

before(async () => {
  assert.ok(existsSync(path.join(PKG, "pilot_connect_bg.wasm")), "target/widget-pkg is built (tools/build-widget.sh)");
  sandbox = await spawnReady(path.join(ROOT, "target/debug/pilot-sandbox"),
    ["--port", "0", "--tenant-key", KEY, "--time-scale", "20"], "pilot-sandbox listening on ", { procs });
  // The page: an empty document that imports the shipped entry as window.pc; /pkg/ is the package.
  ({ url: pageUrl, server } = await serveFiles(PKG, {
    prefix: "/pkg/",
    page: widgetPage,
  }));
  const workerPort = await freePort();
  worker = `http://127.0.0.1:${workerPort}`;
  // A long QR life: no rotation in the middle of a count of /v1/qr requests.
  ({ mf } = await startWorker({
    PS_API_KEY: KEY, CONNECT_TOKEN_SECRET: SECRET, PS_BASE_URL: sandbox, ALLOWED_ORIGINS: pageUrl,
    CONNECT_TOKEN_AUDIENCE: worker, QR_REFRESH_MS: "60000",
  }, { port: workerPort }));
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await mf?.dispose();
  server?.close();
  for (const p of procs) p.kill("SIGTERM");
});

let phone = 0;
async function newNumber() {
  const r = await fetch(`${sandbox}/v1/numbers`, { method: "POST", headers: { "x-api-key": KEY, "content-type": "application/json" },
    body: JSON.stringify({ name: "Handle check", number: `+55119620${String(++phone).padStart(5, "0")}` }) });
  assert.equal(r.status, 201);
  return (await r.json()).instance.id;
}

function mint(sub, secret = SECRET) {
  const now = Math.floor(Date.now() / 1000);
  return signJws({ sub, aud: worker, iat: now, exp: now + 600 }, secret);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A fresh page on the test document, watched: errors, /v1/qr requests, sockets. */
async function open() {
  const page = await browser.newPage({ viewport: { width: 900, height: 900 } });
  const seen = { errors: [], qr: 0, sockets: [] };
  page.on("pageerror", (e) => seen.errors.push(`pageerror: ${e}`));
  page.on("console", (m) => { if (m.type() === "error") seen.errors.push(`console: ${m.text()}`); });
  page.on("request", (r) => { if (new URL(r.url()).pathname === "/v1/qr") seen.qr++; });
  page.on("websocket", (ws) => seen.sockets.push(ws));
  await page.goto(`${pageUrl}/`);
  await page.waitForFunction(() => !!window.pc);
  return { page, seen };
}

const stateOf = (page, sel) => page.evaluate((s) => document.querySelector(s).dataset.state ?? null, sel);
const containers = (page) => page.evaluate(() => document.querySelectorAll("[data-pilot-connect]").length);

test("mount() without a DOM (Node) rejects with the documented error and fetches nothing", async () => {
  const calls = [];
  const realFetch = globalThis.fetch;
  globalThis.fetch = (...a) => { calls.push(a); return realFetch(...a); };
  try {
    const { mount } = await import(pathToFileURL(path.join(PKG, "index.js")).href);
    const h = mount("#wa", { endpoint: "https://connect.example.com", token: "t" });
    assert.equal(typeof h.destroy, "function", "the handle at once, even here");
    await assert.rejects(h, { message: "pilot-connect: mount needs a browser window" });
    assert.equal(h.state, "destroyed");
    h.update({ locale: "en" }); // inert, never throws
    h.destroy();
    assert.equal(calls.length, 0, "nothing fetched (the wasm was never loaded)");
  } finally {
    globalThis.fetch = realFetch;
  }
});

test("mount() returns the handle synchronously; destroy() before ready cancels: no DOM, no /v1/qr, no socket", async () => {
  const token = mint(await newNumber());
  const { page, seen } = await open();
  for (const warm of [false, true]) {
    // Cold (the wasm not loaded yet) and warm (after preload(): still one microtask away).
    if (warm) await page.evaluate(() => window.pc.preload());
    const r = await page.evaluate(({ endpoint, token }) => {
      const calls = [];
      const h = window.pc.mount("#w", { endpoint, token, onStateChange: (e) => calls.push(e.state), onReady: () => calls.push("ready") });
      const sync = { promise: h instanceof Promise, methods: ["mount", "unmount", "destroy", "update", "restart"].every((k) => typeof h[k] === "function"), state: h.state };
      h.update({ locale: "es" });
      h.destroy();
      return h.then((plain) => ({
        sync, after: h.state, plainState: plain.state, plainThen: "then" in plain, calls,
        dom: document.querySelectorAll("[data-pilot-connect]").length, attr: document.querySelector("#w").hasAttribute("data-state"),
      }));
    }, { endpoint: worker, token });
    assert.deepEqual(r.sync, { promise: true, methods: true, state: "idle" }, `${warm ? "warm" : "cold"}: a handle and a promise at once`);
    assert.equal(r.after, "destroyed");
    assert.equal(r.plainState, "destroyed", "the promise resolves with the destroyed handle");
    assert.equal(r.plainThen, false, "the resolved handle has no then()");
    await sleep(1500); // what a cancelled mount would have done by now
    assert.equal(await containers(page), 0, "no widget in the DOM");
    assert.equal(await page.evaluate(() => document.querySelector("#w").hasAttribute("data-state")), false);
    assert.equal(seen.qr, 0, "no /v1/qr request");
    assert.equal(seen.sockets.length, 0, "no WebSocket");
    assert.deepEqual(r.calls, [], "no callback ran");
    // After destroy: mount(target) throws, the rest are inert.
    const thrown = await page.evaluate(({ endpoint, token }) => {
      const h = window.pc.mount("#w", { endpoint, token });
      h.destroy();
      try { h.mount("#w2"); return null; } catch (e) { return e.message; }
    }, { endpoint: worker, token });
    assert.equal(thrown, "pilot-connect: this widget was destroyed");
  }
  assert.deepEqual(seen.errors, []);
  await page.close();
});

test("await mount() → a plain handle; each op of call(op): state, update, restart, unmount, mount(target), destroy", async (t) => {
  const token = mint(await newNumber());
  const { page, seen } = await open();
  // The glue exports the op numbers (Rust's enum, the one source the entry reads).
  const op = await page.evaluate(async () => (await import("/pkg/pilot_connect.js")).Op ?? null);
  const OPS = { Mount: 0, Unmount: 1, Destroy: 2, Update: 3, Restart: 4, State: 5 };
  assert.ok(op, "the glue exports Op");
  for (const [k, v] of Object.entries(OPS)) assert.equal(op[k], v, `Op.${k}`);
  const r = await page.evaluate(async ({ endpoint, token }) => {
    const p = window.pc.mount("#w", { endpoint, token, locale: "en" });
    // Called before ready: applied in order once it is.
    p.update({ locale: "es" });
    const h = await p;
    window.h = h;
    return { then: "then" in h, keys: Object.keys(h).sort(), state: h.state, sameWidget: p.state === h.state };
  }, { endpoint: worker, token });
  assert.equal(r.then, false, "no then(): await ends on it");
  assert.deepEqual(r.keys, ["destroy", "mount", "restart", "state", "unmount", "update"], "no free(), nothing else");
  assert.ok(["loading", "pairing"].includes(r.state), `state once mounted: ${r.state}`);
  await page.waitForSelector('#w[data-state="pairing"]', { timeout: 20000 });
  assert.equal(await page.locator("#w .psw").getAttribute("lang"), "es", "the update() queued before ready was applied");
  assert.equal(seen.qr, 1, "one /v1/qr");
  // Update: the language in place.
  await page.evaluate(() => window.h.update({ locale: "pt-BR" }));
  assert.equal(await page.locator("#w .psw").getAttribute("lang"), "pt-BR");
  assert.equal(seen.qr, 1, "update() fetched nothing");
  // Restart: a fresh code now.
  await page.evaluate(() => window.h.restart());
  for (let i = 0; i < 100 && seen.qr < 2; i++) await sleep(50);
  assert.equal(seen.qr, 2, "restart() asked for a new code");
  await page.waitForSelector('#w[data-state="pairing"]', { timeout: 20000 });
  // Unmount, then mount into another target.
  const socketsBefore = seen.sockets.length;
  await page.evaluate(() => window.h.unmount());
  assert.equal(await page.evaluate(() => window.h.state), "unmounted");
  assert.equal(await containers(page), 0);
  assert.equal(await stateOf(page, "#w"), null);
  for (let i = 0; i < 40 && seen.sockets.some((ws) => !ws.isClosed()); i++) await sleep(50);
  assert.ok(seen.sockets.every((ws) => ws.isClosed()), "unmount() closed the push stream");
  await page.evaluate(() => window.h.mount("#w2"));
  await page.waitForSelector('#w2[data-state="pairing"]', { timeout: 20000 });
  assert.equal(await page.evaluate(() => document.querySelector("#w2 [data-pilot-connect]") !== null), true);
  assert.equal(await containers(page), 1);
  assert.equal(seen.qr, 3);
  // Destroy: final.
  for (let i = 0; i < 100 && seen.sockets.length === socketsBefore; i++) await sleep(50);
  await page.evaluate(() => window.h.destroy());
  assert.equal(await page.evaluate(() => window.h.state), "destroyed");
  assert.equal(await containers(page), 0);
  for (let i = 0; i < 40 && seen.sockets.some((ws) => !ws.isClosed()); i++) await sleep(50);
  assert.ok(seen.sockets.every((ws) => ws.isClosed()), "destroy() closed the push stream");
  assert.deepEqual(seen.errors, []);
  await page.close();
});

test("destroy() inside onConnected runs (sandbox scan), with no recursive-use error", async () => {
  const id = await newNumber();
  const { page, seen } = await open();
  await page.evaluate(({ endpoint, token }) => {
    window.connected = [];
    window.h = window.pc.mount("#w", { endpoint, token, locale: "en", onConnected: (e) => {
      window.connected.push(e);
      window.h.destroy();
      window.stateInCallback = window.h.state;
    } });
  }, { endpoint: worker, token: mint(id) });
  await page.waitForSelector('#w[data-state="pairing"]', { timeout: 20000 });
  const scan = await fetch(`${sandbox}/_sandbox/numbers/${encodeURIComponent(id)}/scan`, { method: "POST" });
  assert.ok(scan.ok, `sandbox scan: ${scan.status}`);
  await page.waitForFunction(() => window.connected.length > 0 && window.h.state === "destroyed", null, { timeout: 20000 });
  await sleep(500);
  const r = await page.evaluate(() => ({ connected: window.connected, state: window.h.state }));
  assert.equal(r.connected.length, 1, "onConnected once");
  assert.equal(r.connected[0].numberId, id);
  assert.equal(r.state, "destroyed", "the queued destroy() ran after the callback");
  assert.equal(await containers(page), 0, "the widget is gone");
  for (let i = 0; i < 40 && seen.sockets.some((ws) => !ws.isClosed()); i++) await sleep(50);
  assert.ok(seen.sockets.every((ws) => ws.isClosed()), "no socket left open");
  assert.deepEqual(seen.errors, []);
  await page.close();
});

test("restart() inside onError runs (the worker refuses the token), with no recursive-use error", async () => {
  const id = await newNumber();
  const { page, seen } = await open();
  await page.evaluate(({ endpoint, token }) => {
    window.errors = [];
    window.h = window.pc.mount("#w", { endpoint, token, locale: "en", onError: (e) => {
      window.errors.push(e.kind);
      if (window.errors.length === 1) window.h.restart();
    } });
  }, { endpoint: worker, token: mint(id, "not-the-worker-secret-0123456789abcdef") });
  await page.waitForFunction(() => window.errors.length >= 2, null, { timeout: 20000 });
  await sleep(500);
  const r = await page.evaluate(() => ({ errors: window.errors, state: window.h.state }));
  assert.deepEqual(r.errors, ["unauthorized", "unauthorized"], "the restart() from inside onError asked again, once");
  assert.equal(r.state, "error");
  assert.equal(seen.qr, 2, "two /v1/qr: the first and the restart's");
  assert.equal(await containers(page), 1);
  await page.evaluate(() => window.h.destroy());
  // Chromium logs each refused request (the 401s this test asks for) as a console error.
  const refused = "console: Failed to load resource: the server responded with a status of 401 (Unauthorized)";
  assert.deepEqual(seen.errors.filter((e) => e !== refused), []);
  await page.close();
});

test("<pilot-connect>: connect/disconnect/connect leaves one widget; properties set before define and after connect take effect", async () => {
  const [a, b] = [await newNumber(), await newNumber()];
  const { page, seen } = await open();
  await page.evaluate(({ endpoint, token }) => {
    const el = document.createElement("pilot-connect");
    el.id = "el";
    // Before defineCustomElement(): plain properties on the instance, picked up at upgrade.
    el.messages = { title: "Before define" };
    el.options = { onConnected: (e) => (window.elConnected ??= []).push(e) };
    el.setAttribute("endpoint", endpoint);
    el.setAttribute("token", token);
    window.el = el;
    window.pc.defineCustomElement();
    // React StrictMode / a quick move: connected, disconnected, connected in one task.
    document.body.append(el);
    el.remove();
    document.body.append(el);
  }, { endpoint: worker, token: mint(a) });
  await page.waitForSelector('#el[data-state="pairing"]', { timeout: 20000 });
  await sleep(500);
  assert.equal(await containers(page), 1, "one widget");
  assert.equal(seen.qr, 1, "one /v1/qr");
  assert.equal(await page.locator("#el .title").textContent(), "Before define");
  // In place: locale (property → attribute), messages, appearance, mode.
  await page.evaluate(() => { window.el.locale = "es"; window.el.messages = { title: "After connect" }; window.el.appearance = { variant: "plain" }; window.el.mode = "qr"; });
  assert.equal(await page.locator("#el .psw").getAttribute("lang"), "es");
  assert.equal(await page.evaluate(() => window.el.getAttribute("locale")), "es");
  assert.equal(await page.locator("#el .title").textContent(), "After connect");
  assert.equal(seen.qr, 1, "no re-mount for in-place properties");
  assert.ok(["pairing", "refreshing"].includes(await page.evaluate(() => window.el.state)));
  // restart(): a fresh code.
  await page.evaluate(() => window.el.restart());
  for (let i = 0; i < 100 && seen.qr < 2; i++) await sleep(50);
  assert.equal(seen.qr, 2);
  // A new token: re-mount (one widget still), with getToken as a property.
  await page.evaluate((token) => { window.el.getToken = async () => token; window.el.token = token; }, mint(b));
  for (let i = 0; i < 100 && seen.qr < 3; i++) await sleep(50);
  await page.waitForSelector('#el[data-state="pairing"]', { timeout: 20000 });
  await sleep(300);
  assert.equal(seen.qr, 3, "one /v1/qr for the re-mount");
  assert.equal(await containers(page), 1);
  assert.equal(await page.locator("#el .psw").getAttribute("lang"), "es", "the look carried over the re-mount");
  // Connected, through the callbacks of `options`.
  const scan = await fetch(`${sandbox}/_sandbox/numbers/${encodeURIComponent(b)}/scan`, { method: "POST" });
  assert.ok(scan.ok);
  await page.waitForSelector('#el[data-state="connected"]', { timeout: 20000 });
  assert.deepEqual(await page.evaluate(() => window.elConnected.map((e) => e.numberId)), [b]);
  // Removed: destroyed.
  await page.evaluate(() => window.el.remove());
  assert.equal(await containers(page), 0);
  assert.equal(await page.evaluate(() => window.el.state), "idle");
  assert.deepEqual(seen.errors, []);
  await page.close();
});

// The edge closes a push stream whose token lapsed (its exp + 30 s leeway). These tokens were
// minted 10 s past their exp: the edge takes them, and they lapse 20 s after minting; the widget
// renews such a token after its least wait (10 s after its stream opened). Timings are absolute
// from the mint, so a slow machine moves nothing but the margins.
/** The phone scans now: a fresh QR ref first (this sandbox runs 20× faster than the tokens' clock). */
async function scanNow(id) {
  await fetch(`${sandbox}/v1/numbers/${encodeURIComponent(id)}/connect`, { headers: { "x-api-key": KEY } });
  return (await fetch(`${sandbox}/_sandbox/numbers/${encodeURIComponent(id)}/scan`, { method: "POST" })).ok;
}

function lapsing(sub) {
  const now = Math.floor(Date.now() / 1000);
  return { token: signJws({ sub, aud: worker, iat: now - 100, exp: now - 10 }, SECRET), lapsesAt: (now + 20) * 1000 };
}
const sleepUntil = (t) => sleep(Math.max(0, t - Date.now()));

test("the push stream's token is renewed over the stream (getToken) before it lapses: one socket to connected", async () => {
  const id = await newNumber();
  const { page, seen } = await open();
  const sent = [];
  page.on("websocket", (ws) => ws.on("framesent", (f) => sent.push(String(f.payload))));
  const { token, lapsesAt } = lapsing(id);
  await page.evaluate(({ endpoint, token, fresh }) => {
    window.connected = [];
    window.h = window.pc.mount("#w", { endpoint, token, getToken: () => fresh, onConnected: (e) => window.connected.push(e) });
  }, { endpoint: worker, token, fresh: mint(id) });
  await page.waitForSelector('#w[data-state="pairing"]', { timeout: 20000 });
  for (let i = 0; i < 400 && !sent.some((f) => f.startsWith('{"renew":')); i++) await sleep(50);
  assert.equal(sent.filter((f) => f.startsWith('{"renew":')).length, 1, `one renewal sent: ${sent}`);
  assert.ok(Date.now() < lapsesAt, "renewed before the lapse");
  await sleepUntil(lapsesAt + 1500);
  assert.ok(await scanNow(id));
  await page.waitForFunction(() => window.connected.length > 0, null, { timeout: 20000 });
  assert.equal(seen.sockets.length, 1, "the stream lived on: no reopening");
  assert.deepEqual(seen.errors, []);
  await page.close();
});

test("a push stream the edge closed for a lapsed token reopens at once with a fresh token (getToken)", async () => {
  const id = await newNumber();
  const { page, seen } = await open();
  const { token: stale, lapsesAt } = lapsing(id);
  const fresh = mint(id);
  await page.evaluate(({ endpoint, stale, fresh, lapsesAt }) => {
    window.connected = [];
    // Before the lapse getToken gives nothing (the stream's renewal fails, so it lapses); after
    // it, a fresh token.
    window.h = window.pc.mount("#w", { endpoint, token: stale, getToken: () => (Date.now() < lapsesAt ? null : fresh),
      onConnected: (e) => window.connected.push(e) });
  }, { endpoint: worker, stale, fresh, lapsesAt });
  await page.waitForSelector('#w[data-state="pairing"]', { timeout: 20000 });
  await sleepUntil(lapsesAt + 1500);
  // "connected" is pushed: the lapsed stream is closed instead (4001); the widget reopens it
  // with the fresh token and reads "connected" from the new stream's first frame.
  assert.ok(await scanNow(id));
  await page.waitForFunction(() => window.connected.length > 0, null, { timeout: 20000 });
  assert.equal(seen.sockets.length, 2, `one reopening; requests: ${JSON.stringify(seen)}`);
  assert.equal(await page.evaluate(() => window.connected.length), 1);
  assert.deepEqual(seen.errors, []);
  await page.close();
});
