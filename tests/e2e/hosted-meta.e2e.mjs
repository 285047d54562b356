// The sandbox's hosted Meta signup page, clicked through in real Chromium (issue 26's local
// stand-in for Pilot Status's hosted Embedded Signup): a META remote-pairing link's URL serves the
// page; continue → pick a number → finish creates the official number (OPEN), sends the signed
// number.created and number.connected to a webhook target, and the browser lands on the link's
// redirectUrl; cancel keeps the link usable. No request leaves loopback.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { launchChromium } from "../support/browser.mjs";
import { freePort, spawnReady } from "../support/node.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const KEY = "ps_hosted_meta_e2e_tenant_key";
const procs = [];
const hooks = [];
let sandbox, browser, landing, landed = [];

before(async () => {
  // The team's own pages: the redirect's landing page and a webhook receiver.
  const port = await freePort();
  landing = `http://127.0.0.1:${port}`;
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => { body += c; });
    req.on("end", () => {
      if (req.method === "POST") hooks.push({ signature: req.headers["x-pilot-status-signature"], body: JSON.parse(body) });
      else landed.push(req.url);
      res.writeHead(200, { "content-type": "text/html" }).end("<!doctype html><title>back</title><p id=back>back in the app</p>");
    });
  });
  await new Promise((r) => server.listen(port, "127.0.0.1", r));
  procs.push({ kill: () => server.close() });
  sandbox = await spawnReady(path.join(ROOT, "target/debug/pilot-sandbox"),
    ["--port", "0", "--tenant-key", KEY, "--rate-limit", "0", "--webhook-url", `${landing}/hooks`, "--redirect-params", "full"],
    "pilot-sandbox listening on ", { procs });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  for (const p of procs) p.kill("SIGTERM");
});

async function metaLink() {
  const r = await fetch(`${sandbox}/v1/numbers/remote-pairing`, {
    method: "POST", headers: { "x-api-key": KEY, "content-type": "application/json" },
    body: JSON.stringify({ provider: "META", metaFlow: "embedded", redirectUrl: `${landing}/back`, externalRef: "cust_42",
      branding: { companyName: "Clínica Sorriso" } }),
  });
  assert.equal(r.status, 201, await r.clone().text());
  return r.json();
}

test("continue → pick a number → finish: an official number, its webhooks, and the way back", async () => {
  const link = await metaLink();
  const page = await browser.newPage();
  const outside = [];
  page.on("request", (r) => { if (!/^https?:\/\/127\.0\.0\.1:/.test(r.url())) outside.push(r.url()); });
  await page.goto(link.remotePairingUrl);
  assert.match(await page.textContent("#company-name"), /Clínica Sorriso/);
  await page.click("#continue");
  await page.waitForSelector("#pick-number");
  const picked = await page.$eval("#pick-number", (s) => s.value || s.querySelector("option")?.value || s.querySelector("input")?.value);
  await page.click("#finish");
  await page.waitForSelector("#back", { timeout: 10_000 });
  const back = new URL(page.url());
  assert.equal(back.pathname, "/back", "the browser is back at the link's redirectUrl");
  assert.equal(back.searchParams.get("status"), "success");
  assert.equal(back.searchParams.get("externalRef"), "cust_42");
  const numberId = back.searchParams.get("numberId");
  assert.ok(numberId, "the new number's id rides the redirect (--redirect-params full)");
  const n = await (await fetch(`${sandbox}/v1/numbers/${encodeURIComponent(numberId)}`, { headers: { "x-api-key": KEY } })).json();
  assert.equal(n.provider, "META");
  assert.equal(n.state, "OPEN");
  for (let i = 0; i < 50 && !["number.created", "number.connected"].every((e) => hooks.some((h) => h.body.event === e)); i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  for (const e of ["number.created", "number.connected"]) {
    const h = hooks.find((x) => x.body.event === e && JSON.stringify(x.body).includes(numberId));
    assert.ok(h, `${e} delivered`);
    assert.ok(h.signature, `${e} signed`);
  }
  assert.deepEqual(outside, [], "nothing left loopback");
  assert.equal(String(n.number).replace(/\D/g, ""), String(picked).replace(/\D/g, ""), "the number picked on the page");
  // Single use: the page says the link is spent.
  const again = await page.goto(link.remotePairingUrl);
  assert.ok([404, 410].includes(again.status()), `a used link: ${again.status()}`);
  await page.close();
});

test("cancel at one of Meta's steps: the link stays usable", async () => {
  const link = await metaLink();
  const page = await browser.newPage();
  await page.goto(link.remotePairingUrl);
  await page.click("#continue");
  await page.waitForSelector("#cancel");
  await page.click("#cancel");
  await page.waitForSelector('#result[data-outcome="cancelled"]');
  const status = await fetch(`${sandbox}/v1/remote-pairing/${encodeURIComponent(link.remotePairingToken)}/status`);
  assert.equal(status.status, 200, "still pending: the person may try again");
  const again = await page.goto(link.remotePairingUrl);
  assert.equal(again.status(), 200);
  await page.close();
});
