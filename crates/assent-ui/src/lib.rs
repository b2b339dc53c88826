//! The Assent interface part: the banner, the preferences dialog, embed placeholders and marketing-email
//! subscribe forms. A second wasm module, loaded by the engine (`assent-web`) only when something must be shown:
//! a first visit or re-consent, `assent.show()`, a `[data-assent-open]` click, a blocked embed, a subscribe form.
//! Returning visitors whose choice is valid never download it.
//!
//! It decides nothing. The engine hands it a [`model`] once ([`start`]); it reads the current decision through the
//! public `window.assent.get()`, and every choice made in it goes back through `window.assent._choose(choice,
//! method)`, where assent-core decides. The exports below are the whole contract (ARCHITECTURE.md, "Engine and
//! interface part"). They are wasm exports only with the `exports` feature (the standalone module); the full build
//! links this crate into the engine and calls them directly.
#![forbid(unsafe_code)]

mod css;
pub mod model;
pub mod record;
mod records;
mod subscribe;
mod ui;

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::JsValue;
#[cfg(feature = "exports")]
use wasm_bindgen::prelude::wasm_bindgen;

use crate::model::Model;

/// A call that waits for the language file.
enum Pending {
    Show(String),
    Placeholder(web_sys::Element),
    Record(String, bool),
}

thread_local! {
    static MODEL: RefCell<Option<Rc<Model>>> = const { RefCell::new(None) };
    /// Whether the texts of the model's language are here (else the calls wait in `PENDING`).
    static READY: std::cell::Cell<bool> = const { std::cell::Cell::new(true) };
    static PENDING: RefCell<Vec<Pending>> = const { RefCell::new(Vec::new()) };
    static LISTENING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// The model the engine handed over (an empty one before [`start`]).
pub(crate) fn model() -> Rc<Model> {
    MODEL.with(|m| m.borrow().clone()).unwrap_or_default()
}

/// Takes the engine's model (a JS object, see [`model`]) and installs the page-wide listeners (once). Returns
/// `undefined` when the interface is ready at once, else a promise that resolves when it is (the engine waits for
/// it before any other call).
#[cfg_attr(feature = "exports", wasm_bindgen)]
pub fn start(model: JsValue) -> JsValue {
    set_model(model::read(&model));
    JsValue::UNDEFINED
}

/// [`start`] for the full build, where the engine hands a Rust model.
pub fn set_model(model: Model) {
    let url = model.lang_url.clone();
    MODEL.with(|m| *m.borrow_mut() = Some(Rc::new(model)));
    if !LISTENING.with(|l| l.replace(true)) {
        ui::listen();
        subscribe::listen();
    }
    if let Some(url) = url {
        fetch_language(&url);
    }
}

/// Fetches the built-in texts of the model's language; until they are here, what would show them waits. When the
/// file cannot be had, the interface is English (and says so in the console): the record then says `en`, the
/// language actually shown.
fn fetch_language(url: &str) {
    use assent_dom::{call, get, once, then, win};
    READY.with(|r| r.set(false));
    let response = call(&win(), "fetch", &[&JsValue::from_str(url)]);
    let on_response = once(|r: JsValue| {
        if get(&r, "ok") == JsValue::TRUE {
            then(
                &call(&r, "json", &[]),
                &once(language_arrived),
                Some(&once(language_failed)),
            );
        } else {
            language_failed(get(&r, "status"));
        }
    });
    then(&response, &on_response, Some(&once(language_failed)));
}

fn language_arrived(file: JsValue) {
    update_model(|m| model::apply_language(m, &file));
    language_ready();
}

fn language_failed(why: JsValue) {
    let m = model();
    let mut msg = String::from("Assent: the texts for \"");
    msg.push_str(&m.lang);
    msg.push_str("\" could not be loaded (");
    msg.push_str(
        &assent_dom::call(&why, "toString", &[])
            .as_string()
            .unwrap_or_default(),
    );
    msg.push_str("); showing English");
    web_sys::console::warn_1(&JsValue::from_str(&msg));
    update_model(|m| {
        m.lang = String::from("en");
        m.texts.clear();
        m.lang_url = None;
    });
    language_ready();
}

fn update_model(f: impl FnOnce(&mut Model)) {
    let mut m = (*model()).clone();
    f(&mut m);
    MODEL.with(|cell| *cell.borrow_mut() = Some(Rc::new(m)));
}

fn language_ready() {
    READY.with(|r| r.set(true));
    let pending = PENDING.with(|p| std::mem::take(&mut *p.borrow_mut()));
    for p in pending {
        run(p);
    }
}

fn when_ready(p: Pending) {
    if READY.with(std::cell::Cell::get) {
        run(p);
    } else {
        PENDING.with(|q| q.borrow_mut().push(p));
    }
}

fn run(p: Pending) {
    match p {
        Pending::Show(surface) => {
            if surface == "preferences" {
                ui::open_preferences();
            } else if surface == "notice" {
                assent_dom::when_body(ui::show_notice);
            } else {
                assent_dom::when_body(ui::show_banner);
            }
        }
        Pending::Placeholder(e) => ui::placeholder(&e),
        Pending::Record(state, reload) => records::record(&state, reload),
    }
}

/// Shows `"banner"` (the first layer), `"notice"` (an opt-out region's non-blocking notice) or `"preferences"`
/// (the dialog, focus moved into it).
#[cfg_attr(feature = "exports", wasm_bindgen)]
pub fn show(surface: &str) {
    when_ready(Pending::Show(surface.to_owned()));
}

/// Removes the banner and the dialog (after a choice).
#[cfg_attr(feature = "exports", wasm_bindgen)]
pub fn close() {
    ui::close_all();
}

/// Puts a placeholder with a "Load" button before a blocked embed (the engine has hidden it already).
#[cfg_attr(feature = "exports", wasm_bindgen)]
pub fn placeholder(embed: web_sys::Element) {
    when_ready(Pending::Placeholder(embed));
}

/// Records a stored choice (`state`: its cookie encoding) on the consent server; reloads the page afterwards
/// when `reload` (docs/server.md).
#[cfg_attr(feature = "exports", wasm_bindgen)]
pub fn record(state: &str, reload: bool) {
    when_ready(Pending::Record(state.to_owned(), reload));
}

/// Sends the records waiting in the retry queue.
#[cfg_attr(feature = "exports", wasm_bindgen)]
pub fn flush() {
    records::flush();
}

/// New elements (the page, or what was added): subscribe forms get their pre-ticked boxes unticked.
#[cfg_attr(feature = "exports", wasm_bindgen)]
pub fn discover(root: JsValue) {
    subscribe::discover(&root);
}

/// `assent.subscribe(email, list, {tracking, text})`: a promise of the outcome (docs/email.md).
#[cfg_attr(feature = "exports", wasm_bindgen)]
pub fn subscribe(email: JsValue, list: JsValue, opts: JsValue) -> JsValue {
    subscribe::api(email, list, opts)
}

/// The exports above as one JS object, as the engine sees the loaded module: for the `full` build and the browser
/// tests, which link both crates into one wasm and hand this to the engine.
#[doc(hidden)]
pub fn exports_object() -> JsValue {
    use assent_dom::{Callback, set};
    use wasm_bindgen::JsCast;
    use wasm_bindgen::prelude::Closure;
    let o = js_sys::Object::new();
    let f = |f: fn(JsValue, JsValue, JsValue) -> JsValue| {
        Closure::<Callback>::new(move |a, b, c| Ok(f(a, b, c))).into_js_value()
    };
    set(&o, "start", &f(|m, _, _| start(m)));
    set(
        &o,
        "show",
        &f(|s, _, _| {
            show(&s.as_string().unwrap_or_default());
            JsValue::UNDEFINED
        }),
    );
    set(
        &o,
        "close",
        &f(|_, _, _| {
            close();
            JsValue::UNDEFINED
        }),
    );
    set(
        &o,
        "placeholder",
        &f(|e, _, _| {
            if let Ok(e) = e.dyn_into::<web_sys::Element>() {
                placeholder(e);
            }
            JsValue::UNDEFINED
        }),
    );
    set(
        &o,
        "record",
        &f(|s, r, _| {
            record(
                &s.as_string().unwrap_or_default(),
                r.as_bool() == Some(true),
            );
            JsValue::UNDEFINED
        }),
    );
    set(
        &o,
        "flush",
        &f(|_, _, _| {
            flush();
            JsValue::UNDEFINED
        }),
    );
    set(
        &o,
        "discover",
        &f(|r, _, _| {
            discover(r);
            JsValue::UNDEFINED
        }),
    );
    set(&o, "subscribe", &f(subscribe));
    o.into()
}

/// Test support: forget the model and remove the interface.
#[doc(hidden)]
pub fn reset_for_tests() {
    ui::close_all();
    MODEL.with(|m| *m.borrow_mut() = None);
    READY.with(|r| r.set(true));
    PENDING.with(|p| p.borrow_mut().clear());
}
