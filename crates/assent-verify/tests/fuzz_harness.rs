//! Property tests: the parser and verifier never panic, accept only canonical encodings, and refuse every
//! mutation of a valid token. Runs in every `cargo test`; the cargo-fuzz target in `fuzz/` explores further, and
//! `cargo xtask fuzz` falls back to this harness (with `PROPTEST_CASES` scaled to the time budget) when
//! cargo-fuzz is unavailable.

use assent_verify::{KeySet, UntrustedToken, Verifier, format};
use proptest::prelude::*;
use serde_json::Value;

/// `PROPTEST_CASES` when set (so `cargo xtask fuzz` can scale the run), else `default`.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(default)
}

fn vectors() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/vectors/tokens.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn setup() -> (Verifier, Vec<(String, u64)>) {
    let v = vectors();
    let verifier = Verifier::new(KeySet::from_json(&v["keys"].to_string()).unwrap());
    let valid = v["valid"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["token"].as_str().unwrap().to_owned(),
                c["now"].as_u64().unwrap(),
            )
        })
        .collect();
    (verifier, valid)
}

/// What every accepted token must satisfy.
fn check_accepted(text: &str, t: &UntrustedToken) -> Result<(), TestCaseError> {
    // Exactly one encoding: the accepted text is the canonical encoding of its bytes.
    let bytes = [t.payload(), t.signature()].concat();
    prop_assert_eq!(assent_core::base64url::encode(&bytes), text);
    prop_assert_eq!(t.signature().len(), format::SIGNATURE_LEN);
    let c = t.untrusted_claims();
    prop_assert!(c.issued_at < c.expires_at && u32::try_from(c.expires_at).is_ok());
    prop_assert!(c.granted.contains(0));
    prop_assert!(format::is_valid_site_id(&c.site_id));
    // A region exactly in version 2, and then a valid one.
    prop_assert_eq!(c.region.is_some(), t.version() == format::VERSION_REGION);
    prop_assert!(c.region().is_none_or(format::is_valid_region));
    let max = if t.version() == format::VERSION {
        format::MAX_TOKEN_LEN_V1
    } else {
        format::MAX_TOKEN_LEN
    };
    prop_assert!(text.len() <= max);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(2000)))]

    #[test]
    fn arbitrary_strings_never_panic(text in ".{0,300}") {
        let (verifier, _) = setup();
        if let Ok(t) = UntrustedToken::parse(&text) {
            check_accepted(&text, &t)?;
        }
        // Nothing here is signed by the test keys.
        prop_assert!(verifier.verify(&text, 1_767_229_200).is_err());
    }

    #[test]
    fn arbitrary_base64url_never_panics(text in "[A-Za-z0-9_-]{0,260}") {
        if let Ok(t) = UntrustedToken::parse(&text) {
            check_accepted(&text, &t)?;
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let text = assent_core::base64url::encode(&bytes);
        if let Ok(t) = UntrustedToken::parse(&text) {
            check_accepted(&text, &t)?;
        }
    }

    #[test]
    fn structured_payloads_parse_consistently(
        version in prop_oneof![Just(1u8), Just(2u8), any::<u8>()],
        body in proptest::collection::vec(any::<u8>(), 0..180),
    ) {
        // A known version followed by random bytes reaches deeper into the parser than uniform random bytes.
        let mut bytes = vec![version];
        bytes.extend_from_slice(&body);
        let text = assent_core::base64url::encode(&bytes);
        match UntrustedToken::parse(&text) {
            Ok(t) => check_accepted(&text, &t)?,
            Err(e) if !matches!(version, 1 | 2) => prop_assert_eq!(e.code(), "unsupported_version"),
            Err(e) => prop_assert_eq!(e.code(), "malformed"),
        }
    }

    #[test]
    fn any_byte_mutation_of_a_valid_token_is_refused(
        which in any::<prop::sample::Index>(),
        at in any::<prop::sample::Index>(),
        xor in 1u8..=255,
    ) {
        let (verifier, valid) = setup();
        let (token, now) = which.get(&valid);
        let mut bytes = assent_core::base64url::decode(token).unwrap();
        let i = at.index(bytes.len());
        bytes[i] ^= xor;
        let mutated = assent_core::base64url::encode(&bytes);
        prop_assert!(verifier.verify(&mutated, *now).is_err(), "byte {} ^ {:#x} accepted", i, xor);
    }

    #[test]
    fn splicing_two_valid_tokens_is_refused(
        a in any::<prop::sample::Index>(),
        b in any::<prop::sample::Index>(),
        cut in any::<prop::sample::Index>(),
    ) {
        let (verifier, valid) = setup();
        let (ta, now) = a.get(&valid);
        let (tb, _) = b.get(&valid);
        let cut = cut.index(ta.len().min(tb.len()));
        let spliced = format!("{}{}", &ta[..cut], &tb[cut..]);
        if spliced != *ta && spliced != *tb {
            prop_assert!(verifier.verify(&spliced, *now).is_err());
        }
    }
}

#[cfg(feature = "sign")]
mod signed {
    use super::*;
    use assent_verify::{
        CategorySet, ConsentClaims, KeyStatus, RecordId, Signals, SigningKey, SubjectId,
    };

    fn claims() -> impl Strategy<Value = ConsentClaims> {
        (
            any::<[u8; 16]>(),
            any::<[u8; 12]>(),
            0u64..u64::from(u32::MAX),
            any::<u32>(),
            any::<u64>(),
            any::<(bool, bool)>(),
            "[!-~]{1,64}",
            any::<u32>(),
            proptest::option::of("[a-z][a-z0-9_]{0,31}"),
        )
            .prop_map(
                |(record, subject, iat, rev, granted, (dnt, gpc), site, life, region)| {
                    let max_life = u64::from(u32::MAX) - iat;
                    ConsentClaims {
                        record_id: RecordId(record),
                        subject_id: SubjectId(subject),
                        issued_at: iat,
                        expires_at: iat + 1 + u64::from(life) % max_life,
                        config_revision: rev,
                        granted: CategorySet(granted | 1),
                        signals: Signals { dnt, gpc },
                        site_id: site,
                        region,
                    }
                },
            )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(cases(300)))]

        #[test]
        fn sign_then_verify_round_trips(c in claims()) {
            let key = SigningKey::from_seed(&[42; 32]);
            let token = key.sign(&c).unwrap();
            prop_assert!(token.len() <= format::MAX_TOKEN_LEN);
            let verifier = Verifier::new(key.key_set(KeyStatus::Active)).with_leeway(0);
            let verified = verifier.verify(&token, c.issued_at).unwrap();
            prop_assert_eq!(verified.claims(), &c);
            check_accepted(&token, &UntrustedToken::parse(&token).unwrap())?;
        }
    }
}
