// A Meta pairing link in the widget, in real Chromium with its popup blocker ON (Playwright turns
// it off by default), through the packed widget, the edge in workerd and the sandbox's hosted
// signup: a connect token for the link shows "Continue with Facebook"; the click opens the hosted
// page in a popup (a popup from a timer is blocked: the control), finishing there says
// "connected" within one poll (counted at the sandbox) with `onConnected({ numberId: null })`;
// a window closed before finishing keeps watching and offers to reopen; a widget in a sandboxed
// frame (a real blocked popup) offers the link; a host page with COOP same-origin (its handle cut)
// never says "closed"; a phone goes to the link and back; an expired link asks `getToken` for a
// new one. Screenshots of each face (target/e2e/signup/).
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
const PKG = mkdtempSync(path.join(tmpdir(), "signup-e2e-pkg-"));
const OUT = path.join(ROOT, "target/e2e/signup");
const KEY = "ps_signup_e2e_tenant_key_26";
const SECRET = "signup-e2e-connect-token-secret-0123456789abcdef";
const LINK_HEADER = { alg: "HS256", typ: "JWT", crit: ["pck"], pck: "remotePairing" };
const PHONE = {
  viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2,
  userAgent: "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
};
const procs = [];
let sandbox, worker, mf, browser, server, site;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const ctl = (route, init) => fetch(`${sandbox}${route}`, init).then((r) => r.json());
const hits = async () => (await ctl("/_sandbox/stats")).hits;

// The host's pages: the widget page, the same under COOP same-origin, and a sandboxed frame of it
// without allow-popups (the widget's popup is really blocked there).
const pages = (url) => {
  // The blocker's control: this page's own script opens a popup from a timer (no gesture; a
  // Playwright `evaluate` would count as one).
  if (url.pathname === "/control") {
    return `<!doctype html><meta charset="utf-8"><script>setTimeout(() => { window.__blocked = window.open("/") === null; }, 100);</script>`;
  }
  if (url.pathname === "/coop") return { html: widgetPage(new URL("/", url)), headers: { "cross-origin-opener-policy": "same-origin" } };
  if (url.pathname === "/framed") {
    return `<!doctype html><meta charset="utf-8"><body><iframe id="f" sandbox="allow-scripts allow-same-origin" src="/" style="width:720px;height:640px;border:0"></iframe>`;
  }
  return widgetPage(url);
};

async function metaLink(redirect = `${site}/?back=1`) {
  const r = await fetch(`${sandbox}/v1/numbers/remote-pairing`, {
    method: "POST", headers: { "x-api-key": KEY, "content-type": "application/json" },
    body: JSON.stringify({ provider: "META", metaFlow: "embedded", redirectUrl: redirect, externalRef: "cust_1" }),
  });
  assert.equal(r.status, 201, await r.clone().text());
  const j = await r.json();
  return { url: j.remotePairingUrl, token: j.remotePairingToken ?? j.remotePairingUrl.split("/").pop() };
}

/** The pairing link's connect token, as `mintConnectToken({ remotePairing })` writes it. */
function mint(link) {
  const now = Math.floor(Date.now() / 1000);
  return signJws({
    sub: link.token, aud: worker, iat: now, exp: now + 600,
    rp: { token: link.token, url: link.url, provider: "META", exp: now + 86_400 },
  }, SECRET, LINK_HEADER);
}

before(async () => {
  mkdirSync(OUT, { recursive: true });
  assert.ok(existsSync(path.join(BUILT, "index.js")), "target/widget-pkg is built (bash tools/build-widget.sh)");
  cpSync(BUILT, PKG, { recursive: true });
  sandbox = await spawnReady(path.join(ROOT, "target/debug/pilot-sandbox"),
    ["--port", "0", "--tenant-key", KEY, "--rate-limit", "0"], "pilot-sandbox listening on ", { procs });
  ({ url: site, server } = await serveFiles(PKG, { prefix: "/pkg/", page: pages }));
  const port = await freePort();
  worker = `http://127.0.0.1:${port}`;
  ({ mf } = await startWorker({
    PS_API_KEY: KEY, CONNECT_TOKEN_SECRET: SECRET, PS_BASE_URL: sandbox, ALLOWED_ORIGINS: site,
    CONNECT_TOKEN_AUDIENCE: worker, STATUS_POLL_MS: "500", STATUS_TTL_MS: "250",
  }, { port }));
  browser = await launchChromium([], { popupBlocker: true });
});

after(async () => {
  await browser?.close();
  server?.close();
  await mf?.dispose();
  for (const p of procs) p.kill("SIGTERM");
  rmSync(PKG, { recursive: true, force: true });
});

async function open(route = "/", ctxOptions = {}) {
  const ctx = await browser.newContext({ reducedMotion: "reduce", ...ctxOptions });
  const p = await ctx.newPage();
  p.errors = [];
  p.on("pageerror", (e) => p.errors.push(String(e)));
  p.on("console", (m) => { if (m.type() === "error") p.errors.push(m.text()); });
  await p.goto(`${site}${route}`);
  return p;
}

/** Mounts in `where` (a page or a frame); `getToken` hands out `window.nextToken` when set. */
async function mount(where, token, locale = "en") {
  await where.waitForFunction(() => window.pc);
  await where.evaluate(({ endpoint, token, locale }) => {
    window.rec = { connected: [], errors: [], states: [] };
    window.h = window.pc.mount("#w", { endpoint, token, locale,
      getToken: () => window.nextToken ?? null,
      onConnected: (e) => window.rec.connected.push(e), onError: (e) => window.rec.errors.push(e),
      onStateChange: (e) => window.rec.states.push(e.state) });
  }, { endpoint: worker, token, locale });
}

const face = (where) => where.evaluate(() => {
  const root = document.querySelector("#w [data-pilot-connect]").shadowRoot;
  const shown = (s) => { const e = root.querySelector(s); return !!e && !e.closest("[hidden]") && e.getBoundingClientRect().height > 0 && getComputedStyle(e).visibility !== "hidden"; };
  const text = (s) => (shown(s) ? root.querySelector(s).textContent : null);
  return {
    state: document.querySelector("#w").dataset.state, title: text(".wait-title"), button: text(".signup"),
    note: text(".signup-note"), link: shown(".signup-link") ? root.querySelector(".signup-link").href : null,
    error: shown(".error"), done: shown(".done"),
  };
});

async function signupFace(where) {
  await where.waitForSelector('#w[data-state="waiting"]', { timeout: 20_000 });
  await where.waitForFunction(() => {
    const b = document.querySelector("#w [data-pilot-connect]")?.shadowRoot?.querySelector(".signup");
    return b && !b.closest("[hidden]") && !b.hidden;
  }, null, { timeout: 10_000 });
}

test("popup blocker on: a timer's popup is blocked, the click's opens the link; finishing there connects within one poll", async () => {
  const link = await metaLink();
  // The control: without the person's click, Chromium refuses the popup.
  // Nothing is evaluated in the page before its timer fires: CDP's evaluate counts as a gesture.
  const c = await open("/control");
  await sleep(600);
  assert.equal(await c.evaluate(() => window.__blocked), true, "a popup from a timer is blocked: the blocker is on");
  assert.equal(c.context().pages().length, 1, "and no window opened");
  await c.context().close();
  const p = await open();
  await mount(p, mint(link));
  await signupFace(p);
  const f0 = await face(p);
  assert.deepEqual([f0.title, f0.button, f0.note, f0.link, f0.error], ["Connect your official WhatsApp number", "Continue with Facebook", null, null, false]);
  writeFileSync(path.join(OUT, "ready-1280-light.png"), await p.locator("#w").screenshot());
  const [popup] = await Promise.all([p.waitForEvent("popup"), p.locator("#w .signup").click()]);
  await popup.waitForLoadState();
  assert.equal(popup.url(), link.url, "the hosted signup of the token's link");
  await p.waitForFunction(() => document.querySelector("#w [data-pilot-connect]").shadowRoot.querySelector(".signup-note").textContent.length > 0);
  const f1 = await face(p);
  assert.match(f1.note, /Finish the signup in the Facebook window/);
  assert.equal(f1.button, "Reopen the window");
  writeFileSync(path.join(OUT, "open-1280-light.png"), await p.locator("#w").screenshot());
  await popup.click("#continue");
  await popup.waitForSelector("#pick-number");
  const before = (await hits()).token_status;
  await popup.click("#finish");
  await p.waitForSelector('#w[data-state="connected"]', { timeout: 10_000 });
  const polls = (await hits()).token_status - before;
  assert.ok(polls <= 2, `connected within one poll of the finish: ${polls} link reads`);
  await sleep(300);
  const rec = await p.evaluate(() => window.rec);
  assert.deepEqual(rec.connected, [{ numberId: null }], "no source named the number (the sandbox's default): null, never the link's token");
  assert.deepEqual(rec.errors, []);
  assert.ok(!rec.states.includes("error"), rec.states.join());
  for (let i = 0; i < 20 && !popup.isClosed(); i++) await sleep(100);
  assert.ok(popup.isClosed(), "the widget closes its signup window once done");
  assert.deepEqual(p.errors, []);
  await p.context().close();
});

test("the window closed before finishing: still watching, reopen offered; finishing later connects", async () => {
  const link = await metaLink();
  const p = await open();
  await mount(p, mint(link));
  await signupFace(p);
  const [popup] = await Promise.all([p.waitForEvent("popup"), p.locator("#w .signup").click()]);
  await popup.waitForLoadState();
  await popup.click("#continue");
  await popup.waitForSelector("#cancel");
  await popup.click("#cancel");
  await popup.waitForSelector('#result[data-outcome="cancelled"]');
  await sleep(3_200);
  await popup.close();
  await p.waitForFunction(() => /closed/.test(document.querySelector("#w [data-pilot-connect]").shadowRoot.querySelector(".signup-note").textContent), null, { timeout: 5_000 });
  const f = await face(p);
  assert.equal(f.state, "waiting");
  assert.equal(f.button, "Reopen the window");
  assert.equal(f.error, false);
  writeFileSync(path.join(OUT, "closed-1280-light.png"), await p.locator("#w").screenshot());
  const [again] = await Promise.all([p.waitForEvent("popup"), p.locator("#w .signup").click()]);
  await again.waitForLoadState();
  assert.equal(again.url(), link.url, "the same link, still usable after a cancel");
  await ctl(`/_sandbox/remote-pairing/${link.token}/finish`, { method: "POST", body: "{}" });
  await p.waitForSelector('#w[data-state="connected"]', { timeout: 10_000 });
  assert.deepEqual((await p.evaluate(() => window.rec)).errors, []);
  await p.context().close();
});

test("a window closed at once (too soon to tell from a cut handle): 'if it is no longer open, open it again'", async () => {
  const link = await metaLink();
  const p = await open();
  await mount(p, mint(link));
  await signupFace(p);
  const [popup] = await Promise.all([p.waitForEvent("popup"), p.locator("#w .signup").click()]);
  await popup.close();
  await p.waitForFunction(() => /no longer open/.test(document.querySelector("#w [data-pilot-connect]").shadowRoot.querySelector(".signup-note").textContent), null, { timeout: 5_000 });
  const f = await face(p);
  assert.equal(f.button, "Reopen the window");
  assert.equal(f.state, "waiting");
  writeFileSync(path.join(OUT, "unsure-1280-light.png"), await p.locator("#w").screenshot());
  await p.context().close();
});

test("in a sandboxed frame without allow-popups the popup is refused: the link is offered instead", async () => {
  const link = await metaLink();
  const p = await open("/framed");
  const frame = p.frame({ url: `${site}/` }) ?? (await (await p.waitForSelector("#f")).contentFrame());
  await mount(frame, mint(link));
  await signupFace(frame);
  await frame.locator("#w .signup").click();
  await frame.waitForFunction(() => {
    const a = document.querySelector("#w [data-pilot-connect]").shadowRoot.querySelector(".signup-link");
    return a && !a.hidden && a.href;
  }, null, { timeout: 5_000 });
  const f = await face(frame);
  assert.equal(f.link, link.url, "the link goes to the hosted signup");
  assert.match(f.note, /blocked the Facebook window/);
  assert.equal(f.button, null, "the refused button is not offered again");
  assert.equal(await frame.evaluate(() => location.href), `${site}/`, "the frame itself never navigates to the signup");
  writeFileSync(path.join(OUT, "blocked-frame.png"), await p.locator("#f").screenshot());
  // What the browser does with the link in this frame (target=_blank needs allow-popups there too).
  const opened = await Promise.race([
    p.context().waitForEvent("page", { timeout: 2_000 }).then(() => true, () => false),
    frame.locator("#w .signup-link").click().then(() => sleep(2_100)).then(() => false),
  ]);
  p.linkOpened = opened;
  console.log(`# sandboxed frame: the link ${opened ? "opened a new tab" : "was refused by the frame's sandbox too"}`);
  await p.context().close();
});

test("a host page with COOP same-origin loses the window's handle: never a false 'closed'", async () => {
  const link = await metaLink();
  const p = await open("/coop");
  await mount(p, mint(link));
  await signupFace(p);
  const pagesBefore = p.context().pages().length;
  await p.locator("#w .signup").click();
  for (let i = 0; i < 50 && p.context().pages().length === pagesBefore; i++) await sleep(100);
  const popup = p.context().pages().find((x) => x !== p);
  assert.ok(popup, "the hosted signup opened");
  await popup.waitForLoadState();
  assert.equal(popup.url(), link.url);
  assert.equal(await popup.evaluate(() => window.opener === null), true, "COOP cut the windows apart (the popup has no opener)");
  await sleep(5_000);
  const f = await face(p);
  assert.match(f.note, /Finish the signup in the Facebook window/, "still 'finish in the window', never 'closed'");
  assert.doesNotMatch(f.note, /closed/, "never a false 'the window closed'");
  await popup.click("#continue");
  await popup.waitForSelector("#pick-number");
  await popup.click("#finish");
  await p.waitForSelector('#w[data-state="connected"]', { timeout: 10_000 });
  await p.context().close();
});

test("the phone goes to the link and comes back: a mount for the same link shows connected at once", async () => {
  const link = await metaLink(`${site}/?back=1`);
  const p = await open("/", PHONE);
  await mount(p, mint(link), "pt-BR");
  await signupFace(p);
  const f = await face(p);
  assert.equal(f.button, "Continuar com o Facebook");
  writeFileSync(path.join(OUT, "ready-390-light.png"), await p.locator("#w").screenshot());
  await Promise.all([p.waitForURL(link.url), p.locator("#w .signup").tap()]);
  assert.equal(p.context().pages().length, 1, "no popup on a phone: the page itself went");
  await p.click("#continue");
  await p.waitForSelector("#pick-number");
  await p.click("#finish");
  await p.waitForURL(`${site}/?back=1`);
  // Back on the host page, which mounts the widget again with a token for the same link.
  await mount(p, mint(link), "pt-BR");
  await p.waitForSelector('#w[data-state="connected"]', { timeout: 10_000 });
  const rec = await p.evaluate(() => window.rec);
  assert.deepEqual(rec.connected, [{ numberId: null }]);
  assert.ok(!rec.states.includes("waiting"), `connected at once, never the signup face again: ${rec.states}`);
  writeFileSync(path.join(OUT, "connected-390-light.png"), await p.locator("#w").screenshot());
  await p.context().close();
});

test("an expired link: onError link_expired once, getToken's new link starts afresh", async () => {
  const dead = { token: "rp_expired_in_e2e", url: `${sandbox}/connect/rp_expired_in_e2e` };
  const fresh = await metaLink();
  const p = await open();
  await p.evaluate((t) => { window.nextToken = t; }, mint(fresh));
  await mount(p, mint(dead));
  await signupFace(p);
  const rec = await p.evaluate(() => window.rec);
  assert.deepEqual(rec.errors.map((e) => e.kind), ["link_expired"]);
  const [popup] = await Promise.all([p.waitForEvent("popup"), p.locator("#w .signup").click()]);
  await popup.waitForLoadState();
  assert.equal(popup.url(), fresh.url, "the new link's signup");
  await popup.close();
  // Without a new link: the expired panel, told once.
  const q = await open();
  await mount(q, mint(dead));
  await q.waitForSelector('#w[data-state="error"]', { timeout: 10_000 });
  const r = await q.evaluate(() => window.rec);
  assert.deepEqual(r.errors.map((e) => e.kind), ["link_expired"]);
  const text = await q.evaluate(() => document.querySelector("#w [data-pilot-connect]").shadowRoot.querySelector(".error-title").textContent);
  assert.equal(text, "Link expired");
  await p.context().close();
  await q.context().close();
});

test("screenshots: the signup face at 390 and 1280 px, light and dark", async () => {
  for (const width of [390, 1280]) {
    for (const scheme of ["light", "dark"]) {
      const link = await metaLink();
      const p = await open("/", width === 390 ? { ...PHONE, colorScheme: scheme } : { viewport: { width, height: 800 }, colorScheme: scheme });
      await mount(p, mint(link), "pt-BR");
      await signupFace(p);
      await sleep(200);
      writeFileSync(path.join(OUT, `signup-${width}-${scheme}.png`), await p.locator("#w").screenshot());
      assert.deepEqual(p.errors, []);
      await p.context().close();
    }
  }
});
