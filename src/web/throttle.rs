//! Sign-in throttling (DESIGN §9): after [`MAX_FAILURES`] wrong passwords for one e-mail
//! address within [`WINDOW`], or [`MAX_FAILURES_PER_PEER`] from one peer address, further
//! attempts are refused with 429 until the oldest failure leaves the window — without the
//! password being checked, so guessing gets nowhere. A successful sign-in clears the
//! address's count. Kept in memory per process, on the application's clock.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

/// Wrong passwords allowed per e-mail address within the window.
pub const MAX_FAILURES: usize = 5;

/// Wrong passwords allowed per peer address within the window.
pub const MAX_FAILURES_PER_PEER: usize = 50;

/// The window.
pub const WINDOW: Duration = Duration::minutes(15);

/// Keys kept at most; the stalest go first.
pub const MAX_KEYS: usize = 100_000;

/// Failed sign-ins by key.
#[derive(Debug, Default)]
pub struct LoginThrottle {
    failures: Mutex<HashMap<String, VecDeque<DateTime<Utc>>>>,
}

fn keys(email: &str, peer: Option<&str>) -> [(String, usize); 2] {
    [
        (format!("email:{}", email.trim().to_lowercase()), MAX_FAILURES),
        (format!("peer:{}", peer.unwrap_or("unknown")), MAX_FAILURES_PER_PEER),
    ]
}

impl LoginThrottle {
    /// `Some(seconds to wait)` when a sign-in as `email` from `peer` may not be tried now.
    pub fn refused(&self, email: &str, peer: Option<&str>, now: DateTime<Utc>) -> Option<i64> {
        let mut failures = self.failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut wait = None;
        for (key, limit) in keys(email, peer) {
            let Some(times) = failures.get_mut(&key) else { continue };
            while times.front().is_some_and(|t| *t + WINDOW <= now) {
                times.pop_front();
            }
            if times.len() >= limit {
                let free = times.front().map_or(0, |t| (*t + WINDOW - now).num_seconds().max(1));
                wait = Some(wait.map_or(free, |w: i64| w.max(free)));
            }
        }
        wait
    }

    /// Records a wrong password.
    pub fn failed(&self, email: &str, peer: Option<&str>, now: DateTime<Utc>) {
        let mut failures = self.failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if failures.len() >= MAX_KEYS {
            let stalest = failures
                .iter()
                .min_by_key(|(_, times)| times.back().copied())
                .map(|(key, _)| key.clone());
            if let Some(key) = stalest {
                failures.remove(&key);
            }
        }
        for (key, _) in keys(email, peer) {
            failures.entry(key).or_default().push_back(now);
        }
    }

    /// A successful sign-in: the address starts afresh (the peer's count stays).
    pub fn succeeded(&self, email: &str) {
        let mut failures = self.failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        failures.remove(&format!("email:{}", email.trim().to_lowercase()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(minute: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 3, 10, 0, 0).single().unwrap_or_default()
            + Duration::minutes(minute)
    }

    #[test]
    fn the_sixth_try_within_the_window_waits_for_the_oldest_failure_to_age_out() {
        let throttle = LoginThrottle::default();
        for minute in 0..5 {
            assert_eq!(throttle.refused("A@x.example", Some("p"), at(minute)), None);
            throttle.failed("a@x.example", Some("p"), at(minute));
        }
        assert_eq!(throttle.refused("a@x.example", Some("q"), at(5)), Some(10 * 60));
        assert_eq!(throttle.refused("b@x.example", Some("p"), at(5)), None, "another address");
        assert_eq!(throttle.refused("a@x.example", Some("p"), at(15)), None, "the first aged out");
    }

    #[test]
    fn success_clears_the_address() {
        let throttle = LoginThrottle::default();
        for minute in 0..4 {
            throttle.failed("a@x.example", None, at(minute));
        }
        throttle.succeeded("a@x.example");
        throttle.failed("a@x.example", None, at(5));
        assert_eq!(throttle.refused("a@x.example", None, at(6)), None);
    }

    #[test]
    fn one_peer_guessing_many_addresses_is_stopped_too() {
        let throttle = LoginThrottle::default();
        for n in 0..MAX_FAILURES_PER_PEER {
            throttle.failed(&format!("u{n}@x.example"), Some("p"), at(0));
        }
        assert!(throttle.refused("new@x.example", Some("p"), at(1)).is_some());
        assert_eq!(throttle.refused("new@x.example", Some("other"), at(1)), None);
    }
}
