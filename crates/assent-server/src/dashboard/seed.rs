//! A deterministic consent history for the demo (`assent dashboard seed`) and the overview benchmark
//! (`assent dashboard bench`), written through the store API.
//!
//! A seeded PRNG (SplitMix64) draws every visitor, choice and signal, so the same options give the same
//! records. Record ids are UUIDv7 built from each record's own time, so the export and the history stay in
//! time order.

use core::fmt::Write as _;

use assent_core::{Config, Method};
use sha2::{Digest, Sha256};

use crate::store::{ConsentRecord, Purpose, RecordSignals, Store, StoreError, Subject};
use crate::tokens::Keys;

/// SplitMix64: small, fast, good enough to draw a demo history; never used for secrets.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `[0, n)`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    fn bytes<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        for chunk in out.chunks_mut(8) {
            let v = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
        out
    }
}

/// What history to write for one site.
#[derive(Clone, Debug)]
pub struct SiteHistory {
    /// The site's config (categories, policy URL, re-consent period).
    pub config: Config,
    /// Revision of the older records; those from `change_day` on carry `config.revision + revision_step`.
    pub revision_step: u32,
    /// Day (0 = the first day) from which the newer revision applies.
    pub change_day: u32,
    /// Mean records per day.
    pub per_day: u32,
}

/// How to draw the history.
#[derive(Clone, Debug)]
pub struct SeedOptions {
    /// PRNG seed.
    pub seed: u64,
    /// The days covered, ending with the day of `now_ms` (records never lie after `now_ms`).
    pub days: u32,
    /// "Now", Unix milliseconds.
    pub now_ms: i64,
    /// Share of visitors with GPC on.
    pub gpc: f64,
    /// Share with DNT on.
    pub dnt: f64,
}

/// Draws the records of one site (not yet stored). `keys` signs their tokens; without keys (the benchmark)
/// the token is a placeholder that does not verify.
pub fn site_records(
    site: &SiteHistory,
    opts: &SeedOptions,
    keys: Option<&Keys>,
    rng: &mut Rng,
) -> Vec<ConsentRecord> {
    let config = &site.config;
    let first_day = opts.now_ms.div_euclid(86_400_000) - i64::from(opts.days) + 1;
    let mut out = Vec::new();
    let mut returning: Vec<Subject> = Vec::new();
    for day in 0..opts.days {
        let start = (first_day + i64::from(day)) * 86_400_000;
        // Fewer visitors at the weekend (day 3 of the epoch was a Sunday), ±20 % noise.
        let weekday = (first_day + i64::from(day) + 4).rem_euclid(7);
        let weekend = if weekday == 0 || weekday == 6 {
            0.6
        } else {
            1.0
        };
        let noise = 0.8 + 0.4 * rng.unit();
        let n = (f64::from(site.per_day) * weekend * noise).round() as u64;
        let after = day >= site.change_day;
        let revision = if after {
            config.revision + site.revision_step
        } else {
            config.revision
        };
        // After the change (a clearer "Reject all"), more visitors reject.
        let (accept, reject) = if after { (0.47, 0.37) } else { (0.58, 0.26) };
        let notice = hex(&Sha256::digest(format!(
            "{} notice revision {revision}",
            config.site
        )));
        for _ in 0..n {
            let ts_ms = start + rng.below(86_400_000) as i64;
            if ts_ms > opts.now_ms {
                continue;
            }
            let gpc = rng.unit() < opts.gpc;
            let dnt = rng.unit() < opts.dnt;
            let draw = rng.unit();
            let (method, choice): (Method, fn(&mut Rng, bool) -> bool) = if draw < accept {
                (Method::Banner, |_, _| true)
            } else if draw < accept + reject {
                (Method::Banner, |_, _| false)
            } else {
                (Method::Preferences, |rng, _| rng.unit() < 0.5)
            };
            let purposes: Vec<Purpose> = config
                .categories
                .iter()
                .map(|c| {
                    let essential = c.category.is_essential();
                    // GPC denies the categories that sell or share (the engine does this in the browser).
                    let granted = essential || (!(gpc && c.sale_or_share) && choice(rng, gpc));
                    Purpose {
                        category: c.category.name().to_owned(),
                        index: c.index,
                        granted,
                    }
                })
                .collect();
            let subject = if !returning.is_empty() && rng.unit() < 0.1 {
                returning[rng.below(returning.len() as u64) as usize]
            } else {
                let s = Subject(rng.bytes());
                if returning.len() < 10_000 {
                    returning.push(s);
                }
                s
            };
            let id =
                uuid::Builder::from_unix_timestamp_millis(ts_ms as u64, &rng.bytes()).into_uuid();
            let mut record = ConsentRecord {
                id,
                site: config.site.clone(),
                subject,
                ts_ms,
                decided_at: Some((ts_ms / 1000) as u64),
                expires_at: (ts_ms / 1000) as u64 + u64::from(config.reconsent_days) * 86_400,
                revision,
                notice_hash: notice.clone(),
                policy_url: config.policy_url.clone(),
                purposes,
                signals: RecordSignals {
                    dnt,
                    gpc,
                    gpc_header: gpc,
                },
                language: ["en", "en", "en", "de", "fr"][rng.below(5) as usize].into(),
                method,
                sdk_version: "0.1.0".into(),
                kid: String::new(),
                token: String::new(),
                region: None,
            };
            if let Some(keys) = keys {
                record.kid = keys.kid();
                record.token = keys.mint(&record).unwrap_or_default();
            } else {
                record.kid = "seeded".into();
                record.token = "seeded".into();
            }
            out.push(record);
        }
    }
    out.sort_by_key(|r| r.id);
    out
}

/// Stores records, `concurrency` inserts at a time (the SQLite writer commits them in groups).
pub async fn insert_all(
    store: &dyn Store,
    records: Vec<ConsentRecord>,
    concurrency: usize,
) -> Result<u64, StoreError> {
    let mut stored = 0;
    let mut records = records.into_iter().peekable();
    while records.peek().is_some() {
        let batch: Vec<ConsentRecord> = records.by_ref().take(concurrency.max(1)).collect();
        let n = batch.len() as u64;
        let results =
            futures_util::future::join_all(batch.into_iter().map(|r| store.insert(r))).await;
        for r in results {
            r?;
        }
        stored += n;
    }
    Ok(stored)
}

/// Subscribers of one list over the days of `opts`: a few requests a day, most confirmed within hours, some
/// unsubscribing later by one-click, the page or the admin. Returns (requests, confirmed, unsubscribed).
pub async fn seed_email(
    store: &dyn Store,
    keys: &crate::email::EmailKeys,
    site: &str,
    list: &str,
    opts: &SeedOptions,
    rng: &mut Rng,
) -> Result<(u64, u64, u64), StoreError> {
    use crate::email::store::{ConfirmResult, SubscribeRequest};
    let list = crate::email::ListId::new(list)
        .map_err(|_| StoreError::Config(format!("list {list:?}")))?;
    let first_day = opts.now_ms.div_euclid(86_400_000) - i64::from(opts.days) + 1;
    let (mut requested, mut confirmed, mut unsubscribed) = (0, 0, 0);
    for day in 0..opts.days {
        for _ in 0..=rng.below(5) {
            let t = (first_day + i64::from(day)) * 86_400_000 + rng.below(80_000_000) as i64;
            if t > opts.now_ms {
                continue;
            }
            let n = rng.next_u64() % 1_000_000;
            let address = crate::email::EmailAddress::parse(&format!("reader{n}@example.com"))
                .map_err(|e| StoreError::Config(e.to_string()))?;
            let confirm: [u8; 32] = rng.bytes();
            let subject = keys.pseudonym(&address);
            store
                .email_subscribe(SubscribeRequest {
                    subject,
                    address,
                    list: list.clone(),
                    site: site.to_owned(),
                    notice_hash: hex(&Sha256::digest(b"newsletter notice")),
                    language: "en".into(),
                    tracking: rng.unit() < 0.3,
                    confirm_hash: confirm,
                    confirm_expires_ms: t + 86_400_000,
                    now_ms: t,
                    over_limit: false,
                })
                .await?;
            requested += 1;
            let confirmed_at = t + rng.below(6 * 3_600_000) as i64;
            if rng.unit() > 0.8 || confirmed_at > opts.now_ms {
                continue;
            }
            if matches!(
                store.email_confirm(confirm, confirmed_at).await?,
                ConfirmResult::Confirmed(_)
            ) {
                confirmed += 1;
            }
            let gone_at = confirmed_at + rng.below(20 * 86_400_000) as i64;
            if rng.unit() < 0.15 && gone_at <= opts.now_ms {
                use crate::email::store::UnsubscribeMethod as M;
                let method = [M::OneClick, M::OneClick, M::Page, M::Mailto][rng.below(4) as usize];
                if store
                    .email_unsubscribe(subject, list.clone(), method, gone_at)
                    .await?
                {
                    unsubscribed += 1;
                }
            }
        }
    }
    Ok((requested, confirmed, unsubscribed))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn history() -> SiteHistory {
        let config = Config::from_json(
            r#"{"site": "s.example", "revision": 2, "policy_url": "/p",
                "categories": {"analytics": {}, "remarketing": {}}}"#,
        )
        .unwrap();
        SiteHistory {
            config,
            revision_step: 1,
            change_day: 5,
            per_day: 50,
        }
    }

    #[test]
    fn the_same_seed_draws_the_same_history_in_time_order() {
        let opts = SeedOptions {
            seed: 7,
            days: 10,
            now_ms: 1_796_083_200_000 + 43_200_000,
            gpc: 0.1,
            dnt: 0.05,
        };
        let a = site_records(&history(), &opts, None, &mut Rng::new(opts.seed));
        let b = site_records(&history(), &opts, None, &mut Rng::new(opts.seed));
        assert_eq!(a, b);
        assert!(a.len() > 200, "{}", a.len());
        assert!(a.windows(2).all(|w| w[0].ts_ms <= w[1].ts_ms));
        assert!(a.iter().all(|r| r.ts_ms <= opts.now_ms));
        assert!(a.iter().any(|r| r.revision == 2) && a.iter().any(|r| r.revision == 3));
        assert!(a.iter().any(|r| r.signals.gpc));
        // GPC visitors never grant remarketing (sale or share).
        assert!(
            a.iter()
                .filter(|r| r.signals.gpc)
                .all(|r| !r.purposes[2].granted)
        );
        let c = site_records(&history(), &opts, None, &mut Rng::new(8));
        assert_ne!(a, c);
    }
}
