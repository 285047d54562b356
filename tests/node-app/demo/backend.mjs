// The demo's "customer backend", written the way most teams will write theirs: Node, no
// framework, and the pilot-connect-server package. It holds the ps_ key (the browser never
// sees it), creates a number with its own webhook (for everything: its messages are its
// business), sets the edge up next to it (provisionEdge: side by side where Pilot Status allows a
// second webhook, else relay), mints a short-lived connect token for the page, receives and
// verifies the webhooks, and relays the lifecycle ones to the edge. `--oneshot` runs the whole
// flow headless through the worker and exits.
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { randomInt } from "node:crypto";
import path from "node:path";
import { parseArgs } from "node:util";
import { PilotStatus, PilotStatusError, mintConnectToken, verifyWebhook, relayWebhook, SIGNATURE_HEADER } from "pilot-connect-server";

const { values: opt } = parseArgs({
  options: {
    port: { type: "string", default: "8788" },
    sandbox: { type: "string", default: "http://127.0.0.1:8080" }, // Pilot Status (the sandbox)
    worker: { type: "string", default: "http://127.0.0.1:8787" }, // the edge worker the page calls
    audience: { type: "string", default: "pilot-connect-demo" }, // the worker's CONNECT_TOKEN_AUDIENCE
    "token-ttl": { type: "string", default: "600" },
    "widget-dir": { type: "string", default: "target/widget-pkg" },
    // `edge`: the edge is set up beside this backend's own webhook (provisionEdge), and this
    // backend relays the lifecycle events when Pilot Status allows it only one webhook;
    // `backend`: the backend keeps its webhook to itself (the edge learns by polling).
    "hook-target": { type: "string", default: "edge" },
    oneshot: { type: "boolean", default: false },
  },
});
const env = (name) => process.env[name] || fail(`${name} is not set`);
function fail(message) { console.error(`demo backend: ${message}`); process.exit(1); }

const pilot = new PilotStatus({ apiKey: env("PS_API_KEY"), baseUrl: opt.sandbox });
const tokenSecret = env("CONNECT_TOKEN_SECRET");
// The webhook signing secret comes from the Pilot Status dashboard (the API never returns it).
// Without it the backend registers no webhook and the page relies on the worker alone.
const hookSecret = process.env.PS_WEBHOOK_SECRET;
const origin = `http://127.0.0.1:${opt.port}`;
const ttlSeconds = Number(opt["token-ttl"]);
const events = []; // webhook events this backend received and verified, newest last
const seen = new Set(); // dedupKeys: Pilot Status retries deliveries
const topologies = new Map(); // numberId → the topology provisionEdge ended in
let relayed = 0; // lifecycle deliveries the edge accepted from this backend

/** Creates a number for this visitor and a token that lets the page pair only that number. */
async function connectSession() {
  const phone = `+55119${String(randomInt(1e8)).padStart(8, "0")}`;
  const number = await pilot.numbers.create({ name: "Demo customer", number: phone });
  // Pilot Status tells this backend everything (a signed POST); the edge gets the lifecycle events
  // on its own webhook where it can have one, else from this backend's relay.
  if (hookSecret) {
    await pilot.webhooks.create({ url: `${origin}/hooks/pilot-status`, events: ["*"], whatsappNumberId: number.id });
    if (opt["hook-target"] === "edge") {
      const edge = await pilot.webhooks.provisionEdge({ whatsappNumberId: number.id, edgeUrl: opt.worker });
      topologies.set(number.id, edge.topology);
      console.log(`edge: ${edge.topology} (${edge.action})`);
    }
  }
  const token = mintConnectToken({ secret: tokenSecret, numberId: number.id, audience: opt.audience, origin, ttlSeconds });
  return { numberId: number.id, token, endpoint: opt.worker, expiresIn: ttlSeconds };
}

/** Sandbox only: what the phone does when it scans the QR. */
async function simulateScan(numberId) {
  const r = await fetch(`${opt.sandbox}/_sandbox/numbers/${encodeURIComponent(numberId)}/scan`, { method: "POST" });
  if (!r.ok) throw new Error(`sandbox scan answered ${r.status}`);
}

function receiveWebhook(raw, signature) {
  if (!hookSecret) throw new PilotStatusError({ kind: "signature", code: "missing", message: "no PS_WEBHOOK_SECRET configured" });
  const event = verifyWebhook(hookSecret, raw, signature); // throws PilotStatusError: 401 / 400
  // Relay topology: the lifecycle events go on to the edge, same bytes, same signature. Never
  // in the way of this answer (and message.* resolve { relayed: false } without a request).
  if (topologies.get(event.data?.numberId) === "relay") {
    relayWebhook({ rawBody: raw, signature, edgeUrl: opt.worker }).then(
      (r) => { if (r.relayed) relayed += 1; },
      (e) => console.error(`demo backend: relay to the edge failed: ${e.reason ?? e.kind}: ${e.message}`),
    );
  }
  if (event.dedupKey && seen.has(event.dedupKey)) return;
  if (event.dedupKey) seen.add(event.dedupKey);
  events.push({ event: event.event, numberId: event.data?.numberId ?? null, at: event.data?.createdAt ?? null });
  if (events.length > 200) events.shift();
  console.log(`webhook: ${event.event} ${event.data?.numberId ?? ""}`);
}

const MAX_BODY = 64 * 1024;
function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on("data", (c) => {
      size += c.length;
      if (size > MAX_BODY) { reject(Object.assign(new Error("body too large"), { status: 413 })); req.destroy(); }
      else chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

const send = (res, status, body, type = "application/json") =>
  res.writeHead(status, { "content-type": type, "cache-control": "no-store" }).end(type === "application/json" ? JSON.stringify(body) : body);
const TYPES = { ".js": "text/javascript", ".wasm": "application/wasm", ".json": "application/json" };

async function route(req, res) {
  const url = new URL(req.url, origin);
  const at = `${req.method} ${url.pathname}`;
  if (at === "GET /") return send(res, 200, await readFile(new URL("./index.html", import.meta.url)), "text/html; charset=utf-8");
  if (req.method === "GET" && url.pathname.startsWith("/pkg/")) {
    const file = url.pathname.slice(5);
    const type = TYPES[path.extname(file)];
    if (!type || file.includes("/") || file.includes("..")) return send(res, 404, { error: "not found" });
    return send(res, 200, await readFile(path.join(opt["widget-dir"], file)), type);
  }
  if (at === "POST /api/connect-session") return send(res, 200, await connectSession());
  if (at === "POST /api/simulate-scan") {
    const { numberId } = JSON.parse((await readBody(req)).toString() || "{}");
    if (typeof numberId !== "string") return send(res, 400, { error: "numberId required" });
    await simulateScan(numberId);
    return send(res, 200, { ok: true });
  }
  if (at === "GET /api/webhook-events") {
    // What Pilot Status delivered to this backend for the number, and how the edge is fed.
    const id = url.searchParams.get("numberId");
    return send(res, 200, { topology: topologies.get(id) ?? null, relayed, events: events.filter((e) => !id || e.numberId === id) });
  }
  if (at === "POST /hooks/pilot-status") {
    try {
      receiveWebhook(await readBody(req), req.headers[SIGNATURE_HEADER]);
      return send(res, 204, "");
    } catch (e) {
      if (e instanceof PilotStatusError) return send(res, e.kind === "signature" ? 401 : 400, { error: e.kind });
      throw e;
    }
  }
  return send(res, 404, { error: "not found" });
}

const server = createServer((req, res) => {
  route(req, res).catch((e) => {
    const status = e.status ?? (e instanceof PilotStatusError ? 502 : 500);
    console.error(`demo backend: ${req.method} ${req.url}: ${e.message}`);
    if (!res.headersSent) send(res, status, { error: e instanceof PilotStatusError ? `${e.kind}: ${e.message}` : "internal error" });
  });
});
await new Promise((resolve) => server.listen(Number(opt.port), "127.0.0.1", resolve));

if (!hookSecret) console.log("demo backend: PS_WEBHOOK_SECRET is not set, so no webhooks are registered");

if (opt.oneshot) {
  try {
    await oneshot();
    console.log("[demo] oneshot flow passed");
  } catch (e) {
    fail(`oneshot: ${e.message}`);
  } finally {
    server.close();
  }
} else {
  console.log(`demo page: ${origin}/`);
  const stop = () => server.close(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

/** The whole flow, headless, as the page would do it, plus the webhook the backend receives. */
async function oneshot() {
  const s = await connectSession();
  console.log(`created number ${s.numberId}; minted a ${ttlSeconds}-second connect token`);
  const ask = async (p) => (await fetch(`${opt.worker}${p}`, { headers: { origin, authorization: `Bearer ${s.token}` } })).json();
  const qr = await ask("/v1/qr");
  if (qr.state !== "pairing" || !String(qr.qr).startsWith("data:image/png;base64,")) throw new Error(`worker /v1/qr: unexpected ${JSON.stringify(qr).slice(0, 200)}`);
  console.log(`worker /v1/qr: pairing, code ${qr.pairingCode}, QR ${qr.qr.length} bytes, refresh in ${qr.refreshAfterMs} ms`);
  await simulateScan(s.numberId);
  console.log("sandbox: phone scanned the QR");
  const until = async (check, what) => {
    for (let i = 0; i < 100; i++) { if (await check()) return; await new Promise((r) => setTimeout(r, 100)); }
    throw new Error(`never saw ${what}`);
  };
  await until(async () => (await ask("/v1/status")).state === "connected", "connected at the worker");
  console.log("worker /v1/status: connected");
  if (hookSecret) {
    await until(() => events.some((e) => e.event === "number.connected" && e.numberId === s.numberId), "the number.connected webhook");
    console.log("backend: signed number.connected webhook verified");
    if (topologies.get(s.numberId) === "relay") {
      await until(() => relayed > 0, "number.connected relayed to the edge");
      console.log("backend: number.connected relayed to the edge and accepted");
    }
  }
  const status = await pilot.numbers.status(s.numberId);
  if (!status.ready) throw new Error(`numbers.status: ${status.state}, not ready`);
  console.log(`backend numbers.status: ${status.state}, ready`);
}
