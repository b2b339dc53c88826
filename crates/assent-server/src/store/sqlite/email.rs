//! E-mail consent in SQLite: its tables, and the loads and saves around the state machine
//! (`crate::email::store`). Every change runs on the writer thread under a savepoint of the batch transaction,
//! so it is one atomic step, answered after its commit.

use rusqlite::{Connection, params};

use super::rows::rows;
use super::{SqliteStore, backend};
use crate::email::store::{self as email, NewEvent, Subscription, Transition};
use crate::email::{ListId, Pseudonym};
use crate::store::schema::{
    self, EVENT_COLUMNS, SUBSCRIPTION_COLUMNS, SUPPRESSED_WHERE, SUPPRESSION_COLUMNS,
};
use crate::store::{EmailStore, RecordFilter, StoreError, StoreFuture};

/// The e-mail tables (migration 2).
pub(super) const MIGRATION: &str = "CREATE TABLE email_subscriptions (
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

fn load(conn: &Connection, subject: &str, list: &str) -> Result<Option<Subscription>, StoreError> {
    let mut stmt = conn
        .prepare_cached(&format!(
            "SELECT {SUBSCRIPTION_COLUMNS} FROM email_subscriptions WHERE subject = ?1 AND list = ?2"
        ))
        .map_err(|e| backend(&e))?;
    Ok(rows(&mut stmt, params![subject, list], schema::subscription)?.pop())
}

fn append(conn: &Connection, e: &NewEvent) -> Result<(), StoreError> {
    conn.prepare_cached(&format!(
        "INSERT INTO email_events ({EVENT_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
    ))
    .and_then(|mut stmt| {
        stmt.execute(params![
            uuid::Uuid::now_v7().to_string(),
            e.subject,
            e.list,
            e.kind.as_str(),
            e.ts_ms,
            e.detail.to_string()
        ])
    })
    .map(drop)
    .map_err(|e| backend(&e))
}

/// Saves what a transition changed: the whole subscription row, then its event.
fn save<T>(conn: &Connection, t: &Transition<T>) -> Result<(), StoreError> {
    if let Some(s) = &t.save {
        conn.prepare_cached(&format!(
            "INSERT INTO email_subscriptions ({SUBSCRIPTION_COLUMNS})
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)
             ON CONFLICT (subject, list) DO UPDATE SET address = excluded.address, state = excluded.state,
                site = excluded.site, notice_hash = excluded.notice_hash, language = excluded.language,
                tracking = excluded.tracking, requested_ms = excluded.requested_ms,
                confirmed_ms = excluded.confirmed_ms, unsubscribed_ms = excluded.unsubscribed_ms,
                unsubscribe_method = excluded.unsubscribe_method, confirm_hash = excluded.confirm_hash,
                confirm_expires_ms = excluded.confirm_expires_ms, confirm_used_ms = excluded.confirm_used_ms,
                updated_ms = excluded.updated_ms"
        ))
        .and_then(|mut stmt| {
            stmt.execute(params![
                s.subject,
                s.list,
                s.address,
                s.state.as_str(),
                s.site,
                s.notice_hash,
                s.language,
                s.tracking,
                s.requested_ms,
                s.confirmed_ms,
                s.unsubscribed_ms,
                s.unsubscribe_method,
                s.confirm_hash,
                s.confirm_expires_ms,
                s.confirm_used_ms,
                s.updated_ms,
            ])
        })
        .map_err(|e| backend(&e))?;
    }
    if let Some(e) = &t.event {
        append(conn, e)?;
    }
    Ok(())
}

/// Runs `f` under a savepoint: either all its writes stay or none do, without aborting the writer's batch
/// transaction (which commits other work too).
pub(super) fn in_savepoint<T>(
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

/// Whether the same event (kind and detail) is already recorded within its tracking hour.
fn tracked_this_hour(conn: &Connection, e: &NewEvent) -> Result<bool, StoreError> {
    let (from, to) = email::tracking_hour(e.ts_ms);
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM email_events WHERE subject = ?1 AND list = ?2 AND kind = ?3
         AND ts_ms >= ?4 AND ts_ms < ?5 AND detail = ?6)",
        params![
            e.subject,
            e.list,
            e.kind.as_str(),
            from,
            to,
            e.detail.to_string()
        ],
        |r| r.get(0),
    )
    .map_err(|e| backend(&e))
}

fn erase(conn: &Connection, subject: &str) -> Result<u64, StoreError> {
    let subs = conn
        .execute(
            "DELETE FROM email_subscriptions WHERE subject = ?1",
            [subject],
        )
        .map_err(|e| backend(&e))?;
    let events = conn
        .execute("DELETE FROM email_events WHERE subject = ?1", [subject])
        .map_err(|e| backend(&e))?;
    Ok((subs + events) as u64)
}

impl EmailStore for SqliteStore {
    fn email_subscribe(
        &self,
        request: email::SubscribeRequest,
    ) -> StoreFuture<'_, email::SubscribeOutcome> {
        self.exec(false, move |conn| {
            let current = load(conn, &request.subject.to_string(), request.list.as_str())?;
            let t = email::subscribe(current.as_ref(), &request);
            save(conn, &t)?;
            Ok(t.answer)
        })
    }

    fn email_confirm(
        &self,
        token_hash: [u8; 32],
        now_ms: i64,
    ) -> StoreFuture<'_, email::ConfirmResult> {
        self.exec(false, move |conn| {
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT {SUBSCRIPTION_COLUMNS} FROM email_subscriptions WHERE confirm_hash = ?1"
                ))
                .map_err(|e| backend(&e))?;
            let found = rows(&mut stmt, [email::hex(&token_hash)], schema::subscription)?.pop();
            let t = email::confirm(found.as_ref(), now_ms);
            save(conn, &t)?;
            Ok(t.answer)
        })
    }

    fn email_unsubscribe(
        &self,
        subject: Pseudonym,
        list: ListId,
        method: email::UnsubscribeMethod,
        now_ms: i64,
    ) -> StoreFuture<'_, bool> {
        self.exec(false, move |conn| {
            let current = load(conn, &subject.to_string(), list.as_str())?;
            let t = email::unsubscribe(current.as_ref(), subject, &list, method, now_ms);
            save(conn, &t)?;
            Ok(t.answer)
        })
    }

    fn email_track(
        &self,
        subject: Pseudonym,
        list: ListId,
        kind: email::TrackKind,
        url: Option<String>,
        now_ms: i64,
    ) -> StoreFuture<'_, bool> {
        self.exec(false, move |conn| {
            let current = load(conn, &subject.to_string(), list.as_str())?;
            let event = email::track(
                current.as_ref(),
                subject,
                &list,
                kind,
                url.as_deref(),
                now_ms,
            );
            match event {
                Some(e) if !tracked_this_hour(conn, &e)? => {
                    append(conn, &e)?;
                    Ok(true)
                }
                _ => Ok(false),
            }
        })
    }

    fn email_erase(&self, subject: Pseudonym) -> StoreFuture<'_, u64> {
        self.exec(true, move |conn| erase(conn, &subject.to_string()))
    }

    fn email_subscriptions(
        &self,
        subject: Option<Pseudonym>,
    ) -> StoreFuture<'_, Vec<email::Subscription>> {
        self.read(move |conn| {
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT {SUBSCRIPTION_COLUMNS} FROM email_subscriptions
                     WHERE ?1 IS NULL OR subject = ?1 ORDER BY subject, list"
                ))
                .map_err(|e| backend(&e))?;
            rows(
                &mut stmt,
                [subject.map(|s| s.to_string())],
                schema::subscription,
            )
        })
    }

    fn email_events(&self, subject: Option<Pseudonym>) -> StoreFuture<'_, Vec<email::EmailEvent>> {
        self.read(move |conn| {
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT {EVENT_COLUMNS} FROM email_events WHERE ?1 IS NULL OR subject = ?1 ORDER BY id"
                ))
                .map_err(|e| backend(&e))?;
            rows(&mut stmt, [subject.map(|s| s.to_string())], schema::event)
        })
    }

    fn email_subscriptions_page(
        &self,
        filter: RecordFilter,
        after: Option<(String, String)>,
        limit: usize,
    ) -> StoreFuture<'_, Vec<email::Subscription>> {
        self.read(move |conn| {
            // The key condition is written only when there is a key: `(?4 IS NULL OR …)` would keep SQLite from
            // seeking the primary key, and every page would scan the table from the start.
            let key = if after.is_some() {
                "(subject, list) > (?4, ?5)"
            } else {
                "?4 IS NULL AND ?5 IS NULL"
            };
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT {SUBSCRIPTION_COLUMNS} FROM email_subscriptions
                     WHERE {key} AND (?1 IS NULL OR site = ?1) AND (?2 IS NULL OR updated_ms >= ?2)
                       AND (?3 IS NULL OR updated_ms < ?3)
                     ORDER BY subject, list LIMIT ?6"
                ))
                .map_err(|e| backend(&e))?;
            let (after_subject, after_list) = after.unzip();
            rows(
                &mut stmt,
                params![
                    filter.site,
                    filter.since_ms,
                    filter.until_ms,
                    after_subject,
                    after_list,
                    i64::try_from(limit).unwrap_or(i64::MAX),
                ],
                schema::subscription,
            )
        })
    }

    fn email_events_page(
        &self,
        filter: RecordFilter,
        after: Option<String>,
        limit: usize,
    ) -> StoreFuture<'_, Vec<email::EmailEvent>> {
        self.read(move |conn| {
            // As above: an index seek from the last id, never a scan from the start.
            let key = if after.is_some() {
                "id > ?4"
            } else {
                "?4 IS NULL"
            };
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT {EVENT_COLUMNS} FROM email_events e
                     WHERE {key} AND (?1 IS NULL OR EXISTS (SELECT 1 FROM email_subscriptions s
                                 WHERE s.subject = e.subject AND s.list = e.list AND s.site = ?1))
                       AND (?2 IS NULL OR ts_ms >= ?2) AND (?3 IS NULL OR ts_ms < ?3)
                     ORDER BY id LIMIT ?5"
                ))
                .map_err(|e| backend(&e))?;
            rows(
                &mut stmt,
                params![
                    filter.site,
                    filter.since_ms,
                    filter.until_ms,
                    after,
                    i64::try_from(limit).unwrap_or(i64::MAX),
                ],
                schema::event,
            )
        })
    }

    fn email_suppressions(&self) -> StoreFuture<'_, Vec<email::Suppression>> {
        self.read(|conn| {
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT {SUPPRESSION_COLUMNS} FROM email_subscriptions WHERE {SUPPRESSED_WHERE}"
                ))
                .map_err(|e| backend(&e))?;
            rows(&mut stmt, [], schema::suppression)
        })
    }
}
