//! The Assent browser SDK (wasm-bindgen facade over assent-core).
#![forbid(unsafe_code)]
