// The Hono recipe for pilot-connect-server (its README, "Hono"), on @hono/node-server: a connect
// token for the widget, the Pilot Status webhook verified from the raw body (`await c.req.text()`,
// never `c.req.json()`) with its lifecycle events relayed to the edge worker, and numbers
// created, listed and deleted.
import { Hono } from "hono";
import { serve } from "@hono/node-server";
import {
  PilotStatus, PilotStatusError, mintConnectToken, verifyWebhook, relayWebhook, SIGNATURE_HEADER,
} from "pilot-connect-server";

// PILOT_EDGE_URL: the edge worker's URL (the widget's endpoint, the tokens' audience, where
// lifecycle events are relayed); APP_ORIGIN: the page that mounts the widget.
const { PS_API_KEY, PS_BASE_URL, PS_WEBHOOK_SECRET, CONNECT_TOKEN_SECRET, PILOT_EDGE_URL, APP_ORIGIN, PORT = "3000" } = process.env;
const pilot = new PilotStatus({ apiKey: PS_API_KEY, baseUrl: PS_BASE_URL });
const app = new Hono();

// The webhook: the raw body as text, verified, answered; lifecycle events relayed without waiting.
app.post("/hooks/pilot-status", async (c) => {
  const raw = await c.req.text();
  const signature = c.req.header(SIGNATURE_HEADER);
  const event = verifyWebhook(PS_WEBHOOK_SECRET, raw, signature); // throws: app.onError answers 401 / 400
  // … handle `event` here (deliveries are retried: drop repeats by event.dedupKey) …
  relayWebhook({ rawBody: raw, signature, edgeUrl: PILOT_EDGE_URL })
    .catch((e) => console.error("relay to the edge failed:", e.message));
  return c.json({ ok: true, event: event.event });
});

// The connect token the widget needs (check first that the signed-in user owns numberId).
app.post("/api/connect-token", async (c) => {
  const { numberId } = await c.req.json();
  const token = mintConnectToken({ secret: CONNECT_TOKEN_SECRET, numberId, audience: PILOT_EDGE_URL, origin: APP_ORIGIN });
  return c.json({ token });
});

// Numbers: create, list, delete.
app.post("/api/numbers", async (c) => {
  const { name, number } = await c.req.json();
  return c.json(await pilot.numbers.create({ name, number }), 201);
});
app.get("/api/numbers", async (c) => c.json(await pilot.numbers.list()));
app.delete("/api/numbers/:id", async (c) => c.json(await pilot.numbers.delete(c.req.param("id"))));

// Every PilotStatusError as JSON with a fitting status (messages never hold a secret).
app.onError((e, c) => {
  if (!(e instanceof PilotStatusError)) { console.error(e); return c.json({ kind: "internal" }, 500); }
  const status = { validation: 400, bad_request: 400, decode: 400, signature: 401, not_found: 404, conflict: 409,
    rate_limited: 429, configuration: 500, raw_body_required: 500 }[e.kind] ?? 502;
  return c.json({ kind: e.kind, code: e.code, message: e.message }, status);
});

serve({ fetch: app.fetch, port: Number(PORT), hostname: "127.0.0.1" }, (info) => {
  console.log(`hono-app listening on http://127.0.0.1:${info.port}`);
});
