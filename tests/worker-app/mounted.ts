// worker.js's Hono app and edge mount, typed: pilot-connect-edge's index.d.ts checked with the
// Workers runtime types and Hono's (`tsc -p tsconfig.json`, strict, skipLibCheck false). Not run.
import { Hono } from "hono";
import { cors } from "hono/cors";
import { logger } from "hono/logger";
import { secureHeaders } from "hono/secure-headers";
import {
  routePilotConnectRequest, handlePilotConnectQueue, pilotConnectObjects, PILOT_CONNECT_QUEUES,
  type PilotConnectEnv, type PilotConnectOptions,
} from "pilot-connect-edge";
export { NumberSession, DeadLetters } from "pilot-connect-edge";

interface Env {
  NUMBER_SESSIONS: DurableObjectNamespace;
  APP_JOBS: Queue<{ invoice: number }>;
  APP_JOBS_SINK: string;
  APP_ORIGIN: string;
  PILOT_ALLOWED_ORIGINS: string;
}

const options: PilotConnectOptions = { prefix: "/pilot", env: { ALLOWED_ORIGINS: "PILOT_ALLOWED_ORIGINS" } };
// With renamed bindings the Durable Object classes read the same names.
const renamed = pilotConnectObjects({ env: options.env });
export class RenamedSession extends renamed.NumberSession {}
const required: Array<keyof PilotConnectEnv> = ["NUMBER_SESSIONS", "CONNECT_TOKEN_SECRET"];
const queues: readonly string[] = PILOT_CONNECT_QUEUES;

const app = new Hono<{ Bindings: Env }>();
app.use("*", logger(), secureHeaders());
app.use("*", cors({ origin: (origin, c) => (origin === c.env.APP_ORIGIN ? origin : null) }));
app.all("/pilot/*", async (c) => {
  const answer: Response | null = await routePilotConnectRequest(c.req.raw, c.env, c.executionCtx, options);
  return answer ?? c.notFound();
});

export default {
  fetch: app.fetch,
  async queue(batch, env, ctx) {
    const edgeTookIt: boolean = await handlePilotConnectQueue(batch, env, ctx, options);
    if (edgeTookIt) return;
    for (const m of batch.messages) {
      await fetch(env.APP_JOBS_SINK, { method: "POST", body: JSON.stringify({ queue: batch.queue, job: m.body, required, queues }) });
      m.ack();
    }
  },
} satisfies ExportedHandler<Env, { invoice: number }>;
