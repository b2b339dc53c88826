//! The engine's side of the GPP part (`assent-gpp`, a wasm module of its own: the real `window.__gpp`). Loaded
//! only when the applied region has `gpp`, once the decision is current (`window.assent` answers), and handed
//! what it needs of the config: the `sale_or_share` category names and the region's MSPA status. It reads the
//! decision itself through `window.assent.get()` and `assent:change`.

use std::cell::RefCell;

use assent_core::Config;
use js_sys::{Array, Function, Object};
use wasm_bindgen::{JsCast, JsValue};

use crate::dom::{call, error, once, set, then};

thread_local! {
    /// The bootstrap's `loadGpp` (`() => Promise<exports of assent_gpp.js>`).
    static LOADER: RefCell<JsValue> = const { RefCell::new(JsValue::UNDEFINED) };
}

pub(crate) fn set_loader(loader: JsValue) {
    LOADER.with(|l| *l.borrow_mut() = loader);
}

/// Loads and starts the GPP part when the applied region offers GPP; does nothing otherwise.
pub(crate) fn start(config: &Config) {
    let Some(rules) = config.gpp_rules() else {
        return;
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
