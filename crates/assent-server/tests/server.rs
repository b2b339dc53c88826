//! Integration tests of the consent server: the real `assent serve` binary on 127.0.0.1, a temporary SQLite
//! database, raw HTTP/1.1 over loopback sockets.

#[path = "server/admin.rs"]
mod admin;
#[path = "server/api.rs"]
mod api;
#[path = "server/bad_input.rs"]
mod bad_input;
#[path = "server/durability.rs"]
mod durability;
#[path = "server/flushes.rs"]
mod flushes;
#[path = "server/hardening.rs"]
mod hardening;
#[path = "server/hardening_pg.rs"]
mod hardening_pg;
#[path = "server/load.rs"]
mod load;
#[path = "server/postgres.rs"]
mod postgres;
#[path = "server/promises.rs"]
mod promises;
#[path = "server/region.rs"]
mod region;
#[path = "server/scenarios.rs"]
mod scenarios;
#[path = "server/support.rs"]
mod support;
