// The edge as teams deploy it, side by side in one run (local figures, not Cloudflare's):
// - upload size (`wrangler deploy --dry-run`, wrangler's own gzip figure) of the worker as this
//   repository builds it (worker-build's output, worker/build), of the package deployed
//   standalone (a project from templates/pilot-connect-edge) and mounted in the Hono API
//   (tests/worker-app: the Hono app, the server package and the edge together);
// - local first-answer time: a fresh workerd (Miniflare) started on each bundle until its first
//   `GET /healthz` answer, median of ROUNDS (the wasm compiled each time);
// - a fresh no-Rust project: `npm install` (the template's pins and the packed tarball, npm's
//   cache warm) then `wrangler deploy --dry-run`, timed.
// Needs: worker/build, the packed edge tarball, tests/edge-app and tests/worker-app installed
// (tools/test.sh edge recipes). Writes target/bench/edge.json; `node bench/report.mjs --edge`
// puts it into report.json and the report.
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, symlinkSync } from "node:fs";
import { tmpdir, loadavg } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const ROUNDS = Number(process.env.EDGE_ROUNDS ?? 7);
const { startWorker, workspaceVersion } = await import("../tests/support/node.mjs");
const version = workspaceVersion();
const WRANGLER = path.join(ROOT, "node_modules/wrangler/bin/wrangler.js");
const env = { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", NO_COLOR: "1" };
const tmp = mkdtempSync(path.join(tmpdir(), "pilot-edge-bench-"));
const t0 = performance.now();

function dryRun(cwd, outdir, extra = []) {
  const out = execFileSync(process.execPath, [WRANGLER, "deploy", "--dry-run", "--outdir", outdir, ...extra], { cwd, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  const m = out.match(/Total Upload: ([\d.]+) KiB \/ gzip: ([\d.]+) KiB/);
  if (!m) throw new Error(`no upload line:\n${out}`);
  return { total_kib: Number(m[1]), gzip_kib: Number(m[2]) };
}

// The three bundles.
const bundles = {};
bundles.worker_build = { ...dryRun(path.join(ROOT, "worker"), path.join(tmp, "repo")), dir: path.join(tmp, "repo") };
const project = path.join(tmp, "standalone");
cpSync(path.join(ROOT, "templates/pilot-connect-edge"), project, { recursive: true });
symlinkSync(path.join(ROOT, "tests/edge-app/node_modules"), path.join(project, "node_modules"));
bundles.standalone = { ...dryRun(project, path.join(tmp, "standalone-dist")), dir: path.join(tmp, "standalone-dist") };
bundles.mounted = { ...dryRun(path.join(ROOT, "tests/worker-app"), path.join(tmp, "mounted-dist")), dir: path.join(tmp, "mounted-dist") };

// First answer of a fresh workerd on each bundle (the shared harness: tests/support/node.mjs).
async function firstAnswer(dir) {
  const files = readdirSync(dir);
  const main = files.find((f) => /^(index|worker)\.js$/.test(f));
  const modules = [{ type: "ESModule", path: path.join(dir, main) },
    ...files.filter((f) => f.endsWith(".wasm")).map((f) => ({ type: "CompiledWasm", path: path.join(dir, f) }))];
  const start = performance.now();
  const { mf, url } = await startWorker(
    { PS_API_KEY: "ps_bench_key_0123456789", CONNECT_TOKEN_SECRET: "bench-connect-token-secret-0123456789abcdef" },
    { modules, sessions: true, omit: ["DEAD_LETTERS", "WEBHOOK_FORWARD"] });
  const res = await fetch(`${url}${dir.includes("mounted") ? "/pilot" : ""}/healthz`);
  await res.text();
  const ms = performance.now() - start;
  await mf.dispose();
  if (!res.ok) throw new Error(`${dir}: /healthz ${res.status}`);
  return ms;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const first_answer_ms = {};
for (const k of Object.keys(bundles)) first_answer_ms[k] = [];
for (let i = 0; i < ROUNDS; i++) {
  // Interleaved: the machine's load falls on every bundle alike.
  for (const k of Object.keys(bundles)) first_answer_ms[k].push(await firstAnswer(bundles[k].dir));
}

// A fresh no-Rust project, from nothing to `wrangler deploy --dry-run` green.
const fresh = path.join(tmp, "fresh");
mkdirSync(fresh);
cpSync(path.join(ROOT, "templates/pilot-connect-edge"), fresh, { recursive: true });
const pkg = JSON.parse(readFileSync(path.join(fresh, "package.json"), "utf8"));
pkg.dependencies["pilot-connect-edge"] = `file:${path.join(ROOT, `target/pilot-connect-edge-${version}.tgz`)}`;
writeFileSync(path.join(fresh, "package.json"), JSON.stringify(pkg, null, 2));
const i0 = performance.now();
execFileSync("npm", ["install", "--no-fund", "--no-audit", "--loglevel=error"], { cwd: fresh, env, stdio: "ignore" });
const installed = performance.now() - i0;
dryRun(fresh, path.join(tmp, "fresh-dist"));
const fresh_project_s = { npm_install: +(installed / 1000).toFixed(1), to_dry_run_green: +((performance.now() - i0) / 1000).toFixed(1) };

const result = {
  measured_at: new Date().toISOString(), version, rounds: ROUNDS, load_end: loadavg()[0].toFixed(2),
  upload: Object.fromEntries(Object.entries(bundles).map(([k, v]) => [k, { total_kib: v.total_kib, gzip_kib: v.gzip_kib }])),
  first_answer_ms: Object.fromEntries(Object.entries(first_answer_ms).map(([k, v]) => [k, { p50: +median(v).toFixed(1), min: +Math.min(...v).toFixed(1), max: +Math.max(...v).toFixed(1) }])),
  fresh_project_s, harness_s: +((performance.now() - t0) / 1000).toFixed(1),
};
mkdirSync(path.join(ROOT, "target/bench"), { recursive: true });
writeFileSync(path.join(ROOT, "target/bench/edge.json"), `${JSON.stringify(result, null, 2)}\n`);
rmSync(tmp, { recursive: true, force: true });
console.log(JSON.stringify(result, null, 2));
