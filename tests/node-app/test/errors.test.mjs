// Bad input and bad days against the sandbox: typed errors, the retry policy (GET only), 429 with
// Retry-After, timeouts and dead hosts, all as PilotStatusError.
import { test, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { PilotStatus, PilotStatusError } from "pilot-connect-server";
import { KEY, startSandbox, control, recordingFetch, phone, freePortUrl, hasReason } from "./helpers.mjs";

const procs = [];
let base;

before(async () => { base = await startSandbox(procs); });
after(() => procs.forEach((p) => p.kill()));
beforeEach(() => control(base, "DELETE", "/faults"));

const client = (extra = {}) => new PilotStatus({ apiKey: KEY, baseUrl: base, ...extra });
// Every error here also carries a reason of the table (`more.reason` pins which).
const is = (kind, more = {}) => (e) => {
  assert.ok(e instanceof PilotStatusError, `a PilotStatusError, got ${e}`);
  assert.equal(e.kind, kind, e.message);
  hasReason(e);
  assert.doesNotMatch(e.message, / at line \d+ column \d+/, "parser detail stays in details.parser");
  for (const [k, v] of Object.entries(more)) assert.equal(e[k], v, k);
  return true;
};

test("bad input is refused before sending, naming the field", async () => {
  const rec = recordingFetch();
  const ps = client({ fetch: rec.fetch });
  await assert.rejects(ps.numbers.create({ name: "Loja", number: "11 9999" }), is("validation", { field: "number", reason: "invalid_argument" }));
  await assert.rejects(ps.numbers.create({ name: "Loja", nmber: phone() }), is("validation", { reason: "unknown_argument" }));
  await assert.rejects(ps.numbers.create({ name: "   ", number: phone() }), is("validation", { field: "name" }));
  await assert.rejects(ps.numbers.create({ name: "Loja" }), is("validation"));
  await assert.rejects(ps.numbers.create("Loja"), is("validation"));
  await assert.rejects(ps.numbers.create({ name: "Loja", number: phone(), settings: { msgRejectCall: "x".repeat(1001) } }), is("validation"));
  await assert.rejects(ps.numbers.get(42), is("validation", { field: "id" }));
  await assert.rejects(ps.numbers.status(".."), is("validation", { field: "id" }));
  await assert.rejects(ps.numbers.connect(""), is("validation", { field: "id" }));
  assert.equal(rec.calls.length, 0, "nothing reached the network");
});

test("an id with / stays one path segment and cannot reach another route", async () => {
  const rec = recordingFetch();
  const ps = client({ fetch: rec.fetch });
  const real = await ps.numbers.create({ name: "Alvo", number: phone() });
  await assert.rejects(ps.numbers.delete(`x/../${real.id}`), is("not_found", { status: 404 }));
  assert.equal(rec.calls.at(-1).url, `${base}/v1/numbers/x%2F..%2F${real.id}`);
  assert.equal((await ps.numbers.get(real.id)).id, real.id, "the real number is untouched");
});

test("a wrong or expired key is unauthorized, and the key is not in the error", async () => {
  const ps = new PilotStatus({ apiKey: "ps_revoked_key_0000", baseUrl: base });
  await assert.rejects(ps.numbers.list(), (e) => is("unauthorized", { status: 401, reason: "unauthorized" })(e) && !JSON.stringify({ ...e, m: e.message, s: e.stack }).includes("ps_revoked"));
  assert.throws(() => new PilotStatus({ apiKey: "sk_live_notours" }), is("validation", { field: "apiKey" }));
  assert.throws(() => new PilotStatus({ apiKey: "ps_a", apiKeyId: "k" }), is("validation", { field: "apiKeyId" }));
  assert.throws(() => new PilotStatus({ apiKey: "ps_a", baseUrl: "javascript:alert(1)" }), is("validation", { field: "baseUrl" }));
  assert.throws(() => new PilotStatus({ apiKey: "ps_a", retries: 3 }), is("validation"));
  assert.throws(() => new PilotStatus({ apiKey: "ps_a", fetch: "nope" }), is("validation", { field: "fetch" }));
});

test("429 with Retry-After: waited when short, thrown with retryAfterMs when long", async () => {
  const ps = client();
  const n = await ps.numbers.create({ name: "Limite", number: phone() });
  await control(base, "POST", "/faults", { route: "status", kind: "rate_limit", retryAfter: 1, times: 1 });
  const t0 = Date.now();
  assert.equal((await ps.numbers.status(n.id)).id, n.id, "retried after the 1 s the server asked for");
  assert.ok(Date.now() - t0 >= 900, "it did wait");
  await control(base, "POST", "/faults", { route: "status", kind: "rate_limit", retryAfter: 120, times: 1 });
  await assert.rejects(ps.numbers.status(n.id), is("rate_limited", { status: 429, retryAfterMs: 120_000, reason: "rate_limited" }));
});

test("GET is retried on 5xx; POST and DELETE never are", async () => {
  const rec = recordingFetch();
  const ps = client({ fetch: rec.fetch, retry: { baseDelayMs: 10 } });
  const n = await ps.numbers.create({ name: "Retry", number: phone() });
  await control(base, "POST", "/faults", { route: "status", kind: "status", status: 502, times: 2 });
  rec.calls.length = 0;
  assert.equal((await ps.numbers.status(n.id)).id, n.id);
  assert.equal(rec.calls.length, 3, "two 502s, then the answer");

  await control(base, "POST", "/faults", { route: "create", kind: "status", status: 503, times: 1 });
  rec.calls.length = 0;
  await assert.rejects(ps.numbers.create({ name: "Once", number: phone() }), is("server", { status: 503 }));
  assert.equal(rec.calls.length, 1, "POST sent once");

  await control(base, "POST", "/faults", { route: "delete", kind: "status", status: 500, times: 1 });
  rec.calls.length = 0;
  await assert.rejects(ps.numbers.delete(n.id), is("server", { status: 500 }));
  assert.equal(rec.calls.length, 1, "DELETE sent once");

  const noRetry = client({ fetch: rec.fetch, retry: false });
  await control(base, "POST", "/faults", { route: "status", kind: "status", status: 502, times: 1 });
  rec.calls.length = 0;
  await assert.rejects(noRetry.numbers.status(n.id), is("server", { status: 502 }));
  assert.equal(rec.calls.length, 1);
});

test("timeouts, dropped connections, malformed bodies and dead hosts", async () => {
  const ps = client({ timeoutMs: 300, retry: false });
  // Created with the default timeout: only the calls below are meant to meet the 300 ms one (a
  // loaded machine can take longer than that for a create).
  const n = await client().numbers.create({ name: "Falhas", number: phone() });
  await control(base, "POST", "/faults", { route: "status", kind: "latency", latencyMs: 2000, times: 1 });
  await assert.rejects(ps.numbers.status(n.id), is("timeout", { reason: "timeout" }));
  await control(base, "POST", "/faults", { route: "status", kind: "malformed", times: 1 });
  await assert.rejects(ps.numbers.status(n.id), (e) => is("decode", { status: 200, reason: "decode", path: "" })(e)
    && /the body is not valid JSON$/.test(e.message) && / at line 1 column \d+$/.test(e.details.parser));
  // Two drops: Bun's and Deno's fetch open a new connection once by themselves when one is
  // closed before the answer (Node's does not), so a single drop is invisible there.
  await control(base, "POST", "/faults", { route: "status", kind: "drop", times: 2 });
  await assert.rejects(ps.numbers.status(n.id), (e) => (e.kind === "network" || e.kind === "decode") && hasReason(e));
  const dead = new PilotStatus({ apiKey: KEY, baseUrl: await freePortUrl(), retry: false });
  await assert.rejects(dead.numbers.list(), is("network", { reason: "network" }));
});

test("a redirect is reported, never followed with the key", async () => {
  const ps = new PilotStatus({
    apiKey: KEY, baseUrl: base, retry: false,
    fetch: async () => new Response(null, { status: 302, headers: { location: "https://elsewhere.invalid/steal" } }),
  });
  await assert.rejects(ps.numbers.list(), is("http", { status: 302, reason: "redirect" }));
});
