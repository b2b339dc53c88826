//! Consent records in SQLite: reads on the reader pool, writes through the writer thread ([`super::writer`]).

use std::sync::atomic::Ordering;

use rusqlite::Connection;
use uuid::Uuid;

use super::rows::rows;
use super::writer::Job;
use super::{SqliteStore, backend};
use crate::store::schema::{self, RECORD_COLUMNS};
use crate::store::timeseries::{KeyUsage, TimeseriesQuery, TimeseriesRows};
use crate::store::{
    ConsentRecord, ConsentStore, RecordFilter, SiteStats, Stats, StoreError, StoreFuture, Subject,
};

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

/// The statistics queries (the caller holds one read transaction around them).
fn stats_in(conn: &Connection, filter: &RecordFilter) -> Result<Stats, StoreError> {
    let (where_, values) = filter_sql(filter);
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
}

impl ConsentStore for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    fn insert(&self, record: ConsentRecord) -> StoreFuture<'_, ()> {
        Box::pin(self.send(move |tx| Job::Insert(Box::new(record), tx)))
    }

    fn get(&self, id: Uuid) -> StoreFuture<'_, Option<ConsentRecord>> {
        self.read(move |conn| {
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT {RECORD_COLUMNS} FROM consent_records WHERE id = ?1"
                ))
                .map_err(|e| backend(&e))?;
            Ok(rows(&mut stmt, [id.to_string()], schema::record)?.pop())
        })
    }

    fn subject_records(&self, subject: Subject) -> StoreFuture<'_, Vec<ConsentRecord>> {
        self.read(move |conn| {
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT {RECORD_COLUMNS} FROM consent_records WHERE subject = ?1 ORDER BY id"
                ))
                .map_err(|e| backend(&e))?;
            rows(&mut stmt, [subject.to_string()], schema::record)
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
                "SELECT {RECORD_COLUMNS} FROM consent_records WHERE {where_} ORDER BY id LIMIT ?{}",
                values.len()
            );
            let mut stmt = conn.prepare_cached(&sql).map_err(|e| backend(&e))?;
            rows(
                &mut stmt,
                rusqlite::params_from_iter(values),
                schema::record,
            )
        })
    }

    fn erase_subject(&self, subject: Subject) -> StoreFuture<'_, u64> {
        Box::pin(self.send(move |tx| Job::Erase(subject, tx)))
    }

    fn stats(&self, filter: RecordFilter) -> StoreFuture<'_, Stats> {
        self.read(move |conn| {
            // One read transaction: the three queries see one snapshot, whatever commits meanwhile.
            let tx = conn.unchecked_transaction().map_err(|e| backend(&e))?;
            let stats = stats_in(&tx, &filter)?;
            tx.commit().map_err(|e| backend(&e))?;
            Ok(stats)
        })
    }

    fn count(&self) -> StoreFuture<'_, u64> {
        let n = self.records.load(Ordering::Relaxed);
        Box::pin(async move { Ok(n) })
    }

    fn timeseries(&self, q: TimeseriesQuery) -> StoreFuture<'_, TimeseriesRows> {
        self.read(move |conn| crate::store::timeseries::sqlite::timeseries(conn, &q))
    }

    fn key_usage(&self) -> StoreFuture<'_, Vec<KeyUsage>> {
        self.read(crate::store::timeseries::sqlite::key_usage)
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
}
