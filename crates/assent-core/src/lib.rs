//! Assent's core: consent categories, the site configuration and its validation, the consent decision engine,
//! and the consent state kept in the visitor's cookie.
//!
//! This crate does no I/O, has no async, no DOM and no database. It builds for `wasm32-unknown-unknown` (the
//! browser SDK) and natively (the server), so the browser and the server decide with the same code.
#![forbid(unsafe_code)]

pub mod base64url;
pub mod category;

pub use category::{Category, CategorySet};
