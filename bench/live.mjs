// The live edge, measured in headless Chromium against the local stack (sandbox → Rust worker in
// workerd), three ways side by side in one run:
//   stateless: the worker without session objects (every tab polls Pilot Status through it);
//   sessions:  session objects, no webhooks (tabs poll the worker; one upstream call per interval);
//   push:      session objects + webhooks + the /v1/events stream (no status polls at all).
// Scan → widget "connected" latency (p50/p95 over BENCH_LIVE_RUNS runs, in the page), and
// upstream calls per number per minute with 1, 5 and 20 open tabs (counted at the sandbox).
// Writes target/bench/live.json.
import { createServer } from "node:http";
import { existsSync, readFileSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { chromium } from "playwright-core";
import { ROOT, KEY, SECRET, AUD, startSandbox, createNumber, mint, freePort, stopAll } from "./stack.mjs";
import { startWorker as startSharedWorker } from "../tests/support/node.mjs";

const RUNS = Number(process.env.BENCH_LIVE_RUNS ?? 20);
const WINDOW_S = Number(process.env.BENCH_LIVE_WINDOW_S ?? 20);
const HOOK = "whsec_bench_live";
const PKG = path.join(ROOT, "target/widget-pkg");
const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };

const PAGE = `<!doctype html><meta charset="utf-8"><body><script type="module">
import { mount } from "/pkg/index.js";
window.openWidgets = async (endpoint, token, n) => {
  window.__handles = [];
  for (let i = 0; i < n; i++) {
    const el = document.createElement("div"); document.body.append(el);
    window.__handles.push(await mount(el, { endpoint, token, locale: "en" }));
  }
};
window.scanAndWait = async (scanUrl) => {
  const el = document.querySelector("[data-state]");
  const t0 = performance.now();
  await fetch(scanUrl, { method: "POST", mode: "no-cors" });
  while (el.getAttribute("data-state") !== "connected") await new Promise((r) => setTimeout(r, 2));
  return performance.now() - t0;
};
window.closeAll = () => { for (const h of window.__handles ?? []) h.destroy(); };
</script>`;

let server, browser;
// The shared harness's workerd instances: disposed at the end, or Node never exits.
const started = [];
try {
  if (!existsSync(path.join(PKG, "index.js"))) throw new Error("run tools/build-widget.sh first");
  mkdirSync(path.join(ROOT, "target/bench"), { recursive: true });
  const sandbox = await startSandbox(1, ["--webhook-secret", HOOK]);
  const types = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm" };
  server = createServer((req, res) => {
    const rel = new URL(req.url, "http://x").pathname;
    if (rel === "/") { res.writeHead(200, { "content-type": "text/html" }).end(PAGE); return; }
    const file = path.join(PKG, rel.replace(/^\/pkg\//, ""));
    if (!file.startsWith(PKG) || !existsSync(file)) { res.writeHead(404).end(); return; }
    res.writeHead(200, { "content-type": types[path.extname(file)] }).end(readFileSync(file));
  });
  const port = await freePort();
  await new Promise((r) => server.listen(port, "127.0.0.1", r));
  const page0 = `http://127.0.0.1:${port}`;
  const base = { PS_API_KEY: KEY, CONNECT_TOKEN_SECRET: SECRET, PS_BASE_URL: sandbox, ALLOWED_ORIGINS: page0,
    CONNECT_TOKEN_AUDIENCE: AUD, QR_REFRESH_MS: "20000" };
  const start = async (vars, opts) => {
    const w = await startSharedWorker(vars, opts);
    started.push(w.mf);
    return w.url;
  };
  const workers = {
    stateless: await start(base, { limit: 1e8, sessions: false }),
    sessions: await start(base, { limit: 1e8 }),
    push: await start({ ...base, PS_WEBHOOK_SECRET: HOOK }, { limit: 1e8 }),
  };
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"] });
  let phone = 5511940000000;
  const newNumber = async (kind) => {
    const id = await createNumber(sandbox, `+${++phone}`);
    if (kind === "push") {
      await fetch(`${sandbox}/v1/webhooks`, { method: "POST", headers: { "x-api-key": KEY, "content-type": "application/json" },
        body: JSON.stringify({ url: `${workers.push}/v1/hooks/pilot-status`, events: ["*"], whatsappNumberId: id }) });
    }
    return id;
  };
  const hits = async () => { const h = (await (await fetch(`${sandbox}/_sandbox/stats`)).json()).hits; return (h.connect ?? 0) + (h.status ?? 0); };

  const latency = {};
  for (const kind of ["push", "sessions"]) {
    const ms = [];
    for (let i = 0; i < RUNS; i++) {
      const ctx = await browser.newContext();
      const page = await ctx.newPage();
      await page.goto(page0);
      const id = await newNumber(kind);
      await page.evaluate(([e, t]) => window.openWidgets(e, t, 1), [workers[kind], mint(id)]);
      await page.waitForSelector('[data-state="pairing"]', { timeout: 20000 });
      await page.waitForTimeout(150); // the push stream is open
      ms.push(await page.evaluate((u) => window.scanAndWait(u), `${sandbox}/_sandbox/numbers/${id}/scan`));
      await ctx.close();
    }
    latency[kind] = { n: ms.length, p50_ms: pct(ms, 0.5), p95_ms: pct(ms, 0.95), max_ms: Math.max(...ms) };
    console.log(`scan → connected (${kind}):`, JSON.stringify(latency[kind]));
  }

  const upstream = {};
  for (const kind of ["stateless", "sessions", "push"]) {
    upstream[kind] = {};
    for (const tabs of [1, 5, 20]) {
      const ctx = await browser.newContext();
      const page = await ctx.newPage();
      await page.goto(page0);
      const id = await newNumber(kind);
      await page.evaluate(([e, t, n]) => window.openWidgets(e, t, n), [workers[kind], mint(id), tabs]);
      await page.waitForTimeout(1500); // all mounted, streams open
      const h0 = await hits();
      await page.waitForTimeout(WINDOW_S * 1000);
      const per_min = Math.round(((await hits()) - h0) * 60 / WINDOW_S);
      upstream[kind][tabs] = per_min;
      await page.evaluate(() => window.closeAll());
      await ctx.close();
      console.log(`upstream calls per minute (${kind}, ${tabs} tabs): ${per_min}`);
    }
  }
  writeFileSync(path.join(ROOT, "target/bench/live.json"), JSON.stringify({ runs: RUNS, window_s: WINDOW_S, latency, upstream }, null, 2));
} finally {
  await browser?.close();
  server?.close();
  for (const mf of started) await mf.dispose().catch(() => {});
  await stopAll();
}
