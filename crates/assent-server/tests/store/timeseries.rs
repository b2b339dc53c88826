//! The dashboard's queries (`store/timeseries/`) on both backends: the same records give the same groups,
//! per bucket and revision, and the same key usage.

use assent_core::Method;
use assent_server::store::timeseries::{Bucket, Timeseries, TimeseriesQuery};
use assent_server::store::{ConsentRecord, Purpose, RecordSignals, Subject};

use super::Db;

const DAY: i64 = 86_400_000;
/// Monday 30 November 2026, 00:00 UTC.
const T0: i64 = 1_795_996_800_000;

fn record(
    site: &str,
    ts_ms: i64,
    revision: u32,
    granted: [bool; 2],
    gpc: bool,
    kid: &str,
) -> ConsentRecord {
    let mut bytes = [0u8; 10];
    bytes[..8].copy_from_slice(&ts_ms.to_le_bytes());
    bytes[8] = u8::from(granted[0]) | u8::from(granted[1]) << 1;
    bytes[9] = u8::try_from(revision).unwrap();
    let purpose = |category: &str, index, granted| Purpose {
        category: category.into(),
        index,
        granted,
    };
    ConsentRecord {
        id: uuid::Builder::from_unix_timestamp_millis(ts_ms as u64, &bytes).into_uuid(),
        site: site.into(),
        subject: Subject::random(),
        ts_ms,
        decided_at: None,
        expires_at: 1_900_000_000,
        revision,
        notice_hash: "ab".repeat(32),
        policy_url: "/privacy".into(),
        purposes: vec![
            purpose("essential", 0, true),
            purpose("analytics", 1, granted[0]),
            purpose("remarketing", 2, granted[1]),
        ],
        signals: RecordSignals {
            dnt: false,
            gpc,
            gpc_header: gpc,
        },
        language: "en".into(),
        method: Method::Banner,
        sdk_version: "0.1.0".into(),
        kid: kid.into(),
        token: "t".into(),
        region: None,
    }
}

pub(super) async fn time_series_and_key_usage(db: &Db) {
    let s = "dash.example";
    let mut records = vec![
        record(s, T0 + 1000, 1, [true, true], false, "AAAAAA"),
        record(s, T0 + 2000, 1, [false, false], true, "AAAAAA"),
        record(s, T0 + DAY + 5, 2, [true, false], false, "BBBBBB"),
        record(s, T0 + 2 * DAY + 7, 2, [true, true], true, "BBBBBB"),
        record(s, T0 + 2 * DAY + 8, 2, [true, true], false, "BBBBBB"),
        // Outside the range or of another site: not counted.
        record(s, T0 - 1, 1, [true, true], false, "AAAAAA"),
        record(s, T0 + 3 * DAY, 2, [true, true], false, "BBBBBB"),
        record("other.example", T0 + 5, 2, [true, true], false, "BBBBBB"),
    ];
    records.sort_by_key(|r| r.id);
    for r in records {
        db.store.insert(r).await.unwrap();
    }
    let query = TimeseriesQuery {
        site: s.into(),
        since_ms: T0,
        until_ms: T0 + 3 * DAY,
        bucket: Bucket::Day,
    };
    let series = Timeseries::build(&query, &db.store.timeseries(query.clone()).await.unwrap());
    let per_day: Vec<(u64, u64, u64, u64, u64)> = series
        .buckets
        .iter()
        .map(|b| {
            (
                b.counts.records,
                b.counts.accept_all,
                b.counts.reject_all,
                b.counts.custom,
                b.counts.gpc,
            )
        })
        .collect();
    assert_eq!(
        per_day,
        vec![(2, 1, 1, 0, 1), (1, 0, 0, 1, 0), (2, 2, 0, 0, 1)]
    );
    assert_eq!(series.revisions.len(), 2);
    assert_eq!(
        (
            series.revisions[0].revision,
            series.revisions[0].counts.records
        ),
        (1, 2)
    );
    assert_eq!(
        (
            series.revisions[1].revision,
            series.revisions[1].counts.records
        ),
        (2, 3)
    );
    let remarketing = series
        .categories
        .iter()
        .find(|c| c.category == "remarketing")
        .unwrap();
    assert_eq!((remarketing.presented, remarketing.granted), (5, 3));
    // A week bucket holds all three days (30 November is a Monday).
    let week = TimeseriesQuery {
        bucket: Bucket::Week,
        ..query
    };
    let series = Timeseries::build(&week, &db.store.timeseries(week.clone()).await.unwrap());
    assert_eq!(series.buckets.len(), 1);
    assert_eq!(series.buckets[0].start * 1000, T0);
    assert_eq!(series.totals.records, 5);

    let usage = db.store.key_usage().await.unwrap();
    let kids: Vec<(&str, u64, i64, i64)> = usage
        .iter()
        .map(|u| (u.kid.as_str(), u.records, u.first_ms, u.last_ms))
        .collect();
    assert_eq!(
        kids,
        vec![
            ("AAAAAA", 3, T0 - 1, T0 + 2000),
            ("BBBBBB", 5, T0 + 5, T0 + 3 * DAY)
        ]
    );
}
