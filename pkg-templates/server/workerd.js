// Cloudflare Workers (the `workerd` export condition): wrangler imports the .wasm as a compiled
// WebAssembly.Module, since Workers refuse to compile wasm from bytes at run time.
import wasm from "./pilot_connect_server_bg.wasm";
import { initSync } from "./pilot_connect_server.js";

initSync({ module: wasm });

export * from "./client.js";
