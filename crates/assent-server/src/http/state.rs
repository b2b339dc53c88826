//! What every request handler shares: [`AppState`] (store, sites, keys, limits, counters) and [`Limits`].
//! Knows no route and no handler, so every handler module can depend on it.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

use super::client::Cidr;
use super::region::RegionHeaders;
use crate::metrics::Metrics;
use crate::ratelimit::TokenBucket;
use crate::sites::Sites;
use crate::store::Store;
use crate::tokens::Keys;

/// Request limits.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Largest `POST /v1/consents` body.
    pub consent_body: usize,
    /// Largest body of the other JSON endpoints.
    pub small_body: usize,
    /// Time allowed to receive a request body.
    pub body_timeout: Duration,
    /// API requests handled at once; more wait (up to `queue_timeout`), then get 503.
    pub max_in_flight: usize,
    /// How long a request waits for a free slot.
    pub queue_timeout: Duration,
    /// Requests per minute per client (an IPv4 address, an IPv6 /64) on every route (0 = unlimited).
    pub rate_per_minute: u32,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            consent_body: 16 * 1024,
            small_body: 4 * 1024,
            body_timeout: Duration::from_secs(10),
            max_in_flight: 1024,
            queue_timeout: Duration::from_secs(5),
            rate_per_minute: 1200,
        }
    }
}

/// Everything a request handler needs.
#[derive(Debug)]
pub struct AppState {
    /// Where records go.
    pub store: Arc<dyn Store>,
    /// Known site configs.
    pub sites: Sites,
    keys: RwLock<Arc<Keys>>,
    admin_token: Option<[u8; 32]>,
    /// Counters for `/metrics`.
    pub metrics: Metrics,
    /// Request limits.
    pub limits: Limits,
    pub(super) rate: TokenBucket,
    pub(super) in_flight: Semaphore,
    /// `lastUpdate` of `/.well-known/gpc.json`.
    pub gpc_last_update: String,
    /// Reverse proxies whose `X-Forwarded-For` is believed (`--trusted-proxy`).
    pub trusted_proxies: Vec<Cidr>,
    region_headers: RegionHeaders,
}

/// Shared state handle.
pub type App = Arc<AppState>;

impl AppState {
    /// State for a server. `admin_token` `None` disables the admin endpoints.
    pub fn new(
        store: Arc<dyn Store>,
        sites: Sites,
        keys: Keys,
        admin_token: Option<&str>,
        limits: Limits,
    ) -> AppState {
        AppState {
            store,
            sites,
            keys: RwLock::new(Arc::new(keys)),
            admin_token: admin_token.map(|t| Sha256::digest(t.as_bytes()).into()),
            metrics: Metrics::default(),
            rate: TokenBucket::per_minute(limits.rate_per_minute),
            in_flight: Semaphore::new(limits.max_in_flight.max(1)),
            limits,
            gpc_last_update: "2026-11-25".into(),
            trusted_proxies: Vec::new(),
            region_headers: RegionHeaders::default(),
        }
    }

    /// Reads the visitor's location from these CDN headers (`GET /v1/region`).
    #[must_use]
    pub fn with_region_headers(mut self, headers: RegionHeaders) -> AppState {
        self.region_headers = headers;
        self
    }

    /// The configured location headers (none by default).
    pub fn region_headers(&self) -> &RegionHeaders {
        &self.region_headers
    }

    /// Believes `X-Forwarded-For` from these proxies (see [`super::client`]).
    #[must_use]
    pub fn with_trusted_proxies(mut self, proxies: Vec<Cidr>) -> AppState {
        self.trusted_proxies = proxies;
        self
    }

    /// The current keys.
    pub fn keys(&self) -> Arc<Keys> {
        Arc::clone(&self.keys.read().expect("keys lock"))
    }

    /// Replaces the keys (after `assent keys rotate`, on SIGHUP).
    pub fn set_keys(&self, keys: Keys) {
        *self.keys.write().expect("keys lock") = Arc::new(keys);
    }

    /// Whether admin endpoints are enabled.
    pub fn admin_enabled(&self) -> bool {
        self.admin_token.is_some()
    }

    /// The SHA-256 of the admin token, when admin is enabled (compared by [`super::auth::authorize`]).
    pub(super) fn admin_token_digest(&self) -> Option<&[u8; 32]> {
        self.admin_token.as_ref()
    }
}
