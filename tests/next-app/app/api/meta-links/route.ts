import { connection } from "next/server";
import { linkFailure, linkStore, links } from "@/lib/links";

/**
 * `POST {customerId, companyName?}` → 201 `{ link, token }`: a Meta signup link for the customer
 * (its pending one while it lasts) and the widget's token for it. A real app takes the customer
 * from the session, never from the body.
 */
export async function POST(req: Request): Promise<Response> {
  try {
    const { customerId, companyName } = (await req.json()) as { customerId?: unknown; companyName?: string };
    if (typeof customerId !== "string" || !customerId) {
      return Response.json({ kind: "validation", field: "customerId", message: "customerId must be a string" }, { status: 400 });
    }
    const made = await links().create(customerId, companyName ? { companyName } : undefined);
    return Response.json(made, { status: 201 });
  } catch (e) {
    return linkFailure(e);
  }
}

/** Every link this process knows, mapped or not (what the tests read). */
export async function GET(): Promise<Response> {
  await connection();
  return Response.json(linkStore().all());
}
