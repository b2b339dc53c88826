//! Steady write load for the durability tests: client threads posting records until stopped, each keeping the
//! ids the server acknowledged with 201. Before [`Load::fail_from_now`] every answer must be a 201; after it,
//! what the failure may cause is tolerated (see [`Failure`]) and nothing else.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{choice, request};

/// Client threads: also the most records a kill can leave stored but unacknowledged per cycle.
pub(crate) const CLIENTS: usize = 8;

/// What the tests do to the server, and so which answers stop being errors once it starts.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    /// `kill -9` of the server: no answer, or a 201 cut off before its id.
    ServerKilled,
    /// The database stops (or the server is killed): also a clear 5xx, retried after a pause.
    DatabaseDown,
}

pub(crate) struct Load {
    stop: Arc<AtomicBool>,
    failing: Arc<AtomicBool>,
    acked: Arc<Mutex<Vec<String>>>,
    /// Answers that are neither a 201 nor what the failure explains.
    errors: Arc<Mutex<Vec<String>>>,
    count: Arc<AtomicUsize>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

/// Starts the clients against `addr`.
pub(crate) fn load(addr: SocketAddr, failure: Failure) -> Load {
    let l = Load {
        stop: Arc::default(),
        failing: Arc::default(),
        acked: Arc::default(),
        errors: Arc::default(),
        count: Arc::default(),
        threads: Vec::new(),
    };
    let threads = (0..CLIENTS)
        .map(|_| {
            let (stop, failing, acked, errors, count) = (
                Arc::clone(&l.stop),
                Arc::clone(&l.failing),
                Arc::clone(&l.acked),
                Arc::clone(&l.errors),
                Arc::clone(&l.count),
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
                    let failing = failing.load(Ordering::Relaxed);
                    match r {
                        Ok((201, Some(id), _)) => {
                            acked.lock().unwrap().push(id);
                            count.fetch_add(1, Ordering::Relaxed);
                        }
                        // Cut off by the failure: not acknowledged.
                        Ok((201, None, _)) | Err(_) if failing => {}
                        Ok((status, _, _))
                            if failing && failure == Failure::DatabaseDown && status >= 500 =>
                        {
                            std::thread::sleep(Duration::from_millis(5));
                        }
                        Ok((status, _, text)) => {
                            errors.lock().unwrap().push(format!("{status} {text}"));
                        }
                        Err(_) => errors
                            .lock()
                            .unwrap()
                            .push("no answer while everything was up".into()),
                    }
                }
            })
        })
        .collect();
    Load { threads, ..l }
}

impl Load {
    /// Waits until `n` records in all were acknowledged (at most two minutes).
    pub(crate) fn wait_for(&self, n: usize) {
        let deadline = Instant::now() + Duration::from_secs(120);
        while self.count.load(Ordering::Relaxed) < n {
            assert!(
                Instant::now() < deadline,
                "the load made no progress; errors: {:?}",
                self.errors.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Called just before the server or the database is made to fail.
    pub(crate) fn fail_from_now(&self) {
        self.failing.store(true, Ordering::Relaxed);
    }

    /// Stops the clients; returns the acknowledged ids, after checking that every answer the failure does not
    /// explain was a 201.
    pub(crate) fn finish(self) -> Vec<String> {
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
