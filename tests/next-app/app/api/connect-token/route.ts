import { connectToken } from "@/lib/pilot";

export async function POST(req: Request): Promise<Response> {
  return connectToken(req);
}
