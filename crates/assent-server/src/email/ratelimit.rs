//! Subscribe rate limits: a fixed-window counter per key (an address pseudonym, or a client IP), in memory.
//!
//! Two limits guard `POST /v1/subscriptions`:
//! - **per client** (IP address): over the limit, the request is refused with 429 and `Retry-After`;
//! - **per address**: over the limit, the request is answered exactly like an accepted one (202) but nothing is
//!   stored or sent. Answering differently would tell a stranger that someone asked for that address recently,
//!   and sending would let anyone flood a mailbox with confirmation requests.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;

/// At most `max` events per `window_secs` per key.
#[derive(Debug)]
pub struct RateLimiter<K> {
    max: u32,
    window_secs: u64,
    counters: Mutex<HashMap<K, (u64, u32)>>,
}

/// Keys kept before stale windows are swept.
const SWEEP_AT: usize = 10_000;

impl<K: Eq + Hash + Clone> RateLimiter<K> {
    /// A limiter allowing `max` events per `window_secs` per key. `max == 0` refuses everything.
    pub fn new(max: u32, window_secs: u64) -> RateLimiter<K> {
        RateLimiter {
            max,
            window_secs: window_secs.max(1),
            counters: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one event for `key` at `now`. `Ok(())` when allowed; `Err(retry_after_secs)` when over the limit
    /// (the refused event is not counted).
    pub fn check(&self, key: &K, now: u64) -> Result<(), u64> {
        let mut counters = self
            .counters
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if counters.len() >= SWEEP_AT {
            let window = self.window_secs;
            counters.retain(|_, (start, _)| now < start.saturating_add(window));
        }
        let entry = counters.entry(key.clone()).or_insert((now, 0));
        if now >= entry.0.saturating_add(self.window_secs) || now < entry.0 {
            *entry = (now, 0);
        }
        if entry.1 >= self.max {
            return Err(entry
                .0
                .saturating_add(self.window_secs)
                .saturating_sub(now)
                .max(1));
        }
        entry.1 += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_key_and_window() {
        let l = RateLimiter::new(2, 60);
        assert_eq!(l.check(&"a", 100), Ok(()));
        assert_eq!(l.check(&"a", 110), Ok(()));
        assert_eq!(l.check(&"a", 120), Err(40));
        assert_eq!(l.check(&"b", 120), Ok(()));
        assert_eq!(l.check(&"a", 160), Ok(()));
        let none = RateLimiter::new(0, 60);
        assert!(none.check(&"a", 1).is_err());
    }
}
