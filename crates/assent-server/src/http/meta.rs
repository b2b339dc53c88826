//! `/.well-known/assent-keys.json`, `/.well-known/gpc.json`, `/healthz`, `/metrics`.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::{App, json};

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
