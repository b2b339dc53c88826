//! The Assent consent server library (records, tokens, email consent).
#![forbid(unsafe_code)]

pub mod bench;
pub mod dashboard;
pub mod email;
pub mod html_scan;
pub mod http;
pub mod keys;
pub mod metrics;
pub mod ratelimit;
pub mod server;
pub mod sites;
pub mod store;
pub mod time;
pub mod tokens;
pub mod web_text;
