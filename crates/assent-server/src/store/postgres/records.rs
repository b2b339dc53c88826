//! Consent records in PostgreSQL: inserts through the writer tasks ([`super::writer`]), reads and erasures on
//! the pool.

use tokio::sync::oneshot;
use tokio_postgres::types::ToSql;
use uuid::Uuid;

use super::writer::InsertJob;
use super::{COUNT_FOR, PostgresStore, pg};
use crate::store::schema::{self, RECORD_COLUMNS};
use crate::store::timeseries::{KeyUsage, TimeseriesQuery, TimeseriesRows};
use crate::store::{
    ConsentRecord, ConsentStore, RecordFilter, Stats, StoreError, StoreFuture, Subject,
};

/// A PostgreSQL row for the shared row mapping ([`schema`]): ids are `uuid`, JSON is `jsonb`.
pub(super) struct PgRow<'a>(pub(super) &'a tokio_postgres::Row);

impl PgRow<'_> {
    fn get<'r, T: tokio_postgres::types::FromSql<'r>>(&'r self, i: usize) -> Result<T, StoreError> {
        self.0.try_get(i).map_err(|e| pg(&e))
    }
}

impl schema::Row for PgRow<'_> {
    fn text(&self, i: usize) -> Result<String, StoreError> {
        self.get(i)
    }
    fn opt_text(&self, i: usize) -> Result<Option<String>, StoreError> {
        self.get(i)
    }
    fn int(&self, i: usize) -> Result<i64, StoreError> {
        self.get(i)
    }
    fn opt_int(&self, i: usize) -> Result<Option<i64>, StoreError> {
        self.get(i)
    }
    fn flag(&self, i: usize) -> Result<bool, StoreError> {
        self.get(i)
    }
    fn uuid(&self, i: usize) -> Result<Uuid, StoreError> {
        self.get(i)
    }
    fn json(&self, i: usize) -> Result<serde_json::Value, StoreError> {
        self.get(i)
    }
}

pub(super) type Params = Vec<Box<dyn ToSql + Sync + Send>>;

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

impl ConsentStore for PostgresStore {
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
                    "SELECT {RECORD_COLUMNS} FROM consent_records WHERE id = $1"
                ))
                .await
                .map_err(|e| pg(&e))?;
            let row = client.query_opt(&stmt, &[&id]).await.map_err(|e| pg(&e))?;
            row.as_ref().map(|r| schema::record(&PgRow(r))).transpose()
        })
    }

    fn subject_records(&self, subject: Subject) -> StoreFuture<'_, Vec<ConsentRecord>> {
        Box::pin(async move {
            let client = self.client().await?;
            let stmt = client
                .prepare_cached(&format!(
                    "SELECT {RECORD_COLUMNS} FROM consent_records WHERE subject = $1 ORDER BY id"
                ))
                .await
                .map_err(|e| pg(&e))?;
            let rows = client
                .query(&stmt, &[&subject.to_string()])
                .await
                .map_err(|e| pg(&e))?;
            rows.iter().map(|r| schema::record(&PgRow(r))).collect()
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
                "SELECT {RECORD_COLUMNS} FROM consent_records WHERE {where_} ORDER BY id LIMIT ${}",
                values.len()
            );
            let client = self.client().await?;
            let stmt = client.prepare_cached(&sql).await.map_err(|e| pg(&e))?;
            let rows = client
                .query(&stmt, &refs(&values))
                .await
                .map_err(|e| pg(&e))?;
            rows.iter().map(|r| schema::record(&PgRow(r))).collect()
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

    fn timeseries(&self, q: TimeseriesQuery) -> StoreFuture<'_, TimeseriesRows> {
        Box::pin(async move {
            crate::store::timeseries::postgres::timeseries(&mut self.client().await?, &q).await
        })
    }

    fn key_usage(&self) -> StoreFuture<'_, Vec<KeyUsage>> {
        Box::pin(async move {
            crate::store::timeseries::postgres::key_usage(&self.client().await?).await
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
}
