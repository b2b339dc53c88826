//! Integration tests for assent-core: config validation, the decision engine, choices. One test binary.

use assent_core::config::reference;
use assent_core::{
    BannerReason, Category, Choice, ChoiceError, Config, ConsentModeType, ConsentState, Method,
    Reason, Signals, apply_choice, decide,
};
use proptest::prelude::*;
use std::fmt::Write as _;

const NOW: u64 = 1_764_000_000;
const DAY: u64 = 86_400;

fn config(extra: &str) -> Config {
    let text = format!(
        r#"{{"revision": 2, "policy_url": "/privacy", {extra}
            "categories": {{
                "essential": {{}},
                "analytics": {{"cookies": ["_ga", "_ga_*", "_gid"]}},
                "remarketing": {{"cookies": ["IDE"]}},
                "marketing_email": {{}},
                "functional": {{"title": {{"en": "Functional", "de": "Funktional"}},
                                "consent_mode": ["functionality_storage", "personalization_storage"]}}
            }}}}"#
    );
    Config::from_json(&text).unwrap_or_else(|e| panic!("{e}"))
}

fn errors(text: &str) -> assent_core::ConfigError {
    Config::from_json(text).expect_err("config should be refused")
}

const NONE: Signals = Signals {
    dnt: false,
    gpc: false,
};
const DNT: Signals = Signals {
    dnt: true,
    gpc: false,
};
const GPC: Signals = Signals {
    dnt: false,
    gpc: true,
};

fn reason(d: &assent_core::Decision, name: &str) -> (bool, Reason) {
    let c = d
        .categories
        .iter()
        .find(|c| c.category.name() == name)
        .unwrap();
    (c.granted, c.reason)
}

mod validation {
    use super::*;

    #[test]
    fn minimal_config_gets_documented_defaults() {
        let c = Config::from_json(
            r#"{"revision": 1, "policy_url": "/p", "categories": {"analytics": {}}}"#,
        )
        .unwrap();
        assert_eq!(c.mode, assent_core::Mode::OptIn);
        assert_eq!(c.reconsent_days, 182);
        assert_eq!(c.cookie.name, "assent");
        assert_eq!(c.cookie.max_age_days, 182);
        assert_eq!(
            c.categories[0].category,
            Category::Essential,
            "essential is added first"
        );
        assert_eq!(
            c.categories[1].consent_mode,
            vec![ConsentModeType::AnalyticsStorage]
        );
        assert!(
            c.translations.is_empty(),
            "no site texts: the built-in ones apply"
        );
        assert!(
            c.categories[1].title.0.is_empty(),
            "built-in titles come from the UI part"
        );
    }

    #[test]
    fn custom_categories_take_indices_in_declaration_order() {
        let c = Config::from_json(
            r#"{"revision": 1, "policy_url": "/p", "categories": {"zeta": {"title": "Z"}, "analytics": {}, "alpha": {"title": "A"}}}"#,
        )
        .unwrap();
        let idx = |n: &str| c.category_by_name(n).unwrap().index;
        assert_eq!(
            (
                idx("essential"),
                idx("analytics"),
                idx("zeta"),
                idx("alpha")
            ),
            (0, 1, 4, 5)
        );
    }

    #[test]
    fn each_rule_reports_its_path() {
        let cases: &[(&str, &str)] = &[
            (r#"{"policy_url": "/p", "categories": {}}"#, "revision"),
            (
                r#"{"revision": 0, "policy_url": "/p", "categories": {}}"#,
                "revision",
            ),
            (r#"{"revision": 1, "categories": {}}"#, "policy_url"),
            (r#"{"revision": 1, "policy_url": "/p"}"#, "categories"),
            (
                r#"{"revision": 1, "policy_url": "/p", "mode": "maybe", "categories": {}}"#,
                "mode",
            ),
            (
                r#"{"revision": 1, "policy_url": "/p", "categories": {"analytics": {"default": true}}}"#,
                "categories.analytics.default",
            ),
            (
                r#"{"revision": 1, "policy_url": "/p", "categories": {"essential": {"default": false}}}"#,
                "categories.essential.default",
            ),
            (
                r#"{"revision": 1, "policy_url": "/p", "categories": {"essential": {"sale_or_share": true}}}"#,
                "categories.essential.sale_or_share",
            ),
            (
                r#"{"revision": 1, "policy_url": "/p", "categories": {"functional": {}}}"#,
                "categories.functional.title",
            ),
            (
                r#"{"revision": 1, "policy_url": "/p", "categories": {"Bad-Name": {}}}"#,
                "categories.Bad-Name",
            ),
            (
                r#"{"revision": 1, "policy_url": "/p", "categories": {"analytics": {"consent_mode": ["ads_storage"]}}}"#,
                "categories.analytics.consent_mode[0]",
            ),
            (
                r#"{"revision": 1, "policy_url": "/p", "categories": {"analytics": {"consent_mode": ["security_storage"]}}}"#,
                "categories.analytics.consent_mode[0]",
            ),
            (
                r#"{"revision": 1, "policy_url": "/p", "categories": {"analytics": {"cookies": ["a b"]}}}"#,
                "categories.analytics.cookies[0]",
            ),
            (
                r#"{"revision": 1, "policy_url": "/p", "categories": {"analytics": {"cookies": ["*_ga"]}}}"#,
                "categories.analytics.cookies[0]",
            ),
            (
                r#"{"revision": 1, "policy_url": "/p", "categories": {"analytics": {"colour": "red"}}}"#,
                "categories.analytics.colour",
            ),
            (
                r#"{"revision": 1, "policy_url": "/p", "hide_reject_button": true, "categories": {}}"#,
                "hide_reject_button",
            ),
            (
                r#"{"revision": 1, "policy_url": "/p", "signals": {"dnt_categories": ["social"]}, "categories": {}}"#,
                "signals.dnt_categories[0]",
            ),
            (
                r#"{"revision": 1, "policy_url": "/p", "signals": {"gpc": "sometimes"}, "categories": {}}"#,
                "signals.gpc",
            ),
            (
                r#"{"revision": 1, "policy_url": "/p", "cookie": {"max_age_days": 400}, "categories": {}}"#,
                "cookie.max_age_days",
            ),
            (
                r#"{"revision": 1, "policy_url": "/p", "cookie": {"name": "a;b"}, "categories": {}}"#,
                "cookie.name",
            ),
            (
                r#"{"revision": 1, "policy_url": "/p", "cookie": {"domain": "Example..com"}, "categories": {}}"#,
                "cookie.domain",
            ),
            (
                r#"{"revision": 1, "policy_url": "/p", "reconsent_days": 396, "categories": {}}"#,
                "reconsent_days",
            ),
            (
                r#"{"revision": 1, "policy_url": "/p", "endpoint": "ftp://x", "categories": {}}"#,
                "endpoint",
            ),
            (
                r#"{"revision": 1, "policy_url": "/p", "consent_mode": {"region": ["germany"]}, "categories": {}}"#,
                "consent_mode.region[0]",
            ),
            (
                r#"{"revision": 1, "policy_url": "/p", "consent_mode": {"wait_for_update": 99999}, "categories": {}}"#,
                "consent_mode.wait_for_update",
            ),
            (
                r#"{"revision": 1, "policy_url": "/p", "translations": {"eo": {"title": "Privateco"}}, "categories": {}}"#,
                "translations.eo.reject_all",
            ),
            (
                r#"{"revision": 1, "policy_url": "/p", "languages": ["de", "xx"], "categories": {}}"#,
                "languages[1]",
            ),
            (
                r#"{"revision": 1, "policy_url": "/p", "languages": "de", "categories": {}}"#,
                "languages",
            ),
            (
                r#"{"revision": 1, "policy_url": "/p", "default_language": "tlh", "categories": {}}"#,
                "default_language",
            ),
            (
                r#"{"revision": 1, "policy_url": "/p", "translations": {"en": {"reject_all": " "}}, "categories": {}}"#,
                "translations.en.reject_all",
            ),
            (
                r#"{"revision": 1, "policy_url": "/p", "translations": {"en": {"shout": "x"}}, "categories": {}}"#,
                "translations.en.shout",
            ),
            (
                r#"{"revision": "1", "policy_url": "/p", "categories": {}}"#,
                "revision",
            ),
        ];
        for (text, path) in cases {
            let e = errors(text);
            assert!(
                e.has(path),
                "expected an error at {path} for {text}, got: {e}"
            );
        }
    }

    #[test]
    fn the_pre_ticked_message_is_precise() {
        let e = errors(
            r#"{"revision": 1, "policy_url": "/p", "categories": {"analytics": {"default": true}}}"#,
        );
        assert_eq!(
            e.to_string(),
            "categories.analytics.default: pre-ticked non-essential category is not allowed in opt-in mode"
        );
    }

    #[test]
    fn opt_out_mode_may_default_to_granted() {
        let c = Config::from_json(
            r#"{"revision": 1, "mode": "opt-out", "policy_url": "/p", "categories": {"analytics": {"default": true}, "remarketing": {"default": false}}}"#,
        )
        .unwrap();
        assert!(c.category(&Category::Analytics).unwrap().default);
        assert!(!c.category(&Category::Remarketing).unwrap().default);
    }

    #[test]
    fn syntax_errors_are_reported_with_offset() {
        let e = errors(r#"{"revision": 1,,}"#);
        assert!(e.to_string().starts_with("invalid JSON at byte 15"), "{e}");
    }

    #[test]
    fn all_errors_are_collected() {
        let e = errors(r#"{"revision": 0, "categories": {"analytics": {"default": true}}}"#);
        assert!(
            e.has("revision") && e.has("policy_url") && e.has("categories.analytics.default"),
            "{e}"
        );
    }

    #[test]
    fn translations_pick_language_and_direction() {
        let mut de = String::from("{");
        let mut ar = String::from("{");
        for (i, (key, _)) in assent_core::i18n::UI_KEYS.iter().enumerate() {
            let sep = if i == 0 { "" } else { "," };
            write!(de, r#"{sep}"{key}": "de {key}""#).unwrap();
            write!(ar, r#"{sep}"{key}": "ar {key}""#).unwrap();
        }
        let text = format!(
            r#"{{"revision": 1, "policy_url": "/p", "translations": {{"de": {de}}}, "ar": {ar}}}}}, "categories": {{}}}}"#
        );
        let c = Config::from_json(&text).unwrap();
        assert_eq!(
            c.ui_text("de-AT")
                .unwrap()
                .get(assent_core::i18n::UiKey::RejectAll),
            "de reject_all"
        );
        assert!(c.ui_text("ar").unwrap().is_rtl());
        assert!(
            c.ui_text("ja").is_none(),
            "no site texts: the built-in ones apply"
        );
        assert_eq!(c.languages().collect::<Vec<_>>(), ["de", "ar"]);
    }

    #[test]
    fn a_site_s_own_language_may_leave_out_the_notice_text_but_no_other_key() {
        let own = |skip: &str| {
            let mut texts = String::from("{");
            for (key, _) in assent_core::i18n::UI_KEYS
                .iter()
                .filter(|(k, _)| *k != skip)
            {
                let sep = if texts.len() == 1 { "" } else { "," };
                write!(texts, r#"{sep}"{key}": "lb {key}""#).unwrap();
            }
            texts.push('}');
            format!(
                r#"{{"revision": 1, "policy_url": "/p", "languages": ["lb"], "translations": {{"lb": {texts}}}, "categories": {{}}}}"#
            )
        };
        let c = Config::from_json(&own("notice_description")).unwrap();
        assert_eq!(
            c.ui_text("lb")
                .unwrap()
                .get(assent_core::i18n::UiKey::Description),
            "lb description"
        );
        let e = errors(&own("do_not_sell"));
        assert!(e.has("translations.lb.do_not_sell"), "{e}");
    }

    #[test]
    fn a_regional_tag_with_a_few_texts_is_told_to_use_its_built_in_language() {
        let e = errors(
            r#"{"revision": 1, "policy_url": "/p", "translations": {"en-US": {"title": "Cookies"}}, "categories": {}}"#,
        );
        let missing = e
            .errors
            .iter()
            .find(|f| f.path == "translations.en-US.reject_all")
            .expect("reject_all is missing");
        assert!(
            missing
                .message
                .contains("en-US is not a built-in language; to change some of the built-in en texts, write them under translations.en"),
            "{}",
            missing.message
        );
        // A language with no built-in relative gets the plain reason.
        let e = errors(
            r#"{"revision": 1, "policy_url": "/p", "translations": {"lb": {"title": "Cookien"}}, "categories": {}}"#,
        );
        assert!(
            e.errors
                .iter()
                .filter(|f| f.path.starts_with("translations.lb."))
                .all(|f| f.message.starts_with("missing: ") && !f.message.contains("built-in")),
            "{e}"
        );
    }

    #[test]
    fn built_in_languages_may_be_overridden_key_by_key_and_are_chosen_by_the_visitor() {
        let c = Config::from_json(
            r#"{"revision": 1, "policy_url": "/p", "translations": {"de": {"reject_all": "Nein danke"}},
                "categories": {}}"#,
        )
        .unwrap();
        let de = c.ui_text("de").unwrap();
        assert_eq!(
            de.site_text(assent_core::i18n::UiKey::RejectAll),
            Some("Nein danke")
        );
        assert_eq!(
            de.site_text(assent_core::i18n::UiKey::AcceptAll),
            None,
            "the built-in text applies"
        );
        assert_eq!(c.language_for(&["de-DE", "en"]), "de");
        assert_eq!(c.language_for(&["pt-BR"]), "pt-BR");
        assert_eq!(c.language_for(&["pt-PT"]), "pt");
        assert_eq!(c.language_for(&["zh-TW"]), "zh-Hant");
        assert_eq!(c.language_for(&["en-GB"]), "en");
        assert_eq!(c.language_for(&["tlh"]), "en");
        assert_eq!(c.language_for(&[]), "en");
        let limited = Config::from_json(
            r#"{"revision": 1, "policy_url": "/p", "languages": ["fr", "eo"], "default_language": "fr",
                "translations": {"eo": {"title": "t", "description": "d", "accept_all": "a", "reject_all": "r",
                  "preferences": "p", "preferences_title": "pt", "preferences_description": "pd", "save": "s",
                  "close": "c", "policy_link": "pl", "always_on": "ao", "gpc_honored": "g", "embed_blocked": "eb",
                  "embed_load": "el", "do_not_sell": "dns"}},
                "categories": {}}"#,
        )
        .unwrap();
        assert_eq!(
            limited.language_for(&["de", "eo"]),
            "eo",
            "German is not offered; the site's Esperanto is"
        );
        assert_eq!(limited.language_for(&["de"]), "fr", "the default");
        assert_eq!(limited.language_for(&["fr-CA"]), "fr");
        // A regional tag the site does not translate stands for its built-in language, as a visitor's does.
        let regional = Config::from_json(
            r#"{"revision": 1, "policy_url": "/p", "languages": ["de-DE", "en-US", "zh-CN"],
                "default_language": "de-AT", "categories": {}}"#,
        )
        .unwrap();
        assert_eq!(regional.languages, ["de", "en", "zh-Hans"]);
        assert_eq!(regional.language_for(&["fr"]), "de");
        assert_eq!(regional.language_for(&["zh"]), "zh-Hans");
    }

    #[test]
    fn readme_config_reference_matches_the_reader() {
        let readme =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md"))
                .expect("README.md at the repository root");
        assert!(
            readme.contains(&reference::markdown()),
            "README.md's config reference is out of date: paste the output of `cargo run -p assent-core --example config_reference`"
        );
    }
}

mod engine {
    use super::*;

    #[test]
    fn first_visit_opt_in_denies_everything_but_essential_and_shows_banner() {
        let c = config("");
        let d = decide(&c, None, NONE, NOW);
        assert_eq!(d.banner, Some(BannerReason::NoChoice));
        assert_eq!(reason(&d, "essential"), (true, Reason::Essential));
        for name in ["analytics", "remarketing", "marketing_email", "functional"] {
            assert_eq!(reason(&d, name), (false, Reason::Default), "{name}");
        }
        assert_eq!(d.consent_mode, assent_core::ConsentModeState::DEFAULT);
        assert!(!d.gpc_honored);
    }

    #[test]
    fn first_visit_opt_out_grants_by_default_but_still_shows_banner() {
        let c = config(r#""mode": "opt-out","#);
        let d = decide(&c, None, NONE, NOW);
        assert!(d.banner.is_some());
        for name in ["analytics", "remarketing", "marketing_email", "functional"] {
            assert_eq!(reason(&d, name), (true, Reason::Default), "{name}");
        }
        assert!(d.consent_mode.entries().all(|(_, v)| v == "granted"));
    }

    #[test]
    fn dnt_honored_denies_analytics_and_remarketing_by_default() {
        let c = config(r#""mode": "opt-out","#);
        let d = decide(&c, None, DNT, NOW);
        assert_eq!(reason(&d, "analytics"), (false, Reason::Dnt));
        assert_eq!(reason(&d, "remarketing"), (false, Reason::Dnt));
        assert_eq!(reason(&d, "functional"), (true, Reason::Default));
    }

    #[test]
    fn dnt_ignored_changes_nothing() {
        let c = config(r#""mode": "opt-out", "signals": {"dnt": "ignore"},"#);
        let d = decide(&c, None, DNT, NOW);
        assert_eq!(reason(&d, "analytics"), (true, Reason::Default));
        assert_eq!(reason(&d, "remarketing"), (true, Reason::Default));
    }

    #[test]
    fn gpc_honored_denies_sale_or_share_and_says_so() {
        let c = config(r#""mode": "opt-out","#);
        let d = decide(&c, None, GPC, NOW);
        assert_eq!(reason(&d, "remarketing"), (false, Reason::Gpc));
        assert_eq!(reason(&d, "marketing_email"), (false, Reason::Gpc));
        assert_eq!(reason(&d, "analytics"), (true, Reason::Default));
        assert!(d.gpc_honored);
        assert!(!d.consent_mode.is_granted(ConsentModeType::AdStorage));
        assert!(d.consent_mode.is_granted(ConsentModeType::AnalyticsStorage));
    }

    #[test]
    fn gpc_honored_in_opt_in_mode_is_reported_too() {
        let d = decide(&config(""), None, GPC, NOW);
        assert_eq!(reason(&d, "remarketing"), (false, Reason::Gpc));
        assert!(d.gpc_honored);
    }

    #[test]
    fn gpc_ignored_changes_nothing() {
        let c = config(r#""mode": "opt-out", "signals": {"gpc": "ignore"},"#);
        let d = decide(&c, None, GPC, NOW);
        assert_eq!(reason(&d, "remarketing"), (true, Reason::Default));
        assert!(!d.gpc_honored);
    }

    #[test]
    fn gpc_overrides_a_stored_grant_made_without_gpc_but_not_one_made_with_it() {
        let c = config("");
        let first = decide(&c, None, NONE, NOW);
        let accepted =
            apply_choice(&c, &first, &Choice::AcceptAll, Method::Banner, NONE, NOW).unwrap();
        let d = decide(&c, Some(&accepted), GPC, NOW + 10);
        assert_eq!(d.banner, None);
        assert_eq!(reason(&d, "remarketing"), (false, Reason::Gpc));
        assert_eq!(reason(&d, "analytics"), (true, Reason::Choice));
        assert!(d.gpc_honored);

        // The visitor sees the notice and grants remarketing again: an explicit later choice wins.
        let regrant = apply_choice(
            &c,
            &d,
            &Choice::Set(vec![("remarketing".into(), true)]),
            Method::Preferences,
            GPC,
            NOW + 20,
        )
        .unwrap();
        let d = decide(&c, Some(&regrant), GPC, NOW + 30);
        assert_eq!(reason(&d, "remarketing"), (true, Reason::Choice));
        assert!(!d.gpc_honored);
        // A later visit without the signal is not an opt-in either way: the stored choice stands.
        assert_eq!(
            reason(&decide(&c, Some(&regrant), NONE, NOW + 40), "remarketing"),
            (true, Reason::Choice)
        );
    }

    #[test]
    fn dnt_never_overrides_an_explicit_choice() {
        let c = config("");
        let s = apply_choice(
            &c,
            &decide(&c, None, DNT, NOW),
            &Choice::AcceptAll,
            Method::Banner,
            DNT,
            NOW,
        )
        .unwrap();
        assert_eq!(
            reason(&decide(&c, Some(&s), DNT, NOW), "analytics"),
            (true, Reason::Choice)
        );
    }

    #[test]
    fn reject_all_leaves_only_essential() {
        let c = config(r#""mode": "opt-out","#);
        let s = apply_choice(
            &c,
            &decide(&c, None, NONE, NOW),
            &Choice::RejectAll,
            Method::Banner,
            NONE,
            NOW,
        )
        .unwrap();
        let d = decide(&c, Some(&s), NONE, NOW + 1);
        assert_eq!(d.banner, None);
        let granted: Vec<&str> = d
            .categories
            .iter()
            .filter(|c| c.granted)
            .map(|c| c.category.name())
            .collect();
        assert_eq!(granted, ["essential"]);
        assert!(
            d.categories
                .iter()
                .skip(1)
                .all(|c| c.reason == Reason::Choice)
        );
        assert_eq!(d.consent_mode, assent_core::ConsentModeState::DEFAULT);
    }

    #[test]
    fn analytics_only_grants_analytics_storage_and_no_ad_type() {
        let c = config("");
        let s = apply_choice(
            &c,
            &decide(&c, None, NONE, NOW),
            &Choice::Set(vec![("analytics".into(), true)]),
            Method::Preferences,
            NONE,
            NOW,
        )
        .unwrap();
        let d = decide(&c, Some(&s), NONE, NOW);
        assert!(d.consent_mode.is_granted(ConsentModeType::AnalyticsStorage));
        assert!(d.consent_mode.is_granted(ConsentModeType::SecurityStorage));
        for t in [
            ConsentModeType::AdStorage,
            ConsentModeType::AdUserData,
            ConsentModeType::AdPersonalization,
            ConsentModeType::FunctionalityStorage,
        ] {
            assert!(!d.consent_mode.is_granted(t), "{t}");
        }
    }

    #[test]
    fn revision_bump_asks_again_and_fails_closed_meanwhile() {
        let c = config("");
        let s = apply_choice(
            &c,
            &decide(&c, None, NONE, NOW),
            &Choice::AcceptAll,
            Method::Banner,
            NONE,
            NOW,
        )
        .unwrap();
        let bumped = Config::from_json(
            r#"{"revision": 3, "policy_url": "/p", "categories": {"analytics": {}, "remarketing": {}, "marketing_email": {}, "functional": {"title": "F"}}}"#,
        )
        .unwrap();
        let d = decide(&bumped, Some(&s), NONE, NOW);
        assert_eq!(d.banner, Some(BannerReason::RevisionChanged));
        assert!(!d.granted(&Category::Analytics));
    }

    #[test]
    fn expiry_after_reconsent_days() {
        let c = config(r#""reconsent_days": 30,"#);
        let s = apply_choice(
            &c,
            &decide(&c, None, NONE, NOW),
            &Choice::AcceptAll,
            Method::Banner,
            NONE,
            NOW,
        )
        .unwrap();
        assert_eq!(decide(&c, Some(&s), NONE, NOW + 30 * DAY - 1).banner, None);
        let d = decide(&c, Some(&s), NONE, NOW + 30 * DAY);
        assert_eq!(d.banner, Some(BannerReason::Expired));
        assert!(!d.granted(&Category::Analytics));
        // A choice dated far in the future is not trusted either.
        assert_eq!(
            decide(&c, Some(&s), NONE, NOW - 2 * DAY).banner,
            Some(BannerReason::Expired)
        );
    }

    #[test]
    fn a_new_category_asks_again() {
        let c = Config::from_json(
            r#"{"revision": 2, "policy_url": "/p", "categories": {"analytics": {}}}"#,
        )
        .unwrap();
        let s = apply_choice(
            &c,
            &decide(&c, None, NONE, NOW),
            &Choice::AcceptAll,
            Method::Banner,
            NONE,
            NOW,
        )
        .unwrap();
        let d = decide(&config(""), Some(&s), NONE, NOW);
        assert_eq!(d.banner, Some(BannerReason::NewCategory));
        assert!(!d.granted(&Category::Analytics));
    }

    #[test]
    fn garbage_cookie_fails_closed() {
        let c = config("");
        for garbage in ["", "garbage", "AQ==", "////", "AQAAAAAA"] {
            let stored = ConsentState::decode(garbage).ok();
            let d = decide(&c, stored.as_ref(), NONE, NOW);
            assert!(d.banner.is_some(), "{garbage:?}");
            assert_eq!(d.granted_set().0, 1, "{garbage:?}");
        }
    }

    #[test]
    fn withdraw_is_recorded_as_such_and_denies_everything() {
        let c = config("");
        let accepted = apply_choice(
            &c,
            &decide(&c, None, NONE, NOW),
            &Choice::AcceptAll,
            Method::Banner,
            NONE,
            NOW,
        )
        .unwrap();
        let d = decide(&c, Some(&accepted), NONE, NOW);
        let withdrawn = apply_choice(
            &c,
            &d,
            &Choice::Withdraw,
            Method::Preferences,
            NONE,
            NOW + 5,
        )
        .unwrap();
        assert_eq!(withdrawn.method, Method::Withdraw);
        assert_eq!(withdrawn.granted.0, 1);
        assert_eq!(withdrawn.decided_at, NOW + 5);
    }

    #[test]
    fn set_keeps_unmentioned_categories_and_refuses_bad_names() {
        let c = config("");
        let d0 = decide(&c, None, NONE, NOW);
        let s = apply_choice(
            &c,
            &d0,
            &Choice::Set(vec![("analytics".into(), true)]),
            Method::Api,
            NONE,
            NOW,
        )
        .unwrap();
        let d1 = decide(&c, Some(&s), NONE, NOW);
        let s2 = apply_choice(
            &c,
            &d1,
            &Choice::Set(vec![("functional".into(), true)]),
            Method::Api,
            NONE,
            NOW,
        )
        .unwrap();
        let d2 = decide(&c, Some(&s2), NONE, NOW);
        assert!(
            d2.granted_name("analytics")
                && d2.granted_name("functional")
                && !d2.granted_name("remarketing")
        );
        assert_eq!(
            apply_choice(
                &c,
                &d2,
                &Choice::Set(vec![("social".into(), true)]),
                Method::Api,
                NONE,
                NOW
            ),
            Err(ChoiceError::UnknownCategory("social".into()))
        );
        assert_eq!(
            apply_choice(
                &c,
                &d2,
                &Choice::Set(vec![("essential".into(), false)]),
                Method::Api,
                NONE,
                NOW
            ),
            Err(ChoiceError::EssentialRequired)
        );
    }

    #[test]
    fn undeclared_categories_are_never_granted() {
        let c = config(r#""mode": "opt-out","#);
        let d = decide(&c, None, NONE, NOW);
        assert!(!d.granted(&Category::Custom("social".into())));
        assert!(!d.granted_name("nonsense"));
    }
}

mod properties {
    use super::*;

    fn signals() -> impl Strategy<Value = Signals> {
        (any::<bool>(), any::<bool>()).prop_map(|(dnt, gpc)| Signals { dnt, gpc })
    }

    fn choice() -> impl Strategy<Value = Choice> {
        prop_oneof![
            Just(Choice::AcceptAll),
            Just(Choice::RejectAll),
            Just(Choice::Withdraw),
            proptest::collection::vec(
                (
                    prop_oneof![
                        Just("analytics"),
                        Just("remarketing"),
                        Just("marketing_email"),
                        Just("functional")
                    ],
                    any::<bool>()
                ),
                0..4
            )
            .prop_map(|v| Choice::Set(v.into_iter().map(|(n, b)| (n.to_owned(), b)).collect())),
        ]
    }

    proptest! {
        #[test]
        fn essential_is_always_granted_and_security_storage_always_on(
            opt_out: bool, sig in signals(), stored: Option<u64>, now in 0u64..4_000_000_000,
        ) {
            let c = config(if opt_out { r#""mode": "opt-out","# } else { "" });
            let state = stored.map(|bits| ConsentState {
                revision: 2, decided_at: now.saturating_sub(bits % (200 * DAY)), presented: c.declared(),
                granted: assent_core::CategorySet((bits & c.declared().0) | 1), signals: sig, method: Method::Banner, region: None,
            });
            let d = decide(&c, state.as_ref(), sig, now);
            prop_assert!(d.granted(&Category::Essential));
            prop_assert!(d.consent_mode.is_granted(ConsentModeType::SecurityStorage));
        }

        #[test]
        fn opt_in_without_a_valid_choice_grants_nothing_optional(sig in signals(), text in "[A-Za-z0-9_-]{0,24}", now: u32) {
            let c = config("");
            let stored = ConsentState::decode(&text).ok();
            let d = decide(&c, stored.as_ref(), sig, u64::from(now));
            if d.banner.is_some() {
                prop_assert_eq!(d.granted_set().0, 1);
                prop_assert_eq!(d.consent_mode, assent_core::ConsentModeState::DEFAULT);
            }
        }

        #[test]
        fn a_choice_is_followed_on_the_next_visit(sig in signals(), choice in choice(), opt_out: bool) {
            let c = config(if opt_out { r#""mode": "opt-out","# } else { "" });
            let before = decide(&c, None, sig, NOW);
            let state = apply_choice(&c, &before, &choice, Method::Preferences, sig, NOW).unwrap();
            let round_tripped = ConsentState::decode(&state.encode()).unwrap();
            let after = decide(&c, Some(&round_tripped), sig, NOW + 60);
            prop_assert_eq!(after.banner, None);
            prop_assert_eq!(after.granted_set(), state.granted);
            prop_assert!(after.categories.iter().all(|d| d.reason == Reason::Choice || d.reason == Reason::Essential));
        }

        #[test]
        fn honored_gpc_without_an_override_denies_every_sale_or_share(opt_out: bool, stored_grant: bool) {
            let c = config(if opt_out { r#""mode": "opt-out","# } else { "" });
            let state = stored_grant.then(|| apply_choice(&c, &decide(&c, None, NONE, NOW), &Choice::AcceptAll, Method::Banner, NONE, NOW).unwrap());
            let d = decide(&c, state.as_ref(), GPC, NOW);
            for cat in c.categories.iter().filter(|c| c.sale_or_share) {
                prop_assert!(!d.granted(&cat.category));
            }
            prop_assert!(d.gpc_honored);
        }

        #[test]
        fn config_reader_never_panics(text in "\\PC{0,200}") {
            let _ = Config::from_json(&text);
        }
    }
}

mod lifecycle;
mod regions;
