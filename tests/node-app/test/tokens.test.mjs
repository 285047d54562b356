// Connect tokens and webhooks with the worker's rules: a token minted here is accepted by the
// real worker in workerd, tokens interoperate with jsonwebtoken both ways, and a real signed
// delivery from the sandbox verifies (and a forged one does not).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import jwt from "jsonwebtoken";
import { PilotStatus, mintConnectToken, verifyConnectToken, verifyWebhook, signWebhook, SIGNATURE_HEADER } from "pilot-connect-server";
import { startWorker, freePort, signJws } from "../../support/node.mjs";
import { KEY, startSandbox, control, phone, eventually } from "./helpers.mjs";

const SECRET = "node-suite-connect-token-secret-0123456789";
const HOOK_SECRET = "whsec_node_suite";
const AUD = "pilot-connect-node";
const PAGE = "https://app.example.com";
const procs = [];
let base, worker, ps;

before(async () => {
  base = await startSandbox(procs);
  ps = new PilotStatus({ apiKey: KEY, baseUrl: base });
  worker = await startWorker({
    PS_API_KEY: KEY, CONNECT_TOKEN_SECRET: SECRET, PS_BASE_URL: base, ALLOWED_ORIGINS: PAGE, CONNECT_TOKEN_AUDIENCE: AUD,
  });
});
after(async () => { procs.forEach((p) => p.kill()); await worker?.mf.dispose(); });

test("a token minted here opens /v1/qr on the worker in workerd; a wrong one does not", async () => {
  const n = await ps.numbers.create({ name: "Edge", number: phone() });
  const token = mintConnectToken({ secret: SECRET, numberId: n.id, audience: AUD, origin: PAGE, ttlSeconds: 300 });
  const ask = (t, origin = PAGE) => fetch(`${worker.url}/v1/qr`, { headers: { authorization: `Bearer ${t}`, origin } });
  const ok = await ask(token);
  assert.equal(ok.status, 200);
  const body = await ok.json();
  assert.equal(body.state, "pairing");
  assert.match(body.qr, /^data:image\/png;base64,/);
  assert.equal((await ask(token, "https://evil.example")).status, 403, "origin-bound");
  const other = mintConnectToken({ secret: "another-secret-that-is-long-enough-000000", numberId: n.id, audience: AUD, origin: PAGE });
  assert.equal((await ask(other)).status, 401);
  const wrongAud = mintConnectToken({ secret: SECRET, numberId: n.id, audience: "someone-else", origin: PAGE });
  assert.equal((await ask(wrongAud)).status, 401);
});

test("interop with jsonwebtoken, both ways", () => {
  const now = Math.floor(Date.now() / 1000);
  const theirs = jwt.sign({ sub: "wa_1", aud: AUD, origin: PAGE }, SECRET, { algorithm: "HS256", expiresIn: 600 });
  const claims = verifyConnectToken(theirs, { secret: SECRET, audience: AUD, origin: PAGE });
  assert.equal(claims.sub, "wa_1");
  assert.ok(claims.exp - claims.iat === 600 && Math.abs(claims.iat - now) < 5);

  const ours = mintConnectToken({ secret: SECRET, numberId: "wa_2", audience: AUD, link: "secondary" });
  const decoded = jwt.verify(ours, SECRET, { algorithms: ["HS256"], audience: AUD });
  assert.equal(decoded.sub, "wa_2");
  assert.equal(decoded.link, "secondary");
  assert.equal(decoded.exp - decoded.iat, 600, "default lifetime 10 minutes");

  // jsonwebtoken happily signs what our verifier must refuse.
  const tooLong = jwt.sign({ sub: "wa_1", aud: AUD }, SECRET, { algorithm: "HS256", expiresIn: 7200 });
  assert.throws(() => verifyConnectToken(tooLong, { secret: SECRET, audience: AUD }), (e) => e.kind === "token" && e.code === "too_long_lived");
  const hs512 = jwt.sign({ sub: "wa_1", aud: AUD }, SECRET, { algorithm: "HS512", expiresIn: 60 });
  assert.throws(() => verifyConnectToken(hs512, { secret: SECRET, audience: AUD }), (e) => e.code === "unsupported_algorithm");
  const none = signJws({ sub: "wa_1", aud: AUD, iat: now, exp: now + 60 }, SECRET, { alg: "none" });
  assert.throws(() => verifyConnectToken(none, { secret: SECRET, audience: AUD }), (e) => e.code === "unsupported_algorithm");
  const expired = jwt.sign({ sub: "wa_1", aud: AUD, iat: now - 4000, exp: now - 3000 }, SECRET, { algorithm: "HS256" });
  assert.throws(() => verifyConnectToken(expired, { secret: SECRET, audience: AUD }), (e) => e.code === "expired");
  assert.throws(() => verifyConnectToken(theirs, { secret: SECRET, audience: AUD, origin: "https://evil.example" }), (e) => e.code === "origin_mismatch");
  assert.throws(() => mintConnectToken({ secret: "short", numberId: "wa_1", audience: AUD }), (e) => e.kind === "configuration" && e.field === "secret");
  assert.throws(() => mintConnectToken({ secret: SECRET, numberId: "wa_1", audience: AUD, ttlSeconds: 7200 }), (e) => e.field === "ttlSeconds");
});

test("a real signed delivery from the sandbox verifies; forged, unsigned and re-serialised ones do not", async () => {
  const received = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const raw = Buffer.concat(chunks);
      try {
        received.push({ ok: verifyWebhook(HOOK_SECRET, raw, req.headers[SIGNATURE_HEADER]) });
        res.writeHead(204).end();
      } catch (e) {
        received.push({ error: e });
        res.writeHead(e.kind === "signature" ? 401 : 400).end();
      }
    });
  });
  const port = await freePort();
  await new Promise((r) => server.listen(port, "127.0.0.1", r));
  try {
    await control(base, "POST", "/webhooks", { url: `http://127.0.0.1:${port}/hooks`, secret: HOOK_SECRET });
    const n = await ps.numbers.create({ name: "Hook", number: phone() });
    await control(base, "POST", `/numbers/${n.id}/scan`);
    const hit = await eventually(() => received.find((r) => r.ok?.event === "number.connected"), "number.connected delivery");
    assert.equal(hit.ok.data.numberId, n.id);
    assert.equal(hit.ok.dedupKey, `number.connected|${n.id}|${hit.ok.data.createdAt}`);
    assert.ok(received.every((r) => r.ok), "every sandbox delivery verified");

    const body = JSON.stringify({ event: "number.connected", data: { numberId: n.id, phone: "+1", displayName: "d", createdAt: "t" } });
    const good = signWebhook(HOOK_SECRET, body);
    assert.equal(verifyWebhook(HOOK_SECRET, new TextEncoder().encode(body), [good]).event, "number.connected");
    const refuse = (b, sig, code) => assert.throws(() => verifyWebhook(HOOK_SECRET, b, sig), (e) => e.kind === "signature" && e.code === code);
    refuse(body, undefined, "missing");
    refuse(body, "sha256=zz", "malformed");
    refuse(body, signWebhook("whsec_forger", body), "mismatch");
    // Re-serialised ≠ raw bytes: the signature matches only the same JSON written another way.
    assert.throws(() => verifyWebhook(HOOK_SECRET, JSON.stringify(JSON.parse(body), null, 2), good),
      (e) => e.kind === "raw_body_required" && e.code === "reserialised" && e.field === "rawBody");
    refuse(JSON.stringify(JSON.parse(body), null, 2), signWebhook("whsec_forger", body), "mismatch"); // a forgery stays one
    assert.throws(() => verifyWebhook(HOOK_SECRET, JSON.parse(body), good), (e) => e.kind === "raw_body_required" && e.code === "parsed" && e.field === "rawBody");
    const junk = "{not json";
    assert.throws(() => verifyWebhook(HOOK_SECRET, junk, signWebhook(HOOK_SECRET, junk)), (e) => e.kind === "decode");
    const future = JSON.stringify({ event: "number.teleported", data: { numberId: n.id } });
    const ev = verifyWebhook(HOOK_SECRET, future, signWebhook(HOOK_SECRET, future));
    assert.deepEqual(ev, { kind: "other", event: "number.teleported", data: { numberId: n.id }, dedupKey: null }, "unknown events are kept, not refused");
  } finally {
    server.close();
  }
});
