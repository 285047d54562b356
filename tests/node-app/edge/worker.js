// pilot-connect-server inside a Cloudflare Worker: bundled by wrangler (the `workerd` export
// condition imports the wasm as a module) and run in workerd by tests/node-app/test/edge.test.mjs.
import { PilotStatus, PilotStatusError, mintConnectToken, verifyConnectToken, verifyWebhook, SIGNATURE_HEADER } from "pilot-connect-server";

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    try {
      if (url.pathname === "/status") {
        const ps = new PilotStatus({ apiKey: env.PS_API_KEY, baseUrl: env.PS_BASE_URL });
        return Response.json(await ps.numbers.status(url.searchParams.get("id") ?? ""));
      }
      if (url.pathname === "/token") {
        const token = mintConnectToken({ secret: env.TOKEN_SECRET, numberId: url.searchParams.get("id") ?? "", audience: "edge" });
        return Response.json({ token, claims: verifyConnectToken(token, { secret: env.TOKEN_SECRET, audience: "edge" }) });
      }
      if (url.pathname === "/hook" && request.method === "POST") {
        const event = verifyWebhook(env.HOOK_SECRET, await request.arrayBuffer(), request.headers.get(SIGNATURE_HEADER));
        return Response.json(event);
      }
      return new Response("not found", { status: 404 });
    } catch (e) {
      if (e instanceof PilotStatusError) return Response.json({ kind: e.kind, code: e.code, status: e.status }, { status: 400 });
      return new Response(String(e), { status: 500 });
    }
  },
};
