//! Connect tokens: short-lived, number-scoped HS256 JWTs that the customer's backend mints and
//! the edge worker verifies. The browser carries one as `Authorization: Bearer …`, never in a URL.
//!
//! Claims: `sub` (number id), `aud` (the worker), `iat`, `exp` (at most one hour after `iat`),
//! optional `nbf`, `link` (`primary`/`secondary`) and `origin` (the page allowed to use it).
//! Verification accepts `alg: HS256` only, so `none` and algorithm confusion are refused.
//!
//! Two kinds: a **number** token (`sub` is a number id) and a **pairing-link** token (`rp`
//! names a Meta remote-pairing link that has no number yet; `sub` is the link's token). A
//! pairing-link token's header lists [`KIND_HEADER`] in `crit` (RFC 7515 §4.1.11): an edge of
//! 0.3.0 or earlier refuses every `crit` token (`invalid_token`) instead of reading the link's
//! token as a number id.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::model::{Link, Provider};
use crate::secret::ConnectTokenSecret;
use crate::validate;

/// Longest allowed lifetime.
pub const MAX_TTL_SECS: u64 = 3600;
/// Default clock-skew allowance.
pub const DEFAULT_LEEWAY_SECS: u64 = 30;
/// Tokens longer than this are refused unparsed.
pub const MAX_TOKEN_LEN: usize = 4096;
/// The header parameter a pairing-link token names in `crit`.
pub const KIND_HEADER: &str = "pck";
/// Its value for a pairing-link token.
pub const KIND_REMOTE_PAIRING: &str = "remotePairing";
/// How long a remote-pairing link lives once created (24 h, documented).
pub const LINK_LIFETIME_SECS: u64 = 24 * 3600;
/// Where Pilot Status hosts a link when only its token is known (the embed-connect guide's
/// `remotePairingUrl`).
pub const DEFAULT_LINK_PAGE: &str = "https://connect.pilotstatus.com.br/connect/";

/// The longest `externalRef` a pairing-link token carries.
pub const MAX_REF_LEN: usize = 255;

/// Whether `s` may name a pairing link's session as its `externalRef`.
#[must_use]
pub fn is_external_ref(s: &str) -> bool {
    !s.is_empty() && s.len() <= MAX_REF_LEN && !s.chars().any(|c| c.is_control() || c == '|')
}

/// The pairing link a token of that kind is for (claim `rp`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemotePairingClaim {
    /// The link's token (`remotePairingToken`, or the last path segment of its URL).
    pub token: String,
    /// Pilot Status's hosted page for it (`remotePairingUrl`): `https:` (or `http:` on loopback).
    pub url: String,
    /// The link's provider. Only `META` links get tokens of this kind: a `PILOT_STATUS` link
    /// comes with a number id, and a number token pairs it by QR.
    pub provider: Provider,
    /// When the link stops being valid (Unix seconds; created + 24 h).
    pub exp: u64,
    /// The `externalRef` the link was created with: a webhook whose `data.externalRef` names it
    /// reaches this link's session ([I]: where Pilot Status echoes it is not documented).
    #[serde(default, rename = "ref", skip_serializing_if = "Option::is_none")]
    pub external_ref: Option<String>,
}

impl RemotePairingClaim {
    /// The claim for a link given as its token or its URL, valid until `link_exp`.
    ///
    /// # Errors
    /// [`TokenError::InvalidClaims`] when `token_or_url` is neither a link token nor a link URL
    /// ([`validate::page_url`]'s rule, the token as its last path segment).
    pub fn meta(token_or_url: &str, link_exp: u64) -> Result<Self, TokenError> {
        let raw = token_or_url.trim();
        let (token, url) = if raw.contains("://") {
            let url = validate::page_url("remotePairing", raw).map_err(|_| {
                TokenError::InvalidClaims(
                    "remotePairing URL must be https:// (or http:// on loopback)",
                )
            })?;
            let path = url.split(['?', '#']).next().unwrap_or_default();
            let token = path.rsplit('/').next().unwrap_or_default().to_owned();
            (token, url)
        } else {
            (raw.to_owned(), format!("{DEFAULT_LINK_PAGE}{raw}"))
        };
        let claim = Self {
            token,
            url,
            provider: Provider::Meta,
            exp: link_exp,
            external_ref: None,
        };
        claim.check()?;
        Ok(claim)
    }

    /// With the `externalRef` the link was created with.
    ///
    /// # Errors
    /// [`TokenError::InvalidClaims`] when it is empty, longer than [`MAX_REF_LEN`] or holds a
    /// control character or `|`.
    pub fn with_external_ref(mut self, external_ref: &str) -> Result<Self, TokenError> {
        self.external_ref = Some(external_ref.to_owned());
        self.check()?;
        Ok(self)
    }

    fn check(&self) -> Result<(), TokenError> {
        if let Some(r) = &self.external_ref {
            if !is_external_ref(r) {
                return Err(TokenError::InvalidClaims(
                    "the pairing link's externalRef must be 1-255 characters, no control characters or |",
                ));
            }
        }
        let token_ok = !self.token.is_empty()
            && self.token.len() <= 256
            && self
                .token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~'));
        if !token_ok {
            return Err(TokenError::InvalidClaims(
                "the pairing link's token must be 1-256 URL-safe characters",
            ));
        }
        if validate::page_url("rp.url", &self.url).is_err() {
            return Err(TokenError::InvalidClaims(
                "the pairing link's URL must be https:// (or http:// on loopback)",
            ));
        }
        if self.provider != Provider::Meta {
            return Err(TokenError::InvalidClaims(
                "only META pairing links take this token: a PILOT_STATUS link has a numberId, mint a number token for it",
            ));
        }
        Ok(())
    }
}

/// The claims of a connect token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectClaims {
    /// The number id this token may pair (a pairing-link token: the link's token).
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
    /// A pairing-link token's link (then the header's `crit` names [`KIND_HEADER`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rp: Option<RemotePairingClaim>,
    /// The link's own branding snapshot (the `branding`/`brandingOverride` it was created
    /// with), for the widget: page options > this > the tenant's. Fields are checked where
    /// they are shown (the wire's `Branding` rules).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branding: Option<serde_json::Map<String, serde_json::Value>>,
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
            rp: None,
            branding: None,
        }
    }

    /// Claims for a Meta pairing link (`sub` is its token), valid `ttl_secs` from `now`.
    #[must_use]
    pub fn remote_pairing(
        link: RemotePairingClaim,
        audience: impl Into<String>,
        now: u64,
        ttl_secs: u64,
    ) -> Self {
        let mut c = Self::new(link.token.clone(), audience, now, ttl_secs);
        c.rp = Some(link);
        c
    }

    /// Carries the link's branding snapshot to the widget.
    #[must_use]
    pub fn with_branding(mut self, branding: serde_json::Map<String, serde_json::Value>) -> Self {
        self.branding = Some(branding);
        self
    }

    /// The pairing link, when this is a pairing-link token.
    #[must_use]
    pub fn remote_pairing_link(&self) -> Option<&RemotePairingClaim> {
        self.rp.as_ref()
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pck: Option<serde_json::Value>,
}

impl Header {
    /// The header for `claims`: a pairing-link token is marked critical.
    fn for_claims(claims: &ConnectClaims) -> Self {
        let link = claims.rp.is_some();
        Self {
            alg: "HS256".into(),
            typ: Some("JWT".into()),
            crit: link.then(|| serde_json::json!([KIND_HEADER])),
            pck: link.then(|| KIND_REMOTE_PAIRING.into()),
        }
    }

    /// Whether the header is a number token's (no `crit`) or a pairing-link token's (`crit`
    /// naming exactly [`KIND_HEADER`], which says `remotePairing`): `Some(is_link)`. Any other
    /// critical extension is unknown to this version: `None`.
    fn kind(&self) -> Option<bool> {
        match (&self.crit, &self.pck) {
            (None, None) => Some(false),
            (Some(crit), Some(pck)) => {
                let ours = crit
                    .as_array()
                    .is_some_and(|a| a.len() == 1 && a[0].as_str() == Some(KIND_HEADER))
                    && pck.as_str() == Some(KIND_REMOTE_PAIRING);
                ours.then_some(true)
            }
            // `pck` outside `crit` (or the reverse) is not a token we mint.
            _ => None,
        }
    }
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
    if let Some(rp) = &c.rp {
        rp.check()?;
        if c.sub != rp.token {
            return Err(TokenError::InvalidClaims(
                "sub must be the pairing link's token",
            ));
        }
        if c.link == Some(Link::Secondary) {
            return Err(TokenError::InvalidClaims(
                "a pairing link has no secondary link: link must be absent or primary",
            ));
        }
        // A link lives 24 h from its creation, before the token was minted. (One already
        // expired is the edge's to answer: `link_expired`, with no call.)
        if rp.exp > c.iat.saturating_add(LINK_LIFETIME_SECS) {
            return Err(TokenError::InvalidClaims(
                "the pairing link's exp must be at most 24 h after iat",
            ));
        }
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
    let header = Header::for_claims(claims);
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
    let Some(is_link) = header.kind() else {
        return Err(TokenError::Malformed("unknown crit extension"));
    };
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
    // The header and the claims say the same kind, or the token is not one we minted.
    if is_link != claims.rp.is_some() {
        return Err(TokenError::InvalidClaims(
            "a pairing link's claims need its crit header, and only they",
        ));
    }
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
