//! `window.assent`, the `assent:ready` / `assent:change` DOM events and the `assent_change` dataLayer event.
//!
//! ```js
//! await assent.ready;                  // Promise of the state, resolved once the SDK has decided
//! assent.get();                        // the state (below)
//! assent.granted("analytics");         // boolean
//! assent.acceptAll(); assent.rejectAll(); assent.withdraw();   // return the new state
//! assent.set({analytics: true, remarketing: false});           // throws on an unknown category
//! assent.show();                       // opens the preferences dialog
//! assent.on("change", state => …);    // also "ready"
//! await assent.subscribe(email, list, {tracking, text});    // {ok, status[, code, message]}, see subscribe.rs
//! ```
//!
//! The state: `{categories: {essential: true, analytics: false, …}, reasons: {analytics: "default", …},
//! decided: bool, revision, decided_at: seconds|null, method: "banner"|"preferences"|"api"|"withdraw"|null,
//! gpc_honored: bool, signals: {dnt, gpc}, language[, region: "eu"|… when the site uses regions]}`; with a broken config `{categories: {essential: true},
//! decided: false, error: "…"}`.

use std::cell::{Cell, RefCell};

use assent_core::{Choice, Method};
use js_sys::{Function, Object, Promise};
use wasm_bindgen::prelude::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::CustomEvent;

use crate::dom::{
    Callback, call, closest, doc, event_element, get, listen as add_listener, set, win,
};
use crate::state::{current, failure};
use crate::{gtag, ui_link};

thread_local! {
    static LISTENERS: RefCell<Vec<(String, Function)>> = const { RefCell::new(Vec::new()) };
    static READY: Cell<bool> = const { Cell::new(false) };
    static METHODS: Cell<bool> = const { Cell::new(false) };
    /// The engine's way to apply a choice (`app::choose`, handed over by `install`, so this module does not
    /// import `app`, which calls it).
    static CHOOSER: Cell<Option<Chooser>> = const { Cell::new(None) };
}

/// Applies a choice: stores it, enforces it, tells everyone, records it (`app::choose`).
pub(crate) type Chooser = fn(&Choice, Method) -> Result<(), String>;

fn choose(choice: &Choice, method: Method) -> Result<(), String> {
    match CHOOSER.with(Cell::get) {
        Some(f) => f(choice, method),
        None => Err(failure().unwrap_or_else(|| String::from("not configured"))),
    }
}

/// `window.assent._choose(choice, method)`, the interface part's way back: `"accept-all"`, `"reject-all"` or
/// `{category: bool}`, with `"banner"` or `"preferences"`.
fn choose_from_ui(choice: &JsValue, method: &JsValue) -> Result<(), String> {
    let method = match method.as_string().as_deref() {
        Some("banner") => Method::Banner,
        _ => Method::Preferences,
    };
    let choice = match choice.as_string().as_deref() {
        Some("accept-all") => Choice::AcceptAll,
        Some("reject-all") => Choice::RejectAll,
        _ => Choice::Set(changes(choice)?),
    };
    choose(&choice, method)
}

fn b(v: bool) -> JsValue {
    JsValue::from_bool(v)
}

/// The state object handed to page code.
pub(crate) fn state_object() -> JsValue {
    let o = Object::new();
    let cats = Object::new();
    set(&o, "categories", &cats);
    let Some(app) = current() else {
        set(&cats, "essential", &JsValue::TRUE);
        set(&o, "decided", &JsValue::FALSE);
        if let Some(f) = failure() {
            set(&o, "error", &JsValue::from_str(&f));
        }
        return o.into();
    };
    let d = &app.decision;
    let reasons = Object::new();
    for c in &d.categories {
        set(&cats, c.category.name(), &b(c.granted));
        set(
            &reasons,
            c.category.name(),
            &JsValue::from_str(c.reason.as_str()),
        );
    }
    set(&o, "reasons", &reasons);
    set(&o, "decided", &b(d.state.is_some()));
    set(&o, "revision", &JsValue::from(app.config.revision));
    let (at, method) = match &d.state {
        Some(s) => (
            JsValue::from(s.decided_at as f64),
            JsValue::from_str(s.method.as_str()),
        ),
        None => (JsValue::NULL, JsValue::NULL),
    };
    set(&o, "decided_at", &at);
    set(&o, "method", &method);
    set(&o, "gpc_honored", &b(d.gpc_honored));
    let sig = Object::new();
    set(&sig, "dnt", &b(app.signals.dnt));
    set(&sig, "gpc", &b(app.signals.gpc));
    set(&o, "signals", &sig);
    set(&o, "language", &JsValue::from_str(&app.lang));
    if let Some(r) = app.config.region_name() {
        set(&o, "region", &JsValue::from_str(r));
    }
    o.into()
}

fn object() -> JsValue {
    let w: JsValue = win().into();
    let mut a = get(&w, "assent");
    if !a.is_object() {
        a = Object::new().into();
        set(&w, "assent", &a);
    }
    a
}

/// `window.assent[name] = f`. Every method is the same closure type around a plain `fn` (one wasm-bindgen
/// closure instantiation for the whole API).
fn method(obj: &JsValue, name: &str, f: fn(JsValue, JsValue) -> Result<JsValue, JsValue>) {
    let c = Closure::<Callback>::new(move |a, b, _| f(a, b));
    set(obj, name, &c.into_js_value());
}

fn result(r: Result<(), String>) -> Result<JsValue, JsValue> {
    match r {
        Ok(()) => Ok(state_object()),
        Err(m) => Err(js_sys::Error::new(&m).into()),
    }
}

#[allow(clippy::unnecessary_wraps)] // every method has the one signature of `method`
fn api_get(_: JsValue, _: JsValue) -> Result<JsValue, JsValue> {
    Ok(state_object())
}

#[allow(clippy::unnecessary_wraps)] // every method has the one signature of `method`
fn api_granted(name: JsValue, _: JsValue) -> Result<JsValue, JsValue> {
    let name = name.as_string().unwrap_or_default();
    Ok(b(
        current().is_some_and(|app| app.decision.granted_name(&name))
    ))
}

fn api_accept_all(_: JsValue, _: JsValue) -> Result<JsValue, JsValue> {
    result(choose(&Choice::AcceptAll, Method::Api))
}

fn api_reject_all(_: JsValue, _: JsValue) -> Result<JsValue, JsValue> {
    result(choose(&Choice::RejectAll, Method::Api))
}

fn api_withdraw(_: JsValue, _: JsValue) -> Result<JsValue, JsValue> {
    result(choose(&Choice::Withdraw, Method::Api))
}

/// `{category: bool}` as a list of changes.
fn changes(changes: &JsValue) -> Result<Vec<(String, bool)>, String> {
    let mut list = Vec::new();
    if changes.is_object() {
        for entry in Object::entries(changes.unchecked_ref()).iter() {
            let key = get(&entry, "0").as_string().unwrap_or_default();
            let Some(on) = get(&entry, "1").as_bool() else {
                let mut m = String::from("assent.set: the value for \"");
                m.push_str(&key);
                m.push_str("\" must be true or false");
                return Err(m);
            };
            list.push((key, on));
        }
    }
    Ok(list)
}

fn api_set(c: JsValue, _: JsValue) -> Result<JsValue, JsValue> {
    let list = changes(&c).map_err(|m| JsValue::from(js_sys::Error::new(&m)))?;
    result(choose(&Choice::Set(list), Method::Api))
}

fn api_choose(choice: JsValue, method: JsValue) -> Result<JsValue, JsValue> {
    result(choose_from_ui(&choice, &method))
}

#[allow(clippy::unnecessary_wraps)] // every method has the one signature of `method`
fn api_subscribe(email: JsValue, list: JsValue, opts: JsValue) -> Result<JsValue, JsValue> {
    Ok(ui_link::subscribe(email, list, opts))
}

#[allow(clippy::unnecessary_wraps)] // every method has the one signature of `method`
fn api_show(_: JsValue, _: JsValue) -> Result<JsValue, JsValue> {
    ui_link::show_preferences();
    Ok(JsValue::UNDEFINED)
}

#[allow(clippy::unnecessary_wraps)] // every method has the one signature of `method`
fn api_on(event: JsValue, f: JsValue) -> Result<JsValue, JsValue> {
    if let (Some(event), Ok(f)) = (event.as_string(), f.dyn_into::<Function>()) {
        if event == "ready" && READY.with(Cell::get) {
            let _ = f.call1(&JsValue::UNDEFINED, &state_object());
        }
        LISTENERS.with(|l| l.borrow_mut().push((event, f)));
    }
    Ok(JsValue::UNDEFINED)
}

/// Installs `window.assent` (keeping the `ready` promise the bootstrap may have created); its choices go to
/// `choose`.
pub(crate) fn install(choose: Chooser) {
    CHOOSER.with(|c| c.set(Some(choose)));
    let a = object();
    if !get(&a, "ready").is_instance_of::<Promise>() || !get(&a, "_ready").is_function() {
        let mut resolve = None;
        let p = Promise::new(&mut |res, _| resolve = Some(res));
        set(&a, "ready", &p);
        if let Some(r) = resolve {
            set(&a, "_ready", &r);
        }
    }
    if METHODS.with(|m| m.replace(true)) && get(&a, "get").is_function() {
        return;
    }
    method(&a, "get", api_get);
    method(&a, "granted", api_granted);
    method(&a, "acceptAll", api_accept_all);
    method(&a, "rejectAll", api_reject_all);
    method(&a, "withdraw", api_withdraw);
    method(&a, "set", api_set);
    method(&a, "show", api_show);
    method(&a, "on", api_on);
    method(&a, "_choose", api_choose);
    let c = Closure::<Callback>::new(api_subscribe);
    set(&a, "subscribe", &c.into_js_value());
}

/// `[data-assent-open]` anywhere on the page opens the preferences (a page-wide click listener, installed once;
/// the interface part is loaded on demand).
pub(crate) fn listen() {
    // Records waiting for the network go out when it is back.
    add_listener(&win(), "online", |_| {
        if current().is_some_and(|a| a.config.endpoint.is_some()) {
            ui_link::flush();
        }
    });
    add_listener(&doc(), "click", |e| {
        if let Some(t) = event_element(&e) {
            if closest(&t, "[data-assent-open]").is_some() {
                call(&e, "preventDefault", &[]);
                ui_link::show_preferences();
            }
        }
    });
}

/// Dispatches `assent:<name>` on `document` and calls the `assent.on(name, …)` listeners.
fn emit(name: &str, detail: &JsValue) {
    let init = Object::new();
    set(&init, "detail", detail);
    let mut type_ = String::from("assent:");
    type_.push_str(name);
    if let Ok(e) = CustomEvent::new_with_event_init_dict(&type_, init.unchecked_ref()) {
        call(&doc(), "dispatchEvent", &[&e]);
    }
    let mut listeners: Vec<Function> = Vec::new();
    LISTENERS.with(|l| {
        for (n, f) in l.borrow().iter() {
            if n == name {
                listeners.push(f.clone());
            }
        }
    });
    for f in listeners {
        let _ = f.call1(&JsValue::UNDEFINED, detail);
    }
}

/// The SDK has decided: resolve `assent.ready`, fire `assent:ready`.
pub(crate) fn ready() {
    READY.with(|r| r.set(true));
    let state = state_object();
    let a = object();
    if let Some(r) = get(&a, "_ready").dyn_ref::<Function>() {
        let _ = r.call1(&JsValue::UNDEFINED, &state);
    }
    // The resolver is internal: not part of the API once used.
    let _ =
        js_sys::Reflect::delete_property(a.unchecked_ref::<Object>(), &JsValue::from_str("_ready"));
    emit("ready", &state);
}

/// The decision changed: fire `assent:change` and push `{event: "assent_change", assent: state}`.
pub(crate) fn changed() {
    let state = state_object();
    emit("change", &state);
    gtag::push_event("assent_change", &state);
}

/// Test support: a fresh `ready` promise and no listeners.
pub(crate) fn reset() {
    READY.with(|r| r.set(false));
    LISTENERS.with(|l| l.borrow_mut().clear());
    let a = object();
    let a: &Object = a.unchecked_ref();
    let _ = js_sys::Reflect::delete_property(a, &JsValue::from_str("ready"));
    let _ = js_sys::Reflect::delete_property(a, &JsValue::from_str("_ready"));
}
