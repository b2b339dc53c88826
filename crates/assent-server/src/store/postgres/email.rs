//! E-mail consent in PostgreSQL: its tables, and the loads and saves around the state machine
//! (`crate::email::store`). Every change runs in one transaction holding the advisory lock of its (subject,
//! list), so changes of one address on one list are serialized across connections and instances.

use uuid::Uuid;

use super::records::PgRow;
use super::{PostgresStore, pg};
use crate::email::store::{self as email, NewEvent, Subscription, Transition};
use crate::email::{ListId, Pseudonym};
use crate::store::schema::{
    self, EVENT_COLUMNS, SUBSCRIPTION_COLUMNS, SUPPRESSED_WHERE, SUPPRESSION_COLUMNS,
};
use crate::store::{EmailStore, RecordFilter, StoreError, StoreFuture};

type Transaction<'c> = deadpool_postgres::Transaction<'c>;

/// The e-mail tables (migration 2; the same tables as SQLite's).
pub(super) const MIGRATION: &str = "CREATE TABLE email_subscriptions (
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
        FOR EACH ROW EXECUTE FUNCTION assent_append_only('email events');";

/// Begins a transaction holding the advisory lock of (`subject`, `list`) until it ends.
async fn locked<'c>(
    client: &'c mut deadpool_postgres::Client,
    subject: &str,
    list: &str,
) -> Result<Transaction<'c>, StoreError> {
    let tx = client.transaction().await.map_err(|e| pg(&e))?;
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))",
        &[&subject, &list],
    )
    .await
    .map_err(|e| pg(&e))?;
    Ok(tx)
}

async fn load(
    tx: &Transaction<'_>,
    subject: &str,
    list: &str,
) -> Result<Option<Subscription>, StoreError> {
    let row = tx
        .query_opt(
            &format!(
                "SELECT {SUBSCRIPTION_COLUMNS} FROM email_subscriptions WHERE subject = $1 AND list = $2"
            ),
            &[&subject, &list],
        )
        .await
        .map_err(|e| pg(&e))?;
    row.as_ref()
        .map(|r| schema::subscription(&PgRow(r)))
        .transpose()
}

async fn append(tx: &Transaction<'_>, e: &NewEvent) -> Result<(), StoreError> {
    tx.execute(
        &format!("INSERT INTO email_events ({EVENT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)"),
        &[
            &Uuid::now_v7(),
            &e.subject,
            &e.list,
            &e.kind.as_str(),
            &e.ts_ms,
            &e.detail,
        ],
    )
    .await
    .map(drop)
    .map_err(|e| pg(&e))
}

/// Saves what a transition changed (the whole subscription row, then its event) and commits.
async fn save<T>(tx: Transaction<'_>, t: Transition<T>) -> Result<T, StoreError> {
    if let Some(s) = &t.save {
        tx.execute(
            &format!(
                "INSERT INTO email_subscriptions ({SUBSCRIPTION_COLUMNS})
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
                 ON CONFLICT (subject, list) DO UPDATE SET address = excluded.address, state = excluded.state,
                    site = excluded.site, notice_hash = excluded.notice_hash, language = excluded.language,
                    tracking = excluded.tracking, requested_ms = excluded.requested_ms,
                    confirmed_ms = excluded.confirmed_ms, unsubscribed_ms = excluded.unsubscribed_ms,
                    unsubscribe_method = excluded.unsubscribe_method, confirm_hash = excluded.confirm_hash,
                    confirm_expires_ms = excluded.confirm_expires_ms,
                    confirm_used_ms = excluded.confirm_used_ms, updated_ms = excluded.updated_ms"
            ),
            &[
                &s.subject,
                &s.list,
                &s.address,
                &s.state.as_str(),
                &s.site,
                &s.notice_hash,
                &s.language,
                &s.tracking,
                &s.requested_ms,
                &s.confirmed_ms,
                &s.unsubscribed_ms,
                &s.unsubscribe_method,
                &s.confirm_hash,
                &s.confirm_expires_ms,
                &s.confirm_used_ms,
                &s.updated_ms,
            ],
        )
        .await
        .map_err(|e| pg(&e))?;
    }
    if let Some(e) = &t.event {
        append(&tx, e).await?;
    }
    tx.commit().await.map_err(|e| pg(&e))?;
    Ok(t.answer)
}

impl EmailStore for PostgresStore {
    fn email_subscribe(
        &self,
        request: email::SubscribeRequest,
    ) -> StoreFuture<'_, email::SubscribeOutcome> {
        Box::pin(async move {
            let (subject, list) = (request.subject.to_string(), request.list.as_str());
            let mut client = self.client().await?;
            let tx = locked(&mut client, &subject, list).await?;
            let current = load(&tx, &subject, list).await?;
            save(tx, email::subscribe(current.as_ref(), &request)).await
        })
    }

    fn email_confirm(
        &self,
        token_hash: [u8; 32],
        now_ms: i64,
    ) -> StoreFuture<'_, email::ConfirmResult> {
        Box::pin(async move {
            let hash = email::hex(&token_hash);
            let mut client = self.client().await?;
            // Find the (subject, list) first, then lock it and look again: a concurrent request may have
            // replaced the token meanwhile.
            let key = client
                .query_opt(
                    "SELECT subject, list FROM email_subscriptions WHERE confirm_hash = $1",
                    &[&hash],
                )
                .await
                .map_err(|e| pg(&e))?
                .map(|r| (r.get::<_, String>(0), r.get::<_, String>(1)));
            let Some((subject, list)) = key else {
                return Ok(email::ConfirmResult::Unknown);
            };
            let tx = locked(&mut client, &subject, &list).await?;
            let found = load(&tx, &subject, &list)
                .await?
                .filter(|s| s.confirm_hash.as_deref() == Some(hash.as_str()));
            save(tx, email::confirm(found.as_ref(), now_ms)).await
        })
    }

    fn email_unsubscribe(
        &self,
        subject: Pseudonym,
        list: ListId,
        method: email::UnsubscribeMethod,
        now_ms: i64,
    ) -> StoreFuture<'_, bool> {
        Box::pin(async move {
            let key = subject.to_string();
            let mut client = self.client().await?;
            let tx = locked(&mut client, &key, list.as_str()).await?;
            let current = load(&tx, &key, list.as_str()).await?;
            save(
                tx,
                email::unsubscribe(current.as_ref(), subject, &list, method, now_ms),
            )
            .await
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
        Box::pin(async move {
            let key = subject.to_string();
            let mut client = self.client().await?;
            let tx = locked(&mut client, &key, list.as_str()).await?;
            let current = load(&tx, &key, list.as_str()).await?;
            let Some(event) = email::track(
                current.as_ref(),
                subject,
                &list,
                kind,
                url.as_deref(),
                now_ms,
            ) else {
                return Ok(false);
            };
            // The advisory lock of (subject, list) makes this check-then-insert safe across instances.
            let (from, to) = email::tracking_hour(now_ms);
            let seen: bool = tx
                .query_one(
                    "SELECT EXISTS (SELECT 1 FROM email_events WHERE subject = $1 AND list = $2 \
                     AND kind = $3 AND ts_ms >= $4 AND ts_ms < $5 AND detail = $6)",
                    &[
                        &event.subject,
                        &event.list,
                        &event.kind.as_str(),
                        &from,
                        &to,
                        &event.detail,
                    ],
                )
                .await
                .map_err(|e| pg(&e))?
                .get(0);
            if seen {
                return Ok(false);
            }
            let recorded = Transition {
                answer: true,
                save: None,
                event: Some(event),
            };
            save(tx, recorded).await
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
                            "SELECT {SUBSCRIPTION_COLUMNS} FROM email_subscriptions WHERE subject = $1 ORDER BY list"
                        ),
                        &[&s.to_string()],
                    )
                    .await,
                None => client
                    .query(
                        &format!(
                            "SELECT {SUBSCRIPTION_COLUMNS} FROM email_subscriptions ORDER BY subject, list"
                        ),
                        &[],
                    )
                    .await,
            }
            .map_err(|e| pg(&e))?;
            rows.iter()
                .map(|r| schema::subscription(&PgRow(r)))
                .collect()
        })
    }

    fn email_events(&self, subject: Option<Pseudonym>) -> StoreFuture<'_, Vec<email::EmailEvent>> {
        Box::pin(async move {
            let client = self.client().await?;
            let rows = client
                .query(
                    &format!(
                        "SELECT {EVENT_COLUMNS} FROM email_events
                         WHERE $1::text IS NULL OR subject = $1 ORDER BY id"
                    ),
                    &[&subject.map(|s| s.to_string())],
                )
                .await
                .map_err(|e| pg(&e))?;
            rows.iter().map(|r| schema::event(&PgRow(r))).collect()
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
                        "SELECT {SUBSCRIPTION_COLUMNS} FROM email_subscriptions
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
            rows.iter()
                .map(|r| schema::subscription(&PgRow(r)))
                .collect()
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
                        "SELECT {EVENT_COLUMNS} FROM email_events e
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
            rows.iter().map(|r| schema::event(&PgRow(r))).collect()
        })
    }

    fn email_suppressions(&self) -> StoreFuture<'_, Vec<email::Suppression>> {
        Box::pin(async move {
            let client = self.client().await?;
            let rows = client
                .query(
                    &format!(
                        "SELECT {SUPPRESSION_COLUMNS} FROM email_subscriptions WHERE {SUPPRESSED_WHERE}"
                    ),
                    &[],
                )
                .await
                .map_err(|e| pg(&e))?;
            rows.iter()
                .map(|r| schema::suppression(&PgRow(r)))
                .collect()
        })
    }
}
