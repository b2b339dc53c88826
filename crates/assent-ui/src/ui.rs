//! The banner (first layer) and the preferences dialog.
//!
//! Hooks: `data-assent-ui="banner"` and `data-assent-ui="preferences"` (the `role="dialog"` elements), buttons
//! `data-assent-action="accept-all|reject-all|preferences|save|close"`, switches `data-assent-category="NAME"`
//! (`<input type="checkbox" role="switch">`). Any `[data-assent-open]` element on the page opens the preferences.
//!
//! The banner is a non-modal, labelled `role="dialog"` fixed at the bottom and inserted first in `<body>`, so it
//! is first in keyboard order and never shifts the page. Accept all, Reject all and Preferences are the same kind
//! of button. The preferences dialog is modal (`aria-modal="true"`): focus moves into it and Tab/Shift+Tab cycle
//! inside, Escape closes it and focus returns to where it was. Nothing is pre-ticked in opt-in mode (the
//! switches show the current decision, which is "denied" until the visitor chooses).
//!
//! Every change of what is on screen is announced as `assent:ui` on `document` (`detail.shown`: `"banner"`,
//! `"notice"`, `"preferences"` or `null`): the GPP part's `cmpDisplayStatus` follows it, and a site can too.

use std::cell::{Cell, RefCell};

use assent_core::i18n::UiKey;
use assent_dom::{
    append, call, closest, doc, el, error, event_element, get, get_el, get_str,
    listen as add_listener, query_all, set, text_el, win,
};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{CssStyleSheet, Element, Event};

use crate::css::CSS;
use crate::model::Model;

const BANNER: &str = "[data-assent-ui=banner]";
const PREFS: &str = "[data-assent-ui=preferences]";
const NOTICE: &str = "[data-assent-ui=notice]";

const FOCUSABLE: &str = "button:not([disabled]),input:not([disabled]),a[href]";

thread_local! {
    static OPENER: RefCell<Option<Element>> = const { RefCell::new(None) };
    static STYLED: Cell<bool> = const { Cell::new(false) };
    /// What the last `assent:ui` said was shown (`None`: nothing, or none sent yet).
    static SHOWN: Cell<Option<&'static str>> = const { Cell::new(None) };
}

/// What is on screen now: the preferences dialog over everything, else the banner unless hidden, else the notice.
fn shown() -> Option<&'static str> {
    let d = doc();
    let present = |selector: &str| d.query_selector(selector).ok().flatten().is_some();
    if present(PREFS) {
        Some("preferences")
    } else if present("[data-assent-ui=banner]:not([hidden])") {
        Some("banner")
    } else if present(NOTICE) {
        Some("notice")
    } else {
        None
    }
}

/// Fires `assent:ui` when what is shown changed since the last one (after every show and close).
fn announce() {
    let now = shown();
    if SHOWN.with(|s| s.replace(now)) == now {
        return;
    }
    let detail = js_sys::Object::new();
    set(
        &detail,
        "shown",
        &now.map_or(JsValue::NULL, JsValue::from_str),
    );
    let init = js_sys::Object::new();
    set(&init, "detail", &detail);
    if let Ok(e) = web_sys::CustomEvent::new_with_event_init_dict("assent:ui", init.unchecked_ref())
    {
        call(&doc(), "dispatchEvent", &[&e]);
    }
}

/// Applies the stylesheet once: a constructable stylesheet, else (old browsers) a `<style>` element.
pub(crate) fn install_css() {
    if STYLED.with(|s| s.replace(true)) {
        return;
    }
    let d = doc();
    if let Ok(sheet) = CssStyleSheet::new() {
        call(&sheet, "replaceSync", &[&JsValue::from_str(CSS)]);
        let list = get(&d, "adoptedStyleSheets");
        if js_sys::Array::is_array(&list) {
            let copy = js_sys::Array::from(&list);
            copy.push(&sheet);
            set(&d, "adoptedStyleSheets", &copy);
            return;
        }
    }
    let style = text_el("style", &[], CSS);
    if let Some(root) = get_el(&d, "documentElement") {
        append(&root, &style);
    }
}

/// Installs the page-wide click and keyboard handlers (once).
pub(crate) fn listen() {
    let d = doc();
    add_listener(&d, "click", on_click);
    add_listener(&d, "keydown", on_key);
}

/// Hands a choice to the engine: `window.assent._choose(choice, method)`, where assent-core decides. `choice` is
/// `"accept-all"`, `"reject-all"` or an object `{category: bool}`.
fn choose(choice: &JsValue, method: &str) {
    let assent = get(&win(), "assent");
    if get(&assent, "_choose").is_function() {
        call(&assent, "_choose", &[choice, &JsValue::from_str(method)]);
    } else {
        error("the engine is not loaded: choice not applied");
    }
}

/// The engine's current state (`window.assent.get()`).
fn state() -> JsValue {
    call(&get(&win(), "assent"), "get", &[])
}

fn granted(state: &JsValue, name: &str) -> bool {
    get(&get(state, "categories"), name) == JsValue::TRUE
}

fn on_click(e: Event) {
    let Some(t) = event_element(&e) else { return };
    if let Some(button) = closest(&t, "[data-assent-ui] [data-assent-action]") {
        call(&e, "preventDefault", &[]);
        let method = if closest(&button, PREFS).is_some() {
            "preferences"
        } else {
            "banner"
        };
        match button.get_attribute("data-assent-action").as_deref() {
            Some(a @ ("accept-all" | "reject-all")) => choose(&JsValue::from_str(a), method),
            Some("save") => choose(&switches(), "preferences"),
            Some("preferences") => open_preferences(),
            Some("close") => close_preferences(),
            _ => {}
        }
    } else if let Some(load) = closest(&t, "[data-assent-load]") {
        // A placeholder's "Load" button: consent to that one category.
        call(&e, "preventDefault", &[]);
        if let Some(cat) = load.get_attribute("data-assent-load") {
            let o = js_sys::Object::new();
            set(&o, &cat, &JsValue::TRUE);
            choose(&o, "preferences");
        }
    }
    // `[data-assent-open]` is the engine's: it works before this part is loaded.
}

fn on_key(e: Event) {
    let Some(dialog) = doc().query_selector(PREFS).ok().flatten() else {
        return;
    };
    let shift = get(&e, "shiftKey") == JsValue::TRUE;
    match get_str(&e, "key").unwrap_or_default().as_str() {
        "Escape" | "Esc" => {
            call(&e, "preventDefault", &[]);
            close_preferences();
        }
        "Tab" => {
            let items = query_all(&dialog, FOCUSABLE);
            let (Some(first), Some(last)) = (items.first(), items.last()) else {
                return;
            };
            let active = get_el(&doc(), "activeElement");
            let inside = active
                .as_ref()
                .is_some_and(|a| call(&dialog, "contains", &[a]) == JsValue::TRUE && a != &dialog);
            let target = if !inside {
                Some(if shift { last } else { first })
            } else if shift && active.as_ref() == Some(first) {
                Some(last)
            } else if !shift && active.as_ref() == Some(last) {
                Some(first)
            } else {
                None
            };
            if let Some(t) = target {
                call(&e, "preventDefault", &[]);
                focus(t);
            }
        }
        _ => {}
    }
}

fn focus(e: &Element) {
    call(e, "focus", &[]);
}

/// The switches of the open dialog: `{category: on}` for each non-essential one.
fn switches() -> JsValue {
    let out = js_sys::Object::new();
    let Some(dialog) = doc().query_selector(PREFS).ok().flatten() else {
        return out.into();
    };
    for i in query_all(&dialog, "input[data-assent-category]:not([disabled])") {
        if let Some(name) = i.get_attribute("data-assent-category") {
            set(
                &out,
                &name,
                &JsValue::from_bool(get(&i, "checked") == JsValue::TRUE),
            );
        }
    }
    out.into()
}

fn button(action: &str, label: &str) -> Element {
    text_el(
        "button",
        &[("type", "button"), ("data-assent-action", action)],
        label,
    )
}

/// Description paragraph with the policy link, and the GPC notice when one was honoured.
fn intro(m: &Model, parent: &Element, id: &str, key: UiKey) {
    let p = text_el("p", &[("id", id)], m.text(key));
    if !m.policy.is_empty() {
        call(&p, "append", &[&JsValue::from_str(" ")]);
        append(
            &p,
            &text_el("a", &[("href", &m.policy)], m.text(UiKey::PolicyLink)),
        );
    }
    append(parent, &p);
    if get(&state(), "gpc_honored") == JsValue::TRUE {
        append(
            parent,
            &text_el(
                "p",
                &[
                    ("class", "assent-gpc"),
                    ("role", "status"),
                    ("data-assent-gpc", ""),
                ],
                m.text(UiKey::GpcHonored),
            ),
        );
    }
}

/// Shows the first layer (once).
pub(crate) fn show_banner() {
    let m = crate::model();
    let d = doc();
    let Some(body) = get_el(&d, "body") else {
        return;
    };
    if d.query_selector(BANNER).ok().flatten().is_some() {
        return;
    }
    install_css();
    let root = el(
        "div",
        &[
            ("class", "assent-banner"),
            ("data-assent-ui", "banner"),
            ("role", "dialog"),
            ("aria-labelledby", "assent-t"),
            ("aria-describedby", "assent-d"),
            ("lang", &m.lang),
            ("dir", m.dir()),
        ],
    );
    append(
        &root,
        &text_el("h2", &[("id", "assent-t")], m.text(UiKey::Title)),
    );
    intro(&m, &root, "assent-d", UiKey::Description);
    let actions = el("div", &[("class", "assent-actions")]);
    append(&actions, &button("accept-all", m.text(UiKey::AcceptAll)));
    append(&actions, &button("reject-all", m.text(UiKey::RejectAll)));
    append(&actions, &button("preferences", m.text(UiKey::Preferences)));
    append(&root, &actions);
    call(&body, "prepend", &[&root]);
    announce();
}

/// Shows the non-blocking notice of an opt-out region (once): the "Do Not Sell or Share" link, which opens the
/// preferences, the policy link, and "Opt-Out Request Honored" when a GPC signal was honoured. Not a dialog:
/// nothing waits for it, and it goes away with the first choice.
pub(crate) fn show_notice() {
    let m = crate::model();
    let d = doc();
    let Some(body) = get_el(&d, "body") else {
        return;
    };
    if d.query_selector(NOTICE).ok().flatten().is_some() {
        return;
    }
    install_css();
    // CCPA §1798.135 names the English wording; other languages get its translation (README, Regions).
    let link = m.text(UiKey::DoNotSell);
    let root = el(
        "div",
        &[
            ("class", "assent-banner assent-notice"),
            ("data-assent-ui", "notice"),
            ("role", "region"),
            ("aria-label", link),
            ("lang", &m.lang),
            ("dir", m.dir()),
        ],
    );
    let actions = el("div", &[("class", "assent-actions")]);
    append(&actions, &button("preferences", link));
    append(&root, &actions);
    intro(&m, &root, "assent-n", UiKey::NoticeDescription);
    call(&body, "append", &[&root]);
    announce();
}

/// Opens the preferences dialog and moves focus into it.
pub(crate) fn open_preferences() {
    let m = crate::model();
    let state = state();
    let d = doc();
    let Some(body) = get_el(&d, "body") else {
        return;
    };
    if let Some(open) = d.query_selector(PREFS).ok().flatten() {
        if let Some(first) = query_all(&open, FOCUSABLE).first() {
            focus(first);
        }
        return;
    }
    install_css();
    OPENER.with(|o| *o.borrow_mut() = get_el(&d, "activeElement"));
    if let Some(banner) = d.query_selector(BANNER).ok().flatten() {
        let _ = banner.set_attribute("hidden", "");
    }
    let backdrop = el("div", &[("class", "assent-backdrop")]);
    let dialog = el(
        "div",
        &[
            ("class", "assent-prefs"),
            ("data-assent-ui", "preferences"),
            ("role", "dialog"),
            ("aria-modal", "true"),
            ("aria-labelledby", "assent-pt"),
            ("aria-describedby", "assent-pd"),
            ("tabindex", "-1"),
            ("lang", &m.lang),
            ("dir", m.dir()),
        ],
    );
    append(
        &dialog,
        &text_el(
            "h2",
            &[("id", "assent-pt")],
            m.text(UiKey::PreferencesTitle),
        ),
    );
    intro(&m, &dialog, "assent-pd", UiKey::PreferencesDescription);
    let list = el("ul", &[]);
    for c in &m.categories {
        let name = c.name.as_str();
        let li = el("li", &[]);
        let label = el("label", &[]);
        let mut desc_id = String::from("assent-c-");
        desc_id.push_str(name);
        let input = el(
            "input",
            &[
                ("type", "checkbox"),
                ("role", "switch"),
                ("data-assent-category", name),
            ],
        );
        let description = m.description(c);
        if !description.is_empty() {
            let _ = input.set_attribute("aria-describedby", &desc_id);
        }
        let essential = name == "essential";
        if essential {
            let _ = input.set_attribute("disabled", "");
        }
        set(
            &input,
            "checked",
            &JsValue::from_bool(essential || granted(&state, name)),
        );
        append(&label, &input);
        append(&label, &text_el("span", &[], m.title(c)));
        if essential {
            append(
                &label,
                &text_el("span", &[("class", "assent-on")], m.text(UiKey::AlwaysOn)),
            );
        }
        append(&li, &label);
        if !description.is_empty() {
            append(&li, &text_el("p", &[("id", &desc_id)], description));
        }
        append(&list, &li);
    }
    append(&dialog, &list);
    let actions = el("div", &[("class", "assent-actions")]);
    append(&actions, &button("save", m.text(UiKey::Save)));
    append(&actions, &button("accept-all", m.text(UiKey::AcceptAll)));
    append(&actions, &button("reject-all", m.text(UiKey::RejectAll)));
    append(&dialog, &actions);
    let close = button("close", m.text(UiKey::Close));
    let _ = close.set_attribute("class", "assent-x");
    append(&dialog, &close);
    append(&backdrop, &dialog);
    append(&body, &backdrop);
    // Focus the first switch the visitor can change (else the first control).
    let mut items = query_all(&dialog, "input:not([disabled])");
    if items.is_empty() {
        items = query_all(&dialog, FOCUSABLE);
    }
    if let Some(first) = items.first() {
        focus(first);
    }
    announce();
}

fn restore_focus() {
    let opener = OPENER.with(|o| o.borrow_mut().take());
    match opener {
        Some(o) if get(&o, "isConnected") == JsValue::TRUE => focus(&o),
        _ => {
            if let Some(b) = doc()
                .query_selector("[data-assent-ui=banner]:not([hidden]) button")
                .ok()
                .flatten()
            {
                focus(&b);
            }
        }
    }
}

fn remove_preferences() -> bool {
    let Some(dialog) = doc().query_selector(PREFS).ok().flatten() else {
        return false;
    };
    match get_el(&dialog, "parentElement") {
        Some(backdrop) => {
            call(&backdrop, "remove", &[]);
        }
        None => {
            call(&dialog, "remove", &[]);
        }
    }
    true
}

/// Closes the preferences without a choice: the banner comes back if no choice was made yet.
pub(crate) fn close_preferences() {
    if remove_preferences() {
        if let Some(banner) = doc().query_selector(BANNER).ok().flatten() {
            call(&banner, "removeAttribute", &[&JsValue::from_str("hidden")]);
        }
        restore_focus();
        announce();
    }
}

/// Removes the banner and the dialog after a choice.
pub(crate) fn close_all() {
    let had_dialog = remove_preferences();
    for surface in [BANNER, NOTICE] {
        if let Some(e) = doc().query_selector(surface).ok().flatten() {
            call(&e, "remove", &[]);
        }
    }
    if had_dialog {
        restore_focus();
    }
    announce();
}

/// Puts a placeholder with a "Load (category)" button before a blocked embed, keeping the embed's box size so the
/// page does not jump when it loads (set through CSSOM: CSP-safe). Nothing when the embed is no longer blocked or
/// already has one.
pub(crate) fn placeholder(e: &Element) {
    if e.get_attribute("data-assent-state").as_deref() != Some("blocked") {
        return;
    }
    if get_el(e, "previousElementSibling")
        .is_some_and(|p| p.get_attribute("data-assent-placeholder").is_some())
    {
        return;
    }
    let Some(parent) = get_el(e, "parentNode") else {
        return;
    };
    install_css();
    let m = crate::model();
    let cat = e.get_attribute("data-assent").unwrap_or_default();
    let first = cat
        .split_ascii_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned();
    let (message, label) = m.embed_texts(&first);
    let p = el(
        "div",
        &[
            ("class", "assent-embed"),
            ("data-assent-placeholder", &cat),
            ("lang", &m.lang),
            ("dir", m.dir()),
        ],
    );
    append(&p, &text_el("p", &[], &message));
    append(
        &p,
        &text_el(
            "button",
            &[("type", "button"), ("data-assent-load", &first)],
            &label,
        ),
    );
    let style = get(&p, "style");
    for (attr, prop) in [("width", "width"), ("height", "min-height")] {
        if let Some(v) = e
            .get_attribute(attr)
            .filter(|v| v.bytes().all(|b| b.is_ascii_digit()) && !v.is_empty())
        {
            let mut px = v;
            px.push_str("px");
            call(
                &style,
                "setProperty",
                &[&JsValue::from_str(prop), &JsValue::from_str(&px)],
            );
        }
    }
    call(&parent, "insertBefore", &[&p, e]);
}
