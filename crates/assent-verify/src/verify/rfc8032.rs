//! The Ed25519 test vectors of RFC 8032 §7.1 (TEST 1, 2, 3 and SHA(abc)), copied from the RFC, run through
//! the signature check every token verification uses ([`check_signature`], with the key parsed by
//! [`KeySet::from_public_key`]). They are independent of our own signer: `tests/vectors/tokens.json` is made by
//! this crate and could share a bug with it; these were made by the RFC's authors.

use super::{VerifyError, check_signature};
use crate::keys::{KeySet, Kid};

struct Vector {
    name: &'static str,
    #[cfg_attr(not(feature = "sign"), allow(dead_code))]
    secret: &'static str,
    public: &'static str,
    message: &'static str,
    signature: &'static str,
}

/// RFC 8032 §7.1. SHA(abc) signs the 64-byte SHA-512 of "abc".
const VECTORS: [Vector; 4] = [
    Vector {
        name: "TEST 1 (empty message)",
        secret: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        public: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        message: "",
        signature: "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155\
                    5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    },
    Vector {
        name: "TEST 2 (one byte)",
        secret: "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        public: "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        message: "72",
        signature: "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da\
                    085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    },
    Vector {
        name: "TEST 3 (two bytes)",
        secret: "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
        public: "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
        message: "af82",
        signature: "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac\
                    18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
    },
    Vector {
        name: "TEST SHA(abc)",
        secret: "833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42",
        public: "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
        message: "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a\
                  2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
        signature: "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b589\
                    09351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704",
    },
];

fn hex(s: &str) -> Vec<u8> {
    let digits: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    assert!(digits.len() % 2 == 0, "odd hex length in {s:?}");
    digits
        .chunks(2)
        .map(|pair| {
            u8::from_str_radix(std::str::from_utf8(pair).unwrap(), 16)
                .unwrap_or_else(|e| panic!("bad hex {pair:?}: {e}"))
        })
        .collect()
}

fn public_key(v: &Vector) -> [u8; 32] {
    hex(v.public).try_into().expect("32-byte public key")
}

/// Checks `signature` over `message` with the vector's public key, the way a token is checked.
fn check(v: &Vector, message: &[u8], signature: &[u8]) -> Result<(), VerifyError> {
    let pk = public_key(v);
    let keys = KeySet::from_public_key(&pk).expect("the RFC's public key parses");
    let key = keys.get(Kid::of(&pk)).expect("the key is in its set");
    check_signature(key, message, signature)
}

#[test]
fn rfc8032_vectors_verify_through_the_token_signature_check() {
    for v in &VECTORS {
        assert_eq!(
            check(v, &hex(v.message), &hex(v.signature)),
            Ok(()),
            "{}",
            v.name
        );
    }
}

#[test]
fn rfc8032_vectors_fail_with_any_changed_message_or_signature_bit() {
    for v in &VECTORS {
        let (message, signature) = (hex(v.message), hex(v.signature));
        // Every bit of the signature: R (the first 32 bytes) and S (the last 32).
        for bit in 0..signature.len() * 8 {
            let mut bad = signature.clone();
            bad[bit / 8] ^= 1 << (bit % 8);
            assert_eq!(
                check(v, &message, &bad),
                Err(VerifyError::BadSignature),
                "{}: signature bit {bit} flipped",
                v.name
            );
        }
        // Every bit of the message, and one byte more or less.
        for bit in 0..message.len() * 8 {
            let mut bad = message.clone();
            bad[bit / 8] ^= 1 << (bit % 8);
            assert!(
                check(v, &bad, &signature).is_err(),
                "{}: message bit {bit}",
                v.name
            );
        }
        let mut longer = message.clone();
        longer.push(0);
        assert!(check(v, &longer, &signature).is_err(), "{}: longer", v.name);
        if !message.is_empty() {
            let shorter = &message[..message.len() - 1];
            assert!(
                check(v, shorter, &signature).is_err(),
                "{}: shorter",
                v.name
            );
        }
        // The wrong length of signature.
        assert!(check(v, &message, &signature[..63]).is_err(), "{}", v.name);
    }
    // A valid signature under another vector's key.
    let (a, b) = (&VECTORS[0], &VECTORS[1]);
    assert!(check(b, &hex(a.message), &hex(a.signature)).is_err());
}

/// Strictness: `S + L` (the same signature with a non-reduced scalar, which lax verifiers accept) is refused.
#[test]
fn rfc8032_signature_with_a_non_canonical_scalar_is_refused() {
    // L = 2^252 + 27742317777372353535851937790883648493, little-endian.
    const L: [u8; 32] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde,
        0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
    ];
    for v in &VECTORS {
        let mut sig = hex(v.signature);
        let mut carry = 0u16;
        for (s, l) in sig[32..].iter_mut().zip(L) {
            let sum = u16::from(*s) + u16::from(l) + carry;
            *s = (sum & 0xff) as u8;
            carry = sum >> 8;
        }
        assert_eq!(carry, 0);
        assert_eq!(
            check(v, &hex(v.message), &sig),
            Err(VerifyError::BadSignature),
            "{}",
            v.name
        );
    }
}

/// Our signer derives the RFC's public key from its secret and produces the RFC's signature bytes.
#[cfg(feature = "sign")]
#[test]
fn rfc8032_secret_keys_give_the_rfc_public_keys() {
    for v in &VECTORS {
        let seed: [u8; 32] = hex(v.secret).try_into().unwrap();
        let key = crate::SigningKey::from_seed(&seed);
        assert_eq!(key.public_key(), public_key(v), "{}", v.name);
    }
}
