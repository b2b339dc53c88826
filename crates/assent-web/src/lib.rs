//! The Assent browser engine: the wasm module every page with Assent loads. A thin `#[wasm_bindgen]` layer over
//! assent-core, which decides; the interface (banner, preferences, placeholders, subscribe forms) is a second
//! module, `assent-ui`, loaded only when something must be shown ([`ui_link`]).
//!
//! The bootstrap (`www/src/assent.js`, served as `/assent/assent.js`) defines `dataLayer`/`gtag`, pushes the
//! Google Consent Mode default synchronously, starts fetching this module (and, on a first visit, the interface
//! part) and calls [`boot`]. Then:
//!
//! - [`app`]: reads `<script type="application/json" id="assent-config">` (parsed by the browser's `JSON.parse`,
//!   validated by assent-core: [`config_value`]), the signals and the choice cookie; gets a decision and its
//!   effects from `assent_core::lifecycle` and executes them in one place;
//! - [`blocking`]: `<script type="text/plain" data-assent>` activation in document order, `data-src` embeds, and a
//!   `MutationObserver` for elements added later;
//! - [`storage`]: the choice cookie, the token cookie, opt-out enforcement (cookies on every domain/path variant,
//!   localStorage);
//! - [`gtag`]: Consent Mode v2 through `window.gtag` (real `Arguments` objects);
//! - [`api`]: `window.assent` and the `assent:ready` / `assent:change` events.
//!
//! Records to the consent server are the interface part's (their notice text is the one it shows): the engine
//! applies a choice first, then hands the stored state over.
#![forbid(unsafe_code)]

pub mod rules;
pub use assent_core::cookie;

mod api;
mod app;
mod blocking;
mod config_value;
#[cfg(feature = "regions")]
mod gpp_link;
mod gtag;
#[cfg(feature = "regions")]
mod locate;
mod signals;
mod state;
mod storage;
mod ui_link;

use assent_dom as dom;
use wasm_bindgen::JsValue;
use wasm_bindgen::prelude::wasm_bindgen;

/// Starts the SDK: reads the config and acts on it. Called by the bootstrap once the module is loaded, with the
/// interface part's loader (`() => Promise<exports of assent_ui.js>`) and the base URL of the built-in language
/// files (`…/lang/`), and the script tag's `data-region` (a configured region's name or an ISO code such as `DE`
/// or `US-CA`; only read when the config has `regions`), and the GPP part's loader (`loadGpp`, called only when
/// the applied region has `gpp`); calling it again does nothing.
#[wasm_bindgen]
pub fn boot(
    load_ui: JsValue,
    lang_base: Option<String>,
    region: Option<String>,
    load_gpp: JsValue,
) {
    ui_link::set_loader(load_ui);
    #[cfg(feature = "regions")]
    gpp_link::set_loader(load_gpp);
    #[cfg(not(feature = "regions"))]
    let _ = load_gpp;
    ui_link::set_lang_base(lang_base);
    app::boot(region);
}

/// Test support: the interface part is linked into this wasm already; `exports` is
/// `assent_ui::exports_object()`.
#[doc(hidden)]
pub fn provide_ui(exports: JsValue) {
    ui_link::provide(exports);
}

/// Test support: forget the current configuration and decision, remove the interface and stop observing the
/// page, so that the next [`boot`] starts afresh (the browser tests boot many configs in one page).
#[doc(hidden)]
pub fn reset_for_tests() {
    app::reset();
}
