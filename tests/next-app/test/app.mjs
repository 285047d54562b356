// What the Next app's suites share: one `next build` (by content: skipped while the app's
// sources and the installed packages are unchanged; suites run at once wait for one build), and
// `next start` on a free loopback port with the environment a suite needs.
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "../../support/node.mjs";

export const APP = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const ROOT = path.resolve(APP, "../..");
const NEXT = path.join(APP, "node_modules/next/dist/bin/next");
const ENV = { ...process.env, NEXT_TELEMETRY_DISABLED: "1" };
const STAMP = path.join(APP, ".next/.pilot-build-sha");
const LOCK = path.join(APP, "node_modules/.pilot-next-build.lock");
// What the build reads: the app's sources and config, its lockfile, the packed packages.
const INPUTS = ["app", "lib", "middleware.ts", "next.config.ts", "tsconfig.json", "package-lock.json",
  "node_modules/pilot-connect-server", "node_modules/pilot-connect-widget"];

function files(p) {
  if (!existsSync(p)) return [];
  if (!statSync(p).isDirectory()) return [p];
  return readdirSync(p).sort().flatMap((f) => files(path.join(p, f)));
}

function inputsSha() {
  const h = createHash("sha256");
  for (const f of INPUTS.flatMap((i) => files(path.join(APP, i)))) h.update(`${path.relative(APP, f)}\0`).update(readFileSync(f));
  return h.digest("hex");
}

const alive = (pid) => { try { process.kill(pid, 0); return true; } catch { return false; } };

/** `next build`, unless `.next` was built from these very inputs. */
export async function buildOnce() {
  for (;;) {
    try {
      mkdirSync(LOCK);
      writeFileSync(path.join(LOCK, "pid"), String(process.pid));
      break;
    } catch {
      // Another suite is building: wait for it (or take over a lock its dead process left).
      const pid = Number(readFileSync(path.join(LOCK, "pid"), "utf8").trim() || 0);
      if (pid && !alive(pid)) rmSync(LOCK, { recursive: true, force: true });
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    const sha = inputsSha();
    if (existsSync(path.join(APP, ".next/BUILD_ID")) && existsSync(STAMP) && readFileSync(STAMP, "utf8") === sha) return;
    execFileSync(process.execPath, [NEXT, "build"], { cwd: APP, env: ENV, stdio: ["ignore", "inherit", "inherit"] });
    writeFileSync(STAMP, sha);
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

/** Resolves once `url` answers, or throws after `ms`. */
async function answering(url, child, ms = 60_000) {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    if (child.exitCode !== null) throw new Error(`next start exited ${child.exitCode}`);
    try { if ((await fetch(url)).ok) return; } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not answer in ${ms} ms`);
}

/** A free loopback port and its URL, for a suite that must name the app's URL before it starts. */
export async function appAddress() {
  const port = await freePort();
  return { port, url: `http://127.0.0.1:${port}` };
}

/** `next start` of the built app on `port` with `env` added; pushed to `procs`; resolves once it answers. */
export async function startNext(port, env, procs) {
  const next = spawn(process.execPath, [NEXT, "start", "--port", String(port), "--hostname", "127.0.0.1"], {
    cwd: APP, stdio: ["ignore", "ignore", "inherit"], env: { ...ENV, ...env },
  });
  procs.push(next);
  await answering(`http://127.0.0.1:${port}`, next);
  return next;
}
