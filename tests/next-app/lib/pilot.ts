// What the route handlers share, in the Node and the Edge runtime alike: the client and the
// secrets come from the environment, failures become JSON answers. pilot-connect-server is
// imported like any package: no next.config entry, no runtime-specific import.
import { after } from "next/server";
import {
  PilotStatus,
  PilotStatusError,
  SIGNATURE_HEADER,
  mintConnectToken,
  relayWebhook,
  verifyWebhook,
  type WebhookEvent,
} from "pilot-connect-server";

/** A client from the environment. An unset PS_API_KEY throws here, naming it. */
export function pilot(): PilotStatus {
  return new PilotStatus({ apiKey: process.env.PS_API_KEY, baseUrl: process.env.PS_BASE_URL });
}

const STATUS: Record<string, number> = {
  validation: 400,
  bad_request: 400,
  decode: 400,
  signature: 401,
  not_found: 404,
  conflict: 409,
  rate_limited: 429,
  configuration: 500,
  raw_body_required: 500,
};

/** A failure as `{ kind, code, message }` with a fitting status (the message never holds a secret). */
export function failure(e: unknown): Response {
  if (e instanceof PilotStatusError) {
    const status = STATUS[e.kind] ?? 502;
    const headers: Record<string, string> = {};
    if (e.retryAfterMs !== null) headers["retry-after"] = String(Math.ceil(e.retryAfterMs / 1000));
    return Response.json({ kind: e.kind, code: e.code, field: e.field, message: e.message }, { status, headers });
  }
  console.error(e);
  return Response.json({ kind: "internal", message: "internal error" }, { status: 500 });
}

/** `POST {numberId}` → `{ token }`: a 10-minute connect token for the pilot-connect widget. */
export async function connectToken(req: Request): Promise<Response> {
  let body: unknown;
  try {
    body = await req.json();
  } catch {
    return Response.json({ kind: "validation", message: "the body must be JSON" }, { status: 400 });
  }
  const numberId = (body as { numberId?: unknown } | null)?.numberId;
  if (typeof numberId !== "string") {
    return Response.json({ kind: "validation", field: "numberId", message: "numberId must be a string" }, { status: 400 });
  }
  // A real backend checks here that the signed-in user owns `numberId`.
  try {
    const token = mintConnectToken({
      secret: process.env.CONNECT_TOKEN_SECRET,
      numberId,
      audience: process.env.CONNECT_TOKEN_AUDIENCE ?? "",
      origin: process.env.APP_ORIGIN,
    });
    return Response.json({ token });
  } catch (e) {
    return failure(e);
  }
}

/**
 * A Pilot Status webhook: the signature is checked over the raw body (`req.text()`, never
 * `req.json()`), then the event is handled. 200 when valid, 401 for a bad signature. The
 * lifecycle events are relayed to the edge worker (PILOT_EDGE_URL) in `after()`, once the
 * answer is sent; `message.*` stay here. `handle` (the Meta signup links, lib/links.ts) sees every
 * verified event: what it answers is added as `handled`; if it throws (your database is down), the
 * answer is 500 and Pilot Status delivers again.
 */
export async function receiveWebhook(req: Request, handle?: (event: WebhookEvent) => Promise<unknown>): Promise<Response> {
  const raw = await req.text();
  const signature = req.headers.get(SIGNATURE_HEADER);
  let event: WebhookEvent;
  try {
    event = verifyWebhook(process.env.PS_WEBHOOK_SECRET, raw, signature);
  } catch (e) {
    return failure(e);
  }
  // Deliveries are retried: a real backend drops repeats by `event.dedupKey` here.
  let handled: unknown = null;
  try {
    handled = (await handle?.(event)) ?? null;
  } catch (e) {
    console.error("webhook handler failed:", e);
    return Response.json({ kind: "internal", message: "internal error" }, { status: 500 });
  }
  after(() => relayWebhook({ rawBody: raw, signature, edgeUrl: process.env.PILOT_EDGE_URL })
    .catch((e: unknown) => console.error("relay to the edge failed:", e)));
  return Response.json({ ok: true, event: event.event, dedupKey: event.dedupKey, ...(handled === null ? {} : { handled }) });
}
