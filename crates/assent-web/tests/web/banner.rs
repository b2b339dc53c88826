//! Banner, choices and the preferences dialog (keyboard, focus).

use crate::support::*;

#[wasm_bindgen_test]
fn banner_renders_from_config() {
    setup(CONFIG, "");
    boot();
    let banner = q("[data-assent-ui=banner]").expect("banner shown");
    assert_eq!(banner.get_attribute("role").as_deref(), Some("dialog"));
    let title_id = banner.get_attribute("aria-labelledby").unwrap();
    let title = doc().get_element_by_id(&title_id).unwrap();
    assert_eq!(title.text_content().unwrap(), "We value your privacy");
    assert!(
        doc()
            .get_element_by_id(&banner.get_attribute("aria-describedby").unwrap())
            .is_some()
    );
    let link = banner.query_selector("a[href]").unwrap().unwrap();
    assert_eq!(link.get_attribute("href").as_deref(), Some("/privacy"));
    let actions: Vec<String> = qa("[data-assent-ui=banner] button")
        .iter()
        .map(|b| b.get_attribute("data-assent-action").unwrap())
        .collect();
    assert_eq!(actions, ["accept-all", "reject-all", "preferences"]);
    // Equal prominence: the three buttons share one class list (none), one element type.
    let classes: Vec<Option<String>> = qa("[data-assent-ui=banner] button")
        .iter()
        .map(|b| b.get_attribute("class"))
        .collect();
    assert!(classes.iter().all(|c| *c == classes[0]));
    assert_eq!(banner.get_attribute("dir").as_deref(), Some("ltr"));
    // Overlay: fixed, so the page does not shift.
    let style = web_sys::window()
        .unwrap()
        .get_computed_style(&banner)
        .unwrap()
        .unwrap();
    assert_eq!(style.get_property_value("position").unwrap(), "fixed");
    // Nothing decided, nothing stored.
    assert!(cookie_value("assent").is_none());
    assert!(!granted("analytics"));
}

#[wasm_bindgen_test]
fn accept_all_stores_the_choice_and_closes_the_banner() {
    setup(CONFIG, "");
    boot();
    click("[data-assent-ui=banner] [data-assent-action=accept-all]");
    assert!(q("[data-assent-ui=banner]").is_none());
    let s = stored_state();
    assert!(s.granted.contains(1) && s.granted.contains(2));
    assert_eq!(s.method, assent_core::Method::Banner);
    assert!(granted("analytics") && granted("remarketing"));
    let state = api("get", &[]).unwrap();
    assert_eq!(get(&state, "decided"), JsValue::TRUE);
    assert_eq!(get(&state, "method").as_string().as_deref(), Some("banner"));
}

#[wasm_bindgen_test]
fn reject_all_stores_only_essential() {
    setup(CONFIG, "");
    boot();
    click("[data-assent-ui=banner] [data-assent-action=reject-all]");
    assert!(q("[data-assent-ui=banner]").is_none());
    let s = stored_state();
    assert_eq!(s.granted.0, 1);
    assert_eq!(s.presented.0, 0b111);
    assert!(!granted("analytics") && !granted("remarketing") && granted("essential"));
}

#[wasm_bindgen_test]
fn api_set_accept_reject_and_withdraw() {
    setup(CONFIG, "");
    boot();
    let obj = Object::new();
    set(&obj, "analytics", &JsValue::TRUE);
    let state = api("set", &[obj.into()]).unwrap();
    assert_eq!(get(&get(&state, "categories"), "analytics"), JsValue::TRUE);
    assert_eq!(
        get(&get(&state, "categories"), "remarketing"),
        JsValue::FALSE
    );
    assert_eq!(stored_state().granted.0, 0b11);
    assert_eq!(stored_state().method, assent_core::Method::Api);
    api("acceptAll", &[]).unwrap();
    assert_eq!(stored_state().granted.0, 0b111);
    api("withdraw", &[]).unwrap();
    assert_eq!(stored_state().granted.0, 1);
    assert_eq!(stored_state().method, assent_core::Method::Withdraw);
    // Unknown categories and non-boolean values are refused with an error, nothing stored.
    let bad = Object::new();
    set(&bad, "nope", &JsValue::TRUE);
    let err = api("set", &[bad.into()]).unwrap_err();
    assert!(get(&err, "message").as_string().unwrap().contains("nope"));
    let bad = Object::new();
    set(&bad, "analytics", &"yes".into());
    assert!(api("set", &[bad.into()]).is_err());
    assert_eq!(stored_state().granted.0, 1);
}

#[wasm_bindgen_test]
async fn ready_promise_and_change_events() {
    setup(CONFIG, "");
    let changes = Array::new();
    let c2 = changes.clone();
    let on_change =
        Closure::<dyn FnMut(web_sys::CustomEvent)>::new(move |e: web_sys::CustomEvent| {
            c2.push(&e.detail());
        });
    doc()
        .add_event_listener_with_callback("assent:change", on_change.as_ref().unchecked_ref())
        .unwrap();
    boot();
    let ready: Promise = get(&get(&win(), "assent"), "ready").dyn_into().unwrap();
    let state = JsFuture::from(ready).await.unwrap();
    assert_eq!(get(&state, "decided"), JsValue::FALSE);
    let via_on = Array::new();
    let v2 = via_on.clone();
    let f = Closure::<dyn FnMut(JsValue)>::new(move |s: JsValue| {
        v2.push(&s);
    });
    api("on", &["change".into(), f.as_ref().clone()]).unwrap();
    api("rejectAll", &[]).unwrap();
    assert_eq!(changes.length(), 1);
    assert_eq!(via_on.length(), 1);
    assert_eq!(
        get(&get(&changes.get(0), "categories"), "analytics"),
        JsValue::FALSE
    );
    // dataLayer event for tag managers.
    let dl = Array::from(&get(&win(), "dataLayer"));
    assert!(
        dl.iter()
            .any(|e| get(&e, "event").as_string().as_deref() == Some("assent_change"))
    );
    doc()
        .remove_event_listener_with_callback("assent:change", on_change.as_ref().unchecked_ref())
        .unwrap();
}

#[wasm_bindgen_test]
fn returning_visitor_sees_no_banner_and_revision_bump_asks_again() {
    setup(CONFIG, "");
    boot();
    api("acceptAll", &[]).unwrap();
    // Same revision: next page load shows no banner and keeps the grants.
    assent_web::reset_for_tests();
    boot();
    assert!(q("[data-assent-ui=banner]").is_none());
    assert!(granted("analytics"));
    // Revision 2: the old choice no longer counts.
    assent_web::reset_for_tests();
    q("#assent-config")
        .unwrap()
        .set_text_content(Some(&CONFIG.replace("\"revision\": 1", "\"revision\": 2")));
    boot();
    assert!(q("[data-assent-ui=banner]").is_some());
    assert!(!granted("analytics"));
}

#[wasm_bindgen_test]
fn preferences_have_switches_and_save_a_choice() {
    setup(CONFIG, "");
    boot();
    click("[data-assent-ui=banner] [data-assent-action=preferences]");
    let dialog = q("[data-assent-ui=preferences]").expect("dialog open");
    assert_eq!(dialog.get_attribute("aria-modal").as_deref(), Some("true"));
    assert_eq!(dialog.get_attribute("role").as_deref(), Some("dialog"));
    let essential: HtmlInputElement = q("[data-assent-category=essential]")
        .unwrap()
        .dyn_into()
        .unwrap();
    assert!(essential.checked() && essential.disabled());
    let analytics: HtmlInputElement = q("[data-assent-category=analytics]")
        .unwrap()
        .dyn_into()
        .unwrap();
    let remarketing: HtmlInputElement = q("[data-assent-category=remarketing]")
        .unwrap()
        .dyn_into()
        .unwrap();
    // Opt-in: nothing pre-ticked.
    assert!(!analytics.checked() && !remarketing.checked());
    let actions: Vec<String> = qa("[data-assent-ui=preferences] [data-assent-action]")
        .iter()
        .map(|b| b.get_attribute("data-assent-action").unwrap())
        .collect();
    for a in ["save", "accept-all", "reject-all", "close"] {
        assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
    }
    analytics.click();
    click("[data-assent-ui=preferences] [data-assent-action=save]");
    assert!(q("[data-assent-ui=preferences]").is_none());
    assert!(q("[data-assent-ui=banner]").is_none());
    assert!(granted("analytics") && !granted("remarketing"));
    assert_eq!(stored_state().method, assent_core::Method::Preferences);
}

#[wasm_bindgen_test]
fn focus_moves_into_dialog_is_trapped_and_escape_returns_it() {
    setup(
        CONFIG,
        r##"<a href="#" id="open" data-assent-open>Cookie settings</a>"##,
    );
    boot();
    let opener: HtmlElement = q("#open").unwrap().dyn_into().unwrap();
    opener.focus().unwrap();
    opener.click();
    let dialog = q("[data-assent-ui=preferences]").expect("[data-assent-open] opens the dialog");
    assert!(
        dialog.contains(active().as_deref()),
        "focus moved into the dialog"
    );
    assert_eq!(
        active()
            .unwrap()
            .get_attribute("data-assent-category")
            .as_deref(),
        Some("analytics"),
        "the first switch that can change gets focus"
    );
    let focusables = qa("[data-assent-ui=preferences] :is(a[href], button, input:not([disabled]))");
    let first = focusables.first().unwrap().clone();
    let last = focusables.last().unwrap().clone();
    last.dyn_ref::<HtmlElement>().unwrap().focus().unwrap();
    key_down(&last, "Tab", false);
    assert_eq!(
        active().as_ref(),
        Some(&first),
        "Tab on the last item wraps to the first"
    );
    key_down(&first, "Tab", true);
    assert_eq!(
        active().as_ref(),
        Some(&last),
        "Shift+Tab on the first item wraps to the last"
    );
    // Focus outside (e.g. the page) is pulled back in.
    opener.focus().unwrap();
    key_down(&opener, "Tab", false);
    assert!(dialog.contains(active().as_deref()));
    key_down(&active().unwrap(), "Escape", false);
    assert!(q("[data-assent-ui=preferences]").is_none(), "Escape closes");
    assert_eq!(
        active().as_ref(),
        Some(&opener.clone().into()),
        "focus returns to the opener"
    );
    // Escape is not a choice: the banner is back, nothing stored.
    assert!(q("[data-assent-ui=banner]:not([hidden])").is_some());
    assert!(cookie_value("assent").is_none());
}
