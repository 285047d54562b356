// Worker overhead, throughput and soak, measured side by side in one run:
//   direct  = the upstream call made straight to the sandbox (what the worker itself calls),
//   rust    = the shipped Rust worker in workerd,
//   js      = bench/js-baseline/worker.js in workerd (same checks, hand-written JS).
// Latency: oha at c=1, rounds interleaved so machine noise hits all three alike.
// Throughput: oha at c=32, bounded in count, rounds interleaved too (median req/s). Soak: 10 000 requests at c=32 through the Rust
// worker, every body, header and worker log line scanned for the key and the token secret.
// Writes target/bench/load.json.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ROOT, KEY, SECRET, startSandbox, createNumber, startWorker, mint, stopAll } from "./stack.mjs";

const N_LAT = Number(process.env.BENCH_LATENCY_N ?? 1000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const N_TPUT = Number(process.env.BENCH_THROUGHPUT_N ?? 3000);
const N_SOAK = Number(process.env.BENCH_SOAK_N ?? 10000);
const ORIGIN = "http://bench.example";
const OHA = process.env.OHA_BIN ?? "oha";

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

// Async on purpose: Miniflare answers workerd on a loopback server in this process, so a
// blocked event loop (execFileSync) would stall every worker request.
async function oha(url, headers, n, c) {
  const args = ["--no-tui", "--output-format", "json", "-n", String(n), "-c", String(c)];
  for (const [k, v] of Object.entries(headers)) args.push("-H", `${k}: ${v}`);
  const { stdout } = await promisify(execFile)(OHA, [...args, url], { encoding: "utf8", maxBuffer: 64 << 20 });
  const out = JSON.parse(stdout);
  const codes = out.statusCodeDistribution ?? {};
  const ok = codes["200"] ?? 0;
  const total = Object.values(codes).reduce((a, b) => a + b, 0);
  const errors = Object.values(out.errorDistribution ?? {}).reduce((a, b) => a + b, 0);
  return {
    p50_ms: out.latencyPercentiles.p50 * 1000,
    p99_ms: out.latencyPercentiles.p99 * 1000,
    rps: out.summary.requestsPerSec,
    ok, non200: total - ok, errors,
  };
}

let leaks = 0;
const scan = (where, text) => {
  if (text.includes(KEY) || text.includes(SECRET)) { leaks++; console.error(`LEAK in ${where}: ${text.slice(0, 200)}`); }
};

try {
  const sandbox = await startSandbox(1);
  const rust = await startWorker("rust", { sandbox, origins: [ORIGIN], onLog: (l) => scan("rust worker log", JSON.stringify(l)) });
  const js = await startWorker("js", { sandbox, origins: [ORIGIN] });
  const id = await createNumber(sandbox, "+5511977776666");
  const token = mint(id);
  const viaWorker = { authorization: `Bearer ${token}`, origin: ORIGIN };
  const routes = {
    qr: { direct: [`${sandbox}/v1/numbers/${id}/connect`, { "x-api-key": KEY }],
          rust: [`${rust}/v1/qr`, viaWorker], js: [`${js}/v1/qr`, viaWorker] },
    status: { direct: [`${sandbox}/v1/numbers/${id}/status`, { "x-api-key": KEY }],
              rust: [`${rust}/v1/status`, viaWorker], js: [`${js}/v1/status`, viaWorker] },
  };
  // The runtime floor: a route with no token, no rate limit and no upstream call.
  const floor = { direct: [`${sandbox}/_sandbox/health`, {}], rust: [`${rust}/healthz`, { origin: ORIGIN }],
                  js: [`${js}/healthz`, { origin: ORIGIN }] };

  // Same answers from both workers before timing anything.
  for (const route of Object.keys(routes)) {
    const shapes = [];
    for (const who of ["rust", "js"]) {
      const [url, headers] = routes[route][who];
      const r = await fetch(url, { headers });
      const body = await r.json();
      if (r.status !== 200) throw new Error(`${who} ${route}: ${r.status} ${JSON.stringify(body)}`);
      shapes.push(Object.keys(body).sort().join(",") + ":" + body.state);
    }
    if (shapes[0] !== shapes[1]) throw new Error(`${route}: rust and js answer differently: ${shapes}`);
  }
  // Warm-up (JIT, connection pools, wasm tiers).
  for (const route of Object.keys(routes)) for (const who of ["direct", "rust", "js"]) await oha(...routes[route][who], 300, 4);

  const latency = {};
  for (const route of [...Object.keys(routes), "healthz"]) {
    const targets = route === "healthz" ? floor : routes[route];
    const runs = { direct: [], rust: [], js: [] };
    for (let r = 0; r < ROUNDS; r++) for (const who of ["direct", "rust", "js"]) runs[who].push(await oha(...targets[who], N_LAT, 1));
    latency[route] = Object.fromEntries(Object.entries(runs).map(([who, rs]) => [who, {
      p50_ms: median(rs.map((x) => x.p50_ms)), p99_ms: median(rs.map((x) => x.p99_ms)),
      non200: rs.reduce((a, x) => a + x.non200 + x.errors, 0), n: N_LAT * ROUNDS,
    }]));
    console.log(`latency ${route}:`, JSON.stringify(latency[route]));
  }

  const throughput = {};
  for (const route of Object.keys(routes)) {
    const runs = { direct: [], rust: [], js: [] };
    for (let r = 0; r < ROUNDS; r++) for (const who of ["direct", "rust", "js"]) runs[who].push(await oha(...routes[route][who], N_TPUT, 32));
    throughput[route] = Object.fromEntries(Object.entries(runs).map(([who, rs]) => [who, {
      rps: median(rs.map((x) => x.rps)), non200: rs.reduce((a, x) => a + x.non200 + x.errors, 0), n: N_TPUT * ROUNDS,
      p50_ms: median(rs.map((x) => x.p50_ms)), p99_ms: median(rs.map((x) => x.p99_ms)),
    }]));
    console.log(`throughput ${route}:`, JSON.stringify(throughput[route]));
  }

  // Soak: qr and status alternating, c=32, every answer scanned.
  let next = 0, errors = 0, done = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: 32 }, async () => {
    while (next < N_SOAK) {
      const i = next++;
      const [url, headers] = routes[i % 2 ? "status" : "qr"].rust;
      try {
        const r = await fetch(url, { headers });
        const text = await r.text();
        scan("response body", text);
        for (const [k, v] of r.headers) scan("response header", `${k}: ${v}`);
        if (r.status !== 200 || !JSON.parse(text).state) errors++;
      } catch (e) {
        errors++;
      }
      done++;
    }
  }));
  const soak = { n: done, concurrency: 32, errors, leaks, seconds: (performance.now() - started) / 1000 };
  console.log("soak:", JSON.stringify(soak));

  mkdirSync(path.join(ROOT, "target/bench"), { recursive: true });
  writeFileSync(path.join(ROOT, "target/bench/load.json"),
    JSON.stringify({ latency, throughput, soak, params: { N_LAT, ROUNDS, N_TPUT, N_SOAK } }, null, 2));
  if (errors || leaks) process.exitCode = 1;
} finally {
  await stopAll();
}
