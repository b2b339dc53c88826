//! Section 7, `usnat` (IAB Privacy's MSPA US National Technical Specification), version 2: the core segment and
//! the GPC subsection, and the mapping from an Assent decision to its fields.
//!
//! Every core field except `Version` is an `Int(2)` with the values 0 (not applicable), 1 and 2; what 1 and 2 mean
//! depends on the field (constants below). `SensitiveDataProcessing` is 16 of them, `KnownChildSensitiveData
//! Consents` 3. The GPC subsection is `SubsectionType` `Int(2)` = 1 and `Gpc` `Boolean`.

use super::GppError;
use super::bits::{BitReader, BitWriter};
use crate::{CategorySet, Config, Decision};

/// The GPP section id of `usnat`.
pub const USNAT_ID: u32 = 7;
/// The `usnat` version this module writes and reads.
pub const USNAT_VERSION: u32 = 2;

/// 0 in any 2-bit field: not applicable.
pub const NOT_APPLICABLE: u8 = 0;
/// Notice fields: the notice was provided.
pub const NOTICE_PROVIDED: u8 = 1;
/// Notice fields: the notice was not provided.
pub const NOTICE_NOT_PROVIDED: u8 = 2;
/// Opt-out fields: the consumer opted out.
pub const OPTED_OUT: u8 = 1;
/// Opt-out fields: the consumer did not opt out.
pub const DID_NOT_OPT_OUT: u8 = 2;
/// MSPA fields: yes.
pub const YES: u8 = 1;
/// MSPA fields: no.
pub const NO: u8 = 2;

const GPC_SUBSECTION: u32 = 1;

/// The fields of a `usnat` section, named as in the specification. Values are the spec's integers.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct UsNat {
    pub sharing_notice: u8,
    pub sale_opt_out_notice: u8,
    pub sharing_opt_out_notice: u8,
    pub targeted_advertising_opt_out_notice: u8,
    pub sensitive_data_processing_opt_out_notice: u8,
    pub sensitive_data_limit_use_notice: u8,
    pub sale_opt_out: u8,
    pub sharing_opt_out: u8,
    pub targeted_advertising_opt_out: u8,
    /// 0 not applicable, 1 no consent, 2 consent, per category of sensitive data.
    pub sensitive_data_processing: [u8; 16],
    /// 0 not applicable, 1 no consent, 2 consent: ages 13–16 (sale/sharing), under 13, 16–17 (targeted ads).
    pub known_child_sensitive_data_consents: [u8; 3],
    /// 0 not applicable, 1 no consent, 2 consent.
    pub personal_data_consents: u8,
    /// 1 yes, 2 no (0 is not allowed).
    pub mspa_covered_transaction: u8,
    pub mspa_opt_out_option_mode: u8,
    pub mspa_service_provider_mode: u8,
    /// The GPC subsection: `None` leaves it out, `Some(gpc)` writes it.
    pub gpc: Option<bool>,
}

impl Default for UsNat {
    /// The reference library's default section (`CAAAAAAAAABA.QA`): everything not applicable, a covered
    /// transaction, GPC subsection present with no GPC.
    fn default() -> UsNat {
        UsNat {
            sharing_notice: 0,
            sale_opt_out_notice: 0,
            sharing_opt_out_notice: 0,
            targeted_advertising_opt_out_notice: 0,
            sensitive_data_processing_opt_out_notice: 0,
            sensitive_data_limit_use_notice: 0,
            sale_opt_out: 0,
            sharing_opt_out: 0,
            targeted_advertising_opt_out: 0,
            sensitive_data_processing: [0; 16],
            known_child_sensitive_data_consents: [0; 3],
            personal_data_consents: 0,
            mspa_covered_transaction: YES,
            mspa_opt_out_option_mode: 0,
            mspa_service_provider_mode: 0,
            gpc: Some(false),
        }
    }
}

impl UsNat {
    /// The 2-bit core fields after `Version`, in specification order.
    fn core_fields(&self) -> Vec<u8> {
        let mut f = vec![
            self.sharing_notice,
            self.sale_opt_out_notice,
            self.sharing_opt_out_notice,
            self.targeted_advertising_opt_out_notice,
            self.sensitive_data_processing_opt_out_notice,
            self.sensitive_data_limit_use_notice,
            self.sale_opt_out,
            self.sharing_opt_out,
            self.targeted_advertising_opt_out,
        ];
        f.extend_from_slice(&self.sensitive_data_processing);
        f.extend_from_slice(&self.known_child_sensitive_data_consents);
        f.extend_from_slice(&[
            self.personal_data_consents,
            self.mspa_covered_transaction,
            self.mspa_opt_out_option_mode,
            self.mspa_service_provider_mode,
        ]);
        f
    }

    /// Encodes the section text (`core` or `core.gpc`), refusing values outside their field's range.
    pub fn encode(&self) -> Result<String, GppError> {
        if !(1..=2).contains(&self.mspa_covered_transaction) {
            return Err(GppError::ValueOutOfRange);
        }
        let mut core = BitWriter::new();
        core.int(USNAT_VERSION, 6)?;
        for value in self.core_fields() {
            if value > 2 {
                return Err(GppError::ValueOutOfRange);
            }
            core.int(u32::from(value), 2)?;
        }
        let mut out = core.to_base64url();
        if let Some(gpc) = self.gpc {
            let mut sub = BitWriter::new();
            sub.int(GPC_SUBSECTION, 2)?;
            sub.bool(gpc);
            out.push('.');
            out.push_str(&sub.to_base64url());
        }
        Ok(out)
    }

    /// Reads a version 2 section text. Subsections of unknown types are skipped; a section without a GPC
    /// subsection decodes with `gpc: None`.
    pub fn decode(text: &str) -> Result<UsNat, GppError> {
        let (core, mut rest) = crate::text::split_first_byte(text, b'.');
        let mut r = BitReader::from_base64url(core)?;
        if r.int(6)? != USNAT_VERSION {
            return Err(GppError::UnsupportedVersion);
        }
        let mut two = || -> Result<u8, GppError> {
            let v = r.int(2)? as u8;
            if v > 2 {
                Err(GppError::ValueOutOfRange)
            } else {
                Ok(v)
            }
        };
        let mut u = UsNat {
            sharing_notice: two()?,
            sale_opt_out_notice: two()?,
            sharing_opt_out_notice: two()?,
            targeted_advertising_opt_out_notice: two()?,
            sensitive_data_processing_opt_out_notice: two()?,
            sensitive_data_limit_use_notice: two()?,
            sale_opt_out: two()?,
            sharing_opt_out: two()?,
            targeted_advertising_opt_out: two()?,
            ..UsNat::default()
        };
        for v in &mut u.sensitive_data_processing {
            *v = two()?;
        }
        for v in &mut u.known_child_sensitive_data_consents {
            *v = two()?;
        }
        u.personal_data_consents = two()?;
        u.mspa_covered_transaction = two()?;
        u.mspa_opt_out_option_mode = two()?;
        u.mspa_service_provider_mode = two()?;
        if u.mspa_covered_transaction == 0 {
            return Err(GppError::ValueOutOfRange);
        }
        u.gpc = None;
        while let Some(r) = rest {
            let (sub, next) = crate::text::split_first_byte(r, b'.');
            let mut bits = BitReader::from_base64url(sub)?;
            if bits.int(2)? == GPC_SUBSECTION {
                u.gpc = Some(bits.bool()?);
            }
            rest = next;
        }
        Ok(u)
    }
}

/// Which notices the site gives in its US regions (the `Notice` fields, constants [`NOTICE_PROVIDED`] …).
/// An opt-out field is written only when its notice was provided; otherwise it is 0, as the spec requires.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct UsNatNotices {
    pub sharing: u8,
    pub sale_opt_out: u8,
    pub sharing_opt_out: u8,
    pub targeted_advertising_opt_out: u8,
    pub sensitive_data_processing_opt_out: u8,
    pub sensitive_data_limit_use: u8,
}

impl Default for UsNatNotices {
    /// What Assent's US set-up shows: the privacy notice and the "Do Not Sell or Share" link (sale, sharing and
    /// targeted advertising opt-outs) are provided; sensitive data is not processed (not applicable).
    fn default() -> UsNatNotices {
        UsNatNotices {
            sharing: NOTICE_PROVIDED,
            sale_opt_out: NOTICE_PROVIDED,
            sharing_opt_out: NOTICE_PROVIDED,
            targeted_advertising_opt_out: NOTICE_PROVIDED,
            sensitive_data_processing_opt_out: NOT_APPLICABLE,
            sensitive_data_limit_use: NOT_APPLICABLE,
        }
    }
}

/// The site's Multi-State Privacy Agreement status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Mspa {
    /// The transaction is covered by the MSPA (`MspaCoveredTransaction` 1, else 2).
    pub covered_transaction: bool,
    /// Opt-Out Option Mode (`MspaOptOutOptionMode`); written 1/2 only for a covered transaction, else 0.
    pub opt_out_option_mode: bool,
    /// Service Provider Mode (`MspaServiceProviderMode`); written 1/2 only for a covered transaction, else 0.
    pub service_provider_mode: bool,
}

fn yes_no(b: bool) -> u8 {
    if b { YES } else { NO }
}

/// The `usnat` fields for a decision: `SaleOptOut`, `SharingOptOut` and `TargetedAdvertisingOptOut` are 1 (opted
/// out) unless **every** `sale_or_share` category is granted, then 2 (did not opt out) — fail closed: a partly
/// denied set is an opt-out. Each is 0 when its notice was not provided or the site declares no `sale_or_share`
/// category (it sells and shares nothing). `Gpc` is the browser's signal; the GPC subsection is always written.
/// Sensitive data and child consents are not applicable (Assent has no such categories).
pub fn usnat_from_decision(
    granted: CategorySet,
    sale_or_share: CategorySet,
    gpc: bool,
    notices: &UsNatNotices,
    mspa: &Mspa,
) -> UsNat {
    let applicable = sale_or_share != CategorySet::EMPTY;
    let choice = if sale_or_share.is_subset(granted) {
        DID_NOT_OPT_OUT
    } else {
        OPTED_OUT
    };
    let opt_out = |notice: u8| {
        if applicable && notice == NOTICE_PROVIDED {
            choice
        } else {
            NOT_APPLICABLE
        }
    };
    let mode = |b: bool| {
        if mspa.covered_transaction {
            yes_no(b)
        } else {
            NOT_APPLICABLE
        }
    };
    UsNat {
        sharing_notice: notices.sharing,
        sale_opt_out_notice: notices.sale_opt_out,
        sharing_opt_out_notice: notices.sharing_opt_out,
        targeted_advertising_opt_out_notice: notices.targeted_advertising_opt_out,
        sensitive_data_processing_opt_out_notice: notices.sensitive_data_processing_opt_out,
        sensitive_data_limit_use_notice: notices.sensitive_data_limit_use,
        sale_opt_out: opt_out(notices.sale_opt_out),
        sharing_opt_out: opt_out(notices.sharing_opt_out),
        targeted_advertising_opt_out: opt_out(notices.targeted_advertising_opt_out),
        sensitive_data_processing: [NOT_APPLICABLE; 16],
        known_child_sensitive_data_consents: [NOT_APPLICABLE; 3],
        personal_data_consents: NOT_APPLICABLE,
        mspa_covered_transaction: yes_no(mspa.covered_transaction),
        mspa_opt_out_option_mode: mode(mspa.opt_out_option_mode),
        mspa_service_provider_mode: mode(mspa.service_provider_mode),
        gpc: Some(gpc),
    }
}

/// The categories a config marks `sale_or_share`.
pub fn sale_or_share(config: &Config) -> CategorySet {
    let mut set = CategorySet::EMPTY;
    for c in config.categories.iter().filter(|c| c.sale_or_share) {
        set.insert(c.index);
    }
    set
}

/// [`usnat_from_decision`] for a decision of the engine under `config`; `gpc` is the browser's signal.
pub fn usnat_for(
    config: &Config,
    decision: &Decision,
    gpc: bool,
    notices: &UsNatNotices,
    mspa: &Mspa,
) -> UsNat {
    usnat_from_decision(
        decision.granted_set(),
        sale_or_share(config),
        gpc,
        notices,
        mspa,
    )
}
