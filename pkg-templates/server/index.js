// Node ≥ 18, Bun and Deno: the wasm sits beside this file and is read once, at import.
import { readFile } from "node:fs/promises";
import { initSync } from "./pilot_connect_server.js";

initSync({ module: await readFile(new URL("./pilot_connect_server_bg.wasm", import.meta.url)) });

export * from "./client.js";
