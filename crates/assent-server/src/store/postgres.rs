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
//! [`LocalPostgres`] starts a private PostgreSQL in a temporary directory, for tests and benchmarks.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::str::FromStr;
use std::sync::{Arc, Mutex};

use assent_core::Method;
use deadpool_postgres::{GenericClient, Manager, ManagerConfig, Pool, PoolError, RecyclingMethod};
use tokio::sync::{mpsc, oneshot};
use tokio_postgres::NoTls;
use tokio_postgres::types::ToSql;
use uuid::Uuid;

use crate::email::store as email;
use crate::email::{ListId, Pseudonym};

use super::{
    ConsentRecord, Purpose, RecordFilter, RecordSignals, Stats, Store, StoreError, StoreFuture,
    Subject, redact_url,
};

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
    // --- e-mail consent (same tables as the SQLite migration in src/email/store.rs) ---
    (
        2,
        "CREATE TABLE email_subscriptions (
            subject            text NOT NULL,
            list               text NOT NULL,
            address            text,
            state              text NOT NULL CHECK (state IN ('pending', 'confirmed', 'unsubscribed')),
            site               text,
            notice_hash        text,
            language           text,
            tracking           boolean NOT NULL DEFAULT false,
            requested_ms       bigint,
            confirmed_ms       bigint,
            unsubscribed_ms    bigint,
            unsubscribe_method text,
            confirm_hash       text UNIQUE,
            confirm_expires_ms bigint,
            confirm_used_ms    bigint,
            updated_ms         bigint NOT NULL,
            PRIMARY KEY (subject, list)
        );
        CREATE TABLE email_events (
            id      uuid PRIMARY KEY,
            subject text NOT NULL,
            list    text NOT NULL,
            kind    text NOT NULL,
            ts_ms   bigint NOT NULL,
            detail  jsonb NOT NULL
        );
        CREATE INDEX email_events_subject ON email_events (subject);
        CREATE TRIGGER email_events_append_only BEFORE UPDATE ON email_events
            FOR EACH ROW EXECUTE FUNCTION assent_append_only('email events');",
    ),
    // The region whose rules applied (NULL: the site uses no regions, or the record predates them).
    (3, "ALTER TABLE consent_records ADD COLUMN region text;"),
];

const COLUMNS: &str = "id, site, subject, ts_ms, decided_at, expires_at, revision, notice_hash, policy_url, \
                       purposes, granted, dnt, gpc, gpc_header, language, method, sdk_version, kid, token, region";

/// One statement for a whole batch: each column is an array parameter.
const INSERT_BATCH: &str = "INSERT INTO consent_records (id, site, subject, ts_ms, decided_at, expires_at, revision, \
     notice_hash, policy_url, purposes, granted, dnt, gpc, gpc_header, language, method, sdk_version, kid, token,
     region)
     SELECT id, site, subject, ts_ms, decided_at, expires_at, revision, notice_hash, policy_url, purposes::jsonb,
            granted, dnt, gpc, gpc_header, language, method, sdk_version, kid, token, region
     FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[],
                 $8::text[], $9::text[], $10::text[], $11::bigint[], $12::bool[], $13::bool[], $14::bool[],
                 $15::text[], $16::text[], $17::text[], $18::text[], $19::text[], $20::text[])
          AS t(id, site, subject, ts_ms, decided_at, expires_at, revision, notice_hash, policy_url, purposes,
               granted, dnt, gpc, gpc_header, language, method, sdk_version, kid, token, region)
     ON CONFLICT (id) DO NOTHING
     RETURNING id";

struct InsertJob {
    record: Box<ConsentRecord>,
    reply: oneshot::Sender<Result<(), StoreError>>,
}

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

impl std::fmt::Debug for InsertJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InsertJob")
            .field("id", &self.record.id)
            .finish_non_exhaustive()
    }
}

/// A database error as a [`StoreError`], with PostgreSQL's SQLSTATE and message when there is one.
fn pg(e: &tokio_postgres::Error) -> StoreError {
    if let Some(db) = e.as_db_error() {
        StoreError::Backend(format!("{} ({})", db.message(), db.code().code()))
    } else if e.is_closed() {
        StoreError::Backend("the database connection was closed".into())
    } else {
        StoreError::Backend(e.to_string())
    }
}

fn pool_err(e: PoolError) -> StoreError {
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
    if current > latest {
        return Err(StoreError::Corrupt(format!(
            "database schema version {current} is newer than this server supports ({latest})"
        )));
    }
    for (version, sql) in MIGRATIONS.iter().filter(|m| m.0 > current) {
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

    async fn client(&self) -> Result<deadpool_postgres::Client, StoreError> {
        self.pool.get().await.map_err(pool_err)
    }

    /// Removes dead tuples (erased rows) from the tables and their indexes. A failure is logged, not returned:
    /// the rows are deleted either way, and autovacuum will get to them.
    async fn vacuum(&self, tables: &str) {
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

    /// Runs `f` in a transaction holding the advisory lock of (`subject`, `list`), so e-mail state changes of
    /// one address on one list are serialized across connections and instances; commits when `f` succeeds.
    async fn email_tx<T, F>(&self, subject: &str, list: &str, f: F) -> Result<T, StoreError>
    where
        F: for<'t> FnOnce(
            &'t deadpool_postgres::Transaction<'t>,
        ) -> core::pin::Pin<
            Box<dyn core::future::Future<Output = Result<T, StoreError>> + Send + 't>,
        >,
    {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(|e| pg(&e))?;
        tx.execute(
            "SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))",
            &[&subject, &list],
        )
        .await
        .map_err(|e| pg(&e))?;
        let value = f(&tx).await?;
        tx.commit().await.map_err(|e| pg(&e))?;
        Ok(value)
    }
}

async fn writer_loop(
    pool: Pool,
    rx: Arc<tokio::sync::Mutex<mpsc::Receiver<InsertJob>>>,
    max_batch: usize,
) {
    loop {
        let mut batch = Vec::new();
        {
            let mut rx = rx.lock().await;
            let Some(first) = rx.recv().await else {
                return;
            };
            batch.push(first);
            while batch.len() < max_batch {
                match rx.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
        }
        commit_batch(&pool, batch).await;
    }
}

/// The columns of a batch, one array per column.
#[derive(Default)]
struct Columns<'a> {
    id: Vec<Uuid>,
    site: Vec<&'a str>,
    subject: Vec<String>,
    ts_ms: Vec<i64>,
    decided_at: Vec<Option<i64>>,
    expires_at: Vec<i64>,
    revision: Vec<i64>,
    notice_hash: Vec<&'a str>,
    policy_url: Vec<&'a str>,
    purposes: Vec<String>,
    granted: Vec<i64>,
    dnt: Vec<bool>,
    gpc: Vec<bool>,
    gpc_header: Vec<bool>,
    language: Vec<&'a str>,
    method: Vec<&'static str>,
    sdk_version: Vec<&'a str>,
    kid: Vec<&'a str>,
    token: Vec<&'a str>,
    region: Vec<Option<&'a str>>,
}

impl<'a> Columns<'a> {
    fn push(&mut self, r: &'a ConsentRecord) -> Result<(), StoreError> {
        let purposes =
            serde_json::to_string(&r.purposes).map_err(|e| StoreError::Backend(e.to_string()))?;
        self.id.push(r.id);
        self.site.push(&r.site);
        self.subject.push(r.subject.to_string());
        self.ts_ms.push(r.ts_ms);
        self.decided_at.push(r.decided_at.map(|d| d as i64));
        self.expires_at.push(r.expires_at as i64);
        self.revision.push(i64::from(r.revision));
        self.notice_hash.push(&r.notice_hash);
        self.policy_url.push(&r.policy_url);
        self.purposes.push(purposes);
        self.granted.push(r.granted().0 as i64);
        self.dnt.push(r.signals.dnt);
        self.gpc.push(r.signals.gpc);
        self.gpc_header.push(r.signals.gpc_header);
        self.language.push(&r.language);
        self.method.push(r.method.as_str());
        self.sdk_version.push(&r.sdk_version);
        self.kid.push(&r.kid);
        self.token.push(&r.token);
        self.region.push(r.region.as_deref());
        Ok(())
    }

    fn params(&self) -> [&(dyn ToSql + Sync); 20] {
        [
            &self.id,
            &self.site,
            &self.subject,
            &self.ts_ms,
            &self.decided_at,
            &self.expires_at,
            &self.revision,
            &self.notice_hash,
            &self.policy_url,
            &self.purposes,
            &self.granted,
            &self.dnt,
            &self.gpc,
            &self.gpc_header,
            &self.language,
            &self.method,
            &self.sdk_version,
            &self.kid,
            &self.token,
            &self.region,
        ]
    }
}

/// Inserts `records` with one statement, its own transaction; returns the ids actually inserted (an id already
/// stored is skipped, not an error), or the error that rolled everything back.
///
/// One round trip: outside `BEGIN`, the statement runs in an implicit transaction that PostgreSQL commits when
/// it processes the `Sync` after it, and it sends `ReadyForQuery` only after that commit (and, with
/// `synchronous_commit = on`, the WAL flush) — `query` returns only once it has read `ReadyForQuery`, and
/// returns the commit's error if there is one.
async fn insert_all(
    client: &deadpool_postgres::Client,
    records: &[&ConsentRecord],
) -> Result<HashSet<Uuid>, StoreError> {
    let mut cols = Columns::default();
    for r in records {
        cols.push(r)?;
    }
    let stmt = client
        .prepare_cached(INSERT_BATCH)
        .await
        .map_err(|e| pg(&e))?;
    let rows = client
        .query(&stmt, &cols.params())
        .await
        .map_err(|e| pg(&e))?;
    Ok(rows.iter().map(|r| r.get::<_, Uuid>(0)).collect())
}

async fn commit_batch(pool: &Pool, batch: Vec<InsertJob>) {
    let client = match pool.get().await {
        Ok(c) => c,
        Err(e) => {
            let e = pool_err(e);
            tracing::error!(error = %e, "no database connection; the batch was not stored");
            for job in batch {
                let _ = job.reply.send(Err(e.clone()));
            }
            return;
        }
    };
    // A second record with an id already in this batch fails on its own.
    let mut seen = HashSet::with_capacity(batch.len());
    let (jobs, dups): (Vec<InsertJob>, Vec<InsertJob>) =
        batch.into_iter().partition(|j| seen.insert(j.record.id));
    for job in dups {
        let _ = job.reply.send(Err(duplicate(job.record.id)));
    }
    let records: Vec<&ConsentRecord> = jobs.iter().map(|j| &*j.record).collect();
    match insert_all(&client, &records).await {
        Ok(inserted) => {
            for job in jobs {
                let r = if inserted.contains(&job.record.id) {
                    Ok(())
                } else {
                    Err(duplicate(job.record.id))
                };
                let _ = job.reply.send(r);
            }
        }
        Err(e) if jobs.len() > 1 && !client.is_closed() => {
            // One bad row fails the whole statement: store the others one by one.
            tracing::warn!(error = %e, records = jobs.len(), "batch insert failed; retrying record by record");
            for job in jobs {
                let r = match insert_all(&client, &[&*job.record]).await {
                    Ok(ids) if ids.contains(&job.record.id) => Ok(()),
                    Ok(_) => Err(duplicate(job.record.id)),
                    Err(e) => Err(e),
                };
                let _ = job.reply.send(r);
            }
        }
        Err(e) => {
            tracing::error!(error = %e, "commit failed; the batch was rolled back");
            for job in jobs {
                let _ = job.reply.send(Err(e.clone()));
            }
        }
    }
}

fn duplicate(id: Uuid) -> StoreError {
    StoreError::Backend(format!("a record with id {id} is already stored"))
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("invalid {what}"))
}

fn row_to_record(row: &tokio_postgres::Row) -> Result<ConsentRecord, StoreError> {
    let get = |i: usize| -> Result<String, StoreError> { row.try_get(i).map_err(|e| pg(&e)) };
    let int = |i: usize| -> Result<i64, StoreError> { row.try_get(i).map_err(|e| pg(&e)) };
    let flag = |i: usize| -> Result<bool, StoreError> { row.try_get(i).map_err(|e| pg(&e)) };
    let purposes: serde_json::Value = row.try_get(9).map_err(|e| pg(&e))?;
    let method = get(15)?;
    Ok(ConsentRecord {
        id: row.try_get(0).map_err(|e| pg(&e))?,
        site: get(1)?,
        subject: get(2)?.parse().map_err(|_| corrupt("subject"))?,
        ts_ms: int(3)?,
        decided_at: row
            .try_get::<_, Option<i64>>(4)
            .map_err(|e| pg(&e))?
            .map(|d| d as u64),
        expires_at: int(5)? as u64,
        revision: u32::try_from(int(6)?).map_err(|_| corrupt("revision"))?,
        notice_hash: get(7)?,
        policy_url: get(8)?,
        purposes: serde_json::from_value::<Vec<Purpose>>(purposes)
            .map_err(|_| corrupt("purposes"))?,
        signals: RecordSignals {
            dnt: flag(11)?,
            gpc: flag(12)?,
            gpc_header: flag(13)?,
        },
        language: get(14)?,
        method: Method::parse(&method).ok_or_else(|| corrupt("method"))?,
        sdk_version: get(16)?,
        kid: get(17)?,
        token: get(18)?,
        region: row.try_get::<_, Option<String>>(19).map_err(|e| pg(&e))?,
    })
}

type Params = Vec<Box<dyn ToSql + Sync + Send>>;

/// `WHERE` clause and parameters for a filter (all parameters are bound, never spliced).
fn filter_sql(filter: &RecordFilter) -> (String, Params) {
    let mut clauses = vec!["TRUE".to_string()];
    let mut values: Params = Vec::new();
    if let Some(site) = &filter.site {
        values.push(Box::new(site.clone()));
        clauses.push(format!("site = ${}", values.len()));
    }
    if let Some(since) = filter.since_ms {
        values.push(Box::new(since));
        clauses.push(format!("ts_ms >= ${}", values.len()));
    }
    if let Some(until) = filter.until_ms {
        values.push(Box::new(until));
        clauses.push(format!("ts_ms < ${}", values.len()));
    }
    (clauses.join(" AND "), values)
}

fn refs(values: &Params) -> Vec<&(dyn ToSql + Sync)> {
    values.iter().map(|v| &**v as &(dyn ToSql + Sync)).collect()
}

impl Store for PostgresStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    fn insert(&self, record: ConsentRecord) -> StoreFuture<'_, ()> {
        let jobs = self.jobs.lock().expect("jobs lock").clone();
        Box::pin(async move {
            let jobs = jobs.ok_or(StoreError::Closed)?;
            let (reply, answer) = oneshot::channel();
            jobs.send(InsertJob {
                record: Box::new(record),
                reply,
            })
            .await
            .map_err(|_| StoreError::Closed)?;
            drop(jobs);
            let result = answer.await.map_err(|_| StoreError::Closed)?;
            self.counted.lock().expect("count lock").take();
            result
        })
    }

    fn get(&self, id: Uuid) -> StoreFuture<'_, Option<ConsentRecord>> {
        Box::pin(async move {
            let client = self.client().await?;
            let stmt = client
                .prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM consent_records WHERE id = $1"
                ))
                .await
                .map_err(|e| pg(&e))?;
            let row = client.query_opt(&stmt, &[&id]).await.map_err(|e| pg(&e))?;
            row.as_ref().map(row_to_record).transpose()
        })
    }

    fn subject_records(&self, subject: Subject) -> StoreFuture<'_, Vec<ConsentRecord>> {
        Box::pin(async move {
            let client = self.client().await?;
            let stmt = client
                .prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM consent_records WHERE subject = $1 ORDER BY id"
                ))
                .await
                .map_err(|e| pg(&e))?;
            let rows = client
                .query(&stmt, &[&subject.to_string()])
                .await
                .map_err(|e| pg(&e))?;
            rows.iter().map(row_to_record).collect()
        })
    }

    fn export_page(
        &self,
        filter: RecordFilter,
        after: Option<Uuid>,
        limit: usize,
    ) -> StoreFuture<'_, Vec<ConsentRecord>> {
        Box::pin(async move {
            let (mut where_, mut values) = filter_sql(&filter);
            if let Some(after) = after {
                values.push(Box::new(after));
                where_ = format!("{where_} AND id > ${}", values.len());
            }
            values.push(Box::new(i64::try_from(limit).unwrap_or(i64::MAX)));
            let sql = format!(
                "SELECT {COLUMNS} FROM consent_records WHERE {where_} ORDER BY id LIMIT ${}",
                values.len()
            );
            let client = self.client().await?;
            let stmt = client.prepare_cached(&sql).await.map_err(|e| pg(&e))?;
            let rows = client
                .query(&stmt, &refs(&values))
                .await
                .map_err(|e| pg(&e))?;
            rows.iter().map(row_to_record).collect()
        })
    }

    fn erase_subject(&self, subject: Subject) -> StoreFuture<'_, u64> {
        Box::pin(async move {
            let n = {
                let client = self.client().await?;
                client
                    .execute(
                        "DELETE FROM consent_records WHERE subject = $1",
                        &[&subject.to_string()],
                    )
                    .await
                    .map_err(|e| pg(&e))?
            };
            self.counted.lock().expect("count lock").take();
            if n > 0 {
                self.vacuum("consent_records").await;
            }
            Ok(n)
        })
    }

    fn stats(&self, filter: RecordFilter) -> StoreFuture<'_, Stats> {
        Box::pin(async move {
            let (where_, values) = filter_sql(&filter);
            let params = refs(&values);
            let mut client = self.client().await?;
            // One snapshot for the three queries.
            let tx = client
                .build_transaction()
                .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
                .read_only(true)
                .start()
                .await
                .map_err(|e| pg(&e))?;
            let mut stats = Stats::default();
            let rows = tx
                .query(
                    &format!(
                        "SELECT site, method, COUNT(*), COUNT(*) FILTER (WHERE gpc) FROM consent_records \
                         WHERE {where_} GROUP BY site, method"
                    ),
                    &params,
                )
                .await
                .map_err(|e| pg(&e))?;
            for row in rows {
                let site: String = row.get(0);
                let method: String = row.get(1);
                let n = row.get::<_, i64>(2) as u64;
                let gpc = row.get::<_, i64>(3) as u64;
                let s = stats.sites.entry(site).or_default();
                s.records += n;
                s.gpc += gpc;
                *s.by_method.entry(method).or_default() += n;
                stats.records += n;
            }
            let rows = tx
                .query(
                    &format!(
                        "SELECT site, COUNT(DISTINCT subject) FROM consent_records WHERE {where_} GROUP BY site"
                    ),
                    &params,
                )
                .await
                .map_err(|e| pg(&e))?;
            for row in rows {
                let site: String = row.get(0);
                stats.sites.entry(site).or_default().subjects = row.get::<_, i64>(1) as u64;
            }
            // Each subject's latest matching record (ids are UUIDv7: the greatest id is the latest).
            let rows = tx
                .query(
                    &format!(
                        "WITH latest AS (
                            SELECT DISTINCT ON (site, subject) site, purposes FROM consent_records
                            WHERE {where_} ORDER BY site, subject, id DESC
                         )
                         SELECT site, p->>'category', COUNT(*)
                         FROM latest, jsonb_array_elements(purposes) p
                         WHERE (p->>'granted')::boolean
                         GROUP BY 1, 2"
                    ),
                    &params,
                )
                .await
                .map_err(|e| pg(&e))?;
            for row in rows {
                let site: String = row.get(0);
                let category: String = row.get(1);
                stats
                    .sites
                    .entry(site)
                    .or_default()
                    .granted_latest
                    .insert(category, row.get::<_, i64>(2) as u64);
            }
            tx.commit().await.map_err(|e| pg(&e))?;
            Ok(stats)
        })
    }

    fn count(&self) -> StoreFuture<'_, u64> {
        Box::pin(async move {
            let cached = *self.counted.lock().expect("count lock");
            if let Some((n, _)) = cached.filter(|(_, at)| at.elapsed() < COUNT_FOR) {
                return Ok(n);
            }
            let client = self.client().await?;
            let row = client
                .query_one("SELECT COUNT(*) FROM consent_records", &[])
                .await
                .map_err(|e| pg(&e))?;
            let n = row.get::<_, i64>(0) as u64;
            *self.counted.lock().expect("count lock") = Some((n, std::time::Instant::now()));
            Ok(n)
        })
    }

    fn ping(&self) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            let client = self.client().await?;
            client.simple_query("SELECT 1").await.map_err(|e| pg(&e))?;
            Ok(())
        })
    }

    fn close(&self) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            // No new inserts; the writers finish what is queued, then see the channel closed.
            drop(self.jobs.lock().expect("jobs lock").take());
            let writers = std::mem::take(&mut *self.writers.lock().expect("writers lock"));
            let mut result = Ok(());
            for w in writers {
                if w.await.is_err() {
                    result = Err(StoreError::Backend("a writer task panicked".into()));
                }
            }
            self.pool.close();
            result
        })
    }

    // --- e-mail consent (mirrors the SQLite functions in src/email/store.rs) ---
    fn email_subscribe(
        &self,
        request: email::SubscribeRequest,
    ) -> StoreFuture<'_, email::SubscribeOutcome> {
        let subject = request.subject.to_string();
        let list = request.list.as_str().to_owned();
        Box::pin(async move {
            self.email_tx(&subject.clone(), &list.clone(), move |tx| {
                Box::pin(async move {
                    let existing = sub_get(tx, &subject, &list).await?;
                    let r = &request;
                    if let Some((outcome, detail)) = email::unchanged_request(existing.as_ref(), r) {
                        event(tx, &subject, &list, "requested", r.now_ms, &detail).await?;
                        return Ok(outcome);
                    }
                    let hash = hex(&r.confirm_hash);
                    tx.execute(
                        "INSERT INTO email_subscriptions (subject, list, address, state, site, notice_hash, language,
                            tracking, requested_ms, confirm_hash, confirm_expires_ms, confirm_used_ms, updated_ms)
                         VALUES ($1, $2, $3, 'pending', $4, $5, $6, $7, $8, $9, $10, NULL, $8)
                         ON CONFLICT (subject, list) DO UPDATE SET address = excluded.address, state = 'pending',
                            site = excluded.site, notice_hash = excluded.notice_hash, language = excluded.language,
                            tracking = excluded.tracking, requested_ms = excluded.requested_ms,
                            confirm_hash = excluded.confirm_hash, confirm_expires_ms = excluded.confirm_expires_ms,
                            confirm_used_ms = NULL, updated_ms = excluded.updated_ms",
                        &[
                            &subject,
                            &list,
                            &r.address.as_str(),
                            &r.site,
                            &r.notice_hash,
                            &r.language,
                            &r.tracking,
                            &r.now_ms,
                            &hash,
                            &r.confirm_expires_ms,
                        ],
                    )
                    .await
                    .map_err(|e| pg(&e))?;
                    let detail = serde_json::json!({
                        "site": r.site,
                        "notice_hash": r.notice_hash,
                        "language": r.language,
                        "tracking": r.tracking,
                        "confirm_hash": hash,
                        "confirm_expires_ms": r.confirm_expires_ms,
                        "previous_state": existing.map(|s| state_str(s.state)),
                        "outcome": "pending",
                    });
                    event(tx, &subject, &list, "requested", r.now_ms, &detail).await?;
                    Ok(email::SubscribeOutcome::Pending)
                })
            })
            .await
        })
    }

    fn email_confirm(
        &self,
        token_hash: [u8; 32],
        now_ms: i64,
    ) -> StoreFuture<'_, email::ConfirmResult> {
        Box::pin(async move {
            let hash = hex(&token_hash);
            // Find the (subject, list) first, then lock it and look again: a concurrent request may have
            // replaced the token meanwhile.
            let key = {
                let client = self.client().await?;
                client
                    .query_opt(
                        "SELECT subject, list FROM email_subscriptions WHERE confirm_hash = $1",
                        &[&hash],
                    )
                    .await
                    .map_err(|e| pg(&e))?
                    .map(|r| (r.get::<_, String>(0), r.get::<_, String>(1)))
            };
            let Some((subject, list)) = key else {
                return Ok(email::ConfirmResult::Unknown);
            };
            self.email_tx(&subject, &list, move |tx| {
                Box::pin(async move {
                    let found = tx
                        .query_opt(
                            &format!(
                                "SELECT {SUB_COLUMNS} FROM email_subscriptions WHERE confirm_hash = $1"
                            ),
                            &[&hash],
                        )
                        .await
                        .map_err(|e| pg(&e))?;
                    let Some(sub) = found.as_ref().map(row_to_subscription).transpose()? else {
                        return Ok(email::ConfirmResult::Unknown);
                    };
                    let expires = sub.confirm_expires_ms.unwrap_or(0);
                    match crate::email::confirm::check(
                        expires as u64,
                        sub.confirm_used_ms.map(|t| t as u64),
                        now_ms as u64,
                    ) {
                        crate::email::confirm::ConfirmOutcome::Used => {
                            return Ok(email::ConfirmResult::Used);
                        }
                        crate::email::confirm::ConfirmOutcome::Expired => {
                            return Ok(email::ConfirmResult::Expired);
                        }
                        crate::email::confirm::ConfirmOutcome::Confirm
                            if sub.state != email::SubscriptionState::Pending =>
                        {
                            return Ok(email::ConfirmResult::Expired);
                        }
                        crate::email::confirm::ConfirmOutcome::Confirm => {}
                    }
                    tx.execute(
                        "UPDATE email_subscriptions SET state = 'confirmed', confirmed_ms = $3, confirm_used_ms = $3,
                            updated_ms = $3 WHERE subject = $1 AND list = $2",
                        &[&sub.subject, &sub.list, &now_ms],
                    )
                    .await
                    .map_err(|e| pg(&e))?;
                    let detail = serde_json::json!({
                        "confirm_hash": hash,
                        "requested_ms": sub.requested_ms,
                        "site": sub.site,
                        "notice_hash": sub.notice_hash,
                        "language": sub.language,
                        "tracking": sub.tracking,
                    });
                    event(tx, &sub.subject, &sub.list, "confirmed", now_ms, &detail).await?;
                    let updated = sub_get(tx, &sub.subject, &sub.list)
                        .await?
                        .ok_or_else(|| StoreError::Corrupt("vanished".into()))?;
                    Ok(email::ConfirmResult::Confirmed(Box::new(updated)))
                })
            })
            .await
        })
    }

    fn email_unsubscribe(
        &self,
        subject: Pseudonym,
        list: ListId,
        method: &'static str,
        now_ms: i64,
    ) -> StoreFuture<'_, bool> {
        let subject = subject.to_string();
        let list = list.as_str().to_owned();
        Box::pin(async move {
            self.email_tx(&subject.clone(), &list.clone(), move |tx| {
                Box::pin(async move {
                    let existing = sub_get(tx, &subject, &list).await?;
                    if existing
                        .as_ref()
                        .is_some_and(|s| s.state == email::SubscriptionState::Unsubscribed)
                    {
                        return Ok(false);
                    }
                    tx.execute(
                        "INSERT INTO email_subscriptions (subject, list, address, state, unsubscribed_ms,
                            unsubscribe_method, updated_ms)
                         VALUES ($1, $2, NULL, 'unsubscribed', $3, $4, $3)
                         ON CONFLICT (subject, list) DO UPDATE SET state = 'unsubscribed',
                            unsubscribed_ms = excluded.unsubscribed_ms,
                            unsubscribe_method = excluded.unsubscribe_method, updated_ms = excluded.updated_ms",
                        &[&subject, &list, &now_ms, &method],
                    )
                    .await
                    .map_err(|e| pg(&e))?;
                    let detail = serde_json::json!({
                        "method": method,
                        "previous_state": existing.map(|s| state_str(s.state)),
                    });
                    event(tx, &subject, &list, "unsubscribed", now_ms, &detail).await?;
                    Ok(true)
                })
            })
            .await
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
        let subject = subject.to_string();
        let list = list.as_str().to_owned();
        Box::pin(async move {
            self.email_tx(&subject.clone(), &list.clone(), move |tx| {
                Box::pin(async move {
                    let allowed = sub_get(tx, &subject, &list).await?.is_some_and(|s| {
                        s.state == email::SubscriptionState::Confirmed && s.tracking
                    });
                    if !allowed {
                        return Ok(false);
                    }
                    let detail = match url {
                        Some(u) => serde_json::json!({ "url": u }),
                        None => serde_json::json!({}),
                    };
                    // At most one open per hour, one click per URL per hour (see email::store::track); the
                    // advisory lock of (subject, list) makes check-then-insert safe across instances.
                    let (from, to) = email::tracking_hour(now_ms);
                    let seen: bool = tx
                        .query_one(
                            "SELECT EXISTS (SELECT 1 FROM email_events WHERE subject = $1 AND list = $2 \
                             AND kind = $3 AND ts_ms >= $4 AND ts_ms < $5 AND detail = $6)",
                            &[&subject, &list, &kind, &from, &to, &detail],
                        )
                        .await
                        .map_err(|e| pg(&e))?
                        .get(0);
                    if seen {
                        return Ok(false);
                    }
                    event(tx, &subject, &list, kind, now_ms, &detail).await?;
                    Ok(true)
                })
            })
            .await
        })
    }

    fn email_erase(&self, subject: Pseudonym) -> StoreFuture<'_, u64> {
        Box::pin(async move {
            let subject = subject.to_string();
            let n = {
                let mut client = self.client().await?;
                let tx = client.transaction().await.map_err(|e| pg(&e))?;
                let subs = tx
                    .execute(
                        "DELETE FROM email_subscriptions WHERE subject = $1",
                        &[&subject],
                    )
                    .await
                    .map_err(|e| pg(&e))?;
                let events = tx
                    .execute("DELETE FROM email_events WHERE subject = $1", &[&subject])
                    .await
                    .map_err(|e| pg(&e))?;
                tx.commit().await.map_err(|e| pg(&e))?;
                subs + events
            };
            if n > 0 {
                self.vacuum("email_subscriptions, email_events").await;
            }
            Ok(n)
        })
    }

    fn email_subscriptions(
        &self,
        subject: Option<Pseudonym>,
    ) -> StoreFuture<'_, Vec<email::Subscription>> {
        Box::pin(async move {
            let client = self.client().await?;
            let rows = match subject {
                Some(s) => client
                    .query(
                        &format!(
                            "SELECT {SUB_COLUMNS} FROM email_subscriptions WHERE subject = $1 ORDER BY list"
                        ),
                        &[&s.to_string()],
                    )
                    .await,
                None => client
                    .query(
                        &format!(
                            "SELECT {SUB_COLUMNS} FROM email_subscriptions ORDER BY subject, list"
                        ),
                        &[],
                    )
                    .await,
            }
            .map_err(|e| pg(&e))?;
            rows.iter().map(row_to_subscription).collect()
        })
    }

    fn email_events(&self, subject: Option<Pseudonym>) -> StoreFuture<'_, Vec<email::EmailEvent>> {
        Box::pin(async move {
            let client = self.client().await?;
            let rows = client
                .query(
                    "SELECT id, subject, list, kind, ts_ms, detail FROM email_events
                     WHERE $1::text IS NULL OR subject = $1 ORDER BY id",
                    &[&subject.map(|s| s.to_string())],
                )
                .await
                .map_err(|e| pg(&e))?;
            rows.iter().map(row_to_event).collect()
        })
    }

    fn email_subscriptions_page(
        &self,
        filter: RecordFilter,
        after: Option<(String, String)>,
        limit: usize,
    ) -> StoreFuture<'_, Vec<email::Subscription>> {
        Box::pin(async move {
            let client = self.client().await?;
            // The key condition only when there is a key, so the primary key is seeked, not scanned.
            let key = if after.is_some() {
                "(subject, list) > ($4::text, $5::text)"
            } else {
                "$4::text IS NULL AND $5::text IS NULL"
            };
            let (after_subject, after_list) = after.unzip();
            let rows = client
                .query(
                    &format!(
                        "SELECT {SUB_COLUMNS} FROM email_subscriptions
                         WHERE {key} AND ($1::text IS NULL OR site = $1)
                           AND ($2::bigint IS NULL OR updated_ms >= $2) AND ($3::bigint IS NULL OR updated_ms < $3)
                         ORDER BY subject, list LIMIT $6"
                    ),
                    &[
                        &filter.site,
                        &filter.since_ms,
                        &filter.until_ms,
                        &after_subject,
                        &after_list,
                        &i64::try_from(limit).unwrap_or(i64::MAX),
                    ],
                )
                .await
                .map_err(|e| pg(&e))?;
            rows.iter().map(row_to_subscription).collect()
        })
    }

    fn email_events_page(
        &self,
        filter: RecordFilter,
        after: Option<String>,
        limit: usize,
    ) -> StoreFuture<'_, Vec<email::EmailEvent>> {
        Box::pin(async move {
            let after = after
                .map(|a| Uuid::parse_str(&a).map_err(|e| StoreError::Corrupt(e.to_string())))
                .transpose()?;
            let key = if after.is_some() {
                "id > $4::uuid"
            } else {
                "$4::uuid IS NULL"
            };
            let client = self.client().await?;
            let rows = client
                .query(
                    &format!(
                        "SELECT id, subject, list, kind, ts_ms, detail FROM email_events e
                         WHERE {key} AND ($1::text IS NULL OR EXISTS (SELECT 1 FROM email_subscriptions s
                                  WHERE s.subject = e.subject AND s.list = e.list AND s.site = $1))
                           AND ($2::bigint IS NULL OR ts_ms >= $2) AND ($3::bigint IS NULL OR ts_ms < $3)
                         ORDER BY id LIMIT $5"
                    ),
                    &[
                        &filter.site,
                        &filter.since_ms,
                        &filter.until_ms,
                        &after,
                        &i64::try_from(limit).unwrap_or(i64::MAX),
                    ],
                )
                .await
                .map_err(|e| pg(&e))?;
            rows.iter().map(row_to_event).collect()
        })
    }

    fn email_suppressions(&self) -> StoreFuture<'_, Vec<email::Suppression>> {
        Box::pin(async move {
            let client = self.client().await?;
            let rows = client
                .query(
                    "SELECT address, subject, list, unsubscribed_ms, unsubscribe_method FROM email_subscriptions
                     WHERE unsubscribed_ms IS NOT NULL AND state != 'confirmed'
                     ORDER BY unsubscribed_ms, subject, list",
                    &[],
                )
                .await
                .map_err(|e| pg(&e))?;
            rows.iter()
                .map(|row| {
                    Ok(email::Suppression {
                        email: row.try_get(0).map_err(|e| pg(&e))?,
                        subject: row.try_get(1).map_err(|e| pg(&e))?,
                        list: row.try_get(2).map_err(|e| pg(&e))?,
                        unsubscribed_ms: row.try_get(3).map_err(|e| pg(&e))?,
                        method: row.try_get(4).map_err(|e| pg(&e))?,
                    })
                })
                .collect()
        })
    }
    // --- end e-mail consent ---
}

// --- e-mail consent helpers ---

const SUB_COLUMNS: &str = "subject, list, address, state, site, notice_hash, language, tracking, requested_ms, \
     confirmed_ms, unsubscribed_ms, unsubscribe_method, confirm_hash, confirm_expires_ms, confirm_used_ms, updated_ms";

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

fn state_str(state: email::SubscriptionState) -> &'static str {
    match state {
        email::SubscriptionState::Pending => "pending",
        email::SubscriptionState::Confirmed => "confirmed",
        email::SubscriptionState::Unsubscribed => "unsubscribed",
    }
}

fn row_to_subscription(row: &tokio_postgres::Row) -> Result<email::Subscription, StoreError> {
    let state: String = row.try_get(3).map_err(|e| pg(&e))?;
    let state = match state.as_str() {
        "pending" => email::SubscriptionState::Pending,
        "confirmed" => email::SubscriptionState::Confirmed,
        "unsubscribed" => email::SubscriptionState::Unsubscribed,
        other => {
            return Err(StoreError::Corrupt(format!(
                "unknown subscription state {other:?}"
            )));
        }
    };
    let e = |e: tokio_postgres::Error| pg(&e);
    Ok(email::Subscription {
        subject: row.try_get(0).map_err(e)?,
        list: row.try_get(1).map_err(e)?,
        address: row.try_get(2).map_err(e)?,
        state,
        site: row.try_get(4).map_err(e)?,
        notice_hash: row.try_get(5).map_err(e)?,
        language: row.try_get(6).map_err(e)?,
        tracking: row.try_get(7).map_err(e)?,
        requested_ms: row.try_get(8).map_err(e)?,
        confirmed_ms: row.try_get(9).map_err(e)?,
        unsubscribed_ms: row.try_get(10).map_err(e)?,
        unsubscribe_method: row.try_get(11).map_err(e)?,
        confirm_hash: row.try_get(12).map_err(e)?,
        confirm_expires_ms: row.try_get(13).map_err(e)?,
        confirm_used_ms: row.try_get(14).map_err(e)?,
        updated_ms: row.try_get(15).map_err(e)?,
    })
}

fn row_to_event(row: &tokio_postgres::Row) -> Result<email::EmailEvent, StoreError> {
    Ok(email::EmailEvent {
        id: row.try_get::<_, Uuid>(0).map_err(|e| pg(&e))?.to_string(),
        subject: row.try_get(1).map_err(|e| pg(&e))?,
        list: row.try_get(2).map_err(|e| pg(&e))?,
        kind: row.try_get(3).map_err(|e| pg(&e))?,
        ts_ms: row.try_get(4).map_err(|e| pg(&e))?,
        detail: row.try_get(5).map_err(|e| pg(&e))?,
    })
}

async fn sub_get(
    tx: &deadpool_postgres::Transaction<'_>,
    subject: &str,
    list: &str,
) -> Result<Option<email::Subscription>, StoreError> {
    let row = tx
        .query_opt(
            &format!(
                "SELECT {SUB_COLUMNS} FROM email_subscriptions WHERE subject = $1 AND list = $2"
            ),
            &[&subject, &list],
        )
        .await
        .map_err(|e| pg(&e))?;
    row.as_ref().map(row_to_subscription).transpose()
}

async fn event(
    tx: &deadpool_postgres::Transaction<'_>,
    subject: &str,
    list: &str,
    kind: &str,
    ts_ms: i64,
    detail: &serde_json::Value,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO email_events (id, subject, list, kind, ts_ms, detail) VALUES ($1, $2, $3, $4, $5, $6)",
        &[&Uuid::now_v7(), &subject, &list, &kind, &ts_ms, detail],
    )
    .await
    .map(drop)
    .map_err(|e| pg(&e))
}

// --- end e-mail consent helpers ---

// ---------------------------------------------------------------------------------------------------------------

/// A private PostgreSQL server in a temporary directory on a free loopback port, for tests and benchmarks.
///
/// Binaries come from `ASSENT_TEST_POSTGRES_BIN` (set by `cargo xtask test`), else the newest
/// `/usr/lib/postgresql/*/bin`. PostgreSQL refuses to run as root, so as root every command runs as the
/// `postgres` user through `runuser` and the directory is handed to that user. Authentication is `trust` and
/// it listens on 127.0.0.1 only; `fsync` is on, so commits are as durable as in production. Stopped (fast
/// shutdown) and deleted on drop.
#[derive(Debug)]
pub struct LocalPostgres {
    dir: PathBuf,
    bin: PathBuf,
    port: u16,
    as_postgres_user: bool,
    running: bool,
}

impl LocalPostgres {
    /// Where the PostgreSQL server binaries are, or why there are none.
    pub fn bin_dir() -> Result<PathBuf, String> {
        if let Some(dir) = std::env::var_os("ASSENT_TEST_POSTGRES_BIN").filter(|d| !d.is_empty()) {
            let dir = PathBuf::from(dir);
            return if dir.join("postgres").is_file() {
                Ok(dir)
            } else {
                Err(format!(
                    "ASSENT_TEST_POSTGRES_BIN={} holds no `postgres` binary",
                    dir.display()
                ))
            };
        }
        let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
            .into_iter()
            .flatten()
            .filter_map(Result::ok)
            .filter_map(|e| {
                let version = e.file_name().to_str()?.parse().ok()?;
                let bin = e.path().join("bin");
                bin.join("postgres").is_file().then_some((version, bin))
            })
            .collect();
        found.sort();
        found.pop().map(|(_, bin)| bin).ok_or_else(|| {
            "no PostgreSQL server binaries: set ASSENT_TEST_POSTGRES_BIN or install them \
             (`apt-get install -y postgresql`; `cargo xtask test` does it)"
                .to_string()
        })
    }

    /// For tests: a private server, or `None` when the run turned the PostgreSQL tests off with
    /// `ASSENT_SKIP_POSTGRES=1`. A test that returns early counts as passed, so CI must never take that exit.
    ///
    /// # Panics
    /// When no server can start (saying why), and when `ASSENT_SKIP_POSTGRES` is set under `CI`.
    pub fn for_test() -> Option<LocalPostgres> {
        if let Some(skip) = std::env::var_os("ASSENT_SKIP_POSTGRES") {
            let ci = std::env::var("CI")
                .is_ok_and(|v| !v.is_empty() && v != "0" && !v.eq_ignore_ascii_case("false"));
            assert!(
                !ci,
                "ASSENT_SKIP_POSTGRES={} is refused under CI: the PostgreSQL tests must run",
                skip.to_string_lossy()
            );
            if skip == "1" {
                eprintln!("ASSENT_SKIP_POSTGRES=1: PostgreSQL test SKIPPED (it counts as passed)");
                return None;
            }
        }
        Some(LocalPostgres::start().unwrap_or_else(|e| {
            panic!(
                "the PostgreSQL tests need PostgreSQL server binaries and could not start one: {e}\n\
                 Install them (`cargo xtask test` does) or point ASSENT_TEST_POSTGRES_BIN at their directory; \
                 outside CI, ASSENT_SKIP_POSTGRES=1 skips these tests explicitly."
            )
        }))
    }

    /// Creates a cluster (`initdb`) and starts it.
    pub fn start() -> Result<LocalPostgres, String> {
        let bin = LocalPostgres::bin_dir()?;
        let as_postgres_user = effective_uid() == Some(0);
        let mut name = [0u8; 8];
        getrandom::getrandom(&mut name).map_err(|e| e.to_string())?;
        // Short and world-traversable: the socket path must fit in 107 bytes, and the postgres user needs it.
        let parent = if as_postgres_user {
            PathBuf::from("/tmp")
        } else {
            std::env::temp_dir()
        };
        let dir = parent.join(format!(
            "assent-pg-{}",
            assent_core::base64url::encode(&name).replace(['-', '_'], "x")
        ));
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let mut pg = LocalPostgres {
            dir,
            bin,
            port: 0,
            as_postgres_user,
            running: false,
        };
        if as_postgres_user {
            let ok = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&pg.dir)
                .status()
                .is_ok_and(|s| s.success());
            if !ok {
                return Err(format!(
                    "cannot hand {} to the postgres user (PostgreSQL refuses to run as root; is there a \
                     `postgres` user?)",
                    pg.dir.display()
                ));
            }
        }
        let data = pg.data_dir();
        pg.run(
            "initdb",
            &[
                "-D".as_ref(),
                data.as_os_str(),
                "-U".as_ref(),
                "postgres".as_ref(),
                "--auth=trust".as_ref(),
                "--encoding=UTF8".as_ref(),
                "--locale=C".as_ref(),
                // Only the empty cluster's files are not fsynced; the server runs with fsync on.
                "--no-sync".as_ref(),
            ],
        )?;
        let mut last = String::new();
        for _ in 0..5 {
            pg.port = free_port()?;
            match pg.start_server() {
                Ok(()) => return Ok(pg),
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        if self.as_postgres_user {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        }
    }

    fn run(&self, program: &str, args: &[&std::ffi::OsStr]) -> Result<(), String> {
        let out = self
            .command(program)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run {}: {e}", self.bin.join(program).display()))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{program} failed ({}): {}{}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    }

    fn start_server(&mut self) -> Result<(), String> {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=on -c synchronous_commit=on \
             -c max_connections=200 -c dynamic_shared_memory_type=mmap -c track_wal_io_timing=on",
            self.port,
            self.dir.display()
        );
        let data = self.data_dir();
        let log = self.dir.join("postgres.log");
        let result = self.run(
            "pg_ctl",
            &[
                "start".as_ref(),
                "-D".as_ref(),
                data.as_os_str(),
                "-l".as_ref(),
                log.as_os_str(),
                "-w".as_ref(),
                "-t".as_ref(),
                "120".as_ref(),
                "-o".as_ref(),
                options.as_ref(),
            ],
        );
        match result {
            Ok(()) => {
                self.running = true;
                Ok(())
            }
            Err(e) => Err(format!(
                "{e}\nserver log:\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            )),
        }
    }

    fn stop_server(&mut self, mode: &str) -> Result<(), String> {
        let data = self.data_dir();
        self.running = false;
        self.run(
            "pg_ctl",
            &[
                "stop".as_ref(),
                "-D".as_ref(),
                data.as_os_str(),
                "-m".as_ref(),
                mode.as_ref(),
                "-w".as_ref(),
                "-t".as_ref(),
                "120".as_ref(),
            ],
        )
    }

    /// The URL of the `postgres` database as the `postgres` superuser.
    pub fn url(&self) -> String {
        self.database_url("postgres")
    }

    /// The URL of another database (see [`LocalPostgres::create_database`]).
    pub fn database_url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }

    /// Creates an empty database.
    pub fn create_database(&self, db: &str) -> Result<(), String> {
        self.run(
            "createdb",
            &[
                "-h".as_ref(),
                "127.0.0.1".as_ref(),
                "-p".as_ref(),
                self.port.to_string().as_ref(),
                "-U".as_ref(),
                "postgres".as_ref(),
                db.as_ref(),
            ],
        )
    }

    /// Runs SQL with `psql` and returns its unaligned output (`-At`).
    pub fn psql(&self, db: &str, sql: &str) -> Result<String, String> {
        let out = self
            .command("psql")
            .args([
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "-At",
                "-v",
                "ON_ERROR_STOP=1",
            ])
            .arg("-p")
            .arg(self.port.to_string())
            .arg("-d")
            .arg(db)
            .arg("-c")
            .arg(sql)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run psql: {e}"))?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(format!(
                "psql failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    }

    /// Crashes the server: an immediate shutdown, where every server process quits at once without writing
    /// anything out, as after `kill -9` (the next start runs crash recovery from the WAL).
    pub fn crash(&mut self) -> Result<(), String> {
        self.stop_server("immediate")
    }

    /// Starts the server again after [`LocalPostgres::crash`] (same port and data).
    pub fn restart(&mut self) -> Result<(), String> {
        if self.running {
            self.stop_server("fast")?;
        }
        self.start_server()
    }

    /// The cluster's directory (data in `data/`, the server log in `postgres.log`).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The server log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("postgres.log")).unwrap_or_default()
    }
}

impl Drop for LocalPostgres {
    fn drop(&mut self) {
        if self.running {
            if let Err(e) = self.stop_server("fast") {
                eprintln!("stopping the private PostgreSQL failed: {e}");
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The effective user id (Linux `/proc`), `None` when unknown.
fn effective_uid() -> Option<u32> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("Uid:"))?;
    line.split_whitespace().nth(2)?.parse().ok()
}

fn free_port() -> Result<u16, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(listener.local_addr().map_err(|e| e.to_string())?.port())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::email::EmailAddress;
    use crate::email::confirm::ConfirmToken;
    use crate::email::secret::EmailKeys;

    fn cluster() -> Option<LocalPostgres> {
        LocalPostgres::for_test()
    }

    use super::super::test_record as record;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn insert_read_export_stats_erase_and_reopen() {
        let Some(pg) = cluster() else { return };
        let store = PostgresStore::open(&pg.url(), Options::default())
            .await
            .unwrap();
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
        let window = RecordFilter {
            since_ms: Some(inserted[2].ts_ms),
            until_ms: Some(inserted[9].ts_ms + 1),
            ..RecordFilter::default()
        };
        let in_window = store.export_page(window, None, 100).await.unwrap();
        assert!(in_window.iter().all(|r| r.ts_ms >= inserted[2].ts_ms));
        assert!(in_window.contains(&inserted[9]));

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
        store.ping().await.unwrap();
        store.close().await.unwrap();
        assert_eq!(
            store.insert(record(bob, "a.example", true)).await,
            Err(StoreError::Closed)
        );

        let reopened = PostgresStore::open(&pg.url(), Options::default())
            .await
            .unwrap();
        assert_eq!(reopened.count().await.unwrap(), 5);
        assert_eq!(
            reopened.subject_records(bob).await.unwrap(),
            [1, 3, 5, 7, 9].map(|i| inserted[i].clone())
        );
        reopened.close().await.unwrap();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn append_only_duplicates_and_a_bad_row_fail_alone() {
        let Some(pg) = cluster() else { return };
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
        let Some(pg) = cluster() else { return };
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
            "1,2,3"
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

    const T0: i64 = 1_790_000_000_000;

    fn request(
        keys: &EmailKeys,
        email: &str,
        token: &ConfirmToken,
        now_ms: i64,
        tracking: bool,
    ) -> email::SubscribeRequest {
        let address = EmailAddress::parse(email).unwrap();
        email::SubscribeRequest {
            subject: keys.pseudonym(&address),
            address,
            list: ListId::new("newsletter").unwrap(),
            site: "example.com".into(),
            notice_hash: "ab".repeat(32),
            language: "en".into(),
            tracking,
            confirm_hash: token.hash,
            confirm_expires_ms: now_ms + 60_000,
            now_ms,
            over_limit: false,
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn email_consent_same_semantics_as_sqlite() {
        let Some(pg) = cluster() else { return };
        let store = PostgresStore::open(&pg.url(), Options::default())
            .await
            .unwrap();
        let keys = EmailKeys::from_secret(&[1; 32]);
        let t1 = ConfirmToken::generate().unwrap();
        let r = request(&keys, "Ann@example.com", &t1, T0, true);
        let list = r.list.clone();
        assert_eq!(
            store.email_subscribe(r.clone()).await.unwrap(),
            email::SubscribeOutcome::Pending
        );
        let subs = store.email_subscriptions(Some(r.subject)).await.unwrap();
        assert_eq!(subs.len(), 1);
        assert!(!subs[0].can_send());
        assert_eq!(subs[0].address.as_deref(), Some("Ann@example.com"));
        // Pending: no tracking.
        assert!(
            !store
                .email_track(r.subject, list.clone(), "open", None, T0 + 1)
                .await
                .unwrap()
        );
        // Expired at the end of the window; unknown hash.
        assert_eq!(
            store.email_confirm(t1.hash, T0 + 60_000).await.unwrap(),
            email::ConfirmResult::Expired
        );
        assert_eq!(
            store.email_confirm([9; 32], T0).await.unwrap(),
            email::ConfirmResult::Unknown
        );
        let email::ConfirmResult::Confirmed(sub) =
            store.email_confirm(t1.hash, T0 + 2).await.unwrap()
        else {
            panic!("not confirmed")
        };
        assert!(sub.can_send());
        assert_eq!(sub.confirmed_ms, Some(T0 + 2));
        assert_eq!(
            store.email_confirm(t1.hash, T0 + 3).await.unwrap(),
            email::ConfirmResult::Used
        );
        let t2 = ConfirmToken::generate().unwrap();
        assert_eq!(
            store
                .email_subscribe(request(&keys, "ann@example.com", &t2, T0 + 4, true))
                .await
                .unwrap(),
            email::SubscribeOutcome::AlreadyConfirmed
        );
        assert!(
            store
                .email_track(
                    r.subject,
                    list.clone(),
                    "click",
                    Some("https://example.com/a".into()),
                    T0 + 5
                )
                .await
                .unwrap()
        );
        // The same click again within the hour adds nothing.
        assert!(
            !store
                .email_track(
                    r.subject,
                    list.clone(),
                    "click",
                    Some("https://example.com/a".into()),
                    T0 + 5_000
                )
                .await
                .unwrap()
        );
        // Unsubscribe: idempotent, suppressed; a stranger is suppressed by pseudonym only.
        assert!(
            store
                .email_unsubscribe(r.subject, list.clone(), "one_click", T0 + 6)
                .await
                .unwrap()
        );
        assert!(
            !store
                .email_unsubscribe(r.subject, list.clone(), "one_click", T0 + 7)
                .await
                .unwrap()
        );
        let stranger = keys.pseudonym(&EmailAddress::parse("bob@example.com").unwrap());
        assert!(
            store
                .email_unsubscribe(stranger, list.clone(), "page", T0 + 8)
                .await
                .unwrap()
        );
        let sup = store.email_suppressions().await.unwrap();
        assert_eq!(
            sup.iter()
                .map(|s| (s.email.as_deref(), s.unsubscribed_ms))
                .collect::<Vec<_>>(),
            [(Some("Ann@example.com"), T0 + 6), (None, T0 + 8)]
        );
        let kinds: Vec<String> = store
            .email_events(Some(r.subject))
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.kind)
            .collect();
        assert_eq!(
            kinds,
            [
                "requested",
                "confirmed",
                "requested",
                "click",
                "unsubscribed"
            ]
        );
        let all = store.email_events(None).await.unwrap();
        assert_eq!(all.len(), 6);
        assert_eq!(all[2].detail["outcome"], "already_confirmed");
        assert_eq!(all[3].detail["url"], "https://example.com/a");
        assert_eq!(all[4].detail["previous_state"], "confirmed");
        assert_eq!(store.email_subscriptions(None).await.unwrap().len(), 2);

        // Events are append-only; erasure removes everything of the address and nothing else.
        let err = pg
            .psql("postgres", "UPDATE email_events SET kind = 'x'")
            .unwrap_err();
        assert!(err.contains("append-only"), "{err}");
        assert_eq!(store.email_erase(r.subject).await.unwrap(), 6); // 1 subscription + 5 events
        assert!(
            store
                .email_subscriptions(Some(r.subject))
                .await
                .unwrap()
                .is_empty()
        );
        assert!(
            store
                .email_events(Some(r.subject))
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(store.email_subscriptions(None).await.unwrap().len(), 1);
        assert_eq!(store.email_erase(r.subject).await.unwrap(), 0);
        store.close().await.unwrap();
    }
}
