// The Cloudflare Worker recipe for pilot-connect-server (its README, "Cloudflare Worker"): a
// customer's backend on Workers — a connect token for the widget, the Pilot Status webhook
// verified from the raw body (`await request.text()`) with its lifecycle events relayed to the
// edge worker in `ctx.waitUntil` (after the answer), and numbers created, listed and deleted.
// It is also the API such a team already runs: a Hono app with its own middleware, routes and
// queue, with the pilot-connect edge mounted under /pilot (pilot-connect-edge's README, "Inside
// your own Worker"). wrangler bundles it as is.
import { Hono } from "hono";
import { cors } from "hono/cors";
import { logger } from "hono/logger";
import { secureHeaders } from "hono/secure-headers";
import {
  PilotStatus, PilotStatusError, mintConnectToken, verifyWebhook, relayWebhook, SIGNATURE_HEADER,
} from "pilot-connect-server";
import { routePilotConnectRequest, handlePilotConnectQueue } from "pilot-connect-edge";

// The edge's Durable Object classes (NUMBER_SESSIONS; DEAD_LETTERS for edge in front).
export { NumberSession, DeadLetters } from "pilot-connect-edge";

// env: PS_API_KEY, PS_BASE_URL, PS_WEBHOOK_SECRET, CONNECT_TOKEN_SECRET, PILOT_EDGE_URL (the
// edge worker's URL: the widget's endpoint, the tokens' audience, where lifecycle events are
// relayed), APP_ORIGIN (the page that mounts the widget).
async function handle(request, env, ctx) {
  const { pathname } = new URL(request.url);
  const pilot = () => new PilotStatus({ apiKey: env.PS_API_KEY, baseUrl: env.PS_BASE_URL });

  // The webhook: the raw body as text, verified, answered; the relay runs after the answer.
  if (request.method === "POST" && pathname === "/hooks/pilot-status") {
    const raw = await request.text();
    const signature = request.headers.get(SIGNATURE_HEADER);
    const event = verifyWebhook(env.PS_WEBHOOK_SECRET, raw, signature); // throws: 401 / 400 below
    // … handle `event` here (deliveries are retried: drop repeats by event.dedupKey) …
    ctx.waitUntil(relayWebhook({ rawBody: raw, signature, edgeUrl: env.PILOT_EDGE_URL })
      .catch((e) => console.error("relay to the edge failed:", e.message)));
    return Response.json({ ok: true, event: event.event });
  }
  // The connect token the widget needs (check first that the signed-in user owns numberId).
  if (request.method === "POST" && pathname === "/api/connect-token") {
    const { numberId } = await request.json();
    return Response.json({ token: mintConnectToken({ secret: env.CONNECT_TOKEN_SECRET, numberId, audience: env.PILOT_EDGE_URL, origin: env.APP_ORIGIN }) });
  }
  // Numbers: create, list, delete.
  if (pathname === "/api/numbers" && request.method === "POST") {
    const { name, number } = await request.json();
    return Response.json(await pilot().numbers.create({ name, number }), { status: 201 });
  }
  if (pathname === "/api/numbers" && request.method === "GET") return Response.json(await pilot().numbers.list());
  const one = pathname.match(/^\/api\/numbers\/([^/]+)$/);
  if (one && request.method === "DELETE") return Response.json(await pilot().numbers.delete(decodeURIComponent(one[1])));
  return Response.json({ kind: "not_found" }, { status: 404 });
}

function recipe(request, env, ctx) {
  return handle(request, env, ctx).catch((e) => {
    // Every PilotStatusError as JSON with a fitting status (messages never hold a secret).
    if (!(e instanceof PilotStatusError)) { console.error(e); return Response.json({ kind: "internal" }, { status: 500 }); }
    const status = { validation: 400, bad_request: 400, decode: 400, signature: 401, not_found: 404, conflict: 409,
      rate_limited: 429, configuration: 500, raw_body_required: 500 }[e.kind] ?? 502;
    return Response.json({ kind: e.kind, code: e.code, message: e.message }, { status });
  });
}

const app = new Hono();
app.use("*", logger());
app.use("*", secureHeaders());
// The team's CORS for its pages (CORS_ORIGINS, else APP_ORIGIN), on every path. Under /pilot it
// answers the widget's preflights itself (the edge never sees them), so it must allow the pages
// that embed the widget; the edge still checks ALLOWED_ORIGINS on every request and its answers
// keep their own CORS headers.
app.use("*", cors({ origin: (origin, c) => ((c.env.CORS_ORIGINS ?? c.env.APP_ORIGIN).split(",").includes(origin) ? origin : null), credentials: true }));
// The edge, under /pilot: its routes, its push WebSocket, its webhook receiver, its /healthz.
app.all("/pilot/*", async (c) =>
  (await routePilotConnectRequest(c.req.raw, c.env, c.executionCtx, { prefix: "/pilot" })) ?? c.notFound());
// The team's own queue, fed by its own route.
app.post("/api/jobs", async (c) => {
  await c.env.APP_JOBS.send(await c.req.json());
  return c.json({ queued: true }, 202);
});
app.all("*", (c) => recipe(c.req.raw, c.env, c.executionCtx));

export default {
  fetch: app.fetch,
  async queue(batch, env, ctx) {
    if (await handlePilotConnectQueue(batch, env, ctx)) return; // the edge's queues
    // The team's own: each job is reported to APP_JOBS_SINK (where the test listens).
    for (const m of batch.messages) {
      await fetch(env.APP_JOBS_SINK, { method: "POST", body: JSON.stringify({ queue: batch.queue, job: m.body }) });
      m.ack();
    }
  },
};
