// pilot-connect-server in a Server Component and a Server Action, no config: the page mints a
// connect token and lists the account's numbers while it renders on the server (request time,
// inside the static shell), and the form's Server Action does the same when submitted.
import type { Metadata } from "next";
import { Suspense } from "react";
import { connection } from "next/server";
import { mintConnectToken } from "pilot-connect-server";
import { pilot } from "@/lib/pilot";
import { MintForm } from "./mint-form";

export const metadata: Metadata = { title: "Connect token from a Server Component", icons: "data:," };

export default function ServerTokenPage({ searchParams }: PageProps<"/server-token">) {
  return (
    <main>
      <h1>Connect token from a Server Component</h1>
      <Suspense fallback={<p id="rsc-loading">Loading…</p>}>
        <Rendered searchParams={searchParams} />
      </Suspense>
    </main>
  );
}

async function Rendered({ searchParams }: Pick<PageProps<"/server-token">, "searchParams">) {
  await connection();
  const { number } = await searchParams;
  if (typeof number !== "string") return <p id="rsc-missing">Open this page with ?number=wa_…</p>;
  // A real app checks here that the signed-in user owns `number`.
  const token = mintConnectToken({
    secret: process.env.CONNECT_TOKEN_SECRET,
    numberId: number,
    audience: process.env.CONNECT_TOKEN_AUDIENCE ?? "",
    origin: process.env.APP_ORIGIN,
  });
  const numbers = await pilot().numbers.list();
  return (
    <section>
      <p>Token: <output id="rsc-token">{token}</output></p>
      <ul id="rsc-numbers">{numbers.map((n) => <li key={n.id}>{n.id}</li>)}</ul>
      <MintForm numberId={number} />
    </section>
  );
}
