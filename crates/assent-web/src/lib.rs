//! The Assent browser SDK: a thin `#[wasm_bindgen]` layer over assent-core.
//!
//! The bootstrap (`www/src/assent.js`, served as `/assent/assent.js`) defines `dataLayer`/`gtag`, pushes the
//! Google Consent Mode default synchronously, then imports this module and calls [`boot`]. Everything else is
//! decided here, in Rust, by assent-core:
//!
//! - [`app`]: reads `<script type="application/json" id="assent-config">`, the browser signals and the choice
//!   cookie, decides, and applies a decision (cookie, clearing, Consent Mode, activation, events, record);
//! - [`ui`]: the banner and the preferences dialog (`data-assent-ui`, `data-assent-action` hooks);
//! - [`blocking`]: `<script type="text/plain" data-assent>` activation in document order, `data-src` embeds with
//!   placeholders, and a `MutationObserver` for elements added later;
//! - [`storage`]: the choice cookie and opt-out enforcement (cookies on every domain/path variant, localStorage);
//! - [`gtag`]: Consent Mode v2 through `window.gtag` (real `Arguments` objects);
//! - [`endpoint`]: records posted to the consent server, token cookie, subject id, retry queue;
//! - [`api`]: `window.assent` and the `assent:ready` / `assent:change` events;
//! - [`subscribe`]: marketing-email double opt-in, `assent.subscribe` and `<form data-assent-subscribe>`.
//!
//! [`cookie`] and [`record`] are plain Rust with native unit tests.
#![forbid(unsafe_code)]

pub mod cookie;
mod css;
pub mod record;
pub mod rules;

mod api;
mod app;
mod blocking;
mod dom;
mod endpoint;
mod gtag;
mod signals;
mod storage;
mod subscribe;
mod ui;

use wasm_bindgen::prelude::wasm_bindgen;

/// A small coalescing free-list allocator instead of std's dlmalloc: 3 KB less gzip, and the SDK allocates little.
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: lol_alloc::LockedAllocator<lol_alloc::FreeListAllocator> =
    lol_alloc::LockedAllocator::new(lol_alloc::FreeListAllocator::new());

/// Starts the SDK: reads the config and acts on it. Called by the bootstrap once the module is loaded; calling it
/// again does nothing.
#[wasm_bindgen]
pub fn boot() {
    app::boot();
}

/// Test support: forget the current configuration and decision, remove the interface and stop observing the
/// page, so that the next [`boot`] starts afresh (the browser tests boot many configs in one page).
#[doc(hidden)]
pub fn reset_for_tests() {
    app::reset();
}
