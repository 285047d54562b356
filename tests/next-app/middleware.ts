// The same token and webhook handlers in the Edge runtime. Route handlers with
// `export const runtime = "edge"` are refused next to `cacheComponents` (create-next-app's
// default config), so the Edge copy lives in middleware, which runs on Edge by default.
import { connectToken, receiveWebhook } from "@/lib/pilot";

export async function middleware(req: Request): Promise<Response | undefined> {
  if (req.method !== "POST") return undefined;
  const { pathname } = new URL(req.url);
  if (pathname === "/api/edge/connect-token") return connectToken(req);
  if (pathname === "/api/edge/webhooks/pilot-status") return receiveWebhook(req);
  return undefined;
}

export const config = { matcher: "/api/edge/:path*" };
