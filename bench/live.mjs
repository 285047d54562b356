// The live edge against the local stack (sandbox → Rust worker with its session objects in
// workerd → headless Chromium). Writes target/bench/live.json (bench/report.mjs turns it into the
// "Live edge" section of bench/REPORT.md). Three parts:
//
//  latency  Scan → widget "connected", measured in the page, BENCH_LIVE_RUNS runs for each setup:
//           webhook         PS_WEBHOOK_SECRET set and a webhook for the number pointing at the
//                           worker (the four lifecycle events, never "*");
//           secret_no_hook  PS_WEBHOOK_SECRET set, the number keeps the customer's own webhook
//                           (the edge's create gets 409: the sandbox allows one per number);
//           no_secret       no webhook secret at all.
//           Without a webhook the session polls every STATUS_POLL_MS (the default, 2.5 s); the
//           scan happens at a uniformly random point of that cycle, as a person's scan would.
//  faults   Pilot Status calls (connect + status, counted at the sandbox) for one watched number
//           under each fault, with 1 and 5 viewers: WebSocket watchers opened as the widget opens
//           its push stream, and (5 viewers) real widgets in Chromium. Every case has its own
//           sandbox and worker, so its counts are its number's alone: cases run side by side.
//           The window starts at the first call after the fault (the failure streak's start)
//           and lasts BENCH_LIVE_WINDOW_S (120 s): first minute and second minute reported apart.
//  upload   `wrangler deploy --dry-run` of the very worker build the other parts ran (snapshot).
//
// Knobs: BENCH_LIVE_RUNS (20), BENCH_LIVE_WINDOW_S (120), BENCH_LIVE_PARTS ("latency,faults,upload").
import { createServer } from "node:http";
import { createHash } from "node:crypto";
import { execSync, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import os from "node:os";
import path from "node:path";
import { launchChromium } from "../tests/support/browser.mjs";
import { ROOT, KEY, SECRET, AUD, createNumber, mint, freePort } from "./stack.mjs";
import { spawnReady, startWorker as startSharedWorker } from "../tests/support/node.mjs";

const RUNS = Number(process.env.BENCH_LIVE_RUNS ?? 20);
const WINDOW_S = Number(process.env.BENCH_LIVE_WINDOW_S ?? 120);
const PARTS = (process.env.BENCH_LIVE_PARTS ?? "latency,faults,upload").split(",");
const HOOK = "whsec_bench_live";
const EDGE_EVENTS = ["number.connected", "number.disconnected", "number.removed", "number.restored"];
const POLL_MS = 2500; // wrangler.toml's STATUS_POLL_MS, left as it is
const PKG = path.join(ROOT, "target/widget-pkg");
const OUT = path.join(ROOT, "target/bench");
const SNAP = path.join(OUT, "live-worker");
const SANDBOX_BIN = path.join(ROOT, "target/release/pilot-sandbox");
const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const T0 = Date.now();
const log = (...a) => console.log(`[${((Date.now() - T0) / 1000).toFixed(0)} s]`, ...a);

const PAGE = `<!doctype html><meta charset="utf-8"><body><script type="module">
import { mount } from "/pkg/index.js";
window.openWidgets = async (endpoint, token, n) => {
  window.__handles = []; window.__errors = [];
  for (let i = 0; i < n; i++) {
    const el = document.createElement("div"); document.body.append(el);
    const errs = []; window.__errors.push(errs);
    window.__handles.push(await mount(el, { endpoint, token, locale: "en", onError: (e) => errs.push(e.code ?? e.kind) }));
  }
};
window.states = () => [...document.querySelectorAll("body > div")].map((e) => e.getAttribute("data-state"));
window.scanAndWait = async (scanUrl) => {
  const el = document.querySelector("body > div");
  const t0 = performance.now();
  await fetch(scanUrl, { method: "POST", mode: "no-cors" });
  while (el.getAttribute("data-state") !== "connected") {
    if (performance.now() - t0 > 15000) return -1;
    await new Promise((r) => setTimeout(r, 2));
  }
  return performance.now() - t0;
};
window.closeAll = () => { for (const h of window.__handles ?? []) h.destroy(); };
</script>`;

const procs = [];
const started = [];
let server, browser, page0;

async function sandbox(extra = []) {
  const mine = []; // this sandbox's process alone (several start at once)
  const ready = spawnReady(SANDBOX_BIN,
    ["--port", "0", "--tenant-key", KEY, "--rate-limit", "0", "--webhook-secret", HOOK, ...extra], "pilot-sandbox listening on ", { procs: mine });
  procs.push(...mine);
  return { url: await ready, proc: mine[0] };
}
const ctl = (sb, route, init) => fetch(`${sb}${route}`, init).then((r) => r.json());
const hitsOf = async (sb) => (await ctl(sb, "/_sandbox/stats")).hits;

/** The worker build the whole run uses: a copy, so a rebuild by someone else mid-run changes nothing. */
function snapshotWorker() {
  rmSync(SNAP, { recursive: true, force: true });
  mkdirSync(SNAP, { recursive: true });
  for (const f of ["index.js", "index_bg.wasm"]) copyFileSync(path.join(ROOT, "worker/build", f), path.join(SNAP, f));
  const wasm = readFileSync(path.join(SNAP, "index_bg.wasm"));
  const sh = (c) => { try { return execSync(c, { cwd: ROOT, encoding: "utf8" }).trim(); } catch { return ""; } };
  return {
    wasm_sha256: createHash("sha256").update(wasm).digest("hex"),
    built_at: statSync(path.join(ROOT, "worker/build/index_bg.wasm")).mtime.toISOString(),
    head: sh("git rev-parse --short HEAD"),
    // What the build may contain beyond HEAD: uncommitted changes to the sources it is built from.
    dirty_sources: sh("git status --short -- worker/src src wire Cargo.toml Cargo.lock worker/Cargo.toml").split("\n").filter(Boolean),
  };
}
const MODULES = [
  { type: "ESModule", path: path.join(SNAP, "index.js") },
  { type: "CompiledWasm", path: path.join(SNAP, "index_bg.wasm") },
];

async function worker(sb, extra = {}) {
  const vars = { PS_API_KEY: KEY, CONNECT_TOKEN_SECRET: SECRET, PS_BASE_URL: sb, ALLOWED_ORIGINS: page0, CONNECT_TOKEN_AUDIENCE: AUD, ...extra };
  const w = await startSharedWorker(vars, { limit: 1e8, modules: MODULES, sessions: true });
  started.push(w.mf);
  return w;
}

let phone = 5511940000000;
const api = (sb, route, method, body) => fetch(`${sb}${route}`, {
  method, headers: { "x-api-key": KEY, "content-type": "application/json" }, body: body && JSON.stringify(body),
});

// ---------- latency ----------

async function latencyPart() {
  const sb = (await sandbox()).url;
  // The customer's own webhook receiver: it must keep getting its deliveries.
  const customer = { deliveries: 0, events: {} };
  const hookServer = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => { body += c; });
    req.on("end", () => {
      customer.deliveries++;
      try { const e = JSON.parse(body).event; customer.events[e] = (customer.events[e] ?? 0) + 1; } catch {}
      res.writeHead(200).end();
    });
  });
  const hookPort = await freePort();
  await new Promise((r) => hookServer.listen(hookPort, "127.0.0.1", r));
  const workers = {
    webhook: await worker(sb, { PS_WEBHOOK_SECRET: HOOK }),
    secret_no_hook: await worker(sb, { PS_WEBHOOK_SECRET: HOOK }),
    no_secret: await worker(sb),
  };
  const notes = { edge_hook_create: {}, customer_hook_create: {} };
  const latency = {};
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  try {
    for (const setup of Object.keys(workers)) {
      const w = workers[setup];
      const ms = [];
      for (let i = 0; i < RUNS; i++) {
        const id = await createNumber(sb, `+${++phone}`);
        if (setup === "secret_no_hook") {
          const own = await api(sb, "/v1/webhooks", "POST", { url: `http://127.0.0.1:${hookPort}/hooks`, events: ["*"], whatsappNumberId: id });
          notes.customer_hook_create[own.status] = (notes.customer_hook_create[own.status] ?? 0) + 1;
        }
        if (setup !== "no_secret") {
          // The README's registration; with the customer's webhook in place it is refused (409) and the edge polls.
          const r = await api(sb, "/v1/webhooks", "POST", { url: `${w.url}/v1/hooks/pilot-status`, events: EDGE_EVENTS, whatsappNumberId: id });
          notes.edge_hook_create[`${setup}:${r.status}`] = (notes.edge_hook_create[`${setup}:${r.status}`] ?? 0) + 1;
          if (setup === "webhook" && r.status !== 201) throw new Error(`edge webhook: ${r.status} ${await r.text()}`);
        }
        await page.goto(page0);
        // The push stream delivers its first frame (the QR) once the session holds the socket.
        const streamed = new Promise((resolve) => page.once("websocket", (ws) => ws.once("framereceived", resolve)));
        await page.evaluate(([e, t]) => window.openWidgets(e, t, 1), [w.url, mint(id)]);
        await page.waitForSelector('[data-state="pairing"]', { timeout: 20000 });
        await Promise.race([streamed, sleep(5000)]);
        // With a webhook the phase does not matter; without, scan at a random point of the poll cycle.
        await sleep(100 + (setup === "webhook" ? 0 : Math.random() * POLL_MS));
        const t = await page.evaluate((u) => window.scanAndWait(u), `${sb}/_sandbox/numbers/${id}/scan`);
        if (t < 0) throw new Error(`${setup}: not connected 15 s after the scan`);
        ms.push(t);
        await page.evaluate(() => window.closeAll());
      }
      latency[setup] = { n: ms.length, p50_ms: pct(ms, 0.5), p95_ms: pct(ms, 0.95), max_ms: Math.max(...ms), min_ms: Math.min(...ms), samples_ms: ms.map((x) => Math.round(x * 10) / 10) };
      log(`scan → connected (${setup}):`, JSON.stringify({ ...latency[setup], samples_ms: undefined }));
    }
  } finally {
    await ctx.close();
    hookServer.close();
  }
  await sleep(1500); // the sandbox's deliveries are asynchronous
  notes.customer_deliveries = customer.deliveries;
  notes.customer_events = customer.events;
  return { latency, notes };
}

// ---------- faults ----------

const SAME = "≤ 10 in the first minute, ≤ 2 in any minute after";
const CASES = [
  { key: "happy", label: "no fault (happy path)", expect: null,
    promise: "one poll per STATUS_POLL_MS + one connect per QR (20 s): ≤ 27/min, whatever the viewers" },
  { key: "happy_hook", label: "no fault, the edge's webhook registered (none delivered yet)", expect: null, hook: true,
    promise: "polls until a webhook arrives (WEBHOOK_TRUST_MS): as above, ≤ 27/min" },
  { key: "unknown", label: "unknown number (404)", expect: "not_found", promise: "1 call, then none" },
  { key: "deleted", label: "watched number deleted (from the delete)", expect: "not_found", promise: "≤ 1 call, then none" },
  { key: "rate_limited", label: "429 with Retry-After 30", expect: "rate_limited", fault: { route: "*", kind: "rate_limit", retryAfter: 30 },
    promise: "none before Retry-After: ≥ 30 s apart, ≤ 2 a minute" },
  { key: "upstream_5xx", label: "503 on every call", expect: "upstream_error", fault: { route: "*", kind: "status", status: 503 }, promise: SAME },
  { key: "timeout", label: "timeouts: 9 s latency, UPSTREAM_TIMEOUT_MS 8 s (default)", expect: "upstream_timeout",
    fault: { route: "*", kind: "latency", latencyMs: 9000 }, promise: SAME },
  { key: "timeout_short", label: "timeouts: 1.5 s latency, UPSTREAM_TIMEOUT_MS 400 ms", expect: "upstream_timeout", vars: { UPSTREAM_TIMEOUT_MS: "400" },
    fault: { route: "*", kind: "latency", latencyMs: 1500 }, promise: SAME },
];

/** One WebSocket to /v1/events, as the widget opens it; frames kept parsed. */
async function watcher(w, sub) {
  const res = await w.mf.dispatchFetch(`${w.url}/v1/events`, {
    headers: { upgrade: "websocket", origin: page0, "sec-websocket-protocol": `pilot-connect.v1, bearer.${mint(sub)}` },
  });
  if (res.status !== 101) throw new Error(`push refused: ${res.status}`);
  const ws = res.webSocket;
  const frames = [];
  ws.addEventListener("message", (e) => { try { frames.push(JSON.parse(e.data)); } catch {} });
  ws.accept();
  return { ws, frames };
}

async function until(check, what, ms = 20000) {
  for (const t0 = Date.now(); Date.now() - t0 < ms;) { if (await check()) return; await sleep(50); }
  throw new Error(`timed out: ${what}`);
}

/** Runs one case with `n` viewers of `kind` ("ws" or "widget") on its own sandbox and worker. */
async function faultCase(c, n, kind) {
  const { url: sb, proc } = await sandbox();
  const w = await worker(sb, { PS_WEBHOOK_SECRET: HOOK, ...(c.vars ?? {}) });
  const id = c.key === "unknown" ? "wa_unknown_to_pilot_status_bench" : await createNumber(sb, `+${++phone}`);
  if (c.hook) {
    const r = await api(sb, "/v1/webhooks", "POST", { url: `${w.url}/v1/hooks/pilot-status`, events: EDGE_EVENTS, whatsappNumberId: id });
    if (r.status !== 201) throw new Error(`edge webhook: ${r.status}`);
  }
  let ctx, page, viewers = [];
  const requests = { qr: 0, status: 0, events: 0 };
  let counting = false;
  try {
    const open = async () => {
      if (kind === "ws") {
        viewers = await Promise.all(Array.from({ length: n }, () => watcher(w, id)));
      } else {
        ctx = await browser.newContext();
        page = await ctx.newPage();
        page.on("request", (r) => {
          if (!counting || !r.url().startsWith(w.url)) return;
          const p = new URL(r.url()).pathname;
          if (p === "/v1/qr") requests.qr++;
          else if (p === "/v1/status") requests.status++;
        });
        page.on("websocket", (s) => { if (counting && s.url().includes("/v1/events")) requests.events++; });
        await page.goto(page0);
        await page.evaluate(([e, t, k]) => window.openWidgets(e, t, k), [w.url, mint(id), n]);
      }
    };
    const pairing = () => (kind === "ws"
      ? until(() => viewers.every((v) => v.frames.some((f) => f.state === "pairing")), "QR at every viewer")
      : until(async () => (await page.evaluate(() => window.states())).every((s) => s === "pairing"), "every widget pairing"));
    if (c.key === "unknown") {
      await ctl(sb, "/_sandbox/stats", { method: "DELETE" });
      counting = true;
    } else {
      await open();
      await pairing();
      if (kind === "widget") await sleep(500); // their push streams are open
      await ctl(sb, "/_sandbox/stats", { method: "DELETE" });
      counting = true;
    }
    const tStart = Date.now();
    if (c.key === "unknown") await open();
    if (c.fault) await ctl(sb, "/_sandbox/faults", { method: "POST", body: JSON.stringify(c.fault) });
    if (c.key === "deleted") await api(sb, `/v1/numbers/${id}`, "DELETE");
    // Sample the sandbox's counters: each new hit is one call, at the time it arrived (±200 ms).
    const calls = [];
    let seen = { connect: 0, status: 0 };
    let origin = null;
    let end = tStart + WINDOW_S * 1000;
    while (Date.now() < end) {
      const h = await hitsOf(sb);
      const t = (Date.now() - tStart) / 1000;
      for (const route of ["connect", "status"]) {
        for (let i = seen[route]; i < (h[route] ?? 0); i++) calls.push({ t, route });
        seen[route] = h[route] ?? 0;
      }
      // The window opens at the first call after the fault (within 30 s), else at the fault.
      if (origin === null && calls.length > 0 && calls[0].t <= 30) { origin = calls[0].t; end = tStart + (origin + WINDOW_S) * 1000; }
      await sleep(200);
    }
    counting = false;
    origin ??= 0;
    const rel = calls.map((x) => ({ ...x, t: Math.round((x.t - origin) * 10) / 10 })).filter((x) => x.t < WINDOW_S);
    const inWin = (a, b) => rel.filter((x) => x.t >= a && x.t < b).length;
    const times = rel.map((x) => x.t).sort((a, b) => a - b); // simultaneous calls too: a gap of 0
    const gaps = times.slice(1).map((t, i) => Math.round((t - times[i]) * 10) / 10);
    const out = {
      viewers: n, kind,
      first_minute: inWin(0, 60),
      second_minute: inWin(60, 120),
      total: rel.length,
      connect: rel.filter((x) => x.route === "connect").length,
      status: rel.filter((x) => x.route === "status").length,
      call_times_s: rel.map((x) => x.t),
      min_gap_s: gaps.length ? Math.min(...gaps) : null,
      window_s: WINDOW_S,
    };
    if (kind === "ws") {
      const codes = viewers.map((v) => v.frames.filter((f) => f.error).map((f) => f.error.code));
      out.told = c.expect ? viewers.filter((_, i) => codes[i].includes(c.expect)).length : null;
      out.error_frames = codes.map((x) => x.length);
      const waits = viewers.flatMap((v) => v.frames.filter((f) => f.error?.retryAfterMs).map((f) => f.error.retryAfterMs));
      if (waits.length) out.retry_after_ms = { min: Math.min(...waits), max: Math.max(...waits) };
      out.connected_frames = viewers.filter((v) => v.frames.some((f) => f.state === "connected")).length;
    } else {
      const errs = await page.evaluate(() => window.__errors);
      out.told = c.expect ? errs.filter((e) => e.length > 0).length : null;
      out.widget_errors = errs;
      out.widget_states = await page.evaluate(() => window.states());
      out.worker_requests = { ...requests };
    }
    log(`${c.key} × ${n} ${kind}: first minute ${out.first_minute}, second ${out.second_minute} (connect ${out.connect}, status ${out.status}) told ${out.told ?? "–"}/${n} at ${out.call_times_s.join(" ")}`);
    return out;
  } finally {
    for (const v of viewers) { try { v.ws.close(1000, "bench"); } catch {} }
    if (page) await page.evaluate(() => window.closeAll()).catch(() => {});
    await ctx?.close().catch(() => {});
    await w.mf.dispose().catch(() => {});
    started.splice(started.indexOf(w.mf), 1);
    proc.kill("SIGTERM");
  }
}

async function faultsPart() {
  const faults = { ws: { 1: {}, 5: {} }, widget: { 5: {} } };
  const group = async (n, kind) => {
    const results = await Promise.all(CASES.map(async (c, i) => { await sleep(i * 400); return [c.key, await faultCase(c, n, kind)]; }));
    for (const [k, v] of results) faults[kind][n][k] = v;
  };
  log(`faults: 1 watcher, ${CASES.length} cases side by side, ${WINDOW_S} s windows`);
  await group(1, "ws");
  log("faults: 5 watchers and 5 widgets, side by side");
  await Promise.all([group(5, "ws"), group(5, "widget")]);
  return { cases: CASES.map(({ key, label, promise, fault, vars }) => ({ key, label, promise, fault: fault ?? null, vars: vars ?? null })), results: faults };
}

// ---------- upload ----------

function uploadPart() {
  // What `wrangler deploy` would upload: the snapshot the other parts ran, bundled by wrangler.
  // A minimal config (name, date, main): the bytes are the modules', and worker/wrangler.toml's
  // [build] step would rebuild worker/build from whatever the tree holds now.
  const toml = readFileSync(path.join(ROOT, "worker/wrangler.toml"), "utf8");
  const pick = (k) => toml.match(new RegExp(`^${k}\\s*=\\s*"([^"]+)"`, "m"))?.[1];
  const cfgPath = path.join(OUT, "live-wrangler.toml");
  writeFileSync(cfgPath, `name = "${pick("name")}"\ncompatibility_date = "${pick("compatibility_date")}"\nmain = "${path.join(SNAP, "index.js")}"\n`);
  const dist = path.join(OUT, "live-worker-dist");
  rmSync(dist, { recursive: true, force: true });
  const r = spawnSync(process.execPath, [path.join(ROOT, "node_modules/wrangler/bin/wrangler.js"), "deploy", "--dry-run", "--config", cfgPath, "--outdir", dist],
    { cwd: OUT, encoding: "utf8", env: { ...process.env, WRANGLER_SEND_METRICS: "false" } });
  const line = `${r.stdout}\n${r.stderr}`.split("\n").find((l) => l.includes("Total Upload"))?.trim();
  if (!line) throw new Error(`wrangler dry-run: ${r.stderr || r.stdout}`);
  const m = line.match(/Total Upload: ([\d.]+) KiB \/ gzip: ([\d.]+) KiB/);
  const files = readdirSync(dist).filter((f) => /\.(js|wasm|mjs)$/.test(f)).map((f) => readFileSync(path.join(dist, f)));
  rmSync(path.join(OUT, ".wrangler"), { recursive: true, force: true });
  return {
    wrangler: line, total_kib: Number(m[1]), gzip_kib: Number(m[2]),
    raw_bytes: files.reduce((a, b) => a + b.length, 0), zlib9_bytes: files.reduce((a, b) => a + gzipSync(b, { level: 9 }).length, 0),
  };
}

// ---------- run ----------

try {
  if (!existsSync(path.join(PKG, "index.js"))) throw new Error("run tools/build-widget.sh first");
  if (!existsSync(SANDBOX_BIN)) throw new Error("cargo build --release -p pilot-sandbox first");
  mkdirSync(OUT, { recursive: true });
  const workerBuild = snapshotWorker();
  workerBuild.widget_pkg_wasm_sha256 = createHash("sha256").update(readFileSync(path.join(PKG, "pilot_connect_bg.wasm"))).digest("hex");
  const types = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm" };
  // The widget package as it is now, read once (a rebuild mid-run changes nothing).
  const pkg = new Map(readdirSync(PKG).filter((f) => types[path.extname(f)]).map((f) => [f, readFileSync(path.join(PKG, f))]));
  server = createServer((req, res) => {
    const rel = new URL(req.url, "http://x").pathname;
    if (rel === "/") { res.writeHead(200, { "content-type": "text/html" }).end(PAGE); return; }
    const body = rel.startsWith("/pkg/") ? pkg.get(rel.slice(5)) : undefined;
    if (!body) { res.writeHead(404).end(); return; }
    res.writeHead(200, { "content-type": types[path.extname(rel)] }).end(body);
  });
  const port = await freePort();
  await new Promise((r) => server.listen(port, "127.0.0.1", r));
  page0 = `http://127.0.0.1:${port}`;
  browser = await launchChromium(["--disable-background-timer-throttling", "--disable-renderer-backgrounding", "--disable-backgrounding-occluded-windows"]);
  const out = { measured_at: new Date().toISOString(), params: { runs: RUNS, window_s: WINDOW_S, status_poll_ms: POLL_MS, qr_refresh_ms: 20000 }, worker_build: workerBuild };
  const timings = {};
  out.load = {};
  for (const part of PARTS) {
    const t = Date.now();
    out.load[part] = Math.round(os.loadavg()[0] * 100) / 100;
    if (part === "latency") Object.assign(out, await latencyPart());
    else if (part === "faults") out.faults = await faultsPart();
    else if (part === "upload") { out.upload = uploadPart(); log(out.upload.wrangler); }
    else throw new Error(`unknown part ${part}`);
    timings[part] = Math.round((Date.now() - t) / 1000);
  }
  out.harness_s = { ...timings, total: Math.round((Date.now() - T0) / 1000) };
  writeFileSync(path.join(OUT, "live.json"), JSON.stringify(out, null, 2));
  log("wrote target/bench/live.json", JSON.stringify(out.harness_s));
} finally {
  await browser?.close();
  server?.close();
  for (const mf of started) await mf.dispose().catch(() => {});
  for (const p of procs) p.kill("SIGTERM");
}
