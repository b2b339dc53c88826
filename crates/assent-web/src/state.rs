//! The engine's current state: the configured SDK with its decision, or the config error that stopped it. A
//! leaf: the modules that read the state (`api`, `blocking`, `ui_link`) import this, not `app`, which replaces it.

use std::cell::RefCell;
use std::rc::Rc;

use assent_core::{Config, Decision, Signals};

/// A configured SDK with its current decision. Replaced as a whole on every change, so a borrow is never held
/// while page code runs (event listeners and activated scripts may call `window.assent` synchronously).
#[derive(Debug)]
pub(crate) struct App {
    pub(crate) config: Rc<Config>,
    /// The interface language chosen for the visitor (`Config::language_for`).
    pub(crate) lang: String,
    pub(crate) signals: Signals,
    pub(crate) decision: Decision,
}

thread_local! {
    static APP: RefCell<Option<Rc<App>>> = const { RefCell::new(None) };
    /// The config error that stopped the SDK, if any.
    static FAILURE: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// The current state, if the SDK is configured.
pub(crate) fn current() -> Option<Rc<App>> {
    APP.with(|a| a.borrow().clone())
}

pub(crate) fn set_current(app: Option<Rc<App>>) {
    APP.with(|a| *a.borrow_mut() = app);
}

/// The config error that stopped the SDK.
pub(crate) fn failure() -> Option<String> {
    FAILURE.with(|f| f.borrow().clone())
}

pub(crate) fn set_failure(message: Option<String>) {
    FAILURE.with(|f| *f.borrow_mut() = message);
}
