//! `new PilotStatus(options)`: credentials, base URL, timeout and retry policy, checked once.

use core::time::Duration;

use pilot_connect::retry::RetryPolicy;
use pilot_connect::{ApiKey, Auth, Config};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};

use crate::error::ErrorRecord;

/// Default per-request timeout (the official SDK's).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Longest per-request timeout accepted.
pub const MAX_TIMEOUT_MS: u64 = 600_000;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ClientOptions {
    #[serde(default, deserialize_with = "present")]
    api_key: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    api_key_id: Option<Option<String>>,
    base_url: Option<String>,
    timeout_ms: Option<u64>,
    retry: Option<RetryOption>,
    whatsapp_number_id: Option<String>,
    user_agent: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RetryOption {
    Enabled(bool),
    Custom(RetryOptions),
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RetryOptions {
    max_retries: Option<u32>,
    base_delay_ms: Option<u64>,
    max_delay_ms: Option<u64>,
    max_rate_limit_wait_ms: Option<u64>,
    total_budget_ms: Option<u64>,
}

/// Everything a client is built from.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Base URL + credentials.
    pub config: Config,
    /// Retry policy.
    pub policy: RetryPolicy,
    /// Per-request timeout.
    pub timeout: Duration,
}

/// Reads JSON arguments strictly: unknown keys and wrong types are refused with their path.
///
/// # Errors
/// A `validation` record naming the path.
pub fn parse_args<T: DeserializeOwned>(json: &str) -> Result<T, ErrorRecord> {
    let de = &mut serde_json::Deserializer::from_str(json);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        ErrorRecord::unreadable_argument(path, &e.into_inner())
    })
}

/// An option that is there, with `null` as `Some(None)`: the JS side sends an option set to
/// `undefined` (an unset environment variable) as `null`, so it is told apart from an absent one.
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// A credential option that was given must hold something: `undefined`, `null`, `""` or blanks
/// are a deployment mistake (`configuration`), reported at construction, not at the first call.
fn given(
    value: Option<Option<String>>,
    field: &str,
    source: &str,
) -> Result<Option<String>, ErrorRecord> {
    match value {
        None => Ok(None),
        Some(Some(v)) if !v.trim().is_empty() => Ok(Some(v)),
        Some(_) => Err(ErrorRecord::empty_credential(field, source)),
    }
}

/// Parses and checks the client options.
///
/// # Errors
/// A `configuration` record for an `apiKey` or `apiKeyId` that is given but empty or undefined;
/// a `validation` record for unknown options, both `apiKey` and `apiKeyId`, a key without the
/// `ps_` prefix, a bad base URL or an out-of-range timeout.
pub fn settings(json: &str) -> Result<Settings, ErrorRecord> {
    let o: ClientOptions = parse_args(json)?;
    let api_key = given(o.api_key, "apiKey", "the PS_API_KEY environment variable")?;
    let api_key_id = given(
        o.api_key_id,
        "apiKeyId",
        "the environment variable it is read from",
    )?;
    let auth = match (api_key, api_key_id) {
        (Some(_), Some(_)) => {
            return Err(ErrorRecord::invalid_argument(
                "apiKeyId".into(),
                "give apiKey or apiKeyId, not both",
            ))
        }
        (Some(key), None) => {
            Some(Auth::ApiKey(ApiKey::new(key).map_err(|e| {
                ErrorRecord::invalid_argument("apiKey".into(), e.to_string())
            })?))
        }
        (None, Some(id)) => Some(Auth::ApiKeyId(id)),
        (None, None) => None,
    };
    let mut config = match auth {
        Some(auth) => Config::new(auth),
        None => Config::anonymous(),
    };
    if let Some(url) = o.base_url {
        config = config.with_base_url(&url).map_err(ErrorRecord::from)?;
    }
    if let Some(id) = o.whatsapp_number_id {
        config = config.with_whatsapp_number_id(id);
    }
    config = config.with_user_agent(
        o.user_agent
            .unwrap_or_else(|| concat!("pilot-connect-server/", env!("CARGO_PKG_VERSION")).into()),
    );
    let timeout = match o.timeout_ms {
        None => DEFAULT_TIMEOUT,
        Some(ms) if (1..=MAX_TIMEOUT_MS).contains(&ms) => Duration::from_millis(ms),
        Some(_) => {
            return Err(ErrorRecord::invalid_argument(
                "timeoutMs".into(),
                format!("timeoutMs must be between 1 and {MAX_TIMEOUT_MS}"),
            ))
        }
    };
    let policy = match o.retry {
        None | Some(RetryOption::Enabled(true)) => RetryPolicy::default(),
        Some(RetryOption::Enabled(false)) => RetryPolicy::none(),
        Some(RetryOption::Custom(r)) => {
            let d = RetryPolicy::default();
            let ms = Duration::from_millis;
            RetryPolicy {
                max_retries: r.max_retries.unwrap_or(d.max_retries).min(10),
                base_delay: r.base_delay_ms.map_or(d.base_delay, ms),
                max_delay: r.max_delay_ms.map_or(d.max_delay, ms),
                max_rate_limit_wait: r.max_rate_limit_wait_ms.map_or(d.max_rate_limit_wait, ms),
                total_budget: r.total_budget_ms.map(ms).or(d.total_budget),
            }
        }
    };
    Ok(Settings {
        config,
        policy,
        timeout,
    })
}
