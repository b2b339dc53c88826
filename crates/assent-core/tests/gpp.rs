//! The GPP encoder against the IAB's published strings (tests/vectors/gpp.json, copied from the specification
//! and the reference library's tests), the decision → `usnat` mapping, decode(encode(x)) == x, and every string
//! a decision gives read back by an independent decoder (the `iab_gpp` crate).

use assent_core::CategorySet;
use assent_core::gpp::{
    self, DID_NOT_OPT_OUT, GppError, Mspa, NO, NOT_APPLICABLE, NOTICE_NOT_PROVIDED, OPTED_OUT,
    UsNat, UsNatNotices, YES, usnat_from_decision,
};
use assent_core::json::{self, Json};
use proptest::prelude::*;

fn vectors() -> Json {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/vectors/gpp.json"
    ))
    .expect("vectors file");
    json::parse(&text).expect("vectors are JSON")
}

fn get<'a>(v: &'a Json, key: &str) -> &'a Json {
    match v {
        Json::Object(fields) => fields
            .iter()
            .find(|(k, _)| k == key)
            .map_or_else(|| panic!("no {key}"), |(_, v)| v),
        _ => panic!("not an object"),
    }
}

fn list<'a>(v: &'a Json, key: &str) -> &'a [Json] {
    match get(v, key) {
        Json::Array(items) => items,
        _ => panic!("{key} is not an array"),
    }
}

fn string<'a>(v: &'a Json, key: &str) -> &'a str {
    match get(v, key) {
        Json::String(s) => s,
        _ => panic!("{key} is not a string"),
    }
}

fn int(v: &Json) -> u8 {
    match v {
        Json::Int(n) => u8::try_from(*n).expect("small"),
        _ => panic!("not an integer"),
    }
}

fn ints(v: &Json) -> Vec<u8> {
    match v {
        Json::Array(items) => items.iter().map(int).collect(),
        _ => panic!("not an array"),
    }
}

/// The reference library's default section with the vector's `set` fields applied.
fn section(case: &Json) -> UsNat {
    let mut u = UsNat::default();
    let Json::Object(set) = get(case, "set") else {
        panic!("set is not an object")
    };
    for (name, value) in set {
        match name.as_str() {
            "SharingNotice" => u.sharing_notice = int(value),
            "SaleOptOutNotice" => u.sale_opt_out_notice = int(value),
            "SharingOptOutNotice" => u.sharing_opt_out_notice = int(value),
            "TargetedAdvertisingOptOutNotice" => u.targeted_advertising_opt_out_notice = int(value),
            "SensitiveDataProcessingOptOutNotice" => {
                u.sensitive_data_processing_opt_out_notice = int(value);
            }
            "SensitiveDataLimitUseNotice" => u.sensitive_data_limit_use_notice = int(value),
            "SaleOptOut" => u.sale_opt_out = int(value),
            "SharingOptOut" => u.sharing_opt_out = int(value),
            "TargetedAdvertisingOptOut" => u.targeted_advertising_opt_out = int(value),
            "SensitiveDataProcessing" => {
                u.sensitive_data_processing = ints(value).try_into().expect("16 values");
            }
            "KnownChildSensitiveDataConsents" => {
                u.known_child_sensitive_data_consents = ints(value).try_into().expect("3 values");
            }
            "PersonalDataConsents" => u.personal_data_consents = int(value),
            "MspaCoveredTransaction" => u.mspa_covered_transaction = int(value),
            "MspaOptOutOptionMode" => u.mspa_opt_out_option_mode = int(value),
            "MspaServiceProviderMode" => u.mspa_service_provider_mode = int(value),
            "Gpc" => u.gpc = Some(*value == Json::Bool(true)),
            "GpcSegmentIncluded" => {
                if *value == Json::Bool(false) {
                    u.gpc = None;
                }
            }
            other => panic!("unknown field {other}"),
        }
    }
    u
}

#[test]
fn headers_match_the_iab_strings() {
    let v = vectors();
    let headers = list(&v, "headers");
    assert_eq!(headers.len(), 8);
    for case in headers {
        let text = string(case, "text");
        let ids: Vec<u32> = ints(get(case, "section_ids"))
            .into_iter()
            .map(u32::from)
            .collect();
        assert_eq!(gpp::decode_header(text).unwrap(), ids, "decode {text}");
        if *get(case, "encodes") == Json::Bool(true) {
            assert_eq!(gpp::encode_header(&ids).unwrap(), text, "encode {ids:?}");
        }
    }
}

#[test]
fn usnat_sections_match_the_reference_library() {
    let v = vectors();
    let cases = list(&v, "usnat");
    assert_eq!(cases.len(), 5);
    for case in cases {
        let text = string(case, "text");
        let expected = section(case);
        assert_eq!(expected.encode().unwrap(), text, "{}", string(case, "name"));
        assert_eq!(UsNat::decode(text).unwrap(), expected, "decode {text}");
    }
}

#[test]
fn full_strings_match_the_reference_library() {
    let v = vectors();
    let usnat = list(&v, "usnat");
    for case in list(&v, "gpp") {
        let text = string(case, "text");
        let name = string(case, "usnat");
        let source = usnat
            .iter()
            .find(|c| string(c, "name") == name)
            .expect("named section");
        let expected = section(source);
        assert_eq!(gpp::encode(&expected).unwrap(), text);
        let parsed = gpp::parse(text).unwrap();
        assert_eq!(parsed.sections.len(), 1);
        assert_eq!(parsed.usnat().unwrap().unwrap(), expected);
    }
}

#[test]
fn refused_strings_name_their_error() {
    let v = vectors();
    for case in list(&v, "refused") {
        let err = UsNat::decode(string(case, "text")).unwrap_err();
        assert_eq!(err.code(), string(case, "error"), "{}", string(case, "why"));
    }
}

#[test]
fn out_of_range_values_are_refused() {
    // As the reference library's "should throw an error if invalid values are set".
    let setters: [fn(&mut UsNat); 6] = [
        |u| u.sharing_notice = 3,
        |u| u.sale_opt_out = 3,
        |u| u.sensitive_data_processing[3] = 3,
        |u| u.known_child_sensitive_data_consents[1] = 3,
        |u| u.mspa_covered_transaction = 0,
        |u| u.mspa_service_provider_mode = 3,
    ];
    for set in setters {
        let mut u = UsNat::default();
        set(&mut u);
        assert_eq!(u.encode(), Err(GppError::ValueOutOfRange), "{u:?}");
    }
}

const REMARKETING: u8 = 2;
const MARKETING_EMAIL: u8 = 3;

fn set(indices: &[u8]) -> CategorySet {
    let mut s = CategorySet::EMPTY;
    for &i in indices {
        s.insert(i);
    }
    s
}

#[test]
fn opt_outs_follow_the_sale_or_share_categories() {
    let sale = set(&[REMARKETING, MARKETING_EMAIL]);
    let notices = UsNatNotices::default();
    let mspa = Mspa::default();
    let all = usnat_from_decision(set(&[0, 1, 2, 3]), sale, false, &notices, &mspa);
    assert_eq!(
        (
            all.sale_opt_out,
            all.sharing_opt_out,
            all.targeted_advertising_opt_out
        ),
        (DID_NOT_OPT_OUT, DID_NOT_OPT_OUT, DID_NOT_OPT_OUT)
    );
    assert_eq!(all.gpc, Some(false));
    // One of the two denied: fail closed, the visitor opted out.
    let partly = usnat_from_decision(set(&[0, 2]), sale, false, &notices, &mspa);
    assert_eq!(partly.sale_opt_out, OPTED_OUT);
    assert_eq!(partly.sharing_opt_out, OPTED_OUT);
    assert_eq!(partly.targeted_advertising_opt_out, OPTED_OUT);
    // GPC is reported from the signal.
    let gpc = usnat_from_decision(set(&[0]), sale, true, &notices, &mspa);
    assert_eq!(gpc.gpc, Some(true));
    assert_eq!(gpc.sale_opt_out, OPTED_OUT);
    // The GPC subsection with Gpc set: SubsectionType 1, Gpc 1 = bits 011, "YA".
    let text = gpp::encode(&gpc).unwrap();
    assert_eq!(text.rsplit_once('.').map(|(_, sub)| sub), Some("YA"));
    // Whole strings, written out by hand from the specification's bit layout: version 2; notices 01 01 01 01 00 00;
    // opt-outs 01 01 01 (opted out) or 10 10 10 (did not); 19 × 00; PersonalDataConsents 00; covered 10 (no);
    // modes 00 00; then the GPC subsection.
    assert_eq!(text, "DBABLA~CVQVAAAAAACA.YA");
    assert_eq!(gpp::encode(&all).unwrap(), "DBABLA~CVQqAAAAAACA.QA");
}

#[test]
fn opt_outs_are_not_applicable_without_a_notice_or_a_sale() {
    let sale = set(&[REMARKETING]);
    let notices = UsNatNotices {
        sale_opt_out: NOTICE_NOT_PROVIDED,
        ..UsNatNotices::default()
    };
    let u = usnat_from_decision(set(&[0]), sale, false, &notices, &Mspa::default());
    assert_eq!(u.sale_opt_out_notice, NOTICE_NOT_PROVIDED);
    assert_eq!(u.sale_opt_out, NOT_APPLICABLE);
    assert_eq!(u.sharing_opt_out, OPTED_OUT);
    let none = usnat_from_decision(
        set(&[0, 1]),
        CategorySet::EMPTY,
        false,
        &UsNatNotices::default(),
        &Mspa::default(),
    );
    assert_eq!(
        (
            none.sale_opt_out,
            none.sharing_opt_out,
            none.targeted_advertising_opt_out
        ),
        (NOT_APPLICABLE, NOT_APPLICABLE, NOT_APPLICABLE)
    );
}

#[test]
fn mspa_flags_come_from_config() {
    let sale = set(&[REMARKETING]);
    let notices = UsNatNotices::default();
    let not_covered = usnat_from_decision(set(&[0]), sale, false, &notices, &Mspa::default());
    assert_eq!(
        (
            not_covered.mspa_covered_transaction,
            not_covered.mspa_opt_out_option_mode,
            not_covered.mspa_service_provider_mode
        ),
        (NO, NOT_APPLICABLE, NOT_APPLICABLE)
    );
    let covered = Mspa {
        covered_transaction: true,
        opt_out_option_mode: true,
        service_provider_mode: false,
    };
    let u = usnat_from_decision(set(&[0]), sale, false, &notices, &covered);
    assert_eq!(
        (
            u.mspa_covered_transaction,
            u.mspa_opt_out_option_mode,
            u.mspa_service_provider_mode
        ),
        (YES, YES, NO)
    );
    // A complete string for a covered, opted-out California visitor with GPC, checked field by field after
    // decoding (the bits themselves are checked against the IAB's strings above).
    let text = gpp::encode(&usnat_from_decision(
        set(&[0]),
        sale,
        true,
        &notices,
        &covered,
    ))
    .unwrap();
    let back = gpp::parse(&text).unwrap().usnat().unwrap().unwrap();
    assert_eq!(back.sale_opt_out, OPTED_OUT);
    assert_eq!(back.mspa_opt_out_option_mode, YES);
    assert_eq!(back.gpc, Some(true));
}

#[test]
fn a_us_visitor_with_gpc_under_an_opt_out_config() {
    use assent_core::{Config, Signals, decide};
    let config = Config::from_json(
        r#"{"revision": 1, "mode": "opt-out", "policy_url": "/privacy",
            "categories": {"analytics": {"default": true}, "remarketing": {"default": true}}}"#,
    )
    .unwrap();
    assert_eq!(gpp::sale_or_share(&config), set(&[REMARKETING]));
    let notices = UsNatNotices::default();
    let mspa = Mspa::default();
    // No signal: the opt-out defaults grant remarketing, so the visitor did not opt out.
    let d = decide(&config, None, Signals::default(), 1_764_000_000);
    let u = gpp::usnat_for(&config, &d, false, &notices, &mspa);
    assert_eq!(u.sale_opt_out, DID_NOT_OPT_OUT);
    assert_eq!(u.gpc, Some(false));
    // GPC: the engine denies remarketing, and the string says opted out with Gpc set.
    let gpc = Signals {
        dnt: false,
        gpc: true,
    };
    let d = decide(&config, None, gpc, 1_764_000_000);
    assert!(d.gpc_honored);
    let u = gpp::usnat_for(&config, &d, true, &notices, &mspa);
    assert_eq!(
        (
            u.sale_opt_out,
            u.sharing_opt_out,
            u.targeted_advertising_opt_out,
            u.gpc
        ),
        (OPTED_OUT, OPTED_OUT, OPTED_OUT, Some(true))
    );
    let text = gpp::encode(&u).unwrap();
    assert!(text.starts_with("DBABLA~"), "{text}");
    assert_eq!(gpp::parse(&text).unwrap().usnat().unwrap().unwrap(), u);
}

fn two() -> impl Strategy<Value = u8> {
    0u8..=2
}

prop_compose! {
    fn any_usnat()(
        head in proptest::array::uniform9(two()),
        sensitive in proptest::array::uniform16(two()),
        child in proptest::array::uniform3(two()),
        personal in two(),
        covered in 1u8..=2,
        modes in proptest::array::uniform2(two()),
        gpc in proptest::option::of(any::<bool>()),
    ) -> UsNat {
        UsNat {
            sharing_notice: head[0],
            sale_opt_out_notice: head[1],
            sharing_opt_out_notice: head[2],
            targeted_advertising_opt_out_notice: head[3],
            sensitive_data_processing_opt_out_notice: head[4],
            sensitive_data_limit_use_notice: head[5],
            sale_opt_out: head[6],
            sharing_opt_out: head[7],
            targeted_advertising_opt_out: head[8],
            sensitive_data_processing: sensitive,
            known_child_sensitive_data_consents: child,
            personal_data_consents: personal,
            mspa_covered_transaction: covered,
            mspa_opt_out_option_mode: modes[0],
            mspa_service_provider_mode: modes[1],
            gpc,
        }
    }
}

proptest! {
    #[test]
    fn decode_of_encode_is_identity(u in any_usnat()) {
        let text = gpp::encode(&u).unwrap();
        let parsed = gpp::parse(&text).unwrap();
        prop_assert_eq!(parsed.usnat().unwrap().unwrap(), u);
    }

    #[test]
    fn decisions_always_encode(granted: u64, sale: u64, gpc: bool, covered: bool, a: bool, b: bool) {
        let mspa = Mspa { covered_transaction: covered, opt_out_option_mode: a, service_provider_mode: b };
        let u = usnat_from_decision(CategorySet(granted | 1), CategorySet(sale & !1), gpc, &UsNatNotices::default(), &mspa);
        let back = UsNat::decode(&u.encode().unwrap()).unwrap();
        prop_assert_eq!(&back, &u);
        let opted_out = sale & !1 & !(granted | 1) != 0;
        if sale & !1 != 0 {
            prop_assert_eq!(back.sale_opt_out, if opted_out { OPTED_OUT } else { DID_NOT_OPT_OUT });
        }
    }

    #[test]
    fn garbage_never_panics(text in "[A-Za-z0-9_~.-]{0,40}") {
        if let Ok(parsed) = gpp::parse(&text) {
            let _ = parsed.usnat();
        }
        let _ = UsNat::decode(&text);
    }
}

/// The `usnat` opt-out value as `iab_gpp` names it.
fn opt_out_name(v: u8) -> iab_gpp::sections::us_common::OptOut {
    use iab_gpp::sections::us_common::OptOut;
    match v {
        OPTED_OUT => OptOut::OptedOut,
        DID_NOT_OPT_OUT => OptOut::DidNotOptOut,
        _ => OptOut::NotApplicable,
    }
}

proptest! {
    /// Any decision, GPC signal and MSPA status: the whole GPP string Assent emits decodes with `iab_gpp`, with
    /// section 7 only, the GPC subsection saying the signal, the three opt-outs 1 unless every sale/share category
    /// is granted, and the MSPA fields as configured.
    #[test]
    fn every_string_a_decision_gives_reads_back_with_an_independent_decoder(
        granted in 0u8..16,
        gpc in any::<bool>(),
        covered in any::<bool>(),
        mode in 0u8..3,
    ) {
        use iab_gpp::sections::us_common::{MspaMode, OptOut};
        use iab_gpp::sections::usnat::{Core, UsNat as Decoded};
        let mut set_granted = set(&[0]);
        for i in 0..4u8 {
            if granted & (1 << i) != 0 {
                set_granted.insert(i);
            }
        }
        let mspa = Mspa {
            covered_transaction: covered,
            opt_out_option_mode: covered && mode == 1,
            service_provider_mode: covered && mode == 2,
        };
        let sale = set(&[REMARKETING, MARKETING_EMAIL]);
        let ours = usnat_from_decision(set_granted, sale, gpc, &UsNatNotices::default(), &mspa);
        let text = gpp::encode(&ours).unwrap();
        let parsed = iab_gpp::v1::GPPString::parse_str(&text).unwrap();
        prop_assert_eq!(parsed.section_ids().count(), 1);
        let decoded: Decoded = parsed.decode().unwrap();
        prop_assert_eq!(decoded.gpc, Some(gpc));
        let Core::V2(core) = decoded.core else {
            return Err(TestCaseError::fail("usnat core is not version 2"));
        };
        let expected = if sale.is_subset(set_granted) { OptOut::DidNotOptOut } else { OptOut::OptedOut };
        prop_assert_eq!(&core.sale_opt_out, &expected);
        prop_assert_eq!(&core.sharing_opt_out, &expected);
        prop_assert_eq!(&core.targeted_advertising_opt_out, &expected);
        prop_assert_eq!(&core.sale_opt_out, &opt_out_name(ours.sale_opt_out));
        prop_assert_eq!(core.mspa_covered_transaction, covered);
        let flag = |on: bool| if !covered { MspaMode::NotApplicable } else if on { MspaMode::Yes } else { MspaMode::No };
        prop_assert_eq!(&core.mspa_opt_out_option_mode, &flag(mspa.opt_out_option_mode));
        prop_assert_eq!(&core.mspa_service_provider_mode, &flag(mspa.service_provider_mode));
    }
}
