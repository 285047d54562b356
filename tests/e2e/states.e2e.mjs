// Every widget state, as a person sees it: the packed widget in Chromium with the worker's
// answers scripted (page.route), in light and dark, at 280 px and 800 px. Each screenshot is
// saved under target/e2e/states/ and checked for what that state must show and must not.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { launchChromium, serveFiles } from "../support/browser.mjs";
import { spawnReady } from "../support/node.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const PKG = path.join(ROOT, "target/widget-pkg");
const OUT = path.join(ROOT, "target/e2e/states");
const KEY = "ps_states_tenant_key_01";
const procs = [];
let browser, server, pageUrl, realQr;

// payload {"sub":"wa_abc"}
const TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ3YV9hYmMifQ.c2ln";

before(async () => {
  mkdirSync(OUT, { recursive: true });
  // A real QR (the sandbox's PNG) so the screenshots look like the product.
  const sandbox = await spawnReady(path.join(ROOT, "target/debug/pilot-sandbox"),
    ["--port", "0", "--tenant-key", KEY], "pilot-sandbox listening on ", { procs });
  const created = await (await fetch(`${sandbox}/v1/numbers`, {
    method: "POST", headers: { "x-api-key": KEY, "content-type": "application/json" },
    body: JSON.stringify({ name: "States", number: "+5511960000123" }),
  })).json();
  realQr = created.qrcodeBase64;
  ({ url: pageUrl, server } = await serveFiles(PKG, {
    prefix: "/pkg/",
    page: (url) => url.pathname === "/" ? `<!doctype html><html lang="en"><meta charset="utf-8">
<style>body{margin:0;padding:16px;font-family:system-ui;background:Canvas;color:CanvasText}</style>
<div id="w"></div><script type="module">
import { mount } from "/pkg/index.js";
const cfg = JSON.parse(decodeURIComponent(location.hash.slice(1)));
window.__h = await mount("#w", { endpoint: "http://worker.test", token: "${TOKEN}", locale: "en", pollIntervalMs: 60000, ...cfg });
</script>` : undefined,
  }));
  pageUrl += "/";
  browser = await launchChromium();
});

after(async () => { await browser?.close(); server?.close(); procs.forEach((p) => p.kill()); });

const pairing = () => ({ state: "pairing", qr: realQr, pairingCode: "ABCD1234", refreshAfterMs: 1000 });
// The page and the scripted worker are on different origins, as in production: answer CORS.
const CORS = { "access-control-allow-origin": "*", "access-control-allow-headers": "authorization", "access-control-expose-headers": "retry-after" };
const json = (route, status, body) => route.fulfill({ status, headers: CORS, contentType: "application/json", body: JSON.stringify(body) });

// Each case: worker answers for /v1/qr (in order; the last repeats; "hang" never answers),
// mount options, and what must be visible / hidden once the state is reached.
const CASES = {
  loading: { qr: () => ["hang"], show: [".skeleton", ".timer"], hide: [".qr", ".error", ".done", ".new-code", ".reload"] },
  pairing: { qr: () => [{ ...pairing(), refreshAfterMs: 60000 }], show: [".qr", ".switch", ".new-code", ".timer", ".steps"], hide: [".skeleton", ".code-box", ".error", ".done", ".reload"] },
  "pairing-code": { qr: () => [{ ...pairing(), refreshAfterMs: 60000 }], opts: { mode: "code" }, state: "pairing", show: [".code", ".copy", ".code-life", ".switch", ".new-code", ".steps"], hide: [".frame", ".skeleton", ".error", ".done"] },
  refreshing: { qr: () => [pairing(), "hang"], opts: { maxAttempts: 3 }, show: [".qr", ".timer"], hide: [".new-code", ".error", ".done", ".reload"] },
  expired: { qr: () => [pairing()], opts: { maxAttempts: 1 }, show: [".qr", ".reload", ".timer"], hide: [".new-code", ".code-box", ".error", ".done"] },
  error: { qr: () => [[502, { error: { code: "upstream_error", message: "x" } }]], show: [".error", ".error-title", ".error-text", ".retry"], hide: [".pair", ".done"] },
  connected: { qr: () => [{ state: "connected" }], show: [".done", ".done-title"], hide: [".pair", ".error"] },
};

for (const [name, c] of Object.entries(CASES)) {
  const state = c.state ?? name;
  for (const scheme of ["light", "dark"]) {
    for (const width of [280, 800]) {
      test(`${name} · ${scheme} · ${width}px`, async () => {
        const ctx = await browser.newContext({ viewport: { width, height: 700 }, colorScheme: scheme, reducedMotion: "reduce" });
        const page = await ctx.newPage();
        const errors = [];
        page.on("pageerror", (e) => errors.push(String(e)));
        const answers = c.qr(); // built now: the real QR exists only after before()
        await page.route("http://worker.test/**", async (route) => {
          if (route.request().method() === "OPTIONS") return route.fulfill({ status: 204, headers: CORS });
          const p = new URL(route.request().url()).pathname;
          if (p === "/v1/status") return json(route, 200, { state: "connecting", stale: false });
          const a = answers.length > 1 ? answers.shift() : answers[0];
          if (a === "hang") return; // never answered: the state stays
          if (Array.isArray(a)) return json(route, a[0], a[1]);
          return json(route, 200, a);
        });
        await page.goto(pageUrl + "#" + encodeURIComponent(JSON.stringify(c.opts ?? {})));
        await page.waitForSelector(`#w[data-state="${state}"]`, { timeout: 15000 });
        await page.waitForTimeout(100);
        const host = page.locator("[data-pilot-connect]");
        for (const sel of c.show) assert.equal(await host.locator(sel).first().isVisible(), true, `${state}: ${sel} visible`);
        for (const sel of c.hide) assert.equal(await host.locator(sel).first().isVisible(), false, `${state}: ${sel} hidden`);
        // "connected" is said once on screen (the live region is for screen readers only).
        const visible = await host.evaluate((el) => {
          const out = [];
          const walk = (n) => {
            if (n.nodeType === 1 && (n.classList.contains("sr") || getComputedStyle(n).display === "none" || getComputedStyle(n).visibility === "hidden")) return;
            if (n.nodeType === 3) out.push(n.textContent);
            n.childNodes.forEach(walk);
          };
          walk(el.shadowRoot.querySelector(".psw"));
          return out.join(" ");
        });
        if (state === "connected") assert.equal(visible.match(/WhatsApp connected/g)?.length, 1, visible);
        if (state === "error") assert.doesNotMatch(visible, /Scan|Link a device/);
        // Nothing overflows the widget at 280 px.
        const overflow = await host.evaluate((el) => { const r = el.shadowRoot.querySelector(".psw"); return r.scrollWidth - r.clientWidth; });
        assert.ok(overflow <= 1, `${state} at ${width}px overflows by ${overflow}px`);
        // Dark means dark: the widget background follows the scheme (the QR stays dark on light).
        const bg = await host.evaluate((el) => getComputedStyle(el.shadowRoot.querySelector(".psw")).backgroundColor);
        assert.equal(bg, scheme === "dark" ? "rgb(17, 27, 33)" : "rgb(255, 255, 255)");
        // WCAG AA: every visible text against what is behind it, at least 4.5:1.
        const low = await host.evaluate((el) => {
          const rgb = (c) => (c.match(/[\d.]+/g) ?? []).slice(0, 3).map(Number);
          const lum = ([r, g, b]) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; }; return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
          const bgOf = (n) => { for (; n && n.nodeType === 1; n = n.parentNode || n.host) { const b = getComputedStyle(n).backgroundColor; if (!/rgba\(.*, 0\)|transparent/.test(b)) return b; } return "rgb(255, 255, 255)"; };
          const bad = [];
          for (const n of el.shadowRoot.querySelectorAll(".psw *")) {
            if (!n.offsetParent || n.closest(".sr") || getComputedStyle(n).visibility === "hidden" || ![...n.childNodes].some((c) => c.nodeType === 3 && c.textContent.trim())) continue;
            const a = lum(rgb(getComputedStyle(n).color)), b = lum(rgb(bgOf(n)));
            const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
            if (ratio < 4.5) bad.push(`${n.className || n.tagName}: ${ratio.toFixed(2)}`);
          }
          return bad;
        });
        assert.deepEqual(low, [], `${state}/${scheme}: contrast below AA`);
        writeFileSync(path.join(OUT, `${name}-${scheme}-${width}.png`), await page.screenshot({ fullPage: true }));
        assert.deepEqual(errors, []);
        await ctx.close();
      });
    }
  }
}
