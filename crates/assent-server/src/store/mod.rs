//! Durable storage: the [`ConsentStore`] and [`EmailStore`] traits every backend implements (together a
//! [`Store`]), and the record types they share ([`record`]).
//!
//! Records are append-only proof of consent (GDPR Art. 7(1)): a change of mind or a withdrawal is a new record,
//! never an update. The only way a record leaves the store is the erasure of its subject (GDPR Art. 17).
//!
//! Backends: [`sqlite`] (default, embedded, one writer thread with group commit) and [`postgres`] (a connection
//! pool, for several instances sharing one database), each a folder by concern (connection and migrations,
//! writer, records, e-mail). What both share is written once in `schema`: the migration plan, the column
//! lists and the row mapping. The e-mail state machine is `crate::email::store`; backends only load and save.

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use std::sync::Arc;

use uuid::Uuid;

use crate::email::store as email;
use crate::email::{ListId, Pseudonym};

pub mod postgres;
pub mod record;
pub(crate) mod schema;
pub mod sqlite;
pub mod timeseries;

pub use record::{
    ConsentRecord, InvalidSubject, Purpose, RecordFilter, RecordSignals, SCHEMA_VERSION, SiteStats,
    Stats, Subject,
};

/// A boxed future returned by the store traits' methods, so they stay object-safe (`Arc<dyn Store>`).
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// Consent records: append-only proof of consent, read back by id, by subject and in pages for the export,
/// aggregated for statistics, erased per subject.
///
/// Every method is cancel-safe from the caller's point of view: once [`ConsentStore::insert`] has been called
/// the record is either committed completely or not at all, whether or not the caller still awaits the answer.
pub trait ConsentStore: Send + Sync + fmt::Debug {
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

    /// Aggregate figures over the records matching `filter`, read under one snapshot.
    fn stats(&self, filter: RecordFilter) -> StoreFuture<'_, Stats>;

    /// Total number of records stored.
    fn count(&self) -> StoreFuture<'_, u64>;

    /// One site's records in a time range, grouped for the dashboard (`store/timeseries/`).
    fn timeseries(
        &self,
        query: timeseries::TimeseriesQuery,
    ) -> StoreFuture<'_, timeseries::TimeseriesRows>;

    /// First and last record signed per key id (`store/timeseries/`).
    fn key_usage(&self) -> StoreFuture<'_, Vec<timeseries::KeyUsage>>;

    /// Checks that the store answers (for `/healthz`).
    fn ping(&self) -> StoreFuture<'_, ()>;

    /// Finishes every insert already accepted, then stops accepting new ones. Called once at shutdown.
    fn close(&self) -> StoreFuture<'_, ()>;
}

/// E-mail consent records (types and state machine in `src/email/store.rs`, manual in `docs/email.md`). Each
/// change loads the subscription, runs the state machine's pure transition and saves its row and event in one
/// transaction.
pub trait EmailStore: Send + Sync + fmt::Debug {
    /// Stores a double opt-in request: a new or unsubscribed address becomes `pending` with the request's
    /// confirmation-token hash (replacing an older one); a confirmed one is left alone ([`email::subscribe`]).
    fn email_subscribe(
        &self,
        request: email::SubscribeRequest,
    ) -> StoreFuture<'_, email::SubscribeOutcome>;

    /// Confirms the pending subscription whose confirmation token hashes to `token_hash` (single use, before it
    /// expires), at `now_ms` ([`email::confirm`]).
    fn email_confirm(
        &self,
        token_hash: [u8; 32],
        now_ms: i64,
    ) -> StoreFuture<'_, email::ConfirmResult>;

    /// Unsubscribes an address pseudonym from a list (idempotent; `true` when the state changed). Creates a
    /// suppression for a pseudonym with no record ([`email::unsubscribe`]).
    fn email_unsubscribe(
        &self,
        subject: Pseudonym,
        list: ListId,
        method: email::UnsubscribeMethod,
        now_ms: i64,
    ) -> StoreFuture<'_, bool>;

    /// Records an open or click only for a confirmed subscriber who consented to tracking, at most once per hour
    /// ([`email::track`]); `true` when recorded.
    fn email_track(
        &self,
        subject: Pseudonym,
        list: ListId,
        kind: email::TrackKind,
        url: Option<String>,
        now_ms: i64,
    ) -> StoreFuture<'_, bool>;

    /// Deletes every e-mail record (subscriptions and events) of an address pseudonym; returns the row count.
    fn email_erase(&self, subject: Pseudonym) -> StoreFuture<'_, u64>;

    /// The subscriptions of one address pseudonym (by list), or all of them (`None`, by pseudonym and list).
    fn email_subscriptions(
        &self,
        subject: Option<Pseudonym>,
    ) -> StoreFuture<'_, Vec<email::Subscription>>;

    /// The e-mail history of one address pseudonym, or everyone's (`None`), oldest first.
    fn email_events(&self, subject: Option<Pseudonym>) -> StoreFuture<'_, Vec<email::EmailEvent>>;

    /// Up to `limit` subscriptions matching `filter` (`site` is the subscription's site, `since`/`until` its last
    /// change) whose (pseudonym, list) comes after `after`, in that order: the admin export pages through
    /// them, so it never holds more than a page in memory.
    fn email_subscriptions_page(
        &self,
        filter: RecordFilter,
        after: Option<(String, String)>,
        limit: usize,
    ) -> StoreFuture<'_, Vec<email::Subscription>>;

    /// Up to `limit` events matching `filter` (`site`: the event's subscription is for that site; `since`/`until`
    /// the event's time) with an id greater than `after`, in id (time) order.
    fn email_events_page(
        &self,
        filter: RecordFilter,
        after: Option<String>,
        limit: usize,
    ) -> StoreFuture<'_, Vec<email::EmailEvent>>;

    /// Every (address, list) that unsubscribed and has not confirmed again, oldest unsubscribe first.
    fn email_suppressions(&self) -> StoreFuture<'_, Vec<email::Suppression>>;
}

/// A whole backend: consent records and e-mail consent in one database, one handle for the server
/// (`Arc<dyn Store>`). Every type that is both is one.
pub trait Store: ConsentStore + EmailStore {}

impl<T: ConsentStore + EmailStore + ?Sized> Store for T {}

/// Opens the store named by a database URL: `sqlite:PATH` (or `sqlite://PATH`, with optional tuning
/// `?max_batch=N&checkpoint_ms=N&busy_ms=N`); `postgres://…` or `postgresql://…` (PostgreSQL). Runs pending migrations.
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
        method: assent_core::Method::Banner,
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
