//! `assent check`: the real `assent` binary on config files, HTML pages, and pages served over a loopback socket.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;

const VALID: &str = r#"{"site": "shop.example", "revision": 2, "policy_url": "/privacy",
  "categories": {"analytics": {"cookies": ["_ga", "_ga_*"]}, "remarketing": {}}}"#;

/// Runs `assent check ARGS`: (exit code, stdout, stderr).
fn check(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_assent"))
        .arg("check")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

fn page(config: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<title>Shop</title>\n\
         <script type=\"application/json\" id=\"assent-config\">\n{config}\n</script>\n\
         <script src=\"/assent/assent.js\"></script>\n</head>\n<body><p>Hello</p></body>\n</html>\n"
    )
}

#[test]
fn a_valid_config_file_is_ok() {
    let tmp = tempfile::tempdir().unwrap();
    let file = write(tmp.path(), "site.json", VALID);
    let (code, out, err) = check(&[&file]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(out, format!("OK {file}\n"));
    assert_eq!(err, "");
}

#[test]
fn an_invalid_config_file_names_every_field() {
    let tmp = tempfile::tempdir().unwrap();
    let file = write(
        tmp.path(),
        "site.json",
        r#"{"site": "shop.example", "revision": 2,
            "categories": {"analytics": {"default": "yes"}}}"#,
    );
    let (code, out, err) = check(&[&file]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains(&format!("{file}: policy_url: required")),
        "{out}"
    );
    assert!(
        out.contains(&format!("{file}: categories.analytics.default: ")),
        "{out}"
    );
    assert!(!out.contains("OK "), "{out}");
    assert!(err.contains("1 of 1 config invalid"), "{err}");
}

#[test]
fn duplicate_keys_and_syntax_errors_give_their_line_and_column() {
    let tmp = tempfile::tempdir().unwrap();
    let dup = write(
        tmp.path(),
        "dup.json",
        "{\"site\": \"a\",\n \"policy_url\": \"/p\",\n \"site\": \"b\"}",
    );
    let (code, out, _) = check(&[&dup]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.starts_with(&format!("{dup}: invalid JSON at byte ")),
        "{out}"
    );
    assert!(out.contains("duplicate key"), "{out}");
    assert!(out.contains("(line 3, column 2)"), "{out}");

    // In a page, the position is the page's (the config starts on line 6).
    let broken = write(
        tmp.path(),
        "broken.html",
        &page("{\"site\": \"a\", \"policy_url\": \"/p\",,}"),
    );
    let (code, out, _) = check(&[&broken]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.starts_with(&format!("{broken}:6: invalid JSON")),
        "{out}"
    );
    assert!(out.contains("(line 6, column 34)"), "{out}");
}

#[test]
fn html_pages_are_checked_config_by_config() {
    let tmp = tempfile::tempdir().unwrap();
    let good = write(tmp.path(), "index.html", &page(VALID));
    let (code, out, err) = check(&[&good]);
    assert_eq!(
        (code, out.as_str()),
        (0, format!("OK {good}:6\n").as_str()),
        "{err}"
    );

    // A page with a broken config: the field and the page line; a valid page checked alongside is still OK.
    let bad = write(
        tmp.path(),
        "about.html",
        &page(&VALID.replace(r#""revision": 2"#, r#""revision": "two""#)),
    );
    let (code, out, err) = check(&[&bad, &good]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains(&format!("{bad}:6: revision: ")), "{out}");
    assert!(out.contains(&format!("OK {good}:6")), "{out}");

    // The same site and revision defined differently is refused, as `assent serve --www` would.
    let other = write(
        tmp.path(),
        "contact.html",
        &page(&VALID.replace("/privacy", "/other-privacy")),
    );
    let (code, out, _) = check(&[&good, &other]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(&format!("{other}:6: site: ")), "{out}");
    assert!(out.contains("bump the revision"), "{out}");

    // A config without a site is valid (the browser uses the host name), with a note.
    let no_site = write(
        tmp.path(),
        "nosite.html",
        &page(&VALID.replace(r#""site": "shop.example", "#, "")),
    );
    let (code, out, err) = check(&[&no_site]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.contains("has no \"site\""), "{err}");
}

/// Serves `body` as `content_type` to `requests` HTTP requests on a loopback port; returns the page URL.
fn serve(
    status: &'static str,
    content_type: &'static str,
    body: String,
    requests: usize,
) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(requests) {
            let mut stream = stream.unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap() > 2 {
                line.clear();
            }
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    format!("http://{addr}/shop/")
}

#[test]
fn pages_and_configs_are_fetched_from_urls() {
    let url = serve("200 OK", "text/html; charset=utf-8", page(VALID), 1);
    let (code, out, err) = check(&[&url]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(out, format!("OK {url}:6\n"));

    let broken = VALID.replace("\"categories\"", "\"categorys\"");
    let url = serve("200 OK", "text/html", page(&broken), 1);
    let (code, out, _) = check(&[&url]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(&format!("{url}:6: categorys: ")), "{out}");

    let url = serve("200 OK", "application/json", VALID.into(), 1);
    assert_eq!(check(&[&url]).1, format!("OK {url}\n"));

    let url = serve("404 Not Found", "text/html", "gone".into(), 1);
    let (code, out, err) = check(&[&url]);
    assert_eq!((code, out.as_str()), (2, ""), "{err}");
    assert!(err.contains(&url) && err.contains("404"), "{err}");
}

#[test]
fn unreadable_inputs_exit_2_with_the_reason() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("missing.json");
    let missing = missing.to_str().unwrap();
    let (code, out, err) = check(&[missing]);
    assert_eq!((code, out.as_str()), (2, ""), "{err}");
    assert!(err.contains(&format!("{missing}: No such file")), "{err}");

    let bare = write(
        tmp.path(),
        "bare.html",
        "<!doctype html><p>No config here</p>",
    );
    let (code, _, err) = check(&[&bare]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("no <script type=\"application/json\" id=\"assent-config\">"),
        "{err}"
    );

    // The other inputs are still checked and reported.
    let good = write(tmp.path(), "site.json", VALID);
    let (code, out, err) = check(&[missing, &good]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(out, format!("OK {good}\n"));

    // Nothing listens on a port that was just closed.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/");
    let (code, _, err) = check(&[&url]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains(&url), "{err}");
}

#[test]
fn settings_that_do_nothing_are_noted_on_stderr_and_the_config_stays_valid() {
    let tmp = tempfile::tempdir().unwrap();
    let file = write(
        tmp.path(),
        "regions.json",
        r#"{"site": "shop.example", "revision": 1, "policy_url": "/privacy", "categories": {"analytics": {}},
            "regions": {"eu": {}, "uk": {"places": ["UK"]}, "west": {"mode": "opt-out", "places": ["US-CA"],
            "mspa_covered_transaction": true}, "default": {}}}"#,
    );
    let (code, out, err) = check(&[&file]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(out, format!("OK {file}\n"));
    assert!(
        err.contains(&format!(
            "assent: note: {file}: regions.uk.places: \"UK\": UK is not an ISO 3166-1 country code"
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "assent: note: {file}: regions.west.mspa_covered_transaction: has no effect"
        )),
        "{err}"
    );
}
