//! Google Consent Mode v2 through `window.gtag`.
//!
//! Google only reads `dataLayer` entries that are real `Arguments` objects (a plain array is silently ignored),
//! so every command goes through the page's `gtag` function (`function gtag(){dataLayer.push(arguments)}`,
//! defined by the bootstrap when missing) with `Function.apply`.
//!
//! The `consent default` is pushed by the bootstrap synchronously, before any Google tag later in the page can
//! run. When the module was loaded without the bootstrap, [`ensure_default`] pushes it as the module's first
//! action; it never pushes a second default.

use assent_core::{Config, ConsentModeState};
use js_sys::{Array, Function, Object};
use wasm_bindgen::{JsCast, JsValue};

use crate::dom::{array, error, get, set, win};

/// `gtag(command, name, value)`.
fn gtag(command: &str, name: &str, value: &JsValue) {
    let args = [&JsValue::from_str(command), &JsValue::from_str(name), value];
    let w: JsValue = win().into();
    let f = get(&w, "gtag");
    match f.dyn_ref::<Function>() {
        Some(f) => {
            let _ = f.apply(&w, &array(&args));
        }
        None => error("window.gtag is missing (load /assent/assent.js, which defines it)"),
    }
}

fn consent_object(state: ConsentModeState) -> Object {
    let o = Object::new();
    for (k, v) in state.entries() {
        set(&o, k, &JsValue::from_str(v));
    }
    o
}

/// Whether `dataLayer` already holds a `consent default` command.
fn has_default() -> bool {
    let dl = get(&win().into(), "dataLayer");
    if !Array::is_array(&dl) {
        return false;
    }
    Array::from(&dl).iter().any(|entry| {
        get(&entry, "0").as_string().as_deref() == Some("consent")
            && get(&entry, "1").as_string().as_deref() == Some("default")
    })
}

/// Pushes `consent default` (all denied but `security_storage`, `wait_for_update`, optional `region`) and the
/// `set` options, unless a default is already there.
pub(crate) fn ensure_default(config: &Config) {
    let cm = &config.consent_mode;
    if !cm.enabled || has_default() {
        return;
    }
    let o = consent_object(ConsentModeState::DEFAULT);
    set(&o, "wait_for_update", &JsValue::from(cm.wait_for_update));
    if !cm.region.is_empty() {
        let regions = Array::new();
        for r in &cm.region {
            regions.push(&JsValue::from_str(r));
        }
        set(&o, "region", &regions);
    }
    gtag("consent", "default", &o);
    if cm.ads_data_redaction {
        gtag("set", "ads_data_redaction", &JsValue::TRUE);
    }
    if cm.url_passthrough {
        gtag("set", "url_passthrough", &JsValue::TRUE);
    }
}

/// Pushes `consent update` with the state of the current decision.
pub(crate) fn update(config: &Config, state: ConsentModeState) {
    if config.consent_mode.enabled {
        gtag("consent", "update", &consent_object(state));
    }
}

/// Pushes a plain event object (`{event: name, assent: detail}`) to `dataLayer` through its own `push`
/// (Google Tag Manager replaces it).
pub(crate) fn push_event(name: &str, detail: &JsValue) {
    let w: JsValue = win().into();
    let mut dl = get(&w, "dataLayer");
    if dl.is_undefined() {
        dl = Array::new().into();
        set(&w, "dataLayer", &dl);
    }
    let o = Object::new();
    set(&o, "event", &JsValue::from_str(name));
    set(&o, "assent", detail);
    if let Some(push) = get(&dl, "push").dyn_ref::<Function>() {
        let _ = push.call1(&dl, &o);
    }
}
