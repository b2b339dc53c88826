//! Key ids and key sets: the public keys a verifier trusts, and the JSON document the server publishes at
//! `/.well-known/assent-keys.json`.

use core::fmt;
use core::str::FromStr;

use ed25519_dalek::VerifyingKey;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::lengths::KID_LEN;

/// A key id: the first 4 bytes of SHA-256 over the 32-byte Ed25519 public key. Shown as 6 base64url characters.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Kid(pub [u8; KID_LEN]);

impl Kid {
    /// The key id of an Ed25519 public key.
    pub fn of(public_key: &[u8; 32]) -> Kid {
        let digest = Sha256::digest(public_key);
        Kid(digest[..KID_LEN].try_into().expect("digest is 32 bytes"))
    }
}

impl fmt::Display for Kid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&assent_core::base64url::encode(&self.0))
    }
}

impl fmt::Debug for Kid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Kid({self})")
    }
}

impl FromStr for Kid {
    type Err = KeyError;

    fn from_str(s: &str) -> Result<Kid, KeyError> {
        let bytes = assent_core::base64url::decode(s).map_err(|_| KeyError::InvalidKid)?;
        Ok(Kid(bytes.try_into().map_err(|_| KeyError::InvalidKid)?))
    }
}

/// Whether a key still signs new tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyStatus {
    /// The server signs new tokens with it.
    Active,
    /// No longer signs, still published so that tokens it signed keep verifying until they expire.
    Retired,
}

/// One trusted public key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicKey {
    kid: Kid,
    key: VerifyingKey,
    status: KeyStatus,
}

impl PublicKey {
    /// Its key id.
    pub fn kid(&self) -> Kid {
        self.kid
    }

    /// The 32-byte Ed25519 public key.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.key.to_bytes()
    }

    /// Active or retired.
    pub fn status(&self) -> KeyStatus {
        self.status
    }

    pub(crate) fn verifying_key(&self) -> &VerifyingKey {
        &self.key
    }
}

/// Why a key or key set was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyError {
    /// The key set document is not valid JSON of the expected shape.
    Json(String),
    /// Not 32 bytes of canonical base64url, or not a valid Ed25519 point.
    InvalidPublicKey,
    /// A small-order ("weak") Ed25519 public key, for which signatures can be forged.
    WeakKey,
    /// `kty`, `crv` or `alg` is not OKP / Ed25519 / EdDSA.
    UnsupportedAlgorithm(String),
    /// A `kid` that is not 6 base64url characters.
    InvalidKid,
    /// The `kid` does not match the key (`kid` must be derived from the public key, see [`Kid::of`]).
    KidMismatch {
        /// The `kid` in the document.
        stated: Kid,
        /// The `kid` of the public key.
        actual: Kid,
    },
    /// Two keys with the same `kid`.
    DuplicateKid(Kid),
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyError::Json(e) => write!(f, "invalid key set JSON: {e}"),
            KeyError::InvalidPublicKey => {
                f.write_str("public key is not 32 bytes of base64url encoding an Ed25519 point")
            }
            KeyError::WeakKey => f.write_str("public key has small order"),
            KeyError::UnsupportedAlgorithm(a) => {
                write!(f, "unsupported key type {a} (expected OKP, Ed25519, EdDSA)")
            }
            KeyError::InvalidKid => f.write_str("kid is not 6 base64url characters"),
            KeyError::KidMismatch { stated, actual } => {
                write!(
                    f,
                    "kid {stated} does not match the public key (its kid is {actual})"
                )
            }
            KeyError::DuplicateKid(kid) => write!(f, "duplicate kid {kid}"),
        }
    }
}

impl std::error::Error for KeyError {}

/// The public keys a [`Verifier`](crate::Verifier) trusts. Several keys may be present at once (rotation): tokens
/// signed by any of them verify, whether the key is active or retired. Remove a key to stop trusting its tokens.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeySet {
    keys: Vec<PublicKey>,
}

#[derive(Serialize, Deserialize)]
struct JwkSet {
    keys: Vec<Jwk>,
}

/// A JWK (RFC 8037 OKP key) plus Assent's `status`; other JWK members are ignored.
#[derive(Serialize, Deserialize)]
struct Jwk {
    kty: String,
    crv: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    alg: Option<String>,
    #[serde(rename = "use", default, skip_serializing_if = "Option::is_none")]
    use_: Option<String>,
    kid: String,
    x: String,
    #[serde(default = "default_status")]
    status: KeyStatus,
}

fn default_status() -> KeyStatus {
    KeyStatus::Active
}

impl KeySet {
    /// An empty key set (verifies nothing).
    pub fn new() -> KeySet {
        KeySet::default()
    }

    /// A key set holding one active key, given as its 32 raw bytes.
    pub fn from_public_key(public_key: &[u8; 32]) -> Result<KeySet, KeyError> {
        let mut set = KeySet::new();
        set.insert(public_key, KeyStatus::Active)?;
        Ok(set)
    }

    /// A key set holding one active key, given as 43 characters of base64url (the JWK `x` value).
    pub fn from_public_key_base64url(public_key: &str) -> Result<KeySet, KeyError> {
        KeySet::from_public_key(&decode_key(public_key)?)
    }

    /// Parses the published key set:
    ///
    /// ```json
    /// {"keys": [{"kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig",
    ///            "kid": "q2xLzQ", "x": "<43 base64url chars>", "status": "active"}]}
    /// ```
    ///
    /// This is a JSON Web Key Set, so JOSE libraries can read it too. `status` is `active` (default) or
    /// `retired`. Every `kid` must equal [`Kid::of`] its key; small-order keys and duplicate kids are refused.
    pub fn from_json(json: &str) -> Result<KeySet, KeyError> {
        let doc: JwkSet = serde_json::from_str(json).map_err(|e| KeyError::Json(e.to_string()))?;
        let mut set = KeySet::new();
        for jwk in doc.keys {
            if jwk.kty != "OKP" || jwk.crv != "Ed25519" {
                return Err(KeyError::UnsupportedAlgorithm(format!(
                    "{}/{}",
                    jwk.kty, jwk.crv
                )));
            }
            if let Some(alg) = jwk.alg.filter(|a| a != "EdDSA") {
                return Err(KeyError::UnsupportedAlgorithm(alg));
            }
            let stated: Kid = jwk.kid.parse()?;
            let key = decode_key(&jwk.x)?;
            let actual = Kid::of(&key);
            if stated != actual {
                return Err(KeyError::KidMismatch { stated, actual });
            }
            set.insert(&key, jwk.status)?;
        }
        Ok(set)
    }

    /// The key set as the JSON document served at `/.well-known/assent-keys.json` (pretty-printed).
    pub fn to_json(&self) -> String {
        let doc = JwkSet {
            keys: self
                .keys
                .iter()
                .map(|k| Jwk {
                    kty: "OKP".into(),
                    crv: "Ed25519".into(),
                    alg: Some("EdDSA".into()),
                    use_: Some("sig".into()),
                    kid: k.kid.to_string(),
                    x: assent_core::base64url::encode(k.key.as_bytes()),
                    status: k.status,
                })
                .collect(),
        };
        serde_json::to_string_pretty(&doc).expect("key sets always serialize")
    }

    /// Adds a public key; returns its kid. Refuses small-order keys and a kid already present.
    pub fn insert(&mut self, public_key: &[u8; 32], status: KeyStatus) -> Result<Kid, KeyError> {
        let key = VerifyingKey::from_bytes(public_key).map_err(|_| KeyError::InvalidPublicKey)?;
        if key.is_weak() {
            return Err(KeyError::WeakKey);
        }
        let kid = Kid::of(public_key);
        if self.get(kid).is_some() {
            return Err(KeyError::DuplicateKid(kid));
        }
        self.keys.push(PublicKey { kid, key, status });
        Ok(kid)
    }

    /// Changes a key's status; `false` if the kid is not in the set.
    pub fn set_status(&mut self, kid: Kid, status: KeyStatus) -> bool {
        match self.keys.iter_mut().find(|k| k.kid == kid) {
            Some(k) => {
                k.status = status;
                true
            }
            None => false,
        }
    }

    /// Removes a key: tokens it signed no longer verify. `false` if the kid is not in the set.
    pub fn remove(&mut self, kid: Kid) -> bool {
        let before = self.keys.len();
        self.keys.retain(|k| k.kid != kid);
        self.keys.len() != before
    }

    /// The key with this kid.
    pub fn get(&self, kid: Kid) -> Option<&PublicKey> {
        self.keys.iter().find(|k| k.kid == kid)
    }

    /// All keys, in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = &PublicKey> {
        self.keys.iter()
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

fn decode_key(text: &str) -> Result<[u8; 32], KeyError> {
    assent_core::base64url::decode(text)
        .map_err(|_| KeyError::InvalidPublicKey)?
        .try_into()
        .map_err(|_| KeyError::InvalidPublicKey)
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 8032 test 1 public key.
    const PK: &str = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";

    #[test]
    fn json_round_trip_with_rotation() {
        let pk1 = decode_key(PK).unwrap();
        let pk2 = ed25519_dalek::SigningKey::from_bytes(&[9; 32])
            .verifying_key()
            .to_bytes();
        let mut set = KeySet::from_public_key(&pk1).unwrap();
        let kid2 = set.insert(&pk2, KeyStatus::Active).unwrap();
        assert!(set.set_status(Kid::of(&pk1), KeyStatus::Retired));
        let parsed = KeySet::from_json(&set.to_json()).unwrap();
        assert_eq!(parsed, set);
        assert_eq!(parsed.len(), 2);
        assert_eq!(parsed.get(kid2).unwrap().status(), KeyStatus::Active);
        assert_eq!(
            parsed.get(Kid::of(&pk1)).unwrap().status(),
            KeyStatus::Retired
        );
        assert_eq!(
            set.insert(&pk2, KeyStatus::Active),
            Err(KeyError::DuplicateKid(kid2))
        );
        assert!(set.remove(kid2));
        assert!(!set.remove(kid2));
        assert!(set.get(kid2).is_none());
    }

    #[test]
    fn from_json_refuses_bad_documents() {
        let kid = Kid::of(&decode_key(PK).unwrap()).to_string();
        let doc = |kty: &str, alg: &str, kid: &str, x: &str, status: &str| {
            format!(
                r#"{{"keys":[{{"kty":"{kty}","crv":"Ed25519","alg":"{alg}","kid":"{kid}","x":"{x}","status":"{status}"}}]}}"#
            )
        };
        assert!(KeySet::from_json(&doc("OKP", "EdDSA", &kid, PK, "active")).is_ok());
        assert!(matches!(
            KeySet::from_json(&doc("EC", "EdDSA", &kid, PK, "active")),
            Err(KeyError::UnsupportedAlgorithm(_))
        ));
        assert!(matches!(
            KeySet::from_json(&doc("OKP", "ES256", &kid, PK, "active")),
            Err(KeyError::UnsupportedAlgorithm(_))
        ));
        assert!(matches!(
            KeySet::from_json(&doc("OKP", "EdDSA", "AAAAAA", PK, "active")),
            Err(KeyError::KidMismatch { .. })
        ));
        assert_eq!(
            KeySet::from_json(&doc("OKP", "EdDSA", &kid, &PK[1..], "active")),
            Err(KeyError::InvalidPublicKey)
        );
        assert!(matches!(
            KeySet::from_json(&doc("OKP", "EdDSA", &kid, PK, "revoked")),
            Err(KeyError::Json(_))
        ));
        assert!(matches!(
            KeySet::from_json("{\"keys\": 1}"),
            Err(KeyError::Json(_))
        ));
        assert_eq!(KeySet::from_json(r#"{"keys":[]}"#).unwrap().len(), 0);
    }

    #[test]
    fn weak_keys_are_refused() {
        // The identity point (small order): any message has a "valid" signature under lenient verification.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert_eq!(KeySet::from_public_key(&identity), Err(KeyError::WeakKey));
    }
}
