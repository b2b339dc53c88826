//! Minting tokens (feature `sign`): the server and the `assent` CLI. Backends that only verify don't need it.

use core::fmt;

use ed25519_dalek::Signer as _;

use crate::claims::ConsentClaims;
use crate::format::{self, EncodeError, MESSAGE_BUF_LEN, SIGNATURE_LEN};
use crate::keys::{KeySet, KeyStatus, Kid};

/// An Ed25519 private key that signs consent tokens. Its `Debug` output never shows the secret.
#[derive(Clone)]
pub struct SigningKey {
    key: ed25519_dalek::SigningKey,
    kid: Kid,
}

impl SigningKey {
    /// A fresh random key from the operating system's generator.
    pub fn generate() -> SigningKey {
        SigningKey::from_seed(
            &ed25519_dalek::SigningKey::generate(&mut rand_core::OsRng).to_bytes(),
        )
    }

    /// The key for a 32-byte Ed25519 seed (the RFC 8032 private key).
    pub fn from_seed(seed: &[u8; 32]) -> SigningKey {
        let key = ed25519_dalek::SigningKey::from_bytes(seed);
        let kid = Kid::of(key.verifying_key().as_bytes());
        SigningKey { key, kid }
    }

    /// The 32-byte seed. Keep it secret (file mode 0600).
    pub fn seed(&self) -> [u8; 32] {
        self.key.to_bytes()
    }

    /// The key id tokens signed by this key carry.
    pub fn kid(&self) -> Kid {
        self.kid
    }

    /// The 32-byte public key.
    pub fn public_key(&self) -> [u8; 32] {
        self.key.verifying_key().to_bytes()
    }

    /// A key set with just this key's public half, as `status`.
    pub fn key_set(&self, status: KeyStatus) -> KeySet {
        let mut set = KeySet::new();
        set.insert(&self.public_key(), status)
            .expect("a signing key's public key is never weak");
        set
    }

    /// Signs claims into token text. Bit 0 (essential) of `granted` is always set in the token.
    pub fn sign(&self, claims: &ConsentClaims) -> Result<String, EncodeError> {
        let mut bytes = format::encode_payload(self.kid, claims)?;
        let mut buf = [0u8; MESSAGE_BUF_LEN];
        let n = format::signed_message(&bytes, &mut buf);
        let signature = self.key.sign(&buf[..n]).to_bytes();
        debug_assert_eq!(signature.len(), SIGNATURE_LEN);
        bytes.extend_from_slice(&signature);
        Ok(assent_core::base64url::encode(&bytes))
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl PartialEq for SigningKey {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl Eq for SigningKey {}
