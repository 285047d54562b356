export default function Home() {
  return (
    <main>
      <h1>pilot-connect in Next.js</h1>
      <p>
        Route handlers on <code>pilot-connect-server</code>: <code>POST /api/numbers</code>,{" "}
        <code>GET /api/numbers</code>, <code>POST /api/connect-token</code>,{" "}
        <code>POST /api/webhooks/pilot-status</code>, and the same token and webhook routes in the
        Edge runtime under <code>/api/edge/</code>. A Server Component and a Server Action on it:{" "}
        <code>/server-token?number=wa_…</code>. Meta signup links matched to customers by the
        backend: <code>POST /api/meta-links</code>, <code>POST /api/meta-links/poll</code>.
      </p>
    </main>
  );
}
