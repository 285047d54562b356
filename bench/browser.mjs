// The widget in headless Chromium against the local stack (sandbox → Rust worker in workerd):
//   time to QR: from the `mount()` call to the QR image decoded and painted (two frames later),
//               cold (fresh browser context: wasm fetched and compiled) and warm (same page);
//   soak:       one widget refreshing for a long, time-scaled cycle (QR every second, status poll
//               every 500 ms, "new code" at every expiry), sampled every 5 s after a forced GC:
//               live timers, event listeners, DOM nodes, JS heap and wasm memory.
// Writes target/bench/browser.json.
import { createServer } from "node:http";
import { existsSync, readFileSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { launchChromium } from "../tests/support/browser.mjs";
import { PNG } from "pngjs";
import jsQR from "jsqr";
import { ROOT, startSandbox, createNumber, startWorker, mint, freePort, stopAll } from "./stack.mjs";

const N_COLD = Number(process.env.BENCH_TTQ_COLD ?? 10);
const N_WARM = Number(process.env.BENCH_TTQ_WARM ?? 30);
const SOAK_S = Number(process.env.BENCH_WIDGET_SOAK_S ?? 60);
const PKG = path.join(ROOT, "target/widget-pkg");

const PAGE = `<!doctype html><meta charset="utf-8"><title>pilot-connect bench</title><body><script type="module">
window.measure = async (endpoint, token) => {
  const { mount } = await import("/pkg/index.js");
  const el = document.createElement("div");
  document.body.append(el);
  let seen;
  const qr = new Promise((r) => { seen = r; });
  const t0 = performance.now();
  const h = await mount(el, { endpoint, token, locale: "en", onQr: () => seen() });
  await qr;
  await el.querySelector("[data-pilot-connect]").shadowRoot.querySelector("img.qr").decode();
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  const ms = performance.now() - t0;
  window.__handle = h;
  window.__el = el;
  return ms;
};
window.release = () => { window.__handle?.destroy(); window.__el?.remove(); };
window.soak = async (endpoint, token) => {
  const { mount } = await import("/pkg/index.js");
  const el = document.createElement("div");
  document.body.append(el);
  window.__soak = { qr: 0, expired: 0, errors: 0 };
  const h = await mount(el, { endpoint, token, locale: "en", pollIntervalMs: 500,
    onQr: () => window.__soak.qr++, onError: () => window.__soak.errors++,
    onExpired: () => { window.__soak.expired++; setTimeout(() => h.restart(), 200); } });
  window.__handle = h;
};
</script>`;

// Counts live timers and keeps the wasm memory, before any page script runs.
const INSTRUMENT = () => {
  const live = new Set();
  const [st, ct, si, ci] = [setTimeout, clearTimeout, setInterval, clearInterval];
  window.setTimeout = function (fn, ms, ...args) {
    const id = st.call(window, function (...a) { live.delete(id); if (typeof fn === "function") fn.apply(this, a); }, ms, ...args);
    live.add(id);
    return id;
  };
  window.clearTimeout = (id) => { live.delete(id); ct.call(window, id); };
  window.setInterval = function (fn, ms, ...args) { const id = si.call(window, fn, ms, ...args); live.add(id); return id; };
  window.clearInterval = (id) => { live.delete(id); ci.call(window, id); };
  window.__liveTimers = () => live.size;
  for (const name of ["instantiate", "instantiateStreaming"]) {
    const orig = WebAssembly[name];
    WebAssembly[name] = async function (...a) {
      const r = await orig.apply(this, a);
      const mem = (r.instance ?? r).exports?.memory;
      if (mem) window.__wasmMemory = mem;
      return r;
    };
  }
};

const types = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm" };
const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };

let server, browser;
try {
  if (!existsSync(path.join(PKG, "index.js"))) throw new Error("run tools/build-widget.sh first");
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  server = createServer((req, res) => {
    const p = new URL(req.url, origin).pathname;
    if (p === "/") { res.writeHead(200, { "content-type": "text/html" }).end(PAGE); return; }
    const file = path.join(PKG, p.replace(/^\/pkg\//, ""));
    if (!p.startsWith("/pkg/") || !file.startsWith(PKG) || !existsSync(file)) { res.writeHead(404).end(); return; }
    res.writeHead(200, { "content-type": types[path.extname(file)] ?? "application/octet-stream" }).end(readFileSync(file));
  });
  await new Promise((r) => server.listen(port, "127.0.0.1", r));

  browser = await launchChromium(["--js-flags=--expose-gc"]);

  // Time to QR.
  const sandbox = await startSandbox(1);
  const worker = await startWorker("rust", { sandbox, origins: [origin] });
  const id = await createNumber(sandbox, "+5511966665555");
  const token = mint(id);
  const cold = [], warm = [];
  let decodedOk = false;
  for (let i = 0; i < N_COLD; i++) {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await page.goto(`${origin}/`);
    cold.push(await page.evaluate(([e, t]) => window.measure(e, t), [worker, token]));
    if (i === 0) {
      // What was timed is a real, readable QR of the sandbox's current ref.
      const before = (await (await fetch(`${sandbox}/_sandbox/numbers/${id}`)).json()).pairing?.ref;
      const img = PNG.sync.read(await page.locator("img.qr").screenshot());
      const after = (await (await fetch(`${sandbox}/_sandbox/numbers/${id}`)).json()).pairing?.ref;
      const code = jsQR(new Uint8ClampedArray(img.data), img.width, img.height);
      decodedOk = Boolean(code && [before, after].includes(code.data));
      if (!decodedOk) throw new Error("the timed QR does not decode to the sandbox's ref");
    }
    if (i === N_COLD - 1) {
      for (let j = 0; j < N_WARM; j++) {
        await page.evaluate(() => window.release());
        warm.push(await page.evaluate(([e, t]) => window.measure(e, t), [worker, token]));
      }
    }
    await ctx.close();
  }
  const ttq = {
    cold: { n: cold.length, p50_ms: pct(cold, 0.5), p95_ms: pct(cold, 0.95) },
    warm: { n: warm.length, p50_ms: pct(warm, 0.5), p95_ms: pct(warm, 0.95) },
    decoded: decodedOk,
  };
  console.log("time to QR:", JSON.stringify(ttq));

  // Soak: a time-scaled sandbox (20×: first ref 3 s, then 1 s) and a 1 s refresh.
  const fastSandbox = await startSandbox(20);
  const fastWorker = await startWorker("rust", { sandbox: fastSandbox, origins: [origin], qrRefreshMs: 1000 });
  const soakId = await createNumber(fastSandbox, "+5511955554444");
  const page = await browser.newPage();
  await page.addInitScript(INSTRUMENT);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Performance.enable");
  await page.goto(`${origin}/`);
  // A baseline before mounting, so growth is the widget's own.
  const sample = async (t) => {
    await cdp.send("HeapProfiler.collectGarbage");
    const m = Object.fromEntries((await cdp.send("Performance.getMetrics")).metrics.map((x) => [x.name, x.value]));
    const page_ = await page.evaluate(() => ({ timers: window.__liveTimers(), wasm: window.__wasmMemory?.buffer.byteLength ?? 0,
                                               soak: window.__soak ? { ...window.__soak } : null }));
    return { t, listeners: m.JSEventListeners, nodes: m.Nodes, heap: m.JSHeapUsedSize, timers: page_.timers, wasm: page_.wasm, ...page_.soak };
  };
  const samples = [await sample(0)];
  await page.evaluate(([e, t]) => window.soak(e, t), [fastWorker, mint(soakId)]);
  const t0 = Date.now();
  while (Date.now() - t0 < SOAK_S * 1000) {
    await new Promise((r) => setTimeout(r, 5000));
    samples.push(await sample(Math.round((Date.now() - t0) / 1000)));
  }
  await page.evaluate(() => window.__handle.destroy());
  await new Promise((r) => setTimeout(r, 500));
  const afterDestroy = await sample(Math.round((Date.now() - t0) / 1000));
  // Growth is judged from the first sample taken while mounted (after warm-up) to the last.
  const first = samples[1], last = samples[samples.length - 1];
  const soak = {
    seconds: SOAK_S, samples, afterDestroy,
    growth: { timers: last.timers - first.timers, listeners: last.listeners - first.listeners, nodes: last.nodes - first.nodes,
              heap_bytes: last.heap - first.heap, wasm_bytes: last.wasm - first.wasm },
    qr_refreshes: last.qr, expiries: last.expired, errors: last.errors,
    after_destroy: { timers: afterDestroy.timers - samples[0].timers, listeners: afterDestroy.listeners - samples[0].listeners },
  };
  console.log("widget soak:", JSON.stringify({ ...soak, samples: undefined }));
  mkdirSync(path.join(ROOT, "target/bench"), { recursive: true });
  writeFileSync(path.join(ROOT, "target/bench/browser.json"), JSON.stringify({ ttq, soak }, null, 2));
} finally {
  await browser?.close();
  server?.close();
  await stopAll();
}
