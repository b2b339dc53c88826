//! The SQLite writer thread: group commit. It takes every job queued while the previous commit was being
//! flushed (up to `max_batch`) and commits them in one transaction, so concurrent writes share one `fsync`; each
//! caller is answered only after the commit that holds its write returned. After an erasure it truncates the
//! WAL so no older copy of an erased row stays there; a checkpointer thread copies the WAL into the database
//! file off the commit path.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rusqlite::{Connection, TransactionBehavior};
use tokio::sync::{mpsc, oneshot};

use super::backend;
use crate::store::{ConsentRecord, StoreError, Subject};

/// Work for the writer thread.
pub(super) enum Job {
    Insert(Box<ConsentRecord>, oneshot::Sender<Result<(), StoreError>>),
    Erase(Subject, oneshot::Sender<Result<u64, StoreError>>),
    Close(oneshot::Sender<Result<(), StoreError>>),
    /// Another write (the e-mail writes), run inside the batch transaction under its own savepoint.
    /// It answers through the returned [`ExecDone`] once the commit outcome is known. Called with `None` when
    /// the batch could not begin (the file locked too long), it runs nothing and answers that error; dropped
    /// unrun (the writer gone), its caller gets `Closed`.
    Exec(ExecJob),
}

/// The body of a [`Job::Exec`]: given the batch's connection (or `None` when the batch could not begin).
pub(super) type ExecJob = Box<dyn FnOnce(Option<&Connection>) -> ExecDone + Send>;

/// What an [`Job::Exec`] leaves behind: whether it erased data (the WAL is then checkpointed after the commit,
/// as for erasures), and how to answer its caller with the commit outcome.
pub(super) struct ExecDone {
    pub(super) erased: bool,
    pub(super) finish: Box<dyn FnOnce(Result<(), StoreError>) + Send>,
}

/// Copies committed pages from the WAL into the database file every `every`, without blocking the writer
/// (`PASSIVE`), until told to stop.
pub(super) fn checkpoint_loop(
    conn: &Connection,
    stop: &std::sync::mpsc::Receiver<()>,
    every: Duration,
) {
    while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = stop.recv_timeout(every) {
        if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            tracing::warn!(error = %e, "checkpoint failed; retrying later");
        }
    }
}

/// How long [`checkpoint_truncate`] keeps retrying while readers hold old snapshots.
const TRUNCATE_RETRY_FOR: Duration = Duration::from_secs(5);

/// Copies every WAL frame into the database file and truncates the WAL to zero bytes, so that no older copy
/// of a page (an erased row's bytes) is left in it.
///
/// `wal_checkpoint(TRUNCATE)` does not fail when it cannot finish: it answers one row `(busy, log,
/// checkpointed)` with `busy = 1` when a reader still uses part of the WAL. That answer is checked, and the
/// checkpoint is retried (with a short back-off) until it completes or [`TRUNCATE_RETRY_FOR`] has passed.
pub(super) fn checkpoint_truncate(conn: &Connection) -> Result<(), String> {
    let deadline = std::time::Instant::now() + TRUNCATE_RETRY_FOR;
    let mut pause = Duration::from_millis(2);
    loop {
        let (busy, log, done): (i64, i64, i64) = conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .map_err(|e| e.to_string())?;
        if busy == 0 && done >= log {
            return Ok(());
        }
        if std::time::Instant::now() >= deadline {
            return Err(format!(
                "the WAL is still in use after {TRUNCATE_RETRY_FOR:?} (busy {busy}, {done} of {log} frames copied)"
            ));
        }
        tracing::debug!(busy, log, done, "WAL checkpoint incomplete; retrying");
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(100));
    }
}

pub(super) fn writer_loop(
    mut conn: Connection,
    mut rx: mpsc::Receiver<Job>,
    max_batch: usize,
    records: &AtomicU64,
) {
    let mut batch = Vec::with_capacity(max_batch);
    let mut closers = Vec::new();
    while let Some(first) = rx.blocking_recv() {
        batch.push(first);
        while batch.len() < max_batch {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let closing = run_batch(&mut conn, &mut batch, &mut closers, records);
        if closing {
            // Refuse new work; what is already queued still gets committed by the next iterations.
            rx.close();
        }
    }
    if let Err(e) = checkpoint_truncate(&conn) {
        tracing::warn!(error = %e, "final checkpoint failed");
    }
    let result = conn.close().map_err(|(_, e)| backend(&e));
    for c in closers {
        let _ = c.send(result.clone());
    }
}

/// Commits one batch; returns whether a close was requested.
fn run_batch(
    conn: &mut Connection,
    batch: &mut Vec<Job>,
    closers: &mut Vec<oneshot::Sender<Result<(), StoreError>>>,
    records: &AtomicU64,
) -> bool {
    enum Reply {
        Insert(
            oneshot::Sender<Result<(), StoreError>>,
            Result<(), StoreError>,
        ),
        Erase(
            oneshot::Sender<Result<u64, StoreError>>,
            Result<u64, StoreError>,
        ),
        Exec(Box<dyn FnOnce(Result<(), StoreError>) + Send>),
    }
    let mut replies = Vec::with_capacity(batch.len());
    let mut closing = false;
    let mut erased = false;
    let outcome = (|| -> Result<(), StoreError> {
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| backend(&e))?;
        for job in batch.drain(..) {
            match job {
                Job::Insert(record, reply) => {
                    let r = super::rows::insert(&tx, &record);
                    replies.push(Reply::Insert(reply, r));
                }
                Job::Erase(subject, reply) => {
                    let r = tx
                        .execute(
                            "DELETE FROM consent_records WHERE subject = ?1",
                            [subject.to_string()],
                        )
                        .map(|n| n as u64)
                        .map_err(|e| backend(&e));
                    erased |= r.as_ref().is_ok_and(|n| *n > 0);
                    replies.push(Reply::Erase(reply, r));
                }
                Job::Close(reply) => {
                    closing = true;
                    closers.push(reply);
                }
                Job::Exec(f) => {
                    let done = f(Some(&tx));
                    erased |= done.erased;
                    replies.push(Reply::Exec(done.finish));
                }
            }
        }
        tx.commit().map_err(|e| backend(&e))
    })();
    // Jobs not reached because BEGIN failed are still in `batch`: they are answered with BEGIN's error below
    // (the placeholder results here are replaced by `outcome`), not as if the store were shutting down.
    for job in batch.drain(..) {
        match job {
            Job::Insert(_, reply) => replies.push(Reply::Insert(reply, Err(StoreError::Closed))),
            Job::Erase(_, reply) => replies.push(Reply::Erase(reply, Err(StoreError::Closed))),
            Job::Close(reply) => {
                closing = true;
                closers.push(reply);
            }
            Job::Exec(f) => replies.push(Reply::Exec(f(None).finish)),
        }
    }
    if outcome.is_ok() {
        let (mut added, mut removed) = (0u64, 0u64);
        for reply in &replies {
            match reply {
                Reply::Insert(_, Ok(())) => added += 1,
                Reply::Erase(_, Ok(n)) => removed += n,
                _ => {}
            }
        }
        records.fetch_add(added, Ordering::Relaxed);
        records.fetch_sub(
            removed.min(records.load(Ordering::Relaxed)),
            Ordering::Relaxed,
        );
    }
    if let Err(e) = &outcome {
        tracing::error!(error = %e, "commit failed; the batch was rolled back");
    } else if erased {
        // Erased rows were overwritten (secure_delete) in new page versions; move them into the main file and
        // truncate the WAL so that older copies of the pages do not linger there.
        if let Err(e) = checkpoint_truncate(conn) {
            tracing::error!(error = %e, "checkpoint after erasure failed; erased pages may remain in the WAL until the next one");
        }
    }
    for reply in replies {
        match reply {
            Reply::Insert(tx, r) => {
                let _ = tx.send(match &outcome {
                    Ok(()) => r,
                    Err(e) => Err(e.clone()),
                });
            }
            Reply::Erase(tx, r) => {
                let _ = tx.send(match &outcome {
                    Ok(()) => r,
                    Err(e) => Err(e.clone()),
                });
            }
            Reply::Exec(finish) => finish(outcome.clone()),
        }
    }
    closing
}
