//! The embedded SQLite backend (the default): one file, WAL journal, `synchronous = FULL`.
//!
//! All writes go through one writer thread. It takes every insert queued while the previous commit was being
//! flushed and commits them together in one transaction (group commit), so concurrent requests share one
//! `fsync` instead of paying one each. Nobody is told "stored" before the commit that contains their record has
//! returned. Reads run on a small pool of separate connections, which WAL lets proceed while a write commits.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use assent_core::Method;
use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use crate::email::store as email;
use crate::email::{ListId, Pseudonym};

use super::{
    ConsentRecord, Purpose, RecordFilter, RecordSignals, SiteStats, Stats, Store, StoreError,
    StoreFuture, Subject,
};

/// Tuning knobs.
#[derive(Clone, Debug)]
pub struct Options {
    /// Most records committed in one transaction.
    pub max_batch: usize,
    /// Writes waiting for the writer thread before callers wait for room.
    pub queue: usize,
    /// How often a background thread copies committed WAL pages into the database file. Checkpoints run on
    /// their own connection so that their `fsync`s never hold up a commit.
    pub checkpoint_every: Duration,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            max_batch: 512,
            queue: 4096,
            checkpoint_every: Duration::from_secs(1),
        }
    }
}

impl Options {
    /// Splits `PATH?max_batch=N&checkpoint_ms=N` (the part of a `sqlite:` URL after the scheme) into the path
    /// and options. `max_batch=1` turns group commit off (one `fsync` per record), for comparison.
    pub fn from_url_path(text: &str) -> Result<(&str, Options), StoreError> {
        let mut options = Options::default();
        let Some((path, query)) = text.split_once('?') else {
            return Ok((text, options));
        };
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let n: u64 = value.parse().map_err(|_| {
                StoreError::Config(format!(
                    "sqlite option {key}: expected a positive number, got {value:?}"
                ))
            })?;
            match key {
                "max_batch" if n > 0 => options.max_batch = n as usize,
                "checkpoint_ms" if n > 0 => options.checkpoint_every = Duration::from_millis(n),
                _ => {
                    return Err(StoreError::Config(format!(
                        "sqlite option {pair:?}: expected max_batch=N or checkpoint_ms=N (N > 0)"
                    )));
                }
            }
        }
        Ok((path, options))
    }
}

/// Versioned schema migrations, applied in order at start; each runs in its own transaction.
const MIGRATIONS: &[(u32, &str)] = &[
    (
        1,
        "CREATE TABLE consent_records (
        id           TEXT PRIMARY KEY NOT NULL,
        site         TEXT NOT NULL,
        subject      TEXT NOT NULL,
        ts_ms        INTEGER NOT NULL,
        decided_at   INTEGER,
        expires_at   INTEGER NOT NULL,
        revision     INTEGER NOT NULL,
        notice_hash  TEXT NOT NULL,
        policy_url   TEXT NOT NULL,
        purposes     TEXT NOT NULL,
        granted      INTEGER NOT NULL,
        dnt          INTEGER NOT NULL,
        gpc          INTEGER NOT NULL,
        gpc_header   INTEGER NOT NULL,
        language     TEXT NOT NULL,
        method       TEXT NOT NULL,
        sdk_version  TEXT NOT NULL,
        kid          TEXT NOT NULL,
        token        TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX consent_records_subject ON consent_records (subject);
    CREATE INDEX consent_records_site_ts ON consent_records (site, ts_ms);
    CREATE TRIGGER consent_records_append_only BEFORE UPDATE ON consent_records
    BEGIN SELECT RAISE(ABORT, 'consent records are append-only'); END;",
    ),
    // --- e-mail consent (src/email/store.rs) ---
    (2, crate::email::store::SQLITE_MIGRATION),
    // --- end e-mail consent ---
    // The region whose rules applied (NULL: the site uses no regions, or the record predates them).
    (3, "ALTER TABLE consent_records ADD COLUMN region TEXT;"),
];

const COLUMNS: &str = "id, site, subject, ts_ms, decided_at, expires_at, revision, notice_hash, policy_url, \
                       purposes, granted, dnt, gpc, gpc_header, language, method, sdk_version, kid, token, region";

enum Job {
    Insert(Box<ConsentRecord>, oneshot::Sender<Result<(), StoreError>>),
    Erase(Subject, oneshot::Sender<Result<u64, StoreError>>),
    Close(oneshot::Sender<Result<(), StoreError>>),
    // --- e-mail consent ---
    /// A write of another module (e-mail consent), run inside the batch transaction (under its own savepoint).
    /// It answers through the returned [`ExecDone`] once the commit outcome is known; dropped unrun, its caller
    /// gets `Closed`.
    Exec(Box<dyn FnOnce(&Connection) -> ExecDone + Send>),
}

/// What an [`Job::Exec`] leaves behind: whether it erased data (the WAL is then checkpointed after the commit,
/// as for erasures), and how to answer its caller with the commit outcome.
struct ExecDone {
    erased: bool,
    finish: Box<dyn FnOnce(Result<(), StoreError>) + Send>,
}
// --- end e-mail consent ---

/// A consent record store in one SQLite file.
#[derive(Debug)]
pub struct SqliteStore {
    path: PathBuf,
    jobs: mpsc::Sender<Job>,
    readers: Arc<Mutex<Vec<Connection>>>,
    writer: Mutex<Option<JoinHandle<()>>>,
    checkpointer: Mutex<Option<(std::sync::mpsc::Sender<()>, JoinHandle<()>)>>,
    /// Consent records in the file, kept by the writer as it commits inserts and erasures.
    records: Arc<AtomicU64>,
}

fn backend(e: &rusqlite::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

fn open_connection(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| StoreError::Config(format!("cannot open {}: {e}", path.display())))?;
    conn.busy_timeout(std::time::Duration::from_secs(10))
        .map_err(|e| backend(&e))?;
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .map_err(|e| backend(&e))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Config(format!(
            "{}: cannot use the WAL journal (got {mode})",
            path.display()
        )));
    }
    // FULL: a commit is on stable storage (WAL fsynced) before it returns.
    conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA secure_delete = ON;")
        .map_err(|e| backend(&e))?;
    Ok(conn)
}

fn migrate(conn: &mut Connection) -> Result<u32, StoreError> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version INTEGER PRIMARY KEY NOT NULL,
            applied_ms INTEGER NOT NULL
        )",
    )
    .map_err(|e| backend(&e))?;
    let current: u32 = conn
        .query_row(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
            [],
            |r| r.get(0),
        )
        .map_err(|e| backend(&e))?;
    let latest = MIGRATIONS.last().map_or(0, |m| m.0);
    if current > latest {
        return Err(StoreError::Corrupt(format!(
            "database schema version {current} is newer than this server supports ({latest})"
        )));
    }
    for (version, sql) in MIGRATIONS.iter().filter(|m| m.0 > current) {
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| backend(&e))?;
        tx.execute_batch(sql)
            .map_err(|e| StoreError::Backend(format!("migration {version} failed: {e}")))?;
        tx.execute(
            "INSERT INTO schema_migrations (version, applied_ms) VALUES (?1, ?2)",
            params![version, crate::time::now_ms()],
        )
        .map_err(|e| backend(&e))?;
        tx.commit().map_err(|e| backend(&e))?;
        tracing::info!(version, "applied database migration");
    }
    Ok(latest)
}

impl SqliteStore {
    /// Opens (creating if needed) the database file, runs migrations and starts the writer thread.
    pub async fn open(path: impl AsRef<Path>, options: Options) -> Result<SqliteStore, StoreError> {
        let path = path.as_ref().to_path_buf();
        let (conn, path, records) = tokio::task::spawn_blocking(move || {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| {
                    StoreError::Config(format!("cannot create {}: {e}", dir.display()))
                })?;
            }
            let mut conn = open_connection(&path)?;
            let version = migrate(&mut conn)?;
            // The checkpointer thread does this work, off the commit path.
            conn.execute_batch("PRAGMA wal_autocheckpoint = 0")
                .map_err(|e| backend(&e))?;
            tracing::info!(path = %path.display(), schema = version, "opened SQLite store");
            // Counted once here; the writer keeps the count from then on (`/metrics` must not scan the table).
            let records: i64 = conn
                .query_row("SELECT COUNT(*) FROM consent_records", [], |r| r.get(0))
                .map_err(|e| backend(&e))?;
            Ok::<_, StoreError>((conn, path, records))
        })
        .await
        .map_err(|e| StoreError::Backend(e.to_string()))??;
        let (conn, path, records) = (conn, path, Arc::new(AtomicU64::new(records as u64)));
        let writer_records = Arc::clone(&records);
        let (jobs, rx) = mpsc::channel(options.queue.max(1));
        let max_batch = options.max_batch.max(1);
        let writer = std::thread::Builder::new()
            .name("assent-sqlite-writer".into())
            .spawn(move || writer_loop(conn, rx, max_batch, &writer_records))
            .map_err(|e| StoreError::Backend(format!("cannot start the writer thread: {e}")))?;
        let checkpoint_conn = open_connection(&path)?;
        let (stop, stopped) = std::sync::mpsc::channel();
        let every = options.checkpoint_every.max(Duration::from_millis(10));
        let checkpointer = std::thread::Builder::new()
            .name("assent-sqlite-checkpoint".into())
            .spawn(move || checkpoint_loop(&checkpoint_conn, &stopped, every))
            .map_err(|e| StoreError::Backend(format!("cannot start the checkpoint thread: {e}")))?;
        Ok(SqliteStore {
            path,
            jobs,
            readers: Arc::new(Mutex::new(Vec::new())),
            writer: Mutex::new(Some(writer)),
            checkpointer: Mutex::new(Some((stop, checkpointer))),
            records,
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn read<T, F>(&self, f: F) -> StoreFuture<'_, T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let pool = Arc::clone(&self.readers);
        let path = self.path.clone();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || {
                let pooled = pool.lock().expect("reader pool lock").pop();
                let conn = if let Some(c) = pooled {
                    c
                } else {
                    let c = open_connection(&path)?;
                    c.execute_batch("PRAGMA query_only = ON")
                        .map_err(|e| backend(&e))?;
                    c
                };
                let result = f(&conn);
                pool.lock().expect("reader pool lock").push(conn);
                result
            })
            .await
            .map_err(|e| StoreError::Backend(e.to_string()))?
        })
    }

    async fn send<T>(
        &self,
        make: impl FnOnce(oneshot::Sender<Result<T, StoreError>>) -> Job,
    ) -> Result<T, StoreError> {
        let (tx, rx) = oneshot::channel();
        self.jobs
            .send(make(tx))
            .await
            .map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    // --- e-mail consent ---
    /// Runs an e-mail write in the writer's transaction, under a savepoint; answers after the commit.
    fn exec<T: Send + 'static>(
        &self,
        erases: bool,
        f: impl FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> StoreFuture<'_, T> {
        Box::pin(self.send(move |reply| {
            Job::Exec(Box::new(move |conn: &Connection| {
                let result = crate::email::store::in_savepoint(conn, f);
                ExecDone {
                    erased: erases && result.is_ok(),
                    finish: Box::new(move |commit: Result<(), StoreError>| {
                        let _ = reply.send(commit.and(result));
                    }),
                }
            }))
        }))
    }
    // --- end e-mail consent ---
}

/// Copies committed pages from the WAL into the database file every `every`, without blocking the writer
/// (`PASSIVE`), until told to stop.
fn checkpoint_loop(conn: &Connection, stop: &std::sync::mpsc::Receiver<()>, every: Duration) {
    while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = stop.recv_timeout(every) {
        if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            tracing::warn!(error = %e, "checkpoint failed; retrying later");
        }
    }
}

/// How long [`checkpoint_truncate`] keeps retrying while readers hold old snapshots.
const TRUNCATE_RETRY_FOR: Duration = Duration::from_secs(5);

/// Copies every WAL frame into the database file and truncates the WAL to zero bytes, so that no older copy
/// of a page (an erased row's bytes) is left in it.
///
/// `wal_checkpoint(TRUNCATE)` does not fail when it cannot finish: it answers one row `(busy, log,
/// checkpointed)` with `busy = 1` when a reader still uses part of the WAL. That answer is checked, and the
/// checkpoint is retried (with a short back-off) until it completes or [`TRUNCATE_RETRY_FOR`] has passed.
fn checkpoint_truncate(conn: &Connection) -> Result<(), String> {
    let deadline = std::time::Instant::now() + TRUNCATE_RETRY_FOR;
    let mut pause = Duration::from_millis(2);
    loop {
        let (busy, log, done): (i64, i64, i64) = conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .map_err(|e| e.to_string())?;
        if busy == 0 && done >= log {
            return Ok(());
        }
        if std::time::Instant::now() >= deadline {
            return Err(format!(
                "the WAL is still in use after {TRUNCATE_RETRY_FOR:?} (busy {busy}, {done} of {log} frames copied)"
            ));
        }
        tracing::debug!(busy, log, done, "WAL checkpoint incomplete; retrying");
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(100));
    }
}

fn writer_loop(
    mut conn: Connection,
    mut rx: mpsc::Receiver<Job>,
    max_batch: usize,
    records: &AtomicU64,
) {
    let mut batch = Vec::with_capacity(max_batch);
    let mut closers = Vec::new();
    while let Some(first) = rx.blocking_recv() {
        batch.push(first);
        while batch.len() < max_batch {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let closing = run_batch(&mut conn, &mut batch, &mut closers, records);
        if closing {
            // Refuse new work; what is already queued still gets committed by the next iterations.
            rx.close();
        }
    }
    if let Err(e) = checkpoint_truncate(&conn) {
        tracing::warn!(error = %e, "final checkpoint failed");
    }
    let result = conn.close().map_err(|(_, e)| backend(&e));
    for c in closers {
        let _ = c.send(result.clone());
    }
}

/// Commits one batch; returns whether a close was requested.
fn run_batch(
    conn: &mut Connection,
    batch: &mut Vec<Job>,
    closers: &mut Vec<oneshot::Sender<Result<(), StoreError>>>,
    records: &AtomicU64,
) -> bool {
    enum Reply {
        Insert(
            oneshot::Sender<Result<(), StoreError>>,
            Result<(), StoreError>,
        ),
        Erase(
            oneshot::Sender<Result<u64, StoreError>>,
            Result<u64, StoreError>,
        ),
        Exec(Box<dyn FnOnce(Result<(), StoreError>) + Send>),
    }
    let mut replies = Vec::with_capacity(batch.len());
    let mut closing = false;
    let mut erased = false;
    let outcome = (|| -> Result<(), StoreError> {
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| backend(&e))?;
        for job in batch.drain(..) {
            match job {
                Job::Insert(record, reply) => {
                    let r = insert(&tx, &record);
                    replies.push(Reply::Insert(reply, r));
                }
                Job::Erase(subject, reply) => {
                    let r = tx
                        .execute(
                            "DELETE FROM consent_records WHERE subject = ?1",
                            [subject.to_string()],
                        )
                        .map(|n| n as u64)
                        .map_err(|e| backend(&e));
                    erased |= r.as_ref().is_ok_and(|n| *n > 0);
                    replies.push(Reply::Erase(reply, r));
                }
                Job::Close(reply) => {
                    closing = true;
                    closers.push(reply);
                }
                Job::Exec(f) => {
                    let done = f(&tx);
                    erased |= done.erased;
                    replies.push(Reply::Exec(done.finish));
                }
            }
        }
        tx.commit().map_err(|e| backend(&e))
    })();
    // Jobs not reached because BEGIN failed are still in `batch`: they fail too.
    for job in batch.drain(..) {
        match job {
            Job::Insert(_, reply) => replies.push(Reply::Insert(reply, Err(StoreError::Closed))),
            Job::Erase(_, reply) => replies.push(Reply::Erase(reply, Err(StoreError::Closed))),
            Job::Close(reply) => {
                closing = true;
                closers.push(reply);
            }
            // Dropping it drops its reply channel: the caller gets `Closed`.
            Job::Exec(_) => {}
        }
    }
    if outcome.is_ok() {
        let (mut added, mut removed) = (0u64, 0u64);
        for reply in &replies {
            match reply {
                Reply::Insert(_, Ok(())) => added += 1,
                Reply::Erase(_, Ok(n)) => removed += n,
                _ => {}
            }
        }
        records.fetch_add(added, Ordering::Relaxed);
        records.fetch_sub(
            removed.min(records.load(Ordering::Relaxed)),
            Ordering::Relaxed,
        );
    }
    if let Err(e) = &outcome {
        tracing::error!(error = %e, "commit failed; the batch was rolled back");
    } else if erased {
        // Erased rows were overwritten (secure_delete) in new page versions; move them into the main file and
        // truncate the WAL so that older copies of the pages do not linger there.
        if let Err(e) = checkpoint_truncate(conn) {
            tracing::error!(error = %e, "checkpoint after erasure failed; erased pages may remain in the WAL until the next one");
        }
    }
    for reply in replies {
        match reply {
            Reply::Insert(tx, r) => {
                let _ = tx.send(match &outcome {
                    Ok(()) => r,
                    Err(e) => Err(e.clone()),
                });
            }
            Reply::Erase(tx, r) => {
                let _ = tx.send(match &outcome {
                    Ok(()) => r,
                    Err(e) => Err(e.clone()),
                });
            }
            Reply::Exec(finish) => finish(outcome.clone()),
        }
    }
    closing
}

fn insert(conn: &Connection, r: &ConsentRecord) -> Result<(), StoreError> {
    let purposes =
        serde_json::to_string(&r.purposes).map_err(|e| StoreError::Backend(e.to_string()))?;
    let mut stmt = conn
        .prepare_cached(&format!(
            "INSERT INTO consent_records ({COLUMNS}) VALUES \
             (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)"
        ))
        .map_err(|e| backend(&e))?;
    stmt.execute(params![
        r.id.to_string(),
        r.site,
        r.subject.to_string(),
        r.ts_ms,
        r.decided_at.map(|d| d as i64),
        r.expires_at as i64,
        r.revision,
        r.notice_hash,
        r.policy_url,
        purposes,
        r.granted().0 as i64,
        r.signals.dnt,
        r.signals.gpc,
        r.signals.gpc_header,
        r.language,
        r.method.as_str(),
        r.sdk_version,
        r.kid,
        r.token,
        r.region,
    ])
    .map_err(|e| backend(&e))?;
    Ok(())
}

fn corrupt(what: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        0,
        rusqlite::types::Type::Text,
        format!("invalid {what}").into(),
    )
}

fn row_to_record(row: &rusqlite::Row<'_>) -> rusqlite::Result<ConsentRecord> {
    let id: String = row.get(0)?;
    let subject: String = row.get(2)?;
    let purposes: String = row.get(9)?;
    let method: String = row.get(15)?;
    Ok(ConsentRecord {
        id: Uuid::parse_str(&id).map_err(|_| corrupt("record id"))?,
        site: row.get(1)?,
        subject: subject.parse().map_err(|_| corrupt("subject"))?,
        ts_ms: row.get(3)?,
        decided_at: row.get::<_, Option<i64>>(4)?.map(|d| d as u64),
        expires_at: row.get::<_, i64>(5)? as u64,
        revision: row.get(6)?,
        notice_hash: row.get(7)?,
        policy_url: row.get(8)?,
        purposes: serde_json::from_str::<Vec<Purpose>>(&purposes)
            .map_err(|_| corrupt("purposes"))?,
        signals: RecordSignals {
            dnt: row.get(11)?,
            gpc: row.get(12)?,
            gpc_header: row.get(13)?,
        },
        language: row.get(14)?,
        method: Method::parse(&method).ok_or_else(|| corrupt("method"))?,
        sdk_version: row.get(16)?,
        kid: row.get(17)?,
        token: row.get(18)?,
        region: row.get(19)?,
    })
}

fn read_err(e: rusqlite::Error) -> StoreError {
    match e {
        rusqlite::Error::FromSqlConversionFailure(_, _, m) => StoreError::Corrupt(m.to_string()),
        e => backend(&e),
    }
}

/// `WHERE` clause and parameters for a filter (all parameters are bound, never spliced).
fn filter_sql(filter: &RecordFilter) -> (String, Vec<rusqlite::types::Value>) {
    use rusqlite::types::Value;
    let mut clauses = vec!["1 = 1".to_string()];
    let mut values = Vec::new();
    if let Some(site) = &filter.site {
        values.push(Value::Text(site.clone()));
        clauses.push(format!("site = ?{}", values.len()));
    }
    if let Some(since) = filter.since_ms {
        values.push(Value::Integer(since));
        clauses.push(format!("ts_ms >= ?{}", values.len()));
    }
    if let Some(until) = filter.until_ms {
        values.push(Value::Integer(until));
        clauses.push(format!("ts_ms < ?{}", values.len()));
    }
    (clauses.join(" AND "), values)
}

impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    fn insert(&self, record: ConsentRecord) -> StoreFuture<'_, ()> {
        Box::pin(self.send(move |tx| Job::Insert(Box::new(record), tx)))
    }

    fn get(&self, id: Uuid) -> StoreFuture<'_, Option<ConsentRecord>> {
        self.read(move |conn| {
            conn.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM consent_records WHERE id = ?1"
            ))
            .map_err(|e| backend(&e))?
            .query_row([id.to_string()], row_to_record)
            .optional()
            .map_err(read_err)
        })
    }

    fn subject_records(&self, subject: Subject) -> StoreFuture<'_, Vec<ConsentRecord>> {
        self.read(move |conn| {
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM consent_records WHERE subject = ?1 ORDER BY id"
                ))
                .map_err(|e| backend(&e))?;
            let rows = stmt
                .query_map([subject.to_string()], row_to_record)
                .map_err(|e| backend(&e))?;
            rows.collect::<Result<Vec<_>, _>>().map_err(read_err)
        })
    }

    fn export_page(
        &self,
        filter: RecordFilter,
        after: Option<Uuid>,
        limit: usize,
    ) -> StoreFuture<'_, Vec<ConsentRecord>> {
        self.read(move |conn| {
            let (mut where_, mut values) = filter_sql(&filter);
            if let Some(after) = after {
                values.push(rusqlite::types::Value::Text(after.to_string()));
                where_ = format!("{where_} AND id > ?{}", values.len());
            }
            values.push(rusqlite::types::Value::Integer(limit as i64));
            let sql = format!(
                "SELECT {COLUMNS} FROM consent_records WHERE {where_} ORDER BY id LIMIT ?{}",
                values.len()
            );
            let mut stmt = conn.prepare_cached(&sql).map_err(|e| backend(&e))?;
            let rows = stmt
                .query_map(rusqlite::params_from_iter(values), row_to_record)
                .map_err(|e| backend(&e))?;
            rows.collect::<Result<Vec<_>, _>>().map_err(read_err)
        })
    }

    fn erase_subject(&self, subject: Subject) -> StoreFuture<'_, u64> {
        Box::pin(self.send(move |tx| Job::Erase(subject, tx)))
    }

    fn stats(&self, filter: RecordFilter) -> StoreFuture<'_, Stats> {
        self.read(move |conn| {
            let (where_, values) = filter_sql(&filter);
            let mut stats = Stats::default();
            let mut stmt = conn
                .prepare(&format!(
                    "SELECT site, method, COUNT(*), SUM(gpc) FROM consent_records WHERE {where_} \
                     GROUP BY site, method"
                ))
                .map_err(|e| backend(&e))?;
            let mut rows = stmt
                .query(rusqlite::params_from_iter(values.clone()))
                .map_err(|e| backend(&e))?;
            while let Some(row) = rows.next().map_err(|e| backend(&e))? {
                let site: String = row.get(0).map_err(|e| backend(&e))?;
                let method: String = row.get(1).map_err(|e| backend(&e))?;
                let n = row.get::<_, i64>(2).map_err(|e| backend(&e))? as u64;
                let gpc = row.get::<_, i64>(3).map_err(|e| backend(&e))? as u64;
                let s = stats.sites.entry(site).or_default();
                s.records += n;
                s.gpc += gpc;
                *s.by_method.entry(method).or_default() += n;
                stats.records += n;
            }
            drop(rows);
            let mut stmt = conn
                .prepare(&format!(
                    "SELECT site, COUNT(DISTINCT subject) FROM consent_records WHERE {where_} GROUP BY site"
                ))
                .map_err(|e| backend(&e))?;
            let mut rows = stmt
                .query(rusqlite::params_from_iter(values.clone()))
                .map_err(|e| backend(&e))?;
            while let Some(row) = rows.next().map_err(|e| backend(&e))? {
                let site: String = row.get(0).map_err(|e| backend(&e))?;
                let n = row.get::<_, i64>(1).map_err(|e| backend(&e))? as u64;
                stats.sites.entry(site).or_default().subjects = n;
            }
            drop(rows);
            // Each subject's latest matching record (ids are UUIDv7: the greatest id is the latest).
            let mut stmt = conn
                .prepare(&format!(
                    "WITH latest AS (
                        SELECT MAX(id) AS id FROM consent_records WHERE {where_} GROUP BY site, subject
                     )
                     SELECT r.site, json_extract(p.value, '$.category'), COUNT(*)
                     FROM latest JOIN consent_records r ON r.id = latest.id, json_each(r.purposes) p
                     WHERE json_extract(p.value, '$.granted') = 1
                     GROUP BY r.site, json_extract(p.value, '$.category')"
                ))
                .map_err(|e| backend(&e))?;
            let mut rows = stmt
                .query(rusqlite::params_from_iter(values))
                .map_err(|e| backend(&e))?;
            while let Some(row) = rows.next().map_err(|e| backend(&e))? {
                let site: String = row.get(0).map_err(|e| backend(&e))?;
                let category: String = row.get(1).map_err(|e| backend(&e))?;
                let n = row.get::<_, i64>(2).map_err(|e| backend(&e))? as u64;
                stats
                    .sites
                    .entry(site)
                    .or_insert_with(SiteStats::default)
                    .granted_latest
                    .insert(category, n);
            }
            Ok(stats)
        })
    }

    fn count(&self) -> StoreFuture<'_, u64> {
        let n = self.records.load(Ordering::Relaxed);
        Box::pin(async move { Ok(n) })
    }

    fn ping(&self) -> StoreFuture<'_, ()> {
        self.read(|conn| {
            conn.query_row("SELECT 1", [], |_| Ok(()))
                .map_err(|e| backend(&e))
        })
    }

    fn close(&self) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            let checkpointer = self.checkpointer.lock().expect("checkpointer lock").take();
            if let Some((stop, handle)) = checkpointer {
                drop(stop);
                tokio::task::spawn_blocking(move || handle.join())
                    .await
                    .map_err(|e| StoreError::Backend(e.to_string()))?
                    .map_err(|_| StoreError::Backend("the checkpoint thread panicked".into()))?;
            }
            let result = match self.send(Job::Close).await {
                Err(StoreError::Closed) => Ok(()),
                r => r,
            };
            let writer = self.writer.lock().expect("writer lock").take();
            if let Some(handle) = writer {
                tokio::task::spawn_blocking(move || handle.join())
                    .await
                    .map_err(|e| StoreError::Backend(e.to_string()))?
                    .map_err(|_| StoreError::Backend("the writer thread panicked".into()))?;
            }
            self.readers.lock().expect("reader pool lock").clear();
            result
        })
    }

    // --- e-mail consent (src/email/store.rs) ---
    fn email_subscribe(
        &self,
        request: email::SubscribeRequest,
    ) -> StoreFuture<'_, email::SubscribeOutcome> {
        self.exec(false, move |conn| email::subscribe(conn, &request))
    }

    fn email_confirm(
        &self,
        token_hash: [u8; 32],
        now_ms: i64,
    ) -> StoreFuture<'_, email::ConfirmResult> {
        self.exec(false, move |conn| email::confirm(conn, &token_hash, now_ms))
    }

    fn email_unsubscribe(
        &self,
        subject: Pseudonym,
        list: ListId,
        method: &'static str,
        now_ms: i64,
    ) -> StoreFuture<'_, bool> {
        self.exec(false, move |conn| {
            email::unsubscribe(conn, subject, &list, method, now_ms)
        })
    }

    fn email_track(
        &self,
        subject: Pseudonym,
        list: ListId,
        kind: &'static str,
        url: Option<String>,
        now_ms: i64,
    ) -> StoreFuture<'_, bool> {
        self.exec(false, move |conn| {
            email::track(conn, subject, &list, kind, url.as_deref(), now_ms)
        })
    }

    fn email_erase(&self, subject: Pseudonym) -> StoreFuture<'_, u64> {
        self.exec(true, move |conn| email::erase(conn, subject))
    }

    fn email_subscriptions(
        &self,
        subject: Option<Pseudonym>,
    ) -> StoreFuture<'_, Vec<email::Subscription>> {
        self.read(move |conn| match subject {
            Some(s) => email::subscriptions_of(conn, s),
            None => email::all_subscriptions(conn),
        })
    }

    fn email_events(&self, subject: Option<Pseudonym>) -> StoreFuture<'_, Vec<email::EmailEvent>> {
        self.read(move |conn| email::events(conn, subject))
    }

    fn email_subscriptions_page(
        &self,
        filter: RecordFilter,
        after: Option<(String, String)>,
        limit: usize,
    ) -> StoreFuture<'_, Vec<email::Subscription>> {
        self.read(move |conn| email::subscriptions_page(conn, &filter, after.as_ref(), limit))
    }

    fn email_events_page(
        &self,
        filter: RecordFilter,
        after: Option<String>,
        limit: usize,
    ) -> StoreFuture<'_, Vec<email::EmailEvent>> {
        self.read(move |conn| email::events_page(conn, &filter, after.as_deref(), limit))
    }

    fn email_suppressions(&self) -> StoreFuture<'_, Vec<email::Suppression>> {
        self.read(email::suppressions)
    }
    // --- end e-mail consent ---
}

#[cfg(test)]
mod tests {
    use super::*;

    use super::super::test_record as record;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn insert_read_export_erase_and_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/assent.db");
        let store = SqliteStore::open(&path, Options::default()).await.unwrap();
        let alice = Subject([1; 16]);
        let bob = Subject([2; 16]);
        let mut inserted = Vec::new();
        for i in 0..10 {
            let r = record(
                if i % 2 == 0 { alice } else { bob },
                if i < 5 { "a.example" } else { "b.example" },
                i % 3 == 0,
            );
            store.insert(r.clone()).await.unwrap();
            inserted.push(r);
        }
        assert_eq!(
            store.get(inserted[3].id).await.unwrap().as_ref(),
            Some(&inserted[3])
        );
        assert_eq!(store.get(Uuid::now_v7()).await.unwrap(), None);
        assert_eq!(store.subject_records(alice).await.unwrap().len(), 5);

        let page1 = store
            .export_page(RecordFilter::default(), None, 4)
            .await
            .unwrap();
        let page2 = store
            .export_page(RecordFilter::default(), Some(page1[3].id), 100)
            .await
            .unwrap();
        let all: Vec<_> = page1.iter().chain(&page2).cloned().collect();
        assert_eq!(all, inserted);
        let only_b = RecordFilter {
            site: Some("b.example".into()),
            ..RecordFilter::default()
        };
        assert_eq!(
            store.export_page(only_b, None, 100).await.unwrap(),
            inserted[5..]
        );

        let stats = store.stats(RecordFilter::default()).await.unwrap();
        assert_eq!(stats.records, 10);
        assert_eq!(stats.sites["a.example"].subjects, 2);
        assert_eq!(stats.sites["a.example"].by_method["banner"], 5);
        assert_eq!(stats.sites["a.example"].gpc, 5);
        // Latest per subject on a.example: alice i=4 (denied), bob i=3 (granted).
        assert_eq!(stats.sites["a.example"].granted_latest["analytics"], 1);
        assert_eq!(stats.sites["a.example"].granted_latest["essential"], 2);

        assert_eq!(store.erase_subject(alice).await.unwrap(), 5);
        assert_eq!(store.erase_subject(alice).await.unwrap(), 0);
        assert!(store.subject_records(alice).await.unwrap().is_empty());
        assert_eq!(store.count().await.unwrap(), 5);
        store.close().await.unwrap();
        assert_eq!(
            store.insert(record(bob, "a.example", true)).await,
            Err(StoreError::Closed)
        );

        let reopened = SqliteStore::open(&path, Options::default()).await.unwrap();
        assert_eq!(reopened.count().await.unwrap(), 5);
        assert_eq!(
            reopened.subject_records(bob).await.unwrap(),
            vec![
                inserted[1].clone(),
                inserted[3].clone(),
                inserted[5].clone(),
                inserted[7].clone(),
                inserted[9].clone()
            ]
        );
        reopened.close().await.unwrap();
        // Erased subject's id is nowhere in the file.
        let bytes = std::fs::read(&path).unwrap();
        let needle = alice.to_string();
        assert!(!bytes.windows(needle.len()).any(|w| w == needle.as_bytes()));
        assert!(bytes.windows(22).any(|w| w == bob.to_string().as_bytes()));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn records_are_append_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("assent.db");
        let store = SqliteStore::open(&path, Options::default()).await.unwrap();
        let r = record(Subject([3; 16]), "a.example", true);
        store.insert(r.clone()).await.unwrap();
        // A duplicate id is refused and the rest of its batch is unaffected.
        let dup = store.insert(r.clone());
        let other = record(Subject([4; 16]), "a.example", false);
        let ok = store.insert(other.clone());
        let (dup, ok) = tokio::join!(dup, ok);
        assert!(matches!(dup, Err(StoreError::Backend(_))), "{dup:?}");
        ok.unwrap();
        store.close().await.unwrap();
        let conn = Connection::open(&path).unwrap();
        let err = conn
            .execute("UPDATE consent_records SET site = 'x'", [])
            .unwrap_err();
        assert!(err.to_string().contains("append-only"), "{err}");
    }

    #[test]
    fn url_options() {
        let (path, o) = Options::from_url_path("./a.db").unwrap();
        assert_eq!(
            (path, o.max_batch),
            ("./a.db", Options::default().max_batch)
        );
        let (path, o) = Options::from_url_path("/x/a.db?max_batch=1&checkpoint_ms=50").unwrap();
        assert_eq!(
            (path, o.max_batch, o.checkpoint_every),
            ("/x/a.db", 1, Duration::from_millis(50))
        );
        for bad in ["a.db?max_batch=0", "a.db?batch=2", "a.db?max_batch=x"] {
            assert!(
                matches!(Options::from_url_path(bad), Err(StoreError::Config(_))),
                "{bad}"
            );
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_database_from_before_regions_is_migrated_and_keeps_its_records() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("assent.db");
        let old = {
            let store = SqliteStore::open(&path, Options::default()).await.unwrap();
            let mut r = record(Subject::random(), "example.com", true);
            r.region = None;
            store.insert(r.clone()).await.unwrap();
            store.close().await.unwrap();
            r
        };
        // Back to the schema of before migration 3.
        Connection::open(&path)
            .unwrap()
            .execute_batch(
                "ALTER TABLE consent_records DROP COLUMN region;
                 DELETE FROM schema_migrations WHERE version = 3;",
            )
            .unwrap();
        let store = SqliteStore::open(&path, Options::default()).await.unwrap();
        assert_eq!(store.get(old.id).await.unwrap(), Some(old));
        let new = record(Subject::random(), "example.com", true);
        store.insert(new.clone()).await.unwrap();
        assert_eq!(
            store.get(new.id).await.unwrap().unwrap().region.as_deref(),
            Some("eu")
        );
        store.close().await.unwrap();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn refuses_a_newer_schema() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("assent.db");
        SqliteStore::open(&path, Options::default())
            .await
            .unwrap()
            .close()
            .await
            .unwrap();
        Connection::open(&path)
            .unwrap()
            .execute("INSERT INTO schema_migrations VALUES (99, 0)", [])
            .unwrap();
        let err = SqliteStore::open(&path, Options::default())
            .await
            .unwrap_err();
        assert!(
            matches!(err, StoreError::Corrupt(ref m) if m.contains("99")),
            "{err:?}"
        );
    }

    /// Durability is decided by `PRAGMA synchronous`: with WAL, FULL (2) fsyncs the WAL on every commit,
    /// NORMAL (1) only at checkpoints, so a record acknowledged under NORMAL can vanish on power loss although
    /// it survives `kill -9`. Checked on the writer thread's own connection (records, erasures, e-mail writes,
    /// migrations) and on a connection made like the checkpointer's; readers are read-only.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_connection_that_writes_runs_with_synchronous_full() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("assent.db");
        let store = SqliteStore::open(&path, Options::default()).await.unwrap();
        let pragma = |c: &Connection, name: &str| -> i64 {
            c.query_row(&format!("PRAGMA {name}"), [], |r| r.get(0))
                .unwrap()
        };
        let writer = store
            .exec(false, move |c| Ok(pragma(c, "synchronous")))
            .await
            .unwrap();
        assert_eq!(
            writer, 2,
            "the writer's connection is not synchronous = FULL"
        );
        let checkpointer = open_connection(&path).unwrap();
        assert_eq!(pragma(&checkpointer, "synchronous"), 2);
        assert_eq!(pragma(&checkpointer, "secure_delete"), 1);
        // A reader cannot write, so its setting does not matter.
        let err = store
            .read(|c| {
                c.execute("DELETE FROM consent_records", [])
                    .map_err(|e| backend(&e))
            })
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Backend(_)), "{err:?}");
        store.close().await.unwrap();
    }
}
