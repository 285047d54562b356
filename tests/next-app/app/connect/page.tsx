// The widget's page: a server component that renders the client component with <PilotConnect>
// for the number in `?number=` (server-rendered as its empty mount <div>, mounted in the browser
// after hydration). The connect token comes from the app's route handler (POST /api/connect-token).
import type { Metadata } from "next";
import { Suspense } from "react";
import { ConnectWidget } from "./connect-widget";

// An icon of its own: the app has no favicon.ico (a 404 would be a console error in the test).
export const metadata: Metadata = { title: "Connect your WhatsApp", icons: "data:," };

export default function ConnectPage({ searchParams }: PageProps<"/connect">) {
  return (
    <main>
      <h1>Connect your WhatsApp</h1>
      <p>Link the number to your account here.</p>
      {/* Depends on the request: rendered at request time, inside the page's static shell. */}
      <Suspense fallback={<p id="connect-loading">Loading…</p>}>
        <Widget searchParams={searchParams} />
      </Suspense>
    </main>
  );
}

async function Widget({ searchParams }: Pick<PageProps<"/connect">, "searchParams">) {
  const { number } = await searchParams;
  if (typeof number !== "string") return <p id="connect-missing">Open this page with ?number=wa_…</p>;
  // A real app checks here that the signed-in user owns `number` (and again in the token route).
  return <ConnectWidget endpoint={process.env.PILOT_EDGE_URL ?? ""} numberId={number} />;
}
