//! Marketing-email consent: double opt-in subscriptions, one-click unsubscribe (RFC 8058 + RFC 2369),
//! sending decisions, suppression export, and consent-gated tracking. The user manual is `docs/email.md`.
//!
//! - [`address`]: one normal form for addresses ([`EmailAddress`]); debug output never shows them.
//! - [`secret`]: the installation's e-mail secret ([`EmailKeys`]) and address [`Pseudonym`]s, which is what
//!   logs and tokens carry instead of addresses.
//! - [`token`]: opaque MAC-protected link tokens for `/u/TOKEN` (unsubscribe) and `/e/…/TOKEN` (tracking).
//! - [`confirm`]: single-use, expiring double opt-in confirmation tokens (only their SHA-256 is stored).
//! - [`headers`]: [`unsubscribe_headers`], the `List-Unsubscribe` / `List-Unsubscribe-Post` pair for a message.
//! - [`links`]: the pages behind the links in messages (confirm, unsubscribe, tracking).
//! - [`list`]: list ids and the registry of lists (with their registered click targets).
//! - [`message`]: the confirmation (transactional) and welcome (list) messages.
//! - [`texts`]: their words and the pages' in every built-in language (the subscription's, else English).
//! - [`transport`]: SMTP via lettre, or a file outbox of `.eml` files.
//! - [`ratelimit`]: per-client and per-address subscribe limits.
//!
//! Marketing opt-out never affects essential or transactional messages (password resets, receipts, security
//! notices): [`can_send`] answers only for marketing lists.

pub mod address;
pub mod confirm;
pub mod headers;
pub mod http;
pub mod links;
pub mod list;
pub mod message;
pub mod ratelimit;
pub mod secret;
pub mod service;
pub mod store;
pub mod texts;
pub mod token;
pub mod transport;

pub use address::{AddressError, EmailAddress};
pub use headers::{
    ListUnsubscribe, ListUnsubscribePost, UnsubscribeHeaders, tracking_links, unsubscribe_headers,
};
pub use list::{ListId, ListRegistry, MailingList};
pub use secret::{EmailKeys, Pseudonym};
pub use service::{EmailOptions, EmailService, can_send};
pub use transport::Mailer;
