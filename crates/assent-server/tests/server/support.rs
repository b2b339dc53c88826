//! Test harness: the real `assent` binary on 127.0.0.1 (started by `assent_testkit::serve`), a temporary
//! directory for the database and keys, and the test tools' HTTP/1.1 client over `TcpStream` that can also send
//! malformed requests.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub(crate) use assent_testkit::http::{Response, connect, parse_response, raw_request, request};
use assent_testkit::serve::{self, Process};
use assent_verify::{KeySet, Verifier};
use serde_json::Value;

pub(crate) const ADMIN: &str = "admin-token-for-tests-0123456789";
pub(crate) const SITE: &str = "test.example";
pub(crate) const REVISION: u32 = 3;
pub(crate) const NOTICE: &str = "6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b";

pub(crate) fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// How to start a server.
#[derive(Clone, Debug)]
pub(crate) struct Setup {
    pub(crate) admin: bool,
    pub(crate) args: Vec<String>,
    pub(crate) env: Vec<(String, String)>,
    /// Appended to the SQLite URL (`?checkpoint_ms=…`).
    pub(crate) db_options: String,
}

impl Default for Setup {
    fn default() -> Setup {
        Setup {
            admin: true,
            args: vec!["--rate-limit".into(), "0".into()],
            env: Vec::new(),
            db_options: String::new(),
        }
    }
}

impl Setup {
    pub(crate) fn arg(mut self, a: &str) -> Setup {
        self.args.push(a.into());
        self
    }

    /// `--rate-limit N` instead of the default 0 (unlimited).
    pub(crate) fn rate_limit(mut self, n: u32) -> Setup {
        if let Some(at) = self.args.iter().position(|a| a == "--rate-limit") {
            self.args.drain(at..at + 2);
        }
        self.arg("--rate-limit").arg(&n.to_string())
    }

    pub(crate) fn no_admin(mut self) -> Setup {
        self.admin = false;
        self
    }
}

/// A running server with its own directory.
#[derive(Debug)]
pub(crate) struct Server {
    pub(crate) dir: tempfile::TempDir,
    pub(crate) addr: SocketAddr,
    process: Process,
    setup: Setup,
    generation: u32,
}

fn spawn(dir: &Path, setup: &Setup, generation: u32) -> Process {
    let mut cmd = serve::command(env!("CARGO_BIN_EXE_assent"));
    cmd.arg("--db")
        .arg(format!(
            "sqlite:{}{}",
            dir.join("assent.db").display(),
            setup.db_options
        ))
        .arg("--keys")
        .arg(dir.join("keys"))
        .arg("--site-config")
        .arg(data("site.json"))
        // Inside the server's directory, never the working directory (the default is ./data/outbox).
        .arg("--outbox")
        .arg(dir.join("outbox"))
        .args(&setup.args);
    for (k, v) in &setup.env {
        cmd.env(k, v);
    }
    if setup.admin {
        cmd.env("ASSENT_ADMIN_TOKEN", ADMIN);
    }
    Process::start(cmd, &dir.join(format!("server-{generation}.log")))
}

impl Server {
    pub(crate) fn start() -> Server {
        Server::with(Setup::default())
    }

    pub(crate) fn with(setup: Setup) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let process = spawn(dir.path(), &setup, 0);
        Server {
            dir,
            addr: process.addr,
            process,
            setup,
            generation: 0,
        }
    }

    /// The server's process id.
    pub(crate) fn pid(&self) -> u32 {
        self.process.pid()
    }

    /// Everything the server has logged so far (all runs).
    pub(crate) fn logs(&self) -> String {
        (0..=self.generation)
            .map(|g| {
                std::fs::read_to_string(self.dir.path().join(format!("server-{g}.log")))
                    .unwrap_or_default()
            })
            .collect()
    }

    /// SIGKILL: no chance to flush or clean up.
    pub(crate) fn kill9(&mut self) {
        self.process.kill9();
    }

    /// Waits (up to 60 s) for the process to exit; returns whether it exited with success.
    pub(crate) fn wait_exit(&mut self) -> bool {
        self.process.wait_exit()
    }

    /// Waits (up to 30 s) until the log contains `needle`.
    pub(crate) fn wait_for_log(&self, needle: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !self.logs().contains(needle) {
            assert!(
                Instant::now() < deadline,
                "the server never logged {needle:?}:\n{}",
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Sends a signal by name (`HUP`).
    pub(crate) fn signal(&self, name: &str) {
        self.process.signal(name);
    }

    /// Starts the server again on the same directory (database and keys).
    pub(crate) fn restart(&mut self) {
        if self.process.running() {
            self.kill9();
        }
        self.generation += 1;
        self.process = spawn(self.dir.path(), &self.setup, self.generation);
        self.addr = self.process.addr;
    }

    pub(crate) fn get(&self, path: &str) -> Response {
        request(self.addr, "GET", path, &[], b"")
    }

    pub(crate) fn admin_get(&self, path: &str) -> Response {
        request(
            self.addr,
            "GET",
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

    /// Records a choice; panics unless 201.
    pub(crate) fn record(&self, body: &Value) -> Value {
        let r = self.post_json("/v1/consents", body);
        assert_eq!(r.status, 201, "{}", r.text());
        r.json()
    }

    /// Records a later choice of the subject of `earlier` (an earlier 201 answer), proven with its token as
    /// the browser does; panics unless 201.
    pub(crate) fn record_as(&self, earlier: &Value, body: &Value) -> Value {
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

    /// All records, through the admin JSONL export.
    pub(crate) fn export(&self, query: &str) -> Vec<Value> {
        let r = self.admin_get(&format!("/v1/admin/records{query}"));
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.header("content-type"), Some("application/x-ndjson"));
        r.text()
            .lines()
            .map(|l| serde_json::from_str(l).expect("each line is JSON"))
            .collect()
    }

    /// A verifier with the keys the server publishes.
    pub(crate) fn verifier(&self) -> Verifier {
        let r = self.get("/.well-known/assent-keys.json");
        assert_eq!(r.status, 200);
        Verifier::new(KeySet::from_json(&r.text()).expect("published key set parses"))
    }
}

/// A valid choice for the test site.
pub(crate) fn choice() -> Value {
    serde_json::json!({
        "site": SITE,
        "revision": REVISION,
        "categories": { "analytics": true, "remarketing": false, "functional": true },
        "signals": { "dnt": false, "gpc": false },
        "language": "en",
        "method": "banner",
        "notice_hash": NOTICE,
        "decided_at": 1_790_000_000u64,
        "sdk_version": "0.1.0",
    })
}

/// The number of records in the store, from `/metrics`.
pub(crate) fn stored_count(server: &Server) -> u64 {
    let r = server.get("/metrics");
    assert_eq!(r.status, 200);
    r.text()
        .lines()
        .find_map(|l| l.strip_prefix("assent_records{backend=\"sqlite\"} "))
        .expect("assent_records gauge")
        .parse()
        .unwrap()
}
