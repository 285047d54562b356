// Fail fast on a broken deployment: a key or secret given but empty or undefined (an unset
// environment variable) is a `configuration` error at construction — naming the option — and a
// client built with no key refuses its keyed calls at once. Nothing reaches the sandbox.
import { test, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { PilotStatus, PilotStatusError, mintConnectToken, verifyConnectToken, verifyWebhook, signWebhook } from "pilot-connect-server";
import { KEY, startSandbox, control, recordingFetch, phone } from "./helpers.mjs";

const procs = [];
let base;

before(async () => { base = await startSandbox(procs); });
after(() => procs.forEach((p) => p.kill()));
beforeEach(async () => { await fetch(`${base}/_sandbox/stats`, { method: "DELETE" }); });

/** API requests the sandbox received since the last reset (control routes are not counted). */
const hits = async () => Object.values((await control(base, "GET", "/stats")).hits).reduce((a, b) => a + b, 0);

const REASON = { apiKey: "missing_api_key", apiKeyId: "missing_api_key", secret: "missing_secret" };
const configuration = (field, message, reason = REASON[field]) => (e) => {
  assert.ok(e instanceof PilotStatusError, `a PilotStatusError, got ${e}`);
  assert.deepEqual([e.kind, e.field, e.reason], ["configuration", field, reason], e.message);
  assert.match(e.message, message);
  return true;
};

test("an apiKey or apiKeyId given but undefined, empty or blank throws at construction, naming it", async () => {
  const env = {}; // PS_API_KEY and PS_API_KEY_ID unset
  const rec = recordingFetch();
  for (const apiKey of [env.PS_API_KEY, null, "", "   "]) {
    assert.throws(() => new PilotStatus({ apiKey, baseUrl: base, fetch: rec.fetch }),
      configuration("apiKey", /^apiKey is empty or undefined — is the PS_API_KEY environment variable set\?$/));
  }
  for (const apiKeyId of [env.PS_API_KEY_ID, ""]) {
    assert.throws(() => new PilotStatus({ apiKeyId, baseUrl: base }), configuration("apiKeyId", /^apiKeyId is empty or undefined/));
  }
  // The check is about the key being there, so it also wins over a second key.
  assert.throws(() => new PilotStatus({ apiKey: env.PS_API_KEY, apiKeyId: "key_tenant" }), configuration("apiKey", /apiKey is empty/));
  // Other options may come from unset variables: they just take their defaults.
  const ok = new PilotStatus({ apiKey: KEY, baseUrl: base, whatsappNumberId: env.PS_NUMBER, timeoutMs: undefined, fetch: rec.fetch });
  assert.ok(Array.isArray(await ok.numbers.list()));
  assert.equal(rec.calls.length, 1, "only the working client sent anything");
  assert.equal(await hits(), 1);
});

test("a client with neither key: token calls work, keyed calls fail before any fetch", async () => {
  const keyed = new PilotStatus({ apiKey: KEY, baseUrl: base });
  const link = await keyed.remotePairing.create({ name: "Sem chave", number: phone() });
  await fetch(`${base}/_sandbox/stats`, { method: "DELETE" });
  const rec = recordingFetch();
  const pub = new PilotStatus({ baseUrl: base, fetch: rec.fetch });
  assert.equal((await pub.remotePairing.info(link.token)).valid, true, "the public token calls need no key");
  assert.equal(rec.calls.length, 1);
  rec.calls.length = 0;
  const needsKey = configuration("apiKey", /^this call needs apiKey or apiKeyId: the client was built with neither/);
  await assert.rejects(pub.numbers.list(), needsKey);
  await assert.rejects(pub.numbers.create({ name: "Loja", number: phone() }), needsKey);
  await assert.rejects(pub.numbers.status("wa_1"), needsKey);
  await assert.rejects(pub.webhooks.list(), needsKey);
  await assert.rejects(pub.remotePairing.create({ name: "Loja", number: phone() }), needsKey);
  assert.equal(rec.calls.length, 0, "no fetch for a keyed call");
  assert.equal(await hits(), 1, "only the token call reached the sandbox");
  new PilotStatus(); // no options at all: the same anonymous client
});

test("mintConnectToken / verifyConnectToken: a missing, undefined, empty or short secret is configuration", () => {
  const env = {}; // CONNECT_TOKEN_SECRET unset
  const args = { numberId: "wa_1", audience: "edge" };
  const unset = configuration("secret", /^secret is empty or undefined — is the CONNECT_TOKEN_SECRET environment variable \(shared with the worker\) set\?$/);
  assert.throws(() => mintConnectToken({ ...args, secret: env.CONNECT_TOKEN_SECRET }), unset);
  assert.throws(() => mintConnectToken(args), unset);
  assert.throws(() => mintConnectToken({ ...args, secret: "" }), unset);
  assert.throws(() => mintConnectToken({ ...args, secret: "short" }),
    configuration("secret", /^secret is too short: a connect token secret must be at least 32 bytes — check the CONNECT_TOKEN_SECRET/, "secret_too_short"));
  assert.throws(() => verifyConnectToken("a.b.c", { secret: env.CONNECT_TOKEN_SECRET, audience: "edge" }), unset);
  // Still validation: the input of the call, not the deployment.
  const secret = "config-suite-connect-token-secret-0123456789";
  assert.throws(() => mintConnectToken({ ...args, secret, ttlSeconds: 7200 }), (e) => e.kind === "validation" && e.field === "ttlSeconds");
  assert.equal(verifyConnectToken(mintConnectToken({ ...args, secret, origin: undefined }), { secret, audience: "edge" }).sub, "wa_1");
});

test("verifyWebhook with an unset secret is configuration (answer 500), not a bad signature (401)", () => {
  const body = JSON.stringify({ event: "number.connected", data: { numberId: "wa_1", phone: "+1", displayName: "d", createdAt: "t" } });
  const header = signWebhook("whsec_config", body);
  for (const secret of [undefined, null, ""]) {
    assert.throws(() => verifyWebhook(secret, body, header), configuration("secret", /^secret is empty or undefined/));
  }
  assert.equal(verifyWebhook("whsec_config", body, header).dedupKey, "number.connected|wa_1|t");
});

test("a deployment without the wasm file fails at construction with configuration, saying what to copy", async () => {
  const installed = path.dirname(fileURLToPath(import.meta.resolve("pilot-connect-server/package.json")));
  const dir = mkdtempSync(path.join(tmpdir(), "pilot-connect-no-wasm-")); // no node_modules above it
  try {
    for (const f of readdirSync(installed)) if (!f.endsWith(".wasm")) copyFileSync(path.join(installed, f), path.join(dir, f));
    const moved = await import(pathToFileURL(path.join(dir, "index.js")).href);
    assert.throws(() => new moved.PilotStatus({ apiKey: KEY }), (e) => e instanceof moved.PilotStatusError
      && e.kind === "configuration" && e.reason === "missing_wasm" && /pilot_connect_server_bg\.wasm is neither beside .* copy pilot_connect_server_bg\.wasm next to the bundle/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
