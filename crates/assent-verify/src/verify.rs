//! Verification: untrusted token → checked signature and times → [`Verified`] claims.

use core::fmt;
use core::ops::Deref;
use std::time::{SystemTime, UNIX_EPOCH};

use ed25519_dalek::Signature;

use crate::claims::ConsentClaims;
use crate::format::{self, DecodeError, MESSAGE_BUF_LEN, Malformed};
use crate::keys::{KeySet, Kid, PublicKey};

/// Clock leeway applied by [`Verifier::new`]: 60 seconds.
pub const DEFAULT_LEEWAY_SECS: u64 = 60;

/// Why a token was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum VerifyError {
    /// Not a well-formed token (see [`Malformed`] for the precise reason).
    Malformed(Malformed),
    /// A format version this crate does not read.
    UnsupportedVersion(u8),
    /// Signed by a key that is not in the key set (never known, or retired and removed).
    UnknownKid(Kid),
    /// The Ed25519 signature does not verify (strict verification) under the key named by the kid.
    BadSignature,
    /// Past `expires_at` plus the leeway.
    Expired {
        /// When the token expired (unix seconds).
        expires_at: u64,
        /// The time it was checked at.
        now: u64,
    },
    /// `issued_at` is later than now plus the leeway.
    NotYetValid {
        /// When the token was issued (unix seconds).
        issued_at: u64,
        /// The time it was checked at.
        now: u64,
    },
    /// A valid token issued for another site ([`Verifier::verify_for_site`]).
    WrongSite {
        /// The site the caller serves.
        expected: String,
        /// The site the token was issued for.
        found: String,
    },
}

impl VerifyError {
    /// A stable snake_case code for logs, JSON and the test vectors: `malformed`, `unsupported_version`,
    /// `unknown_kid`, `bad_signature`, `expired`, `not_yet_valid`, `wrong_site`.
    pub fn code(&self) -> &'static str {
        match self {
            VerifyError::Malformed(_) => "malformed",
            VerifyError::UnsupportedVersion(_) => "unsupported_version",
            VerifyError::UnknownKid(_) => "unknown_kid",
            VerifyError::BadSignature => "bad_signature",
            VerifyError::Expired { .. } => "expired",
            VerifyError::NotYetValid { .. } => "not_yet_valid",
            VerifyError::WrongSite { .. } => "wrong_site",
        }
    }
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VerifyError::Malformed(m) => write!(f, "malformed token: {m}"),
            VerifyError::UnsupportedVersion(v) => write!(f, "unsupported token version {v}"),
            VerifyError::UnknownKid(kid) => write!(f, "token signed by unknown key {kid}"),
            VerifyError::BadSignature => f.write_str("bad token signature"),
            VerifyError::Expired { expires_at, now } => {
                write!(f, "token expired at {expires_at} (now {now})")
            }
            VerifyError::NotYetValid { issued_at, now } => {
                write!(f, "token issued in the future at {issued_at} (now {now})")
            }
            VerifyError::WrongSite { expected, found } => {
                write!(f, "token issued for site {found:?}, not {expected:?}")
            }
        }
    }
}

impl std::error::Error for VerifyError {}

impl From<DecodeError> for VerifyError {
    fn from(e: DecodeError) -> Self {
        match e {
            DecodeError::Malformed(m) => VerifyError::Malformed(m),
            DecodeError::UnsupportedVersion(v) => VerifyError::UnsupportedVersion(v),
        }
    }
}

/// A value whose signature and validity period were checked. Only this crate can make one: the only way to
/// get a `Verified<ConsentClaims>` is a successful [`Verifier::verify`], [`Verifier::verify_at_issue_time`]
/// (validity at the token's own issue time), or a cache hit of a `verify`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified<T> {
    kid: Kid,
    value: T,
}

impl<T> Verified<T> {
    /// The key that signed it.
    pub fn kid(&self) -> Kid {
        self.kid
    }

    /// The verified value.
    pub fn claims(&self) -> &T {
        &self.value
    }

    /// Unwraps the verified value.
    pub fn into_inner(self) -> T {
        self.value
    }
}

impl<T> Deref for Verified<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

/// A token that is well-formed but whose signature and times are not checked. Useful for logging and
/// debugging; never for decisions.
#[derive(Clone, Debug)]
pub struct UntrustedToken {
    decoded: format::Decoded,
}

impl UntrustedToken {
    /// Parses token text, refusing every non-canonical encoding. Does not check the signature.
    pub fn parse(token: &str) -> Result<UntrustedToken, VerifyError> {
        Ok(UntrustedToken {
            decoded: format::decode(token)?,
        })
    }

    /// The format version: 1, or 2 for a token that carries a region.
    pub fn version(&self) -> u8 {
        self.decoded.version
    }

    /// The key id the token claims to be signed with.
    pub fn kid(&self) -> Kid {
        self.decoded.kid
    }

    /// The claims, NOT verified.
    pub fn untrusted_claims(&self) -> &ConsentClaims {
        &self.decoded.claims
    }

    /// The payload bytes the signature covers (after [`format::SIGNATURE_CONTEXT`], or
    /// [`format::SIGNATURE_CONTEXT_V2`] for version 2).
    pub fn payload(&self) -> &[u8] {
        &self.decoded.bytes[..self.decoded.payload_len]
    }

    /// The 64 signature bytes.
    pub fn signature(&self) -> &[u8] {
        &self.decoded.bytes[self.decoded.payload_len..]
    }
}

/// Verifies consent tokens against a key set, with clock leeway.
#[derive(Clone, Debug)]
pub struct Verifier {
    keys: KeySet,
    leeway: u64,
}

impl Verifier {
    /// A verifier trusting `keys`, with [`DEFAULT_LEEWAY_SECS`] of clock leeway.
    pub fn new(keys: KeySet) -> Verifier {
        Verifier {
            keys,
            leeway: DEFAULT_LEEWAY_SECS,
        }
    }

    /// Sets the clock leeway in seconds, applied to both `issued_at` and `expires_at`.
    #[must_use]
    pub fn with_leeway(mut self, seconds: u64) -> Verifier {
        self.leeway = seconds;
        self
    }

    /// The trusted keys.
    pub fn keys(&self) -> &KeySet {
        &self.keys
    }

    /// The clock leeway in seconds.
    pub fn leeway(&self) -> u64 {
        self.leeway
    }

    /// Verifies a token at `now` (unix seconds): canonical decoding, a known kid, a strict Ed25519 signature,
    /// then `issued_at - leeway <= now < expires_at + leeway`.
    pub fn verify(&self, token: &str, now: u64) -> Result<Verified<ConsentClaims>, VerifyError> {
        let untrusted = UntrustedToken::parse(token)?;
        self.verify_untrusted(untrusted, now)
    }

    /// [`Verifier::verify`] at the system clock's current time.
    pub fn verify_now(&self, token: &str) -> Result<Verified<ConsentClaims>, VerifyError> {
        self.verify(token, unix_now())
    }

    /// [`Verifier::verify`], then the token must have been issued for `site` (its `site_id`, compared
    /// exactly): with a cookie shared across subdomains, another site's token — whose custom category indices
    /// may mean something else there — fails with [`VerifyError::WrongSite`] (`wrong_site`). Every other check
    /// comes first, so a forged token still reports why it is invalid.
    pub fn verify_for_site(
        &self,
        token: &str,
        site: &str,
        now: u64,
    ) -> Result<Verified<ConsentClaims>, VerifyError> {
        check_site(self.verify(token, now)?, site)
    }

    /// [`Verifier::verify_for_site`] at the system clock's current time.
    pub fn verify_for_site_now(
        &self,
        token: &str,
        site: &str,
    ) -> Result<Verified<ConsentClaims>, VerifyError> {
        self.verify_for_site(token, site, unix_now())
    }

    /// Verifies a token **at its issue time**: canonical decoding, a known kid and a strict Ed25519 signature,
    /// as [`Verifier::verify`], with the times checked at the token's own `issued_at` instead of a clock, so an
    /// expired token still verifies. It proves that the key set's owner issued these claims, not that consent
    /// is still given: for a visitor's receipt or proof of their subject after their consent lapsed, never for
    /// deciding what may run (use [`Verifier::verify`] for that).
    ///
    /// The one place that reads a token's claims before its signature is checked: the issue time is taken from
    /// the token, and nothing else is returned until the signature verified.
    pub fn verify_at_issue_time(
        &self,
        token: &str,
    ) -> Result<Verified<ConsentClaims>, VerifyError> {
        let untrusted = UntrustedToken::parse(token)?;
        let issued_at = untrusted.decoded.claims.issued_at;
        self.verify_untrusted(untrusted, issued_at)
    }

    /// Checks the signature and times of an already parsed token.
    pub fn verify_untrusted(
        &self,
        token: UntrustedToken,
        now: u64,
    ) -> Result<Verified<ConsentClaims>, VerifyError> {
        let d = token.decoded;
        let key = self.keys.get(d.kid).ok_or(VerifyError::UnknownKid(d.kid))?;
        let (payload, signature) = d.bytes.split_at(d.payload_len);
        let mut buf = [0u8; MESSAGE_BUF_LEN];
        let n = format::signed_message(payload, &mut buf);
        check_signature(key, &buf[..n], signature)?;
        check_times(&d.claims, now, self.leeway)?;
        Ok(Verified {
            kid: d.kid,
            value: d.claims,
        })
    }
}

/// The site check shared by the verifier and the cache.
pub(crate) fn check_site(
    verified: Verified<ConsentClaims>,
    site: &str,
) -> Result<Verified<ConsentClaims>, VerifyError> {
    if verified.value.site_id == site {
        Ok(verified)
    } else {
        Err(VerifyError::WrongSite {
            expected: site.to_owned(),
            found: verified.value.site_id,
        })
    }
}

/// The signature check of every verification: a strict Ed25519 verification (RFC 8032 §5.1.7, plus refusing
/// small-order keys and non-canonical `R`) of `signature` over `message` with `key`. The RFC 8032 test vectors
/// run through this function (`rfc8032` tests), so the token path is checked against an independent source.
pub(crate) fn check_signature(
    key: &PublicKey,
    message: &[u8],
    signature: &[u8],
) -> Result<(), VerifyError> {
    let signature = Signature::from_slice(signature).map_err(|_| VerifyError::BadSignature)?;
    key.verifying_key()
        .verify_strict(message, &signature)
        .map_err(|_| VerifyError::BadSignature)
}

/// The validity window check shared by the verifier and the cache.
pub(crate) fn check_times(
    claims: &ConsentClaims,
    now: u64,
    leeway: u64,
) -> Result<(), VerifyError> {
    if now >= claims.expires_at.saturating_add(leeway) {
        return Err(VerifyError::Expired {
            expires_at: claims.expires_at,
            now,
        });
    }
    if now.saturating_add(leeway) < claims.issued_at {
        return Err(VerifyError::NotYetValid {
            issued_at: claims.issued_at,
            now,
        });
    }
    Ok(())
}

/// Seconds since the Unix epoch by the system clock (0 if the clock is before 1970).
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod rfc8032;
