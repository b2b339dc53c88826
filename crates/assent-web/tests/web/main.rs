//! Browser tests of the SDK in headless Chromium (wasm-bindgen-test): `cargo xtask test` (step `wasm-test`), or
//! `CHROMEDRIVER=/usr/bin/chromedriver cargo test -p assent-web --target wasm32-unknown-unknown --test web`.
//!
//! One test binary, a module per concern; `support` holds the shared set-up. Every test builds its own page
//! fragment (config, blocked scripts, embeds) and boots the SDK on it; `setup` clears cookies, storage and the
//! previous SDK state first, so tests do not depend on each other's order.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen_test::wasm_bindgen_test_configure;

wasm_bindgen_test_configure!(run_in_browser);

mod support;

mod banner;
mod blocking;
mod config;
mod records;
mod signals;
mod subscribe;
