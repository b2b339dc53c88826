//! The e-mail part of a running server: its options, keys, lists, mailer and rate limits, and the library entry
//! point [`can_send`].

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use super::address::EmailAddress;
use super::confirm::CONFIRM_VALIDITY_SECS;
use super::headers::normalize_public_url;
use super::list::{ListId, ListRegistry};
use super::message::Sender;
use super::ratelimit::FixedWindow;
use super::secret::{EmailKeys, Pseudonym};
use super::transport::Mailer;
use crate::store::{Store, StoreError};

/// Default outbox directory when no SMTP server is configured.
pub const DEFAULT_OUTBOX: &str = "./data/outbox";
/// Default `From:`.
pub const DEFAULT_FROM: &str = "Assent <no-reply@localhost>";

/// What `assent serve` can be told about e-mail.
#[derive(Clone, Debug)]
pub struct EmailOptions {
    /// `smtp://…` / `smtps://…`; `None` writes `.eml` files to `outbox`.
    pub smtp: Option<String>,
    /// The outbox directory.
    pub outbox: PathBuf,
    /// `From:` of every message, e.g. `News <news@example.com>`.
    pub from: String,
    /// Base URL of this server as the public reaches it (links in mail); default `http://<listen address>`.
    pub public_url: Option<String>,
    /// Lists file (JSON); default: the single list `newsletter`.
    pub lists_file: Option<PathBuf>,
    /// The sender's postal address, printed in list messages.
    pub postal_address: Option<String>,
    /// Mailbox that processes unsubscribe e-mails, for the `mailto:` of `List-Unsubscribe`.
    pub unsubscribe_mailto: Option<String>,
    /// How long confirmation links work, in seconds.
    pub confirm_validity_secs: u64,
    /// Subscribe requests per client IP per hour.
    pub per_client_per_hour: u32,
    /// Confirmation messages per address per day (more requests are answered alike but send nothing).
    pub per_address_per_day: u32,
}

impl Default for EmailOptions {
    fn default() -> EmailOptions {
        EmailOptions {
            smtp: None,
            outbox: PathBuf::from(DEFAULT_OUTBOX),
            from: DEFAULT_FROM.to_owned(),
            public_url: None,
            lists_file: None,
            postal_address: None,
            unsubscribe_mailto: None,
            confirm_validity_secs: CONFIRM_VALIDITY_SECS,
            per_client_per_hour: 10,
            per_address_per_day: 3,
        }
    }
}

/// The running e-mail service.
#[derive(Debug)]
pub struct EmailService {
    /// Keys (pseudonyms, link tokens).
    pub keys: EmailKeys,
    /// The lists.
    pub lists: ListRegistry,
    /// Where mail goes.
    pub mailer: Mailer,
    from: lettre::message::Mailbox,
    postal_address: Option<String>,
    unsubscribe_mailto: Option<EmailAddress>,
    public_url: OnceLock<String>,
    /// Confirmation link lifetime (seconds).
    pub confirm_validity_secs: u64,
    pub(crate) per_client: FixedWindow<IpAddr>,
    pub(crate) per_address: FixedWindow<Pseudonym>,
}

impl EmailService {
    /// Sets up from options and the key directory (where `email-secret` lives). Errors name the option.
    pub fn new(opts: &EmailOptions, keys_dir: &Path) -> Result<EmailService, String> {
        let keys = EmailKeys::load_or_create(keys_dir)
            .map_err(|e| format!("e-mail secret in {}: {e}", keys_dir.display()))?;
        let lists = match &opts.lists_file {
            Some(path) => {
                ListRegistry::from_file(path).map_err(|e| format!("--email-lists {e}"))?
            }
            None => ListRegistry::default(),
        };
        let mailer = match &opts.smtp {
            Some(url) => Mailer::smtp(url).map_err(|e| e.to_string())?,
            None => Mailer::outbox(&opts.outbox),
        };
        let from = opts
            .from
            .parse()
            .map_err(|e| format!("--email-from {:?}: {e}", opts.from))?;
        let unsubscribe_mailto = match &opts.unsubscribe_mailto {
            Some(m) => {
                Some(EmailAddress::parse(m).map_err(|e| format!("--unsubscribe-mailto: {e}"))?)
            }
            None => None,
        };
        let public_url = OnceLock::new();
        if let Some(url) = &opts.public_url {
            let url = normalize_public_url(url).map_err(|e| format!("--public-url: {e}"))?;
            if !url.starts_with("https://") {
                tracing::warn!(%url, "--public-url is not https: mailbox providers require HTTPS one-click unsubscribe URLs");
            }
            public_url.set(url).expect("new lock");
        }
        if opts.postal_address.is_none() {
            tracing::warn!(
                "no --email-postal-address: CAN-SPAM requires a postal address in every marketing message"
            );
        }
        Ok(EmailService {
            keys,
            lists,
            mailer,
            from,
            postal_address: opts.postal_address.clone(),
            unsubscribe_mailto,
            public_url,
            confirm_validity_secs: opts.confirm_validity_secs,
            per_client: FixedWindow::new(opts.per_client_per_hour, 3600),
            per_address: FixedWindow::new(opts.per_address_per_day, 86_400),
        })
    }

    /// Uses `http://<addr>` as public URL unless one was configured (called once the server is bound).
    pub fn default_public_url(&self, addr: SocketAddr) {
        if self.public_url.set(format!("http://{addr}")).is_ok() && addr.ip().is_unspecified() {
            tracing::warn!(%addr, "no --public-url: links in e-mail point at an unspecified address; set --public-url");
        }
    }

    /// The public base URL (no trailing `/`).
    pub fn public_url(&self) -> &str {
        self.public_url
            .get()
            .map_or("http://127.0.0.1", String::as_str)
    }

    /// Sender details for messages.
    pub fn sender(&self) -> Sender {
        Sender {
            from: self.from.clone(),
            postal_address: self.postal_address.clone(),
            public_url: self.public_url().to_owned(),
            unsubscribe_mailto: self.unsubscribe_mailto.clone(),
        }
    }
}

/// May a marketing message of `list` be sent to `address`? Only when the address confirmed a subscription to the
/// list (double opt-in) and has not unsubscribed since. Treat an `Err` as "no" (fail closed).
///
/// Essential and transactional messages (password resets, receipts, security notices, the confirmation request
/// itself) do not ask: a marketing opt-out never affects them.
pub async fn can_send(
    store: &dyn Store,
    keys: &EmailKeys,
    address: &EmailAddress,
    list: &ListId,
) -> Result<bool, StoreError> {
    let subs = store
        .email_subscriptions(Some(keys.pseudonym(address)))
        .await?;
    Ok(subs.iter().any(|s| s.list == list.as_str() && s.can_send()))
}
