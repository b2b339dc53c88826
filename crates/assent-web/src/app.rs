//! The SDK's state and life cycle: boot, a choice, and the one place where assent-core's effects are executed.

use std::cell::Cell;
use std::rc::Rc;

use assent_core::lifecycle::{Effect, Plan, on_boot, on_choice};
use assent_core::{Choice, Config, ConsentState, Method, Signals};
use wasm_bindgen::JsCast;

use crate::dom::{doc, error, now};
use crate::state::{App, current, failure, set_current, set_failure};
use crate::{api, blocking, config_value, gtag, signals, storage, ui_link};

thread_local! {
    static BOOTED: Cell<bool> = const { Cell::new(false) };
    static LISTENING: Cell<bool> = const { Cell::new(false) };
}

/// The config element: only `<script type="application/json" id="assent-config">` (any other element with that
/// id, e.g. HTML injected earlier in the page, is not a config).
const CONFIG: &str = "script#assent-config[type=\"application/json\"]";

/// Reads the config and acts on it (once). `region`: the page's `data-region`.
pub(crate) fn boot(region: Option<String>) {
    if BOOTED.with(Cell::get) {
        return;
    }
    let d = doc();
    let Some(el) = d.query_selector(CONFIG).ok().flatten() else {
        if crate::dom::get_str(&d, "readyState").as_deref() == Some("loading") {
            // The config comes later in the page: try again when it is parsed.
            let c = crate::dom::once(|_| boot(region));
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
        api::listen();
    }
    let text = crate::dom::get_str(&el, "textContent").unwrap_or_default();
    match config_value::read(&text) {
        Ok(config) => locate(config, region),
        Err(e) => {
            let mut m = String::from("invalid config (nothing non-essential will run): ");
            m.push_str(&e);
            fail(m);
        }
    }
}

/// Fail closed: report, deny everything, expose the API so page code does not break.
fn fail(message: String) {
    error(&message);
    set_failure(Some(message));
    set_current(None);
    api::install(choose);
    api::ready();
    #[cfg(feature = "regions")]
    crate::gpp_link::failed();
}

/// Applies the visitor's region first when the config has `regions` (the `regions` build: [`locate`](crate::locate)),
/// then starts.
fn locate(config: Config, hint: Option<String>) {
    // Consent Mode default first, before anything else can happen.
    gtag::ensure_default(&config);
    let stored = storage::read_state(&config.cookie.name);
    #[cfg(feature = "regions")]
    if !config.regions.is_empty() {
        return crate::locate::find_region(config, stored, hint, start);
    }
    #[cfg(not(feature = "regions"))]
    let _ = hint;
    start(config, stored);
}

fn start(config: Config, stored: Option<ConsentState>) {
    let signals = signals::read();
    let wanted = signals::languages();
    let mut wanted_str: Vec<&str> = Vec::with_capacity(wanted.len());
    for w in &wanted {
        wanted_str.push(w);
    }
    let lang = config.language_for(&wanted_str);
    let config = Rc::new(config);
    let plan = on_boot(&config, stored.as_ref(), signals, now());
    api::install(choose);
    adopt(config.clone(), lang, signals, plan, true);
    #[cfg(feature = "regions")]
    crate::gpp_link::start(&config);
}

/// Makes a plan's decision current and executes its effects, in order.
fn adopt(config: Rc<Config>, lang: String, signals: Signals, plan: Plan, boot: bool) {
    let app = Rc::new(App {
        config,
        lang,
        signals,
        decision: plan.decision,
    });
    set_current(Some(app.clone()));
    if boot {
        ui_link::configure();
    }
    for effect in plan.effects {
        execute(&app, effect);
    }
}

/// Executes one effect. The glue's only `match` on what to do: the rules that chose it are in assent-core.
fn execute(app: &Rc<App>, effect: Effect) {
    match effect {
        Effect::DeleteToken => storage::delete_token(&app.config),
        Effect::WriteChoice(state) => storage::write_state(&app.config, &state),
        Effect::CloseUi => ui_link::close(),
        Effect::Enforce => storage::enforce(&app.config, &app.decision),
        Effect::ConsentModeUpdate(state) => gtag::update(&app.config, state),
        Effect::Activate => blocking::start(),
        Effect::ShowBanner => ui_link::show_banner(),
        Effect::ShowNotice => ui_link::show_notice(),
        Effect::EmitChange => api::changed(),
        Effect::EmitReady => api::ready(),
        Effect::Record { state, reload } => {
            if app.config.endpoint.is_some() {
                ui_link::record(&state, reload);
            } else if reload {
                crate::dom::reload_page();
            }
        }
        Effect::FlushQueue => {
            if app.config.endpoint.is_some() {
                ui_link::flush();
            }
        }
    }
}

/// Applies a visitor's (or the page's) choice: store it, enforce it, tell everyone, record it.
pub(crate) fn choose(choice: &Choice, method: Method) -> Result<(), String> {
    let Some(app) = current() else {
        return Err(failure().unwrap_or_else(|| String::from("not configured")));
    };
    let plan = on_choice(
        &app.config,
        &app.decision,
        choice,
        method,
        app.signals,
        now(),
    )
    .map_err(|e| e.message())?;
    adopt(
        app.config.clone(),
        app.lang.clone(),
        app.signals,
        plan,
        false,
    );
    Ok(())
}

/// Test support: back to the state before [`boot`].
pub(crate) fn reset() {
    ui_link::reset();
    blocking::stop();
    set_current(None);
    set_failure(None);
    BOOTED.with(|b| b.set(false));
    api::reset();
}
