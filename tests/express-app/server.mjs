// The Express recipe for pilot-connect-server (its README, "Express"): the three things every
// backend writes — a connect token for the widget, the Pilot Status webhook verified from the raw
// body (its lifecycle events relayed to the edge worker), numbers created, listed and deleted —
// and, on a second route, the app.use(express.json()) pitfall, so its error can be seen. Official
// numbers: Meta signup links matched to the customers by this backend alone (meta-links.mjs, the
// recipe; its routes under /api/meta-links, its webhook step in the receiver).
import express from "express";
import {
  PilotStatus, PilotStatusError, mintConnectToken, verifyWebhook, relayWebhook, SIGNATURE_HEADER,
} from "pilot-connect-server";
import { LinkBusyError, MemoryLinkStore, metaLinks } from "./meta-links.mjs";

const {
  PS_API_KEY, PS_BASE_URL, PS_WEBHOOK_SECRET, CONNECT_TOKEN_SECRET,
  PILOT_EDGE_URL, // the edge worker's URL: the widget's endpoint, the tokens' audience, where lifecycle events are relayed
  APP_ORIGIN, // the page that mounts the widget
  PUBLIC_URL, // where Pilot Status reaches this app (its own webhook)
  PORT = "3000",
  META_LINKS_POLL_MS, // poll the pending Meta signup links this often (e.g. 30000); unset: only POST /api/meta-links/poll
} = process.env;

const pilot = new PilotStatus({ apiKey: PS_API_KEY, baseUrl: PS_BASE_URL });
const app = express();

// Meta signup links: the store is in memory here (yours is your database).
const linkStore = new MemoryLinkStore();
const links = metaLinks({
  pilot, store: linkStore, tokens: { secret: CONNECT_TOKEN_SECRET, audience: PILOT_EDGE_URL, origin: APP_ORIGIN },
  redirectUrl: `${APP_ORIGIN}/connected`,
});
if (META_LINKS_POLL_MS) links.every(Number(META_LINKS_POLL_MS));

/** What this app did with each delivery (a real backend: its database). The test reads it. */
const received = [];

/** A failure as JSON with a fitting status (messages never hold a secret). */
function fail(res, e) {
  if (e instanceof LinkBusyError) return res.status(409).json({ kind: "conflict", message: e.message });
  if (!(e instanceof PilotStatusError)) { console.error(e); return res.status(500).json({ kind: "internal" }); }
  const status = { validation: 400, bad_request: 400, decode: 400, signature: 401, not_found: 404, conflict: 409,
    rate_limited: 429, configuration: 500, raw_body_required: 500 }[e.kind] ?? 502;
  return res.status(status).json({ kind: e.kind, code: e.code, message: e.message });
}

// The webhook: the raw bytes (express.raw), registered BEFORE app.use(express.json()).
async function receiveWebhook(req, res) {
  let event;
  try {
    event = verifyWebhook(PS_WEBHOOK_SECRET, req.body, req.get(SIGNATURE_HEADER));
  } catch (e) {
    return fail(res, e); // 401 forged or unsigned, 400 not an event, 500 raw_body_required (a parser ran first)
  }
  // A number.created / number.connected naming a customer's Meta link maps it (idempotent); every
  // other event goes on as before. A store failure answers 500: Pilot Status delivers again.
  let metaLink;
  try {
    metaLink = await links.onWebhook(event);
  } catch (e) {
    console.error("meta links: webhook step failed:", e);
    return res.status(500).json({ kind: "internal" });
  }
  const entry = { event: event.event, dedupKey: event.dedupKey, relay: null, ...(metaLink ? { metaLink } : {}) };
  received.push(entry); // handle it here (deliveries are retried: drop repeats by event.dedupKey)
  res.sendStatus(200);
  // Relay topology: the lifecycle events on to the edge, after answering (message.* stay here).
  relayWebhook({ rawBody: req.body, signature: req.get(SIGNATURE_HEADER), edgeUrl: PILOT_EDGE_URL })
    .then((r) => { entry.relay = r; }, (e) => { entry.relay = { error: e.kind }; console.error("relay to the edge failed:", e.message); });
}
app.post("/hooks/pilot-status", express.raw({ type: "application/json" }), receiveWebhook);

app.use(express.json()); // every route below gets parsed JSON

// The connect token the widget needs (check first that the signed-in user owns numberId).
app.post("/api/connect-token", (req, res) => {
  try {
    const token = mintConnectToken({ secret: CONNECT_TOKEN_SECRET, numberId: req.body?.numberId, audience: PILOT_EDGE_URL, origin: APP_ORIGIN });
    res.json({ token });
  } catch (e) { fail(res, e); }
});

// Numbers: create (with this app's own webhook, then the edge's), list, delete.
app.post("/api/numbers", async (req, res) => {
  try {
    const number = await pilot.numbers.create({ name: req.body?.name, number: req.body?.number });
    const webhook = await pilot.webhooks.create({ url: `${PUBLIC_URL}/hooks/pilot-status`, events: ["*"], whatsappNumberId: number.id });
    const edge = await pilot.webhooks.provisionEdge({ whatsappNumberId: number.id, edgeUrl: PILOT_EDGE_URL });
    res.status(201).json({ number, webhook, edge }); // edge.topology: "side_by_side" or "relay"
  } catch (e) { fail(res, e); }
});
app.get("/api/numbers", async (req, res) => {
  try { res.json(await pilot.numbers.list()); } catch (e) { fail(res, e); }
});
app.delete("/api/numbers/:id", async (req, res) => {
  try { res.json(await pilot.numbers.delete(req.params.id)); } catch (e) { fail(res, e); }
});

app.get("/api/received", (req, res) => res.json(received));

// Meta signup links. POST {customerId, companyName?} → 201 {link, token}: the customer's link (its
// pending one while it lasts) and the widget's token for it (a real app takes the customer from the
// session). POST …/poll: one poll (what META_LINKS_POLL_MS runs). POST …/track {customerId, linkUrl,
// createdAt}: a link made elsewhere. GET: every link (what the test reads).
app.post("/api/meta-links", async (req, res) => {
  try {
    const { customerId, companyName } = req.body ?? {};
    if (typeof customerId !== "string" || !customerId) return res.status(400).json({ kind: "validation", field: "customerId" });
    res.status(201).json(await links.create(customerId, companyName ? { companyName } : undefined));
  } catch (e) { fail(res, e); }
});
app.post("/api/meta-links/poll", async (req, res) => {
  try { res.json(await links.poll()); } catch (e) { fail(res, e); }
});
app.post("/api/meta-links/track", async (req, res) => {
  const { customerId, linkUrl, createdAt } = req.body ?? {};
  const at = Date.parse(createdAt);
  if (typeof customerId !== "string" || !customerId) return res.status(400).json({ kind: "validation", field: "customerId" });
  if (Number.isNaN(at)) return res.status(400).json({ kind: "validation", field: "createdAt" });
  try { res.status(201).json(await links.track(customerId, linkUrl, at)); } catch (e) { fail(res, e); }
});
app.get("/api/meta-links", (req, res) => res.json(linkStore.all()));

// The pitfall: the same receiver registered AFTER app.use(express.json()). express.json() has
// already parsed the body, so express.raw() leaves it alone and verifyWebhook gets an object:
// 500 raw_body_required ("… is express.json() (or another body parser) running before this route?").
app.post("/pitfall/hooks/pilot-status", express.raw({ type: "application/json" }), receiveWebhook);

const server = app.listen(Number(PORT), "127.0.0.1", () => {
  console.log(`express-app listening on http://127.0.0.1:${server.address().port}`);
});
