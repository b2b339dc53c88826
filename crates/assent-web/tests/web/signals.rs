//! Do Not Track, Global Privacy Control, and Google Consent Mode v2.

use crate::support::*;

#[wasm_bindgen_test]
fn dnt_denies_its_categories_by_default() {
    setup(CONFIG, "");
    define_navigator("doNotTrack", &"1".into());
    boot();
    let state = api("get", &[]).unwrap();
    define_navigator("doNotTrack", &JsValue::UNDEFINED);
    assert_eq!(get(&get(&state, "signals"), "dnt"), JsValue::TRUE);
    assert_eq!(
        get(&get(&state, "reasons"), "analytics")
            .as_string()
            .as_deref(),
        Some("dnt")
    );
    // "unspecified" is not on.
    setup(CONFIG, "");
    define_navigator("doNotTrack", &"unspecified".into());
    boot();
    let state = api("get", &[]).unwrap();
    define_navigator("doNotTrack", &JsValue::UNDEFINED);
    assert_eq!(get(&get(&state, "signals"), "dnt"), JsValue::FALSE);
}

#[wasm_bindgen_test]
fn dnt_in_opt_out_mode_denies_what_would_be_granted() {
    let config = r#"{"revision": 1, "mode": "opt-out", "policy_url": "/p", "categories": {"analytics": {}}}"#;
    setup(config, "");
    boot();
    assert!(granted("analytics"), "opt-out default");
    setup(config, "");
    define_navigator("doNotTrack", &"yes".into());
    boot();
    define_navigator("doNotTrack", &JsValue::UNDEFINED);
    assert!(!granted("analytics"), "DNT honoured");
}

#[wasm_bindgen_test]
fn gpc_is_honoured_and_said_so() {
    let config = r#"{"revision": 1, "mode": "opt-out", "policy_url": "/p",
      "categories": {"analytics": {}, "remarketing": {}}}"#;
    setup(config, "");
    define_navigator("globalPrivacyControl", &JsValue::FALSE);
    boot();
    assert!(granted("remarketing"));
    assert!(q("[data-assent-gpc]").is_none(), "no notice without GPC");

    setup(config, "");
    define_navigator("globalPrivacyControl", &JsValue::TRUE);
    boot();
    let notice = q("[data-assent-ui=banner] [data-assent-gpc]").expect("notice on the banner");
    assert_eq!(notice.text_content().unwrap(), "Opt-Out Request Honored");
    assert!(!granted("remarketing"));
    assert!(granted("analytics"), "GPC only covers sale/share");
    let state = api("get", &[]).unwrap();
    assert_eq!(get(&state, "gpc_honored"), JsValue::TRUE);
    api("show", &[]).unwrap();
    assert!(
        q("[data-assent-ui=preferences] [data-assent-gpc]").is_some(),
        "and in the preferences"
    );
    let remarketing: HtmlInputElement = q("[data-assent-category=remarketing]")
        .unwrap()
        .dyn_into()
        .unwrap();
    assert!(!remarketing.checked(), "the switch shows the opt-out");
    define_navigator("globalPrivacyControl", &JsValue::UNDEFINED);
}

#[wasm_bindgen_test]
fn gpc_over_a_stored_allow_is_processed_stored_and_can_be_regranted() {
    setup(CONFIG, "");
    boot();
    api("acceptAll", &[]).unwrap();
    assert!(granted("remarketing"));
    // Next visit with GPC on: the stored allow of a sale/share category is overridden and that is stored.
    assent_web::reset_for_tests();
    define_navigator("globalPrivacyControl", &JsValue::TRUE);
    boot();
    assert!(!granted("remarketing") && granted("analytics"));
    let s = stored_state();
    assert_eq!(s.method, assent_core::Method::Withdraw);
    assert!(s.signals.gpc && !s.granted.contains(2) && s.granted.contains(1));
    assert!(
        q("[data-assent-ui=banner]").is_none(),
        "a valid choice exists: no banner"
    );
    api("show", &[]).unwrap();
    assert!(q("[data-assent-ui=preferences] [data-assent-gpc]").is_some());
    // An explicit re-grant while GPC is on wins.
    q("[data-assent-category=remarketing]")
        .unwrap()
        .dyn_into::<HtmlElement>()
        .unwrap()
        .click();
    click("[data-assent-ui=preferences] [data-assent-action=save]");
    assert!(granted("remarketing"));
    assent_web::reset_for_tests();
    boot();
    define_navigator("globalPrivacyControl", &JsValue::UNDEFINED);
    assert!(
        granted("remarketing"),
        "the re-grant made with GPC on is kept"
    );
}

#[wasm_bindgen_test]
fn consent_mode_default_precedes_update_as_arguments() {
    let config = r#"{"revision": 1, "policy_url": "/p",
      "consent_mode": {"enabled": true, "wait_for_update": 700, "region": ["DE"], "ads_data_redaction": true},
      "categories": {"analytics": {}, "remarketing": {}}}"#;
    setup(config, "");
    install_gtag();
    boot();
    let obj = Object::new();
    set(&obj, "analytics", &JsValue::TRUE);
    api("set", &[obj.into()]).unwrap();
    let dl: Vec<JsValue> = Array::from(&get(&win(), "dataLayer")).iter().collect();
    let is = |e: &JsValue, a: &str, b: &str| {
        get(e, "0").as_string().as_deref() == Some(a)
            && get(e, "1").as_string().as_deref() == Some(b)
    };
    let default = dl
        .iter()
        .position(|e| is(e, "consent", "default"))
        .expect("default pushed");
    let update = dl
        .iter()
        .position(|e| is(e, "consent", "update"))
        .expect("update pushed");
    assert!(default < update);
    assert_eq!(dl.iter().filter(|e| is(e, "consent", "default")).count(), 1);
    assert_eq!(type_tag(&dl[default]), "[object Arguments]");
    assert_eq!(type_tag(&dl[update]), "[object Arguments]");
    let d = get(&dl[default], "2");
    for k in [
        "ad_storage",
        "ad_user_data",
        "ad_personalization",
        "analytics_storage",
    ] {
        assert_eq!(get(&d, k).as_string().as_deref(), Some("denied"), "{k}");
    }
    assert_eq!(
        get(&d, "security_storage").as_string().as_deref(),
        Some("granted")
    );
    assert_eq!(get(&d, "wait_for_update").as_f64(), Some(700.0));
    assert_eq!(
        Array::from(&get(&d, "region"))
            .get(0)
            .as_string()
            .as_deref(),
        Some("DE")
    );
    assert!(dl.iter().any(|e| is(e, "set", "ads_data_redaction")));
    let u = get(&dl[update], "2");
    assert_eq!(
        get(&u, "analytics_storage").as_string().as_deref(),
        Some("granted")
    );
    assert_eq!(get(&u, "ad_storage").as_string().as_deref(), Some("denied"));
}

#[wasm_bindgen_test]
fn a_default_already_pushed_by_the_bootstrap_is_not_repeated_and_returning_visitors_get_an_update()
{
    let config = r#"{"revision": 1, "policy_url": "/p", "consent_mode": {"enabled": true},
      "categories": {"analytics": {}}}"#;
    setup(config, "");
    install_gtag();
    let gtag: Function = get(&win(), "gtag").dyn_into().unwrap();
    let o = Object::new();
    set(&o, "analytics_storage", &"denied".into());
    gtag.call3(&JsValue::NULL, &"consent".into(), &"default".into(), &o)
        .unwrap();
    boot();
    api("acceptAll", &[]).unwrap();
    // Next page: default by the bootstrap, then the stored choice as an update right at boot.
    assent_web::reset_for_tests();
    install_gtag();
    gtag.call3(&JsValue::NULL, &"consent".into(), &"default".into(), &o)
        .unwrap();
    boot();
    let dl: Vec<JsValue> = Array::from(&get(&win(), "dataLayer")).iter().collect();
    assert_eq!(dl.len(), 2, "default + update");
    assert_eq!(get(&dl[1], "1").as_string().as_deref(), Some("update"));
    assert_eq!(
        get(&get(&dl[1], "2"), "analytics_storage")
            .as_string()
            .as_deref(),
        Some("granted")
    );
}
