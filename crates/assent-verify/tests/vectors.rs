//! The shared test vectors in `tests/vectors/tokens.json` (also read by the browser and server tests).
//!
//! `check_all_vectors` and friends only read the file. With feature `sign` the generator below rebuilds the
//! file in memory and checks it equals the committed one; `ASSENT_REGENERATE_VECTORS=1 cargo test -p
//! assent-verify --features sign --test vectors` rewrites it instead and then fails on purpose (refused under
//! `CI`). The vectors are made by this crate's own signer; the independent check is RFC 8032's vectors
//! (`src/verify/rfc8032.rs`).

use std::path::PathBuf;

use assent_verify::{KeySet, Verifier, VerifyError};
use serde_json::Value;

fn vectors_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors/tokens.json")
}

fn load() -> Value {
    let text = std::fs::read_to_string(vectors_path()).expect("tests/vectors/tokens.json exists");
    serde_json::from_str(&text).expect("vectors are JSON")
}

fn verifier(v: &Value) -> Verifier {
    let keys = KeySet::from_json(&v["keys"].to_string()).expect("vector key set parses");
    Verifier::new(keys).with_leeway(v["leeway_seconds"].as_u64().unwrap())
}

fn list<'a>(v: &'a Value, name: &str) -> &'a Vec<Value> {
    v[name]
        .as_array()
        .unwrap_or_else(|| panic!("{name} is a list"))
}

fn expected_code(e: &VerifyError) -> (String, Option<&'static str>) {
    let detail = match e {
        VerifyError::Malformed(m) => Some(m.code()),
        _ => None,
    };
    (e.code().to_owned(), detail)
}

#[test]
fn check_all_vectors() {
    let v = load();
    let verifier = verifier(&v);
    let valid = list(&v, "valid");
    let invalid = list(&v, "invalid");
    assert!(valid.len() >= 8, "valid vectors present");
    assert!(invalid.len() >= 30, "invalid vectors present");
    for case in valid {
        let name = case["name"].as_str().unwrap();
        let token = case["token"].as_str().unwrap();
        let now = case["now"].as_u64().unwrap();
        let verified = verifier
            .verify(token, now)
            .unwrap_or_else(|e| panic!("valid vector {name:?} refused: {e}"));
        assert_eq!(
            verified.kid().to_string(),
            case["kid"].as_str().unwrap(),
            "{name}"
        );
        assert_eq!(verified.to_json(), case["claims"], "{name}");
        assert_eq!(
            token.len() as u64,
            case["length"].as_u64().unwrap(),
            "{name}"
        );
    }
    for case in invalid {
        let name = case["name"].as_str().unwrap();
        let token = case["token"].as_str().unwrap();
        let now = case["now"].as_u64().unwrap();
        let err = verifier
            .verify(token, now)
            .expect_err(&format!("invalid vector {name:?} accepted"));
        let (code, detail) = expected_code(&err);
        assert_eq!(code, case["error"].as_str().unwrap(), "{name}: {err}");
        if let Some(d) = case.get("detail") {
            assert_eq!(detail, d.as_str(), "{name}: {err}");
        }
    }
}

/// The "verify at issue time" mode: every valid vector, and every token refused only for its times (expired, not
/// yet valid), verifies with its claims; every other refusal (format, key, signature) stays a refusal, with the
/// same code, so the mode waives the clock and nothing else.
#[test]
fn verify_at_issue_time_waives_the_clock_only() {
    let v = load();
    let verifier = verifier(&v);
    for case in list(&v, "valid") {
        let name = case["name"].as_str().unwrap();
        let verified = verifier
            .verify_at_issue_time(case["token"].as_str().unwrap())
            .unwrap_or_else(|e| panic!("valid vector {name:?} refused at issue time: {e}"));
        assert_eq!(verified.to_json(), case["claims"], "{name}");
    }
    let mut waived = 0;
    for case in list(&v, "invalid") {
        let name = case["name"].as_str().unwrap();
        let token = case["token"].as_str().unwrap();
        let code = case["error"].as_str().unwrap();
        let at_issue = verifier.verify_at_issue_time(token);
        if matches!(code, "expired" | "not_yet_valid") {
            let verified =
                at_issue.unwrap_or_else(|e| panic!("{name:?}: genuine token refused: {e}"));
            // The same claims `verify` would have returned had the clock been right.
            let issued_at = verified.issued_at;
            assert_eq!(
                verifier.verify(token, issued_at).unwrap().claims(),
                verified.claims(),
                "{name}"
            );
            waived += 1;
        } else {
            let err = at_issue.expect_err(&format!("{name:?} accepted at issue time"));
            assert_eq!(err.code(), code, "{name}: {err}");
        }
    }
    assert!(waived >= 4, "expired and not-yet-valid vectors present");
}

#[test]
fn every_kind_of_error_is_covered() {
    let v = load();
    let codes: std::collections::BTreeSet<&str> = list(&v, "invalid")
        .iter()
        .map(|c| c["error"].as_str().unwrap())
        .collect();
    for code in [
        "malformed",
        "unsupported_version",
        "unknown_kid",
        "bad_signature",
        "expired",
        "not_yet_valid",
    ] {
        assert!(codes.contains(code), "no invalid vector for {code}");
    }
}

const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

#[test]
fn flipping_any_single_character_of_a_valid_token_fails() {
    let v = load();
    let verifier = verifier(&v);
    for case in list(&v, "valid") {
        let token = case["token"].as_str().unwrap();
        let now = case["now"].as_u64().unwrap();
        for i in 0..token.len() {
            let original = token.as_bytes()[i];
            let sextet = ALPHABET.iter().position(|&c| c == original).unwrap();
            // Every single-bit flip of the character's 6 bits, and characters outside the alphabet.
            let flips = (0..6).map(|bit| ALPHABET[sextet ^ (1 << bit)]);
            for c in flips.chain(*b"+/=. ") {
                let mut bytes = token.as_bytes().to_vec();
                bytes[i] = c;
                let flipped = String::from_utf8(bytes).unwrap();
                assert!(
                    verifier.verify(&flipped, now).is_err(),
                    "{}: character {i} changed to {:?} still verifies",
                    case["name"],
                    char::from(c)
                );
            }
        }
    }
}

#[test]
fn every_truncation_and_extension_of_a_valid_token_fails() {
    let v = load();
    let verifier = verifier(&v);
    for case in list(&v, "valid") {
        let token = case["token"].as_str().unwrap();
        let now = case["now"].as_u64().unwrap();
        for end in 0..token.len() {
            let err = verifier.verify(&token[..end], now).unwrap_err();
            assert_eq!(err.code(), "malformed", "truncated to {end}: {err}");
        }
        for extra in ["A", "AA", "AAA", "AAAA", "=", " "] {
            let err = verifier
                .verify(&format!("{token}{extra}"), now)
                .unwrap_err();
            assert_eq!(err.code(), "malformed", "{extra:?} appended: {err}");
        }
    }
}

#[test]
fn expiry_and_leeway_boundaries() {
    let v = load();
    let leeway = v["leeway_seconds"].as_u64().unwrap();
    let verifier = verifier(&v);
    let case = &list(&v, "valid")[0];
    let token = case["token"].as_str().unwrap();
    let iat = case["claims"]["issued_at"].as_u64().unwrap();
    let exp = case["claims"]["expires_at"].as_u64().unwrap();
    assert!(verifier.verify(token, exp + leeway - 1).is_ok());
    assert_eq!(
        verifier.verify(token, exp + leeway),
        Err(VerifyError::Expired {
            expires_at: exp,
            now: exp + leeway
        })
    );
    assert!(verifier.verify(token, iat - leeway).is_ok());
    assert_eq!(
        verifier.verify(token, iat - leeway - 1),
        Err(VerifyError::NotYetValid {
            issued_at: iat,
            now: iat - leeway - 1
        })
    );
    // Without leeway the window is exactly [issued_at, expires_at).
    let strict = verifier.clone().with_leeway(0);
    assert!(strict.verify(token, iat).is_ok());
    assert!(strict.verify(token, exp - 1).is_ok());
    assert_eq!(strict.verify(token, exp).unwrap_err().code(), "expired");
    assert_eq!(
        strict.verify(token, iat - 1).unwrap_err().code(),
        "not_yet_valid"
    );
}

#[test]
fn removing_a_key_makes_its_tokens_unknown() {
    let v = load();
    let mut keys = verifier(&v).keys().clone();
    for case in list(&v, "valid") {
        let token = case["token"].as_str().unwrap();
        let now = case["now"].as_u64().unwrap();
        assert!(Verifier::new(keys.clone()).verify(token, now).is_ok());
        let kid = case["kid"].as_str().unwrap().parse().unwrap();
        let mut without = keys.clone();
        assert!(without.remove(kid));
        assert_eq!(
            Verifier::new(without).verify(token, now),
            Err(VerifyError::UnknownKid(kid))
        );
    }
    // An empty key set verifies nothing.
    keys = KeySet::new();
    let case = &list(&v, "valid")[0];
    assert_eq!(
        Verifier::new(keys)
            .verify(
                case["token"].as_str().unwrap(),
                case["now"].as_u64().unwrap()
            )
            .unwrap_err()
            .code(),
        "unknown_kid"
    );
}

#[test]
fn every_valid_vector_is_bound_to_its_site() {
    let v = load();
    let verifier = verifier(&v);
    for case in list(&v, "valid") {
        let token = case["token"].as_str().unwrap();
        let now = case["now"].as_u64().unwrap();
        let site = case["claims"]["site_id"].as_str().unwrap();
        assert!(verifier.verify_for_site(token, site, now).is_ok());
        let other = format!("{site}.other");
        let err = verifier.verify_for_site(token, &other, now).unwrap_err();
        assert_eq!(err.code(), "wrong_site", "{}", case["name"]);
        assert!(err.to_string().contains(site), "{err}");
    }
    // Site binding never hides why a token is invalid.
    for case in list(&v, "invalid") {
        let token = case["token"].as_str().unwrap();
        let now = case["now"].as_u64().unwrap();
        let err = verifier
            .verify_for_site(token, "elsewhere.example", now)
            .unwrap_err();
        assert_eq!(err.code(), case["error"].as_str().unwrap());
    }
}

#[test]
fn version_1_and_2_vectors_are_both_present() {
    let v = load();
    let versions: std::collections::BTreeSet<u8> = list(&v, "valid")
        .iter()
        .map(|c| {
            assent_verify::UntrustedToken::parse(c["token"].as_str().unwrap())
                .unwrap()
                .version()
        })
        .collect();
    assert_eq!(versions, [1, 2].into());
    let longest = list(&v, "valid")
        .iter()
        .map(|c| c["length"].as_u64().unwrap())
        .max();
    assert_eq!(longest, Some(assent_verify::format::MAX_TOKEN_LEN as u64));
}

#[test]
fn a_single_raw_public_key_verifies_its_tokens() {
    let v = load();
    let active = list(&v["keys"], "keys")
        .iter()
        .find(|k| k["status"] == "active")
        .unwrap();
    let verifier =
        Verifier::new(KeySet::from_public_key_base64url(active["x"].as_str().unwrap()).unwrap());
    let mut checked = 0;
    for case in list(&v, "valid") {
        let token = case["token"].as_str().unwrap();
        let now = case["now"].as_u64().unwrap();
        let result = verifier.verify(token, now);
        if case["kid"] == active["kid"] {
            checked += 1;
            assert!(result.is_ok(), "{}", case["name"]);
        } else {
            assert_eq!(result.unwrap_err().code(), "unknown_kid");
        }
    }
    assert!(checked > 0);
}

#[cfg(feature = "sign")]
mod generator {
    //! Builds the vectors. Deterministic: fixed keys, fixed times, deterministic Ed25519.

    use super::*;
    use assent_verify::format::{SIGNATURE_CONTEXT, SIGNATURE_CONTEXT_V2};
    use assent_verify::{CategorySet, ConsentClaims, KeyStatus, Signals, SigningKey};
    use ed25519_dalek::Signer as _;
    use serde_json::json;
    use sha2::{Digest, Sha256};

    const LEEWAY: u64 = 60;
    /// 2026-01-01T00:00:00Z.
    const IAT: u64 = 1_767_225_600;
    const DAY: u64 = 86_400;
    const NOW: u64 = IAT + 3_600;

    fn seed(label: &str) -> [u8; 32] {
        Sha256::digest(format!("assent test key {label} (public, for tests only)")).into()
    }

    fn claims() -> ConsentClaims {
        ConsentClaims {
            record_id: "0194f1a2-7b3c-7d4e-8f5a-6b7c8d9e0f10".parse().unwrap(),
            subject_id: "c3ViamVjdC1pZC0x".parse().unwrap(),
            issued_at: IAT,
            expires_at: IAT + 180 * DAY,
            config_revision: 3,
            granted: CategorySet(0b0111),
            signals: Signals::default(),
            site_id: "example.com".into(),
            region: None,
        }
    }

    /// A payload field by field, so that invalid vectors can break one field and still carry a valid signature.
    #[derive(Clone)]
    struct Raw {
        version: u8,
        kid: [u8; 4],
        flags: u8,
        iat: u32,
        lifetime: Vec<u8>,
        revision: Vec<u8>,
        granted: Vec<u8>,
        record: [u8; 16],
        subject: [u8; 12],
        site_len: u8,
        site: Vec<u8>,
        /// Version 2: the region's length byte and bytes (`None`: no region field at all).
        region: Option<(u8, Vec<u8>)>,
    }

    fn uvarint(mut v: u64) -> Vec<u8> {
        let mut out = Vec::new();
        loop {
            let low = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                out.push(low);
                return out;
            }
            out.push(low | 0x80);
        }
    }

    impl Raw {
        fn of(key: &SigningKey, c: &ConsentClaims) -> Raw {
            Raw {
                version: if c.region.is_some() { 2 } else { 1 },
                kid: key.kid().0,
                flags: u8::from(c.signals.dnt) | (u8::from(c.signals.gpc) << 1),
                iat: c.issued_at as u32,
                lifetime: uvarint(c.expires_at - c.issued_at),
                revision: uvarint(u64::from(c.config_revision)),
                granted: uvarint(c.granted.0 | 1),
                record: c.record_id.0,
                subject: c.subject_id.0,
                site_len: c.site_id.len() as u8,
                site: c.site_id.as_bytes().to_vec(),
                region: c
                    .region
                    .as_ref()
                    .map(|r| (r.len() as u8, r.as_bytes().to_vec())),
            }
        }

        fn payload(&self) -> Vec<u8> {
            let mut p = vec![self.version];
            p.extend_from_slice(&self.kid);
            p.push(self.flags);
            p.extend_from_slice(&self.iat.to_be_bytes());
            p.extend_from_slice(&self.lifetime);
            p.extend_from_slice(&self.revision);
            p.extend_from_slice(&self.granted);
            p.extend_from_slice(&self.record);
            p.extend_from_slice(&self.subject);
            p.push(self.site_len);
            p.extend_from_slice(&self.site);
            if let Some((len, region)) = &self.region {
                p.push(*len);
                p.extend_from_slice(region);
            }
            p
        }

        /// `payload || signature` signed by `key` over the context of its version and the payload.
        fn signed_by(&self, key: &SigningKey) -> Vec<u8> {
            let context = if self.version == 2 {
                SIGNATURE_CONTEXT_V2
            } else {
                SIGNATURE_CONTEXT
            };
            self.signed_with_context(key, context)
        }

        fn signed_with_context(&self, key: &SigningKey, context: &[u8]) -> Vec<u8> {
            let payload = self.payload();
            let dalek = ed25519_dalek::SigningKey::from_bytes(&key.seed());
            let mut msg = context.to_vec();
            msg.extend_from_slice(&payload);
            let mut out = payload;
            out.extend_from_slice(&dalek.sign(&msg).to_bytes());
            out
        }
    }

    fn b64(bytes: &[u8]) -> String {
        assent_core::base64url::encode(bytes)
    }

    /// Adds the group order ℓ to the scalar S (second half of the signature): same signature, non-canonical S.
    fn add_group_order(sig: &mut [u8]) {
        const L: [u8; 32] = [
            0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9,
            0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
        ];
        let s = &mut sig[32..64];
        let mut carry = 0u16;
        for i in 0..32 {
            let sum = u16::from(s[i]) + u16::from(L[i]) + carry;
            s[i] = sum as u8;
            carry = sum >> 8;
        }
        assert_eq!(carry, 0);
    }

    pub(super) fn generate() -> Value {
        let a = SigningKey::from_seed(&seed("A"));
        let b = SigningKey::from_seed(&seed("B"));
        let c = SigningKey::from_seed(&seed("C"));
        let mut keys = KeySet::new();
        keys.insert(&b.public_key(), KeyStatus::Retired).unwrap();
        keys.insert(&a.public_key(), KeyStatus::Active).unwrap();
        let keys_json: Value = serde_json::from_str(&keys.to_json()).unwrap();

        let mut valid = Vec::new();
        let mut add_valid = |name: &str, key: &SigningKey, claims: &ConsentClaims, now: u64| {
            let token = key.sign(claims).unwrap();
            valid.push(json!({
                "name": name,
                "token": token,
                "length": token.len(),
                "now": now,
                "kid": key.kid().to_string(),
                "claims": claims.to_json(),
            }));
        };
        let base = claims();
        add_valid(
            "typical: example.com, analytics and remarketing, 180 days",
            &a,
            &base,
            NOW,
        );
        add_valid(
            "essential only (rejected all), DNT and GPC seen",
            &a,
            &ConsentClaims {
                granted: CategorySet(1),
                signals: Signals {
                    dnt: true,
                    gpc: true,
                },
                ..base.clone()
            },
            NOW,
        );
        add_valid(
            "all built-in plus custom categories 4 and 6, GPC seen",
            &a,
            &ConsentClaims {
                granted: CategorySet(0b101_1111),
                signals: Signals {
                    dnt: false,
                    gpc: true,
                },
                config_revision: 200,
                ..base.clone()
            },
            NOW,
        );
        add_valid(
            "signed by the retired key, still published",
            &b,
            &ConsentClaims {
                issued_at: IAT - 30 * DAY,
                expires_at: IAT + 150 * DAY,
                ..base.clone()
            },
            NOW,
        );
        add_valid(
            "longest token: every varint at its widest, 64-character site id",
            &a,
            &ConsentClaims {
                expires_at: u64::from(u32::MAX),
                config_revision: u32::MAX,
                granted: CategorySet(u64::MAX),
                site_id: format!("{}.example", "s".repeat(56)),
                ..base.clone()
            },
            NOW,
        );
        add_valid(
            "shortest token: one-character site id, one-second lifetime",
            &a,
            &ConsentClaims {
                expires_at: IAT + 1,
                config_revision: 0,
                site_id: "x".into(),
                ..base.clone()
            },
            IAT,
        );
        add_valid(
            "long-lived analytics-only token (the README example; valid until 2106)",
            &a,
            &ConsentClaims {
                expires_at: u64::from(u32::MAX),
                granted: CategorySet(0b11),
                ..base.clone()
            },
            NOW,
        );
        add_valid(
            "expired 59 seconds ago, inside the 60-second leeway",
            &a,
            &base,
            base.expires_at + LEEWAY - 1,
        );
        add_valid(
            "issued 60 seconds in the future, inside the leeway",
            &a,
            &base,
            IAT - LEEWAY,
        );
        add_valid(
            "site id with port and marketing email",
            &a,
            &ConsentClaims {
                granted: CategorySet(0b1001),
                site_id: "shop.example.co.uk:8443".into(),
                ..base.clone()
            },
            NOW,
        );
        add_valid(
            "version 2: the typical token with region eu",
            &a,
            &ConsentClaims {
                region: Some("eu".into()),
                ..base.clone()
            },
            NOW,
        );
        add_valid(
            "version 2: region us_states, remarketing denied, GPC seen",
            &a,
            &ConsentClaims {
                granted: CategorySet(0b0011),
                signals: Signals {
                    dnt: false,
                    gpc: true,
                },
                region: Some("us_states".into()),
                ..base.clone()
            },
            NOW,
        );
        add_valid(
            "version 2 longest token: widest varints, 64-character site id, 32-character region",
            &a,
            &ConsentClaims {
                issued_at: 0,
                expires_at: u64::from(u32::MAX),
                config_revision: u32::MAX,
                granted: CategorySet(u64::MAX),
                site_id: format!("{}.example", "s".repeat(56)),
                region: Some(format!("r{}", "_".repeat(31))),
                ..base.clone()
            },
            NOW,
        );

        let mut invalid = Vec::new();
        let mut add = |name: &str, token: String, now: u64, error: &str, detail: Option<&str>| {
            let mut case = json!({ "name": name, "token": token, "now": now, "error": error });
            if let Some(d) = detail {
                case["detail"] = json!(d);
            }
            invalid.push(case);
        };
        let good = a.sign(&base).unwrap();
        let raw = Raw::of(&a, &base);
        let good_bytes = raw.signed_by(&a);
        assert_eq!(
            b64(&good_bytes),
            good,
            "test payload builder matches the signer"
        );
        // A token whose byte length is not a multiple of 3, so its last character has unused bits.
        let odd = a
            .sign(&ConsentClaims {
                site_id: "example.org1".into(),
                ..base.clone()
            })
            .unwrap();
        assert_ne!(odd.len() % 4, 0);

        add(
            "empty string",
            String::new(),
            NOW,
            "malformed",
            Some("empty"),
        );
        add(
            "longer than 250 characters",
            "A".repeat(251),
            NOW,
            "malformed",
            Some("too_long"),
        );
        add(
            "padding appended",
            format!("{odd}="),
            NOW,
            "malformed",
            Some("base64"),
        );
        {
            let mut t = odd.clone().into_bytes();
            let last = t.last_mut().unwrap();
            let i = ALPHABET.iter().position(|c| c == last).unwrap();
            *last = ALPHABET[i + 1];
            add(
                "non-canonical base64: unused low bits of the last character set",
                String::from_utf8(t).unwrap(),
                NOW,
                "malformed",
                Some("base64"),
            );
        }
        add(
            "standard base64 alphabet (+ and /)",
            format!("{}+/", &good[..good.len() - 2]),
            NOW,
            "malformed",
            Some("base64"),
        );
        add(
            "trailing newline",
            format!("{good}\n"),
            NOW,
            "malformed",
            Some("base64"),
        );
        add(
            "leading space",
            format!(" {good}"),
            NOW,
            "malformed",
            Some("base64"),
        );
        add(
            "payload || signature and a trailing zero byte",
            b64(&[good_bytes.as_slice(), &[0]].concat()),
            NOW,
            "malformed",
            Some("trailing_bytes"),
        );
        add(
            "valid token twice",
            b64(&[good_bytes.as_slice(), &good_bytes].concat()),
            NOW,
            "malformed",
            Some("too_long"),
        );
        add(
            "truncated: last signature byte missing",
            b64(&good_bytes[..good_bytes.len() - 1]),
            NOW,
            "malformed",
            Some("truncated"),
        );
        add(
            "truncated: signature missing",
            b64(&raw.payload()),
            NOW,
            "malformed",
            Some("truncated"),
        );
        add(
            "truncated: version and kid only",
            b64(&good_bytes[..5]),
            NOW,
            "malformed",
            Some("truncated"),
        );
        add(
            "truncated: version byte only",
            b64(&good_bytes[..1]),
            NOW,
            "malformed",
            Some("truncated"),
        );
        add(
            "truncated: 4 characters cut",
            good[..good.len() - 4].to_owned(),
            NOW,
            "malformed",
            Some("truncated"),
        );
        for version in [0u8, 3, 255] {
            let r = Raw {
                version,
                ..raw.clone()
            };
            add(
                &format!("unsupported version {version}"),
                b64(&r.signed_by(&a)),
                NOW,
                "unsupported_version",
                None,
            );
        }
        add(
            "unsupported version 3 with a different layout (one byte)",
            b64(&[3]),
            NOW,
            "unsupported_version",
            None,
        );
        let signed = |r: Raw| b64(&r.signed_by(&a));
        add(
            "reserved flag bit 2 set (signed)",
            signed(Raw {
                flags: 0b100,
                ..raw.clone()
            }),
            NOW,
            "malformed",
            Some("reserved_flags"),
        );
        add(
            "overlong varint: revision 3 as 0x83 0x00 (signed)",
            signed(Raw {
                revision: vec![0x83, 0x00],
                ..raw.clone()
            }),
            NOW,
            "malformed",
            Some("varint"),
        );
        add(
            "overlong varint: granted bitmap 7 as 0x87 0x80 0x00 (signed)",
            signed(Raw {
                granted: vec![0x87, 0x80, 0x00],
                ..raw.clone()
            }),
            NOW,
            "malformed",
            Some("varint"),
        );
        add(
            "varint over 32 bits in the revision (signed)",
            signed(Raw {
                revision: uvarint(1 << 32),
                ..raw.clone()
            }),
            NOW,
            "malformed",
            Some("varint"),
        );
        add(
            "granted bitmap without the essential bit (signed)",
            signed(Raw {
                granted: uvarint(0b110),
                ..raw.clone()
            }),
            NOW,
            "malformed",
            Some("essential_not_granted"),
        );
        add(
            "zero lifetime (signed)",
            signed(Raw {
                lifetime: uvarint(0),
                ..raw.clone()
            }),
            NOW,
            "malformed",
            Some("lifetime"),
        );
        add(
            "expiry past 2106, u32 overflow (signed)",
            signed(Raw {
                lifetime: uvarint(u64::from(u32::MAX) - IAT + 1),
                ..raw.clone()
            }),
            NOW,
            "malformed",
            Some("lifetime"),
        );
        add(
            "empty site id (signed)",
            signed(Raw {
                site_len: 0,
                site: vec![],
                ..raw.clone()
            }),
            NOW,
            "malformed",
            Some("site_id"),
        );
        add(
            "65-byte site id (signed)",
            signed(Raw {
                site_len: 65,
                site: vec![b'a'; 65],
                ..raw.clone()
            }),
            NOW,
            "malformed",
            Some("site_id"),
        );
        add(
            "site id with a space (signed)",
            signed(Raw {
                site_len: 4,
                site: b"a b.".to_vec(),
                ..raw.clone()
            }),
            NOW,
            "malformed",
            Some("site_id"),
        );
        add(
            "site id that is not ASCII (signed)",
            signed(Raw {
                site_len: 6,
                site: "été".as_bytes().to_vec(),
                ..raw.clone()
            }),
            NOW,
            "malformed",
            Some("site_id"),
        );
        add(
            "site length longer than the rest, no signature",
            b64(&Raw {
                site_len: 40,
                ..raw.clone()
            }
            .payload()),
            NOW,
            "malformed",
            Some("truncated"),
        );
        let raw2 = Raw {
            version: 2,
            region: Some((2, b"eu".to_vec())),
            ..raw.clone()
        };
        add(
            "version 2 with an empty region (signed)",
            signed(Raw {
                region: Some((0, vec![])),
                ..raw2.clone()
            }),
            NOW,
            "malformed",
            Some("region"),
        );
        add(
            "version 2 with an upper-case region (signed)",
            signed(Raw {
                region: Some((2, b"EU".to_vec())),
                ..raw2.clone()
            }),
            NOW,
            "malformed",
            Some("region"),
        );
        add(
            "version 2 with a 33-character region (signed)",
            signed(Raw {
                region: Some((33, vec![b'r'; 33])),
                ..raw2.clone()
            }),
            NOW,
            "malformed",
            Some("region"),
        );
        add(
            "version 2 region length longer than the rest, no signature",
            b64(&Raw {
                region: Some((30, b"eu".to_vec())),
                ..raw2.clone()
            }
            .payload()),
            NOW,
            "malformed",
            Some("truncated"),
        );
        add(
            "version 1 token with a region appended (signed)",
            signed(Raw {
                version: 1,
                ..raw2.clone()
            }),
            NOW,
            "malformed",
            Some("trailing_bytes"),
        );
        add(
            "version 2 token signed with the version 1 context",
            b64(&raw2.signed_with_context(&a, SIGNATURE_CONTEXT)),
            NOW,
            "bad_signature",
            None,
        );
        add(
            "version 1 token signed with the version 2 context",
            b64(&raw.signed_with_context(&a, SIGNATURE_CONTEXT_V2)),
            NOW,
            "bad_signature",
            None,
        );
        {
            let v2 = raw2.signed_by(&a);
            let mut t = v2.clone();
            let region_at = t.len() - 64 - 2;
            t[region_at] = b'x';
            add(
                "version 2 region changed after signing (eu to xu)",
                b64(&t),
                NOW,
                "bad_signature",
                None,
            );
            add(
                "version 2 token twice (longer than 294 characters)",
                b64(&[v2.as_slice(), &v2].concat()),
                NOW,
                "malformed",
                Some("too_long"),
            );
        }
        add(
            "signed by a key not in the set",
            c.sign(&base).unwrap(),
            NOW,
            "unknown_kid",
            None,
        );
        add(
            "kid of a key not in the set (random kid)",
            b64(&Raw {
                kid: [0xde, 0xad, 0xbe, 0xef],
                ..raw.clone()
            }
            .signed_by(&a)),
            NOW,
            "unknown_kid",
            None,
        );
        add(
            "kid of the retired key, signed by the active key",
            b64(&Raw {
                kid: b.kid().0,
                ..raw.clone()
            }
            .signed_by(&a)),
            NOW,
            "bad_signature",
            None,
        );
        add(
            "kid of the active key, signed by an unknown key",
            b64(&raw.signed_by(&c)),
            NOW,
            "bad_signature",
            None,
        );
        {
            let mut t = good_bytes.clone();
            t[15] ^= 0b10; // granted bitmap (after 4-byte lifetime and 1-byte revision): drop analytics
            add(
                "payload bit flipped after signing (analytics revoked)",
                b64(&t),
                NOW,
                "bad_signature",
                None,
            );
            let mut t = good_bytes.clone();
            let site_at = t.len() - 64 - 3;
            t[site_at] = b'X';
            add(
                "site id changed after signing",
                b64(&t),
                NOW,
                "bad_signature",
                None,
            );
            let mut t = good_bytes.clone();
            let n = t.len();
            t[n - 1] ^= 1;
            add(
                "last signature bit flipped",
                b64(&t),
                NOW,
                "bad_signature",
                None,
            );
            let mut t = good_bytes.clone();
            let n = t.len();
            t[n - 64] ^= 0x80;
            add(
                "first signature byte flipped",
                b64(&t),
                NOW,
                "bad_signature",
                None,
            );
            let mut t = good_bytes.clone();
            let n = t.len();
            add_group_order(&mut t[n - 64..]);
            add(
                "malleable signature: S + group order (non-canonical S)",
                b64(&t),
                NOW,
                "bad_signature",
                None,
            );
            let mut t = good_bytes.clone();
            let n = t.len();
            t[n - 64..].fill(0);
            t[n - 64] = 1; // R = identity (small order), S = 0
            add(
                "small-order R (identity point) with S = 0",
                b64(&t),
                NOW,
                "bad_signature",
                None,
            );
            let mut t = good_bytes.clone();
            let n = t.len();
            t[n - 64..].fill(0);
            add("all-zero signature", b64(&t), NOW, "bad_signature", None);
            let mut t = raw.payload();
            t.extend_from_slice(
                &ed25519_dalek::SigningKey::from_bytes(&a.seed())
                    .sign(&t)
                    .to_bytes(),
            );
            add(
                "signed without the context prefix",
                b64(&t),
                NOW,
                "bad_signature",
                None,
            );
        }
        add(
            "expired exactly at the end of the leeway",
            good.clone(),
            base.expires_at + LEEWAY,
            "expired",
            None,
        );
        add(
            "expired a year ago",
            good.clone(),
            base.expires_at + 365 * DAY,
            "expired",
            None,
        );
        add(
            "issued 61 seconds in the future",
            good.clone(),
            IAT - LEEWAY - 1,
            "not_yet_valid",
            None,
        );
        add(
            "issued a day in the future",
            good.clone(),
            IAT - DAY,
            "not_yet_valid",
            None,
        );
        add(
            "expired token signed by a key not in the set (unknown kid is reported first)",
            c.sign(&base).unwrap(),
            base.expires_at + DAY,
            "unknown_kid",
            None,
        );
        {
            let mut t = good_bytes.clone();
            let n = t.len();
            t[n - 1] ^= 1;
            add(
                "expired and forged (bad signature is reported, not expiry)",
                b64(&t),
                base.expires_at + DAY,
                "bad_signature",
                None,
            );
        }

        json!({
            "description": "Assent consent token test vectors, format versions 1 and 2 (docs/token.md; version 2 adds the region). Valid tokens verify at `now` (unix seconds) with the key set `keys` and `leeway_seconds`, and decode to `claims`; invalid ones fail with `error` (VerifyError code) and, for malformed ones, `detail` (Malformed code). The private keys below are public test keys: never use them for real tokens.",
            "generator": "ASSENT_REGENERATE_VECTORS=1 cargo test -p assent-verify --features sign --test vectors",
            "leeway_seconds": LEEWAY,
            "keys": keys_json,
            "test_private_keys": [
                {"kid": a.kid().to_string(), "seed": b64(&a.seed()), "in_key_set": "active"},
                {"kid": b.kid().to_string(), "seed": b64(&b.seed()), "in_key_set": "retired"},
                {"kid": c.kid().to_string(), "seed": b64(&c.seed()), "in_key_set": "no"},
            ],
            "valid": valid,
            "invalid": invalid,
        })
    }

    /// Under `CI` regeneration is refused; elsewhere it rewrites the file and then fails on purpose: a run that
    /// regenerated compared nothing, so it must never count as a pass. Review the diff and rerun without it.
    #[test]
    fn committed_vectors_match_the_generator() {
        let generated = generate();
        let text = serde_json::to_string_pretty(&generated).unwrap() + "\n";
        if let Some(regenerate) = std::env::var_os("ASSENT_REGENERATE_VECTORS") {
            let ci = std::env::var("CI")
                .is_ok_and(|v| !v.is_empty() && v != "0" && !v.eq_ignore_ascii_case("false"));
            assert!(
                !ci,
                "ASSENT_REGENERATE_VECTORS is refused under CI: CI checks the committed vectors, it never writes them"
            );
            if regenerate == "1" {
                let before = std::fs::read_to_string(vectors_path()).unwrap_or_default();
                std::fs::create_dir_all(vectors_path().parent().unwrap()).unwrap();
                std::fs::write(vectors_path(), &text).unwrap();
                panic!(
                    "ASSENT_REGENERATE_VECTORS=1: rewrote tests/vectors/tokens.json ({}); nothing was compared, so \
                     this run fails on purpose. Review `git diff tests/vectors` and rerun without the variable.",
                    if before == text {
                        "unchanged"
                    } else {
                        "changed"
                    }
                );
            }
        }
        assert_eq!(
            load(),
            generated,
            "tests/vectors/tokens.json is stale: rerun with ASSENT_REGENERATE_VECTORS=1 (outside CI) and review the diff"
        );
    }

    #[test]
    fn signer_output_round_trips_through_the_verifier() {
        let key = SigningKey::from_seed(&seed("A"));
        let verifier = Verifier::new(key.key_set(KeyStatus::Active));
        let c = ConsentClaims {
            granted: CategorySet(0b110), // essential bit missing: the signer adds it
            ..claims()
        };
        let token = key.sign(&c).unwrap();
        let verified = verifier.verify(&token, NOW).unwrap();
        assert_eq!(verified.granted, CategorySet(0b111));
        assert_eq!(verified.kid(), key.kid());
        assert_eq!(token.len(), 160, "typical token length");
        for bad in [
            ConsentClaims {
                site_id: String::new(),
                ..claims()
            },
            ConsentClaims {
                site_id: "a".repeat(65),
                ..claims()
            },
        ] {
            assert_eq!(key.sign(&bad), Err(assent_verify::EncodeError::SiteId));
        }
        for region in ["", "EU", "us-states", &"r".repeat(33)] {
            let bad = ConsentClaims {
                region: Some(region.into()),
                ..claims()
            };
            assert_eq!(key.sign(&bad), Err(assent_verify::EncodeError::Region));
        }
        let with_region = key
            .sign(&ConsentClaims {
                region: Some("us_states".into()),
                ..claims()
            })
            .unwrap();
        assert_eq!(
            verifier.verify(&with_region, NOW).unwrap().region(),
            Some("us_states")
        );
        assert_eq!(with_region.len(), 174, "typical version 2 token length");
        for (iat, exp) in [(IAT, IAT), (IAT + 1, IAT), (IAT, 1 << 32)] {
            let bad = ConsentClaims {
                issued_at: iat,
                expires_at: exp,
                ..claims()
            };
            assert_eq!(key.sign(&bad), Err(assent_verify::EncodeError::Times));
        }
        let generated = SigningKey::generate();
        assert_ne!(generated.seed(), SigningKey::generate().seed());
        assert_eq!(SigningKey::from_seed(&generated.seed()), generated);
        assert!(!format!("{generated:?}").contains(&b64(&generated.seed())));
    }
}
