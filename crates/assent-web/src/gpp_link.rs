//! The engine's side of the GPP part (`assent-gpp`, a wasm module of its own: the real `window.__gpp`). Loaded
//! only when the applied region has `gpp`, once the decision is current (`window.assent` answers), and handed
//! what it needs of the config: the `sale_or_share` category names and the region's MSPA status. It reads the
//! decision itself through `window.assent.get()` and `assent:change`.

use std::cell::{Cell, RefCell};

use assent_core::Config;
use assent_core::region::Show;
use js_sys::{Array, Function, Object, Reflect};
use wasm_bindgen::prelude::Closure;
use wasm_bindgen::{JsCast, JsValue};

use crate::dom::{call, error, get, once, set, then, win};

thread_local! {
    /// The bootstrap's `loadGpp` (`() => Promise<exports of assent_gpp.js>`).
    static LOADER: RefCell<JsValue> = const { RefCell::new(JsValue::UNDEFINED) };
}

pub(crate) fn set_loader(loader: JsValue) {
    LOADER.with(|l| *l.borrow_mut() = loader);
}

/// Loads and starts the GPP part when the applied region offers GPP; does nothing otherwise.
pub(crate) fn start(config: &Config) {
    let shows_ui = config.show != Show::Nothing;
    let Some(rules) = config.gpp_rules() else {
        return not_applicable(shows_ui);
    };
    let Some(loader) = LOADER
        .with(|l| l.borrow().clone())
        .dyn_into::<Function>()
        .ok()
    else {
        return;
    };
    let model = Object::new();
    let names = Array::new();
    for c in config.categories.iter().filter(|c| c.sale_or_share) {
        names.push(&JsValue::from_str(c.category.name()));
    }
    set(&model, "sale_or_share", &names);
    // Whether a banner or notice is shown before a choice (`show: "none"` shows nothing): `cmpDisplayStatus`.
    set(&model, "shows_ui", &JsValue::from_bool(shows_ui));
    let flag = |k: &str, b: bool| set(&model, k, &JsValue::from_bool(b));
    flag("mspa_covered_transaction", rules.mspa.covered_transaction);
    flag("mspa_opt_out_option_mode", rules.mspa.opt_out_option_mode);
    flag(
        "mspa_service_provider_mode",
        rules.mspa.service_provider_mode,
    );
    let Ok(promise) = loader.call0(&JsValue::UNDEFINED) else {
        return error("the GPP part could not be loaded; __gpp stays a stub");
    };
    let model: JsValue = model.into();
    then(
        &promise,
        &once(move |m| {
            call(&m, "start", &[&model]);
        }),
        Some(&once(|_| {
            error("the GPP part could not be loaded; __gpp stays a stub");
        })),
    );
}

thread_local! {
    /// Listener ids handed out while no GPP section applies.
    static LISTENERS: Cell<u32> = const { Cell::new(0) };
    /// Whether the applied region shows a banner or notice before a choice.
    static SHOWS_UI: Cell<bool> = const { Cell::new(true) };
}

/// The applied region offers no GPP (an EU visitor of a site with a US region): the bootstrap's stub, if it was
/// defined (marked `assent`; another CMP's `__gpp` is left alone), would answer "stub" / "not ready" forever. So
/// the engine answers in its place, without loading the GPP part: loaded, ready, no section applies
/// (`applicableSections: [-1]`), and the calls queued so far are answered now. Frames get the same answers (the
/// bootstrap's `__gppCall` listener calls `window.__gpp` when a message comes).
fn not_applicable(shows_ui: bool) {
    SHOWS_UI.with(|s| s.set(shows_ui));
    let w: JsValue = win().into();
    let stub = get(&w, "__gpp");
    if get(&stub, "assent").is_undefined() {
        return;
    }
    let queue = get(&stub, "queue");
    let api = Closure::<dyn Fn(JsValue, JsValue, JsValue)>::new(answer).into_js_value();
    set(&w, "__gpp", &api);
    if let (Some(api), Some(queue)) = (api.dyn_ref::<Function>(), queue.dyn_ref::<Array>()) {
        for args in queue.iter() {
            let _ = Reflect::apply(api, &JsValue::UNDEFINED, &Array::from(&args));
        }
    }
}

/// One `__gpp(command, callback, parameter)` call while no GPP section applies.
fn answer(command: JsValue, callback: JsValue, parameter: JsValue) {
    let Some(callback) = callback.dyn_ref::<Function>() else {
        return;
    };
    let (value, ok): (JsValue, bool) = match command.as_string().as_deref() {
        Some("ping") => (ping_data(), true),
        Some("addEventListener") => {
            let id = LISTENERS.with(|n| n.replace(n.get() + 1));
            let event = Object::new();
            set(
                &event,
                "eventName",
                &JsValue::from_str("listenerRegistered"),
            );
            set(&event, "listenerId", &JsValue::from(id));
            set(&event, "data", &JsValue::TRUE);
            set(&event, "pingData", &ping_data());
            (event.into(), true)
        }
        Some("removeEventListener") => {
            let known = parameter
                .as_f64()
                .is_some_and(|id| id >= 0.0 && id < f64::from(LISTENERS.with(Cell::get)));
            (JsValue::from_bool(known), true)
        }
        Some("hasSection") => (JsValue::FALSE, true),
        Some("getSection" | "getField") => (JsValue::NULL, true),
        _ => (JsValue::NULL, false),
    };
    let _ = callback.call2(&JsValue::UNDEFINED, &value, &JsValue::from_bool(ok));
}

/// The ping answer while no GPP section applies; the banner or notice counts as the CMP's interface, shown until
/// the visitor chooses (never with `show: "none"`).
fn ping_data() -> JsValue {
    let o = Object::new();
    let text = |k: &str, v: &str| set(&o, k, &JsValue::from_str(v));
    text("gppVersion", "1.1");
    text("cmpStatus", "loaded");
    let decided = get(&call(&get(&win(), "assent"), "get", &[]), "decided") == JsValue::TRUE;
    text(
        "cmpDisplayStatus",
        if decided { "hidden" } else { "visible" },
    );
    text("signalStatus", "ready");
    text("gppString", "");
    set(
        &o,
        "supportedAPIs",
        &Array::of1(&JsValue::from_str("7:usnat")),
    );
    set(&o, "cmpId", &JsValue::from(0));
    set(&o, "sectionList", &Array::new());
    set(&o, "applicableSections", &Array::of1(&JsValue::from(-1)));
    set(&o, "parsedSections", &Object::new());
    o.into()
}
