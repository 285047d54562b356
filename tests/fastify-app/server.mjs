// The Fastify recipe for pilot-connect-server (its README, "Fastify"): a connect token for the
// widget, the Pilot Status webhook verified from the raw body — a content-type parser that keeps
// the bytes (parseAs: "buffer"), registered in the webhook's own plugin so every other route
// still gets parsed JSON — with its lifecycle events relayed to the edge worker, and numbers
// created, listed and deleted.
import Fastify from "fastify";
import {
  PilotStatus, PilotStatusError, mintConnectToken, verifyWebhook, relayWebhook, SIGNATURE_HEADER,
} from "pilot-connect-server";

// PILOT_EDGE_URL: the edge worker's URL (the widget's endpoint, the tokens' audience, where
// lifecycle events are relayed); APP_ORIGIN: the page that mounts the widget.
const { PS_API_KEY, PS_BASE_URL, PS_WEBHOOK_SECRET, CONNECT_TOKEN_SECRET, PILOT_EDGE_URL, APP_ORIGIN, PORT = "3000" } = process.env;
const pilot = new PilotStatus({ apiKey: PS_API_KEY, baseUrl: PS_BASE_URL });
const app = Fastify();

// The webhook, in its own plugin: JSON bodies stay a Buffer here, and only here.
app.register(async (hooks) => {
  hooks.addContentTypeParser("application/json", { parseAs: "buffer" }, (req, body, done) => done(null, body));
  hooks.post("/hooks/pilot-status", async (req, reply) => {
    const signature = req.headers[SIGNATURE_HEADER];
    const event = verifyWebhook(PS_WEBHOOK_SECRET, req.body, signature); // throws: the error handler answers 401 / 400
    // … handle `event` here (deliveries are retried: drop repeats by event.dedupKey) …
    relayWebhook({ rawBody: req.body, signature, edgeUrl: PILOT_EDGE_URL })
      .catch((e) => req.log.error(e, "relay to the edge failed"));
    return { ok: true, event: event.event };
  });
});

// The connect token the widget needs (check first that the signed-in user owns numberId).
app.post("/api/connect-token", async (req) => {
  const token = mintConnectToken({ secret: CONNECT_TOKEN_SECRET, numberId: req.body?.numberId, audience: PILOT_EDGE_URL, origin: APP_ORIGIN });
  return { token };
});

// Numbers: create, list, delete.
app.post("/api/numbers", async (req, reply) => reply.code(201).send(await pilot.numbers.create({ name: req.body?.name, number: req.body?.number })));
app.get("/api/numbers", async () => pilot.numbers.list());
app.delete("/api/numbers/:id", async (req) => pilot.numbers.delete(req.params.id));

// Every PilotStatusError as JSON with a fitting status (messages never hold a secret).
app.setErrorHandler((e, req, reply) => {
  if (!(e instanceof PilotStatusError)) { req.log.error(e); return reply.code(e.statusCode ?? 500).send({ kind: "internal" }); }
  const status = { validation: 400, bad_request: 400, decode: 400, signature: 401, not_found: 404, conflict: 409,
    rate_limited: 429, configuration: 500, raw_body_required: 500 }[e.kind] ?? 502;
  return reply.code(status).send({ kind: e.kind, code: e.code, message: e.message });
});

const url = await app.listen({ port: Number(PORT), host: "127.0.0.1" });
console.log(`fastify-app listening on ${url}`);
