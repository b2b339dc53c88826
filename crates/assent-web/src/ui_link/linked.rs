//! The interface part linked into the same module (the full build, `--features ui`): direct calls with a Rust
//! model. Nothing to load, so nothing waits and nothing can fail to arrive.

use assent_core::ConsentState;
use assent_ui::model::{CategoryView, Model};
use wasm_bindgen::JsValue;

use crate::state::{App, current};

/// Nothing to load.
pub(crate) fn set_loader(_: JsValue) {}

/// Nothing to provide: it is linked.
pub(crate) fn provide(_: JsValue) {}

/// Test support: remove the interface.
pub(crate) fn reset() {
    close();
}

/// A new configuration: the interface gets its model.
pub(crate) fn configure() {
    if let Some(app) = current() {
        assent_ui::set_model(model(&app));
    }
}

fn model(app: &App) -> Model {
    let mut texts = Vec::new();
    if let Some(t) = app.config.ui_text(&app.lang) {
        texts = t.site_texts().to_vec();
    }
    let mut categories = Vec::with_capacity(app.config.categories.len());
    for c in &app.config.categories {
        categories.push(CategoryView {
            name: c.category.name().to_owned(),
            index: c.index,
            title: c.title.get(&app.lang).to_owned(),
            description: c.description.get(&app.lang).to_owned(),
        });
    }
    Model {
        lang: app.lang.clone(),
        texts,
        categories,
        policy: app.config.policy_url.clone(),
        endpoint: app.config.endpoint.clone(),
        site: super::site(&app.config),
        cookie: app.config.cookie.name.clone(),
        cookie_domain: app.config.cookie.domain.clone(),
        region: app.config.region_name().map(str::to_owned),
        notice: super::shows_notice(&app.config),
        lang_url: super::lang_url(&app.lang),
        builtin: Vec::new(),
        builtin_categories: Vec::new(),
    }
}

/// Shows the banner.
pub(crate) fn show_banner() {
    if current().is_some_and(|a| a.decision.banner.is_some()) {
        assent_ui::show("banner");
    }
}

/// Shows the non-blocking notice (an opt-out region).
pub(crate) fn show_notice() {
    if current().is_some_and(|a| a.decision.banner.is_some()) {
        assent_ui::show("notice");
    }
}

/// Opens the preferences dialog.
pub(crate) fn show_preferences() {
    if current().is_some() {
        assent_ui::show("preferences");
    }
}

/// Removes the banner and dialog.
pub(crate) fn close() {
    assent_ui::close();
}

/// A placeholder before a blocked embed.
pub(crate) fn placeholder(embed: &web_sys::Element) {
    assent_ui::placeholder(embed.clone());
}

/// Subscribe forms in `root`.
pub(crate) fn discover(root: &JsValue) {
    assent_ui::discover(root.clone());
}

/// Records a stored choice.
pub(crate) fn record(state: &ConsentState, reload: bool) {
    assent_ui::record(&state.encode(), reload);
}

/// Sends the records waiting in the retry queue.
pub(crate) fn flush() {
    assent_ui::flush();
}

/// `assent.subscribe(email, list, opts)`.
pub(crate) fn subscribe(email: JsValue, list: JsValue, opts: JsValue) -> JsValue {
    assent_ui::subscribe(email, list, opts)
}
