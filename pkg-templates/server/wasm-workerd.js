// Cloudflare Workers (the `workerd` condition): wrangler imports the .wasm as a compiled
// WebAssembly.Module, because Workers refuse to compile wasm from bytes at run time.
import wasm from "./pilot_connect_server_bg.wasm";

export const loadWasm = () => wasm;
