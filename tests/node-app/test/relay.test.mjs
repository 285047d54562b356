// relayWebhook and the raw-body errors, without a worker: what is relayed (the four lifecycle
// events, byte for byte with the original signature, to the edge's webhook route), what is not
// (message.*, call.*, anything else: no request at all), and every failure's kind. The relay to
// a real worker in workerd runs in tests/express-app.
import { test } from "node:test";
import assert from "node:assert/strict";
import { relayWebhook, verifyWebhook, signWebhook, PilotStatusError } from "pilot-connect-server";

const SECRET = "whsec_relay_suite";
const EDGE = "https://connect.example.test";
const body = (event, extra = {}) => JSON.stringify({ event, data: { numberId: "wa_relay", phone: "+5511999990000", displayName: "Loja", createdAt: "2026-01-01T00:00:00Z", ...extra } });

/** A fetch that records each call and answers `status` with `answer`. */
function fakeFetch(status = 204, answer = "") {
  const calls = [];
  const f = async (url, init) => {
    calls.push({ url, init, body: Buffer.from(init.body) });
    return new Response(status === 204 ? null : answer, { status });
  };
  return { f, calls };
}

test("the four lifecycle events go to <edge>/v1/hooks/pilot-status, bytes and signature as received", async () => {
  for (const event of ["number.connected", "number.disconnected", "number.removed", "number.restored"]) {
    const raw = Buffer.from(body(event));
    const signature = signWebhook(SECRET, raw);
    const { f, calls } = fakeFetch();
    assert.deepEqual(await relayWebhook({ rawBody: raw, signature, edgeUrl: EDGE, fetch: f }), { relayed: true, status: 204, event });
    assert.equal(calls.length, 1);
    assert.equal(calls[0].url, `${EDGE}/v1/hooks/pilot-status`);
    assert.equal(calls[0].init.method, "POST");
    assert.equal(calls[0].init.redirect, "manual");
    assert.equal(calls[0].init.headers["x-pilot-status-signature"], signature);
    assert.equal(calls[0].init.headers["content-type"], "application/json");
    assert.ok(calls[0].body.equals(raw), "byte for byte");
    assert.equal(calls[0].init.headers.origin, undefined, "no Origin: the worker refuses browsers");
  }
  // The full hook URL works too, and a string body is the same bytes.
  const { f, calls } = fakeFetch(200);
  const raw = body("number.connected");
  await relayWebhook({ rawBody: raw, signature: [signWebhook(SECRET, raw)], edgeUrl: `${EDGE}/v1/hooks/pilot-status`, fetch: f });
  assert.equal(calls[0].url, `${EDGE}/v1/hooks/pilot-status`);
  assert.equal(calls[0].body.toString(), raw);
});

test("message.*, call.* and every other event are the customer's: not relayed, no request, no error", async () => {
  const { f, calls } = fakeFetch();
  for (const event of ["message.received", "message.sent", "message.status", "call.offer", "number.created", "number.health_blocked", "something.new"]) {
    const raw = body(event, { id: "msg_1" });
    const out = await relayWebhook({ rawBody: raw, signature: signWebhook(SECRET, raw), edgeUrl: EDGE, fetch: f });
    assert.deepEqual(out, { relayed: false, reason: "not_lifecycle", event });
  }
  // Even with no signature or an unset edge URL (process.env.… undefined): nothing to send, nothing thrown.
  assert.equal((await relayWebhook({ rawBody: body("message.received"), signature: undefined, edgeUrl: EDGE, fetch: f })).relayed, false);
  assert.equal((await relayWebhook({ rawBody: body("message.received"), signature: "x", edgeUrl: undefined, fetch: f })).relayed, false);
  assert.equal(calls.length, 0);
});

test("failures: network, timeout, the worker's answer, configuration, bad input", async () => {
  const raw = body("number.connected");
  const signature = signWebhook(SECRET, raw);
  const kind = (k, extra = () => true) => (e) => e instanceof PilotStatusError && e.kind === k && extra(e);
  await assert.rejects(relayWebhook({ rawBody: raw, signature, edgeUrl: "http://127.0.0.1:9", timeoutMs: 2000 }), kind("network", (e) => e.message.includes("127.0.0.1:9")));
  await assert.rejects(relayWebhook({ rawBody: raw, signature, edgeUrl: EDGE, fetch: (u, init) => new Promise((_, no) => init.signal.addEventListener("abort", () => no(new Error("aborted")))), timeoutMs: 50 }), kind("timeout"));
  const worker = (status, code) => fakeFetch(status, JSON.stringify({ error: { code, message: "…" } })).f;
  await assert.rejects(relayWebhook({ rawBody: raw, signature, edgeUrl: EDGE, fetch: worker(401, "invalid_signature") }),
    kind("edge", (e) => e.status === 401 && e.code === "invalid_signature" && e.message.includes("PS_WEBHOOK_SECRETS")));
  await assert.rejects(relayWebhook({ rawBody: raw, signature, edgeUrl: EDGE, fetch: worker(404, "route_not_found") }), kind("edge", (e) => e.status === 404));
  await assert.rejects(relayWebhook({ rawBody: raw, signature, edgeUrl: process.env.UNSET_EDGE_URL_FOR_TEST, fetch: worker(204) }), kind("configuration", (e) => e.field === "edgeUrl"));
  await assert.rejects(relayWebhook({ rawBody: raw, signature, edgeUrl: "connect.example.test" }), kind("validation", (e) => e.field === "edgeUrl"));
  await assert.rejects(relayWebhook({ rawBody: raw, signature: undefined, edgeUrl: EDGE }), kind("validation", (e) => e.field === "signature"));
  await assert.rejects(relayWebhook({ rawBody: raw, signature, edgeUrl: EDGE, edge: 1 }), kind("validation", (e) => e.field === "edge"));
  await assert.rejects(relayWebhook({ rawBody: JSON.parse(raw), signature, edgeUrl: EDGE }), kind("raw_body_required", (e) => e.message.startsWith("relayWebhook needs the raw request body")));
});

test("verifyWebhook: a parsed body is raw_body_required, saying what to fix", () => {
  const raw = body("number.connected");
  const sig = signWebhook(SECRET, raw);
  const needs = "verifyWebhook needs the raw request body (a string, Buffer or Uint8Array exactly as received); ";
  const cases = [
    [JSON.parse(raw), "parsed", `${needs}got an object — is express.json() (or another body parser) running before this route?`],
    [[JSON.parse(raw)], "parsed", /got an array — is express\.json\(\)/],
    [undefined, "missing", /got undefined — read the body as bytes on this route: express\.raw/],
    [null, "missing", /got null/],
    [String(JSON.parse(raw)), "parsed", /got the string "\[object Object\]"/],
    [42, "parsed", /got a number/],
  ];
  for (const [given, code, message] of cases) {
    assert.throws(() => verifyWebhook(SECRET, given, sig), (e) => {
      assert.equal(e.kind, "raw_body_required");
      assert.equal(e.code, code);
      if (typeof message === "string") assert.equal(e.message, message); else assert.match(e.message, message);
      return true;
    });
  }
  // Pilot Status's bytes as a string, a Buffer, a Uint8Array: fine.
  for (const b of [raw, Buffer.from(raw), new TextEncoder().encode(raw)]) assert.equal(verifyWebhook(SECRET, b, sig).event, "number.connected");
});
