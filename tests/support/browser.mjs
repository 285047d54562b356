// The one way every suite and bench launches the machine's Chromium (Debian's, through
// playwright-core: no downloaded browser): headless, no sandbox (root in CI), nothing that would
// call out of loopback (component updates, sync, background networking, QUIC).
import { createServer } from "node:http";
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { chromium } from "playwright-core";
import { freePort } from "./node.mjs";

export const CHROMIUM = process.env.CHROME_BIN ?? "/usr/bin/chromium";

const ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
  "--disable-sync", "--no-first-run", "--disable-quic"];

/**
 * Launches Chromium with `extraArgs` on top of the shared flags (e.g. `--js-flags=--expose-gc`).
 * `popupBlocker: true` keeps Chromium's popup blocker on (Playwright turns it off by default).
 */
export function launchChromium(extraArgs = [], { popupBlocker = false } = {}) {
  return chromium.launch({
    executablePath: CHROMIUM, headless: true, args: [...ARGS, ...extraArgs],
    ...(popupBlocker ? { ignoreDefaultArgs: ["--disable-popup-blocking"] } : {}),
  });
}

const TYPES = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".wasm": "application/wasm",
  ".json": "application/json", ".svg": "image/svg+xml", ".png": "image/png" };

/**
 * A loopback static server for a browser test: `page(url)` answers with HTML when it returns a
 * string (the test's own page), files under `dir` are served below `prefix` (a package as
 * `/pkg/…`, or a built app at `/`), anything else is a 404. Resolves to `{ url, server }`.
 */
export async function serveFiles(dir, { prefix = "/", page } = {}) {
  const root = path.resolve(dir);
  const server = createServer((req, res) => {
    const url = new URL(req.url, "http://x");
    const html = page?.(url);
    if (typeof html === "string") return res.writeHead(200, { "content-type": "text/html" }).end(html);
    // `{ html, headers }`: the page with headers of its own (a COOP, a CSP).
    if (typeof html?.html === "string") return res.writeHead(200, { "content-type": "text/html", ...html.headers }).end(html.html);
    if (url.pathname === "/favicon.ico") return res.writeHead(204).end();
    if (!url.pathname.startsWith(prefix)) return res.writeHead(404).end();
    let file = path.join(root, decodeURIComponent(url.pathname.slice(prefix.length)));
    if (existsSync(file) && statSync(file).isDirectory()) file = path.join(file, "index.html");
    if (!file.startsWith(root) || !existsSync(file)) return res.writeHead(404).end();
    res.writeHead(200, { "content-type": TYPES[path.extname(file)] ?? "application/octet-stream" }).end(readFileSync(file));
  });
  const port = await freePort();
  await new Promise((r) => server.listen(port, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${port}`, server };
}

/**
 * The test page of a packed widget served under `/pkg/` (`serveFiles(dir, { prefix: "/pkg/", page:
 * widgetPage })`): an empty `#w` (and `#w2`) and the package's entry module as `window.pc`.
 */
export const widgetPage = (url) => url.pathname === "/" ? `<!doctype html><html lang="en"><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<body><div id="w"></div><div id="w2"></div><script type="module">
import * as pc from "/pkg/index.js";
window.pc = pc;
</script>` : undefined;

/**
 * What a mounted widget under `host` (a selector of its mount point) lays out: its height, and
 * whether the pairing area and the success panel take room (the compact "connected" has only the
 * latter).
 */
export function widgetLayout(page, host) {
  return page.locator(host).evaluate((h) => {
    const c = h.querySelector("[data-pilot-connect]");
    const root = c.shadowRoot;
    const laidOut = (s) => { const e = root.querySelector(s); return !!e && e.getBoundingClientRect().height > 0; };
    return { height: c.getBoundingClientRect().height, pair: laidOut(".pair"), done: laidOut(".done") };
  });
}
