//! The engine's side of the GPP part (`assent-gpp`, a wasm module of its own: the real `window.__gpp`). Loaded
//! only when the applied region has `gpp`, once the decision is current (`window.assent` answers), and handed
//! what it needs of the config: the `sale_or_share` category names and the region's MSPA status. It reads the
//! decision itself through `window.assent.get()` and `assent:change`.

use std::cell::RefCell;

use assent_core::Config;
use assent_core::region::Show;
use js_sys::{Array, Function, Object};
use wasm_bindgen::{JsCast, JsValue};

use crate::dom::{call, error, get, once, set, then, win};

thread_local! {
    /// The bootstrap's `loadGpp` (`() => Promise<exports of assent_gpp.js>`).
    static LOADER: RefCell<JsValue> = const { RefCell::new(JsValue::UNDEFINED) };
}

pub(crate) fn set_loader(loader: JsValue) {
    LOADER.with(|l| *l.borrow_mut() = loader);
}

const NOT_LOADED: &str = "the GPP part could not be loaded; __gpp answers cmpStatus \"error\"";

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
        return not_loaded();
    };
    let model: JsValue = model.into();
    then(
        &promise,
        &once(move |m| {
            call(&m, "start", &[&model]);
        }),
        Some(&once(|_| not_loaded())),
    );
}

/// The applied region offers no GPP (an EU visitor of a site with a US region): the bootstrap's stub would answer
/// "stub" / "not ready" forever. So the engine tells it (`__gpp.none`, only on the bootstrap's stub; another CMP's
/// `__gpp` is left alone) that no section applies, without loading the GPP part: from then on it answers as
/// loaded, ready, `applicableSections: [-1]`, no section, `(null, false)` for a section or a field; its listeners
/// hear `cmpStatus`, `cmpDisplayStatus` (when the banner is up) and `signalStatus`; queued calls are answered in
/// order. The stub does it in JavaScript: it has the listeners and the answers already, and a site with regions
/// saves about 1.5 KB of wasm for a few hundred bytes of bootstrap every site loads (docs/size.md). Later display
/// changes (the banner gone with a choice, the preferences reopened) reach it as the interface's `assent:ui`.
fn not_applicable(shows_ui: bool) {
    tell_stub("none", &JsValue::from_bool(shows_ui));
}

fn not_loaded() {
    error(NOT_LOADED);
    failed();
}

/// Assent cannot run here (an invalid config, the GPP part not loaded): the bootstrap's stub answers
/// `cmpStatus: "error"` from then on and its listeners hear it, so that a vendor waiting for `signalStatus: "ready"`
/// learns that it will not come (the CMP API's status for a CMP that cannot do its job). Everything optional stays
/// blocked, as without GPP.
pub(crate) fn failed() {
    tell_stub("fail", &JsValue::UNDEFINED);
}

/// Calls `__gpp[name](arg)` when `__gpp` is the bootstrap's stub (it alone has `none` and `fail`); another CMP's
/// `__gpp` is left alone.
fn tell_stub(name: &str, arg: &JsValue) {
    let stub = get(&win(), "__gpp");
    if get(&stub, name).is_function() {
        call(&stub, name, &[arg]);
    }
}
