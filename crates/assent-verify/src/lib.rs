//! Offline verification of Assent consent tokens.
//!
//! The Assent server gives each visitor a compact signed consent token (cookie `assent_token`). A backend checks
//! it on every request with no network and no database: which categories did this visitor grant, for which
//! site, under which stored proof of consent? The token format is specified in `docs/token.md`.
//!
//! ```
//! # // The public test key and a test token from tests/vectors/tokens.json (valid until 2106).
//! # let keys_json = r#"{"keys":[{"alg":"EdDSA","crv":"Ed25519","kid":"RmlG7Q","kty":"OKP","status":"retired","use":"sig","x":"Oi20hfxB-2yE2VxshaKUJ_Fgqvl9ZVjYfNPo6Uyo-j8"},{"alg":"EdDSA","crv":"Ed25519","kid":"8ZOmug","kty":"OKP","status":"active","use":"sig","x":"52CrddoaGouQ334UmR1PK2l1PH_DcvmuGK830DRwIRM"}]}"#;
//! # let cookie_header = "theme=dark; assent_token=AfGTproAaVW5AP-NqbUJAwMBlPGiezx9To9aa3yNng8Qc3ViamVjdC1pZC0xC2V4YW1wbGUuY29to5aCXqAkm_M0f5QxuFthbt-a33x48PPSdjoX6E31dAZ2p_9v_AG9rRgvZJ8TIiHEEbs4QllzffaKg4mNKf-WBw";
//! use assent_verify::{Category, KeySet, Verifier, cookie_value};
//! let verifier = Verifier::new(KeySet::from_json(keys_json)?); // once, at start-up
//! let token = cookie_value(cookie_header, "assent_token").unwrap_or_default();
//! // Err(why) when missing, forged, expired, or issued for another site (`wrong_site`).
//! let consent = verifier.verify_for_site_now(token, "example.com");
//! let may_track = consent.is_ok_and(|c| c.granted(&Category::Analytics));
//! # assert!(may_track);
//! # let other = verifier.verify_for_site_now(token, "shop.example.com").unwrap_err();
//! # assert_eq!(other.code(), "wrong_site");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! - [`Verifier::verify_for_site`] (and [`Verifier::verify`], without the site check) returns
//!   [`Verified<ConsentClaims>`](Verified), which only a successful verification can build, or a [`VerifyError`]
//!   that says why.
//! - [`KeySet`] holds one or more Ed25519 public keys (rotation), from a raw key or the server's
//!   `/.well-known/assent-keys.json`.
//! - [`CachingVerifier`] answers repeated tokens from a bounded cache; expiry is still checked on every hit.
//! - Feature `sign` adds [`SigningKey`] for minting tokens (the server, the CLI).
//!
//! Signatures are checked with strict Ed25519 verification (`verify_strict`: canonical `S`, no small-order `R`
//! or key), and every token has exactly one accepted encoding.
#![forbid(unsafe_code)]

mod cache;
mod claims;
mod cookie;
pub mod format;
mod keys;
mod lengths;
#[cfg(feature = "sign")]
mod sign;
mod verify;

pub use assent_core::{Category, CategorySet};
pub use cache::CachingVerifier;
pub use claims::{ConsentClaims, InvalidId, RecordId, Signals, SubjectId};
pub use cookie::{DEFAULT_COOKIE_NAME, cookie_value};
pub use format::{EncodeError, Malformed};
pub use keys::{KeyError, KeySet, KeyStatus, Kid, PublicKey};
#[cfg(feature = "sign")]
pub use sign::SigningKey;
pub use verify::{DEFAULT_LEEWAY_SECS, UntrustedToken, Verified, Verifier, VerifyError, unix_now};
