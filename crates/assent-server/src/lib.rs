//! The Assent consent server library (records, tokens, email consent).
#![forbid(unsafe_code)]

pub mod keys;
