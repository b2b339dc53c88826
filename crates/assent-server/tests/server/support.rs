//! Test harness: the real `assent` binary on 127.0.0.1 (port chosen by the server and read from its stdout),
//! a temporary directory for the database and keys, and a small HTTP/1.1 client over `TcpStream` that can
//! also send malformed requests.

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

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
    child: Child,
    setup: Setup,
    generation: u32,
}

fn spawn(dir: &Path, setup: &Setup, generation: u32) -> (Child, SocketAddr) {
    let log = std::fs::File::create(dir.join(format!("server-{generation}.log"))).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_assent"));
    cmd.arg("serve")
        .args(["--listen", "127.0.0.1:0"])
        .arg("--db")
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
        .args(&setup.args)
        .env_remove("ASSENT_ADMIN_TOKEN")
        .env_remove("RUST_LOG")
        .env("ASSENT_LOG", "debug")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(log);
    for (k, v) in &setup.env {
        cmd.env(k, v);
    }
    if setup.admin {
        cmd.env("ASSENT_ADMIN_TOKEN", ADMIN);
    }
    let mut child = cmd.spawn().expect("start assent serve");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let Some(addr) = line
        .trim()
        .strip_prefix("assent: listening on http://")
        .and_then(|a| a.parse().ok())
    else {
        let _ = child.kill();
        let _ = child.wait();
        panic!(
            "server did not start (stdout {line:?}); log:\n{}",
            std::fs::read_to_string(dir.join(format!("server-{generation}.log")))
                .unwrap_or_default()
        );
    };
    (child, addr)
}

impl Server {
    pub(crate) fn start() -> Server {
        Server::with(Setup::default())
    }

    pub(crate) fn with(setup: Setup) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let (child, addr) = spawn(dir.path(), &setup, 0);
        Server {
            dir,
            addr,
            child,
            setup,
            generation: 0,
        }
    }

    /// The server's process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
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
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// Waits (up to 60 s) for the process to exit; returns whether it exited with success.
    pub(crate) fn wait_exit(&mut self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.success();
            }
            assert!(Instant::now() < deadline, "server did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
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
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Starts the server again on the same directory (database and keys).
    pub(crate) fn restart(&mut self) {
        if self.child.try_wait().unwrap().is_none() {
            self.kill9();
        }
        self.generation += 1;
        let (child, addr) = spawn(self.dir.path(), &self.setup, self.generation);
        self.child = child;
        self.addr = addr;
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

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
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

/// An HTTP response.
#[derive(Debug)]
pub(crate) struct Response {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl Response {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    /// The `error.code` of a JSON error body.
    pub(crate) fn error_code(&self) -> String {
        let v = self.json();
        v["error"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("no error code in {v}"))
            .to_owned()
    }
}

pub(crate) fn connect(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    s.set_write_timeout(Some(Duration::from_secs(60))).unwrap();
    s
}

/// Sends one request (`Connection: close`) and reads the whole response.
pub(crate) fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Response {
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        let _ = write!(head, "{k}: {v}\r\n");
    }
    if !body.is_empty() || method == "POST" {
        let _ = write!(head, "Content-Length: {}\r\n", body.len());
    }
    head.push_str("\r\n");
    let mut raw = head.into_bytes();
    raw.extend_from_slice(body);
    raw_request(addr, &raw)
}

/// Sends raw bytes and parses the response.
pub(crate) fn raw_request(addr: SocketAddr, raw: &[u8]) -> Response {
    let mut s = connect(addr);
    // The server may answer (and close) before reading everything, e.g. for an oversized body.
    let _ = s.write_all(raw);
    let mut bytes = Vec::new();
    let _ = s.read_to_end(&mut bytes);
    parse_response(&bytes).unwrap_or_else(|| {
        panic!(
            "unparseable response: {:?}",
            String::from_utf8_lossy(&bytes)
        )
    })
}

pub(crate) fn parse_response(bytes: &[u8]) -> Option<Response> {
    let end = bytes.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&bytes[..end]).ok()?;
    let mut lines = head.split("\r\n");
    let status = lines.next()?.get(9..12)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let rest = &bytes[end + 4..];
    let chunked = headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"));
    let body = if chunked {
        dechunk(rest)?
    } else {
        rest.to_vec()
    };
    Some(Response {
        status,
        headers,
        body,
    })
}

fn dechunk(mut rest: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = rest.windows(2).position(|w| w == b"\r\n")?;
        let size =
            usize::from_str_radix(std::str::from_utf8(&rest[..line_end]).ok()?.trim(), 16).ok()?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(rest.get(..size)?);
        rest = rest.get(size + 2..)?;
    }
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
