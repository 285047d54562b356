// Every documented example payload (tests/fixtures) through the package, answered by an injected
// fetch: the core parses each into the typed shape, keeps unknown fields and open enum values.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { PilotStatus } from "pilot-connect-server";
import { ROOT, hasReason } from "./helpers.mjs";

const fixture = (name) => readFileSync(path.join(ROOT, "tests/fixtures", name));

/** A client whose fetch answers `status` + the fixture, and records the request. */
function answering(status, body, headers = {}) {
  const seen = [];
  const ps = new PilotStatus({
    apiKey: "ps_fixture_key", baseUrl: "http://127.0.0.1:9", retry: false,
    fetch: async (url, init) => { seen.push({ url, init }); return new Response(body, { status, headers: { "content-type": "application/json", ...headers } }); },
  });
  return { ps, seen };
}

const META_INPUT = JSON.parse(fixture("create_meta_number_request.json"));

const cases = [
  ["create_number_201.json", 201, (ps) => ps.numbers.create({ name: "My WhatsApp", number: "+5511999999999" }),
    (o) => { assert.equal(o.id, "wa_abc"); assert.equal(o.pairingCode, "ABCD-1234"); assert.equal(o.instance.primaryLink.state, "CONNECTING"); }],
  ["create_meta_number_201.json", 201, (ps) => ps.numbers.createMeta(META_INPUT),
    (o) => { assert.equal(o.number.provider, "META"); assert.equal(JSON.stringify(o.webhook.verifyToken), '"[redacted]"'); assert.equal(typeof o.webhook.verifyToken.reveal(), "string"); }],
  ["connect_200.json", 200, (ps) => ps.numbers.connect("wa_abc"),
    (o) => { assert.equal(o.state, "pairing"); assert.match(o.qr, /^data:image\/png;base64,/); }],
  ["status_md.json", 200, (ps) => ps.numbers.status("wa_abc"), (o) => assert.equal(typeof o.ready, "boolean")],
  ["status_rendered.json", 200, (ps) => ps.numbers.status("wa_abc"), (o) => assert.equal(typeof o.ready, "boolean")],
  ["status_sdk.json", 200, (ps) => ps.numbers.status("wa_abc"), (o) => assert.equal(typeof o.ready, "boolean")],
  ["status_sdk_stale.json", 200, (ps) => ps.numbers.status("wa_abc"), (o) => { assert.equal(o.stale, true); assert.equal(o.ready, false); }],
  ["list_200.json", 200, (ps) => ps.numbers.list(), (o) => { assert.ok(Array.isArray(o) && o.length > 0); assert.ok(o.every((n) => typeof n.id === "string")); }],
  ["get_200.json", 200, (ps) => ps.numbers.get("wa_abc"),
    (o) => { assert.equal(o.provider, "META"); assert.ok("extraChargeUnpaidSince" in o, "unknown fields kept"); assert.deepEqual(o.health, { qualityRating: "GREEN", sendable: true }); }],
  ["delete_200_permanent.json", 200, (ps) => ps.numbers.delete("wa_abc"), (o) => assert.equal(o.ok, true)],
  ["delete_200_soft.json", 200, (ps) => ps.numbers.delete("wa_abc"), (o) => assert.ok(o.restorableUntil)],
  ["restore_200.json", 200, (ps) => ps.numbers.restore("wa_abc"), (o) => assert.equal(o.ok, true)],
  ["purge_200.json", 200, (ps) => ps.numbers.purge("wa_abc"), (o) => assert.equal(o.ok, true)],
  ["remote_pairing_openapi.json", 201, (ps) => ps.remotePairing.create({ name: "N", number: "+5511999999999" }), (o) => assert.ok(o.token)],
  ["remote_pairing_guide_201.json", 201, (ps) => ps.remotePairing.create({ name: "N", number: "+5511999999999" }), (o) => assert.ok(o.token)],
  ["remote_pairing_sdk.json", 201, (ps) => ps.remotePairing.create({ name: "N", number: "+5511999999999" }), (o) => assert.equal(o.numberId, "wa_abc")],
  ["remote_pairing_info_200.json", 200, (ps) => ps.remotePairing.info("rp_x"), (o) => assert.equal(typeof o.valid, "boolean")],
  ["remote_pairing_status_200.json", 200, (ps) => ps.remotePairing.status("rp_x"), (o) => assert.equal(typeof o.ready, "boolean")],
  ["remote_pairing_connect_200.json", 200, (ps) => ps.remotePairing.connect("rp_x"), (o) => assert.equal(o.state, "pairing")],
  ["webhook_201.json", 201, (ps) => ps.webhooks.create({ url: "https://example.com/h", events: ["*"], whatsappNumberId: "wa_abc" }),
    (o) => { assert.equal(o.id, "wh_01J8ZK"); assert.equal(o.secretHint, "…7f3a"); }],
  ["webhook_list_200.json", 200, (ps) => ps.webhooks.list(), (o) => assert.equal(o[0].active, false)],
  ["webhook_logs_200.json", 200, (ps) => ps.webhooks.logs("wh_1"), (o) => { assert.equal(o[1].statusCode, undefined); assert.equal(o[0].durationMs, 84); }],
  ["branding_200.json", 200, (ps) => ps.branding.get(),
    (o) => { assert.equal(o.companyName, "Acme"); assert.equal(o.hidePilotStatusBranding, true); assert.equal(o.updatedAt, "2026-06-01T12:00:00.000Z"); }],
  ["branding_200_empty.json", 200, (ps) => ps.branding.update({ subtitle: null }), (o) => assert.deepEqual(o, {})],
];

for (const [file, status, call, check] of cases) {
  test(`fixture ${file}`, async () => {
    const { ps, seen } = answering(status, fixture(file));
    check(await call(ps));
    assert.equal(seen.length, 1);
  });
}

test("the docs' elided QR is refused with its JSON path", async () => {
  const { ps } = answering(200, fixture("connect_200_doc_elided.json"));
  await assert.rejects(ps.numbers.connect("wa_abc"), (e) => e.kind === "decode" && e.path === "qrcodeBase64" && e.status === 200 && hasReason(e, "decode"));
});

test("an id the contract always returns, missing, is a decode error naming its JSON path", async () => {
  const create = { name: "N", number: "+5511999999999" };
  const cases = [
    [(ps) => ps.numbers.create(create), { instance: { name: "N", state: "CONNECTING" }, pairingCode: "ABCD-1234" }, "instance.id"],
    [(ps) => ps.numbers.list(), [{ id: "wa_1" }, { name: "sem id" }], "[1].id"],
    [(ps) => ps.numbers.get("wa_1"), { name: "sem id", state: "OPEN" }, "id"],
    [(ps) => ps.webhooks.create({ url: "https://a.example/h", events: ["*"], whatsappNumberId: "wa_1" }), { url: "https://a.example/h" }, "id"],
    [(ps) => ps.webhooks.get("wh_1"), { webhook: { url: "https://a.example/h" } }, "webhook.id"],
    [(ps) => ps.webhooks.list(), { data: [{ url: "https://a.example/h" }] }, "data[0].id"],
    [(ps) => ps.webhooks.update("wh_1", { active: false }), { active: false }, "id"],
    [(ps) => ps.remotePairing.create(create), { remotePairingUrl: "https://x.example/connect/t", messageSent: false }, "numberId"],
  ];
  for (const [call, body, path] of cases) {
    const { ps } = answering(201, JSON.stringify(body));
    await assert.rejects(call(ps), (e) => {
      assert.equal(e.kind, "decode", e.message);
      hasReason(e, "decode");
      assert.equal(e.path, path);
      assert.equal(e.message, `Pilot Status answered 201 with a body this call cannot use: \`${path}\` is missing`);
      assert.match(e.details.parser, /^missing field `id`|neither `numberId` nor `instance.id`/, "serde's own text (with line and column when read from the bytes)");
      return true;
    }, path);
  }
  // A META link may have no number yet: the person picks it in Meta's dialog.
  const { ps } = answering(201, JSON.stringify({ provider: "META", remotePairingUrl: "https://x.example/connect/t2" }));
  const link = await ps.remotePairing.create({ provider: "META" });
  assert.deepEqual([link.token, link.numberId], ["t2", null]);
});

test("ready is THE answer: the asked link's own state on a dual number, isFullyConnected on a single one", async () => {
  const dual = { id: "wa_1", state: "OPEN", isFullyConnected: false, primaryLink: { state: "CONNECTING" }, secondaryLink: { state: "OPEN" } };
  let { ps } = answering(200, JSON.stringify(dual));
  const s = await ps.numbers.status("wa_1", { link: "secondary" });
  assert.deepEqual([s.isFullyConnected, s.ready], [false, true]);
  ({ ps } = answering(200, JSON.stringify({ id: "wa_1", state: "OPEN", isFullyConnected: false })));
  assert.equal((await ps.numbers.status("wa_1")).ready, false);
  ({ ps } = answering(200, fixture("list_200.json")));
  assert.ok((await ps.numbers.list()).every((n) => typeof n.ready === "boolean"));
});

const errors = [
  ["error_400.json", 400, "bad_request", "bad_request"],
  ["error_401.json", 401, "unauthorized", "unauthorized"],
  ["error_403_number_scope.json", 403, "forbidden", "number_key_not_allowed", "NUMBER_SCOPE_NOT_ALLOWED"],
  ["error_403_tenant_scope.json", 403, "forbidden", "tenant_key_not_allowed", "TENANT_SCOPE_NOT_ALLOWED"],
  ["error_409_exists.json", 409, "conflict", "conflict"],
  ["error_409_soft_deleted.json", 409, "conflict", "conflict", "NUMBER_SOFT_DELETED"],
  ["error_429.json", 429, "rate_limited", "rate_limited"],
  ["error_429_retry_after_body.json", 429, "rate_limited", "rate_limited", "RATE_LIMITED", 42_000],
  ["error_503_provider.json", 503, "server", "server_error", "PROVIDER_NOT_CONFIGURED"],
];

for (const [file, status, kind, reason, code, retryAfterMs] of errors) {
  test(`error fixture ${file} → ${kind} / ${reason}`, async () => {
    const { ps } = answering(status, fixture(file));
    await assert.rejects(ps.numbers.create({ name: "N", number: "+5511999999999" }), (e) => {
      assert.equal(e.name, "PilotStatusError");
      assert.equal(e.kind, kind);
      hasReason(e, reason);
      assert.equal(e.status, status);
      if (code) assert.equal(e.code, code);
      if (retryAfterMs) assert.equal(e.retryAfterMs, retryAfterMs);
      return true;
    });
  });
}

test("unknown enum values and fields survive the round trip", async () => {
  const { ps } = answering(200, JSON.stringify({ id: "wa_1", state: "HIBERNATING", isFullyConnected: false, shard: { z: 1 } }));
  assert.deepEqual(await ps.numbers.status("wa_1"), { id: "wa_1", state: "HIBERNATING", isFullyConnected: false, shard: { z: 1 }, ready: false });
});

test("requests are the core's golden ones: method, path, headers, body", async () => {
  const { ps, seen } = answering(201, fixture("create_number_201.json"));
  await ps.numbers.create({ name: " Loja ", number: "+55 (11) 99999-9999", linkToApiKey: false, settings: { rejectCall: null } });
  const { url, init } = seen[0];
  assert.equal(url, "http://127.0.0.1:9/v1/numbers");
  assert.equal(init.method, "POST");
  assert.equal(init.redirect, "manual", "the key never follows a redirect");
  const headers = Object.fromEntries(init.headers);
  assert.equal(headers["x-api-key"], "ps_fixture_key");
  assert.equal(headers["content-type"], "application/json");
  assert.match(headers["user-agent"], /^pilot-connect-server\//);
  assert.deepEqual(JSON.parse(new TextDecoder().decode(init.body)),
    { name: "Loja", number: "+5511999999999", linkToApiKey: false, settings: { rejectCall: null } });
});
