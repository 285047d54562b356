// Node ≥ 18, Bun, Deno and server bundles: the wasm is read on first use (not at import).
// `new URL("./….wasm", import.meta.url)` with a literal path is the form bundlers understand:
// Turbopack and webpack (Next.js) emit the file with the server build and point the URL at it;
// unbundled (Node, Vite's SSR externals) it is the file beside this module.
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

export function loadWasm() {
  const beside = new URL("./pilot_connect_server_bg.wasm", import.meta.url);
  if (existsSync(beside)) return readFileSync(beside);
  // Bundled by a tool that leaves the URL alone (esbuild, Rollup): the installed package's copy.
  const installed = installedCopy();
  if (installed && existsSync(installed)) return readFileSync(installed);
  // A deployment mistake, not a bug: index.js turns this record into PilotStatusError `configuration`.
  throw { kind: "configuration", reason: "missing_wasm", message: `pilot_connect_server_bg.wasm is neither beside ${import.meta.url} nor installed: when you bundle pilot-connect-server, keep it external or copy pilot_connect_server_bg.wasm next to the bundle` };
}

// Found through the package's package.json, never by resolving the .wasm itself: a bundler that
// sees a .wasm as a module (Turbopack does) would try to link its imports as JavaScript modules.
function installedCopy() {
  try {
    const pkg = createRequire(import.meta.url).resolve("pilot-connect-server/package.json");
    return new URL("./pilot_connect_server_bg.wasm", pathToFileURL(pkg));
  } catch {
    return null;
  }
}
