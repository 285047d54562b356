// Official numbers: Meta signup links matched to the customers by the backend alone, in Next route
// handlers (lib/meta-links.ts, the recipe, wired in lib/links.ts; app/api/meta-links/**, and the
// webhook route) — `next build`, `next start` against the sandbox, no browser: the signups are
// finished with the sandbox's control route. Each poll's requests are counted on the sandbox
// (GET /_sandbox/stats) and compared with the poller's report.
//   W  webhook echo (the default): two customers at once, mapped by their number.* webhooks
//   N  no echo (--link-external-ref none): status, then list; the cron route's secret
//   D  detail echo and gone (--link-after-success gone): 404 at once, told apart by the detail
// The README's copy of the recipe is lib/meta-links.ts (checked here).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { PilotStatus, verifyConnectToken } from "pilot-connect-server";
import { delivered, deliveries, fakeEdge, phone, sign, startSandbox } from "../../support/recipes.mjs";
import { APP, ROOT, appAddress, buildOnce, startNext } from "./app.mjs";

const KEY = "ps_next_links_tenant_key_4d3c2b";
const HOOK = "whsec_next_links_dashboard";
const TOKEN_SECRET = "next-links-connect-token-secret-0123456789";
const AUDIENCE = "https://connect.example.test";
const ORIGIN = "https://app.example.test";
const CRON_SECRET = "next-links-cron-secret";
const DAY = 24 * 60 * 60 * 1000;

const procs = [];
let edge, W, N, D;

/** A sandbox with `flags` delivering every event, signed, to a `next start` of the app on it. */
async function start(flags, env = {}) {
  const { port, url: app } = await appAddress();
  const sandbox = await startSandbox(procs, ["--tenant-key", KEY, "--webhook-secret", HOOK, "--rate-limit", "0",
    "--webhook-url", `${app}/api/webhooks/pilot-status`, ...flags]);
  await startNext(port, { PS_API_KEY: KEY, PS_BASE_URL: sandbox, PS_WEBHOOK_SECRET: HOOK, CONNECT_TOKEN_SECRET: TOKEN_SECRET,
    CONNECT_TOKEN_AUDIENCE: AUDIENCE, APP_ORIGIN: ORIGIN, PILOT_EDGE_URL: edge.url, ...env }, procs);
  return { app, sandbox, pilot: new PilotStatus({ apiKey: KEY, baseUrl: sandbox }), env };
}

before(async () => {
  edge = await fakeEdge(HOOK);
  await buildOnce();
  // One at a time: three `next start` at once are slow to answer on a small machine.
  W = await start([]);
  N = await start(["--link-external-ref", "none"], { CRON_SECRET });
  D = await start(["--link-external-ref", "detail", "--link-after-success", "gone"]);
});
after(() => {
  edge?.close();
  procs.forEach((p) => p.kill());
});

const post = (base, route, body, headers = {}) => fetch(`${base}${route}`, {
  method: "POST", body: typeof body === "string" ? body : JSON.stringify(body), headers: { "content-type": "application/json", ...headers },
});

async function linksOf(m) {
  const r = await fetch(`${m.app}/api/meta-links`);
  assert.equal(r.status, 200, await r.clone().text());
  return Object.fromEntries((await r.json()).map((l) => [l.customerId, l]));
}

async function createLink(m, customerId, extra = {}) {
  const r = await post(m.app, "/api/meta-links", { customerId, ...extra });
  assert.equal(r.status, 201, await r.clone().text());
  return r.json();
}

/** The person finishes Meta's signup (the control route: the hosted page's own code path). */
async function finish(m, linkToken) {
  const r = await post(m.sandbox, `/_sandbox/remote-pairing/${linkToken}/finish`, { number: phone("4") });
  assert.equal(r.status, 200, await r.clone().text());
  const done = await r.json();
  for (const event of ["number.created", "number.connected"]) {
    const [d] = await delivered(m.sandbox, event, done.numberId);
    assert.equal(d.attempts.at(-1).status, 200, `${event}: ${JSON.stringify(d.attempts)}`);
  }
  return done;
}

const hitsOf = async (m) => (await (await fetch(`${m.sandbox}/_sandbox/stats`)).json()).hits;

/** One poll through the cron route; the sandbox got exactly what it counts, within the bound. */
async function poll(m) {
  const pending = Object.values(await linksOf(m)).filter((l) => l.state === "pending").length;
  await fetch(`${m.sandbox}/_sandbox/stats`, { method: "DELETE" });
  const auth = m.env.CRON_SECRET ? { authorization: `Bearer ${m.env.CRON_SECRET}` } : {};
  const r = await post(m.app, "/api/meta-links/poll", {}, auth);
  assert.equal(r.status, 200, await r.clone().text());
  const report = await r.json();
  const { status, list, detail } = report.calls;
  const expected = Object.fromEntries(Object.entries({ token_status: status, list, get: detail }).filter(([, v]) => v > 0));
  assert.deepEqual(await hitsOf(m), expected, "the sandbox got exactly the calls the poller counted");
  assert.ok(status <= pending && list <= 1, `${status} status reads for ${pending} pending links, ${list} lists`);
  assert.deepEqual(report.errors, []);
  return report;
}

const mapping = (l) => [l.state, l.numberId, l.via];

test("the server package's README shows lib/meta-links.ts as it is", () => {
  const readme = readFileSync(path.join(ROOT, "pkg-templates/server/README.md"), "utf8");
  const block = readme.match(/<!-- meta-links\.ts -->\n```ts\n([\s\S]*?)```\n<!-- \/meta-links\.ts -->/)?.[1];
  assert.ok(block, "README: the ```ts block between <!-- meta-links.ts --> markers");
  assert.equal(block, readFileSync(path.join(APP, "lib/meta-links.ts"), "utf8"));
});

test("POST /api/meta-links: the link (externalRef, redirectUrl, branding) and a pairing-link token that verifies with its rp claims", async () => {
  const { link, token } = await createLink(W, "cust-token", { companyName: "Acme Next" });
  assert.equal(link.linkUrl, `${W.sandbox}/connect/${link.linkToken}`);
  assert.deepEqual([link.state, link.seenValid], ["pending", true]);
  const claims = verifyConnectToken(token, { secret: TOKEN_SECRET, audience: AUDIENCE, origin: ORIGIN });
  assert.equal(claims.sub, link.linkToken);
  assert.deepEqual(claims.rp, { token: link.linkToken, url: link.linkUrl, provider: "META", exp: Math.floor((link.createdAt + DAY) / 1000), ref: link.customerId });
  assert.deepEqual([claims.origin, claims.branding], [ORIGIN, { companyName: "Acme Next" }]);
  const kept = await (await fetch(`${W.sandbox}/_sandbox/remote-pairing/${link.linkToken}`)).json();
  assert.deepEqual([kept.externalRef, kept.redirectUrl, kept.metaFlow], ["cust-token", `${ORIGIN}/connected`, "embedded"]);
  assert.equal((await W.pilot.remotePairing.info(link.linkToken)).branding?.companyName, "Acme Next");
});

test("webhook echo: two customers pending at once, each mapped by its number's webhooks; a retried delivery is answered 'already'; messages are acknowledged", async () => {
  const a = (await createLink(W, "cust-a")).link;
  const b = (await createLink(W, "cust-b")).link;
  const fb = await finish(W, b.linkToken);
  const fa = await finish(W, a.linkToken);
  const links = await linksOf(W);
  assert.deepEqual(mapping(links["cust-a"]), ["mapped", fa.numberId, "webhook"]);
  assert.deepEqual(mapping(links["cust-b"]), ["mapped", fb.numberId, "webhook"]);

  const [created] = await deliveries(W.sandbox, "number.created", fa.numberId);
  const body = JSON.stringify(created.body);
  const again = await post(W.app, "/api/webhooks/pilot-status", body, { "x-pilot-status-signature": sign(HOOK, body) });
  assert.equal(again.status, 200);
  assert.deepEqual((await again.json()).handled, { customerId: "cust-a", numberId: fa.numberId, result: "already" });
  const other = JSON.stringify({ ...created.body, data: { ...created.body.data, numberId: "wa_not_hers" } });
  const taken = await post(W.app, "/api/webhooks/pilot-status", other, { "x-pilot-status-signature": sign(HOOK, other) });
  assert.equal((await taken.json()).handled.result, "link_taken", "a customer's link maps one number");

  const { messageIds } = await (await post(W.sandbox, `/_sandbox/numbers/${fa.numberId}/messages`, { count: 1 })).json();
  assert.equal((await delivered(W.sandbox, "message.received", messageIds[0]))[0].attempts.at(-1).status, 200);
  const msg = JSON.stringify({ event: "message.received", data: { messageId: "m1", numberId: fa.numberId } });
  const ack = await post(W.app, "/api/webhooks/pilot-status", msg, { "x-pilot-status-signature": sign(HOOK, msg) });
  assert.deepEqual(await ack.json(), { ok: true, event: "message.received", dedupKey: null }, "acknowledged, nothing handled");

  const r = await poll(W);
  assert.deepEqual(r.calls, { status: 1, list: 0, detail: 0 }, "only cust-token is pending");
  assert.deepEqual(r.mapped, []);
});

test("no echo: one link mapped by polling (status, list, detail), even when another poller (the edge) read its OPEN first; the cron route wants its secret", async () => {
  assert.equal((await post(N.app, "/api/meta-links/poll", {})).status, 401, "CRON_SECRET set: no bearer, no run");
  const { link } = await createLink(N, "cust-n1");
  let r = await poll(N);
  assert.deepEqual(r.calls, { status: 1, list: 0, detail: 0 });
  const done = await finish(N, link.linkToken);
  assert.equal((await linksOf(N))["cust-n1"].state, "pending", "no externalRef in its webhooks");
  // The widget's edge polls the same public status: it gets the OPEN, and the token is cleared.
  assert.equal((await N.pilot.remotePairing.status(link.linkToken)).state, "OPEN");
  r = await poll(N);
  assert.deepEqual(r.calls, { status: 1, list: 1, detail: 1 });
  assert.deepEqual(r.mapped, [{ customerId: "cust-n1", numberId: done.numberId, via: "list" }]);
  assert.deepEqual((await poll(N)).calls, { status: 0, list: 0, detail: 0 }, "nothing pending: no call");
});

test("no echo: a link Pilot Status never knew is dropped as unknown", async () => {
  const r0 = await post(N.app, "/api/meta-links/track", { customerId: "cust-unknown",
    linkUrl: `${N.sandbox}/connect/11111111-1111-4111-a111-111111111111`, createdAt: new Date().toISOString() });
  assert.equal(r0.status, 201, await r0.clone().text());
  const r = await poll(N);
  assert.deepEqual(r.calls, { status: 1, list: 0, detail: 0 });
  assert.deepEqual(r.dropped, [{ customerId: "cust-unknown", linkToken: "11111111-1111-4111-a111-111111111111", reason: "unknown" }]);
  assert.ok(!("cust-unknown" in (await linksOf(N))));
});

test("detail echo and gone: both statuses 404 at once, the two links told apart by externalRef in each number's detail; one past 24 h is dropped as expired", async () => {
  const d1 = (await createLink(D, "cust-d1")).link;
  const d2 = (await createLink(D, "cust-d2")).link;
  const f2 = await finish(D, d2.linkToken);
  const f1 = await finish(D, d1.linkToken);
  let r = await poll(D);
  assert.deepEqual(r.calls, { status: 2, list: 1, detail: 2 });
  assert.deepEqual(r.mapped.sort((x, y) => x.customerId.localeCompare(y.customerId)), [
    { customerId: "cust-d1", numberId: f1.numberId, via: "detail" },
    { customerId: "cust-d2", numberId: f2.numberId, via: "detail" },
  ]);

  const old = await D.pilot.remotePairing.create({ provider: "META", externalRef: "cust-old" });
  const tracked = await post(D.app, "/api/meta-links/track", { customerId: "cust-old", linkUrl: old.remotePairingUrl,
    createdAt: new Date(Date.now() - 25 * 60 * 60 * 1000).toISOString() });
  assert.equal(tracked.status, 201);
  r = await poll(D);
  assert.deepEqual([r.calls, r.waiting], [{ status: 1, list: 0, detail: 0 }, [{ customerId: "cust-old", state: "pending" }]]);
  await finish(D, old.token);
  r = await poll(D);
  assert.deepEqual(r.calls, { status: 1, list: 0, detail: 0 });
  assert.deepEqual(r.dropped, [{ customerId: "cust-old", linkToken: old.token, reason: "expired" }]);
});
