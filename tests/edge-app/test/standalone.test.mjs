// A team without Rust deploys the edge standalone: a fresh project from templates/pilot-connect-edge
// (its name filled as `npm create cloudflare` does), the packed pilot-connect-edge tarball and the
// template's pinned wrangler — only NUMBER_SESSIONS, the rate limiter and the secrets declared.
// First proven: cargo, rustc, worker-build and wasm-bindgen are unreachable on the PATH every
// command here runs with. Then `wrangler types`, `tsc` and `wrangler deploy --dry-run` pass, and
// under `wrangler dev` against the sandbox the packed widget in Chromium goes QR → scan →
// connected by push.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { launchChromium, serveFiles, widgetPage } from "../../support/browser.mjs";
import { freePort, noRustEnv, signJws, spawnReady } from "../../support/node.mjs";

const APP = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const ROOT = path.resolve(APP, "../..");
const TEMPLATE = path.join(ROOT, "templates/pilot-connect-edge");
const WIDGET = path.join(ROOT, "target/widget-pkg");
const KEY = "ps_edge_standalone_tenant_key_31";
const SECRET = "edge-standalone-connect-token-secret-0123456789";
// The user's PATH: no ~/.cargo/bin (nor any other directory holding a Rust tool).
const { env: ENV, prove: proveNoRust } = noRustEnv();
const procs = [];
let project, sandbox, browser, page, server;

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: project, env: ENV, encoding: "utf8", timeout: 180_000, ...opts });
  return { status: r.status, out: `${r.stdout ?? ""}${r.stderr ?? ""}` };
}
const wrangler = (...args) => run(process.execPath, [path.join(project, "node_modules/wrangler/bin/wrangler.js"), ...args]);

before(async () => {
  proveNoRust();
  // The template's pins are what this app installed.
  const tpl = JSON.parse(readFileSync(path.join(TEMPLATE, "package.json"), "utf8"));
  const app = JSON.parse(readFileSync(path.join(APP, "package.json"), "utf8"));
  assert.deepEqual(tpl.devDependencies, app.devDependencies, "tests/edge-app installs the template's devDependencies");
  assert.ok(existsSync(path.join(APP, "node_modules/pilot-connect-edge/worker/index_bg.wasm")), "the packed tarball is installed (tools/test.sh edge)");

  project = mkdtempSync(path.join(tmpdir(), "pilot-edge-standalone-"));
  cpSync(TEMPLATE, project, { recursive: true });
  // What `npm create cloudflare` does with a template: the project's name in both files.
  const pkg = JSON.parse(readFileSync(path.join(project, "package.json"), "utf8"));
  writeFileSync(path.join(project, "package.json"), JSON.stringify({ ...pkg, name: "edge-check" }, null, 2));
  const cfg = readFileSync(path.join(project, "wrangler.jsonc"), "utf8");
  assert.match(cfg, /"name": "pilot-connect-edge"/);
  writeFileSync(path.join(project, "wrangler.jsonc"), cfg.replace(/"name": "pilot-connect-edge"/, '"name": "edge-check"'));
  symlinkSync(path.join(APP, "node_modules"), path.join(project, "node_modules"));

  sandbox = await spawnReady(path.join(ROOT, "target/debug/pilot-sandbox"),
    ["--port", "0", "--tenant-key", KEY, "--time-scale", "20"], "pilot-sandbox listening on ", { procs });
});

after(async () => {
  await browser?.close();
  server?.close();
  for (const p of procs) { try { process.kill(-p.pid, "SIGTERM"); } catch { p.kill("SIGTERM"); } }
  if (project) rmSync(project, { recursive: true, force: true });
});

test("wrangler types, tsc and wrangler deploy --dry-run pass on a fresh project from the template", () => {
  const types = wrangler("types");
  assert.equal(types.status, 0, types.out);
  const env = readFileSync(path.join(project, "worker-configuration.d.ts"), "utf8");
  assert.match(env, /NUMBER_SESSIONS: DurableObjectNamespace<import\("\.\/src\/index"\)\.NumberSession>/);
  const tsc = run(process.execPath, [path.join(project, "node_modules/typescript/bin/tsc"), "-p", "."]);
  assert.equal(tsc.status, 0, tsc.out);
  const dry = wrangler("deploy", "--dry-run", "--outdir", "dist");
  assert.equal(dry.status, 0, dry.out);
  assert.match(dry.out, /env\.NUMBER_SESSIONS \(NumberSession\)\s+Durable Object/);
  const upload = dry.out.match(/Total Upload: ([\d.]+) KiB \/ gzip: ([\d.]+) KiB/);
  assert.ok(upload, dry.out);
  console.log(`standalone upload: ${upload[1]} KiB, gzip ${upload[2]} KiB`);
});

test("under wrangler dev against the sandbox, the packed widget goes QR → scan → connected by push", async () => {
  const site = await serveFiles(WIDGET, {
    prefix: "/pkg/",
    page: widgetPage,
  });
  server = site.server;
  // The template's .dev.vars.example, filled in (plus the sandbox and this page's origin).
  const example = readFileSync(path.join(project, ".dev.vars.example"), "utf8");
  const names = [...example.matchAll(/^([A-Z_]+)=/gm)].map((m) => m[1]);
  assert.deepEqual(names, ["PS_API_KEY", "CONNECT_TOKEN_SECRET"]);
  writeFileSync(path.join(project, ".dev.vars"),
    `PS_API_KEY=${KEY}\nCONNECT_TOKEN_SECRET=${SECRET}\nPS_BASE_URL=${sandbox}\nALLOWED_ORIGINS=${site.url}\n`);
  const port = await freePort();
  const dev = spawn(process.execPath, [path.join(project, "node_modules/wrangler/bin/wrangler.js"), "dev", "--ip", "127.0.0.1",
    "--port", String(port), "--show-interactive-dev-session=false", "--log-level", "warn"],
  { cwd: project, env: ENV, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  procs.push(dev);
  let log = "";
  dev.stdout.on("data", (d) => { log += d; });
  dev.stderr.on("data", (d) => { log += d; });
  const edge = `http://127.0.0.1:${port}`;
  let health;
  for (const t0 = Date.now(); Date.now() - t0 < 90_000;) {
    health = await fetch(`${edge}/healthz`).then((r) => r.json()).catch(() => null);
    if (health) break;
    await new Promise((r) => setTimeout(r, 300));
  }
  assert.ok(health, `wrangler dev came up: ${log}`);
  assert.equal(health.ok, true, JSON.stringify(health));
  assert.deepEqual(health.missing, []);
  assert.equal(health.features.push, true);

  const created = await fetch(`${sandbox}/v1/numbers`, { method: "POST", headers: { "x-api-key": KEY, "content-type": "application/json" },
    body: JSON.stringify({ name: "Standalone edge", number: "+5511961099999" }) });
  assert.equal(created.status, 201);
  const id = (await created.json()).instance.id;
  const now = Math.floor(Date.now() / 1000);
  // No CONNECT_TOKEN_AUDIENCE in the template: the audience is the edge's own URL.
  const token = signJws({ sub: id, aud: edge, iat: now, exp: now + 600, origin: site.url }, SECRET);

  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 390, height: 844 } });
  const errors = [];
  const frames = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("websocket", (ws) => ws.on("framereceived", (f) => frames.push(String(f.payload))));
  await page.goto(`${site.url}/`);
  await page.waitForFunction(() => !!window.pc);
  await page.evaluate(({ endpoint, token }) => { window.pc.mount("#w", { endpoint, token }); }, { endpoint: edge, token });
  const wait = (fn, what) => page.waitForFunction(fn, null, { timeout: 30_000 }).catch(async (e) => {
    const html = await page.evaluate(() => document.querySelector("#w").outerHTML.slice(0, 1500));
    throw new Error(`${what}: ${e.message}\nwidget: ${html}\npage errors: ${errors}\nframes: ${frames.slice(-3)}\nwrangler: ${log.slice(-2000)}`);
  });
  await wait(() => document.querySelector("#w").dataset.state === "pairing", "pairing");
  // A phone: the pairing code first (the QR is one tap away).
  await wait(() => /^[0-9A-Z]{4}-[0-9A-Z]{4}$/.test(
    document.querySelector("[data-pilot-connect]")?.shadowRoot?.querySelector(".code")?.textContent?.trim() ?? ""), "a pairing code");
  await page.screenshot({ path: path.join(ROOT, "target/edge-standalone-pairing.png") });
  // The widget opens the push stream once its first QR is on screen: its first frame follows.
  for (const t0 = Date.now(); Date.now() - t0 < 10_000 && !frames.some((f) => f.includes('"pairing"'));) {
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(frames.some((f) => f.includes('"pairing"')), `the push stream is open and carries the QR: ${frames.slice(-3)}`);
  assert.equal((await fetch(`${sandbox}/_sandbox/numbers/${id}/scan`, { method: "POST" })).status, 200);
  await wait(() => document.querySelector("#w").dataset.state === "connected", "connected");
  assert.ok(frames.some((f) => f.includes('"connected"')), `"connected" came by push: ${frames.slice(-3)}`);
  await page.screenshot({ path: path.join(ROOT, "target/edge-standalone-connected.png") });
  assert.deepEqual(errors, []);
});
