//! The binary token layout, versions 1 and 2 (docs/token.md is the normative description).
//!
//! ```text
//! token     = base64url-nopad( payload || signature )
//! payload   = version:u8 (1 or 2)  kid:[u8;4]  flags:u8  issued_at:u32be  lifetime:uvarint32
//!             config_revision:uvarint32  granted:uvarint64  record_id:[u8;16]  subject_id:[u8;12]
//!             site_len:u8 (1..=64)  site_id:[u8;site_len]
//!             version 2 only: region_len:u8 (1..=32)  region:[u8;region_len]
//! signature = Ed25519( "assent consent token v<version>\n" || payload ), 64 bytes
//! ```
//!
//! Version 2 is version 1 plus the name of the region whose rules applied; a token without a region is
//! always written as version 1, so verifiers that predate regions keep reading every token of sites that use
//! none.
//!
//! Every field has exactly one accepted encoding: uvarints are minimal LEB128, reserved flag bits are zero, bit 0
//! (essential) of `granted` is set, `lifetime` is at least 1 and `issued_at + lifetime` fits in a `u32`, the site
//! id is visible ASCII, and exactly 64 signature bytes follow the payload.

use core::fmt;

use assent_core::CategorySet;

use crate::claims::{ConsentClaims, RecordId, Signals, SubjectId};
use crate::keys::Kid;

/// Format version 1: tokens without a region.
pub const VERSION: u8 = 1;
/// Format version 2: version 1 followed by the region that applied.
pub const VERSION_REGION: u8 = 2;
pub use crate::lengths::{
    KID_LEN, MAX_REGION_LEN, MAX_SITE_ID_LEN, RECORD_ID_LEN, SIGNATURE_LEN, SUBJECT_ID_LEN,
};
/// Longest version 1 payload: every varint at its widest and a 64-byte site id.
pub const MAX_PAYLOAD_LEN_V1: usize =
    1 + KID_LEN + 1 + 4 + 5 + 5 + 10 + RECORD_ID_LEN + SUBJECT_ID_LEN + 1 + MAX_SITE_ID_LEN;
/// Longest payload of any version: version 1's plus a 32-byte region.
pub const MAX_PAYLOAD_LEN: usize = MAX_PAYLOAD_LEN_V1 + 1 + MAX_REGION_LEN;
/// Longest version 1 token text in characters.
pub const MAX_TOKEN_LEN_V1: usize = ((MAX_PAYLOAD_LEN_V1 + SIGNATURE_LEN) * 4).div_ceil(3);
/// Longest token text of any version in characters; longer input is refused before decoding (and input longer
/// than [`MAX_TOKEN_LEN_V1`] unless its first byte says version 2).
pub const MAX_TOKEN_LEN: usize = ((MAX_PAYLOAD_LEN + SIGNATURE_LEN) * 4).div_ceil(3);
/// Bytes prepended to a version 1 payload before signing, so an Assent key's signature over a token can never
/// be mistaken for a signature over anything else the same key signs.
pub const SIGNATURE_CONTEXT: &[u8] = b"assent consent token v1\n";
/// The same for version 2 (a version 1 signature can never verify as version 2, nor the reverse).
pub const SIGNATURE_CONTEXT_V2: &[u8] = b"assent consent token v2\n";

/// Size of a buffer that holds `SIGNATURE_CONTEXT || payload` for any payload.
pub(crate) const MESSAGE_BUF_LEN: usize = SIGNATURE_CONTEXT.len() + MAX_PAYLOAD_LEN;

const FLAG_DNT: u8 = 0b01;
const FLAG_GPC: u8 = 0b10;

/// Why a token's bytes were refused before its signature was checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Malformed {
    /// Empty input.
    Empty,
    /// Longer than [`MAX_TOKEN_LEN`] characters.
    TooLong,
    /// Not canonical unpadded base64url.
    Base64,
    /// The bytes end before the payload and signature do.
    Truncated,
    /// Bytes after the 64-byte signature.
    TrailingBytes,
    /// A variable-length integer is not minimal or does not fit its field.
    Varint,
    /// A reserved flag bit is set.
    ReservedFlags,
    /// The granted bitmap lacks bit 0 (essential).
    EssentialNotGranted,
    /// `lifetime` is zero or `issued_at + lifetime` overflows a `u32`.
    Lifetime,
    /// The site id is empty, longer than 64 bytes, or not visible ASCII.
    SiteId,
    /// The region (version 2) is not 1–32 characters of `a-z`, `0-9`, `_` starting with a letter.
    Region,
}

impl Malformed {
    /// A stable snake_case code, as in the test vectors: `empty`, `too_long`, `base64`, `truncated`,
    /// `trailing_bytes`, `varint`, `reserved_flags`, `essential_not_granted`, `lifetime`, `site_id`, `region`.
    pub fn code(&self) -> &'static str {
        match self {
            Malformed::Empty => "empty",
            Malformed::TooLong => "too_long",
            Malformed::Base64 => "base64",
            Malformed::Truncated => "truncated",
            Malformed::TrailingBytes => "trailing_bytes",
            Malformed::Varint => "varint",
            Malformed::ReservedFlags => "reserved_flags",
            Malformed::EssentialNotGranted => "essential_not_granted",
            Malformed::Lifetime => "lifetime",
            Malformed::SiteId => "site_id",
            Malformed::Region => "region",
        }
    }
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Malformed::Empty => "empty token",
            Malformed::TooLong => "token too long",
            Malformed::Base64 => "not canonical unpadded base64url",
            Malformed::Truncated => "token truncated",
            Malformed::TrailingBytes => "bytes after the signature",
            Malformed::Varint => "non-minimal or oversized integer",
            Malformed::ReservedFlags => "reserved flag bits set",
            Malformed::EssentialNotGranted => "essential bit not set in granted categories",
            Malformed::Lifetime => "zero or overflowing lifetime",
            Malformed::SiteId => "site id is not 1-64 visible ASCII characters",
            Malformed::Region => "region is not 1-32 characters of a-z, 0-9 and _",
        })
    }
}

/// Claims that cannot be encoded as a token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EncodeError {
    /// The site id is empty, longer than 64 bytes, or not visible ASCII.
    SiteId,
    /// `issued_at` or `expires_at` is past `u32::MAX`, or `expires_at <= issued_at`.
    Times,
    /// The region is not 1–32 characters of `a-z`, `0-9`, `_` starting with a letter.
    Region,
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EncodeError::SiteId => "site id must be 1-64 visible ASCII characters",
            EncodeError::Times => {
                "issued_at < expires_at <= 4294967295 (unix seconds in 32 bits) is required"
            }
            EncodeError::Region => {
                "region must be 1-32 characters of a-z, 0-9 and _, starting with a letter"
            }
        })
    }
}

impl std::error::Error for EncodeError {}

/// Whether a site id is encodable: 1–64 bytes of visible ASCII (assent-core's rule,
/// [`assent_core::fields::is_site_id`]).
pub fn is_valid_site_id(site: &str) -> bool {
    assent_core::fields::is_site_id(site)
}

/// Whether a region name is encodable: 1–32 characters of `a-z`, `0-9`, `_`, starting with a letter (the
/// rule for category names, so a config's region names always fit).
pub fn is_valid_region(region: &str) -> bool {
    let b = region.as_bytes();
    (1..=MAX_REGION_LEN).contains(&b.len())
        && b[0].is_ascii_lowercase()
        && b.iter()
            .all(|&c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_')
}

/// The version byte of token text, read from its first two characters without decoding the rest.
fn peek_version(token: &str) -> Option<u8> {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let sextet = |c: u8| ALPHABET.iter().position(|&a| a == c).map(|n| n as u8);
    let b = token.as_bytes();
    Some(sextet(*b.first()?)? << 2 | sextet(*b.get(1)?)? >> 4)
}

/// A token split into its parts; the claims are not yet trusted.
#[derive(Clone, Debug)]
pub(crate) struct Decoded {
    pub(crate) version: u8,
    pub(crate) kid: Kid,
    pub(crate) claims: ConsentClaims,
    /// `payload || signature`.
    pub(crate) bytes: Vec<u8>,
    pub(crate) payload_len: usize,
}

/// Why decoding failed: the version is checked before the rest so that a future format gets a precise error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DecodeError {
    Malformed(Malformed),
    UnsupportedVersion(u8),
}

impl From<Malformed> for DecodeError {
    fn from(m: Malformed) -> Self {
        DecodeError::Malformed(m)
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], Malformed> {
        let end = self.pos.checked_add(n).ok_or(Malformed::Truncated)?;
        let out = self.bytes.get(self.pos..end).ok_or(Malformed::Truncated)?;
        self.pos = end;
        Ok(out)
    }

    fn byte(&mut self) -> Result<u8, Malformed> {
        Ok(self.take(1)?[0])
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], Malformed> {
        Ok(self.take(N)?.try_into().expect("take returns N bytes"))
    }

    /// Minimal unsigned LEB128 no larger than `max`.
    fn uvarint(&mut self, max: u64) -> Result<u64, Malformed> {
        let mut value = 0u64;
        let mut shift = 0u32;
        loop {
            let b = self.byte()?;
            let low = u64::from(b & 0x7f);
            if shift >= 64 || low > (u64::MAX >> shift) {
                return Err(Malformed::Varint);
            }
            value |= low << shift;
            if b & 0x80 == 0 {
                // A final zero byte after other bytes is an overlong encoding of a smaller number.
                if b == 0 && shift > 0 {
                    return Err(Malformed::Varint);
                }
                return if value > max {
                    Err(Malformed::Varint)
                } else {
                    Ok(value)
                };
            }
            shift += 7;
        }
    }
}

#[cfg(any(test, feature = "sign"))]
fn write_uvarint(out: &mut Vec<u8>, mut value: u64) {
    loop {
        let low = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(low);
            return;
        }
        out.push(low | 0x80);
    }
}

/// Decodes token text into its parts, refusing every non-canonical form.
pub(crate) fn decode(token: &str) -> Result<Decoded, DecodeError> {
    if token.is_empty() {
        return Err(Malformed::Empty.into());
    }
    if token.len() > MAX_TOKEN_LEN
        || (token.len() > MAX_TOKEN_LEN_V1 && peek_version(token) != Some(VERSION_REGION))
    {
        return Err(Malformed::TooLong.into());
    }
    let bytes = assent_core::base64url::decode(token).map_err(|_| Malformed::Base64)?;
    let mut r = Reader {
        bytes: &bytes,
        pos: 0,
    };
    let version = r.byte()?;
    if version != VERSION && version != VERSION_REGION {
        return Err(DecodeError::UnsupportedVersion(version));
    }
    let kid = Kid(r.array()?);
    let flags = r.byte()?;
    if flags & !(FLAG_DNT | FLAG_GPC) != 0 {
        return Err(Malformed::ReservedFlags.into());
    }
    let issued_at = u64::from(u32::from_be_bytes(r.array()?));
    let lifetime = r.uvarint(u64::from(u32::MAX))?;
    if lifetime == 0 || issued_at + lifetime > u64::from(u32::MAX) {
        return Err(Malformed::Lifetime.into());
    }
    let config_revision = r.uvarint(u64::from(u32::MAX))? as u32;
    let granted = r.uvarint(u64::MAX)?;
    if granted & 1 == 0 {
        return Err(Malformed::EssentialNotGranted.into());
    }
    let record_id = RecordId(r.array()?);
    let subject_id = SubjectId(r.array()?);
    let site_len = usize::from(r.byte()?);
    if !(1..=MAX_SITE_ID_LEN).contains(&site_len) {
        return Err(Malformed::SiteId.into());
    }
    let site = r.take(site_len)?;
    if !site.iter().all(u8::is_ascii_graphic) {
        return Err(Malformed::SiteId.into());
    }
    let site_id = String::from_utf8(site.to_vec()).map_err(|_| Malformed::SiteId)?;
    let region = if version == VERSION_REGION {
        let len = usize::from(r.byte()?);
        let bytes = r.take(len)?;
        let name = core::str::from_utf8(bytes).map_err(|_| Malformed::Region)?;
        if !is_valid_region(name) {
            return Err(Malformed::Region.into());
        }
        Some(name.to_owned())
    } else {
        None
    };
    let payload_len = r.pos;
    r.take(SIGNATURE_LEN)?;
    if r.pos != bytes.len() {
        return Err(Malformed::TrailingBytes.into());
    }
    Ok(Decoded {
        version,
        kid,
        claims: ConsentClaims {
            record_id,
            subject_id,
            issued_at,
            expires_at: issued_at + lifetime,
            config_revision,
            granted: CategorySet(granted),
            signals: Signals {
                dnt: flags & FLAG_DNT != 0,
                gpc: flags & FLAG_GPC != 0,
            },
            site_id,
            region,
        },
        bytes,
        payload_len,
    })
}

/// Encodes the payload (everything the signature covers): version 2 when the claims carry a region, else
/// version 1. Bit 0 (essential) is always set.
#[cfg(feature = "sign")]
pub(crate) fn encode_payload(kid: Kid, claims: &ConsentClaims) -> Result<Vec<u8>, EncodeError> {
    if !is_valid_site_id(&claims.site_id) {
        return Err(EncodeError::SiteId);
    }
    let max = u64::from(u32::MAX);
    if claims.issued_at >= claims.expires_at || claims.expires_at > max {
        return Err(EncodeError::Times);
    }
    if claims
        .region
        .as_deref()
        .is_some_and(|r| !is_valid_region(r))
    {
        return Err(EncodeError::Region);
    }
    let mut out = Vec::with_capacity(MAX_PAYLOAD_LEN);
    out.push(if claims.region.is_some() {
        VERSION_REGION
    } else {
        VERSION
    });
    out.extend_from_slice(&kid.0);
    let mut flags = 0;
    if claims.signals.dnt {
        flags |= FLAG_DNT;
    }
    if claims.signals.gpc {
        flags |= FLAG_GPC;
    }
    out.push(flags);
    out.extend_from_slice(&(claims.issued_at as u32).to_be_bytes());
    write_uvarint(&mut out, claims.expires_at - claims.issued_at);
    write_uvarint(&mut out, u64::from(claims.config_revision));
    write_uvarint(&mut out, claims.granted.0 | 1);
    out.extend_from_slice(&claims.record_id.0);
    out.extend_from_slice(&claims.subject_id.0);
    out.push(claims.site_id.len() as u8);
    out.extend_from_slice(claims.site_id.as_bytes());
    if let Some(region) = &claims.region {
        out.push(region.len() as u8);
        out.extend_from_slice(region.as_bytes());
    }
    Ok(out)
}

/// `context || payload` in a stack buffer: the message Ed25519 signs and verifies. The context is the one of the
/// payload's version (its first byte).
pub(crate) fn signed_message(payload: &[u8], buf: &mut [u8; MESSAGE_BUF_LEN]) -> usize {
    let context = if payload.first() == Some(&VERSION_REGION) {
        SIGNATURE_CONTEXT_V2
    } else {
        SIGNATURE_CONTEXT
    };
    let n = context.len() + payload.len();
    buf[..context.len()].copy_from_slice(context);
    buf[context.len()..n].copy_from_slice(payload);
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    fn varint(bytes: &[u8], max: u64) -> Result<u64, Malformed> {
        Reader { bytes, pos: 0 }.uvarint(max)
    }

    #[test]
    fn uvarint_is_minimal_leb128() {
        for value in [
            0,
            1,
            127,
            128,
            300,
            16_383,
            16_384,
            u64::from(u32::MAX),
            u64::MAX,
        ] {
            let mut out = Vec::new();
            write_uvarint(&mut out, value);
            assert_eq!(varint(&out, u64::MAX), Ok(value), "{value}");
        }
        assert_eq!(varint(&[0x80, 0x00], u64::MAX), Err(Malformed::Varint));
        assert_eq!(varint(&[0xff, 0x00], u64::MAX), Err(Malformed::Varint));
        assert_eq!(varint(&[0x80], u64::MAX), Err(Malformed::Truncated));
        assert_eq!(
            varint(&[0xff, 0xff, 0xff, 0xff, 0x10], u64::from(u32::MAX)),
            Err(Malformed::Varint)
        );
        let mut eleven = vec![0xff; 10];
        eleven.push(0x01);
        assert_eq!(varint(&eleven, u64::MAX), Err(Malformed::Varint));
        let mut ten = vec![0xff; 9];
        ten.push(0x02);
        assert_eq!(varint(&ten, u64::MAX), Err(Malformed::Varint));
    }

    #[test]
    fn max_lengths_are_consistent() {
        assert_eq!(MAX_PAYLOAD_LEN_V1, 123);
        assert_eq!(MAX_TOKEN_LEN_V1, 250);
        assert_eq!(MAX_PAYLOAD_LEN, 156);
        assert_eq!(MAX_TOKEN_LEN, 294);
        assert_eq!(SIGNATURE_CONTEXT.len(), SIGNATURE_CONTEXT_V2.len());
    }

    #[test]
    fn regions() {
        for ok in ["eu", "us_states", "default", "r2", &"a".repeat(32)] {
            assert!(is_valid_region(ok), "{ok:?}");
        }
        for bad in ["", "EU", "2eu", "_eu", "us-states", "é", &"a".repeat(33)] {
            assert!(!is_valid_region(bad), "{bad:?}");
        }
        assert_eq!(peek_version("AfGT"), Some(1));
        assert_eq!(peek_version("AvGT"), Some(2));
        assert_eq!(peek_version("A"), None);
    }

    #[test]
    fn site_ids() {
        assert!(is_valid_site_id("example.com"));
        assert!(is_valid_site_id(&"a".repeat(64)));
        for bad in ["", "exa mple.com", "été.fr", "tab\t", &"a".repeat(65)] {
            assert!(!is_valid_site_id(bad), "{bad:?}");
        }
    }
}
