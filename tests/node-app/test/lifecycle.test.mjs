// The whole number lifecycle through the installed package against the sandbox.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { PilotStatus, PilotStatusError } from "pilot-connect-server";
import { KEY, startSandbox, control, phone } from "./helpers.mjs";

const procs = [];
let base, ps;

before(async () => {
  base = await startSandbox(procs);
  ps = new PilotStatus({ apiKey: KEY, baseUrl: base });
});
after(() => procs.forEach((p) => p.kill()));

test("create → connect → scan → status → list/get → delete → restore → purge", async () => {
  const created = await ps.numbers.create({ name: "Loja Centro", number: phone() });
  assert.equal(typeof created.id, "string", "always there: no null to guard");
  assert.match(created.id, /^wa_/);
  assert.equal(created.instance.id, created.id);
  assert.match(created.qrcodeBase64, /^data:image\/png;base64,iVBORw0KGgo/);

  const pairing = await ps.numbers.connect(created.id);
  assert.equal(pairing.state, "pairing");
  assert.match(pairing.qr, /^data:image\/png;base64,iVBORw0KGgo/);
  assert.match(pairing.pairingCode, /^[A-Z0-9]{4}-?[A-Z0-9]{4}$/);

  let status = await ps.numbers.status(created.id);
  assert.equal(status.state, "CONNECTING");
  assert.equal(status.ready, false);

  await control(base, "POST", `/numbers/${created.id}/scan`);
  status = await ps.numbers.status(created.id);
  assert.equal(status.state, "OPEN");
  assert.equal(status.ready, true);
  // The documented 409 is a state, not an error.
  assert.deepEqual(await ps.numbers.connect(created.id), { state: "connected" });

  const list = await ps.numbers.list();
  assert.ok(list.some((n) => n.id === created.id && n.state === "OPEN" && n.ready === true));
  assert.ok(list.every((n) => typeof n.id === "string" && typeof n.ready === "boolean"));
  const one = await ps.numbers.get(created.id, { refresh: true });
  assert.equal(one.id, created.id);
  assert.equal(one.ready, true);
  assert.equal(one.name, "Loja Centro");

  const deleted = await ps.numbers.delete(created.id);
  assert.equal(deleted.ok, true);
  assert.ok(Date.parse(deleted.restorableUntil) > Date.now());
  const restored = await ps.numbers.restore(created.id);
  assert.equal(restored.ok, true);
  await ps.numbers.delete(created.id);
  assert.equal((await ps.numbers.purge(created.id)).ok, true);
  await assert.rejects(ps.numbers.get(created.id), (e) => e instanceof PilotStatusError && e.kind === "not_found" && e.status === 404 && e.reason === "not_found");
});

test("remote pairing: create with the key, then the public token calls without one", async () => {
  const link = await ps.remotePairing.create({ name: "Cliente remoto", number: phone() });
  assert.ok(link.token, "a token, from remotePairingToken or the URL");
  assert.equal(typeof link.numberId, "string", "a PILOT_STATUS link always names its number");
  const pub = new PilotStatus({ baseUrl: base }); // no key: public endpoints only
  const info = await pub.remotePairing.info(link.token);
  assert.equal(info.valid, true);
  const st = await pub.remotePairing.status(link.token);
  assert.equal(st.ready, false);
  const c = await pub.remotePairing.connect(link.token);
  assert.equal(c.state, "pairing");
  assert.match(c.qr, /^data:image\/png;base64,/);
  // Authenticated calls refuse to build without credentials: nothing is sent.
  await assert.rejects(pub.numbers.list(), (e) => e.kind === "configuration" && e.reason === "missing_api_key" && /needs apiKey or apiKeyId/.test(e.message));
});

test("an unknown link or option is refused before anything is sent", async () => {
  const created = await ps.numbers.create({ name: "Dual", number: phone() });
  await assert.rejects(ps.numbers.connect(created.id, { link: "tertiary" }), (e) => e.kind === "validation" && e.field === "link");
  await assert.rejects(ps.numbers.connect(created.id, { lnk: "secondary" }), (e) => e.kind === "validation" && e.reason === "unknown_argument" && /lnk/.test(e.message));
});
