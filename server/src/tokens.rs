//! Connect tokens and webhook signatures, with the worker's rules (they are the core's).

use pilot_connect::connect_token::{
    self, ConnectClaims, RemotePairingClaim, VerifyOptions, LINK_LIFETIME_SECS, MAX_TTL_SECS,
};
use pilot_connect::public::Branding;
use pilot_connect::validate;
use pilot_connect::webhook::{self, SignatureError, WebhookError, WebhookEvent};
use pilot_connect::{ConnectTokenSecret, Link, WebhookSecret};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::{ErrorRecord, Kind};
use crate::options::parse_args;
use crate::raw_body;

/// Lifetime of a minted token when the caller gives none.
pub const DEFAULT_TTL_SECS: u64 = 600;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct MintArgs {
    secret: Option<String>,
    number_id: Option<String>,
    /// A Meta pairing link: its `remotePairingToken` or `remotePairingUrl`.
    remote_pairing: Option<String>,
    /// When the link expires (Unix seconds); default 24 h after `now` (a link just created).
    remote_pairing_expires_at: Option<u64>,
    /// The link's branding snapshot (what it was created with).
    branding: Option<serde_json::Map<String, Value>>,
    /// The page the link was created to return to (its `redirectUrl`): checked, not carried.
    redirect_url: Option<String>,
    /// The link's `externalRef`: a webhook naming it reaches the link's session on the edge.
    external_ref: Option<String>,
    audience: String,
    origin: Option<String>,
    ttl_seconds: Option<u64>,
    link: Option<Link>,
    webhooks: Option<bool>,
    now: Option<u64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct VerifyArgs {
    secret: Option<String>,
    audience: String,
    origin: Option<String>,
    leeway_seconds: Option<u64>,
    now: Option<u64>,
}

/// Missing, `null` (the JS side's `undefined`), empty or short: `configuration`.
fn token_secret(raw: Option<&str>) -> Result<ConnectTokenSecret, ErrorRecord> {
    ConnectTokenSecret::new(raw.unwrap_or_default()).map_err(|e| {
        ErrorRecord::secret(
            "secret",
            &e,
            "the CONNECT_TOKEN_SECRET environment variable (shared with the worker)",
        )
    })
}

fn webhook_secret(raw: &str) -> Result<WebhookSecret, ErrorRecord> {
    WebhookSecret::new(raw).map_err(|e| {
        ErrorRecord::secret(
            "secret",
            &e,
            "the webhook signing secret's environment variable (e.g. PS_WEBHOOK_SECRET)",
        )
    })
}

/// Mints a connect token. `now` is Unix seconds (the caller's clock unless `args.now`).
///
/// # Errors
/// A `configuration` record for a missing, empty or short secret; a `validation` record for a
/// lifetime outside 1…3600 s, an empty number id or audience, an unknown `link`, both or
/// neither of `numberId` and `remotePairing`, a pairing link with `link: "secondary"`, a bad
/// link, branding field or `redirectUrl`.
pub fn mint(args: &str, now: u64) -> Result<String, ErrorRecord> {
    let a: MintArgs = parse_args(args)?;
    let secret = token_secret(a.secret.as_deref())?;
    let ttl = a.ttl_seconds.unwrap_or(DEFAULT_TTL_SECS);
    if !(1..=MAX_TTL_SECS).contains(&ttl) {
        return Err(ErrorRecord::invalid_argument(
            "ttlSeconds".into(),
            format!("ttlSeconds must be between 1 and {MAX_TTL_SECS}"),
        ));
    }
    let now = a.now.unwrap_or(now);
    let invalid =
        |field: &str, message: String| ErrorRecord::invalid_argument(field.into(), message);
    let mut claims = match (a.number_id, a.remote_pairing) {
        (Some(id), None) => {
            for (set, name) in [
                (a.remote_pairing_expires_at.is_some(), "remotePairingExpiresAt"),
                (a.branding.is_some(), "branding"),
                (a.redirect_url.is_some(), "redirectUrl"),
                (a.external_ref.is_some(), "externalRef"),
            ] {
                if set {
                    return Err(invalid(name, format!("{name} goes with remotePairing, not numberId")));
                }
            }
            ConnectClaims::new(id, a.audience, now, ttl)
        }
        (None, Some(link)) => {
            let link_exp = a
                .remote_pairing_expires_at
                .unwrap_or(now.saturating_add(LINK_LIFETIME_SECS));
            let mut rp = RemotePairingClaim::meta(&link, link_exp)
                .map_err(|e| invalid("remotePairing", e.to_string()))?;
            if let Some(r) = &a.external_ref {
                rp = rp
                    .with_external_ref(r)
                    .map_err(|e| invalid("externalRef", e.to_string()))?;
            }
            if a.link == Some(Link::Secondary) {
                return Err(invalid(
                    "link",
                    "a pairing link has no secondary link: leave link out".into(),
                ));
            }
            if let Some(url) = &a.redirect_url {
                check_redirect(url, a.origin.as_deref())?;
            }
            let mut c = ConnectClaims::remote_pairing(rp, a.audience, now, ttl);
            if let Some(b) = a.branding {
                let checked = Branding::check(|k| b.get(k).and_then(Value::as_str).map(str::to_owned))
                    .map_err(|f| {
                        invalid(
                            &format!("branding.{}", f.wire()),
                            format!("branding.{} is not a valid value", f.wire()),
                        )
                    })?;
                if let Value::Object(m) = checked.to_json() {
                    if !m.is_empty() {
                        c = c.with_branding(m);
                    }
                }
            }
            c
        }
        (Some(_), Some(_)) => {
            return Err(invalid(
                "remotePairing",
                "numberId and remotePairing are exclusive: a token is for a number or for a pairing link".into(),
            ))
        }
        (None, None) => {
            return Err(invalid(
                "numberId",
                "numberId (a number) or remotePairing (a Meta pairing link's token or URL) is required".into(),
            ))
        }
    };
    if let Some(origin) = a.origin {
        claims = claims.with_origin(origin);
    }
    if let Some(link) = a.link {
        claims = claims.with_link(link);
    }
    if let Some(webhooks) = a.webhooks {
        claims = claims.with_webhooks(webhooks);
    }
    connect_token::mint(&secret, &claims).map_err(|e| {
        // Claims a verifier would refuse are the caller's input: validation.
        ErrorRecord::from(&e).with_reason(crate::Reason::InvalidArgument)
    })
}

/// A pairing link's `redirectUrl` must be a page the widget runs on: https (http on loopback),
/// on the token's origin (the phone comes back to it and mounts the widget with a new token).
fn check_redirect(url: &str, origin: Option<&str>) -> Result<(), ErrorRecord> {
    let bad = |m: String| ErrorRecord::invalid_argument("redirectUrl".into(), m);
    let url = validate::page_url("redirectUrl", url).map_err(|e| bad(e.to_string()))?;
    let Some(origin) = origin else {
        return Err(bad(
            "redirectUrl needs origin: the page it returns to must be the token's page".into(),
        ));
    };
    if validate::origin_of(&url).as_deref() != Some(origin) {
        return Err(bad(format!(
            "redirectUrl must be on the token's origin {origin} (got {url})"
        )));
    }
    Ok(())
}

/// Verifies a connect token the way the worker does and answers its claims as JSON.
///
/// # Errors
/// A `token` record whose `code` names the first failed check; `configuration` for a missing or
/// short secret, `validation` for other bad options.
pub fn verify(token: &str, options: &str, now: u64) -> Result<String, ErrorRecord> {
    let a: VerifyArgs = parse_args(options)?;
    let secret = token_secret(a.secret.as_deref())?;
    let mut opts = VerifyOptions::new(&a.audience, a.now.unwrap_or(now), a.origin.as_deref());
    if let Some(leeway) = a.leeway_seconds {
        opts.leeway_secs = leeway.min(300);
    }
    let claims = connect_token::verify(&secret, token, &opts).map_err(|e| ErrorRecord::from(&e))?;
    serde_json::to_string(&claims).map_err(|e| ErrorRecord::new(Kind::Internal, e.to_string()))
}

/// Checks `x-pilot-status-signature` over the raw body, then parses the event:
/// `{kind: "number"|"other", event, data, dedupKey}` (`kind` mirrors [`WebhookEvent`]).
///
/// # Errors
/// A `signature` record (missing, malformed, mismatch) before anything is parsed; a `decode`
/// record (with the JSON path) for a signed body that is not an event; `raw_body_required`
/// (code `reserialised`) when the signature matches only another serialisation of the body.
pub fn verify_webhook(
    secret: &str,
    raw_body: &[u8],
    signature: Option<&str>,
) -> Result<String, ErrorRecord> {
    let secret = webhook_secret(secret)?;
    let event = webhook::verify_and_parse(&secret, raw_body, signature).map_err(|e| match e {
        // Signed, but not these bytes: the same JSON written another way (a body parser ran).
        WebhookError::Signature(SignatureError::Mismatch)
            if raw_body::signed_in_another_form(&secret, raw_body, signature) =>
        {
            raw_body::reserialised("verifyWebhook")
        }
        e => ErrorRecord::from(&e),
    })?;
    let dedup = event.dedup_key();
    let out = match event {
        WebhookEvent::Number { event, data } => {
            json!({ "kind": "number", "event": event.as_str(), "data": data, "dedupKey": dedup })
        }
        WebhookEvent::Other { event, data } => {
            json!({ "kind": "other", "event": event.as_str(), "data": data, "dedupKey": dedup })
        }
        other => json!({
            "kind": "other", "event": other.name().as_str(), "data": Value::Null, "dedupKey": dedup
        }),
    };
    serde_json::to_string(&out).map_err(|e| ErrorRecord::new(Kind::Internal, e.to_string()))
}

/// The signature header value Pilot Status sends for `raw_body` (to test your receiver).
///
/// # Errors
/// A `configuration` record for an empty secret.
pub fn sign_webhook(secret: &str, raw_body: &[u8]) -> Result<String, ErrorRecord> {
    Ok(webhook::sign(&webhook_secret(secret)?, raw_body))
}
