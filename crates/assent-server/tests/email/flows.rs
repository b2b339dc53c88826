//! Double opt-in, unsubscribe, tokens, enumeration, tracking, export and erasure, end to end.

use std::process::Command;
use std::time::{Duration, Instant};

use assent_server::email::{EmailAddress, ListId, tracking_links};

use crate::smtp::{SmtpServer, body, header, link_after};
use crate::support::{ADMIN, NOTICE, Server, enc, start, start_in, subscribe_and_confirm};

#[test]
fn double_opt_in_one_click_unsubscribe_and_resubscribe_over_smtp() {
    let smtp = SmtpServer::start();
    let server = start(&["--smtp", &smtp.url()]);
    happy_path(&server, &smtp);
}

/// The same flow on PostgreSQL (a private server in a temporary directory; outside CI `ASSENT_SKIP_POSTGRES=1`
/// skips it, missing binaries fail with the reason).
#[test]
fn double_opt_in_one_click_unsubscribe_and_resubscribe_on_postgres() {
    let Some(pg) = assent_testkit::postgres::LocalPostgres::for_test() else {
        return;
    };
    let smtp = SmtpServer::start();
    let server = start_in(
        tempfile::tempdir().unwrap(),
        &pg.url(),
        &["--smtp", &smtp.url()],
    );
    happy_path(&server, &smtp);
}

fn happy_path(server: &Server, smtp: &SmtpServer) {
    let email = "reader@mail.example";

    // Subscribe: pending, nothing may be sent yet; a confirmation (transactional: no List-Unsubscribe) arrives.
    let r = server.subscribe(email, "newsletter", false);
    assert_eq!(r.status, 202, "{}", r.body);
    assert_eq!(server.state(email, "newsletter"), ("pending".into(), false));
    let confirmation = smtp.wait_for(email, "confirm");
    assert_eq!(header(&confirmation.data, "List-Unsubscribe"), None);
    let link = link_after(
        &body(&confirmation.data),
        &format!("{}/v1/subscriptions/confirm?t=", server.base()),
    );

    // A HEAD (link checkers) changes nothing.
    assert_eq!(server.request("HEAD", &link, &[], b"").status, 200);
    assert_eq!(server.state(email, "newsletter"), ("pending".into(), false));

    // Confirm once: 200, recorded with a timestamp; the link is single-use.
    let first = server.confirm(&link);
    assert_eq!(first.status, 200, "{}", first.body);
    assert!(first.body.contains("confirmed"));
    assert_eq!(
        server.state(email, "newsletter"),
        ("confirmed".into(), true)
    );
    let status = server.status(email);
    let record = &status["records"][0];
    assert!(record["confirmed_ms"].as_i64().unwrap() >= record["requested_ms"].as_i64().unwrap());
    assert_eq!(record["notice_hash"], NOTICE);
    assert_eq!(server.confirm(&link).status, 410);
    assert_eq!(server.state(email, "offers"), ("none".into(), false));

    // The welcome message is a list message: it carries both one-click headers, over real SMTP.
    let welcome = smtp.wait_for(email, "Welcome");
    let list_unsub = header(&welcome.data, "List-Unsubscribe").expect("List-Unsubscribe");
    assert_eq!(
        header(&welcome.data, "List-Unsubscribe-Post").as_deref(),
        Some("List-Unsubscribe=One-Click")
    );
    assert!(welcome.data.contains("1 Example Street, Springfield"));
    let url = list_unsub
        .trim_start_matches('<')
        .split('>')
        .next()
        .unwrap()
        .to_owned();
    assert!(
        url.starts_with(&format!("{}/u/", server.base())),
        "{list_unsub}"
    );
    assert!(
        !url.contains("reader") && !url.contains("mail.example"),
        "address in clear: {url}"
    );

    // GET never unsubscribes: it shows a page whose button POSTs.
    let page = server.get(&url);
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("<form method=\"post\"") && page.body.contains("<button"),
        "{}",
        page.body
    );
    assert!(
        page.header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    assert_eq!(
        server.state(email, "newsletter"),
        ("confirmed".into(), true)
    );

    // RFC 8058 POST: 200, no redirect, immediately effective; again: still 200 (idempotent).
    for _ in 0..2 {
        let r = server.one_click(&url);
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.header("location"), None);
        assert_eq!(
            server.state(email, "newsletter"),
            ("unsubscribed".into(), false)
        );
    }
    let unsubscribed = server.status(email)["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "unsubscribed")
        .count();
    assert_eq!(unsubscribed, 1, "a repeated POST is not a new unsubscribe");

    // Suppression export, CSV and JSONL.
    let csv = server.admin("GET", "/v1/admin/suppressions.csv");
    assert_eq!(csv.status, 200);
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    let mut lines = csv.body.lines();
    assert_eq!(
        lines.next(),
        Some("email,list,unsubscribed_at,method,subject")
    );
    let row = lines.next().unwrap();
    assert!(
        row.starts_with("reader@mail.example,newsletter,20") && row.contains(",one_click,"),
        "{row}"
    );
    let jsonl = server.admin("GET", "/v1/admin/suppressions.jsonl");
    let entry: serde_json::Value =
        serde_json::from_str(jsonl.body.lines().next().unwrap()).unwrap();
    assert_eq!(
        (entry["email"].as_str(), entry["list"].as_str()),
        (Some(email), Some("newsletter"))
    );

    // Re-subscribing needs a new confirmation; until then the address stays suppressed.
    let before = smtp.count_to(email);
    assert_eq!(server.subscribe(email, "newsletter", false).status, 202);
    assert_eq!(server.state(email, "newsletter"), ("pending".into(), false));
    assert_eq!(
        server
            .admin("GET", "/v1/admin/suppressions.csv")
            .body
            .lines()
            .count(),
        2
    );
    assert_eq!(
        server.confirm(&link).status,
        404,
        "an old confirmation link stays dead (replaced)"
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while smtp.count_to(email) == before {
        assert!(Instant::now() < deadline, "no new confirmation");
        std::thread::sleep(Duration::from_millis(20));
    }
    let again = smtp.inbox.lock().unwrap().last().unwrap().clone();
    let link2 = link_after(
        &body(&again.data),
        &format!("{}/v1/subscriptions/confirm?t=", server.base()),
    );
    assert_ne!(link, link2);
    assert_eq!(server.confirm(&link2).status, 200);
    assert_eq!(
        server.state(email, "newsletter"),
        ("confirmed".into(), true)
    );
    assert_eq!(
        server
            .admin("GET", "/v1/admin/suppressions.csv")
            .body
            .lines()
            .count(),
        1
    );

    // The log speaks of the pseudonym, never of the address or the tokens.
    let log = std::fs::read_to_string(server.dir.path().join("server.log")).unwrap();
    let pseudonym = server.status(email)["subject"].as_str().unwrap().to_owned();
    assert!(log.contains(&pseudonym), "{log}");
    let token = url.rsplit('/').next().unwrap();
    for secret in [email, "reader", token, link.rsplit('=').next().unwrap()] {
        assert!(!log.contains(secret), "{secret:?} in the log:\n{log}");
    }
}

#[test]
fn tampered_unknown_and_cli_tokens() {
    let server = start(&[]);
    let keys_dir = server.dir.path().join("keys");

    // `assent email headers` with the server's key directory: the URL works against the server, for an address
    // that never subscribed (it becomes suppressed by pseudonym).
    let out = Command::new(env!("CARGO_BIN_EXE_assent"))
        .args([
            "email",
            "headers",
            "--to",
            "Stranger@Mail.Example",
            "--list",
            "newsletter",
            "--public-url",
        ])
        .arg(server.base())
        .arg("--keys")
        .arg(&keys_dir)
        .env_remove("ASSENT_PUBLIC_URL")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines();
    let lu = lines.next().unwrap();
    assert!(
        lu.starts_with(&format!("List-Unsubscribe: <{}/u/", server.base())),
        "{text}"
    );
    assert_eq!(
        lines.next(),
        Some("List-Unsubscribe-Post: List-Unsubscribe=One-Click")
    );
    assert!(!text.to_lowercase().contains("stranger"));
    let url = lu
        .trim_start_matches("List-Unsubscribe: <")
        .trim_end_matches('>')
        .to_owned();
    let token = url.rsplit('/').next().unwrap().to_owned();

    // Tampered, truncated, garbage: 404 for GET and POST, nothing recorded, same page every time.
    let mut raw = token.clone().into_bytes();
    let i = raw.len() / 2;
    raw[i] = if raw[i] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(raw).unwrap();
    let mut bodies = Vec::new();
    for bad in [
        tampered.as_str(),
        &token[..token.len() - 3],
        "nonsense",
        "AAAA",
    ] {
        let g = server.get(&format!("/u/{bad}"));
        let p = server.one_click(&format!("/u/{bad}"));
        assert_eq!((g.status, p.status), (404, 404), "{bad}");
        bodies.push(p.body);
    }
    assert!(bodies.windows(2).all(|w| w[0] == w[1]));
    assert!(
        server
            .admin("GET", "/v1/admin/suppressions.jsonl")
            .body
            .is_empty()
    );

    // The genuine one-click POST for a never-subscribed address: 200, and it is suppressed by pseudonym.
    assert_eq!(server.one_click(&url).status, 200);
    let s = server.status("stranger@mail.example");
    assert_eq!(s["lists"][0]["state"], "unsubscribed");
    let jsonl = server.admin("GET", "/v1/admin/suppressions.jsonl").body;
    let entry: serde_json::Value = serde_json::from_str(jsonl.lines().next().unwrap()).unwrap();
    assert_eq!(entry["email"], serde_json::Value::Null);
    assert_eq!(entry["subject"], s["subject"]);

    // The mailto: route: whoever reads the unsubscribe mailbox hands the subject line to the admin API.
    let mailto = Command::new(env!("CARGO_BIN_EXE_assent"))
        .args([
            "email",
            "headers",
            "--to",
            "mailer@mail.example",
            "--list",
            "offers",
        ])
        .args(["--mailto", "unsubscribe@news.example", "--public-url"])
        .arg(server.base())
        .arg("--keys")
        .arg(&keys_dir)
        .output()
        .unwrap();
    let mailto = String::from_utf8(mailto.stdout).unwrap();
    let subject_line = mailto
        .split("?subject=")
        .nth(1)
        .and_then(|s| s.split('>').next())
        .expect("a mailto URI")
        .replace("%20", " ");
    assert!(subject_line.starts_with("unsubscribe "), "{mailto}");
    let auth = format!("Bearer {ADMIN}");
    let body = serde_json::json!({ "token": subject_line }).to_string();
    let headers = [
        ("Authorization", auth.as_str()),
        ("Content-Type", "application/json"),
    ];
    let r = server.request("POST", "/v1/admin/unsubscribe", &headers, body.as_bytes());
    assert_eq!(
        (r.status, r.json()["changed"].as_bool()),
        (200, Some(true)),
        "{}",
        r.body
    );
    assert_eq!(
        server.state("mailer@mail.example", "offers"),
        ("unsubscribed".into(), false)
    );
    assert_eq!(
        server.state("mailer@mail.example", "newsletter"),
        ("none".into(), false)
    );
    let forged = serde_json::json!({ "token": format!("unsubscribe {tampered}") }).to_string();
    let r = server.request("POST", "/v1/admin/unsubscribe", &headers, forged.as_bytes());
    assert_eq!(r.status, 422, "{}", r.body);
    let no_auth = [("Content-Type", "application/json")];
    let r = server.request("POST", "/v1/admin/unsubscribe", &no_auth, body.as_bytes());
    assert_eq!(r.status, 401);
}

#[test]
fn no_enumeration_admin_auth_and_rate_limits() {
    let smtp = SmtpServer::start();
    let server = start(&[
        "--smtp",
        &smtp.url(),
        "--subscribe-limit",
        "6",
        "--subscribe-limit-per-address",
        "2",
    ]);
    subscribe_and_confirm(&server, &smtp, "known@mail.example", false);

    // The answer for a confirmed address equals the answer for a new one.
    let known = server.subscribe("known@mail.example", "newsletter", false);
    let fresh = server.subscribe("fresh@mail.example", "newsletter", false);
    assert_eq!((known.status, fresh.status), (202, 202));
    assert_eq!(known.body, fresh.body);

    // Over the per-address limit: answered alike, nothing more is sent.
    smtp.wait_for("fresh@mail.example", "confirm");
    let r = server.subscribe("fresh@mail.example", "newsletter", false); // 2nd: allowed
    assert_eq!(r.status, 202);
    smtp.wait_for("fresh@mail.example", "confirm");
    let deadline = Instant::now() + Duration::from_secs(30);
    while smtp.count_to("fresh@mail.example") < 2 {
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(20));
    }
    let third = server.subscribe("Fresh@MAIL.example", "newsletter", false); // same address, other spelling
    assert_eq!(
        (third.status, third.body.as_str()),
        (202, fresh.body.as_str())
    );
    // 6th request of this client: allowed; 7th: 429 with Retry-After.
    assert_eq!(
        server
            .subscribe("x1@mail.example", "newsletter", false)
            .status,
        202
    );
    let limited = server.subscribe("x2@mail.example", "newsletter", false);
    assert_eq!(limited.status, 429, "{}", limited.body);
    assert!(limited.header("retry-after").is_some());
    // The third request for fresh@ sent nothing and changed nothing: its events show two requests that made
    // the subscription pending and one recorded as over the limit (the same store work, so the same latency).
    let outcomes: Vec<String> = server.status("fresh@mail.example")["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["detail"]["outcome"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(outcomes, ["pending", "pending", "over_limit"]);
    assert_eq!(smtp.count_to("fresh@mail.example"), 2);

    // No status without the admin token.
    let r = server.get("/v1/admin/subscriptions/status?email=known%40mail.example");
    assert_eq!(r.status, 401);
    let r = server.request(
        "GET",
        "/v1/admin/subscriptions/status?email=known%40mail.example",
        &[("Authorization", "Bearer wrong-token-wrong-token")],
        b"",
    );
    assert_eq!(r.status, 403);
    assert_eq!(server.get("/v1/admin/suppressions.csv").status, 401);

    // Bad input: clear 4xx JSON errors naming the field.
    let bad = server.subscribe("not-an-address", "newsletter", false);
    assert_eq!(bad.status, 422);
    assert!(
        bad.json()["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("email")
    );
}

#[test]
fn tracking_only_with_consent_and_no_open_redirect() {
    let smtp = SmtpServer::start();
    let server = start(&["--smtp", &smtp.url()]);
    subscribe_and_confirm(&server, &smtp, "tracked@mail.example", true);
    subscribe_and_confirm(&server, &smtp, "private@mail.example", false);
    let keys = server.keys();
    let list = ListId::new("newsletter").unwrap();
    let now = assent_verify::unix_now();
    let links = |email: &str| {
        tracking_links(
            &keys,
            &server.base(),
            &EmailAddress::parse(email).unwrap(),
            &list,
            now,
        )
        .unwrap()
    };
    let target = "https://news.example/offers?x=1&y=2";

    let mut pixels = Vec::new();
    for email in [
        "tracked@mail.example",
        "private@mail.example",
        "nobody@mail.example",
    ] {
        let l = links(email);
        let p = server.get(&l.pixel_url());
        assert_eq!(
            (p.status, p.header("content-type")),
            (200, Some("image/gif"))
        );
        pixels.push(p.body);
        let c = server.get(&l.click_url(target));
        assert_eq!(
            (c.status, c.header("location")),
            (302, Some(target)),
            "{email}"
        );
        // Not a registered URL, or registered for another list: 404, never a redirect.
        for other in [
            "https://evil.example/",
            "https://news.example/articles/1/../x",
        ] {
            let c = server.get(&l.click_url(other));
            assert_eq!((c.status, c.header("location")), (404, None));
        }
    }
    assert!(
        pixels.windows(2).all(|w| w[0] == w[1]),
        "the pixel is the same whatever happened"
    );
    // A tampered tracking token still gets the neutral answers and records nothing: one changed bit in the
    // version, the list id, the pseudonym, the times and the MAC tag itself (the last 16 bytes), re-encoded
    // canonically so that the MAC check, not the decoder, has to refuse it.
    let l = links("tracked@mail.example");
    let pixel = l.pixel_url();
    let (base, token) = pixel.split_once("/e/o/").unwrap();
    let bytes = assent_core::base64url::decode(token).expect("a tracking token is base64url");
    let n = bytes.len();
    for (what, at) in [
        ("version", 0),
        ("list id", 3),
        ("pseudonym", n - 40),
        ("expiry", n - 17),
        ("first tag byte", n - 16),
        ("last tag byte", n - 1),
    ] {
        let mut bad = bytes.clone();
        bad[at] ^= 0x01;
        let bad = assent_core::base64url::encode(&bad);
        assert_ne!(bad, token);
        let p = server.get(&format!("{base}/e/o/{bad}"));
        assert_eq!(
            (p.status, p.header("content-type")),
            (200, Some("image/gif")),
            "{what}"
        );
        assert_eq!(
            p.body, pixels[0],
            "{what}: the same pixel as for a valid token"
        );
        let c = server.get(&format!(
            "{base}/e/c/{bad}?u={}",
            l.click_url(target).rsplit_once("?u=").unwrap().1
        ));
        // The registered target is still served (the reader's link works), or 404; never anything else.
        let answer = (c.status, c.header("location"));
        assert!(
            answer == (302, Some(target)) || answer == (404, None),
            "{what}: {answer:?}"
        );
    }

    let kinds = |email: &str| -> Vec<String> {
        server.status(email)["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        kinds("tracked@mail.example"),
        ["requested", "confirmed", "open", "click"]
    );
    assert_eq!(kinds("private@mail.example"), ["requested", "confirmed"]);
    assert!(kinds("nobody@mail.example").is_empty());
    let events = server.status("tracked@mail.example")["events"].clone();
    assert_eq!(events[3]["detail"]["url"], target);
}

#[test]
fn outbox_export_and_erasure_include_email_records() {
    let server = start(&[]);
    let email = "erase.me@mail.example";
    assert_eq!(server.subscribe(email, "newsletter", false).status, 202);
    // No SMTP configured: the confirmation is an .eml file in the outbox.
    let outbox = server.dir.path().join("outbox");
    let deadline = Instant::now() + Duration::from_secs(30);
    let eml = loop {
        // One directory per recipient pseudonym.
        let found = std::fs::read_dir(&outbox)
            .into_iter()
            .flatten()
            .flatten()
            .flat_map(|d| std::fs::read_dir(d.path()).into_iter().flatten().flatten())
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|x| x == "eml"));
        if let Some(p) = found {
            break std::fs::read_to_string(p).unwrap();
        }
        assert!(Instant::now() < deadline, "no .eml in the outbox");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(eml.contains("To: erase.me@mail.example"), "{eml}");
    let link = link_after(
        &body(&eml),
        &format!("{}/v1/subscriptions/confirm?t=", server.base()),
    );
    assert_eq!(server.confirm(&link).status, 200);

    // The admin export carries the e-mail records after the consent records.
    let export = server.admin("GET", "/v1/admin/records");
    assert_eq!(export.status, 200);
    let lines: Vec<serde_json::Value> = export
        .body
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let sub = lines
        .iter()
        .find(|l| l["record_type"] == "email_subscription")
        .expect("subscription exported");
    assert_eq!(
        (sub["address"].as_str(), sub["state"].as_str()),
        (Some(email), Some("confirmed"))
    );
    let kinds: Vec<&str> = lines
        .iter()
        .filter(|l| l["record_type"] == "email_event")
        .map(|l| l["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["requested", "confirmed"]);

    // Erasure by address removes every e-mail record of it, and only of it.
    let kept = "keep.me@mail.example";
    assert_eq!(server.subscribe(kept, "newsletter", false).status, 202);
    let r = server.admin(
        "DELETE",
        &format!(
            "/v1/admin/subscribers?email={}",
            enc("Erase.Me@MAIL.example")
        ),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["erased"], 3);
    assert_eq!(server.state(email, "newsletter"), ("none".into(), false));
    let export = server.admin("GET", "/v1/admin/records");
    assert!(!export.body.contains(email), "{}", export.body);
    assert!(export.body.contains(kept), "the other subscriber stays");
    // Not in any file of the database either, the WAL included, while the server runs (a shutdown would
    // checkpoint and hide a copy left in the WAL); the kept subscriber shows the scan finds what is there.
    let files: Vec<(String, Vec<u8>)> = std::fs::read_dir(server.dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("assent.db"))
        })
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    let holding = |needle: &str| -> Vec<&str> {
        files
            .iter()
            .filter(|(_, f)| f.windows(needle.len()).any(|w| w == needle.as_bytes()))
            .map(|(n, _)| n.as_str())
            .collect()
    };
    assert!(
        files.iter().any(|(n, _)| n == "assent.db-wal"),
        "the scan covers the WAL"
    );
    assert_eq!(
        holding(email),
        Vec::<&str>::new(),
        "the erased address lingers in these database files"
    );
    assert!(
        !holding(kept).is_empty(),
        "the scan finds the subscriber that was not erased"
    );
}
