//! The SQL both the readers and the writer thread run on a connection: the row mapping for SQLite and the
//! record insert. A leaf of `sqlite/`: the writer ([`super::writer`]) and the read paths ([`super::records`],
//! [`super::email`]) use it, it uses neither.

use rusqlite::{Connection, Statement, params};
use uuid::Uuid;

use super::backend;
use crate::store::schema::{self, RECORD_COLUMNS};
use crate::store::{ConsentRecord, StoreError};

/// A SQLite row for the shared row mapping ([`schema`]): ids are text, JSON is text.
pub(super) struct SqlRow<'a, 'b>(pub(super) &'a rusqlite::Row<'b>);

fn read_err(e: rusqlite::Error) -> StoreError {
    match e {
        rusqlite::Error::FromSqlConversionFailure(_, _, m) => StoreError::Corrupt(m.to_string()),
        rusqlite::Error::InvalidColumnType(i, name, t) => {
            StoreError::Corrupt(format!("column {i} ({name}) holds {t}"))
        }
        e => backend(&e),
    }
}

impl schema::Row for SqlRow<'_, '_> {
    fn text(&self, i: usize) -> Result<String, StoreError> {
        self.0.get(i).map_err(read_err)
    }
    fn opt_text(&self, i: usize) -> Result<Option<String>, StoreError> {
        self.0.get(i).map_err(read_err)
    }
    fn int(&self, i: usize) -> Result<i64, StoreError> {
        self.0.get(i).map_err(read_err)
    }
    fn opt_int(&self, i: usize) -> Result<Option<i64>, StoreError> {
        self.0.get(i).map_err(read_err)
    }
    fn flag(&self, i: usize) -> Result<bool, StoreError> {
        self.0.get(i).map_err(read_err)
    }
    fn uuid(&self, i: usize) -> Result<Uuid, StoreError> {
        let text = self.text(i)?;
        Uuid::parse_str(&text).map_err(|_| StoreError::Corrupt(format!("invalid id {text:?}")))
    }
    fn json(&self, i: usize) -> Result<serde_json::Value, StoreError> {
        serde_json::from_str(&self.text(i)?)
            .map_err(|e| StoreError::Corrupt(format!("invalid JSON in column {i}: {e}")))
    }
}

/// Runs `stmt` and maps every row with one of the shared mappings.
pub(super) fn rows<T>(
    stmt: &mut Statement<'_>,
    params: impl rusqlite::Params,
    map: impl Fn(&dyn schema::Row) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    let mut rows = stmt.query(params).map_err(|e| backend(&e))?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(|e| backend(&e))? {
        out.push(map(&SqlRow(row))?);
    }
    Ok(out)
}

/// Appends one record (on the writer thread, inside its batch transaction).
pub(super) fn insert(conn: &Connection, r: &ConsentRecord) -> Result<(), StoreError> {
    let purposes =
        serde_json::to_string(&r.purposes).map_err(|e| StoreError::Backend(e.to_string()))?;
    let mut stmt = conn
        .prepare_cached(&format!(
            "INSERT INTO consent_records ({RECORD_COLUMNS}) VALUES \
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
