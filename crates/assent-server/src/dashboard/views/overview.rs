//! The overview: one site over a date range, charts of records, the choice mix, signals and grant rates, split
//! by notice revision. Its numbers come from the same database query as `GET /v1/admin/stats/timeseries`.

use axum::extract::RawQuery;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use crate::dashboard::chart::{Chart, Kind, Series};
use crate::dashboard::html::Html;
use crate::dashboard::timeseries::{DEFAULT_DAYS, check_span, fetch};
use crate::dashboard::{Dash, Nav, error_page, form, now, parse_date, render};
use crate::store::timeseries::{Bucket, Counts, Timeseries, TimeseriesQuery};

fn pct(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

fn label(start: i64, bucket: Bucket) -> String {
    let t = crate::time::rfc3339_millis(start * 1000);
    match bucket {
        Bucket::Hour => format!("{} {}h", &t[5..10], &t[11..13]),
        _ => t[..10].to_owned(),
    }
}

/// The sites to choose from: those configured, sorted.
pub fn site_names(dash: &Dash) -> Vec<String> {
    let mut names: Vec<String> = dash.app.sites.names().map(str::to_owned).collect();
    names.sort();
    names.dedup();
    names
}

struct Form {
    site: String,
    from: String,
    to: String,
    bucket: Bucket,
}

fn read_form(dash: &Dash, raw: Option<&str>) -> Result<(Form, TimeseriesQuery), String> {
    let params = form(raw.unwrap_or(""));
    let today = crate::time::date(now());
    let sites = site_names(dash);
    let site = params
        .get("site")
        .filter(|s| !s.is_empty())
        .cloned()
        .or_else(|| sites.first().cloned())
        .unwrap_or_default();
    let to = params
        .get("to")
        .filter(|s| !s.is_empty())
        .cloned()
        .unwrap_or(today);
    let to_secs =
        parse_date(&to).ok_or_else(|| format!("to: expected a date YYYY-MM-DD, got {to:?}"))?;
    let from = params
        .get("from")
        .filter(|s| !s.is_empty())
        .cloned()
        .unwrap_or_else(|| crate::time::date(to_secs - (DEFAULT_DAYS - 1) * 86_400));
    let from_secs = parse_date(&from)
        .ok_or_else(|| format!("from: expected a date YYYY-MM-DD, got {from:?}"))?;
    if from_secs > to_secs {
        return Err("from: must not be after to".into());
    }
    let bucket = match params.get("bucket").map(String::as_str) {
        None | Some("") => Bucket::Day,
        Some(b) => Bucket::parse(b)
            .ok_or_else(|| format!("bucket: expected hour, day or week, got {b:?}"))?,
    };
    let until = to_secs + 86_400;
    check_span(from_secs, until, bucket)?;
    if site.is_empty() {
        return Err(
            "site: no site is configured; start the server with --www or --site-config".into(),
        );
    }
    let query = TimeseriesQuery {
        site: site.clone(),
        since_ms: from_secs * 1000,
        until_ms: until * 1000,
        bucket,
    };
    Ok((
        Form {
            site,
            from,
            to,
            bucket,
        },
        query,
    ))
}

fn filter_form(h: &mut Html, sites: &[String], f: &Form) {
    h.raw("<form method=\"get\" action=\"/admin/\" class=\"filters\">")
        .raw("<label for=\"site\">Site</label><select id=\"site\" name=\"site\">");
    for s in sites {
        if *s == f.site {
            h.el("option", &[("value", s), ("selected", "selected")], s);
        } else {
            h.el("option", &[("value", s)], s);
        }
    }
    h.raw("</select>");
    super::date_range(h, &f.from, &f.to);
    h.raw("<label for=\"bucket\">Per</label><select id=\"bucket\" name=\"bucket\">");
    for b in [Bucket::Hour, Bucket::Day, Bucket::Week] {
        let mut attrs = vec![("value", b.as_str())];
        if b == f.bucket {
            attrs.push(("selected", "selected"));
        }
        h.el("option", &attrs, b.as_str());
    }
    h.raw("</select><button type=\"submit\">Show</button></form>");
}

fn summary(h: &mut Html, c: &Counts) {
    let share = |n: u64| format!("{:.1} %", pct(n, c.records));
    h.open("dl", &[("class", "summary"), ("aria-label", "Totals")]);
    for (id, label, value) in [
        ("total-records", "Records", c.records.to_string()),
        ("total-accept", "Accept all", share(c.accept_all)),
        ("total-reject", "Reject all", share(c.reject_all)),
        ("total-custom", "Custom", share(c.custom)),
        ("total-gpc", "GPC", share(c.gpc)),
        ("total-dnt", "DNT", share(c.dnt)),
    ] {
        h.open("div", &[])
            .el("dt", &[], label)
            .el("dd", &[("id", id)], &value)
            .close("div");
    }
    h.close("dl");
}

fn revisions_table(h: &mut Html, s: &Timeseries) {
    h.el("h2", &[], "By notice revision")
        .raw("<table class=\"revisions\"><thead><tr>");
    for col in [
        "Revision",
        "First seen",
        "Last seen",
        "Records",
        "Accept all",
        "Reject all",
        "Custom",
        "GPC",
        "DNT",
    ] {
        h.el("th", &[("scope", "col")], col);
    }
    h.raw("</tr></thead><tbody>");
    for r in &s.revisions {
        let c = &r.counts;
        h.open("tr", &[("id", &format!("revision-{}", r.revision))])
            .el("th", &[("scope", "row")], &r.revision.to_string())
            .el("td", &[], &label(r.first, s.bucket))
            .el("td", &[], &label(r.last, s.bucket))
            .el("td", &[], &c.records.to_string());
        for n in [c.accept_all, c.reject_all, c.custom, c.gpc, c.dnt] {
            h.el("td", &[], &format!("{:.1} %", pct(n, c.records)));
        }
        h.close("tr");
    }
    h.raw("</tbody></table>");
}

fn charts(h: &mut Html, s: &Timeseries) {
    let labels: Vec<String> = s.buckets.iter().map(|b| label(b.start, s.bucket)).collect();
    let axis = match s.bucket {
        Bucket::Hour => "Hour",
        Bucket::Day => "Day",
        Bucket::Week => "Week",
    };
    let per = |f: fn(&Counts) -> u64| -> Vec<f64> {
        s.buckets.iter().map(|b| f(&b.counts) as f64).collect()
    };
    let share = |f: fn(&Counts) -> u64| -> Vec<f64> {
        s.buckets
            .iter()
            .map(|b| pct(f(&b.counts), b.counts.records))
            .collect()
    };
    Chart {
        id: "chart-records",
        title: &format!("Records per {}", s.bucket.as_str()),
        axis,
        labels: labels.clone(),
        series: vec![Series {
            name: "Records".into(),
            values: per(|c| c.records),
        }],
        kind: Kind::Lines,
        percent: false,
    }
    .render(h);
    Chart {
        id: "chart-choices",
        title: "Choice mix",
        axis,
        labels: labels.clone(),
        series: vec![
            Series {
                name: "Accept all".into(),
                values: per(|c| c.accept_all),
            },
            Series {
                name: "Reject all".into(),
                values: per(|c| c.reject_all),
            },
            Series {
                name: "Custom".into(),
                values: per(|c| c.custom),
            },
        ],
        kind: Kind::Stacked,
        percent: false,
    }
    .render(h);
    Chart {
        id: "chart-signals",
        title: "Share of records with GPC and DNT",
        axis,
        labels,
        series: vec![
            Series {
                name: "GPC".into(),
                values: share(|c| c.gpc),
            },
            Series {
                name: "DNT".into(),
                values: share(|c| c.dnt),
            },
        ],
        kind: Kind::Lines,
        percent: true,
    }
    .render(h);
    let mut categories: Vec<String> = s.categories.iter().map(|c| c.category.clone()).collect();
    categories.sort();
    let series = s
        .revisions
        .iter()
        .map(|r| Series {
            name: format!("Revision {}", r.revision),
            values: categories
                .iter()
                .map(|name| {
                    r.categories
                        .iter()
                        .find(|c| &c.category == name)
                        .map_or(0.0, |c| pct(c.granted, c.presented))
                })
                .collect(),
        })
        .collect();
    Chart {
        id: "chart-grants",
        title: "Grant rate per category, by notice revision",
        axis: "Category",
        labels: categories,
        series,
        kind: Kind::Grouped,
        percent: true,
    }
    .render(h);
}

/// `GET /admin/?site=&from=&to=&bucket=`.
pub async fn page(dash: Dash, headers: HeaderMap, RawQuery(raw): RawQuery) -> Response {
    let session = match dash.page_session(&headers) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let nav = Some((&session, Nav::Overview));
    let (f, query) = match read_form(&dash, raw.as_deref()) {
        Ok(v) => v,
        Err(message) => return error_page(StatusCode::BAD_REQUEST, "Overview", nav, &message),
    };
    let series = match fetch(&dash, &query).await {
        Ok(s) => s,
        Err(e) => return error_page(e.status, "Overview", nav, &e.message),
    };
    let mut h = Html::new();
    filter_form(&mut h, &site_names(&dash), &f);
    h.open("p", &[("class", "range")])
        .text(&format!(
            "{} from {} to {} (UTC), per {}.",
            f.site,
            f.from,
            f.to,
            f.bucket.as_str()
        ))
        .close("p");
    summary(&mut h, &series.totals);
    if series.totals.records == 0 {
        h.el(
            "p",
            &[("class", "empty")],
            "No records for this site in this range.",
        );
    }
    charts(&mut h, &series);
    revisions_table(&mut h, &series);
    h.open("p", &[("class", "hint")])
        .text("The same figures as JSON: ")
        .link(
            &format!(
                "/v1/admin/stats/timeseries?{}",
                crate::dashboard::html::query(&[
                    ("site", &f.site),
                    ("since", &(query.since_ms / 1000).to_string()),
                    ("until", &(query.until_ms / 1000).to_string()),
                    ("bucket", f.bucket.as_str()),
                ])
            ),
            "timeseries",
        )
        .close("p");
    render(StatusCode::OK, "Overview", nav, &h.finish())
}
