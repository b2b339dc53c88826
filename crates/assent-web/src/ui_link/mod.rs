//! The engine's side of the interface part (`assent-ui`, a second wasm module): what it is handed, when it is
//! loaded, and how calls wait for it.
//!
//! The bootstrap gives [`boot`](crate::boot) a loader, a function returning a promise of the interface module's
//! exports (it may have started fetching already: on a first visit it does so at once). The engine asks for the
//! interface only when something must be shown — the banner, the preferences (`assent.show()`, a
//! `[data-assent-open]` click), an embed placeholder, a subscribe form — or when a record is to be sent (records
//! are the interface part's: their notice text is the one it shows).
//! Calls made while it loads wait in order; if it cannot be loaded the calls are dropped with one console error
//! and nothing optional is unblocked by that (the engine's decision stands: fail closed).
//!
//! The interface module's exports are the contract: `start(model)` (→ `undefined`, or a promise when it must load
//! texts first), `show("banner"|"preferences")`, `close()`, `placeholder(element)`, `record(state, reload)`,
//! `flush()`, `discover(root)`, `subscribe(email, list, opts)` (→ promise).
//!
//! Two backends with the same functions: [`loaded`] (the engine build: the interface part is a second module,
//! reached through its JS exports and a JS model object) and [`linked`] (the full build, `--features ui`, what a
//! first visit loads: the interface part is linked into the same module and called directly, with no loader, no
//! JS model and no waiting).

#[cfg(feature = "ui")]
mod linked;
#[cfg(not(feature = "ui"))]
mod loaded;

#[cfg(feature = "ui")]
pub(crate) use linked::*;
#[cfg(not(feature = "ui"))]
pub(crate) use loaded::*;

/// The site id in records: `config.site`, or the page's host name.
pub(crate) fn site(config: &assent_core::Config) -> String {
    if config.site.is_empty() {
        crate::dom::location_str("hostname").unwrap_or_default()
    } else {
        config.site.clone()
    }
}

/// Whether the applied region shows the opt-out notice instead of the banner (the interface's model `notice`: its
/// text is what a record's `notice_hash` hashes). Only a region can: without the `regions` feature this is a
/// constant `false` and the builds carry no test.
pub(crate) fn shows_notice(config: &assent_core::Config) -> bool {
    cfg!(feature = "regions") && config.show == assent_core::region::Show::Notice
}

thread_local! {
    /// Where the built-in language files are (`…/lang/`), from the bootstrap.
    static LANG_BASE: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// The bootstrap's base URL of the language files.
pub(crate) fn set_lang_base(base: Option<String>) {
    LANG_BASE.with(|b| *b.borrow_mut() = base);
}

/// The language file to fetch for `lang`: only for a built-in language other than English (whose texts are in
/// the interface part itself).
pub(crate) fn lang_url(lang: &str) -> Option<String> {
    if lang == "en" || !assent_core::i18n::is_builtin(lang) {
        return None;
    }
    LANG_BASE.with(|b| {
        b.borrow()
            .as_ref()
            .map(|base| assent_core::text::concat(&[base, lang, ".json"]))
    })
}
