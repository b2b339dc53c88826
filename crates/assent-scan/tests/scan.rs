//! `assent-scan` end to end, in the real headless Chromium, against loopback servers only.

mod support;

use assent_core::config::Config;
use serde_json::Value;
use support::{AssentServer, ThirdParty, scan, scan_json};

fn violations(report: &Value) -> Vec<&Value> {
    report["pages"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["violations"].as_array().unwrap())
        .collect()
}

/// The site's tracker: an unmarked script that sets `_ga` and reports to a third-party host at once.
fn tracker_js(third_party_port: u16) -> String {
    format!(
        "document.cookie = '_ga=GA1.1.424242.1700000000; Max-Age=63072000; Path=/; SameSite=Lax';\n\
         localStorage.setItem('_hjid', 'abc');\n\
         fetch('http://tracker.test:{third_party_port}/collect?tid=G-TEST&cid=424242', {{mode: 'no-cors'}});\n\
         // Set once the consent manager has started (and cleaned up), so it is still there before the choice.\n\
         document.addEventListener('assent:ready', () => setTimeout(() => {{\n\
           document.cookie = '_gid=GA1.1.99; Max-Age=86400; Path=/; SameSite=Lax';\n\
         }}, 50));\n"
    )
}

const TRACKED_PAGE: &str = r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Tracked shop</title>
<script type="application/json" id="assent-config">
{"revision": 1, "mode": "opt-in", "site": "shop.test", "policy_url": "/privacy",
 "categories": {"analytics": {"cookies": ["_ga", "_ga_*", "_gid"], "local_storage": ["_hjid"]}}}
</script>
<script src="/assent/assent.js" defer></script>
<script src="/scan/tracker.js"></script>
</head><body><h1>Shop</h1><a href="/scan/plain.html">plain</a></body></html>"#;

const PLAIN_PAGE: &str = r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>No consent manager</title>
<script src="/scan/tracker.js"></script></head><body><p>Nothing asks for consent here.</p></body></html>"#;

fn fixtures(third_party: &ThirdParty) -> Vec<(&'static str, String)> {
    vec![
        ("scan/tracked.html", TRACKED_PAGE.to_string()),
        ("scan/plain.html", PLAIN_PAGE.to_string()),
        ("scan/tracker.js", tracker_js(third_party.port)),
    ]
}

fn resolver_rule() -> String {
    "--browser-arg=--host-resolver-rules=MAP tracker.test 127.0.0.1".to_string()
}

#[test]
fn our_examples_set_nothing_before_consent() {
    let server = AssentServer::start(&[]);
    let pages = [
        server.url("/"),
        server.url("/examples/connact/"),
        server.url("/examples/crmoz/"),
        server.url("/examples/croo/"),
    ];
    let mut args: Vec<&str> = pages.iter().map(String::as_str).collect();
    args.push("--fail-on-violation");
    let (code, report, _) = scan_json(&args);
    assert_eq!(code, 0, "our own examples must scan clean");
    assert_eq!(report["violations"], 0);
    assert!(violations(&report).is_empty());
    assert_eq!(report["errors"].as_array().unwrap().len(), 0);
    let scanned = report["pages"].as_array().unwrap();
    assert_eq!(scanned.len(), 4);
    for page in scanned {
        assert_eq!(page["consent_manager"], true, "{} has Assent", page["url"]);
        let phases: Vec<&str> = page["phases"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert_eq!(phases, ["before_choice", "after_reject", "after_accept"]);
    }
    // The scan sees what the demo's blocked analytics tag does once it is allowed: it is not blind.
    let demo = &scanned[0];
    let analytics: Vec<&str> = demo["accepted_by_category"]["analytics"]
        .as_array()
        .expect("the demo's analytics tag sets something after Accept all")
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(analytics.contains(&"_ga"), "{analytics:?}");
}

#[test]
fn a_tracker_before_consent_is_a_violation_and_exits_1() {
    let third_party = ThirdParty::start();
    let server = AssentServer::start(&fixtures(&third_party));
    let url = server.url("/scan/tracked.html");
    let rule = resolver_rule();
    let (code, report, output) = scan_json(&[&url, &rule, "--fail-on-violation"]);
    assert_eq!(code, 1);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("VIOLATION before any choice cookie _ga"),
        "{stdout}"
    );

    let found = violations(&report);
    let cookie = found
        .iter()
        .find(|v| v["kind"] == "cookie" && v["name"] == "_ga")
        .expect("_ga before consent is reported");
    assert_eq!(cookie["phase"], "before_choice");
    assert_eq!(cookie["category"], "analytics");
    assert!(
        cookie["by"].as_str().unwrap().ends_with("/scan/tracker.js"),
        "{cookie}"
    );
    assert!(
        found
            .iter()
            .any(|v| v["kind"] == "local_storage" && v["name"] == "_hjid")
    );
    let request = found
        .iter()
        .find(|v| v["kind"] == "request")
        .expect("the call to the third-party host is reported");
    assert!(
        request["name"]
            .as_str()
            .unwrap()
            .starts_with("http://tracker.test:"),
        "{request}"
    );
    assert_eq!(request["phase"], "before_choice");
    // The request really left the browser, to the second loopback server under the other name.
    assert!(
        third_party
            .requests()
            .iter()
            .any(|r| r.starts_with(&format!("tracker.test:{}/collect", third_party.port))),
        "{:?}",
        third_party.requests()
    );

    let page = &report["pages"][0];
    assert_eq!(page["consent_manager"], true);
    // `_ga` was set before the choice and deleted again by Assent's start-up clean-up: still a violation, and
    // the report says it is gone. `_gid`, set after the start-up, stays until the reject deletes it.
    let before = &page["phases"][0];
    let ga = before["cookies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "_ga")
        .unwrap();
    assert_eq!(ga["present_at_end"], false, "{ga}");
    assert!(
        found
            .iter()
            .any(|v| v["name"] == "_gid" && v["phase"] == "before_choice")
    );
    let deleted: Vec<&str> = page["deleted_on_reject"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(deleted.contains(&"_gid"), "{deleted:?}");
    assert!(
        !found.iter().any(|v| v["phase"] == "after_reject"),
        "nothing non-essential is left after the reject: {found:?}"
    );
    let unmarked = page["unmarked_scripts"].as_array().unwrap();
    let tracker = unmarked
        .iter()
        .find(|s| s["source"].as_str().unwrap().ends_with("/scan/tracker.js"))
        .expect("the tracker is listed as a script without data-assent");
    assert_eq!(tracker["categories"][0], "analytics");
    assert!(
        !unmarked
            .iter()
            .any(|s| s["source"].as_str().unwrap().ends_with("/assent/assent.js")),
        "the consent manager itself is not a script to mark"
    );
}

#[test]
fn suggest_drafts_a_config_the_reader_accepts() {
    let third_party = ThirdParty::start();
    let server = AssentServer::start(&fixtures(&third_party));
    let url = server.url("/scan/plain.html");
    let rule = resolver_rule();
    let output = scan(&[&url, &rule, "--suggest"]);
    assert_eq!(output.status.code(), Some(0));
    let draft = String::from_utf8(output.stdout).unwrap();
    let config = Config::from_json(&draft)
        .unwrap_or_else(|e| panic!("the draft is not accepted: {e}\n{draft}"));
    let analytics = config
        .category_by_name("analytics")
        .expect("an analytics category");
    assert!(
        analytics.cookies.iter().any(|p| p.matches("_ga")),
        "{draft}"
    );
    assert!(
        analytics.local_storage.iter().any(|p| p.matches("_hjid")),
        "{draft}"
    );
    let advice = String::from_utf8_lossy(&output.stderr);
    assert!(
        advice.contains("analytics: Google Analytics: _ga"),
        "{advice}"
    );
    assert!(
        advice.contains("data-assent=\"analytics\"") && advice.contains("/scan/tracker.js"),
        "{advice}"
    );

    // Scanned again with the draft, the same cookie is classified from the site's config.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("draft.json");
    std::fs::write(&file, &draft).unwrap();
    let (_, report, _) = scan_json(&[&url, &rule, "--config", file.to_str().unwrap()]);
    let cookie = report["pages"][0]["phases"][0]["cookies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "_ga")
        .unwrap()
        .clone();
    assert_eq!(cookie["class"]["source"], "site_config");
}

#[test]
fn a_page_without_assent_is_still_reported() {
    let third_party = ThirdParty::start();
    let server = AssentServer::start(&fixtures(&third_party));
    let url = server.url("/scan/plain.html");
    let rule = resolver_rule();
    let (code, report, output) = scan_json(&[&url, &rule]);
    assert_eq!(
        code, 0,
        "without --fail-on-violation a violation does not fail the scan"
    );
    let page = &report["pages"][0];
    assert_eq!(page["consent_manager"], false);
    assert!(
        page["note"]
            .as_str()
            .unwrap()
            .contains("no consent manager found")
    );
    assert_eq!(page["phases"].as_array().unwrap().len(), 1);
    assert!(
        violations(&report)
            .iter()
            .any(|v| v["name"] == "_ga" && v["vendor"] == "Google Analytics"),
        "the database classifies _ga without any site config"
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("no consent manager found"));
}

#[test]
fn what_cannot_be_scanned_exits_2_with_the_reason() {
    let third_party = ThirdParty::start();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_port = closed.local_addr().unwrap().port();
    drop(closed);
    let base = format!("http://127.0.0.1:{}", third_party.port);
    let cases = [
        (
            format!("http://127.0.0.1:{closed_port}/"),
            "connection was refused",
        ),
        (format!("https://127.0.0.1:{}/", third_party.port), "TLS"),
        (format!("{base}/data.json"), "not an HTML page"),
        (format!("{base}/loop"), "redirects in a loop"),
        (format!("{base}/hang"), "did not finish loading"),
        (
            "http://no-such-host.invalid/".to_string(),
            "does not resolve",
        ),
    ];
    // The unknown host fails in the resolver at once (no DNS lookup leaves the machine).
    let rule = "--browser-arg=--host-resolver-rules=MAP no-such-host.invalid ~NOTFOUND";
    let mut args: Vec<&str> = cases.iter().map(|(u, _)| u.as_str()).collect();
    args.extend(["--page-timeout", "6", rule]);
    let (code, report, output) = scan_json(&args);
    assert_eq!(code, 2);
    let errors = report["errors"].as_array().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    for (url, reason) in &cases {
        let error = errors
            .iter()
            .find(|e| e["url"] == url.as_str())
            .unwrap_or_else(|| panic!("{url} is reported as not scanned"));
        assert!(
            error["reason"].as_str().unwrap().contains(reason),
            "{url}: {error}"
        );
        assert!(
            stderr.contains(&format!("could not scan {url}")),
            "{stderr}"
        );
    }

    let missing = scan(&["--chromium", "/nonexistent/chromium", "http://127.0.0.1:1/"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&missing.stderr).contains("no Chromium at /nonexistent/chromium")
    );
}
