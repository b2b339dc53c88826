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
    let per_day = u32::try_from(records / u64::from(DAYS))
        .unwrap_or(u32::MAX)
        .max(1);
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
