//! Browser tests of the SDK in headless Chromium (wasm-bindgen-test): `cargo xtask test` (step `wasm-test`), or
//! `CHROMEDRIVER=/usr/bin/chromedriver cargo test -p assent-web --target wasm32-unknown-unknown --test web`.
//!
//! Every test builds its own page fragment (config, blocked scripts, embeds) and boots the SDK on it; `setup`
//! clears cookies, storage and the previous SDK state first, so tests do not depend on each other's order.
#![cfg(target_arch = "wasm32")]

use assent_core::ConsentState;
use js_sys::{Array, Function, Object, Promise, Reflect};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::{Document, Element, HtmlElement, HtmlInputElement};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(inline_js = "
export function install_gtag() {
  window.dataLayer = [];
  window.gtag = function () { window.dataLayer.push(arguments); };
}
export function type_tag(v) { return Object.prototype.toString.call(v); }
export function key_down(target, key, shift) {
  target.dispatchEvent(new KeyboardEvent('keydown', { key: key, shiftKey: shift, bubbles: true, cancelable: true }));
}
")]
extern "C" {
    fn install_gtag();
    fn type_tag(v: &JsValue) -> String;
    fn key_down(target: &JsValue, key: &str, shift: bool);
}

// ------------------------------------------------------------------------------------------------------------
// Helpers
// ------------------------------------------------------------------------------------------------------------

fn doc() -> Document {
    web_sys::window().unwrap().document().unwrap()
}

fn win() -> JsValue {
    web_sys::window().unwrap().into()
}

fn get(target: &JsValue, key: &str) -> JsValue {
    Reflect::get(target, &key.into()).unwrap()
}

fn set(target: &JsValue, key: &str, v: &JsValue) {
    Reflect::set(target, &key.into(), v).unwrap();
}

fn cookie() -> String {
    get(&doc().into(), "cookie").as_string().unwrap()
}

fn set_cookie(s: &str) {
    set(&doc().into(), "cookie", &s.into());
}

fn cookie_value(name: &str) -> Option<String> {
    assent_web::cookie::pairs(&cookie())
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.to_string())
}

fn stored_state() -> ConsentState {
    ConsentState::decode(&cookie_value("assent").expect("choice cookie set")).unwrap()
}

fn local_storage() -> web_sys::Storage {
    web_sys::window().unwrap().local_storage().unwrap().unwrap()
}

fn q(selector: &str) -> Option<Element> {
    doc().query_selector(selector).unwrap()
}

fn qa(selector: &str) -> Vec<Element> {
    let list = doc().query_selector_all(selector).unwrap();
    (0..list.length())
        .map(|i| list.item(i).unwrap().dyn_into().unwrap())
        .collect()
}

fn click(selector: &str) {
    q(selector)
        .unwrap_or_else(|| panic!("no {selector}"))
        .dyn_into::<HtmlElement>()
        .unwrap()
        .click();
}

fn active() -> Option<Element> {
    doc().active_element()
}

/// `window.assent[name](...args)`.
fn api(name: &str, args: &[JsValue]) -> Result<JsValue, JsValue> {
    let a = get(&win(), "assent");
    let f: Function = get(&a, name).dyn_into().unwrap();
    f.apply(&a, &args.iter().collect::<Array>())
}

fn granted(category: &str) -> bool {
    api("granted", &[category.into()])
        .unwrap()
        .as_bool()
        .unwrap()
}

/// One turn of the event loop: every promise callback already due (a stubbed `fetch` settles at once) has run.
async fn settle() {
    sleep(0).await;
}

async fn sleep(ms: i32) {
    let p = Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .unwrap();
    });
    JsFuture::from(p).await.unwrap();
}

/// Waits (at most ~2 s) until `cond` holds.
async fn until(cond: impl Fn() -> bool) -> bool {
    for _ in 0..100 {
        if cond() {
            return true;
        }
        sleep(20).await;
    }
    cond()
}

fn delete_all_cookies() {
    for (name, _) in assent_web::cookie::pairs(&cookie())
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect::<Vec<_>>()
    {
        set_cookie(&format!("{name}=; Max-Age=0; Path=/"));
    }
}

/// Boots the engine with the interface part linked in (in production the bootstrap loads it as a second module).
fn boot() {
    assent_web::provide_ui(assent_ui::exports_object());
    assent_web::boot(JsValue::UNDEFINED, None);
}

/// A fresh page: no SDK state, cookies, storage, fixtures or config; then `html` (fixtures) and the config.
fn setup(config: &str, html: &str) {
    assent_web::reset_for_tests();
    assent_ui::reset_for_tests();
    delete_all_cookies();
    local_storage().clear().unwrap();
    for e in qa("[data-test], #assent-config, .assent-backdrop, [data-assent-ui]") {
        e.remove();
    }
    set(&win(), "dataLayer", &Array::new());
    set(&win(), "__order", &Array::new());
    let body = doc().body().unwrap();
    let fixture = doc().create_element("div").unwrap();
    fixture.set_attribute("data-test", "").unwrap();
    fixture.set_inner_html(html);
    body.append_child(&fixture).unwrap();
    let script = doc().create_element("script").unwrap();
    script.set_attribute("type", "application/json").unwrap();
    script.set_attribute("id", "assent-config").unwrap();
    script.set_text_content(Some(config));
    body.append_child(&script).unwrap();
}

/// `navigator[key] = value` (an own property shadowing the prototype's getter); `undefined` removes it.
fn define_navigator(key: &str, value: &JsValue) {
    let nav = get(&win(), "navigator");
    if value.is_undefined() {
        Reflect::delete_property(nav.unchecked_ref::<Object>(), &key.into()).unwrap();
        return;
    }
    let desc = Object::new();
    set(&desc, "value", value);
    set(&desc, "configurable", &JsValue::TRUE);
    Object::define_property(nav.unchecked_ref::<Object>(), &key.into(), &desc);
}

fn order() -> Vec<String> {
    Array::from(&get(&win(), "__order"))
        .iter()
        .map(|v| v.as_string().unwrap())
        .collect()
}

/// `data:` URL of a script that pushes `tag` to `window.__order`.
fn pushing_src(tag: &str) -> String {
    format!("data:text/javascript,window.__order.push('{tag}')")
}

const CONFIG: &str = r#"{"revision": 1, "mode": "opt-in", "policy_url": "/privacy",
  "categories": {
    "analytics": {"cookies": ["_ga", "_ga_*", "_gid"], "local_storage": ["amp_*"]},
    "remarketing": {"cookies": ["_gcl_au"]}
  }}"#;

// ------------------------------------------------------------------------------------------------------------
// Banner and choices
// ------------------------------------------------------------------------------------------------------------

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

// ------------------------------------------------------------------------------------------------------------
// Preferences dialog, keyboard
// ------------------------------------------------------------------------------------------------------------

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

// ------------------------------------------------------------------------------------------------------------
// Blocking
// ------------------------------------------------------------------------------------------------------------

#[wasm_bindgen_test]
async fn blocked_scripts_run_only_after_consent_and_in_order() {
    let html = format!(
        r#"<script type="text/plain" data-assent="analytics" src="{}"></script>
<script type="text/plain" data-assent="analytics">window.__order.push('2')</script>
<script type="text/plain" data-assent="analytics" src="{}"></script>
<script type="text/plain" data-assent="analytics">window.__order.push('4')</script>
<script type="text/plain" data-assent="remarketing">window.__order.push('never')</script>
<script type="text/plain" data-assent="analytics" data-assent-type="module">window.__order.push('module:' + typeof import.meta)</script>"#,
        pushing_src("1"),
        pushing_src("3")
    );
    setup(CONFIG, &html);
    boot();
    // The decision is made synchronously at boot: nothing was queued, so nothing can run later either.
    assert!(qa("script[data-assent-state]").is_empty());
    assert!(
        order().is_empty(),
        "nothing runs before consent: {:?}",
        order()
    );
    let obj = Object::new();
    set(&obj, "analytics", &JsValue::TRUE);
    api("set", &[obj.into()]).unwrap();
    assert!(until(|| order().len() >= 5).await, "{:?}", order());
    // Every analytics script has left the queue: nothing more can run.
    assert!(until(|| qa("script[data-assent-state=queued]").is_empty()).await);
    assert_eq!(order(), ["1", "2", "3", "4", "module:object"]);
    assert_eq!(
        qa("script[data-assent=analytics][data-assent-state=activated]")
            .iter()
            .filter(|s| s.get_attribute("type").as_deref() == Some("module"))
            .count(),
        1
    );
    // The remarketing script is still inert.
    assert_eq!(
        qa("script[type='text/plain'][data-assent=remarketing]").len(),
        1
    );
}

#[wasm_bindgen_test]
async fn scripts_added_later_are_handled_by_the_observer() {
    setup(CONFIG, "");
    boot();
    api("acceptAll", &[]).unwrap();
    let fixture = q("[data-test]").unwrap();
    let s = doc().create_element("script").unwrap();
    s.set_attribute("type", "text/plain").unwrap();
    s.set_attribute("data-assent", "analytics").unwrap();
    s.set_text_content(Some("window.__order.push('late')"));
    fixture.append_child(&s).unwrap();
    let denied = doc().create_element("script").unwrap();
    denied.set_attribute("type", "text/plain").unwrap();
    denied
        .set_attribute("data-assent", "unknown_category")
        .unwrap();
    denied.set_text_content(Some("window.__order.push('unknown')"));
    fixture.append_child(&denied).unwrap();
    // Both were added in one task, so one observer callback saw both: once "late" ran, the other was judged.
    assert!(until(|| !order().is_empty()).await);
    assert!(denied.get_attribute("data-assent-state").is_none());
    assert_eq!(order(), ["late"]);
}

#[wasm_bindgen_test]
fn nonce_is_copied_to_activated_scripts() {
    setup(
        CONFIG,
        r#"<script type="text/plain" data-assent="analytics" nonce="abc123" data-x="y">window.__order.push('n')</script>"#,
    );
    boot();
    api("acceptAll", &[]).unwrap();
    let s: HtmlElement = q("script[data-assent=analytics][data-assent-state=activated]")
        .unwrap()
        .dyn_into()
        .unwrap();
    assert_eq!(s.nonce(), "abc123");
    assert_eq!(s.get_attribute("data-x").as_deref(), Some("y"));
    assert!(s.get_attribute("type").is_none());
    assert_eq!(order(), ["n"]);
}

#[wasm_bindgen_test]
async fn iframes_get_a_placeholder_and_load_on_consent() {
    setup(
        CONFIG,
        r#"<iframe data-assent="remarketing" data-src="/embed/video#video" title="Video" width="320" height="180"></iframe>
<img data-assent="analytics" data-src="/pixel.gif" alt="pixel">"#,
    );
    boot();
    let iframe = q("iframe[data-assent=remarketing]").unwrap();
    assert!(iframe.get_attribute("src").is_none());
    assert!(iframe.has_attribute("hidden"));
    let placeholder = q("[data-assent-placeholder=remarketing]").expect("placeholder");
    let button = placeholder
        .query_selector("button[data-assent-load=remarketing]")
        .unwrap()
        .unwrap();
    assert_eq!(
        button.text_content().unwrap(),
        "Load content (Advertising and remarketing)"
    );
    assert!(
        q("[data-assent-placeholder=analytics]").is_some(),
        "images too"
    );
    button.dyn_into::<HtmlElement>().unwrap().click();
    assert_eq!(
        iframe.get_attribute("src").as_deref(),
        Some("/embed/video#video")
    );
    assert!(!iframe.has_attribute("hidden"));
    assert!(q("[data-assent-placeholder=remarketing]").is_none());
    assert!(granted("remarketing") && !granted("analytics"));
    // The image's category is still denied.
    assert!(
        q("img[data-assent=analytics]")
            .unwrap()
            .get_attribute("src")
            .is_none()
    );
    // Withdrawn: the embed is unloaded and blocked again.
    api("withdraw", &[]).unwrap();
    assert_eq!(iframe.get_attribute("src").as_deref(), Some("about:blank"));
    assert_eq!(
        iframe.get_attribute("data-src").as_deref(),
        Some("/embed/video#video")
    );
    assert!(iframe.has_attribute("hidden"));
    assert!(q("[data-assent-placeholder=remarketing]").is_some());
    // Embeds added later get a placeholder too.
    let late = doc().create_element("iframe").unwrap();
    late.set_attribute("data-assent", "analytics").unwrap();
    late.set_attribute("data-src", "/embed/late").unwrap();
    q("[data-test]").unwrap().append_child(&late).unwrap();
    assert!(until(|| late.has_attribute("hidden")).await);
}

// ------------------------------------------------------------------------------------------------------------
// Opt-out enforcement
// ------------------------------------------------------------------------------------------------------------

#[wasm_bindgen_test]
fn reject_and_withdraw_delete_category_cookies_and_storage() {
    setup(CONFIG, "");
    boot();
    api("acceptAll", &[]).unwrap();
    // Trackers ran and set their cookies and storage.
    set_cookie("_ga=GA1.1.1; Path=/");
    set_cookie("_ga_ABC=GS1.1; Path=/");
    set_cookie("_gcl_au=1.1; Path=/");
    set_cookie("keep_me=1; Path=/");
    local_storage().set_item("amp_device", "x").unwrap();
    local_storage().set_item("app_state", "x").unwrap();
    let obj = Object::new();
    set(&obj, "analytics", &JsValue::FALSE);
    api("set", &[obj.into()]).unwrap();
    assert!(cookie_value("_ga").is_none(), "{}", cookie());
    assert!(cookie_value("_ga_ABC").is_none(), "{}", cookie());
    assert!(
        cookie_value("_gcl_au").is_some(),
        "remarketing still granted"
    );
    assert!(cookie_value("keep_me").is_some());
    assert!(local_storage().get_item("amp_device").unwrap().is_none());
    assert_eq!(
        local_storage().get_item("app_state").unwrap().as_deref(),
        Some("x")
    );
    api("withdraw", &[]).unwrap();
    assert!(cookie_value("_gcl_au").is_none());
    assert!(
        cookie_value("assent").is_some(),
        "the choice cookie itself stays"
    );
}

#[wasm_bindgen_test]
fn denied_category_cookies_are_cleared_on_load() {
    setup(CONFIG, "");
    set_cookie("_gid=GA1.1.2; Path=/");
    boot();
    assert!(cookie_value("_gid").is_none(), "{}", cookie());
}

// ------------------------------------------------------------------------------------------------------------
// Signals
// ------------------------------------------------------------------------------------------------------------

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

// ------------------------------------------------------------------------------------------------------------
// Google Consent Mode v2
// ------------------------------------------------------------------------------------------------------------

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

// ------------------------------------------------------------------------------------------------------------
// Broken config, i18n
// ------------------------------------------------------------------------------------------------------------

#[wasm_bindgen_test]
async fn broken_config_fails_closed_with_a_clear_error() {
    let console = get(&win(), "console");
    let original = get(&console, "error");
    let messages = Array::new();
    let m2 = messages.clone();
    let capture = Closure::<dyn FnMut(JsValue)>::new(move |v: JsValue| {
        m2.push(&v);
    });
    set(&console, "error", capture.as_ref());
    let config = r#"{"revision": 1, "policy_url": "/p", "consent_mode": {"enabled": true},
      "categories": {"analytics": {"default": true}}}"#;
    setup(
        config,
        r#"<script type="text/plain" data-assent="analytics">window.__order.push('ran')</script>"#,
    );
    install_gtag();
    boot();
    // A refused config is reported synchronously by boot.
    set(&console, "error", &original);
    let text: Vec<String> = messages.iter().filter_map(|v| v.as_string()).collect();
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

// ------------------------------------------------------------------------------------------------------------
// Consent server records
// ------------------------------------------------------------------------------------------------------------

/// Replaces `window.fetch`: records `(url, body)` and answers with `status` and `json`, or rejects when `status`
/// is 0 (network error). Returns the captured requests.
fn stub_fetch(status: u16, json: &'static str) -> Array {
    let calls = Array::new();
    let c2 = calls.clone();
    let f = Closure::<dyn FnMut(JsValue, JsValue) -> Promise>::new(
        move |url: JsValue, init: JsValue| {
            c2.push(&Array::of3(
                &url,
                &get(&init, "body"),
                &get(&init, "keepalive"),
            ));
            if status == 0 {
                return Promise::reject(&js_sys::Error::new("network down").into());
            }
            let ctor: Function = get(&win(), "Response").dyn_into().unwrap();
            let opts = Object::new();
            set(&opts, "status", &JsValue::from(status));
            let resp = Reflect::construct(&ctor, &Array::of2(&json.into(), &opts)).unwrap();
            Promise::resolve(&resp)
        },
    );
    set(&win(), "fetch", &f.into_js_value());
    calls
}

fn queue_len() -> u32 {
    local_storage()
        .get_item("assent.queue")
        .unwrap()
        .map_or(0, |t| {
            Array::from(&js_sys::JSON::parse(&t).unwrap()).length()
        })
}

const SERVER_CONFIG: &str = r#"{"revision": 4, "policy_url": "/p", "endpoint": "/consent/", "site": "shop.example",
  "categories": {"analytics": {}, "remarketing": {}}}"#;

#[wasm_bindgen_test]
async fn choices_are_recorded_with_token_and_subject() {
    let original = get(&win(), "fetch");
    setup(SERVER_CONFIG, "");
    let calls = stub_fetch(
        201,
        r#"{"id": "0190c5a4-0000-7000-8000-000000000000", "token": "v1.eyJ0.sig", "expires_at": 4102444800,
            "subject": "AAAAAAAAAAAAAAAAAAAAAA"}"#,
    );
    boot();
    click("[data-assent-ui=banner] [data-assent-action=accept-all]");
    assert!(
        until(|| cookie_value("assent_token").is_some()).await,
        "{}",
        cookie()
    );
    set(&win(), "fetch", &original);
    assert_eq!(cookie_value("assent_token").as_deref(), Some("v1.eyJ0.sig"));
    assert_eq!(calls.length(), 1);
    let call = Array::from(&calls.get(0));
    assert_eq!(
        call.get(0).as_string().as_deref(),
        Some("/consent/v1/consents")
    );
    assert_eq!(call.get(2), JsValue::TRUE, "keepalive");
    let body = js_sys::JSON::parse(&call.get(1).as_string().unwrap()).unwrap();
    assert_eq!(
        get(&body, "site").as_string().as_deref(),
        Some("shop.example")
    );
    assert_eq!(get(&body, "revision").as_f64(), Some(4.0));
    assert_eq!(get(&body, "method").as_string().as_deref(), Some("banner"));
    assert_eq!(get(&get(&body, "categories"), "analytics"), JsValue::TRUE);
    assert_eq!(get(&get(&body, "categories"), "remarketing"), JsValue::TRUE);
    assert!(get(&get(&body, "categories"), "essential").is_undefined());
    let hash = get(&body, "notice_hash").as_string().unwrap();
    assert_eq!(hash.len(), 64);
    assert!(
        hash.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    );
    assert_eq!(get(&body, "subject").as_string().unwrap().len(), 22);
    assert_eq!(
        get(&body, "sdk_version").as_string().as_deref(),
        Some("0.1.0")
    );
    assert_eq!(get(&body, "language").as_string().as_deref(), Some("en"));
    // The server's subject is kept for the next records; nothing left to retry.
    assert_eq!(
        local_storage()
            .get_item("assent.subject")
            .unwrap()
            .as_deref(),
        Some("AAAAAAAAAAAAAAAAAAAAAA")
    );
    assert_eq!(queue_len(), 0);
}

#[wasm_bindgen_test]
async fn unreachable_server_queues_and_online_flushes() {
    let original = get(&win(), "fetch");
    setup(SERVER_CONFIG, "");
    let failed = stub_fetch(0, "");
    boot();
    api("rejectAll", &[]).unwrap();
    assert!(until(|| failed.length() == 1).await);
    settle().await;
    assert_eq!(queue_len(), 1, "kept for retry");
    // 5xx: still kept.
    let busy = stub_fetch(
        503,
        r#"{"error": {"code": "unavailable", "message": "later"}}"#,
    );
    web_sys::window()
        .unwrap()
        .dispatch_event(&web_sys::Event::new("online").unwrap())
        .unwrap();
    assert!(until(|| busy.length() == 1).await);
    settle().await;
    assert_eq!(queue_len(), 1);
    // Back online for real: flushed.
    let ok = stub_fetch(
        201,
        r#"{"id": "x", "token": "t.k", "expires_at": 4102444800, "subject": "AAAAAAAAAAAAAAAAAAAAAA"}"#,
    );
    web_sys::window()
        .unwrap()
        .dispatch_event(&web_sys::Event::new("online").unwrap())
        .unwrap();
    assert!(until(|| queue_len() == 0).await);
    assert_eq!(ok.length(), 1);
    set(&win(), "fetch", &original);
}

#[wasm_bindgen_test]
async fn client_errors_are_not_retried() {
    let original = get(&win(), "fetch");
    setup(SERVER_CONFIG, "");
    let calls = stub_fetch(422, r#"{"error": {"code": "invalid", "message": "bad"}}"#);
    boot();
    api("acceptAll", &[]).unwrap();
    assert!(until(|| calls.length() == 1).await);
    assert!(until(|| queue_len() == 0).await);
    // Provoke a retry: `online` flushes the queue at once. A refused record is no longer in it, so nothing is sent.
    let online = web_sys::Event::new("online").unwrap();
    web_sys::window().unwrap().dispatch_event(&online).unwrap();
    assert_eq!(calls.length(), 1, "a 4xx answer is final");
    set(&win(), "fetch", &original);
    assert!(cookie_value("assent_token").is_none());
}

// ------------------------------------------------------------------------------------------------------------
// Marketing-email subscriptions (double opt-in)
// ------------------------------------------------------------------------------------------------------------

/// SHA-256 hex of "Yes please", of the built-in text of `assent.subscribe` and of the form's collapsed label.
const HASH_YES_PLEASE: &str = "7abcb369669d5468cd9989af14380159a20cd233cc2cf57fddec4f116ffa316a";
const HASH_DEFAULT_TEXT: &str = "7e5cdf98625d4fb8f777c200d53111bf757a57e3fba054a84883d0a778384dd5";
const HASH_FORM_LABEL: &str = "e0754d5d5663791ade9e4f55dd06d1cec3ab94c582340c12835d9103163e1a26";

const SUBSCRIBE_FORM: &str = r#"<form data-assent-subscribe="newsletter" id="sub">
  <input type="email" value="ann@example.com">
  <input type="checkbox" id="sub-consent" data-assent-subscribe-consent>
  <label for="sub-consent">  Send me the
     newsletter. </label>
  <label><input type="checkbox" id="sub-tracking" data-assent-subscribe-tracking> Count my opens</label>
  <button type="submit" id="sub-button">Subscribe</button>
  <p data-assent-subscribe-status id="sub-status"></p>
</form>"#;

/// Awaits `assent.subscribe(...args)`: `Ok(outcome)` when it resolves, `Err(reason)` when it rejects.
async fn subscribe(args: &[JsValue]) -> Result<JsValue, JsValue> {
    let p: Promise = api("subscribe", args).unwrap().dyn_into().unwrap();
    JsFuture::from(p).await
}

/// The `n`th captured request: its URL and parsed JSON body.
fn captured(calls: &Array, n: u32) -> (String, JsValue) {
    let call = Array::from(&calls.get(n));
    (
        call.get(0).as_string().unwrap(),
        js_sys::JSON::parse(&call.get(1).as_string().unwrap()).unwrap(),
    )
}

fn input(selector: &str) -> HtmlInputElement {
    q(selector).unwrap().dyn_into().unwrap()
}

/// `form.requestSubmit()`: the real submission path (submit event, then navigation unless prevented).
fn request_submit(selector: &str) {
    let form = q(selector).unwrap();
    let f: Function = get(&form, "requestSubmit").dyn_into().unwrap();
    f.call0(&form).unwrap();
}

fn text_of(selector: &str) -> String {
    q(selector).unwrap().text_content().unwrap_or_default()
}

#[wasm_bindgen_test]
async fn subscribe_posts_the_exact_body_and_resolves_ok() {
    let original = get(&win(), "fetch");
    setup(SERVER_CONFIG, "");
    let calls = stub_fetch(
        202,
        r#"{"status": "accepted", "message": "Check your inbox."}"#,
    );
    boot();
    let opts = Object::new();
    set(&opts, "tracking", &JsValue::TRUE);
    set(&opts, "text", &"Yes please".into());
    let r = subscribe(&["ann@example.com".into(), "newsletter".into(), opts.into()]).await;
    let r2 = subscribe(&["bob@example.com".into(), "news".into()]).await;
    set(&win(), "fetch", &original);
    let r = r.unwrap();
    assert_eq!(get(&r, "ok"), JsValue::TRUE);
    assert_eq!(get(&r, "status").as_f64(), Some(202.0));
    assert!(get(&r, "code").is_undefined());
    assert_eq!(get(&r2.unwrap(), "ok"), JsValue::TRUE);
    assert_eq!(calls.length(), 2);
    let (url, body) = captured(&calls, 0);
    assert_eq!(url, "/consent/v1/subscriptions");
    assert_eq!(
        js_sys::JSON::stringify(&body).unwrap().as_string().unwrap(),
        format!(
            r#"{{"email":"ann@example.com","list":"newsletter","site":"shop.example","language":"en","tracking":true,"notice_hash":"{HASH_YES_PLEASE}"}}"#
        )
    );
    // Without opts: the built-in text, no tracking.
    let (_, body) = captured(&calls, 1);
    assert_eq!(
        get(&body, "notice_hash").as_string().as_deref(),
        Some(HASH_DEFAULT_TEXT)
    );
    assert_eq!(get(&body, "tracking"), JsValue::FALSE);
    assert_eq!(get(&body, "list").as_string().as_deref(), Some("news"));
    // Nothing went into the consent-record queue.
    assert_eq!(queue_len(), 0);
}

#[wasm_bindgen_test]
async fn subscribe_resolves_server_errors_and_rejects_bad_arguments() {
    let original = get(&win(), "fetch");
    setup(SERVER_CONFIG, "");
    let calls = stub_fetch(
        422,
        r#"{"error": {"code": "invalid_email", "message": "That is not an e-mail address."}}"#,
    );
    boot();
    let r = subscribe(&["nope".into(), "newsletter".into()])
        .await
        .unwrap();
    assert_eq!(get(&r, "ok"), JsValue::FALSE);
    assert_eq!(get(&r, "status").as_f64(), Some(422.0));
    assert_eq!(
        get(&r, "code").as_string().as_deref(),
        Some("invalid_email")
    );
    assert_eq!(
        get(&r, "message").as_string().as_deref(),
        Some("That is not an e-mail address.")
    );
    // An error page that is not JSON, and an unreachable server: still resolved, with a generic message.
    stub_fetch(502, "<html>Bad gateway</html>");
    let r = subscribe(&["a@b.example".into(), "newsletter".into()])
        .await
        .unwrap();
    assert_eq!(get(&r, "status").as_f64(), Some(502.0));
    assert_eq!(get(&r, "code").as_string().as_deref(), Some("http_error"));
    assert!(
        get(&r, "message")
            .as_string()
            .unwrap()
            .contains("try again")
    );
    stub_fetch(0, "");
    let r = subscribe(&["a@b.example".into(), "newsletter".into()])
        .await
        .unwrap();
    assert_eq!(get(&r, "ok"), JsValue::FALSE);
    assert_eq!(get(&r, "status").as_f64(), Some(0.0));
    assert_eq!(
        get(&r, "code").as_string().as_deref(),
        Some("network_error")
    );
    // Bad arguments reject, and send nothing.
    let calls2 = stub_fetch(202, "{}");
    let e = subscribe(&[JsValue::from(1), "newsletter".into()])
        .await
        .unwrap_err();
    assert!(e.is_instance_of::<js_sys::Error>());
    assert!(subscribe(&["a@b.example".into()]).await.is_err());
    assert_eq!(calls2.length(), 0);
    // No endpoint configured: rejects.
    setup(CONFIG, "");
    boot();
    let e = subscribe(&["a@b.example".into(), "newsletter".into()])
        .await
        .unwrap_err();
    assert!(
        get(&e, "message").as_string().unwrap().contains("endpoint"),
        "{e:?}"
    );
    set(&win(), "fetch", &original);
    assert_eq!(calls.length(), 1);
    assert_eq!(calls2.length(), 0);
}

#[wasm_bindgen_test]
async fn subscribe_form_without_consent_sends_nothing_and_says_why() {
    let original = get(&win(), "fetch");
    setup(SERVER_CONFIG, SUBSCRIBE_FORM);
    let calls = stub_fetch(202, r#"{"status": "accepted"}"#);
    boot();
    let status = q("#sub-status").unwrap();
    assert_eq!(status.get_attribute("role").as_deref(), Some("status"));
    request_submit("#sub");
    // The submit handler answers synchronously when the box is not ticked.
    set(&win(), "fetch", &original);
    assert_eq!(calls.length(), 0, "nothing sent without the box ticked");
    assert_eq!(text_of("#sub-status"), "Please tick the box to subscribe.");
    assert!(
        q("#sub").is_some(),
        "still on the page: the submission was prevented"
    );
    assert!(!q("#sub-button").unwrap().has_attribute("disabled"));
}

#[wasm_bindgen_test]
async fn pre_ticked_subscribe_boxes_are_unticked_on_discovery() {
    let original = get(&win(), "fetch");
    let ticked = SUBSCRIBE_FORM
        .replace(
            "id=\"sub-consent\" data-assent-subscribe-consent",
            "id=\"sub-consent\" data-assent-subscribe-consent checked",
        )
        .replace(
            "id=\"sub-tracking\" data-assent-subscribe-tracking",
            "id=\"sub-tracking\" data-assent-subscribe-tracking checked",
        );
    setup(SERVER_CONFIG, &ticked);
    let calls = stub_fetch(202, r#"{"status": "accepted"}"#);
    assert!(input("#sub-consent").checked());
    boot();
    assert!(!input("#sub-consent").checked(), "unticked at boot");
    assert!(!input("#sub-tracking").checked());
    assert!(!input("#sub-consent").has_attribute("checked"));
    // A form added later, pre-ticked: unticked by the observer, and a submit sends nothing.
    let late = doc().create_element("div").unwrap();
    late.set_inner_html(
        r#"<form data-assent-subscribe="newsletter" id="late"><input type="email" value="a@b.example">
           <label><input type="checkbox" id="late-consent" data-assent-subscribe-consent checked> Yes</label>
           <output data-assent-subscribe-status role="alert" id="late-status"></output></form>"#,
    );
    q("[data-test]").unwrap().append_child(&late).unwrap();
    assert!(until(|| !input("#late-consent").checked()).await);
    assert_eq!(
        q("#late-status").unwrap().get_attribute("role").as_deref(),
        Some("alert"),
        "an existing role is kept"
    );
    request_submit("#late");
    set(&win(), "fetch", &original);
    assert_eq!(calls.length(), 0);
    assert_eq!(text_of("#late-status"), "Please tick the box to subscribe.");
}

#[wasm_bindgen_test]
async fn ticked_subscribe_form_posts_once_with_tracking_and_shows_the_outcome() {
    let original = get(&win(), "fetch");
    setup(SERVER_CONFIG, SUBSCRIBE_FORM);
    let calls = stub_fetch(202, r#"{"status": "accepted"}"#);
    boot();
    input("#sub-consent").click();
    click("#sub-button");
    // Sending: the button is disabled and a second submit is ignored.
    assert!(q("#sub-button").unwrap().has_attribute("disabled"));
    request_submit("#sub");
    assert!(
        until(|| text_of("#sub-status") == "Check your inbox to confirm your subscription.").await,
        "{}",
        text_of("#sub-status")
    );
    assert!(!q("#sub-button").unwrap().has_attribute("disabled"));
    assert_eq!(calls.length(), 1);
    let (url, body) = captured(&calls, 0);
    assert_eq!(url, "/consent/v1/subscriptions");
    assert_eq!(
        get(&body, "email").as_string().as_deref(),
        Some("ann@example.com")
    );
    assert_eq!(
        get(&body, "list").as_string().as_deref(),
        Some("newsletter")
    );
    assert_eq!(
        get(&body, "notice_hash").as_string().as_deref(),
        Some(HASH_FORM_LABEL),
        "SHA-256 of the collapsed label text"
    );
    assert_eq!(get(&body, "tracking"), JsValue::FALSE);
    // With the tracking box ticked too.
    input("#sub-tracking").click();
    request_submit("#sub");
    assert!(until(|| calls.length() == 2).await);
    assert_eq!(get(&captured(&calls, 1).1, "tracking"), JsValue::TRUE);
    // A server error shows the server's message.
    stub_fetch(
        422,
        r#"{"error": {"code": "unknown_list", "message": "There is no list \"newsletter\"."}}"#,
    );
    assert!(until(|| !q("#sub-button").unwrap().has_attribute("disabled")).await);
    request_submit("#sub");
    assert!(until(|| text_of("#sub-status") == "There is no list \"newsletter\".").await);
    set(&win(), "fetch", &original);
}
