//! A corpus of bad requests: each gets the expected status and JSON error, nothing is stored, and the server
//! stays healthy.

use std::io::{Read, Write};

use serde_json::{Value, json};

use crate::support::{Server, Setup, choice, connect, raw_request, request, stored_count};

/// (name, content type, body, expected status, expected error code)
type Case<'a> = (&'a str, Option<&'a str>, Vec<u8>, u16, &'a str);

fn with(f: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut v = choice();
    f(&mut v);
    v.to_string().into_bytes()
}

fn post(server: &Server, content_type: Option<&str>, body: &[u8]) -> crate::support::Response {
    let headers: Vec<(&str, &str)> = content_type
        .map(|c| ("Content-Type", c))
        .into_iter()
        .collect();
    request(server.addr, "POST", "/v1/consents", &headers, body)
}

#[test]
fn bad_bodies_get_the_right_status_and_store_nothing() {
    let server = Server::start();
    let json_ct = Some("application/json");
    let replace_in_choice = |from: &str, to: &str| {
        let text = choice().to_string();
        assert!(text.contains(from), "{from}");
        text.replacen(from, to, 1).into_bytes()
    };
    let mut invalid_utf8 = choice().to_string().into_bytes();
    let at = invalid_utf8.windows(2).position(|w| w == b"en").unwrap();
    invalid_utf8[at] = 0xff;

    let cases: Vec<Case<'_>> = vec![
        ("empty body", json_ct, vec![], 400, "malformed_json"),
        (
            "truncated JSON",
            json_ct,
            b"{\"site\": \"test.example\"".to_vec(),
            400,
            "malformed_json",
        ),
        (
            "not JSON",
            json_ct,
            b"site=test.example".to_vec(),
            400,
            "malformed_json",
        ),
        (
            "trailing garbage",
            json_ct,
            [choice().to_string().as_bytes(), b"x"].concat(),
            400,
            "malformed_json",
        ),
        (
            "invalid UTF-8",
            json_ct,
            invalid_utf8,
            400,
            "malformed_json",
        ),
        ("JSON array", json_ct, b"[]".to_vec(), 422, "invalid_field"),
        (
            "wrong type: revision string",
            json_ct,
            with(|v| v["revision"] = json!("3")),
            422,
            "invalid_field",
        ),
        (
            "wrong type: category number",
            json_ct,
            with(|v| v["categories"]["analytics"] = json!(1)),
            422,
            "invalid_field",
        ),
        (
            "wrong type: signals null",
            json_ct,
            with(|v| v["signals"] = Value::Null),
            422,
            "invalid_field",
        ),
        (
            "unknown field",
            json_ct,
            with(|v| v["tracking_id"] = json!("x")),
            422,
            "unknown_field",
        ),
        (
            "unknown signal",
            json_ct,
            with(|v| v["signals"]["tcf"] = json!("CP")),
            422,
            "unknown_field",
        ),
        (
            "missing field",
            json_ct,
            with(|v| {
                v.as_object_mut().unwrap().remove("notice_hash");
            }),
            422,
            "missing_field",
        ),
        (
            "huge revision",
            json_ct,
            replace_in_choice("\"revision\":3", "\"revision\":99999999999999999999999"),
            422,
            "invalid_field",
        ),
        (
            "revision beyond u32",
            json_ct,
            with(|v| v["revision"] = json!(4_294_967_296u64)),
            422,
            "invalid_field",
        ),
        (
            "revision out of f64 range",
            json_ct,
            replace_in_choice("\"revision\":3", "\"revision\":1e400"),
            400,
            "malformed_json",
        ),
        (
            "negative revision",
            json_ct,
            with(|v| v["revision"] = json!(-3)),
            422,
            "invalid_field",
        ),
        (
            "decided_at far future",
            json_ct,
            with(|v| v["decided_at"] = json!(u64::MAX)),
            422,
            "invalid_field",
        ),
        (
            "unknown method",
            json_ct,
            with(|v| v["method"] = json!("scroll")),
            422,
            "invalid_field",
        ),
        (
            "unknown site",
            json_ct,
            with(|v| v["site"] = json!("other.example")),
            422,
            "unknown_site",
        ),
        (
            "stale revision",
            json_ct,
            with(|v| v["revision"] = json!(2)),
            422,
            "stale_revision",
        ),
        (
            "future revision",
            json_ct,
            with(|v| v["revision"] = json!(4)),
            422,
            "unknown_revision",
        ),
        (
            "unknown category",
            json_ct,
            with(|v| v["categories"]["social"] = json!(true)),
            422,
            "unknown_category",
        ),
        (
            "missing category",
            json_ct,
            with(|v| {
                v["categories"]
                    .as_object_mut()
                    .unwrap()
                    .remove("functional");
            }),
            422,
            "missing_category",
        ),
        (
            "essential denied",
            json_ct,
            with(|v| v["categories"]["essential"] = json!(false)),
            422,
            "essential_required",
        ),
        (
            "duplicate category",
            json_ct,
            replace_in_choice(
                "\"analytics\":true",
                "\"analytics\":true,\"analytics\":false",
            ),
            422,
            "invalid_field",
        ),
        (
            "notice hash uppercase",
            json_ct,
            with(|v| {
                v["notice_hash"] =
                    json!("6B86B273FF34FCE19D6B804EFF5A3F5747ADA4EAA22F1D49C01E52DDB7875B4B");
            }),
            422,
            "invalid_field",
        ),
        (
            "notice hash short",
            json_ct,
            with(|v| v["notice_hash"] = json!("abc")),
            422,
            "invalid_field",
        ),
        (
            "bad language",
            json_ct,
            with(|v| v["language"] = json!("english please")),
            422,
            "invalid_field",
        ),
        (
            "bad subject",
            json_ct,
            with(|v| v["subject"] = json!("not-a-subject")),
            422,
            "invalid_field",
        ),
        (
            "bad sdk version",
            json_ct,
            with(|v| v["sdk_version"] = json!("<script>")),
            422,
            "invalid_field",
        ),
        (
            "oversized body",
            json_ct,
            with(|v| v["language"] = json!("x".repeat(20_000))),
            413,
            "body_too_large",
        ),
        (
            "wrong content type",
            Some("text/plain"),
            choice().to_string().into_bytes(),
            415,
            "unsupported_media_type",
        ),
        (
            "form content type",
            Some("application/x-www-form-urlencoded"),
            choice().to_string().into_bytes(),
            415,
            "unsupported_media_type",
        ),
        (
            "no content type",
            None,
            choice().to_string().into_bytes(),
            415,
            "unsupported_media_type",
        ),
    ];
    for (name, ct, body, status, code) in cases {
        let r = post(&server, ct, &body);
        assert_eq!(r.status, status, "{name}: {}", r.text());
        assert_eq!(r.error_code(), code, "{name}");
        let message = r.json()["error"]["message"].as_str().unwrap().to_owned();
        assert!(!message.is_empty(), "{name}");
        assert!(
            r.header("content-type")
                .unwrap()
                .starts_with("application/json"),
            "{name}"
        );
    }
    // Errors name the field at fault.
    let r = post(&server, json_ct, &with(|v| v["tracking_id"] = json!("x")));
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("tracking_id")
    );
    let r = post(
        &server,
        json_ct,
        &with(|v| v["categories"]["social"] = json!(true)),
    );
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("social")
    );

    assert_eq!(stored_count(&server), 0, "nothing stored on any error");
    assert!(server.export("").is_empty());
    assert_eq!(server.get("/healthz").status, 200);
    // And a good record still goes through afterwards.
    server.record(&choice());
    assert_eq!(stored_count(&server), 1);
}

#[test]
fn wrong_methods_and_paths_get_json_errors() {
    let server = Server::start();
    for (method, path, status, code) in [
        ("PUT", "/v1/consents", 405, "method_not_allowed"),
        ("GET", "/v1/consents", 405, "method_not_allowed"),
        (
            "DELETE",
            "/v1/consents/0190c3a2-5b1e-7c4d-8e9f-0123456789ab",
            405,
            "method_not_allowed",
        ),
        ("GET", "/v1/verify", 405, "method_not_allowed"),
        ("POST", "/healthz", 405, "method_not_allowed"),
        ("GET", "/v1/nothing", 404, "not_found"),
        ("GET", "/nothing", 404, "not_found"),
    ] {
        let r = request(server.addr, method, path, &[], b"");
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (status, code),
            "{method} {path}"
        );
    }
    assert_eq!(stored_count(&server), 0);
}

#[test]
fn oversized_headers_and_declared_lengths_are_refused() {
    let server = Server::start();
    let big = "a".repeat(100 * 1024);
    let r = request(
        server.addr,
        "POST",
        "/v1/consents",
        &[("Content-Type", "application/json"), ("X-Padding", &big)],
        choice().to_string().as_bytes(),
    );
    assert_eq!(r.status, 431, "request header fields too large");

    // A declared length over the limit is refused before the body is read.
    let raw = "POST /v1/consents HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10000000\r\nConnection: close\r\n\r\n{";
    let r = raw_request(server.addr, raw.as_bytes());
    assert_eq!((r.status, r.error_code().as_str()), (413, "body_too_large"));
    assert_eq!(stored_count(&server), 0);
    assert_eq!(server.get("/healthz").status, 200);
}

#[test]
fn slow_clients_are_cut_off_and_the_server_stays_healthy() {
    let server = Server::with(
        Setup::default()
            .arg("--header-timeout")
            .arg("1")
            .arg("--body-timeout")
            .arg("1"),
    );
    // Slowloris: headers that never finish. The server closes the connection.
    let mut slow_headers: Vec<_> = (0..8)
        .map(|_| {
            let mut s = connect(server.addr);
            s.write_all(b"POST /v1/consents HTTP/1.1\r\nHost: x\r\nContent-Type: appl")
                .unwrap();
            s
        })
        .collect();
    // While they hang, others are served.
    assert_eq!(server.get("/healthz").status, 200);
    for s in &mut slow_headers {
        let mut buf = Vec::new();
        match s.read_to_end(&mut buf) {
            Ok(_) => {
                let text = String::from_utf8_lossy(&buf);
                assert!(buf.is_empty() || text.starts_with("HTTP/1.1 408"), "{text}");
            }
            Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset, "{e}"),
        }
    }

    // A body that stops half-way: 408, nothing stored.
    let body = choice().to_string();
    let mut s = connect(server.addr);
    write!(
        s,
        "POST /v1/consents HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{}",
        body.len(),
        &body[..body.len() / 2]
    )
    .unwrap();
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    let r = crate::support::parse_response(&buf).expect("a response");
    assert_eq!((r.status, r.error_code().as_str()), (408, "body_timeout"));

    assert_eq!(stored_count(&server), 0);
    assert_eq!(server.get("/healthz").status, 200);
    server.record(&choice());
}

#[test]
fn clients_over_the_rate_limit_get_429() {
    let server = Server::with(Setup {
        args: vec!["--rate-limit".into(), "3".into()],
        ..Setup::default()
    });
    for _ in 0..3 {
        server.record(&choice());
    }
    let r = server.post_json("/v1/consents", &choice());
    assert_eq!((r.status, r.error_code().as_str()), (429, "rate_limited"));
    let retry: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=21).contains(&retry), "{retry}");
    // Every route is limited, health and metrics too: count in the database file itself.
    assert_eq!(server.get("/healthz").status, 429);
    assert_eq!(server.get("/metrics").status, 429);
    let db = rusqlite::Connection::open(server.dir.path().join("assent.db")).unwrap();
    let stored: i64 = db
        .query_row("SELECT COUNT(*) FROM consent_records", [], |r| r.get(0))
        .unwrap();
    assert_eq!(stored, 3, "the refused request stored nothing");
}

#[test]
fn rate_limit_zero_is_unlimited() {
    // More requests than the default limit (1200 a minute) from one client: none is refused.
    let server = Server::with(Setup::default().rate_limit(0));
    for i in 0..1250 {
        assert_eq!(server.get("/healthz").status, 200, "request {i}");
    }
    let r = server.post_json("/v1/consents", &choice());
    assert_eq!(r.status, 201, "{}", r.text());
}

#[test]
fn bad_subscription_fields_are_refused_naming_the_field_and_store_nothing() {
    let mut setup = Setup::default();
    for a in crate::scenarios::email_args() {
        setup = setup.arg(&a);
    }
    let server = Server::with(setup);
    let body = |field: &str, value: &str| {
        let mut v = json!({"email": "bad@mail.example", "list": "newsletter",
                           "site": crate::scenarios::EMAIL_SITE,
                           "notice_hash": crate::support::NOTICE, "language": "pt-BR"});
        v[field] = value.into();
        v
    };
    // `"language": "1"` and `"e1"` were accepted here before the one language-tag rule (assent_core::fields:
    // a primary subtag of 2-3 letters), which `POST /v1/consents` and the config reader use too.
    let long_tag = format!("en-{}", ["abcdefgh"; 4].join("-"));
    for (field, value) in [
        ("language", "1"),
        ("language", "e1"),
        ("language", "en_US"),
        ("language", ""),
        ("language", long_tag.as_str()),
        ("notice_hash", "ABCDEF"),
        ("notice_hash", &"0A".repeat(32)),
    ] {
        let r = server.post_json("/v1/subscriptions", &body(field, value));
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (422, "invalid_field"),
            "{field}: {value:?}: {}",
            r.text()
        );
        let message = r.json()["error"]["message"].as_str().unwrap().to_owned();
        assert!(message.starts_with(field), "{message}");
    }
    let status = server.admin_get("/v1/admin/subscriptions/status?email=bad%40mail.example");
    assert_eq!(status.json()["records"], json!([]), "nothing was stored");
    assert_eq!(server.get("/healthz").status, 200);
    // The same body with valid fields is accepted (so the refusals above were for the field named).
    let ok = server.post_json("/v1/subscriptions", &body("language", "pt-BR"));
    assert_eq!(ok.status, 202, "{}", ok.text());
}
