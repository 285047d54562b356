//! How often something that watches a number (the edge worker's session object) may call Pilot
//! Status for it when calls fail: pure data and functions, so the numbers are proved natively.
//!
//! The customer's Pilot Status rate limit is shared by everything it runs; a watcher that
//! re-tries a failing call on a timer must not spend it. The rule, per watched number:
//!
//! - **final answers** (404, not pairable, the number removed, our key refused): one call, then
//!   none until [`Budget::clear`] (a webhook or a new watcher);
//! - **429**: no call before its `Retry-After`;
//! - **5xx, timeouts, network errors, unusable answers**: exponential backoff with jitter
//!   (1 s × 2ⁿ, at most 30 s, each step drawn from its upper half), and never more than
//!   [`BudgetPolicy::first_minute`] attempts in the first minute of a failure streak nor
//!   [`BudgetPolicy::per_minute`] in any minute after it.
//!
//! Attempts are counted, not calls: a call the core's [`retry`](crate::retry) policy repeated
//! spends one attempt per request it sent. Success ends the streak.

use serde::{Deserialize, Serialize};

/// The limits. [`Default`] is the documented budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BudgetPolicy {
    /// Most attempts in the first minute of a failure streak.
    pub first_minute: u32,
    /// Most attempts in any minute after that.
    pub per_minute: u32,
    /// First backoff step (ms).
    pub base_ms: u64,
    /// Longest backoff step (ms).
    pub max_ms: u64,
}

impl Default for BudgetPolicy {
    fn default() -> Self {
        Self {
            first_minute: 10,
            per_minute: 2,
            base_ms: 1_000,
            max_ms: 30_000,
        }
    }
}

const MINUTE_MS: u64 = 60_000;

/// How a call ended, as far as the budget is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Pilot Status answered usefully.
    Success,
    /// Worth trying again later (5xx, timeout, network, unusable answer).
    Transient,
    /// 429: not again before this many ms.
    RateLimited {
        /// The `Retry-After`, in ms.
        retry_after_ms: u64,
    },
    /// Trying again cannot help until something changes (404, not pairable, removed, 401).
    Final,
}

/// Why no call may start now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// Not before this time (ms): backoff, `Retry-After` or the per-minute cap.
    Until(u64),
    /// Not until [`Budget::clear`].
    Halted,
}

/// The budget of one watched number: the state of its current failure streak. Serialisable, so
/// it survives the watcher's eviction.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Budget {
    /// When (ms) the current failure streak began; `None` while calls succeed.
    #[serde(default)]
    streak_since: Option<u64>,
    /// Failed calls in the streak.
    #[serde(default)]
    failures: u32,
    /// Attempt times (ms) of the streak, the last minute's only once past its first minute.
    #[serde(default)]
    attempts: Vec<u64>,
    /// No call before this time (ms).
    #[serde(default)]
    not_before: u64,
    /// A final answer was seen.
    #[serde(default)]
    halted: bool,
    /// A call of the streak is under way: no other starts until it settles (calls of different
    /// kinds — a QR and a status check — must not both go when a wait ends).
    #[serde(skip)]
    in_flight: bool,
}

impl Budget {
    /// Whether a call may start at `now`.
    ///
    /// # Errors
    /// [`Wait`]: when it may, or that only a [`clear`](Self::clear) allows it.
    pub fn may_call(&self, policy: &BudgetPolicy, now: u64) -> Result<(), Wait> {
        if self.halted {
            return Err(Wait::Halted);
        }
        if self.in_flight {
            return Err(Wait::Until(now.saturating_add(1_000)));
        }
        let mut at = self.not_before.max(now);
        if let Some(since) = self.streak_since {
            at = at.max(self.cap_allows_at(policy, since, at));
        }
        if at > now {
            Err(Wait::Until(at))
        } else {
            Ok(())
        }
    }

    /// The earliest time at or after `t` at which one more attempt stays within the caps.
    fn cap_allows_at(&self, policy: &BudgetPolicy, since: u64, t: u64) -> u64 {
        let first_end = since.saturating_add(MINUTE_MS);
        if t < first_end {
            let used = self.attempts.iter().filter(|&&a| a >= since).count();
            if (used as u64) < u64::from(policy.first_minute) {
                return t;
            }
            // The first minute is spent: on to the per-minute cap from its end.
            return self.cap_allows_at(policy, since, first_end);
        }
        // Any minute after the first: the attempts of the last 60 s, the first minute's too.
        let cap = policy.per_minute.max(1) as usize;
        let mut recent: Vec<u64> = self
            .attempts
            .iter()
            .copied()
            .filter(|&a| a + MINUTE_MS > t)
            .collect();
        if recent.len() < cap {
            return t;
        }
        recent.sort_unstable();
        // Wait until enough of them are a minute old.
        recent[recent.len() - cap] + MINUTE_MS
    }

    /// A call starts. While calls fail, it is the only one until [`settle`](Self::settle).
    pub fn begin(&mut self) {
        if self.streak_since.is_some() {
            self.in_flight = true;
        }
    }

    /// Records `n` attempts sent at `now` (a call and the core's retries inside it).
    fn attempted(&mut self, now: u64, n: u32) {
        if self.streak_since.is_some() {
            self.attempts.extend(core::iter::repeat_n(now, n as usize));
        }
    }

    /// Records how a call that started at `started` ended at `now`, after `attempts` requests.
    /// `jitter` is a number in `[0, 1)`.
    pub fn settle(
        &mut self,
        policy: &BudgetPolicy,
        started: u64,
        now: u64,
        attempts: u32,
        outcome: Outcome,
        jitter: f64,
    ) {
        self.in_flight = false;
        if outcome == Outcome::Success {
            *self = Self::default();
            return;
        }
        if self.streak_since.is_none() {
            self.streak_since = Some(started);
            self.attempts.clear();
        }
        self.attempted(started, attempts);
        self.failures = self.failures.saturating_add(1);
        self.not_before = match outcome {
            Outcome::Final => {
                self.halted = true;
                now
            }
            Outcome::RateLimited { retry_after_ms } => {
                now.saturating_add(retry_after_ms.max(self.backoff(policy, jitter)))
            }
            _ => now.saturating_add(self.backoff(policy, jitter)),
        };
        // Keep only what the caps still read: the whole first minute, then the last minute.
        let since = self.streak_since.unwrap_or(started);
        if now >= since.saturating_add(MINUTE_MS) {
            self.attempts.retain(|&a| a + MINUTE_MS > now);
        }
    }

    /// The backoff after the current number of failures, jittered into its upper half.
    fn backoff(&self, policy: &BudgetPolicy, jitter: f64) -> u64 {
        let step = self.failures.saturating_sub(1).min(20);
        let full = policy
            .base_ms
            .saturating_mul(1u64 << step)
            .min(policy.max_ms);
        let j = jitter.clamp(0.0, 1.0);
        (full as f64 * (0.5 + 0.5 * j)) as u64
    }

    /// Something changed (a webhook, a new watcher): the next call may go at once.
    pub fn clear(&mut self) {
        *self = Self::default();
    }

    /// Whether a final answer stopped calls.
    #[must_use]
    pub fn halted(&self) -> bool {
        self.halted
    }

    /// Whether calls are failing now. While they are, a watcher makes each call a single
    /// attempt (no core retries inside it), so that every request is one the budget allowed.
    #[must_use]
    pub fn failing(&self) -> bool {
        self.streak_since.is_some()
    }
}
