//! Time series of consent records for the dashboard and `GET /v1/admin/stats/timeseries`, aggregated in the
//! database on both backends.
//!
//! One query per backend ([`sqlite`], [`postgres`]) groups a site's records in a time range by bucket, notice
//! revision, granted bitmap and signals; the covering index of migration 4 (`consent_records_site_ts_choice`)
//! lets it read the index alone. The groups are few (buckets × revisions × distinct choices × 4), so the shares
//! are then worked out here, in plain Rust that the unit tests check.
//!
//! Which categories a revision presented is read from one record of that revision (a site's revision fixes its
//! categories: the server refuses one site and revision defined twice differently).

use std::collections::BTreeMap;

use serde::Serialize;

pub mod postgres;
pub mod sqlite;

/// Most buckets one query may span (a year of hours is 8,784).
pub const MAX_BUCKETS: i64 = 10_000;

/// Migration 4 on SQLite: the covering index of the time-series query. It starts with `(site, ts_ms)`, so it
/// replaces the index of migration 1 for the export and stats queries too.
pub const SQLITE_MIGRATION: &str = "CREATE INDEX consent_records_site_ts_choice
        ON consent_records (site, ts_ms, revision, granted, dnt, gpc);
    DROP INDEX consent_records_site_ts;";

/// Migration 4 on PostgreSQL (same index).
pub const POSTGRES_MIGRATION: &str = "CREATE INDEX consent_records_site_ts_choice
        ON consent_records (site, ts_ms, revision, granted, dnt, gpc);
    DROP INDEX consent_records_site_ts;";

/// The width of a bucket. Buckets are in UTC; weeks start on Monday.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Bucket {
    /// One hour.
    Hour,
    /// One day (UTC).
    Day,
    /// One week, Monday 00:00 UTC to Monday.
    Week,
}

impl Bucket {
    /// `hour`, `day` or `week`.
    pub fn parse(text: &str) -> Option<Bucket> {
        match text {
            "hour" => Some(Bucket::Hour),
            "day" => Some(Bucket::Day),
            "week" => Some(Bucket::Week),
            _ => None,
        }
    }

    /// The name used in URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            Bucket::Hour => "hour",
            Bucket::Day => "day",
            Bucket::Week => "week",
        }
    }

    /// Width in milliseconds.
    pub fn ms(self) -> i64 {
        match self {
            Bucket::Hour => 3_600_000,
            Bucket::Day => 86_400_000,
            Bucket::Week => 7 * 86_400_000,
        }
    }

    /// Where bucket 0 starts, Unix milliseconds: the epoch, or for weeks the first Monday (5 January 1970).
    pub fn origin_ms(self) -> i64 {
        match self {
            Bucket::Week => 4 * 86_400_000,
            _ => 0,
        }
    }

    /// Start of the bucket holding `ms`.
    pub fn floor(self, ms: i64) -> i64 {
        (ms - self.origin_ms()).div_euclid(self.ms()) * self.ms() + self.origin_ms()
    }
}

/// What to aggregate: one site, `[since_ms, until_ms)` (server time), bucket width.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimeseriesQuery {
    /// The site.
    pub site: String,
    /// Inclusive start, Unix milliseconds.
    pub since_ms: i64,
    /// Exclusive end, Unix milliseconds.
    pub until_ms: i64,
    /// Bucket width.
    pub bucket: Bucket,
}

/// Records sharing a bucket, revision, granted bitmap and signals: one row of the database's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Group {
    /// Start of the bucket, Unix milliseconds.
    pub bucket_ms: i64,
    /// Notice revision.
    pub revision: u32,
    /// Granted categories as a bitmap (bit 0: essential).
    pub granted: u64,
    /// Do Not Track was on.
    pub dnt: bool,
    /// Global Privacy Control was on.
    pub gpc: bool,
    /// How many records.
    pub records: u64,
}

/// What a backend answers: the groups, and for each revision seen the categories it presented
/// (`(index, name)`, in index order).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TimeseriesRows {
    /// The groups, in any order.
    pub groups: Vec<Group>,
    /// Categories per revision.
    pub presented: BTreeMap<u32, Vec<(u8, String)>>,
}

/// Counts of one bucket, one revision or the whole range.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Records.
    pub records: u64,
    /// Every presented category granted.
    pub accept_all: u64,
    /// Only essential granted.
    pub reject_all: u64,
    /// Anything in between.
    pub custom: u64,
    /// Records with Global Privacy Control on.
    pub gpc: u64,
    /// Records with Do Not Track on.
    pub dnt: u64,
}

/// A category's grant rate: of the records that presented it, how many granted it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CategoryRate {
    /// Category name.
    pub category: String,
    /// Records that presented it.
    pub presented: u64,
    /// Records that granted it.
    pub granted: u64,
}

/// One bucket of the series.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BucketCounts {
    /// Start, Unix seconds.
    pub start: i64,
    /// Its counts.
    #[serde(flatten)]
    pub counts: Counts,
}

/// The figures of one notice revision within the range.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RevisionCounts {
    /// The revision.
    pub revision: u32,
    /// Start of the first bucket with a record of it, Unix seconds.
    pub first: i64,
    /// Start of the last such bucket, Unix seconds.
    pub last: i64,
    /// Its counts.
    #[serde(flatten)]
    pub counts: Counts,
    /// Grant rate per non-essential category.
    pub categories: Vec<CategoryRate>,
}

/// The whole answer of `GET /v1/admin/stats/timeseries`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Timeseries {
    /// The site.
    pub site: String,
    /// Inclusive start, Unix seconds.
    pub since: i64,
    /// Exclusive end, Unix seconds.
    pub until: i64,
    /// Bucket width.
    pub bucket: Bucket,
    /// Every bucket overlapping the range, empty ones included, oldest first.
    pub buckets: Vec<BucketCounts>,
    /// The range as a whole.
    pub totals: Counts,
    /// Grant rate per non-essential category over the range (all revisions).
    pub categories: Vec<CategoryRate>,
    /// Per revision, oldest revision first.
    pub revisions: Vec<RevisionCounts>,
}

impl Counts {
    fn add(&mut self, group: &Group, presented_mask: u64) {
        let n = group.records;
        self.records += n;
        let chosen = group.granted & presented_mask;
        if chosen == presented_mask {
            self.accept_all += n;
        } else if chosen & !1 == 0 {
            self.reject_all += n;
        } else {
            self.custom += n;
        }
        if group.gpc {
            self.gpc += n;
        }
        if group.dnt {
            self.dnt += n;
        }
    }
}

fn add_rates(
    rates: &mut BTreeMap<String, CategoryRate>,
    categories: &[(u8, String)],
    group: &Group,
) {
    for (index, name) in categories.iter().filter(|(i, _)| *i != 0) {
        let rate = rates.entry(name.clone()).or_insert_with(|| CategoryRate {
            category: name.clone(),
            ..CategoryRate::default()
        });
        rate.presented += group.records;
        if group.granted & (1u64 << index) != 0 {
            rate.granted += group.records;
        }
    }
}

impl Timeseries {
    /// Builds the series from a backend's rows. A revision whose categories are unknown counts every record
    /// as presenting essential alone.
    pub fn build(query: &TimeseriesQuery, rows: &TimeseriesRows) -> Timeseries {
        let width = query.bucket.ms();
        let first = query.bucket.floor(query.since_ms);
        let count = (query.until_ms - first + width - 1)
            .div_euclid(width)
            .max(0);
        let mut buckets: Vec<BucketCounts> = (0..count)
            .map(|i| first + i * width)
            .map(|start| BucketCounts {
                start: start.div_euclid(1000),
                counts: Counts::default(),
            })
            .collect();
        let mut totals = Counts::default();
        let mut rates = BTreeMap::new();
        let mut revisions: BTreeMap<u32, (RevisionCounts, BTreeMap<String, CategoryRate>)> =
            BTreeMap::new();
        let none = Vec::new();
        for group in &rows.groups {
            let categories = rows.presented.get(&group.revision).unwrap_or(&none);
            let mask = categories.iter().fold(1u64, |m, (i, _)| m | (1u64 << i));
            if let Some(b) = usize::try_from((group.bucket_ms - first).div_euclid(width))
                .ok()
                .and_then(|i| buckets.get_mut(i))
            {
                b.counts.add(group, mask);
            }
            totals.add(group, mask);
            add_rates(&mut rates, categories, group);
            let start = group.bucket_ms.div_euclid(1000);
            let (rev, rev_rates) = revisions.entry(group.revision).or_insert_with(|| {
                (
                    RevisionCounts {
                        revision: group.revision,
                        first: start,
                        last: start,
                        counts: Counts::default(),
                        categories: Vec::new(),
                    },
                    BTreeMap::new(),
                )
            });
            rev.first = rev.first.min(start);
            rev.last = rev.last.max(start);
            rev.counts.add(group, mask);
            add_rates(rev_rates, categories, group);
        }
        Timeseries {
            site: query.site.clone(),
            since: query.since_ms.div_euclid(1000),
            until: query.until_ms.div_euclid(1000),
            bucket: query.bucket,
            buckets,
            totals,
            categories: rates.into_values().collect(),
            revisions: revisions
                .into_values()
                .map(|(mut rev, rates)| {
                    rev.categories = rates.into_values().collect();
                    rev
                })
                .collect(),
        }
    }
}

/// How much one key id has signed (the dashboard's Keys view).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyUsage {
    /// Key id.
    pub kid: String,
    /// First record signed, Unix milliseconds.
    pub first_ms: i64,
    /// Last record signed, Unix milliseconds.
    pub last_ms: i64,
    /// Records signed.
    pub records: u64,
}

/// The key-usage query (same text on both backends).
pub(crate) const KEY_USAGE_SQL: &str =
    "SELECT kid, MIN(ts_ms), MAX(ts_ms), COUNT(*) FROM consent_records GROUP BY kid ORDER BY kid";

/// The categories of a record's `purposes` JSON, `(index, name)` in index order.
pub(crate) fn categories_of(purposes: &[crate::store::Purpose]) -> Vec<(u8, String)> {
    let mut out: Vec<(u8, String)> = purposes
        .iter()
        .filter(|p| p.index < 64)
        .map(|p| (p.index, p.category.clone()))
        .collect();
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400_000;

    fn group(bucket_ms: i64, revision: u32, granted: u64, gpc: bool, records: u64) -> Group {
        Group {
            bucket_ms,
            revision,
            granted,
            dnt: false,
            gpc,
            records,
        }
    }

    #[test]
    fn weeks_start_on_monday_and_buckets_floor() {
        // 2026-11-30 is a Monday.
        let monday = 1_795_996_800_000;
        assert_eq!(Bucket::Week.floor(monday + 3 * DAY + 5), monday);
        assert_eq!(Bucket::Week.floor(monday - 1), monday - 7 * DAY);
        assert_eq!(Bucket::Day.floor(monday + 5), monday);
        assert_eq!(Bucket::Hour.floor(monday + 3_600_001), monday + 3_600_000);
    }

    #[test]
    fn classifies_choices_fills_empty_buckets_and_splits_by_revision() {
        let t0 = 1_796_083_200_000;
        let query = TimeseriesQuery {
            site: "s".into(),
            since_ms: t0,
            until_ms: t0 + 3 * DAY,
            bucket: Bucket::Day,
        };
        let cats = vec![
            (0, "essential".into()),
            (1, "analytics".into()),
            (2, "remarketing".into()),
        ];
        let rows = TimeseriesRows {
            groups: vec![
                group(t0, 1, 0b111, false, 5),           // accept all
                group(t0, 1, 0b001, true, 3),            // reject all, GPC
                group(t0 + 2 * DAY, 2, 0b011, false, 2), // custom
                group(t0 + 2 * DAY, 2, 0b111, false, 1),
            ],
            presented: [(1, cats.clone()), (2, cats)].into_iter().collect(),
        };
        let s = Timeseries::build(&query, &rows);
        assert_eq!(s.buckets.len(), 3);
        assert_eq!(s.buckets[0].counts.records, 8);
        assert_eq!(s.buckets[0].counts.accept_all, 5);
        assert_eq!(s.buckets[0].counts.reject_all, 3);
        assert_eq!(s.buckets[0].counts.gpc, 3);
        assert_eq!(s.buckets[1].counts, Counts::default());
        assert_eq!(s.buckets[2].counts.custom, 2);
        assert_eq!(s.totals.records, 11);
        let analytics = s
            .categories
            .iter()
            .find(|c| c.category == "analytics")
            .unwrap();
        assert_eq!((analytics.presented, analytics.granted), (11, 8));
        let remarketing = s
            .categories
            .iter()
            .find(|c| c.category == "remarketing")
            .unwrap();
        assert_eq!((remarketing.presented, remarketing.granted), (11, 6));
        assert_eq!(s.revisions.len(), 2);
        assert_eq!(s.revisions[1].revision, 2);
        assert_eq!(s.revisions[1].first, (t0 + 2 * DAY) / 1000);
        assert_eq!(s.revisions[1].counts.records, 3);
    }
}
