//! Records: a filtered, paginated list, and one record's receipt fields with its token verified live.

use axum::extract::{Path, RawQuery};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use uuid::Uuid;

use super::{fields, when};
use crate::dashboard::html::{Html, query};
use crate::dashboard::{Dash, Nav, error_page, form, parse_date, render};
use crate::store::{ConsentRecord, RecordFilter};

/// Records per page.
const PAGE: usize = 50;
/// Store pages read at most to fill one page when filtering by method.
const MAX_SCAN: usize = 40;

fn categories(r: &ConsentRecord) -> String {
    let granted: Vec<&str> = r
        .purposes
        .iter()
        .filter(|p| p.granted)
        .map(|p| p.category.as_str())
        .collect();
    granted.join(", ")
}

fn signals(r: &ConsentRecord) -> String {
    match (r.signals.gpc, r.signals.dnt) {
        (true, true) => "GPC, DNT".into(),
        (true, false) => "GPC".into(),
        (false, true) => "DNT".into(),
        (false, false) => "none".into(),
    }
}

/// A table of records (list and subject history).
pub fn table(h: &mut Html, records: &[ConsentRecord], caption: &str) {
    h.raw("<table class=\"records\">")
        .el("caption", &[], caption)
        .raw("<thead><tr>");
    for col in [
        "Time", "Site", "Subject", "Method", "Revision", "Granted", "Signals", "Record",
    ] {
        h.el("th", &[("scope", "col")], col);
    }
    h.raw("</tr></thead><tbody>");
    for r in records {
        let subject = r.subject.to_string();
        h.open("tr", &[])
            .el("td", &[], &when(r.ts_ms))
            .el("td", &[], &r.site)
            .open("td", &[])
            .link(
                &format!("/admin/subject?{}", query(&[("id", &subject)])),
                &subject,
            )
            .close("td")
            .el("td", &[], r.method.as_str())
            .el("td", &[], &r.revision.to_string())
            .el("td", &[], &categories(r))
            .el("td", &[], &signals(r))
            .open("td", &[])
            .open("a", &[("href", &format!("/admin/records/{}", r.id))])
            .text("Open")
            .open("span", &[("class", "sr-only")])
            .text(&format!(" record {}", r.id))
            .close("span")
            .close("a")
            .close("td")
            .close("tr");
    }
    h.raw("</tbody></table>");
}

/// `GET /admin/records?site=&from=&to=&method=&after=`.
pub async fn list(dash: Dash, headers: HeaderMap, RawQuery(raw): RawQuery) -> Response {
    let session = match dash.page_session(&headers) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let nav = Some((&session, Nav::Records));
    let p = form(raw.as_deref().unwrap_or(""));
    let get = |k: &str| p.get(k).map(String::as_str).unwrap_or_default();
    let date = |k: &str| -> Result<Option<i64>, String> {
        match get(k) {
            "" => Ok(None),
            d => parse_date(d)
                .map(Some)
                .ok_or_else(|| format!("{k}: expected a date YYYY-MM-DD, got {d:?}")),
        }
    };
    let (from, to) = match (date("from"), date("to")) {
        (Ok(f), Ok(t)) => (f, t),
        (Err(e), _) | (_, Err(e)) => {
            return error_page(StatusCode::BAD_REQUEST, "Records", nav, &e);
        }
    };
    let method = get("method");
    if !method.is_empty() && assent_core::Method::parse(method).is_none() {
        let msg = format!("method: expected banner, preferences, api or withdraw, got {method:?}");
        return error_page(StatusCode::BAD_REQUEST, "Records", nav, &msg);
    }
    let mut after = match get("after") {
        "" => None,
        a => match Uuid::parse_str(a) {
            Ok(id) => Some(id),
            Err(_) => {
                return error_page(
                    StatusCode::BAD_REQUEST,
                    "Records",
                    nav,
                    "after: expected a record id",
                );
            }
        },
    };
    let filter = RecordFilter {
        site: Some(get("site").to_owned()).filter(|s| !s.is_empty()),
        since_ms: from.map(|s| s * 1000),
        until_ms: to.map(|s| (s + 86_400) * 1000),
    };
    let mut found = Vec::new();
    let mut more = false;
    'scan: for _ in 0..MAX_SCAN {
        more = false;
        let batch = match dash.app.store.export_page(filter.clone(), after, 500).await {
            Ok(b) => b,
            Err(e) => {
                return error_page(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Records",
                    nav,
                    &e.to_string(),
                );
            }
        };
        let (n, full) = (batch.len(), batch.len() == 500);
        for (i, r) in batch.into_iter().enumerate() {
            after = Some(r.id);
            if method.is_empty() || r.method.as_str() == method {
                found.push(r);
                if found.len() == PAGE {
                    more = i + 1 < n || full;
                    break 'scan;
                }
            }
        }
        if !full {
            break;
        }
        // The scan budget may end here with more records to look at.
        more = true;
    }
    let mut h = Html::new();
    h.raw("<form method=\"get\" action=\"/admin/records\" class=\"filters\">")
        .raw("<label for=\"site\">Site</label><select id=\"site\" name=\"site\">")
        .el("option", &[("value", "")], "All sites");
    for s in super::overview::site_names(&dash) {
        let mut attrs = vec![("value", s.as_str())];
        if s == get("site") {
            attrs.push(("selected", "selected"));
        }
        h.el("option", &attrs, &s);
    }
    h.raw("</select>");
    super::date_range(&mut h, get("from"), get("to"));
    h.raw("<label for=\"method\">Method</label><select id=\"method\" name=\"method\">")
        .el("option", &[("value", "")], "Any");
    for m in ["banner", "preferences", "api", "withdraw"] {
        let mut attrs = vec![("value", m)];
        if m == method {
            attrs.push(("selected", "selected"));
        }
        h.el("option", &attrs, m);
    }
    h.raw("</select><button type=\"submit\">Filter</button></form>");
    if found.is_empty() {
        h.el("p", &[("class", "empty")], "No records match.");
    } else {
        table(
            &mut h,
            &found,
            &format!("{} records, oldest first", found.len()),
        );
    }
    if more {
        let next = query(&[
            ("site", get("site")),
            ("from", get("from")),
            ("to", get("to")),
            ("method", method),
            ("after", &after.map(|a| a.to_string()).unwrap_or_default()),
        ]);
        h.open("p", &[])
            .link(&format!("/admin/records?{next}"), "Next page")
            .close("p");
    }
    render(StatusCode::OK, "Records", nav, &h.finish())
}

/// `GET /admin/records/{id}`: the receipt fields and the token checked now with the server's keys.
pub async fn one(dash: Dash, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let session = match dash.page_session(&headers) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let nav = Some((&session, Nav::Records));
    let Ok(id) = Uuid::parse_str(&id) else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "Record",
            nav,
            "id: expected a record id (UUID)",
        );
    };
    let record = match dash.app.store.get(id).await {
        Ok(Some(r)) => r,
        Ok(None) => {
            return error_page(
                StatusCode::NOT_FOUND,
                "Record",
                nav,
                "No such record (never stored, or erased).",
            );
        }
        Err(e) => {
            return error_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Record",
                nav,
                &e.to_string(),
            );
        }
    };
    let keys = dash.app.keys();
    let verdict = match keys.verify(&record.token) {
        Ok(v) if v.record_id.0 == *record.id.as_bytes() => {
            "valid: signature, key and expiry check out".to_owned()
        }
        Ok(_) => "invalid: the token names another record".to_owned(),
        Err(e) => match keys.verify_ignoring_expiry(&record.token) {
            Ok(_) => format!("signature valid, but {} ({})", e, e.code()),
            Err(e) => format!("invalid: {e} ({})", e.code()),
        },
    };
    let mut h = Html::new();
    h.open("p", &[("class", "verdict"), ("id", "token-verdict")])
        .text("Token: ")
        .text(&verdict)
        .close("p");
    let purposes: Vec<String> = record
        .purposes
        .iter()
        .map(|p| {
            format!(
                "{} ({}): {}",
                p.category,
                p.index,
                if p.granted { "granted" } else { "denied" }
            )
        })
        .collect();
    fields(
        &mut h,
        &[
            ("Record id", record.id.to_string()),
            ("Site", record.site.clone()),
            ("Subject", record.subject.to_string()),
            ("Stored", when(record.ts_ms)),
            (
                "Decided in the browser",
                record
                    .decided_at
                    .map_or("not reported".into(), |d| when(d as i64 * 1000)),
            ),
            ("Expires", when(record.expires_at as i64 * 1000)),
            ("Notice revision", record.revision.to_string()),
            ("Notice SHA-256", record.notice_hash.clone()),
            ("Policy", record.policy_url.clone()),
            ("Purposes", purposes.join("; ")),
            ("Signals", signals(&record)),
            (
                "Sec-GPC header",
                if record.signals.gpc_header {
                    "yes"
                } else {
                    "no"
                }
                .into(),
            ),
            ("Language", record.language.clone()),
            ("Method", record.method.as_str().into()),
            ("SDK version", record.sdk_version.clone()),
            (
                "Region",
                record.region.clone().unwrap_or_else(|| "none".into()),
            ),
            ("Key id", record.kid.clone()),
            ("Token", record.token.clone()),
        ],
    );
    h.open("p", &[])
        .link(
            &format!(
                "/admin/subject?{}",
                query(&[("id", &record.subject.to_string())])
            ),
            "This subject's history",
        )
        .close("p");
    render(StatusCode::OK, "Record", nav, &h.finish())
}
