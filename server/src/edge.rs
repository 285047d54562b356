//! The edge worker next to the customer's own webhooks: which deliveries a customer's receiver
//! relays to the edge, where, what the edge's answer means, and how a number's webhooks are
//! provisioned for the edge without ever taking the customer's traffic.
//!
//! Three topologies (README, "Webhooks and the edge"):
//! - **side by side**: the edge has its own webhook, subscribed to [`EDGE_EVENTS`] only;
//! - **relay**: the number takes one webhook and it is the customer's; it stays as it is, and
//!   the customer's receiver hands the lifecycle events on ([`relay_plan`]);
//! - **edge in front** (asked for, never chosen): the edge is the number's webhook for `"*"`
//!   and forwards every delivery to the customer's receiver (the worker's
//!   `FORWARD_WEBHOOK_URL`).

use pilot_connect::endpoints::{CreateWebhook, Endpoint, ListWebhooks, UpdateWebhook};
use pilot_connect::model::Webhook;
use pilot_connect::public::{field, ErrorBody, PublicErrorCode};
use pilot_connect::webhook::{self, EDGE_EVENTS};
use pilot_connect::{validate, Client, ErrorKind, Transport};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::{ErrorRecord, Kind};
use crate::options::parse_args;

/// The worker's webhook route, appended to an `edgeUrl` that does not end with it.
pub const EDGE_HOOK_PATH: &str = pilot_connect::public::route::HOOK;
/// The name of the webhook [`provision`] creates for the edge.
pub const EDGE_WEBHOOK_NAME: &str = "pilot-connect edge";
/// Default time a relay may take before it is `timeout`.
pub const DEFAULT_RELAY_TIMEOUT_MS: u64 = 10_000;
/// Longest relay timeout accepted.
pub const MAX_RELAY_TIMEOUT_MS: u64 = 120_000;

/// The events the edge's own webhook subscribes to, as strings.
#[must_use]
pub fn edge_events() -> Vec<String> {
    EDGE_EVENTS.iter().map(|e| e.as_str().to_owned()).collect()
}

/// `field` given but empty or unset: `configuration`, as for every deployment setting.
fn required(field: &str, value: Option<&str>, source: &str) -> Result<String, ErrorRecord> {
    match value.map(str::trim) {
        Some(v) if !v.is_empty() => Ok(v.to_owned()),
        _ => Err(ErrorRecord::empty_credential(field, source)),
    }
}

/// The edge worker's webhook URL from `edge_url`: the worker's URL (its `PILOT_EDGE_URL`)
/// with [`EDGE_HOOK_PATH`] appended, or that full URL already. No query or fragment.
///
/// # Errors
/// `validation` (field `field`) for anything but an absolute http(s) URL.
pub fn edge_hook_url(field: &'static str, edge_url: &str) -> Result<String, ErrorRecord> {
    let url = validate::http_url(field, edge_url).map_err(ErrorRecord::from)?;
    if url.contains(['?', '#']) {
        return Err(ErrorRecord::invalid_argument(
            field.into(),
            format!("{field} must be the edge worker's URL, without query or fragment"),
        ));
    }
    let base = url.trim_end_matches('/');
    Ok(if base.ends_with(EDGE_HOOK_PATH) {
        base.to_owned()
    } else {
        format!("{base}{EDGE_HOOK_PATH}")
    })
}

/// Two webhook URLs are the same target: trailing slashes aside, scheme and host in any case.
#[must_use]
pub fn same_url(a: &str, b: &str) -> bool {
    fn norm(u: &str) -> String {
        let u = u.trim().trim_end_matches('/');
        let (scheme, rest) = u.split_once("://").unwrap_or(("", u));
        let (host, path) = rest.find('/').map_or((rest, ""), |i| rest.split_at(i));
        format!(
            "{}://{}{path}",
            scheme.to_ascii_lowercase(),
            host.to_ascii_lowercase()
        )
    }
    norm(a) == norm(b)
}

fn same_events(have: Option<&[String]>, want: &[String]) -> bool {
    let have = have.unwrap_or_default();
    have.len() == want.len() && want.iter().all(|w| have.contains(w))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RelayOptions {
    edge_url: Option<String>,
    timeout_ms: Option<u64>,
}

/// What `relayWebhook` does with a delivery the customer's receiver has verified:
/// `{relay: true, url, event, timeoutMs, userAgent}` for one of [`EDGE_EVENTS`] (POST the raw
/// body there with the original signature), else `{relay: false, reason: "not_lifecycle",
/// event}` — the customer's own traffic (`message.*`, `call.*`) and every other event are the
/// customer's, never the edge's.
///
/// # Errors
/// `decode` for a body that is not a delivery; for a lifecycle event only, `configuration` for
/// an unset `edgeUrl` and `validation` for a bad one or a timeout outside 1…120 000 ms.
pub fn relay_plan(raw_body: &[u8], options: &str) -> Result<String, ErrorRecord> {
    let o: RelayOptions = parse_args(options)?;
    // What it is first: the customer's own traffic is never refused for a setting it does not
    // need (an unset edgeUrl must not break a receiver's message.* handling).
    let event = webhook::parse_event(raw_body).map_err(ErrorRecord::from)?;
    let name = event.name();
    if !name.is_edge_event() {
        return Ok(
            json!({ "relay": false, "reason": "not_lifecycle", "event": name.as_str() })
                .to_string(),
        );
    }
    let edge = required(
        "edgeUrl",
        o.edge_url.as_deref(),
        "the edge worker's URL (e.g. the PILOT_EDGE_URL environment variable)",
    )?;
    let url = edge_hook_url("edgeUrl", &edge)?;
    let timeout = o.timeout_ms.unwrap_or(DEFAULT_RELAY_TIMEOUT_MS);
    if !(1..=MAX_RELAY_TIMEOUT_MS).contains(&timeout) {
        return Err(ErrorRecord::invalid_argument(
            "timeoutMs".into(),
            format!("timeoutMs must be between 1 and {MAX_RELAY_TIMEOUT_MS}"),
        ));
    }
    Ok(json!({
        "relay": true, "url": url, "event": name.as_str(), "timeoutMs": timeout,
        "userAgent": concat!("pilot-connect-server/", env!("CARGO_PKG_VERSION"), " (relay)"),
    })
    .to_string())
}

/// What the edge worker's answer to a relay means: `{relayed: true, status}` for a 2xx.
///
/// # Errors
/// An `edge` record with the status, the worker's public error `code` and what to fix.
pub fn relay_outcome(status: u16, body: &[u8]) -> Result<String, ErrorRecord> {
    if (200..300).contains(&status) {
        return Ok(json!({ "relayed": true, "status": status }).to_string());
    }
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let code = parsed.as_ref().and_then(|v| {
        v.get(field::ERROR)?
            .get(field::CODE)?
            .as_str()
            .map(str::to_owned)
    });
    let known = ErrorBody::from_fields(code.as_deref()).map(|b| b.code);
    let what = match known {
        Some(PublicErrorCode::InvalidSignature) => {
            "it refused the signature: add this webhook's signing secret (the one verifyWebhook \
             checked it with) to the worker's PS_WEBHOOK_SECRETS"
        }
        Some(PublicErrorCode::RouteNotFound) => {
            "it takes no webhooks: set PS_WEBHOOK_SECRET or PS_WEBHOOK_SECRETS on the worker, \
             and check that edgeUrl is the worker's URL"
        }
        Some(PublicErrorCode::OriginNotAllowed) => {
            "it refuses requests with an Origin header: relay from your server, not a browser"
        }
        Some(PublicErrorCode::BadRequest) => {
            "it could not read the delivery: relay the raw body exactly as received"
        }
        Some(PublicErrorCode::PayloadTooLarge) => "the body is over its 64 KB limit",
        Some(PublicErrorCode::ConfigError) => {
            "it is not configured (a secret is missing: see its logs)"
        }
        Some(PublicErrorCode::Unavailable) => {
            "it could not take the event just now: relay it again later"
        }
        _ if status >= 500 => "it failed: relay the event again later",
        _ if status == 404 => "no edge worker answers there: check edgeUrl",
        _ => "check edgeUrl and the worker's configuration",
    };
    let shown = code.as_deref().map_or(String::new(), |c| format!(" {c}"));
    let mut r = ErrorRecord::new(
        Kind::Edge,
        format!("the edge worker answered {status}{shown} to the relayed webhook: {what}"),
    );
    r.status = Some(status);
    r.code = code;
    Err(r)
}

/// Which topology `provisionEdge` may set up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// The edge's own webhook for [`EDGE_EVENTS`] (side by side), else relay: never the
    /// customer's webhook touched.
    Auto,
    /// The edge for `"*"`, forwarding to `forwardTo`.
    EdgeInFront,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ProvisionArgs {
    whatsapp_number_id: String,
    edge_url: Option<String>,
    mode: Option<Mode>,
    forward_to: Option<String>,
    name: Option<String>,
}

/// What was done to which webhook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Created,
    Updated,
    Unchanged,
    None,
}

impl Action {
    fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Updated => "updated",
            Self::Unchanged => "unchanged",
            Self::None => "none",
        }
    }
}

fn err(e: pilot_connect::Error) -> ErrorRecord {
    ErrorRecord::from(&e)
}

fn to_value(hook: Option<&Webhook>) -> Result<Value, ErrorRecord> {
    serde_json::to_value(hook).map_err(|e| ErrorRecord::new(Kind::Internal, e.to_string()))
}

/// Makes the edge's webhook of a number what `mode` asks for, and says which topology it is in:
/// `{topology: "side_by_side"|"relay"|"edge_in_front", action, webhook, edgeWebhookUrl,
/// forwardWebhookUrl?, message}`.
///
/// - A webhook already at the edge URL is the edge's own: its events are made exactly
///   [`EDGE_EVENTS`] (`auto`) or `["*"]` (`edge_in_front`), and it is resumed if paused.
/// - `auto`, none at the edge: the edge's own webhook is created for [`EDGE_EVENTS`] → side by
///   side; a 409 (one webhook per number, and it is the customer's) → relay, nothing changed.
/// - `edge_in_front`, none at the edge: the number's webhook at `forwardTo` is pointed at the
///   edge for `"*"` (the only case that changes a webhook whose URL is not the edge's), else
///   the edge's is created for `"*"`; a 409 (the number's one webhook is elsewhere) is refused
///   as `conflict`, with that webhook untouched.
///
/// # Errors
/// `validation` / `configuration` for bad arguments (nothing sent), `conflict` as above, and
/// what the API answers.
pub async fn provision<T: Transport>(client: &Client<T>, args: &str) -> Result<Value, ErrorRecord> {
    let a: ProvisionArgs = parse_args(args)?;
    let number =
        validate::text("whatsappNumberId", &a.whatsapp_number_id).map_err(ErrorRecord::from)?;
    let edge = required(
        "edgeUrl",
        a.edge_url.as_deref(),
        "the edge worker's URL (e.g. the PILOT_EDGE_URL environment variable)",
    )?;
    let edge_hook = edge_hook_url("edgeUrl", &edge)?;
    let mode = a.mode.unwrap_or(Mode::Auto);
    let forward_to =
        match (mode, a.forward_to) {
            (Mode::EdgeInFront, Some(f)) => {
                let f = validate::http_url("forwardTo", &f).map_err(ErrorRecord::from)?;
                if same_url(&f, &edge_hook) {
                    return Err(ErrorRecord::invalid_argument(
                        "forwardTo".into(),
                        "forwardTo is the edge itself: it must be your own receiver's URL",
                    ));
                }
                Some(f)
            }
            (Mode::EdgeInFront, None) => {
                return Err(ErrorRecord::invalid_argument(
                    "forwardTo".into(),
                    "mode \"edge_in_front\" needs forwardTo: your own receiver's URL, where the \
                 worker forwards every delivery (its FORWARD_WEBHOOK_URL)",
                ))
            }
            (Mode::Auto, Some(_)) => return Err(ErrorRecord::invalid_argument(
                "forwardTo".into(),
                "forwardTo is only for mode \"edge_in_front\": side by side and relay leave your \
                 webhook where it is",
            )),
            (Mode::Auto, None) => None,
        };
    let name = a.name.unwrap_or_else(|| EDGE_WEBHOOK_NAME.to_owned());
    let events = match mode {
        Mode::Auto => edge_events(),
        Mode::EdgeInFront => vec!["*".to_owned()],
    };
    // Checked before anything is sent (the builder's rules).
    let create = CreateWebhook::new(&edge_hook, events.clone())
        .whatsapp_number_id(&number)
        .name(&name);
    create.to_request(client.config()).map_err(err)?;

    let hooks: Vec<Webhook> = client
        .send(&ListWebhooks::new().whatsapp_number_id(&number))
        .await
        .map_err(err)?
        .into_iter()
        .filter(|h| h.whatsapp_number_id.as_deref().is_none_or(|n| n == number))
        .collect();
    let at = |url: &str| {
        hooks
            .iter()
            .find(|h| h.url.as_deref().is_some_and(|u| same_url(u, url)))
    };
    let (action, hook) = if let Some(own) = at(&edge_hook) {
        let resume = own.active == Some(false);
        if same_events(own.events.as_deref(), &events) && !resume {
            (Action::Unchanged, own.clone())
        } else {
            let mut patch = UpdateWebhook::new(&own.id).events(events.clone());
            if resume {
                patch = patch.active(true);
            }
            (Action::Updated, client.send(&patch).await.map_err(err)?)
        }
    } else if let Some(customer) = forward_to.as_deref().and_then(at) {
        // Edge in front: the customer's webhook now goes to the edge, which forwards to it.
        let patch = UpdateWebhook::new(&customer.id)
            .url(&edge_hook)
            .events(events.clone())
            .active(true);
        (Action::Updated, client.send(&patch).await.map_err(err)?)
    } else {
        match client.send(&create).await {
            Ok(h) => (Action::Created, h),
            Err(e) if e.kind() == ErrorKind::Conflict => {
                let theirs = hooks
                    .iter()
                    .find(|h| h.url.as_deref().is_none_or(|u| !same_url(u, &edge_hook)));
                if mode == Mode::EdgeInFront {
                    let (id, url) = theirs.map_or(("?", "?"), |h| {
                        (h.id.as_str(), h.url.as_deref().unwrap_or("?"))
                    });
                    let mut r = ErrorRecord::from(&e);
                    r.message = format!(
                        "edge in front: this number takes one webhook, and it ({id}) points at \
                         {url}, not at forwardTo; provisionEdge changes only a webhook at the \
                         edge or at forwardTo, so nothing was changed (pass forwardTo: {url:?} \
                         to put the edge in front of it)"
                    );
                    return Err(r);
                }
                return relay(&number, &edge_hook, theirs);
            }
            Err(e) => return Err(err(e)),
        }
    };
    let id = hook.id.clone();
    let (topology, message) = match &forward_to {
        None => (
            "side_by_side",
            format!(
                "The edge has its own webhook ({id}) for {}; your webhooks are untouched. Put its \
                 signing secret (Pilot Status dashboard) in the worker's PS_WEBHOOK_SECRETS.",
                edge_events().join(", ")
            ),
        ),
        Some(f) => (
            "edge_in_front",
            format!(
                "The edge is this number's webhook for every event ({id}). Set the worker's \
                 FORWARD_WEBHOOK_URL to {f}: it forwards every verified delivery there, original \
                 bytes and signature. Put the webhook's signing secret in the worker's \
                 PS_WEBHOOK_SECRETS."
            ),
        ),
    };
    let mut out = json!({
        "topology": topology, "action": action.as_str(), "webhook": to_value(Some(&hook))?,
        "edgeWebhookUrl": edge_hook, "message": message,
    });
    if let Some(f) = forward_to {
        out["forwardWebhookUrl"] = f.into();
    }
    Ok(out)
}

/// The relay topology: the number's one webhook is the customer's, and stays as it is.
fn relay(number: &str, edge_hook: &str, theirs: Option<&Webhook>) -> Result<Value, ErrorRecord> {
    let which = theirs.map_or(String::new(), |h| {
        format!(" ({}, {})", h.id, h.url.as_deref().unwrap_or("?"))
    });
    Ok(json!({
        "topology": "relay", "action": Action::None.as_str(), "webhook": to_value(theirs)?,
        "edgeWebhookUrl": edge_hook,
        "message": format!(
            "Number {number} takes one webhook, and it is yours{which}: it stays as it is. Call \
             relayWebhook from your receiver after verifyWebhook, and add your webhook's signing \
             secret to the worker's PS_WEBHOOK_SECRETS."
        ),
    }))
}
