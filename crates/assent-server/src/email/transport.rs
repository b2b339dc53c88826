//! Mail transport: SMTP through lettre, or a file outbox of `.eml` files when no SMTP server is configured.
//!
//! `--smtp URL` takes lettre's connection URLs:
//!
//! | URL | connection |
//! |---|---|
//! | `smtp://host:25` | plain SMTP, no TLS (a relay on the same host or a loopback test server) |
//! | `smtp://host:587?tls=required` | STARTTLS, refused when the server does not offer it |
//! | `smtps://host:465` | implicit TLS |
//! | `smtps://user:password@host` | with AUTH (percent-encode special characters) |
//!
//! Without `--smtp`, messages are written to the outbox directory (default `./data/outbox`), one RFC 5322
//! `.eml` file per message, at `<outbox>/<recipient pseudonym>/<unix-ms>-<uuid>.eml`, written atomically and
//! readable by the server's user only (directories 0700, files 0600: a message holds the address and, for a
//! confirmation, a working link). One directory per recipient pseudonym lets erasure of an address delete its
//! messages ([`Mailer::erase`]) without opening any other file.

use core::fmt;
use std::path::{Path, PathBuf};

use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// Where messages go.
#[derive(Clone)]
pub enum Mailer {
    /// An SMTP server.
    Smtp {
        /// The transport (connection per message).
        transport: AsyncSmtpTransport<Tokio1Executor>,
        /// The URL without credentials, for logs.
        shown: String,
    },
    /// A directory of `.eml` files.
    Outbox(PathBuf),
}

impl fmt::Debug for Mailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

/// A message could not be handed over.
#[derive(Debug)]
#[non_exhaustive]
pub enum TransportError {
    /// The `--smtp` URL is not usable.
    Url(String),
    /// The SMTP server refused or could not be reached.
    Smtp(String),
    /// The outbox could not be written.
    Io(std::io::Error),
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransportError::Url(e) => write!(f, "--smtp: {e}"),
            TransportError::Smtp(e) => write!(f, "SMTP: {e}"),
            TransportError::Io(e) => write!(f, "outbox: {e}"),
        }
    }
}

impl std::error::Error for TransportError {}

impl Mailer {
    /// An SMTP mailer from a connection URL (see the module documentation).
    pub fn smtp(url: &str) -> Result<Mailer, TransportError> {
        let scheme_ok = url.starts_with("smtp://") || url.starts_with("smtps://");
        if !scheme_ok {
            return Err(TransportError::Url(
                "must start with smtp:// or smtps://".into(),
            ));
        }
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| TransportError::Url(e.to_string()))?
            .build();
        Ok(Mailer::Smtp {
            transport,
            shown: redact(url),
        })
    }

    /// A file outbox in `dir` (created on first send).
    pub fn outbox(dir: impl Into<PathBuf>) -> Mailer {
        Mailer::Outbox(dir.into())
    }

    /// For logs: the SMTP URL without credentials, or the outbox path.
    pub fn describe(&self) -> String {
        match self {
            Mailer::Smtp { shown, .. } => format!("SMTP {shown}"),
            Mailer::Outbox(dir) => format!("file outbox {}", dir.display()),
        }
    }

    /// Sends one message to the address whose pseudonym is `recipient` (the outbox files it under it).
    pub async fn send(&self, message: Message, recipient: &str) -> Result<(), TransportError> {
        match self {
            Mailer::Smtp { transport, .. } => transport
                .send(message)
                .await
                .map(drop)
                .map_err(|e| TransportError::Smtp(redact_addresses(&e.to_string()))),
            Mailer::Outbox(dir) => {
                let dir = recipient_dir(dir, recipient).map_err(TransportError::Io)?;
                write_eml(&dir, &message.formatted())
                    .await
                    .map_err(TransportError::Io)
            }
        }
    }

    /// Deletes every outbox message to the address whose pseudonym is `recipient` (erasure); returns how many
    /// files went. Nothing to do for SMTP: sent mail has left this server.
    pub async fn erase(&self, recipient: &str) -> Result<u64, TransportError> {
        let Mailer::Outbox(dir) = self else {
            return Ok(0);
        };
        let dir = recipient_dir(dir, recipient).map_err(TransportError::Io)?;
        let mut removed = 0;
        match tokio::fs::read_dir(&dir).await {
            Ok(mut entries) => {
                while let Some(entry) = entries.next_entry().await.map_err(TransportError::Io)? {
                    tokio::fs::remove_file(entry.path())
                        .await
                        .map_err(TransportError::Io)?;
                    removed += 1;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(TransportError::Io(e)),
        }
        match tokio::fs::remove_dir(&dir).await {
            Ok(()) => Ok(removed),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(removed),
            Err(e) => Err(TransportError::Io(e)),
        }
    }
}

/// `<outbox>/<recipient>`; the pseudonym must be base64url (never a path).
fn recipient_dir(outbox: &Path, recipient: &str) -> std::io::Result<PathBuf> {
    let safe = !recipient.is_empty()
        && recipient
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if safe {
        Ok(outbox.join(recipient))
    } else {
        Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "recipient pseudonym is not base64url",
        ))
    }
}

async fn write_eml(dir: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = dir.to_owned();
    let bytes = bytes.to_vec();
    tokio::task::spawn_blocking(move || write_eml_blocking(&dir, &bytes))
        .await
        .map_err(std::io::Error::other)?
}

fn write_eml_blocking(dir: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    private_dir_all(dir)?;
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let name = format!("{ms}-{}.eml", uuid::Uuid::now_v7());
    let tmp = dir.join(format!(".{name}.tmp"));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&tmp, dir.join(name))
}

/// `create_dir_all` with mode 0700 for every directory it creates (umask only ever removes bits).
fn private_dir_all(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Replaces every word with an `@` by `<address>`: SMTP replies often quote the recipient, and these errors are
/// logged.
fn redact_addresses(text: &str) -> String {
    text.split(' ')
        .map(|w| if w.contains('@') { "<address>" } else { w })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `scheme://user:password@host…` → `scheme://host…`.
fn redact(url: &str) -> String {
    match (url.split_once("://"), url.rfind('@')) {
        (Some((scheme, rest)), Some(_)) => {
            let host = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
            format!("{scheme}://{host}")
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_urls() {
        assert!(Mailer::smtp("smtp://127.0.0.1:2525").is_ok());
        assert!(Mailer::smtp("smtps://mail.example.com").is_ok());
        assert!(Mailer::smtp("smtp://mail.example.com:587?tls=required").is_ok());
        assert!(Mailer::smtp("http://mail.example.com").is_err());
        assert!(Mailer::smtp("smtp://").is_err());
        let m = Mailer::smtp("smtps://user:s3cret@mail.example.com:465").unwrap();
        assert!(!m.describe().contains("s3cret"), "{}", m.describe());
        assert!(m.describe().contains("mail.example.com:465"));
    }

    #[test]
    fn smtp_errors_do_not_carry_addresses() {
        assert_eq!(
            redact_addresses(
                "permanent error (550): 5.1.1 <ann@example.com>: Recipient address rejected"
            ),
            "permanent error (550): 5.1.1 <address> Recipient address rejected"
        );
    }

    #[tokio::test]
    async fn outbox_writes_one_eml_file_per_message() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = dir.path().join("outbox");
        let mailer = Mailer::outbox(&outbox);
        for subject in ["one", "two"] {
            let msg = Message::builder()
                .from("a@example.com".parse().unwrap())
                .to("b@example.com".parse().unwrap())
                .subject(subject)
                .body(String::from("hello"))
                .unwrap();
            mailer.send(msg, "cGV1ZG9ueW0").await.unwrap();
        }
        let mut files: Vec<_> = std::fs::read_dir(outbox.join("cGV1ZG9ueW0"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        assert_eq!(files.len(), 2);
        assert!(
            files
                .iter()
                .all(|f| f.extension().is_some_and(|e| e == "eml"))
        );
        let texts: Vec<String> = files
            .iter()
            .map(|f| std::fs::read_to_string(f).unwrap())
            .collect();
        assert!(texts.iter().any(|t| t.contains("Subject: one\r\n")));
        assert!(texts.iter().any(|t| t.contains("Subject: two\r\n")));
        #[cfg(unix)]
        for f in &files {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(f).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{}", f.display());
        }
        assert_eq!(mailer.erase("cGV1ZG9ueW0").await.unwrap(), 2);
        assert!(!outbox.join("cGV1ZG9ueW0").exists());
        assert_eq!(mailer.erase("cGV1ZG9ueW0").await.unwrap(), 0);
        assert!(mailer.erase("../x").await.is_err());
    }
}
