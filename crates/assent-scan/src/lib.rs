//! `assent-scan`: proves what a site sets and sends before consent, and drafts its config from what it does.
//!
//! The scanner is its own binary, `assent-scan`, not a subcommand of `assent`: the DevTools client stays out of
//! the consent server's build, and a site owner can run the scanner without a server.
//!
//! ```text
//! assent-scan URL… [--pages N] [--follow-same-site] [--config FILE] [--json OUT] [--html OUT]
//!                  [--fail-on-violation] [--suggest]
//! ```
//!
//! Each page is loaded in a fresh headless Chromium (the installed one: nothing downloads a browser) with a fresh
//! profile, driven over the DevTools protocol ([`cdp`]). [`scan`] records, before any choice, after
//! `assent.rejectAll()` and after `assent.acceptAll()`: cookies (with who set them), localStorage and
//! sessionStorage keys, requests to other sites, and scripts without `data-assent`. [`classify`] names each
//! cookie and key from the site's config, then the shipped Open Cookie Database. A violation is a non-essential
//! cookie or storage key, or a tracking request, before consent or after a reject ([`model::Violation`]).
//! Reports: [`report`] (terminal, JSON), [`html`]; the config draft: [`suggest`].
//!
//! Exit codes: 0 scanned; 1 violations found with `--fail-on-violation`; 2 a page could not be scanned (the
//! reason is printed and kept in the report).

#![forbid(unsafe_code)]

pub mod cdp;
pub mod classify;
pub mod html;
mod judge;
pub mod model;
pub mod report;
pub mod scan;
pub mod suggest;

use std::collections::{BTreeSet, VecDeque};
use std::time::{Duration, Instant};

use assent_core::config::Config;

use crate::classify::{DATABASE_VERSION, site_of};
use crate::model::{PageError, Report};
use crate::scan::{Options, host_of, scan_page};

/// How many pages, and which.
#[derive(Debug, Clone)]
pub struct Crawl {
    pub urls: Vec<String>,
    /// Also scan same-site links found on scanned pages.
    pub follow_same_site: bool,
    /// At most this many pages in all.
    pub max_pages: usize,
    /// The longest the whole scan may take; pages not started by then are reported as not scanned.
    pub total_timeout: Duration,
}

/// Everything a scan produced: the report and the configs the pages declared.
#[derive(Debug)]
pub struct Outcome {
    pub report: Report,
    /// The first config found inline in a scanned page (a `--suggest` draft starts from it).
    pub page_config: Option<Config>,
}

/// Scans the pages, calling `progress(done, planned, url)` before each one.
pub fn run(
    crawl: &Crawl,
    options: &Options,
    mut progress: impl FnMut(usize, usize, &str),
) -> Outcome {
    let started = Instant::now();
    let deadline = started + crawl.total_timeout;
    let mut queue: VecDeque<String> = crawl.urls.iter().cloned().collect();
    let mut seen: BTreeSet<String> = queue.iter().map(|u| normalise(u)).collect();
    let sites: BTreeSet<String> = crawl
        .urls
        .iter()
        .filter_map(|u| host_of(u))
        .map(|h| site_of(&h))
        .collect();
    let mut pages = Vec::new();
    let mut errors = Vec::new();
    let mut page_config = None;
    let mut done = 0;
    while let Some(url) = queue.pop_front() {
        if done >= crawl.max_pages {
            break;
        }
        let planned = (done + 1 + queue.len()).min(crawl.max_pages);
        progress(done, planned, &url);
        done += 1;
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            errors.push(PageError {
                url,
                reason: format!(
                    "not scanned: the total timeout ({} s) ran out",
                    crawl.total_timeout.as_secs()
                ),
            });
            continue;
        }
        let mut page_options = options.clone();
        page_options.page_timeout = options.page_timeout.min(left);
        match scan_page(&url, &page_options) {
            Ok(scan) => {
                if page_config.is_none() {
                    page_config = scan.page_config;
                }
                if crawl.follow_same_site {
                    for link in scan.links {
                        let link = normalise(&link);
                        let same_site =
                            host_of(&link).is_some_and(|h| sites.contains(&site_of(&h)));
                        if same_site && looks_like_a_page(&link) && seen.insert(link.clone()) {
                            queue.push_back(link);
                        }
                    }
                }
                pages.push(scan.report);
            }
            Err(reason) => errors.push(PageError { url, reason }),
        }
    }
    let violations = pages.iter().map(|p| p.violations.len()).sum();
    Outcome {
        report: Report {
            tool: format!("assent-scan {}", env!("CARGO_PKG_VERSION")),
            database: DATABASE_VERSION.to_string(),
            pages,
            errors,
            violations,
            duration_ms: started.elapsed().as_millis() as u64,
        },
        page_config,
    }
}

/// Whether a link is worth following: http(s), and not a file such as a PDF, image or script.
fn looks_like_a_page(url: &str) -> bool {
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return false;
    }
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let last = path.rsplit('/').next().unwrap_or("");
    match last.rsplit_once('.') {
        None => true,
        Some((_, ext)) => matches!(
            ext.to_ascii_lowercase().as_str(),
            "html" | "htm" | "xhtml" | "php" | "asp" | "aspx" | "jsp"
        ),
    }
}

/// A URL without its fragment (the same page).
fn normalise(url: &str) -> String {
    url.split('#').next().unwrap_or(url).to_string()
}

#[cfg(test)]
mod tests {
    use super::looks_like_a_page;

    #[test]
    fn follows_pages_not_files() {
        assert!(looks_like_a_page("https://example.com/"));
        assert!(looks_like_a_page("https://example.com/shop/item?id=1"));
        assert!(looks_like_a_page("http://example.com/privacy.html#top"));
        assert!(!looks_like_a_page("https://example.com/terms.pdf"));
        assert!(!looks_like_a_page("mailto:a@example.com"));
        assert!(!looks_like_a_page("https://example.com/demo/prefs.mjs"));
    }
}
