// An official (Meta) number in the widget, in real Chromium through the packed widget, the worker
// in workerd and the sandbox (`--meta-numbers pending`): a connect token for a number made with
// POST /v1/numbers/meta shows "waiting on Meta" with Meta's status word — no error panel, and no
// /connect at the sandbox — then "connected" (compact) with `onConnected` once Meta is done; a
// number already connected at Meta shows "connected" at once. Screenshots of the waiting face at
// 390 and 1280 px, light and dark (target/e2e/official/).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, writeFileSync, cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { launchChromium, serveFiles, widgetPage } from "../support/browser.mjs";
import { spawnReady, freePort, signJws, startWorker } from "../support/node.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const BUILT = path.join(ROOT, "target/widget-pkg");
const PKG = mkdtempSync(path.join(tmpdir(), "official-e2e-pkg-"));
const OUT = path.join(ROOT, "target/e2e/official");
const KEY = "ps_official_e2e_tenant_key_04";
const SECRET = "official-e2e-connect-token-secret-0123456789abc";
const PHONE = {
  viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2,
  userAgent: "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
};
const procs = [];
let sandbox, worker, mf, browser, server, site;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const ctl = (route, init) => fetch(`${sandbox}${route}`, init).then((r) => r.json());

let seq = 0;
async function metaNumber() {
  const n = String(++seq).padStart(5, "0");
  const r = await fetch(`${sandbox}/v1/numbers/meta`, {
    method: "POST", headers: { "x-api-key": KEY, "content-type": "application/json" },
    body: JSON.stringify({
      name: "Oficial", number: `+55119690${n}`, metaPhoneId: `1000${n}`, metaWabaId: `2000${n}`,
      metaAccessToken: "EAAG_test_token", metaAppSecret: "app_secret_test", metaAppId: "3000",
    }),
  });
  assert.equal(r.status, 201, await r.clone().text());
  return (await r.json()).number.id;
}

function mint(sub) {
  const now = Math.floor(Date.now() / 1000);
  return signJws({ sub, aud: worker, iat: now, exp: now + 600 }, SECRET);
}

before(async () => {
  mkdirSync(OUT, { recursive: true });
  assert.ok(existsSync(path.join(BUILT, "index.js")), "target/widget-pkg is built (bash tools/build-widget.sh)");
  cpSync(BUILT, PKG, { recursive: true });
  sandbox = await spawnReady(path.join(ROOT, "target/debug/pilot-sandbox"),
    ["--port", "0", "--tenant-key", KEY, "--rate-limit", "0", "--meta-numbers", "pending"], "pilot-sandbox listening on ", { procs });
  ({ url: site, server } = await serveFiles(PKG, { prefix: "/pkg/", page: widgetPage }));
  const port = await freePort();
  worker = `http://127.0.0.1:${port}`;
  ({ mf } = await startWorker({
    PS_API_KEY: KEY, CONNECT_TOKEN_SECRET: SECRET, PS_BASE_URL: sandbox, ALLOWED_ORIGINS: site,
    CONNECT_TOKEN_AUDIENCE: worker, STATUS_POLL_MS: "500", STATUS_TTL_MS: "250",
  }, { port }));
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  server?.close();
  await mf?.dispose();
  for (const p of procs) p.kill("SIGTERM");
  rmSync(PKG, { recursive: true, force: true });
});

async function open(ctxOptions = {}) {
  const ctx = await browser.newContext({ reducedMotion: "reduce", ...ctxOptions });
  const p = await ctx.newPage();
  p.errors = [];
  p.on("pageerror", (e) => p.errors.push(String(e)));
  p.on("console", (m) => { if (m.type() === "error") p.errors.push(m.text()); });
  await p.goto(`${site}/`);
  await p.waitForFunction(() => window.pc);
  return p;
}

async function mount(p, id, locale = "en") {
  await p.evaluate(({ endpoint, token, locale }) => {
    window.rec = { connected: [], errors: [], states: [] };
    window.h = window.pc.mount("#w", { endpoint, token, locale,
      onConnected: (e) => window.rec.connected.push(e), onError: (e) => window.rec.errors.push(e),
      onStateChange: (e) => window.rec.states.push(e.state) });
  }, { endpoint: worker, token: mint(id), locale });
}

const face = (p) => p.evaluate(() => {
  const root = document.querySelector("#w [data-pilot-connect]").shadowRoot;
  const shown = (s) => { const e = root.querySelector(s); return !!e && e.getBoundingClientRect().height > 0 && getComputedStyle(e).visibility !== "hidden"; };
  return {
    wait: shown(".wait"), error: shown(".error"), pair: shown(".pair"), done: shown(".done"),
    title: root.querySelector(".wait-title").textContent, status: shown(".wait-detail") ? root.querySelector(".meta-status").textContent : null,
    height: document.querySelector("#w [data-pilot-connect]").getBoundingClientRect().height,
  };
});

test("waiting on Meta: shown, not refused, never asked for a QR; onConnected once Meta is done", async () => {
  const id = await metaNumber();
  await ctl("/_sandbox/stats", { method: "DELETE" });
  const p = await open();
  await mount(p, id);
  await p.waitForSelector('#w[data-state="waiting"]', { timeout: 20_000 });
  await sleep(1_500);
  const f = await face(p);
  assert.deepEqual({ wait: f.wait, error: f.error, pair: f.pair, title: f.title, status: f.status },
    { wait: true, error: false, pair: false, title: "Official WhatsApp number", status: "PENDING" });
  assert.equal((await ctl("/_sandbox/stats")).hits.connect ?? 0, 0, "no /connect for an official number");
  await ctl(`/_sandbox/numbers/${encodeURIComponent(id)}/meta`, { method: "POST", body: JSON.stringify({ state: "OPEN" }) });
  await p.waitForSelector('#w[data-state="connected"]', { timeout: 15_000 });
  await sleep(300);
  const rec = await p.evaluate(() => window.rec);
  assert.deepEqual(rec.connected, [{ numberId: id }]);
  assert.deepEqual(rec.errors, [], "no onError");
  assert.ok(!rec.states.includes("error"), `no error state: ${rec.states}`);
  const d = await face(p);
  assert.ok(d.done && !d.wait && !d.pair, "the compact connected face");
  assert.equal((await ctl("/_sandbox/stats")).hits.connect ?? 0, 0);
  assert.deepEqual(p.errors, []);
  await p.context().close();
});

test("an official number connected at Meta already: connected at once", async () => {
  const id = await metaNumber();
  await ctl(`/_sandbox/numbers/${encodeURIComponent(id)}/meta`, { method: "POST", body: JSON.stringify({ state: "OPEN" }) });
  const p = await open();
  await mount(p, id);
  await p.waitForSelector('#w[data-state="connected"]', { timeout: 20_000 });
  const rec = await p.evaluate(() => window.rec);
  assert.deepEqual(rec.connected, [{ numberId: id }]);
  assert.deepEqual(rec.states, ["loading", "connected"]);
  await p.context().close();
});

test("screenshots: the waiting face at 390 and 1280 px, light and dark, pt-BR", async () => {
  for (const width of [390, 1280]) {
    for (const scheme of ["light", "dark"]) {
      const id = await metaNumber();
      const p = await open(width === 390 ? { ...PHONE, colorScheme: scheme } : { viewport: { width, height: 800 }, colorScheme: scheme });
      await mount(p, id, "pt-BR");
      await p.waitForSelector('#w[data-state="waiting"]', { timeout: 20_000 });
      await sleep(300);
      const f = await face(p);
      assert.equal(f.title, "Número oficial do WhatsApp");
      assert.ok(f.height < 400, `compact while waiting: ${f.height} px`);
      writeFileSync(path.join(OUT, `waiting-${width}-${scheme}.png`), await p.locator("#w").screenshot());
      await p.context().close();
    }
  }
});
