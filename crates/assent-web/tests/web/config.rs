//! A broken config fails closed; language choice; the stylesheet.

use crate::support::*;

/// The messages `console.error` got while `f` ran.
fn console_errors_during(f: impl FnOnce()) -> Vec<String> {
    let console = get(&win(), "console");
    let original = get(&console, "error");
    let messages = Array::new();
    let m2 = messages.clone();
    let capture = Closure::<dyn FnMut(JsValue)>::new(move |v: JsValue| {
        m2.push(&v);
    });
    set(&console, "error", capture.as_ref());
    f();
    set(&console, "error", &original);
    messages.iter().filter_map(|v| v.as_string()).collect()
}

#[wasm_bindgen_test]
async fn broken_config_fails_closed_with_a_clear_error() {
    let config = r#"{"revision": 1, "policy_url": "/p", "consent_mode": {"enabled": true},
      "categories": {"analytics": {"default": true}}}"#;
    setup(
        config,
        r#"<script type="text/plain" data-assent="analytics">window.__order.push('ran')</script>"#,
    );
    install_gtag();
    // A refused config is reported synchronously by boot.
    let text = console_errors_during(boot);
    assert!(
        text.iter()
            .any(|m| m.contains("categories.analytics.default")),
        "{text:?}"
    );
    assert!(order().is_empty());
    assert!(q("[data-assent-ui=banner]").is_none());
    assert!(!granted("analytics"));
    let state = api("get", &[]).unwrap();
    assert!(
        get(&state, "error")
            .as_string()
            .unwrap()
            .contains("categories.analytics.default")
    );
    assert!(api("acceptAll", &[]).is_err());
    assert!(order().is_empty());
    // No Consent Mode update: the (bootstrap's) default stays in force.
    let dl = Array::from(&get(&win(), "dataLayer"));
    assert!(
        !dl.iter()
            .any(|e| get(&e, "1").as_string().as_deref() == Some("update"))
    );
}

/// The engine without the `regions` feature (what the bootstrap loads for a config without `regions`) given a
/// config with `regions` anyway: refused with the field named, nothing optional runs; it does not apply the
/// top-level policy everywhere instead.
#[wasm_bindgen_test]
fn a_config_with_regions_is_refused_by_the_engine_without_regions() {
    let config = r#"{"revision": 1, "policy_url": "/p", "mode": "opt-out",
      "categories": {"analytics": {"default": true}}, "regions": {"eu": {}, "default": {}}}"#;
    setup(
        config,
        r#"<script type="text/plain" data-assent="analytics">window.__order.push('ran')</script>"#,
    );
    let text = console_errors_during(boot);
    assert!(text.iter().any(|m| m.contains("regions")), "{text:?}");
    assert!(order().is_empty());
    assert!(!granted("analytics"));
    let state = api("get", &[]).unwrap();
    assert!(
        get(&state, "error")
            .as_string()
            .unwrap()
            .contains("regions")
    );
}

#[wasm_bindgen_test]
fn language_from_navigator_with_rtl_and_english_fallback() {
    let keys = assent_core::i18n::UI_KEYS
        .iter()
        .map(|(k, _)| format!("\"{k}\": \"ع {k}\""))
        .collect::<Vec<_>>()
        .join(",");
    let config = format!(
        r#"{{"revision": 1, "policy_url": "/p", "categories": {{"analytics": {{}}}},
          "translations": {{"ar": {{{keys}}}}}}}"#
    );
    setup(&config, "");
    define_navigator("languages", &Array::of2(&"ar-EG".into(), &"en".into()));
    boot();
    define_navigator("languages", &JsValue::UNDEFINED);
    let banner = q("[data-assent-ui=banner]").unwrap();
    assert_eq!(banner.get_attribute("dir").as_deref(), Some("rtl"));
    assert_eq!(banner.get_attribute("lang").as_deref(), Some("ar"));
    assert_eq!(
        q("[data-assent-ui=banner] [data-assent-action=reject-all]")
            .unwrap()
            .text_content()
            .unwrap(),
        "ع reject_all"
    );
    // A language neither translated by the site nor built in: English.
    setup(&config, "");
    define_navigator("languages", &Array::of1(&"tlh".into()));
    boot();
    define_navigator("languages", &JsValue::UNDEFINED);
    let banner = q("[data-assent-ui=banner]").unwrap();
    assert_eq!(banner.get_attribute("lang").as_deref(), Some("en"));
    assert_eq!(banner.get_attribute("dir").as_deref(), Some("ltr"));
}

#[wasm_bindgen_test]
fn stylesheet_is_constructable_not_inline() {
    setup(CONFIG, "");
    boot();
    let sheets = Array::from(&get(&doc().into(), "adoptedStyleSheets"));
    assert!(sheets.length() >= 1);
    assert!(qa("[data-assent-ui] [style], [data-assent-ui][style]").is_empty());
}
