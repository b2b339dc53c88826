//! Admin endpoints, behind `Authorization: Bearer $ASSENT_ADMIN_TOKEN` (checked by [`super::auth::authorize`]).
//! Without `ASSENT_ADMIN_TOKEN` they are disabled (403), never open.
//!
//! - `GET /v1/admin/records?site=&since=&until=` — JSONL export, one record per line, oldest first; `since`
//!   (inclusive) and `until` (exclusive) in Unix seconds, server time.
//! - `GET /v1/admin/subjects/{subject}` — every record of one subject (GDPR Art. 15/20).
//! - `DELETE /v1/admin/subjects/{subject}` — erase every record of one subject (GDPR Art. 17).
//! - `GET /v1/admin/stats?site=&since=&until=` — aggregate figures.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt as _;
use serde::Deserialize;
use uuid::Uuid;

use super::auth::authorize;
use super::body::json;
use super::error::ApiError;
use super::plugin::Export;
use super::state::{App, AppState};
use crate::store::{RecordFilter, Subject};

/// Records fetched per store round trip while exporting.
const EXPORT_PAGE: usize = 500;

/// Query of the export and stats endpoints.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilterQuery {
    site: Option<String>,
    since: Option<i64>,
    until: Option<i64>,
}

impl FilterQuery {
    fn into_filter(self) -> Result<RecordFilter, ApiError> {
        let ms = |name: &str, v: Option<i64>| -> Result<Option<i64>, ApiError> {
            v.map(|s| {
                s.checked_mul(1000).ok_or_else(|| {
                    ApiError::bad_request("invalid_query", format!("{name}: out of range"))
                })
            })
            .transpose()
        };
        Ok(RecordFilter {
            site: self.site,
            since_ms: ms("since", self.since)?,
            until_ms: ms("until", self.until)?,
        })
    }
}

fn query(q: Result<Query<FilterQuery>, QueryRejection>) -> Result<RecordFilter, ApiError> {
    q.map_err(|e| ApiError::bad_request("invalid_query", e.body_text()))?
        .0
        .into_filter()
}

fn parse_subject(text: &str) -> Result<Subject, ApiError> {
    text.parse()
        .map_err(|e| ApiError::bad_request("invalid_subject", format!("subject: {e}")))
}

struct Cursor {
    page: Option<Vec<crate::store::ConsentRecord>>,
    after: Option<Uuid>,
    done: bool,
}

/// `GET /v1/admin/records`: streams matching records as JSON lines (`application/x-ndjson`), the consent
/// records first, then each plugin's lines (`plugins`, in the order the server registered them).
pub async fn export(
    State(app): State<App>,
    headers: HeaderMap,
    q: Result<Query<FilterQuery>, QueryRejection>,
    plugins: Arc<[Export]>,
) -> Result<Response, ApiError> {
    authorize(&app, &headers)?;
    let filter = query(q)?;
    // Fetch the first page before answering, so a store failure is still a clean error status.
    let first = app
        .store
        .export_page(filter.clone(), None, EXPORT_PAGE)
        .await
        .map_err(|e| ApiError::store(&e))?;
    tracing::info!(site = filter.site.as_deref(), "admin export");
    let after: Vec<_> = plugins.iter().map(|lines| lines(filter.clone())).collect();
    let start = Cursor {
        page: Some(first),
        after: None,
        done: false,
    };
    let stream = futures_util::stream::unfold(start, move |mut cur| {
        let app = app.clone();
        let filter = filter.clone();
        async move {
            if cur.done {
                return None;
            }
            let page = match cur.page.take() {
                Some(p) => p,
                None => match app.store.export_page(filter, cur.after, EXPORT_PAGE).await {
                    Ok(p) => p,
                    Err(e) => {
                        tracing::error!(error = %e, "export failed part-way; the response is cut short");
                        cur.done = true;
                        return Some((Err(std::io::Error::other(e.to_string())), cur));
                    }
                },
            };
            if page.is_empty() {
                return None;
            }
            cur.done = page.len() < EXPORT_PAGE;
            cur.after = page.last().map(|r| r.id);
            let mut chunk = Vec::with_capacity(page.len() * 900);
            for r in &page {
                serde_json::to_writer(&mut chunk, &r.to_json()).expect("JSON to memory");
                chunk.push(b'\n');
            }
            Some((Ok(Bytes::from(chunk)), cur))
        }
    });
    let stream = stream.chain(futures_util::stream::iter(after).flatten());
    let mut response = Body::from_stream(stream).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-ndjson"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// `GET /v1/admin/subjects/{subject}`: the subject's full history, oldest first.
pub async fn subject_history(app: &AppState, subject: Subject) -> Result<Response, ApiError> {
    let records = app
        .store
        .subject_records(subject)
        .await
        .map_err(|e| ApiError::store(&e))?;
    let records: Vec<_> = records
        .iter()
        .map(crate::store::ConsentRecord::to_json)
        .collect();
    Ok(json(
        StatusCode::OK,
        &serde_json::json!({ "subject": subject.to_string(), "records": records }),
    ))
}

/// `GET /v1/admin/subjects/{subject}`.
pub async fn subject(
    State(app): State<App>,
    Path(text): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    authorize(&app, &headers)?;
    let subject = parse_subject(&text)?;
    tracing::info!("admin subject access");
    subject_history(&app, subject).await
}

/// `DELETE /v1/admin/subjects/{subject}`: erases every record of the subject; answers how many.
pub async fn erase(
    State(app): State<App>,
    Path(text): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    authorize(&app, &headers)?;
    let subject = parse_subject(&text)?;
    let erased = app
        .store
        .erase_subject(subject)
        .await
        .map_err(|e| ApiError::store(&e))?;
    tracing::info!(erased, "admin erasure of a subject");
    Ok(json(
        StatusCode::OK,
        &serde_json::json!({ "subject": subject.to_string(), "erased": erased }),
    ))
}

/// `GET /v1/admin/stats`.
pub async fn stats(
    State(app): State<App>,
    headers: HeaderMap,
    q: Result<Query<FilterQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    authorize(&app, &headers)?;
    let filter = query(q)?;
    let stats = app
        .store
        .stats(filter)
        .await
        .map_err(|e| ApiError::store(&e))?;
    Ok(json(
        StatusCode::OK,
        &serde_json::to_value(stats).expect("stats serialize"),
    ))
}
