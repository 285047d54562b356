// Node ≥ 18, Bun, Deno and server bundles: the wasm is read on first use (not at import).
// `new URL("./….wasm", import.meta.url)` with a literal path is the form bundlers understand:
// Turbopack and webpack (Next.js route handlers) emit the file with the server build and point the
// URL at it; unbundled (Node, Vite's SSR externals) it is the file beside this module.
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export function loadWasm() {
  const beside = new URL("./pilot_connect_server_bg.wasm", import.meta.url);
  if (beside.protocol === "file:" && existsSync(beside)) return readFileSync(beside);
  // Next.js pages, layouts and Server Actions: there Turbopack turns that URL into the browser's
  // `/_next/static/media/….wasm` (SSR emulates the client), not a file. It keeps `import.meta.url`
  // this module's own file, though, and traces a file read through `path.join` into the
  // deployment (.nft.json, standalone output): the package's own copy.
  const own = ownCopy();
  if (own && existsSync(own)) return readFileSync(own);
  // Bundled by a tool that leaves the URL alone (esbuild, Rollup): the installed package's copy.
  const installed = installedCopy();
  if (installed && existsSync(installed)) return readFileSync(installed);
  // A deployment mistake, not a bug: index.js turns this record into PilotStatusError `configuration`.
  throw { kind: "configuration", reason: "missing_wasm", message: `pilot_connect_server_bg.wasm is neither beside ${import.meta.url} nor installed: when you bundle pilot-connect-server, keep it external or copy pilot_connect_server_bg.wasm next to the bundle` };
}

function ownCopy() {
  try {
    return join(dirname(fileURLToPath(import.meta.url)), "pilot_connect_server_bg.wasm");
  } catch {
    return null;
  }
}

// Found through the package's package.json, never by resolving the .wasm itself: a bundler that
// sees a .wasm as a module (Turbopack does) would try to link its imports as JavaScript modules.
function installedCopy() {
  try {
    const pkg = createRequire(import.meta.url).resolve("pilot-connect-server/package.json");
    return typeof pkg === "string" ? new URL("./pilot_connect_server_bg.wasm", pathToFileURL(pkg)) : null;
  } catch {
    return null;
  }
}
