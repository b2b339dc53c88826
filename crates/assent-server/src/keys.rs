//! Token-signing key files.
//!
//! A key directory holds:
//!
//! ```text
//! DIR/                     mode 0700
//!   assent-keys.json       the public key set, served at /.well-known/assent-keys.json (one `active` key,
//!                          any number of `retired` ones still published so their tokens verify until expiry)
//!   <kid>.key              one private key per kid: PKCS#8 PEM ("BEGIN PRIVATE KEY"), mode 0600, the same
//!                          format as `openssl genpkey -algorithm ed25519`
//! ```
//!
//! [`KeyDir::load_or_generate`] is what `assent serve` calls at start-up; `assent keygen`, `assent keys rotate`
//! and `assent keys remove` use the other methods. Every change writes the private key first and then replaces
//! `assent-keys.json` atomically (write to a temporary file, fsync, rename), so a crash leaves either the old or
//! the new key set, never half of one.

use std::fmt;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use assent_core::base64url;
use assent_verify::{KeySet, KeyStatus, Kid, PublicKey, SigningKey};

/// Name of the public key set file inside a key directory.
pub const KEY_SET_FILE: &str = "assent-keys.json";

/// PKCS#8 v1 `PrivateKeyInfo` header for an Ed25519 key (RFC 8410): the 32-byte seed follows.
const PKCS8_ED25519_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];
const PEM_BEGIN: &str = "-----BEGIN PRIVATE KEY-----";
const PEM_END: &str = "-----END PRIVATE KEY-----";

/// A key file or directory problem. Says which file and why.
#[derive(Debug)]
#[non_exhaustive]
pub enum KeyFileError {
    /// Reading or writing a file failed.
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// A file exists but its content is not what it should be.
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// `keygen` into a directory that already has a key set (refused: keys are never overwritten).
    AlreadyExists(PathBuf),
    /// The directory has no key set yet.
    NotFound(PathBuf),
    /// `remove` of the active key, or of a kid that is not in the set.
    Refused(String),
}

impl fmt::Display for KeyFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyFileError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            KeyFileError::Invalid { path, reason } => write!(f, "{}: {reason}", path.display()),
            KeyFileError::AlreadyExists(p) => write!(
                f,
                "{} already exists; refusing to overwrite keys (use `assent keys rotate`)",
                p.display()
            ),
            KeyFileError::NotFound(p) => {
                write!(
                    f,
                    "{} not found (create keys with `assent keygen`)",
                    p.display()
                )
            }
            KeyFileError::Refused(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for KeyFileError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            KeyFileError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> KeyFileError + '_ {
    move |source| KeyFileError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// A loaded key directory: the active signing key and the published key set.
#[derive(Debug)]
pub struct KeyDir {
    dir: PathBuf,
    active: SigningKey,
    public: KeySet,
}

impl KeyDir {
    /// Creates `dir` (mode 0700) if needed and a first active key in it. Fails if `dir` already has a key set.
    pub fn generate(dir: &Path) -> Result<KeyDir, KeyFileError> {
        let set_path = dir.join(KEY_SET_FILE);
        if set_path.exists() {
            return Err(KeyFileError::AlreadyExists(set_path));
        }
        create_private_dir(dir)?;
        let key = SigningKey::generate();
        write_private_key(&key_path(dir, key.kid()), &key)?;
        let public = key.key_set(KeyStatus::Active);
        write_atomically(&set_path, public.to_json().as_bytes())?;
        Ok(KeyDir {
            dir: dir.to_path_buf(),
            active: key,
            public,
        })
    }

    /// Loads the key set and the active key's private key, checking they belong together.
    pub fn load(dir: &Path) -> Result<KeyDir, KeyFileError> {
        let set_path = dir.join(KEY_SET_FILE);
        let json = match fs::read_to_string(&set_path) {
            Ok(json) => json,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(KeyFileError::NotFound(set_path));
            }
            Err(e) => return Err(io_err(&set_path)(e)),
        };
        let public = KeySet::from_json(&json).map_err(|e| KeyFileError::Invalid {
            path: set_path.clone(),
            reason: e.to_string(),
        })?;
        let active: Vec<Kid> = public
            .iter()
            .filter(|k| k.status() == KeyStatus::Active)
            .map(PublicKey::kid)
            .collect();
        let [kid] = active[..] else {
            return Err(KeyFileError::Invalid {
                path: set_path,
                reason: format!("expected exactly one active key, found {}", active.len()),
            });
        };
        let path = key_path(dir, kid);
        let key = read_private_key(&path)?;
        if key.kid() != kid {
            return Err(KeyFileError::Invalid {
                path,
                reason: format!(
                    "private key has kid {}, but the key set's active kid is {kid}",
                    key.kid()
                ),
            });
        }
        Ok(KeyDir {
            dir: dir.to_path_buf(),
            active: key,
            public,
        })
    }

    /// [`KeyDir::load`], or [`KeyDir::generate`] when `dir` has no key set yet (the server's first start).
    /// The flag is `true` when keys were generated.
    pub fn load_or_generate(dir: &Path) -> Result<(KeyDir, bool), KeyFileError> {
        match KeyDir::load(dir) {
            Ok(keys) => Ok((keys, false)),
            Err(KeyFileError::NotFound(_)) => Ok((KeyDir::generate(dir)?, true)),
            Err(e) => Err(e),
        }
    }

    /// Adds a new active key and marks every other key retired (still published). Returns the new kid.
    pub fn rotate(&mut self) -> Result<Kid, KeyFileError> {
        let key = SigningKey::generate();
        let mut public = self.public.clone();
        let previous: Vec<Kid> = public.iter().map(PublicKey::kid).collect();
        for kid in previous {
            public.set_status(kid, KeyStatus::Retired);
        }
        public
            .insert(&key.public_key(), KeyStatus::Active)
            .map_err(|e| KeyFileError::Refused(format!("new key refused: {e}; rotate again")))?;
        write_private_key(&key_path(&self.dir, key.kid()), &key)?;
        write_atomically(&self.dir.join(KEY_SET_FILE), public.to_json().as_bytes())?;
        self.public = public;
        self.active = key;
        Ok(self.active.kid())
    }

    /// Stops publishing a retired key and deletes its private key file: tokens it signed no longer verify.
    pub fn remove(&mut self, kid: Kid) -> Result<(), KeyFileError> {
        match self.public.get(kid).map(PublicKey::status) {
            None => {
                return Err(KeyFileError::Refused(format!(
                    "no key {kid} in the key set"
                )));
            }
            Some(KeyStatus::Active) => {
                return Err(KeyFileError::Refused(format!(
                    "{kid} is the active key; rotate first, then remove it"
                )));
            }
            Some(KeyStatus::Retired) => {}
        }
        let mut public = self.public.clone();
        public.remove(kid);
        write_atomically(&self.dir.join(KEY_SET_FILE), public.to_json().as_bytes())?;
        self.public = public;
        let path = key_path(&self.dir, kid);
        match fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_err(&path)(e)),
        }
    }

    /// The key that signs new tokens.
    pub fn signing_key(&self) -> &SigningKey {
        &self.active
    }

    /// Every published public key (active and retired).
    pub fn key_set(&self) -> &KeySet {
        &self.public
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Path of the private key file of `kid`.
    pub fn key_path(&self, kid: Kid) -> PathBuf {
        key_path(&self.dir, kid)
    }
}

fn key_path(dir: &Path, kid: Kid) -> PathBuf {
    dir.join(format!("{kid}.key"))
}

/// The private key as PKCS#8 PEM, the format `openssl genpkey -algorithm ed25519` writes.
pub fn private_key_pem(key: &SigningKey) -> String {
    let mut der = PKCS8_ED25519_PREFIX.to_vec();
    der.extend_from_slice(&key.seed());
    // 48 bytes: standard base64 without padding is base64url with two characters swapped.
    let b64: String = base64url::encode(&der)
        .chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            c => c,
        })
        .collect();
    format!("{PEM_BEGIN}\n{b64}\n{PEM_END}\n")
}

/// Parses an Ed25519 PKCS#8 PEM private key.
pub fn parse_private_key_pem(text: &str) -> Result<SigningKey, String> {
    let body = text
        .trim()
        .strip_prefix(PEM_BEGIN)
        .and_then(|t| t.strip_suffix(PEM_END))
        .ok_or("not a PEM private key (BEGIN PRIVATE KEY)")?;
    let b64: String = body
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .map(|c| match c {
            '+' => '-',
            '/' => '_',
            c => c,
        })
        .collect();
    let der = base64url::decode(b64.trim_end_matches('=')).map_err(|e| e.to_string())?;
    let seed = der
        .strip_prefix(&PKCS8_ED25519_PREFIX[..])
        .and_then(|s| <[u8; 32]>::try_from(s).ok())
        .ok_or("not an Ed25519 PKCS#8 private key")?;
    Ok(SigningKey::from_seed(&seed))
}

/// Reads a private key file written by [`write_private_key`] (or by openssl).
pub fn read_private_key(path: &Path) -> Result<SigningKey, KeyFileError> {
    let text = fs::read_to_string(path).map_err(io_err(path))?;
    parse_private_key_pem(&text).map_err(|reason| KeyFileError::Invalid {
        path: path.to_path_buf(),
        reason,
    })
}

/// Writes a private key file with mode 0600. Never overwrites an existing file.
pub fn write_private_key(path: &Path, key: &SigningKey) -> Result<(), KeyFileError> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(io_err(path))?;
    file.write_all(private_key_pem(key).as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(io_err(path))
}

fn create_private_dir(dir: &Path) -> Result<(), KeyFileError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(io_err(dir))
}

/// Replaces `path` with `bytes` atomically: a temporary file in the same directory, fsync, rename.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), KeyFileError> {
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let result = fs::File::create(&tmp)
        .and_then(|mut f| {
            f.write_all(bytes)?;
            f.write_all(b"\n")?;
            f.sync_all()
        })
        .and_then(|()| fs::rename(&tmp, path));
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.map_err(io_err(path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use assent_verify::{CategorySet, ConsentClaims, RecordId, Signals, SubjectId, Verifier};

    fn claims() -> ConsentClaims {
        ConsentClaims {
            record_id: RecordId([1; 16]),
            subject_id: SubjectId([2; 12]),
            issued_at: 1_000,
            expires_at: 2_000,
            config_revision: 1,
            granted: CategorySet(0b11),
            signals: Signals::default(),
            site_id: "example.com".into(),
            region: None,
        }
    }

    #[cfg(unix)]
    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn generate_writes_private_key_0600_and_public_set() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("keys");
        let keys = KeyDir::generate(&dir).unwrap();
        let kid = keys.signing_key().kid();
        let key_file = dir.join(format!("{kid}.key"));
        #[cfg(unix)]
        {
            assert_eq!(mode(&key_file), 0o600);
            assert_eq!(mode(&dir), 0o700);
        }
        let pem = fs::read_to_string(&key_file).unwrap();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEI"));
        let set = KeySet::from_json(&fs::read_to_string(dir.join(KEY_SET_FILE)).unwrap()).unwrap();
        assert_eq!(set.len(), 1);
        assert_eq!(set.get(kid).unwrap().status(), KeyStatus::Active);
        // Never overwrite existing keys.
        assert!(matches!(
            KeyDir::generate(&dir),
            Err(KeyFileError::AlreadyExists(_))
        ));
        let loaded = KeyDir::load(&dir).unwrap();
        assert_eq!(loaded.signing_key(), keys.signing_key());
        assert_eq!(loaded.key_set(), &set);
    }

    #[test]
    fn load_or_generate_generates_once() {
        let tmp = tempfile::tempdir().unwrap();
        let (first, created) = KeyDir::load_or_generate(tmp.path()).unwrap();
        assert!(created);
        let (second, created) = KeyDir::load_or_generate(tmp.path()).unwrap();
        assert!(!created);
        assert_eq!(first.signing_key(), second.signing_key());
    }

    #[test]
    fn rotation_keeps_old_tokens_valid_until_the_key_is_removed() {
        let tmp = tempfile::tempdir().unwrap();
        let mut keys = KeyDir::generate(tmp.path()).unwrap();
        let old_kid = keys.signing_key().kid();
        let old_token = keys.signing_key().sign(&claims()).unwrap();
        let new_kid = keys.rotate().unwrap();
        assert_ne!(new_kid, old_kid);
        let reloaded = KeyDir::load(tmp.path()).unwrap();
        assert_eq!(reloaded.signing_key().kid(), new_kid);
        assert_eq!(
            reloaded.key_set().get(old_kid).unwrap().status(),
            KeyStatus::Retired
        );
        let verifier = Verifier::new(reloaded.key_set().clone());
        assert!(verifier.verify(&old_token, 1_500).is_ok());
        let new_token = reloaded.signing_key().sign(&claims()).unwrap();
        assert_eq!(verifier.verify(&new_token, 1_500).unwrap().kid(), new_kid);

        let mut keys = reloaded;
        assert!(matches!(
            keys.remove(new_kid),
            Err(KeyFileError::Refused(_))
        ));
        keys.remove(old_kid).unwrap();
        assert!(!tmp.path().join(format!("{old_kid}.key")).exists());
        let after = KeyDir::load(tmp.path()).unwrap();
        assert!(after.key_set().get(old_kid).is_none());
        assert_eq!(
            Verifier::new(after.key_set().clone())
                .verify(&old_token, 1_500)
                .unwrap_err()
                .code(),
            "unknown_kid"
        );
        assert!(matches!(
            keys.remove(old_kid),
            Err(KeyFileError::Refused(_))
        ));
    }

    #[test]
    fn pem_round_trip_and_openssl_format() {
        let key = SigningKey::from_seed(&[0x11; 32]);
        let pem = private_key_pem(&key);
        assert_eq!(parse_private_key_pem(&pem).unwrap(), key);
        // RFC 8410 §10.3 example private key.
        let rfc = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC\n-----END PRIVATE KEY-----\n";
        let parsed = parse_private_key_pem(rfc).unwrap();
        assert_eq!(
            parsed.seed()[..4],
            [0xd4, 0xee, 0x72, 0xdb],
            "seed read from the RFC example"
        );
        assert_eq!(private_key_pem(&parsed), rfc);
        for bad in [
            "",
            "-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----",
            "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVg=\n-----END PRIVATE KEY-----",
            "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----",
        ] {
            assert!(parse_private_key_pem(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn load_reports_broken_directories() {
        let tmp = tempfile::tempdir().unwrap();
        assert!(matches!(
            KeyDir::load(tmp.path()),
            Err(KeyFileError::NotFound(_))
        ));
        let keys = KeyDir::generate(tmp.path()).unwrap();
        fs::remove_file(keys.key_path(keys.signing_key().kid())).unwrap();
        let err = KeyDir::load(tmp.path()).unwrap_err();
        assert!(matches!(err, KeyFileError::Io { .. }), "{err}");
        fs::write(tmp.path().join(KEY_SET_FILE), "{\"keys\":[]}").unwrap();
        let err = KeyDir::load(tmp.path()).unwrap_err();
        assert!(err.to_string().contains("exactly one active key"), "{err}");
        fs::write(tmp.path().join(KEY_SET_FILE), "not json").unwrap();
        assert!(matches!(
            KeyDir::load(tmp.path()),
            Err(KeyFileError::Invalid { .. })
        ));
    }
}
