//! The server under test (`assent serve` with e-mail consent on, through `assent_testkit`) and the requests the
//! tests make of it.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use assent_server::email::EmailKeys;
use assent_testkit::http;
use assent_testkit::serve::{self, Process};

use crate::smtp::{SmtpServer, body, link_after};

pub(crate) const ADMIN: &str = "test-admin-token-0123456789";
pub(crate) const NOTICE: &str = "6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b";

pub(crate) fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/email")
        .join(name)
}

pub(crate) struct Server {
    pub(crate) _process: Process,
    pub(crate) addr: SocketAddr,
    pub(crate) dir: tempfile::TempDir,
}

pub(crate) fn start(extra: &[&str]) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", dir.path().join("assent.db").display());
    start_in(dir, &db, extra)
}

pub(crate) fn start_in(dir: tempfile::TempDir, db: &str, extra: &[&str]) -> Server {
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
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: String,
}

impl Reply {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

impl Server {
    pub(crate) fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub(crate) fn request(
        &self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Reply {
        let target = target.strip_prefix(&self.base()).unwrap_or(target);
        let r = http::request(self.addr, method, target, headers, body);
        Reply {
            status: r.status,
            body: r.text(),
            headers: r.headers,
        }
    }

    pub(crate) fn get(&self, target: &str) -> Reply {
        self.request("GET", target, &[], b"")
    }

    /// Follows a confirmation link as a person does: opens it (a page with a button, which changes nothing),
    /// then presses the button (the form's POST).
    pub(crate) fn confirm(&self, link: &str) -> Reply {
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

    pub(crate) fn admin(&self, method: &str, target: &str) -> Reply {
        let auth = format!("Bearer {ADMIN}");
        self.request(method, target, &[("Authorization", &auth)], b"")
    }

    pub(crate) fn subscribe(&self, email: &str, list: &str, tracking: bool) -> Reply {
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
    pub(crate) fn one_click(&self, url: &str) -> Reply {
        self.request(
            "POST",
            url,
            &[("Content-Type", "application/x-www-form-urlencoded")],
            b"List-Unsubscribe=One-Click",
        )
    }

    pub(crate) fn status(&self, email: &str) -> serde_json::Value {
        let r = self.admin(
            "GET",
            &format!("/v1/admin/subscriptions/status?email={}", enc(email)),
        );
        assert_eq!(r.status, 200, "{}", r.body);
        r.json()
    }

    pub(crate) fn state(&self, email: &str, list: &str) -> (String, bool) {
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

    pub(crate) fn keys(&self) -> EmailKeys {
        EmailKeys::load_or_create(&self.dir.path().join("keys")).unwrap()
    }
}

pub(crate) fn enc(s: &str) -> String {
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
pub(crate) fn subscribe_and_confirm(
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
