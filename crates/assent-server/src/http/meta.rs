//! `/.well-known/assent-keys.json`, `/.well-known/gpc.json`, `/healthz`, `/metrics`, and `GET /v1/region` (which
//! headers it reads: [`super::region`]).

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::body::json;
use super::state::App;

/// The public key set that verifies this server's tokens (active and retired keys).
pub async fn keys(State(app): State<App>) -> Response {
    let body = app.keys().published_json().to_owned();
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    r
}

/// The site honours Global Privacy Control.
pub async fn gpc(State(app): State<App>) -> Response {
    let mut r = json(
        StatusCode::OK,
        &serde_json::json!({ "gpc": true, "lastUpdate": app.gpc_last_update }),
    );
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    r.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    r
}

/// 200 when the store answers, 503 otherwise.
pub async fn healthz(State(app): State<App>) -> Response {
    match app.store.ping().await {
        Ok(()) => json(
            StatusCode::OK,
            &serde_json::json!({ "status": "ok", "store": app.store.backend() }),
        ),
        Err(e) => {
            tracing::error!(error = %e, "health check: store does not answer");
            json(
                StatusCode::SERVICE_UNAVAILABLE,
                &serde_json::json!({ "status": "unavailable", "store": app.store.backend() }),
            )
        }
    }
}

/// Prometheus text exposition.
pub async fn metrics(State(app): State<App>) -> Response {
    let records = app.store.count().await.ok();
    let text = app.metrics.render(app.store.backend(), records);
    let mut r = text.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    r
}

/// `GET /v1/region` → `{"country": "DE", "subdivision": null}`, or `{"country": "unknown", "subdivision": null}`.
/// Never cached by a shared cache (`private, no-store`), and `Vary` names the headers it read.
pub async fn region(State(app): State<App>, headers: HeaderMap) -> Response {
    let (country, subdivision) = app.region_headers().locate(&headers);
    let body = serde_json::json!({
        "country": country.as_deref().unwrap_or("unknown"),
        "subdivision": subdivision,
    });
    let mut response = json(StatusCode::OK, &body);
    let h = response.headers_mut();
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    if let Some(vary) = app.region_headers().vary() {
        h.append(header::VARY, vary);
    }
    response
}
