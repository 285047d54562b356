// tools/minify-wasm-names.mjs is a build tool of our own: it must rename the wasm's imports and
// exports and the glue's uses of them together, and fail loudly (exit 1, a message) on a glue
// whose shape it does not know, rather than ship a page that cannot instantiate its wasm.
// Runs on the widget's real wasm-bindgen output (after tools/build-widget.sh built the wasm).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, copyFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const TOOL = path.join(ROOT, "tools/minify-wasm-names.mjs");
const WASM = path.join(ROOT, "target/wasm32-unknown-unknown/release/pilot_connect_widget.wasm");

function fresh() {
  assert.ok(existsSync(WASM), `${WASM} missing: run tools/build-widget.sh first`);
  const dir = mkdtempSync(path.join(tmpdir(), "minify-"));
  execFileSync(process.env.WASM_BINDGEN_BIN ?? "wasm-bindgen",
    ["--target", "web", "--no-typescript", "--out-dir", dir, "--out-name", "w", WASM]);
  return { dir, wasm: path.join(dir, "w_bg.wasm"), js: path.join(dir, "w.js") };
}
const run = (...args) => spawnSync(process.execPath, [TOOL, ...args], { encoding: "utf8" });

test("renames every import and export in the wasm and the glue together, and the result instantiates", async () => {
  const { wasm, js } = fresh();
  const before = readFileSync(wasm).length;
  const r = run(wasm, js);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /\d+ imports, \d+ exports/);
  const glue = readFileSync(js, "utf8");
  assert.doesNotMatch(glue, /__wbg_\w+_[0-9a-f]{16}\b/, "no long (hashed) import key left in the glue");
  assert.doesNotMatch(glue, /\bwasm\.(?!memory\b)[A-Za-z_$][\w$]{2,}/, "no long export name left");
  assert.ok(readFileSync(wasm).length < before, "the wasm got smaller");
  // The renamed wasm still matches the renamed glue's import object: every import resolves.
  const mod = await WebAssembly.compile(readFileSync(wasm));
  for (const { module, name } of WebAssembly.Module.imports(mod)) {
    assert.ok(name.length <= 3 || module !== "./w_bg.js", `short import ${module}.${name}`);
    if (module === "./w_bg.js") assert.match(glue, new RegExp(`\\b${name}: function\\b`), `glue has ${name}`);
  }
});

test("fails loudly on a glue it does not know", () => {
  const { wasm, js } = fresh();
  const glue = readFileSync(js, "utf8");
  const key = glue.match(/\n\s*(__wbg_[\w$]+)(?=: function\b)/)[1];
  writeFileSync(js, glue.replace(`${key}: function`, `${key}_renamed: function`));
  const original = readFileSync(wasm);
  const r = run(wasm, js);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /minify-wasm-names: expected one import key/);
  assert.deepEqual(readFileSync(wasm), original, "nothing written on failure");
});

test("refuses a wrong command line", () => {
  assert.equal(run().status, 2);
  const { wasm, js } = fresh();
  assert.equal(run(wasm, js, "extra.d.ts").status, 2);
  const notWasm = path.join(path.dirname(js), "x.wasm");
  copyFileSync(js, notWasm);
  const r = run(notWasm, js);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /is not a wasm module/);
});
