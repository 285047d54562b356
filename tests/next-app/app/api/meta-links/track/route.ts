import { linkFailure, links } from "@/lib/links";

/** `POST {customerId, linkUrl, createdAt}` → 201: a link made elsewhere, matched like this app's own. */
export async function POST(req: Request): Promise<Response> {
  try {
    const { customerId, linkUrl, createdAt } = (await req.json()) as { customerId?: unknown; linkUrl: string; createdAt: string };
    if (typeof customerId !== "string" || !customerId) {
      return Response.json({ kind: "validation", field: "customerId", message: "customerId must be a string" }, { status: 400 });
    }
    const at = Date.parse(createdAt);
    if (Number.isNaN(at)) return Response.json({ kind: "validation", field: "createdAt", message: "createdAt must be an ISO-8601 date" }, { status: 400 });
    return Response.json(await links().track(customerId, linkUrl, at), { status: 201 });
  } catch (e) {
    return linkFailure(e);
  }
}
