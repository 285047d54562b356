// The Hono recipe (@hono/node-server) against the sandbox: its signed deliveries verified from
// `await c.req.text()`, lifecycle events relayed byte for byte to a stand-in edge, message.*
// kept, forged ones refused; connect tokens; numbers created, listed, deleted. (The relay into
// the real worker runs in tests/express-app.)
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { recipeSuite, startApp } from "../../support/recipes.mjs";

const APP = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

recipeSuite({ test, before, after, assert }, {
  name: "hono",
  start: (env, procs) => startApp(procs, APP, "server.mjs", "hono-app listening on ", env),
});
