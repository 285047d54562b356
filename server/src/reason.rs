//! The one table of error reasons: every `PilotStatusError` carries one of these in `reason`,
//! next to the API's own `code` (often absent). Stable strings a caller can `switch` on; each
//! belongs to one `kind`. `index.d.ts`'s `ErrorReason` union is generated from this table
//! ([`dts_block`]) and a test (`server/tests/bindings.rs`) fails when the two differ.

use serde::{Serialize, Serializer};

macro_rules! reasons {
    ($( $variant:ident = $name:literal, $kind:literal, $doc:literal; )+) => {
        /// Why an operation failed, in one stable word (see the module docs).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Reason {
            $( #[doc = $doc] $variant, )+
        }

        impl Reason {
            /// Every reason, in table order.
            pub const ALL: &'static [Reason] = &[$(Reason::$variant),+];

            /// The JS string (`webhook_exists`).
            #[must_use]
            pub fn as_str(self) -> &'static str {
                match self { $(Reason::$variant => $name,)+ }
            }

            /// The `kind` an error with this reason has.
            #[must_use]
            pub fn kind(self) -> &'static str {
                match self { $(Reason::$variant => $kind,)+ }
            }

            /// What it means and what to do.
            #[must_use]
            pub fn doc(self) -> &'static str {
                match self { $(Reason::$variant => $doc,)+ }
            }
        }
    };
}

reasons! {
    InvalidArgument = "invalid_argument", "validation",
        "An argument or option was refused before anything was sent; `field` / `path` name it.";
    UnknownArgument = "unknown_argument", "validation",
        "An argument or option this version does not know (a typo?); nothing was sent.";
    MissingApiKey = "missing_api_key", "configuration",
        "`apiKey` / `apiKeyId` given but undefined or empty (an unset PS_API_KEY?), or a keyed call on a client built without a key.";
    MissingSecret = "missing_secret", "configuration",
        "A connect-token or webhook secret that is undefined or empty (an unset environment variable?).";
    SecretTooShort = "secret_too_short", "configuration",
        "A connect-token secret shorter than 32 bytes.";
    MissingSetting = "missing_setting", "configuration",
        "Another deployment setting (e.g. `edgeUrl`) that is undefined or empty; `field` names it.";
    MissingWasm = "missing_wasm", "configuration",
        "pilot_connect_server_bg.wasm is not where the loader looks: keep the package external or copy the file next to the bundle.";
    BadRequest = "bad_request", "bad_request",
        "400: Pilot Status refused the request (`code` may say why, e.g. NUMBER_REQUIRED).";
    Unauthorized = "unauthorized", "unauthorized",
        "401: the key is missing, wrong or revoked.";
    TenantKeyNotAllowed = "tenant_key_not_allowed", "forbidden",
        "403 TENANT_SCOPE_NOT_ALLOWED: a tenant key on a per-number route (use a number key or whatsappNumberId).";
    NumberKeyNotAllowed = "number_key_not_allowed", "forbidden",
        "403 NUMBER_SCOPE_NOT_ALLOWED: a number key on a tenant-only route (use the tenant key).";
    Forbidden = "forbidden", "forbidden",
        "Another 403 (e.g. PERMISSION_DENIED).";
    NotFound = "not_found", "not_found",
        "404: no such number, webhook or token in this key's scope.";
    WebhookExists = "webhook_exists", "conflict",
        "409 on webhooks.create: the number already has a webhook, most likely the customer's own; keep it (never PATCH or delete it to make room).";
    Conflict = "conflict", "conflict",
        "Another 409 (`code`: NUMBER_SOFT_DELETED, NUMBER_ALREADY_ACTIVE, …).";
    RateLimited = "rate_limited", "rate_limited",
        "429: wait `retryAfterMs` (when the server said) before trying again.";
    ServerError = "server_error", "server",
        "5xx from Pilot Status (GETs were already retried).";
    Redirect = "redirect", "http",
        "A 3xx: redirects are never followed, so the key never travels to another host.";
    HttpStatus = "http_status", "http",
        "Another non-2xx status (e.g. 402).";
    Decode = "decode", "decode",
        "A 2xx answer that does not fit (an id the contract always returns is missing, …): `path` names the JSON path, `details.parser` has the parser's text.";
    InvalidEvent = "invalid_event", "decode",
        "verifyWebhook: correctly signed, but the body is not a Pilot Status event (answer 400).";
    RawBodyRequired = "raw_body_required", "raw_body_required",
        "The webhook body is not the bytes as received (a body parser ran first, or it was re-serialised): `code` says which.";
    EdgeRefused = "edge_refused", "edge",
        "relayWebhook: the edge worker answered a non-2xx (`code` is its error code).";
    Network = "network", "network",
        "The request did not complete: connection refused or dropped, DNS, TLS.";
    Timeout = "timeout", "timeout",
        "No answer within `timeoutMs`.";
    TokenMalformed = "token_malformed", "token",
        "verifyConnectToken: not a compact HS256 JWS.";
    TokenUnsupportedAlgorithm = "token_unsupported_algorithm", "token",
        "verifyConnectToken: `alg` is not HS256 (`none` included).";
    TokenBadSignature = "token_bad_signature", "token",
        "verifyConnectToken: signed with another secret, or altered.";
    TokenExpired = "token_expired", "token",
        "verifyConnectToken: past `exp` (beyond the leeway).";
    TokenNotYetValid = "token_not_yet_valid", "token",
        "verifyConnectToken: before `nbf` / `iat` (beyond the leeway).";
    TokenTooLongLived = "token_too_long_lived", "token",
        "verifyConnectToken: a lifetime over one hour.";
    TokenWrongAudience = "token_wrong_audience", "token",
        "verifyConnectToken: `aud` is not this audience.";
    TokenOriginMismatch = "token_origin_mismatch", "token",
        "verifyConnectToken: the request's Origin is not the token's `origin`.";
    TokenInvalidClaims = "token_invalid_claims", "token",
        "verifyConnectToken: claims that no valid token has (empty `sub`, `exp` before `iat`, …).";
    SignatureMissing = "signature_missing", "signature",
        "verifyWebhook: no x-pilot-status-signature header (answer 401).";
    SignatureMalformed = "signature_malformed", "signature",
        "verifyWebhook: the header is not one hex HMAC-SHA256 (answer 401).";
    SignatureMismatch = "signature_mismatch", "signature",
        "verifyWebhook: the signature does not match the raw body and secret (answer 401).";
    Internal = "internal", "internal",
        "A fault of this package: please report it.";
}

impl Reason {
    /// The reason of a record built from its kind alone: the kind's generic reason
    /// (`validation` → `invalid_argument`, `forbidden` → `forbidden`, …); `internal` for a kind
    /// this table does not know.
    #[must_use]
    pub fn default_for(kind: &str) -> Self {
        match kind {
            "validation" => Self::InvalidArgument,
            "configuration" => Self::MissingSetting,
            "bad_request" => Self::BadRequest,
            "unauthorized" => Self::Unauthorized,
            "forbidden" => Self::Forbidden,
            "not_found" => Self::NotFound,
            "conflict" => Self::Conflict,
            "rate_limited" => Self::RateLimited,
            "server" => Self::ServerError,
            "http" => Self::HttpStatus,
            "decode" => Self::Decode,
            "raw_body_required" => Self::RawBodyRequired,
            "edge" => Self::EdgeRefused,
            "network" => Self::Network,
            "timeout" => Self::Timeout,
            "token" => Self::TokenMalformed,
            "signature" => Self::SignatureMalformed,
            _ => Self::Internal,
        }
    }
}

impl Serialize for Reason {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// The `index.js` block: the default reason of each kind, for errors the JavaScript side
/// raises itself (`{ kind: "timeout", … }` without a `reason`), between the markers.
#[must_use]
pub fn js_block() -> String {
    let mut kinds: Vec<&str> = Vec::new();
    for r in Reason::ALL {
        if !kinds.contains(&r.kind()) {
            kinds.push(r.kind());
        }
    }
    let pairs: Vec<String> = kinds
        .iter()
        .map(|k| format!("{k}: \"{}\"", Reason::default_for(k).as_str()))
        .collect();
    format!(
        "{DTS_BEGIN}\nconst DEFAULT_REASON = {{ {} }};\n{DTS_END}",
        pairs.join(", ")
    )
}

/// Marks the generated `ErrorReason` block in `index.d.ts`.
pub const DTS_BEGIN: &str =
    "// <reasons> generated from server/src/reason.rs: edit the table there";
/// Ends it.
pub const DTS_END: &str = "// </reasons>";

/// The `index.d.ts` block: `export type ErrorReason = | "…" // kind: doc`, between the markers.
#[must_use]
pub fn dts_block() -> String {
    let mut out = format!(
        "{DTS_BEGIN}\n/** Why it failed, in one stable word: `PilotStatusError.reason` (beside the API's `code`). */\nexport type ErrorReason =\n"
    );
    for r in Reason::ALL {
        out.push_str(&format!(
            "  | \"{}\" // {}: {}\n",
            r.as_str(),
            r.kind(),
            r.doc()
        ));
    }
    out.push_str(";\n");
    out.push_str(DTS_END);
    out
}
