//! `assent dashboard bench`: seeds a large history and times the overview's query (a site's last 90 days per
//! day, as `GET /admin/` runs it). A benchmark, never a test: it reports figures and asserts nothing.

use std::time::{Duration, Instant};

use super::seed::{Rng, SeedOptions, SiteHistory, insert_all, site_records};
use crate::store::timeseries::{Bucket, Timeseries, TimeseriesQuery};
use crate::store::{Store, StoreError};

/// The benchmark's site.
pub const SITE: &str = "bench.example";
/// Days the seeded history covers.
pub const DAYS: u32 = 360;

/// Timings of the overview query.
#[derive(Clone, Debug)]
pub struct Figures {
    /// Records in the 90-day range.
    pub in_range: u64,
    /// Every run, sorted.
    pub runs: Vec<Duration>,
}

impl Figures {
    /// The median run.
    pub fn median(&self) -> Duration {
        self.runs[self.runs.len() / 2]
    }

    /// The 95th percentile (nearest rank).
    pub fn p95(&self) -> Duration {
        let rank = (self.runs.len() * 95).div_ceil(100).max(1);
        self.runs[rank - 1]
    }
}

/// Writes `records` records of [`SITE`] spread over [`DAYS`] days ending now, plus a second site with a tenth
/// as many (so the index has to skip another site), in chunks of 30 days.
pub async fn seed(store: &dyn Store, records: u64, now_ms: i64) -> Result<u64, StoreError> {
    let config = assent_core::Config::from_json(&format!(
        r#"{{"site": "{SITE}", "revision": 1, "policy_url": "/privacy",
            "categories": {{"analytics": {{}}, "remarketing": {{}}, "marketing_email": {{}}}}}}"#
    ))
    .expect("valid bench config");
    let mut other = config.clone();
    other.site = "other.example".into();
    let mut rng = Rng::new(1);
    let mut stored = 0;
    // Weekends have 0.6 of a weekday's visitors (`site_records`): 5 + 2 × 0.6 weekday-equivalents a week.
    let per_day = (records as f64 / f64::from(DAYS) / (6.2 / 7.0)).round() as u64;
    let per_day = u32::try_from(per_day).unwrap_or(u32::MAX).max(1);
    for (config, per_day) in [(config, per_day), (other, (per_day / 10).max(1))] {
        let site = SiteHistory {
            config,
            revision_step: 1,
            change_day: 30,
            per_day,
        };
        let mut end = now_ms - i64::from(DAYS - 30) * 86_400_000;
        for chunk in 0..DAYS / 30 {
            let mut history = site.clone();
            history.change_day = if chunk * 30 >= 300 { 0 } else { u32::MAX };
            let opts = SeedOptions {
                seed: u64::from(chunk),
                days: 30,
                now_ms: end.min(now_ms),
                gpc: 0.1,
                dnt: 0.05,
            };
            let batch = site_records(&history, &opts, None, &mut rng);
            stored += insert_all(store, batch, 512).await?;
            end += 30 * 86_400_000;
        }
    }
    Ok(stored)
}

/// Runs the 90-day overview query `runs` times after two warm-up runs.
pub async fn time_overview(
    store: &dyn Store,
    runs: usize,
    now_ms: i64,
) -> Result<Figures, StoreError> {
    let query = TimeseriesQuery {
        site: SITE.into(),
        since_ms: Bucket::Day.floor(now_ms) - 89 * 86_400_000,
        until_ms: Bucket::Day.floor(now_ms) + 86_400_000,
        bucket: Bucket::Day,
    };
    let mut in_range = 0;
    for _ in 0..2 {
        let rows = store.timeseries(query.clone()).await?;
        in_range = Timeseries::build(&query, &rows).totals.records;
    }
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs.max(1) {
        let start = Instant::now();
        let rows = store.timeseries(query.clone()).await?;
        let series = Timeseries::build(&query, &rows);
        times.push(start.elapsed());
        in_range = series.totals.records;
    }
    times.sort();
    Ok(Figures {
        in_range,
        runs: times,
    })
}

/// The whole benchmark: a scratch SQLite file (default), the database `db` names, or `postgres` for a private
/// PostgreSQL server (builds with the `local-postgres` feature); seeds `records`, refreshes the planner's
/// statistics, times `runs` queries. Returns the figures and the backend's name; `say` gets progress lines.
pub fn run(
    db: Option<&str>,
    records: u64,
    runs: usize,
    say: &mut dyn FnMut(String),
) -> Result<(Figures, &'static str), String> {
    let mut bytes = [0u8; 8];
    getrandom::getrandom(&mut bytes).map_err(|e| e.to_string())?;
    let tmp = std::env::temp_dir().join(format!(
        "assent-dashboard-bench-{}",
        u64::from_le_bytes(bytes)
    ));
    std::fs::create_dir_all(&tmp).map_err(|e| e.to_string())?;
    let local = match db {
        Some("postgres") => Some(crate::bench::local_postgres()?),
        _ => None,
    };
    let url = match (&local, db) {
        (Some(pg), _) => pg.url(),
        (None, Some(url)) => url.to_owned(),
        (None, None) => format!("sqlite:{}", tmp.join("bench.db").display()),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let result = runtime.block_on(async {
        let s = |e: StoreError| e.to_string();
        let store = crate::store::open(&url).await.map_err(s)?;
        let now_ms = crate::time::now_ms();
        let start = Instant::now();
        let stored = seed(store.as_ref(), records, now_ms).await.map_err(s)?;
        say(format!(
            "{stored} records seeded in {:.1} s",
            start.elapsed().as_secs_f64()
        ));
        store.close().await.map_err(s)?;
        // Fresh planner statistics (and on PostgreSQL the visibility map that index-only scans need), as a live
        // database has them from autovacuum.
        if let Some(pg) = &local {
            pg.psql("postgres", "VACUUM ANALYZE consent_records")?;
        } else if let Some(path) = url.strip_prefix("sqlite:") {
            rusqlite::Connection::open(path)
                .and_then(|c| c.execute_batch("ANALYZE"))
                .map_err(|e| e.to_string())?;
        }
        let store = crate::store::open(&url).await.map_err(s)?;
        let figures = time_overview(store.as_ref(), runs, now_ms)
            .await
            .map_err(s)?;
        store.close().await.map_err(s)?;
        Ok((figures, store.backend()))
    });
    let _ = std::fs::remove_dir_all(&tmp);
    result
}
