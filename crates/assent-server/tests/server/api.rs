//! Recording choices, tokens, receipts, verification, well-known documents, static files, CORS, key rotation.

use assent_verify::Category;
use serde_json::{Value, json};

use crate::support::{
    ADMIN, NOTICE, REVISION, SITE, Server, Setup, choice, data, request, stored_count,
};

#[test]
fn a_record_yields_a_token_that_verifies_offline_with_the_published_keys() {
    let server = Server::start();
    let r = request(
        server.addr,
        "POST",
        "/v1/consents",
        &[("Content-Type", "application/json"), ("Sec-GPC", "1")],
        choice().to_string().as_bytes(),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let answer = r.json();
    let id = answer["id"].as_str().unwrap();
    assert_eq!(
        r.header("location"),
        Some(format!("/v1/consents/{id}").as_str())
    );
    assert_eq!(id.len(), 36);
    assert_eq!(&id[14..15], "7", "record ids are UUIDv7: {id}");
    let subject = answer["subject"].as_str().unwrap();
    assert_eq!(
        subject.len(),
        22,
        "a subject is assigned on the first record"
    );

    let verified = server
        .verifier()
        .verify_now(answer["token"].as_str().unwrap())
        .expect("the token verifies with /.well-known/assent-keys.json");
    assert_eq!(verified.record_id.to_string(), id);
    assert_eq!(verified.site_id, SITE);
    assert_eq!(verified.config_revision, REVISION);
    assert_eq!(verified.expires_at, answer["expires_at"].as_u64().unwrap());
    assert_eq!(
        verified.expires_at - verified.issued_at,
        180 * 86_400,
        "expiry = decision + reconsent_days of the site config"
    );
    assert!(verified.granted(&Category::Essential));
    assert!(verified.granted(&Category::Analytics));
    assert!(!verified.granted(&Category::Remarketing));
    // functional is the first custom category: index 4.
    assert!(verified.granted_index(4));
    assert!(
        verified.signals.gpc,
        "Sec-GPC: 1 is recorded even when the body says false"
    );
    assert!(!verified.signals.dnt);

    let stored = &server.export("")[0];
    assert_eq!(stored["record_id"], id);
    assert_eq!(stored["signals"]["gpc"], true);
    assert_eq!(stored["signals"]["gpc_header"], true);
    assert_eq!(stored_count(&server), 1);
}

#[test]
fn records_follow_the_consent_receipt_fields_and_are_append_only() {
    let server = Server::start();
    let first = server.record(&choice());
    let subject = first["subject"].as_str().unwrap().to_owned();
    let mut withdraw = choice();
    withdraw["subject"] = json!(subject);
    withdraw["method"] = json!("withdraw");
    withdraw["categories"] = json!({"analytics": false, "remarketing": false, "functional": false});
    withdraw["signals"] = json!({"dnt": true, "gpc": false});
    let second = server.record_as(&first, &withdraw);
    assert_eq!(
        second["subject"], subject,
        "the subject sent back with its token is kept"
    );
    assert_ne!(second["id"], first["id"]);

    let r = server.admin_get(&format!("/v1/admin/subjects/{subject}"));
    assert_eq!(r.status, 200);
    let history = r.json();
    let records = history["records"].as_array().unwrap();
    assert_eq!(
        records.len(),
        2,
        "a withdrawal is a new record; the first one is unchanged"
    );
    let (a, b) = (&records[0], &records[1]);
    assert_eq!(a["record_id"], first["id"]);
    assert_eq!(a["collection"]["method"], "banner");
    assert_eq!(b["collection"]["method"], "withdraw");
    // Kantara Consent Receipt / ISO 27560 fields (docs/server.md).
    assert_eq!(a["schema_version"], 1);
    assert_eq!(a["subject"], subject);
    assert_eq!(a["site"], SITE);
    assert_eq!(
        a["controller"]["policy_url"],
        "https://test.example/privacy"
    );
    assert_eq!(a["notice"]["revision"], REVISION);
    assert_eq!(a["notice"]["sha256"], NOTICE);
    assert_eq!(a["language"], "en");
    assert_eq!(a["collection"]["sdk_version"], "0.1.0");
    assert_eq!(a["decided_at"], 1_790_000_000u64);
    assert!(a["ts"].as_str().unwrap().ends_with('Z'));
    assert_eq!(a["signature"]["alg"], "Ed25519");
    let purposes: Vec<(&str, &str)> = a["purposes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["category"].as_str().unwrap(),
                p["state"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        purposes,
        vec![
            ("essential", "granted"),
            ("analytics", "granted"),
            ("remarketing", "denied"),
            ("functional", "granted")
        ]
    );
    let denied: Vec<&str> = b["purposes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["state"] == "denied")
        .map(|p| p["category"].as_str().unwrap())
        .collect();
    assert_eq!(denied, ["analytics", "remarketing", "functional"]);
    assert_eq!(b["signals"]["dnt"], true);
}

#[test]
fn receipts_need_the_visitors_own_token() {
    let server = Server::start();
    let a = server.record(&choice());
    let b = server.record(&choice());
    let id = a["id"].as_str().unwrap();
    let path = format!("/v1/consents/{id}");
    let token_a = format!("Bearer {}", a["token"].as_str().unwrap());
    let token_b = format!("Bearer {}", b["token"].as_str().unwrap());

    let r = request(
        server.addr,
        "GET",
        &path,
        &[("Authorization", &token_a)],
        b"",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let receipt = r.json();
    assert_eq!(receipt["record_id"], id);
    assert_eq!(receipt["signature"]["token"], a["token"]);
    assert_eq!(r.header("cache-control"), Some("no-store"));

    let r = server.get(&path);
    assert_eq!((r.status, r.error_code().as_str()), (401, "missing_token"));
    assert!(r.header("www-authenticate").is_some());
    assert!(!r.text().contains(SITE), "no record data without a token");

    let r = request(
        server.addr,
        "GET",
        &path,
        &[("Authorization", &token_b)],
        b"",
    );
    assert_eq!((r.status, r.error_code().as_str()), (403, "token_mismatch"));
    assert!(!r.text().contains(SITE));

    let mut forged = a["token"].as_str().unwrap().to_owned();
    let last = forged.pop().unwrap();
    forged.push(if last == 'A' { 'B' } else { 'A' });
    let r = request(
        server.addr,
        "GET",
        &path,
        &[("Authorization", &format!("Bearer {forged}"))],
        b"",
    );
    assert_eq!((r.status, r.error_code().as_str()), (401, "invalid_token"));

    // An admin token is not a visitor token.
    let r = request(
        server.addr,
        "GET",
        &path,
        &[("Authorization", &format!("Bearer {ADMIN}"))],
        b"",
    );
    assert_eq!(r.status, 401);
}

#[test]
fn verify_endpoint_returns_claims_or_the_reason() {
    let server = Server::start();
    let a = server.record(&choice());
    let token = a["token"].as_str().unwrap();
    let r = server.post_json("/v1/verify", &json!({ "token": token }));
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(v["valid"], true);
    assert_eq!(v["claims"]["record_id"], a["id"]);
    assert_eq!(v["claims"]["site_id"], SITE);
    assert_eq!(v["claims"]["granted"], json!([0, 1, 4]));

    // Any altered byte fails.
    let mut bytes = token.as_bytes().to_vec();
    for i in [0, bytes.len() / 2, bytes.len() - 3] {
        let original = bytes[i];
        bytes[i] = if original == b'A' { b'B' } else { b'A' };
        let altered = String::from_utf8(bytes.clone()).unwrap();
        let v = server
            .post_json("/v1/verify", &json!({ "token": altered }))
            .json();
        assert_eq!(v["valid"], false, "altered at {i}");
        assert!(v["error"]["code"].is_string());
        bytes[i] = original;
    }
    let v = server
        .post_json("/v1/verify", &json!({ "token": "" }))
        .json();
    assert_eq!(v["valid"], false);

    let r = server.post_json("/v1/verify", &json!({ "token": token, "extra": 1 }));
    assert_eq!((r.status, r.error_code().as_str()), (422, "unknown_field"));
    let r = request(
        server.addr,
        "POST",
        "/v1/verify",
        &[("Content-Type", "text/plain")],
        token.as_bytes(),
    );
    assert_eq!(r.status, 415);

    let metrics = server.get("/metrics").text();
    assert!(
        metrics.contains("assent_verify_total{result=\"valid\"} 1\n"),
        "{metrics}"
    );
    assert!(
        metrics.contains("assent_records_stored_total 1\n"),
        "{metrics}"
    );
}

#[test]
fn well_known_documents_health_and_metrics() {
    let server = Server::start();
    let r = server.get("/.well-known/gpc.json");
    assert_eq!(r.status, 200);
    assert!(
        r.header("content-type")
            .unwrap()
            .starts_with("application/json")
    );
    let gpc = r.json();
    assert_eq!(gpc["gpc"], true);
    let date = gpc["lastUpdate"].as_str().unwrap();
    assert!(
        date.len() == 10 && date.as_bytes()[4] == b'-' && date.as_bytes()[7] == b'-',
        "{date}"
    );

    let r = server.get("/.well-known/assent-keys.json");
    assert_eq!(r.status, 200);
    let keys: Value = r.json();
    assert_eq!(keys["keys"].as_array().unwrap().len(), 1);
    assert_eq!(keys["keys"][0]["status"], "active");

    let r = server.get("/healthz");
    assert_eq!(
        (r.status, r.json()["store"].as_str()),
        (200, Some("sqlite"))
    );

    server.record(&choice());
    let r = server.post_json("/v1/consents", &json!({}));
    assert_eq!(r.status, 422);
    let r = server.get("/metrics");
    assert_eq!(r.status, 200);
    assert!(r.header("content-type").unwrap().starts_with("text/plain"));
    let text = r.text();
    for line in [
        "# TYPE assent_records_stored_total counter",
        "assent_records_stored_total 1",
        "assent_records{backend=\"sqlite\"} 1",
        "assent_http_errors_total{status=\"422\",code=\"missing_field\"} 1",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing {line:?} in\n{text}"
        );
    }
}

#[test]
fn first_start_generates_a_private_key_readable_only_by_the_owner() {
    use std::os::unix::fs::PermissionsExt;
    let server = Server::start();
    let keys = server.dir.path().join("keys");
    let private: Vec<_> = std::fs::read_dir(&keys)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "key"))
        .collect();
    assert_eq!(private.len(), 1);
    let mode = std::fs::metadata(&private[0]).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let kid = private[0].file_stem().unwrap().to_str().unwrap().to_owned();
    assert!(server.logs().contains(&kid), "the kid is logged");
}

#[test]
fn rotated_keys_sign_new_tokens_and_old_tokens_keep_verifying() {
    let server = Server::start();
    let old = server.record(&choice());
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_assent"))
        .args(["keys", "rotate", "--dir"])
        .arg(server.dir.path().join("keys"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let new_kid = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    server.signal("HUP");
    // The reload is asynchronous: wait until the new key set is published.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !server
        .get("/.well-known/assent-keys.json")
        .text()
        .contains(&new_kid)
    {
        assert!(
            std::time::Instant::now() < deadline,
            "keys not reloaded after SIGHUP"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let new = server.record(&choice());
    let verifier = server.verifier();
    assert_eq!(verifier.keys().len(), 2);
    let old_v = verifier.verify_now(old["token"].as_str().unwrap()).unwrap();
    let new_v = verifier.verify_now(new["token"].as_str().unwrap()).unwrap();
    assert_ne!(old_v.kid(), new_v.kid());
    assert_eq!(new_v.kid().to_string(), new_kid);
    let v = server
        .post_json("/v1/verify", &json!({"token": old["token"]}))
        .json();
    assert_eq!(v["valid"], true, "a retired key's tokens still verify: {v}");
}

#[test]
fn serves_www_with_inline_site_configs_and_the_sdk_under_assent() {
    let server = Server::with(
        Setup::default()
            .arg("--www")
            .arg(data("www").to_str().unwrap()),
    );
    let r = server.get("/");
    assert_eq!(r.status, 200);
    assert!(r.header("content-type").unwrap().starts_with("text/html"));
    assert!(r.text().contains("Fixture shop"));
    assert!(
        r.header("content-security-policy").is_none(),
        "pages set their own CSP"
    );
    let r = server.get("/assent/fixture.wasm");
    assert_eq!(
        (r.status, r.header("content-type")),
        (200, Some("application/wasm"))
    );
    let r = server.get("/assent/assent.js");
    assert_eq!(r.status, 200);
    assert!(r.header("content-type").unwrap().contains("javascript"));
    // The SDK's files are revalidated on every use (their names do not change across releases); the site's own
    // pages are left to their defaults.
    assert_eq!(r.header("cache-control"), Some("no-cache"));
    assert!(
        r.header("last-modified").is_some(),
        "a revalidation can answer 304"
    );
    assert_eq!(
        server.get("/assent/fixture.wasm").header("cache-control"),
        Some("no-cache")
    );
    assert_eq!(server.get("/index.html").header("cache-control"), None);
    assert_eq!(server.get("/missing.html").status, 404);

    // The inline config of index.html is known, and so is --site-config.
    let mut body = choice();
    body["site"] = json!("shop.example");
    body["revision"] = json!(1);
    body["categories"] = json!({"analytics": false});
    server.record(&body);
    server.record(&choice());
    assert!(
        server.logs().contains("no \"site\""),
        "the config without a site is skipped with a warning"
    );
}

#[test]
fn cors_allows_only_listed_origins_without_wildcards() {
    let server = Server::with(
        Setup::default()
            .arg("--allow-origin")
            .arg("https://site.example"),
    );
    let preflight = |origin: &str| {
        request(
            server.addr,
            "OPTIONS",
            "/v1/consents",
            &[
                ("Origin", origin),
                ("Access-Control-Request-Method", "POST"),
                ("Access-Control-Request-Headers", "content-type"),
            ],
            b"",
        )
    };
    let ok = preflight("https://site.example");
    assert_eq!(
        ok.header("access-control-allow-origin"),
        Some("https://site.example")
    );
    assert!(
        ok.header("access-control-allow-methods")
            .unwrap()
            .contains("POST")
    );
    assert!(ok.header("access-control-allow-credentials").is_none());
    let other = preflight("https://evil.example");
    assert_eq!(other.header("access-control-allow-origin"), None);

    let r = request(
        server.addr,
        "POST",
        "/v1/consents",
        &[
            ("Content-Type", "application/json"),
            ("Origin", "https://site.example"),
        ],
        choice().to_string().as_bytes(),
    );
    assert_eq!(r.status, 201);
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("https://site.example")
    );

    // Admin endpoints are never opened to browsers.
    let r = request(
        server.addr,
        "GET",
        "/v1/admin/stats",
        &[
            ("Origin", "https://site.example"),
            ("Authorization", &format!("Bearer {ADMIN}")),
        ],
        b"",
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.header("access-control-allow-origin"), None);
}

#[test]
fn a_wildcard_origin_is_refused_at_start() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_assent"))
        .args(["serve", "--listen", "127.0.0.1:0", "--allow-origin", "*"])
        .arg("--db")
        .arg("sqlite::memory-never-opened:")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("wildcards are not allowed"));
}

#[test]
fn logs_never_contain_tokens() {
    let server = Server::start();
    let a = server.record(&choice());
    let token = a["token"].as_str().unwrap();
    let id = a["id"].as_str().unwrap();
    request(
        server.addr,
        "GET",
        &format!("/v1/consents/{id}"),
        &[("Authorization", &format!("Bearer {token}"))],
        b"",
    );
    server.post_json("/v1/verify", &json!({ "token": token }));
    server.admin_get("/v1/admin/stats");
    let logs = server.logs();
    assert!(
        logs.contains("/v1/verify"),
        "requests are logged at debug: {logs}"
    );
    assert!(!logs.contains(token));
    assert!(!logs.contains(&token[..40]));
    assert!(!logs.contains(ADMIN));
}
