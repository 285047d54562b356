import { receiveWebhook } from "@/lib/pilot";

export async function POST(req: Request): Promise<Response> {
  return receiveWebhook(req);
}
