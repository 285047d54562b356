// The release checks the test command runs (the cheap ones; tools/release.sh does the rest): one
// version everywhere — every crate, the three packed npm packages and their tarballs' names, the
// changelog's newest release, the user agent inside the edge's wasm; both licence files in every
// tarball; each tarball's files exactly its package's committed FILES list; the packages' real
// exports (and their .d.ts declarations) exactly README's public list; README's routes and env names
// exactly the sources'.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { workspaceVersion } from "../support/node.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const read = (f) => readFileSync(path.join(ROOT, f), "utf8");
const PACKAGES = ["pilot-connect-widget", "pilot-connect-server", "pilot-connect-edge"];
const version = workspaceVersion();
const tarball = (name) => path.join(ROOT, `target/${name}-${version}.tgz`);
const listing = (name) => execFileSync("tar", ["-tzf", tarball(name)], { encoding: "utf8" })
  .split("\n").filter(Boolean).map((f) => f.replace(/^package\//, "")).sort();
const member = (name, file) => execFileSync("tar", ["-xzOf", tarball(name), `package/${file}`], { encoding: "utf8", maxBuffer: 64 << 20 });

/** The names a module exports, read from its text (our own entry modules: plain ESM). */
function exportsOf(src) {
  const names = new Set();
  for (const m of src.matchAll(/export\s*(?:async\s+)?(?:function\*?|const|let|var|class)\s+([A-Za-z_$][\w$]*)/g)) names.add(m[1]);
  if (/export\s+default\b/.test(src)) names.add("default");
  for (const m of src.matchAll(/export\s*\{([^}]*)\}/g)) {
    for (const part of m[1].split(",").map((p) => p.trim()).filter(Boolean)) names.add(part.split(/\s+as\s+/).pop().trim());
  }
  return [...names].sort();
}

/** The value names a .d.ts declares for export (functions, consts, classes, default). */
function declaredValues(dts) {
  const names = new Set();
  for (const m of dts.matchAll(/export\s+(?:declare\s+)?(?:function|const|class)\s+([A-Za-z_$][\w$]*)/g)) names.add(m[1]);
  if (/export\s+default\b/.test(dts)) names.add("default");
  for (const m of dts.matchAll(/export\s*\{([^}]*)\}\s*from/g)) {
    for (const part of m[1].split(",").map((p) => p.trim()).filter((p) => p && !p.startsWith("type "))) names.add(part.split(/\s+as\s+/).pop().trim());
  }
  return [...names].sort();
}

test("one version: every crate, tarball, package.json, the changelog's newest release, the edge's user agent", () => {
  const meta = JSON.parse(execFileSync("cargo", ["metadata", "--format-version", "1", "--no-deps", "--locked"], { cwd: ROOT, encoding: "utf8" }));
  for (const p of meta.packages) assert.equal(p.version, version, `crate ${p.name}`);
  for (const name of PACKAGES) {
    assert.ok(existsSync(tarball(name)), `${tarball(name)} is built`);
    assert.equal(JSON.parse(member(name, "package.json")).version, version, `${name}'s package.json`);
  }
  const released = read("CHANGELOG.md").match(/^## (\d+\.\d+\.\d+)/m)?.[1];
  assert.equal(released, version, "the changelog's newest released section");
  assert.match(read("CHANGELOG.md"), /^## Unreleased\n/m, "an Unreleased section above it");
  const wasm = execFileSync("tar", ["-xzOf", tarball("pilot-connect-edge"), "package/worker/index_bg.wasm"], { maxBuffer: 64 << 20 });
  assert.ok(wasm.includes(Buffer.from(`pilot-connect-edge/${version}`)), "the edge's user agent carries the version");
  // The published crates depend on each other at this version; the template on this release.
  assert.match(read("Cargo.toml"), new RegExp(`pilot-connect-wire = \\{ path = "wire", version = "${version.replace(/\./g, "\\.")}"`));
  const tpl = JSON.parse(read("templates/pilot-connect-edge/package.json"));
  assert.equal(tpl.dependencies["pilot-connect-edge"], `^${version}`);
});

test("every tarball: both licences, and exactly its committed file list", () => {
  for (const name of PACKAGES) {
    const files = listing(name);
    for (const l of ["LICENSE-MIT", "LICENSE-APACHE"]) assert.ok(files.includes(l), `${name} carries ${l}`);
    const dir = name.replace(/^pilot-connect-/, "");
    const want = read(`pkg-templates/${dir}/FILES`).split("\n").filter(Boolean).sort();
    assert.deepEqual(files, want, `${name}: pkg-templates/${dir}/FILES`);
  }
});

test("the packages' exports are README's public list, and each is declared in its .d.ts", () => {
  const table = read("README.md").match(/<!-- public-api -->([\s\S]*?)<!-- \/public-api -->/)[1];
  const listed = Object.fromEntries([...table.matchAll(/^\| `([^`]+)` \| (.+) \|$/gm)]
    .map(([, entry, names]) => [entry, [...names.matchAll(/`([^`]+)`/g)].map((m) => m[1]).sort()]));
  const entries = {};
  for (const name of PACKAGES) {
    const pkg = JSON.parse(member(name, "package.json"));
    for (const [sub, target] of Object.entries(pkg.exports)) {
      if (typeof target !== "object" || !target.default?.endsWith(".js")) continue; // package.json, wasm files
      const entry = sub === "." ? name : `${name}/${sub.slice(2)}`;
      const js = exportsOf(member(name, target.default.slice(2)));
      const dts = declaredValues(member(name, target.types.slice(2)));
      entries[entry] = js;
      assert.deepEqual(dts, js, `${entry}: its .d.ts declares exactly its runtime exports`);
    }
  }
  assert.deepEqual(entries, listed, "README's public list");
});

test("README's routes and env names are the sources'", () => {
  const readme = read("README.md");
  const between = (tag) => [...readme.match(new RegExp(`<!-- ${tag} -->([\\s\\S]*?)<!-- /${tag} -->`))[1].matchAll(/`([^`]+)`/g)].map((m) => m[1]);
  const routes = [...read("wire/src/lib.rs").match(/pub mod route \{([\s\S]*?)\n\}/)[1].matchAll(/pub const \w+: &str = "([^"]+)";/g)].map((m) => m[1]);
  assert.deepEqual(between("routes").sort(), routes.sort());
  const deps = [...read("worker/src/health.rs").match(/deps! \{([\s\S]*?)\n\}/)[1].matchAll(/^ {4}([A-Z][A-Z0-9_]+): /gm)].map((m) => m[1]);
  assert.ok(deps.length > 20, `the table was read: ${deps}`);
  assert.deepEqual(between("env"), deps);
});

// The edge's config lives in three files that must agree on what is the edge's: the repository's
// worker (worker/wrangler.toml, which builds it from Rust), the template a team deploys the
// package with, and the Hono app that mounts it (tests/worker-app). Read with wrangler's own reader.
test("the edge's bindings, migrations, rate limit and compatibility date agree across its three configs", async () => {
  const { experimental_readRawConfig: readRaw } = await import("wrangler");
  // (Through JSON: the TOML reader gives null-prototype objects.)
  const raw = (f) => JSON.parse(JSON.stringify(readRaw({ config: path.join(ROOT, f) }).rawConfig));
  const repo = raw("worker/wrangler.toml");
  const template = raw("templates/pilot-connect-edge/wrangler.jsonc");
  const mounted = raw("tests/worker-app/wrangler.jsonc");
  const objects = (c) => Object.fromEntries((c.durable_objects?.bindings ?? []).map((b) => [b.name, b.class_name]));
  const tags = (c) => (c.migrations ?? []).map((m) => [m.tag, m.new_sqlite_classes]);
  for (const [name, c] of [["template", template], ["mounted", mounted]]) {
    assert.equal(c.compatibility_date, repo.compatibility_date, `${name}: compatibility_date`);
    for (const [binding, cls] of Object.entries(objects(c))) assert.equal(objects(repo)[binding], cls, `${name}: ${binding}`);
    assert.deepEqual(tags(c), tags(repo).slice(0, tags(c).length), `${name}: the edge's migration tags, in order`);
    assert.deepEqual(c.ratelimits, repo.ratelimits, `${name}: the rate limiter`);
    assert.equal(c.build, undefined, `${name}: no build step (no Rust)`);
  }
  assert.deepEqual(objects(template), { NUMBER_SESSIONS: "NumberSession" }, "the template binds only what is required");
  const queues = (c) => (c.queues?.consumers ?? []).filter((q) => q.queue.startsWith("pilot-connect-"));
  assert.deepEqual(queues(mounted), queues(repo), "the mounted app consumes the edge's queues as the repository's worker does");
});
