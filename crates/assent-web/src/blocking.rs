//! Blocked scripts and embeds.
//!
//! - `<script type="text/plain" data-assent="CAT" [src]>`: when every named category is granted, the script is
//!   replaced by a live copy (same attributes and `nonce`, `type` from `data-assent-type`, e.g. `module`).
//!   Scripts run one at a time in document order: a `src` script must finish loading (or fail) before the next
//!   one is inserted, so dependent scripts keep their order.
//! - `<iframe|img|… data-assent="CAT" data-src="…">`: while denied, the element is hidden and (once the interface
//!   part is there) preceded by a placeholder with a "Load (category)" button (`data-assent-load`); when granted,
//!   `src` is set from `data-src` — only an http(s) or relative URL, anything else is refused with a console
//!   error; when it is withdrawn again, the embed is unloaded (`about:blank`) and the placeholder returns.
//!
//! Which of these happens is assent-core's `lifecycle::element_step`; this module only touches the DOM.
//! - A `MutationObserver` on the whole document applies the same rules to elements added later (including the
//!   rest of the page while it is still being parsed). With `activate_added_elements: false`, only the blocked
//!   elements in the document once its HTML is parsed and the SDK has booted are ever activated: under a
//!   `'strict-dynamic'` CSP a script the SDK inserts runs anyway, which is why pages showing untrusted HTML turn
//!   added elements off.

use std::cell::{Cell, RefCell};

use js_sys::Array;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Element, MutationObserver};

use assent_core::lifecycle::{ElementKind, ElementStep, element_step, guard_allows};

use crate::dom::{call, callback, doc, error, get, get_el, get_str, query_all, set};
use crate::state::current;
use crate::ui_link;

const SCRIPTS: &str = "script[type=\"text/plain\"][data-assent]";
const EMBEDS: &str = "[data-assent][data-src]:not(script),[data-assent-state=loaded]";

thread_local! {
    /// Scripts waiting to run, in document order (a `Vec`: a few elements, and no `VecDeque` code in the wasm).
    static QUEUE: RefCell<Vec<Element>> = const { RefCell::new(Vec::new()) };
    static BUSY: Cell<bool> = const { Cell::new(false) };
    static OBSERVER: RefCell<Option<MutationObserver>> = const { RefCell::new(None) };
    /// With `activate_added_elements: false`: the blocked elements present once the page was parsed and the SDK
    /// booted, the only ones ever activated.
    static KNOWN: RefCell<Option<Vec<Element>>> = const { RefCell::new(None) };
}

/// Whether `e` may be activated at all (always, unless only the elements present at boot may).
fn known(e: &Element) -> bool {
    KNOWN.with(|k| k.borrow().as_ref().is_none_or(|list| list.contains(e)))
}

/// Remembers the blocked elements of the page as it is now: nothing added later is ever activated.
fn freeze() {
    let d: JsValue = doc().into();
    let mut list = query_all(&d, SCRIPTS);
    list.extend(query_all(&d, EMBEDS));
    KNOWN.with(|k| *k.borrow_mut() = Some(list));
}

fn allowed(e: &Element) -> bool {
    let Some(app) = current() else { return false };
    let attr = e.get_attribute("data-assent").unwrap_or_default();
    guard_allows(&attr, |name| app.decision.granted_name(name))
}

/// Scans the page and starts observing it.
pub(crate) fn start() {
    let frozen = KNOWN.with(|k| k.borrow().is_some());
    if !frozen && current().is_some_and(|app| !app.config.activate_added_elements) {
        if get_str(&doc(), "readyState").as_deref() == Some("loading") {
            let c = crate::dom::once(|_| {
                freeze();
                refresh();
            });
            let _ = doc().add_event_listener_with_callback("DOMContentLoaded", c.unchecked_ref());
            // Until then nothing is known, so nothing is activated.
            KNOWN.with(|k| *k.borrow_mut() = Some(Vec::new()));
        } else {
            freeze();
        }
    }
    refresh();
    OBSERVER.with(|o| {
        if o.borrow().is_some() {
            return;
        }
        let d: JsValue = doc().into();
        if has_subscribe_form(&d) {
            ui_link::discover(&d);
        }
        let cb = callback(on_mutations);
        let Ok(observer) = MutationObserver::new(cb.unchecked_ref()) else {
            return;
        };
        let init = js_sys::Object::new();
        set(&init, "childList", &JsValue::TRUE);
        set(&init, "subtree", &JsValue::TRUE);
        call(
            &observer,
            "observe",
            &[&get(&doc(), "documentElement"), &init],
        );
        *o.borrow_mut() = Some(observer);
    });
}

/// The `MutationObserver` callback: applies the rules to every added element and what it contains.
fn on_mutations(records: JsValue) {
    for r in Array::from(&records).iter() {
        let added = Array::from(&get(&r, "addedNodes"));
        for n in added.iter() {
            if let Ok(e) = n.dyn_into::<Element>() {
                consider(&e);
                scan(&e);
                if has_subscribe_form(&e) {
                    ui_link::discover(&e);
                }
            }
        }
    }
}

/// Stops observing and forgets queued scripts.
pub(crate) fn stop() {
    OBSERVER.with(|o| {
        if let Some(obs) = o.borrow_mut().take() {
            call(&obs, "disconnect", &[]);
        }
    });
    QUEUE.with(|q| q.borrow_mut().clear());
    BUSY.with(|b| b.set(false));
    KNOWN.with(|k| *k.borrow_mut() = None);
}

/// Applies the current decision to every blocked element of the page.
pub(crate) fn refresh() {
    scan(&doc().into());
}

/// Subscribe forms or their boxes in `root` (or `root` itself): the interface part handles them.
pub(crate) fn has_subscribe_form(root: &JsValue) -> bool {
    const SUBSCRIBE: &str =
        "[data-assent-subscribe],[data-assent-subscribe-consent],[data-assent-subscribe-tracking]";
    call(root, "matches", &[&JsValue::from_str(SUBSCRIBE)]) == JsValue::TRUE
        || !call(root, "querySelector", &[&JsValue::from_str(SUBSCRIBE)]).is_null()
}

fn scan(root: &JsValue) {
    for e in query_all(root, SCRIPTS) {
        consider(&e);
    }
    for e in query_all(root, EMBEDS) {
        consider(&e);
    }
}

fn consider(e: &Element) {
    if e.get_attribute("data-assent").is_none() || !known(e) {
        return;
    }
    let is_script = get_str(e, "tagName").is_some_and(|t| t.eq_ignore_ascii_case("script"));
    let kind = if is_script {
        if e.get_attribute("type").as_deref() == Some("text/plain") {
            ElementKind::BlockedScript
        } else {
            ElementKind::Other
        }
    } else {
        ElementKind::Embed
    };
    let state = e.get_attribute("data-assent-state");
    let data_src = e.get_attribute("data-src");
    match element_step(kind, state.as_deref(), data_src.as_deref(), allowed(e)) {
        ElementStep::Nothing => {}
        ElementStep::QueueScript => {
            let _ = e.set_attribute("data-assent-state", "queued");
            QUEUE.with(|q| q.borrow_mut().push(e.clone()));
            pump();
        }
        ElementStep::LoadEmbed => load_embed(e),
        ElementStep::BlockEmbed => block_embed(e),
        ElementStep::UnloadEmbed => {
            // Withdrawn: unload the embed (its page stops running) and show the placeholder again.
            if let Some(src) = e.get_attribute("src") {
                let _ = e.set_attribute("data-src", &src);
            }
            let _ = e.set_attribute("src", "about:blank");
            block_embed(e);
        }
        ElementStep::Refuse => {
            if state.as_deref() != Some("refused") {
                let _ = e.set_attribute("data-assent-state", "refused");
                let _ = e.set_attribute("hidden", "");
                let mut m = String::from("refused: only http(s) and relative data-src URLs load: ");
                m.push_str(&get_str(e, "outerHTML").unwrap_or_default());
                error(&m);
            }
        }
    }
}

/// Runs queued scripts in order, waiting for each `src` script to load.
fn pump() {
    loop {
        if BUSY.with(Cell::get) {
            return;
        }
        let next = QUEUE.with(|q| {
            let mut q = q.borrow_mut();
            (!q.is_empty()).then(|| q.remove(0))
        });
        let Some(old) = next else {
            return;
        };
        if get(&old, "isConnected") != JsValue::TRUE {
            continue;
        }
        let Some(new) = live_copy(&old) else { continue };
        let waits = old.get_attribute("src").is_some();
        if waits {
            BUSY.with(|b| b.set(true));
            let done = crate::dom::once(|_| {
                BUSY.with(|b| b.set(false));
                pump();
            });
            let _ = new.add_event_listener_with_callback("load", done.unchecked_ref());
            let _ = new.add_event_listener_with_callback("error", done.unchecked_ref());
        }
        // Inserting runs the script (inline: synchronously, page code may call window.assent).
        call(&old, "replaceWith", &[&new]);
        if waits {
            return;
        }
    }
}

/// A runnable copy of a blocked script.
fn live_copy(old: &Element) -> Option<Element> {
    let new = doc().create_element("script").ok()?;
    for name in Array::from(&call(old, "getAttributeNames", &[])).iter() {
        let Some(name) = name.as_string() else {
            continue;
        };
        if matches!(
            name.as_str(),
            "type" | "data-assent-type" | "data-assent-state" | "nonce"
        ) {
            continue;
        }
        if let Some(v) = old.get_attribute(&name) {
            let _ = new.set_attribute(&name, &v);
        }
    }
    if let Some(t) = old.get_attribute("data-assent-type") {
        let _ = new.set_attribute("type", &t);
    }
    let _ = new.set_attribute("data-assent-state", "activated");
    // The nonce is hidden from getAttribute once the element is in the document: copy the internal value.
    let nonce = get(old, "nonce");
    if get_str(old, "nonce").is_some_and(|n| !n.is_empty()) {
        set(&new, "nonce", &nonce);
    }
    if old.get_attribute("src").is_none() {
        set(&new, "text", &get(old, "textContent"));
    }
    Some(new)
}

fn placeholder_of(e: &Element) -> Option<Element> {
    let prev = get_el(e, "previousElementSibling")?;
    prev.get_attribute("data-assent-placeholder")
        .is_some()
        .then_some(prev)
}

fn load_embed(e: &Element) {
    if let Some(p) = placeholder_of(e) {
        call(&p, "remove", &[]);
    }
    if let Some(src) = e.get_attribute("data-src") {
        let _ = e.set_attribute("src", &src);
        call(e, "removeAttribute", &[&JsValue::from_str("data-src")]);
    }
    if e.get_attribute("data-assent-state").as_deref() == Some("blocked") {
        call(e, "removeAttribute", &[&JsValue::from_str("hidden")]);
    }
    let _ = e.set_attribute("data-assent-state", "loaded");
}

/// Hides a denied embed at once; its placeholder (texts, button) comes from the interface part.
fn block_embed(e: &Element) {
    let _ = e.set_attribute("hidden", "");
    let _ = e.set_attribute("data-assent-state", "blocked");
    if placeholder_of(e).is_none() {
        ui_link::placeholder(e);
    }
}
