// Secrets never show: not in JSON.stringify, util.inspect, String(), error messages or stacks.
import { test } from "node:test";
import assert from "node:assert/strict";
import util from "node:util";
import { PilotStatus, Secret, mintConnectToken, verifyConnectToken, verifyWebhook } from "pilot-connect-server";

const KEY = "ps_live_SUPERSECRET_key_77";
const TOKEN_SECRET = "SUPERSECRET-connect-token-signing-secret-00";
const HOOK_SECRET = "whsec_SUPERSECRET";
const META_TOKEN = "EAAGSUPERSECRETmeta";

const shows = (v) => [JSON.stringify(v), util.inspect(v, { depth: 10, showHidden: true }), String(v?.message ?? ""), String(v?.stack ?? "")].join("\n");
const clean = (v) => assert.doesNotMatch(shows(v), /SUPERSECRET/);

test("the client shows no key", () => {
  const ps = new PilotStatus({ apiKey: KEY });
  clean(ps);
  assert.equal(JSON.stringify(ps), '{"client":"PilotStatus","credentials":"[redacted]"}');
  clean({ nested: ps });
});

test("errors from any path carry no secret", async () => {
  const answer = (status, body) => new PilotStatus({
    apiKey: KEY, baseUrl: "http://127.0.0.1:9", retry: false,
    // A hostile server echoing what it got must not make us print it either.
    fetch: async (_url, init) => new Response(body ?? JSON.stringify({ error: "bad", echo: "redacted by us?" }), { status }),
  });
  for (const call of [
    (ps) => ps.numbers.list(),
    (ps) => ps.numbers.createMeta({ name: "M", number: "+5511988887777", metaPhoneId: "1", metaWabaId: "2", metaAccessToken: `${META_TOKEN} x`, metaAppSecret: "SUPERSECRETapp", metaAppId: "3" }),
    (ps) => ps.numbers.createMeta({ name: "M", number: "+5511988887777", metaPhoneId: "1", metaWabaId: "2", metaAccessToken: META_TOKEN, metaAppSecret: "SUPERSECRETapp", metaAppId: "3" }),
  ]) {
    const e = await call(answer(401)).catch((e) => e);
    assert.equal(e.name, "PilotStatusError");
    clean(e);
  }
  const network = new PilotStatus({ apiKey: KEY, baseUrl: "http://127.0.0.1:9", retry: false, fetch: async () => { throw new Error("boom"); } });
  clean(await network.numbers.list().catch((e) => e));
  for (const f of [
    () => new PilotStatus({ apiKey: `${KEY} with space` }),
    () => mintConnectToken({ secret: "SUPERSECRET", numberId: "wa_1", audience: "a" }),
    () => verifyConnectToken("a.b.c", { secret: TOKEN_SECRET, audience: "a" }),
    () => verifyWebhook(HOOK_SECRET, "{}", "00"),
  ]) {
    const e = (() => { try { f(); } catch (e) { return e; } })();
    assert.ok(e, "it threw");
    clean(e);
  }
});

test("the Meta verify token comes back as a Secret", async () => {
  const ps = new PilotStatus({
    apiKey: KEY, baseUrl: "http://127.0.0.1:9",
    fetch: async () => new Response(JSON.stringify({ number: { id: "wa_m", provider: "META" }, webhook: { url: "https://x/hook", verifyToken: "vt_SUPERSECRET" } }), { status: 201 }),
  });
  const out = await ps.numbers.createMeta({ name: "M", number: "+5511988887777", metaPhoneId: "1", metaWabaId: "2", metaAccessToken: META_TOKEN, metaAppSecret: "s", metaAppId: "3" });
  clean(out);
  assert.ok(out.webhook.verifyToken instanceof Secret);
  assert.equal(out.webhook.verifyToken.reveal(), "vt_SUPERSECRET");
  assert.equal(`${out.webhook.verifyToken}`, "[redacted]");
});
