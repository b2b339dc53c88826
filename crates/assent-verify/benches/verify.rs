//! Token verification throughput: cold (full strict Ed25519 verify), cached, and jsonwebtoken verifying an EdDSA
//! JWT that carries the same claims, in the same run. Run with `cargo xtask bench verify` or
//! `cargo bench -p assent-verify -- --measurement-time 3`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use assent_verify::{CachingVerifier, KeySet, Verifier, unix_now};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The same claims as an Assent token, with short JWT claim names so the comparison is fair on size.
#[derive(Debug, Serialize, Deserialize)]
struct JwtClaims {
    /// Record id (UUID).
    jti: String,
    /// Subject id.
    sub: String,
    iat: u64,
    exp: u64,
    /// Config revision.
    rev: u32,
    /// Granted categories bitmap.
    cat: u64,
    dnt: bool,
    gpc: bool,
    /// Site id.
    aud: String,
}

struct Fixture {
    verifier: Verifier,
    token: String,
    typical_token: String,
    jwt: String,
    typical_jwt_len: usize,
    jwt_key: DecodingKey,
    validation: Validation,
}

fn jwt_for(claims: &Value, key: &EncodingKey, kid: &str) -> String {
    let c = JwtClaims {
        jti: claims["record_id"].as_str().unwrap().into(),
        sub: claims["subject_id"].as_str().unwrap().into(),
        iat: claims["issued_at"].as_u64().unwrap(),
        exp: claims["expires_at"].as_u64().unwrap(),
        rev: claims["config_revision"].as_u64().unwrap() as u32,
        cat: claims["granted"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| 1u64 << i.as_u64().unwrap())
            .sum(),
        dnt: claims["signals"]["dnt"].as_bool().unwrap(),
        gpc: claims["signals"]["gpc"].as_bool().unwrap(),
        aud: claims["site_id"].as_str().unwrap().into(),
    };
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(kid.into());
    jsonwebtoken::encode(&header, &c, key).unwrap()
}

fn fixture() -> Fixture {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/vectors/tokens.json"
    );
    let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let verifier = Verifier::new(KeySet::from_json(&v["keys"].to_string()).unwrap());
    let valid = v["valid"].as_array().unwrap();
    let typical = &valid[0];
    // Valid until 2106, so that both verifiers can check against the real clock.
    let long = valid
        .iter()
        .find(|c| c["name"].as_str().unwrap().starts_with("long-lived"))
        .unwrap();
    let test_key = v["test_private_keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == long["kid"])
        .unwrap();
    let seed = assent_core::base64url::decode(test_key["seed"].as_str().unwrap()).unwrap();
    // PKCS#8 v1 for Ed25519 (RFC 8410): fixed header + 32-byte seed.
    let mut der = vec![
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    der.extend_from_slice(&seed);
    let encoding = EncodingKey::from_ed_der(&der);
    let kid = long["kid"].as_str().unwrap();
    let x = v["keys"]["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid)
        .unwrap()["x"]
        .as_str()
        .unwrap();
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.set_audience(&[long["claims"]["site_id"].as_str().unwrap()]);
    validation.set_required_spec_claims(&["exp", "aud"]);
    Fixture {
        verifier,
        token: long["token"].as_str().unwrap().into(),
        typical_token: typical["token"].as_str().unwrap().into(),
        jwt: jwt_for(&long["claims"], &encoding, kid),
        typical_jwt_len: jwt_for(&typical["claims"], &encoding, kid).len(),
        jwt_key: DecodingKey::from_ed_components(x).unwrap(),
        validation,
    }
}

fn bench(c: &mut Criterion) {
    let f = fixture();
    let now = unix_now();
    // Both sides accept their token before anything is measured.
    assert!(f.verifier.verify(&f.token, now).is_ok());
    let decoded = jsonwebtoken::decode::<JwtClaims>(&f.jwt, &f.jwt_key, &f.validation).unwrap();
    assert_eq!(decoded.claims.cat, 0b11);
    eprintln!(
        "token lengths: assent typical {} chars (JWT with the same claims {}); long-lived assent {} vs JWT {}",
        f.typical_token.len(),
        f.typical_jwt_len,
        f.token.len(),
        f.jwt.len()
    );

    let mut g = c.benchmark_group("verify");
    g.throughput(Throughput::Elements(1));
    g.bench_function("assent_cold", |b| {
        b.iter(|| f.verifier.verify(black_box(&f.token), now).unwrap());
    });
    let cache = CachingVerifier::new(f.verifier.clone(), 10_000);
    g.bench_function("assent_cached", |b| {
        b.iter(|| cache.verify(black_box(&f.token), now).unwrap());
    });
    g.bench_function("jsonwebtoken_eddsa", |b| {
        b.iter(|| {
            jsonwebtoken::decode::<JwtClaims>(black_box(&f.jwt), &f.jwt_key, &f.validation).unwrap()
        });
    });
    g.finish();

    // The ratio in one line: cold Assent verification vs jsonwebtoken, interleaved so both see the same load.
    let (mut assent, mut jwt) = (Duration::ZERO, Duration::ZERO);
    for _ in 0..20 {
        let t = Instant::now();
        for _ in 0..100 {
            black_box(f.verifier.verify(black_box(&f.token), now).unwrap());
        }
        assent += t.elapsed();
        let t = Instant::now();
        for _ in 0..100 {
            black_box(
                jsonwebtoken::decode::<JwtClaims>(black_box(&f.jwt), &f.jwt_key, &f.validation)
                    .unwrap(),
            );
        }
        jwt += t.elapsed();
    }
    let per_sec = |d: Duration| 2000.0 / d.as_secs_f64();
    eprintln!(
        "cold verify: assent {:.0}/s, jsonwebtoken EdDSA {:.0}/s, ratio {:.2}x (goal >= 1.0x)",
        per_sec(assent),
        per_sec(jwt),
        per_sec(assent) / per_sec(jwt)
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
