// The recipe's handlers (server.mjs, the package README's "Fastify") written with Fastify's own
// types (FastifyRequest with the Buffer body of a parseAs "buffer" parser), so
// pilot-connect-server's index.d.ts is checked against them: `tsc -p tsconfig.json` (strict,
// skipLibCheck false, noEmit; tools/test.sh). Not run.
import Fastify, { type FastifyRequest, type FastifyReply } from "fastify";
import {
  PilotStatus, PilotStatusError, mintConnectToken, verifyWebhook, relayWebhook, SIGNATURE_HEADER,
  type ErrorKind, type WebhookEvent, type CreatedNumber, type PilotNumber, type Deleted,
} from "pilot-connect-server";

const { PS_API_KEY, PS_BASE_URL, PS_WEBHOOK_SECRET, CONNECT_TOKEN_SECRET, PILOT_EDGE_URL, APP_ORIGIN } = process.env;
const pilot = new PilotStatus({ apiKey: PS_API_KEY, baseUrl: PS_BASE_URL });
const app = Fastify();

app.register(async (hooks) => {
  hooks.addContentTypeParser("application/json", { parseAs: "buffer" }, (req, body: Buffer, done) => done(null, body));
  hooks.post("/hooks/pilot-status", async (req: FastifyRequest<{ Body: Buffer }>, reply: FastifyReply) => {
    // A header of Node's IncomingHttpHeaders: string | string[] | undefined.
    const signature = req.headers[SIGNATURE_HEADER];
    const event: WebhookEvent = verifyWebhook(PS_WEBHOOK_SECRET, req.body, signature);
    relayWebhook({ rawBody: req.body, signature, edgeUrl: PILOT_EDGE_URL })
      .catch((e: PilotStatusError) => req.log.error(e, "relay to the edge failed"));
    return { ok: true, event: event.event };
  });
});

app.post("/api/connect-token", async (req: FastifyRequest<{ Body: { numberId: string } }>) => {
  const token: string = mintConnectToken({ secret: CONNECT_TOKEN_SECRET, numberId: req.body.numberId, audience: PILOT_EDGE_URL ?? "", origin: APP_ORIGIN });
  return { token };
});

app.post("/api/numbers", async (req: FastifyRequest<{ Body: { name: string; number: string } }>, reply: FastifyReply) => {
  const created: CreatedNumber = await pilot.numbers.create({ name: req.body.name, number: req.body.number });
  return reply.code(201).send(created);
});
app.get("/api/numbers", async (): Promise<PilotNumber[]> => pilot.numbers.list());
app.delete("/api/numbers/:id", async (req: FastifyRequest<{ Params: { id: string } }>): Promise<Deleted> => pilot.numbers.delete(req.params.id));

const statusOf: Partial<Record<ErrorKind, number>> = { validation: 400, bad_request: 400, decode: 400, signature: 401,
  not_found: 404, conflict: 409, rate_limited: 429, configuration: 500, raw_body_required: 500 };
app.setErrorHandler((e, req, reply) => {
  if (!(e instanceof PilotStatusError)) return reply.code(500).send({ kind: "internal" });
  return reply.code(statusOf[e.kind] ?? 502).send({ kind: e.kind, code: e.code, message: e.message });
});
