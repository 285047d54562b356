//! Fixed-window rate limiting per API key (or per client address for public routes).

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Requests allowed per window per key.
#[derive(Debug)]
pub struct RateLimiter {
    limit: u32,
    window: Duration,
    counters: HashMap<String, (Instant, u32)>,
}

impl RateLimiter {
    /// `limit` requests per `window`; `limit == 0` disables it.
    pub fn new(limit: u32, window: Duration) -> Self {
        Self {
            limit,
            window,
            counters: HashMap::new(),
        }
    }

    /// `Ok` or `Err(seconds until the window resets)`.
    pub fn check(&mut self, key: &str) -> Result<(), u64> {
        if self.limit == 0 {
            return Ok(());
        }
        let now = Instant::now();
        let entry = self.counters.entry(key.to_owned()).or_insert((now, 0));
        if now.duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        if entry.1 >= self.limit {
            let left = self.window.saturating_sub(now.duration_since(entry.0));
            return Err(left.as_secs() + u64::from(left.subsec_nanos() > 0));
        }
        entry.1 += 1;
        Ok(())
    }

    /// Forgets all counters.
    pub fn reset(&mut self) {
        self.counters.clear();
    }
}
