// A server entry (SSR / edge-style) that uses pilot-connect-server: built by Vite, then run.
import { PilotStatus, mintConnectToken, verifyConnectToken } from "pilot-connect-server";

export async function handler() {
  const ps = new PilotStatus({
    apiKey: "ps_vite_ssr_key",
    baseUrl: "http://127.0.0.1:9",
    fetch: async () => new Response(JSON.stringify({ id: "wa_1", state: "OPEN" }), { status: 200 }),
  });
  const status = await ps.numbers.status("wa_1");
  const secret = "vite-ssr-connect-token-secret-0123456789";
  const token = mintConnectToken({ secret, numberId: "wa_1", audience: "edge" });
  const claims = verifyConnectToken(token, { secret, audience: "edge" });
  return { ready: status.ready, sub: claims.sub };
}

const out = await handler();
if (out.ready !== true || out.sub !== "wa_1") throw new Error(`unexpected ${JSON.stringify(out)}`);
console.log("pilot-connect-server in a Vite SSR build: ok");
