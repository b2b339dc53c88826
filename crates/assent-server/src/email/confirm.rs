//! Double opt-in confirmation tokens.
//!
//! A confirmation token is 32 random bytes, sent once in the confirmation link as 43 base64url characters
//! (`GET /v1/subscriptions/confirm?t=TOKEN`). Only its SHA-256 is stored, so a copy of the database cannot confirm
//! anything. A token confirms once ([`ConfirmOutcome::Used`] afterwards) and only before it expires
//! ([`CONFIRM_VALIDITY_SECS`], 48 hours, by default).

use sha2::{Digest, Sha256};

/// How long a confirmation link works by default: 48 hours.
pub const CONFIRM_VALIDITY_SECS: u64 = 48 * 60 * 60;

/// A fresh confirmation token: the text for the link, and the hash to store.
#[derive(Clone)]
pub struct ConfirmToken {
    /// 43 base64url characters; goes into the link and nowhere else.
    pub token: String,
    /// SHA-256 of the 32 token bytes; the only thing stored.
    pub hash: [u8; 32],
}

impl core::fmt::Debug for ConfirmToken {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("ConfirmToken(<secret>)")
    }
}

impl ConfirmToken {
    /// 32 bytes from the operating system's random source.
    pub fn generate() -> std::io::Result<ConfirmToken> {
        let mut bytes = [0u8; 32];
        getrandom::getrandom(&mut bytes).map_err(std::io::Error::other)?;
        Ok(ConfirmToken {
            token: assent_core::base64url::encode(&bytes),
            hash: Sha256::digest(bytes).into(),
        })
    }
}

/// The stored hash of a token as given in a link, or `None` when it is not 32 bytes of canonical base64url.
pub fn hash_token(token: &str) -> Option<[u8; 32]> {
    if token.len() != 43 {
        return None;
    }
    let bytes = assent_core::base64url::decode(token).ok()?;
    (bytes.len() == 32).then(|| Sha256::digest(&bytes).into())
}

/// What a confirmation attempt finds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfirmOutcome {
    /// Valid: the subscription becomes confirmed now.
    Confirm,
    /// The link was already used.
    Used,
    /// The link expired unused.
    Expired,
}

/// Decides a confirmation attempt at `now` for a pending token that expires at `expires_at` and was used at
/// `used_at` (if ever). Used wins over expired, so a second click after expiry still says "already used".
pub fn check(expires_at: u64, used_at: Option<u64>, now: u64) -> ConfirmOutcome {
    if used_at.is_some() {
        ConfirmOutcome::Used
    } else if now >= expires_at {
        ConfirmOutcome::Expired
    } else {
        ConfirmOutcome::Confirm
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_only_their_hash_matches() {
        let a = ConfirmToken::generate().unwrap();
        let b = ConfirmToken::generate().unwrap();
        assert_ne!(a.token, b.token);
        assert_eq!(a.token.len(), 43);
        assert_eq!(hash_token(&a.token), Some(a.hash));
        assert_ne!(hash_token(&b.token), Some(a.hash));
        assert_eq!(hash_token("short"), None);
        assert_eq!(hash_token(&"!".repeat(43)), None);
        assert!(!format!("{a:?}").contains(&a.token));
    }

    #[test]
    fn single_use_and_expiry() {
        let t0 = 1_790_000_000;
        let expires = t0 + CONFIRM_VALIDITY_SECS;
        assert_eq!(check(expires, None, t0), ConfirmOutcome::Confirm);
        assert_eq!(check(expires, None, expires - 1), ConfirmOutcome::Confirm);
        assert_eq!(check(expires, None, expires), ConfirmOutcome::Expired);
        assert_eq!(check(expires, Some(t0 + 5), t0 + 6), ConfirmOutcome::Used);
        assert_eq!(
            check(expires, Some(t0 + 5), expires + 10),
            ConfirmOutcome::Used
        );
    }
}
