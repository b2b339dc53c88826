//! The visitor's stored choice, and its compact cookie encoding.
//!
//! Encoding (version 1), then canonical base64url without padding:
//!
//! | bytes | field |
//! |---|---|
//! | 1 | version = 1 |
//! | 1 | flags: bit 0 DNT seen, bit 1 GPC seen, bits 2–3 method (0 banner, 1 preferences, 2 api, 3 withdraw); other bits 0 |
//! | LEB128 | config revision |
//! | LEB128 | decided at, Unix seconds |
//! | LEB128 | categories presented (bitmap by category index) |
//! | LEB128 | categories granted (bitmap, a subset of presented) |
//!
//! Version 2 is version 1 followed by one byte: the position in the config's `regions` of the region whose rules
//! applied. It is written only when the site uses regions (a site without them keeps writing version 1), so that
//! a returning visitor's rules apply at once, before any network answer; version 1 values are still read (no
//! region: the browser then finds it again).
//!
//! Every integer uses the shortest LEB128 form and nothing may follow the last field, so each state has exactly
//! one encoding. A typical value is 10–14 bytes, 14–19 characters.

use core::fmt;

use crate::base64url;
use crate::category::CategorySet;

const VERSION: u8 = 1;
/// Version 1 and the region byte.
const VERSION_REGION: u8 = 2;

/// Browser privacy signals as seen when a decision is made.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Signals {
    /// Do Not Track was on (`"1"` or `"yes"`).
    pub dnt: bool,
    /// Global Privacy Control was on.
    pub gpc: bool,
}

/// How a choice was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(rename_all = "snake_case")
)]
pub enum Method {
    /// A button on the first-layer banner.
    Banner,
    /// The preferences dialog.
    Preferences,
    /// The site's own code through the JavaScript API.
    Api,
    /// A withdrawal of consent.
    Withdraw,
}

impl Method {
    /// All methods, in encoding order.
    pub const ALL: [Method; 4] = [
        Method::Banner,
        Method::Preferences,
        Method::Api,
        Method::Withdraw,
    ];

    /// The name used in records and APIs.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Banner => "banner",
            Method::Preferences => "preferences",
            Method::Api => "api",
            Method::Withdraw => "withdraw",
        }
    }

    /// Parses a method name.
    pub fn parse(name: &str) -> Option<Method> {
        Method::ALL.into_iter().find(|m| m.as_str() == name)
    }
}

/// A visitor's explicit choice, as kept in the first-party cookie.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ConsentState {
    /// The config revision the choice was made under.
    pub revision: u32,
    /// When it was made, Unix seconds.
    pub decided_at: u64,
    /// The categories the visitor was asked about. A category added later (not in here) means: ask again.
    pub presented: CategorySet,
    /// The categories granted; always includes essential.
    pub granted: CategorySet,
    /// Signals seen when choosing. A choice made while GPC was on is an explicit override of GPC.
    pub signals: Signals,
    pub method: Method,
    /// The position in the config's `regions` of the region whose rules applied; `None` without regions.
    pub region: Option<u8>,
}

/// Why a stored value was refused. Callers treat every case the same way: no valid choice, fail closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StateDecodeError {
    /// Not canonical base64url.
    Encoding,
    /// A version this code does not know.
    UnsupportedVersion,
    /// Truncated, over-long, non-minimal, trailing bytes, or inconsistent fields.
    Malformed,
}

impl fmt::Display for StateDecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StateDecodeError::Encoding => "consent state is not canonical base64url",
            StateDecodeError::UnsupportedVersion => "consent state has an unsupported version",
            StateDecodeError::Malformed => "consent state is malformed",
        })
    }
}

impl std::error::Error for StateDecodeError {}

fn put_leb128(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn take_leb128(bytes: &mut &[u8]) -> Result<u64, StateDecodeError> {
    let mut v: u64 = 0;
    for shift in (0..64).step_by(7) {
        let (&b, rest) = bytes.split_first().ok_or(StateDecodeError::Malformed)?;
        *bytes = rest;
        let part = u64::from(b & 0x7f);
        if shift == 63 && part > 1 {
            return Err(StateDecodeError::Malformed);
        }
        v |= part << shift;
        if b & 0x80 == 0 {
            // Shortest form only: a last byte of zero after the first means padding.
            if b == 0 && shift > 0 {
                return Err(StateDecodeError::Malformed);
            }
            return Ok(v);
        }
    }
    Err(StateDecodeError::Malformed)
}

impl ConsentState {
    /// The cookie value.
    pub fn encode(&self) -> String {
        let mut bytes = Vec::with_capacity(24);
        bytes.push(if self.region.is_some() {
            VERSION_REGION
        } else {
            VERSION
        });
        let method = Method::ALL
            .iter()
            .position(|m| *m == self.method)
            .unwrap_or(0) as u8;
        bytes.push(u8::from(self.signals.dnt) | (u8::from(self.signals.gpc) << 1) | (method << 2));
        put_leb128(&mut bytes, u64::from(self.revision));
        put_leb128(&mut bytes, self.decided_at);
        put_leb128(&mut bytes, self.presented.0);
        put_leb128(&mut bytes, self.granted.0);
        if let Some(r) = self.region {
            bytes.push(r);
        }
        base64url::encode(&bytes)
    }

    /// Reads a cookie value; anything but the one canonical encoding of a consistent state is refused.
    pub fn decode(text: &str) -> Result<ConsentState, StateDecodeError> {
        if text.len() > 64 {
            return Err(StateDecodeError::Malformed);
        }
        let bytes = base64url::decode(text).map_err(|_| StateDecodeError::Encoding)?;
        let mut rest: &[u8] = &bytes;
        let (&version, r) = rest.split_first().ok_or(StateDecodeError::Malformed)?;
        if version != VERSION && version != VERSION_REGION {
            return Err(StateDecodeError::UnsupportedVersion);
        }
        let (&flags, r) = r.split_first().ok_or(StateDecodeError::Malformed)?;
        rest = r;
        if flags & !0x0f != 0 {
            return Err(StateDecodeError::Malformed);
        }
        let revision =
            u32::try_from(take_leb128(&mut rest)?).map_err(|_| StateDecodeError::Malformed)?;
        let decided_at = take_leb128(&mut rest)?;
        let presented = CategorySet(take_leb128(&mut rest)?);
        let granted = CategorySet(take_leb128(&mut rest)?);
        let mut region = None;
        if version == VERSION_REGION {
            let (&r, tail) = rest.split_first().ok_or(StateDecodeError::Malformed)?;
            region = Some(r);
            rest = tail;
        }
        if !rest.is_empty()
            || !granted.is_subset(presented)
            || !granted.contains(0)
            || revision == 0
        {
            return Err(StateDecodeError::Malformed);
        }
        Ok(ConsentState {
            revision,
            decided_at,
            presented,
            granted,
            signals: Signals {
                dnt: flags & 1 != 0,
                gpc: flags & 2 != 0,
            },
            method: Method::ALL[usize::from(flags >> 2)],
            region,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample() -> ConsentState {
        ConsentState {
            revision: 3,
            decided_at: 1_764_000_000,
            presented: CategorySet(0b1_1111),
            granted: CategorySet(0b1_0011),
            signals: Signals {
                dnt: false,
                gpc: true,
            },
            method: Method::Preferences,
            region: None,
        }
    }

    #[test]
    fn encoding_is_a_few_dozen_bytes_and_round_trips() {
        let text = sample().encode();
        assert!(text.len() <= 20, "{text} is {} chars", text.len());
        assert_eq!(ConsentState::decode(&text), Ok(sample()));
    }

    #[test]
    fn the_region_makes_version_2_and_version_1_still_reads() {
        let v1 = sample().encode();
        assert_eq!(base64url::decode(&v1).unwrap()[0], 1);
        let with_region = ConsentState {
            region: Some(1),
            ..sample()
        };
        let v2 = with_region.encode();
        let bytes = base64url::decode(&v2).unwrap();
        assert_eq!((bytes[0], *bytes.last().unwrap()), (2, 1));
        assert_eq!(bytes.len(), base64url::decode(&v1).unwrap().len() + 1);
        assert_eq!(ConsentState::decode(&v2), Ok(with_region));
        assert_eq!(ConsentState::decode(&v1).unwrap().region, None);
    }

    #[test]
    fn rejects_garbage() {
        let good = sample().encode();
        let mut bytes = base64url::decode(&good).unwrap();
        let reencode = |b: &[u8]| base64url::encode(b);
        let mut trailing = bytes.clone();
        trailing.push(0);
        let mut v3 = bytes.clone();
        v3[0] = 3;
        // Version 2 without its region byte.
        let mut v2 = bytes.clone();
        v2[0] = 2;
        let mut flags = bytes.clone();
        flags[1] |= 0x10;
        let cases = [
            ("", StateDecodeError::Malformed),
            ("%%%", StateDecodeError::Encoding),
            ("AQ==", StateDecodeError::Encoding),
            (&good[..good.len() - 3], StateDecodeError::Malformed),
            (&reencode(&trailing), StateDecodeError::Malformed),
            (&reencode(&v3), StateDecodeError::UnsupportedVersion),
            (&reencode(&v2), StateDecodeError::Malformed),
            (&reencode(&flags), StateDecodeError::Malformed),
        ];
        for (text, want) in cases {
            assert_eq!(ConsentState::decode(text), Err(want), "{text:?}");
        }
        // Non-minimal LEB128 for the revision (3 written as 0x83 0x00).
        bytes.splice(2..3, [0x83, 0x00]);
        assert_eq!(
            ConsentState::decode(&reencode(&bytes)),
            Err(StateDecodeError::Malformed)
        );
        // Granted outside presented; essential not granted.
        let mut s = sample();
        s.granted = CategorySet(0b10_0001);
        assert_eq!(
            ConsentState::decode(&s.encode()),
            Err(StateDecodeError::Malformed)
        );
        s.granted = CategorySet(0b10);
        assert_eq!(
            ConsentState::decode(&s.encode()),
            Err(StateDecodeError::Malformed)
        );
    }

    proptest! {
        #[test]
        fn valid_states_round_trip(revision in 1u32.., decided_at: u64, presented: u64, granted: u64, dnt: bool, gpc: bool, m in 0usize..4, region: Option<u8>) {
            let presented = CategorySet(presented | 1);
            let state = ConsentState {
                revision, decided_at, presented,
                granted: CategorySet((granted & presented.0) | 1),
                signals: Signals { dnt, gpc },
                method: Method::ALL[m],
                region,
            };
            prop_assert_eq!(ConsentState::decode(&state.encode()), Ok(state));
        }

        #[test]
        fn decoding_never_panics_and_accepts_only_canonical_text(text in "[A-Za-z0-9_-]{0,40}") {
            if let Ok(state) = ConsentState::decode(&text) {
                prop_assert_eq!(state.encode(), text);
            }
        }
    }
}
