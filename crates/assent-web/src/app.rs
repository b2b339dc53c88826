//! The SDK's state and life cycle: boot, decide, apply a choice.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use assent_core::i18n::negotiate;
use assent_core::{Choice, Config, Decision, Method, Reason, Signals, apply_choice, decide};
use wasm_bindgen::JsCast;

use crate::dom::{doc, error, now};
use crate::{api, blocking, endpoint, gtag, signals, storage, subscribe, ui};

/// A configured SDK with its current decision. Replaced as a whole on every change, so a borrow is never held
/// while page code runs (event listeners and activated scripts may call `window.assent` synchronously).
#[derive(Debug)]
pub(crate) struct App {
    pub(crate) config: Rc<Config>,
    /// The negotiated interface language (one of `config.languages()`).
    pub(crate) lang: String,
    pub(crate) signals: Signals,
    pub(crate) decision: Decision,
}

thread_local! {
    static APP: RefCell<Option<Rc<App>>> = const { RefCell::new(None) };
    /// The config error that stopped the SDK, if any.
    static FAILURE: RefCell<Option<String>> = const { RefCell::new(None) };
    static BOOTED: Cell<bool> = const { Cell::new(false) };
    static LISTENING: Cell<bool> = const { Cell::new(false) };
}

/// The current state, if the SDK is configured.
pub(crate) fn current() -> Option<Rc<App>> {
    APP.with(|a| a.borrow().clone())
}

fn set_current(app: Option<Rc<App>>) {
    APP.with(|a| *a.borrow_mut() = app);
}

/// The config error that stopped the SDK.
pub(crate) fn failure() -> Option<String> {
    FAILURE.with(|f| f.borrow().clone())
}

/// Reads the config and acts on it (once).
pub(crate) fn boot() {
    if BOOTED.with(Cell::get) {
        return;
    }
    let d = doc();
    let Some(el) = d.query_selector("#assent-config").ok().flatten() else {
        if crate::dom::get_str(&d, "readyState").as_deref() == Some("loading") {
            // The config comes later in the page: try again when it is parsed.
            let c = crate::dom::once(|_| boot());
            let _ = d.add_event_listener_with_callback("DOMContentLoaded", c.unchecked_ref());
        } else {
            fail(String::from(
                "no <script type=\"application/json\" id=\"assent-config\"> on the page; nothing non-essential will run",
            ));
        }
        return;
    };
    BOOTED.with(|b| b.set(true));
    if !LISTENING.with(|l| l.replace(true)) {
        ui::listen();
        endpoint::listen();
        subscribe::listen();
    }
    let text = crate::dom::get_str(&el, "textContent").unwrap_or_default();
    match Config::from_json(&text) {
        Ok(config) => start(config),
        Err(e) => {
            let mut m = String::from("invalid config (nothing non-essential will run): ");
            m.push_str(&e.message());
            fail(m);
        }
    }
}

/// Fail closed: report, deny everything, expose the API so page code does not break.
fn fail(message: String) {
    error(&message);
    FAILURE.with(|f| *f.borrow_mut() = Some(message));
    set_current(None);
    api::install();
    api::ready();
}

fn start(config: Config) {
    // Consent Mode default first, before anything else can happen.
    gtag::ensure_default(&config);
    let signals = signals::read();
    let wanted = signals::languages();
    let mut wanted_str: Vec<&str> = Vec::with_capacity(wanted.len());
    for w in &wanted {
        wanted_str.push(w);
    }
    let wanted = wanted_str;
    let mut offered: Vec<&str> = Vec::with_capacity(config.translations.len());
    for t in &config.translations {
        offered.push(&t.lang);
    }
    let lang = negotiate(&wanted, &offered).to_owned();
    let stored = storage::read_state(&config.cookie.name);
    let decision = decide(&config, stored.as_ref(), signals, now());
    let app = Rc::new(App {
        config: Rc::new(config),
        lang,
        signals,
        decision,
    });
    set_current(Some(app.clone()));
    if app.decision.state.is_some()
        || app.decision.consent_mode != assent_core::ConsentModeState::DEFAULT
    {
        gtag::update(&app.config, app.decision.consent_mode);
    }
    storage::enforce(&app.config, &app.decision);
    // Returning visitors: allowed scripts start now, before the page has finished parsing.
    blocking::start();
    subscribe::discover(&doc().into());
    api::install();
    if app.decision.banner.is_some() {
        crate::dom::when_body(ui::show_banner);
    }
    // GPC arrived on top of a stored "allow" of a sale/share category: the opt-out is processed (decide() already
    // denies it) and stored and recorded as a withdrawal made with the signal on, so that both the opt-out and a
    // later re-grant are on record (CCPA 11 CCR §7025(c)(3)). The interface keeps saying "Opt-Out Request Honored".
    let mut overridden: Vec<(String, bool)> = Vec::new();
    for c in &app.decision.categories {
        if c.reason == Reason::Gpc
            && app
                .decision
                .state
                .is_some_and(|s| s.granted.contains(c.index))
        {
            overridden.push((c.category.name().to_owned(), false));
        }
    }
    if !overridden.is_empty() {
        let _ = choose(&Choice::Set(overridden), Method::Withdraw);
    }
    api::ready();
    endpoint::flush();
}

/// Applies a visitor's (or the page's) choice: store it, enforce it, tell everyone, record it.
pub(crate) fn choose(choice: &Choice, method: Method) -> Result<(), String> {
    let Some(app) = current() else {
        return Err(failure().unwrap_or_else(|| String::from("not configured")));
    };
    let now = now();
    let state = apply_choice(&app.config, &app.decision, choice, method, app.signals, now)
        .map_err(|e| e.message())?;
    let decision = decide(&app.config, Some(&state), app.signals, now);
    let withdrew = app
        .decision
        .categories
        .iter()
        .any(|old| old.granted && !decision.granted_name(old.category.name()));
    let next = Rc::new(App {
        config: app.config.clone(),
        lang: app.lang.clone(),
        signals: app.signals,
        decision,
    });
    set_current(Some(next.clone()));
    storage::write_state(&next.config, &state);
    ui::close_all();
    storage::enforce(&next.config, &next.decision);
    gtag::update(&next.config, next.decision.consent_mode);
    blocking::refresh();
    api::changed();
    endpoint::record(&next, &state, withdrew && next.config.reload_on_withdraw);
    Ok(())
}

/// Test support: back to the state before [`boot`].
pub(crate) fn reset() {
    ui::close_all();
    blocking::stop();
    set_current(None);
    FAILURE.with(|f| *f.borrow_mut() = None);
    BOOTED.with(|b| b.set(false));
    api::reset();
}
