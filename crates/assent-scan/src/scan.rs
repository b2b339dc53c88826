//! Scanning one page in a fresh browser: load it, record what is there before any choice, reject all, record
//! again, accept all, record again; then judge what was seen (see [`crate::model`]).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};

use assent_core::config::Config;
use serde_json::{Value, json};

use crate::cdp::{Browser, CdpError, Event, Launch};
use crate::classify::{Classifier, is_tracker_host, site_of};
use crate::model::{
    Cookie, PageReport, Phase, PhaseName, Request, StorageKey, TimelineEntry, UnmarkedScript,
};

/// Installed before any page script: records who writes `document.cookie` and Web Storage (the first
/// http(s) frame of the stack below this hook), so a cookie can be traced to the script that set it.
const HOOK: &str = r"(() => {
  const log = [];
  Object.defineProperty(window, '__assentScanLog', { value: log });
  const caller = () => {
    const lines = String(new Error().stack || '').split('\n').slice(2);
    for (const l of lines) { const m = l.match(/(https?:\/\/[^\s)]+?):\d+:\d+/); if (m) return m[1]; }
    return null;
  };
  const cookie = Object.getOwnPropertyDescriptor(Document.prototype, 'cookie');
  Object.defineProperty(Document.prototype, 'cookie', {
    configurable: true, enumerable: cookie.enumerable,
    get() { return cookie.get.call(this); },
    set(v) {
      const text = String(v);
      const expires = /;\s*expires\s*=\s*([^;]+)/i.exec(text);
      const del = /;\s*max-age\s*=\s*(0|-)/i.test(text) || (!!expires && Date.parse(expires[1]) < Date.now());
      log.push({ kind: 'cookie', name: text.split('=')[0].trim(), by: caller(), del, t: performance.now() });
      cookie.set.call(this, v);
    },
  });
  const removeItem = Storage.prototype.removeItem;
  Storage.prototype.removeItem = function (k) {
    let kind = 'session_storage';
    try { if (this === window.localStorage) kind = 'local_storage'; } catch (e) {}
    log.push({ kind, name: String(k), by: caller(), del: true, t: performance.now() });
    return removeItem.call(this, k);
  };
  const setItem = Storage.prototype.setItem;
  Storage.prototype.setItem = function (k, v) {
    let kind = 'session_storage';
    try { if (this === window.localStorage) kind = 'local_storage'; } catch (e) {}
    log.push({ kind, name: String(k), by: caller(), del: false, t: performance.now() });
    return setItem.call(this, k, v);
  };
})();";

/// Reads what is in the page at the end of a phase.
const SNAPSHOT: &str = r"(() => {
  const keys = (s) => { try { return Object.keys(window[s]); } catch (e) { return []; } };
  const isJs = (t) => !t || /^(text|application)\/(x-)?(javascript|ecmascript)$|^module$/i.test(t.trim());
  const scripts = [...document.scripts]
    .filter((s) => isJs(s.type) && !s.hasAttribute('data-assent'))
    .map((s) => ({ src: s.src || null, excerpt: s.src ? null : s.textContent.trim().slice(0, 80) }));
  const links = [...document.querySelectorAll('a[href]')].map((a) => a.href);
  return { local: keys('localStorage'), session: keys('sessionStorage'), log: window.__assentScanLog || [],
           scripts, links, title: document.title, url: location.href };
})()";

/// Finds the consent manager and waits until it has decided.
const FIND_ASSENT: &str = r"(async () => {
  const el = document.getElementById('assent-config');
  const config = el ? el.textContent : null;
  const a = window.assent;
  if (!a || !(a.ready instanceof Promise || typeof a.rejectAll === 'function')) return { found: false, config };
  const state = await Promise.race([Promise.resolve(a.ready), new Promise((r) => setTimeout(() => r(null), 5000))]);
  return { found: state !== null && typeof window.assent.rejectAll === 'function', config };
})()";

/// How to scan.
#[derive(Debug, Clone)]
pub struct Options {
    pub launch: Launch,
    /// The longest one page may take, from navigation to the last snapshot.
    pub page_timeout: Duration,
    /// The site config to classify with; `None`: the one inline in each page.
    pub config: Option<Config>,
    /// How long the network must stay quiet before a phase counts as finished.
    pub quiet: Duration,
}

/// One scanned page and the links found on it.
#[derive(Debug)]
pub struct PageScan {
    pub report: PageReport,
    pub links: Vec<String>,
    /// The config the page declared, as read (`None`: none or unreadable).
    pub page_config: Option<Config>,
}

/// The host of an http(s) URL (`None` for data:, blob:, about: …).
pub fn host_of(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .or_else(|| url.strip_prefix("ws://"))
        .or_else(|| url.strip_prefix("wss://"))?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host_port = authority.rsplit('@').next()?;
    let host = if let Some(v6) = host_port.strip_prefix('[') {
        format!("[{}]", v6.split(']').next()?)
    } else {
        host_port.split(':').next()?.to_string()
    };
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

/// Resource types that send data from a script to another site.
const DATA_SENDING: &[&str] = &["Ping", "Fetch", "XHR", "EventSource", "WebSocket"];

#[derive(Debug)]
struct Recorder {
    started: Instant,
    phase: PhaseName,
    site: String,
    requests: BTreeMap<PhaseName, Vec<Request>>,
    request_urls: HashMap<String, String>,
    /// Cookie name → the response that set it.
    set_cookie_by: HashMap<String, String>,
    timeline: Vec<TimelineEntry>,
    /// The main document's answer: (status, MIME type).
    document: Option<(u64, String)>,
    frame_id: String,
    loaded: bool,
    /// Cookies already put on the timeline as present.
    reported: BTreeSet<String>,
    last_activity: Instant,
}

impl Recorder {
    fn at_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    fn mark(&mut self, kind: &str, text: String, violation: bool) {
        self.timeline.push(TimelineEntry {
            at_ms: self.at_ms(),
            phase: self.phase,
            kind: kind.to_string(),
            text,
            violation,
        });
    }

    fn handle(&mut self, event: &Event) {
        let p = &event.params;
        match event.method.as_str() {
            "Network.requestWillBeSent" => {
                self.last_activity = Instant::now();
                let url = p["request"]["url"].as_str().unwrap_or_default().to_string();
                let id = p["requestId"].as_str().unwrap_or_default().to_string();
                self.request_urls.insert(id, url.clone());
                let Some(host) = host_of(&url) else { return };
                if site_of(&host) == self.site {
                    return;
                }
                let resource_type = p["type"].as_str().unwrap_or("Other").to_string();
                let initiator = p["initiator"]["stack"]["callFrames"]
                    .as_array()
                    .and_then(|f| {
                        f.iter()
                            .find_map(|f| f["url"].as_str().filter(|u| !u.is_empty()))
                    })
                    .or_else(|| p["initiator"]["url"].as_str())
                    .or_else(|| p["documentURL"].as_str())
                    .map(str::to_string);
                let tracking =
                    is_tracker_host(&host) || DATA_SENDING.contains(&resource_type.as_str());
                let violation = tracking && self.phase.forbids_tracking();
                self.mark(
                    "request",
                    format!(
                        "{resource_type} {url}{}",
                        if tracking { " (tracking)" } else { "" }
                    ),
                    violation,
                );
                let request = Request {
                    url,
                    host,
                    resource_type,
                    initiator,
                    tracking,
                    at_ms: self.at_ms(),
                };
                self.requests.entry(self.phase).or_default().push(request);
            }
            "Network.responseReceived" => {
                self.last_activity = Instant::now();
                if p["type"] == "Document" && p["frameId"].as_str() == Some(self.frame_id.as_str())
                {
                    let status = p["response"]["status"].as_u64().unwrap_or(0);
                    let mime = p["response"]["mimeType"].as_str().unwrap_or_default();
                    self.document = Some((status, mime.to_string()));
                }
            }
            "Network.responseReceivedExtraInfo" => {
                let Some(headers) = p["headers"].as_object() else {
                    return;
                };
                let url = p["requestId"]
                    .as_str()
                    .and_then(|id| self.request_urls.get(id))
                    .cloned()
                    .unwrap_or_default();
                for (name, value) in headers {
                    if !name.eq_ignore_ascii_case("set-cookie") {
                        continue;
                    }
                    for line in value.as_str().unwrap_or_default().lines() {
                        let cookie = line.split('=').next().unwrap_or_default().trim();
                        if !cookie.is_empty() {
                            self.set_cookie_by
                                .entry(cookie.to_string())
                                .or_insert_with(|| url.clone());
                        }
                    }
                }
            }
            "Network.loadingFinished" | "Network.loadingFailed" => {
                self.last_activity = Instant::now();
            }
            "Page.loadEventFired" => self.loaded = true,
            _ => {}
        }
    }
}

fn timeout_error(what: &str, timeout: Duration) -> String {
    format!("{what} within the page timeout ({} s)", timeout.as_secs())
}

struct Session<'a> {
    browser: Browser,
    recorder: Recorder,
    /// Entries of the page's write log already assigned to a phase.
    log_seen: usize,
    /// When the navigation started, in scan milliseconds (the page's `performance.now()` counts from there).
    navigated_ms: u64,
    deadline: Instant,
    options: &'a Options,
}

impl Session<'_> {
    fn call(&mut self, method: &str, params: Value) -> Result<Value, String> {
        let result = self
            .browser
            .call(method, params, self.deadline)
            .map_err(|e| self.explain(&e))?;
        self.drain()?;
        Ok(result)
    }

    fn explain(&self, e: &CdpError) -> String {
        if Instant::now() >= self.deadline {
            timeout_error("the page did not finish", self.options.page_timeout)
        } else {
            e.to_string()
        }
    }

    /// Handles the events already received.
    fn drain(&mut self) -> Result<(), String> {
        while let Some(e) = self
            .browser
            .next_event(Instant::now())
            .map_err(|e| e.to_string())?
        {
            self.recorder.handle(&e);
        }
        Ok(())
    }

    /// Handles events until the network has been quiet for `quiet` (or the page deadline).
    fn settle(&mut self) -> Result<(), String> {
        self.recorder.last_activity = Instant::now();
        loop {
            let quiet_until = self.recorder.last_activity + self.options.quiet;
            let until = quiet_until.min(self.deadline);
            match self.browser.next_event(until).map_err(|e| e.to_string())? {
                Some(e) => self.recorder.handle(&e),
                None if Instant::now() >= self.deadline => return Ok(()),
                None if Instant::now() >= self.recorder.last_activity + self.options.quiet => {
                    return Ok(());
                }
                None => {}
            }
        }
    }

    fn evaluate(&mut self, expression: &str) -> Result<Value, String> {
        let result = self.call(
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true, "awaitPromise": true}),
        )?;
        if let Some(ex) = result.get("exceptionDetails") {
            let text = ex["exception"]["description"]
                .as_str()
                .or_else(|| ex["text"].as_str())
                .unwrap_or("exception");
            return Err(format!("a script in the page failed: {text}"));
        }
        Ok(result["result"]["value"].clone())
    }
}

/// Scans one page in a fresh browser.
pub fn scan_page(url: &str, options: &Options) -> Result<PageScan, String> {
    let site = host_of(url)
        .map(|h| site_of(&h))
        .ok_or_else(|| format!("not an http(s) URL: {url}"))?;
    let browser = Browser::launch(&options.launch).map_err(|e| e.to_string())?;
    // The page's time starts once the browser is up (its start-up has its own timeout).
    let started = Instant::now();
    let deadline = started + options.page_timeout;
    let recorder = Recorder {
        started,
        phase: PhaseName::BeforeChoice,
        site,
        requests: BTreeMap::new(),
        request_urls: HashMap::new(),
        set_cookie_by: HashMap::new(),
        timeline: Vec::new(),
        document: None,
        frame_id: String::new(),
        loaded: false,
        reported: BTreeSet::new(),
        last_activity: started,
    };
    let mut s = Session {
        browser,
        recorder,
        log_seen: 0,
        navigated_ms: 0,
        deadline,
        options,
    };
    s.call("Network.enable", json!({}))?;
    s.call("Network.setCacheDisabled", json!({"cacheDisabled": true}))?;
    s.call("Page.enable", json!({}))?;
    s.call(
        "Page.addScriptToEvaluateOnNewDocument",
        json!({"source": HOOK}),
    )?;
    // The main frame's id first: its document's response can arrive before `Page.navigate` answers.
    let tree = s.call("Page.getFrameTree", json!({}))?;
    s.recorder.frame_id = tree["frameTree"]["frame"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    s.recorder
        .mark("phase", format!("navigate to {url}"), false);
    s.navigated_ms = s.recorder.at_ms();
    let nav = s.call("Page.navigate", json!({"url": url}))?;
    if let Some(error) = nav["errorText"].as_str().filter(|e| !e.is_empty()) {
        return Err(explain_navigation_error(error));
    }
    while !s.recorder.loaded {
        match s.browser.next_event(deadline).map_err(|e| e.to_string())? {
            Some(e) => s.recorder.handle(&e),
            None => {
                return Err(timeout_error(
                    "the page did not finish loading",
                    options.page_timeout,
                ));
            }
        }
    }
    match &s.recorder.document {
        Some((status, _)) if *status >= 400 => {
            return Err(format!("the page answered HTTP {status}"));
        }
        Some((_, mime)) if !matches!(mime.as_str(), "text/html" | "application/xhtml+xml") => {
            return Err(format!("not an HTML page (the answer is {mime})"));
        }
        None => return Err("the page sent no document".to_string()),
        _ => {}
    }
    s.recorder.mark("phase", "loaded".to_string(), false);
    s.settle()?;

    let found = s.evaluate(FIND_ASSENT)?;
    let consent_manager = found["found"].as_bool().unwrap_or(false);
    let page_config = found["config"]
        .as_str()
        .and_then(|text| Config::from_json(text).ok());
    let config_note = match (found["config"].as_str(), &page_config) {
        (Some(_), None) => {
            Some("the page's inline assent-config is not accepted by the config reader")
        }
        _ => None,
    };
    let classifier = Classifier::new(options.config.clone().or_else(|| page_config.clone()));
    let mut phases = Vec::new();
    let before = snapshot(&mut s, &classifier)?;
    let links = before.1;
    let title = before.2.clone();
    let final_url = before.3.clone();
    let unmarked = before.4;
    phases.push(before.0);

    let mut note = config_note.map(str::to_string);
    if consent_manager {
        for (phase, call) in [
            (PhaseName::AfterReject, "window.assent.rejectAll(); true"),
            (PhaseName::AfterAccept, "window.assent.acceptAll(); true"),
        ] {
            s.drain()?;
            s.recorder.phase = phase;
            s.recorder.mark("phase", phase.label().to_string(), false);
            s.evaluate(call)?;
            s.settle()?;
            phases.push(snapshot(&mut s, &classifier)?.0);
        }
    } else {
        note = Some(
            "no consent manager found (no window.assent): only the state before any choice was recorded"
                .to_string(),
        );
    }
    s.recorder.mark("phase", "done".to_string(), false);
    let report = crate::judge::judge(
        url,
        final_url,
        title,
        consent_manager,
        note,
        phases,
        unmarked,
        s.recorder.timeline,
        started.elapsed(),
    );
    Ok(PageScan {
        report,
        links,
        page_config,
    })
}

fn explain_navigation_error(error: &str) -> String {
    let why = match error {
        "net::ERR_NAME_NOT_RESOLVED" => "the host name does not resolve",
        "net::ERR_CONNECTION_REFUSED" => "the connection was refused (nothing listens there)",
        "net::ERR_CONNECTION_TIMED_OUT" | "net::ERR_TIMED_OUT" => "the connection timed out",
        "net::ERR_TOO_MANY_REDIRECTS" => "the page redirects in a loop",
        "net::ERR_ADDRESS_UNREACHABLE" | "net::ERR_INTERNET_DISCONNECTED" => {
            "the host is unreachable"
        }
        e if e.starts_with("net::ERR_CERT_") || e.starts_with("net::ERR_SSL_") => {
            "the TLS connection failed (certificate or handshake)"
        }
        _ => "the page could not be loaded",
    };
    format!("{why} ({error})")
}

type Snapshot = (Phase, Vec<String>, String, String, Vec<UnmarkedScript>);

fn snapshot(s: &mut Session<'_>, classifier: &Classifier) -> Result<Snapshot, String> {
    let page = s.evaluate(SNAPSHOT)?;
    let cookies = s.call("Network.getAllCookies", json!({}))?;
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let log = page["log"].as_array().cloned().unwrap_or_default();
    // The writes made during this phase, in order (the log holds every write since the page loaded).
    let writes: Vec<Value> = log.iter().skip(s.log_seen).cloned().collect();
    s.log_seen = log.len();
    let set_by_script = |kind: &str, name: &str| -> Option<String> {
        log.iter()
            .rev()
            .find(|e| e["kind"] == kind && e["name"] == name && e["del"] != true)
            .and_then(|e| e["by"].as_str().map(str::to_string))
    };
    let phase_name = s.recorder.phase;
    let forbids = phase_name.forbids_tracking();
    let mut phase = Phase {
        name: phase_name,
        cookies: Vec::new(),
        local_storage: Vec::new(),
        session_storage: Vec::new(),
        third_party_requests: s
            .recorder
            .requests
            .get(&phase_name)
            .cloned()
            .unwrap_or_default(),
    };
    for w in &writes {
        let (kind, name) = (
            w["kind"].as_str().unwrap_or(""),
            w["name"].as_str().unwrap_or(""),
        );
        let class = if kind == "cookie" {
            classifier.cookie(name)
        } else {
            classifier.storage_key(name)
        };
        let deleting = w["del"] == true;
        let by = w["by"].as_str().unwrap_or("an inline script");
        s.recorder.timeline.push(TimelineEntry {
            at_ms: s.navigated_ms + w["t"].as_f64().unwrap_or(0.0) as u64,
            phase: phase_name,
            kind: if kind == "cookie" {
                "cookie"
            } else {
                "storage"
            }
            .into(),
            text: format!(
                "{} {} {name} ({}) by {by}",
                if deleting { "deleted" } else { "set" },
                kind.replace('_', " "),
                class.category.as_deref().unwrap_or("unknown")
            ),
            violation: !deleting && forbids && class.needs_consent(),
        });
    }
    let written: BTreeSet<(&str, &str)> = writes
        .iter()
        .filter(|w| w["del"] != true)
        .map(|w| {
            (
                w["kind"].as_str().unwrap_or(""),
                w["name"].as_str().unwrap_or(""),
            )
        })
        .collect();
    for c in cookies["cookies"].as_array().into_iter().flatten() {
        let name = c["name"].as_str().unwrap_or_default().to_string();
        let domain = c["domain"].as_str().unwrap_or_default().to_string();
        let set_by =
            set_by_script("cookie", &name).or_else(|| s.recorder.set_cookie_by.get(&name).cloned());
        let class = classifier.cookie(&name);
        if !written.contains(&("cookie", name.as_str())) && !s.recorder.reported.contains(&name) {
            // Not written from a script in this phase: set by a response (or earlier), shown once.
            s.recorder.reported.insert(name.clone());
            s.recorder.timeline.push(TimelineEntry {
                at_ms: s.recorder.at_ms(),
                phase: phase_name,
                kind: "cookie".into(),
                text: format!(
                    "cookie {name} ({}) present{}",
                    class.category.as_deref().unwrap_or("unknown"),
                    set_by
                        .as_deref()
                        .map(|b| format!(", set by {b}"))
                        .unwrap_or_default()
                ),
                violation: forbids && class.needs_consent(),
            });
        }
        phase.cookies.push(Cookie {
            third_party: site_of(domain.trim_start_matches('.')) != s.recorder.site,
            expires: c["expires"]
                .as_f64()
                .filter(|e| *e > 0.0 && c["session"] != true),
            path: c["path"].as_str().unwrap_or("/").to_string(),
            name,
            domain,
            set_by,
            present_at_end: true,
            class,
        });
    }
    for (key, list, kind) in [
        ("local", &mut phase.local_storage, "local_storage"),
        ("session", &mut phase.session_storage, "session_storage"),
    ] {
        for name in strings(&page[key]) {
            list.push(StorageKey {
                set_by: set_by_script(kind, &name),
                class: classifier.storage_key(&name),
                present_at_end: true,
                name,
            });
        }
    }
    // Written during this phase but gone by its end (e.g. set by a tracker, then deleted by the consent
    // manager): it was still set, so it still counts.
    for (kind, name) in &written {
        let by = set_by_script(kind, name);
        match *kind {
            "cookie" if !phase.cookies.iter().any(|c| c.name == *name) => {
                phase.cookies.push(Cookie {
                    name: (*name).to_string(),
                    domain: String::new(),
                    path: String::new(),
                    expires: None,
                    third_party: false,
                    set_by: by,
                    present_at_end: false,
                    class: classifier.cookie(name),
                });
            }
            "local_storage" | "session_storage" => {
                let list = if *kind == "local_storage" {
                    &mut phase.local_storage
                } else {
                    &mut phase.session_storage
                };
                if !list.iter().any(|k| k.name == *name) {
                    list.push(StorageKey {
                        name: (*name).to_string(),
                        set_by: by,
                        present_at_end: false,
                        class: classifier.storage_key(name),
                    });
                }
            }
            _ => {}
        }
    }
    let unmarked = page["scripts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|script| {
            let src = script["src"].as_str().map(str::to_string);
            // The consent manager's own bootstrap is the one script that must run unmarked.
            if src.as_deref().is_some_and(is_assent_bootstrap) {
                return None;
            }
            Some(UnmarkedScript {
                source: src.unwrap_or_else(|| {
                    format!(
                        "inline script on {}",
                        page["url"].as_str().unwrap_or_default()
                    )
                }),
                excerpt: script["excerpt"].as_str().map(str::to_string),
                categories: Vec::new(),
            })
        })
        .collect();
    let links = strings(&page["links"]);
    let title = page["title"].as_str().unwrap_or_default().to_string();
    let url = page["url"].as_str().unwrap_or_default().to_string();
    Ok((phase, links, title, url, unmarked))
}

/// The consent manager's own scripts: `/assent/assent.js` and the modules it loads from the same directory
/// (`assent_web.js`, `assent_full.js`, `assent_ui.js`), or a self-hosted `…/assent.js`.
fn is_assent_bootstrap(src: &str) -> bool {
    let path = src.split(['?', '#']).next().unwrap_or(src);
    let (dir, file) = path.rsplit_once('/').unwrap_or(("", path));
    let module = file.strip_prefix("assent_").is_some_and(|rest| {
        std::path::Path::new(rest)
            .extension()
            .is_some_and(|e| e == "js")
    });
    let ours = file == "assent.js" || module;
    ours && (file == "assent.js" || dir.ends_with("/assent"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        assert_eq!(
            host_of("https://a.Example.com:8080/x?y").as_deref(),
            Some("a.example.com")
        );
        assert_eq!(host_of("http://user@h/").as_deref(), Some("h"));
        assert_eq!(host_of("http://[::1]:80/").as_deref(), Some("[::1]"));
        assert_eq!(host_of("data:text/plain,x"), None);
    }

    #[test]
    fn the_consent_manager_scripts_are_not_unmarked_scripts() {
        assert!(is_assent_bootstrap(
            "https://a.example/assent/assent.js?v=3"
        ));
        assert!(is_assent_bootstrap(
            "https://a.example/assent/assent_full.js"
        ));
        assert!(is_assent_bootstrap("https://a.example/static/assent.js"));
        assert!(!is_assent_bootstrap(
            "https://a.example/js/assent_tracker.js"
        ));
        assert!(!is_assent_bootstrap(
            "https://a.example/assent/analytics.js"
        ));
    }

    #[test]
    fn navigation_errors_are_explained() {
        assert!(
            explain_navigation_error("net::ERR_TOO_MANY_REDIRECTS").contains("redirects in a loop")
        );
        assert!(explain_navigation_error("net::ERR_CERT_AUTHORITY_INVALID").contains("TLS"));
        assert!(explain_navigation_error("net::ERR_CONNECTION_REFUSED").contains("refused"));
    }
}
