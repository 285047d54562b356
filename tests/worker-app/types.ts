// The recipe's handler (worker.js, the package README's "Cloudflare Worker") written with the
// Workers runtime types (@cloudflare/workers-types: Request, ExecutionContext,
// ExportedHandler), so pilot-connect-server's index.d.ts is checked against them: `tsc -p
// tsconfig.json` (strict, skipLibCheck false, noEmit; tools/test.sh). Not run.
import {
  PilotStatus, PilotStatusError, mintConnectToken, verifyWebhook, relayWebhook, SIGNATURE_HEADER,
  type ErrorKind, type WebhookEvent, type RelayResult, type CreatedNumber, type PilotNumber, type Deleted,
} from "pilot-connect-server";

interface Env {
  PS_API_KEY: string;
  PS_BASE_URL?: string;
  PS_WEBHOOK_SECRET: string;
  CONNECT_TOKEN_SECRET: string;
  PILOT_EDGE_URL: string;
  APP_ORIGIN: string;
}

async function handle(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
  const { pathname } = new URL(request.url);
  const pilot = () => new PilotStatus({ apiKey: env.PS_API_KEY, baseUrl: env.PS_BASE_URL });
  if (request.method === "POST" && pathname === "/hooks/pilot-status") {
    const raw: string = await request.text();
    const signature: string | null = request.headers.get(SIGNATURE_HEADER);
    const event: WebhookEvent = verifyWebhook(env.PS_WEBHOOK_SECRET, raw, signature);
    const relay: Promise<RelayResult | void> = relayWebhook({ rawBody: raw, signature, edgeUrl: env.PILOT_EDGE_URL })
      .catch((e: PilotStatusError) => console.error("relay to the edge failed:", e.message));
    ctx.waitUntil(relay);
    return Response.json({ ok: true, event: event.event });
  }
  if (request.method === "POST" && pathname === "/api/connect-token") {
    const { numberId } = await request.json<{ numberId: string }>();
    const token: string = mintConnectToken({ secret: env.CONNECT_TOKEN_SECRET, numberId, audience: env.PILOT_EDGE_URL, origin: env.APP_ORIGIN });
    return Response.json({ token });
  }
  if (pathname === "/api/numbers" && request.method === "POST") {
    const { name, number } = await request.json<{ name: string; number: string }>();
    const created: CreatedNumber = await pilot().numbers.create({ name, number });
    return Response.json(created, { status: 201 });
  }
  if (pathname === "/api/numbers" && request.method === "GET") {
    const list: PilotNumber[] = await pilot().numbers.list();
    return Response.json(list);
  }
  const one = pathname.match(/^\/api\/numbers\/([^/]+)$/);
  if (one && request.method === "DELETE") {
    const deleted: Deleted = await pilot().numbers.delete(decodeURIComponent(one[1]));
    return Response.json(deleted);
  }
  return Response.json({ kind: "not_found" }, { status: 404 });
}

const statusOf: Partial<Record<ErrorKind, number>> = { validation: 400, bad_request: 400, decode: 400, signature: 401,
  not_found: 404, conflict: 409, rate_limited: 429, configuration: 500, raw_body_required: 500 };

export default {
  async fetch(request, env, ctx) {
    try {
      return await handle(request, env, ctx);
    } catch (e) {
      if (!(e instanceof PilotStatusError)) return Response.json({ kind: "internal" }, { status: 500 });
      return Response.json({ kind: e.kind, code: e.code, message: e.message }, { status: statusOf[e.kind] ?? 502 });
    }
  },
} satisfies ExportedHandler<Env>;
