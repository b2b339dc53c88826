//! Durability to the disk, not only to the page cache: the `kill -9` tests (`durability.rs`, `postgres.rs`) are
//! survived by the OS page cache, so they would pass with `synchronous = NORMAL` or `synchronous_commit = off`.
//! These tests count the flushes themselves while one client posts records one after the other: each 201 must
//! have been preceded by a flush of its own (the next commit is new WAL that no earlier flush covered), so N
//! acknowledged records need at least N flushes.
//!
//! - SQLite: `strace` counts the `fsync`/`fdatasync` calls on `assent.db-wal` of the real `assent serve`
//!   (checkpoints, which also sync the WAL, are turned off for the run).
//! - PostgreSQL: `pg_stat_wal.wal_sync` counts WAL syncs, with the database default set to
//!   `synchronous_commit = off` and the WAL writer slowed to its 10 s maximum, so only the server's own
//!   sessions (which must set `synchronous_commit = on`) can produce them.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::postgres::{Instance, cluster};
use crate::support::{Server, Setup, choice};

/// Records posted one after the other.
const SEQUENTIAL: usize = 40;

/// `strace` attached to every thread of a running process, logging fsync-family calls with file paths.
struct Strace {
    child: Child,
    log: std::path::PathBuf,
}

impl Strace {
    fn attach(pid: u32, log: &Path) -> Strace {
        let child = Command::new("strace")
            .args(["-f", "-qq", "-y", "-e", "trace=fsync,fdatasync", "-o"])
            .arg(log)
            .args(["-p", &pid.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot run strace ({e}): the SQLite flush test needs it (`cargo xtask test` installs it; \
                     apt package `strace`)"
                )
            });
        // Attached once every thread of the server has a tracer.
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let traced = std::fs::read_dir(format!("/proc/{pid}/task"))
                .unwrap()
                .filter_map(Result::ok)
                .all(|task| {
                    std::fs::read_to_string(task.path().join("status")).is_ok_and(|s| {
                        s.lines()
                            .find_map(|l| l.strip_prefix("TracerPid:"))
                            .is_some_and(|t| t.trim() != "0")
                    })
                });
            if traced {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "strace did not attach to the server (is ptrace allowed here?)"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Strace {
            child,
            log: log.to_path_buf(),
        }
    }

    /// Detaches (SIGINT makes strace detach and finish its log) and returns the log.
    fn finish(mut self) -> String {
        let status = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let out = self.child.wait().unwrap();
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        assert!(
            out.success() || out.code() == Some(130) || out.code().is_none(),
            "strace failed ({out}): {log}"
        );
        log
    }
}

/// Calls of the fsync family on `file` in a `strace -y` log (a call interrupted by another thread's line is
/// counted once, on its first line).
fn syncs_of(log: &str, file: &str) -> usize {
    log.lines()
        .filter(|l| {
            (l.contains("fsync(") || l.contains("fdatasync("))
                && !l.contains("resumed>")
                && l.contains(&format!("{file}>"))
        })
        .count()
}

#[test]
fn sqlite_fsyncs_the_wal_before_every_acknowledgement() {
    let server = Server::with(Setup {
        // No checkpoints during the run: they sync the WAL too and would hide a commit that does not.
        db_options: "?checkpoint_ms=3600000".into(),
        ..Setup::default()
    });
    // Warm up (reader pool, prepared statements) before counting.
    server.record(&choice());
    let strace = Strace::attach(server.pid(), &server.dir.path().join("strace.log"));
    for _ in 0..SEQUENTIAL {
        server.record(&choice());
    }
    let log = strace.finish();
    let wal = server.dir.path().join("assent.db-wal");
    let syncs = syncs_of(&log, &wal.display().to_string());
    assert!(
        syncs >= SEQUENTIAL,
        "{SEQUENTIAL} records were acknowledged one after the other, but the WAL was synced only {syncs} times: \
         a 201 went out before its commit reached the disk (synchronous = FULL lost?)\n{log}"
    );
    // The positive control of the count: the log names the WAL, so a path mismatch cannot read as zero.
    assert!(log.contains("assent.db-wal"), "{log}");
}

/// `pg_stat_wal.wal_sync`: WAL syncs since the statistics were reset.
fn wal_syncs(pg: &assent_testkit::postgres::LocalPostgres) -> u64 {
    pg.psql("postgres", "SELECT wal_sync FROM pg_stat_wal")
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn postgres_sessions_flush_the_wal_before_every_acknowledgement_whatever_the_database_default() {
    let Some(pg) = cluster() else { return };
    // A database whose default acknowledges commits before their flush, and a WAL writer that flushes only
    // every 10 s: whatever syncs now happen come from sessions that commit synchronously.
    pg.psql(
        "postgres",
        "ALTER DATABASE postgres SET synchronous_commit = off",
    )
    .unwrap();
    pg.psql("postgres", "ALTER SYSTEM SET wal_writer_delay = '10s'")
        .unwrap();
    pg.psql("postgres", "SELECT pg_reload_conf()").unwrap();
    assert_eq!(
        pg.psql("postgres", "SHOW synchronous_commit")
            .unwrap()
            .trim(),
        "off",
        "the database default is off for a plain session"
    );
    let dir = tempfile::tempdir().unwrap();
    let mut server = Instance::start(&pg.url(), dir.path(), "0", &[]);
    server.record(&choice());
    let before = wal_syncs(&pg);
    for _ in 0..SEQUENTIAL {
        server.record(&choice());
    }
    // A backend reports its statistics when it goes idle (at most once a second) and when it exits: stop the
    // server so its sessions end, then wait for the counts to arrive.
    server.kill9();
    let deadline = Instant::now() + Duration::from_secs(20);
    let synced = loop {
        let synced = wal_syncs(&pg) - before;
        if synced >= SEQUENTIAL as u64 || Instant::now() > deadline {
            break synced;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(
        synced >= SEQUENTIAL as u64,
        "{SEQUENTIAL} records acknowledged one after the other, but PostgreSQL synced its WAL only {synced} \
         times: the server's sessions commit asynchronously (synchronous_commit = on lost?)"
    );
}
