//! The verified-token cache: only successes cached, expiry checked on every hit, bounded memory.

use std::sync::Arc;

use assent_verify::{CachingVerifier, KeySet, Verifier, VerifyError};
use serde_json::Value;

fn setup(capacity: usize) -> (CachingVerifier, Vec<(String, u64, Value)>) {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/vectors/tokens.json"
    );
    let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let verifier = Verifier::new(KeySet::from_json(&v["keys"].to_string()).unwrap());
    let mut valid: Vec<(String, u64, Value)> = v["valid"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["token"].as_str().unwrap().to_owned(),
                c["now"].as_u64().unwrap(),
                c["claims"].clone(),
            )
        })
        .collect();
    valid.sort_by(|a, b| a.0.cmp(&b.0));
    valid.dedup_by(|a, b| a.0 == b.0);
    (CachingVerifier::new(verifier, capacity), valid)
}

#[test]
fn hits_return_the_same_verified_claims() {
    let (cache, valid) = setup(1024);
    assert!(cache.is_empty());
    for (token, now, claims) in &valid {
        let first = cache.verify(token, *now).unwrap();
        let second = cache.verify(token, *now).unwrap();
        assert_eq!(first, second);
        assert_eq!(second.to_json(), *claims);
        assert_eq!(
            second.kid(),
            cache.verifier().verify(token, *now).unwrap().kid()
        );
    }
    assert_eq!(cache.len(), valid.len());
    cache.clear();
    assert!(cache.is_empty());
}

#[test]
fn failures_are_not_cached() {
    let (cache, valid) = setup(1024);
    let (token, now, _) = &valid[0];
    let mut forged = token.clone().into_bytes();
    let last = forged.len() - 5;
    forged[last] = if forged[last] == b'A' { b'B' } else { b'A' };
    let forged = String::from_utf8(forged).unwrap();
    for _ in 0..3 {
        assert_eq!(cache.verify(&forged, *now), Err(VerifyError::BadSignature));
    }
    assert_eq!(
        cache.verify("garbage", *now).unwrap_err().code(),
        "malformed"
    );
    assert!(cache.is_empty());
}

#[test]
fn site_binding_holds_on_hits_too() {
    let (cache, valid) = setup(1024);
    let (token, now, claims) = &valid[0];
    let site = claims["site_id"].as_str().unwrap();
    assert_eq!(
        cache.verify_for_site(token, site, *now).unwrap().to_json(),
        *claims
    );
    // Now cached: another site is still refused, with its own code, and the right site still verifies.
    for _ in 0..2 {
        let err = cache
            .verify_for_site(token, "shop.example.net", *now)
            .unwrap_err();
        assert_eq!(err.code(), "wrong_site");
        assert_eq!(
            err,
            VerifyError::WrongSite {
                expected: "shop.example.net".into(),
                found: site.into()
            }
        );
    }
    assert!(cache.verify_for_site(token, site, *now).is_ok());
    // A forged token reports why it is invalid, not the site.
    let mut forged = token.clone().into_bytes();
    let last = forged.len() - 5;
    forged[last] = if forged[last] == b'A' { b'B' } else { b'A' };
    let forged = String::from_utf8(forged).unwrap();
    assert_eq!(
        cache.verify_for_site(&forged, "shop.example.net", *now),
        Err(VerifyError::BadSignature)
    );
}

#[test]
fn expiry_is_checked_on_every_hit() {
    let (cache, valid) = setup(1024);
    let (token, now, claims) = &valid[0];
    let exp = claims["expires_at"].as_u64().unwrap();
    let iat = claims["issued_at"].as_u64().unwrap();
    let leeway = cache.verifier().leeway();
    assert!(cache.verify(token, *now).is_ok());
    assert_eq!(cache.len(), 1);
    // A clock that went backwards: still refused, and the entry stays for when the clock is right again.
    assert_eq!(
        cache.verify(token, iat - leeway - 1).unwrap_err().code(),
        "not_yet_valid"
    );
    assert!(cache.verify(token, exp + leeway - 1).is_ok());
    assert_eq!(
        cache.verify(token, exp + leeway),
        Err(VerifyError::Expired {
            expires_at: exp,
            now: exp + leeway
        })
    );
    // The expired entry was dropped, and verifying again still says expired.
    assert!(cache.is_empty());
    assert_eq!(
        cache.verify(token, exp + leeway).unwrap_err().code(),
        "expired"
    );
    assert!(cache.is_empty());
}

#[test]
fn memory_is_bounded() {
    let (cache, valid) = setup(4);
    assert_eq!(cache.capacity(), 4);
    assert!(valid.len() > 4);
    for _ in 0..3 {
        for (token, now, _) in &valid {
            assert!(cache.verify(token, *now).is_ok());
            assert!(cache.len() <= 4, "{} entries", cache.len());
        }
    }
    // The most recent token is always a hit: it is in the current generation.
    let (token, now, _) = valid.last().unwrap();
    assert!(cache.verify(token, *now).is_ok());
    assert!(!cache.is_empty());
}

#[test]
fn capacity_zero_disables_caching_but_still_verifies() {
    let (cache, valid) = setup(0);
    let (token, now, _) = &valid[0];
    assert!(cache.verify(token, *now).is_ok());
    assert!(cache.is_empty());
    assert_eq!(cache.capacity(), 0);
}

#[test]
fn shared_across_threads() {
    let (cache, valid) = setup(4096);
    let cache = Arc::new(cache);
    let valid = Arc::new(valid);
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let cache = Arc::clone(&cache);
            let valid = Arc::clone(&valid);
            std::thread::spawn(move || {
                for _ in 0..50 {
                    for (token, now, claims) in valid.iter() {
                        assert_eq!(cache.verify(token, *now).unwrap().to_json(), *claims);
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(cache.len(), valid.len());
}

#[cfg(feature = "sign")]
#[test]
fn many_distinct_tokens_stay_within_capacity() {
    use assent_verify::{CategorySet, ConsentClaims, KeyStatus, Signals, SigningKey};
    let key = SigningKey::from_seed(&[7; 32]);
    let cache = CachingVerifier::new(Verifier::new(key.key_set(KeyStatus::Active)), 512);
    assert_eq!(cache.capacity(), 512);
    for i in 0..1500u32 {
        let claims = ConsentClaims {
            record_id: assent_verify::RecordId([0; 16]),
            subject_id: assent_verify::SubjectId([0; 12]),
            issued_at: 1_000,
            expires_at: 2_000,
            config_revision: i,
            granted: CategorySet(1),
            signals: Signals::default(),
            site_id: "example.com".into(),
            region: None,
        };
        let token = key.sign(&claims).unwrap();
        assert_eq!(cache.verify(&token, 1_500).unwrap().config_revision, i);
        assert!(cache.len() <= 512);
    }
    assert!(cache.len() > 256, "the cache is used: {}", cache.len());
}
