import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { PilotStatus, mintConnectToken } from "pilot-connect-server";
const { PS_API_KEY, PS_BASE_URL, CONNECT_TOKEN_SECRET, PILOT_EDGE_URL, PORT = "3000" } = process.env;
const pilot = new PilotStatus({ apiKey: PS_API_KEY, baseUrl: PS_BASE_URL }); // baseUrl: unset = Pilot Status
createServer(async (req, res) => {
  if (req.url.startsWith("/widget/") && !req.url.includes("..")) return res.writeHead(200, { "content-type": req.url.endsWith(".wasm") ? "application/wasm" : "text/javascript" }).end(await readFile(`node_modules/pilot-connect-widget/${req.url.slice(8)}`));
  if (req.url !== "/") return res.writeHead(404).end();
  const number = await pilot.numbers.create({ name: "My customer", number: `+55119${Date.now() % 1e8}`.padEnd(14, "0") });
  const token = mintConnectToken({ secret: CONNECT_TOKEN_SECRET, numberId: number.id, audience: PILOT_EDGE_URL, origin: `http://127.0.0.1:${PORT}` });
  res.writeHead(200, { "content-type": "text/html" }).end(`<div id="wa"></div><script type="module">import { mount } from "/widget/index.js"; mount("#wa", { endpoint: "${PILOT_EDGE_URL}", token: "${token}" });</script>`);
}).listen(Number(PORT), "127.0.0.1", () => console.log(`quick start: http://127.0.0.1:${PORT}/`));
