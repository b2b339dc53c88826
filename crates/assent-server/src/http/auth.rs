//! Who may call what: the `Authorization: Bearer` header, and the admin token check every admin route makes
//! (the records' own admin routes and those a plugin adds, such as e-mail consent's).

use axum::http::{HeaderMap, StatusCode, header};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::error::ApiError;
use super::state::AppState;

/// The token of an `Authorization: Bearer <token>` header (scheme case-insensitive), if there is one.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// Checks the admin bearer token (compared in constant time): 403 when admin is disabled (no
/// `ASSENT_ADMIN_TOKEN`), 401 when no token was sent, 403 when it is wrong.
pub fn authorize(app: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(expected) = app.admin_token_digest() else {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "admin_disabled",
            "admin endpoints are disabled: start the server with ASSENT_ADMIN_TOKEN set",
        ));
    };
    let Some(given) = bearer(headers) else {
        return Err(ApiError::unauthorized(
            "unauthorized",
            "send the admin token as Authorization: Bearer <token>",
        ));
    };
    let given: [u8; 32] = Sha256::digest(given.as_bytes()).into();
    if bool::from(given.ct_eq(expected)) {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "wrong admin token",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn bearer_parsing() {
        let mut h = HeaderMap::new();
        assert_eq!(bearer(&h), None);
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer abc"),
        );
        assert_eq!(bearer(&h), Some("abc"));
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("bearer  abc "),
        );
        assert_eq!(bearer(&h), Some("abc"));
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert_eq!(bearer(&h), None);
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer "));
        assert_eq!(bearer(&h), None);
    }
}
