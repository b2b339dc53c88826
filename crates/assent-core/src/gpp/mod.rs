//! IAB Global Privacy Platform (GPP) strings: the header section and section 7, `usnat` (the MSPA US National
//! section) with its GPC subsection. Encoded here, in plain Rust, so the browser's `__gpp` API and the server
//! give ad tech the same string for the same decision, and so it is tested natively against the IAB's strings.
//!
//! A GPP string is `header~section~section…`; the header lists the section ids in the order the sections follow
//! (Consent String Specification, "Header Section"). This module writes strings with one section, `usnat`, and
//! reads any header (to check round trips and the IAB's examples).
//!
//! Nothing here formats text with `core::fmt` on the encoding path (ARCHITECTURE.md, invariant 8).
//!
//! ```
//! use assent_core::CategorySet;
//! use assent_core::gpp::{self, Mspa, UsNatNotices, usnat_from_decision};
//!
//! let mut sale_or_share = CategorySet::EMPTY;
//! sale_or_share.insert(2); // remarketing
//! let granted = CategorySet(0b0011); // essential + analytics: remarketing denied
//! let usnat = usnat_from_decision(granted, sale_or_share, true, &UsNatNotices::default(), &Mspa::default());
//! assert_eq!(usnat.sale_opt_out, gpp::OPTED_OUT);
//! assert_eq!(usnat.gpc, Some(true));
//! assert!(gpp::encode(&usnat).unwrap().starts_with("DBABLA~"));
//! ```

pub mod bits;
mod usnat;

use core::fmt;

pub use usnat::{
    DID_NOT_OPT_OUT, Mspa, NO, NOT_APPLICABLE, NOTICE_NOT_PROVIDED, NOTICE_PROVIDED, OPTED_OUT,
    USNAT_ID, USNAT_VERSION, UsNat, UsNatNotices, YES, sale_or_share, usnat_for,
    usnat_from_decision,
};

use bits::{BitReader, BitWriter};

/// The header section's type, `Int(6)` = 3.
pub const HEADER_TYPE: u32 = 3;
/// The GPP header version this module writes and reads.
pub const HEADER_VERSION: u32 = 1;

/// Why a GPP value could not be encoded or a GPP text could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum GppError {
    /// A field value outside its range (a 2-bit field above 2, `MspaCoveredTransaction` 0, section id 0, …).
    ValueOutOfRange,
    /// A character outside the base64url alphabet.
    Base64,
    /// The text ends before its fields do.
    Truncated,
    /// The header's type is not 3 or its version not 1.
    Header,
    /// The header lists a different number of sections than the string carries.
    SectionCount,
    /// A section's version this module does not read.
    UnsupportedVersion,
}

impl GppError {
    /// A stable snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            GppError::ValueOutOfRange => "value_out_of_range",
            GppError::Base64 => "base64",
            GppError::Truncated => "truncated",
            GppError::Header => "header",
            GppError::SectionCount => "section_count",
            GppError::UnsupportedVersion => "unsupported_version",
        }
    }

    /// A short English description (no `core::fmt`, for the browser).
    pub fn message(&self) -> &'static str {
        match self {
            GppError::ValueOutOfRange => "a GPP field value is out of its range",
            GppError::Base64 => "not base64url",
            GppError::Truncated => "the GPP text ends early",
            GppError::Header => "not a GPP version 1 header",
            GppError::SectionCount => "the header and the sections disagree",
            GppError::UnsupportedVersion => "unsupported section version",
        }
    }
}

impl fmt::Display for GppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for GppError {}

/// Encodes the header section for these section ids (sorted ascending, no duplicates, each ≥ 1).
pub fn encode_header(section_ids: &[u32]) -> Result<String, GppError> {
    let mut w = BitWriter::new();
    w.int(HEADER_TYPE, 6)?;
    w.int(HEADER_VERSION, 6)?;
    w.fibonacci_range(section_ids)?;
    Ok(w.to_base64url())
}

/// Reads a header section: its section ids in order.
pub fn decode_header(text: &str) -> Result<Vec<u32>, GppError> {
    let mut r = BitReader::from_base64url(text)?;
    if r.int(6)? != HEADER_TYPE || r.int(6)? != HEADER_VERSION {
        return Err(GppError::Header);
    }
    r.fibonacci_range()
}

/// The full GPP string carrying one section, `usnat`: `header~usnat`.
pub fn encode(usnat: &UsNat) -> Result<String, GppError> {
    let mut out = encode_header(&[USNAT_ID])?;
    out.push('~');
    out.push_str(&usnat.encode()?);
    Ok(out)
}

/// A GPP string split into its header's section ids and the section texts (still encoded), in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parsed<'a> {
    /// Section id → its encoded text.
    pub sections: Vec<(u32, &'a str)>,
}

impl<'a> Parsed<'a> {
    /// The encoded text of a section, if the string carries it.
    pub fn section(&self, id: u32) -> Option<&'a str> {
        self.sections.iter().find(|s| s.0 == id).map(|s| s.1)
    }

    /// The `usnat` section decoded, if the string carries it.
    pub fn usnat(&self) -> Option<Result<UsNat, GppError>> {
        self.section(USNAT_ID).map(UsNat::decode)
    }
}

/// Splits a GPP string and checks its header against its sections.
pub fn parse(text: &str) -> Result<Parsed<'_>, GppError> {
    let (header, mut rest) = crate::text::split_first_byte(text, b'~');
    let ids = decode_header(header)?;
    let mut sections = Vec::with_capacity(ids.len());
    for id in ids {
        let Some(r) = rest else {
            return Err(GppError::SectionCount);
        };
        let (section, next) = crate::text::split_first_byte(r, b'~');
        sections.push((id, section));
        rest = next;
    }
    if rest.is_some() {
        return Err(GppError::SectionCount);
    }
    Ok(Parsed { sections })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn headers_refuse_other_types_and_counts() {
        // "BBAA": type 1, not a header.
        assert_eq!(decode_header("BBAA"), Err(GppError::Header));
        assert_eq!(parse("DBABLA"), Err(GppError::SectionCount));
        assert_eq!(
            parse("DBABLA~CAAAAAAAAABA.QA~x"),
            Err(GppError::SectionCount)
        );
        assert_eq!(parse("DBAA").unwrap().sections, vec![]);
    }

    proptest! {
        #[test]
        fn headers_round_trip(ids in proptest::collection::btree_set(1u32..64, 0..20)) {
            let ids: Vec<u32> = ids.into_iter().collect();
            prop_assert_eq!(decode_header(&encode_header(&ids).unwrap()).unwrap(), ids);
        }
    }
}
