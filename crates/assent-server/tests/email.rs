//! Marketing-email consent, end to end: the real `assent` binary on 127.0.0.1 with a temporary SQLite file, a
//! loopback SMTP server run by the test, and raw HTTP/1.1 over a loopback socket (so that exactly what RFC 8058
//! describes is sent, and redirects are never followed).
//!
//! One binary, files by concern: `email/smtp.rs` (the SMTP listener), `email/support.rs` (the server and its
//! requests), `email/flows.rs` (the consent flows), `email/languages.rs` (messages and pages per language).

#[path = "email/flows.rs"]
mod flows;
#[path = "email/languages.rs"]
mod languages;
#[path = "email/smtp.rs"]
mod smtp;
#[path = "email/support.rs"]
mod support;
