//! Durability: acknowledged records survive `kill -9`; nothing is half-written; a graceful shutdown finishes
//! the requests in flight.

use std::collections::HashSet;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::support::{Server, choice, connect, parse_response, request};

const CLIENTS: usize = 8;

struct Load {
    stop: Arc<AtomicBool>,
    /// Set just before the server is killed: from then on a cut-off answer is expected, not an error.
    killing: Arc<AtomicBool>,
    acked: Arc<Mutex<Vec<String>>>,
    /// Answers that are neither a 201 nor "no answer because the server was killed".
    errors: Arc<Mutex<Vec<String>>>,
    count: Arc<AtomicUsize>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

/// Starts CLIENTS threads posting records until stopped (or the server goes away); each remembers the ids the
/// server acknowledged with 201, and every other answer as an error.
fn load(addr: SocketAddr) -> Load {
    let stop = Arc::new(AtomicBool::new(false));
    let killing = Arc::new(AtomicBool::new(false));
    let acked = Arc::new(Mutex::new(Vec::new()));
    let errors = Arc::new(Mutex::new(Vec::new()));
    let count = Arc::new(AtomicUsize::new(0));
    let threads = (0..CLIENTS)
        .map(|_| {
            let (stop, killing, acked, errors, count) = (
                Arc::clone(&stop),
                Arc::clone(&killing),
                Arc::clone(&acked),
                Arc::clone(&errors),
                Arc::clone(&count),
            );
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let body = choice().to_string();
                    // `request` panics when there is no parseable answer (the server was killed mid-request).
                    let r = std::panic::catch_unwind(|| {
                        let r = request(
                            addr,
                            "POST",
                            "/v1/consents",
                            &[("Content-Type", "application/json")],
                            body.as_bytes(),
                        );
                        let id = serde_json::from_slice::<Value>(&r.body)
                            .ok()
                            .and_then(|v| v["id"].as_str().map(str::to_owned));
                        (r.status, id, r.text())
                    });
                    let killed = killing.load(Ordering::Relaxed);
                    match r {
                        Ok((201, Some(id), _)) => {
                            acked.lock().unwrap().push(id);
                            count.fetch_add(1, Ordering::Relaxed);
                        }
                        // No answer, or a 201 cut off, because the server was killed: not acknowledged.
                        Ok((201, None, _)) | Err(_) if killed => {}
                        Ok((status, _, text)) => {
                            errors.lock().unwrap().push(format!("{status} {text}"));
                        }
                        Err(_) => errors
                            .lock()
                            .unwrap()
                            .push("no answer while the server was up".into()),
                    }
                }
            })
        })
        .collect();
    Load {
        stop,
        killing,
        acked,
        errors,
        count,
        threads,
    }
}

impl Load {
    fn wait_for(&self, n: usize) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
        while self.count.load(Ordering::Relaxed) < n {
            assert!(
                std::time::Instant::now() < deadline,
                "the load made no progress; errors: {:?}",
                self.errors.lock().unwrap()
            );
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }

    /// Stops the clients; returns the acknowledged ids, after checking that every answer was a 201.
    fn finish(self) -> Vec<String> {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads {
            t.join().unwrap();
        }
        let errors = Arc::try_unwrap(self.errors).unwrap().into_inner().unwrap();
        assert!(
            errors.is_empty(),
            "{} answers under steady load were not 201: {:?}",
            errors.len(),
            &errors[..errors.len().min(5)]
        );
        Arc::try_unwrap(self.acked).unwrap().into_inner().unwrap()
    }
}

/// Every stored record is complete: all fields present, and its token (the record's signature) verifies and
/// matches the record.
fn check_complete(server: &Server, records: &[Value]) {
    let verifier = server.verifier();
    for r in records {
        let token = r["signature"]["token"].as_str().expect("token");
        let claims = verifier
            .verify_now(token)
            .unwrap_or_else(|e| panic!("record {} has an invalid signature: {e}", r["record_id"]));
        assert_eq!(
            claims.record_id.to_string(),
            r["record_id"].as_str().unwrap()
        );
        assert_eq!(claims.site_id, r["site"].as_str().unwrap());
        assert_eq!(r["purposes"].as_array().unwrap().len(), 4);
        assert_eq!(r["notice"]["sha256"].as_str().unwrap().len(), 64);
        assert!(r["ts_ms"].as_i64().unwrap() > 0);
    }
}

#[test]
fn acknowledged_records_survive_kill_9_cycles() {
    let mut server = Server::start();
    let mut acked_all: HashSet<String> = HashSet::new();
    for cycle in 0..4 {
        let l = load(server.addr);
        l.wait_for(150);
        l.killing.store(true, Ordering::Relaxed);
        server.kill9();
        let acked = l.finish();
        assert!(acked.len() >= 150);
        acked_all.extend(acked);

        server.restart();
        let records = server.export("");
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
        // Unacknowledged records may exist (committed just before the kill, answer never sent), at most one
        // per client per cycle.
        assert!(stored.len() - acked_all.len() <= CLIENTS * (cycle + 1));
        check_complete(&server, &records);
        assert_eq!(server.get("/healthz").status, 200);
    }
}

/// Requests the server is in the middle of when SIGTERM arrives are finished and acknowledged, and what they
/// stored is there after the restart; new connections are refused from then on.
///
/// Each client first completes one request on its keep-alive connection (so the server has surely accepted the
/// connection), then sends a second request without the last byte of its body and holds it. After SIGTERM (the
/// server logs that it is finishing in-flight requests) the clients send the last byte: each must get its 201.
#[test]
fn graceful_shutdown_finishes_in_flight_requests() {
    const HELD: usize = 6;
    let mut server = Server::start();
    let addr = server.addr;
    let body = choice().to_string();
    let post = |close: bool| {
        format!(
            "POST /v1/consents HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\n{}\r\n{body}",
            body.len(),
            if close { "Connection: close\r\n" } else { "" }
        )
    };
    let mut held = Vec::new();
    for _ in 0..HELD {
        let mut s = connect(addr);
        s.write_all(post(false).as_bytes()).unwrap();
        let first = read_one_response(&mut s);
        assert_eq!(first.status, 201, "{}", first.text());
        let second = post(true);
        let (head, last) = second.split_at(second.len() - 1);
        s.write_all(head.as_bytes()).unwrap();
        held.push((s, last.to_owned()));
    }

    server.signal("TERM");
    server.wait_for_log("shutting down: finishing in-flight requests");
    assert!(
        TcpStream::connect(addr).is_err(),
        "the listener is closed once shutdown began"
    );
    let mut acked = HashSet::new();
    for (mut s, last) in held {
        s.write_all(last.as_bytes())
            .expect("the in-flight request's connection is still open");
        let mut bytes = Vec::new();
        let _ = s.read_to_end(&mut bytes);
        let r = parse_response(&bytes).unwrap_or_else(|| {
            panic!(
                "an in-flight request got no answer after SIGTERM: {:?}",
                String::from_utf8_lossy(&bytes)
            )
        });
        assert_eq!(r.status, 201, "{}", r.text());
        acked.insert(r.json()["id"].as_str().unwrap().to_owned());
    }
    assert!(server.wait_exit(), "clean exit after SIGTERM");
    assert!(server.logs().contains("stopped"));

    server.restart();
    let stored: HashSet<String> = server
        .export("")
        .iter()
        .map(|r| r["record_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(acked.len(), HELD);
    assert!(
        acked.is_subset(&stored),
        "acknowledged during shutdown but not stored"
    );
    assert_eq!(stored.len(), 2 * HELD, "the first requests are stored too");
}

/// Reads exactly one response (headers and a `Content-Length` body) from a keep-alive connection.
fn read_one_response(s: &mut TcpStream) -> crate::support::Response {
    let mut bytes = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        if let Some(end) = bytes.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&bytes[..end]).to_ascii_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map_or(0, |v| v.trim().parse().unwrap());
            if bytes.len() >= end + 4 + len {
                return parse_response(&bytes[..end + 4 + len]).unwrap();
            }
        }
        let n = s.read(&mut buf).unwrap();
        assert!(n > 0, "connection closed before a whole response");
        bytes.extend_from_slice(&buf[..n]);
    }
}
