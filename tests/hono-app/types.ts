// The recipe's handlers (server.mjs, the package README's "Hono") written with Hono's own types
// (Context, c.req.text()), so pilot-connect-server's index.d.ts is checked against them:
// `tsc -p tsconfig.json` (strict, skipLibCheck false, noEmit; tools/test.sh). Not run.
import { Hono, type Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { serve } from "@hono/node-server";
import {
  PilotStatus, PilotStatusError, mintConnectToken, verifyWebhook, relayWebhook, SIGNATURE_HEADER,
  type ErrorKind, type WebhookEvent, type CreatedNumber, type PilotNumber, type Deleted,
} from "pilot-connect-server";

const { PS_API_KEY, PS_BASE_URL, PS_WEBHOOK_SECRET, CONNECT_TOKEN_SECRET, PILOT_EDGE_URL, APP_ORIGIN, PORT = "3000" } = process.env;
const pilot = new PilotStatus({ apiKey: PS_API_KEY, baseUrl: PS_BASE_URL });
const app = new Hono();

async function receiveWebhook(c: Context): Promise<Response> {
  const raw: string = await c.req.text();
  const signature: string | undefined = c.req.header(SIGNATURE_HEADER);
  const event: WebhookEvent = verifyWebhook(PS_WEBHOOK_SECRET, raw, signature);
  relayWebhook({ rawBody: raw, signature, edgeUrl: PILOT_EDGE_URL })
    .catch((e: PilotStatusError) => console.error("relay to the edge failed:", e.message));
  return c.json({ ok: true, event: event.event });
}
app.post("/hooks/pilot-status", receiveWebhook);

app.post("/api/connect-token", async (c) => {
  const { numberId } = await c.req.json<{ numberId: string }>();
  const token: string = mintConnectToken({ secret: CONNECT_TOKEN_SECRET, numberId, audience: PILOT_EDGE_URL ?? "", origin: APP_ORIGIN });
  return c.json({ token });
});

app.post("/api/numbers", async (c) => {
  const { name, number } = await c.req.json<{ name: string; number: string }>();
  const created: CreatedNumber = await pilot.numbers.create({ name, number });
  return c.json(created, 201);
});
app.get("/api/numbers", async (c) => { const list: PilotNumber[] = await pilot.numbers.list(); return c.json(list); });
app.delete("/api/numbers/:id", async (c) => { const deleted: Deleted = await pilot.numbers.delete(c.req.param("id")); return c.json(deleted); });

const statusOf: Partial<Record<ErrorKind, ContentfulStatusCode>> = { validation: 400, bad_request: 400, decode: 400, signature: 401,
  not_found: 404, conflict: 409, rate_limited: 429, configuration: 500, raw_body_required: 500 };
app.onError((e, c) => {
  if (!(e instanceof PilotStatusError)) return c.json({ kind: "internal" }, 500);
  return c.json({ kind: e.kind, code: e.code, message: e.message }, statusOf[e.kind] ?? 502);
});

serve({ fetch: app.fetch, port: Number(PORT), hostname: "127.0.0.1" }, (info) => console.log(info.port));
