//! The pure part of the `__gpp` API: the Assent state → the `usnat` section, its string, and its fields as the
//! IAB reference library names them (`parsedSections`, `getField("usnat.SaleOptOut")`). No JS here, so it is
//! tested natively.

use assent_core::CategorySet;
use assent_core::gpp::{self, Mspa, UsNat, UsNatNotices, usnat_from_decision};

/// The API names of section 7 (`supportedAPIs` entry `"7:usnat"`, `hasSection("usnat")`).
pub const USNAT_NAME: &str = "usnat";

/// What the engine hands over once: which categories mean "sale or sharing" of personal data, and the site's
/// MSPA status (the region's config).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Model {
    /// Category names (`remarketing`, …) whose denial is a sale/sharing/targeted-advertising opt-out.
    pub sale_or_share: Vec<String>,
    pub mspa: Mspa,
    /// The IAB CMP id; [`UNREGISTERED_CMP_ID`] when the site has none.
    pub cmp_id: u32,
    /// Whether the region shows a banner or notice before a choice (`show: "none"` shows nothing).
    pub shows_ui: bool,
}

/// The `cmpId` of a CMP the IAB has not registered: the CMP API says string creators without an id use 1 (the
/// MSPA, which `usnat` serves, requires no registration); 0 is only for a stub.
pub const UNREGISTERED_CMP_ID: u32 = 1;

/// `cmpDisplayStatus` (the Assent interface is the display layer: banner, notice or preferences).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Display {
    Visible,
    Hidden,
}

impl Display {
    /// What the interface said it shows (`assent:ui`: `Some(true)` while the banner, notice or preferences are
    /// on screen) wins; before it said anything (its part may still be loading), the interface is taken as on
    /// screen before a choice in a region that shows one, and gone once the visitor chose.
    pub fn for_state(shown: Option<bool>, shows_ui: bool, decided: bool) -> Display {
        if shown.unwrap_or(shows_ui && !decided) {
            Display::Visible
        } else {
            Display::Hidden
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Display::Visible => "visible",
            Display::Hidden => "hidden",
        }
    }
}

/// The events fired once the real API replaces the stub, in the CMP API's order ("Event Order Example" 1 and
/// 2): the CMP is loaded, the display layer shows if it does, and the signal is ready last.
pub fn start_events(display: Display) -> Vec<(&'static str, &'static str)> {
    let mut events = vec![("cmpStatus", "loaded")];
    if display == Display::Visible {
        events.push(("cmpDisplayStatus", display.as_str()));
    }
    events.push(("signalStatus", "ready"));
    events
}

/// The events of a decision change: the signal is "not ready" first (the CMP API: "must always first set
/// signalStatus to not ready"), then what changed (display, section), and "ready" last.
pub fn change_events(
    display_before: Display,
    display_after: Display,
    section_changed: bool,
) -> Vec<(&'static str, &'static str)> {
    let mut events = vec![("signalStatus", "not ready")];
    if display_before != display_after {
        events.push(("cmpDisplayStatus", display_after.as_str()));
    }
    if section_changed {
        events.push(("sectionChange", USNAT_NAME));
    }
    events.push(("signalStatus", "ready"));
    events
}

/// A field value as the API returns it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Field {
    Int(u8),
    List(Vec<u8>),
    Bool(bool),
}

/// The section for a decision: `granted(name)` says whether a category is granted now (a missing category is
/// denied: fail closed), `gpc` is the browser's signal.
pub fn usnat_for_state(model: &Model, granted: impl Fn(&str) -> bool, gpc: bool) -> UsNat {
    let mut sale_or_share = CategorySet::EMPTY;
    let mut granted_set = CategorySet::EMPTY;
    for (i, name) in model.sale_or_share.iter().enumerate().take(64) {
        let i = i as u8;
        sale_or_share.insert(i);
        if granted(name) {
            granted_set.insert(i);
        }
    }
    usnat_from_decision(
        granted_set,
        sale_or_share,
        gpc,
        &UsNatNotices::default(),
        &model.mspa,
    )
}

/// The GPP string of a section (empty when it cannot be encoded, which a section from
/// [`usnat_from_decision`] never is).
pub fn gpp_string(usnat: &UsNat) -> String {
    gpp::encode(usnat).unwrap_or_default()
}

/// The core segment's fields, named and ordered as in the specification and the reference library.
pub fn core_fields(u: &UsNat) -> Vec<(&'static str, Field)> {
    vec![
        ("Version", Field::Int(gpp::USNAT_VERSION as u8)),
        ("SharingNotice", Field::Int(u.sharing_notice)),
        ("SaleOptOutNotice", Field::Int(u.sale_opt_out_notice)),
        ("SharingOptOutNotice", Field::Int(u.sharing_opt_out_notice)),
        (
            "TargetedAdvertisingOptOutNotice",
            Field::Int(u.targeted_advertising_opt_out_notice),
        ),
        (
            "SensitiveDataProcessingOptOutNotice",
            Field::Int(u.sensitive_data_processing_opt_out_notice),
        ),
        (
            "SensitiveDataLimitUseNotice",
            Field::Int(u.sensitive_data_limit_use_notice),
        ),
        ("SaleOptOut", Field::Int(u.sale_opt_out)),
        ("SharingOptOut", Field::Int(u.sharing_opt_out)),
        (
            "TargetedAdvertisingOptOut",
            Field::Int(u.targeted_advertising_opt_out),
        ),
        (
            "SensitiveDataProcessing",
            Field::List(u.sensitive_data_processing.to_vec()),
        ),
        (
            "KnownChildSensitiveDataConsents",
            Field::List(u.known_child_sensitive_data_consents.to_vec()),
        ),
        ("PersonalDataConsents", Field::Int(u.personal_data_consents)),
        (
            "MspaCoveredTransaction",
            Field::Int(u.mspa_covered_transaction),
        ),
        (
            "MspaOptOutOptionMode",
            Field::Int(u.mspa_opt_out_option_mode),
        ),
        (
            "MspaServiceProviderMode",
            Field::Int(u.mspa_service_provider_mode),
        ),
    ]
}

/// The GPC subsection's fields as the usnat specification names them (none when the section has no GPC
/// subsection).
pub fn gpc_fields(u: &UsNat) -> Vec<(&'static str, Field)> {
    match u.gpc {
        Some(gpc) => vec![("SubsectionType", Field::Int(1)), ("Gpc", Field::Bool(gpc))],
        None => Vec::new(),
    }
}

/// `getField`'s lookup: `"usnat.SaleOptOut"` → the value; `None` (answered `null`, unsuccessful, as the
/// reference library answers) for another section, an unknown field or a path that is not `<section>.<field>`.
/// The reference library's own names of the GPC subsection's fields, `GpcSegmentType` and `GpcSegmentIncluded`,
/// are read too, so a caller written against a CMP built on it gets the same answer.
pub fn field(u: &UsNat, path: &str) -> Option<Field> {
    let name = path.strip_prefix(USNAT_NAME)?.strip_prefix('.')?;
    let gpc = gpc_fields(u);
    let library_name = match name {
        "GpcSegmentType" => gpc.first().map(|f| f.1.clone()),
        "GpcSegmentIncluded" => Some(Field::Bool(u.gpc.is_some())),
        _ => None,
    };
    library_name.or_else(|| {
        core_fields(u)
            .into_iter()
            .chain(gpc)
            .find(|f| f.0 == name)
            .map(|f| f.1)
    })
}

/// `hasSection` / `getSection`: the parameter is the API prefix (`"usnat"`), not the section id, as in the CMP
/// API and the reference library (`hasSection("7")` is `false`).
pub fn is_usnat(name: &str) -> bool {
    name == USNAT_NAME
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> Model {
        Model {
            sale_or_share: vec![String::from("remarketing")],
            mspa: Mspa {
                covered_transaction: true,
                opt_out_option_mode: true,
                service_provider_mode: false,
            },
            cmp_id: UNREGISTERED_CMP_ID,
            shows_ui: true,
        }
    }

    #[test]
    fn a_denied_sale_or_share_category_is_an_opt_out_and_the_string_decodes_back() {
        let denied = usnat_for_state(&model(), |_| false, true);
        assert_eq!(
            field(&denied, "usnat.SaleOptOut"),
            Some(Field::Int(gpp::OPTED_OUT))
        );
        assert_eq!(field(&denied, "usnat.Gpc"), Some(Field::Bool(true)));
        let granted = usnat_for_state(&model(), |n| n == "remarketing", false);
        assert_eq!(
            field(&granted, "usnat.SharingOptOut"),
            Some(Field::Int(gpp::DID_NOT_OPT_OUT))
        );
        for u in [denied, granted] {
            let s = gpp_string(&u);
            let parsed = gpp::parse(&s).unwrap();
            assert_eq!(parsed.usnat().unwrap().unwrap(), u);
        }
    }

    #[test]
    fn mspa_modes_come_from_the_model_and_unknown_fields_are_none() {
        let u = usnat_for_state(&model(), |_| true, false);
        assert_eq!(
            field(&u, "usnat.MspaCoveredTransaction"),
            Some(Field::Int(gpp::YES))
        );
        assert_eq!(
            field(&u, "usnat.MspaOptOutOptionMode"),
            Some(Field::Int(gpp::YES))
        );
        assert_eq!(
            field(&u, "usnat.MspaServiceProviderMode"),
            Some(Field::Int(gpp::NO))
        );
        assert_eq!(field(&u, "usnat.Nope"), None);
        assert_eq!(field(&u, "tcfeuv2.Version"), None);
        assert_eq!(field(&u, "usnatSaleOptOut"), None);
    }

    #[test]
    fn no_sale_or_share_category_means_the_opt_outs_are_not_applicable() {
        let m = Model::default();
        let u = usnat_for_state(&m, |_| false, false);
        assert_eq!(
            field(&u, "usnat.SaleOptOut"),
            Some(Field::Int(gpp::NOT_APPLICABLE))
        );
        assert!(is_usnat("usnat") && !is_usnat("7") && !is_usnat("uspv1") && !is_usnat(""));
    }

    #[test]
    fn the_gpc_subsection_is_read_by_the_specification_s_names_and_the_reference_library_s() {
        let u = usnat_for_state(&model(), |_| false, true);
        assert_eq!(field(&u, "usnat.SubsectionType"), Some(Field::Int(1)));
        assert_eq!(field(&u, "usnat.GpcSegmentType"), Some(Field::Int(1)));
        assert_eq!(
            field(&u, "usnat.GpcSegmentIncluded"),
            Some(Field::Bool(true))
        );
        assert_eq!(field(&u, "usnat.Gpc.x"), None);
        assert_eq!(field(&u, "usnat."), None);
        assert_eq!(field(&u, "usnat"), None);
    }

    #[test]
    fn before_the_interface_speaks_the_display_is_visible_only_before_a_choice_in_a_region_that_shows_something()
     {
        assert_eq!(Display::for_state(None, true, false), Display::Visible);
        assert_eq!(Display::for_state(None, true, true), Display::Hidden);
        assert_eq!(Display::for_state(None, false, false), Display::Hidden);
        assert_eq!(Display::for_state(None, false, true), Display::Hidden);
    }

    #[test]
    fn what_the_interface_says_it_shows_wins_over_the_guess() {
        // Preferences reopened after a choice, or in a region that shows nothing first.
        assert_eq!(Display::for_state(Some(true), true, true), Display::Visible);
        assert_eq!(
            Display::for_state(Some(true), false, false),
            Display::Visible
        );
        // The banner closed by the choice that is just being made.
        assert_eq!(
            Display::for_state(Some(false), true, false),
            Display::Hidden
        );
    }

    #[test]
    fn events_come_in_the_cmp_api_s_order_with_the_signal_status_first_and_last() {
        assert_eq!(
            start_events(Display::Visible),
            [
                ("cmpStatus", "loaded"),
                ("cmpDisplayStatus", "visible"),
                ("signalStatus", "ready")
            ]
        );
        assert_eq!(
            start_events(Display::Hidden),
            [("cmpStatus", "loaded"), ("signalStatus", "ready")]
        );
        assert_eq!(
            change_events(Display::Visible, Display::Hidden, true),
            [
                ("signalStatus", "not ready"),
                ("cmpDisplayStatus", "hidden"),
                ("sectionChange", "usnat"),
                ("signalStatus", "ready")
            ]
        );
        assert_eq!(
            change_events(Display::Hidden, Display::Hidden, false),
            [("signalStatus", "not ready"), ("signalStatus", "ready")]
        );
    }
}
