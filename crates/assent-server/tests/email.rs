//! Marketing-email consent, end to end: the real `assent` binary on 127.0.0.1 with a temporary SQLite file, a
//! loopback SMTP server run by the test, and raw HTTP/1.1 over a loopback socket (so that exactly what RFC 8058
//! describes is sent, and redirects are never followed).

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use assent_server::email::{EmailAddress, EmailKeys, ListId, tracking_links};
use assent_testkit::http;
use assent_testkit::serve::{self, Process};

const ADMIN: &str = "test-admin-token-0123456789";
const NOTICE: &str = "6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b";

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/email")
        .join(name)
}

// ---------------------------------------------------------------------------------------------------------------
// A loopback SMTP server: enough of RFC 5321 for lettre (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT).

#[derive(Clone, Debug)]
struct Received {
    rcpt: Vec<String>,
    data: String,
}

#[derive(Clone)]
struct SmtpServer {
    addr: SocketAddr,
    inbox: Arc<Mutex<Vec<Received>>>,
}

impl SmtpServer {
    fn start() -> SmtpServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let inbox = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&inbox);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                let sink = Arc::clone(&sink);
                std::thread::spawn(move || {
                    let _ = smtp_session(stream, &sink);
                });
            }
        });
        SmtpServer { addr, inbox }
    }

    fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    /// Waits (up to 30 s) for a message to `to` whose text contains `needle`, and returns it.
    fn wait_for(&self, to: &str, needle: &str) -> Received {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(m) = self
                .inbox
                .lock()
                .unwrap()
                .iter()
                .find(|m| m.rcpt.iter().any(|r| r == to) && m.data.contains(needle))
            {
                return m.clone();
            }
            assert!(
                Instant::now() < deadline,
                "no message to {to} containing {needle:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn count_to(&self, to: &str) -> usize {
        self.inbox
            .lock()
            .unwrap()
            .iter()
            .filter(|m| m.rcpt.iter().any(|r| r == to))
            .count()
    }
}

fn smtp_session(stream: TcpStream, inbox: &Mutex<Vec<Received>>) -> std::io::Result<()> {
    let mut out = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    out.write_all(b"220 loopback ESMTP test\r\n")?;
    let mut rcpt = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let upper = line.to_ascii_uppercase();
        if upper.starts_with("EHLO") {
            out.write_all(b"250-loopback\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")?;
        } else if upper.starts_with("HELO") || upper.starts_with("NOOP") {
            out.write_all(b"250 OK\r\n")?;
        } else if upper.starts_with("MAIL FROM:") {
            rcpt.clear();
            out.write_all(b"250 OK\r\n")?;
        } else if upper.starts_with("RCPT TO:") {
            let addr = line[8..].trim().trim_start_matches('<');
            let addr = addr.split('>').next().unwrap_or_default().to_owned();
            rcpt.push(addr);
            out.write_all(b"250 OK\r\n")?;
        } else if upper.starts_with("DATA") {
            out.write_all(b"354 end with <CRLF>.<CRLF>\r\n")?;
            let mut data = String::new();
            loop {
                line.clear();
                if reader.read_line(&mut line)? == 0 {
                    return Ok(());
                }
                if line == ".\r\n" {
                    break;
                }
                // Undo dot-stuffing (RFC 5321 §4.5.2).
                data.push_str(line.strip_prefix('.').unwrap_or(&line));
            }
            inbox.lock().unwrap().push(Received {
                rcpt: rcpt.clone(),
                data,
            });
            out.write_all(b"250 OK queued\r\n")?;
        } else if upper.starts_with("RSET") {
            rcpt.clear();
            out.write_all(b"250 OK\r\n")?;
        } else if upper.starts_with("QUIT") {
            out.write_all(b"221 bye\r\n")?;
            return Ok(());
        } else {
            out.write_all(b"502 not implemented\r\n")?;
        }
    }
}

/// A header of a received message (unfolded), by name.
fn header(message: &str, name: &str) -> Option<String> {
    let head = message.split("\r\n\r\n").next()?;
    let unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ");
    unfolded.split("\r\n").find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
    })
}

/// The body of a received message with quoted-printable soft line breaks and `=3D` undone.
fn body(message: &str) -> String {
    let b = message.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    b.replace("=\r\n", "").replace("=3D", "=")
}

fn link_after(text: &str, prefix: &str) -> String {
    let start = text
        .find(prefix)
        .unwrap_or_else(|| panic!("no {prefix} in {text}"));
    text[start..]
        .split(|c: char| c.is_whitespace())
        .next()
        .unwrap()
        .to_owned()
}

// ---------------------------------------------------------------------------------------------------------------
// The server under test.

struct Server {
    _process: Process,
    addr: SocketAddr,
    dir: tempfile::TempDir,
}

fn start(extra: &[&str]) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", dir.path().join("assent.db").display());
    start_in(dir, &db, extra)
}

fn start_in(dir: tempfile::TempDir, db: &str, extra: &[&str]) -> Server {
    let mut cmd = serve::command(env!("CARGO_BIN_EXE_assent"));
    cmd.arg("--db")
        .arg(db)
        .arg("--keys")
        .arg(dir.path().join("keys"))
        .arg("--outbox")
        .arg(dir.path().join("outbox"))
        .arg("--site-config")
        .arg(data("site.json"))
        .arg("--email-lists")
        .arg(data("lists.json"))
        .args(["--email-postal-address", "1 Example Street, Springfield"])
        .args(extra)
        .env("ASSENT_ADMIN_TOKEN", ADMIN);
    let process = Process::start(cmd, &dir.path().join("server.log"));
    Server {
        addr: process.addr,
        _process: process,
        dir,
    }
}

/// A response with its body as text (these tests read pages and JSON).
#[derive(Debug)]
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

impl Server {
    fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn request(&self, method: &str, target: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
        let target = target.strip_prefix(&self.base()).unwrap_or(target);
        let r = http::request(self.addr, method, target, headers, body);
        Reply {
            status: r.status,
            body: r.text(),
            headers: r.headers,
        }
    }

    fn get(&self, target: &str) -> Reply {
        self.request("GET", target, &[], b"")
    }

    /// Follows a confirmation link as a person does: opens it (a page with a button, which changes nothing),
    /// then presses the button (the form's POST).
    fn confirm(&self, link: &str) -> Reply {
        let page = self.get(link);
        if page.status != 200 {
            return page;
        }
        assert!(page.body.contains("<form method=\"post\""), "{}", page.body);
        let token = link.split_once("?t=").map_or("", |(_, t)| t);
        self.request(
            "POST",
            "/v1/subscriptions/confirm",
            &[("Content-Type", "application/x-www-form-urlencoded")],
            format!("t={token}").as_bytes(),
        )
    }

    fn admin(&self, method: &str, target: &str) -> Reply {
        let auth = format!("Bearer {ADMIN}");
        self.request(method, target, &[("Authorization", &auth)], b"")
    }

    fn subscribe(&self, email: &str, list: &str, tracking: bool) -> Reply {
        let body = serde_json::json!({
            "email": email, "list": list, "site": "news.example", "notice_hash": NOTICE, "language": "en",
            "tracking": tracking,
        });
        self.request(
            "POST",
            "/v1/subscriptions",
            &[("Content-Type", "application/json")],
            body.to_string().as_bytes(),
        )
    }

    /// RFC 8058 §3.2: exactly what a mail receiver sends.
    fn one_click(&self, url: &str) -> Reply {
        self.request(
            "POST",
            url,
            &[("Content-Type", "application/x-www-form-urlencoded")],
            b"List-Unsubscribe=One-Click",
        )
    }

    fn status(&self, email: &str) -> serde_json::Value {
        let r = self.admin(
            "GET",
            &format!("/v1/admin/subscriptions/status?email={}", enc(email)),
        );
        assert_eq!(r.status, 200, "{}", r.body);
        r.json()
    }

    fn state(&self, email: &str, list: &str) -> (String, bool) {
        let s = self.status(email);
        let l = s["lists"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["list"] == list)
            .unwrap()
            .clone();
        (
            l["state"].as_str().unwrap().to_owned(),
            l["can_send"].as_bool().unwrap(),
        )
    }

    fn keys(&self) -> EmailKeys {
        EmailKeys::load_or_create(&self.dir.path().join("keys")).unwrap()
    }
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Subscribes, takes the confirmation link from the SMTP inbox and opens it.
fn subscribe_and_confirm(
    server: &Server,
    smtp: &SmtpServer,
    email: &str,
    tracking: bool,
) -> String {
    let before = smtp.count_to(email);
    assert_eq!(server.subscribe(email, "newsletter", tracking).status, 202);
    let deadline = Instant::now() + Duration::from_secs(30);
    while smtp.count_to(email) == before {
        assert!(Instant::now() < deadline, "no confirmation message");
        std::thread::sleep(Duration::from_millis(20));
    }
    let msg = smtp
        .inbox
        .lock()
        .unwrap()
        .iter()
        .rev()
        .find(|m| m.rcpt.iter().any(|r| r == email))
        .unwrap()
        .clone();
    let link = link_after(
        &body(&msg.data),
        &format!("{}/v1/subscriptions/confirm?t=", server.base()),
    );
    assert_eq!(server.confirm(&link).status, 200);
    link
}

// ---------------------------------------------------------------------------------------------------------------

#[test]
fn double_opt_in_one_click_unsubscribe_and_resubscribe_over_smtp() {
    let smtp = SmtpServer::start();
    let server = start(&["--smtp", &smtp.url()]);
    happy_path(&server, &smtp);
}

/// The same flow on PostgreSQL (a private server in a temporary directory; outside CI `ASSENT_SKIP_POSTGRES=1`
/// skips it, missing binaries fail with the reason).
#[test]
fn double_opt_in_one_click_unsubscribe_and_resubscribe_on_postgres() {
    let Some(pg) = assent_testkit::postgres::LocalPostgres::for_test() else {
        return;
    };
    let smtp = SmtpServer::start();
    let server = start_in(
        tempfile::tempdir().unwrap(),
        &pg.url(),
        &["--smtp", &smtp.url()],
    );
    happy_path(&server, &smtp);
}

fn happy_path(server: &Server, smtp: &SmtpServer) {
    let email = "reader@mail.example";

    // Subscribe: pending, nothing may be sent yet; a confirmation (transactional: no List-Unsubscribe) arrives.
    let r = server.subscribe(email, "newsletter", false);
    assert_eq!(r.status, 202, "{}", r.body);
    assert_eq!(server.state(email, "newsletter"), ("pending".into(), false));
    let confirmation = smtp.wait_for(email, "confirm");
    assert_eq!(header(&confirmation.data, "List-Unsubscribe"), None);
    let link = link_after(
        &body(&confirmation.data),
        &format!("{}/v1/subscriptions/confirm?t=", server.base()),
    );

    // A HEAD (link checkers) changes nothing.
    assert_eq!(server.request("HEAD", &link, &[], b"").status, 200);
    assert_eq!(server.state(email, "newsletter"), ("pending".into(), false));

    // Confirm once: 200, recorded with a timestamp; the link is single-use.
    let first = server.confirm(&link);
    assert_eq!(first.status, 200, "{}", first.body);
    assert!(first.body.contains("confirmed"));
    assert_eq!(
        server.state(email, "newsletter"),
        ("confirmed".into(), true)
    );
    let status = server.status(email);
    let record = &status["records"][0];
    assert!(record["confirmed_ms"].as_i64().unwrap() >= record["requested_ms"].as_i64().unwrap());
    assert_eq!(record["notice_hash"], NOTICE);
    assert_eq!(server.confirm(&link).status, 410);
    assert_eq!(server.state(email, "offers"), ("none".into(), false));

    // The welcome message is a list message: it carries both one-click headers, over real SMTP.
    let welcome = smtp.wait_for(email, "Welcome");
    let list_unsub = header(&welcome.data, "List-Unsubscribe").expect("List-Unsubscribe");
    assert_eq!(
        header(&welcome.data, "List-Unsubscribe-Post").as_deref(),
        Some("List-Unsubscribe=One-Click")
    );
    assert!(welcome.data.contains("1 Example Street, Springfield"));
    let url = list_unsub
        .trim_start_matches('<')
        .split('>')
        .next()
        .unwrap()
        .to_owned();
    assert!(
        url.starts_with(&format!("{}/u/", server.base())),
        "{list_unsub}"
    );
    assert!(
        !url.contains("reader") && !url.contains("mail.example"),
        "address in clear: {url}"
    );

    // GET never unsubscribes: it shows a page whose button POSTs.
    let page = server.get(&url);
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("<form method=\"post\"") && page.body.contains("<button"),
        "{}",
        page.body
    );
    assert!(
        page.header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    assert_eq!(
        server.state(email, "newsletter"),
        ("confirmed".into(), true)
    );

    // RFC 8058 POST: 200, no redirect, immediately effective; again: still 200 (idempotent).
    for _ in 0..2 {
        let r = server.one_click(&url);
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.header("location"), None);
        assert_eq!(
            server.state(email, "newsletter"),
            ("unsubscribed".into(), false)
        );
    }
    let unsubscribed = server.status(email)["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "unsubscribed")
        .count();
    assert_eq!(unsubscribed, 1, "a repeated POST is not a new unsubscribe");

    // Suppression export, CSV and JSONL.
    let csv = server.admin("GET", "/v1/admin/suppressions.csv");
    assert_eq!(csv.status, 200);
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    let mut lines = csv.body.lines();
    assert_eq!(
        lines.next(),
        Some("email,list,unsubscribed_at,method,subject")
    );
    let row = lines.next().unwrap();
    assert!(
        row.starts_with("reader@mail.example,newsletter,20") && row.contains(",one_click,"),
        "{row}"
    );
    let jsonl = server.admin("GET", "/v1/admin/suppressions.jsonl");
    let entry: serde_json::Value =
        serde_json::from_str(jsonl.body.lines().next().unwrap()).unwrap();
    assert_eq!(
        (entry["email"].as_str(), entry["list"].as_str()),
        (Some(email), Some("newsletter"))
    );

    // Re-subscribing needs a new confirmation; until then the address stays suppressed.
    let before = smtp.count_to(email);
    assert_eq!(server.subscribe(email, "newsletter", false).status, 202);
    assert_eq!(server.state(email, "newsletter"), ("pending".into(), false));
    assert_eq!(
        server
            .admin("GET", "/v1/admin/suppressions.csv")
            .body
            .lines()
            .count(),
        2
    );
    assert_eq!(
        server.confirm(&link).status,
        404,
        "an old confirmation link stays dead (replaced)"
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while smtp.count_to(email) == before {
        assert!(Instant::now() < deadline, "no new confirmation");
        std::thread::sleep(Duration::from_millis(20));
    }
    let again = smtp.inbox.lock().unwrap().last().unwrap().clone();
    let link2 = link_after(
        &body(&again.data),
        &format!("{}/v1/subscriptions/confirm?t=", server.base()),
    );
    assert_ne!(link, link2);
    assert_eq!(server.confirm(&link2).status, 200);
    assert_eq!(
        server.state(email, "newsletter"),
        ("confirmed".into(), true)
    );
    assert_eq!(
        server
            .admin("GET", "/v1/admin/suppressions.csv")
            .body
            .lines()
            .count(),
        1
    );

    // The log speaks of the pseudonym, never of the address or the tokens.
    let log = std::fs::read_to_string(server.dir.path().join("server.log")).unwrap();
    let pseudonym = server.status(email)["subject"].as_str().unwrap().to_owned();
    assert!(log.contains(&pseudonym), "{log}");
    let token = url.rsplit('/').next().unwrap();
    for secret in [email, "reader", token, link.rsplit('=').next().unwrap()] {
        assert!(!log.contains(secret), "{secret:?} in the log:\n{log}");
    }
}

#[test]
fn tampered_unknown_and_cli_tokens() {
    let server = start(&[]);
    let keys_dir = server.dir.path().join("keys");

    // `assent email headers` with the server's key directory: the URL works against the server, for an address
    // that never subscribed (it becomes suppressed by pseudonym).
    let out = Command::new(env!("CARGO_BIN_EXE_assent"))
        .args([
            "email",
            "headers",
            "--to",
            "Stranger@Mail.Example",
            "--list",
            "newsletter",
            "--public-url",
        ])
        .arg(server.base())
        .arg("--keys")
        .arg(&keys_dir)
        .env_remove("ASSENT_PUBLIC_URL")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines();
    let lu = lines.next().unwrap();
    assert!(
        lu.starts_with(&format!("List-Unsubscribe: <{}/u/", server.base())),
        "{text}"
    );
    assert_eq!(
        lines.next(),
        Some("List-Unsubscribe-Post: List-Unsubscribe=One-Click")
    );
    assert!(!text.to_lowercase().contains("stranger"));
    let url = lu
        .trim_start_matches("List-Unsubscribe: <")
        .trim_end_matches('>')
        .to_owned();
    let token = url.rsplit('/').next().unwrap().to_owned();

    // Tampered, truncated, garbage: 404 for GET and POST, nothing recorded, same page every time.
    let mut raw = token.clone().into_bytes();
    let i = raw.len() / 2;
    raw[i] = if raw[i] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(raw).unwrap();
    let mut bodies = Vec::new();
    for bad in [
        tampered.as_str(),
        &token[..token.len() - 3],
        "nonsense",
        "AAAA",
    ] {
        let g = server.get(&format!("/u/{bad}"));
        let p = server.one_click(&format!("/u/{bad}"));
        assert_eq!((g.status, p.status), (404, 404), "{bad}");
        bodies.push(p.body);
    }
    assert!(bodies.windows(2).all(|w| w[0] == w[1]));
    assert!(
        server
            .admin("GET", "/v1/admin/suppressions.jsonl")
            .body
            .is_empty()
    );

    // The genuine one-click POST for a never-subscribed address: 200, and it is suppressed by pseudonym.
    assert_eq!(server.one_click(&url).status, 200);
    let s = server.status("stranger@mail.example");
    assert_eq!(s["lists"][0]["state"], "unsubscribed");
    let jsonl = server.admin("GET", "/v1/admin/suppressions.jsonl").body;
    let entry: serde_json::Value = serde_json::from_str(jsonl.lines().next().unwrap()).unwrap();
    assert_eq!(entry["email"], serde_json::Value::Null);
    assert_eq!(entry["subject"], s["subject"]);

    // The mailto: route: whoever reads the unsubscribe mailbox hands the subject line to the admin API.
    let mailto = Command::new(env!("CARGO_BIN_EXE_assent"))
        .args([
            "email",
            "headers",
            "--to",
            "mailer@mail.example",
            "--list",
            "offers",
        ])
        .args(["--mailto", "unsubscribe@news.example", "--public-url"])
        .arg(server.base())
        .arg("--keys")
        .arg(&keys_dir)
        .output()
        .unwrap();
    let mailto = String::from_utf8(mailto.stdout).unwrap();
    let subject_line = mailto
        .split("?subject=")
        .nth(1)
        .and_then(|s| s.split('>').next())
        .expect("a mailto URI")
        .replace("%20", " ");
    assert!(subject_line.starts_with("unsubscribe "), "{mailto}");
    let auth = format!("Bearer {ADMIN}");
    let body = serde_json::json!({ "token": subject_line }).to_string();
    let headers = [
        ("Authorization", auth.as_str()),
        ("Content-Type", "application/json"),
    ];
    let r = server.request("POST", "/v1/admin/unsubscribe", &headers, body.as_bytes());
    assert_eq!(
        (r.status, r.json()["changed"].as_bool()),
        (200, Some(true)),
        "{}",
        r.body
    );
    assert_eq!(
        server.state("mailer@mail.example", "offers"),
        ("unsubscribed".into(), false)
    );
    assert_eq!(
        server.state("mailer@mail.example", "newsletter"),
        ("none".into(), false)
    );
    let forged = serde_json::json!({ "token": format!("unsubscribe {tampered}") }).to_string();
    let r = server.request("POST", "/v1/admin/unsubscribe", &headers, forged.as_bytes());
    assert_eq!(r.status, 422, "{}", r.body);
    let no_auth = [("Content-Type", "application/json")];
    let r = server.request("POST", "/v1/admin/unsubscribe", &no_auth, body.as_bytes());
    assert_eq!(r.status, 401);
}

#[test]
fn no_enumeration_admin_auth_and_rate_limits() {
    let smtp = SmtpServer::start();
    let server = start(&[
        "--smtp",
        &smtp.url(),
        "--subscribe-limit",
        "6",
        "--subscribe-limit-per-address",
        "2",
    ]);
    subscribe_and_confirm(&server, &smtp, "known@mail.example", false);

    // The answer for a confirmed address equals the answer for a new one.
    let known = server.subscribe("known@mail.example", "newsletter", false);
    let fresh = server.subscribe("fresh@mail.example", "newsletter", false);
    assert_eq!((known.status, fresh.status), (202, 202));
    assert_eq!(known.body, fresh.body);

    // Over the per-address limit: answered alike, nothing more is sent.
    smtp.wait_for("fresh@mail.example", "confirm");
    let r = server.subscribe("fresh@mail.example", "newsletter", false); // 2nd: allowed
    assert_eq!(r.status, 202);
    smtp.wait_for("fresh@mail.example", "confirm");
    let deadline = Instant::now() + Duration::from_secs(30);
    while smtp.count_to("fresh@mail.example") < 2 {
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(20));
    }
    let third = server.subscribe("Fresh@MAIL.example", "newsletter", false); // same address, other spelling
    assert_eq!(
        (third.status, third.body.as_str()),
        (202, fresh.body.as_str())
    );
    // 6th request of this client: allowed; 7th: 429 with Retry-After.
    assert_eq!(
        server
            .subscribe("x1@mail.example", "newsletter", false)
            .status,
        202
    );
    let limited = server.subscribe("x2@mail.example", "newsletter", false);
    assert_eq!(limited.status, 429, "{}", limited.body);
    assert!(limited.header("retry-after").is_some());
    // The third request for fresh@ sent nothing and changed nothing: its events show two requests that made
    // the subscription pending and one recorded as over the limit (the same store work, so the same latency).
    let outcomes: Vec<String> = server.status("fresh@mail.example")["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["detail"]["outcome"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(outcomes, ["pending", "pending", "over_limit"]);
    assert_eq!(smtp.count_to("fresh@mail.example"), 2);

    // No status without the admin token.
    let r = server.get("/v1/admin/subscriptions/status?email=known%40mail.example");
    assert_eq!(r.status, 401);
    let r = server.request(
        "GET",
        "/v1/admin/subscriptions/status?email=known%40mail.example",
        &[("Authorization", "Bearer wrong-token-wrong-token")],
        b"",
    );
    assert_eq!(r.status, 403);
    assert_eq!(server.get("/v1/admin/suppressions.csv").status, 401);

    // Bad input: clear 4xx JSON errors naming the field.
    let bad = server.subscribe("not-an-address", "newsletter", false);
    assert_eq!(bad.status, 422);
    assert!(
        bad.json()["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("email")
    );
}

#[test]
fn tracking_only_with_consent_and_no_open_redirect() {
    let smtp = SmtpServer::start();
    let server = start(&["--smtp", &smtp.url()]);
    subscribe_and_confirm(&server, &smtp, "tracked@mail.example", true);
    subscribe_and_confirm(&server, &smtp, "private@mail.example", false);
    let keys = server.keys();
    let list = ListId::new("newsletter").unwrap();
    let now = assent_verify::unix_now();
    let links = |email: &str| {
        tracking_links(
            &keys,
            &server.base(),
            &EmailAddress::parse(email).unwrap(),
            &list,
            now,
        )
        .unwrap()
    };
    let target = "https://news.example/offers?x=1&y=2";

    let mut pixels = Vec::new();
    for email in [
        "tracked@mail.example",
        "private@mail.example",
        "nobody@mail.example",
    ] {
        let l = links(email);
        let p = server.get(&l.pixel_url());
        assert_eq!(
            (p.status, p.header("content-type")),
            (200, Some("image/gif"))
        );
        pixels.push(p.body);
        let c = server.get(&l.click_url(target));
        assert_eq!(
            (c.status, c.header("location")),
            (302, Some(target)),
            "{email}"
        );
        // Not a registered URL, or registered for another list: 404, never a redirect.
        for other in [
            "https://evil.example/",
            "https://news.example/articles/1/../x",
        ] {
            let c = server.get(&l.click_url(other));
            assert_eq!((c.status, c.header("location")), (404, None));
        }
    }
    assert!(
        pixels.windows(2).all(|w| w[0] == w[1]),
        "the pixel is the same whatever happened"
    );
    // A tampered tracking token still gets the neutral answers and records nothing: one changed bit in the
    // version, the list id, the pseudonym, the times and the MAC tag itself (the last 16 bytes), re-encoded
    // canonically so that the MAC check, not the decoder, has to refuse it.
    let l = links("tracked@mail.example");
    let pixel = l.pixel_url();
    let (base, token) = pixel.split_once("/e/o/").unwrap();
    let bytes = assent_core::base64url::decode(token).expect("a tracking token is base64url");
    let n = bytes.len();
    for (what, at) in [
        ("version", 0),
        ("list id", 3),
        ("pseudonym", n - 40),
        ("expiry", n - 17),
        ("first tag byte", n - 16),
        ("last tag byte", n - 1),
    ] {
        let mut bad = bytes.clone();
        bad[at] ^= 0x01;
        let bad = assent_core::base64url::encode(&bad);
        assert_ne!(bad, token);
        let p = server.get(&format!("{base}/e/o/{bad}"));
        assert_eq!(
            (p.status, p.header("content-type")),
            (200, Some("image/gif")),
            "{what}"
        );
        assert_eq!(
            p.body, pixels[0],
            "{what}: the same pixel as for a valid token"
        );
        let c = server.get(&format!(
            "{base}/e/c/{bad}?u={}",
            l.click_url(target).rsplit_once("?u=").unwrap().1
        ));
        // The registered target is still served (the reader's link works), or 404; never anything else.
        let answer = (c.status, c.header("location"));
        assert!(
            answer == (302, Some(target)) || answer == (404, None),
            "{what}: {answer:?}"
        );
    }

    let kinds = |email: &str| -> Vec<String> {
        server.status(email)["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        kinds("tracked@mail.example"),
        ["requested", "confirmed", "open", "click"]
    );
    assert_eq!(kinds("private@mail.example"), ["requested", "confirmed"]);
    assert!(kinds("nobody@mail.example").is_empty());
    let events = server.status("tracked@mail.example")["events"].clone();
    assert_eq!(events[3]["detail"]["url"], target);
}

#[test]
fn outbox_export_and_erasure_include_email_records() {
    let server = start(&[]);
    let email = "erase.me@mail.example";
    assert_eq!(server.subscribe(email, "newsletter", false).status, 202);
    // No SMTP configured: the confirmation is an .eml file in the outbox.
    let outbox = server.dir.path().join("outbox");
    let deadline = Instant::now() + Duration::from_secs(30);
    let eml = loop {
        // One directory per recipient pseudonym.
        let found = std::fs::read_dir(&outbox)
            .into_iter()
            .flatten()
            .flatten()
            .flat_map(|d| std::fs::read_dir(d.path()).into_iter().flatten().flatten())
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|x| x == "eml"));
        if let Some(p) = found {
            break std::fs::read_to_string(p).unwrap();
        }
        assert!(Instant::now() < deadline, "no .eml in the outbox");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(eml.contains("To: erase.me@mail.example"), "{eml}");
    let link = link_after(
        &body(&eml),
        &format!("{}/v1/subscriptions/confirm?t=", server.base()),
    );
    assert_eq!(server.confirm(&link).status, 200);

    // The admin export carries the e-mail records after the consent records.
    let export = server.admin("GET", "/v1/admin/records");
    assert_eq!(export.status, 200);
    let lines: Vec<serde_json::Value> = export
        .body
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let sub = lines
        .iter()
        .find(|l| l["record_type"] == "email_subscription")
        .expect("subscription exported");
    assert_eq!(
        (sub["address"].as_str(), sub["state"].as_str()),
        (Some(email), Some("confirmed"))
    );
    let kinds: Vec<&str> = lines
        .iter()
        .filter(|l| l["record_type"] == "email_event")
        .map(|l| l["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["requested", "confirmed"]);

    // Erasure by address removes every e-mail record of it, and only of it.
    let kept = "keep.me@mail.example";
    assert_eq!(server.subscribe(kept, "newsletter", false).status, 202);
    let r = server.admin(
        "DELETE",
        &format!(
            "/v1/admin/subscribers?email={}",
            enc("Erase.Me@MAIL.example")
        ),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["erased"], 3);
    assert_eq!(server.state(email, "newsletter"), ("none".into(), false));
    let export = server.admin("GET", "/v1/admin/records");
    assert!(!export.body.contains(email), "{}", export.body);
    assert!(export.body.contains(kept), "the other subscriber stays");
    // Not in any file of the database either, the WAL included, while the server runs (a shutdown would
    // checkpoint and hide a copy left in the WAL); the kept subscriber shows the scan finds what is there.
    let files: Vec<(String, Vec<u8>)> = std::fs::read_dir(server.dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("assent.db"))
        })
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    let holding = |needle: &str| -> Vec<&str> {
        files
            .iter()
            .filter(|(_, f)| f.windows(needle.len()).any(|w| w == needle.as_bytes()))
            .map(|(n, _)| n.as_str())
            .collect()
    };
    assert!(
        files.iter().any(|(n, _)| n == "assent.db-wal"),
        "the scan covers the WAL"
    );
    assert_eq!(
        holding(email),
        Vec::<&str>::new(),
        "the erased address lingers in these database files"
    );
    assert!(
        !holding(kept).is_empty(),
        "the scan finds the subscriber that was not erased"
    );
}

// ---------------------------------------------------------------------------------------------------------------
// Languages: messages and pages in the language recorded with the subscription.

/// Standard base64 (RFC 4648 §4), whitespace ignored.
fn base64_decode(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for b in text
        .bytes()
        .filter(|b| !b.is_ascii_whitespace() && *b != b'=')
    {
        let v = ALPHABET.iter().position(|a| *a == b).expect("base64") as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

/// Quoted-printable (RFC 2045 §6.7): soft line breaks and `=XX` octets.
fn quoted_printable_decode(text: &str) -> Vec<u8> {
    let bytes = text.replace("=\r\n", "").into_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 3 <= bytes.len() {
            if let Ok(v) =
                u8::from_str_radix(std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap(), 16)
            {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

/// A header value with its RFC 2047 encoded words (`=?utf-8?b?…?=`, `=?utf-8?q?…?=`) decoded.
fn decoded_header(message: &str, name: &str) -> String {
    let value = header(message, name).unwrap_or_else(|| panic!("no {name} header"));
    let mut out = String::new();
    let mut previous_encoded = false;
    for word in value.split_whitespace() {
        let parts: Vec<&str> = word.split('?').collect();
        let encoded = parts.len() == 5 && parts[0] == "=" && parts[4] == "=";
        // RFC 2047 §6.2: white space between two encoded words is not part of the text.
        let joined = encoded && previous_encoded;
        if !out.is_empty() && !joined {
            out.push(' ');
        }
        if encoded {
            let bytes = if parts[2].eq_ignore_ascii_case("b") {
                base64_decode(parts[3])
            } else {
                quoted_printable_decode(&parts[3].replace('_', " "))
            };
            out.push_str(&String::from_utf8(bytes).unwrap());
        } else {
            out.push_str(word);
        }
        previous_encoded = encoded;
    }
    out
}

/// The text of a received message's body, whatever its transfer encoding.
fn decoded_body(message: &str) -> String {
    let raw = message.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    let encoding = header(message, "Content-Transfer-Encoding").unwrap_or_default();
    let bytes = match encoding.to_ascii_lowercase().as_str() {
        "base64" => base64_decode(raw),
        "quoted-printable" => quoted_printable_decode(raw),
        _ => raw.as_bytes().to_vec(),
    };
    String::from_utf8(bytes).unwrap()
}

fn subscribe_in(server: &Server, email: &str, language: &str) -> Reply {
    let body = serde_json::json!({
        "email": email, "list": "newsletter", "site": "news.example", "notice_hash": NOTICE, "language": language,
    });
    server.request(
        "POST",
        "/v1/subscriptions",
        &[("Content-Type", "application/json")],
        body.to_string().as_bytes(),
    )
}

#[test]
fn a_german_subscription_gets_german_messages_and_pages() {
    let smtp = SmtpServer::start();
    let server = start(&["--smtp", &smtp.url()]);
    let email = "anna@mail.example";

    // The browser sent `de-DE` (the banner's language): the confirmation is German, subject and body.
    let r = subscribe_in(&server, email, "de-DE");
    assert_eq!(r.status, 202, "{}", r.body);
    let confirmation = smtp.wait_for(email, "Subject:");
    assert_eq!(
        decoded_header(&confirmation.data, "Subject"),
        "Bitte bestätigen Sie Ihr Abonnement von The Example Newsletter"
    );
    let text = decoded_body(&confirmation.data);
    assert!(
        text.contains("jemand, hoffentlich Sie, hat beantragt, diese Adresse für „The Example Newsletter“ auf news.example anzumelden."),
        "{text}"
    );
    assert!(text.contains("ist 48 Stunden gültig"), "{text}");
    assert!(!text.contains("Hello"), "{text}");
    let link = link_after(
        &text,
        &format!("{}/v1/subscriptions/confirm?t=", server.base()),
    );

    // The confirmation page (after the button's POST) is German too, marked as such.
    let page = server.confirm(&link);
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("<html lang=\"de\" dir=\"ltr\">"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("<h1>Abonnement bestätigt</h1>"),
        "{}",
        page.body
    );

    // The welcome message: German, with its unsubscribe link.
    let welcome = smtp.wait_for(email, "List-Unsubscribe");
    assert_eq!(
        decoded_header(&welcome.data, "Subject"),
        "Willkommen bei The Example Newsletter"
    );
    let text = decoded_body(&welcome.data);
    assert!(
        text.contains("Ihr Abonnement von „The Example Newsletter“ ist bestätigt. Vielen Dank!"),
        "{text}"
    );
    let unsubscribe = link_after(&text, &format!("{}/u/", server.base()));

    // The unsubscribe page and its answer follow the recorded language, whatever the browser says.
    let page = server.request("GET", &unsubscribe, &[("Accept-Language", "fr")], b"");
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("<html lang=\"de\" dir=\"ltr\">"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("Von <strong>The Example Newsletter</strong> abmelden?"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("<button type=\"submit\">Abmelden</button>"),
        "{}",
        page.body
    );
    let done = server.request(
        "POST",
        &unsubscribe,
        &[("Content-Type", "application/x-www-form-urlencoded")],
        b"List-Unsubscribe=One-Click&source=page",
    );
    assert_eq!(done.status, 200);
    assert!(done.body.contains("<h1>Abgemeldet</h1>"), "{}", done.body);
    assert_eq!(
        server.state(email, "newsletter"),
        ("unsubscribed".into(), false)
    );

    // A used link has no subscription behind it any more: the page follows the browser's language. (Opening
    // the link shows the confirmation page, in the browser's language too; its POST answers 410.)
    let opened = server.request("GET", &link, &[("Accept-Language", "de-AT, en;q=0.5")], b"");
    assert_eq!(opened.status, 200);
    assert!(opened.body.contains("<html lang=\"de\""), "{}", opened.body);
    let token = link.split_once("?t=").unwrap().1;
    let used_post = |accept: &str| {
        server.request(
            "POST",
            "/v1/subscriptions/confirm",
            &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Accept-Language", accept),
            ],
            format!("t={token}").as_bytes(),
        )
    };
    let used = used_post("de-AT, en;q=0.5");
    assert_eq!(used.status, 410);
    assert!(
        used.body.contains("<h1>Link bereits verwendet</h1>"),
        "{}",
        used.body
    );
    let used = used_post("en");
    assert!(
        used.body.contains("<h1>Link already used</h1>"),
        "{}",
        used.body
    );
    let invalid = server.request(
        "GET",
        "/v1/subscriptions/confirm?t=nope",
        &[("Accept-Language", "ar")],
        b"",
    );
    assert_eq!(invalid.status, 404);
    assert!(
        invalid.body.contains("<html lang=\"ar\" dir=\"rtl\">"),
        "{}",
        invalid.body
    );
}

#[test]
fn a_language_without_built_in_texts_gets_english() {
    let smtp = SmtpServer::start();
    let server = start(&["--smtp", &smtp.url()]);
    let email = "kiswahili@mail.example";
    assert_eq!(subscribe_in(&server, email, "sw-KE").status, 202);
    let confirmation = smtp.wait_for(email, "Subject:");
    assert_eq!(
        header(&confirmation.data, "Subject").as_deref(),
        Some("Please confirm your subscription to The Example Newsletter")
    );
    assert!(
        body(&confirmation.data)
            .contains("someone, hopefully you, asked to subscribe this address"),
        "{}",
        confirmation.data
    );
}
