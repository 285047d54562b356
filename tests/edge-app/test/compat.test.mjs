// The edge of a release serves the widget of the release before it: every earlier release's
// packed widget kept in tests/fixtures/releases/ (tools/release.sh keeps each release's) goes
// QR → scan → connected in Chromium against this edge, as installed from its tarball, in workerd.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { launchChromium, serveFiles, widgetPage } from "../../support/browser.mjs";
import { freePort, signJws, spawnReady, startWorker, workspaceVersion } from "../../support/node.mjs";

const APP = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const ROOT = path.resolve(APP, "../..");
const FIXTURES = path.join(ROOT, "tests/fixtures/releases");
const EDGE = path.join(APP, "node_modules/pilot-connect-edge/worker");
const version = workspaceVersion();
const KEY = "ps_edge_compat_tenant_key_77";
const SECRET = "edge-compat-connect-token-secret-0123456789";
const cleanup = [];
after(async () => { for (const c of cleanup.reverse()) await c(); });

const earlier = existsSync(FIXTURES)
  ? readdirSync(FIXTURES).map((f) => f.match(/^pilot-connect-widget-(\d+\.\d+\.\d+)\.tgz$/)?.[1]).filter((v) => v && v !== version)
  : [];

if (earlier.length === 0) {
  test(`no earlier release's widget is kept yet (${version} is the first; tools/release.sh keeps each release's)`, { skip: true }, () => {});
}

for (const v of earlier) {
  test(`the widget of ${v} against this edge (${version}): QR → scan → connected`, async () => {
    const dir = mkdtempSync(path.join(tmpdir(), `pilot-widget-${v}-`));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    execFileSync("tar", ["-xzf", path.join(FIXTURES, `pilot-connect-widget-${v}.tgz`), "-C", dir, "--strip-components=1"]);
    const procs = [];
    cleanup.push(() => procs.forEach((p) => p.kill("SIGTERM")));
    const sandbox = await spawnReady(path.join(ROOT, "target/debug/pilot-sandbox"), ["--port", "0", "--tenant-key", KEY],
      "pilot-sandbox listening on ", { procs });
    const site = await serveFiles(dir, { prefix: "/pkg/", page: widgetPage });
    cleanup.push(() => site.server.close());
    const port = await freePort();
    const edge = `http://127.0.0.1:${port}`;
    const { mf } = await startWorker({ PS_API_KEY: KEY, CONNECT_TOKEN_SECRET: SECRET, PS_BASE_URL: sandbox, ALLOWED_ORIGINS: site.url },
      { port, sessions: true, modules: [{ type: "ESModule", path: path.join(EDGE, "index.js") }, { type: "CompiledWasm", path: path.join(EDGE, "index_bg.wasm") }] });
    cleanup.push(() => mf.dispose());
    const created = await (await fetch(`${sandbox}/v1/numbers`, { method: "POST", headers: { "x-api-key": KEY, "content-type": "application/json" },
      body: JSON.stringify({ name: "Compat", number: "+5511961077777" }) })).json();
    const id = created.instance.id;
    const now = Math.floor(Date.now() / 1000);
    const token = signJws({ sub: id, aud: edge, iat: now, exp: now + 600 }, SECRET);
    const browser = await launchChromium();
    cleanup.push(() => browser.close());
    const page = await browser.newPage();
    await page.goto(`${site.url}/`);
    await page.waitForFunction(() => !!window.pc);
    await page.evaluate(({ endpoint, token }) => { window.done = []; window.pc.mount("#w", { endpoint, token, onConnected: (e) => window.done.push(e) }); },
      { endpoint: edge, token });
    await page.waitForFunction(() => document.querySelector("#w").dataset.state === "pairing", null, { timeout: 30_000 });
    assert.ok((await fetch(`${sandbox}/_sandbox/numbers/${id}/scan`, { method: "POST" })).ok);
    await page.waitForFunction(() => window.done.length > 0, null, { timeout: 30_000 });
  });
}
