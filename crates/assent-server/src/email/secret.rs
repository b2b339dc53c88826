//! The e-mail secret, and what is derived from it: address pseudonyms and the MAC key of link tokens.
//!
//! One 32-byte random secret per installation, kept in the key directory as `email-secret` (base64url, mode 0600),
//! created on first use by `assent serve` or `assent email headers`, whichever runs first. It is separate from the
//! Ed25519 signing keys on purpose: signing keys rotate, but an address's pseudonym must stay the same for as long
//! as its records live, and unsubscribe links must keep working for months after a message was sent.
//!
//! Derived keys (HMAC-SHA256 with the secret as key, over a fixed label):
//!
//! | purpose | label |
//! |---|---|
//! | address pseudonyms | `assent/email/pseudonym/v1` |
//! | link tokens (unsubscribe, tracking) | `assent/email/link/v1` |

use core::fmt;
use core::str::FromStr;
use std::io::{self, Write};
use std::path::Path;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::address::EmailAddress;

type HmacSha256 = Hmac<Sha256>;

/// File name of the secret inside the key directory.
pub const SECRET_FILE: &str = "email-secret";

/// Length of an address pseudonym in bytes (128 bits).
pub const PSEUDONYM_LEN: usize = 16;

/// The keys of the e-mail features, derived from the installation's e-mail secret.
#[derive(Clone)]
pub struct EmailKeys {
    pseudonym: [u8; 32],
    link: [u8; 32],
}

impl fmt::Debug for EmailKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EmailKeys(<secret>)")
    }
}

/// A keyed pseudonym of an address: the first 16 bytes of HMAC-SHA256(pseudonym key, address key). Stable for an
/// installation, meaningless without its secret. Shown as 22 base64url characters; this is what logs, tokens and
/// exports carry instead of the address.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Pseudonym(pub [u8; PSEUDONYM_LEN]);

impl fmt::Display for Pseudonym {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&assent_core::base64url::encode(&self.0))
    }
}

impl fmt::Debug for Pseudonym {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pseudonym({self})")
    }
}

impl FromStr for Pseudonym {
    type Err = ();

    fn from_str(s: &str) -> Result<Pseudonym, ()> {
        let bytes = assent_core::base64url::decode(s).map_err(|_| ())?;
        Ok(Pseudonym(bytes.try_into().map_err(|_| ())?))
    }
}

fn hmac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length");
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

impl EmailKeys {
    /// Derives the keys from a 32-byte secret.
    pub fn from_secret(secret: &[u8; 32]) -> EmailKeys {
        EmailKeys {
            pseudonym: hmac(secret, &[b"assent/email/pseudonym/v1"]),
            link: hmac(secret, &[b"assent/email/link/v1"]),
        }
    }

    /// Reads `DIR/email-secret`, creating the directory and a fresh random secret when there is none. Creation is
    /// atomic (written to a temporary file, then hard-linked into place), so a server and a CLI starting at the
    /// same time end up with the same secret.
    pub fn load_or_create(dir: &Path) -> io::Result<EmailKeys> {
        let path = dir.join(SECRET_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => return parse_secret(&text, &path).map(|s| EmailKeys::from_secret(&s)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(dir)?;
        let mut secret = [0u8; 32];
        getrandom::getrandom(&mut secret).map_err(io::Error::other)?;
        let tmp = dir.join(format!(".{SECRET_FILE}.{}.tmp", std::process::id()));
        {
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create(true).truncate(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut file = options.open(&tmp)?;
            writeln!(file, "{}", assent_core::base64url::encode(&secret))?;
            file.sync_all()?;
        }
        let linked = std::fs::hard_link(&tmp, &path);
        let _ = std::fs::remove_file(&tmp);
        match linked {
            Ok(()) => Ok(EmailKeys::from_secret(&secret)),
            // Someone else created it first: use theirs.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                let text = std::fs::read_to_string(&path)?;
                parse_secret(&text, &path).map(|s| EmailKeys::from_secret(&s))
            }
            Err(e) => Err(e),
        }
    }

    /// The pseudonym of an address (computed over its comparison key).
    pub fn pseudonym(&self, address: &EmailAddress) -> Pseudonym {
        let digest = hmac(&self.pseudonym, &[address.key().as_bytes()]);
        Pseudonym(digest[..PSEUDONYM_LEN].try_into().expect("32 >= 16"))
    }

    /// HMAC-SHA256 of `data` under the link-token key.
    pub(crate) fn link_mac(&self, data: &[u8]) -> [u8; 32] {
        hmac(&self.link, &[data])
    }
}

fn parse_secret(text: &str, path: &Path) -> io::Result<[u8; 32]> {
    let invalid = |()| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{}: expected 32 bytes of base64url", path.display()),
        )
    };
    let bytes = assent_core::base64url::decode(text.trim()).map_err(|_| invalid(()))?;
    bytes.try_into().map_err(|_| invalid(()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudonym_is_keyed_stable_and_case_insensitive_in_the_local_part() {
        let keys = EmailKeys::from_secret(&[7; 32]);
        let a = EmailAddress::parse("Ann@Example.com").unwrap();
        let b = EmailAddress::parse("ann@example.com").unwrap();
        assert_eq!(keys.pseudonym(&a), keys.pseudonym(&b));
        let other = EmailKeys::from_secret(&[8; 32]);
        assert_ne!(keys.pseudonym(&a), other.pseudonym(&a));
        let c = EmailAddress::parse("ann2@example.com").unwrap();
        assert_ne!(keys.pseudonym(&a), keys.pseudonym(&c));
        let shown = keys.pseudonym(&a).to_string();
        assert_eq!(shown.len(), 22);
        assert!(!shown.to_lowercase().contains("ann"));
        assert_eq!(shown.parse::<Pseudonym>().unwrap(), keys.pseudonym(&a));
    }

    #[test]
    fn secret_file_is_created_once_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let keys_dir = dir.path().join("keys");
        let first = EmailKeys::load_or_create(&keys_dir).unwrap();
        let second = EmailKeys::load_or_create(&keys_dir).unwrap();
        let a = EmailAddress::parse("ann@example.com").unwrap();
        assert_eq!(first.pseudonym(&a), second.pseudonym(&a));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(keys_dir.join(SECRET_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "secret readable by others: {mode:o}");
        }
        // Only the secret file is left behind (no temporary file).
        let names: Vec<_> = std::fs::read_dir(&keys_dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from(SECRET_FILE)]);
    }

    #[test]
    fn a_corrupt_secret_file_is_an_error_not_a_new_secret() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(SECRET_FILE), "not base64url!\n").unwrap();
        let err = EmailKeys::load_or_create(dir.path()).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert!(err.to_string().contains(SECRET_FILE), "{err}");
    }
}
