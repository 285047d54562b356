// A Meta pairing link's session in workerd against the sandbox: a connect token of the new kind
// (its header marks `pck` critical) names the link, not a number. The edge reads the link's
// public status (`token_status`, counted at the sandbox) under the number's budget, once per
// interval whatever the viewers, never a connect or a number read; it answers "waiting" until the
// signup is done, then "connected" with the new number's id where the status names it ([I]); a
// 404 once the link was valid is done too ([I]: the token is cleared on success), a 404 before it
// (or a link past its 24 h) is `410 link_expired`; the link's branding snapshot comes before the
// tenant's. Every sandbox mode of `--link-after-success` and `--link-number-id` is run.
import { test, before, after, afterEach } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, openEvents, spawnReady, signJws, startWorker } from "../../tests/support/node.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const KEY = "ps_pairing_link_suite_tenant_key";
const SECRET = "pairing-link-suite-connect-token-secret-0123456789";
const AUD = "pilot-connect-pairing-link";
const PAGE = "https://app.example.com";
const LINK_HEADER = { alg: "HS256", typ: "JWT", crit: ["pck"], pck: "remotePairing" };
const procs = [];
const sandboxes = {};
let live = [];

const now = () => Math.floor(Date.now() / 1000);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const ctl = (base, route, init) => fetch(`${base}${route}`, init).then((r) => r.json());
const hits = async (base) => (await ctl(base, "/_sandbox/stats")).hits;
const resetHits = (base) => ctl(base, "/_sandbox/stats", { method: "DELETE" });

/** A pairing link's token, as `mintConnectToken({ remotePairing })` writes it. */
function linkToken(link, { exp = now() + 86_400, branding, header = LINK_HEADER, ref } = {}) {
  const claims = {
    sub: link.token, aud: AUD, iat: now(), exp: now() + 600,
    rp: { token: link.token, url: link.url, provider: "META", exp, ...(ref ? { ref } : {}) },
  };
  if (branding) claims.branding = branding;
  return signJws(claims, SECRET, header);
}

async function worker(base, extra = {}) {
  const w = await startWorker({
    PS_API_KEY: KEY, CONNECT_TOKEN_SECRET: SECRET, PS_BASE_URL: base, ALLOWED_ORIGINS: PAGE,
    CONNECT_TOKEN_AUDIENCE: AUD, STATUS_POLL_MS: "500", STATUS_TTL_MS: "250", BRANDING_TTL_MS: "0", ...extra,
  }, { limit: 1e6 });
  live.push(w);
  return w;
}

async function ask(w, route, tok) {
  const r = await fetch(`${w.url}${route}`, { headers: { origin: PAGE, authorization: `Bearer ${tok}` } });
  return { status: r.status, body: await r.json() };
}

let seq = 0;
async function metaLink(base, body = {}) {
  const r = await fetch(`${base}/v1/numbers/remote-pairing`, {
    method: "POST", headers: { "x-api-key": KEY, "content-type": "application/json" },
    body: JSON.stringify({ provider: "META", externalRef: `cust-${++seq}`, redirectUrl: `${PAGE}/back`, ...body }),
  });
  assert.ok(r.status === 200 || r.status === 201, await r.clone().text());
  const j = await r.json();
  const url = j.remotePairingUrl;
  return { url, token: j.remotePairingToken ?? url.split("/").pop(), ref: `cust-${seq}` };
}

const finish = (base, link, body = {}) =>
  ctl(base, `/_sandbox/remote-pairing/${link.token}/finish`, { method: "POST", body: JSON.stringify(body) });
const cancel = (base, link) =>
  ctl(base, `/_sandbox/remote-pairing/${link.token}/cancel`, { method: "POST", body: "{}" });

async function until(w, tok, want, tries = 40) {
  let last;
  for (let i = 0; i < tries; i++) {
    last = await ask(w, "/v1/qr", tok);
    if (want(last)) return last;
    await sleep(100);
  }
  return last;
}

const sandbox = (name, args) => spawnReady(path.join(ROOT, "target/debug/pilot-sandbox"),
  ["--port", "0", "--tenant-key", KEY, "--rate-limit", "0", ...args], "pilot-sandbox listening on ", { procs })
  .then((base) => { sandboxes[name] = base; });

before(async () => {
  await Promise.all([
    sandbox("default", []),
    sandbox("gone", ["--link-after-success", "gone", "--link-number-id", "status"]),
    sandbox("openWithId", ["--link-after-success", "open-then-gone", "--link-number-id", "status"]),
    sandbox("info", ["--link-number-id", "info"]),
    sandbox("spent", ["--link-after-abort", "spent", "--link-after-success", "gone"]),
  ]);
});
afterEach(async () => {
  for (const w of live) await w.mf.dispose().catch(() => {});
  live = [];
});
after(() => procs.forEach((p) => p.kill()));

test("waiting until the signup is done, then connected: no connect, no number read, over HTTP and the stream", async () => {
  const base = sandboxes.default;
  const w = await worker(base);
  const link = await metaLink(base);
  const tok = linkToken(link);
  await resetHits(base);
  const first = await Promise.all(Array.from({ length: 3 }, () => ask(w, "/v1/qr", tok)));
  for (const a of first) assert.deepEqual([a.status, a.body], [200, { state: "waiting", detail: null }]);
  assert.equal((await ask(w, "/v1/status", tok)).body.state, "connecting");
  const frames = [];
  const s = await openEvents(w, tok, { origin: PAGE, onText: (t) => frames.push(JSON.parse(t)) });
  assert.equal(s.status, 101, JSON.stringify(s.body));
  await sleep(600);
  assert.deepEqual(frames[0], { state: "waiting", detail: null }, "the first frame is the waiting face");
  // The person cancels at Meta: the link stays usable, the session keeps watching.
  await cancel(base, link);
  await sleep(700);
  assert.ok(!frames.some((f) => f.error || f.state === "connected"), JSON.stringify(frames));
  const before = await hits(base);
  await finish(base, link);
  const deadline = Date.now() + 3_000;
  while (!frames.some((f) => f.state === "connected") && Date.now() < deadline) await sleep(50);
  const after = await hits(base);
  assert.ok(frames.some((f) => f.state === "connected" && !("numberId" in f)), `connected, no id in this mode: ${JSON.stringify(frames)}`);
  assert.ok(after.token_status - before.token_status <= 2, `connected within one poll: ${after.token_status - before.token_status} reads`);
  const h = await hits(base);
  for (const route of ["connect", "get", "status", "token_connect", "list_webhooks", "token_info"]) {
    assert.equal(h[route] ?? 0, 0, `${route}: a pairing link's session never calls it`);
  }
  // Done: the link's token is spent (404) and the session says connected, with no more reads.
  const again = await ask(w, "/v1/qr", tok);
  assert.deepEqual(again.body, { state: "connected" });
  const reads = (await hits(base)).token_status;
  await sleep(1_200);
  assert.equal((await hits(base)).token_status, reads, "connected: the link is not polled any more");
  s.ws.close();
});

test("1 or 5 viewers: the link's status is read once per interval", async () => {
  const base = sandboxes.default;
  const counts = {};
  for (const viewers of [1, 5]) {
    const w = await worker(base);
    const link = await metaLink(base);
    const tok = linkToken(link);
    await resetHits(base);
    const sockets = [];
    for (let i = 0; i < viewers; i++) {
      const s = await openEvents(w, tok, { origin: PAGE });
      assert.equal(s.status, 101);
      sockets.push(s);
    }
    await sleep(3_000);
    counts[viewers] = (await hits(base)).token_status;
    // 3 s at STATUS_POLL_MS 500: about 6 reads, whatever the viewers (one session).
    assert.ok(counts[viewers] >= 3 && counts[viewers] <= 8, `${viewers} viewers: ${counts[viewers]} reads in 3 s`);
    for (const s of sockets) s.ws.close();
  }
  assert.ok(Math.abs(counts[5] - counts[1]) <= 2, `5 viewers cost what 1 does: ${JSON.stringify(counts)}`);
});

test("every [I] mode: straight to 404, OPEN first, the number id in the status or only in the info", async () => {
  const cases = [
    { name: "gone", id: true },
    { name: "openWithId", id: true },
    { name: "info", id: false },
  ];
  for (const c of cases) {
    const base = sandboxes[c.name];
    const w = await worker(base);
    const link = await metaLink(base);
    const tok = linkToken(link);
    const frames = [];
    const s = await openEvents(w, tok, { origin: PAGE, onText: (t) => frames.push(JSON.parse(t)) });
    assert.equal(s.status, 101);
    await sleep(600);
    const done = await finish(base, link);
    const deadline = Date.now() + 3_000;
    while (!frames.some((f) => f.state === "connected") && Date.now() < deadline) await sleep(50);
    const connected = frames.find((f) => f.state === "connected");
    assert.ok(connected, `${c.name}: connected (${JSON.stringify(frames)})`);
    if (c.id) {
      // In `gone` mode the status is 404 at once: the id is known only if a read saw it.
      if (c.name === "openWithId") assert.equal(connected.numberId, done.numberId, `${c.name}: the id the status named`);
      else assert.ok(!("numberId" in connected) || connected.numberId === done.numberId, `${c.name}: ${JSON.stringify(connected)}`);
    } else {
      assert.ok(!("numberId" in connected), `${c.name}: no source named it: ${JSON.stringify(connected)}`);
    }
    assert.ok(!frames.some((f) => f.error), `${c.name}: no error on the way: ${JSON.stringify(frames)}`);
    const http = await ask(w, "/v1/qr", tok);
    assert.equal(http.body.state, "connected", `${c.name}: ${JSON.stringify(http.body)}`);
    s.ws.close();
  }
});

test("an expired or unknown link is 410 link_expired; past its 24 h no call is made", async () => {
  const base = sandboxes.default;
  const w = await worker(base);
  await resetHits(base);
  const unknown = linkToken({ token: "rp_never_made", url: `${base}/connect/rp_never_made` });
  const a = await ask(w, "/v1/qr", unknown);
  assert.deepEqual([a.status, a.body.error?.code], [410, "link_expired"]);
  assert.equal((await hits(base)).token_status, 1, "one read, then final");
  const b = await ask(w, "/v1/qr", unknown);
  assert.equal(b.status, 410);
  assert.equal((await hits(base)).token_status, 1, "a final answer is not asked again");
  // A link whose 24 h are over, by the token's word: nothing is asked.
  const link = await metaLink(base);
  await resetHits(base);
  const lapsed = linkToken(link, { exp: now() - 5 });
  const c = await ask(w, "/v1/status", lapsed);
  assert.deepEqual([c.status, c.body.error?.code], [410, "link_expired"]);
  assert.equal((await hits(base)).token_status ?? 0, 0);
});

test("the link's status failing: 429 and 5xx keep the budget, never an invented answer", async () => {
  const base = sandboxes.default;
  for (const spec of [{ kind: "rate_limit", retryAfter: 2 }, { kind: "status", status: 503 }]) {
    const w = await worker(base);
    const link = await metaLink(base);
    const tok = linkToken(link);
    await ctl(base, "/_sandbox/faults", { method: "POST", body: JSON.stringify({ route: "token_status", ...spec }) });
    await resetHits(base);
    const frames = [];
    const sockets = [];
    for (let i = 0; i < 5; i++) {
      const s = await openEvents(w, tok, { origin: PAGE, onText: (t) => frames.push(JSON.parse(t)) });
      assert.equal(s.status, 101);
      sockets.push(s);
    }
    await sleep(3_000);
    const n = (await hits(base)).token_status;
    // Healthy, 3 s would be ~6 reads; failing, backoff (and a 2 s Retry-After) leave fewer.
    assert.ok(n >= 1 && n <= 4, `${JSON.stringify(spec)}: ${n} reads in 3 s for 5 viewers`);
    assert.ok(frames.some((f) => f.error), `the viewers are told: ${JSON.stringify(frames)}`);
    assert.ok(!frames.some((f) => f.state === "connected"), "never connected on a failure");
    await ctl(base, "/_sandbox/faults", { method: "DELETE" });
    for (const s of sockets) s.ws.close();
  }
});

test("the token kind: a link token needs its crit header, and link branding comes before the tenant's", async () => {
  const base = sandboxes.default;
  // The tenant's branding is set before this worker's first read of it.
  await fetch(`${base}/v1/branding`, {
    method: "PUT", headers: { "x-api-key": KEY, "content-type": "application/json" },
    body: JSON.stringify({ companyName: "Tenant Co", primaryColor: "#112233" }),
  });
  const w = await worker(base, { BRANDING_TTL_MS: "600000" });
  const link = await metaLink(base);
  // Link claims without the critical header: refused, never read as a number.
  const bare = linkToken(link, { header: { alg: "HS256", typ: "JWT" } });
  const r = await ask(w, "/v1/qr", bare);
  assert.deepEqual([r.status, r.body.error?.code], [401, "invalid_token"]);
  const unknownCrit = linkToken(link, { header: { ...LINK_HEADER, crit: ["pck", "x"] } });
  assert.equal((await ask(w, "/v1/qr", unknownCrit)).status, 401);
  // The tenant's branding, then the link's snapshot over it.
  const tenantOnly = await ask(w, "/v1/qr", linkToken(link));
  assert.deepEqual(tenantOnly.body.branding, { companyName: "Tenant Co", primaryColor: "#112233" });
  const branded = await ask(w, "/v1/qr", linkToken(link, { branding: { companyName: "Link Co", logoUrl: "javascript:alert(1)" } }));
  assert.deepEqual(branded.body.branding, { companyName: "Link Co", primaryColor: "#112233" }, "the link's name, the tenant's colour, no bad logo");
});

test("a webhook naming the link's externalRef reaches its session: connected at once, with the new number's id", async () => {
  const HOOK_SECRET = "whsec_pairing_link_suite";
  for (const echo of ["webhook", "none"]) {
    const port = await freePort();
    const hook = `http://127.0.0.1:${port}/v1/hooks/pilot-status`;
    const base = await spawnReady(path.join(ROOT, "target/debug/pilot-sandbox"),
      ["--port", "0", "--tenant-key", KEY, "--rate-limit", "0", "--webhook-url", hook, "--webhook-secret", HOOK_SECRET,
        "--link-external-ref", echo], "pilot-sandbox listening on ", { procs });
    // Polls far apart: only the webhook can say "connected" quickly.
    const w = await startWorker({
      PS_API_KEY: KEY, CONNECT_TOKEN_SECRET: SECRET, PS_BASE_URL: base, ALLOWED_ORIGINS: PAGE, PS_WEBHOOK_SECRET: HOOK_SECRET,
      CONNECT_TOKEN_AUDIENCE: AUD, STATUS_POLL_MS: echo === "webhook" ? "60000" : "500", STATUS_TTL_MS: "250", BRANDING_TTL_MS: "0",
    }, { limit: 1e6, port });
    live.push(w);
    const link = await metaLink(base);
    const tok = linkToken(link, { ref: link.ref });
    const frames = [];
    const s = await openEvents(w, tok, { origin: PAGE, onText: (t) => frames.push(JSON.parse(t)) });
    assert.equal(s.status, 101, JSON.stringify(s.body));
    await sleep(600);
    await resetHits(base);
    const done = await finish(base, link);
    assert.ok(done.numberId, JSON.stringify(done));
    const deadline = Date.now() + 5_000;
    while (!frames.some((f) => f.state === "connected") && Date.now() < deadline) await sleep(25);
    const connected = frames.find((f) => f.state === "connected");
    assert.ok(connected, `${echo}: connected (${JSON.stringify(frames)})`);
    if (echo === "webhook") {
      assert.equal(connected.numberId, done.numberId, "the webhook named the number: its id reaches the page");
      assert.equal((await hits(base)).token_status ?? 0, 0, "no poll was needed");
      const http = await ask(w, "/v1/qr", tok);
      assert.deepEqual(http.body, { state: "connected", numberId: done.numberId });
    } else {
      assert.ok(!("numberId" in connected), `no echo: the polls decide, with no id: ${JSON.stringify(connected)}`);
    }
    s.ws.close();
  }
});

test("[I] a cancel that spends the link (404 like a success in `gone` mode) is never called connected", async () => {
  const base = sandboxes.spent;
  const w = await worker(base);
  const link = await metaLink(base);
  const tok = linkToken(link);
  const frames = [];
  const s = await openEvents(w, tok, { origin: PAGE, onText: (t) => frames.push(JSON.parse(t)) });
  assert.equal(s.status, 101);
  await sleep(600);
  await resetHits(base);
  const c = await cancel(base, link);
  assert.equal(c.linkUsable, false, JSON.stringify(c));
  const deadline = Date.now() + 4_000;
  while (!frames.some((f) => f.error) && Date.now() < deadline) await sleep(25);
  assert.ok(!frames.some((f) => f.state === "connected"), `not connected: ${JSON.stringify(frames)}`);
  const failure = frames.find((f) => f.error);
  assert.equal(failure?.error.code, "link_expired", JSON.stringify(frames));
  const h = await hits(base);
  assert.equal(h.list, 1, "one check of the tenant's official numbers for the unexplained 404");
  const http = await ask(w, "/v1/qr", tok);
  assert.deepEqual([http.status, http.body.error?.code], [410, "link_expired"]);
  // A second link of the same tenant that finishes (token cleared at once): the check finds its
  // new number, so it is connected.
  const done = await metaLink(base);
  const tok2 = linkToken(done);
  const frames2 = [];
  const s2 = await openEvents(w, tok2, { origin: PAGE, onText: (t) => frames2.push(JSON.parse(t)) });
  await sleep(600);
  await finish(base, done);
  const deadline2 = Date.now() + 4_000;
  while (!frames2.some((f) => f.state === "connected") && Date.now() < deadline2) await sleep(25);
  assert.ok(frames2.some((f) => f.state === "connected"), JSON.stringify(frames2));
  s.ws.close();
  s2.ws.close();
});
