// The recipe's handlers (server.mjs, the package README's "Express") written with Express's own
// types, so pilot-connect-server's index.d.ts is checked against @types/express:
// `tsc -p tsconfig.json` (strict, skipLibCheck false, noEmit; tools/test.sh). Not run.
import express, { type Request, type Response } from "express";
import {
  PilotStatus, PilotStatusError, mintConnectToken, verifyWebhook, relayWebhook, SIGNATURE_HEADER,
  type ErrorKind, type RelayResult, type WebhookEvent, type CreatedNumber, type Webhook, type ProvisionEdgeResult,
  type PilotNumber, type Deleted,
} from "pilot-connect-server";

const { PS_API_KEY, PS_BASE_URL, PS_WEBHOOK_SECRET, CONNECT_TOKEN_SECRET, PILOT_EDGE_URL, APP_ORIGIN, PUBLIC_URL } = process.env;
const pilot = new PilotStatus({ apiKey: PS_API_KEY, baseUrl: PS_BASE_URL });
const app = express();

const received: { event: string; dedupKey: string | null; relay: RelayResult | { error: ErrorKind } | null }[] = [];

const statusOf: Partial<Record<ErrorKind, number>> = { validation: 400, bad_request: 400, decode: 400, signature: 401,
  not_found: 404, conflict: 409, rate_limited: 429, configuration: 500, raw_body_required: 500 };
function fail(res: Response, e: unknown): Response {
  if (!(e instanceof PilotStatusError)) return res.status(500).json({ kind: "internal" });
  return res.status(statusOf[e.kind] ?? 502).json({ kind: e.kind, code: e.code, message: e.message });
}

// express.raw(): req.body is the Buffer as received; req.get(): string | undefined.
function receiveWebhook(req: Request<Record<string, string>, unknown, Buffer>, res: Response): unknown {
  let event: WebhookEvent;
  try {
    event = verifyWebhook(PS_WEBHOOK_SECRET, req.body, req.get(SIGNATURE_HEADER));
  } catch (e) {
    return fail(res, e);
  }
  const entry: (typeof received)[number] = { event: event.event, dedupKey: event.dedupKey, relay: null };
  received.push(entry);
  res.sendStatus(200);
  relayWebhook({ rawBody: req.body, signature: req.get(SIGNATURE_HEADER), edgeUrl: PILOT_EDGE_URL })
    .then((r) => { entry.relay = r; }, (e: PilotStatusError) => { entry.relay = { error: e.kind }; });
}
app.post("/hooks/pilot-status", express.raw({ type: "application/json" }), receiveWebhook);

app.use(express.json());

app.post("/api/connect-token", (req: Request<Record<string, string>, unknown, { numberId: string }>, res: Response) => {
  try {
    const token: string = mintConnectToken({ secret: CONNECT_TOKEN_SECRET, numberId: req.body.numberId, audience: PILOT_EDGE_URL ?? "", origin: APP_ORIGIN });
    res.json({ token });
  } catch (e) { fail(res, e); }
});

app.post("/api/numbers", async (req: Request<Record<string, string>, unknown, { name: string; number: string }>, res: Response) => {
  try {
    const number: CreatedNumber = await pilot.numbers.create({ name: req.body.name, number: req.body.number });
    const webhook: Webhook = await pilot.webhooks.create({ url: `${PUBLIC_URL}/hooks/pilot-status`, events: ["*"], whatsappNumberId: number.id });
    const edge: ProvisionEdgeResult = await pilot.webhooks.provisionEdge({ whatsappNumberId: number.id, edgeUrl: PILOT_EDGE_URL });
    res.status(201).json({ number, webhook, edge, topology: edge.topology });
  } catch (e) { fail(res, e); }
});
app.get("/api/numbers", async (req: Request, res: Response) => {
  try { const list: PilotNumber[] = await pilot.numbers.list(); res.json(list); } catch (e) { fail(res, e); }
});
app.delete("/api/numbers/:id", async (req: Request<{ id: string }>, res: Response) => {
  try { const deleted: Deleted = await pilot.numbers.delete(req.params.id); res.json(deleted); } catch (e) { fail(res, e); }
});
