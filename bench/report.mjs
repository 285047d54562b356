// Assembles bench/REPORT.md and bench/report.json from what tools/bench.sh measured in this run
// (target/bench/*, target/criterion/*, the built artifacts). Every figure comes from a file
// written in the same run; nothing here is typed in by hand.
import { readFileSync, existsSync, readdirSync, writeFileSync, statSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { execSync } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const B = (p) => path.join(ROOT, "target/bench", p);
const json = (p) => JSON.parse(readFileSync(p, "utf8"));
const sh = (c) => { try { return execSync(c, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim(); } catch { return "n/a"; } };
const kb = (n) => `${(n / 1000).toFixed(1)} KB`;
const ms = (x) => `${x.toFixed(2)} ms`;
const ok = (pass) => (pass ? "✅ met" : "❌ missed");

function sizeOf(files) {
  const bufs = files.map((f) => readFileSync(f));
  const raw = bufs.reduce((a, b) => a + b.length, 0);
  const gz = bufs.reduce((a, b) => a + gzipSync(b, { level: 9 }).length, 0);
  return { raw, gz };
}

// Which crate a twiggy item belongs to.
function crateOf(name) {
  if (name.startsWith("data segment")) return "static data (.rodata)";
  if (/shim|^__wbg|^__wbindgen|externref|^__externref/.test(name)) return "wasm-bindgen glue";
  if (/^__rust|^__rdl|^__rg_|^__rdl/.test(name)) return "alloc";
  let n = name;
  const as = n.match(/^<(.+?) as (.+?)>::/);
  if (as) n = as[1].includes("::") ? as[1] : as[2];
  n = n.replace(/^<+/, "").replace(/^&(mut )?/, "");
  const m = n.match(/^([A-Za-z_][A-Za-z0-9_]*)(\[[0-9a-f]+\])?::/);
  return m ? m[1] : "other (unnamed/wasm)";
}

function twiggy(file, top = 12) {
  if (!existsSync(file)) return null;
  const rows = json(file).items ?? json(file);
  const items = rows.filter((r) => !/"function names" subsection|"local names"|producers|custom section/.test(r.name));
  const total = items.reduce((a, r) => a + r.shallow_size, 0);
  const byCrate = {};
  for (const r of items) { const c = crateOf(r.name); byCrate[c] = (byCrate[c] ?? 0) + r.shallow_size; }
  return {
    total,
    crates: Object.entries(byCrate).sort((a, b) => b[1] - a[1]).slice(0, top).map(([c, n]) => ({ crate: c, bytes: n, pct: (100 * n) / total })),
    items: items.sort((a, b) => b.shallow_size - a.shallow_size).slice(0, top)
      .map((r) => ({ item: r.name.replace(/::h[0-9a-f]{16}$/, "").replace(/\[[0-9a-f]+\]/g, "").slice(0, 110), bytes: r.shallow_size })),
  };
}

function criterion() {
  const out = {};
  const dir = path.join(ROOT, "target/criterion");
  if (!existsSync(dir)) return out;
  for (const group of readdirSync(dir)) {
    const gdir = path.join(dir, group);
    if (!statSync(gdir).isDirectory() || group === "report") continue;
    for (const bench of readdirSync(gdir)) {
      const est = path.join(gdir, bench, "new/estimates.json");
      const meta = path.join(gdir, bench, "new/benchmark.json");
      if (!existsSync(est)) continue;
      const name = existsSync(meta) ? json(meta).function_id ?? bench : bench;
      const e = json(est);
      out[`${group}/${name}`] = { median_ns: e.median.point_estimate, mean_ns: e.mean.point_estimate };
    }
  }
  return out;
}

const pkg = path.join(ROOT, "target/widget-pkg");
const widgetWasm = sizeOf([path.join(pkg, "pilot_connect_bg.wasm")]);
const widgetJs = sizeOf(readdirSync(pkg).filter((f) => f.endsWith(".js")).map((f) => path.join(pkg, f)));
const serverPkg = path.join(ROOT, "target/server-pkg");
const serverWasm = sizeOf([path.join(serverPkg, "pilot_connect_server_bg.wasm")]);
const serverJs = sizeOf(readdirSync(serverPkg).filter((f) => f.endsWith(".js")).map((f) => path.join(serverPkg, f)));
const dist = path.join(ROOT, "target/worker-dist");
const workerFiles = readdirSync(dist).filter((f) => /\.(js|wasm|mjs)$/.test(f)).map((f) => path.join(dist, f)); // not .map/README
const worker = sizeOf(workerFiles);
const wranglerLine = existsSync(B("wrangler-size.txt")) ? readFileSync(B("wrangler-size.txt"), "utf8").trim() : "n/a";
const load = json(B("load.json"));
const browser = json(B("browser.json"));
const crit = criterion();
const fuzz = existsSync(B("fuzz.txt")) ? readFileSync(B("fuzz.txt"), "utf8").trim().split("\n").map((l) => {
  const [target, runs, seconds, status] = l.split(/\s+/);
  return { target, runs: Number(runs), seconds: Number(seconds), status };
}) : [];
const tw = { widget: twiggy(B("twiggy-widget.json")), worker: twiggy(B("twiggy-worker.json")) };

const L = load.latency, T = load.throughput;
const added = (r) => L[r].rust.p50_ms - L[r].direct.p50_ms;
const jsAdded = (r) => L[r].js.p50_ms - L[r].direct.p50_ms;
const ratio = (r) => L[r].rust.p50_ms / L[r].js.p50_ms;
const tput = (r) => T[r].rust.rps / T[r].js.rps;
const rt = crit["round_trip/connect (build + parse, real QR)"]?.median_ns;
const rtDoc = (crit["build/connect"]?.median_ns ?? 0) + (crit["parse/connect"]?.median_ns ?? 0);
const sk = browser.soak;

const targets = [
  ["Widget wasm + JS, gzip", "≤ 25 KB", kb(widgetWasm.gz + widgetJs.gz), widgetWasm.gz + widgetJs.gz <= 25000],
  ["Worker upload bundle, gzip", "≤ 250 KB", kb(worker.gz), worker.gz <= 250000],
  ...["qr", "status"].flatMap((r) => [
    [`Worker added latency p50, /v1/${r}`, "≤ 1.5 ms", ms(added(r)), added(r) <= 1.5],
    [`Worker p50 vs JS worker, /v1/${r}`, "≤ 1.2×", `${ratio(r).toFixed(2)}×`, ratio(r) <= 1.2],
    [`Throughput c=32 vs JS worker, /v1/${r}`, "≥ 0.8×, 0 errors", `${tput(r).toFixed(2)}×, ${T[r].rust.non200} errors`, tput(r) >= 0.8 && T[r].rust.non200 === 0],
  ]),
  ["Connect round trip (build + parse), real sandbox QR", "≤ 5 µs", rt ? `${(rt / 1000).toFixed(2)} µs` : "n/a", rt !== undefined && rt <= 5000],
  ["Connect round trip, documented example (1×1 PNG)", "≤ 5 µs", `${(rtDoc / 1000).toFixed(2)} µs`, rtDoc <= 5000],
  ["Soak: 10 000 worker requests at c=32", "0 errors, 0 leaks", `${load.soak.errors} errors, ${load.soak.leaks} leaks (n=${load.soak.n})`, load.soak.errors === 0 && load.soak.leaks === 0 && load.soak.n >= 10000],
  ["Widget soak: timers / listeners / nodes / wasm growth", "0", `${sk.growth.timers} / ${sk.growth.listeners} / ${sk.growth.nodes} / ${sk.growth.wasm_bytes} B`,
    sk.growth.timers <= 0 && sk.growth.listeners <= 0 && sk.growth.nodes <= 0 && sk.growth.wasm_bytes <= 0],
  ["Fuzzing: crashes", "0", `${fuzz.filter((f) => f.status !== "ok").length} of ${fuzz.length} targets`, fuzz.length > 0 && fuzz.every((f) => f.status === "ok")],
];

const cpu = (readFileSync("/proc/cpuinfo", "utf8").match(/model name\s*:\s*(.+)/) ?? [])[1] ?? os.cpus()[0]?.model;
const machine = `${os.cpus().length} cores (${cpu}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${sh("uname -sr")}`;
// When the figures were measured (the load run), not when this report was assembled.
const date = statSync(B("load.json")).mtime.toISOString().replace(/\.\d+Z$/, "Z");
const versions = `rustc ${sh("rustc -V").split(" ")[1]}, node ${process.version}, workerd via wrangler ${sh("node node_modules/wrangler/bin/wrangler.js --version")}, chromium ${sh("chromium --version").split(" ")[1]}, oha ${sh("oha --version").split(" ")[1]}`;

const md = [];
md.push("# Benchmark report", "", `Measured ${date} on ${machine}.`, `Tools: ${versions}.`,
  "Produced by `bash tools/bench.sh` (all figures from one run, side by side). Raw data: `bench/report.json`.", "");
md.push("## Targets", "", "| what | target | measured | |", "|---|---|---|---|");
for (const [w, t, m, p] of targets) md.push(`| ${w} | ${t} | ${m} | ${ok(p)} |`);

// The live edge (bench/live.mjs): push vs polling, and upstream calls against open tabs.
function liveSection() {
  if (!existsSync(B("live.json"))) return [];
  const l = json(B("live.json"));
  const ms = (x) => `${x.toFixed(1)} ms`;
  const out = ["## Live edge (session objects, webhooks in, push out)", "",
    `Scan → widget "connected", measured in the page, ${l.runs} runs each:`, "",
    "| path | p50 | p95 | max |", "|---|---|---|---|"];
  for (const [k, v] of Object.entries(l.latency)) out.push(`| ${k} | ${ms(v.p50_ms)} | ${ms(v.p95_ms)} | ${ms(v.max_ms)} |`);
  out.push("", `Pilot Status calls per number per minute (connect + status, counted at the sandbox over ${l.window_s} s):`, "",
    "| worker | 1 tab | 5 tabs | 20 tabs |", "|---|---|---|---|");
  for (const [k, v] of Object.entries(l.upstream)) out.push(`| ${k} | ${v[1]} | ${v[5]} | ${v[20]} |`);
  out.push("", "`stateless`: no session objects (the worker before them); `sessions`: objects, no webhooks (tabs poll the worker); `push`: objects + webhooks + `/v1/events`.", "");
  return out;
}

// The widget's size cuts are measured one change at a time (not by this run): kept as a log.
const cuts = path.join(ROOT, "bench/widget-cuts.md");
md.push("", "## Sizes", "", "| artifact | raw | gzip -9 |", "|---|---|---|",
  `| widget wasm (\`pilot_connect_bg.wasm\`) | ${kb(widgetWasm.raw)} | ${kb(widgetWasm.gz)} |`,
  `| widget JS (glue with its helpers + entry module + element re-export, minified) | ${kb(widgetJs.raw)} | ${kb(widgetJs.gz)} |`,
  `| **widget total** | ${kb(widgetWasm.raw + widgetJs.raw)} | **${kb(widgetWasm.gz + widgetJs.gz)}** |`,
  `| worker upload (\`wrangler deploy --dry-run\` outdir) | ${kb(worker.raw)} | ${kb(worker.gz)} |`,
  `| server package wasm (\`pilot_connect_server_bg.wasm\`) | ${kb(serverWasm.raw)} | ${kb(serverWasm.gz)} |`,
  `| server package JS (client + glue + loaders, unminified) | ${kb(serverJs.raw)} | ${kb(serverJs.gz)} |`,
  "", `wrangler: \`${wranglerLine}\``, "");
if (existsSync(cuts)) md.push(readFileSync(cuts, "utf8").trim(), "");
md.push(...liveSection());
for (const [name, t] of Object.entries(tw)) {
  if (!t) continue;
  md.push(`### What dominates the ${name} wasm (twiggy, ${kb(t.total)} of code + data, names kept for analysis)`, "",
    "| crate | bytes | share |", "|---|---|---|", ...t.crates.map((c) => `| ${c.crate} | ${c.bytes} | ${c.pct.toFixed(1)}% |`),
    "", "| largest items | bytes |", "|---|---|", ...t.items.map((i) => `| \`${i.item.replace(/\|/g, "\\|")}\` | ${i.bytes} |`), "");
}

md.push("## Worker overhead (workerd via Miniflare, loopback, same sandbox upstream)", "",
  `Latency: oha at c=1, ${load.params.N_LAT} requests × ${load.params.ROUNDS} interleaved rounds, median of the rounds' percentiles.`,
  "*direct* is the upstream call the worker makes, sent straight to the sandbox; *JS worker* is `bench/js-baseline/worker.js` (same checks).", "",
  "| route | direct p50 / p99 | Rust worker p50 / p99 | JS worker p50 / p99 | Rust added p50 | JS added p50 | Rust ÷ JS p50 |", "|---|---|---|---|---|---|---|");
for (const r of ["qr", "status"]) {
  md.push(`| /v1/${r} | ${ms(L[r].direct.p50_ms)} / ${ms(L[r].direct.p99_ms)} | ${ms(L[r].rust.p50_ms)} / ${ms(L[r].rust.p99_ms)} | ${ms(L[r].js.p50_ms)} / ${ms(L[r].js.p99_ms)} | ${ms(added(r))} | ${ms(jsAdded(r))} | ${ratio(r).toFixed(2)}× |`);
}
if (L.healthz) {
  const h = L.healthz;
  md.push(`| /healthz (floor: no token, limiter or upstream) | ${ms(h.direct.p50_ms)} / ${ms(h.direct.p99_ms)} | ${ms(h.rust.p50_ms)} / ${ms(h.rust.p99_ms)} | ${ms(h.js.p50_ms)} / ${ms(h.js.p99_ms)} | ${ms(h.rust.p50_ms - h.direct.p50_ms)} | ${ms(h.js.p50_ms - h.direct.p50_ms)} | ${(h.rust.p50_ms / h.js.p50_ms).toFixed(2)}× |`);
}
md.push("", `Throughput: oha at c=32, ${load.params.N_TPUT} requests × ${load.params.ROUNDS} interleaved rounds, median req/s (errors summed).`, "",
  "| route | direct req/s | Rust worker req/s (errors) | JS worker req/s (errors) | Rust ÷ JS |", "|---|---|---|---|---|");
for (const r of ["qr", "status"]) {
  md.push(`| /v1/${r} | ${T[r].direct.rps.toFixed(0)} | ${T[r].rust.rps.toFixed(0)} (${T[r].rust.non200}) | ${T[r].js.rps.toFixed(0)} (${T[r].js.non200}) | ${tput(r).toFixed(2)}× |`);
}
md.push("", `Soak: ${load.soak.n} requests (/v1/qr and /v1/status alternating) at c=${load.soak.concurrency} through the Rust worker in ${load.soak.seconds.toFixed(1)} s: ` +
  `${load.soak.errors} errors, ${load.soak.leaks} key/secret leaks (every body, header and worker log line scanned).`, "");

md.push("## Widget in headless Chromium", "",
  "Time to QR: from the `mount()` call to the QR `<img>` decoded and painted (two animation frames later), through the Rust worker to the sandbox.", "",
  "| | n | p50 | p95 |", "|---|---|---|---|",
  `| cold (fresh context: wasm fetched, compiled) | ${browser.ttq.cold.n} | ${ms(browser.ttq.cold.p50_ms)} | ${ms(browser.ttq.cold.p95_ms)} |`,
  `| warm (wasm loaded, new mount) | ${browser.ttq.warm.n} | ${ms(browser.ttq.warm.p50_ms)} | ${ms(browser.ttq.warm.p95_ms)} |`,
  "", `The timed QR was decoded from a screenshot and matched the sandbox's current ref: ${browser.ttq.decoded}.`, "",
  `Soak: one widget for ${sk.seconds} s against a 20× time-scaled sandbox, QR every 1 s, status poll every 500 ms, "new code" at each expiry ` +
  `(${sk.qr_refreshes} QRs, ${sk.expiries} expiries, ${sk.errors} errors). Samples after a forced GC:`, "",
  "| t (s) | live timers | listeners | DOM nodes | JS heap | wasm memory | QRs |", "|---|---|---|---|---|---|---|",
  ...sk.samples.map((s) => `| ${s.t} | ${s.timers} | ${s.listeners} | ${s.nodes} | ${kb(s.heap)} | ${kb(s.wasm)} | ${s.qr ?? "–"} |`),
  `| after destroy | ${sk.afterDestroy.timers} | ${sk.afterDestroy.listeners} | ${sk.afterDestroy.nodes} | ${kb(sk.afterDestroy.heap)} | ${kb(sk.afterDestroy.wasm)} | |`, "");

md.push("## Core (criterion, native)", "", "| bench | median |", "|---|---|",
  ...Object.entries(crit).sort().map(([k, v]) => `| ${k} | ${v.median_ns >= 1000 ? `${(v.median_ns / 1000).toFixed(2)} µs` : `${v.median_ns.toFixed(0)} ns`} |`), "");

md.push("## Fuzzing (cargo-fuzz / libFuzzer, seeded from the documented fixtures)", "", "| target | runs | seconds | result |", "|---|---|---|---|",
  ...fuzz.map((f) => `| ${f.target} | ${f.runs.toLocaleString("en")} | ${f.seconds} | ${f.status} |`), "");

const notes = path.join(ROOT, "bench/NOTES.md");
if (existsSync(notes)) md.push(readFileSync(notes, "utf8").trim(), "");

writeFileSync(path.join(ROOT, "bench/REPORT.md"), md.join("\n"));
writeFileSync(path.join(ROOT, "bench/report.json"), JSON.stringify({
  date, machine, versions, targets: targets.map(([what, target, measured, pass]) => ({ what, target, measured, pass })),
  sizes: { widget_wasm: widgetWasm, widget_js: widgetJs, worker, wrangler: wranglerLine, server_wasm: serverWasm, server_js: serverJs }, twiggy: tw,
  load, browser, criterion: crit, fuzz,
}, null, 2));
console.log(md.slice(0, 8 + targets.length).join("\n"));
