import { connection } from "next/server";
import { failure, pilot } from "@/lib/pilot";

/** The numbers of this account (read at request time, never at build time). */
export async function GET(): Promise<Response> {
  await connection();
  try {
    return Response.json(await pilot().numbers.list());
  } catch (e) {
    return failure(e);
  }
}

/** `POST {name, number}` → the created number (201). */
export async function POST(req: Request): Promise<Response> {
  try {
    const { name, number } = (await req.json()) as { name: string; number: string };
    return Response.json(await pilot().numbers.create({ name, number }), { status: 201 });
  } catch (e) {
    return failure(e);
  }
}
