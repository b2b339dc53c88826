//! `GET /v1/admin/stats/timeseries?site=&since=&until=&bucket=hour|day|week`: the overview's figures as JSON,
//! for the admin token or a dashboard session. Bad parameters get a 400 naming the field.

use axum::extract::RawQuery;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::{Dash, form, now};
use crate::http::error::ApiError;
use crate::store::timeseries::{Bucket, MAX_BUCKETS, Timeseries, TimeseriesQuery};

/// Default range: the last 30 days.
pub const DEFAULT_DAYS: i64 = 30;

fn bad(message: String) -> ApiError {
    ApiError::bad_request("invalid_query", message)
}

/// Checks a time-series request's parameters (times in Unix seconds).
pub fn parse(raw: Option<&str>) -> Result<TimeseriesQuery, ApiError> {
    let params = form(raw.unwrap_or(""));
    if let Some(unknown) = params
        .keys()
        .find(|k| !matches!(k.as_str(), "site" | "since" | "until" | "bucket"))
    {
        return Err(bad(format!(
            "{unknown}: unknown parameter (expected site, since, until, bucket)"
        )));
    }
    let site = params.get("site").map(String::as_str).unwrap_or_default();
    if site.is_empty() || site.len() > 64 || !site.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(bad("site: required, 1-64 visible ASCII characters".into()));
    }
    let secs = |name: &str| -> Result<Option<i64>, ApiError> {
        params
            .get(name)
            .map(|v| {
                v.parse::<i64>()
                    .ok()
                    .filter(|s| (0..=253_402_300_799).contains(s))
                    .ok_or_else(|| bad(format!("{name}: expected Unix seconds, got {v:?}")))
            })
            .transpose()
    };
    let until = secs("until")?.unwrap_or_else(now);
    let since = secs("since")?
        .unwrap_or(until - DEFAULT_DAYS * 86_400)
        .max(0);
    if since >= until {
        return Err(bad("since: must be before until".into()));
    }
    let bucket = match params.get("bucket").map(String::as_str) {
        None => Bucket::Day,
        Some(b) => Bucket::parse(b)
            .ok_or_else(|| bad(format!("bucket: expected hour, day or week, got {b:?}")))?,
    };
    check_span(since, until, bucket).map_err(bad)?;
    Ok(TimeseriesQuery {
        site: site.to_owned(),
        since_ms: since * 1000,
        until_ms: until * 1000,
        bucket,
    })
}

/// At most [`MAX_BUCKETS`] buckets.
pub fn check_span(since: i64, until: i64, bucket: Bucket) -> Result<(), String> {
    let buckets = (until - since) * 1000 / bucket.ms() + 1;
    if buckets > MAX_BUCKETS {
        return Err(format!(
            "bucket: {buckets} {}s in that range, at most {MAX_BUCKETS}; choose a wider bucket",
            bucket.as_str()
        ));
    }
    Ok(())
}

/// Runs the query.
pub async fn fetch(dash: &Dash, query: &TimeseriesQuery) -> Result<Timeseries, ApiError> {
    let rows = dash
        .app
        .store
        .timeseries(query.clone())
        .await
        .map_err(|e| ApiError::store(&e))?;
    Ok(Timeseries::build(query, &rows))
}

/// The handler.
pub async fn api(
    dash: Dash,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    if headers.contains_key(axum::http::header::AUTHORIZATION) || dash.session(&headers).is_none() {
        crate::http::auth::authorize(&dash.app, &headers)?;
    }
    let query = parse(raw.as_deref())?;
    let series = fetch(&dash, &query).await?;
    Ok(crate::http::json(
        StatusCode::OK,
        &serde_json::to_value(series).expect("time series serialize"),
    ))
}
