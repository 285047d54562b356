// What the framework app suites (tests/react-app, tests/next-app) watch on a page that shows
// widgets: console errors and page errors, the widgets' push streams (`/v1/events`), and each widget's `/v1/qr` requests
// (told apart by their connect token), with every QR that came over the wire, fetched or pushed.
export { until } from "./recipes.mjs";

/**
 * Starts watching `page`. `tokens` names each widget's connect token (`{ component: "eyJ…", … }`),
 * or is one name for a page with one widget whose token the test does not know.
 */
export function watchPage(page, tokens) {
  const names = typeof tokens === "string" ? [tokens] : Object.keys(tokens);
  const zero = () => Object.fromEntries(names.map((k) => [k, 0]));
  const requests = zero();
  const aborted = zero();
  const fetched = Object.fromEntries(names.map((k) => [k, []]));
  const wire = new Set();
  const errors = [];
  const sockets = [];
  const whose = (r) => {
    if (r.method() !== "GET" || new URL(r.url()).pathname !== "/v1/qr") return null;
    if (typeof tokens === "string") return tokens;
    const auth = r.headers().authorization;
    return names.find((k) => auth === `Bearer ${tokens[k]}`) ?? "unknown";
  };
  page.on("pageerror", (e) => errors.push(`pageerror: ${e}`));
  page.on("console", (m) => { if (m.type() === "error") errors.push(`console: ${m.text()} (${m.location().url})`); });
  page.on("request", (r) => {
    const k = whose(r);
    if (k) requests[k] = (requests[k] ?? 0) + 1;
  });
  page.on("requestfailed", (r) => {
    const k = whose(r);
    if (k) aborted[k] = (aborted[k] ?? 0) + 1;
  });
  page.on("response", async (r) => {
    const k = whose(r.request());
    if (!k) return;
    const body = await r.json().catch(() => null);
    if (typeof body?.qr === "string") {
      (fetched[k] ??= []).push(body.qr);
      wire.add(body.qr);
    }
  });
  page.on("websocket", (ws) => {
    if (!new URL(ws.url()).pathname.endsWith("/v1/events")) return; // not a widget's (Vite's HMR, …)
    sockets.push(ws);
    // A QR pushed after the stream said "connected" is no rotation its widget should show.
    let connected = false;
    ws.on("framereceived", (f) => {
      try {
        const v = JSON.parse(f.payload);
        if (v?.state === "connected") connected = true;
        if (v?.state === "pairing" && typeof v.qr === "string" && !connected) wire.add(v.qr);
      } catch { /* not JSON */ }
    });
  });
  return {
    errors, sockets, fetched,
    /** `/v1/qr` requests by widget so far (`unknown`: another token). */
    qrRequests: () => ({ ...requests }),
    /** Of those, the ones that failed or were aborted. */
    aborted: () => ({ ...aborted }),
    /** Distinct QRs that reached the page, by `/v1/qr` or pushed. */
    rotations: () => wire.size,
  };
}
