//! A bounded cache of verified tokens for hot paths.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::claims::ConsentClaims;
use crate::verify::{Verified, Verifier, VerifyError, check_site, check_times};

const SHARDS: usize = 16;

type Map = HashMap<Box<str>, Verified<ConsentClaims>>;

/// Two generations per shard: new entries go to `current`; when it is full it becomes `previous` and the old
/// `previous` is dropped. A hit in `previous` moves the entry back to `current`. Recently used tokens stay,
/// memory stays bounded, and every operation is O(1).
#[derive(Debug, Default)]
struct Shard {
    current: Map,
    previous: Map,
}

/// A [`Verifier`] with a bounded cache of successful verifications.
///
/// - Only successes are cached: a refused token is verified again (and refused again) every time.
/// - The validity window (`issued_at`, `expires_at`, leeway) is checked again on every hit, so a cached token
///   stops verifying when it expires; expired entries are dropped when met.
/// - At most `capacity` tokens are held (each at most [`MAX_TOKEN_LEN`](crate::format::MAX_TOKEN_LEN) bytes plus
///   its claims); least recently used ones are evicted first (approximately: two generations).
/// - The key set is fixed for the cache's lifetime: after removing a key, build a new `CachingVerifier`.
///
/// Thread-safe: share it with an `Arc`; it is split into 16 independently locked shards.
#[derive(Debug)]
pub struct CachingVerifier {
    verifier: Verifier,
    shards: Box<[Mutex<Shard>]>,
    generation_len: usize,
}

impl CachingVerifier {
    /// Caches up to `capacity` verified tokens (rounded down to a multiple of 32 when ≥ 256, of 2 below;
    /// 0 or 1 disables caching).
    pub fn new(verifier: Verifier, capacity: usize) -> CachingVerifier {
        let shards = if capacity >= 256 { SHARDS } else { 1 };
        CachingVerifier {
            verifier,
            shards: (0..shards).map(|_| Mutex::default()).collect(),
            generation_len: capacity / (2 * shards),
        }
    }

    /// The uncached verifier.
    pub fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    /// Like [`Verifier::verify`], answering from the cache when the exact token text was verified before.
    pub fn verify(&self, token: &str, now: u64) -> Result<Verified<ConsentClaims>, VerifyError> {
        if self.generation_len == 0 {
            return self.verifier.verify(token, now);
        }
        let shard = self.shard(token);
        {
            let mut guard = lock(shard);
            let s = &mut *guard;
            let hit = if let Some(v) = s.current.get(token) {
                Some(v.clone())
            } else if let Some((key, v)) = s.previous.remove_entry(token) {
                let out = v.clone();
                self.insert_locked(s, key, v);
                Some(out)
            } else {
                None
            };
            if let Some(v) = hit {
                return match check_times(&v, now, self.verifier.leeway()) {
                    Ok(()) => Ok(v),
                    Err(e) => {
                        if matches!(e, VerifyError::Expired { .. }) {
                            s.current.remove(token);
                        }
                        Err(e)
                    }
                };
            }
        }
        // Verify without holding the lock: the signature check is the slow part.
        let verified = self.verifier.verify(token, now)?;
        let mut guard = lock(shard);
        self.insert_locked(&mut guard, token.into(), verified.clone());
        Ok(verified)
    }

    /// Like [`Verifier::verify_for_site`]: a cached token of another site fails with
    /// [`VerifyError::WrongSite`] too (the cache is keyed by token text, not site).
    pub fn verify_for_site(
        &self,
        token: &str,
        site: &str,
        now: u64,
    ) -> Result<Verified<ConsentClaims>, VerifyError> {
        check_site(self.verify(token, now)?, site)
    }

    /// Number of cached tokens.
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| {
                let s = lock(s);
                s.current.len() + s.previous.len()
            })
            .sum()
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Largest number of tokens held at once.
    pub fn capacity(&self) -> usize {
        self.shards.len() * 2 * self.generation_len
    }

    /// Drops every cached token.
    pub fn clear(&self) {
        for s in &self.shards {
            let mut s = lock(s);
            s.current.clear();
            s.previous.clear();
        }
    }

    fn shard(&self, token: &str) -> &Mutex<Shard> {
        // The fourth character from the end is six signature bits, uniformly spread for real tokens (the last
        // ones may be partly padding bits). Forged tokens only ever look up (failures are not cached), so they
        // cannot crowd a shard.
        let bytes = token.as_bytes();
        let c = bytes
            .get(bytes.len().saturating_sub(4))
            .copied()
            .unwrap_or(0);
        let sextet = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            other => other,
        };
        &self.shards[usize::from(sextet) % self.shards.len()]
    }

    fn insert_locked(&self, s: &mut Shard, key: Box<str>, value: Verified<ConsentClaims>) {
        if s.current.len() >= self.generation_len && !s.current.contains_key(&key) {
            s.previous = std::mem::take(&mut s.current);
        }
        s.current.insert(key, value);
    }
}

fn lock(m: &Mutex<Shard>) -> MutexGuard<'_, Shard> {
    // A panic while holding the lock cannot leave a half-written entry that matters: a map is either updated
    // or not. Keep serving.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}
