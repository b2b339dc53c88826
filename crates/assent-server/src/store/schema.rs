//! What both backends share about the tables, written once: the migration plan, the column lists in the order
//! the row mapping reads them, and the mapping from a row to a record, a subscription, an event or a
//! suppression (through [`Row`], which each backend implements for its row type).

use uuid::Uuid;

use super::{ConsentRecord, Purpose, RecordSignals, StoreError};
use crate::email::store::{EmailEvent, EventKind, Subscription, SubscriptionState, Suppression};

/// Consent record columns, in [`record`]'s order.
pub(crate) const RECORD_COLUMNS: &str = "id, site, subject, ts_ms, decided_at, expires_at, revision, notice_hash, \
     policy_url, purposes, granted, dnt, gpc, gpc_header, language, method, sdk_version, kid, token, region";

/// Subscription columns, in [`subscription`]'s order.
pub(crate) const SUBSCRIPTION_COLUMNS: &str = "subject, list, address, state, site, notice_hash, language, \
     tracking, requested_ms, confirmed_ms, unsubscribed_ms, unsubscribe_method, confirm_hash, confirm_expires_ms, \
     confirm_used_ms, updated_ms";

/// E-mail event columns, in [`event`]'s order.
pub(crate) const EVENT_COLUMNS: &str = "id, subject, list, kind, ts_ms, detail";

/// Suppression columns, in [`suppression`]'s order.
pub(crate) const SUPPRESSION_COLUMNS: &str =
    "address, subject, list, unsubscribed_ms, unsubscribe_method";

/// Which suppressions are listed, and in what order (both backends answer the same list).
pub(crate) const SUPPRESSED_WHERE: &str =
    "unsubscribed_ms IS NOT NULL AND state != 'confirmed' ORDER BY unsubscribed_ms, subject, list";

/// The migrations to apply to a database at schema version `current`, or why the database cannot be used.
/// `migrations` is the backend's list, ordered by version.
pub(crate) fn pending<V: Copy + Ord + Into<i64>, S>(
    migrations: &[(V, S)],
    current: V,
) -> Result<&[(V, S)], StoreError> {
    let Some(latest) = migrations.last().map(|m| m.0) else {
        return Ok(&[]);
    };
    if current > latest {
        return Err(StoreError::Corrupt(format!(
            "database schema version {} is newer than this server supports ({})",
            current.into(),
            latest.into()
        )));
    }
    let first = migrations.partition_point(|m| m.0 <= current);
    Ok(&migrations[first..])
}

/// One result row, column by index, whatever the backend. Each backend maps its own types (SQLite keeps ids as
/// text and JSON as text; PostgreSQL has `uuid` and `jsonb`); errors say what is wrong.
pub(crate) trait Row {
    fn text(&self, i: usize) -> Result<String, StoreError>;
    fn opt_text(&self, i: usize) -> Result<Option<String>, StoreError>;
    fn int(&self, i: usize) -> Result<i64, StoreError>;
    fn opt_int(&self, i: usize) -> Result<Option<i64>, StoreError>;
    fn flag(&self, i: usize) -> Result<bool, StoreError>;
    fn uuid(&self, i: usize) -> Result<Uuid, StoreError>;
    fn json(&self, i: usize) -> Result<serde_json::Value, StoreError>;
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("invalid {what}"))
}

/// A consent record from a row of [`RECORD_COLUMNS`].
pub(crate) fn record(row: &dyn Row) -> Result<ConsentRecord, StoreError> {
    let method = row.text(15)?;
    Ok(ConsentRecord {
        id: row.uuid(0)?,
        site: row.text(1)?,
        subject: row.text(2)?.parse().map_err(|_| corrupt("subject"))?,
        ts_ms: row.int(3)?,
        decided_at: row.opt_int(4)?.map(|d| d as u64),
        expires_at: row.int(5)? as u64,
        revision: u32::try_from(row.int(6)?).map_err(|_| corrupt("revision"))?,
        notice_hash: row.text(7)?,
        policy_url: row.text(8)?,
        purposes: serde_json::from_value::<Vec<Purpose>>(row.json(9)?)
            .map_err(|_| corrupt("purposes"))?,
        signals: RecordSignals {
            dnt: row.flag(11)?,
            gpc: row.flag(12)?,
            gpc_header: row.flag(13)?,
        },
        language: row.text(14)?,
        method: assent_core::Method::parse(&method).ok_or_else(|| corrupt("method"))?,
        sdk_version: row.text(16)?,
        kid: row.text(17)?,
        token: row.text(18)?,
        region: row.opt_text(19)?,
    })
}

/// A subscription from a row of [`SUBSCRIPTION_COLUMNS`].
pub(crate) fn subscription(row: &dyn Row) -> Result<Subscription, StoreError> {
    let state = row.text(3)?;
    Ok(Subscription {
        subject: row.text(0)?,
        list: row.text(1)?,
        address: row.opt_text(2)?,
        state: SubscriptionState::parse(&state)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown subscription state {state:?}")))?,
        site: row.opt_text(4)?,
        notice_hash: row.opt_text(5)?,
        language: row.opt_text(6)?,
        tracking: row.flag(7)?,
        requested_ms: row.opt_int(8)?,
        confirmed_ms: row.opt_int(9)?,
        unsubscribed_ms: row.opt_int(10)?,
        unsubscribe_method: row.opt_text(11)?,
        confirm_hash: row.opt_text(12)?,
        confirm_expires_ms: row.opt_int(13)?,
        confirm_used_ms: row.opt_int(14)?,
        updated_ms: row.int(15)?,
    })
}

/// An e-mail event from a row of [`EVENT_COLUMNS`].
pub(crate) fn event(row: &dyn Row) -> Result<EmailEvent, StoreError> {
    let kind = row.text(3)?;
    Ok(EmailEvent {
        id: row.uuid(0)?.to_string(),
        subject: row.text(1)?,
        list: row.text(2)?,
        kind: EventKind::parse(&kind)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown e-mail event kind {kind:?}")))?,
        ts_ms: row.int(4)?,
        detail: row.json(5)?,
    })
}

/// A suppression from a row of [`SUPPRESSION_COLUMNS`].
pub(crate) fn suppression(row: &dyn Row) -> Result<Suppression, StoreError> {
    Ok(Suppression {
        email: row.opt_text(0)?,
        subject: row.text(1)?,
        list: row.text(2)?,
        unsubscribed_ms: row.int(3)?,
        method: row.opt_text(4)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pending_migrations_refuse_a_newer_schema() {
        let m = [(1, "a"), (2, "b"), (3, "c")];
        assert_eq!(pending(&m, 0).unwrap(), &m[..]);
        assert_eq!(pending(&m, 2).unwrap(), &m[2..]);
        assert!(pending(&m, 3).unwrap().is_empty());
        let err = pending(&m, 99).unwrap_err();
        assert!(
            matches!(err, StoreError::Corrupt(ref t) if t.contains("99") && t.contains("(3)")),
            "{err:?}"
        );
    }
}
