//! The same scenarios against PostgreSQL: the real `assent serve --db postgres://…` on 127.0.0.1, backed by a
//! private PostgreSQL server started for each test in a temporary directory (`assent_testkit::postgres::LocalPostgres`: binaries from
//! `ASSENT_TEST_POSTGRES_BIN` or `/usr/lib/postgresql/*/bin`, run as the `postgres` user when we are root).
//!
//! Without PostgreSQL binaries these tests fail and say why; outside CI, `ASSENT_SKIP_POSTGRES=1` skips them
//! explicitly (`cargo xtask test` then reports them as skipped; under `CI` it is refused).

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use assent_testkit::postgres::LocalPostgres;
use assent_testkit::serve::{self, Process};
use assent_verify::{KeySet, Verifier};
use serde_json::{Value, json};

use crate::load::{CLIENTS, Failure, load};
use crate::support::{ADMIN, NOTICE, Response, SITE, choice, data, request};

/// A private PostgreSQL server, or `None` when skipped explicitly with `ASSENT_SKIP_POSTGRES=1` (refused under CI).
pub(crate) fn cluster() -> Option<LocalPostgres> {
    LocalPostgres::for_test()
}

/// One `assent serve` instance on a PostgreSQL database. Instances of one test share `dir` (signing keys).
#[derive(Debug)]
pub(crate) struct Instance {
    process: Process,
    pub(crate) addr: SocketAddr,
}

impl Instance {
    pub(crate) fn start(db: &str, dir: &Path, name: &str, extra: &[&str]) -> Instance {
        let mut cmd = serve::command(env!("CARGO_BIN_EXE_assent"));
        cmd.args(["--db", db, "--rate-limit", "0"])
            .arg("--keys")
            .arg(dir.join("keys"))
            .args(extra)
            .env("ASSENT_ADMIN_TOKEN", ADMIN);
        if !extra.contains(&"--site-config") {
            cmd.arg("--site-config").arg(data("site.json"));
        }
        let process = Process::start(cmd, &dir.join(format!("server-{name}.log")));
        Instance {
            addr: process.addr,
            process,
        }
    }

    pub(crate) fn kill9(&mut self) {
        self.process.kill9();
    }

    pub(crate) fn logs(&self) -> String {
        self.process.logs()
    }

    fn get(&self, path: &str) -> Response {
        request(self.addr, "GET", path, &[], b"")
    }

    fn admin(&self, method: &str, path: &str) -> Response {
        request(
            self.addr,
            method,
            path,
            &[("Authorization", &format!("Bearer {ADMIN}"))],
            b"",
        )
    }

    pub(crate) fn post_json(&self, path: &str, body: &Value) -> Response {
        request(
            self.addr,
            "POST",
            path,
            &[("Content-Type", "application/json")],
            body.to_string().as_bytes(),
        )
    }

    pub(crate) fn record(&self, body: &Value) -> Value {
        let r = self.post_json("/v1/consents", body);
        assert_eq!(r.status, 201, "{}", r.text());
        r.json()
    }

    /// Records a later choice of the subject of `earlier`, proven with its token (as `Server::record_as`).
    fn record_as(&self, earlier: &Value, body: &Value) -> Value {
        let r = request(
            self.addr,
            "POST",
            "/v1/consents",
            &[
                ("Content-Type", "application/json"),
                (
                    "Authorization",
                    &format!("Bearer {}", earlier["token"].as_str().unwrap()),
                ),
            ],
            body.to_string().as_bytes(),
        );
        assert_eq!(r.status, 201, "{}", r.text());
        r.json()
    }

    /// Every line of the admin JSONL export (consent records first, then e-mail records).
    fn export(&self) -> Vec<Value> {
        let r = self.admin("GET", "/v1/admin/records");
        assert_eq!(r.status, 200, "{}", r.text());
        r.text()
            .lines()
            .map(|l| serde_json::from_str(l).expect("each line is JSON"))
            .collect()
    }

    /// The consent records of the export.
    fn records(&self) -> Vec<Value> {
        self.export()
            .into_iter()
            .filter(|l| l.get("record_id").is_some())
            .collect()
    }

    fn verifier(&self) -> Verifier {
        let r = self.get("/.well-known/assent-keys.json");
        assert_eq!(r.status, 200);
        Verifier::new(KeySet::from_json(&r.text()).expect("published key set parses"))
    }

    /// `assent_records{backend="postgres"}` from /metrics.
    fn stored_count(&self) -> u64 {
        let r = self.get("/metrics");
        assert_eq!(r.status, 200);
        r.text()
            .lines()
            .find_map(|l| l.strip_prefix("assent_records{backend=\"postgres\"} "))
            .unwrap_or_else(|| panic!("no postgres records gauge in {}", r.text()))
            .parse()
            .unwrap()
    }
}

#[test]
fn postgres_record_token_verify_receipt_and_two_instances_share_the_database() {
    let Some(pg) = cluster() else { return };
    let dir = tempfile::tempdir().unwrap();
    let a = Instance::start(&pg.url(), dir.path(), "a", &[]);
    // A second instance on the same database (and keys), as behind a load balancer.
    // (With a password in the URL: `trust` authentication ignores it, the logs must not show it.)
    let with_password = pg.url().replace("postgres@", "postgres:hunter2-secret@");
    let b = Instance::start(&with_password, dir.path(), "b", &[]);
    assert!(b.logs().contains("opened PostgreSQL store"), "{}", b.logs());

    let answer = a.record(&choice());
    let id = answer["id"].as_str().unwrap();
    let token = answer["token"].as_str().unwrap();
    let claims = a
        .verifier()
        .verify_now(token)
        .expect("the token verifies offline with the published keys");
    assert_eq!(claims.record_id.to_string(), id);
    assert_eq!(claims.site_id, SITE);
    // The other instance verifies it too, and serves its receipt from the shared database.
    let v = b.post_json("/v1/verify", &json!({ "token": token })).json();
    assert_eq!(
        (v["valid"].clone(), v["claims"]["record_id"].clone()),
        (json!(true), json!(id))
    );
    let r = request(
        b.addr,
        "GET",
        &format!("/v1/consents/{id}"),
        &[("Authorization", &format!("Bearer {token}"))],
        b"",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["record_id"], id);
    assert_eq!(r.json()["notice"]["sha256"], NOTICE);

    // Records posted to either instance end up in one store, each exactly once.
    let mut ids = vec![id.to_owned()];
    for i in 0..20 {
        let inst = if i % 2 == 0 { &a } else { &b };
        ids.push(inst.record(&choice())["id"].as_str().unwrap().to_owned());
    }
    for inst in [&a, &b] {
        let stored: Vec<String> = inst
            .records()
            .iter()
            .map(|r| r["record_id"].as_str().unwrap().to_owned())
            .collect();
        // In id order; ids are UUIDv7 made by two processes, so two made in the same millisecond may sort
        // either way: compare as sets.
        let mut sorted = stored.clone();
        sorted.sort();
        assert_eq!(stored, sorted, "export in id order");
        let mut expected = ids.clone();
        expected.sort();
        assert_eq!(sorted, expected, "every record, from both instances, once");
        assert_eq!(inst.stored_count(), 21);
    }
    let stats = a.admin("GET", "/v1/admin/stats").json();
    assert_eq!(stats["records"], 21, "{stats}");
    assert_eq!(stats["sites"][SITE]["by_method"]["banner"], 21, "{stats}");
    assert_eq!(stats["sites"][SITE]["subjects"], 21, "{stats}");
    assert_eq!(b.get("/healthz").status, 200);

    assert!(!b.logs().contains("hunter2"), "the password is in the log");
    // Records are append-only in the database itself.
    let err = pg
        .psql("postgres", "UPDATE consent_records SET site = 'x'")
        .unwrap_err();
    assert!(err.contains("append-only"), "{err}");
}

#[test]
fn postgres_erasure_removes_the_subjects_records() {
    let Some(pg) = cluster() else { return };
    let dir = tempfile::tempdir().unwrap();
    let server = Instance::start(&pg.url(), dir.path(), "0", &[]);
    let a = server.record(&choice());
    let subject = a["subject"].as_str().unwrap().to_owned();
    let mut again = choice();
    again["subject"] = json!(subject);
    let a2 = server.record_as(&a, &again);
    let b = server.record(&choice());
    let other = b["subject"].as_str().unwrap().to_owned();

    let r = server.admin("GET", &format!("/v1/admin/subjects/{subject}"));
    assert_eq!(r.json()["records"].as_array().unwrap().len(), 2);
    let r = server.admin("DELETE", &format!("/v1/admin/subjects/{subject}"));
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["erased"], 2);

    let r = server.admin("GET", &format!("/v1/admin/subjects/{subject}"));
    assert_eq!(r.json()["records"], json!([]));
    let left: Vec<String> = server
        .records()
        .iter()
        .map(|r| r["subject"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(left, std::slice::from_ref(&other));
    let r = request(
        server.addr,
        "GET",
        &format!("/v1/consents/{}", a2["id"].as_str().unwrap()),
        &[(
            "Authorization",
            &format!("Bearer {}", a2["token"].as_str().unwrap()),
        )],
        b"",
    );
    assert_eq!(r.status, 404, "the receipt is gone too");

    // In the database itself: no row, live or dead (the erasure vacuumed the table), has the subject.
    let count = |sql: &str| pg.psql("postgres", sql).unwrap().trim().to_owned();
    assert_eq!(
        count(&format!(
            "SELECT COUNT(*) FROM consent_records WHERE subject = '{subject}'"
        )),
        "0"
    );
    // No tuple, live or dead, of any page of the table holds the subject any more (the erasure vacuumed it).
    count("CREATE EXTENSION pageinspect");
    assert_eq!(
        count(&format!(
            "SELECT COUNT(*) FROM generate_series(0, pg_relation_size('consent_records') / 8192 - 1) AS b, \
             heap_page_items(get_raw_page('consent_records', b::int)) AS t \
             WHERE t.t_data IS NOT NULL AND position(convert_to('{subject}', 'UTF8') IN t.t_data) > 0"
        )),
        "0"
    );
    assert_eq!(
        count(&format!(
            "SELECT COUNT(*) FROM generate_series(0, pg_relation_size('consent_records') / 8192 - 1) AS b, \
             heap_page_items(get_raw_page('consent_records', b::int)) AS t \
             WHERE t.t_data IS NOT NULL AND position(convert_to('{other}', 'UTF8') IN t.t_data) > 0"
        )),
        "1",
        "the check finds a record that is there"
    );
    assert_eq!(count("SELECT COUNT(*) FROM consent_records"), "1");
    assert_eq!(server.stored_count(), 1);
}

/// Every file under the cluster's `base/` (the databases' tables and indexes) after a checkpoint.
fn data_files(pg: &LocalPostgres) -> Vec<Vec<u8>> {
    pg.psql("postgres", "CHECKPOINT").unwrap();
    let mut out = Vec::new();
    let mut dirs = vec![pg.dir().join("data/base")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                out.push(std::fs::read(path).unwrap());
            }
        }
    }
    out
}

#[test]
fn postgres_full_erasure_removes_the_bytes_from_the_data_files() {
    let Some(pg) = cluster() else { return };
    let dir = tempfile::tempdir().unwrap();
    let url = format!("{}?assent_erase=full", pg.url());
    let server = Instance::start(&url, dir.path(), "0", &[]);
    let a = server.record(&choice());
    let subject = a["subject"].as_str().unwrap().to_owned();
    let b = server.record(&choice());
    let other = b["subject"].as_str().unwrap().to_owned();
    let contains = |files: &[Vec<u8>], needle: &str| {
        files
            .iter()
            .any(|f| f.windows(needle.len()).any(|w| w == needle.as_bytes()))
    };
    assert!(
        contains(&data_files(&pg), &subject),
        "the search finds stored records"
    );
    let r = server.admin("DELETE", &format!("/v1/admin/subjects/{subject}"));
    assert_eq!((r.status, r.json()["erased"].clone()), (200, json!(1)));
    let files = data_files(&pg);
    assert!(contains(&files, &other));
    assert!(
        !contains(&files, &subject),
        "erased subject id still in the database files"
    );
    assert!(!contains(&files, a["token"].as_str().unwrap()));
    assert_eq!(server.records().len(), 1);
}

#[test]
fn postgres_bad_input_stores_nothing_and_the_server_stays_up() {
    let Some(pg) = cluster() else { return };
    let dir = tempfile::tempdir().unwrap();
    let server = Instance::start(&pg.url(), dir.path(), "0", &[]);
    let with = |f: &dyn Fn(&mut Value)| {
        let mut v = choice();
        f(&mut v);
        v.to_string().into_bytes()
    };
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty body", Vec::new()),
        ("truncated JSON", b"{\"site\": \"test.example\"".to_vec()),
        (
            "unknown site",
            with(&|v| v["site"] = json!("other.example")),
        ),
        (
            "unknown category",
            with(&|v| v["categories"]["social"] = json!(true)),
        ),
        (
            "bad notice hash",
            with(&|v| v["notice_hash"] = json!("xyz")),
        ),
        ("unknown field", with(&|v| v["tracking_id"] = json!("x"))),
        (
            "NUL in the language",
            with(&|v| v["language"] = json!("e\u{0}n")),
        ),
        (
            "NUL in the SDK version",
            with(&|v| v["sdk_version"] = json!("0.1\u{0}")),
        ),
    ];
    for (name, body) in cases {
        let r = request(
            server.addr,
            "POST",
            "/v1/consents",
            &[("Content-Type", "application/json")],
            &body,
        );
        assert!(
            (400..500).contains(&r.status),
            "{name}: expected a 4xx, got {} {}",
            r.status,
            r.text()
        );
        assert!(!r.error_code().is_empty(), "{name}");
    }
    assert_eq!(server.stored_count(), 0, "nothing stored on any error");
    assert!(server.records().is_empty());
    assert_eq!(
        pg.psql("postgres", "SELECT COUNT(*) FROM consent_records")
            .unwrap()
            .trim(),
        "0"
    );
    assert_eq!(server.get("/healthz").status, 200);
    server.record(&choice());
    assert_eq!(server.stored_count(), 1);
}

/// The path and query of the first `…/v1/subscriptions/confirm?t=…` link in a message.
fn confirm_link(eml: &str) -> String {
    let body = eml
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .replace("=\r\n", "")
        .replace("=3D", "=");
    let start = body
        .find("/v1/subscriptions/confirm?t=")
        .unwrap_or_else(|| panic!("no confirmation link in {eml}"));
    body[start..]
        .split(|c: char| c.is_whitespace() || c == '"' || c == '<' || c == '>')
        .next()
        .unwrap()
        .to_owned()
}

#[test]
fn postgres_email_records_are_exported_and_erased() {
    let Some(pg) = cluster() else { return };
    let dir = tempfile::tempdir().unwrap();
    let outbox = dir.path().join("outbox");
    let email_site = data("email/site.json");
    let lists = data("email/lists.json");
    let server = Instance::start(
        &pg.url(),
        dir.path(),
        "0",
        &[
            "--outbox",
            outbox.to_str().unwrap(),
            "--site-config",
            email_site.to_str().unwrap(),
            "--email-lists",
            lists.to_str().unwrap(),
            "--email-postal-address",
            "1 Example Street, Springfield",
        ],
    );
    let email = "erase.me@mail.example";
    let r = server.post_json(
        "/v1/subscriptions",
        &json!({
            "email": email, "list": "newsletter", "site": "news.example", "notice_hash": NOTICE,
            "language": "en", "tracking": false,
        }),
    );
    assert_eq!(r.status, 202, "{}", r.text());
    let deadline = Instant::now() + Duration::from_secs(30);
    let eml = loop {
        // One directory per recipient pseudonym.
        let found = crate::scenarios::outbox_files(&outbox).into_iter().next();
        if let Some(p) = found {
            break std::fs::read_to_string(p).unwrap();
        }
        assert!(Instant::now() < deadline, "no .eml in the outbox");
        std::thread::sleep(Duration::from_millis(20));
    };
    let link = confirm_link(&eml);
    // Opening the link shows the confirmation page; its button's POST confirms.
    assert_eq!(server.get(&link).status, 200);
    let token = link.split_once("?t=").unwrap().1;
    let confirm = || {
        request(
            server.addr,
            "POST",
            "/v1/subscriptions/confirm",
            &[("Content-Type", "application/x-www-form-urlencoded")],
            format!("t={token}").as_bytes(),
        )
        .status
    };
    assert_eq!(confirm(), 200);
    assert_eq!(confirm(), 410, "the link is single use (as with SQLite)");

    let lines = server.export();
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

    let r = server.admin(
        "DELETE",
        "/v1/admin/subscribers?email=Erase.Me%40MAIL.example",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["erased"], 3);
    let export = server.admin("GET", "/v1/admin/records").text();
    assert!(
        !export.contains("email_subscription") && !export.contains(email),
        "{export}"
    );
    let left = |table: &str| {
        pg.psql("postgres", &format!("SELECT COUNT(*) FROM {table}"))
            .unwrap()
            .trim()
            .to_owned()
    };
    assert_eq!(
        (left("email_subscriptions"), left("email_events")),
        ("0".into(), "0".into())
    );
}

// --- durability ---

#[test]
fn postgres_acknowledged_records_survive_kill_9_and_database_crashes() {
    let Some(mut pg) = cluster() else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut server = Instance::start(&pg.url(), dir.path(), "0", &[]);
    let mut acked_all: HashSet<String> = HashSet::new();
    for cycle in 0..4 {
        let l = load(server.addr, Failure::DatabaseDown);
        l.wait_for(150);
        l.fail_from_now();
        if cycle % 2 == 1 {
            // The database crashes under load (every PostgreSQL process quits at once, as after kill -9):
            // what it acknowledged must come back from its WAL.
            pg.crash().unwrap();
        }
        server.kill9();
        let acked = l.finish();
        assert!(acked.len() >= 150);
        acked_all.extend(acked);
        if cycle % 2 == 1 {
            pg.restart()
                .unwrap_or_else(|e| panic!("PostgreSQL did not recover: {e}"));
        }

        server = Instance::start(&pg.url(), dir.path(), &(cycle + 1).to_string(), &[]);
        let records = server.records();
        let stored: HashSet<String> = records
            .iter()
            .map(|r| r["record_id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(stored.len(), records.len(), "no duplicates");
        let missing: Vec<_> = acked_all.difference(&stored).collect();
        assert!(
            missing.is_empty(),
            "cycle {cycle}: acknowledged but lost: {missing:?}"
        );
        // Unacknowledged records may exist (committed just before the kill, answer never sent): at most one
        // batch per writer… bounded by the clients' requests in flight.
        assert!(
            stored.len() - acked_all.len() <= CLIENTS * (cycle + 1),
            "cycle {cycle}: {} stored but unacknowledged",
            stored.len() - acked_all.len()
        );
        // Every stored record is whole: its signature verifies and matches it.
        let verifier = server.verifier();
        for r in &records {
            let token = r["signature"]["token"].as_str().expect("token");
            let claims = verifier.verify_now(token).unwrap_or_else(|e| {
                panic!("record {} has an invalid signature: {e}", r["record_id"])
            });
            assert_eq!(
                claims.record_id.to_string(),
                r["record_id"].as_str().unwrap()
            );
            assert_eq!(r["purposes"].as_array().unwrap().len(), 4);
            assert_eq!(r["notice"]["sha256"], NOTICE);
        }
        assert_eq!(server.get("/healthz").status, 200);
    }
}

#[test]
fn postgres_server_rides_out_a_database_restart() {
    let Some(mut pg) = cluster() else { return };
    let dir = tempfile::tempdir().unwrap();
    let server = Instance::start(&pg.url(), dir.path(), "0", &[]);
    server.record(&choice());
    pg.crash().unwrap();
    // While the database is down: a clear 5xx JSON error, no acknowledgement, the server stays up.
    let r = server.post_json("/v1/consents", &choice());
    assert!((500..600).contains(&r.status), "{} {}", r.status, r.text());
    assert!(!r.error_code().is_empty());
    assert_ne!(server.get("/healthz").status, 200);
    pg.restart().unwrap();
    // Pooled connections to the old server are replaced.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let r = server.post_json("/v1/consents", &choice());
        if r.status == 201 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no recovery: {} {}",
            r.status,
            r.text()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(server.get("/healthz").status, 200);
    assert_eq!(server.stored_count(), 2);
}
