//! Measurements of the consent-server hardening (`docs/server.md`, `docs/email.md`), against the real binary
//! over loopback:
//!
//! - `latency`: `POST /v1/subscriptions` for an address that is confirmed vs a new one, alternating, N of each;
//!   prints the median and p90 of each and their difference (the timing side channel the equal store work closes).
//! - `export-rss`: a SQLite database with `--events` e-mail events (default 1,000,000), written directly, then
//!   `GET /v1/admin/records` read to the end while the server's peak RSS (`VmHWM`) is sampled.
//!
//! `cargo run --release -p assent-server --example hardening_bench -- --server-bin target/release/assent [latency]
//! [export-rss] [--n 300] [--events 1000000]`. Linux only (`/proc`).

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ADMIN: &str = "bench-admin-token-0123456789";
const NOTICE: &str = "6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b";

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(bin: &Path, dir: &Path, extra: &[&str]) -> Server {
    let mut child = Command::new(bin)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--rate-limit",
            "0",
            "--log",
            "warn",
        ])
        .arg("--db")
        .arg(format!("sqlite:{}", dir.join("assent.db").display()))
        .arg("--keys")
        .arg(dir.join("keys"))
        .arg("--outbox")
        .arg(dir.join("outbox"))
        .arg("--site-config")
        .arg(data("email/site.json"))
        .arg("--email-lists")
        .arg(data("email/lists.json"))
        .args(extra)
        .env("ASSENT_ADMIN_TOKEN", ADMIN)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the server");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("assent: listening on http://")
        .expect("listening line")
        .parse()
        .unwrap();
    Server { child, addr }
}

/// One request on a fresh connection; returns the status and the body.
fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, Vec<u8>) {
    let mut s = TcpStream::connect(addr).unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        let _ = write!(head, "{k}: {v}\r\n");
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let status = std::str::from_utf8(&raw[9..12]).unwrap().parse().unwrap();
    let at = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    (status, raw[at..].to_vec())
}

fn subscribe(addr: SocketAddr, email: &str) -> Duration {
    let body = format!(
        r#"{{"email":"{email}","list":"newsletter","site":"news.example","notice_hash":"{NOTICE}","language":"en"}}"#
    );
    let t = Instant::now();
    let (status, _) = request(
        addr,
        "POST",
        "/v1/subscriptions",
        &[("Content-Type", "application/json")],
        body.as_bytes(),
    );
    let took = t.elapsed();
    assert_eq!(status, 202);
    took
}

fn percentile(v: &mut [Duration], p: f64) -> Duration {
    v.sort();
    v[((v.len() - 1) as f64 * p).round() as usize]
}

fn latency(bin: &Path, n: usize) {
    let dir = tempfile::tempdir().unwrap();
    // Large limits rather than 0: before the hardening, 0 meant "refuse everything" for these two.
    let server = start(
        bin,
        dir.path(),
        &[
            "--subscribe-limit",
            "100000000",
            "--subscribe-limit-per-address",
            "100000000",
        ],
    );
    // Confirm one address through the page's form.
    let known = "known@bench.example";
    subscribe(server.addr, known);
    let deadline = Instant::now() + Duration::from_secs(30);
    let token = loop {
        let found = std::fs::read_dir(dir.path().join("outbox"))
            .into_iter()
            .flatten()
            .flatten()
            // One directory per recipient (a flat outbox before the hardening).
            .flat_map(|d| {
                let p = d.path();
                if p.is_dir() {
                    std::fs::read_dir(p)
                        .into_iter()
                        .flatten()
                        .flatten()
                        .map(|f| f.path())
                        .collect()
                } else {
                    vec![p]
                }
            })
            .filter(|p| p.extension().is_some_and(|e| e == "eml"))
            .find_map(|p| std::fs::read_to_string(p).ok());
        if let Some(eml) = found {
            let eml = eml.replace("=\r\n", "").replace("=3D", "=");
            let at = eml.find("confirm?t=").unwrap() + "confirm?t=".len();
            break eml[at..]
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
                .next()
                .unwrap()
                .to_owned();
        }
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(20));
    };
    let (status, _) = request(
        server.addr,
        "POST",
        "/v1/subscriptions/confirm",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        format!("t={token}").as_bytes(),
    );
    if status != 200 {
        // A server from before confirmation took a POST (for the before/after comparison) confirms on GET.
        let (status, _) = request(
            server.addr,
            "GET",
            &format!("/v1/subscriptions/confirm?t={token}"),
            &[],
            b"",
        );
        assert_eq!(status, 200);
    }
    // Warm up, then alternate so that load changes hit both classes alike.
    for i in 0..20 {
        subscribe(server.addr, known);
        subscribe(server.addr, &format!("warm{i}@bench.example"));
    }
    let (mut confirmed, mut new) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for i in 0..n {
        confirmed.push(subscribe(server.addr, known));
        new.push(subscribe(server.addr, &format!("new{i}@bench.example")));
    }
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let (c50, c90) = (
        percentile(&mut confirmed, 0.5),
        percentile(&mut confirmed, 0.9),
    );
    let (n50, n90) = (percentile(&mut new, 0.5), percentile(&mut new, 0.9));
    println!("latency of POST /v1/subscriptions, {n} each, alternating (SQLite, durable commit):");
    println!(
        "  confirmed address: median {:.3} ms, p90 {:.3} ms",
        ms(c50),
        ms(c90)
    );
    println!(
        "  new address:       median {:.3} ms, p90 {:.3} ms",
        ms(n50),
        ms(n90)
    );
    println!(
        "  difference (new - confirmed): median {:+.3} ms ({:+.1} %), p90 {:+.3} ms",
        ms(n50) - ms(c50),
        (ms(n50) / ms(c50) - 1.0) * 100.0,
        ms(n90) - ms(c90)
    );
}

fn vm_hwm_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn export_rss(bin: &Path, events: u64) {
    let dir = tempfile::tempdir().unwrap();
    // Let the server create the schema, then stop it and fill the tables directly.
    drop(start(bin, dir.path(), &[]));
    let t = Instant::now();
    {
        let mut db = rusqlite::Connection::open(dir.path().join("assent.db")).unwrap();
        db.pragma_update(None, "journal_mode", "WAL").unwrap();
        let tx = db.transaction().unwrap();
        let subscribers = 1000u64;
        for s in 0..subscribers {
            tx.execute(
                "INSERT INTO email_subscriptions (subject, list, address, state, site, notice_hash, language, tracking,
                   requested_ms, confirmed_ms, updated_ms) VALUES (?1, 'newsletter', ?2, 'confirmed', 'news.example', ?3,
                   'en', 1, 1, 2, 2)",
                rusqlite::params![format!("subject{s:016}"), format!("a{s}@bench.example"), NOTICE],
            )
            .unwrap();
        }
        let mut stmt = tx
            .prepare("INSERT INTO email_events (id, subject, list, kind, ts_ms, detail) VALUES (?1, ?2, 'newsletter', 'click', ?3, ?4)")
            .unwrap();
        for i in 0..events {
            stmt.execute(rusqlite::params![
                uuid::Uuid::now_v7().to_string(),
                format!("subject{:016}", i % subscribers),
                1_790_000_000_000i64 + i as i64,
                r#"{"url":"https://news.example/articles/1"}"#,
            ])
            .unwrap();
        }
        drop(stmt);
        tx.commit().unwrap();
        db.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)").unwrap();
    }
    println!(
        "wrote {events} e-mail events in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let server = start(bin, dir.path(), &[]);
    let pid = server.child.id();
    let idle = vm_hwm_kib(pid);
    let started = Instant::now();
    let mut s = TcpStream::connect(server.addr).unwrap();
    write!(
        s,
        "GET /v1/admin/records HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {ADMIN}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut buf = vec![0u8; 1 << 16];
    let (mut bytes, mut lines) = (0u64, 0u64);
    let mut peak = idle;
    loop {
        let n = s.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        bytes += n as u64;
        lines += buf[..n].split(|b| *b == b'\n').count() as u64 - 1;
        peak = peak.max(vm_hwm_kib(pid));
    }
    peak = peak.max(vm_hwm_kib(pid));
    println!(
        "export of {events} e-mail events: {:.1} MB in {:.1} s (~{lines} lines incl. headers); server peak RSS \
         (VmHWM) {:.1} MB, {:.1} MB at idle before",
        bytes as f64 / 1e6,
        started.elapsed().as_secs_f64(),
        peak as f64 / 1024.0,
        idle as f64 / 1024.0
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let bin =
        PathBuf::from(value("--server-bin").unwrap_or_else(|| "target/release/assent".into()));
    let n = value("--n").map_or(300, |v| v.parse().unwrap());
    let events = value("--events").map_or(1_000_000, |v| v.parse().unwrap());
    let all = !args.iter().any(|a| a == "latency" || a == "export-rss");
    if all || args.iter().any(|a| a == "latency") {
        latency(&bin, n);
    }
    if all || args.iter().any(|a| a == "export-rss") {
        export_rss(&bin, events);
    }
}
