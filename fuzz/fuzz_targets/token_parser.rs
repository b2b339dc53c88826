//! Fuzz the token parser and verifier with arbitrary input, both as text and as decoded bytes.
//!
//! Oracles: no panic; every accepted token is the canonical base64url of its bytes and satisfies the format's
//! invariants; the verifier accepts nothing but the committed valid test vectors (anything else would be a
//! forgery under the test key).
#![no_main]

use std::sync::OnceLock;

use assent_verify::{KeySet, UntrustedToken, Verifier, format};
use libfuzzer_sys::fuzz_target;

struct Known {
    verifier: Verifier,
    valid: Vec<String>,
    now: u64,
}

fn known() -> &'static Known {
    static KNOWN: OnceLock<Known> = OnceLock::new();
    KNOWN.get_or_init(|| {
        let v: serde_json::Value =
            serde_json::from_str(include_str!("../../tests/vectors/tokens.json")).unwrap();
        Known {
            verifier: Verifier::new(KeySet::from_json(&v["keys"].to_string()).unwrap()),
            valid: v["valid"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["token"].as_str().unwrap().to_owned())
                .collect(),
            now: v["valid"][0]["now"].as_u64().unwrap(),
        }
    })
}

fn check(text: &str) {
    let k = known();
    if let Ok(t) = UntrustedToken::parse(text) {
        let bytes = [t.payload(), t.signature()].concat();
        assert_eq!(assent_core::base64url::encode(&bytes), text, "non-canonical accepted");
        let c = t.untrusted_claims();
        assert!(c.issued_at < c.expires_at && u32::try_from(c.expires_at).is_ok());
        assert!(c.granted.contains(0));
        assert!(format::is_valid_site_id(&c.site_id));
    }
    if k.verifier.verify(text, k.now).is_ok() {
        assert!(k.valid.iter().any(|v| v == text), "forged token verified: {text}");
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        check(text);
    }
    // The same bytes as a decoded token reach past the base64 layer.
    check(&assent_core::base64url::encode(data));
    // And with a version-1 prefix, deeper into the payload parser.
    let mut v1 = vec![1u8];
    v1.extend_from_slice(data);
    check(&assent_core::base64url::encode(&v1));
});
