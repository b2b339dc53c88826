//! The claims a consent token carries.

use core::fmt;
use core::str::FromStr;

use assent_core::{Category, CategorySet};
use serde::ser::{Serialize, SerializeStruct, Serializer};

use crate::lengths::{RECORD_ID_LEN, SUBJECT_ID_LEN};

/// The id of the stored proof of consent (a UUIDv7 made by the server), 16 bytes.
///
/// Displayed and parsed as a hyphenated lowercase UUID: `0190c3a2-5b1e-7c4d-8e9f-0123456789ab`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RecordId(pub [u8; RECORD_ID_LEN]);

/// The visitor's pseudonymous id: 12 random bytes (96 bits) chosen once per browser.
///
/// Displayed and parsed as base64url (always 16 characters).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SubjectId(pub [u8; SUBJECT_ID_LEN]);

/// The privacy signals the browser sent when the choice was made.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Signals {
    /// `DNT: 1` (Do Not Track) was seen.
    pub dnt: bool,
    /// `Sec-GPC: 1` (Global Privacy Control) was seen.
    pub gpc: bool,
}

/// What a consent token says. Only trust it inside a [`Verified`](crate::Verified).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsentClaims {
    /// The stored proof of consent this token was issued for.
    pub record_id: RecordId,
    /// The visitor's pseudonymous id (random per browser).
    pub subject_id: SubjectId,
    /// Unix seconds when the token was issued (the token encodes `0..=u32::MAX`).
    pub issued_at: u64,
    /// Unix seconds when the token stops being valid; always after `issued_at` (at most `u32::MAX`).
    pub expires_at: u64,
    /// Revision of the site configuration the visitor saw when choosing.
    pub config_revision: u32,
    /// Granted categories as a bitmap over category indices: 0 essential (always set), 1 analytics,
    /// 2 remarketing, 3 marketing email, 4.. custom categories in the site config's order.
    pub granted: CategorySet,
    /// Privacy signals seen when the choice was made.
    pub signals: Signals,
    /// The site the consent is for: 1–64 visible ASCII characters (`!`..`~`), e.g. `example.com`.
    pub site_id: String,
    /// The region whose rules applied (`eu`, `us_states`, …: 1–32 characters of `a-z0-9_`), when the site
    /// configures regions. A token with a region is format version 2; without, version 1.
    pub region: Option<String>,
}

impl ConsentClaims {
    /// Whether a built-in category is granted. Essential is always granted.
    ///
    /// A [`Category::Custom`] has no fixed index, so this returns `false` for it (fail closed): look its index up
    /// in the site config and call [`ConsentClaims::granted_index`].
    pub fn granted(&self, category: &Category) -> bool {
        match category.builtin_index() {
            Some(0) => true,
            Some(index) => self.granted.contains(index),
            None => false,
        }
    }

    /// Whether the category with this bitmap index (built-in 0–3, custom 4–63) is granted.
    pub fn granted_index(&self, index: u8) -> bool {
        index == 0 || self.granted.contains(index)
    }

    /// The region whose rules applied when the visitor chose, if the site uses regions.
    pub fn region(&self) -> Option<&str> {
        self.region.as_deref()
    }

    /// The claims as JSON (`region` only when present), the same shape as `tests/vectors/tokens.json` and `assent token verify` print.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("claims always serialize")
    }
}

impl Serialize for ConsentClaims {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("ConsentClaims", 9)?;
        s.serialize_field("record_id", &self.record_id.to_string())?;
        s.serialize_field("subject_id", &self.subject_id.to_string())?;
        s.serialize_field("issued_at", &self.issued_at)?;
        s.serialize_field("expires_at", &self.expires_at)?;
        s.serialize_field("config_revision", &self.config_revision)?;
        s.serialize_field("granted", &self.granted.indices().collect::<Vec<u8>>())?;
        s.serialize_field("signals", &SignalsJson(self.signals))?;
        s.serialize_field("site_id", &self.site_id)?;
        if let Some(region) = &self.region {
            s.serialize_field("region", region)?;
        }
        s.end()
    }
}

struct SignalsJson(Signals);

impl Serialize for SignalsJson {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Signals", 2)?;
        s.serialize_field("dnt", &self.0.dnt)?;
        s.serialize_field("gpc", &self.0.gpc)?;
        s.end()
    }
}

/// A record or subject id that could not be parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvalidId;

impl fmt::Display for InvalidId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "expected a hyphenated UUID (record id) or 16 base64url characters (subject id)",
        )
    }
}

impl std::error::Error for InvalidId {}

impl fmt::Display for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, b) in self.0.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                f.write_str("-")?;
            }
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RecordId({self})")
    }
}

impl FromStr for RecordId {
    type Err = InvalidId;

    /// Parses a hyphenated UUID (`8-4-4-4-12` hex digits, either case).
    fn from_str(s: &str) -> Result<Self, InvalidId> {
        let bytes = s.as_bytes();
        if bytes.len() != 36 {
            return Err(InvalidId);
        }
        let mut out = [0u8; RECORD_ID_LEN];
        let mut nibbles = bytes
            .iter()
            .enumerate()
            .filter(|(i, _)| !matches!(i, 8 | 13 | 18 | 23));
        for (i, &c) in bytes.iter().enumerate() {
            if matches!(i, 8 | 13 | 18 | 23) && c != b'-' {
                return Err(InvalidId);
            }
        }
        for byte in &mut out {
            let (_, hi) = nibbles.next().ok_or(InvalidId)?;
            let (_, lo) = nibbles.next().ok_or(InvalidId)?;
            *byte = (hex(*hi)? << 4) | hex(*lo)?;
        }
        Ok(RecordId(out))
    }
}

fn hex(c: u8) -> Result<u8, InvalidId> {
    match c {
        b'0'..=b'9' => Ok(c - b'0'),
        b'a'..=b'f' => Ok(c - b'a' + 10),
        b'A'..=b'F' => Ok(c - b'A' + 10),
        _ => Err(InvalidId),
    }
}

impl fmt::Display for SubjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&assent_core::base64url::encode(&self.0))
    }
}

impl fmt::Debug for SubjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SubjectId({self})")
    }
}

impl FromStr for SubjectId {
    type Err = InvalidId;

    /// Parses 16 characters of canonical base64url.
    fn from_str(s: &str) -> Result<Self, InvalidId> {
        let bytes = assent_core::base64url::decode(s).map_err(|_| InvalidId)?;
        Ok(SubjectId(bytes.try_into().map_err(|_| InvalidId)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(granted: u64) -> ConsentClaims {
        ConsentClaims {
            record_id: RecordId([0; 16]),
            subject_id: SubjectId([0; 12]),
            issued_at: 0,
            expires_at: 1,
            config_revision: 0,
            granted: CategorySet(granted),
            signals: Signals::default(),
            site_id: "example.com".into(),
            region: None,
        }
    }

    #[test]
    fn granted_reads_builtin_bits_and_fails_closed_for_custom() {
        let c = claims(0b1_0011);
        assert!(c.granted(&Category::Essential));
        assert!(c.granted(&Category::Analytics));
        assert!(!c.granted(&Category::Remarketing));
        assert!(!c.granted(&Category::MarketingEmail));
        assert!(!c.granted(&Category::Custom("functional".into())));
        assert!(c.granted_index(4));
        assert!(!c.granted_index(5));
        assert!(!c.granted_index(64));
        // Essential is granted even if a caller built claims without bit 0.
        assert!(claims(0).granted(&Category::Essential));
    }

    #[test]
    fn record_id_round_trips_as_uuid() {
        let id = RecordId([
            0x01, 0x90, 0xc3, 0xa2, 0x5b, 0x1e, 0x7c, 0x4d, 0x8e, 0x9f, 0x01, 0x23, 0x45, 0x67,
            0x89, 0xab,
        ]);
        assert_eq!(id.to_string(), "0190c3a2-5b1e-7c4d-8e9f-0123456789ab");
        assert_eq!("0190C3A2-5B1E-7C4D-8E9F-0123456789AB".parse(), Ok(id));
        for bad in [
            "0190c3a2-5b1e-7c4d-8e9f-0123456789a",
            "0190c3a2x5b1e-7c4d-8e9f-0123456789ab",
            "0190c3a2-5b1e-7c4d-8e9f-0123456789ag",
            "0190c3a25b1e7c4d8e9f0123456789ab",
        ] {
            assert_eq!(bad.parse::<RecordId>(), Err(InvalidId), "{bad}");
        }
    }

    #[test]
    fn subject_id_round_trips_as_base64url() {
        let id = SubjectId([0xfb; 12]);
        assert_eq!(id.to_string().len(), 16);
        assert_eq!(id.to_string().parse(), Ok(id));
        assert_eq!("short".parse::<SubjectId>(), Err(InvalidId));
    }

    #[test]
    fn json_shape() {
        let c = claims(0b111);
        assert_eq!(
            c.to_json(),
            serde_json::json!({
                "record_id": "00000000-0000-0000-0000-000000000000",
                "subject_id": "AAAAAAAAAAAAAAAA",
                "issued_at": 0,
                "expires_at": 1,
                "config_revision": 0,
                "granted": [0, 1, 2],
                "signals": {"dnt": false, "gpc": false},
                "site_id": "example.com",
            })
        );
    }
}
