//! The hardening scenarios that involve storage (`scenarios.rs`), on PostgreSQL: one private cluster and one
//! `assent serve --db postgres://…` for all of them (a cluster takes seconds to start).

use crate::postgres::{Instance, cluster};
use crate::scenarios::{self, Env};

#[test]
fn postgres_hardening_scenarios() {
    let Some(pg) = cluster() else { return };
    let dir = tempfile::tempdir().unwrap();
    let outbox = dir.path().join("outbox");
    let mut args = vec!["--outbox".to_owned(), outbox.display().to_string()];
    args.extend(scenarios::email_args());
    // The scenarios need the consent site too (`Instance::start` adds it only without any --site-config).
    args.push("--site-config".into());
    args.push(crate::support::data("site.json").display().to_string());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let server = Instance::start(&pg.url(), dir.path(), "0", &args);
    let env = Env {
        addr: server.addr,
        dir: dir.path(),
        backend: "postgres",
    };
    scenarios::subject_needs_its_token(&env);
    scenarios::metrics_follow_inserts_and_erasures(&env);
    scenarios::confirm_needs_a_post(&env);
    scenarios::tracking_is_recorded_once_per_hour(&env);
    scenarios::every_subscribe_request_does_the_same_work(&env);
    scenarios::erasure_deletes_the_outbox_copies(&env);
    assert!(!server.logs().contains("panicked"), "{}", server.logs());
}
