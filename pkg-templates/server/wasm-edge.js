// Next.js's Edge runtime (the `edge-light` condition): the bundler compiles the wasm ahead of time
// (`?module`), because Edge code may not compile wasm from bytes at run time.
import wasm from "./pilot_connect_server_bg.wasm?module";

// `next start` runs Edge code in a vm context but compiles the module in Node's own realm, so it
// fails the glue's `instanceof WebAssembly.Module`: give it this realm's prototype.
export function loadWasm() {
  if (!(wasm instanceof WebAssembly.Module) && Object.prototype.toString.call(wasm) === "[object WebAssembly.Module]") {
    Object.setPrototypeOf(wasm, WebAssembly.Module.prototype);
  }
  return wasm;
}
