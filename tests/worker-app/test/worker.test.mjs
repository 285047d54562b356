// The Cloudflare Worker recipe: wrangler bundles worker.js (the package's `workerd` condition;
// the app is a Hono API with the edge mounted, tested under /pilot by mounted.test.mjs), workerd runs it on a loopback port, and the sandbox delivers to it — signed
// deliveries verified from `await request.text()`, lifecycle events relayed byte for byte (in
// ctx.waitUntil) to a stand-in edge, message.* kept, forged ones refused; connect tokens;
// numbers created, listed, deleted. (The relay into the real edge worker runs in tests/express-app.)
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readdirSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { compatibilityDate, startWorker } from "../../support/node.mjs";
import { ROOT, recipeSuite } from "../../support/recipes.mjs";

const APP = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const OUT = path.join(ROOT, "target/worker-recipe");

recipeSuite({ test, before, after, assert }, {
  name: "worker",
  start: async ({ PORT, ...env }, procs) => {
    rmSync(OUT, { recursive: true, force: true });
    execFileSync(path.join(ROOT, "node_modules/.bin/wrangler"), ["deploy", "--dry-run", "--outdir", OUT,
      "--name", "pilot-connect-worker-recipe", "--compatibility-date", compatibilityDate(), "worker.js"],
    { cwd: APP, stdio: "pipe", env: { ...process.env, WRANGLER_SEND_METRICS: "false" } });
    // The server package's wasm and the mounted edge's: each stays a module of its own.
    const wasm = readdirSync(OUT).filter((f) => f.endsWith(".wasm"));
    assert.equal(wasm.length, 2, `two wasm modules: ${wasm}`);
    const { mf } = await startWorker(env, { port: Number(PORT),
      modules: [{ type: "ESModule", path: path.join(OUT, "worker.js") }, ...wasm.map((w) => ({ type: "CompiledWasm", path: path.join(OUT, w) }))] });
    procs.push({ kill: () => { mf.dispose().catch(() => {}); } });
  },
});
