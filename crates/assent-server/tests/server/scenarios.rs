//! Hardening scenarios that involve storage, written once against a running server (its address and
//! directory) and run on SQLite (`hardening.rs`) and PostgreSQL (`hardening_pg.rs`) alike.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use assent_server::email::{EmailAddress, EmailKeys, ListId, tracking_links};
use serde_json::{Value, json};

use crate::support::{ADMIN, NOTICE, Response, SITE, choice, request};

/// The site of `tests/data/email/site.json`.
pub(crate) const EMAIL_SITE: &str = "news.example";
/// `--public-url` of the e-mail scenarios: behind a proxy, under a path prefix.
pub(crate) const PUBLIC_URL: &str = "https://mail.example/consent";

/// The arguments that configure the e-mail part for the scenarios (the outbox must be `<dir>/outbox`, given
/// separately).
pub(crate) fn email_args() -> Vec<String> {
    let data = |name: &str| crate::support::data(name).display().to_string();
    vec![
        "--site-config".into(),
        data("email/site.json"),
        "--email-lists".into(),
        data("email/lists.json"),
        "--email-postal-address".into(),
        "1 Example Street, Springfield".into(),
        "--public-url".into(),
        PUBLIC_URL.into(),
    ]
}

/// A running server as the scenarios see it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Env<'a> {
    pub(crate) addr: SocketAddr,
    /// Its directory: `keys/`, `outbox/` (and, on SQLite, the database).
    pub(crate) dir: &'a Path,
    /// The backend's label in `/metrics`.
    pub(crate) backend: &'a str,
}

impl Env<'_> {
    fn get(&self, path: &str) -> Response {
        request(self.addr, "GET", path, &[], b"")
    }

    fn admin(&self, method: &str, path: &str) -> Response {
        request(
            self.addr,
            method,
            path,
            &[("Authorization", &format!("Bearer {ADMIN}"))],
            b"",
        )
    }

    fn post(&self, path: &str, headers: &[(&str, &str)], body: &Value) -> Response {
        let mut all = vec![("Content-Type", "application/json")];
        all.extend_from_slice(headers);
        request(self.addr, "POST", path, &all, body.to_string().as_bytes())
    }

    fn post_form(&self, path: &str, form: &str) -> Response {
        request(
            self.addr,
            "POST",
            path,
            &[("Content-Type", "application/x-www-form-urlencoded")],
            form.as_bytes(),
        )
    }

    fn subscribe(&self, email: &str, tracking: bool) -> Response {
        self.post(
            "/v1/subscriptions",
            &[],
            &json!({"email": email, "list": "newsletter", "site": EMAIL_SITE, "notice_hash": NOTICE,
                    "language": "en", "tracking": tracking}),
        )
    }

    fn status(&self, email: &str) -> Value {
        let r = self.admin(
            "GET",
            &format!(
                "/v1/admin/subscriptions/status?email={}",
                email.replace('@', "%40")
            ),
        );
        assert_eq!(r.status, 200, "{}", r.text());
        r.json()
    }

    fn state(&self, email: &str) -> String {
        self.status(email)["lists"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["list"] == "newsletter")
            .unwrap()["state"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    fn events(&self, email: &str) -> Vec<Value> {
        self.status(email)["events"].as_array().unwrap().clone()
    }

    fn outbox(&self) -> PathBuf {
        self.dir.join("outbox")
    }

    fn keys(&self) -> EmailKeys {
        EmailKeys::load_or_create(&self.dir.join("keys")).unwrap()
    }

    fn stored_count(&self) -> u64 {
        let r = self.get("/metrics");
        assert_eq!(r.status, 200);
        let prefix = format!("assent_records{{backend=\"{}\"}} ", self.backend);
        r.text()
            .lines()
            .find_map(|l| l.strip_prefix(prefix.as_str()))
            .unwrap_or_else(|| panic!("no records gauge in {}", r.text()))
            .parse()
            .unwrap()
    }
}

fn now_ms() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap()
}

/// Every `.eml` file under the outbox (one directory per recipient pseudonym).
pub(crate) fn outbox_files(outbox: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for dir in std::fs::read_dir(outbox).into_iter().flatten().flatten() {
        for file in std::fs::read_dir(dir.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            if file.path().extension().is_some_and(|e| e == "eml") {
                out.push(file.path());
            }
        }
    }
    out.sort();
    out
}

/// Waits for the `n`-th message to `email` in the outbox and returns its text (quoted-printable undone).
fn wait_for_message(env: &Env<'_>, email: &str, n: usize) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let texts: Vec<String> = outbox_files(&env.outbox())
            .iter()
            .filter_map(|p| std::fs::read_to_string(p).ok())
            .filter(|t| t.contains(&format!("To: {email}")))
            .collect();
        // One directory per recipient, files named by time: path order is sending order.
        if texts.len() >= n {
            return texts
                .into_iter()
                .nth(n - 1)
                .unwrap()
                .replace("=\r\n", "")
                .replace("=3D", "=");
        }
        assert!(
            Instant::now() < deadline,
            "no message {n} to {email} in the outbox"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The confirmation token in a confirmation message.
fn confirm_token(eml: &str) -> String {
    let marker = "/v1/subscriptions/confirm?t=";
    let at = eml
        .find(&format!("{PUBLIC_URL}{marker}"))
        .unwrap_or_else(|| panic!("no confirmation link under {PUBLIC_URL} in {eml}"));
    eml[at + PUBLIC_URL.len() + marker.len()..]
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        .next()
        .unwrap()
        .to_owned()
}

/// The `action` of the first form of a page.
fn form_action(html: &str) -> String {
    let at = html.find("action=\"").expect("a form with an action") + "action=\"".len();
    html[at..].split('"').next().unwrap().replace("&amp;", "&")
}

/// Subscribes `email` and confirms through the page's form; returns the confirmation token.
fn subscribe_and_confirm(env: &Env<'_>, email: &str, tracking: bool) -> String {
    assert_eq!(env.subscribe(email, tracking).status, 202);
    let token = confirm_token(&wait_for_message(env, email, 1));
    let r = env.post_form("/v1/subscriptions/confirm", &format!("t={token}"));
    assert_eq!(r.status, 200, "{}", r.text());
    token
}

/// Item 1: a record names an existing subject only with that subject's token; otherwise it gets a fresh one.
pub(crate) fn subject_needs_its_token(env: &Env<'_>) {
    let first = env.post("/v1/consents", &[], &choice());
    assert_eq!(first.status, 201, "{}", first.text());
    let first = first.json();
    let subject = first["subject"].as_str().unwrap().to_owned();
    let token = first["token"].as_str().unwrap().to_owned();
    let other = env.post("/v1/consents", &[], &choice()).json();
    let other_token = other["token"].as_str().unwrap().to_owned();

    let mut forged = choice();
    forged["subject"] = json!(subject);
    forged["method"] = json!("withdraw");
    for (_, granted) in forged["categories"].as_object_mut().unwrap() {
        *granted = json!(false);
    }
    let bearer = |t: &str| format!("Bearer {t}");
    let mut tampered = token.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    for (why, auth) in [
        ("no token", None),
        ("another subject's token", Some(bearer(&other_token))),
        ("a tampered token", Some(bearer(&tampered))),
        ("not a token", Some(bearer("not-a-token"))),
        ("not bearer", Some(format!("Basic {token}"))),
    ] {
        let headers: Vec<(&str, &str)> = auth
            .as_deref()
            .map(|a| ("Authorization", a))
            .into_iter()
            .collect();
        let r = env.post("/v1/consents", &headers, &forged);
        assert_eq!(r.status, 201, "{why}: still stored, {}", r.text());
        let assigned = r.json()["subject"].as_str().unwrap().to_owned();
        assert_ne!(
            assigned, subject,
            "{why}: the claimed subject must not be kept"
        );
        assert_eq!(assigned.len(), 22, "{why}");
    }
    let history = |s: &str| -> Vec<Value> {
        let r = env.admin("GET", &format!("/v1/admin/subjects/{s}"));
        assert_eq!(r.status, 200, "{}", r.text());
        r.json()["records"].as_array().unwrap().clone()
    };
    assert_eq!(
        history(&subject).len(),
        1,
        "no forged record in the subject's history"
    );

    // With the subject's own token the history continues.
    let r = env.post(
        "/v1/consents",
        &[("Authorization", &bearer(&token))],
        &forged,
    );
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.json()["subject"], subject.as_str());
    let h = history(&subject);
    assert_eq!(h.len(), 2);
    assert_eq!(h[1]["collection"]["method"], "withdraw");
}

/// Items 2 and 11: opening the confirmation link changes nothing; only the page's POST confirms, and every form
/// posts to the public URL (path prefix kept).
pub(crate) fn confirm_needs_a_post(env: &Env<'_>) {
    let email = "scanner.victim@mail.example";
    assert_eq!(env.subscribe(email, false).status, 202);
    let token = confirm_token(&wait_for_message(env, email, 1));
    let link = format!("/v1/subscriptions/confirm?t={token}");
    for _ in 0..3 {
        let page = env.get(&link);
        assert_eq!(page.status, 200, "{}", page.text());
        let html = page.text();
        assert_eq!(
            form_action(&html),
            format!("{PUBLIC_URL}/v1/subscriptions/confirm")
        );
        assert!(
            html.contains(&format!("name=\"t\" value=\"{token}\"")),
            "{html}"
        );
        let csp = page.header("content-security-policy").unwrap();
        assert!(
            csp.contains("form-action 'self' https://mail.example"),
            "{csp}"
        );
        assert_eq!(request(env.addr, "HEAD", &link, &[], b"").status, 200);
    }
    assert_eq!(env.state(email), "pending", "GET and HEAD confirm nothing");
    assert_eq!(env.get("/v1/subscriptions/confirm?t=short").status, 404);

    let r = env.post_form("/v1/subscriptions/confirm", &format!("t={token}"));
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(env.state(email), "confirmed");
    let again = env.post_form("/v1/subscriptions/confirm", &format!("t={token}"));
    assert_eq!(again.status, 410, "single use");
    assert_eq!(env.post_form("/v1/subscriptions/confirm", "t=").status, 404);

    // The welcome message's unsubscribe page posts to the public URL too.
    let welcome = wait_for_message(env, email, 2);
    let at = welcome
        .find(&format!("<{PUBLIC_URL}/u/"))
        .expect("a List-Unsubscribe URL under the public URL")
        + PUBLIC_URL.len()
        + 1;
    let path = welcome[at..].split('>').next().unwrap().to_owned();
    let page = env.get(&path);
    assert_eq!(page.status, 200, "{}", page.text());
    assert_eq!(form_action(&page.text()), format!("{PUBLIC_URL}{path}"));
    assert_eq!(
        env.state(email),
        "confirmed",
        "the unsubscribe page changes nothing"
    );
}

/// Item 4: replayed tracking links add at most one open per hour and one click per URL per hour.
pub(crate) fn tracking_is_recorded_once_per_hour(env: &Env<'_>) {
    let email = "replayed@mail.example";
    subscribe_and_confirm(env, email, true);
    let hour = || now_ms() / 3_600_000;
    let started = hour();
    let links = tracking_links(
        &env.keys(),
        PUBLIC_URL,
        &EmailAddress::parse(email).unwrap(),
        &ListId::new("newsletter").unwrap(),
        (now_ms() / 1000) as u64,
    )
    .unwrap();
    let local = |url: String| url.strip_prefix(PUBLIC_URL).unwrap().to_owned();
    let targets = [
        "https://news.example/articles/1",
        "https://news.example/offers?x=1&y=2",
    ];
    for _ in 0..20 {
        assert_eq!(env.get(&local(links.pixel_url())).status, 200);
        assert_eq!(env.get(&local(links.click_url(targets[0]))).status, 302);
    }
    assert_eq!(env.get(&local(links.click_url(targets[1]))).status, 302);
    let events = env.events(email);
    let count = |kind: &str| events.iter().filter(|e| e["kind"] == kind).count();
    // Only if the clock passed an hour boundary during the loop may a second open appear.
    let hours = usize::try_from(hour() - started + 1).unwrap();
    assert!((1..=hours).contains(&count("open")), "{events:?}");
    assert!((2..=2 * hours).contains(&count("click")), "{events:?}");
}

/// Item 3: a confirmed address and an over-limit request cost the same store work as a new address (an event and
/// a commit), recorded with their outcome; the answers are identical.
pub(crate) fn every_subscribe_request_does_the_same_work(env: &Env<'_>) {
    let known = "known.reader@mail.example";
    subscribe_and_confirm(env, known, false);
    let fresh = "brand.new@mail.example";
    let a = env.subscribe(known, false);
    let b = env.subscribe(fresh, false);
    assert_eq!((a.status, a.text()), (b.status, b.text()));
    let outcomes = |email: &str| -> Vec<String> {
        env.events(email)
            .iter()
            .filter(|e| e["kind"] == "requested")
            .map(|e| e["detail"]["outcome"].as_str().unwrap_or("?").to_owned())
            .collect()
    };
    assert_eq!(outcomes(known), ["pending", "already_confirmed"]);
    assert_eq!(outcomes(fresh), ["pending"]);
    assert_eq!(
        env.state(known),
        "confirmed",
        "a new request does not undo a confirmation"
    );
}

/// Item 5: outbox files are private and erasing the address deletes them (and only them).
pub(crate) fn erasure_deletes_the_outbox_copies(env: &Env<'_>) {
    let gone = "erase.outbox@mail.example";
    let kept = "keep.outbox@mail.example";
    for email in [gone, kept] {
        assert_eq!(env.subscribe(email, false).status, 202);
        wait_for_message(env, email, 1);
    }
    let files = outbox_files(&env.outbox());
    assert!(files.len() >= 2);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        for f in &files {
            let mode = std::fs::metadata(f).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{}", f.display());
            let dir_mode = std::fs::metadata(f.parent().unwrap())
                .unwrap()
                .permissions()
                .mode()
                & 0o777;
            assert_eq!(dir_mode, 0o700, "{}", f.display());
        }
    }
    let has = |email: &str| {
        outbox_files(&env.outbox())
            .iter()
            .any(|p| std::fs::read_to_string(p).is_ok_and(|t| t.contains(email)))
    };
    assert!(has(gone) && has(kept));
    let r = env.admin(
        "DELETE",
        &format!("/v1/admin/subscribers?email={}", gone.replace('@', "%40")),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["outbox_messages"], 1);
    assert!(!has(gone), "no outbox file names the erased address");
    assert!(has(kept), "other addresses' messages stay");
    // Nor does any other file under the server's directory (on SQLite: the database, its WAL; and the logs),
    // while the server runs; the address still subscribed is found (the scan can see).
    let files_with = |needle: &str| -> Vec<PathBuf> {
        let mut found = Vec::new();
        let mut dirs = vec![env.dir.to_path_buf()];
        while let Some(d) = dirs.pop() {
            for e in std::fs::read_dir(d).unwrap().flatten() {
                let p = e.path();
                if p.is_dir() {
                    dirs.push(p);
                } else if std::fs::read(&p)
                    .is_ok_and(|b| b.windows(needle.len()).any(|w| w == needle.as_bytes()))
                {
                    found.push(p);
                }
            }
        }
        found
    };
    assert_eq!(
        files_with(gone),
        Vec::<PathBuf>::new(),
        "the erased address lingers"
    );
    assert!(!files_with(kept).is_empty());
}

/// Item 4: `/metrics` reports the record count without counting the table, and follows inserts and erasures.
pub(crate) fn metrics_follow_inserts_and_erasures(env: &Env<'_>) {
    let before = env.stored_count();
    let a = env.post("/v1/consents", &[], &choice()).json();
    let subject = a["subject"].as_str().unwrap();
    let mut again = choice();
    again["subject"] = json!(subject);
    let auth = format!("Bearer {}", a["token"].as_str().unwrap());
    assert_eq!(
        env.post("/v1/consents", &[("Authorization", &auth)], &again)
            .status,
        201
    );
    assert_eq!(env.post("/v1/consents", &[], &choice()).status, 201);
    assert_eq!(env.stored_count(), before + 3);
    let r = env.admin("DELETE", &format!("/v1/admin/subjects/{subject}"));
    assert_eq!(r.json()["erased"], 2);
    assert_eq!(env.stored_count(), before + 1);
    let stats = env
        .admin("GET", &format!("/v1/admin/stats?site={SITE}"))
        .json();
    assert_eq!(stats["records"], before + 1, "{stats}");
}
