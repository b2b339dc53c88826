//! The time-series query on PostgreSQL (a free function over a pooled client).

use super::{Group, KEY_USAGE_SQL, KeyUsage, TimeseriesQuery, TimeseriesRows, categories_of};
use crate::store::{Purpose, StoreError};

fn err(e: &tokio_postgres::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

/// Groups the site's records of the range (an index-only scan of the covering index once the table is
/// vacuumed), then reads one record's categories per revision seen; both in one snapshot.
pub async fn timeseries(
    client: &mut deadpool_postgres::Client,
    q: &TimeseriesQuery,
) -> Result<TimeseriesRows, StoreError> {
    let tx = client
        .build_transaction()
        .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await
        .map_err(|e| err(&e))?;
    let origin = q.bucket.origin_ms();
    let width = q.bucket.ms();
    let found = tx
        .query(
            "SELECT (ts_ms - $4) / $5 AS b, revision, granted, dnt, gpc, COUNT(*)
             FROM consent_records
             WHERE site = $1 AND ts_ms >= $2 AND ts_ms < $3
             GROUP BY b, revision, granted, dnt, gpc",
            &[&q.site, &q.since_ms, &q.until_ms, &origin, &width],
        )
        .await
        .map_err(|e| err(&e))?;
    let mut rows = TimeseriesRows::default();
    for row in &found {
        let revision: i64 = row.get(1);
        let granted: i64 = row.get(2);
        let records: i64 = row.get(5);
        rows.groups.push(Group {
            bucket_ms: row.get::<_, i64>(0) * width + origin,
            revision: u32::try_from(revision)
                .map_err(|_| StoreError::Corrupt("invalid revision".into()))?,
            granted: granted as u64,
            dnt: row.get(3),
            gpc: row.get(4),
            records: records as u64,
        });
    }
    let revisions: std::collections::BTreeSet<u32> =
        rows.groups.iter().map(|g| g.revision).collect();
    for revision in revisions {
        let sample = tx
            .query_opt(
                "SELECT purposes FROM consent_records
                 WHERE site = $1 AND ts_ms >= $2 AND ts_ms < $3 AND revision = $4 LIMIT 1",
                &[&q.site, &q.since_ms, &q.until_ms, &i64::from(revision)],
            )
            .await
            .map_err(|e| err(&e))?;
        if let Some(row) = sample {
            let value: serde_json::Value = row.get(0);
            let purposes: Vec<Purpose> = serde_json::from_value(value)
                .map_err(|_| StoreError::Corrupt("invalid purposes".into()))?;
            rows.presented.insert(revision, categories_of(&purposes));
        }
    }
    tx.commit().await.map_err(|e| err(&e))?;
    Ok(rows)
}

/// First and last record signed by each key id, and how many.
pub async fn key_usage(client: &deadpool_postgres::Client) -> Result<Vec<KeyUsage>, StoreError> {
    let rows = client
        .query(KEY_USAGE_SQL, &[])
        .await
        .map_err(|e| err(&e))?;
    Ok(rows
        .iter()
        .map(|row| KeyUsage {
            kid: row.get(0),
            first_ms: row.get(1),
            last_ms: row.get(2),
            records: row.get::<_, i64>(3) as u64,
        })
        .collect())
}
