//! How often a watcher may call Pilot Status for one number while calls fail: the budget the
//! edge worker's session objects keep, simulated over ten minutes of a watcher that calls the
//! moment it is allowed (the worst case), with the attempts counted like the sandbox counts them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use pilot_connect::budget::{Budget, BudgetPolicy, Outcome, Wait};

const MIN: u64 = 60_000;

/// A watcher that calls whenever the budget allows, every call ending in `outcome`, the first
/// call of a streak carrying the core's two retries. Returns every attempt's time (ms).
fn watch(outcome: Outcome, jitter: f64, for_ms: u64) -> Vec<u64> {
    let policy = BudgetPolicy::default();
    let mut budget = Budget::default();
    let mut sent = Vec::new();
    let mut t = 0;
    while t < for_ms {
        match budget.may_call(&policy, t) {
            Ok(()) => {
                let attempts = if budget.failing() { 1 } else { 3 };
                budget.begin();
                sent.extend(std::iter::repeat_n(t, attempts as usize));
                budget.settle(&policy, t, t + 50, attempts, outcome, jitter);
                t += 50;
            }
            Err(Wait::Until(at)) => {
                assert!(at > t, "a wait lies in the future");
                t = at;
            }
            Err(Wait::Halted) => break,
        }
    }
    sent
}

fn in_window(sent: &[u64], from: u64, to: u64) -> usize {
    sent.iter().filter(|&&a| a >= from && a < to).count()
}

#[test]
fn failing_calls_back_off_within_ten_a_minute_then_two() {
    for jitter in [0.0, 0.37, 0.999] {
        let sent = watch(Outcome::Transient, jitter, 10 * MIN);
        assert!(in_window(&sent, 0, MIN) <= 10, "first minute: {sent:?}");
        assert!(
            in_window(&sent, 0, MIN) >= 5,
            "it does keep trying: {sent:?}"
        );
        // Every minute-long window after the first minute: at most two.
        let mut from = MIN;
        while from + MIN <= 10 * MIN {
            let n = in_window(&sent, from, from + MIN);
            assert!(n <= 2, "{n} attempts in [{from}, +60 s): {sent:?}");
            from += 1_000;
        }
        assert!(
            in_window(&sent, 9 * MIN, 10 * MIN) >= 1,
            "still trying after ten minutes"
        );
        // The backoff grows: later gaps are longer than the first ones.
        let gaps: Vec<u64> = sent
            .windows(2)
            .map(|w| w[1] - w[0])
            .filter(|g| *g > 0)
            .collect();
        assert!(gaps.first() < gaps.last(), "{gaps:?}");
    }
}

#[test]
fn a_final_answer_stops_calls_until_cleared() {
    let sent = watch(Outcome::Final, 0.5, 10 * MIN);
    assert_eq!(
        sent.len(),
        3,
        "one call (the core's retries inside it), then none"
    );
    let policy = BudgetPolicy::default();
    let mut b = Budget::default();
    b.settle(&policy, 0, 10, 1, Outcome::Final, 0.5);
    assert!(b.halted());
    assert_eq!(b.may_call(&policy, 10 * MIN), Err(Wait::Halted));
    b.clear();
    assert_eq!(b.may_call(&policy, 10 * MIN), Ok(()));
}

#[test]
fn rate_limits_wait_for_retry_after() {
    let sent = watch(
        Outcome::RateLimited {
            retry_after_ms: 30_000,
        },
        0.5,
        2 * MIN,
    );
    let calls: Vec<u64> = sent
        .iter()
        .copied()
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    for w in calls.windows(2) {
        assert!(
            w[1] - w[0] >= 30_000,
            "a call before Retry-After: {calls:?}"
        );
    }
    assert!(calls.len() >= 3, "calls resume after each wait: {calls:?}");
}

#[test]
fn success_ends_the_streak() {
    let policy = BudgetPolicy::default();
    let mut b = Budget::default();
    b.settle(&policy, 0, 10, 3, Outcome::Transient, 0.0);
    assert!(b.failing());
    assert!(matches!(b.may_call(&policy, 20), Err(Wait::Until(at)) if at >= 500));
    b.settle(&policy, 1_000, 1_010, 1, Outcome::Success, 0.0);
    assert!(!b.failing());
    assert_eq!(b.may_call(&policy, 1_010), Ok(()));
    // It survives storage as it is.
    b.settle(&policy, 2_000, 2_010, 1, Outcome::Transient, 0.3);
    let text = serde_json::to_string(&b).unwrap();
    assert_eq!(serde_json::from_str::<Budget>(&text).unwrap(), b);
}

#[test]
fn while_calls_fail_one_call_at_a_time() {
    // A QR and a status check both due when a wait ends: only one goes.
    let policy = BudgetPolicy::default();
    let mut b = Budget::default();
    b.settle(
        &policy,
        0,
        10,
        1,
        Outcome::RateLimited {
            retry_after_ms: 30_000,
        },
        0.5,
    );
    assert!(b.may_call(&policy, 29_000).is_err());
    assert_eq!(b.may_call(&policy, 30_010), Ok(()));
    b.begin();
    assert!(
        matches!(b.may_call(&policy, 30_010), Err(Wait::Until(_))),
        "the second kind waits for the first"
    );
    b.settle(&policy, 30_010, 30_050, 1, Outcome::Success, 0.5);
    assert_eq!(b.may_call(&policy, 30_050), Ok(()));
    // Healthy: calls of both kinds may overlap.
    b.begin();
    assert_eq!(b.may_call(&policy, 30_060), Ok(()));
}
