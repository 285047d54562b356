// A team whose Worker already uses the edge's names: the edge mounted under /pilot with its
// bindings and settings renamed (`options.env`), and the Durable Object class from
// `pilotConnectObjects` reading the same names — under `wrangler dev`, no Rust on the PATH. The
// edge serves through the renamed session binding, honours the renamed ALLOWED_ORIGINS and not
// the team's own, and its session object reads the renamed key (the QR comes from the sandbox).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, noRustEnv, signJws, spawnReady } from "../../support/node.mjs";

const APP = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const ROOT = path.resolve(APP, "../..");
const KEY = "ps_edge_renamed_tenant_key_52";
const SECRET = "edge-renamed-connect-token-secret-0123456789";
const PAGE = "https://page.example";
const THEIRS = "https://theirs.example";
const { env: ENV, prove: proveNoRust } = noRustEnv();
const procs = [];
let project, sandbox, edge, log = "";

before(async () => {
  proveNoRust();
  sandbox = await spawnReady(path.join(ROOT, "target/debug/pilot-sandbox"), ["--port", "0", "--tenant-key", KEY],
    "pilot-sandbox listening on ", { procs });
  project = mkdtempSync(path.join(tmpdir(), "pilot-edge-renamed-"));
  cpSync(path.join(ROOT, "templates/pilot-connect-edge/tsconfig.json"), path.join(project, "tsconfig.json"));
  symlinkSync(path.join(APP, "node_modules"), path.join(project, "node_modules"));
  cpSync(path.join(ROOT, "templates/pilot-connect-edge/src"), path.join(project, "src"), { recursive: true });
  writeFileSync(path.join(project, "src/index.ts"), `
import { routePilotConnectRequest, pilotConnectObjects, type PilotConnectOptions } from "pilot-connect-edge";

// The team's Worker already has an ALLOWED_ORIGINS (for its own API) and names its bindings its way.
const options: PilotConnectOptions = {
  prefix: "/pilot",
  env: { NUMBER_SESSIONS: "PILOT_SESSIONS", ALLOWED_ORIGINS: "PILOT_ALLOWED_ORIGINS", PS_API_KEY: "PILOT_PS_KEY" },
};
// A class declaration (not \`export const { NumberSession } = …\`): \`wrangler types\` names the class as a type.
const objects = pilotConnectObjects(options);
export class NumberSession extends objects.NumberSession {}

export default {
  async fetch(request, env, ctx) {
    return (await routePilotConnectRequest(request, env, ctx, options)) ?? new Response("the team's own", { status: 404 });
  },
} satisfies ExportedHandler<Env>;
`);
  writeFileSync(path.join(project, "wrangler.jsonc"), JSON.stringify({
    name: "edge-renamed", main: "src/index.ts", compatibility_date: "2026-10-01",
    durable_objects: { bindings: [{ name: "PILOT_SESSIONS", class_name: "NumberSession" }] },
    migrations: [{ tag: "team-pilot-1", new_sqlite_classes: ["NumberSession"] }],
    vars: { ALLOWED_ORIGINS: THEIRS, PILOT_ALLOWED_ORIGINS: PAGE },
  }, null, 2));
  writeFileSync(path.join(project, ".dev.vars"), `PILOT_PS_KEY=${KEY}\nCONNECT_TOKEN_SECRET=${SECRET}\nPS_BASE_URL=${sandbox}\n`);
  const wrangler = path.join(project, "node_modules/wrangler/bin/wrangler.js");
  const types = spawnSync(process.execPath, [wrangler, "types"], { cwd: project, env: ENV, encoding: "utf8" });
  assert.equal(types.status, 0, types.stdout + types.stderr);
  const tsc = spawnSync(process.execPath, [path.join(project, "node_modules/typescript/bin/tsc"), "-p", "."], { cwd: project, env: ENV, encoding: "utf8" });
  assert.equal(tsc.status, 0, tsc.stdout + tsc.stderr);
  const port = await freePort();
  edge = `http://127.0.0.1:${port}/pilot`;
  const dev = spawn(process.execPath, [wrangler, "dev", "--ip", "127.0.0.1", "--port", String(port), "--show-interactive-dev-session=false"],
    { cwd: project, env: ENV, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  procs.push({ kill: () => { try { process.kill(-dev.pid, "SIGTERM"); } catch { dev.kill("SIGTERM"); } } });
  dev.stdout.on("data", (d) => { log += d; });
  dev.stderr.on("data", (d) => { log += d; });
  for (const t0 = Date.now(); Date.now() - t0 < 90_000;) {
    if (await fetch(`${edge}/healthz`).then((r) => r.status < 500 || r.status === 503).catch(() => false)) break;
    await new Promise((r) => setTimeout(r, 300));
  }
});

after(() => {
  for (const p of procs) p.kill("SIGTERM");
  if (project) rmSync(project, { recursive: true, force: true });
});

test("renamed bindings and settings: the edge finds its own under the team's names, never the team's", async () => {
  const health = await (await fetch(`${edge}/healthz`)).json();
  assert.equal(health.ok, true, `${JSON.stringify(health)}\n${log.slice(-1500)}`);
  assert.deepEqual(health.missing, ["CONNECT_RATE_LIMITER"], "everything but the (not bound) rate limiter, under the team's names");
  const created = await (await fetch(`${sandbox}/v1/numbers`, { method: "POST", headers: { "x-api-key": KEY, "content-type": "application/json" },
    body: JSON.stringify({ name: "Renamed", number: "+5511961055555" }) })).json();
  const id = created.instance.id;
  const now = Math.floor(Date.now() / 1000);
  const token = signJws({ sub: id, aud: edge, iat: now, exp: now + 600 }, SECRET);
  // The edge's allowed origins are PILOT_ALLOWED_ORIGINS…
  const qr = await fetch(`${edge}/v1/qr`, { headers: { authorization: `Bearer ${token}`, origin: PAGE } });
  const body = await qr.json();
  assert.equal(qr.status, 200, `the session object read the renamed key: ${JSON.stringify(body)}\n${log.slice(-1500)}`);
  assert.equal(body.state, "pairing");
  // …not the team's own ALLOWED_ORIGINS.
  const theirs = await fetch(`${edge}/v1/qr`, { headers: { authorization: `Bearer ${token}`, origin: THEIRS } });
  assert.equal(theirs.status, 403);
  assert.equal((await fetch(`${edge.replace("/pilot", "")}/elsewhere`)).status, 404);
});
