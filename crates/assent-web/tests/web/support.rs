//! Shared set-up for the browser tests: page fragments, DOM queries, the `window.assent` API, waiting.

pub(crate) use assent_core::ConsentState;
pub(crate) use js_sys::{Array, Function, Object, Promise, Reflect};
pub(crate) use wasm_bindgen::JsCast;
pub(crate) use wasm_bindgen::prelude::*;
pub(crate) use wasm_bindgen_futures::JsFuture;
pub(crate) use wasm_bindgen_test::wasm_bindgen_test;
pub(crate) use web_sys::{Document, Element, HtmlElement, HtmlInputElement};

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
    pub(crate) fn install_gtag();
    pub(crate) fn type_tag(v: &JsValue) -> String;
    pub(crate) fn key_down(target: &JsValue, key: &str, shift: bool);
}

pub(crate) fn doc() -> Document {
    web_sys::window().unwrap().document().unwrap()
}

pub(crate) fn win() -> JsValue {
    web_sys::window().unwrap().into()
}

pub(crate) fn get(target: &JsValue, key: &str) -> JsValue {
    Reflect::get(target, &key.into()).unwrap()
}

pub(crate) fn set(target: &JsValue, key: &str, v: &JsValue) {
    Reflect::set(target, &key.into(), v).unwrap();
}

pub(crate) fn cookie() -> String {
    get(&doc().into(), "cookie").as_string().unwrap()
}

pub(crate) fn set_cookie(s: &str) {
    set(&doc().into(), "cookie", &s.into());
}

pub(crate) fn cookie_value(name: &str) -> Option<String> {
    assent_web::cookie::pairs(&cookie())
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.to_string())
}

pub(crate) fn stored_state() -> ConsentState {
    ConsentState::decode(&cookie_value("assent").expect("choice cookie set")).unwrap()
}

pub(crate) fn local_storage() -> web_sys::Storage {
    web_sys::window().unwrap().local_storage().unwrap().unwrap()
}

pub(crate) fn q(selector: &str) -> Option<Element> {
    doc().query_selector(selector).unwrap()
}

pub(crate) fn qa(selector: &str) -> Vec<Element> {
    let list = doc().query_selector_all(selector).unwrap();
    (0..list.length())
        .map(|i| list.item(i).unwrap().dyn_into().unwrap())
        .collect()
}

pub(crate) fn click(selector: &str) {
    q(selector)
        .unwrap_or_else(|| panic!("no {selector}"))
        .dyn_into::<HtmlElement>()
        .unwrap()
        .click();
}

pub(crate) fn active() -> Option<Element> {
    doc().active_element()
}

/// `window.assent[name](...args)`.
pub(crate) fn api(name: &str, args: &[JsValue]) -> Result<JsValue, JsValue> {
    let a = get(&win(), "assent");
    let f: Function = get(&a, name).dyn_into().unwrap();
    f.apply(&a, &args.iter().collect::<Array>())
}

pub(crate) fn granted(category: &str) -> bool {
    api("granted", &[category.into()])
        .unwrap()
        .as_bool()
        .unwrap()
}

/// One turn of the event loop: every promise callback already due (a stubbed `fetch` settles at once) has run.
pub(crate) async fn settle() {
    sleep(0).await;
}

pub(crate) async fn sleep(ms: i32) {
    let p = Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .unwrap();
    });
    JsFuture::from(p).await.unwrap();
}

/// Waits (at most ~2 s) until `cond` holds.
pub(crate) async fn until(cond: impl Fn() -> bool) -> bool {
    for _ in 0..100 {
        if cond() {
            return true;
        }
        sleep(20).await;
    }
    cond()
}

pub(crate) fn delete_all_cookies() {
    for (name, _) in assent_web::cookie::pairs(&cookie())
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect::<Vec<_>>()
    {
        set_cookie(&format!("{name}=; Max-Age=0; Path=/"));
    }
}

/// Boots the engine with the interface part linked in (in production the bootstrap loads it as a second module).
pub(crate) fn boot() {
    assent_web::provide_ui(assent_ui::exports_object());
    assent_web::boot(JsValue::UNDEFINED, None, None, JsValue::UNDEFINED);
}

/// A fresh page: no SDK state, cookies, storage, fixtures or config; then `html` (fixtures) and the config.
pub(crate) fn setup(config: &str, html: &str) {
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
pub(crate) fn define_navigator(key: &str, value: &JsValue) {
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

pub(crate) fn order() -> Vec<String> {
    Array::from(&get(&win(), "__order"))
        .iter()
        .map(|v| v.as_string().unwrap())
        .collect()
}

/// `data:` URL of a script that pushes `tag` to `window.__order`.
pub(crate) fn pushing_src(tag: &str) -> String {
    format!("data:text/javascript,window.__order.push('{tag}')")
}

pub(crate) const CONFIG: &str = r#"{"revision": 1, "mode": "opt-in", "policy_url": "/privacy",
  "categories": {
    "analytics": {"cookies": ["_ga", "_ga_*", "_gid"], "local_storage": ["amp_*"]},
    "remarketing": {"cookies": ["_gcl_au"]}
  }}"#;

/// Replaces `window.fetch`: records `(url, body)` and answers with `status` and `json`, or rejects when `status`
/// is 0 (network error). Returns the captured requests.
pub(crate) fn stub_fetch(status: u16, json: &'static str) -> Array {
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

pub(crate) fn queue_len() -> u32 {
    local_storage()
        .get_item("assent.queue")
        .unwrap()
        .map_or(0, |t| {
            Array::from(&js_sys::JSON::parse(&t).unwrap()).length()
        })
}

pub(crate) const SERVER_CONFIG: &str = r#"{"revision": 4, "policy_url": "/p", "endpoint": "/consent/", "site": "shop.example",
  "categories": {"analytics": {}, "remarketing": {}}}"#;
