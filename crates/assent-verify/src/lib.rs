//! Offline verification of Assent consent tokens (see docs/token.md).
#![forbid(unsafe_code)]
