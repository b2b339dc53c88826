//! What a scan found: the data behind every report (the `--json` output is these types, serialised).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::classify::Class;

/// The three moments a page is looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PhaseName {
    /// Loaded in a fresh profile, nobody has chosen yet.
    BeforeChoice,
    /// After `assent.rejectAll()`.
    AfterReject,
    /// After `assent.acceptAll()`.
    AfterAccept,
}

impl PhaseName {
    pub fn label(self) -> &'static str {
        match self {
            PhaseName::BeforeChoice => "before any choice",
            PhaseName::AfterReject => "after Reject all",
            PhaseName::AfterAccept => "after Accept all",
        }
    }

    /// Whether anything non-essential here breaks consent.
    pub fn forbids_tracking(self) -> bool {
        self != PhaseName::AfterAccept
    }
}

/// One cookie present at the end of a phase.
#[derive(Debug, Clone, Serialize)]
pub struct Cookie {
    pub name: String,
    pub domain: String,
    pub path: String,
    /// Unix seconds; `None` for a session cookie.
    pub expires: Option<f64>,
    pub third_party: bool,
    /// The response URL (`Set-Cookie`) or the script URL (`document.cookie`) that set it, when seen.
    pub set_by: Option<String>,
    /// `false`: written during the phase but deleted again before its end (it was still set).
    pub present_at_end: bool,
    pub class: Class,
}

/// One localStorage or sessionStorage key present at the end of a phase.
#[derive(Debug, Clone, Serialize)]
pub struct StorageKey {
    pub name: String,
    /// The script URL that called `setItem`, when seen.
    pub set_by: Option<String>,
    /// `false`: written during the phase but removed again before its end.
    pub present_at_end: bool,
    pub class: Class,
}

/// One request to another site.
#[derive(Debug, Clone, Serialize)]
pub struct Request {
    pub url: String,
    pub host: String,
    /// CDP resource type: Script, Image, Fetch, XHR, Ping, …
    pub resource_type: String,
    /// The script or document that caused it.
    pub initiator: Option<String>,
    /// A known tracker host, or a beacon/fetch/XHR/WebSocket that sends data to another site.
    pub tracking: bool,
    /// Milliseconds since the page scan started.
    pub at_ms: u64,
}

/// What was there at the end of one phase.
#[derive(Debug, Clone, Serialize)]
pub struct Phase {
    pub name: PhaseName,
    pub cookies: Vec<Cookie>,
    pub local_storage: Vec<StorageKey>,
    pub session_storage: Vec<StorageKey>,
    /// Requests to other sites made during this phase.
    pub third_party_requests: Vec<Request>,
}

/// What kind of thing broke consent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ViolationKind {
    Cookie,
    LocalStorage,
    SessionStorage,
    Request,
}

impl ViolationKind {
    pub fn label(self) -> &'static str {
        match self {
            ViolationKind::Cookie => "cookie",
            ViolationKind::LocalStorage => "localStorage",
            ViolationKind::SessionStorage => "sessionStorage",
            ViolationKind::Request => "request",
        }
    }
}

/// A non-essential cookie or storage key, or a tracking request, before consent or after a reject.
#[derive(Debug, Clone, Serialize)]
pub struct Violation {
    pub phase: PhaseName,
    pub kind: ViolationKind,
    /// Cookie name, storage key or request URL.
    pub name: String,
    /// The category it belongs to, when known.
    pub category: Option<String>,
    pub vendor: Option<String>,
    /// Who set or sent it, when seen.
    pub by: Option<String>,
}

/// A script that runs without `data-assent`, so it is never blocked.
#[derive(Debug, Clone, Serialize)]
pub struct UnmarkedScript {
    /// `src`, or `inline script on <page>`.
    pub source: String,
    /// The start of an inline script.
    pub excerpt: Option<String>,
    /// Categories of what it set or sent before consent (empty: nothing non-essential was seen).
    pub categories: Vec<String>,
}

/// One entry of a page's timeline.
#[derive(Debug, Clone, Serialize)]
pub struct TimelineEntry {
    pub at_ms: u64,
    pub phase: PhaseName,
    /// `phase`, `cookie`, `storage`, `request`.
    pub kind: String,
    pub text: String,
    pub violation: bool,
}

/// Everything found on one page.
#[derive(Debug, Clone, Serialize)]
pub struct PageReport {
    pub url: String,
    pub final_url: String,
    pub title: String,
    /// Whether Assent (`window.assent`) was found and became ready.
    pub consent_manager: bool,
    /// Why the choice phases are missing, when they are.
    pub note: Option<String>,
    pub phases: Vec<Phase>,
    /// Cookie and storage names present before the choice and gone after the reject.
    pub deleted_on_reject: Vec<String>,
    /// New cookie and storage names after Accept all, per category (`unknown` when not classified).
    pub accepted_by_category: BTreeMap<String, Vec<String>>,
    pub unmarked_scripts: Vec<UnmarkedScript>,
    pub violations: Vec<Violation>,
    /// Cookie and storage names neither the config nor the database knows.
    pub unclassified: Vec<String>,
    pub timeline: Vec<TimelineEntry>,
    pub duration_ms: u64,
}

/// A page that could not be scanned.
#[derive(Debug, Clone, Serialize)]
pub struct PageError {
    pub url: String,
    pub reason: String,
}

/// A whole scan.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub tool: String,
    pub database: String,
    pub pages: Vec<PageReport>,
    pub errors: Vec<PageError>,
    pub violations: usize,
    pub duration_ms: u64,
}

impl Report {
    /// The exit code: 2 when a page could not be scanned, 1 for violations when asked to fail on them, else 0.
    pub fn exit_code(&self, fail_on_violation: bool) -> i32 {
        match (
            self.errors.is_empty(),
            fail_on_violation && self.violations > 0,
        ) {
            (false, _) => 2,
            (true, true) => 1,
            (true, false) => 0,
        }
    }
}
