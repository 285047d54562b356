// An official number's page: the customer (here `?customer=`; a real app takes it from the
// session) connects a number of their own through Meta's signup. The widget's token is for the
// customer's Meta signup link (POST /api/meta-links: lib/meta-links.ts, the recipe).
import type { Metadata } from "next";
import { Suspense } from "react";
import { OfficialWidget } from "./official-widget";

export const metadata: Metadata = { title: "Connect your official WhatsApp number", icons: "data:," };

export default function OfficialPage({ searchParams }: PageProps<"/connect/official">) {
  return (
    <main>
      <h1>Official WhatsApp number</h1>
      <Suspense fallback={<p id="official-loading">Loading…</p>}>
        <Widget searchParams={searchParams} />
      </Suspense>
    </main>
  );
}

async function Widget({ searchParams }: Pick<PageProps<"/connect/official">, "searchParams">) {
  const { customer } = await searchParams;
  if (typeof customer !== "string") return <p id="official-missing">Open this page with ?customer=…</p>;
  return <OfficialWidget endpoint={process.env.PILOT_EDGE_URL ?? ""} customerId={customer} />;
}
