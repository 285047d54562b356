// Tenant branding and a link's branding snapshot through the installed package, against the sandbox.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { PilotStatus, PilotStatusError } from "pilot-connect-server";
import { KEY, startSandbox, control, phone, hasReason } from "./helpers.mjs";

const procs = [];
let base, ps;

before(async () => {
  base = await startSandbox(procs);
  ps = new PilotStatus({ apiKey: KEY, baseUrl: base });
});
after(() => procs.forEach((p) => p.kill()));

const hits = async (name) => (await control(base, "GET", "/stats")).hits[name] ?? 0;

test("branding.get / branding.update: set, null clears, omitted stays", async () => {
  assert.deepEqual(await ps.branding.get(), {}, "nothing set yet");
  const gets = await hits("branding_get");

  const set = await ps.branding.update({
    companyName: " Acme ", primaryColor: "#0A84FF", logoUrl: "https://cdn.acme.example/logo.png", hidePilotStatusBranding: true,
  });
  assert.deepEqual(set, {
    companyName: "Acme", primaryColor: "#0A84FF", logoUrl: "https://cdn.acme.example/logo.png", hidePilotStatusBranding: true,
  });
  // null clears; a field left out (or undefined) stays.
  const changed = await ps.branding.update({ logoUrl: null, subtitle: "Conecte seu WhatsApp", primaryColor: undefined });
  assert.deepEqual(changed, {
    companyName: "Acme", primaryColor: "#0A84FF", subtitle: "Conecte seu WhatsApp", hidePilotStatusBranding: true,
  });
  assert.deepEqual(await ps.branding.get(), changed);
  assert.equal(await hits("branding_get"), gets + 1, "counted in /_sandbox/stats as branding_get");
});

test("bad branding is refused before anything is sent", async () => {
  const before = await ps.branding.get();
  const puts = await hits("branding_update");
  const cases = [
    [{}, undefined],
    [{ logoUrl: "http://cdn.acme.example/logo.png" }, "logoUrl"],
    [{ supportUrl: "acme.example/help" }, "supportUrl"],
    [{ primaryColor: "#FFF" }, "primaryColor"],
    [{ backgroundColor: "white" }, "backgroundColor"],
    [{ companyName: "é".repeat(61) }, "companyName"],
    [{ subtitle: "x".repeat(121) }, "subtitle"],
    [{ companyName: "   " }, "companyName"],
  ];
  for (const [changes, field] of cases) {
    await assert.rejects(ps.branding.update(changes), (e) => {
      assert.ok(e instanceof PilotStatusError, String(e));
      assert.equal(e.kind, "validation", `${JSON.stringify(changes)}: ${e.message}`);
      if (field) assert.equal(e.field, field, e.message);
      return hasReason(e, "invalid_argument");
    });
  }
  await assert.rejects(ps.branding.update({ compnayName: "Acme" }), (e) => e.kind === "validation" && hasReason(e, "unknown_argument") && /compnayName/.test(e.message));
  await assert.rejects(ps.branding.update({ companyName: 42 }), (e) => e.kind === "validation" && /companyName/.test(`${e.path} ${e.message}`));
  await assert.rejects(ps.branding.update(), (e) => e.kind === "validation" && e.field === "branding");
  assert.equal(await hits("branding_update"), puts, "nothing reached the sandbox");
  assert.deepEqual(await ps.branding.get(), before);
  // 60 characters is the limit, counted as characters (120 bytes here).
  assert.equal((await ps.branding.update({ companyName: "é".repeat(60) })).companyName, "é".repeat(60));
});

test("a number key gets forbidden / number_key_not_allowed", async () => {
  const n = await ps.numbers.create({ name: "Marca", number: phone() });
  const numberKey = (await control(base, "GET", `/numbers/${n.id}`)).apiKey;
  const scoped = new PilotStatus({ apiKey: numberKey, baseUrl: base });
  const forbidden = (e) => e instanceof PilotStatusError && e.kind === "forbidden" && e.status === 403
    && e.code === "NUMBER_SCOPE_NOT_ALLOWED" && hasReason(e, "number_key_not_allowed");
  await assert.rejects(scoped.branding.get(), forbidden);
  await assert.rejects(scoped.branding.update({ companyName: "Mine" }), forbidden);
  assert.notEqual((await ps.branding.get()).companyName, "Mine");
});

test("remotePairing.create({ branding }) keeps the link's snapshot; info reads it back", async () => {
  const pub = new PilotStatus({ baseUrl: base });
  for (const name of ["branding", "brandingOverride"]) {
    const link = await ps.remotePairing.create({
      name: "Cliente", number: phone(),
      [name]: { companyName: "Acme Filial", primaryColor: "#112233", subtitle: null, fontFamily: "Inter" },
    });
    const info = await pub.remotePairing.info(link.token);
    assert.deepEqual(info.branding, { companyName: "Acme Filial", primaryColor: "#112233", fontFamily: "Inter" }, name);
  }
  const plain = await ps.remotePairing.create({ name: "Sem marca", number: phone() });
  assert.equal((await pub.remotePairing.info(plain.token)).branding, undefined);
  await assert.rejects(
    ps.remotePairing.create({ name: "Cliente", number: phone(), branding: { logoUrl: "http://x.example/l.png" } }),
    (e) => e.kind === "validation" && e.field === "logoUrl",
  );
  await assert.rejects(
    ps.remotePairing.create({ name: "Cliente", number: phone(), branding: {}, brandingOverride: {} }),
    (e) => e.kind === "validation",
  );
});
