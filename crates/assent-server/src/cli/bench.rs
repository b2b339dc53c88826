//! `assent bench`: load-test the consent server over loopback (see `assent_server::bench`).

use std::path::PathBuf;
use std::time::Duration;

use assent_server::bench::{self, BenchOptions};
use clap::Args;

use super::output::{CmdResult, Failure, Io, say};

/// Longest run accepted, so a typo cannot start an hour-long load test.
const MAX_SECONDS: u64 = 300;

#[derive(Debug, Args)]
pub(crate) struct BenchArgs {
    /// Concurrent clients (one keep-alive connection each).
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u16).range(1..=4096))]
    clients: u16,
    /// Measured seconds (at most 300).
    #[arg(long, default_value_t = 10)]
    duration: u64,
    /// Unmeasured warm-up seconds before.
    #[arg(long, default_value_t = 2)]
    warmup: u64,
    /// Database for the server under test: sqlite:PATH or postgres://…, or `postgres` for a private PostgreSQL
    /// server started for the run (binaries from ASSENT_TEST_POSTGRES_BIN or /usr/lib/postgresql/*/bin)
    /// [default: SQLite in a temporary directory]. The database should be empty; it receives the benchmark's
    /// records.
    #[arg(long, value_name = "URL")]
    db: Option<String>,
    /// The `assent` binary to run as the server [default: this one].
    #[arg(long, value_name = "PATH")]
    server_bin: Option<PathBuf>,
    /// Skip the comparison run (SQLite without group commit: one fsync per record).
    #[arg(long)]
    no_baseline: bool,
}

pub(crate) fn run(args: BenchArgs, io: &mut Io<'_>) -> CmdResult {
    if args.duration == 0 || args.duration + args.warmup > MAX_SECONDS {
        return Err(Failure::error(format!(
            "--duration must be 1..{MAX_SECONDS} seconds including --warmup"
        )));
    }
    let server_bin = match args.server_bin {
        Some(p) => p,
        None => std::env::current_exe()
            .map_err(|e| Failure::error(format!("cannot find this binary: {e}")))?,
    };
    let baseline = !args.no_baseline && args.db.is_none();
    let opts = BenchOptions {
        clients: usize::from(args.clients),
        duration: Duration::from_secs(args.duration),
        warmup: Duration::from_secs(args.warmup),
        db: args.db,
        server_bin,
        sqlite_options: String::new(),
    };
    say!(
        io.err,
        "assent bench: {} clients, {} s warm-up + {} s measured, POST /v1/consents over loopback",
        opts.clients,
        args.warmup,
        args.duration
    )?;
    if opts.db.is_none() {
        let fsync = bench::fsync_probe().map_err(Failure::error)?;
        let ms = fsync.as_secs_f64() * 1000.0;
        say!(
            io.out,
            "disk: fdatasync after a 4 KB overwrite, p50 {ms:.2} ms, in {}",
            std::env::temp_dir().display()
        )?;
    }
    let report = bench::run(&opts).map_err(Failure::error)?;
    say!(io.out, "{report}")?;
    if baseline {
        say!(
            io.err,
            "comparison: the same load with group commit off (?max_batch=1)"
        )?;
        let single = bench::run(&BenchOptions {
            sqlite_options: "?max_batch=1".into(),
            ..opts
        })
        .map_err(Failure::error)?;
        say!(io.out, "one fsync per record: {single}")?;
        say!(
            io.out,
            "group commit: {:.1}x the records/s of one fsync per record",
            report.records_per_sec() / single.records_per_sec().max(f64::MIN_POSITIVE)
        )?;
    }
    Ok(())
}
