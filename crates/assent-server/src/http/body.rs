//! Request and response bodies: reading one (content type, size limit, read timeout, strict JSON), and the
//! JSON answer every API route gives.

use std::time::Duration;

use axum::body::Body;
use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde_json::error::Category;

use super::error::ApiError;

/// Refuses anything but `application/json` (parameters such as `charset=utf-8` allowed) with 415.
pub fn require_json(headers: &HeaderMap) -> Result<(), ApiError> {
    let ok = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"));
    if ok {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the body as Content-Type: application/json",
        ))
    }
}

fn too_large(limit: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "body_too_large",
        format!("the request body is larger than {limit} bytes"),
    )
}

/// Reads the whole body: at most `limit` bytes (413 beyond), within `timeout` (408 after).
pub async fn read(
    body: Body,
    headers: &HeaderMap,
    limit: usize,
    timeout: Duration,
) -> Result<Bytes, ApiError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large(limit));
    }
    match tokio::time::timeout(timeout, axum::body::to_bytes(body, limit)).await {
        Err(_) => Err(ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "body_timeout",
            "the request body did not arrive in time",
        )),
        Ok(Err(e)) => {
            let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
            while let Some(s) = source {
                if s.is::<http_body_util::LengthLimitError>() {
                    return Err(too_large(limit));
                }
                source = s.source();
            }
            Err(ApiError::bad_request(
                "body_unreadable",
                format!("the request body could not be read: {e}"),
            ))
        }
        Ok(Ok(bytes)) => Ok(bytes),
    }
}

/// Parses strict JSON: malformed text (bad syntax, invalid UTF-8, truncated) is 400 `malformed_json`; valid
/// JSON that does not fit (wrong type, missing or unknown field, number out of range) is 422, with serde's
/// message naming the field.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| match e.classify() {
        Category::Data => {
            let message = e.to_string();
            let code = if message.starts_with("unknown field") {
                "unknown_field"
            } else if message.starts_with("missing field") {
                "missing_field"
            } else {
                "invalid_field"
            };
            ApiError::unprocessable(code, message)
        }
        Category::Syntax | Category::Eof | Category::Io => {
            ApiError::bad_request("malformed_json", format!("the body is not valid JSON: {e}"))
        }
    })
}

/// A JSON response with `Cache-Control: no-store`.
pub fn json(status: StatusCode, value: &serde_json::Value) -> Response {
    let mut r = (status, axum::Json(value)).into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}
