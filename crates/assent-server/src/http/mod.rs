//! The HTTP API: the router and the middleware that every request passes through (rate limit, body read,
//! concurrency limit, metrics, logs). Every route is limited, static files and `/metrics` included; only CORS
//! preflights (`OPTIONS`) are not.
//!
//! Modules, in the order they depend on each other (none on one below it): [`error`], [`body`], [`client`] and
//! [`region`] are leaves; [`state`] (`AppState`) uses them; [`auth`] uses state; the handler modules
//! ([`consents`], [`admin`], [`meta`]) use those; [`plugin`] is how other parts of the server (e-mail consent)
//! add routes and export lines; this file assembles it all. Nothing here names an e-mail type.
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
//! | `/admin/`, `/v1/admin/session`, `/v1/admin/stats/timeseries` | the dashboard (`crate::dashboard`) |
//! | `GET /.well-known/assent-keys.json`, `/.well-known/gpc.json`, `/healthz`, `/metrics` | |
//! | plugins' routes | e-mail consent: `src/email/http.rs` |

use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tower::ServiceBuilder;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

pub mod admin;
pub mod auth;
pub mod body;
pub mod client;
pub mod consents;
pub mod error;
pub mod meta;
pub mod plugin;
pub mod region;
pub mod state;

pub use body::json;
use error::{ApiError, ErrorCode};
pub use plugin::Plugin;
use plugin::{Export, SecretPath};
pub use state::{App, AppState, Limits};

/// What the guard needs besides the state: the plugins' path rules.
#[derive(Debug)]
struct Guard {
    app: App,
    secret_paths: Vec<SecretPath>,
    body_optional: Vec<&'static str>,
}

/// The full router: the API with every plugin's routes, and `www` (with `www/dist` at `/assent/`) when given.
pub fn router(
    app: App,
    www: Option<&Path>,
    allow_origins: &[HeaderValue],
    plugins: Vec<Plugin>,
) -> Router {
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::list(allow_origins.iter().cloned()))
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::CONTENT_TYPE, header::AUTHORIZATION])
        .max_age(Duration::from_secs(3600));
    let mut public = Router::new()
        .route("/consents", post(consents::create))
        .route("/consents/{id}", get(consents::receipt))
        .route("/verify", post(consents::verify))
        .route("/region", get(meta::region));
    let mut admin = Router::new()
        .route("/admin/stats", get(admin::stats))
        .route(
            "/admin/subjects/{subject}",
            get(admin::subject).delete(admin::erase),
        );
    let mut root = Router::new()
        .route("/.well-known/assent-keys.json", get(meta::keys))
        .route("/.well-known/gpc.json", get(meta::gpc))
        .route("/healthz", get(meta::healthz))
        .route("/metrics", get(meta::metrics));
    let mut exports: Vec<Export> = Vec::new();
    let mut rules = Guard {
        app: Arc::clone(&app),
        secret_paths: Vec::new(),
        body_optional: Vec::new(),
    };
    for plugin in plugins {
        public = public.merge(plugin.public_routes);
        admin = admin.merge(plugin.admin_routes);
        root = root.merge(plugin.root_routes);
        exports.extend(plugin.export);
        rules.secret_paths.extend(plugin.secret_paths);
        rules.body_optional.extend(plugin.body_optional);
    }
    let exports: Arc<[Export]> = exports.into();
    let admin = admin.route(
        "/admin/records",
        get(
            move |state: State<App>,
                  headers: HeaderMap,
                  q: Result<Query<admin::FilterQuery>, QueryRejection>| {
                admin::export(state, headers, q, Arc::clone(&exports))
            },
        ),
    );
    let public = public
        // Before the CORS layer, so that preflight requests (OPTIONS) still get their CORS answer.
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(cors);
    let admin = admin.method_not_allowed_fallback(error::method_not_allowed);
    let api = public.merge(admin).fallback(error::not_found);
    let mut router = Router::new()
        .nest("/v1", api)
        .merge(root)
        .method_not_allowed_fallback(error::method_not_allowed);
    router = match www {
        // The SDK's files keep their names from release to release and must never mix across one (the engine
        // and its interface part talk through JS objects, each glue through its wasm's imports): browsers
        // revalidate them every time (a 304 with `Last-Modified`) instead of guessing a freshness from their age.
        Some(dir) => router
            .nest_service(
                "/assent",
                ServiceBuilder::new()
                    .layer(SetResponseHeaderLayer::if_not_present(
                        header::CACHE_CONTROL,
                        HeaderValue::from_static("no-cache"),
                    ))
                    .service(ServeDir::new(dir.join("dist"))),
            )
            .fallback_service(ServeDir::new(dir)),
        None => router.fallback(error::not_found),
    };
    router
        .layer(middleware::from_fn_with_state(Arc::new(rules), guard))
        .with_state(app)
}

/// A path safe to log: subject ids in admin paths and the plugins' secret paths are replaced by a placeholder.
fn loggable_path<'a>(path: &'a str, secret_paths: &[SecretPath]) -> &'a str {
    if path.starts_with("/v1/admin/subjects/") {
        return "/v1/admin/subjects/{subject}";
    }
    secret_paths
        .iter()
        .find(|s| path.starts_with(s.prefix))
        .map_or(path, |s| s.logged_as)
}

/// Rate limit, body read and concurrency limit for every request but CORS preflights, then metrics and a log
/// line for every request. Never logs headers or bodies (tokens live there).
async fn guard(State(guard): State<Arc<Guard>>, mut req: Request, next: Next) -> Response {
    let app = &guard.app;
    let start = Instant::now();
    let method = req.method().clone();
    let path = loggable_path(req.uri().path(), &guard.secret_paths).to_owned();
    let client = client::resolve(client::peer(&req), req.headers(), &app.trusted_proxies);
    req.extensions_mut().insert(client::ClientIp(client));
    let response = if method == Method::OPTIONS {
        next.run(req).await
    } else {
        limited(&guard, client, req, next).await
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

async fn limited(guard: &Guard, client: IpAddr, req: Request, next: Next) -> Response {
    let app = &guard.app;
    if let Err(wait) = app.rate.check(client::rate_key(client)) {
        return ApiError::too_many_requests(wait.as_secs() + 1).into_response();
    }
    // The body is read before a slot is taken: a client trickling its body in holds its connection (capped per
    // client by `--max-connections-per-ip`), never one of the `--max-in-flight` slots everyone shares.
    let req = match read_body_first(guard, req).await {
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
async fn read_body_first(guard: &Guard, req: Request) -> Result<Request, Response> {
    use axum::body::HttpBody as _;
    let app = &guard.app;
    if req.body().is_end_stream() {
        return Ok(req);
    }
    let (parts, body_) = req.into_parts();
    let limit = app.limits.consent_body.max(app.limits.small_body);
    match body::read(body_, &parts.headers, limit, app.limits.body_timeout).await {
        Ok(bytes) => Ok(Request::from_parts(parts, Body::from(bytes))),
        // A plugin's request that must never be refused on a technicality (RFC 8058 one-click unsubscribe).
        Err(_)
            if guard
                .body_optional
                .iter()
                .any(|p| parts.uri.path().starts_with(p)) =>
        {
            Ok(Request::from_parts(parts, Body::empty()))
        }
        Err(e) => Err(e.into_response()),
    }
}
