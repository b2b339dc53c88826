//! Signing in (the admin token for a session cookie) and out.

use axum::body::Bytes;

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::dashboard::html::Html;
use crate::dashboard::session::{clear_cookie, set_cookie};
use crate::dashboard::{Dash, form, now, render, see_other};
use crate::http::error::ApiError;

fn form_html(error: Option<&str>) -> String {
    let mut h = Html::new();
    if let Some(e) = error {
        h.el(
            "p",
            &[
                ("class", "error"),
                ("role", "alert"),
                ("id", "signin-error"),
            ],
            e,
        );
    }
    h.raw("<form method=\"post\" action=\"/v1/admin/session\" class=\"signin\">")
        .raw("<label for=\"token\">Admin token</label>");
    let mut input = vec![
        ("type", "password"),
        ("id", "token"),
        ("name", "token"),
        ("autocomplete", "current-password"),
        ("required", "required"),
    ];
    if error.is_some() {
        input.push(("aria-describedby", "signin-error"));
    }
    h.open("input", &input)
        .raw("<button type=\"submit\">Sign in</button></form>")
        .el(
            "p",
            &[("class", "hint")],
            "The token is the server's ASSENT_ADMIN_TOKEN. A session lasts 8 hours.",
        );
    h.finish()
}

/// `GET /admin/signin` (signed in already: the overview).
pub async fn page(dash: Dash, headers: HeaderMap) -> Response {
    if dash.session(&headers).is_some() {
        return see_other("/admin/");
    }
    render(StatusCode::OK, "Sign in", None, &form_html(None))
}

/// `POST /v1/admin/session`: `token=…` (form) or `{"token": "…"}` (JSON). A form gets a 303 to the overview, JSON
/// gets `{expires_at, csrf}`; a wrong token gets 401 and no session.
pub async fn sign_in(dash: Dash, headers: HeaderMap, body: Bytes) -> Result<Response, ApiError> {
    let Some(expected) = dash.token_digest() else {
        return Err(crate::dashboard::disabled());
    };
    dash.check_origin(&headers)?;
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let token = if is_json {
        serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v.get("token").and_then(|t| t.as_str()).map(str::to_owned))
            .ok_or_else(|| {
                ApiError::bad_request("invalid_body", "token: expected {\"token\": \"…\"}")
            })?
    } else {
        form(&String::from_utf8_lossy(&body))
            .remove("token")
            .unwrap_or_default()
    };
    let given: [u8; 32] = Sha256::digest(token.as_bytes()).into();
    if !bool::from(given.ct_eq(expected)) {
        tracing::info!("dashboard sign-in refused: wrong admin token");
        if is_json {
            return Err(ApiError::unauthorized(
                "unauthorized",
                "token: wrong admin token",
            ));
        }
        return Ok(render(
            StatusCode::UNAUTHORIZED,
            "Sign in",
            None,
            &form_html(Some("That is not the admin token. Nothing was signed in.")),
        ));
    }
    let (session, cookie) = dash.sessions().issue(now()).expect("admin enabled");
    tracing::info!("dashboard sign-in");
    let mut response = if is_json {
        crate::http::json(
            StatusCode::OK,
            &serde_json::json!({ "expires_at": session.expires_at, "csrf": session.csrf }),
        )
    } else {
        see_other("/admin/")
    };
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&set_cookie(&cookie, dash.secure(&headers)))
            .expect("cookie is ASCII"),
    );
    Ok(response)
}

fn signed_out(dash: &Dash, headers: &HeaderMap, mut response: Response) -> Response {
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&clear_cookie(dash.secure(headers))).expect("cookie is ASCII"),
    );
    response
}

/// `POST /v1/admin/session/delete` (form with `csrf`): ends the session, then the sign-in page.
pub async fn sign_out(dash: Dash, headers: HeaderMap, body: Bytes) -> Result<Response, ApiError> {
    let csrf = form(&String::from_utf8_lossy(&body)).remove("csrf");
    let session = dash.write_session(&headers, csrf.as_deref())?;
    dash.sessions().revoke(&session, now());
    tracing::info!("dashboard sign-out");
    Ok(signed_out(&dash, &headers, see_other("/admin/signin")))
}

/// `DELETE /v1/admin/session` (CSRF token in `X-CSRF-Token`): ends the session; 204.
pub async fn sign_out_api(dash: Dash, headers: HeaderMap) -> Result<Response, ApiError> {
    let csrf = headers.get("x-csrf-token").and_then(|v| v.to_str().ok());
    let session = dash.write_session(&headers, csrf)?;
    dash.sessions().revoke(&session, now());
    Ok(signed_out(
        &dash,
        &headers,
        StatusCode::NO_CONTENT.into_response(),
    ))
}
