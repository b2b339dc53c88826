//! Small DOM helpers shared by the browser engine (`assent-web`) and the interface part (`assent-ui`).
//!
//! Each wasm module links only the helpers it calls. Rarely used DOM methods go through [`call`]/[`get`]/[`set`]
//! (one `Reflect` import) rather than one generated import and glue function each: bytes matter here
//! (docs/size.md).
#![forbid(unsafe_code)]

/// A small coalescing free-list allocator instead of std's dlmalloc: 3 KB less gzip, and the SDK allocates little.
/// Defined here, once, because both wasm crates link this one (and the full build and the browser tests link both).
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: lol_alloc::LockedAllocator<lol_alloc::FreeListAllocator> =
    lol_alloc::LockedAllocator::new(lol_alloc::FreeListAllocator::new());

use js_sys::Reflect;
use wasm_bindgen::prelude::{Closure, wasm_bindgen};
use wasm_bindgen::{JsCast, JsValue, UnwrapThrowExt};
use web_sys::{Document, Element, Event, EventTarget, Window};

#[wasm_bindgen]
extern "C" {
    /// The page's `window`: one import (`web_sys::window()` probes `globalThis`, `global`, `self` and `window`
    /// through four, and the SDK only ever runs in a window).
    #[wasm_bindgen(thread_local_v2, js_name = window)]
    static WINDOW: Window;
}

pub fn win() -> Window {
    WINDOW.with(Window::clone)
}

pub fn doc() -> Document {
    get(&win(), "document").unchecked_into()
}

/// A new element with attributes.
pub fn el(tag: &str, attrs: &[(&str, &str)]) -> Element {
    let e = doc().create_element(tag).unwrap_throw();
    for (k, v) in attrs {
        let _ = e.set_attribute(k, v);
    }
    e
}

/// A new element with attributes and text (set as text, never parsed as HTML).
pub fn text_el(tag: &str, attrs: &[(&str, &str)], text: &str) -> Element {
    let e = el(tag, attrs);
    set(&e, "textContent", &JsValue::from_str(text));
    e
}

pub fn append(parent: &Element, child: &Element) {
    let _ = parent.append_child(child);
}

/// `target[key]`, `undefined` when it throws.
pub fn get(target: &JsValue, key: &str) -> JsValue {
    Reflect::get(target, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// `target[key] = value`, ignoring failures.
pub fn set(target: &JsValue, key: &str, value: &JsValue) {
    let _ = Reflect::set(target, &JsValue::from_str(key), value);
}

/// `target[method](...args)`, `undefined` when it is missing or throws. Rarely used DOM methods go through this
/// one helper instead of one generated import (and glue function) each.
pub fn call(target: &JsValue, method: &str, args: &[&JsValue]) -> JsValue {
    let f = get(target, method);
    let Some(f) = f.dyn_ref::<js_sys::Function>() else {
        return JsValue::UNDEFINED;
    };
    f.apply(target, &array(args)).unwrap_or(JsValue::UNDEFINED)
}

/// A JS array of the values.
pub fn array(items: &[&JsValue]) -> js_sys::Array {
    let a = js_sys::Array::new();
    for v in items {
        a.push(v);
    }
    a
}

/// `target[key]` as a string.
pub fn get_str(target: &JsValue, key: &str) -> Option<String> {
    get(target, key).as_string()
}

/// `target[key]` as an element.
pub fn get_el(target: &JsValue, key: &str) -> Option<Element> {
    get(target, key).dyn_into::<Element>().ok()
}

/// `console.error("Assent: " + message)`.
pub fn error(message: &str) {
    let mut m = String::from("Assent: ");
    m.push_str(message);
    web_sys::console::error_1(&JsValue::from_str(&m));
}

/// Unix seconds from the visitor's clock.
pub fn now() -> u64 {
    (js_sys::Date::now() / 1000.0) as u64
}

/// The one closure type of every long-lived callback: event listeners, the `MutationObserver` callback and the
/// `window.assent` methods (each distinct closure type costs an invoke shim in the wasm and an adapter in the glue).
/// Three arguments: the most any method takes (`assent.subscribe(email, list, opts)`).
pub type Callback = dyn Fn(JsValue, JsValue, JsValue) -> Result<JsValue, JsValue>;

/// A JS function calling `f` with its first argument, for as long as the page lives.
pub fn callback(f: fn(JsValue)) -> JsValue {
    Closure::<Callback>::new(move |a: JsValue, _: JsValue, _: JsValue| {
        f(a);
        Ok(JsValue::UNDEFINED)
    })
    .into_js_value()
}

/// Adds an event listener that lives as long as the page.
pub fn listen(target: &EventTarget, event: &str, f: fn(Event)) {
    let c = Closure::<Callback>::new(move |e: JsValue, _: JsValue, _: JsValue| {
        f(e.unchecked_into());
        Ok(JsValue::UNDEFINED)
    })
    .into_js_value();
    let _ = target.add_event_listener_with_callback(event, c.unchecked_ref());
}

/// A JS function that runs `f` once. Every one-shot callback goes through this one closure type (each distinct
/// `Closure::once_into_js` instantiation costs about a kilobyte of wasm).
pub fn once(f: impl FnOnce(JsValue) + 'static) -> JsValue {
    let f: Box<dyn FnOnce(JsValue)> = Box::new(f);
    Closure::once_into_js(move |v: JsValue| f(v))
}

/// The element an event started on.
pub fn event_element(e: &Event) -> Option<Element> {
    get_el(e, "target")
}

/// `el.closest(selector)`.
pub fn closest(e: &Element, selector: &str) -> Option<Element> {
    call(e, "closest", &[&JsValue::from_str(selector)])
        .dyn_into::<Element>()
        .ok()
}

/// The elements matching `selector` under `root`, in document order.
pub fn query_all(root: &JsValue, selector: &str) -> Vec<Element> {
    let f = get(root, "querySelectorAll");
    let Some(f) = f.dyn_ref::<js_sys::Function>() else {
        return Vec::new();
    };
    let Ok(list) = f.call1(root, &JsValue::from_str(selector)) else {
        return Vec::new();
    };
    // Plain loops rather than iterator adapters here and below: each adapter chain is its own generic code.
    let mut out = Vec::new();
    for n in js_sys::Array::from(&list).iter() {
        if let Ok(e) = n.dyn_into::<Element>() {
            out.push(e);
        }
    }
    out
}

/// Runs `f` now when the body exists, else at `DOMContentLoaded`.
pub fn when_body(f: impl FnOnce() + 'static) {
    let d = doc();
    if get_el(&d, "body").is_some() {
        // Even while parsing goes on: the banner overlays whatever comes after it.
        f();
        return;
    }
    let c = once(move |_| f());
    let _ = d.add_event_listener_with_callback("DOMContentLoaded", c.unchecked_ref());
}

/// `promise.then(ok, err)` with plain JS functions.
pub fn then(promise: &JsValue, ok: &JsValue, err: Option<&JsValue>) {
    if let Some(f) = get(promise, "then").dyn_ref::<js_sys::Function>() {
        let _ = match err {
            Some(e) => f.call2(promise, ok, e),
            None => f.call1(promise, ok),
        };
    }
}

/// `fetch(url, {method: "POST", headers: {"Content-Type": "application/json", …extra}, body, keepalive: true})`.
pub fn post(url: &str, body: &str, extra_headers: &[(&str, &str)]) -> JsValue {
    let init = js_sys::Object::new();
    set(&init, "method", &JsValue::from_str("POST"));
    let headers = js_sys::Object::new();
    set(
        &headers,
        "Content-Type",
        &JsValue::from_str("application/json"),
    );
    for (k, v) in extra_headers {
        set(&headers, k, &JsValue::from_str(v));
    }
    set(&init, "headers", &headers);
    set(&init, "body", &JsValue::from_str(body));
    set(&init, "keepalive", &JsValue::TRUE);
    call(&win(), "fetch", &[&JsValue::from_str(url), &init])
}

/// A promise of the SHA-256 of `text` (an `ArrayBuffer`, from `crypto.subtle`: no hashing code in the wasm);
/// `None`, reported, outside a secure context.
pub fn sha256(text: &str) -> Option<JsValue> {
    let subtle = get(&get(&win(), "crypto"), "subtle");
    let digest = call(
        &subtle,
        "digest",
        &[
            &JsValue::from_str("SHA-256"),
            &js_sys::Uint8Array::from(text.as_bytes()),
        ],
    );
    if digest.is_instance_of::<js_sys::Promise>() {
        Some(digest)
    } else {
        error(
            "records and subscriptions need a secure context (https): crypto.subtle is unavailable",
        );
        None
    }
}

/// `location[key]`.
pub fn location_str(key: &str) -> Option<String> {
    get_str(&get(&win(), "location"), key)
}

/// `document.cookie`.
pub fn cookie_string() -> String {
    get(&doc().into(), "cookie").as_string().unwrap_or_default()
}

/// `document.cookie = assignment`.
pub fn write_cookie(assignment: &str) {
    set(&doc().into(), "cookie", &JsValue::from_str(assignment));
}

/// Whether the page is served over https (cookies then get `Secure`).
pub fn secure() -> bool {
    location_str("protocol").as_deref() == Some("https:")
}

/// `window.localStorage`, `None` where it is unavailable (blocked storage, sandboxed frames).
pub fn local_storage() -> Option<JsValue> {
    Some(get(&win(), "localStorage")).filter(JsValue::is_object)
}

/// `localStorage.getItem(key)`.
pub fn ls_get(key: &str) -> Option<String> {
    call(&local_storage()?, "getItem", &[&JsValue::from_str(key)]).as_string()
}

/// `localStorage.setItem(key, value)` (ignored when storage is unavailable or full).
pub fn ls_set(key: &str, value: &str) {
    if let Some(ls) = local_storage() {
        call(
            &ls,
            "setItem",
            &[&JsValue::from_str(key), &JsValue::from_str(value)],
        );
    }
}

/// `localStorage.removeItem(key)`.
pub fn ls_remove(key: &str) {
    if let Some(ls) = local_storage() {
        call(&ls, "removeItem", &[&JsValue::from_str(key)]);
    }
}

/// `location.reload()`.
pub fn reload_page() {
    call(&get(&win(), "location"), "reload", &[]);
}

/// The localStorage keys the SDK owns, shared by the engine and the interface part (enforcement never deletes
/// keys starting with `assent.`).
pub mod keys {
    /// The record retry queue (a JSON array of record bodies).
    pub const QUEUE: &str = "assent.queue";
    /// The subject id.
    pub const SUBJECT: &str = "assent.subject";
    /// The token set aside when a narrowing choice deleted the token cookie: it still proves the subject for the
    /// record of that choice (never consent: backends read only the cookie).
    pub const PROOF: &str = "assent.proof";
}
