import { receiveWebhook } from "@/lib/pilot";
import { links } from "@/lib/links";

export async function POST(req: Request): Promise<Response> {
  // Every verified delivery is acknowledged; a number.* one naming a customer's link also maps it.
  return receiveWebhook(req, (event) => links().onWebhook(event));
}
