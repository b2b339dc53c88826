//! Durable storage of consent records: the [`Store`] trait every backend implements, and the record types they
//! share.
//!
//! Records are append-only proof of consent (GDPR Art. 7(1)): a change of mind or a withdrawal is a new record,
//! never an update. The only way a record leaves the store is the erasure of its subject (GDPR Art. 17).
//!
//! Backends: [`sqlite`] (default, embedded, one writer thread with group commit) and [`postgres`] (a connection
//! pool, for several instances sharing one database).

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::str::FromStr;
use std::collections::BTreeMap;
use std::sync::Arc;

use assent_core::{CategorySet, Method};
use serde::Serialize;
use uuid::Uuid;

pub mod postgres;
pub mod sqlite;

/// Version of the record layout written in exports and receipts (`schema_version`).
pub const SCHEMA_VERSION: u32 = 1;

/// A boxed future returned by [`Store`] methods, so the trait stays object-safe (`Arc<dyn Store>`).
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// A consent record store.
///
/// Every method is cancel-safe from the caller's point of view: once [`Store::insert`] has been called the record
/// is either committed completely or not at all, whether or not the caller still awaits the answer.
pub trait Store: Send + Sync + fmt::Debug {
    /// `"sqlite"` or `"postgres"`, for logs and metrics.
    fn backend(&self) -> &'static str;

    /// Appends one record. `Ok` means the record is durable: committed and flushed to stable storage, so it
    /// survives a crash or power loss from then on. Backends may share one flush between concurrent inserts.
    fn insert(&self, record: ConsentRecord) -> StoreFuture<'_, ()>;

    /// One record by id, `None` if there is none (never stored, or erased).
    fn get(&self, id: Uuid) -> StoreFuture<'_, Option<ConsentRecord>>;

    /// Every record of one subject, oldest first (GDPR Art. 15 access and Art. 20 portability).
    fn subject_records(&self, subject: Subject) -> StoreFuture<'_, Vec<ConsentRecord>>;

    /// Up to `limit` records matching `filter` with an id greater than `after`, in id order (ids are UUIDv7, so
    /// this is also time order). Callers page through a large export by passing the last id they got.
    fn export_page(
        &self,
        filter: RecordFilter,
        after: Option<Uuid>,
        limit: usize,
    ) -> StoreFuture<'_, Vec<ConsentRecord>>;

    /// Deletes every record of a subject (GDPR Art. 17) and returns how many there were. Backends make sure the
    /// deleted content does not linger in their files beyond what they cannot control.
    fn erase_subject(&self, subject: Subject) -> StoreFuture<'_, u64>;

    /// Aggregate figures over the records matching `filter`.
    fn stats(&self, filter: RecordFilter) -> StoreFuture<'_, Stats>;

    /// Total number of records stored.
    fn count(&self) -> StoreFuture<'_, u64>;

    /// Checks that the store answers (for `/healthz`).
    fn ping(&self) -> StoreFuture<'_, ()>;

    /// Finishes every insert already accepted, then stops accepting new ones. Called once at shutdown.
    fn close(&self) -> StoreFuture<'_, ()>;

    // --- e-mail consent (types and SQLite implementation in src/email/store.rs, manual in docs/email.md) ---
    // A backend without these answers `StoreError::Config` ("not implemented"), which every caller treats as
    // "do not send" (fail closed).

    /// Stores a double opt-in request: a new or unsubscribed address becomes `pending` with the request's
    /// confirmation-token hash (replacing an older one); a confirmed one is left alone.
    fn email_subscribe(
        &self,
        request: crate::email::store::SubscribeRequest,
    ) -> StoreFuture<'_, crate::email::store::SubscribeOutcome> {
        let _ = request;
        email_unsupported(self.backend())
    }

    /// Confirms the pending subscription whose confirmation token hashes to `token_hash` (single use, before it
    /// expires), at `now_ms`.
    fn email_confirm(
        &self,
        token_hash: [u8; 32],
        now_ms: i64,
    ) -> StoreFuture<'_, crate::email::store::ConfirmResult> {
        let _ = (token_hash, now_ms);
        email_unsupported(self.backend())
    }

    /// Unsubscribes an address pseudonym from a list (idempotent; `true` when the state changed). Creates a
    /// suppression for a pseudonym with no record.
    fn email_unsubscribe(
        &self,
        subject: crate::email::Pseudonym,
        list: crate::email::ListId,
        method: &'static str,
        now_ms: i64,
    ) -> StoreFuture<'_, bool> {
        let _ = (subject, list, method, now_ms);
        email_unsupported(self.backend())
    }

    /// Records an `open` or `click` event only for a confirmed subscriber who consented to tracking; `true` when
    /// recorded.
    fn email_track(
        &self,
        subject: crate::email::Pseudonym,
        list: crate::email::ListId,
        kind: &'static str,
        url: Option<String>,
        now_ms: i64,
    ) -> StoreFuture<'_, bool> {
        let _ = (subject, list, kind, url, now_ms);
        email_unsupported(self.backend())
    }

    /// Deletes every e-mail record (subscriptions and events) of an address pseudonym; returns the row count.
    fn email_erase(&self, subject: crate::email::Pseudonym) -> StoreFuture<'_, u64> {
        let _ = subject;
        email_unsupported(self.backend())
    }

    /// The subscriptions of one address pseudonym, or all of them (`None`, for the export).
    fn email_subscriptions(
        &self,
        subject: Option<crate::email::Pseudonym>,
    ) -> StoreFuture<'_, Vec<crate::email::store::Subscription>> {
        let _ = subject;
        email_unsupported(self.backend())
    }

    /// The e-mail history of one address pseudonym, or everyone's (`None`), oldest first.
    fn email_events(
        &self,
        subject: Option<crate::email::Pseudonym>,
    ) -> StoreFuture<'_, Vec<crate::email::store::EmailEvent>> {
        let _ = subject;
        email_unsupported(self.backend())
    }

    /// Up to `limit` subscriptions matching `filter` (`site` is the subscription's site, `since`/`until` its last
    /// change) whose (pseudonym, list) comes after `after`, in that order: the admin export pages through
    /// them, so it never holds more than a page in memory.
    fn email_subscriptions_page(
        &self,
        filter: RecordFilter,
        after: Option<(String, String)>,
        limit: usize,
    ) -> StoreFuture<'_, Vec<crate::email::store::Subscription>> {
        let _ = (filter, after, limit);
        email_unsupported(self.backend())
    }

    /// Up to `limit` events matching `filter` (`site`: the event's subscription is for that site; `since`/`until`
    /// the event's time) with an id greater than `after`, in id (time) order.
    fn email_events_page(
        &self,
        filter: RecordFilter,
        after: Option<String>,
        limit: usize,
    ) -> StoreFuture<'_, Vec<crate::email::store::EmailEvent>> {
        let _ = (filter, after, limit);
        email_unsupported(self.backend())
    }

    /// Every (address, list) that unsubscribed and has not confirmed again.
    fn email_suppressions(&self) -> StoreFuture<'_, Vec<crate::email::store::Suppression>> {
        email_unsupported(self.backend())
    }
    // --- end e-mail consent ---
}

/// The answer of a backend that does not implement the e-mail methods.
fn email_unsupported<T: Send + 'static>(backend: &'static str) -> StoreFuture<'static, T> {
    Box::pin(async move {
        Err(StoreError::Config(format!(
            "e-mail consent is not implemented by the {backend} backend"
        )))
    })
}

/// Opens the store named by a database URL: `sqlite:PATH` (or `sqlite://PATH`, with optional tuning
/// `?max_batch=N&checkpoint_ms=N`); `postgres://…` or `postgresql://…` (PostgreSQL). Runs pending migrations.
pub async fn open(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    if let Some(path) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    {
        let (path, options) = sqlite::Options::from_url_path(path)?;
        if path.is_empty() {
            return Err(StoreError::Config("sqlite: URL without a path".into()));
        }
        let store = sqlite::SqliteStore::open(path, options).await?;
        return Ok(Arc::new(store));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let store = postgres::PostgresStore::open(url, postgres::Options::default()).await?;
        return Ok(Arc::new(store));
    }
    Err(StoreError::Config(format!(
        "unsupported database URL {:?}: expected sqlite:PATH or postgres://…",
        redact_url(url)
    )))
}

/// A database URL with every password replaced by `***`, safe to log: the password of the userinfo (which ends
/// at the *last* `@` before the host, since a password may itself contain `@`) and the value of every query
/// parameter whose name contains `password` (libpq's `password=`, `sslpassword=`, …).
pub fn redact_url(url: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    // Errs on the side of hiding: everything between the first `:` of the userinfo and its last `@` goes.
    let mut out = match base.split_once("://") {
        Some((scheme, rest)) => match rest.rsplit_once('@') {
            Some((creds, host)) if creds.contains(':') => {
                let user = creds.split(':').next().unwrap_or("");
                format!("{scheme}://{user}:***@{host}")
            }
            _ => base.to_owned(),
        },
        None => base.to_owned(),
    };
    if let Some(query) = query {
        let pairs: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((k, _)) if k.to_ascii_lowercase().contains("password") => format!("{k}=***"),
                _ => pair.to_owned(),
            })
            .collect();
        out.push('?');
        out.push_str(&pairs.join("&"));
    }
    out
}

/// Why a store operation failed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreError {
    /// The database URL or options are wrong.
    Config(String),
    /// The store is shutting down or its worker is gone; nothing was written.
    Closed,
    /// The database reported an error; for an insert, nothing was written.
    Backend(String),
    /// The stored data is not what this version expects (a newer schema, a corrupt row).
    Corrupt(String),
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Config(m) => write!(f, "store configuration: {m}"),
            StoreError::Closed => f.write_str("store is closed"),
            StoreError::Backend(m) => write!(f, "database error: {m}"),
            StoreError::Corrupt(m) => write!(f, "stored data is invalid: {m}"),
        }
    }
}

impl std::error::Error for StoreError {}

/// The visitor's pseudonymous id: 16 random bytes chosen once per browser (by the browser, or by the server on
/// a first record without one). Shown as 22 characters of base64url.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Subject(pub [u8; Subject::LEN]);

impl Subject {
    /// Length in bytes.
    pub const LEN: usize = 16;

    /// A fresh random subject id.
    pub fn random() -> Subject {
        let mut bytes = [0u8; Subject::LEN];
        getrandom::getrandom(&mut bytes).expect("the operating system's random generator works");
        Subject(bytes)
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&assent_core::base64url::encode(&self.0))
    }
}

impl fmt::Debug for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Subject({self})")
    }
}

/// A subject id that is not 22 characters of canonical base64url.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvalidSubject;

impl fmt::Display for InvalidSubject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("subject must be 22 characters of base64url (16 bytes)")
    }
}

impl std::error::Error for InvalidSubject {}

impl FromStr for Subject {
    type Err = InvalidSubject;

    fn from_str(s: &str) -> Result<Subject, InvalidSubject> {
        if s.len() != 22 {
            return Err(InvalidSubject);
        }
        let bytes = assent_core::base64url::decode(s).map_err(|_| InvalidSubject)?;
        Ok(Subject(bytes.try_into().map_err(|_| InvalidSubject)?))
    }
}

/// One category's state in a record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Purpose {
    /// Category name (`analytics`, `remarketing`, a custom name…).
    pub category: String,
    /// Its bitmap index in the site's config (the index the token carries).
    pub index: u8,
    /// Whether it was granted.
    pub granted: bool,
}

/// The privacy signals of a record.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RecordSignals {
    /// Do Not Track was on (the page said so, or the request carried `DNT: 1`).
    pub dnt: bool,
    /// Global Privacy Control was on (the page said so, or the request carried `Sec-GPC: 1`).
    pub gpc: bool,
    /// The request itself carried `Sec-GPC: 1`.
    pub gpc_header: bool,
}

/// A stored proof of consent: one visitor's choice on one site (fields follow Kantara Consent Receipt v1.1 and
/// ISO/IEC TS 27560, see `docs/server.md`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsentRecord {
    /// UUIDv7 assigned by the server.
    pub id: Uuid,
    /// The site (config `site`), e.g. `example.com`; the data controller's site.
    pub site: String,
    /// The visitor's pseudonymous id.
    pub subject: Subject,
    /// Server time when the record was accepted, Unix milliseconds (UTC).
    pub ts_ms: i64,
    /// The browser's clock when the visitor chose, Unix seconds, as reported (not trusted).
    pub decided_at: Option<u64>,
    /// When the consent lapses and the visitor is asked again (server time + the site's `reconsent_days`), Unix
    /// seconds; also the token's expiry.
    pub expires_at: u64,
    /// Config revision the visitor saw (the notice version).
    pub revision: u32,
    /// SHA-256 of the notice text shown, 64 lowercase hex digits.
    pub notice_hash: String,
    /// The site's privacy policy URL at the time (config `policy_url`).
    pub policy_url: String,
    /// Every category presented, in the config's order, essential first.
    pub purposes: Vec<Purpose>,
    /// Privacy signals seen.
    pub signals: RecordSignals,
    /// Language of the notice shown (BCP 47 tag).
    pub language: String,
    /// How the choice was made.
    pub method: Method,
    /// Version of the browser SDK that collected it.
    pub sdk_version: String,
    /// Key id of the key that signed `token`.
    pub kid: String,
    /// The signed consent token issued for this record (its Ed25519 signature is the record's integrity proof).
    pub token: String,
    /// The region whose rules applied (`eu`, `us_states`, …), when the site uses regions; the token carries it.
    pub region: Option<String>,
}

impl ConsentRecord {
    /// The granted categories as a bitmap (essential always set).
    pub fn granted(&self) -> CategorySet {
        let mut set = CategorySet::EMPTY;
        set.insert(0);
        for p in self.purposes.iter().filter(|p| p.granted) {
            set.insert(p.index);
        }
        set
    }

    /// The presented categories as a bitmap.
    pub fn presented(&self) -> CategorySet {
        let mut set = CategorySet::EMPTY;
        for p in &self.purposes {
            set.insert(p.index);
        }
        set
    }

    /// The record as JSON, the shape of receipts and exports (`docs/server.md`).
    pub fn to_json(&self) -> serde_json::Value {
        let granted_at = self.ts_ms.div_euclid(1000) as u64;
        let purposes: Vec<serde_json::Value> = self
            .purposes
            .iter()
            .map(|p| {
                serde_json::json!({
                    "category": p.category,
                    "index": p.index,
                    "state": if p.granted { "granted" } else { "denied" },
                    "legal_basis": if p.index == 0 { "strictly_necessary" } else { "consent" },
                    "ts": granted_at,
                    "expires_at": self.expires_at,
                })
            })
            .collect();
        serde_json::json!({
            "record_id": self.id.to_string(),
            "schema_version": SCHEMA_VERSION,
            "site": self.site,
            "subject": self.subject.to_string(),
            "controller": { "site": self.site, "policy_url": self.policy_url },
            "ts": crate::time::rfc3339_millis(self.ts_ms),
            "ts_ms": self.ts_ms,
            "decided_at": self.decided_at,
            "expires_at": self.expires_at,
            "notice": {
                "revision": self.revision,
                "sha256": self.notice_hash,
                "policy_url": self.policy_url,
            },
            "purposes": purposes,
            "language": self.language,
            "collection": { "method": self.method.as_str(), "sdk_version": self.sdk_version },
            "signals": self.signals,
            "region": self.region,
            "withdrawal": { "method": "preferences", "url": self.policy_url },
            "signature": { "alg": "Ed25519", "kid": self.kid, "token": self.token },
        })
    }
}

/// Which records an export or statistics query covers. Empty fields match everything; times are server time,
/// Unix milliseconds, `since` inclusive and `until` exclusive.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecordFilter {
    /// Only this site.
    pub site: Option<String>,
    /// Only records accepted at or after this time.
    pub since_ms: Option<i64>,
    /// Only records accepted before this time.
    pub until_ms: Option<i64>,
}

/// Aggregate figures per site.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    /// Records matched in total.
    pub records: u64,
    /// Per site.
    pub sites: BTreeMap<String, SiteStats>,
}

/// Aggregate figures for one site.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SiteStats {
    /// Records matched.
    pub records: u64,
    /// Distinct subjects among them.
    pub subjects: u64,
    /// Records per collection method (`banner`, `preferences`, `api`, `withdraw`).
    pub by_method: BTreeMap<String, u64>,
    /// For each category: how many subjects' latest matched record grants it.
    pub granted_latest: BTreeMap<String, u64>,
    /// Records with GPC on.
    pub gpc: u64,
}

/// A typical record for the backends' unit tests (essential granted, analytics as given, GPC seen).
#[cfg(test)]
pub(crate) fn test_record(subject: Subject, site: &str, granted: bool) -> ConsentRecord {
    ConsentRecord {
        id: Uuid::now_v7(),
        site: site.into(),
        subject,
        ts_ms: crate::time::now_ms(),
        decided_at: Some(1_700_000_000),
        expires_at: 1_800_000_000,
        revision: 3,
        notice_hash: "ab".repeat(32),
        policy_url: "https://example.com/privacy".into(),
        purposes: vec![
            Purpose {
                category: "essential".into(),
                index: 0,
                granted: true,
            },
            Purpose {
                category: "analytics".into(),
                index: 1,
                granted,
            },
        ],
        signals: RecordSignals {
            dnt: false,
            gpc: true,
            gpc_header: true,
        },
        language: "en".into(),
        method: Method::Banner,
        sdk_version: "0.1.0".into(),
        kid: "AAAAAA".into(),
        token: "tok".into(),
        region: Some("eu".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subject_round_trips_and_rejects_bad_text() {
        let s = Subject([7; 16]);
        let text = s.to_string();
        assert_eq!(text.len(), 22);
        assert_eq!(text.parse::<Subject>(), Ok(s));
        for bad in [
            "",
            "short",
            "BwcHBwcHBwcHBwcHBwcHB=",
            "BwcHBwcHBwcHBwcHBwcHBwc",
            "BwcHBwcHBwcHBwcHBwcHB+",
        ] {
            assert_eq!(bad.parse::<Subject>(), Err(InvalidSubject), "{bad}");
        }
    }

    #[test]
    fn redact_url_hides_password() {
        assert_eq!(
            redact_url("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(redact_url("sqlite:./x.db"), "sqlite:./x.db");
        // A password with `@` in it: redact up to the last `@` of the authority, not the first.
        assert_eq!(
            redact_url("postgres://u:p@ss@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(
            redact_url(
                "postgres://u:p@ss@h:5432/db?sslmode=require&password=hunter2&sslpassword=x"
            ),
            "postgres://u:***@h:5432/db?sslmode=require&password=***&sslpassword=***"
        );
        assert_eq!(
            redact_url("postgresql://h/db?user=u&PassWord=x"),
            "postgresql://h/db?user=u&PassWord=***"
        );
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
    }
}
