//! The one table of error reasons: every `PilotStatusError` carries one of these in `reason`,
//! next to the API's own `code` (often absent). Stable strings a caller can `switch` on; each
//! belongs to one [`Kind`] (its own table here). `index.d.ts`'s `ErrorKind` and `ErrorReason`
//! unions are generated from these tables ([`dts_block`]) and a test (`server/tests/bindings.rs`)
//! fails when they differ.

use serde::{Serialize, Serializer};

macro_rules! reasons {
    ($( $variant:ident = $name:literal, $kind:ident, $doc:literal; )+) => {
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
            pub fn kind(self) -> Kind {
                match self { $(Reason::$variant => Kind::$kind,)+ }
            }

            /// What it means and what to do.
            #[must_use]
            pub fn doc(self) -> &'static str {
                match self { $(Reason::$variant => $doc,)+ }
            }
        }
    };
}

macro_rules! kinds {
    ($( $variant:ident = $name:literal, $default:ident, $doc:literal; )+) => {
        /// What sort of failure (`PilotStatusError.kind`): the coarse switch; [`Reason`] is the
        /// fine one.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Kind {
            $( #[doc = $doc] $variant, )+
        }

        impl Kind {
            /// Every kind, in table order.
            pub const ALL: &'static [Kind] = &[$(Kind::$variant),+];

            /// The JS string (`rate_limited`).
            #[must_use]
            pub fn as_str(self) -> &'static str {
                match self { $(Kind::$variant => $name,)+ }
            }

            /// The reason of an error of this kind that says no more (`validation` →
            /// `invalid_argument`, `forbidden` → `forbidden`, …).
            #[must_use]
            pub fn default_reason(self) -> Reason {
                match self { $(Kind::$variant => Reason::$default,)+ }
            }

            /// What it means.
            #[must_use]
            pub fn doc(self) -> &'static str {
                match self { $(Kind::$variant => $doc,)+ }
            }
        }

        impl Serialize for Kind {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
    };
}

kinds! {
    Validation = "validation", InvalidArgument, "refused before sending: `field` / `path` name the input";
    Configuration = "configuration", MissingSetting, "a key or secret missing, empty or too short (an unset env var?), or a keyed call on a client without a key: `field` names the option; nothing was sent";
    BadRequest = "bad_request", BadRequest, "400";
    Unauthorized = "unauthorized", Unauthorized, "401";
    Forbidden = "forbidden", Forbidden, "403 (`code`: TENANT_SCOPE_NOT_ALLOWED, NUMBER_SCOPE_NOT_ALLOWED, PERMISSION_DENIED…)";
    NotFound = "not_found", NotFound, "404";
    Conflict = "conflict", Conflict, "409 (other than connect's \"already connected\", which is a state)";
    RateLimited = "rate_limited", RateLimited, "429: see `retryAfterMs`";
    Server = "server", ServerError, "5xx";
    Http = "http", HttpStatus, "another status (402, 3xx: redirects are never followed)";
    Decode = "decode", Decode, "a 2xx body that does not fit: `path` is the JSON path";
    Network = "network", Network, "the request did not complete (connection refused or dropped, DNS, TLS)";
    Timeout = "timeout", Timeout, "no answer within `timeoutMs`";
    Token = "token", TokenMalformed, "verifyConnectToken: `code` names the failed check";
    Signature = "signature", SignatureMalformed, "verifyWebhook: `code` is missing | malformed | mismatch";
    RawBodyRequired = "raw_body_required", RawBodyRequired, "verifyWebhook / relayWebhook got a parsed body, not the bytes as received: `code` is parsed | missing | reserialised";
    Edge = "edge", EdgeRefused, "relayWebhook: the edge worker answered non-2xx; `status`, and `code` its public error code (e.g. invalid_signature)";
    Internal = "internal", Internal, "a fault of this package: please report it";
}

reasons! {
    InvalidArgument = "invalid_argument", Validation,
        "An argument or option was refused before anything was sent; `field` / `path` name it.";
    UnknownArgument = "unknown_argument", Validation,
        "An argument or option this version does not know (a typo?); nothing was sent.";
    MissingApiKey = "missing_api_key", Configuration,
        "`apiKey` / `apiKeyId` given but undefined or empty (an unset PS_API_KEY?), or a keyed call on a client built without a key.";
    MissingSecret = "missing_secret", Configuration,
        "A connect-token or webhook secret that is undefined or empty (an unset environment variable?).";
    SecretTooShort = "secret_too_short", Configuration,
        "A connect-token secret shorter than 32 bytes.";
    MissingSetting = "missing_setting", Configuration,
        "Another deployment setting (e.g. `edgeUrl`) that is undefined or empty; `field` names it.";
    MissingWasm = "missing_wasm", Configuration,
        "pilot_connect_server_bg.wasm is not where the loader looks: keep the package external or copy the file next to the bundle.";
    BadRequest = "bad_request", BadRequest,
        "400: Pilot Status refused the request (`code` may say why, e.g. NUMBER_REQUIRED).";
    Unauthorized = "unauthorized", Unauthorized,
        "401: the key is missing, wrong or revoked.";
    TenantKeyNotAllowed = "tenant_key_not_allowed", Forbidden,
        "403 TENANT_SCOPE_NOT_ALLOWED: a tenant key on a per-number route (use a number key or whatsappNumberId).";
    NumberKeyNotAllowed = "number_key_not_allowed", Forbidden,
        "403 NUMBER_SCOPE_NOT_ALLOWED: a number key on a tenant-only route (use the tenant key).";
    Forbidden = "forbidden", Forbidden,
        "Another 403 (e.g. PERMISSION_DENIED).";
    NotFound = "not_found", NotFound,
        "404: no such number, webhook or token in this key's scope.";
    WebhookExists = "webhook_exists", Conflict,
        "409 on webhooks.create: the number already has a webhook, most likely the customer's own; keep it (never PATCH or delete it to make room).";
    Conflict = "conflict", Conflict,
        "Another 409 (`code`: NUMBER_SOFT_DELETED, NUMBER_ALREADY_ACTIVE, …).";
    RateLimited = "rate_limited", RateLimited,
        "429: wait `retryAfterMs` (when the server said) before trying again.";
    ServerError = "server_error", Server,
        "5xx from Pilot Status (GETs were already retried).";
    Redirect = "redirect", Http,
        "A 3xx: redirects are never followed, so the key never travels to another host.";
    HttpStatus = "http_status", Http,
        "Another non-2xx status (e.g. 402).";
    Decode = "decode", Decode,
        "A 2xx answer that does not fit (an id the contract always returns is missing, …): `path` names the JSON path, `details.parser` has the parser's text.";
    InvalidEvent = "invalid_event", Decode,
        "verifyWebhook: correctly signed, but the body is not a Pilot Status event (answer 400).";
    RawBodyRequired = "raw_body_required", RawBodyRequired,
        "The webhook body is not the bytes as received (a body parser ran first, or it was re-serialised): `code` says which.";
    EdgeRefused = "edge_refused", Edge,
        "relayWebhook: the edge worker answered a non-2xx (`code` is its error code).";
    Network = "network", Network,
        "The request did not complete: connection refused or dropped, DNS, TLS.";
    Timeout = "timeout", Timeout,
        "No answer within `timeoutMs`.";
    TokenMalformed = "token_malformed", Token,
        "verifyConnectToken: not a compact HS256 JWS.";
    TokenUnsupportedAlgorithm = "token_unsupported_algorithm", Token,
        "verifyConnectToken: `alg` is not HS256 (`none` included).";
    TokenBadSignature = "token_bad_signature", Token,
        "verifyConnectToken: signed with another secret, or altered.";
    TokenExpired = "token_expired", Token,
        "verifyConnectToken: past `exp` (beyond the leeway).";
    TokenNotYetValid = "token_not_yet_valid", Token,
        "verifyConnectToken: before `nbf` / `iat` (beyond the leeway).";
    TokenTooLongLived = "token_too_long_lived", Token,
        "verifyConnectToken: a lifetime over one hour.";
    TokenWrongAudience = "token_wrong_audience", Token,
        "verifyConnectToken: `aud` is not this audience.";
    TokenOriginMismatch = "token_origin_mismatch", Token,
        "verifyConnectToken: the request's Origin is not the token's `origin`.";
    TokenInvalidClaims = "token_invalid_claims", Token,
        "verifyConnectToken: claims that no valid token has (empty `sub`, `exp` before `iat`, …).";
    SignatureMissing = "signature_missing", Signature,
        "verifyWebhook: no x-pilot-status-signature header (answer 401).";
    SignatureMalformed = "signature_malformed", Signature,
        "verifyWebhook: the header is not one hex HMAC-SHA256 (answer 401).";
    SignatureMismatch = "signature_mismatch", Signature,
        "verifyWebhook: the signature does not match the raw body and secret (answer 401).";
    Internal = "internal", Internal,
        "A fault of this package: please report it.";
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
    let pairs: Vec<String> = Kind::ALL
        .iter()
        .map(|k| format!("{}: \"{}\"", k.as_str(), k.default_reason().as_str()))
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

/// The `index.d.ts` block: `export type ErrorKind = | "…" // doc` and `export type ErrorReason =
/// | "…" // kind: doc`, between the markers.
#[must_use]
pub fn dts_block() -> String {
    let mut out = format!("{DTS_BEGIN}\nexport type ErrorKind =\n");
    for k in Kind::ALL {
        out.push_str(&format!("  | \"{}\" // {}\n", k.as_str(), k.doc()));
    }
    out.push_str(";\n\n/** Why it failed, in one stable word: `PilotStatusError.reason` (beside the API's `code`). */\nexport type ErrorReason =\n");
    for r in Reason::ALL {
        out.push_str(&format!(
            "  | \"{}\" // {}: {}\n",
            r.as_str(),
            r.kind().as_str(),
            r.doc()
        ));
    }
    out.push_str(";\n");
    out.push_str(DTS_END);
    out
}

impl Reason {
    /// The failed check's code of a token or signature reason (`token_expired` → `expired`,
    /// `signature_missing` → `missing`): `PilotStatusError.code` for those kinds.
    #[must_use]
    pub fn check_code(self) -> Option<&'static str> {
        let prefix = match self.kind() {
            Kind::Token => "token_",
            Kind::Signature => "signature_",
            _ => return None,
        };
        self.as_str().strip_prefix(prefix)
    }
}

/// Marks the generated code and event-name unions in `index.d.ts`.
pub const CODES_BEGIN: &str =
    "// <codes> generated from the core's and the edge's lists (server/src/reason.rs codes_block)";
/// Ends it.
pub const CODES_END: &str = "// </codes>";

fn union(out: &mut String, doc: &str, name: &str, open: bool, items: &[&str]) {
    out.push_str(&format!("/** {doc} */\nexport type {name} ="));
    out.push_str(if open { " Open<\n" } else { "\n" });
    for item in items {
        out.push_str(&format!("  | \"{item}\"\n"));
    }
    out.push_str(if open { ">;\n" } else { ";\n" });
}

/// The `index.d.ts` block: the API's error codes (the core's `model::ErrorCode`), the failed
/// checks of tokens and signatures (this table's reasons), the edge worker's public error codes
/// (`pilot_connect::public::PublicErrorCode`), and the event names (the core's lists).
#[must_use]
pub fn codes_block() -> String {
    use pilot_connect::model::ErrorCode;
    use pilot_connect::public::PublicErrorCode;
    use pilot_connect::webhook::{EDGE_EVENTS, NUMBER_DATA_EVENTS};
    let checks = |kind: Kind| -> Vec<&'static str> {
        Reason::ALL
            .iter()
            .filter(|r| r.kind() == kind)
            .filter_map(|r| r.check_code())
            .collect()
    };
    let edge: Vec<&str> = PublicErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    let number: Vec<&str> = NUMBER_DATA_EVENTS.iter().map(|e| e.as_str()).collect();
    let lifecycle: Vec<&str> = EDGE_EVENTS.iter().map(|e| e.as_str()).collect();
    let mut out = format!("{CODES_BEGIN}\n");
    union(
        &mut out,
        "The `code` of a Pilot Status error body: the documented set (the server may add more).",
        "ApiErrorCode",
        true,
        ErrorCode::KNOWN,
    );
    union(
        &mut out,
        "`verifyConnectToken`'s failed check (`kind: \"token\"`).",
        "TokenErrorCode",
        false,
        &checks(Kind::Token),
    );
    union(
        &mut out,
        "`verifyWebhook`'s failed check (`kind: \"signature\"`).",
        "SignatureErrorCode",
        false,
        &checks(Kind::Signature),
    );
    union(
        &mut out,
        "The edge worker's public error codes (`relayWebhook`'s `code` when the edge refused, `kind: \"edge\"`).",
        "EdgeErrorCode",
        false,
        &edge,
    );
    union(
        &mut out,
        "The events whose `data` is a `NumberEventData` (the core's `NUMBER_DATA_EVENTS`).",
        "NumberEventName",
        false,
        &number,
    );
    union(
        &mut out,
        "The four lifecycle events the edge worker acts on (the core's `EDGE_EVENTS`).",
        "EdgeEventName",
        false,
        &lifecycle,
    );
    out.push_str(CODES_END);
    out
}

/// Marks the generated string enums of the models at the top of `index.d.ts`.
pub const ENUMS_BEGIN: &str =
    "// <enums> generated from the core's open enums (server/src/reason.rs enums_block)";
/// Ends it.
pub const ENUMS_END: &str = "// </enums>";

/// The `index.d.ts` block of the models' string enums: `NumberState` and `Provider` (open: a
/// later server may add values) and `Link`, from the core's lists.
#[must_use]
pub fn enums_block() -> String {
    use pilot_connect::model::{NumberState, Provider};
    use pilot_connect::Link;
    let inline = |items: &[&str]| {
        items
            .iter()
            .map(|i| format!("\"{i}\""))
            .collect::<Vec<_>>()
            .join(" | ")
    };
    format!(
        "{ENUMS_BEGIN}\n\
         /** Connection state of a number (or of one link). `CLOSED` from one doc page is read as `CLOSE`. */\n\
         export type NumberState = Open<{}>;\n\
         export type Provider = Open<{}>;\n\
         export type Link = {};\n\
         {ENUMS_END}",
        inline(NumberState::KNOWN),
        inline(Provider::KNOWN),
        inline(Link::KNOWN),
    )
}
