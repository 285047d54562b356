// pilot-connect-server in a Server Component and a Server Action (app/server-token), no config:
// `next build` with Turbopack, `next start` against the sandbox. The page mints a connect token
// and lists the numbers while it renders on the server; the form's Server Action does the same,
// clicked in Chromium. (In the page layer Turbopack compiles `new URL("….wasm", import.meta.url)`
// to the browser's /_next/static/media URL: the loader must find the wasm another way.)
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { launchChromium } from "../../support/browser.mjs";
import { spawnReady } from "../../support/node.mjs";
import { claimsOf, phone } from "../../support/recipes.mjs";
import { APP, ROOT, appAddress, buildOnce, startNext } from "./app.mjs";

const KEY = "ps_next_rsc_tenant_key_5b4a39";
const TOKEN_SECRET = "next-rsc-connect-token-secret-0123456789";
const AUDIENCE = "https://connect.example.test";
const ORIGIN = "https://app.example.test";
const procs = [];
let app, browser;

before(async () => {
  await buildOnce();
  const { port, url } = await appAddress();
  app = url;
  const sandbox = await spawnReady(path.join(ROOT, "target/debug/pilot-sandbox"), ["--port", "0", "--tenant-key", KEY],
    "pilot-sandbox listening on ", { procs });
  await startNext(port, { PS_API_KEY: KEY, PS_BASE_URL: sandbox, CONNECT_TOKEN_SECRET: TOKEN_SECRET,
    CONNECT_TOKEN_AUDIENCE: AUDIENCE, APP_ORIGIN: ORIGIN }, procs);
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  procs.forEach((p) => p.kill());
});

async function newNumber() {
  const r = await fetch(`${app}/api/numbers`, { method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: "Loja RSC", number: phone("6") }) });
  assert.equal(r.status, 201, await r.clone().text());
  return (await r.json()).id;
}

/** The claims that matter of a token signed with the app's secret. */
function tokenClaims(token) {
  const { claims } = claimsOf(token, TOKEN_SECRET);
  return [claims.sub, claims.aud, claims.origin, claims.exp - claims.iat];
}

test("a Server Component mints a connect token and lists the numbers while it renders", async () => {
  const id = await newNumber();
  const r = await fetch(`${app}/server-token?number=${encodeURIComponent(id)}`);
  assert.equal(r.status, 200);
  const html = await r.text();
  assert.ok(!/missing_wasm|PilotStatusError|Application error|Internal Server Error/.test(html), "no server error");
  const token = html.match(/<output id="rsc-token">([^<]+)<\/output>/)?.[1];
  assert.ok(token, "the token, rendered on the server");
  assert.deepEqual(tokenClaims(token), [id, AUDIENCE, ORIGIN, 600]);
  assert.ok(html.includes(`<li>${id}</li>`), "the new number, listed from the sandbox");
});

test("a Server Action (useActionState form, in Chromium) mints a token and lists the numbers", async () => {
  const id = await newNumber();
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e));
  try {
    await page.goto(`${app}/server-token?number=${encodeURIComponent(id)}`);
    await page.click("#action-mint");
    const out = await page.waitForSelector("#action-token", { timeout: 20_000 });
    assert.deepEqual(tokenClaims(await out.textContent()), [id, AUDIENCE, ORIGIN, 600]);
    assert.ok((await page.textContent("#action-numbers")).split(",").includes(id), "the new number, listed by the action");
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
});

test("the page layer reads the package's own wasm, traced into the deployment (.nft.json)", () => {
  const trace = path.join(APP, ".next/server/app/server-token/page.js.nft.json");
  const files = JSON.parse(readFileSync(trace, "utf8")).files;
  assert.ok(files.some((f) => f.endsWith("node_modules/pilot-connect-server/pilot_connect_server_bg.wasm")), `traced: ${files.filter((f) => f.includes("wasm"))}`);
});
