"use server";
// A Server Action: the same token and list, on a form submission.
import { mintConnectToken } from "pilot-connect-server";
import { pilot } from "@/lib/pilot";

export interface Minted {
  token: string;
  numbers: string[];
}

export async function mintAction(_prev: Minted | null, form: FormData): Promise<Minted> {
  const numberId = form.get("numberId");
  if (typeof numberId !== "string") throw new Error("numberId missing");
  // A real app checks here that the signed-in user owns `numberId`.
  const token = mintConnectToken({
    secret: process.env.CONNECT_TOKEN_SECRET,
    numberId,
    audience: process.env.CONNECT_TOKEN_AUDIENCE ?? "",
    origin: process.env.APP_ORIGIN,
  });
  const numbers = (await pilot().numbers.list()).map((n) => n.id);
  return { token, numbers };
}
