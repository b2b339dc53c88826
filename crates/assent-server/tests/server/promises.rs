//! One test per promise of docs/server.md that had none, each on the real `assent serve` over loopback:
//! start-up refuses an invalid inline site config, `DNT: 1` sets the signal, CORS stays closed to unlisted
//! origins on real requests and is `*` on the public key set, a server at capacity answers `503 overloaded`,
//! every error is `Cache-Control: no-store`, an expired token still opens its receipt, and neither the IP
//! address nor the user agent is stored.

use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use assent_verify::UntrustedToken;
use serde_json::{Value, json};

use crate::admin::database_files;
use crate::support::{ADMIN, Server, Setup, choice, data, raw_request, request, stored_count};

/// Runs `assent serve` expecting it to refuse to start; returns (exit code, stderr). Fails if it starts.
fn refused_start(args: &[&std::ffi::OsStr]) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_assent"))
        .args(["serve", "--listen", "127.0.0.1:0", "--db"])
        .arg(format!("sqlite:{}", dir.path().join("a.db").display()))
        .arg("--keys")
        .arg(dir.path().join("keys"))
        .args(args)
        .env_remove("ASSENT_ADMIN_TOKEN")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "the server started instead of refusing: {}",
                String::from_utf8_lossy(&out.stdout)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("listening"),
        "it listened before refusing"
    );
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn an_invalid_inline_site_config_under_www_stops_start_up() {
    for (name, config, says) in [
        (
            "broken JSON",
            r#"{ "site": "bad.example", "revision": 1, "#,
            "bad.html",
        ),
        (
            "a rule broken (reconsent_days over 13 months)",
            r#"{ "site": "bad.example", "revision": 1, "reconsent_days": 9999, "categories": { "analytics": {} } }"#,
            "reconsent_days",
        ),
    ] {
        let www = tempfile::tempdir().unwrap();
        // A valid page next to the broken one: one broken config is enough to refuse.
        std::fs::copy(data("www/index.html"), www.path().join("index.html")).unwrap();
        std::fs::create_dir_all(www.path().join("shop")).unwrap();
        std::fs::write(
            www.path().join("shop/bad.html"),
            format!(
                "<!doctype html><title>x</title><script id=\"assent-config\" type=\"application/json\">{config}</script>"
            ),
        )
        .unwrap();
        let (code, stderr) = refused_start(&["--www".as_ref(), www.path().as_os_str()]);
        assert_eq!(code, Some(2), "{name}: {stderr}");
        assert!(
            stderr.contains("bad.html"),
            "{name}: names the file: {stderr}"
        );
        assert!(stderr.contains(says), "{name}: says why: {stderr}");
    }
    // The control: the same directory without the broken page starts.
    let www = tempfile::tempdir().unwrap();
    std::fs::copy(data("www/index.html"), www.path().join("index.html")).unwrap();
    let server = Server::with(
        Setup::default()
            .arg("--www")
            .arg(www.path().to_str().unwrap()),
    );
    assert_eq!(server.get("/healthz").status, 200);
}

#[test]
fn the_dnt_request_header_sets_the_dnt_signal() {
    let server = Server::start();
    let post = |headers: &[(&str, &str)]| {
        let mut all = vec![("Content-Type", "application/json")];
        all.extend_from_slice(headers);
        let r = request(
            server.addr,
            "POST",
            "/v1/consents",
            &all,
            choice().to_string().as_bytes(),
        );
        assert_eq!(r.status, 201, "{}", r.text());
        r.json()["id"].as_str().unwrap().to_owned()
    };
    // The body says dnt: false each time.
    let with_header = post(&[("DNT", "1")]);
    let without = post(&[]);
    let zero = post(&[("DNT", "0")]);
    let records = server.export("");
    let dnt = |id: &str| {
        let r = records
            .iter()
            .find(|r| r["record_id"] == id)
            .expect("stored");
        r["signals"]["dnt"].clone()
    };
    assert_eq!(dnt(&with_header), json!(true), "DNT: 1 sets the signal");
    assert_eq!(dnt(&without), json!(false));
    assert_eq!(dnt(&zero), json!(false), "DNT: 0 is not a request");
}

#[test]
fn real_requests_from_unlisted_origins_get_no_cors_headers_and_the_key_set_is_open_to_all() {
    let server = Server::with(
        Setup::default()
            .arg("--allow-origin")
            .arg("https://site.example"),
    );
    let before = stored_count(&server);
    let r = request(
        server.addr,
        "POST",
        "/v1/consents",
        &[
            ("Content-Type", "application/json"),
            ("Origin", "https://evil.example"),
        ],
        choice().to_string().as_bytes(),
    );
    let cors: Vec<&(String, String)> = r
        .headers
        .iter()
        .filter(|(k, _)| k.starts_with("access-control-"))
        .collect();
    assert!(
        cors.is_empty(),
        "an unlisted origin got CORS headers: {cors:?}"
    );
    // The browser hides the answer from that page; a listed origin does get them (the control).
    let ok = request(
        server.addr,
        "POST",
        "/v1/verify",
        &[
            ("Content-Type", "application/json"),
            ("Origin", "https://site.example"),
        ],
        br#"{"token":"x"}"#,
    );
    assert_eq!(
        ok.header("access-control-allow-origin"),
        Some("https://site.example")
    );
    assert!(stored_count(&server) <= before + 1);

    // The public key set is readable from any origin (backends and pages verify tokens with it).
    for origin in ["https://evil.example", "https://site.example", "null"] {
        let r = request(
            server.addr,
            "GET",
            "/.well-known/assent-keys.json",
            &[("Origin", origin)],
            b"",
        );
        assert_eq!(r.status, 200);
        assert_eq!(
            r.header("access-control-allow-origin"),
            Some("*"),
            "{origin}"
        );
        assert!(r.header("access-control-allow-credentials").is_none());
    }
}

/// With one request slot (`--max-in-flight 1`) and the database write-locked by another process, the request
/// holding the slot waits for the database; a second one waits for the slot, gives up after the 5 s queue
/// timeout and gets `503 overloaded` (JSON, `no-store`, nothing stored); once the lock goes the first is stored.
#[test]
fn a_server_at_capacity_answers_503_overloaded_and_stores_nothing() {
    let server = Server::with(Setup::default().arg("--max-in-flight").arg("1"));
    server.record(&choice());
    let lock = rusqlite::Connection::open(server.dir.path().join("assent.db")).unwrap();
    lock.execute_batch("BEGIN IMMEDIATE").unwrap();

    let (tx, rx) = mpsc::channel();
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let (tx, addr) = (tx.clone(), server.addr);
            std::thread::spawn(move || {
                let r = request(
                    addr,
                    "POST",
                    "/v1/consents",
                    &[("Content-Type", "application/json")],
                    choice().to_string().as_bytes(),
                );
                tx.send(r).unwrap();
            })
        })
        .collect();
    // Whichever did not get the slot answers first.
    let refused = rx.recv_timeout(Duration::from_secs(60)).unwrap();
    lock.execute_batch("ROLLBACK").unwrap();
    let stored = rx.recv_timeout(Duration::from_secs(60)).unwrap();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(
        (refused.status, refused.error_code().as_str()),
        (503, "overloaded"),
        "{}",
        refused.text()
    );
    assert_eq!(refused.header("cache-control"), Some("no-store"));
    assert_eq!(stored.status, 201, "{}", stored.text());
    assert_eq!(
        stored_count(&server),
        2,
        "the refused request stored nothing"
    );
}

#[test]
fn every_error_answer_says_cache_control_no_store() {
    let server = Server::with(Setup {
        args: vec!["--rate-limit".into(), "30".into()],
        ..Setup::default()
    });
    let json_post = |path: &str, body: &[u8]| {
        request(
            server.addr,
            "POST",
            path,
            &[("Content-Type", "application/json")],
            body,
        )
    };
    let id = "0190c3a2-5b1e-7c4d-8e9f-0123456789ab";
    let mut answers = vec![
        ("422 missing field", json_post("/v1/consents", b"{}")),
        ("400 bad JSON", json_post("/v1/consents", b"{")),
        (
            "415 no content type",
            request(
                server.addr,
                "POST",
                "/v1/consents",
                &[],
                choice().to_string().as_bytes(),
            ),
        ),
        ("404 unknown path", server.get("/v1/nothing")),
        (
            "405 wrong method",
            request(server.addr, "PUT", "/v1/consents", &[], b""),
        ),
        ("401 admin without token", server.get("/v1/admin/stats")),
        (
            "401 receipt without token",
            server.get(&format!("/v1/consents/{id}")),
        ),
        (
            "401 receipt with a bad token",
            request(
                server.addr,
                "GET",
                &format!("/v1/consents/{id}"),
                &[("Authorization", "Bearer nonsense")],
                b"",
            ),
        ),
        (
            "4xx admin subject id invalid",
            request(
                server.addr,
                "GET",
                "/v1/admin/subjects/short",
                &[("Authorization", &format!("Bearer {ADMIN}"))],
                b"",
            ),
        ),
        (
            "413 declared body too large",
            raw_request(
                server.addr,
                b"POST /v1/consents HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
                  Content-Length: 10000000\r\nConnection: close\r\n\r\n{",
            ),
        ),
    ];
    // Over the rate limit.
    let limited = loop {
        let r = json_post("/v1/consents", b"{}");
        if r.status == 429 {
            break r;
        }
        assert_eq!(r.status, 422);
    };
    answers.push(("429 rate limited", limited));
    for (what, r) in &answers {
        assert!(r.status >= 400, "{what}: {}", r.status);
        assert_eq!(r.header("cache-control"), Some("no-store"), "{what}");
        assert!(!r.error_code().is_empty(), "{what}: a JSON error body");
    }
}

#[test]
fn an_expired_token_still_opens_its_receipt() {
    let server = Server::start();
    let answer = server.record(&choice());
    let id = answer["id"].as_str().unwrap();
    let token = answer["token"].as_str().unwrap();
    // The same claims, issued 400 days ago and expired yesterday, signed with the server's own key (the test
    // owns its key directory): a token the visitor could hold after the consent lapsed.
    let mut claims = UntrustedToken::parse(token)
        .unwrap()
        .untrusted_claims()
        .clone();
    let now = assent_verify::unix_now();
    claims.issued_at = now - 400 * 86_400;
    claims.expires_at = now - 86_400;
    let keys = assent_server::keys::KeyDir::load(&server.dir.path().join("keys")).unwrap();
    let expired = keys.signing_key().sign(&claims).unwrap();

    let v = server
        .post_json("/v1/verify", &json!({ "token": expired }))
        .json();
    assert_eq!(
        (v["valid"].clone(), v["error"]["code"].clone()),
        (json!(false), json!("expired")),
        "the control: the token is expired: {v}"
    );
    let receipt = |t: &str| {
        request(
            server.addr,
            "GET",
            &format!("/v1/consents/{id}"),
            &[("Authorization", &format!("Bearer {t}"))],
            b"",
        )
    };
    let r = receipt(&expired);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["record_id"], id);
    // Expired is allowed; forged is not.
    let mut forged = expired.clone().into_bytes();
    let i = forged.len() - 10;
    forged[i] = if forged[i] == b'A' { b'B' } else { b'A' };
    assert_eq!(receipt(&String::from_utf8(forged).unwrap()).status, 401);
}

#[test]
fn neither_the_ip_address_nor_the_user_agent_is_stored() {
    let server = Server::start();
    let ua = "Mozilla/5.0 (UA-canary-7f3a9c) AssentTest/1.0";
    let forwarded = "203.0.113.77";
    let r = request(
        server.addr,
        "POST",
        "/v1/consents",
        &[
            ("Content-Type", "application/json"),
            ("User-Agent", ua),
            ("X-Forwarded-For", forwarded),
            ("X-Real-IP", forwarded),
            ("Forwarded", "for=203.0.113.77"),
        ],
        choice().to_string().as_bytes(),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let subject = r.json()["subject"].as_str().unwrap().to_owned();
    let export = server.admin_get("/v1/admin/records").text();
    let files = database_files(server.dir.path());
    let found = |needle: &str| {
        let in_files: Vec<&str> = files
            .iter()
            .filter(|(_, f)| f.windows(needle.len()).any(|w| w == needle.as_bytes()))
            .map(|(n, _)| n.as_str())
            .collect();
        (export.contains(needle), in_files)
    };
    for needle in ["UA-canary-7f3a9c", forwarded, "127.0.0.1"] {
        assert_eq!(
            found(needle),
            (false, Vec::new()),
            "{needle:?} is stored (export, database files)"
        );
    }
    // The control: the same scan finds what is stored.
    let (in_export, in_files) = found(&subject);
    assert!(
        in_export && !in_files.is_empty(),
        "the scan finds the record's subject"
    );
    let record: Value = serde_json::from_str(export.lines().next().unwrap()).unwrap();
    assert!(
        record.get("ip").is_none() && record.get("user_agent").is_none(),
        "{record}"
    );
}
