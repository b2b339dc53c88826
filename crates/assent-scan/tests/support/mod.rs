//! Loopback servers for the scan tests: the real `assent serve` on a temp copy of www/ with fixture pages added,
//! and a tiny "third-party" HTTP server that records what it is asked.
//!
//! The environment comes from `cargo xtask test` (step `scan`): `ASSENT_BIN` (the `assent` binary), `ASSENT_WWW`
//! (www/ with the built `dist/`), `CHROMIUM_PATH`. A missing one fails the test: it never skips.

#![allow(dead_code, unreachable_pub)]

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub fn env_path(name: &str) -> PathBuf {
    let value = std::env::var_os(name).unwrap_or_else(|| {
        panic!("{name} is not set: run these tests through `cargo xtask test --only scan` (it sets ASSENT_BIN, ASSENT_WWW and CHROMIUM_PATH)")
    });
    let path = PathBuf::from(value);
    assert!(path.exists(), "{name}={} does not exist", path.display());
    path
}

pub fn chromium() -> PathBuf {
    env_path("CHROMIUM_PATH")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `assent serve` on 127.0.0.1, serving a temp copy of `$ASSENT_WWW` plus `extra` files (path, text).
#[derive(Debug)]
pub struct AssentServer {
    child: Child,
    pub origin: String,
    _dir: tempfile::TempDir,
}

impl AssentServer {
    pub fn start(extra: &[(&str, String)]) -> AssentServer {
        let bin = env_path("ASSENT_BIN");
        let www = env_path("ASSENT_WWW");
        assert!(
            www.join("dist").is_dir(),
            "{}/dist does not exist: build the browser SDK first (cargo xtask dist)",
            www.display()
        );
        let dir = tempfile::tempdir().unwrap();
        let served = dir.path().join("www");
        copy_dir(&www, &served);
        for (path, text) in extra {
            let file = served.join(path);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(file, text).unwrap();
        }
        let keys = dir.path().join("keys");
        std::fs::create_dir(&keys).unwrap();
        let port = free_port();
        let child = Command::new(&bin)
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .arg("--db")
            .arg(format!("sqlite:{}", dir.path().join("assent.db").display()))
            .arg("--www")
            .arg(&served)
            .arg("--keys")
            .arg(&keys)
            .env("ASSENT_ADMIN_TOKEN", "scan-test-admin-token-0123456789")
            .env("ASSENT_LOG", "warn")
            .env("ASSENT_RATE_LIMIT", "0")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
        let mut server = AssentServer {
            child,
            origin: format!("http://127.0.0.1:{port}"),
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("assent serve exited early: {status}");
            }
            if http_status(port, "/.well-known/assent-keys.json") == Some(200) {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "assent serve did not answer within 30 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.origin)
    }
}

impl Drop for AssentServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn http_status(port: u16, path: &str) -> Option<u16> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut line = String::new();
    BufReader::new(s).read_line(&mut line).ok()?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// A minimal HTTP server on 127.0.0.1 that records every request line. Paths: `/loop` redirects to itself,
/// `/hang` never finishes its body, `/data.json` answers JSON, anything else an empty 200 with CORS allowed.
#[derive(Debug, Clone)]
pub struct ThirdParty {
    pub port: u16,
    pub seen: Arc<Mutex<Vec<String>>>,
}

impl ThirdParty {
    pub fn start() -> ThirdParty {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let log = Arc::clone(&log);
                std::thread::spawn(move || answer(stream, &log));
            }
        });
        ThirdParty { port, seen }
    }

    pub fn requests(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

fn answer(stream: TcpStream, log: &Mutex<Vec<String>>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    // A TLS ClientHello (first byte 0x16) gets a plain-HTTP error, as any HTTP-only server answers it.
    let mut first = [0u8; 1];
    if stream.peek(&mut first).is_err() {
        return;
    }
    if first[0] == 0x16 {
        let mut out = stream;
        let mut hello = [0u8; 4096];
        let _ = std::io::Read::read(&mut out, &mut hello);
        let _ = out.write_all(
            b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        );
        return;
    }
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let mut host = String::new();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).is_err() || header.trim().is_empty() {
            break;
        }
        if let Some(h) = header
            .strip_prefix("Host:")
            .or_else(|| header.strip_prefix("host:"))
        {
            host = h.trim().to_string();
        }
    }
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
    log.lock().unwrap().push(format!("{host}{path}"));
    let mut out = stream;
    let response = match path.as_str() {
        "/loop" => "HTTP/1.1 302 Found\r\nLocation: /loop\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_string(),
        "/hang" => {
            let _ = out.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100000\r\n\r\n<!doctype html><title>slow</title>");
            std::thread::sleep(Duration::from_secs(20));
            return;
        }
        "/data.json" => "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}".to_string(),
        _ => "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nAccess-Control-Allow-Origin: *\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_string(),
    };
    let _ = out.write_all(response.as_bytes());
}

/// Runs `assent-scan` with `args` (the Chromium from `CHROMIUM_PATH`).
pub fn scan(args: &[&str]) -> Output {
    let output = Command::new(env!("CARGO_BIN_EXE_assent-scan"))
        .args(args)
        .env("CHROMIUM_PATH", chromium())
        .output()
        .unwrap();
    eprintln!(
        "assent-scan {args:?} exited {:?}\n--- stdout\n{}\n--- stderr\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// Runs a scan writing its JSON report to a temp file; returns the exit code, the report and the output.
pub fn scan_json(args: &[&str]) -> (i32, serde_json::Value, Output) {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("report.json");
    let mut all: Vec<&str> = args.to_vec();
    let json_arg = json.to_str().unwrap().to_string();
    all.extend(["--json", &json_arg]);
    let output = scan(&all);
    let text =
        std::fs::read_to_string(&json).unwrap_or_else(|e| panic!("no JSON report written ({e})"));
    let report = serde_json::from_str(&text).unwrap();
    (output.status.code().unwrap_or(-1), report, output)
}
