//! Subject: look up a subject id, see its history, export it (JSON), erase it after a confirmation page.

use axum::body::Bytes;
use axum::extract::RawQuery;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::when;
use crate::dashboard::html::{Html, query};
use crate::dashboard::{Dash, Nav, error_page, form, render};
use crate::http::error::ApiError;
use crate::store::Subject;

fn lookup_form(h: &mut Html, value: &str) {
    h.raw("<form method=\"get\" action=\"/admin/subject\" class=\"filters\">")
        .raw("<label for=\"id\">Subject id</label>")
        .open(
            "input",
            &[
                ("type", "text"),
                ("id", "id"),
                ("name", "id"),
                ("value", value),
                ("size", "26"),
                ("required", "required"),
            ],
        )
        .raw("<button type=\"submit\">Look up</button></form>");
}

fn parse(raw: Option<&str>) -> Result<Option<Subject>, String> {
    match form(raw.unwrap_or(""))
        .remove("id")
        .filter(|s| !s.is_empty())
    {
        None => Ok(None),
        Some(text) => text
            .trim()
            .parse()
            .map(Some)
            .map_err(|e| format!("id: {e}")),
    }
}

/// `GET /admin/subject?id=`.
pub async fn page(dash: Dash, headers: HeaderMap, RawQuery(raw): RawQuery) -> Response {
    let raw = raw.as_deref();
    let session = match dash.page_session(&headers) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let nav = Some((&session, Nav::Subject));
    let subject = match parse(raw) {
        Ok(s) => s,
        Err(e) => return error_page(StatusCode::BAD_REQUEST, "Subject", nav, &e),
    };
    let mut h = Html::new();
    lookup_form(&mut h, &subject.map(|s| s.to_string()).unwrap_or_default());
    if let Some(subject) = subject {
        let records = match dash.app.store.subject_records(subject).await {
            Ok(r) => r,
            Err(e) => {
                return error_page(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Subject",
                    nav,
                    &e.to_string(),
                );
            }
        };
        let id = subject.to_string();
        if records.is_empty() {
            h.el(
                "p",
                &[("class", "empty"), ("id", "subject-empty")],
                "No records for this subject.",
            );
        } else {
            super::records::table(
                &mut h,
                &records,
                &format!("{} records of {id}, oldest first", records.len()),
            );
            h.open("p", &[("class", "actions")])
                .link(
                    &format!("/admin/subject/export?{}", query(&[("id", &id)])),
                    "Export as JSON",
                )
                .text(" ")
                .open(
                    "a",
                    &[
                        (
                            "href",
                            &format!("/admin/subject/erase?{}", query(&[("id", &id)])),
                        ),
                        ("class", "danger"),
                    ],
                )
                .text("Erase this subject…")
                .close("a")
                .close("p");
        }
    }
    render(StatusCode::OK, "Subject", nav, &h.finish())
}

/// `GET /admin/subject/export?id=`: the subject's history as a JSON download (the shape of
/// `GET /v1/admin/subjects/{subject}`).
pub async fn export(dash: Dash, headers: HeaderMap, RawQuery(raw): RawQuery) -> Response {
    if let Err(r) = dash.page_session(&headers) {
        return *r;
    }
    let subject = match parse(raw.as_deref()) {
        Ok(Some(s)) => s,
        Ok(None) => {
            return ApiError::bad_request("invalid_subject", "id: required").into_response();
        }
        Err(e) => return ApiError::bad_request("invalid_subject", e).into_response(),
    };
    tracing::info!("dashboard subject export");
    match crate::http::admin::subject_history(&dash.app, subject).await {
        Ok(mut r) => {
            r.headers_mut().insert(
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&format!("attachment; filename=\"subject-{subject}.json\""))
                    .expect("base64url is a valid header value"),
            );
            r
        }
        Err(e) => e.into_response(),
    }
}

/// `GET /admin/subject/erase?id=`: what would be erased, and the button that does it.
pub async fn confirm(dash: Dash, headers: HeaderMap, RawQuery(raw): RawQuery) -> Response {
    let session = match dash.page_session(&headers) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let nav = Some((&session, Nav::Subject));
    let subject = match parse(raw.as_deref()) {
        Ok(Some(s)) => s,
        Ok(None) => {
            return error_page(
                StatusCode::BAD_REQUEST,
                "Erase a subject",
                nav,
                "id: required",
            );
        }
        Err(e) => return error_page(StatusCode::BAD_REQUEST, "Erase a subject", nav, &e),
    };
    let records = match dash.app.store.subject_records(subject).await {
        Ok(r) => r,
        Err(e) => {
            return error_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Erase a subject",
                nav,
                &e.to_string(),
            );
        }
    };
    let id = subject.to_string();
    let mut h = Html::new();
    h.open("p", &[])
        .text(&format!(
            "Erasing deletes all {} consent records of subject {id} for good (GDPR Art. 17). Their proof of consent is gone with them; export them first if you must keep a copy.",
            records.len()
        ))
        .close("p");
    h.open(
        "form",
        &[("method", "post"), ("action", "/admin/subject/erase")],
    )
    .open(
        "input",
        &[
            ("type", "hidden"),
            ("name", "csrf"),
            ("value", &session.csrf),
        ],
    )
    .open(
        "input",
        &[("type", "hidden"), ("name", "id"), ("value", &id)],
    )
    .raw("<button type=\"submit\" class=\"danger\">Erase ")
    .num(records.len())
    .raw(" records</button> ")
    .link(
        &format!("/admin/subject?{}", query(&[("id", &id)])),
        "Cancel",
    )
    .close("form");
    render(StatusCode::OK, "Erase a subject", nav, &h.finish())
}

/// `POST /admin/subject/erase` (`csrf`, `id`): erases, then says what was erased.
pub async fn erase(dash: Dash, headers: HeaderMap, body: Bytes) -> Result<Response, ApiError> {
    let mut params = form(&String::from_utf8_lossy(&body));
    let session = dash.write_session(&headers, params.get("csrf").map(String::as_str))?;
    let subject: Subject = params
        .remove("id")
        .unwrap_or_default()
        .parse()
        .map_err(|e| ApiError::bad_request("invalid_subject", format!("id: {e}")))?;
    let before = dash
        .app
        .store
        .subject_records(subject)
        .await
        .map_err(|e| ApiError::store(&e))?;
    let erased = dash
        .app
        .store
        .erase_subject(subject)
        .await
        .map_err(|e| ApiError::store(&e))?;
    tracing::info!(erased, "dashboard erasure of a subject");
    let mut h = Html::new();
    h.open("p", &[("id", "erased"), ("role", "status")])
        .text(&format!(
            "Erased {erased} consent records of subject {subject}."
        ))
        .close("p");
    if !before.is_empty() {
        h.raw("<ul class=\"erased\">");
        for r in &before {
            h.el(
                "li",
                &[],
                &format!(
                    "{} · {} · {} · revision {}",
                    r.id,
                    r.site,
                    when(r.ts_ms),
                    r.revision
                ),
            );
        }
        h.raw("</ul>");
    }
    h.el(
        "p",
        &[("class", "hint")],
        "E-mail subscriptions are keyed by a pseudonym of the address, not by this id: erase those with DELETE /v1/admin/subscribers?email=ADDRESS (docs/email.md).",
    );
    Ok(render(
        StatusCode::OK,
        "Subject erased",
        Some((&session, Nav::Subject)),
        &h.finish(),
    ))
}
