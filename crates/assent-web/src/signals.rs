//! Browser privacy signals, read through `Reflect` (web-sys' `Navigator::do_not_track()` throws in Chromium when
//! the value is `null`).

use assent_core::Signals;
use wasm_bindgen::JsValue;

use crate::dom::{get, win};
use crate::rules::is_dnt_on;

/// DNT from `navigator.doNotTrack`, `window.doNotTrack` or `navigator.msDoNotTrack` (`"1"`/`"yes"`), and GPC
/// from `navigator.globalPrivacyControl === true`.
pub(crate) fn read() -> Signals {
    let w: JsValue = win().into();
    let nav = get(&w, "navigator");
    let dnt = [
        get(&nav, "doNotTrack"),
        get(&w, "doNotTrack"),
        get(&nav, "msDoNotTrack"),
    ]
    .iter()
    .any(|v| is_dnt_on(v.as_string().as_deref()));
    let gpc = get(&nav, "globalPrivacyControl").as_bool() == Some(true);
    Signals { dnt, gpc }
}

/// The visitor's languages, most preferred first (`navigator.languages`, else `navigator.language`).
pub(crate) fn languages() -> Vec<String> {
    let nav = get(&win().into(), "navigator");
    let list = get(&nav, "languages");
    let mut out: Vec<String> = Vec::new();
    if js_sys::Array::is_array(&list) {
        for v in js_sys::Array::from(&list).iter() {
            if let Some(s) = v.as_string() {
                out.push(s);
            }
        }
    }
    if out.is_empty() {
        if let Some(l) = get(&nav, "language").as_string() {
            out.push(l);
        }
    }
    out
}
