//! The PostgreSQL backend, for deployments with several server instances sharing one database:
//! `--db postgres://USER@HOST:PORT/DB`.
//!
//! - **Pool**: a deadpool of tokio-postgres connections (no TLS: run it on a private network or a local socket).
//! - **Migrations**: versioned, applied at start in one transaction holding an advisory lock, so instances
//!   starting together apply each migration exactly once and none runs on a half-migrated schema.
//! - **Durability**: a record is acknowledged only after the `COMMIT` that contains it returned. Every session
//!   starts with `synchronous_commit = on` (whatever the database or role default), so with `fsync = on` that
//!   commit is flushed to the WAL on stable storage (and on synchronous standbys if configured) before the
//!   answer; `tests/server/flushes.rs` counts the flushes in `pg_stat_wal`.
//! - **Group commit**: inserts are queued and a writer task (`assent_writers`, default 1) takes everything queued
//!   and inserts it with one multi-row statement, which is one transaction (one round trip); transactions of several instances also share WAL flushes inside
//!   PostgreSQL.
//!   A batch that fails as a whole (one bad row) is retried row by row so only the bad record fails.
//! - **Append-only**: a trigger refuses every `UPDATE` of a consent record or an e-mail event.
//! - **Erasure** deletes the rows, then `VACUUM (INDEX_CLEANUP ON)` removes the dead tuples and their index
//!   entries: no tuple, live or dead, holds the data any more. PostgreSQL does not zero the space a removed
//!   tuple leaves in its heap page, so the bytes stay in the data file until new rows reuse that space. With
//!   `?assent_erase=full` in the URL the table is rewritten (`VACUUM FULL`) instead and the bytes leave the
//!   data files at once, at the price of blocking inserts during the rewrite. WAL segments (until recycled),
//!   backups and replicas are out of our reach (`docs/server.md`).
//!
//! Here: the connection pool, the migrations and the store handle; [`writer`] (group commit), [`records`]
//! (consent records) and [`email`] (e-mail consent) hold the rest. The private PostgreSQL the tests and
//! `assent bench --db postgres` start is in the `assent-testkit` crate, not in the product.

use std::str::FromStr;
use std::sync::{Arc, Mutex};

use deadpool_postgres::{Manager, ManagerConfig, Pool, PoolError, RecyclingMethod};
use tokio::sync::mpsc;
use tokio_postgres::NoTls;

use super::{StoreError, redact_url, schema};
use writer::{InsertJob, writer_loop};

mod email;
mod records;
mod writer;

/// Tuning knobs.
#[derive(Clone, Debug)]
pub struct Options {
    /// Connections in the pool (writers and readers together).
    pub pool_size: usize,
    /// Writer tasks: batches being committed at once.
    pub writers: usize,
    /// Most records inserted by one statement.
    pub max_batch: usize,
    /// Inserts waiting for a writer before callers wait for room.
    pub queue: usize,
    /// After an erasure, rewrite the table with `VACUUM FULL` (URL parameter `assent_erase=full`) instead of a
    /// plain `VACUUM`: the erased bytes then leave the data files at once, but the rewrite locks the table
    /// against inserts while it runs, so this suits small databases or rare erasures.
    pub vacuum_full: bool,
}

impl Options {
    /// Takes this backend's own parameters out of a database URL: `assent_erase=full|vacuum`,
    /// `assent_pool_size=N`, `assent_writers=N`, `assent_max_batch=N`. Returns the URL PostgreSQL sees.
    pub fn from_url(url: &str, mut options: Options) -> Result<(String, Options), StoreError> {
        let Some((base, query)) = url.split_once('?') else {
            return Ok((url.to_owned(), options));
        };
        let mut rest = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let number = || {
                value
                    .parse::<usize>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| {
                        StoreError::Config(format!(
                            "{key} must be a positive number, not {value:?}"
                        ))
                    })
            };
            match key {
                "assent_erase" => {
                    options.vacuum_full = match value {
                        "full" => true,
                        "vacuum" => false,
                        _ => {
                            return Err(StoreError::Config(format!(
                                "assent_erase must be full or vacuum, not {value:?}"
                            )));
                        }
                    };
                }
                "assent_pool_size" => options.pool_size = number()?,
                "assent_writers" => options.writers = number()?,
                "assent_max_batch" => options.max_batch = number()?,
                k if k.starts_with("assent_") => {
                    return Err(StoreError::Config(format!(
                        "unknown database URL parameter {k}"
                    )));
                }
                _ => rest.push(pair),
            }
        }
        let url = if rest.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", rest.join("&"))
        };
        Ok((url, options))
    }
}

impl Default for Options {
    fn default() -> Options {
        Options {
            pool_size: 16,
            // One writer: a flush-bound disk is best used by one batch per flush (measured: with 4 writers the
            // batches split and PostgreSQL flushes twice as often for the same records; with a fast disk 1 and 2
            // writers do the same records/s).
            writers: 1,
            max_batch: 512,
            queue: 4096,
            vacuum_full: false,
        }
    }
}

/// Longest wait for a new connection or a free one from the pool.
const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Key of the advisory lock held while migrating (`'assent' as bytes`).
const MIGRATION_LOCK: i64 = 0x6173_7365_6e74;

/// Versioned schema migrations, applied in order at start (all pending ones in one transaction).
const MIGRATIONS: &[(i32, &str)] = &[
    (
        1,
        "CREATE TABLE consent_records (
            id           uuid PRIMARY KEY,
            site         text NOT NULL,
            subject      text NOT NULL,
            ts_ms        bigint NOT NULL,
            decided_at   bigint,
            expires_at   bigint NOT NULL,
            revision     bigint NOT NULL,
            notice_hash  text NOT NULL,
            policy_url   text NOT NULL,
            purposes     jsonb NOT NULL,
            granted      bigint NOT NULL,
            dnt          boolean NOT NULL,
            gpc          boolean NOT NULL,
            gpc_header   boolean NOT NULL,
            language     text NOT NULL,
            method       text NOT NULL,
            sdk_version  text NOT NULL,
            kid          text NOT NULL,
            token        text NOT NULL
        );
        CREATE INDEX consent_records_subject ON consent_records (subject);
        CREATE INDEX consent_records_site_ts ON consent_records (site, ts_ms);
        CREATE FUNCTION assent_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '% are append-only', TG_ARGV[0] USING ERRCODE = 'restrict_violation';
        END $$;
        CREATE TRIGGER consent_records_append_only BEFORE UPDATE ON consent_records
            FOR EACH ROW EXECUTE FUNCTION assent_append_only('consent records');",
    ),
    (2, email::MIGRATION),
    // The region whose rules applied (NULL: the site uses no regions, or the record predates them).
    (3, "ALTER TABLE consent_records ADD COLUMN region text;"),
    (4, super::timeseries::POSTGRES_MIGRATION), // the dashboard's covering index
];

/// A consent record store in a PostgreSQL database.
#[derive(Debug)]
pub struct PostgresStore {
    pool: Pool,
    url: String,
    jobs: Mutex<Option<mpsc::Sender<InsertJob>>>,
    writers: Mutex<Vec<tokio::task::JoinHandle<()>>>,
    vacuum_full: bool,
    /// One `VACUUM` after erasures at a time.
    vacuum: tokio::sync::Mutex<()>,
    /// The last `COUNT(*)` and when it ran (see [`COUNT_FOR`]); cleared by this instance's own writes.
    counted: Mutex<Option<(u64, std::time::Instant)>>,
}

/// How long `count()` (for `/metrics`) reuses a `COUNT(*)`: the table is shared with other instances, so it
/// cannot be kept exactly in memory, and counting it on every scrape would cost a full scan each time. This
/// instance's own inserts and erasures clear the cached figure at once; other instances' show within this time.
const COUNT_FOR: std::time::Duration = std::time::Duration::from_secs(10);

/// A database error as a [`StoreError`], with PostgreSQL's SQLSTATE and message when there is one.
pub(super) fn pg(e: &tokio_postgres::Error) -> StoreError {
    if let Some(db) = e.as_db_error() {
        StoreError::Backend(format!("{} ({})", db.message(), db.code().code()))
    } else if e.is_closed() {
        StoreError::Backend("the database connection was closed".into())
    } else {
        StoreError::Backend(e.to_string())
    }
}

pub(super) fn pool_err(e: PoolError) -> StoreError {
    match e {
        PoolError::Closed => StoreError::Closed,
        PoolError::Backend(e) => pg(&e),
        e => StoreError::Backend(format!("database pool: {e}")),
    }
}

async fn migrate(client: &mut deadpool_postgres::Client) -> Result<i32, StoreError> {
    let tx = client.transaction().await.map_err(|e| pg(&e))?;
    // Held until COMMIT: other instances starting now wait here, then find the migrations applied.
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(|e| pg(&e))?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version    integer PRIMARY KEY,
            applied_ms bigint NOT NULL
        )",
    )
    .await
    .map_err(|e| pg(&e))?;
    let current: i32 = tx
        .query_one(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
            &[],
        )
        .await
        .map_err(|e| pg(&e))?
        .get(0);
    let latest = MIGRATIONS.last().map_or(0, |m| m.0);
    for (version, sql) in schema::pending(MIGRATIONS, current)? {
        tx.batch_execute(sql).await.map_err(|e| {
            let StoreError::Backend(m) = pg(&e) else {
                unreachable!()
            };
            StoreError::Backend(format!("migration {version} failed: {m}"))
        })?;
        tx.execute(
            "INSERT INTO schema_migrations (version, applied_ms) VALUES ($1, $2)",
            &[version, &crate::time::now_ms()],
        )
        .await
        .map_err(|e| pg(&e))?;
        tracing::info!(version, "applying database migration");
    }
    tx.commit().await.map_err(|e| pg(&e))?;
    Ok(latest)
}

/// The session option every connection of the store starts with (see [`PostgresStore::open`]).
const SYNCHRONOUS_COMMIT: &str = "-c synchronous_commit=on";

impl PostgresStore {
    /// Connects to `url` (`postgres://…` or `postgresql://…`, or a key=value connection string), runs pending
    /// migrations and starts the writer tasks.
    pub async fn open(url: &str, options: Options) -> Result<PostgresStore, StoreError> {
        let (url, options) = Options::from_url(url, options)?;
        let url = url.as_str();
        let mut config = tokio_postgres::Config::from_str(url).map_err(|e| {
            StoreError::Config(format!("invalid PostgreSQL URL {}: {e}", redact_url(url)))
        })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(TIMEOUT);
        }
        // Durability must not depend on the database's defaults: a `synchronous_commit = off` set for the
        // database or the role would acknowledge records before their WAL is flushed. Every session of ours
        // starts with `synchronous_commit = on`; an `options=-c synchronous_commit=…` in the URL comes later and
        // wins (e.g. `remote_apply` for synchronous standbys).
        let session = match config.get_options() {
            Some(theirs) if !theirs.trim().is_empty() => format!("{SYNCHRONOUS_COMMIT} {theirs}"),
            _ => SYNCHRONOUS_COMMIT.to_owned(),
        };
        config.options(&session);
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(options.pool_size.max(2))
            .runtime(deadpool_postgres::Runtime::Tokio1)
            // A request waits this long at most for a connection, then fails (503) instead of hanging.
            .wait_timeout(Some(TIMEOUT))
            .create_timeout(Some(TIMEOUT))
            .recycle_timeout(Some(TIMEOUT))
            .build()
            .map_err(|e| StoreError::Config(e.to_string()))?;
        let mut client = pool.get().await.map_err(|e| match pool_err(e) {
            StoreError::Backend(m) => {
                StoreError::Config(format!("cannot connect to {}: {m}", redact_url(url)))
            }
            e => e,
        })?;
        let version = migrate(&mut client).await?;
        drop(client);
        tracing::info!(url = %redact_url(url), schema = version, "opened PostgreSQL store");

        let (jobs, rx) = mpsc::channel(options.queue.max(1));
        let rx = Arc::new(tokio::sync::Mutex::new(rx));
        let max_batch = options.max_batch.max(1);
        let writers = (0..options.writers.max(1))
            .map(|_| tokio::spawn(writer_loop(pool.clone(), Arc::clone(&rx), max_batch)))
            .collect();
        Ok(PostgresStore {
            pool,
            url: redact_url(url),
            jobs: Mutex::new(Some(jobs)),
            writers: Mutex::new(writers),
            vacuum_full: options.vacuum_full,
            vacuum: tokio::sync::Mutex::new(()),
            counted: Mutex::new(None),
        })
    }

    /// The database URL, password redacted.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub(super) async fn client(&self) -> Result<deadpool_postgres::Client, StoreError> {
        self.pool.get().await.map_err(pool_err)
    }

    /// Removes dead tuples (erased rows) from the tables and their indexes. A failure is logged, not returned:
    /// the rows are deleted either way, and autovacuum will get to them.
    pub(super) async fn vacuum(&self, tables: &str) {
        let _one = self.vacuum.lock().await;
        let result = async {
            let client = self.client().await?;
            client
                .batch_execute(&if self.vacuum_full {
                    format!("VACUUM FULL {tables}")
                } else {
                    format!("VACUUM (INDEX_CLEANUP ON) {tables}")
                })
                .await
                .map_err(|e| pg(&e))
        }
        .await;
        if let Err(e) = result {
            tracing::warn!(error = %e, tables, "vacuum after erasure failed");
        }
    }
}

#[cfg(test)]
mod tests {
    //! Backend-specific tests; what every backend must do is the conformance suite (`tests/store.rs`).

    use assent_testkit::postgres::LocalPostgres;

    use super::*;
    use crate::store::{ConsentRecord, ConsentStore, Subject, test_record as record};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn append_only_duplicates_and_a_bad_row_fail_alone() {
        let Some(pg) = LocalPostgres::for_test() else {
            return;
        };
        let store = PostgresStore::open(&pg.url(), Options::default())
            .await
            .unwrap();
        let r = record(Subject([3; 16]), "a.example", true);
        store.insert(r.clone()).await.unwrap();
        // Concurrent inserts share batches: a duplicate id and a row PostgreSQL refuses (a NUL character in
        // text) fail on their own; the others are stored.
        let mut bad = record(Subject([5; 16]), "a.example", true);
        bad.language = "e\0n".into();
        let good: Vec<ConsentRecord> = (0..20)
            .map(|i| record(Subject([6; 16]), "a.example", i % 2 == 0))
            .collect();
        let (dup, bad_result, goods) = tokio::join!(
            store.insert(r.clone()),
            store.insert(bad.clone()),
            futures_util::future::join_all(good.iter().cloned().map(|g| store.insert(g))),
        );
        assert!(matches!(dup, Err(StoreError::Backend(_))), "{dup:?}");
        assert!(
            matches!(bad_result, Err(StoreError::Backend(_))),
            "{bad_result:?}"
        );
        assert!(goods.iter().all(Result::is_ok), "{goods:?}");
        assert_eq!(store.count().await.unwrap(), 21);
        assert_eq!(store.get(bad.id).await.unwrap(), None);
        store.close().await.unwrap();
        let err = pg
            .psql("postgres", "UPDATE consent_records SET site = 'x'")
            .unwrap_err();
        assert!(err.contains("append-only"), "{err}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_starts_migrate_once_and_a_newer_schema_is_refused() {
        let Some(pg) = LocalPostgres::for_test() else {
            return;
        };
        let url = pg.url();
        let opens = futures_util::future::join_all(
            (0..4).map(|_| PostgresStore::open(&url, Options::default())),
        )
        .await;
        for s in opens {
            s.unwrap().close().await.unwrap();
        }
        assert_eq!(
            pg.psql(
                "postgres",
                "SELECT string_agg(version::text, ',' ORDER BY version) FROM schema_migrations"
            )
            .unwrap()
            .trim(),
            "1,2,3,4"
        );
        pg.psql("postgres", "INSERT INTO schema_migrations VALUES (99, 0)")
            .unwrap();
        let err = PostgresStore::open(&url, Options::default())
            .await
            .unwrap_err();
        assert!(
            matches!(err, StoreError::Corrupt(ref m) if m.contains("99")),
            "{err:?}"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_wrong_url_is_a_clear_error_without_the_password() {
        let err = PostgresStore::open(
            "postgres://u:s3cret@127.0.0.1:1/db?connect_timeout=2",
            Options::default(),
        )
        .await
        .unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, StoreError::Config(_)), "{err:?}");
        assert!(
            text.contains("cannot connect") && !text.contains("s3cret"),
            "{text}"
        );
    }

    #[test]
    fn url_parameters_of_our_own_are_taken_out() {
        let (url, o) = Options::from_url(
            "postgres://u:p@h/db?assent_erase=full&connect_timeout=5&assent_pool_size=8",
            Options::default(),
        )
        .unwrap();
        assert_eq!(url, "postgres://u:p@h/db?connect_timeout=5");
        assert!(o.vacuum_full);
        assert_eq!(o.pool_size, 8);
        let (url, o) = Options::from_url("postgres://h/db", Options::default()).unwrap();
        assert_eq!((url.as_str(), o.vacuum_full), ("postgres://h/db", false));
        for bad in [
            "postgres://h/db?assent_erase=yes",
            "postgres://h/db?assent_pool_size=0",
            "postgres://h/db?assent_typo=1",
        ] {
            assert!(
                matches!(
                    Options::from_url(bad, Options::default()),
                    Err(StoreError::Config(_))
                ),
                "{bad}"
            );
        }
    }
}
