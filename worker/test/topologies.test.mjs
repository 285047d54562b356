// The three webhook topologies, in workerd against the sandbox in each of its modes (one or
// several webhooks per number × one global or per-webhook signing secrets): a scan turns every
// viewer connected by push (with polling set far apart, so only a webhook can explain it), a
// message.received reaches the customer's receiver, verifiable with its own secret, and the
// customer's hook is never changed.
//
// The customer's receiver here verifies each delivery and, in the relay topology, hands the
// lifecycle ones to the edge byte for byte with the original signature — what
// pilot-connect-server's relayWebhook does (its own suite runs it in real framework apps).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { createHmac } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { spawnReady, signJws, startWorker, freePort } from "../../tests/support/node.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const KEY = "ps_topologies_suite_tenant_key_64";
const SECRET = "topologies-suite-connect-token-secret-0123456789";
const GLOBAL = "whsec_topologies_dashboard";
const AUD = "pilot-connect-topologies";
const PAGE = "https://app.example.com";
const EDGE_EVENTS = ["number.connected", "number.disconnected", "number.removed", "number.restored"];
const procs = [];
const closers = [];

const now = () => Math.floor(Date.now() / 1000);
const token = (sub) => signJws({ sub, aud: AUD, iat: now(), exp: now() + 600 }, SECRET);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const hmac = (secret, body) => createHmac("sha256", secret).update(body).digest("hex");
const until = async (check, what, ms = 15000) => {
  for (const t0 = Date.now(); Date.now() - t0 < ms;) { if (await check()) return; await sleep(25); }
  throw new Error(`timed out: ${what}`);
};

after(async () => {
  for (const c of closers) await c().catch(() => {});
  procs.forEach((p) => p.kill());
});

/** The customer's receiver: verifies with `secret()`, keeps what it got, relays lifecycle events when asked. */
async function customer() {
  const got = [];
  const state = { secret: null, relayTo: null, relayed: [] };
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", async () => {
      const raw = Buffer.concat(chunks);
      const signature = req.headers["x-pilot-status-signature"];
      if (signature !== hmac(state.secret, raw)) { res.writeHead(401).end(); return; }
      const body = JSON.parse(raw);
      got.push(body);
      res.writeHead(200).end();
      if (state.relayTo && EDGE_EVENTS.includes(body.event)) {
        const r = await fetch(state.relayTo, { method: "POST", headers: { "content-type": "application/json", "x-pilot-status-signature": signature }, body: raw });
        state.relayed.push(r.status);
      }
    });
  });
  const port = await freePort();
  await new Promise((r) => server.listen(port, "127.0.0.1", r));
  closers.push(() => new Promise((r) => server.close(r)));
  return { url: `http://127.0.0.1:${port}/hooks`, got, state };
}

for (const perNumber of ["one", "many"]) {
  for (const secrets of ["global", "per-webhook"]) {
    const topologies = perNumber === "many" ? ["side_by_side", "relay", "edge_in_front"] : ["relay", "edge_in_front"];
    for (const topology of topologies) {
      test(`${topology} · ${perNumber} webhook(s) per number · ${secrets} secrets`, async () => {
        const sandbox = await spawnReady(path.join(ROOT, "target/debug/pilot-sandbox"),
          ["--port", "0", "--tenant-key", KEY, "--webhook-secret", GLOBAL, "--rate-limit", "0",
           "--webhooks-per-number", perNumber, "--webhook-secrets", secrets], "pilot-sandbox listening on ", { procs });
        const api = (method, route, body) => fetch(`${sandbox}${route}`, {
          method, headers: { "x-api-key": KEY, "content-type": "application/json" }, body: body && JSON.stringify(body),
        }).then(async (r) => ({ status: r.status, body: await r.json() }));
        const secretOf = async (hook) => (await (await fetch(`${sandbox}/_sandbox/webhooks/${hook.id}/secret`)).json()).secret;
        const created = await api("POST", "/v1/numbers", { name: "Topology", number: "+5511964000001" });
        const id = created.body.instance.id;
        const c = await customer();
        const edgePort = await freePort();
        const edgeHook = `http://127.0.0.1:${edgePort}/v1/hooks/pilot-status`;
        const vars = {};
        let customerHook = null;
        if (topology !== "edge_in_front") {
          customerHook = (await api("POST", "/v1/webhooks", { url: c.url, events: ["*"], whatsappNumberId: id })).body;
          c.state.secret = await secretOf(customerHook);
        }
        if (topology === "side_by_side") {
          const edge = await api("POST", "/v1/webhooks", { url: edgeHook, events: EDGE_EVENTS, whatsappNumberId: id });
          assert.equal(edge.status, 201, JSON.stringify(edge.body));
          vars.PS_WEBHOOK_SECRETS = await secretOf(edge.body);
        } else if (topology === "relay") {
          if (perNumber === "one") {
            const second = await api("POST", "/v1/webhooks", { url: edgeHook, events: EDGE_EVENTS, whatsappNumberId: id });
            assert.equal(second.status, 409, "one webhook per number: the edge cannot have its own");
          }
          vars.PS_WEBHOOK_SECRETS = c.state.secret; // the edge verifies the customer's relayed deliveries
          c.state.relayTo = edgeHook;
        } else {
          const edge = await api("POST", "/v1/webhooks", { url: edgeHook, events: ["*"], whatsappNumberId: id });
          assert.equal(edge.status, 201);
          vars.PS_WEBHOOK_SECRETS = await secretOf(edge.body);
          c.state.secret = vars.PS_WEBHOOK_SECRETS; // the original signature reaches the customer
          vars.FORWARD_WEBHOOK_URL = c.url;
        }
        const { mf, url } = await startWorker({
          PS_API_KEY: KEY, CONNECT_TOKEN_SECRET: SECRET, PS_BASE_URL: sandbox, ALLOWED_ORIGINS: PAGE, CONNECT_TOKEN_AUDIENCE: AUD,
          STATUS_POLL_MS: "60000", FORWARD_RETRY_BASE_SECS: "1", ...vars,
        }, { port: edgePort, limit: 1e6 });
        closers.push(() => mf.dispose());
        assert.equal(url, `http://127.0.0.1:${edgePort}`);

        const frames = await Promise.all([0, 1, 2].map(async () => {
          const res = await mf.dispatchFetch(`${url}/v1/events`, {
            headers: { upgrade: "websocket", origin: PAGE, "sec-websocket-protocol": `pilot-connect.v1, bearer.${token(id)}` },
          });
          assert.equal(res.status, 101);
          const f = [];
          res.webSocket.addEventListener("message", (e) => f.push(JSON.parse(e.data)));
          res.webSocket.accept();
          closers.push(async () => res.webSocket.close());
          return f;
        }));
        await until(() => frames.every((f) => f.some((x) => x.state === "pairing")), "a QR at every viewer");
        await fetch(`${sandbox}/_sandbox/numbers/${id}/scan`, { method: "POST" });
        await until(() => frames.every((f) => f.some((x) => x.state === "connected")), "connected at every viewer, by push");
        if (topology === "relay") await until(() => c.state.relayed.includes(204), `the relay accepted: ${c.state.relayed}`);

        const [msg] = (await (await fetch(`${sandbox}/_sandbox/numbers/${id}/messages`, { method: "POST", body: "{}" })).json()).messageIds;
        await until(() => c.got.some((b) => b.data?.id === msg), "the customer got its message, verified");
        if (customerHook) {
          const now_ = (await api("GET", `/v1/webhooks/${customerHook.id}`)).body;
          const hook = now_.data ?? now_;
          assert.deepEqual([hook.url, hook.events], [customerHook.url, customerHook.events], "the customer's hook is unchanged");
        }
      });
    }
  }
}
