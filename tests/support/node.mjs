// Helpers shared by the Node-driven suites (worker tests, e2e, bench): start a binary and wait
// for its ready line, pick a free loopback port, sign an HS256 JWS the way a customer backend does.
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { createHmac } from "node:crypto";
import { createInterface } from "node:readline";

/** Spawns `bin` and resolves with what follows `prefix` on its first stdout line starting with it. */
export function spawnReady(bin, args, prefix, { env = {}, procs } = {}) {
  const p = spawn(bin, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "inherit"] });
  procs?.push(p);
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: p.stdout });
    rl.on("line", (l) => { if (l.startsWith(prefix)) resolve(l.slice(prefix.length).trim()); });
    p.once("exit", (c) => reject(new Error(`${bin} exited ${c}`)));
  });
}

export const freePort = () => new Promise((resolve) => {
  const s = createServer().listen(0, "127.0.0.1", () => { const { port } = s.address(); s.close(() => resolve(port)); });
});

/** A compact JWS over `claims`, HMAC-SHA256 with `secret`; `header` may be overridden to forge bad ones. */
export function signJws(claims, secret, header = { alg: "HS256", typ: "JWT" }) {
  const b64 = (v) => Buffer.from(typeof v === "string" ? v : JSON.stringify(v)).toString("base64url");
  const signing = `${b64(header)}.${b64(claims)}`;
  return `${signing}.${createHmac("sha256", secret).update(signing).digest("base64url")}`;
}
