//! Admin endpoints: authentication, export, subject access, erasure, statistics.

use serde_json::json;

use crate::support::{ADMIN, SITE, Server, Setup, choice, request, stored_count};

const ADMIN_PATHS: [(&str, &str); 4] = [
    ("GET", "/v1/admin/records"),
    ("GET", "/v1/admin/stats"),
    ("GET", "/v1/admin/subjects/AAAAAAAAAAAAAAAAAAAAAA"),
    ("DELETE", "/v1/admin/subjects/AAAAAAAAAAAAAAAAAAAAAA"),
];

#[test]
fn admin_needs_the_right_bearer_token_and_leaks_nothing_otherwise() {
    let server = Server::start();
    let rec = server.record(&choice());
    let subject = rec["subject"].as_str().unwrap();
    let id = rec["id"].as_str().unwrap();
    let paths: Vec<(&str, String)> = ADMIN_PATHS
        .iter()
        .map(|(m, p)| (*m, p.replace("AAAAAAAAAAAAAAAAAAAAAA", subject)))
        .collect();
    for (method, path) in &paths {
        let r = request(server.addr, method, path, &[], b"");
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (401, "unauthorized"),
            "{method} {path}"
        );
        assert!(r.header("www-authenticate").unwrap().starts_with("Bearer"));
        assert!(!r.text().contains(id) && !r.text().contains(SITE));

        for wrong in [
            "Bearer wrong-token".to_owned(),
            format!("Bearer {ADMIN}x"),
            format!("Bearer {}", &ADMIN[..ADMIN.len() - 1]),
            format!("Basic {ADMIN}"),
        ] {
            let r = request(server.addr, method, path, &[("Authorization", &wrong)], b"");
            assert!(
                matches!(r.status, 401 | 403),
                "{method} {path} with {wrong}: {}",
                r.status
            );
            assert!(!r.text().contains(id) && !r.text().contains(SITE));
        }
        let r = request(
            server.addr,
            method,
            path,
            &[("Authorization", "Bearer wrong-token")],
            b"",
        );
        assert_eq!((r.status, r.error_code().as_str()), (403, "forbidden"));
    }
    // Nothing was erased by the refused DELETEs.
    assert_eq!(stored_count(&server), 1);
}

#[test]
fn admin_is_disabled_without_a_configured_token() {
    let server = Server::with(Setup::default().no_admin());
    server.record(&choice());
    for (method, path) in ADMIN_PATHS {
        for auth in [
            None,
            Some(format!("Bearer {ADMIN}")),
            Some("Bearer ".to_owned()),
        ] {
            let headers: Vec<(&str, &str)> =
                auth.iter().map(|a| ("Authorization", a.as_str())).collect();
            let r = request(server.addr, method, path, &headers, b"");
            assert_eq!(
                (r.status, r.error_code().as_str()),
                (403, "admin_disabled"),
                "{method} {path}"
            );
            assert!(
                r.json()["error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains("ASSENT_ADMIN_TOKEN")
            );
        }
    }
    assert_eq!(stored_count(&server), 1);
}

#[test]
fn export_is_jsonl_filtered_by_site_and_time() {
    let server = Server::start();
    let mut ids = Vec::new();
    for _ in 0..7 {
        ids.push(server.record(&choice())["id"].as_str().unwrap().to_owned());
    }
    let all = server.export("");
    let got: Vec<&str> = all
        .iter()
        .map(|r| r["record_id"].as_str().unwrap())
        .collect();
    assert_eq!(got, ids, "oldest first, every record once");

    assert!(server.export("?site=other.example").is_empty());
    assert_eq!(server.export(&format!("?site={SITE}")).len(), 7);
    let ts: Vec<i64> = all.iter().map(|r| r["ts_ms"].as_i64().unwrap()).collect();
    let first_sec = ts[0] / 1000;
    let after = server.export(&format!("?since={}", first_sec + 1_000_000));
    assert!(after.is_empty());
    let before = server.export(&format!("?until={first_sec}"));
    assert!(
        before.is_empty(),
        "until is exclusive and all records are at or after {first_sec}"
    );
    assert_eq!(server.export(&format!("?since={first_sec}")).len(), 7);

    let r = server.admin_get("/v1/admin/records?since=yesterday");
    assert_eq!((r.status, r.error_code().as_str()), (400, "invalid_query"));
    let r = server.admin_get("/v1/admin/records?sight=x");
    assert_eq!(r.status, 400);
}

#[test]
fn export_pages_through_many_records() {
    let server = Server::start();
    // More than one export page (500).
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let addr = server.addr;
            std::thread::spawn(move || {
                for _ in 0..150 {
                    let r = request(
                        addr,
                        "POST",
                        "/v1/consents",
                        &[("Content-Type", "application/json")],
                        choice().to_string().as_bytes(),
                    );
                    assert_eq!(r.status, 201);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let all = server.export("");
    assert_eq!(all.len(), 600);
    let mut ids: Vec<&str> = all
        .iter()
        .map(|r| r["record_id"].as_str().unwrap())
        .collect();
    let in_order = ids.clone();
    ids.sort_unstable();
    assert_eq!(ids, in_order, "ordered by id");
    ids.dedup();
    assert_eq!(ids.len(), 600, "no duplicates across pages");
}

#[test]
fn erasure_removes_the_subjects_records_everywhere_including_the_file() {
    let mut server = Server::start();
    let a = server.record(&choice());
    let subject = a["subject"].as_str().unwrap().to_owned();
    let mut again = choice();
    again["subject"] = json!(subject);
    let a2 = server.record_as(&a, &again);
    let b = server.record(&choice());
    let other = b["subject"].as_str().unwrap().to_owned();
    assert_ne!(subject, other);

    let r = server.admin_get(&format!("/v1/admin/subjects/{subject}"));
    assert_eq!(r.json()["records"].as_array().unwrap().len(), 2);

    let r = request(
        server.addr,
        "DELETE",
        &format!("/v1/admin/subjects/{subject}"),
        &[("Authorization", &format!("Bearer {ADMIN}"))],
        b"",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["erased"], 2);

    let r = server.admin_get(&format!("/v1/admin/subjects/{subject}"));
    assert_eq!(r.json()["records"], json!([]));
    let left: Vec<String> = server
        .export("")
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

    // The bytes are gone from the database files, not just hidden — checked while the server runs, right
    // after the erasure answered: a shutdown's final checkpoint would scrub the WAL anyway and hide a
    // lingering copy. Every file of the database counts (main file, `-wal`, `-shm`).
    let files = database_files(server.dir.path());
    assert!(
        files.iter().any(|(name, _)| name == "assent.db-wal"),
        "{:?}",
        names(&files)
    );
    let contains = |needle: &str| {
        files
            .iter()
            .filter(|(_, f)| f.windows(needle.len()).any(|w| w == needle.as_bytes()))
            .map(|(name, _)| name.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        contains(&subject),
        Vec::<String>::new(),
        "erased subject id still in these database files"
    );
    assert_eq!(contains(a["id"].as_str().unwrap()), Vec::<String>::new());
    assert_eq!(
        contains(a2["token"].as_str().unwrap()),
        Vec::<String>::new()
    );
    assert!(
        !contains(&other).is_empty(),
        "the scan finds the other subject's record, which is still there"
    );

    server.restart();
    assert_eq!(stored_count(&server), 1);
}

#[test]
fn subject_endpoints_validate_the_subject_id() {
    let server = Server::start();
    for bad in [
        "short",
        "AAAAAAAAAAAAAAAAAAAAA=",
        "AAAAAAAAAAAAAAAAAAAAAAAA",
    ] {
        let r = server.admin_get(&format!("/v1/admin/subjects/{bad}"));
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (400, "invalid_subject"),
            "{bad}"
        );
    }
    let r = server.admin_get("/v1/admin/subjects/AAAAAAAAAAAAAAAAAAAAAA");
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["records"], json!([]));
}

#[test]
fn stats_count_records_subjects_methods_and_current_grants() {
    let server = Server::start();
    let first = server.record(&choice());
    let mut later = choice();
    later["subject"] = first["subject"].clone();
    later["method"] = json!("preferences");
    later["categories"] = json!({"analytics": false, "remarketing": true, "functional": true});
    server.record_as(&first, &later);
    let mut gpc = choice();
    gpc["signals"] = json!({"dnt": false, "gpc": true});
    server.record(&gpc);

    let r = server.admin_get("/v1/admin/stats");
    assert_eq!(r.status, 200);
    let s = r.json();
    assert_eq!(s["records"], 3);
    let site = &s["sites"][SITE];
    assert_eq!(site["records"], 3);
    assert_eq!(site["subjects"], 2);
    assert_eq!(site["by_method"], json!({"banner": 2, "preferences": 1}));
    assert_eq!(site["gpc"], 1);
    // Latest record per subject: subject 1 → remarketing+functional; subject 2 → analytics+functional.
    assert_eq!(
        site["granted_latest"],
        json!({"essential": 2, "analytics": 1, "remarketing": 1, "functional": 2})
    );
    let none = server
        .admin_get("/v1/admin/stats?site=other.example")
        .json();
    assert_eq!(none["records"], 0);
}

/// Every file of the SQLite database in `dir` (`assent.db`, `assent.db-wal`, `assent.db-shm`), by name.
pub(crate) fn database_files(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("assent.db") {
            files.push((name, std::fs::read(&path).unwrap()));
        }
    }
    assert!(!files.is_empty(), "no database file in {}", dir.display());
    files
}

fn names(files: &[(String, Vec<u8>)]) -> Vec<&str> {
    files.iter().map(|(n, _)| n.as_str()).collect()
}
