// Node ≥ 18, Bun, Deno: the wasm is read on first use (not at import).
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";

const FILE = "pilot_connect_server_bg.wasm";

export function loadWasm() {
  const beside = new URL(`./${FILE}`, import.meta.url);
  if (existsSync(beside)) return readFileSync(beside);
  // This module was bundled into another file: use the installed package's copy.
  try {
    return readFileSync(createRequire(import.meta.url).resolve(`pilot-connect-server/${FILE}`));
  } catch {
    throw new Error(`${FILE} is neither beside ${import.meta.url} nor installed: when you bundle pilot-connect-server, keep it external or copy ${FILE} next to the bundle`);
  }
}
