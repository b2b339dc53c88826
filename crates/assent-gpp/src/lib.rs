//! The Assent IAB Global Privacy Platform part: the real `window.__gpp` CMP API (version 1.1) with one section,
//! 7 `usnat`. A wasm module of its own, loaded by the engine only when the applied region has `gpp`, so visitors
//! elsewhere download none of it.
//!
//! It decides nothing: it reads the decision through the public `window.assent.get()` and the `assent:change`
//! event, and computes the string with `assent_core::gpp` ([`section`]). [`start`] replaces the bootstrap's stub,
//! answers the calls the stub queued (`__gpp.queue`, as the IAB stub keeps them), and tells the listeners added
//! so far that the signal is `ready`. Commands: `ping`, `addEventListener`, `removeEventListener`, `hasSection`,
//! `getSection`, `getField`; every callback gets `(data, success)`.
#![forbid(unsafe_code)]

pub mod section;

use std::cell::RefCell;

use assent_dom::{Callback, call, doc, get, set, win};
use js_sys::{Array, Function, Object};
use wasm_bindgen::prelude::{Closure, wasm_bindgen};
use wasm_bindgen::{JsCast, JsValue};

use crate::section::{Field, Model, USNAT_NAME};
use assent_core::gpp::{Mspa, UsNat};

struct State {
    model: Model,
    usnat: UsNat,
    displayed: bool,
    listeners: Vec<(u32, Function)>,
    next_id: u32,
}

thread_local! {
    static STATE: RefCell<Option<State>> = const { RefCell::new(None) };
}

/// Takes the engine's model (`{sale_or_share: [names], mspa_covered_transaction, mspa_opt_out_option_mode,
/// mspa_service_provider_mode, cmp_id}`), installs `window.__gpp` and answers what the stub queued. Calling it
/// again only replaces the model.
#[wasm_bindgen]
pub fn start(model: &JsValue) {
    let model = read_model(model);
    let first = STATE.with(|s| s.borrow().is_none());
    let queued = get(&get(&win(), "__gpp"), "queue");
    let listeners = STATE.with(|s| s.borrow_mut().take().map(|s| (s.listeners, s.next_id)));
    let (listeners, next_id) = listeners.unwrap_or((Vec::new(), 1));
    STATE.with(|s| {
        *s.borrow_mut() = Some(State {
            usnat: section::usnat_for_state(&model, |_| false, false),
            model,
            displayed: false,
            listeners,
            next_id,
        });
    });
    refresh();
    if first {
        let api = Closure::<Callback>::new(api).into_js_value();
        set(&win(), "__gpp", &api);
        let on_change = Closure::<Callback>::new(|_, _, _| {
            refresh();
            fire("sectionChange", &JsValue::from_str(USNAT_NAME));
            Ok(JsValue::UNDEFINED)
        })
        .into_js_value();
        call(
            &doc(),
            "addEventListener",
            &[&JsValue::from_str("assent:change"), &on_change],
        );
        if let Some(queue) = queued.dyn_ref::<Array>() {
            for args in queue.iter() {
                let arg = |i: u32| get(&args, &i.to_string());
                let _ = api.unchecked_ref::<Function>().call3(
                    &JsValue::UNDEFINED,
                    &arg(0),
                    &arg(1),
                    &arg(2),
                );
            }
        }
        fire("signalStatus", &JsValue::from_str("ready"));
    }
}

fn read_model(m: &JsValue) -> Model {
    let flag = |k: &str| get(m, k) == JsValue::TRUE;
    let sale_or_share = get(m, "sale_or_share")
        .dyn_into::<Array>()
        .map(|a| a.iter().filter_map(|v| v.as_string()).collect())
        .unwrap_or_default();
    Model {
        sale_or_share,
        mspa: Mspa {
            covered_transaction: flag("mspa_covered_transaction"),
            opt_out_option_mode: flag("mspa_opt_out_option_mode"),
            service_provider_mode: flag("mspa_service_provider_mode"),
        },
        cmp_id: get(m, "cmp_id").as_f64().map_or(0, |n| n as u32),
    }
}

/// Reads the decision from `window.assent.get()` and recomputes the section.
fn refresh() {
    let assent = get(&win(), "assent");
    let state = get(&assent, "get")
        .dyn_ref::<Function>()
        .and_then(|f| f.call0(&assent).ok())
        .unwrap_or(JsValue::UNDEFINED);
    let categories = get(&state, "categories");
    let gpc = get(&get(&state, "signals"), "gpc") == JsValue::TRUE;
    // Before a decision the banner is (or is about to be) on screen.
    let displayed = get(&state, "decided") != JsValue::TRUE;
    STATE.with(|s| {
        if let Some(s) = s.borrow_mut().as_mut() {
            s.usnat = section::usnat_for_state(
                &s.model,
                |name| get(&categories, name) == JsValue::TRUE,
                gpc,
            );
            s.displayed = displayed;
        }
    });
}

/// `__gpp(command, callback, parameter)`; the fourth argument (`version`) is not needed for 1.1.
#[allow(clippy::needless_pass_by_value, clippy::unnecessary_wraps)] // the one signature of `Callback`
fn api(command: JsValue, callback: JsValue, parameter: JsValue) -> Result<JsValue, JsValue> {
    let Some(callback) = callback.dyn_ref::<Function>() else {
        return Ok(JsValue::UNDEFINED);
    };
    let reply = |data: &JsValue, ok: bool| {
        let _ = callback.call2(&JsValue::UNDEFINED, data, &JsValue::from_bool(ok));
    };
    let param = parameter.as_string().unwrap_or_default();
    match command.as_string().as_deref() {
        Some("ping") => reply(&ping(), true),
        Some("addEventListener") => {
            let id = STATE.with(|s| {
                let mut s = s.borrow_mut();
                let s = s.as_mut()?;
                let id = s.next_id;
                s.next_id += 1;
                s.listeners.push((id, callback.clone()));
                Some(id)
            });
            if let Some(id) = id {
                reply(&event("listenerRegistered", id, &JsValue::TRUE), true);
            }
        }
        Some("removeEventListener") => {
            let id = parameter.as_f64().map(|n| n as u32);
            let removed = STATE.with(|s| {
                let mut s = s.borrow_mut();
                let Some(s) = s.as_mut() else { return false };
                let before = s.listeners.len();
                s.listeners.retain(|l| Some(l.0) != id);
                s.listeners.len() != before
            });
            reply(&JsValue::from_bool(removed), true);
        }
        Some("hasSection") => reply(&JsValue::from_bool(section::is_usnat(&param)), true),
        Some("getSection") => {
            if section::is_usnat(&param) {
                reply(&with_usnat(section_value), true);
            } else {
                reply(&JsValue::NULL, true);
            }
        }
        Some("getField") => {
            let v = with_usnat(|u| {
                section::field(u, &param).map_or(JsValue::NULL, |f| field_value(&f))
            });
            reply(&v, true);
        }
        _ => reply(&JsValue::NULL, false),
    }
    Ok(JsValue::UNDEFINED)
}

fn with_usnat(f: impl FnOnce(&UsNat) -> JsValue) -> JsValue {
    STATE.with(|s| s.borrow().as_ref().map_or(JsValue::NULL, |s| f(&s.usnat)))
}

fn num(n: u32) -> JsValue {
    JsValue::from_f64(f64::from(n))
}

/// The ping data (`PingReturn`, GPP CMP API 1.1).
fn ping() -> JsValue {
    let o = Object::new();
    let (cmp_id, displayed, usnat) = STATE.with(|s| {
        let s = s.borrow();
        s.as_ref().map_or((0, false, None), |s| {
            (s.model.cmp_id, s.displayed, Some(s.usnat.clone()))
        })
    });
    let seven = Array::of1(&num(7));
    set(&o, "gppVersion", &JsValue::from_str("1.1"));
    set(&o, "cmpStatus", &JsValue::from_str("loaded"));
    set(
        &o,
        "cmpDisplayStatus",
        &JsValue::from_str(if displayed { "visible" } else { "hidden" }),
    );
    set(&o, "signalStatus", &JsValue::from_str("ready"));
    set(
        &o,
        "supportedAPIs",
        &Array::of1(&JsValue::from_str("7:usnat")),
    );
    set(&o, "cmpId", &num(cmp_id));
    set(&o, "sectionList", &seven);
    set(&o, "applicableSections", &seven);
    let parsed = Object::new();
    let text = usnat.as_ref().map(section::gpp_string).unwrap_or_default();
    if let Some(u) = &usnat {
        set(&parsed, USNAT_NAME, &section_value(u));
    }
    set(&o, "gppString", &JsValue::from_str(&text));
    set(&o, "parsedSections", &parsed);
    o.into()
}

/// A section as `parsedSections` carries it: the core segment's fields, then the GPC subsection's, in one array
/// of segment objects.
fn section_value(u: &UsNat) -> JsValue {
    let segments = Array::new();
    for fields in [section::core_fields(u), section::gpc_fields(u)] {
        if fields.is_empty() {
            continue;
        }
        let o = Object::new();
        for (name, f) in &fields {
            set(&o, name, &field_value(f));
        }
        segments.push(&o);
    }
    segments.into()
}

fn field_value(f: &Field) -> JsValue {
    match f {
        Field::Int(n) => num(u32::from(*n)),
        Field::Bool(b) => JsValue::from_bool(*b),
        Field::List(v) => v
            .iter()
            .map(|n| num(u32::from(*n)))
            .collect::<Array>()
            .into(),
    }
}

/// An event as every listener receives it: `{eventName, listenerId, data, pingData}`.
fn event(name: &str, listener_id: u32, data: &JsValue) -> JsValue {
    let o = Object::new();
    set(&o, "eventName", &JsValue::from_str(name));
    set(&o, "listenerId", &num(listener_id));
    set(&o, "data", data);
    set(&o, "pingData", &ping());
    o.into()
}

/// Calls every listener with this event.
fn fire(name: &str, data: &JsValue) {
    let listeners = STATE.with(|s| {
        s.borrow()
            .as_ref()
            .map(|s| s.listeners.clone())
            .unwrap_or_default()
    });
    for (id, f) in listeners {
        let _ = f.call2(&JsValue::UNDEFINED, &event(name, id, data), &JsValue::TRUE);
    }
}
