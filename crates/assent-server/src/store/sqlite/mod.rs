//! The embedded SQLite backend (the default): one file, WAL journal, `synchronous = FULL`.
//!
//! Here: the connection settings, the migrations and the store handle; [`writer`] (group commit),
//! [`records`] (consent records) and [`email`] (e-mail consent) hold the rest.
//!
//! All writes go through one writer thread. It takes every insert queued while the previous commit was being
//! flushed and commits them together in one transaction (group commit), so concurrent requests share one
//! `fsync` instead of paying one each. Nobody is told "stored" before the commit that contains their record has
//! returned. Reads run on a small pool of separate connections, which WAL lets proceed while a write commits.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, TransactionBehavior, params};
use tokio::sync::{mpsc, oneshot};

use super::{StoreError, StoreFuture, schema};
use writer::{ExecDone, Job, checkpoint_loop, writer_loop};

mod email;
mod records;
mod rows;
mod writer;

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
    /// How long a connection waits for a lock another process holds on the file before the operation fails
    /// (a backup tool, `sqlite3` in a shell).
    pub busy_timeout: Duration,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            max_batch: 512,
            queue: 4096,
            checkpoint_every: Duration::from_secs(1),
            busy_timeout: Duration::from_secs(10),
        }
    }
}

impl Options {
    /// Splits `PATH?max_batch=N&checkpoint_ms=N&busy_ms=N` (the part of a `sqlite:` URL after the scheme) into the path
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
                "busy_ms" if n > 0 => options.busy_timeout = Duration::from_millis(n),
                _ => {
                    return Err(StoreError::Config(format!(
                        "sqlite option {pair:?}: expected max_batch=N, checkpoint_ms=N or busy_ms=N (N > 0)"
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
    (2, email::MIGRATION),
    // The region whose rules applied (NULL: the site uses no regions, or the record predates them).
    (3, "ALTER TABLE consent_records ADD COLUMN region TEXT;"),
    (4, super::timeseries::SQLITE_MIGRATION), // the dashboard's covering index
];

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
    busy_timeout: Duration,
}

pub(super) fn backend(e: &rusqlite::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

fn open_connection(path: &Path, busy_timeout: Duration) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| StoreError::Config(format!("cannot open {}: {e}", path.display())))?;
    conn.busy_timeout(busy_timeout).map_err(|e| backend(&e))?;
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
    for (version, sql) in schema::pending(MIGRATIONS, current)? {
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
        let busy = options.busy_timeout;
        let (conn, path, records) = tokio::task::spawn_blocking(move || {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| {
                    StoreError::Config(format!("cannot create {}: {e}", dir.display()))
                })?;
            }
            let mut conn = open_connection(&path, busy)?;
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
        let checkpoint_conn = open_connection(&path, busy)?;
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
            busy_timeout: busy,
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
        let busy = self.busy_timeout;
        Box::pin(async move {
            tokio::task::spawn_blocking(move || {
                let pooled = pool.lock().expect("reader pool lock").pop();
                let conn = if let Some(c) = pooled {
                    c
                } else {
                    let c = open_connection(&path, busy)?;
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

    /// Runs a write (an e-mail change) in the writer's transaction, under a savepoint; answers after the
    /// commit.
    fn exec<T: Send + 'static>(
        &self,
        erases: bool,
        f: impl FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> StoreFuture<'_, T> {
        Box::pin(self.send(move |reply| {
            Job::Exec(Box::new(move |conn: Option<&Connection>| {
                // No connection: the batch's BEGIN failed; `finish` then answers that failure.
                let result = match conn {
                    Some(conn) => email::in_savepoint(conn, f),
                    None => Err(StoreError::Closed),
                };
                ExecDone {
                    erased: erases && result.is_ok(),
                    finish: Box::new(move |commit: Result<(), StoreError>| {
                        let _ = reply.send(commit.and(result));
                    }),
                }
            }))
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{ConsentStore, Subject, test_record as record};

    /// Backend-specific half of the records case of the conformance suite (`tests/store.rs`): after an erasure
    /// and a reopen, the erased subject's id is nowhere in the database file, the others' records are.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn erased_bytes_leave_the_file_and_a_reopen_keeps_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/assent.db");
        let store = SqliteStore::open(&path, Options::default()).await.unwrap();
        let alice = Subject([1; 16]);
        let bob = Subject([2; 16]);
        let mut kept = Vec::new();
        for i in 0..10 {
            let r = record(
                if i % 2 == 0 { alice } else { bob },
                "a.example",
                i % 3 == 0,
            );
            store.insert(r.clone()).await.unwrap();
            if i % 2 == 1 {
                kept.push(r);
            }
        }
        assert_eq!(store.erase_subject(alice).await.unwrap(), 5);
        store.close().await.unwrap();
        assert_eq!(
            store.insert(record(bob, "a.example", true)).await,
            Err(StoreError::Closed)
        );
        let reopened = SqliteStore::open(&path, Options::default()).await.unwrap();
        assert_eq!(reopened.count().await.unwrap(), 5);
        assert_eq!(reopened.subject_records(bob).await.unwrap(), kept);
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
        let (path, o) =
            Options::from_url_path("/x/a.db?max_batch=1&checkpoint_ms=50&busy_ms=250").unwrap();
        assert_eq!(
            (path, o.max_batch, o.checkpoint_every, o.busy_timeout),
            (
                "/x/a.db",
                1,
                Duration::from_millis(50),
                Duration::from_millis(250)
            )
        );
        for bad in [
            "a.db?max_batch=0",
            "a.db?batch=2",
            "a.db?max_batch=x",
            "a.db?busy_ms=0",
        ] {
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
                 DROP INDEX consent_records_site_ts_choice;
                 CREATE INDEX consent_records_site_ts ON consent_records (site, ts_ms);
                 DELETE FROM schema_migrations WHERE version >= 3;",
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
        let checkpointer = open_connection(&path, Options::default().busy_timeout).unwrap();
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

    /// A batch that cannot begin (another process holds the file's write lock past `busy_timeout`) answers
    /// every write in it with the database's error, not "the store is closed" (which the API turns into
    /// `503 shutting_down`); once the lock is gone the same store writes again.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_locked_file_fails_the_batch_with_its_error_and_the_store_recovers() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("assent.db");
        let options = Options {
            busy_timeout: Duration::from_millis(50),
            ..Options::default()
        };
        let store = SqliteStore::open(&path, options).await.unwrap();
        let other = Connection::open(&path).unwrap();
        other.execute_batch("BEGIN EXCLUSIVE").unwrap();
        let locked = |r: Result<(), StoreError>| matches!(&r, Err(StoreError::Backend(m)) if m.contains("locked"));
        let insert = store
            .insert(record(Subject([3; 16]), "a.example", true))
            .await;
        assert!(locked(insert.clone()), "{insert:?}");
        let exec = store.exec(false, |_| Ok(())).await;
        assert!(locked(exec.clone()), "{exec:?}");
        other.execute_batch("ROLLBACK").unwrap();
        store
            .insert(record(Subject([3; 16]), "a.example", true))
            .await
            .unwrap();
        assert_eq!(store.exec(false, |_| Ok(1)).await, Ok(1));
        assert_eq!(store.count().await.unwrap(), 1);
        store.close().await.unwrap();
    }
}
