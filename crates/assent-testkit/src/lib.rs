//! Test tools for the Assent server, kept out of the product (`publish = false`, a dev-dependency of
//! `assent-server`; `assent bench --db postgres` takes [`postgres::LocalPostgres`] through the server's
//! non-default `local-postgres` feature).
//!
//! - [`postgres`]: a private PostgreSQL server in a temporary directory.
//! - [`serve`]: starts `assent serve` as a child process on 127.0.0.1 and reads its address.
//! - [`http`]: a minimal HTTP/1.1 client over loopback sockets (raw requests, chunked answers).

#![forbid(unsafe_code)]

pub mod http;
pub mod postgres;
pub mod serve;
