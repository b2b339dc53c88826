//! The PostgreSQL writer tasks: group commit. Inserts are queued; a writer takes everything queued (up to
//! `max_batch`) and inserts it with one multi-row statement, which is one transaction and one round trip. A
//! batch that fails as a whole (one bad row) is retried row by row so only the bad record fails.

use std::collections::HashSet;
use std::sync::Arc;

use deadpool_postgres::Pool;
use tokio::sync::{mpsc, oneshot};
use tokio_postgres::types::ToSql;
use uuid::Uuid;

use super::{pg, pool_err};
use crate::store::{ConsentRecord, StoreError};

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

pub(super) struct InsertJob {
    pub(super) record: Box<ConsentRecord>,
    pub(super) reply: oneshot::Sender<Result<(), StoreError>>,
}

impl std::fmt::Debug for InsertJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InsertJob")
            .field("id", &self.record.id)
            .finish_non_exhaustive()
    }
}

pub(super) async fn writer_loop(
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
