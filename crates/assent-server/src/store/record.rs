//! The consent record and what is asked of the records: the visitor's pseudonymous [`Subject`], the
//! [`ConsentRecord`] with its receipt JSON, the export filter and the statistics.

use core::fmt;
use core::str::FromStr;
use std::collections::BTreeMap;

use assent_core::{CategorySet, Method};
use serde::Serialize;
use uuid::Uuid;

/// Version of the record layout written in exports and receipts (`schema_version`).
pub const SCHEMA_VERSION: u32 = 1;

/// The visitor's pseudonymous id: 16 random bytes chosen once per browser (by the browser, or by the server on
/// a first record without one). Shown as 22 characters of base64url.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Subject(pub [u8; Subject::LEN]);

impl Subject {
    /// Length in bytes.
    pub const LEN: usize = 16;

    /// A fresh random subject id.
    pub fn random() -> Subject {
        let mut bytes = [0u8; Subject::LEN];
        getrandom::getrandom(&mut bytes).expect("the operating system's random generator works");
        Subject(bytes)
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&assent_core::base64url::encode(&self.0))
    }
}

impl fmt::Debug for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Subject({self})")
    }
}

/// A subject id that is not 22 characters of canonical base64url.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvalidSubject;

impl fmt::Display for InvalidSubject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("subject must be 22 characters of base64url (16 bytes)")
    }
}

impl std::error::Error for InvalidSubject {}

impl FromStr for Subject {
    type Err = InvalidSubject;

    fn from_str(s: &str) -> Result<Subject, InvalidSubject> {
        if s.len() != 22 {
            return Err(InvalidSubject);
        }
        let bytes = assent_core::base64url::decode(s).map_err(|_| InvalidSubject)?;
        Ok(Subject(bytes.try_into().map_err(|_| InvalidSubject)?))
    }
}

/// One category's state in a record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Purpose {
    /// Category name (`analytics`, `remarketing`, a custom name…).
    pub category: String,
    /// Its bitmap index in the site's config (the index the token carries).
    pub index: u8,
    /// Whether it was granted.
    pub granted: bool,
}

/// The privacy signals of a record.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RecordSignals {
    /// Do Not Track was on (the page said so, or the request carried `DNT: 1`).
    pub dnt: bool,
    /// Global Privacy Control was on (the page said so, or the request carried `Sec-GPC: 1`).
    pub gpc: bool,
    /// The request itself carried `Sec-GPC: 1`.
    pub gpc_header: bool,
}

/// A stored proof of consent: one visitor's choice on one site (fields follow Kantara Consent Receipt v1.1 and
/// ISO/IEC TS 27560, see `docs/server.md`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsentRecord {
    /// UUIDv7 assigned by the server.
    pub id: Uuid,
    /// The site (config `site`), e.g. `example.com`; the data controller's site.
    pub site: String,
    /// The visitor's pseudonymous id.
    pub subject: Subject,
    /// Server time when the record was accepted, Unix milliseconds (UTC).
    pub ts_ms: i64,
    /// The browser's clock when the visitor chose, Unix seconds, as reported (not trusted).
    pub decided_at: Option<u64>,
    /// When the consent lapses and the visitor is asked again (server time + the site's `reconsent_days`), Unix
    /// seconds; also the token's expiry.
    pub expires_at: u64,
    /// Config revision the visitor saw (the notice version).
    pub revision: u32,
    /// SHA-256 of the notice text shown, 64 lowercase hex digits.
    pub notice_hash: String,
    /// The site's privacy policy URL at the time (config `policy_url`).
    pub policy_url: String,
    /// Every category presented, in the config's order, essential first.
    pub purposes: Vec<Purpose>,
    /// Privacy signals seen.
    pub signals: RecordSignals,
    /// Language of the notice shown (BCP 47 tag).
    pub language: String,
    /// How the choice was made.
    pub method: Method,
    /// Version of the browser SDK that collected it.
    pub sdk_version: String,
    /// Key id of the key that signed `token`.
    pub kid: String,
    /// The signed consent token issued for this record (its Ed25519 signature is the record's integrity proof).
    pub token: String,
    /// The region whose rules applied (`eu`, `us_states`, …), when the site uses regions; the token carries it.
    pub region: Option<String>,
}

impl ConsentRecord {
    /// The granted categories as a bitmap (essential always set).
    pub fn granted(&self) -> CategorySet {
        let mut set = CategorySet::EMPTY;
        set.insert(0);
        for p in self.purposes.iter().filter(|p| p.granted) {
            set.insert(p.index);
        }
        set
    }

    /// The presented categories as a bitmap.
    pub fn presented(&self) -> CategorySet {
        let mut set = CategorySet::EMPTY;
        for p in &self.purposes {
            set.insert(p.index);
        }
        set
    }

    /// The record as JSON, the shape of receipts and exports (`docs/server.md`).
    pub fn to_json(&self) -> serde_json::Value {
        let granted_at = self.ts_ms.div_euclid(1000) as u64;
        let purposes: Vec<serde_json::Value> = self
            .purposes
            .iter()
            .map(|p| {
                serde_json::json!({
                    "category": p.category,
                    "index": p.index,
                    "state": if p.granted { "granted" } else { "denied" },
                    "legal_basis": if p.index == 0 { "strictly_necessary" } else { "consent" },
                    "ts": granted_at,
                    "expires_at": self.expires_at,
                })
            })
            .collect();
        serde_json::json!({
            "record_id": self.id.to_string(),
            "schema_version": SCHEMA_VERSION,
            "site": self.site,
            "subject": self.subject.to_string(),
            "controller": { "site": self.site, "policy_url": self.policy_url },
            "ts": crate::time::rfc3339_millis(self.ts_ms),
            "ts_ms": self.ts_ms,
            "decided_at": self.decided_at,
            "expires_at": self.expires_at,
            "notice": {
                "revision": self.revision,
                "sha256": self.notice_hash,
                "policy_url": self.policy_url,
            },
            "purposes": purposes,
            "language": self.language,
            "collection": { "method": self.method.as_str(), "sdk_version": self.sdk_version },
            "signals": self.signals,
            "region": self.region,
            "withdrawal": { "method": "preferences", "url": self.policy_url },
            "signature": { "alg": "Ed25519", "kid": self.kid, "token": self.token },
        })
    }
}

/// Which records an export or statistics query covers. Empty fields match everything; times are server time,
/// Unix milliseconds, `since` inclusive and `until` exclusive.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecordFilter {
    /// Only this site.
    pub site: Option<String>,
    /// Only records accepted at or after this time.
    pub since_ms: Option<i64>,
    /// Only records accepted before this time.
    pub until_ms: Option<i64>,
}

/// Aggregate figures per site.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    /// Records matched in total.
    pub records: u64,
    /// Per site.
    pub sites: BTreeMap<String, SiteStats>,
}

/// Aggregate figures for one site.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SiteStats {
    /// Records matched.
    pub records: u64,
    /// Distinct subjects among them.
    pub subjects: u64,
    /// Records per collection method (`banner`, `preferences`, `api`, `withdraw`).
    pub by_method: BTreeMap<String, u64>,
    /// For each category: how many subjects' latest matched record grants it.
    pub granted_latest: BTreeMap<String, u64>,
    /// Records with GPC on.
    pub gpc: u64,
}
