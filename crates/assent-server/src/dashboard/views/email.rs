//! E-mail: subscribers per list by state over time, unsubscribes by method, the suppression list download.
//!
//! The history is replayed from the e-mail events (`requested`, `confirmed`, `unsubscribed`) in memory; lists
//! are small next to consent records (docs/dashboard.md says what is left to move into the database).

use std::collections::BTreeMap;

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::dashboard::chart::{Chart, Kind, Series};
use crate::dashboard::html::Html;
use crate::dashboard::{Dash, Nav, error_page, now, render};
use crate::email::store::{EmailEvent, SubscriptionState};

/// Days shown in the history.
const DAYS: i64 = 30;

#[derive(Clone, Copy, Default)]
struct States {
    pending: u64,
    confirmed: u64,
    unsubscribed: u64,
}

/// Per list, the number of addresses in each state at the end of each of the last [`DAYS`] days (UTC).
fn history(events: &[EmailEvent], today_end_ms: i64) -> BTreeMap<String, Vec<States>> {
    let start = today_end_ms - DAYS * 86_400_000;
    let mut state: BTreeMap<(&str, &str), SubscriptionState> = BTreeMap::new();
    let mut out: BTreeMap<String, Vec<States>> = BTreeMap::new();
    let mut sorted: Vec<&EmailEvent> = events.iter().collect();
    sorted.sort_by_key(|e| e.ts_ms);
    let mut next = 0;
    for day in 0..DAYS {
        let end = start + (day + 1) * 86_400_000;
        while next < sorted.len() && sorted[next].ts_ms < end {
            let e = sorted[next];
            let key = (e.subject.as_str(), e.list.as_str());
            match e.kind.as_str() {
                "requested" if state.get(&key) != Some(&SubscriptionState::Confirmed) => {
                    state.insert(key, SubscriptionState::Pending);
                }
                "confirmed" => {
                    state.insert(key, SubscriptionState::Confirmed);
                }
                "unsubscribed" => {
                    state.insert(key, SubscriptionState::Unsubscribed);
                }
                _ => {}
            }
            next += 1;
        }
        for ((_, list), s) in &state {
            let row = out
                .entry((*list).to_owned())
                .or_insert_with(|| vec![States::default(); DAYS as usize]);
            let cell = &mut row[day as usize];
            match s {
                SubscriptionState::Pending => cell.pending += 1,
                SubscriptionState::Confirmed => cell.confirmed += 1,
                SubscriptionState::Unsubscribed => cell.unsubscribed += 1,
            }
        }
    }
    out
}

/// `GET /admin/email`.
pub async fn page(dash: Dash, headers: HeaderMap) -> Response {
    let session = match dash.page_session(&headers) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let nav = Some((&session, Nav::Email));
    let (subs, events) = match (
        dash.app.store.email_subscriptions(None).await,
        dash.app.store.email_events(None).await,
    ) {
        (Ok(s), Ok(e)) => (s, e),
        (Err(e), _) | (_, Err(e)) => {
            return error_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "E-mail",
                nav,
                &e.to_string(),
            );
        }
    };
    let mut h = Html::new();
    // Current state per list.
    let mut lists: BTreeMap<&str, States> = BTreeMap::new();
    for s in &subs {
        let c = lists.entry(s.list.as_str()).or_default();
        match s.state {
            SubscriptionState::Pending => c.pending += 1,
            SubscriptionState::Confirmed => c.confirmed += 1,
            SubscriptionState::Unsubscribed => c.unsubscribed += 1,
        }
    }
    h.raw("<table class=\"lists\"><caption>Subscribers per list now</caption><thead><tr>");
    for col in ["List", "Confirmed", "Pending", "Unsubscribed"] {
        h.el("th", &[("scope", "col")], col);
    }
    h.raw("</tr></thead><tbody>");
    for (list, c) in &lists {
        h.open("tr", &[("id", &format!("list-{list}"))])
            .el("th", &[("scope", "row")], list)
            .el("td", &[], &c.confirmed.to_string())
            .el("td", &[], &c.pending.to_string())
            .el("td", &[], &c.unsubscribed.to_string())
            .close("tr");
    }
    h.raw("</tbody></table>");
    if lists.is_empty() {
        h.el("p", &[("class", "empty")], "No subscriptions yet.");
    }
    let today_end = (now().div_euclid(86_400) + 1) * 86_400_000;
    let labels: Vec<String> = (0..DAYS)
        .map(|d| crate::time::date((today_end - (DAYS - d) * 86_400_000) / 1000))
        .collect();
    for (i, (list, days)) in history(&events, today_end).into_iter().enumerate() {
        let id = format!("chart-list-{i}");
        let title = format!("{list}: addresses by state, end of each day");
        Chart {
            id: &id,
            title: &title,
            axis: "Day",
            labels: labels.clone(),
            series: vec![
                Series {
                    name: "Confirmed".into(),
                    values: days.iter().map(|d| d.confirmed as f64).collect(),
                },
                Series {
                    name: "Pending".into(),
                    values: days.iter().map(|d| d.pending as f64).collect(),
                },
                Series {
                    name: "Unsubscribed".into(),
                    values: days.iter().map(|d| d.unsubscribed as f64).collect(),
                },
            ],
            kind: Kind::Stacked,
            percent: false,
        }
        .render(&mut h);
    }
    // Unsubscribes by method.
    let mut methods: BTreeMap<String, u64> = BTreeMap::new();
    for s in subs.iter().filter(|s| s.unsubscribed_ms.is_some()) {
        *methods
            .entry(
                s.unsubscribe_method
                    .clone()
                    .unwrap_or_else(|| "unknown".into()),
            )
            .or_default() += 1;
    }
    if !methods.is_empty() {
        let (labels, values): (Vec<String>, Vec<f64>) =
            methods.into_iter().map(|(m, n)| (m, n as f64)).unzip();
        Chart {
            id: "chart-unsubscribes",
            title: "Unsubscribes by method",
            axis: "Method",
            labels,
            series: vec![Series {
                name: "Unsubscribes".into(),
                values,
            }],
            kind: Kind::Grouped,
            percent: false,
        }
        .render(&mut h);
    }
    h.open("p", &[])
        .link(
            "/admin/email/suppressions.csv",
            "Download the suppression list (CSV)",
        )
        .close("p");
    render(StatusCode::OK, "E-mail", nav, &h.finish())
}

fn csv(field: &str) -> String {
    // A leading = + - @ would be a formula in a spreadsheet: quote and prefix it.
    let field = if field.starts_with(['=', '+', '-', '@']) {
        format!("'{field}")
    } else {
        field.to_owned()
    };
    if field.contains([',', '"', '\n', '\r']) || field.starts_with('\'') {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field
    }
}

/// `GET /admin/email/suppressions.csv`.
pub async fn suppressions(dash: Dash, headers: HeaderMap) -> Response {
    if let Err(r) = dash.page_session(&headers) {
        return *r;
    }
    let rows = match dash.app.store.email_suppressions().await {
        Ok(r) => r,
        Err(e) => return crate::http::error::ApiError::store(&e).into_response(),
    };
    let mut out = String::from("email,list,unsubscribed_at,method,subject\r\n");
    for s in &rows {
        let line = [
            csv(s.email.as_deref().unwrap_or_default()),
            csv(&s.list),
            crate::time::rfc3339_millis(s.unsubscribed_ms),
            csv(s.method.as_deref().unwrap_or_default()),
            csv(&s.subject),
        ];
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    tracing::info!(rows = rows.len(), "dashboard suppression download");
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"suppressions.csv\"",
            ),
        ],
        out,
    )
        .into_response()
}
