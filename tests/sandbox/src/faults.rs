//! Fault injection per route: latency, an error status, 429 with `Retry-After`, malformed
//! JSON, or a dropped connection. Set through `POST /_sandbox/faults`.

use serde::{Deserialize, Serialize};

/// What to do to matching requests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// Wait `latencyMs`, then answer normally.
    Latency,
    /// Answer `status` with `body` (default: a JSON error for that status).
    Status,
    /// Answer 429 with `Retry-After: retryAfter` (default 1).
    RateLimit,
    /// Answer 200 with a truncated JSON body.
    Malformed,
    /// Start a response, then cut the connection.
    Drop,
}

/// One configured fault.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Fault {
    /// Route name (see [`route_name`]) or `*`.
    pub route: String,
    /// What to do.
    pub kind: FaultKind,
    /// For `latency`.
    #[serde(default)]
    pub latency_ms: Option<u64>,
    /// For `status`.
    #[serde(default)]
    pub status: Option<u16>,
    /// For `status`: the body to send (any JSON).
    #[serde(default)]
    pub body: Option<serde_json::Value>,
    /// For `rate_limit`: seconds.
    #[serde(default)]
    pub retry_after: Option<u64>,
    /// How many matching requests to affect; `null` = until cleared.
    #[serde(default)]
    pub times: Option<u32>,
    /// How many it has affected so far.
    #[serde(default)]
    pub hits: u32,
}

/// Takes the first live fault for `route`, counting the hit.
pub fn take(faults: &mut Vec<Fault>, route: &str) -> Option<Fault> {
    let pos = faults
        .iter()
        .position(|f| f.route == route || f.route == "*")?;
    let f = &mut faults[pos];
    f.hits += 1;
    let out = f.clone();
    if f.times.is_some_and(|t| f.hits >= t) {
        faults.remove(pos);
    }
    Some(out)
}
