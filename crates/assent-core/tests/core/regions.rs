//! `regions` in the config: presets by name, custom places, per-region validation, and what applying a region
//! changes (mode, defaults, signals, what is shown, the stored choice's region).

use super::{DNT, GPC, NONE, NOW, config, errors, reason};
use assent_core::config::Mode;
use assent_core::lifecycle::{Effect, on_boot, on_choice};
use assent_core::region::{Places, Show, resolve};
use assent_core::{Choice, ConsentState, Method, Reason, decide};

const ALL_PRESETS: &str = r#""regions": {"eu": {}, "us_states": {}, "default": {}},"#;

fn config_in(extra: &str, region: &str) -> assent_core::Config {
    let mut c = config(extra);
    let i = c.regions.iter().position(|r| r.name == region).unwrap();
    c.apply_region(i);
    c
}

#[test]
fn without_regions_nothing_changes() {
    let c = config("");
    assert!(c.regions.is_empty() && c.region_rules.is_empty());
    assert_eq!(
        (c.region, c.show, c.region_name()),
        (None, Show::Banner, None)
    );
    // Opt-in without regions keeps today's GPC notice.
    assert!(decide(&c, None, GPC, NOW).gpc_honored);
}

#[test]
fn presets_by_name_take_their_places_mode_and_show() {
    let c = config(ALL_PRESETS);
    let names: Vec<&str> = c.regions.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["eu", "us_states", "default"]);
    let rules: Vec<(Mode, Show)> = c.regions.iter().map(|r| (r.mode, r.show)).collect();
    assert_eq!(
        rules,
        [
            (Mode::OptIn, Show::Banner),
            (Mode::OptOut, Show::Notice),
            (Mode::OptIn, Show::Banner)
        ]
    );
    assert!(matches!(&c.regions[0].places, Places::Listed(p) if p.iter().any(|p| p == "FR")));
    assert_eq!(c.regions[2].places, Places::Everywhere);
    assert_eq!(resolve(Some("US"), Some("CA"), &c.regions), Some(1));
    // A preset's places under another name, with its rules changed.
    let c = config(r#""regions": {"europe": {"places": "eu", "show": "none"}},"#);
    assert_eq!(
        (c.regions[0].mode, c.regions[0].show),
        (Mode::OptIn, Show::Nothing)
    );
}

#[test]
fn an_opt_out_region_grants_by_default_except_what_gpc_turns_off() {
    let c = config_in(ALL_PRESETS, "us_states");
    assert_eq!(
        (c.mode, c.show, c.region_name()),
        (Mode::OptOut, Show::Notice, Some("us_states"))
    );
    let d = decide(&c, None, NONE, NOW);
    for name in ["analytics", "remarketing", "marketing_email", "functional"] {
        assert_eq!(reason(&d, name), (true, Reason::Default), "{name}");
    }
    assert!(!d.gpc_honored);
    let d = decide(&c, None, GPC, NOW);
    assert_eq!(reason(&d, "remarketing"), (false, Reason::Gpc));
    assert_eq!(reason(&d, "analytics"), (true, Reason::Default));
    assert!(d.gpc_honored, "the US notice says the opt-out was honoured");
    // DNT turns its categories off too, but the notice's "Opt-Out Request Honored" is GPC's alone (README).
    let d = decide(&c, None, DNT, NOW);
    assert_eq!(reason(&d, "analytics"), (false, Reason::Dnt));
    assert!(!d.gpc_honored);
}

#[test]
fn europe_with_gpc_denies_but_never_shows_the_us_notice() {
    let c = config_in(ALL_PRESETS, "eu");
    let d = decide(&c, None, GPC, NOW);
    assert_eq!(reason(&d, "remarketing"), (false, Reason::Gpc));
    assert_eq!(reason(&d, "analytics"), (false, Reason::Default));
    assert!(!d.gpc_honored);
}

#[test]
fn region_defaults_and_signals_override_the_site_wide_ones() {
    let c = config_in(
        r#""regions": {"us_states": {"defaults": {"analytics": false},
                                      "signals": {"gpc": "ignore", "dnt": "ignore"}}},"#,
        "us_states",
    );
    let d = decide(&c, None, GPC, NOW);
    assert_eq!(reason(&d, "analytics"), (false, Reason::Default));
    assert_eq!(reason(&d, "remarketing"), (true, Reason::Default));
    assert!(!d.gpc_honored);
    let dnt = assent_core::Signals {
        dnt: true,
        gpc: false,
    };
    assert_eq!(
        reason(&decide(&c, None, dnt, NOW), "remarketing"),
        (true, Reason::Default)
    );
}

#[test]
fn a_preset_whose_mode_is_changed_shows_what_that_mode_shows() {
    // The US notice has no accept button: asking for consent there needs the banner; and an opt-out default gets
    // the opt-out notice, not a banner asking for a consent nobody needs.
    let c = config(
        r#""regions": {"us_states": {"mode": "opt-in"}, "default": {"mode": "opt-out"}, "eu": {"mode": "opt-in"}},"#,
    );
    let rules: Vec<(&str, Mode, Show)> = c
        .regions
        .iter()
        .map(|r| (r.name.as_str(), r.mode, r.show))
        .collect();
    assert_eq!(
        rules,
        [
            ("us_states", Mode::OptIn, Show::Banner),
            ("default", Mode::OptOut, Show::Notice),
            ("eu", Mode::OptIn, Show::Banner)
        ]
    );
}

#[test]
fn custom_regions_need_places_and_default_their_show_by_mode() {
    let c = config(r#""regions": {"california": {"places": ["US-CA"], "mode": "opt-out"}},"#);
    assert_eq!(c.regions[0].places, Places::Listed(vec!["US-CA".into()]));
    assert_eq!(
        (c.regions[0].mode, c.regions[0].show),
        (Mode::OptOut, Show::Notice)
    );
    let c = config(r#""regions": {"dach": {"places": ["DE", "AT", "CH"]}},"#);
    assert_eq!(
        (c.regions[0].mode, c.regions[0].show),
        (Mode::OptIn, Show::Banner)
    );
}

#[test]
fn an_unknown_province_or_an_unlisted_place_gets_the_strictest_region() {
    // As README "Fail closed" says: a country some region lists by subdivision, with the subdivision unknown, gets
    // the strictest region that could apply there (not the opt-out `default`)...
    let c = config(
        r#""regions": {"default": {"mode": "opt-out", "show": "none"}, "quebec": {"places": ["CA-QC"]}},"#,
    );
    assert_eq!(resolve(Some("CA"), None, &c.regions), Some(1));
    assert_eq!(resolve(Some("CA"), Some("ON"), &c.regions), Some(0));
    // ...and without `default`, a place no region lists gets the strictest region.
    let c = config(r#""regions": {"us_states": {}, "eu": {}},"#);
    assert_eq!(resolve(Some("JP"), None, &c.regions), Some(1));
}

#[test]
fn bad_regions_are_refused_with_their_path() {
    let base = |regions: &str| {
        format!(
            r#"{{"revision": 1, "policy_url": "/p", "regions": {regions},
                "categories": {{"analytics": {{}}, "remarketing": {{}}}}}}"#
        )
    };
    let cases = [
        (
            r#"{"us_states": {"mode": "opt-in", "show": "notice"}}"#,
            "regions.us_states.show",
        ),
        (
            r#"{"dach": {"places": ["DE"], "show": "notice"}}"#,
            "regions.dach.show",
        ),
        (
            r#"{"eu": {"defaults": {"analytics": true}}}"#,
            "regions.eu.defaults.analytics",
        ),
        (
            r#"{"eu": {"mode": "opt-out", "defaults": {"essential": false}}}"#,
            "regions.eu.defaults.essential",
        ),
        (
            r#"{"us_states": {"defaults": {"ads": true}}}"#,
            "regions.us_states.defaults.ads",
        ),
        (
            r#"{"us_states": {"defaults": {"analytics": "yes"}}}"#,
            "regions.us_states.defaults.analytics",
        ),
        (r#"{"mars": {}}"#, "regions.mars.places"),
        (r#"{"x": {"places": "moon"}}"#, "regions.x.places"),
        (r#"{"x": {"places": []}}"#, "regions.x.places"),
        (r#"{"x": {"places": ["de"]}}"#, "regions.x.places[0]"),
        (
            r#"{"x": {"places": ["DE", "US-CALI"]}}"#,
            "regions.x.places[1]",
        ),
        (r#"{"eu": {"mode": "optin"}}"#, "regions.eu.mode"),
        (r#"{"eu": {"show": "popup"}}"#, "regions.eu.show"),
        (r#"{"eu": {"show": true}}"#, "regions.eu.show"),
        (r#"{"eu": {"colour": "red"}}"#, "regions.eu.colour"),
        (
            r#"{"eu": {"signals": {"gpc": "maybe"}}}"#,
            "regions.eu.signals.gpc",
        ),
        (
            r#"{"eu": {"signals": {"dnt_categories": []}}}"#,
            "regions.eu.signals.dnt_categories",
        ),
        (r#"{"Europe": {"places": "eu"}}"#, "regions.Europe"),
        (
            r#"{"default": {}, "rest": {"places": "default"}}"#,
            "regions.rest.places",
        ),
        ("{}", "regions"),
        (r#"["eu"]"#, "regions"),
    ];
    for (regions, path) in cases {
        let e = errors(&base(regions));
        assert!(
            e.has(path),
            "{regions}: expected an error at {path}, got {e}"
        );
    }
    // A list whose only entries are invalid gets one error per entry and none for the list: it is not empty.
    for regions in [r#"{"x": {"places": ["us-ca"]}}"#, r#"{"x": {"places": 5}}"#] {
        let e = errors(&base(regions));
        let paths: Vec<&str> = e.errors.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths.len(), 1, "{regions}: expected one error, got {e}");
    }
    // An opt-out region may pre-tick; the same `true` in the opt-in EU may not.
    assert!(
        assent_core::Config::from_json(&base(
            r#"{"us_states": {"defaults": {"analytics": true}}}"#
        ))
        .is_ok()
    );
}

#[test]
fn what_is_shown_follows_the_region() {
    let show = |region: &str| {
        let c = config_in(
            r#""regions": {"eu": {}, "us_states": {}, "quiet": {"places": ["JP"], "mode": "opt-out", "show": "none"}},"#,
            region,
        );
        let effects = on_boot(&c, None, NONE, NOW).effects;
        (
            effects.contains(&Effect::ShowBanner),
            effects.contains(&Effect::ShowNotice),
            effects.contains(&Effect::Activate),
        )
    };
    assert_eq!(show("eu"), (true, false, true));
    assert_eq!(show("us_states"), (false, true, true));
    assert_eq!(show("quiet"), (false, false, true));
}

#[test]
fn the_stored_choice_carries_the_region_that_applied() {
    let c = config_in(ALL_PRESETS, "us_states");
    let boot = on_boot(&c, None, NONE, NOW);
    let plan = on_choice(
        &c,
        &boot.decision,
        &Choice::RejectAll,
        Method::Preferences,
        NONE,
        NOW,
    )
    .unwrap();
    let Some(Effect::WriteChoice(state)) = plan
        .effects
        .iter()
        .find(|e| matches!(e, Effect::WriteChoice(_)))
    else {
        panic!("no WriteChoice");
    };
    assert_eq!(state.region, Some(1));
    let read = ConsentState::decode(&state.encode()).unwrap();
    assert_eq!(read.region, Some(1));
    // Without regions the cookie stays version 1 and carries none.
    let plain = config("");
    let boot = on_boot(&plain, None, NONE, NOW);
    let plan = on_choice(
        &plain,
        &boot.decision,
        &Choice::AcceptAll,
        Method::Banner,
        NONE,
        NOW,
    )
    .unwrap();
    assert!(
        plan.effects
            .iter()
            .any(|e| matches!(e, Effect::WriteChoice(s) if s.region.is_none()))
    );
}

#[test]
fn gpp_is_on_in_the_us_preset_and_carries_the_regions_mspa_status() {
    let c = config_in(ALL_PRESETS, "us_states");
    let rules = c.gpp_rules().expect("the us_states preset offers GPP");
    assert!(!rules.mspa.covered_transaction);
    for region in ["eu", "default"] {
        assert!(
            config_in(ALL_PRESETS, region).gpp_rules().is_none(),
            "{region}"
        );
    }
    assert!(
        config(ALL_PRESETS).gpp_rules().is_none(),
        "no region applied yet"
    );
    let c = config_in(
        r#""regions": {"usa": {"places": "us_states", "mspa_covered_transaction": true, "mspa_opt_out_option_mode": true}, "ca": {"places": ["US-CA"], "mode": "opt-out", "gpp": true}, "us_states": {"gpp": false}},"#,
        "usa",
    );
    let mspa = c.gpp_rules().unwrap().mspa;
    assert!(mspa.covered_transaction && mspa.opt_out_option_mode && !mspa.service_provider_mode);
    let regions =
        r#""regions": {"ca": {"places": ["US-CA"], "gpp": true}, "us_states": {"gpp": false}},"#;
    assert!(config_in(regions, "ca").gpp_rules().is_some());
    assert!(config_in(regions, "us_states").gpp_rules().is_none());
}

#[test]
fn mspa_modes_need_a_covered_transaction_and_exclude_each_other() {
    let base = |regions: &str| {
        format!(
            r#"{{"revision": 1, "policy_url": "/p", "regions": {regions},
                "categories": {{"analytics": {{}}, "remarketing": {{}}}}}}"#
        )
    };
    let cases = [
        (
            r#"{"us_states": {"mspa_opt_out_option_mode": true}}"#,
            "regions.us_states.mspa_covered_transaction",
        ),
        (
            r#"{"us_states": {"mspa_covered_transaction": true, "mspa_opt_out_option_mode": true, "mspa_service_provider_mode": true}}"#,
            "regions.us_states.mspa_service_provider_mode",
        ),
        (r#"{"us_states": {"gpp": "yes"}}"#, "regions.us_states.gpp"),
    ];
    for (regions, path) in cases {
        let e = errors(&base(regions));
        assert!(
            e.has(path),
            "{regions}: expected an error at {path}, got {e}"
        );
    }
}
