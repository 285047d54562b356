//! The retry rule, as pure data and functions every transport uses.
//!
//! - Only `GET` is retried; `POST`/`DELETE` have side effects and never are.
//! - Network errors, timeouts and 5xx: `base × 2^attempt` plus up to `base` of jitter.
//! - `503 PROVIDER_NOT_CONFIGURED` is permanent: never retried.
//! - `429`: wait `Retry-After` (header, or the body's `retryAfterSeconds`) when it fits in
//!   [`RetryPolicy::max_rate_limit_wait`], else give up and report it.
//! - Everything stays inside [`RetryPolicy::total_budget`], counting each attempt at its full
//!   timeout, so a caller (like the edge worker) has a hard upper bound.

use core::time::Duration;

use crate::error::{ApiError, TransportError};
use crate::http::Method;
use crate::model::ErrorCode;

/// What a single attempt produced, as far as retrying is concerned.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Attempt<'a> {
    /// The transport failed.
    Transport(&'a TransportError),
    /// An answer with this status (and parsed error, for non-2xx).
    Status(u16, Option<&'a ApiError>),
}

/// Retry or stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Sleep this long, then try again.
    RetryAfter(Duration),
    /// Return the result as it is.
    Stop,
}

/// Retry settings. [`Default`] matches the official SDK: 2 retries, 250 ms base.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// First backoff step.
    pub base_delay: Duration,
    /// Cap on one backoff step.
    pub max_delay: Duration,
    /// Longest `Retry-After` we are willing to wait for inside one call.
    pub max_rate_limit_wait: Duration,
    /// Upper bound for the whole call (attempts × timeout + sleeps); `None` for no bound.
    pub total_budget: Option<Duration>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 2,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(8),
            max_rate_limit_wait: Duration::from_secs(10),
            total_budget: None,
        }
    }
}

impl RetryPolicy {
    /// Never retry.
    #[must_use]
    pub fn none() -> Self {
        Self {
            max_retries: 0,
            ..Self::default()
        }
    }

    /// The backoff before retry number `attempt + 1` (`attempt` counts from 0), with
    /// `jitter` in `[0, 1)` adding up to one `base_delay`.
    #[must_use]
    pub fn backoff(&self, attempt: u32, jitter: f64) -> Duration {
        let exp = self
            .base_delay
            .saturating_mul(1u32.checked_shl(attempt.min(16)).unwrap_or(u32::MAX));
        let jitter = self.base_delay.mul_f64(jitter.clamp(0.0, 1.0));
        exp.saturating_add(jitter).min(self.max_delay)
    }

    /// Decides what to do after attempt number `attempt` (0 = the first).
    ///
    /// `spent` is the time already committed (attempts × timeout + sleeps) and `timeout` the
    /// per-attempt timeout; both only matter with a [`total_budget`](Self::total_budget).
    #[must_use]
    pub fn decide(
        &self,
        method: Method,
        attempt: u32,
        outcome: Attempt<'_>,
        jitter: f64,
        spent: Duration,
        timeout: Duration,
    ) -> Decision {
        if method != Method::Get || attempt >= self.max_retries {
            return Decision::Stop;
        }
        let wait = match outcome {
            Attempt::Transport(_) => self.backoff(attempt, jitter),
            Attempt::Status(429, err) => match err.and_then(|e| e.retry_after) {
                Some(wait) if wait <= self.max_rate_limit_wait => wait,
                Some(_) => return Decision::Stop,
                None => self.backoff(attempt, jitter),
            },
            Attempt::Status(status @ 500..=599, err) => {
                let code = err.and_then(|e| e.code.as_ref());
                if status == 503 && code == Some(&ErrorCode::ProviderNotConfigured) {
                    return Decision::Stop;
                }
                let backoff = self.backoff(attempt, jitter);
                match err.and_then(|e| e.retry_after) {
                    Some(wait) if wait <= self.max_rate_limit_wait => wait.max(backoff),
                    _ => backoff,
                }
            }
            Attempt::Status(_, _) => return Decision::Stop,
        };
        if let Some(budget) = self.total_budget {
            if spent.saturating_add(wait).saturating_add(timeout) > budget {
                return Decision::Stop;
            }
        }
        Decision::RetryAfter(wait)
    }
}
