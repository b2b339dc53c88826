//! The time-series query on SQLite (a free function over a read connection).

use rusqlite::{Connection, OptionalExtension, params};

use super::{Group, KEY_USAGE_SQL, KeyUsage, TimeseriesQuery, TimeseriesRows, categories_of};
use crate::store::{Purpose, StoreError};

fn err(e: &rusqlite::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

/// Groups the site's records of the range (read from the covering index alone), then reads one record's
/// categories per revision seen.
pub fn timeseries(conn: &Connection, q: &TimeseriesQuery) -> Result<TimeseriesRows, StoreError> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT (ts_ms - ?4) / ?5 AS b, revision, granted, dnt, gpc, COUNT(*)
             FROM consent_records INDEXED BY consent_records_site_ts_choice
             WHERE site = ?1 AND ts_ms >= ?2 AND ts_ms < ?3
             GROUP BY b, revision, granted, dnt, gpc",
        )
        .map_err(|e| err(&e))?;
    let origin = q.bucket.origin_ms();
    let width = q.bucket.ms();
    let groups = stmt
        .query_map(
            params![q.site, q.since_ms, q.until_ms, origin, width],
            |row| {
                Ok(Group {
                    bucket_ms: row.get::<_, i64>(0)? * width + origin,
                    revision: row.get(1)?,
                    granted: row.get::<_, i64>(2)? as u64,
                    dnt: row.get(3)?,
                    gpc: row.get(4)?,
                    records: row.get::<_, i64>(5)? as u64,
                })
            },
        )
        .map_err(|e| err(&e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| err(&e))?;
    let mut rows = TimeseriesRows {
        groups,
        ..TimeseriesRows::default()
    };
    let revisions: std::collections::BTreeSet<u32> =
        rows.groups.iter().map(|g| g.revision).collect();
    let mut sample = conn
        .prepare_cached(
            "SELECT purposes FROM consent_records
             WHERE site = ?1 AND ts_ms >= ?2 AND ts_ms < ?3 AND revision = ?4 LIMIT 1",
        )
        .map_err(|e| err(&e))?;
    for revision in revisions {
        let purposes: Option<String> = sample
            .query_row(params![q.site, q.since_ms, q.until_ms, revision], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|e| err(&e))?;
        if let Some(text) = purposes {
            let purposes: Vec<Purpose> = serde_json::from_str(&text)
                .map_err(|_| StoreError::Corrupt("invalid purposes".into()))?;
            rows.presented.insert(revision, categories_of(&purposes));
        }
    }
    Ok(rows)
}

/// First and last record signed by each key id, and how many.
pub fn key_usage(conn: &Connection) -> Result<Vec<KeyUsage>, StoreError> {
    let mut stmt = conn.prepare_cached(KEY_USAGE_SQL).map_err(|e| err(&e))?;
    stmt.query_map([], |row| {
        Ok(KeyUsage {
            kid: row.get(0)?,
            first_ms: row.get(1)?,
            last_ms: row.get(2)?,
            records: row.get::<_, i64>(3)? as u64,
        })
    })
    .map_err(|e| err(&e))?
    .collect::<Result<Vec<_>, _>>()
    .map_err(|e| err(&e))
}
