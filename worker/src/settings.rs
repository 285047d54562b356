//! Worker configuration from secrets and vars. A missing secret is reported by name in the
//! log and as `config_error` to the caller: never a panic, never a partial answer.

use core::time::Duration;

use pilot_connect::{ApiKey, Auth, Config, ConnectTokenSecret, WebhookSecret};
use worker::Env;

use crate::session::machine::Timing;

/// The session durations' defaults are the session's own ([`Timing::default`]), in whole ms.
const DEFAULT: Timing = Timing::DEFAULT;

/// Everything a request needs.
pub struct Settings {
    /// Upstream config (base URL + key).
    pub upstream: Config,
    /// Connect-token HS256 secrets: `CONNECT_TOKEN_SECRET` first, then every entry of
    /// `CONNECT_TOKEN_SECRETS` (still accepted while the secret rotates). Never empty.
    pub token_secrets: Vec<ConnectTokenSecret>,
    /// The path the edge is served under (`BASE_PATH`, or the mount's `prefix`): `""` at the
    /// root, else `/pilot`-like (leading `/`, no trailing one).
    pub base_path: String,
    /// Exact allowed page origins.
    pub allowed_origins: Vec<String>,
    /// Expected `aud`; `None` means this worker's own URL (its origin and [`Self::base_path`]).
    pub audience: Option<String>,
    /// Per-attempt upstream timeout.
    pub upstream_timeout: Duration,
    /// Bound for a whole upstream call, retries included.
    pub upstream_budget: Duration,
    /// `refreshAfterMs` handed to the widget.
    pub qr_refresh_ms: u32,
    /// The rate limiter's period (10 or 60 s, as in wrangler.toml): the `Retry-After` of its 429s.
    pub rate_limit_period_secs: u32,
    /// How long one upstream status answer serves every viewer of a number (session objects).
    pub status_ttl: Duration,
    /// The signing secrets a delivery may be signed with (`PS_WEBHOOK_SECRET` and the
    /// comma-separated `PS_WEBHOOK_SECRETS`: one per webhook, or old and new while rotating).
    /// Empty: the webhook route is not offered, and sessions learn state by polling.
    pub webhook_secrets: Vec<WebhookSecret>,
    /// How often a watched, unconnected number's session checks its status itself.
    pub status_poll: Duration,
    /// How long a webhook for a number keeps its session from polling: webhooks make
    /// "connected" instant, but they are never required for it.
    pub webhook_trust: Duration,
    /// Edge in front: where every verified delivery is forwarded (the customer's own
    /// receiver). `None`: customer traffic is refused with `no_forward_target`.
    pub forward_url: Option<String>,
    /// First wait before a failed forward is tried again (seconds).
    pub forward_retry_base_secs: u32,
    /// The bearer secret of the admin routes (dead letters); `None`: not offered.
    pub admin_secret: Option<AdminSecret>,
    /// `PAIRING_CODE_TTL_MS`: how long a pairing code stays valid, as the operator knows it,
    /// used for `codeExpiresInMs` until a session has observed a code end by itself (what it
    /// observed wins). Unset (the default): nothing is assumed, and `codeExpiresInMs` stays
    /// `null` until observed. At most an hour (`CODE_LIFETIME_MAX_MS`, what a reader accepts).
    pub pairing_code_ttl: Option<Duration>,
    /// `BRANDING_TTL_MS`: how long the tenant's branding, read once per isolate, is reused
    /// (default 10 min). `None` (`0`): never read; widgets show the page's branding only.
    pub branding_ttl: Option<Duration>,
}

/// The admin routes' bearer secret: never printed, compared in constant time.
pub struct AdminSecret(String);

impl AdminSecret {
    /// Whether `given` is the secret (constant time in the secret's length).
    pub fn matches(&self, given: &str) -> bool {
        let (a, b) = (self.0.as_bytes(), given.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

impl core::fmt::Debug for AdminSecret {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("AdminSecret([redacted])")
    }
}

/// What is wrong with the configuration (the name is safe to log; the value never is).
#[derive(Debug)]
pub enum ConfigError {
    /// A required secret is not set.
    Missing(&'static str),
    /// A setting is present but unusable.
    Invalid(&'static str),
}

impl core::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Missing(name) => write!(f, "missing secret {name}"),
            Self::Invalid(name) => write!(f, "invalid setting {name}"),
        }
    }
}

/// Whether a secret or var is set (not empty).
pub fn has_text(env: &Env, name: &str) -> bool {
    text(env, name).is_some()
}

fn text(env: &Env, name: &str) -> Option<String> {
    // Secrets and vars are both string bindings; read either way.
    env.secret(name)
        .map(|s| s.to_string())
        .or_else(|_| env.var(name).map(|v| v.to_string()))
        .ok()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}

/// `pilot-connect-edge/<version>`: what Pilot Status sees as the caller.
pub const USER_AGENT: &str = concat!("pilot-connect-edge/", env!("CARGO_PKG_VERSION"));

/// `BASE_PATH` normalised: `""` (unset, or `/`), else a leading `/` and no trailing one.
/// `None`: not a path (a scheme, query, fragment, `..` or whitespace in it).
pub fn base_path(env: &Env) -> Option<String> {
    normalise_base_path(text(env, "BASE_PATH").as_deref().unwrap_or(""))
}

fn normalise_base_path(raw: &str) -> Option<String> {
    let p = raw.trim().trim_end_matches('/');
    if p.contains(|c: char| c.is_whitespace() || matches!(c, '?' | '#' | ':' | '\\'))
        || p.split('/').any(|seg| seg == ".." || seg == ".")
    {
        return None;
    }
    Some(match p {
        "" => String::new(),
        p if p.starts_with('/') => p.to_owned(),
        p => format!("/{p}"),
    })
}

/// The route part of `path` when it is under `base` (`""`: every path).
pub fn under_base<'a>(path: &'a str, base: &str) -> Option<&'a str> {
    let rest = path.strip_prefix(base)?;
    (base.is_empty() || rest.starts_with('/')).then_some(rest)
}

fn millis(env: &Env, name: &'static str, default: u64) -> Result<Duration, ConfigError> {
    match text(env, name) {
        None => Ok(Duration::from_millis(default)),
        Some(v) => v
            .parse::<u64>()
            .ok()
            .filter(|ms| (1..=120_000).contains(ms))
            .map(Duration::from_millis)
            .ok_or(ConfigError::Invalid(name)),
    }
}

/// `PS_WEBHOOK_SECRET` plus every entry of `PS_WEBHOOK_SECRETS` (comma or newline separated).
fn webhook_secrets(env: &Env) -> Result<Vec<WebhookSecret>, ConfigError> {
    let mut out = Vec::new();
    for (name, value) in [
        ("PS_WEBHOOK_SECRET", text(env, "PS_WEBHOOK_SECRET")),
        ("PS_WEBHOOK_SECRETS", text(env, "PS_WEBHOOK_SECRETS")),
    ] {
        for v in value.iter().flat_map(|v| v.split([',', '\n'])) {
            let v = v.trim();
            if !v.is_empty() {
                out.push(WebhookSecret::new(v).map_err(|_| ConfigError::Invalid(name))?);
            }
        }
    }
    Ok(out)
}

impl Settings {
    /// Reads and validates all settings.
    ///
    /// # Errors
    /// [`ConfigError`] naming the first missing or invalid one.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let auth = match (text(env, "PS_API_KEY"), text(env, "PS_API_KEY_ID")) {
            (Some(key), _) => {
                Auth::ApiKey(ApiKey::new(key).map_err(|_| ConfigError::Invalid("PS_API_KEY"))?)
            }
            (None, Some(id)) => Auth::ApiKeyId(id),
            (None, None) => return Err(ConfigError::Missing("PS_API_KEY")),
        };
        let mut token_secrets = vec![text(env, "CONNECT_TOKEN_SECRET")
            .ok_or(ConfigError::Missing("CONNECT_TOKEN_SECRET"))
            .and_then(|s| {
                ConnectTokenSecret::new(s).map_err(|_| ConfigError::Invalid("CONNECT_TOKEN_SECRET"))
            })?];
        for v in text(env, "CONNECT_TOKEN_SECRETS")
            .iter()
            .flat_map(|v| v.split([',', '\n']))
            .map(str::trim)
            .filter(|v| !v.is_empty())
        {
            token_secrets.push(
                ConnectTokenSecret::new(v)
                    .map_err(|_| ConfigError::Invalid("CONNECT_TOKEN_SECRETS"))?,
            );
        }
        let base_path = base_path(env).ok_or(ConfigError::Invalid("BASE_PATH"))?;
        let mut upstream = Config::new(auth).with_user_agent(USER_AGENT);
        if let Some(base) = text(env, "PS_BASE_URL") {
            upstream = upstream
                .with_base_url(&base)
                .map_err(|_| ConfigError::Invalid("PS_BASE_URL"))?;
        }
        let allowed_origins = text(env, "ALLOWED_ORIGINS")
            .map(|s| {
                s.split([',', ' ', '\n'])
                    .map(|o| o.trim().trim_end_matches('/').to_owned())
                    .filter(|o| !o.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        let qr_refresh = millis(env, "QR_REFRESH_MS", DEFAULT.qr_refresh_ms as u64)?;
        let rate_limit_period_secs = match text(env, "RATE_LIMIT_PERIOD_SECS").as_deref() {
            None | Some("60") => 60,
            Some("10") => 10,
            Some(_) => return Err(ConfigError::Invalid("RATE_LIMIT_PERIOD_SECS")),
        };
        Ok(Self {
            upstream,
            token_secrets,
            base_path,
            allowed_origins,
            audience: text(env, "CONNECT_TOKEN_AUDIENCE"),
            upstream_timeout: millis(env, "UPSTREAM_TIMEOUT_MS", 8_000)?,
            upstream_budget: millis(env, "UPSTREAM_BUDGET_MS", 20_000)?,
            qr_refresh_ms: u32::try_from(qr_refresh.as_millis())
                .map_err(|_| ConfigError::Invalid("QR_REFRESH_MS"))?,
            rate_limit_period_secs,
            status_ttl: match text(env, "STATUS_TTL_MS") {
                None => Duration::from_millis(DEFAULT.status_ttl_ms as u64),
                Some(v) => v
                    .parse::<u64>()
                    .ok()
                    .filter(|ms| *ms <= 60_000)
                    .map(Duration::from_millis)
                    .ok_or(ConfigError::Invalid("STATUS_TTL_MS"))?,
            },
            webhook_secrets: webhook_secrets(env)?,
            status_poll: millis(env, "STATUS_POLL_MS", DEFAULT.status_poll_ms as u64)?,
            forward_url: match text(env, "FORWARD_WEBHOOK_URL") {
                None => None,
                Some(u) => Some(
                    pilot_connect::validate::http_url("FORWARD_WEBHOOK_URL", &u)
                        .map(|_| u)
                        .map_err(|_| ConfigError::Invalid("FORWARD_WEBHOOK_URL"))?,
                ),
            },
            forward_retry_base_secs: match text(env, "FORWARD_RETRY_BASE_SECS") {
                None => 5,
                Some(v) => v
                    .parse::<u32>()
                    .ok()
                    .filter(|s| (1..=300).contains(s))
                    .ok_or(ConfigError::Invalid("FORWARD_RETRY_BASE_SECS"))?,
            },
            admin_secret: match text(env, "ADMIN_SECRET") {
                None => None,
                Some(v) if v.len() >= 32 => Some(AdminSecret(v)),
                Some(_) => return Err(ConfigError::Invalid("ADMIN_SECRET")),
            },
            pairing_code_ttl: match text(env, "PAIRING_CODE_TTL_MS") {
                None => None,
                Some(v) => Some(
                    v.parse::<u64>()
                        .ok()
                        .filter(|ms| (1..=3_600_000).contains(ms))
                        .map(Duration::from_millis)
                        .ok_or(ConfigError::Invalid("PAIRING_CODE_TTL_MS"))?,
                ),
            },
            branding_ttl: match text(env, "BRANDING_TTL_MS") {
                None => Some(Duration::from_millis(600_000)),
                Some(v) => match v.parse::<u64>() {
                    Ok(0) => None,
                    Ok(ms) if ms <= 86_400_000 => Some(Duration::from_millis(ms)),
                    _ => return Err(ConfigError::Invalid("BRANDING_TTL_MS")),
                },
            },
            webhook_trust: match text(env, "WEBHOOK_TRUST_MS") {
                None => Duration::from_millis(DEFAULT.webhook_trust_ms as u64),
                Some(v) => v
                    .parse::<u64>()
                    .ok()
                    .filter(|ms| *ms <= 86_400_000)
                    .map(Duration::from_millis)
                    .ok_or(ConfigError::Invalid("WEBHOOK_TRUST_MS"))?,
            },
        })
    }
}

impl Settings {
    /// The session's durations.
    pub fn timing(&self) -> Timing {
        Timing {
            qr_refresh_ms: f64::from(self.qr_refresh_ms),
            status_poll_ms: self.status_poll.as_millis() as f64,
            status_ttl_ms: self.status_ttl.as_millis() as f64,
            webhook_trust_ms: self.webhook_trust.as_millis() as f64,
            pairing_code_ttl_ms: self.pairing_code_ttl.map(|d| d.as_millis() as f64),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{normalise_base_path as norm, under_base};

    #[test]
    fn base_paths() {
        assert_eq!(norm("").as_deref(), Some(""));
        assert_eq!(norm("/").as_deref(), Some(""));
        assert_eq!(norm("/pilot/").as_deref(), Some("/pilot"));
        assert_eq!(norm("pilot").as_deref(), Some("/pilot"));
        assert_eq!(norm("/api/pilot").as_deref(), Some("/api/pilot"));
        for bad in ["/a b", "/p?x", "/p#x", "https://x", "/../x", "/a/./b"] {
            assert_eq!(norm(bad), None, "{bad}");
        }
        assert_eq!(under_base("/v1/ping", ""), Some("/v1/ping"));
        assert_eq!(under_base("/pilot/v1/ping", "/pilot"), Some("/v1/ping"));
        assert_eq!(under_base("/pilotx/v1/qr", "/pilot"), None);
        assert_eq!(under_base("/v1/ping", "/pilot"), None);
        assert_eq!(under_base("/pilot", "/pilot"), None);
    }
}
