//! The storage conformance suite: one set of tests, written once against the store traits, run on a real
//! SQLite file and on a real private PostgreSQL (`assent_testkit::postgres::LocalPostgres`, one cluster for the
//! whole run, a fresh database per case). What only one backend has (SQLite's WAL and file bytes, PostgreSQL's
//! batch retry and concurrent migrations) is tested next to that backend's code.

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;

use assent_core::Method;
use assent_server::email::confirm::{CONFIRM_VALIDITY_SECS, ConfirmToken, hash_token};
use assent_server::email::store::{
    ConfirmResult, EventKind, SubscribeOutcome, SubscribeRequest, SubscriptionState, TrackKind,
    UnsubscribeMethod,
};
use assent_server::email::{EmailAddress, EmailKeys, ListId};
use assent_server::store::{
    ConsentRecord, Purpose, RecordFilter, RecordSignals, Store, StoreError, Subject,
};
use assent_testkit::postgres::LocalPostgres;
use uuid::Uuid;

#[path = "store/timeseries.rs"]
mod timeseries;

/// Runs one SQL statement outside the store (to show what the database itself refuses).
type RawSql = Box<dyn Fn(&str) -> Result<(), String> + Send + Sync>;

/// One fresh, empty database of a backend.
struct Db {
    url: String,
    store: Arc<dyn Store>,
    raw: RawSql,
    _dir: Option<tempfile::TempDir>,
}

impl Db {
    /// The same database opened again (after `close`).
    async fn reopen(&self) -> Arc<dyn Store> {
        assent_server::store::open(&self.url).await.unwrap()
    }
}

type Case = for<'a> fn(&'a Db) -> Pin<Box<dyn Future<Output = ()> + 'a>>;

/// Every case of the suite, by name.
const CASES: &[(&str, Case)] = &[
    (
        "records: insert, read, export, stats, erase, reopen",
        |db| Box::pin(records_read_export_stats_erase(db)),
    ),
    ("records: append-only, a duplicate id fails alone", |db| {
        Box::pin(records_append_only(db))
    }),
    ("records: export pages in id order", |db| {
        Box::pin(export_pages_in_id_order(db))
    }),
    ("records: concurrent writers", |db| {
        Box::pin(concurrent_writers(db))
    }),
    ("e-mail: double opt-in, single use, expiry", |db| {
        Box::pin(email_double_opt_in(db))
    }),
    ("e-mail: unsubscribe, suppression, resubscribe", |db| {
        Box::pin(email_unsubscribe(db))
    }),
    ("e-mail: tracking with consent, erasure", |db| {
        Box::pin(email_tracking_and_erasure(db))
    }),
    ("e-mail: export pages", |db| {
        Box::pin(email_export_pages(db))
    }),
    ("dashboard: time series and key usage", |db| {
        Box::pin(timeseries::time_series_and_key_usage(db))
    }),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_conforms() {
    for (name, case) in CASES {
        eprintln!("sqlite: {name}");
        let dir = tempfile::tempdir().unwrap();
        let path: PathBuf = dir.path().join("assent.db");
        let url = format!("sqlite:{}", path.display());
        let store = assent_server::store::open(&url).await.unwrap();
        let raw_path = path.clone();
        let db = Db {
            url,
            store,
            raw: Box::new(move |sql| {
                rusqlite::Connection::open(&raw_path)
                    .and_then(|c| c.execute_batch(sql))
                    .map_err(|e| e.to_string())
            }),
            _dir: Some(dir),
        };
        case(&db).await;
        db.store.close().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_conforms() {
    let Some(pg) = LocalPostgres::for_test() else {
        return;
    };
    let pg = Arc::new(pg);
    for (i, (name, case)) in CASES.iter().enumerate() {
        eprintln!("postgres: {name}");
        let db_name = format!("case{i}");
        pg.create_database(&db_name).unwrap();
        let url = pg.database_url(&db_name);
        let store = assent_server::store::open(&url).await.unwrap();
        let cluster = Arc::clone(&pg);
        let raw_db = db_name.clone();
        let db = Db {
            url,
            store,
            raw: Box::new(move |sql| cluster.psql(&raw_db, sql).map(drop)),
            _dir: None,
        };
        case(&db).await;
        db.store.close().await.unwrap();
    }
}

// --- records ------------------------------------------------------------------------------------------------

/// A typical record (essential granted, analytics as given, GPC seen).
fn record(subject: Subject, site: &str, granted: bool) -> ConsentRecord {
    ConsentRecord {
        id: Uuid::now_v7(),
        site: site.into(),
        subject,
        ts_ms: now_ms(),
        decided_at: Some(1_700_000_000),
        expires_at: 1_800_000_000,
        revision: 3,
        notice_hash: "ab".repeat(32),
        policy_url: "https://example.com/privacy".into(),
        purposes: vec![
            Purpose {
                category: "essential".into(),
                index: 0,
                granted: true,
            },
            Purpose {
                category: "analytics".into(),
                index: 1,
                granted,
            },
        ],
        signals: RecordSignals {
            dnt: false,
            gpc: true,
            gpc_header: true,
        },
        language: "en".into(),
        method: Method::Banner,
        sdk_version: "0.1.0".into(),
        kid: "AAAAAA".into(),
        token: "tok".into(),
        region: Some("eu".into()),
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

async fn records_read_export_stats_erase(db: &Db) {
    let store = &db.store;
    let alice = Subject([1; 16]);
    let bob = Subject([2; 16]);
    let mut inserted = Vec::new();
    for i in 0..10 {
        let r = record(
            if i % 2 == 0 { alice } else { bob },
            if i < 5 { "a.example" } else { "b.example" },
            i % 3 == 0,
        );
        store.insert(r.clone()).await.unwrap();
        inserted.push(r);
    }
    assert_eq!(
        store.get(inserted[3].id).await.unwrap().as_ref(),
        Some(&inserted[3])
    );
    assert_eq!(store.get(Uuid::now_v7()).await.unwrap(), None);
    assert_eq!(store.subject_records(alice).await.unwrap().len(), 5);

    let page1 = store
        .export_page(RecordFilter::default(), None, 4)
        .await
        .unwrap();
    let page2 = store
        .export_page(RecordFilter::default(), Some(page1[3].id), 100)
        .await
        .unwrap();
    let all: Vec<_> = page1.iter().chain(&page2).cloned().collect();
    assert_eq!(all, inserted);
    let only_b = RecordFilter {
        site: Some("b.example".into()),
        ..RecordFilter::default()
    };
    assert_eq!(
        store.export_page(only_b, None, 100).await.unwrap(),
        inserted[5..]
    );
    let window = RecordFilter {
        since_ms: Some(inserted[2].ts_ms),
        until_ms: Some(inserted[9].ts_ms + 1),
        ..RecordFilter::default()
    };
    let in_window = store.export_page(window, None, 100).await.unwrap();
    assert!(in_window.iter().all(|r| r.ts_ms >= inserted[2].ts_ms));
    assert!(in_window.contains(&inserted[9]));

    let stats = store.stats(RecordFilter::default()).await.unwrap();
    assert_eq!(stats.records, 10);
    assert_eq!(stats.sites["a.example"].subjects, 2);
    assert_eq!(stats.sites["a.example"].by_method["banner"], 5);
    assert_eq!(stats.sites["a.example"].gpc, 5);
    // Latest per subject on a.example: alice i=4 (denied), bob i=3 (granted).
    assert_eq!(stats.sites["a.example"].granted_latest["analytics"], 1);
    assert_eq!(stats.sites["a.example"].granted_latest["essential"], 2);

    assert_eq!(store.erase_subject(alice).await.unwrap(), 5);
    assert_eq!(store.erase_subject(alice).await.unwrap(), 0);
    assert!(store.subject_records(alice).await.unwrap().is_empty());
    assert_eq!(store.count().await.unwrap(), 5);
    store.ping().await.unwrap();
    store.close().await.unwrap();
    assert_eq!(
        store.insert(record(bob, "a.example", true)).await,
        Err(StoreError::Closed)
    );

    let reopened = db.reopen().await;
    assert_eq!(reopened.count().await.unwrap(), 5);
    assert_eq!(
        reopened.subject_records(bob).await.unwrap(),
        [1, 3, 5, 7, 9].map(|i| inserted[i].clone())
    );
    reopened.close().await.unwrap();
}

async fn records_append_only(db: &Db) {
    let store = &db.store;
    let r = record(Subject([3; 16]), "a.example", true);
    store.insert(r.clone()).await.unwrap();
    // A duplicate id is refused and the rest of its batch (inserted concurrently) is unaffected.
    let others: Vec<ConsentRecord> = (0..20)
        .map(|i| record(Subject([4; 16]), "a.example", i % 2 == 0))
        .collect();
    let (dup, oks) = tokio::join!(
        store.insert(r.clone()),
        futures_util::future::join_all(others.iter().cloned().map(|o| store.insert(o))),
    );
    assert!(matches!(dup, Err(StoreError::Backend(_))), "{dup:?}");
    assert!(oks.iter().all(Result::is_ok), "{oks:?}");
    assert_eq!(store.count().await.unwrap(), 21);
    assert_eq!(store.get(r.id).await.unwrap(), Some(r));
    let err = (db.raw)("UPDATE consent_records SET site = 'x'").unwrap_err();
    assert!(err.contains("append-only"), "{err}");
}

async fn export_pages_in_id_order(db: &Db) {
    let store = &db.store;
    // Inserted concurrently (so in shared batches) by several subjects on two sites.
    let records: Vec<ConsentRecord> = (0..300u16)
        .map(|i| {
            let site = ["a.example", "b.example"][usize::from(i % 2)];
            record(Subject([(i % 7) as u8; 16]), site, i % 3 == 0)
        })
        .collect();
    let results =
        futures_util::future::join_all(records.iter().cloned().map(|r| store.insert(r))).await;
    assert!(results.iter().all(Result::is_ok));
    let mut ids: Vec<Uuid> = records.iter().map(|r| r.id).collect();
    ids.sort();
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = store
            .export_page(RecordFilter::default(), after, 64)
            .await
            .unwrap();
        assert!(page.len() <= 64);
        seen.extend(page.iter().map(|r| r.id));
        match page.last() {
            Some(last) if page.len() == 64 => after = Some(last.id),
            _ => break,
        }
    }
    assert_eq!(seen, ids, "every record once, in id order");
    let only_a = RecordFilter {
        site: Some("a.example".into()),
        ..RecordFilter::default()
    };
    let a = store.export_page(only_a, None, 1000).await.unwrap();
    assert_eq!(a.len(), 150);
    assert!(a.iter().all(|r| r.site == "a.example"));
    assert!(a.windows(2).all(|w| w[0].id < w[1].id));
}

/// Many writers at once (inserts, erasures, e-mail changes), statistics read meanwhile: every acknowledged
/// write is there afterwards, and each statistics answer is consistent in itself (one snapshot: a subject's
/// latest record is counted only if the subject is, so `granted_latest["essential"]` equals `subjects`).
async fn concurrent_writers(db: &Db) {
    let store = &db.store;
    let doomed = Subject([9; 16]);
    for _ in 0..5 {
        store
            .insert(record(doomed, "a.example", true))
            .await
            .unwrap();
    }
    let subjects: Vec<Subject> = (0..40u8).map(|i| Subject([100 + i; 16])).collect();
    let inserts = futures_util::future::join_all(
        subjects
            .iter()
            .flat_map(|s| (0..5).map(move |i| store.insert(record(*s, "a.example", i % 2 == 0)))),
    );
    let stats_reads = async {
        let mut answers = Vec::new();
        for _ in 0..20 {
            answers.push(store.stats(RecordFilter::default()).await.unwrap());
            tokio::task::yield_now().await;
        }
        answers
    };
    let keys = EmailKeys::from_secret(&[5; 32]);
    let subscribes = futures_util::future::join_all((0..20).map(|i| {
        let t = ConfirmToken::generate().unwrap();
        store.email_subscribe(request(&keys, &format!("w{i}@example.com"), &t, T0))
    }));
    let (inserted, answers, subscribed, erased) = tokio::join!(
        inserts,
        stats_reads,
        subscribes,
        store.erase_subject(doomed)
    );
    assert!(inserted.iter().all(Result::is_ok), "{inserted:?}");
    assert!(
        subscribed
            .iter()
            .all(|s| *s.as_ref().unwrap() == SubscribeOutcome::Pending)
    );
    assert_eq!(erased.unwrap(), 5);
    for stats in answers {
        if let Some(a) = stats.sites.get("a.example") {
            assert_eq!(stats.records, a.records);
            assert_eq!(a.by_method.values().sum::<u64>(), a.records);
            assert!(a.subjects <= a.records, "{stats:?}");
            assert_eq!(
                a.granted_latest.get("essential").copied().unwrap_or(0),
                a.subjects,
                "{stats:?}"
            );
        }
    }
    assert_eq!(store.count().await.unwrap(), 200);
    let stats = store.stats(RecordFilter::default()).await.unwrap();
    assert_eq!(stats.sites["a.example"].subjects, 40);
    assert_eq!(store.email_subscriptions(None).await.unwrap().len(), 20);
    assert_eq!(store.email_events(None).await.unwrap().len(), 20);
}

// --- e-mail consent -------------------------------------------------------------------------------------------

const T0: i64 = 1_790_000_000_000;
const TTL_MS: i64 = CONFIRM_VALIDITY_SECS as i64 * 1000;

fn request(keys: &EmailKeys, email: &str, token: &ConfirmToken, now_ms: i64) -> SubscribeRequest {
    let address = EmailAddress::parse(email).unwrap();
    SubscribeRequest {
        subject: keys.pseudonym(&address),
        address,
        list: ListId::new("newsletter").unwrap(),
        site: "example.com".into(),
        notice_hash: "ab".repeat(32),
        language: "en".into(),
        tracking: false,
        confirm_hash: token.hash,
        confirm_expires_ms: now_ms + TTL_MS,
        now_ms,
        over_limit: false,
    }
}

async fn email_double_opt_in(db: &Db) {
    let store = &db.store;
    let keys = EmailKeys::from_secret(&[1; 32]);
    let t1 = ConfirmToken::generate().unwrap();
    let r = request(&keys, "Ann@example.com", &t1, T0);
    assert_eq!(
        store.email_subscribe(r.clone()).await.unwrap(),
        SubscribeOutcome::Pending
    );
    let subs = store.email_subscriptions(Some(r.subject)).await.unwrap();
    assert_eq!(subs.len(), 1);
    assert!(!subs[0].can_send());
    assert_eq!(subs[0].address.as_deref(), Some("Ann@example.com"));

    // Expired one millisecond after the window; nothing changes. An unknown hash is unknown.
    let h1 = hash_token(&t1.token).unwrap();
    assert_eq!(
        store.email_confirm(h1, T0 + TTL_MS).await.unwrap(),
        ConfirmResult::Expired
    );
    assert_eq!(
        store.email_confirm([9; 32], T0).await.unwrap(),
        ConfirmResult::Unknown
    );
    assert_eq!(
        store.email_subscriptions(Some(r.subject)).await.unwrap()[0].state,
        SubscriptionState::Pending
    );

    // A new request replaces the token: the old link is unknown, the new one confirms once.
    let t2 = ConfirmToken::generate().unwrap();
    let r2 = request(&keys, "ann@example.com", &t2, T0 + TTL_MS + 1);
    assert_eq!(
        store.email_subscribe(r2).await.unwrap(),
        SubscribeOutcome::Pending
    );
    assert_eq!(
        store.email_confirm(h1, T0 + TTL_MS + 2).await.unwrap(),
        ConfirmResult::Unknown
    );
    let h2 = hash_token(&t2.token).unwrap();
    let ConfirmResult::Confirmed(sub) = store.email_confirm(h2, T0 + TTL_MS + 3).await.unwrap()
    else {
        panic!("not confirmed")
    };
    assert!(sub.can_send());
    assert_eq!(sub.confirmed_ms, Some(T0 + TTL_MS + 3));
    assert_eq!(
        store.email_subscriptions(Some(r.subject)).await.unwrap(),
        [*sub]
    );
    assert_eq!(
        store.email_confirm(h2, T0 + TTL_MS + 4).await.unwrap(),
        ConfirmResult::Used
    );
    // Subscribing again while confirmed changes nothing ...
    let t3 = ConfirmToken::generate().unwrap();
    assert_eq!(
        store
            .email_subscribe(request(&keys, "ann@example.com", &t3, T0 + TTL_MS + 5))
            .await
            .unwrap(),
        SubscribeOutcome::AlreadyConfirmed
    );
    // ... and over the per-address limit neither, but both are recorded like any other request (the same work,
    // so the same latency).
    let mut limited = request(&keys, "ann@example.com", &t3, T0 + TTL_MS + 6);
    limited.over_limit = true;
    assert_eq!(
        store.email_subscribe(limited).await.unwrap(),
        SubscribeOutcome::OverLimit
    );
    assert!(store.email_subscriptions(Some(r.subject)).await.unwrap()[0].can_send());
    let history = store.email_events(Some(r.subject)).await.unwrap();
    let kinds: Vec<EventKind> = history.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [
            EventKind::Requested,
            EventKind::Requested,
            EventKind::Confirmed,
            EventKind::Requested,
            EventKind::Requested
        ]
    );
    assert_eq!(history[0].detail["outcome"], "pending");
    assert_eq!(history[3].detail["outcome"], "already_confirmed");
    assert_eq!(history[4].detail["outcome"], "over_limit");
    assert_eq!(history[3].detail["previous_state"], "confirmed");
}

async fn email_unsubscribe(db: &Db) {
    let store = &db.store;
    let keys = EmailKeys::from_secret(&[1; 32]);
    let t1 = ConfirmToken::generate().unwrap();
    let r = request(&keys, "ann@example.com", &t1, T0);
    store.email_subscribe(r.clone()).await.unwrap();
    store.email_confirm(t1.hash, T0 + 1).await.unwrap();
    let unsubscribe =
        |subject, method, at| store.email_unsubscribe(subject, r.list.clone(), method, at);
    assert!(
        unsubscribe(r.subject, UnsubscribeMethod::OneClick, T0 + 2)
            .await
            .unwrap()
    );
    assert!(
        !unsubscribe(r.subject, UnsubscribeMethod::OneClick, T0 + 3)
            .await
            .unwrap()
    );
    let sup = store.email_suppressions().await.unwrap();
    assert_eq!(sup.len(), 1);
    assert_eq!(
        (
            sup[0].email.as_deref(),
            sup[0].unsubscribed_ms,
            sup[0].method.as_deref()
        ),
        (Some("ann@example.com"), T0 + 2, Some("one_click"))
    );
    let events = store.email_events(Some(r.subject)).await.unwrap();
    let last = events.last().unwrap();
    assert_eq!(last.kind, EventKind::Unsubscribed);
    assert_eq!(last.detail["previous_state"], "confirmed");
    assert_eq!(last.detail["method"], "one_click");

    // Re-subscribe: pending, still suppressed, until confirmed.
    let t2 = ConfirmToken::generate().unwrap();
    store
        .email_subscribe(request(&keys, "ann@example.com", &t2, T0 + 4))
        .await
        .unwrap();
    assert!(!store.email_subscriptions(Some(r.subject)).await.unwrap()[0].can_send());
    assert_eq!(store.email_suppressions().await.unwrap().len(), 1);
    assert!(matches!(
        store.email_confirm(t2.hash, T0 + 5).await.unwrap(),
        ConfirmResult::Confirmed(_)
    ));
    assert!(store.email_suppressions().await.unwrap().is_empty());

    // An address never seen is suppressed by pseudonym only; suppressions are listed oldest first.
    let stranger = keys.pseudonym(&EmailAddress::parse("bob@example.com").unwrap());
    assert!(
        unsubscribe(stranger, UnsubscribeMethod::Page, T0 + 6)
            .await
            .unwrap()
    );
    assert!(
        unsubscribe(r.subject, UnsubscribeMethod::Mailto, T0 + 7)
            .await
            .unwrap()
    );
    let sup = store.email_suppressions().await.unwrap();
    assert_eq!(
        sup.iter()
            .map(|s| (s.email.as_deref(), s.subject.clone(), s.unsubscribed_ms))
            .collect::<Vec<_>>(),
        [
            (None, stranger.to_string(), T0 + 6),
            (Some("ann@example.com"), r.subject.to_string(), T0 + 7)
        ]
    );
    assert_eq!(store.email_subscriptions(None).await.unwrap().len(), 2);
}

async fn email_tracking_and_erasure(db: &Db) {
    let store = &db.store;
    let keys = EmailKeys::from_secret(&[1; 32]);
    let t = ConfirmToken::generate().unwrap();
    let mut r = request(&keys, "ann@example.com", &t, T0);
    // Pending: nothing recorded even with tracking consent.
    r.tracking = true;
    store.email_subscribe(r.clone()).await.unwrap();
    let track = |subject, kind, url: Option<&str>, at| {
        store.email_track(subject, r.list.clone(), kind, url.map(str::to_owned), at)
    };
    assert!(
        !track(r.subject, TrackKind::Open, None, T0 + 1)
            .await
            .unwrap()
    );
    store.email_confirm(t.hash, T0 + 2).await.unwrap();
    assert!(
        track(
            r.subject,
            TrackKind::Click,
            Some("https://example.com/a"),
            T0 + 3
        )
        .await
        .unwrap()
    );
    // Replays within the same clock hour add nothing; another URL, or the next hour, does.
    let hour_start = T0 - T0.rem_euclid(3_600_000);
    let click = |url, at| track(r.subject, TrackKind::Click, Some(url), at);
    assert!(!click("https://example.com/a", T0 + 4).await.unwrap());
    assert!(
        !click("https://example.com/a", hour_start + 3_599_999)
            .await
            .unwrap()
    );
    assert!(
        track(r.subject, TrackKind::Open, None, T0 + 5)
            .await
            .unwrap()
    );
    assert!(
        !track(r.subject, TrackKind::Open, None, T0 + 6)
            .await
            .unwrap()
    );
    assert!(click("https://example.com/b", T0 + 7).await.unwrap());
    assert!(
        click("https://example.com/a", hour_start + 3_600_000)
            .await
            .unwrap()
    );
    // Confirmed without tracking consent: nothing.
    let t2 = ConfirmToken::generate().unwrap();
    let r2 = request(&keys, "bob@example.com", &t2, T0);
    store.email_subscribe(r2.clone()).await.unwrap();
    store.email_confirm(t2.hash, T0 + 1).await.unwrap();
    assert!(
        !track(r2.subject, TrackKind::Open, None, T0 + 3)
            .await
            .unwrap()
    );
    let clicks: Vec<_> = store
        .email_events(None)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == EventKind::Click)
        .collect();
    assert_eq!(clicks.len(), 3);
    assert_eq!(clicks[0].detail["url"], "https://example.com/a");

    // Events are append-only.
    let err = (db.raw)("UPDATE email_events SET kind = 'x'").unwrap_err();
    assert!(err.contains("append-only"), "{err}");
    // 1 subscription + requested, confirmed, 3 clicks, 1 open; nothing of anybody else.
    assert_eq!(store.email_erase(r.subject).await.unwrap(), 7);
    assert!(
        store
            .email_subscriptions(Some(r.subject))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .email_events(Some(r.subject))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store
            .email_subscriptions(Some(r2.subject))
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(store.email_events(None).await.unwrap().len(), 2);
    assert_eq!(store.email_erase(r.subject).await.unwrap(), 0);
}

async fn email_export_pages(db: &Db) {
    let store = &db.store;
    let keys = EmailKeys::from_secret(&[3; 32]);
    let mut subjects = Vec::new();
    for (i, site) in ["a.example", "b.example", "a.example"].iter().enumerate() {
        let t = ConfirmToken::generate().unwrap();
        let mut r = request(&keys, &format!("p{i}@example.com"), &t, T0);
        r.site = (*site).into();
        r.tracking = true;
        store.email_subscribe(r.clone()).await.unwrap();
        store.email_confirm(t.hash, T0 + 1).await.unwrap();
        // 200 distinct clicks each, concurrently (the writers batch them).
        let clicks = futures_util::future::join_all((0..200).map(|n| {
            store.email_track(
                r.subject,
                r.list.clone(),
                TrackKind::Click,
                Some(format!("https://example.com/{n}")),
                T0 + 2 + n,
            )
        }))
        .await;
        assert!(clicks.into_iter().all(|c| c.unwrap()));
        subjects.push(r.subject.to_string());
    }
    let all = RecordFilter::default();
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = store
            .email_events_page(all.clone(), after.clone(), 250)
            .await
            .unwrap();
        assert!(page.len() <= 250);
        seen.extend(page.iter().map(|e| e.id.clone()));
        if page.len() < 250 {
            break;
        }
        after = page.last().map(|e| e.id.clone());
    }
    assert_eq!(
        seen.len(),
        3 * 202,
        "every event once (3 × requested, confirmed, 200 clicks)"
    );
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "in id order");
    let site_a = RecordFilter {
        site: Some("a.example".into()),
        ..Default::default()
    };
    let a_events = store
        .email_events_page(site_a.clone(), None, 10_000)
        .await
        .unwrap();
    assert_eq!(a_events.len(), 2 * 202);
    assert!(a_events.iter().all(|e| e.subject != subjects[1]));
    let first = store
        .email_subscriptions_page(all.clone(), None, 2)
        .await
        .unwrap();
    assert_eq!(first.len(), 2);
    let last = first.last().map(|s| (s.subject.clone(), s.list.clone()));
    let rest = store.email_subscriptions_page(all, last, 2).await.unwrap();
    assert_eq!(rest.len(), 1);
    assert!(!first.iter().any(|s| s.subject == rest[0].subject));
    assert_eq!(
        store
            .email_subscriptions_page(site_a, None, 10)
            .await
            .unwrap()
            .len(),
        2
    );
}
