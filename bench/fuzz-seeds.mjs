// Seed corpora for the fuzz targets from the documented fixtures (target/fuzz-corpus/<target>).
import { readFileSync, readdirSync, mkdirSync, writeFileSync } from "node:fs";
import { createHmac } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const FIX = path.join(ROOT, "tests/fixtures");
const OUT = path.join(ROOT, "target/fuzz-corpus");
const put = (target, name, bytes) => {
  mkdirSync(path.join(OUT, target), { recursive: true });
  writeFileSync(path.join(OUT, target, name), bytes);
};
// Which endpoint selector (byte 0 of the responses target) each fixture belongs to.
const selector = [
  ["create_number", 0], ["create_meta", 1], ["connect", 2], ["status", 3], ["list", 4], ["get", 5], ["delete", 6],
  ["restore", 7], ["purge", 8], ["remote_pairing_guide", 9], ["remote_pairing_openapi", 9], ["remote_pairing_sdk", 9],
  ["remote_pairing_info", 10], ["remote_pairing_status", 11], ["remote_pairing_connect", 12], ["error", 3],
];
for (const f of readdirSync(FIX).filter((f) => f.endsWith(".json"))) {
  const body = readFileSync(path.join(FIX, f));
  const sel = selector.find(([p]) => f.startsWith(p))?.[1] ?? 15;
  const status = Number(f.match(/_(\d{3})/)?.[1] ?? 200) - 100;
  put("responses", f, Buffer.concat([Buffer.from([sel, status >> 8, status & 255]), body]));
  if (f.startsWith("webhook")) {
    const sig = createHmac("sha256", "whsec_fuzz_secret").update(body).digest("hex");
    put("webhook", f, Buffer.concat([Buffer.from(`sha256=${sig}\n`), body]));
  }
}
const b64 = (v) => Buffer.from(v).toString("base64url");
const h = b64(JSON.stringify({ alg: "HS256", typ: "JWT" }));
const p = b64(JSON.stringify({ sub: "wa_abc", aud: "aud", iat: 1790000000, exp: 1790000600, origin: "https://app.example" }));
const s = createHmac("sha256", "fuzz-connect-token-secret-0123456789").update(`${h}.${p}`).digest("base64url");
put("connect_token", "valid", `${h}.${p}.${s}`);
put("connect_token", "none", `${b64('{"alg":"none"}')}.${p}.`);
for (const id of ["wa_abc", "n 9/restore?x=1", "..", "%2F", "é/ü"]) put("request_inputs", b64(id) || "empty", id);
