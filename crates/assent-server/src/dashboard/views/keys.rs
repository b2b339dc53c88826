//! Keys: the published key ids, active or retired, and how long each has signed records.

use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::when;
use crate::dashboard::html::Html;
use crate::dashboard::{Dash, Nav, error_page, now, render};

/// `GET /admin/keys`.
pub async fn page(dash: Dash, headers: HeaderMap) -> Response {
    let session = match dash.page_session(&headers) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let nav = Some((&session, Nav::Keys));
    let keys = dash.app.keys();
    let set = match assent_verify::KeySet::from_json(keys.published_json()) {
        Ok(s) => s,
        Err(e) => {
            return error_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Keys",
                nav,
                &e.to_string(),
            );
        }
    };
    let usage = match dash.app.store.key_usage().await {
        Ok(u) => u,
        Err(e) => {
            return error_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Keys",
                nav,
                &e.to_string(),
            );
        }
    };
    let mut h = Html::new();
    h.open("p", &[])
        .text("New tokens are signed with ")
        .open("code", &[("id", "active-kid")])
        .text(&keys.kid())
        .close("code")
        .text(". Retired keys stay published so their tokens keep verifying; rotate with assent keys rotate.")
        .close("p");
    h.raw("<table class=\"keys\"><caption>Published keys</caption><thead><tr>");
    for col in [
        "Key id",
        "Status",
        "First record signed",
        "Age",
        "Last record signed",
        "Records",
    ] {
        h.el("th", &[("scope", "col")], col);
    }
    h.raw("</tr></thead><tbody>");
    let now_ms = now() * 1000;
    for k in set.iter() {
        let kid = k.kid().to_string();
        let status = match k.status() {
            assent_verify::KeyStatus::Active => "active",
            assent_verify::KeyStatus::Retired => "retired",
        };
        let u = usage.iter().find(|u| u.kid == kid);
        h.open("tr", &[("id", &format!("key-{kid}"))])
            .open("th", &[("scope", "row")])
            .el("code", &[], &kid)
            .close("th")
            .el("td", &[], status)
            .el("td", &[], &u.map_or("none".into(), |u| when(u.first_ms)))
            .el(
                "td",
                &[],
                &u.map_or("–".into(), |u| {
                    format!("{} days", (now_ms - u.first_ms) / 86_400_000)
                }),
            )
            .el("td", &[], &u.map_or("none".into(), |u| when(u.last_ms)))
            .el("td", &[], &u.map_or(0, |u| u.records).to_string())
            .close("tr");
    }
    h.raw("</tbody></table>");
    h.el(
        "p",
        &[("class", "hint")],
        "A key's age is counted from the first stored record it signed: the key set itself carries no dates.",
    );
    render(StatusCode::OK, "Keys", nav, &h.finish())
}
