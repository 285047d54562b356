import { failure } from "@/lib/pilot";
import { links } from "@/lib/links";

/**
 * One poll of the pending links: what your scheduler calls (Vercel Cron, a systemd timer, …),
 * every 30 s while links are pending. With CRON_SECRET set, only `Authorization: Bearer <it>`.
 */
export async function POST(req: Request): Promise<Response> {
  const secret = process.env.CRON_SECRET;
  if (secret && req.headers.get("authorization") !== `Bearer ${secret}`) {
    return Response.json({ kind: "unauthorized" }, { status: 401 });
  }
  try {
    return Response.json(await links().poll());
  } catch (e) {
    return failure(e);
  }
}
