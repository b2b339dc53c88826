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

use std::cell::{Cell, RefCell};

use assent_core::i18n::UiKey;
use assent_core::{Choice, Method};
use wasm_bindgen::JsValue;
use web_sys::{CssStyleSheet, Element, Event};

use crate::app::{App, choose, current};
use crate::css::CSS;
use crate::dom::{
    append, call, closest, doc, el, error, event_element, get, get_el, get_str,
    listen as add_listener, query_all, set, text_el,
};

const BANNER: &str = "[data-assent-ui=banner]";
const PREFS: &str = "[data-assent-ui=preferences]";
const FOCUSABLE: &str = "button:not([disabled]),input:not([disabled]),a[href]";

thread_local! {
    static OPENER: RefCell<Option<Element>> = const { RefCell::new(None) };
    static STYLED: Cell<bool> = const { Cell::new(false) };
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

fn report(r: Result<(), String>) {
    if let Err(m) = r {
        error(&m);
    }
}

fn on_click(e: Event) {
    let Some(t) = event_element(&e) else { return };
    if let Some(button) = closest(&t, "[data-assent-ui] [data-assent-action]") {
        call(&e, "preventDefault", &[]);
        let method = if closest(&button, PREFS).is_some() {
            Method::Preferences
        } else {
            Method::Banner
        };
        match button.get_attribute("data-assent-action").as_deref() {
            Some("accept-all") => report(choose(&Choice::AcceptAll, method)),
            Some("reject-all") => report(choose(&Choice::RejectAll, method)),
            Some("save") => report(choose(&Choice::Set(switches()), Method::Preferences)),
            Some("preferences") => open_preferences(),
            Some("close") => close_preferences(),
            _ => {}
        }
    } else if let Some(load) = closest(&t, "[data-assent-load]") {
        // A placeholder's "Load" button: consent to that one category.
        call(&e, "preventDefault", &[]);
        if let Some(cat) = load.get_attribute("data-assent-load") {
            report(choose(&Choice::Set(vec![(cat, true)]), Method::Preferences));
        }
    } else if closest(&t, "[data-assent-open]").is_some() {
        call(&e, "preventDefault", &[]);
        open_preferences();
    }
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

/// The switches of the open dialog: `(category, on)` for each non-essential one.
fn switches() -> Vec<(String, bool)> {
    let Some(dialog) = doc().query_selector(PREFS).ok().flatten() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for i in query_all(&dialog, "input[data-assent-category]:not([disabled])") {
        if let Some(name) = i.get_attribute("data-assent-category") {
            out.push((name, get(&i, "checked") == JsValue::TRUE));
        }
    }
    out
}

pub(crate) fn dir(app: &App) -> &'static str {
    if app.config.ui_text(&app.lang).is_rtl() {
        "rtl"
    } else {
        "ltr"
    }
}

fn button(action: &str, label: &str) -> Element {
    text_el(
        "button",
        &[("type", "button"), ("data-assent-action", action)],
        label,
    )
}

/// Description paragraph with the policy link, and the GPC notice when one was honoured.
fn intro(app: &App, parent: &Element, id: &str, key: UiKey) {
    let ui = app.config.ui_text(&app.lang);
    let p = text_el("p", &[("id", id)], ui.get(key));
    if !app.config.policy_url.is_empty() {
        call(&p, "append", &[&JsValue::from_str(" ")]);
        append(
            &p,
            &text_el(
                "a",
                &[("href", &app.config.policy_url)],
                ui.get(UiKey::PolicyLink),
            ),
        );
    }
    append(parent, &p);
    if app.decision.gpc_honored {
        append(
            parent,
            &text_el(
                "p",
                &[
                    ("class", "assent-gpc"),
                    ("role", "status"),
                    ("data-assent-gpc", ""),
                ],
                ui.get(UiKey::GpcHonored),
            ),
        );
    }
}

/// Shows the first layer (once).
pub(crate) fn show_banner() {
    let Some(app) = current() else { return };
    let d = doc();
    let Some(body) = get_el(&d, "body") else {
        return;
    };
    if d.query_selector(BANNER).ok().flatten().is_some() {
        return;
    }
    install_css();
    let ui = app.config.ui_text(&app.lang);
    let root = el(
        "div",
        &[
            ("class", "assent-banner"),
            ("data-assent-ui", "banner"),
            ("role", "dialog"),
            ("aria-labelledby", "assent-t"),
            ("aria-describedby", "assent-d"),
            ("lang", &app.lang),
            ("dir", dir(&app)),
        ],
    );
    append(
        &root,
        &text_el("h2", &[("id", "assent-t")], ui.get(UiKey::Title)),
    );
    intro(&app, &root, "assent-d", UiKey::Description);
    let actions = el("div", &[("class", "assent-actions")]);
    append(&actions, &button("accept-all", ui.get(UiKey::AcceptAll)));
    append(&actions, &button("reject-all", ui.get(UiKey::RejectAll)));
    append(&actions, &button("preferences", ui.get(UiKey::Preferences)));
    append(&root, &actions);
    call(&body, "prepend", &[&root]);
}

/// Opens the preferences dialog and moves focus into it.
pub(crate) fn open_preferences() {
    let Some(app) = current() else { return };
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
    let ui = app.config.ui_text(&app.lang);
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
            ("lang", &app.lang),
            ("dir", dir(&app)),
        ],
    );
    append(
        &dialog,
        &text_el(
            "h2",
            &[("id", "assent-pt")],
            ui.get(UiKey::PreferencesTitle),
        ),
    );
    intro(&app, &dialog, "assent-pd", UiKey::PreferencesDescription);
    let list = el("ul", &[]);
    for c in &app.config.categories {
        let name = c.category.name();
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
        let description = c.description.get(&app.lang);
        if !description.is_empty() {
            let _ = input.set_attribute("aria-describedby", &desc_id);
        }
        let essential = c.category.is_essential();
        if essential {
            let _ = input.set_attribute("disabled", "");
        }
        set(
            &input,
            "checked",
            &JsValue::from_bool(essential || app.decision.granted_name(name)),
        );
        append(&label, &input);
        append(&label, &text_el("span", &[], c.title.get(&app.lang)));
        if essential {
            append(
                &label,
                &text_el("span", &[("class", "assent-on")], ui.get(UiKey::AlwaysOn)),
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
    append(&actions, &button("save", ui.get(UiKey::Save)));
    append(&actions, &button("accept-all", ui.get(UiKey::AcceptAll)));
    append(&actions, &button("reject-all", ui.get(UiKey::RejectAll)));
    append(&dialog, &actions);
    let close = button("close", ui.get(UiKey::Close));
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
    }
}

/// Removes the banner and the dialog after a choice.
pub(crate) fn close_all() {
    let had_dialog = remove_preferences();
    if let Some(banner) = doc().query_selector(BANNER).ok().flatten() {
        call(&banner, "remove", &[]);
    }
    if had_dialog {
        restore_focus();
    }
}

/// The translated placeholder texts for a category: (blocked message, button label).
pub(crate) fn embed_texts(app: &App, category: &str) -> (String, String) {
    let ui = app.config.ui_text(&app.lang);
    let title = app
        .config
        .category_by_name(category)
        .map_or(category, |c| c.title.get(&app.lang));
    let mut msg = String::from(ui.get(UiKey::EmbedBlocked));
    msg.push(' ');
    msg.push_str(title);
    let mut label = String::from(ui.get(UiKey::EmbedLoad));
    label.push_str(" (");
    label.push_str(title);
    label.push(')');
    (msg, label)
}
