// Webhook management through the package against the sandbox: a number's webhook is created,
// receives a real signed delivery (verified with the dashboard secret), is updated, paused,
// logged and deleted; bad input is refused before sending.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { PilotStatus, verifyWebhook, SIGNATURE_HEADER } from "pilot-connect-server";
import { freePort } from "../../support/node.mjs";
import { KEY, startSandbox, control, phone, eventually, recordingFetch } from "./helpers.mjs";

const DASHBOARD_SECRET = "whsec_node_dashboard";
const procs = [];
let base, ps, server, hookUrl;
const received = [];

before(async () => {
  base = await startSandbox(procs, ["--webhook-secret", DASHBOARD_SECRET, "--time-scale", "50"]);
  ps = new PilotStatus({ apiKey: KEY, baseUrl: base });
  server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      try {
        received.push(verifyWebhook(DASHBOARD_SECRET, Buffer.concat(chunks), req.headers[SIGNATURE_HEADER]));
        res.writeHead(204).end();
      } catch (e) {
        res.writeHead(401).end();
      }
    });
  });
  const port = await freePort();
  await new Promise((r) => server.listen(port, "127.0.0.1", r));
  hookUrl = `http://127.0.0.1:${port}/hooks/pilot-status`;
});
after(() => { server?.close(); procs.forEach((p) => p.kill()); });

test("create → delivery → update → pause → logs → delete", async () => {
  const n = await ps.numbers.create({ name: "Webhooks", number: phone() });
  await assert.rejects(ps.webhooks.create({ url: hookUrl, events: ["*"] }),
    (e) => e.kind === "bad_request" && e.code === "NUMBER_REQUIRED");
  const hook = await ps.webhooks.create({ url: hookUrl, events: ["number.connected"], whatsappNumberId: n.id });
  assert.match(hook.id, /^wh_/);
  assert.deepEqual([hook.url, hook.events, hook.active, hook.whatsappNumberId], [hookUrl, ["number.connected"], true, n.id]);
  // The number already has a webhook (one per number here): most likely the customer's own.
  await assert.rejects(ps.webhooks.create({ url: hookUrl, events: ["*"], whatsappNumberId: n.id }), (e) => {
    assert.deepEqual([e.kind, e.reason, e.status], ["conflict", "webhook_exists", 409]);
    assert.match(e.message, /already has a webhook.*keep it/);
    assert.doesNotMatch(e.message, /PATCH it/, "never invites overwriting the customer's hook");
    return true;
  });
  assert.ok((await ps.webhooks.list()).some((h) => h.id === hook.id));
  assert.deepEqual(await ps.webhooks.get(hook.id), hook);

  await control(base, "POST", `/numbers/${n.id}/scan`);
  const ev = await eventually(() => received.find((e) => e.data?.numberId === n.id), "the signed delivery");
  assert.equal(ev.event, "number.connected");
  assert.equal(ev.kind, "number");

  const paused = await ps.webhooks.update(hook.id, { active: false, events: ["*"] });
  assert.deepEqual([paused.active, paused.events], [false, ["*"]]);
  await control(base, "POST", `/numbers/${n.id}/disconnect`);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(received.filter((e) => e.data?.numberId === n.id).length, 1, "paused: nothing more");

  const logs = await ps.webhooks.logs(hook.id, { limit: 5 });
  assert.equal(logs.length, 1);
  assert.deepEqual([logs[0].event, logs[0].statusCode, logs[0].success], ["number.connected", 204, true]);
  assert.deepEqual(await ps.webhooks.logs(hook.id, { event: "number.removed" }), []);

  assert.equal((await ps.webhooks.delete(hook.id)).ok, true);
  await assert.rejects(ps.webhooks.get(hook.id), (e) => e.kind === "not_found" && e.code === "WEBHOOK_NOT_FOUND");
});

test("bad input is refused before anything is sent", async () => {
  const rec = recordingFetch();
  const p = new PilotStatus({ apiKey: KEY, baseUrl: base, fetch: rec.fetch });
  const refused = (promise, field) => assert.rejects(promise, (e) => e.kind === "validation" && (e.field === field || e.message.includes(field)));
  await refused(p.webhooks.create({ url: "ftp://x/h", events: ["*"], whatsappNumberId: "wa_1" }), "url");
  await refused(p.webhooks.create({ url: "https://a.example/h", events: [], whatsappNumberId: "wa_1" }), "events");
  await refused(p.webhooks.create({ url: "https://a.example/h", whatsappNumberId: "wa_1" }), "events");
  await refused(p.webhooks.update("wh_1", {}), "patch");
  await refused(p.webhooks.update("wh_1", { whatsappNumberId: "wa_2" }), "whatsappNumberId");
  await refused(p.webhooks.logs("wh_1", { limit: 0 }), "limit");
  await refused(p.webhooks.logs("wh_1", { limit: 51 }), "limit");
  await refused(p.webhooks.get(".."), "id");
  assert.equal(rec.calls.length, 0);
});
