//! Connect tokens: short-lived, number-scoped HS256 JWTs that the customer's backend mints and
//! the edge worker verifies. The browser carries one as `Authorization: Bearer …`, never in a URL.
//!
//! Claims: `sub` (number id), `aud` (the worker), `iat`, `exp` (at most one hour after `iat`),
//! optional `nbf`, `link` (`primary`/`secondary`) and `origin` (the page allowed to use it).
//! Verification accepts `alg: HS256` only, so `none` and algorithm confusion are refused.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::model::Link;
use crate::secret::ConnectTokenSecret;

/// Longest allowed lifetime.
pub const MAX_TTL_SECS: u64 = 3600;
/// Default clock-skew allowance.
pub const DEFAULT_LEEWAY_SECS: u64 = 30;
/// Tokens longer than this are refused unparsed.
pub const MAX_TOKEN_LEN: usize = 4096;

/// The claims of a connect token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectClaims {
    /// The number id this token may pair.
    pub sub: String,
    /// The worker it is for.
    pub aud: String,
    /// Issued at (Unix seconds).
    pub iat: u64,
    /// Expires at (Unix seconds).
    pub exp: u64,
    /// Not before (Unix seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
    /// Which link to pair (primary when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<Link>,
    /// The only page origin allowed to use the token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    /// `true`: Pilot Status's lifecycle webhooks for this number reach the edge (a hook of its
    /// own, relayed by the backend, or the edge in front: whatever `provisionEdge` set up), so
    /// the number's session need not poll its status while it pairs. Absent: not known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhooks: Option<bool>,
}

impl ConnectClaims {
    /// Claims for `number_id` and `audience`, valid `ttl_secs` from `now`.
    #[must_use]
    pub fn new(
        number_id: impl Into<String>,
        audience: impl Into<String>,
        now: u64,
        ttl_secs: u64,
    ) -> Self {
        Self {
            sub: number_id.into(),
            aud: audience.into(),
            iat: now,
            exp: now.saturating_add(ttl_secs),
            nbf: None,
            link: None,
            origin: None,
            webhooks: None,
        }
    }

    /// Restricts the token to one page origin.
    #[must_use]
    pub fn with_origin(mut self, origin: impl Into<String>) -> Self {
        self.origin = Some(origin.into());
        self
    }

    /// Pairs the given link.
    #[must_use]
    pub fn with_link(mut self, link: Link) -> Self {
        self.link = Some(link);
        self
    }

    /// Says whether the number's lifecycle webhooks reach the edge (see [`Self::webhooks`]).
    #[must_use]
    pub fn with_webhooks(mut self, reach_the_edge: bool) -> Self {
        self.webhooks = Some(reach_the_edge);
        self
    }
}

/// Why a token was refused (or could not be minted).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// Not three base64url parts of JSON.
    #[error("malformed token: {0}")]
    Malformed(&'static str),
    /// `alg` other than HS256 (including `none`).
    #[error("unsupported algorithm {0:?}: only HS256 is accepted")]
    UnsupportedAlgorithm(String),
    /// The MAC does not match.
    #[error("bad signature")]
    BadSignature,
    /// `exp` is past.
    #[error("token expired")]
    Expired,
    /// `nbf`/`iat` is in the future.
    #[error("token not yet valid")]
    NotYetValid,
    /// `exp` more than an hour ahead of now or of `iat`.
    #[error("token lifetime exceeds one hour")]
    TooLongLived,
    /// `aud` is not this worker.
    #[error("token audience does not match")]
    WrongAudience,
    /// `origin` claim differs from the request's `Origin`.
    #[error("token origin does not match the request origin")]
    OriginMismatch,
    /// A claim is missing or invalid.
    #[error("invalid claims: {0}")]
    InvalidClaims(&'static str),
}

#[derive(Serialize, Deserialize)]
struct Header {
    alg: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    typ: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    crit: Option<serde_json::Value>,
}

fn mac(secret: &ConnectTokenSecret) -> Hmac<Sha256> {
    match Hmac::<Sha256>::new_from_slice(secret.expose().as_bytes()) {
        Ok(m) => m,
        Err(_) => unreachable!("HMAC-SHA256 accepts keys of any length"),
    }
}

fn check_claims_shape(c: &ConnectClaims) -> Result<(), TokenError> {
    if c.sub.trim().is_empty() {
        return Err(TokenError::InvalidClaims("sub is empty"));
    }
    if c.aud.trim().is_empty() {
        return Err(TokenError::InvalidClaims("aud is empty"));
    }
    if c.exp <= c.iat {
        return Err(TokenError::InvalidClaims("exp must be after iat"));
    }
    if c.exp - c.iat > MAX_TTL_SECS {
        return Err(TokenError::TooLongLived);
    }
    if let Some(Link::Unknown(_)) = c.link {
        return Err(TokenError::InvalidClaims(
            "link must be primary or secondary",
        ));
    }
    Ok(())
}

/// Signs `claims` into a compact JWS.
///
/// # Errors
/// [`TokenError::InvalidClaims`] / [`TokenError::TooLongLived`] for claims a verifier would refuse
/// (including claims so long that the token would exceed [`MAX_TOKEN_LEN`]).
pub fn mint(secret: &ConnectTokenSecret, claims: &ConnectClaims) -> Result<String, TokenError> {
    check_claims_shape(claims)?;
    let header = Header {
        alg: "HS256".into(),
        typ: Some("JWT".into()),
        crit: None,
    };
    let enc = |v: &[u8]| URL_SAFE_NO_PAD.encode(v);
    let h = serde_json::to_vec(&header).map_err(|_| TokenError::Malformed("header"))?;
    let p = serde_json::to_vec(claims).map_err(|_| TokenError::InvalidClaims("claims"))?;
    let mut token = enc(&h);
    token.push('.');
    token.push_str(&enc(&p));
    let mut m = mac(secret);
    m.update(token.as_bytes());
    let sig = m.finalize().into_bytes();
    token.push('.');
    token.push_str(&enc(&sig));
    // Never hand out a token that `verify` would refuse (found by the connect_token fuzz target).
    if token.len() > MAX_TOKEN_LEN {
        return Err(TokenError::InvalidClaims("claims too long for a token"));
    }
    Ok(token)
}

/// What a verifier checks against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyOptions<'a> {
    /// This worker's audience.
    pub audience: &'a str,
    /// Current Unix time in seconds.
    pub now: u64,
    /// Clock-skew allowance.
    pub leeway_secs: u64,
    /// The request's `Origin` header, if any.
    pub request_origin: Option<&'a str>,
}

impl<'a> VerifyOptions<'a> {
    /// Options with [`DEFAULT_LEEWAY_SECS`].
    #[must_use]
    pub fn new(audience: &'a str, now: u64, request_origin: Option<&'a str>) -> Self {
        Self {
            audience,
            now,
            leeway_secs: DEFAULT_LEEWAY_SECS,
            request_origin,
        }
    }
}

/// Verifies a token against several secrets: the current one and those still accepted while
/// the secret rotates (the worker's `CONNECT_TOKEN_SECRET` and `CONNECT_TOKEN_SECRETS`).
///
/// The first secret whose signature matches decides: its claims, or the claim check that
/// failed (an expired token stays expired whichever secret signed it).
///
/// # Errors
/// [`TokenError::BadSignature`] when no secret signed it (also for an empty list); otherwise
/// what [`verify`] says for the secret that did.
pub fn verify_with_any(
    secrets: &[ConnectTokenSecret],
    token: &str,
    opts: &VerifyOptions<'_>,
) -> Result<ConnectClaims, TokenError> {
    for secret in secrets {
        match verify(secret, token, opts) {
            Err(TokenError::BadSignature) => {}
            decided => return decided,
        }
    }
    Err(TokenError::BadSignature)
}

/// Verifies a compact JWS and returns its claims.
///
/// # Errors
/// [`TokenError`] naming the first check that failed; the signature is checked before any
/// claim is trusted.
pub fn verify(
    secret: &ConnectTokenSecret,
    token: &str,
    opts: &VerifyOptions<'_>,
) -> Result<ConnectClaims, TokenError> {
    if token.is_empty() || token.len() > MAX_TOKEN_LEN {
        return Err(TokenError::Malformed("empty or too long"));
    }
    let mut parts = token.split('.');
    let (Some(h64), Some(p64), Some(s64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenError::Malformed("expected three dot-separated parts"));
    };
    let header: Header = URL_SAFE_NO_PAD
        .decode(h64)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or(TokenError::Malformed("header"))?;
    if header.alg != "HS256" {
        return Err(TokenError::UnsupportedAlgorithm(header.alg));
    }
    if header.crit.is_some() {
        return Err(TokenError::Malformed("crit extensions are not supported"));
    }
    let sig = URL_SAFE_NO_PAD
        .decode(s64)
        .map_err(|_| TokenError::Malformed("signature"))?;
    let mut m = mac(secret);
    m.update(h64.as_bytes());
    m.update(b".");
    m.update(p64.as_bytes());
    m.verify_slice(&sig).map_err(|_| TokenError::BadSignature)?;

    let claims: ConnectClaims = URL_SAFE_NO_PAD
        .decode(p64)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or(TokenError::Malformed("claims"))?;
    check_claims_shape(&claims)?;
    let now = opts.now;
    let leeway = opts.leeway_secs;
    if now > claims.exp.saturating_add(leeway) {
        return Err(TokenError::Expired);
    }
    let not_before = claims.nbf.unwrap_or(claims.iat).max(claims.iat);
    if not_before > now.saturating_add(leeway) {
        return Err(TokenError::NotYetValid);
    }
    if claims.exp > now.saturating_add(MAX_TTL_SECS).saturating_add(leeway) {
        return Err(TokenError::TooLongLived);
    }
    if claims.aud != opts.audience {
        return Err(TokenError::WrongAudience);
    }
    if let Some(bound) = &claims.origin {
        if opts.request_origin != Some(bound.as_str()) {
            return Err(TokenError::OriginMismatch);
        }
    }
    Ok(claims)
}
