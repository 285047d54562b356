// The benchmark baseline: a minimal hand-written JavaScript worker doing the same job as the
// Rust worker on its hot path, so `tools/bench.sh` can compare the two in the same workerd.
// Same checks: exact-origin CORS, HS256 connect token (alg, signature, exp/nbf with leeway, aud,
// origin claim), the rate-limit binding per subject + IP, one upstream GET with a timeout,
// the public answer shape, `no-store`, one log line per request. Not shipped; no retries.

const LEEWAY = 30;
const enc = new TextEncoder();
let keyCache = null;

function b64urlBytes(s) {
  const b = atob(s.replace(/-/g, "+").replace(/_/g, "/"));
  const out = new Uint8Array(b.length);
  for (let i = 0; i < b.length; i++) out[i] = b.charCodeAt(i);
  return out;
}

async function hmacKey(secret) {
  if (!keyCache || keyCache.secret !== secret) {
    const key = await crypto.subtle.importKey("raw", enc.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
    keyCache = { secret, key };
  }
  return keyCache.key;
}

async function verify(token, env, origin, audience) {
  const parts = token.split(".");
  if (parts.length !== 3) return "invalid_token";
  try {
    const header = JSON.parse(new TextDecoder().decode(b64urlBytes(parts[0])));
    if (header.alg !== "HS256" || header.crit) return "invalid_token";
    const ok = await crypto.subtle.verify("HMAC", await hmacKey(env.CONNECT_TOKEN_SECRET),
      b64urlBytes(parts[2]), enc.encode(`${parts[0]}.${parts[1]}`));
    if (!ok) return "invalid_token";
    const c = JSON.parse(new TextDecoder().decode(b64urlBytes(parts[1])));
    const now = Math.floor(Date.now() / 1000);
    if (typeof c.sub !== "string" || !c.sub || c.aud !== audience) return "invalid_token";
    if (typeof c.exp !== "number" || c.exp + LEEWAY < now || c.exp - c.iat > 3600) return c.exp + LEEWAY < now ? "token_expired" : "invalid_token";
    if (typeof c.nbf === "number" && c.nbf - LEEWAY > now) return "invalid_token";
    if (c.origin !== undefined && c.origin !== origin) return "origin_mismatch";
    return c;
  } catch {
    return "invalid_token";
  }
}

function reply(status, body, origin, extra = {}) {
  const h = { "content-type": "application/json", "cache-control": "no-store", vary: "Origin",
              "x-content-type-options": "nosniff", ...extra };
  if (origin) { h["access-control-allow-origin"] = origin; h["access-control-expose-headers"] = "Retry-After"; }
  return new Response(status === 204 ? null : JSON.stringify(body), { status, headers: h });
}
const err = (status, code, origin, extra) => reply(status, { error: { code, message: code } }, origin, extra);

async function handle(req, env) {
  const url = new URL(req.url);
  const origin = req.headers.get("origin");
  const allowed = origin && (env.ALLOWED_ORIGINS || "").split(",").map((s) => s.trim()).includes(origin) ? origin : null;
  if (!["/v1/qr", "/v1/status", "/healthz"].includes(url.pathname)) return err(404, "route_not_found", allowed);
  if (origin && !allowed) return err(403, "origin_not_allowed", null);
  if (url.pathname === "/healthz") return reply(200, { ok: true }, allowed);
  if (req.method === "OPTIONS") {
    return reply(204, null, allowed, { "access-control-allow-methods": "GET, OPTIONS",
      "access-control-allow-headers": "authorization", "access-control-max-age": "600" });
  }
  if (req.method !== "GET") return err(405, "method_not_allowed", allowed, { allow: "GET, OPTIONS" });

  const auth = req.headers.get("authorization") || "";
  const token = auth.toLowerCase().startsWith("bearer ") ? auth.slice(7).trim() : "";
  if (!token) return err(401, "missing_token", allowed);
  const claims = await verify(token, env, origin ?? undefined, env.CONNECT_TOKEN_AUDIENCE || url.origin);
  if (typeof claims === "string") return err(401, claims, allowed);

  const ip = req.headers.get("cf-connecting-ip") ?? "unknown";
  const { success } = await env.CONNECT_RATE_LIMITER.limit({ key: `${claims.sub}|${ip}` });
  if (!success) return err(429, "rate_limited", allowed, { "retry-after": "10" });

  const qr = url.pathname === "/v1/qr";
  const upstream = `${env.PS_BASE_URL}/v1/numbers/${encodeURIComponent(claims.sub)}/${qr ? "connect" : "status"}`;
  let res;
  try {
    res = await fetch(upstream, { headers: { "x-api-key": env.PS_API_KEY, accept: "application/json" },
                                  signal: AbortSignal.timeout(Number(env.UPSTREAM_TIMEOUT_MS || 8000)) });
  } catch {
    return err(504, "upstream_timeout", allowed);
  }
  if (qr && res.status === 409) return reply(200, { state: "connected" }, allowed);
  if (!res.ok) return err(502, "upstream_error", allowed);
  let body;
  try { body = await res.json(); } catch { return err(502, "bad_upstream_response", allowed); }
  if (qr) {
    const q = body.qrcodeBase64;
    if (typeof q !== "string" || !q.startsWith("data:image/png;base64,")) return err(502, "bad_upstream_response", allowed);
    // The Rust worker's answer shape (its session fills these from a number read and observed
    // code lifetimes; the baseline has neither, so it answers null as the session does before it knows).
    return reply(200, { state: "pairing", qr: q, pairingCode: body.pairingCode ?? null,
                        refreshAfterMs: Number(env.QR_REFRESH_MS || 20000), maskedNumber: null, codeExpiresInMs: null }, allowed);
  }
  const state = body.isFullyConnected || body.state === "OPEN" ? "connected"
    : body.state === "CONNECTING" ? "connecting" : body.state === "CLOSE" ? "disconnected" : "unknown";
  return reply(200, { state, stale: body.stale === true }, allowed);
}

export default {
  async fetch(req, env) {
    const res = await handle(req, env);
    console.log(`${req.method} ${new URL(req.url).pathname} -> ${res.status}`);
    return res;
  },
};
