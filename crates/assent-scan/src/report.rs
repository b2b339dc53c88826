//! The terminal summary (a table per page, colour only on a terminal) and the JSON report.

use std::fmt::Write as _;

use crate::model::{PageReport, PhaseName, Report};

/// Terminal colours, or none.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub colour: bool,
}

impl Style {
    fn paint(self, code: &str, text: &str) -> String {
        if self.colour {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
    fn red(self, t: &str) -> String {
        self.paint("1;31", t)
    }
    fn green(self, t: &str) -> String {
        self.paint("32", t)
    }
    fn yellow(self, t: &str) -> String {
        self.paint("33", t)
    }
    fn bold(self, t: &str) -> String {
        self.paint("1", t)
    }
}

/// The JSON report.
pub fn json(report: &Report) -> String {
    serde_json::to_string_pretty(report).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

fn page_table(out: &mut String, page: &PageReport, style: Style) {
    let _ = writeln!(out, "\n{}", style.bold(&page.url));
    if !page.title.is_empty() {
        let _ = writeln!(out, "  title: {}", page.title);
    }
    if page.consent_manager {
        let _ = writeln!(out, "  consent manager: Assent");
    }
    if let Some(note) = &page.note {
        let _ = writeln!(out, "  {}", style.yellow(&format!("note: {note}")));
    }
    let _ = writeln!(
        out,
        "  {:<20} {:>8} {:>9} {:>11} {:>12}",
        "phase", "cookies", "storage", "3rd-party", "violations"
    );
    for phase in &page.phases {
        let violations = page
            .violations
            .iter()
            .filter(|v| v.phase == phase.name)
            .count();
        let v = format!("{violations:>12}");
        let _ = writeln!(
            out,
            "  {:<20} {:>8} {:>9} {:>11} {}",
            phase.name.label(),
            phase.cookies.len(),
            phase.local_storage.len() + phase.session_storage.len(),
            phase.third_party_requests.len(),
            if violations > 0 { style.red(&v) } else { v }
        );
    }
    for v in &page.violations {
        let what = match (&v.category, &v.vendor) {
            (Some(c), Some(vendor)) => format!(" [{c}, {vendor}]"),
            (Some(c), None) => format!(" [{c}]"),
            _ => " [tracking]".to_string(),
        };
        let by =
            v.by.as_deref()
                .map(|b| format!(" by {b}"))
                .unwrap_or_default();
        let _ = writeln!(
            out,
            "  {} {} {} {}{what}{by}",
            style.red("VIOLATION"),
            v.phase.label(),
            v.kind.label(),
            v.name
        );
    }
    if !page.deleted_on_reject.is_empty() {
        let _ = writeln!(
            out,
            "  deleted on reject: {}",
            page.deleted_on_reject.join(", ")
        );
    }
    for (category, names) in &page.accepted_by_category {
        let _ = writeln!(out, "  after accept, {category}: {}", names.join(", "));
    }
    let unmarked: Vec<&str> = page
        .unmarked_scripts
        .iter()
        .map(|s| s.source.as_str())
        .collect();
    if !unmarked.is_empty() {
        let _ = writeln!(
            out,
            "  scripts without data-assent: {}",
            unmarked.join(", ")
        );
    }
    if !page.unclassified.is_empty() {
        let _ = writeln!(
            out,
            "  unknown names (review): {}",
            page.unclassified.join(", ")
        );
    }
}

/// The terminal summary.
pub fn terminal(report: &Report, style: Style) -> String {
    let mut out = String::new();
    for page in &report.pages {
        page_table(&mut out, page, style);
    }
    for e in &report.errors {
        let _ = writeln!(
            out,
            "\n{} {}: {}",
            style.red("COULD NOT SCAN"),
            e.url,
            e.reason
        );
    }
    let pages = report.pages.len();
    let before = report
        .pages
        .iter()
        .flat_map(|p| &p.violations)
        .filter(|v| v.phase == PhaseName::BeforeChoice)
        .count();
    let summary = format!(
        "\n{pages} page(s) scanned in {:.1} s, {} could not be scanned: {} violation(s) ({before} before any choice, {} after reject). Database: {}.",
        report.duration_ms as f64 / 1000.0,
        report.errors.len(),
        report.violations,
        report.violations - before,
        report.database
    );
    let _ = writeln!(
        out,
        "{}",
        if report.violations > 0 || !report.errors.is_empty() {
            style.red(&summary)
        } else {
            style.green(&summary)
        }
    );
    out
}
