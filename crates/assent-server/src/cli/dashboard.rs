//! `assent dashboard seed|bench`: a demo history for the dashboard, and the overview query's benchmark.

use std::path::PathBuf;

use assent_server::dashboard::{bench, seed};
use assent_server::sites::Sites;
use assent_server::store;
use clap::{Args, Subcommand};

use super::output::{CmdResult, Failure, Io, say};

#[derive(Debug, Subcommand)]
pub(crate) enum DashboardCommand {
    /// Write a deterministic consent and e-mail history for the example sites of --www (the demo's data).
    Seed(SeedArgs),
    /// Seed a large history into a scratch database and time the 90-day overview query (median, p95).
    Bench(BenchArgs),
}

#[derive(Debug, Args)]
pub(crate) struct SeedArgs {
    /// Database: sqlite:PATH or postgres://… [default: sqlite:./data/assent.db].
    #[arg(long, default_value = "sqlite:./data/assent.db", value_name = "URL")]
    db: String,
    /// Key directory: tokens are signed with its active key, e-mail pseudonyms use its secret.
    #[arg(long, default_value = "./data/keys", value_name = "DIR")]
    keys: PathBuf,
    /// Site pages whose inline configs name the sites (DIR/examples) [default: www].
    #[arg(long, default_value = "www", value_name = "DIR")]
    www: PathBuf,
    /// Days of history, ending today.
    #[arg(long, default_value_t = 28, value_parser = clap::value_parser!(u32).range(1..=366))]
    days: u32,
    /// PRNG seed (the same seed writes the same history).
    #[arg(long, default_value_t = 17)]
    seed: u64,
    /// Do nothing when the database already holds records of these sites.
    #[arg(long)]
    if_empty: bool,
    /// Write the history as if it were this time (Unix seconds), for reproducible screenshots [default: now].
    #[arg(long, value_name = "SECS")]
    now: Option<i64>,
}

#[derive(Debug, Args)]
pub(crate) struct BenchArgs {
    /// Database to fill: sqlite:PATH, postgres://… (should be empty), or `postgres` for a private PostgreSQL
    /// server [default: SQLite in a temporary directory].
    #[arg(long, value_name = "URL")]
    db: Option<String>,
    /// Records to seed.
    #[arg(long, default_value_t = 1_000_000, value_parser = clap::value_parser!(u64).range(1000..=20_000_000))]
    records: u64,
    /// Timed runs of the query.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=1000))]
    runs: u64,
}

fn failed(e: impl std::fmt::Display) -> Failure {
    Failure::error(e.to_string())
}

fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(failed)
}

pub(crate) fn run(cmd: DashboardCommand, io: &mut Io<'_>) -> CmdResult {
    match cmd {
        DashboardCommand::Seed(args) => run_seed(&args, io),
        DashboardCommand::Bench(args) => run_bench(&args, io),
    }
}

fn run_seed(args: &SeedArgs, io: &mut Io<'_>) -> CmdResult {
    let mut sites = Sites::new();
    sites
        .add_html_dir(&args.www.join("examples"))
        .map_err(failed)?;
    let (dir, _) = assent_server::keys::KeyDir::load_or_generate(&args.keys).map_err(failed)?;
    let keys = assent_server::tokens::Keys::from_dir(&dir);
    let email_keys = assent_server::email::EmailKeys::load_or_create(&args.keys).map_err(failed)?;
    let names: Vec<String> = sites.names().map(str::to_owned).collect();
    if names.is_empty() {
        return Err(Failure::error(format!(
            "no site configs in {}/examples",
            args.www.display()
        )));
    }
    runtime()?.block_on(async {
        let store = store::open(&args.db).await.map_err(failed)?;
        if args.if_empty {
            let stats = store.stats(store::RecordFilter::default()).await.map_err(failed)?;
            if names.iter().any(|n| stats.sites.contains_key(n)) {
                say!(io.err, "dashboard seed: the database already has records of {}; left as it is", names.join(", "))?;
                return store.close().await.map_err(failed);
            }
        }
        let now_ms = args
            .now
            .map_or_else(assent_server::time::now_ms, |s| s.saturating_mul(1000));
        let opts = seed::SeedOptions {
            seed: args.seed,
            days: args.days,
            now_ms,
            gpc: 0.09,
            dnt: 0.06,
        };
        let mut rng = seed::Rng::new(args.seed);
        for (i, name) in names.iter().enumerate() {
            let config = sites.get(name).expect("listed").config.clone();
            let history = seed::SiteHistory {
                config,
                revision_step: 1,
                change_day: args.days.saturating_sub(10),
                per_day: [60, 35, 20][i % 3],
            };
            let records = seed::site_records(&history, &opts, Some(&keys), &mut rng);
            let n = seed::insert_all(store.as_ref(), records, 256).await.map_err(failed)?;
            let (req, conf, unsub) = seed::seed_email(store.as_ref(), &email_keys, name, "newsletter", &opts, &mut rng)
                .await
                .map_err(failed)?;
            say!(io.err, "dashboard seed: {name}: {n} consent records; newsletter: {req} requests, {conf} confirmed, {unsub} unsubscribed")?;
        }
        store.close().await.map_err(failed)
    })
}

fn run_bench(args: &BenchArgs, io: &mut Io<'_>) -> CmdResult {
    let runs = usize::try_from(args.runs).unwrap_or(30);
    let mut progress = Vec::new();
    let (f, backend) = bench::run(args.db.as_deref(), args.records, runs, &mut |line| {
        progress.push(line);
    })
    .map_err(failed)?;
    for line in progress {
        say!(io.err, "dashboard bench: {line}")?;
    }
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
    say!(
        io.out,
        "dashboard overview, 90 days per day, {backend}: {} records in range of {} seeded; {} runs: median {:.1} ms, p95 {:.1} ms, min {:.1} ms, max {:.1} ms",
        f.in_range,
        args.records,
        f.runs.len(),
        ms(f.median()),
        ms(f.p95()),
        ms(f.runs[0]),
        ms(*f.runs.last().expect("at least one run"))
    )
}
