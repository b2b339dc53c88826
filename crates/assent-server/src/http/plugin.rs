//! How a part of the server outside `http` adds to the API without `http` naming any of its types. E-mail
//! consent is one (`crate::email::http::plugin`); the composition root (`crate::server::run`) builds each
//! part's [`Plugin`] and hands the list to [`super::router`], which mounts the routes and wires the rest in.
//!
//! A plugin's handlers take `State<App>` like the API's own and reach their own state through an axum
//! `Extension` layer on their routes; admin routes call [`super::auth::authorize`] themselves.
//!
//! Erasure: a plugin whose records belong to consent subjects would contribute to
//! `DELETE /v1/admin/subjects/{subject}`; e-mail's records are keyed by an address pseudonym, not a subject, so
//! its erasure is a route of its own (`DELETE /v1/admin/subscribers?email=`, in `admin_routes`) and there is no
//! per-subject hook to implement.

use std::fmt;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use futures_util::stream::BoxStream;

use super::state::App;
use crate::store::RecordFilter;

/// JSON lines, each ending in `\n`, streamed in chunks; an `Err` cuts the response short (the store failed
/// part-way, after the status line was sent).
pub type ExportLines = BoxStream<'static, Result<Bytes, std::io::Error>>;

/// A plugin's part of `GET /v1/admin/records`: the lines that follow the consent records, for the same
/// filter.
pub type Export = Arc<dyn Fn(RecordFilter) -> ExportLines + Send + Sync>;

/// A request path that carries a secret (a link token): logged as `logged_as`, never as sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SecretPath {
    /// Paths starting with this, e.g. `/u/`.
    pub prefix: &'static str,
    /// What the log shows instead, e.g. `/u/{token}`.
    pub logged_as: &'static str,
}

/// What a plugin adds to the API. Every part is optional (`Plugin::default()` adds nothing).
#[derive(Default)]
pub struct Plugin {
    /// Routes under `/v1` that browsers call: CORS applies (`--allow-origin`).
    pub public_routes: Router<App>,
    /// Admin routes under `/v1` (no CORS); each handler calls [`super::auth::authorize`].
    pub admin_routes: Router<App>,
    /// Routes at the root, outside `/v1` (links in messages, for example).
    pub root_routes: Router<App>,
    /// Lines appended to the admin export after the consent records.
    pub export: Option<Export>,
    /// Paths logged as a placeholder.
    pub secret_paths: Vec<SecretPath>,
    /// Path prefixes whose requests are handed on with an empty body when the body cannot be read (too large,
    /// too slow) instead of being refused: a request that must never fail on a technicality, such as an RFC 8058
    /// one-click unsubscribe, whose body only says how it was sent.
    pub body_optional: Vec<&'static str>,
}

impl fmt::Debug for Plugin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Plugin")
            .field("export", &self.export.is_some())
            .field("secret_paths", &self.secret_paths)
            .field("body_optional", &self.body_optional)
            .finish_non_exhaustive()
    }
}
