// The tenant's branding and the compact "connected", in real Chromium (playwright-core) through the
// packed widget (target/widget-pkg), the worker in workerd and the sandbox:
// - with no page option, what the tenant set (PUT /v1/branding) appears: company name, subtitle,
//   logo (served by request interception: https://logo.test/…), "Need help?", brand colours;
// - the page's options win field by field; javascript:, http: and data: logos are refused (mount
//   throws, nothing is fetched); a logo that fails to load is hidden;
// - the rendered colours are readable: #ffff00 on white and #111111 on black are adjusted
//   (WCAG AA, computed in the page from what is drawn);
// - "connected" is compact: the success line, the number, the host's next step; the height
//   changes once, animated unless the person prefers reduced motion;
// - screenshots of each face with a logo and a brand colour at 390 and 1280 px, light and dark
//   (target/e2e/branding/).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, writeFileSync, cpSync, mkdtempSync, rmSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { launchChromium, serveFiles, widgetPage } from "../support/browser.mjs";
import { spawnReady, freePort, signJws, startWorker } from "../support/node.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const BUILT = path.join(ROOT, "target/widget-pkg");
const PKG = mkdtempSync(path.join(tmpdir(), "branding-e2e-pkg-"));
const OUT = path.join(ROOT, "target/e2e/branding");
const KEY = "ps_branding_e2e_tenant_key_03";
const SECRET = "branding-e2e-connect-token-secret-0123456789abc";
const PHONE = {
  viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2,
  userAgent: "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
};
// The tenant's branding, as set in Pilot Status (a yellow that fails on white on purpose).
const TENANT = {
  companyName: "Clínica Sorriso", subtitle: "Conecte o WhatsApp que atende seus pacientes",
  logoUrl: "https://logo.test/tenant.png", primaryColor: "#ffff00", backgroundColor: "#ffffff",
  supportUrl: "https://ajuda.sorriso.test/whatsapp",
};
// A 96×48 PNG logo (a round mark and two bars, transparent around), served for https://logo.test/tenant.png and /page.png.
const LOGO = readFileSync(path.join(ROOT, "tests/fixtures/logo.png"));
const procs = [];
let sandbox, worker, mf, browser, server, site;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function newNumber(number) {
  const r = await fetch(`${sandbox}/v1/numbers`, {
    method: "POST", headers: { "x-api-key": KEY, "content-type": "application/json" },
    body: JSON.stringify({ name: "Branding", number }),
  });
  assert.equal(r.status, 201);
  return (await r.json()).instance.id;
}
let seq = 0;
const number = () => newNumber(`+55119660${String(++seq).padStart(5, "0")}`);

function mint(sub) {
  const now = Math.floor(Date.now() / 1000);
  return signJws({ sub, aud: worker, iat: now, exp: now + 600 }, SECRET);
}

async function setBranding(b) {
  const r = await fetch(`${sandbox}/v1/branding`, {
    method: "PUT", headers: { "x-api-key": KEY, "content-type": "application/json" }, body: JSON.stringify(b),
  });
  assert.equal(r.status, 200, await r.clone().text());
}

// A host page with a strict CSP: no style-src 'unsafe-inline' (nor any inline style), scripts by
// nonce, images from data: and the logo host, connections to the worker only. Violations recorded.
const cspPage = () => `<!doctype html><html lang="en"><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'self' 'nonce-e2e' 'wasm-unsafe-eval'; style-src 'self'; img-src data: https://logo.test; connect-src 'self' ${worker} ${worker.replace("http:", "ws:")}">
<body><div id="w"></div><div id="w2"></div><script type="module" nonce="e2e">
window.violations = [];
document.addEventListener("securitypolicyviolation", (e) => window.violations.push(e.violatedDirective + " " + e.blockedURI));
import("/pkg/index.js").then((pc) => { window.pc = pc; });
</script>`;

before(async () => {
  mkdirSync(OUT, { recursive: true });
  assert.ok(existsSync(path.join(BUILT, "index.js")), "target/widget-pkg is built (bash tools/build-widget.sh)");
  cpSync(BUILT, PKG, { recursive: true });
  sandbox = await spawnReady(path.join(ROOT, "target/debug/pilot-sandbox"),
    ["--port", "0", "--tenant-key", KEY, "--time-scale", "20", "--rate-limit", "0"], "pilot-sandbox listening on ", { procs });
  await setBranding(TENANT);
  ({ url: site, server } = await serveFiles(PKG, { prefix: "/pkg/", page: (url) => (url.pathname === "/csp" ? cspPage() : widgetPage(url)) }));
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

/** A page with the widget package, its logo requests served (and counted) by interception. */
async function open(ctxOptions = {}) {
  const ctx = await browser.newContext({ reducedMotion: "reduce", ...ctxOptions });
  const p = await ctx.newPage();
  p.logos = [];
  await p.route("https://logo.test/**", (route) => {
    const url = route.request().url();
    p.logos.push({ url, referer: route.request().headers().referer ?? null });
    return url.endsWith("/missing.png") ? route.fulfill({ status: 404, body: "" })
      : route.fulfill({ status: 200, contentType: "image/png", body: LOGO });
  });
  p.errors = [];
  p.on("pageerror", (e) => p.errors.push(String(e)));
  p.on("console", (m) => { if (m.type() === "error") p.errors.push(m.text()); });
  await p.goto(`${site}/`);
  await p.waitForFunction(() => window.pc);
  return p;
}

/** Mounts on #w with `options` (endpoint and token added); resolves once it pairs. */
async function mount(p, id, options = {}) {
  await p.evaluate(({ endpoint, token, options }) => {
    window.connected = [];
    window.h = window.pc.mount("#w", { endpoint, token, locale: "en", onConnected: (e) => window.connected.push(e), ...options });
  }, { endpoint: worker, token: mint(id), options });
  await p.waitForSelector('#w[data-state="pairing"]', { timeout: 20000 });
}

/** What the widget draws, read in the page (the shadow root is open). */
const look = (p) => p.evaluate(() => {
  const root = document.querySelector("#w [data-pilot-connect]").shadowRoot.querySelector(".psw");
  const q = (s) => root.querySelector(s);
  const shown = (e) => !!e && getComputedStyle(e).display !== "none" && !e.closest("[hidden]");
  const rgb = (s) => s.match(/\d+(\.\d+)?/g).slice(0, 3).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map((c) => { c /= 255; return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; })
    .reduce((a, c, i) => a + c * [0.2126, 0.7152, 0.0722][i], 0);
  const ratio = (a, b) => { const [x, y] = [lum(rgb(a)), lum(rgb(b))].sort((m, n) => n - m); return (x + 0.05) / (y + 0.05); };
  const bg = getComputedStyle(root).backgroundColor;
  const logo = q(".logo");
  const cs = (s) => getComputedStyle(s === ".psw" ? root : q(s));
  return {
    company: shown(q(".company")) ? q(".company").textContent : null,
    subtitle: shown(q(".subtitle")) ? q(".subtitle").textContent : null,
    logo: shown(logo) ? { src: logo.src, alt: logo.alt, loaded: logo.complete && logo.naturalWidth > 0, height: logo.getBoundingClientRect().height,
      referrerPolicy: logo.referrerPolicy, fit: getComputedStyle(logo).objectFit } : null,
    help: shown(q(".help")) ? { href: q(".help").href, text: q(".help").textContent, target: q(".help").target, rel: q(".help").rel } : null,
    bg,
    primary: cs(".switch").color,
    contrast: {
      text: ratio(cs(".title").color, bg),
      muted: ratio(cs(".timer").color, bg),
      primary: ratio(cs(".switch").color, bg),
      onPrimary: ratio(cs(".retry").color, cs(".retry").backgroundColor),
      subtitle: ratio(cs(".subtitle").color, bg),
      help: ratio(cs(".help").color, bg),
    },
    radius: { card: cs(".psw").borderTopLeftRadius, button: cs(".switch").borderTopLeftRadius, frame: cs(".frame").borderTopLeftRadius, codeBox: cs(".code-box").borderTopLeftRadius },
  };
});

test("no page option: the tenant's name, subtitle, logo, help link and colours appear, readable", async () => {
  const p = await open();
  await mount(p, await number());
  await p.waitForFunction(() => document.querySelector("#w [data-pilot-connect]").shadowRoot.querySelector(".logo").complete);
  const l = await look(p);
  assert.equal(l.company, TENANT.companyName);
  assert.equal(l.subtitle, TENANT.subtitle);
  assert.ok(l.logo, "the logo is shown");
  assert.equal(l.logo.src, TENANT.logoUrl);
  assert.equal(l.logo.alt, TENANT.companyName, "alt = the company's name");
  assert.equal(l.logo.loaded, true);
  assert.ok(l.logo.height <= 32, `at most 32 px high (${l.logo.height})`);
  assert.equal(l.logo.fit, "contain");
  assert.equal(l.logo.referrerPolicy, "no-referrer");
  assert.equal(p.logos.length, 1);
  assert.equal(p.logos[0].referer, null, "the logo host learns nothing of the page");
  assert.deepEqual(l.help, { href: `${TENANT.supportUrl}`, text: "Need help?", target: "_blank", rel: "noopener noreferrer" });
  assert.equal(l.bg, "rgb(255, 255, 255)");
  assert.notEqual(l.primary, "rgb(255, 255, 0)", "#ffff00 on white is adjusted");
  for (const [what, r] of Object.entries(l.contrast)) {
    assert.ok(r >= 4.5, `${what}: ${r.toFixed(2)}:1 (WCAG AA 4.5:1)`);
  }
  const [r, g, b] = l.primary.match(/\d+/g).map(Number);
  assert.ok(r === g && b === 0, `still a yellow, darkened: ${l.primary}`);
  assert.deepEqual(p.errors, []);
  await p.context().close();
});

test("the page's branding wins field by field; update() changes it in place", async () => {
  const p = await open();
  await mount(p, await number(), { branding: { companyName: "Página Ltda", logoUrl: "https://logo.test/page.png", primaryColor: "#0055aa" } });
  const l = await look(p);
  assert.equal(l.company, "Página Ltda");
  assert.equal(l.subtitle, TENANT.subtitle, "the tenant's, for the field the page left out");
  assert.equal(l.logo.src, "https://logo.test/page.png");
  assert.equal(l.primary, "rgb(0, 85, 170)", "a readable page colour is kept");
  await p.evaluate(() => window.h.update({ branding: { companyName: "Outra" } }));
  await p.waitForFunction(() => document.querySelector("#w [data-pilot-connect]").shadowRoot.querySelector(".company").textContent === "Outra");
  const u = await look(p);
  assert.equal(u.logo.src, TENANT.logoUrl, "the page's logo left the options: the tenant's is back");
  await p.evaluate(() => window.h.update({ appearance: { variables: { colorPrimary: "#7a00cc", borderRadius: "4px" } } }));
  const v = await look(p);
  assert.equal(v.primary, "rgb(122, 0, 204)", "appearance.variables win over branding colours");
  assert.deepEqual(v.radius, { card: "4px", button: "4px", frame: "4px", codeBox: "4px" }, "borderRadius reaches every control and the QR frame");
  assert.deepEqual(p.errors, []);
  await p.context().close();
});

test("javascript:, http: and data: logos are refused: mount() rejects and nothing is fetched", async () => {
  const p = await open();
  const id = await number();
  for (const logoUrl of ["javascript:alert(1)", "http://logo.test/page.png", "data:image/png;base64,iVBORw0KGgo=", "//logo.test/page.png"]) {
    const thrown = await p.evaluate(async ({ endpoint, token, logoUrl }) => {
      try { await window.pc.mount("#w2", { endpoint, token, branding: { logoUrl } }); return null; } catch (e) { return String(e.message); }
    }, { endpoint: worker, token: mint(id), logoUrl });
    assert.match(thrown ?? "", /options\.branding\.logoUrl must be an https:\/\/ URL/, logoUrl);
  }
  for (const [field, value, message] of [["primaryColor", "red", /#RRGGBB/], ["supportUrl", "javascript:x", /https/], ["companyName", "x".repeat(61), /60 characters/]]) {
    const thrown = await p.evaluate(async ({ endpoint, token, field, value }) => {
      try { await window.pc.mount("#w2", { endpoint, token, branding: { [field]: value } }); return null; } catch (e) { return String(e.message); }
    }, { endpoint: worker, token: mint(id), field, value });
    assert.match(thrown ?? "", message, field);
  }
  const next = await p.evaluate(async ({ endpoint, token }) => {
    try { await window.pc.mount("#w2", { endpoint, token, nextStep: { label: "Go", href: "javascript:alert(1)" } }); return null; } catch (e) { return String(e.message); }
  }, { endpoint: worker, token: mint(id) });
  assert.match(next ?? "", /options\.nextStep/);
  assert.equal(await p.evaluate(() => document.querySelectorAll("#w2 [data-pilot-connect]").length), 0, "nothing mounted");
  assert.deepEqual(p.logos, [], "no logo request");
  await p.context().close();
});

test("under a strict CSP (no inline styles): styled, branded, readable, no violation", async () => {
  const p = await open();
  await p.goto(`${site}/csp`);
  await p.waitForFunction(() => window.pc);
  await mount(p, await number());
  await p.waitForFunction(() => document.querySelector("#w [data-pilot-connect]").shadowRoot.querySelector(".logo").complete);
  const l = await look(p);
  assert.equal(l.radius.card, "12px", "the widget's own stylesheet applies");
  assert.equal(l.company, TENANT.companyName);
  assert.ok(l.logo?.loaded, "the logo, from the allowed host");
  assert.notEqual(l.primary, "rgb(255, 255, 0)", "the colour fitting applies (inline style through the CSSOM)");
  for (const [what, r] of Object.entries(l.contrast)) assert.ok(r >= 4.5, `${what}: ${r.toFixed(2)}:1`);
  const errorPanel = await p.evaluate(() => getComputedStyle(document.querySelector("#w [data-pilot-connect]").shadowRoot.querySelector(".error")).visibility);
  assert.equal(errorPanel, "hidden", "panels not shown are hidden (the stylesheet is there)");
  assert.deepEqual(await p.evaluate(() => window.violations), [], "no CSP violation");
  await p.context().close();
});

test("a logo that fails to load is hidden; the name stays", async () => {
  const p = await open();
  await mount(p, await number(), { branding: { logoUrl: "https://logo.test/missing.png" } });
  await p.waitForFunction(() => document.querySelector("#w [data-pilot-connect]").shadowRoot.querySelector(".logo").hasAttribute("data-failed"));
  const l = await look(p);
  assert.equal(l.logo, null, "hidden");
  assert.equal(l.company, TENANT.companyName);
  assert.deepEqual(p.errors.filter((e) => !/404/.test(e)), []);
  await p.context().close();
});

test("#111111 on black is lightened; every text and control stays readable, light and dark", async () => {
  for (const [scheme, options] of [
    ["dark", { appearance: { theme: "dark", variables: { colorBackground: "#000000", colorPrimary: "#111111" } } }],
    ["light", { appearance: { theme: "light", variables: { colorBackground: "#000000", colorText: "#111111" } } }],
    ["auto-dark", { appearance: { theme: "auto" } }],
  ]) {
    const p = await open({ colorScheme: scheme === "auto-dark" ? "dark" : "light" });
    await mount(p, await number(), options);
    const l = await look(p);
    if (scheme !== "auto-dark") assert.equal(l.bg, "rgb(0, 0, 0)");
    for (const [what, r] of Object.entries(l.contrast)) assert.ok(r >= 4.5, `${scheme} ${what}: ${r.toFixed(2)}:1`);
    await p.context().close();
  }
});

test("connected is compact: the number and the next step; the height changes once, animated unless reduced motion", async () => {
  for (const [motion, phone] of [["no-preference", false], ["reduce", false], ["no-preference", true]]) {
    const p = await open({ reducedMotion: motion, ...(phone ? PHONE : {}) });
    const id = await number();
    await mount(p, id, { nextStep: { label: "Go to the inbox", href: "/inbox" } });
    await p.evaluate(() => {
      const host = document.querySelector("#w [data-pilot-connect]");
      const root = host.shadowRoot.querySelector(".psw");
      window.__heights = [];
      window.__animations = 0;
      new ResizeObserver(() => window.__heights.push(Math.round(host.getBoundingClientRect().height))).observe(host);
      document.addEventListener("pilot-connect:statechange", (e) => {
        if (e.detail.state === "connected") queueMicrotask(() => { window.__animations = root.getAnimations().length; });
      });
    });
    const pairing = await p.evaluate(() => document.querySelector("#w [data-pilot-connect]").getBoundingClientRect().height);
    const scan = await fetch(`${sandbox}/_sandbox/numbers/${encodeURIComponent(id)}/scan`, { method: "POST" });
    assert.ok(scan.ok);
    await p.waitForFunction(() => window.connected.length === 1, null, { timeout: 20000 });
    await sleep(600);
    const done = await p.evaluate(() => {
      const root = document.querySelector("#w [data-pilot-connect]").shadowRoot;
      const shown = (s) => { const e = root.querySelector(s); return !!e && getComputedStyle(e).display !== "none" && !e.closest("[hidden]"); };
      return {
        height: document.querySelector("#w [data-pilot-connect]").getBoundingClientRect().height,
        title: root.querySelector(".done-title").textContent, number: shown(".done-number") ? root.querySelector(".done-number").textContent : null,
        next: shown(".next") ? { text: root.querySelector(".next").textContent, href: root.querySelector(".next").getAttribute("href") } : null,
        pair: shown(".pair"), heading: shown(".title"), animations: window.__animations, heights: window.__heights,
        stack: root.querySelector(".stack").getBoundingClientRect().height, panel: root.querySelector(".done").getBoundingClientRect().height,
      };
    });
    assert.equal(done.title, "WhatsApp connected");
    assert.match(done.number ?? "", /^\+55 11 9••••-\d{4}$/);
    assert.deepEqual(done.next, { text: "Go to the inbox", href: "/inbox" });
    assert.equal(done.pair, false, "the pairing area left the layout");
    assert.equal(done.heading, false, "the success line is the title");
    assert.ok(Math.abs(done.stack - done.panel) <= 1, `no room kept: stack ${done.stack} px, success panel ${done.panel} px`);
    assert.ok(done.height < pairing * (phone ? 0.6 : 0.9), `compact: ${done.height} px after ${pairing} px`);
    if (motion === "reduce") assert.equal(done.animations, 0, "no animation when the person prefers reduced motion");
    else assert.ok(done.animations >= 1, "the height change is animated");
    // Once: every height seen after the pairing one is on the way down, then stays.
    const after = done.heights.filter((h) => h < pairing - 1);
    assert.ok(after.every((h, i) => i === 0 || h <= after[i - 1] + 1), `one change, downwards: ${done.heights}`);
    assert.deepEqual(p.errors, []);
    await p.context().close();
  }
});

test("screenshots: each face with a logo and a brand colour, 390 and 1280 px, light and dark", async () => {
  const faces = [];
  for (const width of [390, 1280]) {
    for (const scheme of ["light", "dark"]) {
      const ctxOptions = width === 390 ? { ...PHONE, colorScheme: scheme } : { viewport: { width, height: 900 }, colorScheme: scheme };
      for (const face of ["qr", "code", "connected"]) {
        const p = await open(ctxOptions);
        const id = await number();
        await mount(p, id, { mode: face === "code" ? "code" : "qr", branding: { primaryColor: "#6b21a8" }, nextStep: { label: "Open the inbox", href: "/inbox" } });
        await p.waitForFunction(() => document.querySelector("#w [data-pilot-connect]").shadowRoot.querySelector(".logo").complete);
        if (face === "connected") {
          await fetch(`${sandbox}/_sandbox/numbers/${encodeURIComponent(id)}/scan`, { method: "POST" });
          await p.waitForSelector('#w[data-state="connected"]', { timeout: 20000 });
        } else if (face === "code") {
          await p.waitForFunction(() => document.querySelector("#w [data-pilot-connect]").shadowRoot.querySelector(".code").textContent.trim());
        }
        await sleep(300);
        const file = `${face}-${width}-${scheme}.png`;
        writeFileSync(path.join(OUT, file), await p.locator("#w").screenshot());
        const l = await look(p);
        for (const [what, r] of Object.entries(l.contrast)) assert.ok(r >= 4.5, `${file} ${what}: ${r.toFixed(2)}:1`);
        // Nothing escapes the viewport's width.
        const box = await p.locator("#w [data-pilot-connect]").boundingBox();
        assert.ok(box.x >= 0 && box.x + box.width <= width + 0.5, `${file}: inside the viewport`);
        faces.push(file);
        await p.context().close();
      }
    }
  }
  assert.equal(faces.length, 12);
});
