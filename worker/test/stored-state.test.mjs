// Stored session state is public (it follows semver): every state an earlier build wrote must be
// read by this one. `worker/test/fixtures/session-state/*.json` holds the storage value
// (`session.v2`) exactly as a build wrote it; fixtures are added, never edited (SHA256SUMS beside
// them is checked). Each one is put into a fresh number's session in workerd, and the browser
// routes must answer 2xx or a final error, never a 5xx; a budget halt the state recorded is
// honoured (no upstream call, the recorded answer).
//
// `PILOT_WORKER_BUILD=<dir>` runs it on another build of the worker: the edge package's, as
// installed from its tarball (tools/test.sh edge).
//
// `PILOT_WRITE_SESSION_FIXTURES=1 node --test worker/test/stored-state.test.mjs` writes the
// states this build produces as new fixtures named `<scenario>-<version>.json` (never over an
// existing file), for a release whose stored state changed.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { spawnReady, signJws, startWorker, workspaceVersion } from "../../tests/support/node.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const FIXTURES = path.join(ROOT, "worker/test/fixtures/session-state");
const KEY = "ps_stored_state_suite_tenant_key_9";
const SECRET = "stored-state-suite-connect-token-secret-0123456789";
const AUD = "pilot-connect-stored-state";
const PAGE = "https://app.example.com";
const STORAGE_KEY = "session.v2";
const procs = [];
let sandbox, dir, w;

const now = () => Math.floor(Date.now() / 1000);
const token = (sub) => signJws({ sub, aud: AUD, iat: now(), exp: now() + 600 }, SECRET);
const ctl = (route, init) => fetch(`${sandbox}${route}`, init).then((r) => r.json());
const hits = async () => (await ctl("/_sandbox/stats")).hits;
const resetHits = () => ctl("/_sandbox/stats", { method: "DELETE" });

// The built worker, its session class wrapped with a storage door for this suite only: the
// real class, the real storage, the state put in before the object first reads it.
const ENTRY = `import * as built from "./index.js";
export default built.default;
export { DeadLetters } from "./index.js";
export class NumberSession {
  constructor(ctx, env) { this.inner = new built.NumberSession(ctx, env); this.storage = ctx.storage; }
  async fetch(req) {
    if (new URL(req.url).pathname === "/__stored") {
      if (req.method === "PUT") { await this.storage.put(${JSON.stringify(STORAGE_KEY)}, await req.text()); return new Response("stored"); }
      return new Response((await this.storage.get(${JSON.stringify(STORAGE_KEY)})) ?? "null");
    }
    return this.inner.fetch(req);
  }
  alarm(...a) { return this.inner.alarm(...a); }
  webSocketMessage(...a) { return this.inner.webSocketMessage(...a); }
  webSocketClose(...a) { return this.inner.webSocketClose(...a); }
  webSocketError(...a) { return this.inner.webSocketError(...a); }
}
`;

before(async () => {
  sandbox = await spawnReady(path.join(ROOT, "target/debug/pilot-sandbox"),
    ["--port", "0", "--tenant-key", KEY, "--rate-limit", "0"], "pilot-sandbox listening on ", { procs });
  dir = mkdtempSync(path.join(tmpdir(), "pilot-stored-state-"));
  cpSync(path.resolve(ROOT, process.env.PILOT_WORKER_BUILD ?? "worker/build"), dir, { recursive: true });
  writeFileSync(path.join(dir, "entry.mjs"), ENTRY);
  const modules = readdirSync(dir, { recursive: true })
    .filter((f) => /\.(m?js|wasm)$/.test(f) && f !== "entry.mjs")
    .map((f) => ({ type: f.endsWith(".wasm") ? "CompiledWasm" : "ESModule", path: path.join(dir, f) }));
  w = await startWorker({
    PS_API_KEY: KEY, CONNECT_TOKEN_SECRET: SECRET, PS_BASE_URL: sandbox, ALLOWED_ORIGINS: PAGE,
    CONNECT_TOKEN_AUDIENCE: AUD,
  }, { modules: [{ type: "ESModule", path: path.join(dir, "entry.mjs") }, ...modules], sessions: true, limit: 1e6 });
});
after(async () => {
  await w?.mf.dispose().catch(() => {});
  procs.forEach((p) => p.kill());
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function newNumber() {
  const r = await fetch(`${sandbox}/v1/numbers`, {
    method: "POST", headers: { "x-api-key": KEY, "content-type": "application/json" },
    body: JSON.stringify({ name: "Stored state", number: `+551196${String(Date.now() % 1e7).padStart(7, "0")}` }),
  });
  return (await r.json()).instance.id;
}
async function session(id) {
  const ns = await w.mf.getDurableObjectNamespace("NUMBER_SESSIONS");
  return ns.get(ns.idFromName(`${id}|primary`));
}
const stored = async (id) => (await session(id)).fetch("https://session/__stored").then((r) => r.text());
const put = async (id, text) => (await session(id)).fetch("https://session/__stored", { method: "PUT", body: text });
async function get(route, id) {
  const r = await fetch(`${w.url}${route}`, { headers: { origin: PAGE, authorization: `Bearer ${token(id)}` } });
  return { status: r.status, body: await r.json() };
}

function fixtures() {
  const sums = Object.fromEntries(readFileSync(path.join(FIXTURES, "SHA256SUMS"), "utf8").trim().split("\n")
    .map((l) => l.split(/\s+/)).map(([sum, name]) => [name, sum]));
  const files = readdirSync(FIXTURES).filter((f) => f.endsWith(".json")).sort();
  return { sums, files };
}

test("fixtures are only ever added: each is listed in SHA256SUMS with its bytes' hash", () => {
  const { sums, files } = fixtures();
  assert.ok(files.length >= 2, "at least the pairing and the halted state");
  assert.deepEqual(Object.keys(sums).sort(), files, "SHA256SUMS lists exactly the fixtures");
  for (const f of files) {
    const sum = createHash("sha256").update(readFileSync(path.join(FIXTURES, f))).digest("hex");
    assert.equal(sum, sums[f], `${f} was edited: add a new fixture instead`);
  }
});

test("every stored state an earlier build wrote is read: 2xx or a final error, never a 5xx; a recorded halt holds", async () => {
  const { files } = fixtures();
  for (const f of files) {
    const text = readFileSync(path.join(FIXTURES, f), "utf8").trim();
    const state = JSON.parse(JSON.parse(text)); // a JSON string holding the serde JSON, as stored
    const id = await newNumber();
    assert.equal((await put(id, JSON.parse(text))).status, 200);
    await resetHits();
    for (const route of ["/v1/status", "/v1/qr"]) {
      const r = await get(route, id);
      assert.ok(r.status < 500, `${f} ${route}: ${r.status} ${JSON.stringify(r.body)}`);
      if (r.status >= 400) assert.ok(["not_found", "not_pairable"].includes(r.body.error?.code), `${f} ${route}: a final error, ${JSON.stringify(r.body)}`);
      if (state.budget?.halted) {
        assert.equal(r.status, 404, `${f} ${route}: the recorded halt is honoured`);
        assert.equal(r.body.error.code, state.failure?.code ?? "not_found");
      }
    }
    if (state.budget?.halted) {
      const h = await hits();
      assert.equal((h.connect ?? 0) + (h.status ?? 0), 0, `${f}: no upstream call while halted`);
    }
    // The state read is the state kept: the object wrote nothing it cannot read back.
    JSON.parse(await stored(id));
  }
});

test("writes this build's states as new fixtures (PILOT_WRITE_SESSION_FIXTURES=1)", { skip: !process.env.PILOT_WRITE_SESSION_FIXTURES }, async () => {
  const version = workspaceVersion();
  const write = (scenario, text) => {
    const name = `${scenario}-${version}.json`;
    const file = path.join(FIXTURES, name);
    if (existsSync(file)) { console.log(`kept ${name} (fixtures are never overwritten)`); return; }
    writeFileSync(file, `${JSON.stringify(text)}\n`);
    const sum = createHash("sha256").update(readFileSync(file)).digest("hex");
    writeFileSync(path.join(FIXTURES, "SHA256SUMS"), `${sum}  ${name}\n`, { flag: "a" });
    console.log(`wrote ${name}`);
  };
  // Pairing: a QR and code out, the number read and masked.
  const pairing = await newNumber();
  assert.equal((await get("/v1/qr", pairing)).status, 200);
  for (let i = 0; i < 40 && !JSON.parse(await stored(pairing)).number; i++) await new Promise((r) => setTimeout(r, 50));
  write("pairing", await stored(pairing));
  // Halted: Pilot Status said the number does not exist (a final answer).
  const gone = `wa_missing_${Date.now()}`;
  assert.equal((await get("/v1/qr", gone)).status, 404);
  write("halted", await stored(gone));
});
