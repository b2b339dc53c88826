//! Counters exported at `GET /metrics` in the Prometheus text format.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// The server's counters. Hot paths use atomics; the rarer labelled counters use a small locked map.
#[derive(Debug, Default)]
pub struct Metrics {
    records_stored: AtomicU64,
    store_failures: AtomicU64,
    requests: [AtomicU64; 5],
    verify: Mutex<BTreeMap<&'static str, u64>>,
    errors: Mutex<BTreeMap<(u16, &'static str), u64>>,
}

impl Metrics {
    /// A record was committed.
    pub fn record_stored(&self) {
        self.records_stored.fetch_add(1, Ordering::Relaxed);
    }

    /// A store operation failed.
    pub fn store_failed(&self) {
        self.store_failures.fetch_add(1, Ordering::Relaxed);
    }

    /// A request finished with `status`; `error` is the JSON error code, if it was an error.
    pub fn request(&self, status: u16, error: Option<&'static str>) {
        let class = usize::from(status / 100).clamp(1, 5) - 1;
        self.requests[class].fetch_add(1, Ordering::Relaxed);
        if let Some(code) = error {
            *self
                .errors
                .lock()
                .expect("metrics lock")
                .entry((status, code))
                .or_default() += 1;
        }
    }

    /// A token verification result: `valid` or the reason code.
    pub fn verify_result(&self, result: &'static str) {
        *self
            .verify
            .lock()
            .expect("metrics lock")
            .entry(result)
            .or_default() += 1;
    }

    /// Records committed since start.
    pub fn records_stored_total(&self) -> u64 {
        self.records_stored.load(Ordering::Relaxed)
    }

    /// The Prometheus text exposition. `records` is the store's current record count, if it answered.
    pub fn render(&self, backend: &str, records: Option<u64>) -> String {
        let mut out = String::with_capacity(1024);
        let mut metric = |name: &str, kind: &str, help: &str| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        };
        metric(
            "assent_records_stored_total",
            "counter",
            "Consent records committed durably since the server started.",
        );
        let _ = writeln!(
            out,
            "assent_records_stored_total {}",
            self.records_stored_total()
        );
        if let Some(n) = records {
            let _ = writeln!(
                out,
                "# HELP assent_records Consent records in the store.\n# TYPE assent_records gauge\n\
                 assent_records{{backend=\"{backend}\"}} {n}"
            );
        }
        let _ = writeln!(
            out,
            "# HELP assent_store_failures_total Store operations that failed.\n\
             # TYPE assent_store_failures_total counter\nassent_store_failures_total {}",
            self.store_failures.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP assent_http_requests_total HTTP requests answered, by status class.\n\
             # TYPE assent_http_requests_total counter"
        );
        for (i, c) in self.requests.iter().enumerate() {
            let _ = writeln!(
                out,
                "assent_http_requests_total{{class=\"{}xx\"}} {}",
                i + 1,
                c.load(Ordering::Relaxed)
            );
        }
        let _ = writeln!(
            out,
            "# HELP assent_http_errors_total Error responses, by status and error code.\n\
             # TYPE assent_http_errors_total counter"
        );
        for ((status, code), n) in self.errors.lock().expect("metrics lock").iter() {
            let _ = writeln!(
                out,
                "assent_http_errors_total{{status=\"{status}\",code=\"{code}\"}} {n}"
            );
        }
        let _ = writeln!(
            out,
            "# HELP assent_verify_total Token verifications (POST /v1/verify and receipts), by result.\n\
             # TYPE assent_verify_total counter"
        );
        for (result, n) in self.verify.lock().expect("metrics lock").iter() {
            let _ = writeln!(out, "assent_verify_total{{result=\"{result}\"}} {n}");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters() {
        let m = Metrics::default();
        m.record_stored();
        m.request(201, None);
        m.request(422, Some("unknown_site"));
        m.verify_result("valid");
        let text = m.render("sqlite", Some(7));
        assert!(text.contains("assent_records_stored_total 1\n"), "{text}");
        assert!(text.contains("assent_records{backend=\"sqlite\"} 7\n"));
        assert!(text.contains("assent_http_requests_total{class=\"2xx\"} 1\n"));
        assert!(
            text.contains("assent_http_errors_total{status=\"422\",code=\"unknown_site\"} 1\n")
        );
        assert!(text.contains("assent_verify_total{result=\"valid\"} 1\n"));
    }
}
