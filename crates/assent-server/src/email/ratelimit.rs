//! Subscribe rate limits: a [`FixedWindow`] counter per key (an address pseudonym, or a client), in memory. (Every
//! route's `--rate-limit` is a token bucket instead, `crate::ratelimit`; both read a limit of 0 as unlimited.)
//!
//! Two limits guard `POST /v1/subscriptions`:
//! - **per client** (an IPv4 address, an IPv6 /64): over the limit, the request is refused with 429 and
//!   `Retry-After`;
//! - **per address**: over the limit, the request is answered exactly like an accepted one (202) but nothing is
//!   stored or sent. Answering differently would tell a stranger that someone asked for that address recently,
//!   and sending would let anyone flood a mailbox with confirmation requests.
//!
//! Memory is bounded: at most [`MAX_KEYS`] keys. Windows are kept in the order they started, so expired ones
//! are dropped from the front in constant time per call (never a sweep of the whole map under the lock), and
//! when the map is full of live windows the oldest one is evicted: an attacker who fills the map can at worst
//! restart the count of the keys that have been quiet the longest.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::sync::Mutex;

/// Keys tracked at most.
pub const MAX_KEYS: usize = 100_000;

/// At most `max` events per `window_secs` per key, counted in windows that start at a key's first event;
/// `max == 0` is unlimited (nothing is tracked), as for `--rate-limit 0`.
#[derive(Debug)]
pub struct FixedWindow<K> {
    max: u32,
    window_secs: u64,
    capacity: usize,
    state: Mutex<Windows<K>>,
}

#[derive(Debug)]
struct Windows<K> {
    /// Key → (window start, count).
    counters: HashMap<K, (u64, u32)>,
    /// (window start, key) in the order windows started; an entry whose start no longer matches the key's
    /// counter is stale and skipped.
    order: VecDeque<(u64, K)>,
}

impl<K: Eq + Hash + Clone> FixedWindow<K> {
    /// A limiter allowing `max` events per `window_secs` per key. `max == 0` allows everything.
    pub fn new(max: u32, window_secs: u64) -> FixedWindow<K> {
        FixedWindow::with_capacity(max, window_secs, MAX_KEYS)
    }

    /// The same with another key cap (tests).
    pub fn with_capacity(max: u32, window_secs: u64, capacity: usize) -> FixedWindow<K> {
        FixedWindow {
            max,
            window_secs: window_secs.max(1),
            capacity: capacity.max(1),
            state: Mutex::new(Windows {
                counters: HashMap::new(),
                order: VecDeque::new(),
            }),
        }
    }

    /// Keys currently tracked.
    pub fn len(&self) -> usize {
        self.lock().counters.len()
    }

    /// Whether no key is tracked.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Windows<K>> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Counts one event for `key` at `now`. `Ok(())` when allowed; `Err(retry_after_secs)` when over the limit
    /// (the refused event is not counted).
    pub fn check(&self, key: &K, now: u64) -> Result<(), u64> {
        if self.max == 0 {
            return Ok(());
        }
        let window = self.window_secs;
        let mut guard = self.lock();
        let w = &mut *guard;
        // Drop expired windows from the front (oldest first), and stale order entries.
        while let Some((start, k)) = w.order.front() {
            let live = w.counters.get(k).is_some_and(|(s, _)| s == start);
            if !live {
                w.order.pop_front();
            } else if now >= start.saturating_add(window) {
                let k = k.clone();
                w.order.pop_front();
                w.counters.remove(&k);
            } else {
                break;
            }
        }
        let fresh = match w.counters.get(key) {
            None => true,
            Some((start, _)) => now >= start.saturating_add(window) || now < *start,
        };
        if fresh {
            if !w.counters.contains_key(key) {
                while w.counters.len() >= self.capacity {
                    // Full of live windows: evict the oldest.
                    let Some((start, k)) = w.order.pop_front() else {
                        break;
                    };
                    if w.counters.get(&k).is_some_and(|(s, _)| *s == start) {
                        w.counters.remove(&k);
                    }
                }
            }
            w.counters.insert(key.clone(), (now, 0));
            w.order.push_back((now, key.clone()));
        }
        let entry = w.counters.get_mut(key).expect("inserted above");
        if entry.1 >= self.max {
            return Err(entry.0.saturating_add(window).saturating_sub(now).max(1));
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
        let l = FixedWindow::new(2, 60);
        assert_eq!(l.check(&"a", 100), Ok(()));
        assert_eq!(l.check(&"a", 110), Ok(()));
        assert_eq!(l.check(&"a", 120), Err(40));
        assert_eq!(l.check(&"b", 120), Ok(()));
        assert_eq!(l.check(&"a", 160), Ok(()));
    }

    #[test]
    fn zero_means_unlimited() {
        let none = FixedWindow::new(0, 60);
        for _ in 0..1000 {
            assert_eq!(none.check(&"a", 1), Ok(()));
        }
        assert!(none.is_empty(), "an unlimited limiter tracks nothing");
    }

    #[test]
    fn memory_is_capped_and_the_oldest_window_goes_first() {
        let l = FixedWindow::with_capacity(1, 86_400, 3);
        for (i, k) in ["a", "b", "c"].iter().enumerate() {
            assert_eq!(l.check(k, 10 + i as u64), Ok(()));
        }
        assert!(l.check(&"a", 20).is_err());
        // A fourth key while all three windows are live: the oldest ("a") is evicted, not the whole map swept.
        assert_eq!(l.check(&"d", 21), Ok(()));
        assert_eq!(l.len(), 3);
        assert!(l.check(&"b", 22).is_err(), "b is still counted");
        assert!(l.check(&"d", 22).is_err(), "d is counted");
        assert_eq!(
            l.check(&"a", 23),
            Ok(()),
            "a was evicted, so it starts again"
        );
        assert_eq!(l.len(), 3);
    }

    #[test]
    fn expired_windows_are_dropped_as_time_passes() {
        let l = FixedWindow::with_capacity(5, 60, 1000);
        for i in 0..500u32 {
            assert_eq!(l.check(&i, 100), Ok(()));
        }
        assert_eq!(l.len(), 500);
        assert_eq!(l.check(&9999, 161), Ok(()));
        assert_eq!(l.len(), 1, "every window older than a minute went");
    }

    #[test]
    fn many_keys_stay_bounded() {
        let l = FixedWindow::with_capacity(3, 86_400, 1000);
        for i in 0..100_000u32 {
            let _ = l.check(&i, 1000);
        }
        assert_eq!(l.len(), 1000);
    }
}
