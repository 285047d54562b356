// Assembles bench/report.json from what tools/bench.sh measured in this run (target/bench/*,
// target/criterion/*, the built artifacts), then renders bench/REPORT.md and the README's figures
// block from report.json alone (`render`, `figuresBlock`): nothing in them is typed in by hand but
// LIVE_HISTORY, copied from an earlier report (what cannot be measured any more) and labelled as
// such where it is shown, and bench/widget-cuts.md, a dated log of one-at-a-time measurements.
// Targets are computed from the stored figures with today's budgets.
//
//   node bench/report.mjs               the full run's report (after tools/bench.sh measured)
//   node bench/report.mjs --live        only report.json's `live` key, from target/bench/live.json
//                                       (bench/live.mjs); everything re-rendered
//   node bench/report.mjs --topologies  only the `topologies` key, from target/bench/topologies.json
//   node bench/report.mjs --edge        only the `edge` key, from target/bench/edge.json (bench/edge.mjs)
//   node bench/report.mjs --render      REPORT.md and the README block from report.json
//   node bench/report.mjs --check       fails when they differ from what report.json renders (the
//                                       test command's `reports` stage)
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

// ---------- the live edge (bench/live.mjs) ----------

const REPORT_MD = path.join(ROOT, "bench/REPORT.md");
const REPORT_JSON = path.join(ROOT, "bench/report.json");
const prevReport = existsSync(REPORT_JSON) ? json(REPORT_JSON) : null;
const LIVE_START = "<!-- live-edge: written by bench/report.mjs from bench/live.mjs -->";
const LIVE_END = "<!-- /live-edge -->";

// From the report measured 2026-11-26T04:25:18Z (bench/live.mjs of then): the stateless worker
// has been removed (a worker without NUMBER_SESSIONS answers 500 config_error), so these cannot
// be measured again. Its latency rows did not randomise the scan's phase in the poll cycle.
const LIVE_HISTORY = {
  from: "bench/REPORT.md measured 2026-11-26T04:25:18Z",
  window_s: 20,
  upstream_per_min: { stateless: { 1: 27, 5: 135, 20: 540 }, sessions: { 1: 27, 5: 27, 20: 27 }, push: { 1: 3, 5: 3, 20: 3 } },
  latency_ms: { push: { p50: 14.1, p95: 18.9, max: 18.9 }, sessions: { p50: 2325.2, p95: 2339.7, max: 2339.7 } },
};

/**
 * What the call times say beyond the two fixed windows (the sandbox's counters are sampled every
 * 200 ms, so times are ±0.2 s): the shortest gap between two calls (0 for two at once), and the
 * most calls in any 60 s that ends after the first minute (the budget's "2 a minute after").
 */
function derive(r) {
  const t = [...r.call_times_s].sort((a, b) => a - b);
  const gaps = t.slice(1).map((x, i) => Math.round((x - t[i]) * 10) / 10);
  const TOL = 0.4;
  const after = t.filter((x) => x >= 60).map((end) => t.filter((x) => x <= end && x > end - 60 + TOL).length);
  return { ...r, min_gap_s: gaps.length ? Math.min(...gaps) : null, max_per_60s_after_first_minute: after.length ? Math.max(...after) : 0 };
}

// What each fault case must stay within, per watched number (README, "The customer's budget").
const WITHIN = {
  happy: (r) => r.first_minute <= 27 && r.second_minute <= 27,
  happy_hook: (r) => r.first_minute <= 27 && r.second_minute <= 27,
  unknown: (r) => r.total <= 1,
  deleted: (r) => r.total <= 1,
  // ±0.2 s: the sandbox's counters are sampled every 200 ms.
  rate_limited: (r) => r.first_minute <= 2 && r.second_minute <= 2 && (r.min_gap_s === null || r.min_gap_s >= 29.6),
  upstream_5xx: (r) => r.first_minute <= 10 && r.second_minute <= 2 && r.max_per_60s_after_first_minute <= 2,
  timeout: (r) => r.first_minute <= 10 && r.second_minute <= 2 && r.max_per_60s_after_first_minute <= 2,
  timeout_short: (r) => r.first_minute <= 10 && r.second_minute <= 2 && r.max_per_60s_after_first_minute <= 2,
};

/** The previous upload figure: the last live measurement, else the last full run's wrangler line. */
function previousUpload(l) {
  const pl = prevReport?.live;
  if (pl?.measured_at === l.measured_at) return pl.upload_previous ?? null; // the same run, re-reported
  if (pl?.upload) return { ...pl.upload, from: pl.measured_at };
  const m = prevReport?.sizes?.wrangler?.match(/Total Upload: ([\d.]+) KiB \/ gzip: ([\d.]+) KiB/);
  return m ? { wrangler: prevReport.sizes.wrangler, total_kib: Number(m[1]), gzip_kib: Number(m[2]), zlib9_bytes: prevReport.sizes.worker?.gz ?? null, from: prevReport.date } : null;
}

/** live.json with the derived figures of every fault result. */
function withDerived(l) {
  if (!l?.faults) return l;
  const results = {};
  for (const [kind, byN] of Object.entries(l.faults.results)) {
    results[kind] = {};
    for (const [n, byCase] of Object.entries(byN)) results[kind][n] = Object.fromEntries(Object.entries(byCase).map(([k, r]) => [k, derive(r)]));
  }
  return { ...l, faults: { ...l.faults, results } };
}

// ---------- the webhook topologies (bench/topologies.mjs) ----------

const TOPO_START = "<!-- webhook-topologies: written by bench/report.mjs from bench/topologies.mjs -->";
const TOPO_END = "<!-- /webhook-topologies -->";

/**
 * The upload figure to compare the topologies run with: the latest earlier measurement in
 * report.json (the live edge's or the last topologies run's), never this run's own.
 */
function previousTopologiesUpload(t) {
  const pt = prevReport?.topologies;
  if (pt?.measured_at === t.measured_at) return pt.upload_previous ?? null; // the same run, re-reported
  const c = [
    prevReport?.live?.upload && { ...prevReport.live.upload, from: prevReport.live.measured_at, what: "Live edge" },
    pt?.upload && { ...pt.upload, from: pt.measured_at, what: "Webhook topologies" },
  ].filter((x) => x && x.from !== t.measured_at).sort((a, b) => (a.from < b.from ? 1 : -1));
  if (!c[0]) return null;
  const { load_start, load_end, ...u } = c[0]; // eslint-disable-line no-unused-vars
  return u;
}

/** The topologies data the report shows: this run's file, else what report.json has. */
function currentTopologies() {
  if (existsSync(B("topologies.json"))) {
    const t = json(B("topologies.json"));
    return { ...t, upload_previous: t.upload ? previousTopologiesUpload(t) : null };
  }
  return prevReport?.topologies ?? null;
}

function topologiesSection(t) {
  if (!t) return [];
  const f = (x) => (x === undefined || x === null ? "–" : `${x.toFixed(1)} ms`);
  const la = (a, b) => `${a?.[0] ?? "?"} → ${b?.[0] ?? "?"}`;
  const sgn = (x, d = 2) => `${x >= 0 ? "+" : "−"}${Math.abs(x).toFixed(d)}`;
  const b = t.build ?? {};
  const q = t.params.queue ?? {};
  const out = [TOPO_START, "### Webhook topologies", "",
    `Measured ${t.measured_at.replace(/\.\d+Z$/, "Z")} by \`node bench/topologies.mjs\` (${t.harness_s.total} s: ${Object.entries(t.harness_s).filter(([k]) => k !== "total").map(([k, v]) => `${k} ${v} s`).join(", ")}): ` +
    `release sandbox (\`--webhook-secrets ${t.params.webhook_secrets}\`; \`--webhooks-per-number\` as each row says), the worker in workerd (Miniflare) with its session objects and its forward queue as wrangler.toml declares it ` +
    `(max_batch_size ${q.max_batch_size}, max_batch_timeout ${q.max_batch_timeout_s} s, max_retries ${q.max_retries}), worker build \`${(b.wasm_sha256 ?? "").slice(0, 12)}\` (worker/build at ${b.built_at ?? "?"}, HEAD ${b.head ?? "?"}` +
    `${b.dirty_sources?.length ? `, with uncommitted changes to ${b.dirty_sources.map((x) => x.replace(/^\s*\S+\s+/, "")).join(", ")}` : ""}; copied at the start, the sandbox binary too). ` +
    `Every worker has STATUS_POLL_MS ${t.params.status_poll_ms} ms, so no poll falls inside a run: only a webhook explains "connected"; FORWARD_RETRY_BASE_SECS ${t.params.forward_retry_base_secs}. ` +
    "The customer's receiver is a Node HTTP server in the harness process: it verifies every delivery's `x-pilot-status-signature` (constant time) and answers 200. " +
    `Load average (1 min, a shared 2-core machine) at the start → end of each row; the start of each part: ${Object.entries(t.load).map(([k, v]) => `${k} ${v.join(" / ")}`).join(", ")} (1 / 5 / 15 min). Raw data: \`report.json\` → \`topologies\`.`, ""];
  if (t.scan) {
    const S = t.scan;
    const rows = [
      ["side_by_side", "side by side", "many", "the customer's webhook (`\"*\"`) and the edge's (the four lifecycle events), both created (201)"],
      ["relay", "relay", "one", "the customer's webhook only (the edge's create answered 409); its receiver verifies and POSTs the lifecycle deliveries, same bytes and signature, to `/v1/hooks/pilot-status`, then answers 200"],
      ["edge_in_front", "edge in front", "one", "the edge is the number's webhook (`\"*\"`), `FORWARD_WEBHOOK_URL` = the customer's receiver"],
    ];
    out.push("#### Scan → connected, per topology", "",
      `At a push watcher: a WebSocket to \`/v1/events\` opened as the widget opens it (subprotocols \`pilot-connect.v1, bearer.<token>\`, the page's \`Origin\`), not Chromium; ` +
      `from the harness's scan request to the sandbox until the \`connected\` frame, ${t.params.runs} runs per topology, a fresh number each, the scan 100–200 ms after the first QR frame. ` +
      "The last column is when the customer's own receiver had that `number.connected` (from the sandbox, or forwarded through the queue).", "",
      "| topology | `--webhooks-per-number` | webhooks | n | p50 | p95 | max | customer got it, p50 / p95 | load (1 min) |", "|---|---|---|---|---|---|---|---|---|");
    for (const [k, name, per, what] of rows) {
      const v = S[k];
      if (!v) continue;
      out.push(`| **${name}** | ${per} | ${what} | ${v.n} | ${f(v.p50_ms)} | ${f(v.p95_ms)} | ${f(v.max_ms)} | ${f(v.customer_connected?.p50_ms)} / ${f(v.customer_connected?.p95_ms)} | ${la(v.load_start, v.load_end)} |`);
    }
    const notes = [];
    const creates = (v) => Object.entries(v.webhook_creates ?? {}).map(([k, n]) => `${k.replace(":", " ")} ×${n}`).join(", ");
    for (const [k, name] of rows) {
      const v = S[k];
      if (!v) continue;
      let line = `${name}: webhook creates ${creates(v)}; the customer's receiver got ${v.customer_deliveries} deliveries, ${v.customer_unverified} failing its signature check`;
      if (k === "relay" && v.relay_answer) line += `; the relay's POST to the edge answered ${Object.entries(v.relayed_status ?? {}).map(([st, n]) => `${st} ×${n}`).join(", ")}, in ${f(v.relay_answer.p50_ms)} / ${f(v.relay_answer.p95_ms)} (p50 / p95, the receiver's fetch until the edge's answer)`;
      if (k === "edge_in_front") line += `; ${v.forwarded_with_dedup_key} of them forwarded with \`x-pilot-connect-dedup-key\``;
      if (v.worker_errors) line += `; **${v.worker_errors} worker errors** (${v.worker_error_sample.join(" | ")})`;
      notes.push(line);
    }
    out.push("", `${notes.join(". ")}. p95 is the run at index ⌊0.95·n⌋ of the sorted runs.`, "");
  }
  if (t.forward) {
    const F = t.forward;
    const base = F.direct?.p50_ms;
    const rows = [
      ["direct", "**baseline**: the same signed POST straight to the customer's receiver, one at a time"],
      ["quiet", `edge in front, one at a time (the next once the last arrived, then 0–50 ms): each delivery alone in its queue batch; ${F.quiet?.lanes ?? "?"} workers side by side (each its own queue), ${F.quiet ? Math.ceil(F.quiet.n / (F.quiet.lanes || 1)) : "?"} each`],
      ["steady", `edge in front, open loop at ${F.steady?.rps ?? "?"} deliveries/s to one worker`],
      ["no_wait", "what-if: one at a time, the consumer's maxBatchTimeout 0 (overridden in the harness, whatever wrangler.toml says): the worker's own cost without the batch wait"],
    ];
    out.push("#### Edge in front: what the worker adds to a delivery", "",
      "The harness plays Pilot Status: `message.received` deliveries (a real one from the sandbox as the template, a unique `data.id` each, " +
      `${t.template_bytes ?? "?"} bytes), signed with the webhook secret, POSTed to the worker's \`/v1/hooks/pilot-status\`; ` +
      "timed from that POST until the customer's receiver has the forward (same clock: one process). Lost: accepted (204) but not at the receiver within 15–20 s.", "",
      "| deliveries | n | p50 | p95 | max | added vs baseline (p50) | lost | duplicates | load (1 min) |", "|---|---|---|---|---|---|---|---|---|");
    for (const [k, what] of rows) {
      const v = F[k];
      if (!v) continue;
      out.push(`| ${what} | ${v.n} | ${f(v.p50_ms)} | ${f(v.p95_ms)} | ${f(v.max_ms)} | ${k === "direct" || base === undefined ? "–" : `+${(v.p50_ms - base).toFixed(1)} ms`} | ${v.lost}${v.refused ? ` (+${v.refused} refused)` : ""} | ${v.duplicates} | ${la(v.load_start, v.load_end)} |`);
    }
    out.push("");
    if (F.quiet && F.no_wait) {
      out.push(`A quiet delivery waits for its batch to fill or for max_batch_timeout (${q.max_batch_timeout_s} s) to pass` +
        (q.max_batch_timeout_s > 0 ? `: that wait is ${((F.quiet.p50_ms - F.no_wait.p50_ms) / (F.quiet.p50_ms - (base ?? 0)) * 100).toFixed(0)}% of what the worker adds at p50; ` : ` (0 s: no wait; the two rows differ by noise); `) +
        `without it (what-if row) the worker adds ${(F.no_wait.p50_ms - (base ?? 0)).toFixed(1)} ms (verify, parse, queue send, the consumer's forward). ` +
        `At ${F.steady?.rps ?? "?"}/s a batch of ${q.max_batch_size} fills in ${q.max_batch_size && F.steady?.rps ? ((q.max_batch_size / F.steady.rps) * 1000).toFixed(0) : "?"} ms, which bounds the steady row's wait.`, "");
    }
  }
  if (t.throughput) {
    const T = t.throughput, e = T.edge, d = T.direct;
    out.push("#### Edge in front: throughput at c=32", "",
      `The same generator with ${T.edge?.concurrency ?? 32} deliveries in flight, ${e?.requested ?? "?"} events (bounded at ${e?.max_s ?? "?"} s), each a unique \`data.id\`; then the wait until every accepted one reached the receiver ` +
      "(bounded: 20 s without a new arrival, or the same bound). *Ingest*: accepted (204) per second, first request to last answer; *delivered*: distinct `data.id`s at the receiver per second, " +
      "first request to last arrival. Duplicates: arrivals beyond the first per `x-pilot-connect-dedup-key`.", "",
      "| target | events | answered | ingest events/s | delivered events/s | lost | duplicates | per-event latency p50 / p95 | load (1 min) |", "|---|---|---|---|---|---|---|---|---|");
    if (d) out.push(`| baseline: the customer's receiver alone | ${d.sent} | ${Object.entries(d.status).map(([st, n]) => `${st} ×${n}`).join(", ")} | ${d.eps} | – | – | – | – | ${la(d.load_start, d.load_end)} |`);
    if (e) {
      out.push(`| **the worker's hook route, edge in front** | ${e.sent} | ${Object.entries(e.status).map(([st, n]) => `${st} ×${n}`).join(", ")} | ${e.ingest_eps} (${e.ingest_s} s) | ${e.delivered_eps} (${e.delivered} in ${e.delivered_s} s) | ${e.lost === 0 ? "**0**" : `**${e.lost}** ❌`} | ${e.duplicates} (${e.duplicate_keys} keys) | ${f(e.latency?.p50_ms)} / ${f(e.latency?.p95_ms)} | ${la(e.load_start, e.load_end)} |`);
      out.push("", `Every forward carried the dedup key: ${e.without_dedup_key === 0 ? "yes" : `no, ${e.without_dedup_key} without`}; signature failures at the receiver: ${e.unverified}; worker errors: ${e.worker_errors}${e.worker_errors ? ` (${e.worker_error_sample.join(" | ")})` : ""}. ` +
        `Miniflare's queue hands the consumer one batch at a time (the consumer forwards a batch's ${q.max_batch_size ?? "?"} messages in parallel), so *delivered* is bounded by one batch's round trip at a time here; ` +
        "the per-event latency is the backlog's: accepted faster than delivered. Cloudflare runs consumer invocations side by side when a backlog grows; this local figure is a floor for one consumer, not the platform's.", "");
    }
  }
  if (t.upload) {
    const u = t.upload, pu = t.upload_previous;
    out.push("#### Worker upload", "",
      `\`wrangler deploy --dry-run\` of the build measured above (a minimal config with \`main\` on the copy, as bench/live.mjs does; load ${la(u.load_start, u.load_end)}), against the previous report's figure (${pu?.what ?? "–"}, ${pu?.from?.slice(0, 19) ?? "–"}).`, "",
      "| | previous | now | delta | target ≤ 330 KB |", "|---|---|---|---|---|",
      `| wrangler, gzip | ${pu ? `${pu.gzip_kib} KiB` : "–"} | **${u.gzip_kib} KiB** | ${pu ? `${sgn(u.gzip_kib - pu.gzip_kib)} KiB` : "–"} | ${ok(u.gzip_kib * 1.024 <= 330)} (${(u.gzip_kib * 1.024).toFixed(1)} KB) |`,
      `| wrangler, raw | ${pu ? `${pu.total_kib} KiB` : "–"} | ${u.total_kib} KiB | ${pu ? `${sgn(u.total_kib - pu.total_kib)} KiB` : "–"} | |`,
      `| zlib -9, each file of the outdir | ${pu?.zlib9_bytes ? kb(pu.zlib9_bytes) : "–"} | ${kb(u.zlib9_bytes)} | ${pu?.zlib9_bytes ? `${sgn((u.zlib9_bytes - pu.zlib9_bytes) / 1000, 1)} KB` : "–"} | ${ok(u.zlib9_bytes <= 330000)} |`,
      "", `wrangler: \`${u.wrangler}\`.`, "");
  }
  out.push(TOPO_END);
  return out;
}

function liveSection(l, prevUp, topo) {
  if (!l) return [];
  l = withDerived(l);
  const f1 = (x) => `${x.toFixed(1)} ms`;
  const sgn = (x, d = 2) => `${x >= 0 ? "+" : "−"}${Math.abs(x).toFixed(d)}`;
  const wb = l.worker_build ?? {};
  const out = [LIVE_START, "## Live edge (session objects, webhooks in, push out)", "",
    `Measured ${l.measured_at.replace(/\.\d+Z$/, "Z")} by \`node bench/live.mjs\` (${l.harness_s.total} s: ${Object.entries(l.harness_s).filter(([k]) => k !== "total").map(([k, v]) => `${k} ${v} s`).join(", ")}), ` +
    `release sandbox, the worker in workerd (Miniflare), headless Chromium; worker build \`${(wb.wasm_sha256 ?? "").slice(0, 12)}\` (worker/build at ${wb.built_at ?? "?"}, HEAD ${wb.head ?? "?"}` +
    `${wb.dirty_sources?.length ? `, with uncommitted changes to ${wb.dirty_sources.map((x) => x.replace(/^\s*\S+\s+/, "")).join(", ")}` : ""}). ` +
    `STATUS_POLL_MS ${l.params.status_poll_ms} ms and QR_REFRESH_MS ${l.params.qr_refresh_ms} ms, the defaults.` +
    `${l.load ? ` Load average (1 min) at the start of each part: ${Object.entries(l.load).map(([k, v]) => `${k} ${v}`).join(", ")} (a shared 2-core machine).` : ""} Raw data: \`report.json\` → \`live\`.`, ""];
  if (l.latency) {
    const n = l.notes ?? {};
    const edge409 = Object.entries(n.edge_hook_create ?? {}).filter(([k]) => k.startsWith("secret_no_hook:")).map(([k, v]) => `${k.split(":")[1]} ×${v}`).join(", ");
    const rows = [
      ["webhook", "a webhook for the number → the worker (`number.connected`, `.disconnected`, `.removed`, `.restored`), `PS_WEBHOOK_SECRET` set", "instant (the webhook)"],
      ["secret_no_hook", `\`PS_WEBHOOK_SECRET\` set, no webhook for the number: it keeps the customer's own (the edge's create answered ${edge409 || "n/a"})`, `within one STATUS_POLL_MS (${l.params.status_poll_ms / 1000} s)`],
      ["no_secret", "no webhook secret at all", `within one STATUS_POLL_MS (${l.params.status_poll_ms / 1000} s)`],
    ];
    out.push("### Scan → widget \"connected\"", "",
      `In the page: from the sandbox's scan request to the widget's \`data-state="connected"\`, ${l.params.runs} runs per setup, a fresh number and widget each. ` +
      "Without a webhook the scan falls at a uniformly random point of the session's poll cycle, as a person's scan does.", "",
      "| setup | promised | n | p50 | p95 | max | |", "|---|---|---|---|---|---|---|");
    for (const [k, what, promise] of rows) {
      const v = l.latency[k];
      if (!v) continue;
      const met = k === "webhook" ? v.p95_ms < 500 : v.max_ms <= l.params.status_poll_ms + 500;
      out.push(`| ${what} | ${promise} | ${v.n} | ${f1(v.p50_ms)} | ${f1(v.p95_ms)} | ${f1(v.max_ms)} | ${ok(met)} |`);
    }
    out.push("", `"met": p95 under 500 ms with the webhook; without, every run within STATUS_POLL_MS + 500 ms (the status call and the push). ` +
      `p95 is the run at index ⌊0.95·n⌋ of the sorted runs, as in earlier reports: with ${l.params.runs} runs, the slowest. ` +
      `The customer's own webhook received ${n.customer_deliveries ?? 0} deliveries during the no-hook runs (${Object.entries(n.customer_events ?? {}).map(([e, c]) => `${e} ×${c}`).join(", ") || "none"}): the edge never took its place.`,
      "", `*Previous report* (${LIVE_HISTORY.from}, scan at a fixed point of the cycle): push ${LIVE_HISTORY.latency_ms.push.p50} / ${LIVE_HISTORY.latency_ms.push.p95} / ${LIVE_HISTORY.latency_ms.push.max} ms, ` +
      `polling sessions ${LIVE_HISTORY.latency_ms.sessions.p50} / ${LIVE_HISTORY.latency_ms.sessions.p95} / ${LIVE_HISTORY.latency_ms.sessions.max} ms (p50 / p95 / max).`, "");
  }
  if (l.faults) {
    const R = l.faults.results;
    const variants = [["ws", 1, "1 watcher"], ["ws", 5, "5 watchers"], ["widget", 5, "5 widgets"]].filter(([k, n]) => R[k]?.[n]);
    out.push("### Pilot Status calls per watched number, under faults", "",
      "Upstream calls (`connect` + `status`) counted at the sandbox. Each case has its own sandbox and worker, so a count is that number's alone " +
      "(the 1-watcher cases ran side by side, then the 5-watcher and 5-widget cases side by side): " +
      "`PS_WEBHOOK_SECRET` set and no webhook for the number, so the session polls. Watchers are WebSockets to `/v1/events` opened as the widget opens its push stream; " +
      "widgets are real ones in Chromium (mounted in one page, each with its own requests and stream). The fault starts once every viewer shows a QR (the unknown number: from the first viewer); " +
      `the window opens at the first call after it (the failure streak's start) and lasts ${l.params.window_s} s. Cells: **first minute / second minute** (connect + status), then how many viewers were pushed the error.`, "",
      `| case | budget (per number, any number of viewers) | ${variants.map((v) => v[2]).join(" | ")} | |`, `|---|---|${variants.map(() => "---|").join("")}---|`);
    const misses = [];
    for (const c of l.faults.cases) {
      const cells = variants.map(([k, n]) => {
        const r = R[k][n][c.key];
        if (!r) return "–";
        const within = WITHIN[c.key]?.(r) ?? true;
        const told = r.told === null || r.told === undefined ? "" : `, told ${r.told}/${r.viewers}`;
        if (!within) {
          misses.push(`${c.label}, ${n} ${k === "ws" ? "watcher(s)" : "widgets"}: ${r.first_minute} / ${r.second_minute} (${r.connect} connect + ${r.status} status), ` +
            `shortest gap ${r.min_gap_s} s, at most ${r.max_per_60s_after_first_minute} in 60 s after the first minute; calls at ${r.call_times_s.join(", ")} s`);
        }
        if (r.told !== null && r.told !== undefined && r.told < r.viewers) misses.push(`${c.label}, ${n} ${k === "ws" ? "watcher(s)" : "widgets"}: told ${r.told}/${r.viewers}`);
        return `**${r.first_minute} / ${r.second_minute}** (${r.connect} + ${r.status})${told}${within ? "" : " ❌"}`;
      });
      const met = variants.every(([k, n]) => { const r = R[k][n][c.key]; return !r || ((WITHIN[c.key]?.(r) ?? true) && (r.told === null || r.told === undefined || r.told === r.viewers)); });
      out.push(`| ${c.label} | ${c.promise} | ${cells.join(" | ")} | ${ok(met)} |`);
    }
    out.push("", misses.length ? `**Over budget or not told:** ${misses.join("; ")}.` : "Every case within its budget, every viewer told.", "");
    out.push("When the calls went (seconds from the window's start, ±0.2 s: the counters are sampled every 200 ms), the shortest gap between two (0: two at once) " +
      "and the most calls in any 60 s ending after the first minute (the budget's \"2 a minute after\"):", "",
      "| case | 1 watcher | 5 widgets | shortest gap (1 watcher / 5 widgets) | most in any 60 s after the first minute |", "|---|---|---|---|---|");
    const times = (r) => (r ? (r.call_times_s.length > 30 ? `${r.call_times_s.length} calls, every ≈ ${(r.call_times_s.at(-1) / (r.call_times_s.length - 1)).toFixed(1)} s` : r.call_times_s.join(", ") || "none") : "–");
    for (const c of l.faults.cases) {
      const a = R.ws?.[1]?.[c.key], b = R.widget?.[5]?.[c.key];
      out.push(`| ${c.label} | ${times(a)} | ${times(b)} | ${[a, b].map((r) => (r?.min_gap_s === null || r?.min_gap_s === undefined ? "–" : `${r.min_gap_s} s`)).join(" / ")} | ${[a, b].map((r) => r?.max_per_60s_after_first_minute ?? "–").join(" / ")} |`);
    }
    if (R.widget?.[5]) {
      out.push("", `What the 5 widgets asked of the worker in the same window (the Workers side of the cost; the session answers them, Pilot Status sees only the calls above):`, "",
        "| case | `/v1/qr` | `/v1/status` | `/v1/events` opened | widgets' final state | errors shown (first widget) |", "|---|---|---|---|---|---|");
      for (const c of l.faults.cases) {
        const r = R.widget[5][c.key];
        if (!r) continue;
        const states = Object.entries(r.widget_states.reduce((a, s) => ({ ...a, [s]: (a[s] ?? 0) + 1 }), {})).map(([s, k]) => `${s} ×${k}`).join(", ");
        out.push(`| ${c.label} | ${r.worker_requests.qr} | ${r.worker_requests.status} | ${r.worker_requests.events} | ${states} | ${[...new Set(r.widget_errors[0] ?? [])].join(", ") || "none"} |`);
      }
    }
    const h = LIVE_HISTORY;
    out.push("", `*Previous report* (${h.from}, ${h.window_s} s windows, no faults, calls per minute with 1 / 5 / 20 tabs): ` +
      `stateless worker (removed since: no session objects, every tab polled Pilot Status through it) ${h.upstream_per_min.stateless[1]} / ${h.upstream_per_min.stateless[5]} / ${h.upstream_per_min.stateless[20]}; ` +
      `sessions polling ${h.upstream_per_min.sessions[1]} / ${h.upstream_per_min.sessions[5]} / ${h.upstream_per_min.sessions[20]}; push ${h.upstream_per_min.push[1]} / ${h.upstream_per_min.push[5]} / ${h.upstream_per_min.push[20]}.`, "");
  }
  if (l.upload) {
    const u = l.upload;
    out.push("### Worker upload", "",
      "`wrangler deploy --dry-run` of the build measured above (a minimal config with `main` on that build: worker/wrangler.toml's `[build]` step would rebuild from the tree as it is). " +
      "zlib -9: each file of the outdir on its own, decimal KB, as in \"Sizes\".", "",
      "| | previous | now | delta | target ≤ 330 KB |", "|---|---|---|---|---|");
    const pu = prevUp;
    out.push(`| wrangler, gzip | ${pu ? `${pu.gzip_kib} KiB (${pu.from?.slice(0, 10) ?? "?"})` : "–"} | ${u.gzip_kib} KiB | ${pu ? `${sgn(u.gzip_kib - pu.gzip_kib)} KiB` : "–"} | ${ok(u.gzip_kib * 1.024 <= 330)} (${(u.gzip_kib * 1.024).toFixed(1)} KB) |`);
    out.push(`| wrangler, raw | ${pu ? `${pu.total_kib} KiB` : "–"} | ${u.total_kib} KiB | ${pu ? `${sgn(u.total_kib - pu.total_kib)} KiB` : "–"} | |`);
    out.push(`| zlib -9 (this report's measure) | ${pu?.zlib9_bytes ? kb(pu.zlib9_bytes) : "–"} | ${kb(u.zlib9_bytes)} | ${pu?.zlib9_bytes ? `${sgn((u.zlib9_bytes - pu.zlib9_bytes) / 1000, 1)} KB` : "–"} | ${ok(u.zlib9_bytes <= 330000)} |`);
    out.push("", `wrangler: \`${u.wrangler}\` (previous: \`${pu?.wrangler ?? "–"}\`). The "Sizes" and "Targets" tables above keep the last full run's figure.`, "");
  }
  if (topo) out.push(...topologiesSection(topo), "");
  out.push(LIVE_END, "");
  return out;
}

/** `--live`: only the `live` key changes (and what is rendered from it). */
function writeLiveOnly() {
  const l = json(B("live.json"));
  const report = json(REPORT_JSON);
  report.live = { ...withDerived(l), upload_previous: previousUpload(l) };
  const topo = currentTopologies();
  if (topo) report.topologies = topo;
  writeAll(report);
}

/** `--topologies`: only the `topologies` key changes (and what is rendered from it). */
function writeTopologiesOnly() {
  if (!existsSync(B("topologies.json"))) throw new Error("no target/bench/topologies.json: run node bench/topologies.mjs first");
  const report = json(REPORT_JSON);
  report.topologies = currentTopologies();
  writeAll(report);
}

// ---------- rendering: bench/REPORT.md and the README's figures, from report.json alone ----------

const README = path.join(ROOT, "README.md");
const FIG_START = "<!-- figures: written by bench/report.mjs from bench/report.json (node bench/report.mjs --render) -->";
const FIG_END = "<!-- /figures -->";

/** The targets, from a report's raw figures and today's budgets (widget/SIZE_BUDGET for the widget). */
function targetsOf(r) {
  const L = r.load.latency, T = r.load.throughput;
  const added = (x) => L[x].rust.p50_ms - L[x].direct.p50_ms;
  const ratio = (x) => L[x].rust.p50_ms / L[x].js.p50_ms;
  const tput = (x) => T[x].rust.rps / T[x].js.rps;
  const crit = r.criterion;
  const rt = crit["round_trip/connect (build + parse, real QR)"]?.median_ns;
  const rtDoc = (crit["build/connect"]?.median_ns ?? 0) + (crit["parse/connect"]?.median_ns ?? 0);
  const sk = r.browser.soak;
  const widget = r.sizes.widget_wasm.gz + r.sizes.widget_js.gz;
  const widgetBudget = Number(readFileSync(path.join(ROOT, "widget/SIZE_BUDGET"), "utf8").replace(/\D/g, ""));
  return [
    ["Widget wasm + JS, gzip", `≤ ${(widgetBudget / 1000).toFixed(2)} KB (widget/SIZE_BUDGET)`, kb(widget), widget <= widgetBudget],
    // 320 -> 330 KB (2026-12-02): a forward batch's deliveries in parallel (join_all) took the forward
    // latency from ~1 s (with max_batch_timeout 0) to ~12 ms, for ~+3 KiB.
    // 250 -> 320 KB (2026-12-02): the session rework for clarity (typed protocol, serde storage, shared-future
    // single flight, budget: ~+29 KiB) and edge in front (queue producer/consumer, dead letters: ~+31 KiB).
    ["Worker upload bundle, gzip", "≤ 330 KB", kb(r.sizes.worker.gz), r.sizes.worker.gz <= 330000],
    ...["qr", "status"].flatMap((x) => [
      [`Worker added latency p50, /v1/${x}`, "≤ 1.5 ms", ms(added(x)), added(x) <= 1.5],
      [`Worker p50 vs JS worker, /v1/${x}`, "≤ 1.2×", `${ratio(x).toFixed(2)}×`, ratio(x) <= 1.2],
      [`Throughput c=32 vs JS worker, /v1/${x}`, "≥ 0.8×, 0 errors", `${tput(x).toFixed(2)}×, ${T[x].rust.non200} errors`, tput(x) >= 0.8 && T[x].rust.non200 === 0],
    ]),
    ["Connect round trip (build + parse), real sandbox QR", "≤ 5 µs", rt ? `${(rt / 1000).toFixed(2)} µs` : "n/a", rt !== undefined && rt <= 5000],
    ["Connect round trip, documented example (1×1 PNG)", "≤ 5 µs", `${(rtDoc / 1000).toFixed(2)} µs`, rtDoc <= 5000],
    ["Soak: 10 000 worker requests at c=32", "0 errors, 0 leaks", `${r.load.soak.errors} errors, ${r.load.soak.leaks} leaks (n=${r.load.soak.n})`, r.load.soak.errors === 0 && r.load.soak.leaks === 0 && r.load.soak.n >= 10000],
    ["Widget soak: timers / listeners / nodes / wasm growth", "0", `${sk.growth.timers} / ${sk.growth.listeners} / ${sk.growth.nodes} / ${sk.growth.wasm_bytes} B`,
      sk.growth.timers <= 0 && sk.growth.listeners <= 0 && sk.growth.nodes <= 0 && sk.growth.wasm_bytes <= 0],
    ["Fuzzing: crashes", "0", `${r.fuzz.filter((f) => f.status !== "ok").length} of ${r.fuzz.length} targets`, r.fuzz.length > 0 && r.fuzz.every((f) => f.status === "ok")],
  ];
}

/** The README's figures block: the targets of the last full run, and the live edge's headline. */
function figuresBlock(r) {
  const out = [FIG_START, "", `Last full run: ${r.date}, ${r.machine} (full report: [bench/REPORT.md](bench/REPORT.md)).`, "",
    "| what | target | measured | |", "|---|---|---|---|"];
  for (const [w, t, m, p] of targetsOf(r)) out.push(`| ${w} | ${t} | ${m} | ${ok(p)} |`);
  const b = r.browser.ttq;
  out.push("", `Time to QR (mount → QR decoded and painted): cold p50 ${ms(b.cold.p50_ms)}, warm p50 ${ms(b.warm.p50_ms)}. ` +
    `Server package: ${kb(r.sizes.server_wasm.gz + r.sizes.server_js.gz)} gzip.`);
  const push = r.live?.latency?.webhook;
  if (push) out.push(`Live edge (${r.live.measured_at.replace(/\.\d+Z$/, "Z")}): a scan turns into "connected" in the page in ${ms(push.p50_ms)} p50 / ${ms(push.p95_ms)} p95 with a webhook.`);
  out.push("", FIG_END);
  return out.join("\n");
}

/** bench/REPORT.md, from a report alone. */
function render(r) {
  const L = r.load.latency, T = r.load.throughput;
  const added = (x) => L[x].rust.p50_ms - L[x].direct.p50_ms;
  const jsAdded = (x) => L[x].js.p50_ms - L[x].direct.p50_ms;
  const ratio = (x) => L[x].rust.p50_ms / L[x].js.p50_ms;
  const tput = (x) => T[x].rust.rps / T[x].js.rps;
  const { widget_wasm: widgetWasm, widget_js: widgetJs, worker, server_wasm: serverWasm, server_js: serverJs } = r.sizes;
  const sk = r.browser.soak, load = r.load, browser = r.browser;
  const md = [];
  md.push("# Benchmark report", "", `Measured ${r.date} on ${r.machine}.`, `Tools: ${r.versions}.`,
    "Produced by `bash tools/bench.sh` (all figures from one run, side by side) and rendered from `bench/report.json` " +
    "(`node bench/report.mjs --render`; the test command checks the two agree). Targets are today's, applied to the run's figures.", "");
  md.push("## Targets", "", "| what | target | measured | |", "|---|---|---|---|");
  for (const [w, t, m, p] of targetsOf(r)) md.push(`| ${w} | ${t} | ${m} | ${ok(p)} |`);
  // The widget's size cuts are measured one change at a time (not by this run): kept as a log.
  const cuts = path.join(ROOT, "bench/widget-cuts.md");
  md.push("", "## Sizes", "", "| artifact | raw | gzip -9 |", "|---|---|---|",
    `| widget wasm (\`pilot_connect_bg.wasm\`) | ${kb(widgetWasm.raw)} | ${kb(widgetWasm.gz)} |`,
    `| widget JS (glue with its helpers + entry module + element re-export, minified) | ${kb(widgetJs.raw)} | ${kb(widgetJs.gz)} |`,
    `| **widget total** | ${kb(widgetWasm.raw + widgetJs.raw)} | **${kb(widgetWasm.gz + widgetJs.gz)}** |`,
    `| worker upload (\`wrangler deploy --dry-run\` outdir) | ${kb(worker.raw)} | ${kb(worker.gz)} |`,
    `| server package wasm (\`pilot_connect_server_bg.wasm\`) | ${kb(serverWasm.raw)} | ${kb(serverWasm.gz)} |`,
    `| server package JS (client + glue + loaders, unminified) | ${kb(serverJs.raw)} | ${kb(serverJs.gz)} |`,
    "", `wrangler: \`${r.sizes.wrangler}\``, "");
  if (existsSync(cuts)) md.push(readFileSync(cuts, "utf8").trim(), "");
  md.push(...liveSection(r.live, r.live?.upload_previous ?? null, r.topologies));
  if (r.edge) md.push(...edgeSection(r.edge));
  for (const [name, t] of Object.entries(r.twiggy)) {
    if (!t) continue;
    md.push(`### What dominates the ${name} wasm (twiggy, ${kb(t.total)} of code + data, names kept for analysis)`, "",
      "| crate | bytes | share |", "|---|---|---|", ...t.crates.map((c) => `| ${c.crate} | ${c.bytes} | ${c.pct.toFixed(1)}% |`),
      "", "| largest items | bytes |", "|---|---|", ...t.items.map((i) => `| \`${i.item.replace(/\|/g, "\\|")}\` | ${i.bytes} |`), "");
  }
  return renderRest(r, md).join("\n");
}

// ---------- the edge as teams deploy it (bench/edge.mjs) ----------

function edgeSection(e) {
  const rows = [["worker_build", "this repository's worker (worker-build's output)"], ["standalone", "`pilot-connect-edge`, standalone (the template)"],
    ["mounted", "`pilot-connect-edge` mounted in a Hono API (+ Hono, the server package)"]];
  return ["## The edge as teams deploy it", "",
    `Measured ${e.measured_at.replace(/\.\d+Z$/, "Z")} by \`node bench/edge.mjs\` (${e.version}; ${e.harness_s} s; load ${e.load_end} at the end). ` +
    `Upload: \`wrangler deploy --dry-run\`'s own figures. First answer: a fresh workerd (Miniflare) on the bundle until its first \`GET /healthz\` answer, ` +
    `${e.rounds} rounds interleaved (local, not Cloudflare's cold start).`, "",
    "| bundle | upload | gzip | first answer p50 (min–max) |", "|---|---|---|---|",
    ...rows.map(([k, what]) => `| ${what} | ${e.upload[k].total_kib} KiB | ${e.upload[k].gzip_kib} KiB | ${e.first_answer_ms[k].p50} ms (${e.first_answer_ms[k].min}–${e.first_answer_ms[k].max}) |`),
    "", `A fresh project with no Rust, from the template and the packed tarball (npm's cache warm): \`npm install\` ${e.fresh_project_s.npm_install} s, ` +
    `then \`wrangler deploy --dry-run\` green at ${e.fresh_project_s.to_dry_run_green} s. Raw data: \`report.json\` → \`edge\`.`, ""];
}

/** \`--edge\`: only the \`edge\` key changes (and what is rendered from it). */
function writeEdgeOnly() {
  if (!existsSync(B("edge.json"))) throw new Error("no target/bench/edge.json: run node bench/edge.mjs first");
  const report = json(REPORT_JSON);
  report.edge = json(B("edge.json"));
  writeAll(report);
}

/** The README with its figures block rendered from `r`. */
function withFigures(text, r) {
  const a = text.indexOf(FIG_START), b = text.indexOf(FIG_END);
  if (a < 0 || b < a) throw new Error("README.md has no figures block (its markers)");
  return text.slice(0, a) + figuresBlock(r) + text.slice(b + FIG_END.length);
}

/** Writes report.json, and REPORT.md and the README's figures block rendered from it. */
function writeAll(report) {
  writeFileSync(REPORT_JSON, JSON.stringify(report, null, 2));
  writeFileSync(REPORT_MD, render(report));
  writeFileSync(README, withFigures(readFileSync(README, "utf8"), report));
}

if (process.argv.includes("--live")) {
  writeLiveOnly();
  process.exit(0);
}
if (process.argv.includes("--topologies")) {
  writeTopologiesOnly();
  process.exit(0);
}
if (process.argv.includes("--edge")) {
  writeEdgeOnly();
  process.exit(0);
}
if (process.argv.includes("--render")) {
  writeAll(json(REPORT_JSON));
  process.exit(0);
}
if (process.argv.includes("--check")) {
  const r = json(REPORT_JSON);
  const problems = [];
  if (readFileSync(REPORT_MD, "utf8") !== render(r)) problems.push("bench/REPORT.md");
  const readme = readFileSync(README, "utf8");
  if (readme !== withFigures(readme, r)) problems.push("README.md's figures block");
  if (problems.length) {
    console.error(`${problems.join(" and ")} differ from what bench/report.json renders: node bench/report.mjs --render rewrites them`);
    process.exit(1);
  }
  console.log("bench/REPORT.md and the README's figures are what bench/report.json renders");
  process.exit(0);
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

const cpu = (readFileSync("/proc/cpuinfo", "utf8").match(/model name\s*:\s*(.+)/) ?? [])[1] ?? os.cpus()[0]?.model;
const machine = `${os.cpus().length} cores (${cpu}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${sh("uname -sr")}`;
// When the figures were measured (the load run), not when this report was assembled.
const date = statSync(B("load.json")).mtime.toISOString().replace(/\.\d+Z$/, "Z");
const versions = `rustc ${sh("rustc -V").split(" ")[1]}, node ${process.version}, workerd via wrangler ${sh("node node_modules/wrangler/bin/wrangler.js --version")}, chromium ${sh("chromium --version").split(" ")[1]}, oha ${sh("oha --version").split(" ")[1]}`;

const live = existsSync(B("live.json")) ? json(B("live.json")) : null;
const report = {
  date, machine, versions, targets: [],
  sizes: { widget_wasm: widgetWasm, widget_js: widgetJs, worker, wrangler: wranglerLine, server_wasm: serverWasm, server_js: serverJs }, twiggy: tw,
  load, browser, criterion: crit, fuzz, live: live && { ...withDerived(live), upload_previous: previousUpload(live) },
  topologies: currentTopologies(),
  edge: existsSync(B("edge.json")) ? json(B("edge.json")) : (existsSync(REPORT_JSON) ? json(REPORT_JSON).edge : undefined),
};
report.targets = targetsOf(report).map(([what, target, measured, pass]) => ({ what, target, measured, pass }));
writeAll(report);
console.log(readFileSync(REPORT_MD, "utf8").split("\n").slice(0, 8 + report.targets.length).join("\n"));

function renderRest(r, md) {
  const L = r.load.latency, T = r.load.throughput, load = r.load, browser = r.browser, sk = r.browser.soak, crit = r.criterion, fuzz = r.fuzz;
  const added = (x) => L[x].rust.p50_ms - L[x].direct.p50_ms;
  const jsAdded = (x) => L[x].js.p50_ms - L[x].direct.p50_ms;
  const ratio = (x) => L[x].rust.p50_ms / L[x].js.p50_ms;
  const tput = (x) => T[x].rust.rps / T[x].js.rps;
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

  return md;
}
