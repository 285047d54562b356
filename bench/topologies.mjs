// The three webhook topologies of the edge (README, "Webhooks: beside the customer's own, never
// instead of it") against the local stack: the release sandbox, the Rust worker with its session
// objects and its forward queue in workerd (Miniflare), the customer's receiver a Node HTTP
// server in this process. Writes target/bench/topologies.json (bench/report.mjs --topologies
// turns it into the "Webhook topologies" subsection of the Live edge section). Four parts:
//
//  scan        Scan → "connected" at a push watcher (a WebSocket to /v1/events opened as the
//              widget opens it: subprotocols `pilot-connect.v1, bearer.<token>`), BENCH_TOPO_RUNS
//              runs per topology, a fresh number each, STATUS_POLL_MS 60000 so that only a
//              webhook can explain a connected within the run:
//              side_by_side   sandbox --webhooks-per-number many: the customer's own webhook ("*")
//                             and the edge's (the four lifecycle events);
//              relay          --webhooks-per-number one: the customer's webhook only (the edge's
//                             create answers 409); the receiver verifies each delivery and POSTs
//                             the lifecycle ones, same bytes and x-pilot-status-signature, to the
//                             worker's /v1/hooks/pilot-status (what relayWebhook does) before it
//                             answers 200;
//              edge_in_front  --webhooks-per-number one: the edge is the number's webhook ("*"),
//                             FORWARD_WEBHOOK_URL is the customer's receiver.
//              Also when the customer's receiver got the number.connected (by the sandbox, or
//              forwarded through the queue).
//  forward     Edge in front, the latency the worker adds: this process plays Pilot Status (signs
//              message.received deliveries, unique data.id, with the webhook secret) and times each
//              from its POST to the worker until the receiver has it; the baseline is the same
//              POST straight to the receiver. BENCH_TOPO_DELIVERIES each:
//              direct     one at a time, to the receiver;
//              quiet      one at a time (the next once the last arrived), so each is alone in its
//                         queue batch: the wait is max_batch_timeout (wrangler.toml: 1 s). Spread
//                         over BENCH_TOPO_QUIET_LANES workers (each its own queue) to fit the time;
//              steady     open loop at BENCH_TOPO_STEADY_RPS (20/s) to one worker;
//              no_wait    one at a time, maxBatchTimeout 0 (a harness override, wrangler.toml
//                         unchanged): what the worker itself costs, without the batch wait.
//  throughput  BENCH_TOPO_EVENTS signed deliveries at c=32 to the worker's hook route (bounded by
//              BENCH_TOPO_MAX_S), then the wait until every accepted data.id reached the receiver
//              (bounded): ingest and delivered events/s, lost, duplicates (by dedup key).
//  upload      `wrangler deploy --dry-run` of the very worker build the other parts ran.
//
// FORWARD_RETRY_BASE_SECS 1, the receiver always answers 200. The worker build and the sandbox
// binary are copied at start (other sessions may rebuild them meanwhile).
// Knobs: BENCH_TOPO_RUNS (25), BENCH_TOPO_DELIVERIES (200), BENCH_TOPO_QUIET_LANES (2),
// BENCH_TOPO_STEADY_RPS (20), BENCH_TOPO_EVENTS (3000), BENCH_TOPO_MAX_S (60),
// BENCH_TOPO_PARTS ("scan,forward,throughput,upload").
import http, { createServer } from "node:http";
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { execSync, spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { performance } from "node:perf_hooks";
import os from "node:os";
import path from "node:path";
import { ROOT, KEY, SECRET, AUD, createNumber, mint, freePort } from "./stack.mjs";
import { spawnReady, startWorker as startSharedWorker } from "../tests/support/node.mjs";

const RUNS = Number(process.env.BENCH_TOPO_RUNS ?? 25);
const DELIVERIES = Number(process.env.BENCH_TOPO_DELIVERIES ?? 200);
const QUIET_LANES = Number(process.env.BENCH_TOPO_QUIET_LANES ?? 2);
const STEADY_RPS = Number(process.env.BENCH_TOPO_STEADY_RPS ?? 20);
const EVENTS = Number(process.env.BENCH_TOPO_EVENTS ?? 3000);
const MAX_S = Number(process.env.BENCH_TOPO_MAX_S ?? 60);
const CONCURRENCY = 32;
const PARTS = (process.env.BENCH_TOPO_PARTS ?? "scan,forward,throughput,upload").split(",");
const HOOK = "whsec_bench_topologies";
const PAGE = "https://app.example.com";
const EDGE_EVENTS = ["number.connected", "number.disconnected", "number.removed", "number.restored"];
const POLL_MS = "60000";
const OUT = path.join(ROOT, "target/bench");
const SNAP = path.join(OUT, "topologies-worker");
const SANDBOX_BIN = path.join(ROOT, "target/release/pilot-sandbox");
const SANDBOX_COPY = path.join(OUT, "topologies-sandbox");
const T0 = Date.now();
const log = (...a) => console.log(`[${((Date.now() - T0) / 1000).toFixed(0)} s]`, ...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.now();
const load = () => os.loadavg().map((x) => Math.round(x * 100) / 100);
const sign = (raw) => createHmac("sha256", HOOK).update(raw).digest("hex");
const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };
const r1 = (x) => Math.round(x * 10) / 10;
const stats = (xs) => (xs.length ? { n: xs.length, p50_ms: r1(pct(xs, 0.5)), p95_ms: r1(pct(xs, 0.95)), max_ms: r1(Math.max(...xs)), min_ms: r1(Math.min(...xs)) } : { n: 0 });

const procs = [];
const started = [];
const servers = [];

// ---------- the stack ----------

function snapshot() {
  rmSync(SNAP, { recursive: true, force: true });
  mkdirSync(SNAP, { recursive: true });
  for (const f of ["index.js", "index_bg.wasm"]) copyFileSync(path.join(ROOT, "worker/build", f), path.join(SNAP, f));
  copyFileSync(SANDBOX_BIN, SANDBOX_COPY);
  chmodSync(SANDBOX_COPY, 0o755);
  const sha = (p) => createHash("sha256").update(readFileSync(p)).digest("hex");
  const sh = (c) => { try { return execSync(c, { cwd: ROOT, encoding: "utf8" }).trim(); } catch { return ""; } };
  return {
    wasm_sha256: sha(path.join(SNAP, "index_bg.wasm")),
    built_at: statSync(path.join(ROOT, "worker/build/index_bg.wasm")).mtime.toISOString(),
    sandbox_sha256: sha(SANDBOX_COPY),
    sandbox_built_at: statSync(SANDBOX_BIN).mtime.toISOString(),
    head: sh("git rev-parse --short HEAD"),
    dirty_sources: sh("git status --short -- worker/src src wire Cargo.toml Cargo.lock worker/Cargo.toml tests/sandbox").split("\n").filter(Boolean),
  };
}
const MODULES = [
  { type: "ESModule", path: path.join(SNAP, "index.js") },
  { type: "CompiledWasm", path: path.join(SNAP, "index_bg.wasm") },
];

async function sandbox(perNumber) {
  const mine = [];
  const ready = spawnReady(SANDBOX_COPY, ["--port", "0", "--tenant-key", KEY, "--rate-limit", "0", "--webhook-secret", HOOK,
    "--webhooks-per-number", perNumber, "--webhook-secrets", "global"], "pilot-sandbox listening on ", { procs: mine });
  procs.push(...mine);
  return { url: await ready, proc: mine[0] };
}

/** The Rust worker (the snapshot) with its sessions and queues; worker errors are counted. */
async function worker(sb, extra = {}, queues = {}) {
  const errors = [];
  const w = await startSharedWorker({
    PS_API_KEY: KEY, CONNECT_TOKEN_SECRET: SECRET, PS_BASE_URL: sb, ALLOWED_ORIGINS: PAGE, CONNECT_TOKEN_AUDIENCE: AUD,
    PS_WEBHOOK_SECRET: HOOK, STATUS_POLL_MS: POLL_MS, FORWARD_RETRY_BASE_SECS: "1", ...extra,
  }, {
    limit: 1e8, modules: MODULES, sessions: true, queues,
    onLog: (l) => { if (l?.level === "error") errors.push(String(l.message).slice(0, 300)); },
  });
  started.push(w.mf);
  return { ...w, errors };
}
async function dispose(w) {
  await w.mf.dispose().catch(() => {});
  started.splice(started.indexOf(w.mf), 1);
}

const api = (sb, route, method, body) => fetch(`${sb}${route}`, {
  method, headers: { "x-api-key": KEY, "content-type": "application/json" }, body: body && JSON.stringify(body),
});

/**
 * The customer's receiver: verifies each delivery with the webhook secret (constant time), keeps
 * when it arrived; `relayTo` set: hands the lifecycle events on, same bytes and signature, and
 * answers 200 once the edge answered (as a handler awaiting relayWebhook does).
 */
async function receiver() {
  const r = { got: [], unverified: 0, relayTo: null, relayed: [], onDelivery: null };
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", async () => {
      const at = now();
      const raw = Buffer.concat(chunks);
      const sig = String(req.headers["x-pilot-status-signature"] ?? "");
      const want = Buffer.from(sign(raw));
      if (sig.length !== want.length || !timingSafeEqual(Buffer.from(sig), want)) { r.unverified++; res.writeHead(401).end(); return; }
      let body;
      try { body = JSON.parse(raw); } catch { res.writeHead(400).end(); return; }
      const d = { at, event: body.event, id: body.data?.id, numberId: body.data?.numberId, dedup: req.headers["x-pilot-connect-dedup-key"] ?? null };
      r.got.push(d);
      r.onDelivery?.(d);
      if (r.relayTo && EDGE_EVENTS.includes(body.event)) {
        const t = now();
        try {
          const e = await fetch(r.relayTo, { method: "POST", body: raw,
            headers: { "content-type": "application/json", "x-pilot-status-signature": sig, "user-agent": "bench-relay" } });
          await e.arrayBuffer();
          r.relayed.push({ status: e.status, ms: now() - t, numberId: d.numberId });
        } catch (err) {
          r.relayed.push({ status: 0, ms: now() - t, error: String(err), numberId: d.numberId });
        }
      }
      res.writeHead(200).end();
    });
  });
  const port = await freePort();
  await new Promise((ok) => server.listen(port, "127.0.0.1", ok));
  servers.push(server);
  return { ...r, state: r, url: `http://127.0.0.1:${port}/hooks/pilot-status`, close: () => new Promise((ok) => server.close(ok)) };
}

/** One push watcher: a WebSocket to /v1/events as the widget opens it. */
async function watcher(w, sub) {
  const res = await w.mf.dispatchFetch(`${w.url}/v1/events`, {
    headers: { upgrade: "websocket", origin: PAGE, "sec-websocket-protocol": `pilot-connect.v1, bearer.${mint(sub)}` },
  });
  if (res.status !== 101) throw new Error(`push refused: ${res.status}`);
  const ws = res.webSocket;
  const frames = [];
  const waiters = [];
  ws.addEventListener("message", (e) => {
    const at = now();
    let f;
    try { f = JSON.parse(e.data); } catch { return; }
    frames.push({ at, f });
    for (const w_ of waiters.splice(0)) w_();
  });
  ws.accept();
  const first = (pred, ms) => new Promise((resolve) => {
    const t = setTimeout(() => resolve(null), ms);
    const check = () => {
      const hit = frames.find((x) => pred(x.f));
      if (hit) { clearTimeout(t); resolve(hit); } else waiters.push(check);
    };
    check();
  });
  return { ws, frames, first };
}

async function until(check, what, ms = 20000) {
  for (const t0 = Date.now(); Date.now() - t0 < ms;) { if (await check()) return true; await sleep(10); }
  throw new Error(`timed out: ${what}`);
}

// ---------- scan → connected ----------

let phone = 5511950000000;

async function scanTopology(topology) {
  const { url: sb, proc } = await sandbox(topology === "side_by_side" ? "many" : "one");
  const c = await receiver();
  const vars = topology === "edge_in_front" ? { FORWARD_WEBHOOK_URL: c.url } : {};
  const w = await worker(sb, vars);
  const edgeHook = `${w.url}/v1/hooks/pilot-status`;
  if (topology === "relay") c.state.relayTo = edgeHook;
  const creates = {};
  const count = (k, s) => { creates[`${k}:${s}`] = (creates[`${k}:${s}`] ?? 0) + 1; };
  const ms = [];
  const customerMs = [];
  const relayMs = [];
  const loadStart = load();
  try {
    for (let i = 0; i < RUNS; i++) {
      const id = await createNumber(sb, `+${++phone}`);
      if (topology !== "edge_in_front") {
        const own = await api(sb, "/v1/webhooks", "POST", { url: c.url, events: ["*"], whatsappNumberId: id });
        count("customer", own.status);
        if (own.status !== 201) throw new Error(`${topology}: customer's webhook ${own.status}`);
      }
      const edge = await api(sb, "/v1/webhooks", "POST", {
        url: edgeHook, events: topology === "edge_in_front" ? ["*"] : EDGE_EVENTS, whatsappNumberId: id,
      });
      count("edge", edge.status);
      if (topology === "relay" ? edge.status !== 409 : edge.status !== 201) throw new Error(`${topology}: edge webhook ${edge.status}`);
      const v = await watcher(w, id);
      if (!(await v.first((f) => f.state === "pairing", 20000))) throw new Error(`${topology}: no QR pushed`);
      await sleep(100 + Math.random() * 100);
      const relayedBefore = c.state.relayed.length;
      const t0 = now();
      const scanned = fetch(`${sb}/_sandbox/numbers/${id}/scan`, { method: "POST" }).then((r) => r.arrayBuffer());
      const hit = await v.first((f) => f.state === "connected", 15000);
      await scanned;
      if (!hit) throw new Error(`${topology}: not connected 15 s after the scan (run ${i + 1})`);
      ms.push(hit.at - t0);
      // When the customer's own receiver had the number.connected (direct, or forwarded).
      await until(() => c.state.got.some((d) => d.event === "number.connected" && d.numberId === id), `${topology}: the customer's number.connected`, 15000);
      customerMs.push(c.state.got.find((d) => d.event === "number.connected" && d.numberId === id).at - t0);
      if (topology === "relay") {
        // The relay's own POST to the edge: from the receiver's fetch to the edge's answer.
        await until(() => c.state.relayed.some((x) => x.numberId === id), `${topology}: the relay answered`, 15000);
        relayMs.push(...c.state.relayed.slice(relayedBefore).filter((x) => x.numberId === id).map((x) => x.ms));
      }
      try { v.ws.close(1000, "bench"); } catch {}
    }
    await sleep(300);
    const relayed = c.state.relayed.reduce((a, x) => ({ ...a, [x.status]: (a[x.status] ?? 0) + 1 }), {});
    const forwardedDedup = c.state.got.filter((d) => d.dedup).length;
    const out = {
      ...stats(ms), samples_ms: ms.map(r1), customer_connected: stats(customerMs), customer_samples_ms: customerMs.map(r1),
      relay_answer: topology === "relay" ? stats(relayMs) : null, relayed_status: topology === "relay" ? relayed : null,
      webhook_creates: creates, customer_deliveries: c.state.got.length, customer_unverified: c.state.unverified,
      forwarded_with_dedup_key: topology === "edge_in_front" ? forwardedDedup : null,
      worker_errors: w.errors.length, worker_error_sample: w.errors.slice(0, 3),
      load_start: loadStart, load_end: load(),
    };
    log(`scan → connected (${topology}):`, JSON.stringify({ ...out, samples_ms: undefined, customer_samples_ms: undefined }));
    return out;
  } finally {
    await dispose(w);
    await c.close();
    proc.kill("SIGTERM");
  }
}

async function scanPart() {
  const out = {};
  for (const t of ["side_by_side", "relay", "edge_in_front"]) out[t] = await scanTopology(t);
  return out;
}

// ---------- edge in front: forward latency and throughput ----------

/** A real message.received as the sandbox sends it: the template of the generator's deliveries. */
async function template(sb) {
  const c = await receiver();
  try {
    const id = await createNumber(sb, `+${++phone}`);
    const h = await api(sb, "/v1/webhooks", "POST", { url: c.url, events: ["*"], whatsappNumberId: id });
    if (h.status !== 201) throw new Error(`template webhook: ${h.status}`);
    await fetch(`${sb}/_sandbox/numbers/${id}/scan`, { method: "POST" });
    await fetch(`${sb}/_sandbox/numbers/${id}/messages`, { method: "POST", body: "{}" });
    await until(() => c.state.got.some((d) => d.event === "message.received"), "a message.received from the sandbox");
    const d = (await (await fetch(`${sb}/_sandbox/webhooks/deliveries`)).json()).deliveries.find((x) => x.event === "message.received");
    return d.body;
  } finally { await c.close(); }
}

let seq = 0;
function delivery(tpl, tag) {
  const id = `msg_bench_${tag}_${process.pid}_${++seq}`;
  const raw = JSON.stringify({ ...tpl, data: { ...tpl.data, id } });
  return { id, raw, sig: sign(raw) };
}
// node:http with a keep-alive pool rather than fetch: on this shared machine undici's fetch was the
// bottleneck of the load generator itself (a few hundred requests/s to an empty Node server).
const AGENT = new http.Agent({ keepAlive: true, maxSockets: 64 });
const post = (url, d) => new Promise((resolve, reject) => {
  const q = http.request(url, { method: "POST", agent: AGENT, headers: {
    "content-type": "application/json", "content-length": Buffer.byteLength(d.raw), "x-pilot-status-signature": d.sig } }, (r) => {
    r.resume();
    r.on("end", () => resolve(r.statusCode));
    r.on("error", reject);
  });
  q.on("error", reject);
  q.end(d.raw);
});

/** Arrival times by data.id at receiver `c`, with a waiter per id. */
function arrivals(c) {
  const first = new Map();
  const waiting = new Map();
  let dup = 0;
  c.state.onDelivery = (d) => {
    if (first.has(d.id)) { dup++; return; }
    first.set(d.id, d.at);
    waiting.get(d.id)?.(d.at);
    waiting.delete(d.id);
  };
  return {
    first, dups: () => dup,
    wait: (id, ms = 15000) => (first.has(id) ? Promise.resolve(first.get(id)) : new Promise((resolve) => {
      const t = setTimeout(() => { waiting.delete(id); resolve(null); }, ms);
      waiting.set(id, (at) => { clearTimeout(t); resolve(at); });
    })),
  };
}

/** `n` deliveries one at a time to `url` (receiver `c`): each waits for the last to arrive. */
async function oneAtATime(url, c, n, tag, gapMs = 0) {
  const a = arrivals(c);
  const ms = [];
  let lost = 0, refused = 0;
  for (let i = 0; i < n; i++) {
    const d = delivery(c.tpl, tag);
    const t0 = now();
    const s = await post(url, d);
    if (s !== 204 && s !== 200) { refused++; continue; }
    const at = await a.wait(d.id);
    if (at === null) lost++; else ms.push(at - t0);
    if (gapMs) await sleep(Math.random() * gapMs);
  }
  return { ms, lost, refused, dups: a.dups() };
}

async function forwardPart(sb, tpl) {
  const out = {};
  const run = async (key, fn) => {
    const l0 = load(), t = Date.now();
    const r = await fn();
    out[key] = { ...stats(r.ms), lost: r.lost, refused: r.refused, duplicates: r.dups, seconds: Math.round((Date.now() - t) / 100) / 10,
      load_start: l0, load_end: load(), ...(r.extra ?? {}) };
    log(`forward ${key}:`, JSON.stringify(out[key]));
  };
  // direct: the same signed POST straight to the receiver.
  {
    const c = await receiver();
    c.tpl = tpl;
    await oneAtATime(c.url, c, 20, "warm");
    await run("direct", () => oneAtATime(c.url, c, DELIVERIES, "direct"));
    await c.close();
  }
  // quiet: alone in its batch, in lanes of their own worker each.
  {
    const lanes = await Promise.all(Array.from({ length: QUIET_LANES }, async () => {
      const c = await receiver();
      c.tpl = tpl;
      const w = await worker(sb, { FORWARD_WEBHOOK_URL: c.url });
      return { c, w };
    }));
    await Promise.all(lanes.map(({ c, w }) => oneAtATime(`${w.url}/v1/hooks/pilot-status`, c, 2, "warm")));
    await run("quiet", async () => {
      const per = Math.ceil(DELIVERIES / QUIET_LANES);
      const rs = await Promise.all(lanes.map(({ c, w }, i) => sleep(i * 250).then(() => oneAtATime(`${w.url}/v1/hooks/pilot-status`, c, per, "quiet", 50))));
      return { ms: rs.flatMap((r) => r.ms), lost: rs.reduce((a, r) => a + r.lost, 0), refused: rs.reduce((a, r) => a + r.refused, 0), dups: rs.reduce((a, r) => a + r.dups, 0),
        extra: { lanes: QUIET_LANES, worker_errors: lanes.reduce((a, l) => a + l.w.errors.length, 0) } };
    });
    for (const { c, w } of lanes) { await dispose(w); await c.close(); }
  }
  // steady: open loop at STEADY_RPS to one worker.
  {
    const c = await receiver();
    c.tpl = tpl;
    const w = await worker(sb, { FORWARD_WEBHOOK_URL: c.url });
    const hook = `${w.url}/v1/hooks/pilot-status`;
    await oneAtATime(hook, c, 2, "warm");
    await run("steady", async () => {
      const a = arrivals(c);
      const sent = [];
      let refused = 0;
      const tStart = now();
      const inflight = [];
      for (let i = 0; i < DELIVERIES; i++) {
        const due = tStart + (i * 1000) / STEADY_RPS;
        const wait = due - now();
        if (wait > 0) await sleep(wait);
        const d = delivery(tpl, "steady");
        const t0 = now();
        sent.push({ id: d.id, t0 });
        inflight.push(post(hook, d).then((s) => { if (s !== 204) refused++; }));
      }
      await Promise.all(inflight);
      const ats = await Promise.all(sent.map((s) => a.wait(s.id, 20000)));
      const ms = sent.map((s, i) => (ats[i] === null ? null : ats[i] - s.t0)).filter((x) => x !== null);
      return { ms, lost: ats.filter((x) => x === null).length, refused, dups: a.dups(), extra: { rps: STEADY_RPS, worker_errors: w.errors.length } };
    });
    await dispose(w);
    await c.close();
  }
  // no_wait: what-if max_batch_timeout 0 (override here only; wrangler.toml keeps its 1 s).
  {
    const c = await receiver();
    c.tpl = tpl;
    const w = await worker(sb, { FORWARD_WEBHOOK_URL: c.url }, { "pilot-connect-forward": { maxBatchTimeout: 0 } });
    const hook = `${w.url}/v1/hooks/pilot-status`;
    await oneAtATime(hook, c, 20, "warm");
    await run("no_wait", async () => ({ ...(await oneAtATime(hook, c, DELIVERIES, "nowait")), extra: { max_batch_timeout_s: 0, worker_errors: w.errors.length } }));
    await dispose(w);
    await c.close();
  }
  return out;
}

/** `n` signed deliveries at c=32 to `url` (bounded by MAX_S): the accepted ones, by data.id, with their send time. */
async function blast(url, tpl, n, ok) {
  const sent = new Map();
  const status = {};
  let next = 0;
  const tStart = now();
  const deadline = tStart + MAX_S * 1000;
  let lastAccept = tStart;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < n && now() < deadline) {
      next++;
      const d = delivery(tpl, "tput");
      const t0 = now();
      let s;
      try { s = await post(url, d); } catch { s = 0; }
      status[s] = (status[s] ?? 0) + 1;
      if (s === ok) { sent.set(d.id, t0); lastAccept = now(); }
    }
  }));
  return { sent, status, tried: next, tStart, ingestS: (lastAccept - tStart) / 1000 };
}

async function throughputPart(sb, tpl) {
  const out = {};
  // The baseline: the receiver alone, the same load generator.
  {
    const c = await receiver();
    const l0 = load();
    const b = await blast(c.url, tpl, EVENTS, 200);
    out.direct = { sent: b.tried, status: b.status, accepted: b.sent.size, seconds: Math.round(b.ingestS * 100) / 100,
      eps: Math.round(b.sent.size / b.ingestS), load_start: l0, load_end: load() };
    log("throughput direct:", JSON.stringify(out.direct));
    await c.close();
  }
  const c = await receiver();
  c.tpl = tpl;
  const w = await worker(sb, { FORWARD_WEBHOOK_URL: c.url });
  const hook = `${w.url}/v1/hooks/pilot-status`;
  try {
    await oneAtATime(hook, c, 5, "warm");
    const byKey = new Map();
    const a = arrivals(c);
    const prev = c.state.onDelivery;
    c.state.onDelivery = (d) => { if (d.id?.includes("_tput_")) byKey.set(d.dedup, (byKey.get(d.dedup) ?? 0) + 1); prev(d); };
    const l0 = load();
    const { sent, status, tried, tStart, ingestS } = await blast(hook, tpl, EVENTS, 204);
    const lIngest = load();
    log(`throughput: ${sent.size} accepted in ${ingestS.toFixed(1)} s; waiting for the forwards`);
    // Drain: bounded, until every accepted id arrived (or nothing new for 20 s, or MAX_S).
    const drainEnd = now() + MAX_S * 1000;
    let lastCount = -1, lastChange = now();
    while (now() < drainEnd) {
      const got = [...sent.keys()].filter((id) => a.first.has(id)).length;
      if (got === sent.size) break;
      if (got !== lastCount) { lastCount = got; lastChange = now(); } else if (now() - lastChange > 20000) break;
      await sleep(50);
    }
    await sleep(1500); // late duplicates, if any
    const arrivedAt = [...sent.keys()].filter((id) => a.first.has(id)).map((id) => a.first.get(id));
    const lastArrival = arrivedAt.length ? Math.max(...arrivedAt) : tStart;
    const ms = [...sent.entries()].filter(([id]) => a.first.has(id)).map(([id, t0]) => a.first.get(id) - t0);
    out.edge = {
      concurrency: CONCURRENCY, requested: EVENTS, sent: tried, status, accepted: sent.size,
      ingest_s: Math.round(ingestS * 100) / 100, ingest_eps: Math.round(sent.size / ingestS),
      delivered: arrivedAt.length, delivered_s: Math.round(((lastArrival - tStart) / 1000) * 100) / 100,
      delivered_eps: Math.round(arrivedAt.length / ((lastArrival - tStart) / 1000)),
      lost: sent.size - arrivedAt.length, duplicates: [...byKey.values()].reduce((x, n) => x + n - 1, 0),
      duplicate_keys: [...byKey.values()].filter((n) => n > 1).length,
      without_dedup_key: c.state.got.filter((d) => d.id?.includes("_tput_") && !d.dedup).length,
      unverified: c.state.unverified, latency: stats(ms), worker_errors: w.errors.length, worker_error_sample: w.errors.slice(0, 3),
      load_start: l0, load_after_ingest: lIngest, load_end: load(), max_s: MAX_S,
    };
    log("throughput:", JSON.stringify(out.edge));
    return out;
  } finally {
    await dispose(w);
    await c.close();
  }
}

// ---------- upload ----------

function uploadPart() {
  const toml = readFileSync(path.join(ROOT, "worker/wrangler.toml"), "utf8");
  const pick = (k) => toml.match(new RegExp(`^${k}\\s*=\\s*"([^"]+)"`, "m"))?.[1];
  const cfgPath = path.join(OUT, "topologies-wrangler.toml");
  writeFileSync(cfgPath, `name = "${pick("name")}"\ncompatibility_date = "${pick("compatibility_date")}"\nmain = "${path.join(SNAP, "index.js")}"\n`);
  const dist = path.join(OUT, "topologies-worker-dist");
  rmSync(dist, { recursive: true, force: true });
  const l0 = load();
  const r = spawnSync(process.execPath, [path.join(ROOT, "node_modules/wrangler/bin/wrangler.js"), "deploy", "--dry-run", "--config", cfgPath, "--outdir", dist],
    { cwd: OUT, encoding: "utf8", env: { ...process.env, WRANGLER_SEND_METRICS: "false" } });
  const line = `${r.stdout}\n${r.stderr}`.split("\n").find((l) => l.includes("Total Upload"))?.trim();
  if (!line) throw new Error(`wrangler dry-run: ${r.stderr || r.stdout}`);
  const m = line.match(/Total Upload: ([\d.]+) KiB \/ gzip: ([\d.]+) KiB/);
  const files = readdirSync(dist).filter((f) => /\.(js|wasm|mjs)$/.test(f)).map((f) => readFileSync(path.join(dist, f)));
  return {
    wrangler: line, total_kib: Number(m[1]), gzip_kib: Number(m[2]),
    raw_bytes: files.reduce((x, b) => x + b.length, 0), zlib9_bytes: files.reduce((x, b) => x + gzipSync(b, { level: 9 }).length, 0),
    load_start: l0, load_end: load(),
  };
}

// ---------- run ----------

try {
  if (!existsSync(SANDBOX_BIN)) throw new Error("cargo build -q --locked --release -p pilot-sandbox first");
  mkdirSync(OUT, { recursive: true });
  const out = {
    measured_at: new Date().toISOString(),
    params: { runs: RUNS, deliveries: DELIVERIES, quiet_lanes: QUIET_LANES, steady_rps: STEADY_RPS, events: EVENTS, concurrency: CONCURRENCY, max_s: MAX_S,
      status_poll_ms: Number(POLL_MS), forward_retry_base_secs: 1, webhook_secrets: "global", queue: null },
    build: snapshot(),
    load: {},
  };
  const q = (await import("../tests/support/node.mjs")).wranglerConfig().consumers.find((x) => x.queue === "pilot-connect-forward");
  out.params.queue = { max_batch_size: q.maxBatchSize, max_batch_timeout_s: q.maxBatchTimeout, max_retries: q.maxRetries };
  const timings = {};
  let edge = null;
  for (const part of PARTS) {
    const t = Date.now();
    out.load[part] = load();
    if (part === "scan") out.scan = await scanPart();
    else if (part === "forward" || part === "throughput") {
      if (!edge) { const s = await sandbox("one"); edge = { ...s, tpl: await template(s.url) }; out.template_bytes = Buffer.byteLength(JSON.stringify(edge.tpl)); }
      if (part === "forward") out.forward = await forwardPart(edge.url, edge.tpl);
      else out.throughput = await throughputPart(edge.url, edge.tpl);
    } else if (part === "upload") { out.upload = uploadPart(); log(out.upload.wrangler); }
    else throw new Error(`unknown part ${part}`);
    timings[part] = Math.round((Date.now() - t) / 1000);
  }
  out.harness_s = { ...timings, total: Math.round((Date.now() - T0) / 1000) };
  writeFileSync(path.join(OUT, "topologies.json"), JSON.stringify(out, null, 2));
  log("wrote target/bench/topologies.json", JSON.stringify(out.harness_s));
} finally {
  for (const mf of [...started]) await mf.dispose().catch(() => {});
  for (const s of servers) s.close();
  for (const p of procs) p.kill("SIGTERM");
}
