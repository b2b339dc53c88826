//! Defaults several commands agree on (`assent serve` and `assent email headers` read the same key directory
//! and assume the same address), and that `cargo xtask demo` relies on.

/// `assent serve --listen` default.
pub(crate) const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// `assent serve --db` default.
pub(crate) const DEFAULT_DB: &str = "sqlite:./data/assent.db";
/// `--keys` default (token-signing keys and the e-mail secret).
pub(crate) const DEFAULT_KEYS: &str = "./data/keys";
