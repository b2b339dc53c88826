//! The Assent IAB Global Privacy Platform part: the real `window.__gpp` CMP API (version 1.1) with one section,
//! 7 `usnat`. A wasm module of its own, loaded by the engine only when the applied region has `gpp`, so visitors
//! elsewhere download none of it.
//!
//! It decides nothing: it reads the decision through the public `window.assent.get()` and the `assent:change`
//! event, and computes the string with `assent_core::gpp` ([`section`]). [`start`] replaces the stub (the
//! bootstrap's, or an IAB stub the page defined itself), answers the calls it queued (`__gpp.queue`), keeps the
//! listeners an IAB stub registered (`__gpp.events`, with their ids), and fires `cmpStatus` / `signalStatus`.
//!
//! Answers follow the CMP API 1.1 text and, where it is silent, the IAB reference library (iabgpp-es `CmpApi`):
//! every callback gets `(data, success)`; `success` is `false` with `data` `null` for an unknown command, an
//! unknown section or field, or a missing parameter; add/remove answer an `EventListener` object
//! (`listenerRegistered` / `listenerRemoved`, `data` saying whether it worked); a callback that is not a function
//! throws. Where the two disagree (a section's value), the specification wins: see docs/gpp-plan.md.
#![forbid(unsafe_code)]

pub mod section;

use std::cell::RefCell;

use assent_dom::{Callback, call, doc, get, set, win};
use js_sys::{Array, Function, Object};
use wasm_bindgen::prelude::{Closure, wasm_bindgen};
use wasm_bindgen::{JsCast, JsValue};

use crate::section::{Display, Field, Model, UNREGISTERED_CMP_ID, USNAT_NAME};
use assent_core::gpp::{Mspa, UsNat};

/// The first listener id the API hands out (as the reference library: above the ids a stub gave).
const FIRST_LISTENER_ID: u32 = 1000;

struct State {
    model: Model,
    usnat: UsNat,
    display: Display,
    /// What the interface last said it shows (`assent:ui`), `None` before it said anything.
    shown: Option<bool>,
    signal_ready: bool,
    listeners: Vec<(u32, Function)>,
    next_id: u32,
}

thread_local! {
    static STATE: RefCell<Option<State>> = const { RefCell::new(None) };
}

/// Takes the engine's model (`{sale_or_share: [names], mspa_covered_transaction, mspa_opt_out_option_mode,
/// mspa_service_provider_mode, shows_ui, cmp_id}`), installs `window.__gpp` and answers what the stub queued. Calling it
/// again only replaces the model.
#[wasm_bindgen]
pub fn start(model: &JsValue) {
    let model = read_model(model);
    let first = STATE.with(|s| s.borrow().is_none());
    if !first {
        STATE.with(|s| {
            if let Some(s) = s.borrow_mut().as_mut() {
                s.model = model;
            }
        });
        on_change();
        return;
    }
    let stub = get(&win(), "__gpp");
    let (listeners, next_id) = stub_listeners(&get(&stub, "events"));
    // The interface may be up already (its `assent:ui` came before this part loaded).
    let up = "[data-assent-ui=preferences],[data-assent-ui=banner]:not([hidden]),[data-assent-ui=notice]";
    let shown =
        (!call(&doc(), "querySelector", &[&JsValue::from_str(up)]).is_null()).then_some(true);
    let (usnat, display) = read_decision(&model, shown);
    STATE.with(|s| {
        *s.borrow_mut() = Some(State {
            usnat,
            display,
            shown,
            model,
            signal_ready: false,
            listeners,
            next_id,
        });
    });
    let api = Closure::<Callback>::new(api).into_js_value();
    set(&win(), "__gpp", &api);
    let on_change = Closure::<Callback>::new(|_, _, _| {
        on_change();
        Ok(JsValue::UNDEFINED)
    })
    .into_js_value();
    call(
        &doc(),
        "addEventListener",
        &[&JsValue::from_str("assent:change"), &on_change],
    );
    let check = Closure::<Callback>::new(|_, _, _| {
        check_display();
        Ok(JsValue::UNDEFINED)
    })
    .into_js_value();
    let on_ui = Closure::<Callback>::new(move |e: JsValue, _, _| {
        on_ui(&e, &check);
        Ok(JsValue::UNDEFINED)
    })
    .into_js_value();
    call(
        &doc(),
        "addEventListener",
        &[&JsValue::from_str("assent:ui"), &on_ui],
    );
    // The queued calls in the order they were made (the CMP API requires it); a bad one does not stop the rest.
    if let Some(queue) = get(&stub, "queue").dyn_ref::<Array>() {
        let api = api.unchecked_ref::<Function>();
        for args in queue.iter() {
            let arg = |i: u32| get(&args, &i.to_string());
            let _ = api.call3(&JsValue::UNDEFINED, &arg(0), &arg(1), &arg(2));
        }
    }
    for (name, data) in section::start_events(display) {
        fire(name, data);
    }
}

/// The listeners an IAB stub registered (`__gpp.events`: `{id, callback, parameter}`), with their ids, and the
/// next id to hand out.
fn stub_listeners(events: &JsValue) -> (Vec<(u32, Function)>, u32) {
    let mut listeners = Vec::new();
    let mut next_id = FIRST_LISTENER_ID;
    if let Some(events) = events.dyn_ref::<Array>() {
        for e in events.iter() {
            let id = get(&e, "id").as_f64().map(|n| n as u32);
            if let (Some(id), Ok(f)) = (id, get(&e, "callback").dyn_into::<Function>()) {
                next_id = next_id.max(id.saturating_add(1));
                listeners.push((id, f));
            }
        }
    }
    (listeners, next_id)
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
        // Missing (an older engine): the banner or notice is assumed, as before a choice it usually is.
        shows_ui: get(m, "shows_ui") != JsValue::FALSE,
        cmp_id: get(m, "cmp_id")
            .as_f64()
            .map_or(UNREGISTERED_CMP_ID, |n| n as u32),
    }
}

/// The section and display status for the decision `window.assent.get()` reports now.
fn read_decision(model: &Model, shown: Option<bool>) -> (UsNat, Display) {
    let assent = get(&win(), "assent");
    let state = get(&assent, "get")
        .dyn_ref::<Function>()
        .and_then(|f| f.call0(&assent).ok())
        .unwrap_or(JsValue::UNDEFINED);
    let categories = get(&state, "categories");
    let gpc = get(&get(&state, "signals"), "gpc") == JsValue::TRUE;
    let usnat =
        section::usnat_for_state(model, |name| get(&categories, name) == JsValue::TRUE, gpc);
    let decided = get(&state, "decided") == JsValue::TRUE;
    (usnat, Display::for_state(shown, model.shows_ui, decided))
}

/// `assent:ui`: the interface opened or closed. A choice closes it just before its `assent:change` (the same
/// task), whose events announce the display inside the `signalStatus` bracket; so the display is compared a
/// microtask later, and an event fires only for what no choice announced: the preferences reopened, or closed
/// without a choice.
fn on_ui(e: &JsValue, check: &JsValue) {
    let shown = !get(&get(e, "detail"), "shown").is_null();
    STATE.with(|s| {
        if let Some(s) = s.borrow_mut().as_mut() {
            s.shown = Some(shown);
        }
    });
    call(&win(), "queueMicrotask", &[check]);
}

/// Fires `cmpDisplayStatus` when the display differs from the one last announced.
fn check_display() {
    let changed = STATE.with(|s| {
        let mut s = s.borrow_mut();
        let s = s.as_mut()?;
        let (_, display) = read_decision(&s.model, s.shown);
        (display != s.display).then(|| {
            s.display = display;
            display
        })
    });
    if let Some(display) = changed {
        fire("cmpDisplayStatus", display.as_str());
    }
}

/// `assent:change` (and a new model): the events of [`section::change_events`], each state change made just
/// before the event that announces it, so every `pingData` is true at its moment.
fn on_change() {
    // `window.assent.get()` is the engine's: it never calls `__gpp`, so reading it inside the borrow is safe.
    let Some((display_before, display, usnat, changed)) = STATE.with(|s| {
        let s = s.borrow();
        let s = s.as_ref()?;
        let (usnat, display) = read_decision(&s.model, s.shown);
        let changed = usnat != s.usnat;
        Some((s.display, display, usnat, changed))
    }) else {
        return;
    };
    let mut usnat = Some(usnat);
    for (name, data) in section::change_events(display_before, display, changed) {
        STATE.with(|s| {
            if let Some(s) = s.borrow_mut().as_mut() {
                if name == "cmpDisplayStatus" {
                    s.display = display;
                }
                if name == "sectionChange"
                    && let Some(u) = usnat.take()
                {
                    s.usnat = u;
                }
            }
        });
        fire(name, data);
    }
}

/// `__gpp(command, callback, parameter, version)`. `version` is not read: 1.1 is the only version with
/// callbacks, and the reference library ignores it too.
#[allow(clippy::needless_pass_by_value)] // the one signature of `Callback`
fn api(command: JsValue, callback: JsValue, parameter: JsValue) -> Result<JsValue, JsValue> {
    if callback.is_undefined() || callback.is_null() {
        return Ok(JsValue::UNDEFINED);
    }
    let Some(callback) = callback.dyn_ref::<Function>() else {
        return Err(js_sys::Error::new("__gpp: invalid callback function").into());
    };
    let reply = |data: &JsValue| {
        let ok = JsValue::from_bool(!data.is_null());
        let _ = callback.call2(&JsValue::UNDEFINED, data, &ok);
    };
    let param = parameter.as_string().unwrap_or_default();
    match command.as_string().as_deref() {
        Some("ping") => reply(&ping()),
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
                reply(&event("listenerRegistered", &num(id), &JsValue::TRUE));
            }
        }
        Some("removeEventListener") => {
            let id = parameter.as_f64();
            let removed = STATE.with(|s| {
                let mut s = s.borrow_mut();
                let Some(s) = s.as_mut() else { return false };
                let before = s.listeners.len();
                s.listeners.retain(|l| Some(f64::from(l.0)) != id);
                s.listeners.len() != before
            });
            reply(&event(
                "listenerRemoved",
                &parameter,
                &JsValue::from_bool(removed),
            ));
        }
        Some("hasSection") if !param.is_empty() => {
            reply(&JsValue::from_bool(section::is_usnat(&param)));
        }
        Some("getSection") if section::is_usnat(&param) => reply(&with_usnat(section_value)),
        Some("getField") => reply(&with_usnat(|u| {
            section::field(u, &param).map_or(JsValue::NULL, |f| field_value(&f))
        })),
        _ => reply(&JsValue::NULL),
    }
    Ok(JsValue::UNDEFINED)
}

fn with_usnat(f: impl FnOnce(&UsNat) -> JsValue) -> JsValue {
    STATE.with(|s| s.borrow().as_ref().map_or(JsValue::NULL, |s| f(&s.usnat)))
}

fn num(n: u32) -> JsValue {
    JsValue::from_f64(f64::from(n))
}

/// The ping data (`PingReturn`, GPP CMP API 1.1), as it is at this moment.
fn ping() -> JsValue {
    let o = Object::new();
    let now = STATE.with(|s| {
        s.borrow()
            .as_ref()
            .map(|s| (s.model.cmp_id, s.display, s.signal_ready, s.usnat.clone()))
    });
    let Some((cmp_id, display, ready, usnat)) = now else {
        return JsValue::NULL;
    };
    let seven = Array::of1(&num(7));
    set(&o, "gppVersion", &JsValue::from_str("1.1"));
    set(&o, "cmpStatus", &JsValue::from_str("loaded"));
    set(&o, "cmpDisplayStatus", &JsValue::from_str(display.as_str()));
    set(
        &o,
        "signalStatus",
        &JsValue::from_str(if ready { "ready" } else { "not ready" }),
    );
    set(
        &o,
        "supportedAPIs",
        &Array::of1(&JsValue::from_str("7:usnat")),
    );
    set(&o, "cmpId", &num(cmp_id));
    set(&o, "sectionList", &seven);
    set(&o, "applicableSections", &seven);
    set(
        &o,
        "gppString",
        &JsValue::from_str(&section::gpp_string(&usnat)),
    );
    let parsed = Object::new();
    set(&parsed, USNAT_NAME, &section_value(&usnat));
    set(&o, "parsedSections", &parsed);
    o.into()
}

/// A section as `getSection` and `parsedSections` carry it (CMP API 1.1): an array of segment objects, the core
/// segment's fields, then the GPC subsection's (`{SubsectionType: 1, Gpc}`).
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

/// An `EventListener` object: `{eventName, listenerId, data, pingData}`.
fn event(name: &str, listener_id: &JsValue, data: &JsValue) -> JsValue {
    let o = Object::new();
    set(&o, "eventName", &JsValue::from_str(name));
    set(&o, "listenerId", listener_id);
    set(&o, "data", data);
    set(&o, "pingData", &ping());
    o.into()
}

/// Calls every listener with this event (`data` a string, as for every event the API fires by itself). A
/// `signalStatus` event first sets the status, so its `pingData` says what it announces.
fn fire(name: &str, data: &str) {
    let listeners = STATE.with(|s| {
        let mut s = s.borrow_mut();
        let s = s.as_mut()?;
        if name == "signalStatus" {
            s.signal_ready = data == "ready";
        }
        Some(s.listeners.clone())
    });
    let data = JsValue::from_str(data);
    for (id, f) in listeners.unwrap_or_default() {
        let _ = f.call2(
            &JsValue::UNDEFINED,
            &event(name, &num(id), &data),
            &JsValue::TRUE,
        );
    }
}
