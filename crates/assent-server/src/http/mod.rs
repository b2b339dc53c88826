//! The HTTP API: routes, shared state, and the middleware that every request passes through (rate limit,
//! body read, concurrency limit, metrics, logs). Every route is limited, static files and `/metrics` included;
//! only CORS preflights (`OPTIONS`) are not.
//!
//! | Route | |
//! |---|---|
//! | `POST /v1/consents` | record a choice → 201 `{id, token, expires_at, subject}` |
//! | `GET /v1/consents/{id}` | the visitor's receipt (`Authorization: Bearer <their token>`) |
//! | `POST /v1/verify` | `{token}` → claims or why it is invalid |
//! | `GET /v1/region` | the visitor's country/subdivision from the configured CDN headers, or `unknown` |
//! | `GET /v1/admin/records` | JSONL export (`site`, `since`, `until`) — admin |
//! | `GET/DELETE /v1/admin/subjects/{subject}` | a subject's history / erasure — admin |
//! | `GET /v1/admin/stats` | aggregate figures — admin |
//! | `GET /.well-known/assent-keys.json`, `/.well-known/gpc.json`, `/healthz`, `/metrics` | |

use std::net::IpAddr;
use std::path::Path;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::services::ServeDir;

use crate::metrics::Metrics;
use crate::ratelimit::RateLimiter;
use crate::sites::Sites;
use crate::store::Store;
use crate::tokens::Keys;

pub mod admin;
pub mod body;
pub mod client;
pub mod consents;
pub mod error;
pub mod meta;
pub mod region;

use error::{ApiError, ErrorCode};

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
    rate: RateLimiter,
    in_flight: Semaphore,
    /// `lastUpdate` of `/.well-known/gpc.json`.
    pub gpc_last_update: String,
    /// Reverse proxies whose `X-Forwarded-For` is believed (`--trusted-proxy`).
    pub trusted_proxies: Vec<client::Cidr>,
    // --- e-mail consent ---
    email: Option<Arc<crate::email::EmailService>>,
    // --- end e-mail consent ---
    region_headers: region::RegionHeaders,
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
            rate: RateLimiter::new(limits.rate_per_minute),
            in_flight: Semaphore::new(limits.max_in_flight.max(1)),
            limits,
            gpc_last_update: "2026-11-25".into(),
            trusted_proxies: Vec::new(),
            email: None,
            region_headers: region::RegionHeaders::default(),
        }
    }

    /// Reads the visitor's location from these CDN headers (`GET /v1/region`).
    #[must_use]
    pub fn with_region_headers(mut self, headers: region::RegionHeaders) -> AppState {
        self.region_headers = headers;
        self
    }

    /// The configured location headers (none by default).
    pub fn region_headers(&self) -> &region::RegionHeaders {
        &self.region_headers
    }

    /// Believes `X-Forwarded-For` from these proxies (see [`client`]).
    #[must_use]
    pub fn with_trusted_proxies(mut self, proxies: Vec<client::Cidr>) -> AppState {
        self.trusted_proxies = proxies;
        self
    }

    // --- e-mail consent ---
    /// Enables the e-mail endpoints (`src/email/http.rs`).
    #[must_use]
    pub fn with_email(mut self, email: crate::email::EmailService) -> AppState {
        self.email = Some(Arc::new(email));
        self
    }

    /// The e-mail service, when enabled.
    pub fn email(&self) -> Option<&Arc<crate::email::EmailService>> {
        self.email.as_ref()
    }
    // --- end e-mail consent ---

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

    fn admin_token_digest(&self) -> Option<&[u8; 32]> {
        self.admin_token.as_ref()
    }
}

/// The full router: the API, and `www` (with `www/dist` at `/assent/`) when given.
pub fn router(app: App, www: Option<&Path>, allow_origins: &[HeaderValue]) -> Router {
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::list(allow_origins.iter().cloned()))
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::CONTENT_TYPE, header::AUTHORIZATION])
        .max_age(Duration::from_secs(3600));
    let public = Router::new()
        .route("/consents", post(consents::create))
        .route("/consents/{id}", get(consents::receipt))
        .route("/verify", post(consents::verify))
        .route("/region", get(region::region))
        .merge(crate::email::http::public_routes()) // e-mail consent
        // Before the CORS layer, so that preflight requests (OPTIONS) still get their CORS answer.
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(cors);
    let admin = Router::new()
        .route("/admin/records", get(admin::export))
        .route("/admin/stats", get(admin::stats))
        .route(
            "/admin/subjects/{subject}",
            get(admin::subject).delete(admin::erase),
        )
        .merge(crate::email::http::admin_routes()) // e-mail consent
        .method_not_allowed_fallback(error::method_not_allowed);
    let api = public.merge(admin).fallback(error::not_found);
    let mut router = Router::new()
        .nest("/v1", api)
        .route("/.well-known/assent-keys.json", get(meta::keys))
        .route("/.well-known/gpc.json", get(meta::gpc))
        .route("/healthz", get(meta::healthz))
        .route("/metrics", get(meta::metrics))
        .merge(crate::email::http::root_routes()) // e-mail consent: /u/{token}, /e/o/{token}, /e/c/{token}
        .method_not_allowed_fallback(error::method_not_allowed);
    router = match www {
        Some(dir) => router
            .nest_service("/assent", ServeDir::new(dir.join("dist")))
            .fallback_service(ServeDir::new(dir)),
        None => router.fallback(error::not_found),
    };
    router
        .layer(middleware::from_fn_with_state(Arc::clone(&app), guard))
        .with_state(app)
}

/// A path safe to log: subject ids in admin paths are replaced by a placeholder.
fn loggable_path(path: &str) -> &str {
    if path.starts_with("/v1/admin/subjects/") {
        "/v1/admin/subjects/{subject}"
    } else if path.starts_with("/u/") {
        "/u/{token}"
    } else if path.starts_with("/e/o/") {
        "/e/o/{token}"
    } else if path.starts_with("/e/c/") {
        "/e/c/{token}"
    } else {
        path
    }
}

/// Rate limit, body read and concurrency limit for every request but CORS preflights, then metrics and a log
/// line for every request. Never logs headers or bodies (tokens live there).
async fn guard(State(app): State<App>, mut req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    let path = loggable_path(req.uri().path()).to_owned();
    let client = client::resolve(client::peer(&req), req.headers(), &app.trusted_proxies);
    req.extensions_mut().insert(client::ClientIp(client));
    let response = if method == Method::OPTIONS {
        next.run(req).await
    } else {
        limited(&app, client, req, next).await
    };
    let status = response.status();
    let code = response.extensions().get::<ErrorCode>().map(|c| c.0);
    app.metrics.request(status.as_u16(), code);
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    if status.is_server_error() {
        tracing::error!(%method, path, status = status.as_u16(), code, ms, "request failed");
    } else if status.is_client_error() {
        tracing::info!(%method, path, status = status.as_u16(), code, ms, "request refused");
    } else {
        tracing::debug!(%method, path, status = status.as_u16(), ms, "request");
    }
    response
}

async fn limited(app: &AppState, client: IpAddr, req: Request, next: Next) -> Response {
    if let Err(wait) = app.rate.check(client::rate_key(client)) {
        return ApiError::too_many_requests(wait.as_secs() + 1).into_response();
    }
    // The body is read before a slot is taken: a client trickling its body in holds its connection (capped per
    // client by `--max-connections-per-ip`), never one of the `--max-in-flight` slots everyone shares.
    let req = match read_body_first(app, req).await {
        Ok(r) => r,
        Err(refused) => return refused,
    };
    let permit = match app.in_flight.try_acquire() {
        Ok(p) => p,
        Err(_) => {
            match tokio::time::timeout(app.limits.queue_timeout, app.in_flight.acquire()).await {
                Ok(Ok(p)) => p,
                _ => {
                    return ApiError::new(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "overloaded",
                        "the server is busy; nothing was stored, retry",
                    )
                    .into_response();
                }
            }
        }
    };
    let response = next.run(req).await;
    drop(permit);
    response
}

/// Reads the whole body into memory (at most the largest body any route takes, within `--body-timeout`) and
/// hands the request on with it; each handler still applies its own, smaller, limit. A request that declares
/// no body is passed on as it is.
async fn read_body_first(app: &AppState, req: Request) -> Result<Request, Response> {
    use axum::body::HttpBody as _;
    if req.body().is_end_stream() {
        return Ok(req);
    }
    let (parts, body_) = req.into_parts();
    let limit = app.limits.consent_body.max(app.limits.small_body);
    match body::read(body_, &parts.headers, limit, app.limits.body_timeout).await {
        Ok(bytes) => Ok(Request::from_parts(parts, Body::from(bytes))),
        // One-click unsubscribe is never refused on a technicality (RFC 8058): its body only tells how.
        Err(_) if parts.uri.path().starts_with("/u/") => {
            Ok(Request::from_parts(parts, Body::empty()))
        }
        Err(e) => Err(e.into_response()),
    }
}

/// A JSON response with `Cache-Control: no-store`.
pub fn json(status: StatusCode, value: &serde_json::Value) -> Response {
    let mut r = (status, axum::Json(value)).into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}
