//! Durable e-mail consent records: the types the [`Store`](crate::store::Store) trait's `email_*` methods take
//! and return, and their SQLite implementation (plain functions over a connection, called by the SQLite
//! backend's writer thread or reader pool).
//!
//! Two tables (migration [`SQLITE_MIGRATION`]):
//!
//! - `email_subscriptions`: the current state of one address on one list — `pending`, `confirmed` or
//!   `unsubscribed` — with the double opt-in evidence (request and confirmation times, SHA-256 of the
//!   confirmation token, site, notice hash, language) and the unsubscribe time and method. Keyed by
//!   (pseudonym, list); the address itself is kept for delivery and for the suppression export, and is `NULL`
//!   for an address known only by its pseudonym (unsubscribed through a link, never subscribed here).
//! - `email_events`: the append-only history (UUIDv7 ids): `requested`, `confirmed`, `unsubscribed`, `open`,
//!   `click`. Nothing updates an event; only erasure of the address deletes them.
//!
//! Timestamps are server time, Unix milliseconds.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::address::EmailAddress;
use super::confirm::{self, ConfirmOutcome};
use super::list::ListId;
use super::secret::Pseudonym;
use crate::store::StoreError;

/// The e-mail tables (SQLite). Appended to the backend's migration list as one version.
pub const SQLITE_MIGRATION: &str = "CREATE TABLE email_subscriptions (
        subject            TEXT NOT NULL,
        list               TEXT NOT NULL,
        address            TEXT,
        state              TEXT NOT NULL CHECK (state IN ('pending', 'confirmed', 'unsubscribed')),
        site               TEXT,
        notice_hash        TEXT,
        language           TEXT,
        tracking           INTEGER NOT NULL DEFAULT 0,
        requested_ms       INTEGER,
        confirmed_ms       INTEGER,
        unsubscribed_ms    INTEGER,
        unsubscribe_method TEXT,
        confirm_hash       TEXT UNIQUE,
        confirm_expires_ms INTEGER,
        confirm_used_ms    INTEGER,
        updated_ms         INTEGER NOT NULL,
        PRIMARY KEY (subject, list)
    ) WITHOUT ROWID;
    CREATE TABLE email_events (
        id      TEXT PRIMARY KEY NOT NULL,
        subject TEXT NOT NULL,
        list    TEXT NOT NULL,
        kind    TEXT NOT NULL,
        ts_ms   INTEGER NOT NULL,
        detail  TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX email_events_subject ON email_events (subject);
    CREATE TRIGGER email_events_append_only BEFORE UPDATE ON email_events
    BEGIN SELECT RAISE(ABORT, 'email events are append-only'); END;";

/// The state of an address on a list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SubscriptionState {
    /// Asked to subscribe, not confirmed yet: no list mail may be sent.
    Pending,
    /// Confirmed (double opt-in): list mail may be sent.
    Confirmed,
    /// Unsubscribed: suppressed.
    Unsubscribed,
}

impl SubscriptionState {
    fn as_str(self) -> &'static str {
        match self {
            SubscriptionState::Pending => "pending",
            SubscriptionState::Confirmed => "confirmed",
            SubscriptionState::Unsubscribed => "unsubscribed",
        }
    }

    fn parse(s: &str) -> Option<SubscriptionState> {
        match s {
            "pending" => Some(SubscriptionState::Pending),
            "confirmed" => Some(SubscriptionState::Confirmed),
            "unsubscribed" => Some(SubscriptionState::Unsubscribed),
            _ => None,
        }
    }
}

/// One address on one list, as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Subscription {
    /// Address pseudonym.
    pub subject: String,
    /// List id.
    pub list: String,
    /// The address (delivery form), when known.
    pub address: Option<String>,
    /// Current state.
    pub state: SubscriptionState,
    /// Site the request came from.
    pub site: Option<String>,
    /// SHA-256 (hex) of the notice text shown with the subscribe form.
    pub notice_hash: Option<String>,
    /// Language of that notice.
    pub language: Option<String>,
    /// Whether the subscriber consented to open and click tracking.
    pub tracking: bool,
    /// Latest subscribe request.
    pub requested_ms: Option<i64>,
    /// Confirmation (double opt-in) time.
    pub confirmed_ms: Option<i64>,
    /// Latest unsubscribe.
    pub unsubscribed_ms: Option<i64>,
    /// How: `one_click` (RFC 8058 POST), `page` (the unsubscribe page's button), `admin`.
    pub unsubscribe_method: Option<String>,
    /// SHA-256 (hex) of the latest confirmation token (evidence; the token itself is never stored).
    pub confirm_hash: Option<String>,
    /// When that token expires.
    pub confirm_expires_ms: Option<i64>,
    /// When that token was used.
    pub confirm_used_ms: Option<i64>,
    /// Last change.
    pub updated_ms: i64,
}

impl Subscription {
    /// True when list mail may be sent: confirmed and not unsubscribed since.
    pub fn can_send(&self) -> bool {
        self.state == SubscriptionState::Confirmed
    }

    /// True when the address belongs on the suppression list: it unsubscribed and has not confirmed again.
    pub fn suppressed(&self) -> bool {
        self.unsubscribed_ms.is_some() && self.state != SubscriptionState::Confirmed
    }
}

/// One entry of the append-only history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EmailEvent {
    /// UUIDv7.
    pub id: String,
    /// Address pseudonym.
    pub subject: String,
    /// List id.
    pub list: String,
    /// `requested`, `confirmed`, `unsubscribed`, `open`, `click`.
    pub kind: String,
    /// When.
    pub ts_ms: i64,
    /// Details (JSON object): notice, method, URL clicked…
    pub detail: serde_json::Value,
}

/// A subscribe request, validated, with its fresh confirmation token's hash.
#[derive(Clone, Debug)]
pub struct SubscribeRequest {
    /// Address pseudonym.
    pub subject: Pseudonym,
    /// The address.
    pub address: EmailAddress,
    /// The list.
    pub list: ListId,
    /// Site the form is on.
    pub site: String,
    /// SHA-256 (hex) of the notice shown.
    pub notice_hash: String,
    /// Its language.
    pub language: String,
    /// Consent to open/click tracking (a separate, unticked checkbox).
    pub tracking: bool,
    /// SHA-256 of the confirmation token.
    pub confirm_hash: [u8; 32],
    /// When the token expires.
    pub confirm_expires_ms: i64,
    /// Now.
    pub now_ms: i64,
    /// Over the per-address limit: change nothing and send nothing, but do the same store work (one event,
    /// one durable commit) as any other request, so the answer's timing does not tell.
    pub over_limit: bool,
}

/// What a subscribe request did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubscribeOutcome {
    /// Stored as pending: send the confirmation message.
    Pending,
    /// Already confirmed: nothing changed, nothing to send.
    AlreadyConfirmed,
    /// Over the per-address limit: nothing changed, nothing to send.
    OverLimit,
}

/// A subscribe request that changes no subscription (the address is confirmed already, or the request is over
/// the per-address limit): its outcome and the detail of the `requested` event both backends still write.
///
/// Every valid request costs the same store work before it is answered — a read of the subscription, one
/// event row, one durable commit — whatever the address's state: if a confirmed address cost only a SELECT
/// while a new one cost an INSERT and a commit, the 202's latency would tell a stranger who is subscribed. The
/// event is also evidence of the request. `None`: the request makes the subscription pending (the caller
/// upserts it and writes the `requested` event with `"outcome": "pending"`).
pub fn unchanged_request(
    existing: Option<&Subscription>,
    r: &SubscribeRequest,
) -> Option<(SubscribeOutcome, serde_json::Value)> {
    let outcome = if r.over_limit {
        SubscribeOutcome::OverLimit
    } else if existing.is_some_and(|s| s.state == SubscriptionState::Confirmed) {
        SubscribeOutcome::AlreadyConfirmed
    } else {
        return None;
    };
    let detail = serde_json::json!({
        "site": r.site,
        "notice_hash": r.notice_hash,
        "language": r.language,
        "tracking": r.tracking,
        "previous_state": existing.map(|s| s.state.as_str()),
        "outcome": match outcome {
            SubscribeOutcome::OverLimit => "over_limit",
            _ => "already_confirmed",
        },
    });
    Some((outcome, detail))
}

/// What a confirmation attempt found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfirmResult {
    /// Confirmed now.
    Confirmed(Box<Subscription>),
    /// The link was used before.
    Used,
    /// The link expired, or was replaced by a newer request or an unsubscribe.
    Expired,
    /// No such link.
    Unknown,
}

/// An entry of the suppression export.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Suppression {
    /// The address, when known.
    pub email: Option<String>,
    /// Its pseudonym.
    pub subject: String,
    /// The list.
    pub list: String,
    /// When it unsubscribed (Unix ms).
    pub unsubscribed_ms: i64,
    /// How.
    pub method: Option<String>,
}

fn backend(e: &rusqlite::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

fn hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    bytes
        .iter()
        .flat_map(|b| {
            [
                HEX[usize::from(b >> 4)] as char,
                HEX[usize::from(b & 15)] as char,
            ]
        })
        .collect()
}

const SUB_COLUMNS: &str = "subject, list, address, state, site, notice_hash, language, tracking, requested_ms, \
     confirmed_ms, unsubscribed_ms, unsubscribe_method, confirm_hash, confirm_expires_ms, confirm_used_ms, updated_ms";

fn row_to_subscription(row: &rusqlite::Row<'_>) -> rusqlite::Result<Subscription> {
    let state: String = row.get(3)?;
    Ok(Subscription {
        subject: row.get(0)?,
        list: row.get(1)?,
        address: row.get(2)?,
        state: SubscriptionState::parse(&state).ok_or_else(|| {
            rusqlite::Error::FromSqlConversionFailure(
                3,
                rusqlite::types::Type::Text,
                format!("unknown subscription state {state:?}").into(),
            )
        })?,
        site: row.get(4)?,
        notice_hash: row.get(5)?,
        language: row.get(6)?,
        tracking: row.get(7)?,
        requested_ms: row.get(8)?,
        confirmed_ms: row.get(9)?,
        unsubscribed_ms: row.get(10)?,
        unsubscribe_method: row.get(11)?,
        confirm_hash: row.get(12)?,
        confirm_expires_ms: row.get(13)?,
        confirm_used_ms: row.get(14)?,
        updated_ms: row.get(15)?,
    })
}

fn event(
    conn: &Connection,
    subject: &str,
    list: &str,
    kind: &str,
    ts_ms: i64,
    detail: &serde_json::Value,
) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO email_events (id, subject, list, kind, ts_ms, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![uuid::Uuid::now_v7().to_string(), subject, list, kind, ts_ms, detail.to_string()],
    )
    .map(drop)
    .map_err(|e| backend(&e))
}

fn get(conn: &Connection, subject: &str, list: &str) -> Result<Option<Subscription>, StoreError> {
    conn.query_row(
        &format!("SELECT {SUB_COLUMNS} FROM email_subscriptions WHERE subject = ?1 AND list = ?2"),
        params![subject, list],
        row_to_subscription,
    )
    .optional()
    .map_err(|e| backend(&e))
}

/// Runs `f` under a savepoint: either all its writes stay or none do, without aborting the caller's
/// transaction (the SQLite writer commits other work in the same transaction).
pub fn in_savepoint<T>(
    conn: &Connection,
    f: impl FnOnce(&Connection) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    conn.execute_batch("SAVEPOINT email")
        .map_err(|e| backend(&e))?;
    match f(conn) {
        Ok(v) => {
            conn.execute_batch("RELEASE email")
                .map_err(|e| backend(&e))?;
            Ok(v)
        }
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK TO email; RELEASE email");
            Err(e)
        }
    }
}

/// Stores a subscribe request (see [`SubscribeOutcome`]). A pending or unsubscribed record becomes pending with
/// the new token (an older confirmation link stops working); an unsubscribed address stays suppressed until it
/// confirms again.
pub fn subscribe(conn: &Connection, r: &SubscribeRequest) -> Result<SubscribeOutcome, StoreError> {
    let subject = r.subject.to_string();
    let list = r.list.as_str();
    let existing = get(conn, &subject, list)?;
    if let Some((outcome, detail)) = unchanged_request(existing.as_ref(), r) {
        event(conn, &subject, list, "requested", r.now_ms, &detail)?;
        return Ok(outcome);
    }
    conn.execute(
        "INSERT INTO email_subscriptions (subject, list, address, state, site, notice_hash, language, tracking,
            requested_ms, confirm_hash, confirm_expires_ms, confirm_used_ms, updated_ms)
         VALUES (?1, ?2, ?3, 'pending', ?4, ?5, ?6, ?7, ?8, ?9, ?10, NULL, ?8)
         ON CONFLICT (subject, list) DO UPDATE SET address = excluded.address, state = 'pending',
            site = excluded.site, notice_hash = excluded.notice_hash, language = excluded.language,
            tracking = excluded.tracking, requested_ms = excluded.requested_ms,
            confirm_hash = excluded.confirm_hash, confirm_expires_ms = excluded.confirm_expires_ms,
            confirm_used_ms = NULL, updated_ms = excluded.updated_ms",
        params![
            subject,
            list,
            r.address.as_str(),
            r.site,
            r.notice_hash,
            r.language,
            r.tracking,
            r.now_ms,
            hex(&r.confirm_hash),
            r.confirm_expires_ms,
        ],
    )
    .map_err(|e| backend(&e))?;
    let detail = serde_json::json!({
        "site": r.site,
        "notice_hash": r.notice_hash,
        "language": r.language,
        "tracking": r.tracking,
        "confirm_hash": hex(&r.confirm_hash),
        "confirm_expires_ms": r.confirm_expires_ms,
        "previous_state": existing.map(|s| s.state.as_str()),
        "outcome": "pending",
    });
    event(conn, &subject, list, "requested", r.now_ms, &detail)?;
    Ok(SubscribeOutcome::Pending)
}

/// Confirms the subscription whose token hashes to `token_hash`, if the token is unused and unexpired at
/// `now_ms` and the record is still pending.
pub fn confirm(
    conn: &Connection,
    token_hash: &[u8; 32],
    now_ms: i64,
) -> Result<ConfirmResult, StoreError> {
    let hash = hex(token_hash);
    let found = conn
        .query_row(
            &format!("SELECT {SUB_COLUMNS} FROM email_subscriptions WHERE confirm_hash = ?1"),
            [&hash],
            row_to_subscription,
        )
        .optional()
        .map_err(|e| backend(&e))?;
    let Some(sub) = found else {
        return Ok(ConfirmResult::Unknown);
    };
    let expires = sub.confirm_expires_ms.unwrap_or(0);
    match confirm::check(
        expires as u64,
        sub.confirm_used_ms.map(|t| t as u64),
        now_ms as u64,
    ) {
        ConfirmOutcome::Used => return Ok(ConfirmResult::Used),
        ConfirmOutcome::Expired => return Ok(ConfirmResult::Expired),
        ConfirmOutcome::Confirm if sub.state != SubscriptionState::Pending => {
            return Ok(ConfirmResult::Expired);
        }
        ConfirmOutcome::Confirm => {}
    }
    conn.execute(
        "UPDATE email_subscriptions SET state = 'confirmed', confirmed_ms = ?3, confirm_used_ms = ?3,
            updated_ms = ?3 WHERE subject = ?1 AND list = ?2",
        params![sub.subject, sub.list, now_ms],
    )
    .map_err(|e| backend(&e))?;
    let detail = serde_json::json!({
        "confirm_hash": hash,
        "requested_ms": sub.requested_ms,
        "site": sub.site,
        "notice_hash": sub.notice_hash,
        "language": sub.language,
        "tracking": sub.tracking,
    });
    event(conn, &sub.subject, &sub.list, "confirmed", now_ms, &detail)?;
    let updated = get(conn, &sub.subject, &sub.list)?
        .ok_or_else(|| StoreError::Corrupt("vanished".into()))?;
    Ok(ConfirmResult::Confirmed(Box::new(updated)))
}

/// Unsubscribes (`subject`, `list`). Idempotent: returns `false` when it was already unsubscribed. An address
/// with no record gets one (state `unsubscribed`, address unknown), so it is suppressed from now on.
pub fn unsubscribe(
    conn: &Connection,
    subject: Pseudonym,
    list: &ListId,
    method: &str,
    now_ms: i64,
) -> Result<bool, StoreError> {
    let subject = subject.to_string();
    let existing = get(conn, &subject, list.as_str())?;
    if existing
        .as_ref()
        .is_some_and(|s| s.state == SubscriptionState::Unsubscribed)
    {
        return Ok(false);
    }
    conn.execute(
        "INSERT INTO email_subscriptions (subject, list, address, state, unsubscribed_ms, unsubscribe_method,
            updated_ms)
         VALUES (?1, ?2, NULL, 'unsubscribed', ?3, ?4, ?3)
         ON CONFLICT (subject, list) DO UPDATE SET state = 'unsubscribed', unsubscribed_ms = excluded.unsubscribed_ms,
            unsubscribe_method = excluded.unsubscribe_method, updated_ms = excluded.updated_ms",
        params![subject, list.as_str(), now_ms, method],
    )
    .map_err(|e| backend(&e))?;
    let detail = serde_json::json!({
        "method": method,
        "previous_state": existing.map(|s| s.state.as_str()),
    });
    event(
        conn,
        &subject,
        list.as_str(),
        "unsubscribed",
        now_ms,
        &detail,
    )?;
    Ok(true)
}

/// The hour `now_ms` falls in, `[from, to)` in Unix milliseconds: tracking records at most one open per hour
/// and one click per URL per hour for an address on a list.
pub fn tracking_hour(now_ms: i64) -> (i64, i64) {
    const HOUR_MS: i64 = 3_600_000;
    let from = now_ms - now_ms.rem_euclid(HOUR_MS);
    (from, from + HOUR_MS)
}

/// Records an open or click, only for a confirmed subscriber who consented to tracking, and only the first of
/// its hour (an open per (address, list), a click per (address, list, URL)): a replayed or prefetched tracking
/// link adds no row, so it can neither fill the disk nor fake engagement. Every tracking token names one
/// address and list, so this is also at most one per (token, hour). Returns whether an event was recorded.
pub fn track(
    conn: &Connection,
    subject: Pseudonym,
    list: &ListId,
    kind: &str,
    url: Option<&str>,
    now_ms: i64,
) -> Result<bool, StoreError> {
    let subject = subject.to_string();
    let allowed = get(conn, &subject, list.as_str())?
        .is_some_and(|s| s.state == SubscriptionState::Confirmed && s.tracking);
    if !allowed {
        return Ok(false);
    }
    let detail = match url {
        Some(u) => serde_json::json!({ "url": u }),
        None => serde_json::json!({}),
    };
    let (from, to) = tracking_hour(now_ms);
    let seen: bool = conn
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM email_events WHERE subject = ?1 AND list = ?2 AND kind = ?3
             AND ts_ms >= ?4 AND ts_ms < ?5 AND detail = ?6)",
            params![subject, list.as_str(), kind, from, to, detail.to_string()],
            |r| r.get(0),
        )
        .map_err(|e| backend(&e))?;
    if seen {
        return Ok(false);
    }
    event(conn, &subject, list.as_str(), kind, now_ms, &detail)?;
    Ok(true)
}

/// Deletes every subscription and event of an address pseudonym; returns how many rows went.
pub fn erase(conn: &Connection, subject: Pseudonym) -> Result<u64, StoreError> {
    let subject = subject.to_string();
    let subs = conn
        .execute(
            "DELETE FROM email_subscriptions WHERE subject = ?1",
            [&subject],
        )
        .map_err(|e| backend(&e))?;
    let events = conn
        .execute("DELETE FROM email_events WHERE subject = ?1", [&subject])
        .map_err(|e| backend(&e))?;
    Ok((subs + events) as u64)
}

/// Every list record of an address pseudonym, by list.
pub fn subscriptions_of(
    conn: &Connection,
    subject: Pseudonym,
) -> Result<Vec<Subscription>, StoreError> {
    let mut stmt = conn
        .prepare(&format!(
            "SELECT {SUB_COLUMNS} FROM email_subscriptions WHERE subject = ?1 ORDER BY list"
        ))
        .map_err(|e| backend(&e))?;
    let rows = stmt
        .query_map([subject.to_string()], row_to_subscription)
        .map_err(|e| backend(&e))?;
    rows.collect::<Result<_, _>>().map_err(|e| backend(&e))
}

fn row_to_event(row: &rusqlite::Row<'_>) -> rusqlite::Result<EmailEvent> {
    let detail: String = row.get(5)?;
    Ok(EmailEvent {
        id: row.get(0)?,
        subject: row.get(1)?,
        list: row.get(2)?,
        kind: row.get(3)?,
        ts_ms: row.get(4)?,
        detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::Null),
    })
}

/// One page of the subscriptions export (see `Store::email_subscriptions_page`).
pub fn subscriptions_page(
    conn: &Connection,
    filter: &crate::store::RecordFilter,
    after: Option<&(String, String)>,
    limit: usize,
) -> Result<Vec<Subscription>, StoreError> {
    // The key condition is written only when there is a key: `(?4 IS NULL OR …)` would keep SQLite from
    // seeking the primary key, and every page would scan the table from the start.
    let key = if after.is_some() {
        "(subject, list) > (?4, ?5)"
    } else {
        "?4 IS NULL AND ?5 IS NULL"
    };
    let mut stmt = conn
        .prepare_cached(&format!(
            "SELECT {SUB_COLUMNS} FROM email_subscriptions
             WHERE {key} AND (?1 IS NULL OR site = ?1) AND (?2 IS NULL OR updated_ms >= ?2)
               AND (?3 IS NULL OR updated_ms < ?3)
             ORDER BY subject, list LIMIT ?6"
        ))
        .map_err(|e| backend(&e))?;
    let rows = stmt
        .query_map(
            params![
                filter.site,
                filter.since_ms,
                filter.until_ms,
                after.map(|a| a.0.as_str()),
                after.map(|a| a.1.as_str()),
                i64::try_from(limit).unwrap_or(i64::MAX),
            ],
            row_to_subscription,
        )
        .map_err(|e| backend(&e))?;
    rows.collect::<Result<_, _>>().map_err(|e| backend(&e))
}

/// One page of the events export (see `Store::email_events_page`).
pub fn events_page(
    conn: &Connection,
    filter: &crate::store::RecordFilter,
    after: Option<&str>,
    limit: usize,
) -> Result<Vec<EmailEvent>, StoreError> {
    // As above: an index seek from the last id, never a scan from the start.
    let key = if after.is_some() {
        "id > ?4"
    } else {
        "?4 IS NULL"
    };
    let mut stmt = conn
        .prepare_cached(&format!(
            "SELECT id, subject, list, kind, ts_ms, detail FROM email_events e
             WHERE {key} AND (?1 IS NULL OR EXISTS (SELECT 1 FROM email_subscriptions s
                                         WHERE s.subject = e.subject AND s.list = e.list AND s.site = ?1))
               AND (?2 IS NULL OR ts_ms >= ?2) AND (?3 IS NULL OR ts_ms < ?3)
             ORDER BY id LIMIT ?5"
        ))
        .map_err(|e| backend(&e))?;
    let rows = stmt
        .query_map(
            params![
                filter.site,
                filter.since_ms,
                filter.until_ms,
                after,
                i64::try_from(limit).unwrap_or(i64::MAX),
            ],
            row_to_event,
        )
        .map_err(|e| backend(&e))?;
    rows.collect::<Result<_, _>>().map_err(|e| backend(&e))
}

/// The history of an address pseudonym (or of everyone when `None`), oldest first.
pub fn events(
    conn: &Connection,
    subject: Option<Pseudonym>,
) -> Result<Vec<EmailEvent>, StoreError> {
    let sql = "SELECT id, subject, list, kind, ts_ms, detail FROM email_events
               WHERE ?1 IS NULL OR subject = ?1 ORDER BY id";
    let mut stmt = conn.prepare(sql).map_err(|e| backend(&e))?;
    let rows = stmt
        .query_map([subject.map(|s| s.to_string())], row_to_event)
        .map_err(|e| backend(&e))?;
    rows.collect::<Result<_, _>>().map_err(|e| backend(&e))
}

/// Every subscription record, by pseudonym and list.
pub fn all_subscriptions(conn: &Connection) -> Result<Vec<Subscription>, StoreError> {
    let mut stmt = conn
        .prepare(&format!(
            "SELECT {SUB_COLUMNS} FROM email_subscriptions ORDER BY subject, list"
        ))
        .map_err(|e| backend(&e))?;
    let rows = stmt
        .query_map([], row_to_subscription)
        .map_err(|e| backend(&e))?;
    rows.collect::<Result<_, _>>().map_err(|e| backend(&e))
}

/// The suppression list: every (address, list) that unsubscribed and has not confirmed again, oldest first.
pub fn suppressions(conn: &Connection) -> Result<Vec<Suppression>, StoreError> {
    let mut stmt = conn
        .prepare(
            "SELECT address, subject, list, unsubscribed_ms, unsubscribe_method FROM email_subscriptions
             WHERE unsubscribed_ms IS NOT NULL AND state != 'confirmed' ORDER BY unsubscribed_ms, subject, list",
        )
        .map_err(|e| backend(&e))?;
    let rows = stmt
        .query_map([], |row| {
            Ok(Suppression {
                email: row.get(0)?,
                subject: row.get(1)?,
                list: row.get(2)?,
                unsubscribed_ms: row.get(3)?,
                method: row.get(4)?,
            })
        })
        .map_err(|e| backend(&e))?;
    rows.collect::<Result<_, _>>().map_err(|e| backend(&e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::email::confirm::{CONFIRM_VALIDITY_SECS, ConfirmToken, hash_token};
    use crate::email::secret::EmailKeys;

    const T0: i64 = 1_790_000_000_000;
    const TTL_MS: i64 = CONFIRM_VALIDITY_SECS as i64 * 1000;

    fn db() -> (tempfile::TempDir, Connection) {
        let dir = tempfile::tempdir().unwrap();
        let conn = Connection::open(dir.path().join("t.db")).unwrap();
        conn.execute_batch(SQLITE_MIGRATION).unwrap();
        (dir, conn)
    }

    fn request(
        keys: &EmailKeys,
        email: &str,
        token: &ConfirmToken,
        now_ms: i64,
    ) -> SubscribeRequest {
        let address = EmailAddress::parse(email).unwrap();
        SubscribeRequest {
            subject: keys.pseudonym(&address),
            address,
            list: ListId::new("newsletter").unwrap(),
            site: "example.com".into(),
            notice_hash: "ab".repeat(32),
            language: "en".into(),
            tracking: false,
            confirm_hash: token.hash,
            confirm_expires_ms: now_ms + TTL_MS,
            now_ms,
            over_limit: false,
        }
    }

    #[test]
    fn double_opt_in_single_use_and_expiry() {
        let (_d, conn) = db();
        let keys = EmailKeys::from_secret(&[1; 32]);
        let t1 = ConfirmToken::generate().unwrap();
        let r = request(&keys, "Ann@example.com", &t1, T0);
        assert_eq!(subscribe(&conn, &r).unwrap(), SubscribeOutcome::Pending);
        let sub = &subscriptions_of(&conn, r.subject).unwrap()[0];
        assert!(!sub.can_send());
        assert_eq!(sub.address.as_deref(), Some("Ann@example.com"));

        // Expired one millisecond after the window; nothing changes.
        let h1 = hash_token(&t1.token).unwrap();
        assert_eq!(
            confirm(&conn, &h1, T0 + TTL_MS).unwrap(),
            ConfirmResult::Expired
        );
        assert_eq!(
            subscriptions_of(&conn, r.subject).unwrap()[0].state,
            SubscriptionState::Pending
        );

        // A new request replaces the token: the old link is unknown, the new one confirms once.
        let t2 = ConfirmToken::generate().unwrap();
        let r2 = request(&keys, "ann@example.com", &t2, T0 + TTL_MS + 1);
        assert_eq!(subscribe(&conn, &r2).unwrap(), SubscribeOutcome::Pending);
        assert_eq!(
            confirm(&conn, &h1, T0 + TTL_MS + 2).unwrap(),
            ConfirmResult::Unknown
        );
        let h2 = hash_token(&t2.token).unwrap();
        let ConfirmResult::Confirmed(sub) = confirm(&conn, &h2, T0 + TTL_MS + 3).unwrap() else {
            panic!()
        };
        assert!(sub.can_send());
        assert_eq!(sub.confirmed_ms, Some(T0 + TTL_MS + 3));
        assert_eq!(
            confirm(&conn, &h2, T0 + TTL_MS + 4).unwrap(),
            ConfirmResult::Used
        );
        // Subscribing again while confirmed changes nothing.
        let t3 = ConfirmToken::generate().unwrap();
        assert_eq!(
            subscribe(
                &conn,
                &request(&keys, "ann@example.com", &t3, T0 + TTL_MS + 5)
            )
            .unwrap(),
            SubscribeOutcome::AlreadyConfirmed
        );
        // ... but is recorded like any other request (the same work, so the same latency).
        let history = events(&conn, Some(r.subject)).unwrap();
        let kinds: Vec<&str> = history.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(kinds, ["requested", "requested", "confirmed", "requested"]);
        assert_eq!(history[3].detail["outcome"], "already_confirmed");
        assert_eq!(history[0].detail["outcome"], "pending");
    }

    #[test]
    fn export_pages_cover_everything_once_in_order_and_filter_by_site() {
        let (_d, conn) = db();
        let keys = EmailKeys::from_secret(&[3; 32]);
        let mut subjects = Vec::new();
        // One transaction: 1,200 autocommits would be 1,200 fsyncs.
        conn.execute_batch("BEGIN").unwrap();
        for (i, site) in ["a.example", "b.example", "a.example"].iter().enumerate() {
            let t = ConfirmToken::generate().unwrap();
            let mut r = request(&keys, &format!("p{i}@example.com"), &t, T0);
            r.site = (*site).into();
            subscribe(&conn, &r).unwrap();
            subjects.push(r.subject.to_string());
            for n in 0..400 {
                event(
                    &conn,
                    &r.subject.to_string(),
                    "newsletter",
                    "open",
                    T0 + n,
                    &serde_json::json!({}),
                )
                .unwrap();
            }
        }
        conn.execute_batch("COMMIT").unwrap();
        let all = crate::store::RecordFilter::default();
        let mut seen = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = events_page(&conn, &all, after.as_deref(), 500).unwrap();
            assert!(page.len() <= 500);
            seen.extend(page.iter().map(|e| e.id.clone()));
            if page.len() < 500 {
                break;
            }
            after = page.last().map(|e| e.id.clone());
        }
        assert_eq!(
            seen.len(),
            3 * 401,
            "every event once (3 requested + 1200 opens)"
        );
        assert!(seen.windows(2).all(|w| w[0] < w[1]), "in id order");
        let site_a = crate::store::RecordFilter {
            site: Some("a.example".into()),
            ..Default::default()
        };
        let a_events = events_page(&conn, &site_a, None, 10_000).unwrap();
        assert_eq!(a_events.len(), 2 * 401);
        assert!(a_events.iter().all(|e| e.subject != subjects[1]));
        let first = subscriptions_page(&conn, &all, None, 2).unwrap();
        assert_eq!(first.len(), 2);
        let last = first.last().map(|s| (s.subject.clone(), s.list.clone()));
        let rest = subscriptions_page(&conn, &all, last.as_ref(), 2).unwrap();
        assert_eq!(rest.len(), 1);
        assert!(!first.iter().any(|s| s.subject == rest[0].subject));
        assert_eq!(
            subscriptions_page(&conn, &site_a, None, 10).unwrap().len(),
            2
        );
    }

    #[test]
    fn unsubscribe_is_idempotent_suppresses_and_needs_a_new_confirmation() {
        let (_d, conn) = db();
        let keys = EmailKeys::from_secret(&[1; 32]);
        let t1 = ConfirmToken::generate().unwrap();
        let r = request(&keys, "ann@example.com", &t1, T0);
        subscribe(&conn, &r).unwrap();
        confirm(&conn, &t1.hash, T0 + 1).unwrap();
        assert!(unsubscribe(&conn, r.subject, &r.list, "one_click", T0 + 2).unwrap());
        assert!(!unsubscribe(&conn, r.subject, &r.list, "one_click", T0 + 3).unwrap());
        let sup = suppressions(&conn).unwrap();
        assert_eq!(sup.len(), 1);
        assert_eq!(
            (sup[0].email.as_deref(), sup[0].unsubscribed_ms),
            (Some("ann@example.com"), T0 + 2)
        );

        // Re-subscribe: pending, still suppressed, until confirmed.
        let t2 = ConfirmToken::generate().unwrap();
        subscribe(&conn, &request(&keys, "ann@example.com", &t2, T0 + 4)).unwrap();
        assert!(!subscriptions_of(&conn, r.subject).unwrap()[0].can_send());
        assert_eq!(suppressions(&conn).unwrap().len(), 1);
        assert!(matches!(
            confirm(&conn, &t2.hash, T0 + 5).unwrap(),
            ConfirmResult::Confirmed(_)
        ));
        assert!(suppressions(&conn).unwrap().is_empty());

        // An address never seen is suppressed by pseudonym only.
        let stranger = keys.pseudonym(&EmailAddress::parse("bob@example.com").unwrap());
        assert!(unsubscribe(&conn, stranger, &r.list, "one_click", T0 + 6).unwrap());
        let sup = suppressions(&conn).unwrap();
        assert_eq!(
            (sup[0].email.as_deref(), sup[0].subject.clone()),
            (None, stranger.to_string())
        );
    }

    #[test]
    fn tracking_only_with_consent_and_erasure_removes_everything() {
        let (_d, conn) = db();
        let keys = EmailKeys::from_secret(&[1; 32]);
        let t = ConfirmToken::generate().unwrap();
        let mut r = request(&keys, "ann@example.com", &t, T0);
        // Pending: nothing recorded even with tracking consent.
        r.tracking = true;
        subscribe(&conn, &r).unwrap();
        assert!(!track(&conn, r.subject, &r.list, "open", None, T0 + 1).unwrap());
        confirm(&conn, &t.hash, T0 + 2).unwrap();
        assert!(
            track(
                &conn,
                r.subject,
                &r.list,
                "click",
                Some("https://example.com/a"),
                T0 + 3
            )
            .unwrap()
        );
        // Replays within the same clock hour add nothing; another URL, or the next hour, does.
        let hour_start = T0 - T0.rem_euclid(3_600_000);
        let click =
            |url: &str, at: i64| track(&conn, r.subject, &r.list, "click", Some(url), at).unwrap();
        assert!(!click("https://example.com/a", T0 + 4));
        assert!(!click("https://example.com/a", hour_start + 3_599_999));
        assert!(track(&conn, r.subject, &r.list, "open", None, T0 + 5).unwrap());
        assert!(!track(&conn, r.subject, &r.list, "open", None, T0 + 6).unwrap());
        assert!(click("https://example.com/b", T0 + 7));
        assert!(click("https://example.com/a", hour_start + 3_600_000));
        assert_eq!(
            tracking_hour(hour_start + 10),
            (hour_start, hour_start + 3_600_000)
        );
        // Confirmed without tracking consent: nothing.
        let t2 = ConfirmToken::generate().unwrap();
        let r2 = request(&keys, "bob@example.com", &t2, T0);
        subscribe(&conn, &r2).unwrap();
        confirm(&conn, &t2.hash, T0 + 1).unwrap();
        assert!(!track(&conn, r2.subject, &r2.list, "open", None, T0 + 3).unwrap());
        let clicks: Vec<_> = events(&conn, None)
            .unwrap()
            .into_iter()
            .filter(|e| e.kind == "click")
            .collect();
        assert_eq!(clicks.len(), 3);
        assert_eq!(clicks[0].detail["url"], "https://example.com/a");

        // 1 subscription + requested, confirmed, 3 clicks, 1 open
        assert_eq!(erase(&conn, r.subject).unwrap(), 7);
        assert!(subscriptions_of(&conn, r.subject).unwrap().is_empty());
        assert!(events(&conn, Some(r.subject)).unwrap().is_empty());
        assert_eq!(subscriptions_of(&conn, r2.subject).unwrap().len(), 1);
        // Events are append-only.
        assert!(
            conn.execute("UPDATE email_events SET kind = 'x'", [])
                .is_err()
        );
    }
}
