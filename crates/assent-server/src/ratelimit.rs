//! Per-client rate limiting for every route (`--rate-limit`): a [`TokenBucket`] per client (an IPv4 address, an
//! IPv6 /64; see `http::client`). The subscribe limits use a fixed window instead (`email::ratelimit`); both
//! read a limit of 0 as unlimited.
//!
//! Memory is bounded ([`MAX_TRACKED`] buckets). When the map is full, buckets that have refilled are swept, at
//! most once a second (a sweep walks the whole map under the lock, so it must not run on every call); a new
//! client that still finds no room is allowed without a bucket of its own until the next sweep.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Buckets kept before idle ones are dropped.
const MAX_TRACKED: usize = 65_536;

/// Allows each client `per_minute` requests per minute, in bursts of up to `per_minute`; a client's bucket
/// refills continuously. A limit of 0 is unlimited (nothing is tracked).
#[derive(Debug)]
pub struct TokenBucket {
    per_minute: u32,
    buckets: Mutex<Buckets>,
}

#[derive(Debug, Default)]
struct Buckets {
    map: HashMap<IpAddr, Bucket>,
    last_sweep: Option<Instant>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl TokenBucket {
    /// A limiter of `per_minute` requests per minute per client; 0 = unlimited.
    pub fn per_minute(per_minute: u32) -> TokenBucket {
        TokenBucket {
            per_minute,
            buckets: Mutex::new(Buckets::default()),
        }
    }

    /// Takes one request from `client`'s bucket. `Err` carries how long until the next request is allowed.
    pub fn check(&self, client: IpAddr) -> Result<(), Duration> {
        self.check_at(client, Instant::now())
    }

    fn check_at(&self, client: IpAddr, now: Instant) -> Result<(), Duration> {
        if self.per_minute == 0 {
            return Ok(());
        }
        let capacity = f64::from(self.per_minute);
        let per_sec = capacity / 60.0;
        let mut guard = self.buckets.lock().expect("rate limiter lock");
        let buckets = &mut *guard;
        if buckets.map.len() >= MAX_TRACKED && !buckets.map.contains_key(&client) {
            let due = buckets
                .last_sweep
                .is_none_or(|at| now.duration_since(at) >= Duration::from_secs(1));
            if due {
                // Forget clients whose bucket has refilled: they are indistinguishable from new ones.
                buckets.map.retain(|_, b| {
                    b.tokens + now.duration_since(b.at).as_secs_f64() * per_sec < capacity
                });
                buckets.last_sweep = Some(now);
            }
            if buckets.map.len() >= MAX_TRACKED {
                return Ok(());
            }
        }
        let bucket = buckets.map.entry(client).or_insert(Bucket {
            tokens: capacity,
            at: now,
        });
        let refill = now.duration_since(bucket.at).as_secs_f64() * per_sec;
        bucket.tokens = (bucket.tokens + refill).min(capacity);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - bucket.tokens) / per_sec))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_empties_and_refills() {
        let limiter = TokenBucket::per_minute(3);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(limiter.check_at(a, t0).is_ok());
        }
        let wait = limiter.check_at(a, t0).unwrap_err();
        assert!(
            wait <= Duration::from_secs(20) && wait > Duration::from_secs(19),
            "{wait:?}"
        );
        assert!(limiter.check_at(b, t0).is_ok(), "clients are independent");
        assert!(limiter.check_at(a, t0 + Duration::from_secs(21)).is_ok());
        assert!(limiter.check_at(a, t0 + Duration::from_secs(21)).is_err());
    }

    #[test]
    fn zero_is_unlimited() {
        let unlimited = TokenBucket::per_minute(0);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let t0 = Instant::now();
        for _ in 0..10_000 {
            assert_eq!(unlimited.check_at(a, t0), Ok(()));
        }
        assert!(
            unlimited.buckets.lock().unwrap().map.is_empty(),
            "an unlimited limiter tracks nobody"
        );
    }
}
