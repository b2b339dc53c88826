//! The dashboard's pages.

pub mod email;
pub mod keys;
pub mod overview;
pub mod records;
pub mod signin;
pub mod subject;

use super::html::Html;

/// Unix milliseconds as `2026-12-01 10:22:44 UTC`.
pub fn when(ms: i64) -> String {
    let t = crate::time::rfc3339_millis(ms);
    format!("{} {} UTC", &t[..10], &t[11..19])
}

/// A `<dl>` of label/value pairs.
pub fn fields(h: &mut Html, rows: &[(&str, String)]) {
    h.open("dl", &[("class", "fields")]);
    for (k, v) in rows {
        h.el("dt", &[], k).el("dd", &[], v);
    }
    h.close("dl");
}

/// The "From" / "To" date inputs of a filter form (`name` `from` and `to`, `YYYY-MM-DD`).
pub fn date_range(h: &mut Html, from: &str, to: &str) {
    for (id, label, value) in [("from", "From", from), ("to", "To", to)] {
        h.open("label", &[("for", id)])
            .text(label)
            .close("label")
            .open(
                "input",
                &[("type", "date"), ("id", id), ("name", id), ("value", value)],
            );
    }
}
