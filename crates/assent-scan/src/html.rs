//! The self-contained HTML report: one file, no external resource; violations first, then each page with its
//! phases and a timeline.

use std::fmt::Write as _;

use crate::model::{Cookie, PageReport, Phase, Report};

fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#1d2330}
h1{font-size:1.5rem;margin:0 0 .25rem}h2{font-size:1.15rem;margin:2rem 0 .5rem;border-bottom:1px solid #d6dae3;padding-bottom:.25rem}
h3{font-size:1rem;margin:1.25rem 0 .4rem}.meta{color:#5a6272}table{border-collapse:collapse;width:100%;margin:.25rem 0 1rem}
th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #e6e9ef;vertical-align:top}
td code,li code{word-break:break-all}
th{background:#f3f5f9;font-weight:600}.bad{color:#b3141d;font-weight:600}.ok{color:#17753a;font-weight:600}
.pill{display:inline-block;border-radius:1rem;padding:0 .55rem;font-size:12px;background:#eef1f6}
.pill.bad{background:#fde8e8}.pill.ok{background:#e5f5ea}.note{background:#fff7e0;padding:.4rem .6rem;border-radius:.3rem}
ol.timeline{list-style:none;padding:0;border-left:3px solid #d6dae3;margin-left:.5rem}
ol.timeline li{padding:.1rem .75rem;position:relative}ol.timeline li.phase{font-weight:600;margin-top:.4rem}
ol.timeline li.v{color:#b3141d}ol.timeline .t{display:inline-block;width:5.5rem;color:#5a6272;font-variant-numeric:tabular-nums}
code{font:12.5px ui-monospace,monospace}";

fn cookie_rows(out: &mut String, cookies: &[Cookie]) {
    for c in cookies {
        let category = c.class.category.as_deref().unwrap_or("unknown");
        let class = if c.class.needs_consent() {
            " class=\"bad\""
        } else {
            ""
        };
        let expires = c.expires.map_or(
            if c.present_at_end { "session" } else { "" }.to_string(),
            |e| {
                let days = (e - now_secs()) / 86_400.0;
                format!("{days:.0} days")
            },
        );
        let _ = writeln!(
            out,
            "<tr><td><code>{}</code>{}</td><td{class}>{}</td><td>{}</td><td>{}{}</td><td>{}</td><td><code>{}</code></td></tr>",
            esc(&c.name),
            if c.present_at_end {
                ""
            } else {
                " <span class=\"pill\">set, then deleted</span>"
            },
            esc(category),
            esc(c.class.vendor.as_deref().unwrap_or("")),
            esc(&c.domain),
            if c.third_party { " (third party)" } else { "" },
            esc(&expires),
            esc(c.set_by.as_deref().unwrap_or("")),
        );
    }
}

fn now_secs() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

fn phase_section(out: &mut String, phase: &Phase) {
    let _ = writeln!(out, "<h3>{}</h3>", esc(phase.name.label()));
    if phase.cookies.is_empty()
        && phase.local_storage.is_empty()
        && phase.session_storage.is_empty()
        && phase.third_party_requests.is_empty()
    {
        let _ = writeln!(
            out,
            "<p class=\"meta\">No cookie, no storage key, no request to another site.</p>"
        );
        return;
    }
    if !phase.cookies.is_empty() {
        let _ = writeln!(
            out,
            "<table><tr><th>Cookie</th><th>Category</th><th>Vendor</th><th>Domain</th><th>Expires</th><th>Set by</th></tr>"
        );
        cookie_rows(out, &phase.cookies);
        let _ = writeln!(out, "</table>");
    }
    let keys: Vec<_> = phase
        .local_storage
        .iter()
        .map(|k| ("localStorage", k))
        .chain(phase.session_storage.iter().map(|k| ("sessionStorage", k)))
        .collect();
    if !keys.is_empty() {
        let _ = writeln!(
            out,
            "<table><tr><th>Storage key</th><th>Where</th><th>Category</th><th>Set by</th></tr>"
        );
        for (kind, k) in keys {
            let _ = writeln!(
                out,
                "<tr><td><code>{}</code></td><td>{kind}</td><td>{}</td><td><code>{}</code></td></tr>",
                esc(&k.name),
                esc(k.class.category.as_deref().unwrap_or("unknown")),
                esc(k.set_by.as_deref().unwrap_or(""))
            );
        }
        let _ = writeln!(out, "</table>");
    }
    if !phase.third_party_requests.is_empty() {
        let _ = writeln!(
            out,
            "<table><tr><th>Request to another site</th><th>Type</th><th>Initiator</th></tr>"
        );
        for r in &phase.third_party_requests {
            let mark = if r.tracking {
                " <span class=\"pill bad\">tracking</span>"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "<tr><td><code>{}</code>{mark}</td><td>{}</td><td><code>{}</code></td></tr>",
                esc(&r.url),
                esc(&r.resource_type),
                esc(r.initiator.as_deref().unwrap_or(""))
            );
        }
        let _ = writeln!(out, "</table>");
    }
}

fn page_section(out: &mut String, page: &PageReport) {
    let status = if page.violations.is_empty() {
        "<span class=\"pill ok\">no violation</span>".to_string()
    } else {
        format!(
            "<span class=\"pill bad\">{} violation(s)</span>",
            page.violations.len()
        )
    };
    let _ = writeln!(out, "<h2>{} {status}</h2>", esc(&page.url));
    let _ = writeln!(
        out,
        "<p class=\"meta\">{} · {} · scanned in {} ms</p>",
        esc(if page.title.is_empty() {
            "(no title)"
        } else {
            &page.title
        }),
        if page.consent_manager {
            "consent manager: Assent"
        } else {
            "no consent manager found"
        },
        page.duration_ms
    );
    if let Some(note) = &page.note {
        let _ = writeln!(out, "<p class=\"note\">{}</p>", esc(note));
    }
    for phase in &page.phases {
        phase_section(out, phase);
    }
    if !page.deleted_on_reject.is_empty() {
        let _ = writeln!(
            out,
            "<p>Deleted on reject: <code>{}</code></p>",
            esc(&page.deleted_on_reject.join(", "))
        );
    }
    for (category, names) in &page.accepted_by_category {
        let _ = writeln!(
            out,
            "<p>After accept, <b>{}</b>: <code>{}</code></p>",
            esc(category),
            esc(&names.join(", "))
        );
    }
    if !page.unmarked_scripts.is_empty() {
        let _ = writeln!(out, "<h3>Scripts without <code>data-assent</code></h3><ul>");
        for s in &page.unmarked_scripts {
            let advice = if s.categories.is_empty() {
                String::new()
            } else {
                format!(
                    " — mark with <code>data-assent=\"{}\"</code>",
                    esc(&s.categories.join(" "))
                )
            };
            let _ = writeln!(out, "<li><code>{}</code>{advice}</li>", esc(&s.source));
        }
        let _ = writeln!(out, "</ul>");
    }
    let _ = writeln!(out, "<h3>Timeline</h3><ol class=\"timeline\">");
    for e in &page.timeline {
        let class = match (e.kind.as_str(), e.violation) {
            (_, true) => " class=\"v\"",
            ("phase", _) => " class=\"phase\"",
            _ => "",
        };
        let _ = writeln!(
            out,
            "<li{class}><span class=\"t\">{} ms</span>{}</li>",
            e.at_ms,
            esc(&e.text)
        );
    }
    let _ = writeln!(out, "</ol>");
}

/// The HTML report.
pub fn html(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Assent scan report</title>\
         <meta name=\"viewport\" content=\"width=device-width\"><style>{STYLE}</style></head><body>"
    );
    let _ = writeln!(out, "<h1>Assent scan report</h1>");
    let verdict = if report.violations == 0 && report.errors.is_empty() {
        "<span class=\"ok\">No violation</span>".to_string()
    } else {
        format!(
            "<span class=\"bad\">{} violation(s), {} page(s) not scanned</span>",
            report.violations,
            report.errors.len()
        )
    };
    let _ = writeln!(
        out,
        "<p class=\"meta\">{verdict} · {} page(s) in {:.1} s · {} · {}</p>",
        report.pages.len(),
        report.duration_ms as f64 / 1000.0,
        esc(&report.tool),
        esc(&report.database)
    );
    let _ = writeln!(out, "<h2>Violations</h2>");
    if report.violations == 0 {
        let _ = writeln!(
            out,
            "<p class=\"ok\">Nothing non-essential was set or sent before consent or after a reject.</p>"
        );
    } else {
        let _ = writeln!(
            out,
            "<table><tr><th>Page</th><th>When</th><th>What</th><th>Name</th><th>Category</th><th>By</th></tr>"
        );
        for page in &report.pages {
            for v in &page.violations {
                let category = match (&v.category, &v.vendor) {
                    (Some(c), Some(vendor)) => format!("{c} ({vendor})"),
                    (Some(c), None) => c.clone(),
                    _ => "tracking request".to_string(),
                };
                let _ = writeln!(
                    out,
                    "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td class=\"bad\"><code>{}</code></td><td>{}</td><td><code>{}</code></td></tr>",
                    esc(&page.url),
                    esc(v.phase.label()),
                    esc(v.kind.label()),
                    esc(&v.name),
                    esc(&category),
                    esc(v.by.as_deref().unwrap_or(""))
                );
            }
        }
        let _ = writeln!(out, "</table>");
    }
    if !report.errors.is_empty() {
        let _ = writeln!(out, "<h2>Not scanned</h2><ul>");
        for e in &report.errors {
            let _ = writeln!(
                out,
                "<li><code>{}</code>: {}</li>",
                esc(&e.url),
                esc(&e.reason)
            );
        }
        let _ = writeln!(out, "</ul>");
    }
    for page in &report.pages {
        page_section(&mut out, page);
    }
    let _ = writeln!(out, "</body></html>");
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_markup() {
        assert_eq!(
            super::esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
