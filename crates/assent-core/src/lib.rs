//! Assent's core: consent categories, the site configuration and its validation, the consent decision engine,
//! and the consent state kept in the visitor's cookie.
//!
//! This crate does no I/O, has no async, no DOM and no database. It builds for `wasm32-unknown-unknown` (the
//! browser SDK) and natively (the server), so the browser and the server decide with the same code.
//!
//! ```
//! use assent_core::{Config, Signals, decide, Category};
//!
//! let config = Config::from_json(r#"{"revision": 1, "policy_url": "/privacy",
//!     "categories": {"analytics": {"cookies": ["_ga", "_ga_*"]}}}"#).unwrap();
//! let decision = decide(&config, None, Signals::default(), 1_764_000_000);
//! assert!(decision.banner.is_some());
//! assert!(!decision.granted(&Category::Analytics)); // opt-in: denied until the visitor chooses
//! ```
#![forbid(unsafe_code)]

pub mod base64url;
pub mod category;
pub mod config;
pub mod consent_mode;
pub mod cookie;
pub mod decision;
pub mod fields;
pub mod gpp;
pub mod i18n;
pub mod json;
pub mod lifecycle;
mod mode;
pub mod region;
pub mod state;
pub mod text;
pub mod url;

pub use category::{Category, CategorySet};
pub use config::{Config, ConfigError, Mode};
pub use consent_mode::{ConsentModeState, ConsentModeType};
pub use decision::{BannerReason, Choice, ChoiceError, Decision, Reason, apply_choice, decide};
pub use state::{ConsentState, Method, Signals};
