//! Consent-server hardening (issue "records bound to their subject, a double opt-in scanners cannot trigger,
//! every route limited, erasure that leaves nothing"), each item against the real binary over loopback. The
//! storage scenarios (`scenarios.rs`) also run on PostgreSQL (`hardening_pg.rs`).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::scenarios::{self, Env};
use crate::support::{Server, Setup, choice, connect, request};

fn email_server(extra: &[&str]) -> Server {
    // The outbox is <dir>/outbox already (support.rs).
    let mut setup = Setup::default();
    for a in scenarios::email_args() {
        setup = setup.arg(&a);
    }
    for a in extra {
        setup = setup.arg(a);
    }
    Server::with(setup)
}

fn env(server: &Server) -> Env<'_> {
    Env {
        addr: server.addr,
        dir: server.dir.path(),
        backend: "sqlite",
    }
}

#[test]
fn a_record_names_an_existing_subject_only_with_its_token() {
    let server = email_server(&[]);
    scenarios::subject_needs_its_token(&env(&server));
}

#[test]
fn cors_lets_listed_origins_send_the_token() {
    let server = Server::with(
        Setup::default()
            .arg("--allow-origin")
            .arg("https://site.example"),
    );
    let r = request(
        server.addr,
        "OPTIONS",
        "/v1/consents",
        &[
            ("Origin", "https://site.example"),
            ("Access-Control-Request-Method", "POST"),
            (
                "Access-Control-Request-Headers",
                "authorization, content-type",
            ),
        ],
        b"",
    );
    assert!(r.status < 300, "{}", r.status);
    let allowed = r
        .header("access-control-allow-headers")
        .unwrap_or_default()
        .to_ascii_lowercase();
    assert!(allowed.contains("authorization"), "{allowed}");
}

#[test]
fn opening_the_confirmation_link_changes_nothing() {
    let server = email_server(&[]);
    scenarios::confirm_needs_a_post(&env(&server));
}

#[test]
fn replayed_tracking_links_add_one_event_per_hour() {
    let server = email_server(&[]);
    scenarios::tracking_is_recorded_once_per_hour(&env(&server));
}

#[test]
fn subscribe_requests_do_the_same_work_whatever_the_state() {
    let server = email_server(&[]);
    scenarios::every_subscribe_request_does_the_same_work(&env(&server));
}

#[test]
fn over_limit_requests_are_answered_alike_and_recorded() {
    let server = email_server(&["--subscribe-limit-per-address", "1"]);
    let e = env(&server);
    let email = "limited@mail.example";
    let body = json!({"email": email, "list": "newsletter", "site": scenarios::EMAIL_SITE,
                      "notice_hash": crate::support::NOTICE, "language": "en"});
    let first = server.post_json("/v1/subscriptions", &body);
    let second = server.post_json("/v1/subscriptions", &body);
    assert_eq!((first.status, first.text()), (second.status, second.text()));
    let status = server.admin_get("/v1/admin/subscriptions/status?email=limited%40mail.example");
    let outcomes: Vec<String> = status.json()["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|ev| ev["detail"]["outcome"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(outcomes, ["pending", "over_limit"]);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        scenarios::outbox_files(&e.dir.join("outbox")).len(),
        1,
        "one confirmation message only"
    );
}

#[test]
fn erasing_an_address_deletes_its_outbox_files() {
    let server = email_server(&[]);
    scenarios::erasure_deletes_the_outbox_copies(&env(&server));
}

#[test]
fn metrics_keep_the_record_count() {
    let server = Server::start();
    scenarios::metrics_follow_inserts_and_erasures(&env(&server));
    // Kept across a restart too (counted once at start).
    let mut server = server;
    let before = crate::support::stored_count(&server);
    server.restart();
    assert_eq!(crate::support::stored_count(&server), before);
}

#[test]
fn every_route_is_rate_limited() {
    let mut setup = Setup::default().rate_limit(4);
    for a in scenarios::email_args() {
        setup = setup.arg(&a);
    }
    let server = Server::with(setup);
    let routes = [
        "/healthz",
        "/metrics",
        "/e/o/AAAA",
        "/e/c/AAAA?u=https://news.example/articles/1",
        "/u/AAAA",
        "/.well-known/assent-keys.json",
        "/v1/subscriptions/confirm?t=x",
    ];
    for _ in 0..4 {
        assert_ne!(server.get("/healthz").status, 429);
    }
    for path in routes {
        let r = server.get(path);
        assert_eq!(r.status, 429, "{path} is limited too");
        assert!(r.header("retry-after").is_some(), "{path}");
    }
    // CORS preflights are not counted (they carry no work and browsers send them on their own).
    let r = request(
        server.addr,
        "OPTIONS",
        "/v1/consents",
        &[
            ("Origin", "https://x.example"),
            ("Access-Control-Request-Method", "POST"),
        ],
        b"",
    );
    assert_ne!(r.status, 429);
}

#[test]
fn a_trickled_body_does_not_hold_an_in_flight_slot() {
    let server = Server::with(
        Setup::default()
            .arg("--max-in-flight")
            .arg("1")
            .arg("--body-timeout")
            .arg("30"),
    );
    // A client that sends its headers and half a body, then stalls.
    let mut slow = connect(server.addr);
    let body = json!({"token": "x"}).to_string();
    write!(
        slow,
        "POST /v1/verify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{}",
        body.len(),
        &body[..body.len() / 2]
    )
    .unwrap();
    slow.flush().unwrap();
    std::thread::sleep(Duration::from_millis(200));
    // Meanwhile other requests are served (before, they queued behind the stalled one for the only slot and
    // got 503 overloaded after the queue timeout).
    for _ in 0..3 {
        let r = server.post_json("/v1/verify", &json!({"token": "AAAA"}));
        assert_eq!(r.status, 200, "{}", r.text());
    }
    // The slow client still gets its answer when its body is complete.
    slow.write_all(&body.as_bytes()[body.len() / 2..]).unwrap();
    let mut answer = vec![0u8; 12];
    slow.read_exact(&mut answer).unwrap();
    assert_eq!(&answer, b"HTTP/1.1 200");
}

#[test]
fn connections_per_client_are_capped() {
    let server = Server::with(Setup::default().arg("--max-connections-per-ip").arg("2"));
    let held: Vec<TcpStream> = (0..2).map(|_| connect(server.addr)).collect();
    // Both are being served (a request on each works), so the server has counted them.
    for mut s in held.iter().map(|s| s.try_clone().unwrap()) {
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let mut head = [0u8; 12];
        s.read_exact(&mut head).unwrap();
        assert_eq!(&head, b"HTTP/1.1 200");
    }
    // A third connection from the same client is closed without an answer.
    let mut third = connect(server.addr);
    let _ = third.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    let mut buf = Vec::new();
    let _ = third.read_to_end(&mut buf);
    assert!(
        buf.is_empty(),
        "over the cap: {}",
        String::from_utf8_lossy(&buf)
    );
    // Once one closes, the client may connect again.
    drop(held);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut s = connect(server.addr);
        let _ = s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        let mut buf = Vec::new();
        let _ = s.read_to_end(&mut buf);
        if buf.starts_with(b"HTTP/1.1 200") {
            break;
        }
        assert!(Instant::now() < deadline, "connections were never freed");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn get_from(server: &Server, path: &str, forwarded: &str) -> u16 {
    request(
        server.addr,
        "GET",
        path,
        &[("X-Forwarded-For", forwarded)],
        b"",
    )
    .status
}

#[test]
fn forwarded_for_is_believed_only_from_trusted_proxies() {
    let proxied = Server::with(
        Setup::default()
            .rate_limit(2)
            .arg("--trusted-proxy")
            .arg("127.0.0.0/8"),
    );
    for _ in 0..2 {
        assert_eq!(get_from(&proxied, "/healthz", "198.51.100.1"), 200);
    }
    assert_eq!(get_from(&proxied, "/healthz", "198.51.100.1"), 429);
    // The client's own claim (leftmost) is not believed: the hop the proxy saw is.
    assert_eq!(
        get_from(&proxied, "/healthz", "203.0.113.9, 198.51.100.1"),
        429
    );
    assert_eq!(get_from(&proxied, "/healthz", "198.51.100.2"), 200);
    // IPv6 clients are counted by /64.
    assert_eq!(get_from(&proxied, "/healthz", "2001:db8:1:2::1"), 200);
    assert_eq!(get_from(&proxied, "/healthz", "2001:db8:1:2:ffff::9"), 200);
    assert_eq!(get_from(&proxied, "/healthz", "2001:db8:1:2::77"), 429);
    assert_eq!(get_from(&proxied, "/healthz", "2001:db8:1:3::1"), 200);

    // Without --trusted-proxy the header changes nothing: every request is the peer's.
    let direct = Server::with(Setup::default().rate_limit(2));
    for (i, forwarded) in ["198.51.100.1", "198.51.100.2", "198.51.100.3"]
        .iter()
        .enumerate()
    {
        let expected = if i < 2 { 200 } else { 429 };
        assert_eq!(
            get_from(&direct, "/healthz", forwarded),
            expected,
            "{forwarded}"
        );
    }
}

#[test]
fn subscribe_limits_use_the_64_and_zero_means_unlimited() {
    let unlimited = email_server(&[
        "--subscribe-limit",
        "0",
        "--subscribe-limit-per-address",
        "0",
    ]);
    for i in 0..15 {
        let s = unlimited.post_json(
            "/v1/subscriptions",
            &json!({"email": format!("u{i}@mail.example"), "list": "newsletter",
                    "site": scenarios::EMAIL_SITE, "notice_hash": crate::support::NOTICE, "language": "en"}),
        );
        assert_eq!(
            s.status,
            202,
            "request {i}: 0 means unlimited, {}",
            s.text()
        );
    }
    let limited = email_server(&["--subscribe-limit", "1", "--trusted-proxy", "127.0.0.1"]);
    let subscribe = |email: &str, from: &str| {
        let body = json!({"email": email, "list": "newsletter", "site": scenarios::EMAIL_SITE,
                          "notice_hash": crate::support::NOTICE, "language": "en"})
        .to_string();
        request(
            limited.addr,
            "POST",
            "/v1/subscriptions",
            &[
                ("Content-Type", "application/json"),
                ("X-Forwarded-For", from),
            ],
            body.as_bytes(),
        )
        .status
    };
    assert_eq!(subscribe("a@mail.example", "2001:db8:5:6::1"), 202);
    assert_eq!(
        subscribe("b@mail.example", "2001:db8:5:6::2"),
        429,
        "same /64"
    );
    assert_eq!(
        subscribe("c@mail.example", "2001:db8:5:7::1"),
        202,
        "another /64"
    );
}

#[test]
fn database_passwords_never_reach_the_logs() {
    let dir = tempfile::tempdir().unwrap();
    // Nothing listens on port 1: start-up fails, and says why in the log, with the URL.
    let out = Command::new(env!("CARGO_BIN_EXE_assent"))
        .args(["serve", "--listen", "127.0.0.1:0", "--db"])
        .arg("postgres://assent:p@ss-secret-1@127.0.0.1:1/db?sslmode=disable&password=hunter2-secret")
        .arg("--keys")
        .arg(dir.path().join("keys"))
        .arg("--outbox")
        .arg(dir.path().join("outbox"))
        .env("ASSENT_LOG", "debug")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let logs = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        logs.contains("127.0.0.1:1"),
        "the error names the server: {logs}"
    );
    assert!(logs.contains("***"), "{logs}");
    for secret in ["ss-secret-1", "p@ss", "hunter2-secret"] {
        assert!(!logs.contains(secret), "{secret} in the logs:\n{logs}");
    }
}

#[test]
fn an_odd_inline_config_tag_does_not_stop_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let config = std::fs::read_to_string(crate::support::data("site.json")).unwrap();
    std::fs::write(
        dir.path().join("index.html"),
        format!(
            "<html><script =\"x\"é id=\"assent-config\" type=\"application/json\">{config}</script></html>"
        ),
    )
    .unwrap();
    let server = Server::with(
        Setup::default()
            .arg("--www")
            .arg(dir.path().to_str().unwrap()),
    );
    assert_eq!(server.get("/healthz").status, 200);
    assert_eq!(server.post_json("/v1/consents", &choice()).status, 201);
}

#[test]
fn after_erasure_no_file_holds_the_subjects_bytes_while_running() {
    let server = Server::start();
    let a = server.record(&choice());
    let subject = a["subject"].as_str().unwrap().to_owned();
    let token = a["token"].as_str().unwrap().to_owned();
    for _ in 0..50 {
        server.record(&choice());
    }
    // Readers busy on other connections while the erasure checkpoints.
    let addr = server.addr;
    let readers: Vec<_> = (0..3)
        .map(|_| {
            std::thread::spawn(move || {
                for _ in 0..20 {
                    request(
                        addr,
                        "GET",
                        "/v1/admin/records",
                        &[(
                            "Authorization",
                            &format!("Bearer {}", crate::support::ADMIN),
                        )],
                        b"",
                    );
                }
            })
        })
        .collect();
    let r = request(
        server.addr,
        "DELETE",
        &format!("/v1/admin/subjects/{subject}"),
        &[(
            "Authorization",
            &format!("Bearer {}", crate::support::ADMIN),
        )],
        b"",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    for t in readers {
        t.join().unwrap();
    }
    // The server is still running: nothing but the erasure's own checkpoint can have scrubbed the WAL.
    let mut scanned = 0;
    for entry in walk(server.dir.path()) {
        let bytes = std::fs::read(&entry).unwrap();
        scanned += 1;
        for needle in [subject.as_bytes(), token.as_bytes()] {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle),
                "{} still holds the erased subject's bytes",
                entry.display()
            );
        }
    }
    assert!(scanned >= 2, "scanned the database files");
    // Positive control: another subject's bytes are still found.
    let other = server.record(&choice());
    let other_subject = other["subject"].as_str().unwrap().as_bytes().to_vec();
    let found = walk(server.dir.path()).iter().any(|p| {
        std::fs::read(p).is_ok_and(|b| b.windows(other_subject.len()).any(|w| w == other_subject))
    });
    assert!(found, "the scan can see a live subject");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}
