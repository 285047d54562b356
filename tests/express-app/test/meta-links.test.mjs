// Official numbers: Meta signup links matched to the customers by the backend alone (meta-links.mjs,
// the recipe of the server package's README) — the Express app against the sandbox, in every mode
// the undocumented parts can take (docs/meta-inferences.md), with no browser: the signups are
// finished with the sandbox's control route. Every poll runs through the app's route, and what it
// cost is counted on the sandbox (GET /_sandbox/stats) and compared with the poller's own report.
//   W  webhook echo (the default): two customers at once, mapped by their number.* webhooks
//   N  no echo (--link-external-ref none): the status, then the list, by elimination
//   D  detail echo: externalRef in GET /v1/numbers/{id} tells two finished links apart
//   G  gone (404 at once), and no webhook at all reaches the app; links Pilot Status does not know,
//      or past 24 h, are dropped
//   S  the status names the number (--link-number-id status), no webhook
//   T  the poller on a timer (META_LINKS_POLL_MS)
//   P  a cancel clears the link (--link-after-abort spent) and Meta connects numbers late
//      (--meta-numbers pending): a 404 that is not a success never takes another link's number
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { PilotStatus, verifyConnectToken } from "pilot-connect-server";
import { freePort } from "../../support/node.mjs";
import { startSandbox, startApp, until, sign, delivered, deliveries, fakeEdge, phone } from "../../support/recipes.mjs";
import { current, generated } from "../gen-meta-links.mjs";

const APP = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const KEY = "ps_express_links_tenant_key_3f";
const HOOK = "whsec_express_links_dashboard";
const TOKEN_SECRET = "express-links-connect-token-secret-0123456789";
const PAGE = "https://app.example.test";
const DAY = 24 * 60 * 60 * 1000;

const procs = [];
let edge, W, N, D, G, S, T, P;

/**
 * A sandbox with `flags` and a fresh Express app on it; with `hooks`, the sandbox delivers every
 * event, signed, to the app (an account-wide target), else no webhook ever reaches it.
 */
async function start(flags, env = {}, hooks = true) {
  const port = await freePort();
  const app = `http://127.0.0.1:${port}`;
  const sandbox = await startSandbox(procs, ["--tenant-key", KEY, "--webhook-secret", HOOK, "--rate-limit", "0",
    ...(hooks ? ["--webhook-url", `${app}/hooks/pilot-status`] : []), ...flags]);
  await startApp(procs, APP, "server.mjs", "express-app listening on ", {
    PORT: String(port), PUBLIC_URL: app, PS_API_KEY: KEY, PS_BASE_URL: sandbox, PS_WEBHOOK_SECRET: HOOK,
    CONNECT_TOKEN_SECRET: TOKEN_SECRET, PILOT_EDGE_URL: edge.url, APP_ORIGIN: PAGE, ...env,
  });
  return { app, sandbox, hooks, pilot: new PilotStatus({ apiKey: KEY, baseUrl: sandbox }) };
}

before(async () => {
  edge = await fakeEdge(HOOK);
  const none = ["--link-external-ref", "none"];
  [W, N, D, G, S, T, P] = await Promise.all([
    start([]),
    start(none),
    start(["--link-external-ref", "detail"]),
    start([...none, "--link-after-success", "gone"], {}, false),
    start([...none, "--link-number-id", "status"], {}, false),
    start(none, { META_LINKS_POLL_MS: "250" }),
    start([...none, "--link-after-abort", "spent", "--meta-numbers", "pending"]),
  ]);
});
after(() => {
  edge?.close();
  procs.forEach((p) => p.kill());
});

const post = (base, route, body, headers = {}) => fetch(`${base}${route}`, {
  method: "POST", body: typeof body === "string" ? body : JSON.stringify(body), headers: { "content-type": "application/json", ...headers },
});
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The app's links by customer. */
async function linksOf(m) {
  const r = await fetch(`${m.app}/api/meta-links`);
  assert.equal(r.status, 200);
  return Object.fromEntries((await r.json()).map((l) => [l.customerId, l]));
}

/** POST /api/meta-links: the customer's link and the widget's token. */
async function createLink(m, customerId, extra = {}) {
  const r = await post(m.app, "/api/meta-links", { customerId, ...extra });
  assert.equal(r.status, 201, await r.clone().text());
  return r.json();
}

/** The person finishes Meta's signup (the hosted page's own code path), picking `number`. */
async function finish(m, linkToken, number = phone("7"), events = ["number.created", "number.connected"]) {
  const r = await post(m.sandbox, `/_sandbox/remote-pairing/${linkToken}/finish`, { number });
  assert.equal(r.status, 200, await r.clone().text());
  const done = await r.json();
  assert.equal(done.outcome, "finished");
  // Its webhooks reached the app (and were acknowledged) before anything is asserted.
  for (const event of m.hooks ? events : []) {
    const [d] = await delivered(m.sandbox, event, done.numberId);
    assert.equal(d.attempts.at(-1).status, 200, `${event}: ${JSON.stringify(d.attempts)}`);
  }
  return done;
}

const hitsOf = async (m) => (await (await fetch(`${m.sandbox}/_sandbox/stats`)).json()).hits;

/**
 * One poll through the app. What the sandbox received in the meantime is exactly what the report
 * counts, and within the bound: one status per pending link, at most one list, a detail per new
 * Meta number at most.
 */
async function poll(m) {
  const pending = Object.values(await linksOf(m)).filter((l) => l.state === "pending").length;
  await fetch(`${m.sandbox}/_sandbox/stats`, { method: "DELETE" });
  const r = await post(m.app, "/api/meta-links/poll", {});
  assert.equal(r.status, 200, await r.clone().text());
  const report = await r.json();
  const { status, list, detail } = report.calls;
  const expected = Object.fromEntries(Object.entries({ token_status: status, list, get: detail }).filter(([, v]) => v > 0));
  assert.deepEqual(await hitsOf(m), expected, "the sandbox got exactly the calls the poller counted");
  assert.ok(status <= pending, `${status} status reads for ${pending} pending links`);
  assert.ok(list <= 1, "at most one list per run");
  assert.deepEqual(report.errors, []);
  return report;
}

const mapping = (l) => [l.state, l.numberId, l.via];

test("meta-links.mjs is the Next recipe (tests/next-app/lib/meta-links.ts) with its types removed", () => {
  assert.equal(current(), generated(), "run: node tests/express-app/gen-meta-links.mjs");
});

test("creating: a pending record, the link made with externalRef, redirectUrl and the branding, and a pairing-link token (rp claims) for the widget", async () => {
  const t0 = Date.now();
  const { link, token } = await createLink(W, "cust-token", { companyName: "Acme Filial" });
  assert.match(link.linkToken, /^[0-9a-f-]{36}$/);
  assert.equal(link.linkUrl, `${W.sandbox}/connect/${link.linkToken}`);
  assert.deepEqual([link.customerId, link.state, link.seenValid, link.branding], ["cust-token", "pending", true, { companyName: "Acme Filial" }]);
  assert.ok(link.createdAt >= t0 && link.createdAt <= Date.now(), "createdAt: the app's clock, just before the link was made");

  const claims = verifyConnectToken(token, { secret: TOKEN_SECRET, audience: edge.url, origin: PAGE });
  assert.equal(claims.sub, link.linkToken);
  assert.deepEqual(claims.rp, { token: link.linkToken, url: link.linkUrl, provider: "META", exp: Math.floor((link.createdAt + DAY) / 1000), ref: link.customerId });
  assert.deepEqual([claims.origin, claims.exp - claims.iat, claims.branding], [PAGE, 600, { companyName: "Acme Filial" }]);
  assert.throws(() => verifyConnectToken(token, { secret: `${TOKEN_SECRET}-other`, audience: edge.url, origin: PAGE }), { kind: "token" });

  const kept = await (await fetch(`${W.sandbox}/_sandbox/remote-pairing/${link.linkToken}`)).json();
  assert.deepEqual([kept.provider, kept.status, kept.externalRef, kept.redirectUrl, kept.metaFlow],
    ["META", "pending", "cust-token", `${PAGE}/connected`, "embedded"]);
  assert.equal((await W.pilot.remotePairing.info(link.linkToken)).branding?.companyName, "Acme Filial", "the link's own snapshot: the token's");

  // Asked again while it is pending: the same link, a new token, no new link made.
  await fetch(`${W.sandbox}/_sandbox/stats`, { method: "DELETE" });
  const again = await createLink(W, "cust-token");
  assert.equal(again.link.linkToken, link.linkToken);
  assert.equal(verifyConnectToken(again.token, { secret: TOKEN_SECRET, audience: edge.url, origin: PAGE }).branding?.companyName, "Acme Filial");
  assert.deepEqual(await hitsOf(W), {}, "no call to Pilot Status");
});

test("webhook echo: two customers pending at once are each mapped by the externalRef of their number's webhooks; retries and strays change nothing; every other event is acknowledged", async () => {
  const a = (await createLink(W, "cust-a")).link;
  const b = (await createLink(W, "cust-b")).link;
  const fb = await finish(W, b.linkToken); // the second customer finishes first
  const fa = await finish(W, a.linkToken);
  assert.notEqual(fa.numberId, fb.numberId);
  const [created] = await deliveries(W.sandbox, "number.created", fa.numberId);
  assert.equal(created.body.data.externalRef, "cust-a", "the sandbox echoes it in the webhook (this mode)");
  let links = await linksOf(W);
  assert.deepEqual(mapping(links["cust-a"]), ["mapped", fa.numberId, "webhook"]);
  assert.deepEqual(mapping(links["cust-b"]), ["mapped", fb.numberId, "webhook"]);
  // The page again (a reload, the phone back at redirectUrl): a token for the same link, never a
  // new link that would orphan the mapped number.
  const again = await createLink(W, "cust-a");
  assert.equal(again.link.linkToken, a.linkToken, "the same link");
  assert.deepEqual(mapping((await linksOf(W))["cust-a"]), ["mapped", fa.numberId, "webhook"], "the mapping stays");
  const received = async () => (await fetch(`${W.app}/api/received`)).json();
  const outcomes = (await received()).filter((e) => e.metaLink?.customerId === "cust-a").map((e) => [e.event, e.metaLink.result]);
  // The two deliveries may arrive in either order (the sandbox sends them concurrently): one maps, the other finds it done.
  assert.deepEqual(outcomes.map(([, result]) => result).sort(), ["already", "mapped"]);
  assert.deepEqual(outcomes.map(([event]) => event).sort(), ["number.connected", "number.created"]);

  // Nothing pending but cust-token (the test before): the poller reads only that one status.
  const report = await poll(W);
  assert.deepEqual(report.calls, { status: 1, list: 0, detail: 0 });
  assert.deepEqual(report.mapped, []);

  // A retried delivery, a delivery naming a mapped customer with another number, one naming no
  // customer of ours, and one giving a pending customer a number that is already someone's.
  const c = (await createLink(W, "cust-c")).link;
  const deliver = async (data, event = "number.created") => {
    const body = JSON.stringify({ event, data: { phone: "+5511955500000", displayName: "Loja", createdAt: new Date().toISOString(), ...data } });
    const r = await post(W.app, "/hooks/pilot-status", body, { "x-pilot-status-signature": sign(HOOK, body) });
    assert.equal(r.status, 200, await r.clone().text());
    return (await received()).at(-1).metaLink;
  };
  assert.equal((await deliver(created.body.data)).result, "already", "a retried delivery");
  assert.equal((await deliver({ numberId: "wa_other", externalRef: "cust-a" })).result, "link_taken");
  assert.equal((await deliver({ numberId: "wa_stray", externalRef: "cust-nobody" })).result, "no_link");
  assert.equal((await deliver({ numberId: fb.numberId, externalRef: "cust-c" }, "number.connected")).result, "number_taken", "never mapped twice");
  assert.equal((await deliver({ numberId: "wa_gone", externalRef: "cust-c" }, "number.disconnected")), undefined, "only created / connected map");
  const forged = JSON.stringify({ event: "number.created", data: { numberId: "wa_forged", phone: "+5511955500001", displayName: "X", createdAt: "2026-01-01T00:00:00Z", externalRef: "cust-c" } });
  assert.equal((await post(W.app, "/hooks/pilot-status", forged, { "x-pilot-status-signature": sign("whsec_forged", forged) })).status, 401);
  links = await linksOf(W);
  assert.deepEqual(mapping(links["cust-a"]), ["mapped", fa.numberId, "webhook"]);
  assert.deepEqual(mapping(links["cust-c"]), ["pending", undefined, undefined]);
  assert.equal(links["cust-c"].linkToken, c.linkToken);

  // Their messages are the team's business: acknowledged and handled as before.
  const { messageIds } = await (await post(W.sandbox, `/_sandbox/numbers/${fa.numberId}/messages`, { count: 2 })).json();
  for (const id of messageIds) assert.equal((await delivered(W.sandbox, "message.received", id))[0].attempts.at(-1).status, 200);
  const got = (await received()).filter((e) => messageIds.includes(e.dedupKey));
  assert.deepEqual(got.map((e) => [e.event, e.metaLink]), [["message.received", undefined], ["message.received", undefined]]);
});

test("no echo: one pending link is mapped by polling — its status, then the list and the new number's detail — and each run's cost is counted", async () => {
  const { link } = await createLink(N, "cust-n1");
  let r = await poll(N);
  assert.deepEqual(r.calls, { status: 1, list: 0, detail: 0 }, "not finished: one status read");
  assert.deepEqual(r.waiting, [{ customerId: "cust-n1", state: "pending" }]);

  const done = await finish(N, link.linkToken);
  assert.equal((await linksOf(N))["cust-n1"].state, "pending", "its webhooks came without externalRef: nothing mapped them");
  r = await poll(N);
  assert.deepEqual(r.calls, { status: 1, list: 1, detail: 1 });
  assert.deepEqual(r.mapped, [{ customerId: "cust-n1", numberId: done.numberId, via: "list" }]);
  assert.deepEqual(mapping((await linksOf(N))["cust-n1"]), ["mapped", done.numberId, "list"]);

  r = await poll(N);
  assert.deepEqual(r.calls, { status: 0, list: 0, detail: 0 }, "nothing pending: no call");
});

test("no echo, two links and one finished: while the other could have made the number the first waits; the next run lists first, reads the other's status after, and maps", async () => {
  const one = (await createLink(N, "cust-r1")).link;
  const two = (await createLink(N, "cust-r2")).link;
  const d1 = await finish(N, one.linkToken);
  let r = await poll(N);
  assert.deepEqual(r.calls, { status: 2, list: 1, detail: 1 });
  assert.deepEqual(r.mapped, []);
  const wait = r.waiting.find((w) => w.customerId === "cust-r1");
  assert.equal(wait.state, "finished");
  assert.match(wait.why, new RegExp(`${d1.numberId} could also be the number of 1 other link`));

  r = await poll(N);
  assert.deepEqual(r.calls, { status: 1, list: 1, detail: 0 }, "the detail is read once per number, ever");
  assert.deepEqual(r.mapped, [{ customerId: "cust-r1", numberId: d1.numberId, via: "list" }]);
  assert.deepEqual(r.waiting, [{ customerId: "cust-r2", state: "pending" }]);

  const d2 = await finish(N, two.linkToken);
  r = await poll(N);
  assert.deepEqual(r.calls, { status: 1, list: 1, detail: 1 });
  assert.deepEqual(r.mapped, [{ customerId: "cust-r2", numberId: d2.numberId, via: "list" }]);
});

test("no echo, two links finished between two runs: several candidates, neither mapped, each says why (only the webhook can tell them apart)", async () => {
  const x1 = (await createLink(N, "cust-x1")).link;
  const x2 = (await createLink(N, "cust-x2")).link;
  const d1 = await finish(N, x1.linkToken);
  const d2 = await finish(N, x2.linkToken);
  for (const calls of [{ status: 2, list: 1, detail: 2 }, { status: 0, list: 1, detail: 0 }]) {
    const r = await poll(N);
    assert.deepEqual(r.calls, calls);
    assert.deepEqual(r.mapped, []);
    assert.deepEqual(r.waiting.map((w) => [w.customerId, w.state]), [["cust-x1", "finished"], ["cust-x2", "finished"]]);
    for (const w of r.waiting) {
      assert.match(w.why, /^2 new Meta numbers could be this link's \(.+\): only the webhook's externalRef can tell them apart$/);
      assert.ok(w.why.includes(d1.numberId) && w.why.includes(d2.numberId));
    }
  }
  const links = await linksOf(N);
  assert.ok(!Object.values(links).some((l) => l.numberId === d1.numberId || l.numberId === d2.numberId), "never guessed");
});

test("detail echo: externalRef in GET /v1/numbers/{id} tells two finished links apart; a Meta number the team made itself is nobody's", async () => {
  const d1 = (await createLink(D, "cust-d1")).link;
  const d2 = (await createLink(D, "cust-d2")).link;
  const f2 = await finish(D, d2.linkToken);
  const f1 = await finish(D, d1.linkToken);
  const own = await D.pilot.numbers.createMeta({ name: "Own", number: phone("8"), metaPhoneId: "111", metaWabaId: "222",
    metaAccessToken: "EAAG-test", metaAppSecret: "app-secret", metaAppId: "333" });
  assert.equal((await linksOf(D))["cust-d1"].state, "pending", "the webhooks carry no externalRef in this mode");
  const r = await poll(D);
  assert.deepEqual(r.calls, { status: 2, list: 1, detail: 3 });
  assert.deepEqual(r.mapped.sort((x, y) => x.customerId.localeCompare(y.customerId)), [
    { customerId: "cust-d1", numberId: f1.numberId, via: "detail" },
    { customerId: "cust-d2", numberId: f2.numberId, via: "detail" },
  ]);
  assert.ok(!Object.values(await linksOf(D)).some((l) => l.numberId === own.number.id));
  assert.deepEqual((await poll(D)).calls, { status: 0, list: 0, detail: 0 });
});

test("gone, and no webhook: the status is 404 straight after the signup, and the link, seen valid when it was made, still maps", async () => {
  const { link } = await createLink(G, "cust-g1");
  const done = await finish(G, link.linkToken);
  assert.deepEqual(await deliveries(G.sandbox, "number.created", done.numberId), [], "no webhook told anyone");
  assert.equal(done.tokenCleared, true, "the token was cleared as the number connected");
  const r = await poll(G);
  assert.deepEqual(r.calls, { status: 1, list: 1, detail: 1 });
  assert.deepEqual(r.mapped, [{ customerId: "cust-g1", numberId: done.numberId, via: "list" }]);
});

test("a link Pilot Status never knew is dropped as unknown; one past 24 h whose status is gone is dropped as expired; neither gets a number", async () => {
  const track = async (customerId, linkUrl, createdAt) => {
    const r = await post(G.app, "/api/meta-links/track", { customerId, linkUrl, createdAt: new Date(createdAt).toISOString() });
    assert.equal(r.status, 201, await r.clone().text());
    return r.json();
  };
  const unknown = await track("cust-unknown", `${G.sandbox}/connect/00000000-0000-4000-a000-000000000000`, Date.now());
  assert.equal(unknown.seenValid, false);
  // A link made elsewhere, 25 hours ago by its record (the sandbox's own clock keeps it alive).
  const old = await G.pilot.remotePairing.create({ provider: "META", metaFlow: "embedded", externalRef: "cust-old" });
  await track("cust-old", old.remotePairingUrl, Date.now() - 25 * 60 * 60 * 1000);

  let r = await poll(G);
  assert.deepEqual(r.calls, { status: 2, list: 0, detail: 0 });
  assert.deepEqual(r.dropped, [{ customerId: "cust-unknown", linkToken: "00000000-0000-4000-a000-000000000000", reason: "unknown" }]);
  assert.deepEqual(r.waiting, [{ customerId: "cust-old", state: "pending" }], "it answered: Pilot Status decides, not the record's age");
  assert.equal((await linksOf(G))["cust-old"].seenValid, true);

  const done = await finish(G, old.token);
  r = await poll(G);
  assert.deepEqual(r.calls, { status: 1, list: 0, detail: 0 });
  assert.deepEqual(r.dropped, [{ customerId: "cust-old", linkToken: old.token, reason: "expired" }]);
  const links = await linksOf(G);
  assert.ok(!("cust-unknown" in links) && !("cust-old" in links), "both records dropped");
  assert.ok(!Object.values(links).some((l) => l.numberId === done.numberId));
  assert.deepEqual((await poll(G)).calls, { status: 0, list: 0, detail: 0 });
});

test("--link-number-id status: the status names the number, and one status read maps it", async () => {
  const { link } = await createLink(S, "cust-s1");
  const done = await finish(S, link.linkToken);
  const r = await poll(S);
  assert.deepEqual(r.calls, { status: 1, list: 0, detail: 0 });
  assert.deepEqual(r.mapped, [{ customerId: "cust-s1", numberId: done.numberId, via: "status" }]);
});

test("on a timer (META_LINKS_POLL_MS=250): no call while nothing is pending, one status per run while a link is, mapped with nobody asking", async () => {
  await fetch(`${T.sandbox}/_sandbox/stats`, { method: "DELETE" });
  await sleep(800);
  assert.deepEqual(await hitsOf(T), {}, "no pending link: no call");

  const { link } = await createLink(T, "cust-t1");
  await fetch(`${T.sandbox}/_sandbox/stats`, { method: "DELETE" });
  const t0 = Date.now();
  await sleep(1000);
  const hits = await hitsOf(T);
  const runs = Math.ceil((Date.now() - t0) / 250) + 1;
  assert.deepEqual(Object.keys(hits), ["token_status"], JSON.stringify(hits));
  assert.ok(hits.token_status >= 1 && hits.token_status <= runs, `${hits.token_status} status reads in ${Date.now() - t0} ms`);

  const done = await finish(T, link.linkToken);
  const mapped = await until(async () => { const l = (await linksOf(T))["cust-t1"]; return l.state === "mapped" && l; }, "mapped by the timer", 5000);
  assert.deepEqual(mapping(mapped), ["mapped", done.numberId, "list"]);
  await sleep(300); // a run under way ends
  await fetch(`${T.sandbox}/_sandbox/stats`, { method: "DELETE" });
  await sleep(800);
  assert.deepEqual(await hitsOf(T), {}, "nothing pending any more: no call");
});

test("a cancelled link that Pilot Status clears looks finished (404), yet never gets a number that is not its own", async () => {
  const cancelled = (await createLink(P, "cust-p1")).link;
  const late = (await createLink(P, "cust-p2")).link;
  const cancel = await post(P.sandbox, `/_sandbox/remote-pairing/${cancelled.linkToken}/cancel`, {});
  assert.equal((await cancel.json()).linkUsable, false, "the link is spent: its status is 404 from now on");
  const done = await finish(P, late.linkToken, phone("7"), ["number.created"]); // Meta has not connected it yet
  assert.equal(done.state, "CLOSE");

  let r = await poll(P);
  assert.deepEqual(r.calls, { status: 2, list: 1, detail: 1 });
  r = await poll(P); // the list first, then cust-p2's status: still CLOSE, so it did not make any listed number
  assert.deepEqual(r.calls, { status: 1, list: 1, detail: 0 });
  assert.deepEqual(r.mapped, [], "the only new Meta number is not connected: not the number of a link whose status is gone");
  assert.deepEqual(r.waiting, [
    { customerId: "cust-p1", state: "finished", why: "no new connected Meta number in the list yet" },
    { customerId: "cust-p2", state: "pending" },
  ]);

  // Meta connects it: cust-p2's status says OPEN, and now both links could own the number.
  assert.equal((await post(P.sandbox, `/_sandbox/numbers/${done.numberId}/meta`, { state: "OPEN" })).status, 200);
  r = await poll(P);
  assert.deepEqual(r.calls, { status: 1, list: 1, detail: 0 });
  assert.deepEqual(r.mapped, [], "two links could have made it: only the webhook's externalRef can tell");
  assert.deepEqual(r.waiting.map((w) => [w.customerId, w.state]), [["cust-p1", "finished"], ["cust-p2", "finished"]]);
  for (const w of r.waiting) assert.equal(w.why, `${done.numberId} could also be the number of 1 other link(s): the webhook, or a later run, will tell`);
});
