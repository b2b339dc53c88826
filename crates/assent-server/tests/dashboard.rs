//! The dashboard on the real `assent serve` over loopback: sign-in and sessions, nothing without a session,
//! CSRF and cross-origin refusals, the time series against the records inserted, bad parameters, erasure.

#[allow(dead_code, unused_imports)]
#[path = "server/support.rs"]
mod support;

use serde_json::{Value, json};
use support::{ADMIN, Response, SITE, Server, Setup, choice, request};

fn categories(analytics: bool, remarketing: bool, functional: bool) -> Value {
    json!({ "analytics": analytics, "remarketing": remarketing, "functional": functional })
}

fn with(categories: Value, gpc: bool, dnt: bool) -> Value {
    let mut c = choice();
    c["categories"] = categories;
    c["signals"] = json!({ "dnt": dnt, "gpc": gpc });
    c
}

/// Signs in with the form; returns the cookie pair (`assent_admin=…`) and the whole `Set-Cookie`.
fn sign_in(server: &Server) -> (String, String) {
    let r = request(
        server.addr,
        "POST",
        "/v1/admin/session",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        format!("token={ADMIN}").as_bytes(),
    );
    assert_eq!(r.status, 303, "{}", r.text());
    assert_eq!(r.header("location"), Some("/admin/"));
    let set = r.header("set-cookie").expect("a session cookie").to_owned();
    (set.split(';').next().unwrap().to_owned(), set)
}

fn get(server: &Server, path: &str, cookie: &str) -> Response {
    request(server.addr, "GET", path, &[("Cookie", cookie)], b"")
}

fn post_form(
    server: &Server,
    path: &str,
    cookie: &str,
    extra: &[(&str, &str)],
    body: &str,
) -> Response {
    let mut headers = vec![
        ("Cookie", cookie),
        ("Content-Type", "application/x-www-form-urlencoded"),
    ];
    headers.extend_from_slice(extra);
    request(server.addr, "POST", path, &headers, body.as_bytes())
}

/// The CSRF token in a page's forms.
fn csrf(page: &str) -> String {
    let at = page.find("name=\"csrf\" value=\"").expect("a CSRF field") + 19;
    page[at..].split('"').next().unwrap().to_owned()
}

#[test]
fn nothing_without_a_session_and_a_wrong_token_gets_none() {
    let server = Server::start();
    server.record(&choice());
    for path in [
        "/admin/",
        "/admin/records",
        "/admin/subject",
        "/admin/email",
        "/admin/keys",
    ] {
        let r = server.get(path);
        assert_eq!(r.status, 303, "{path}");
        assert_eq!(r.header("location"), Some("/admin/signin"), "{path}");
        assert!(
            r.header("content-security-policy")
                .unwrap()
                .contains("default-src 'none'")
        );
        assert!(!r.text().contains(SITE), "{path}");
    }
    let r = server.get(&format!("/v1/admin/stats/timeseries?site={SITE}"));
    assert_eq!(r.status, 401);
    // The sign-in page and its style sheet are public; the CSP forbids every script.
    let r = server.get("/admin/signin");
    assert_eq!(r.status, 200);
    assert!(r.text().contains("name=\"token\""));
    assert!(!r.text().contains("<script"));
    assert_eq!(server.get("/admin/dashboard.css").status, 200);
    // Wrong token, as a form and as JSON: 401 and no cookie.
    let r = request(
        server.addr,
        "POST",
        "/v1/admin/session",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        b"token=not-the-admin-token-at-all",
    );
    assert_eq!(r.status, 401);
    assert!(r.header("set-cookie").is_none());
    let r = server.post_json("/v1/admin/session", &json!({ "token": "wrong" }));
    assert_eq!(r.status, 401);
    assert!(r.header("set-cookie").is_none());
    // A forged cookie is no session.
    let r = get(
        &server,
        "/admin/",
        "assent_admin=AAAAAAAAAAAAAAAAAAAAAA.9999999999.AAAA",
    );
    assert_eq!(r.status, 303);
}

#[test]
fn a_session_opens_every_view_and_sign_out_ends_it() {
    let server = Server::start();
    let first = server.record(&choice());
    let (cookie, set) = sign_in(&server);
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=28800"] {
        assert!(set.contains(attr), "{attr} in {set}");
    }
    assert!(!set.contains("Secure"), "plain http: {set}");
    let overview = get(&server, "/admin/", &cookie);
    assert_eq!(overview.status, 200);
    assert!(
        overview
            .header("content-security-policy")
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    let html = overview.text();
    assert!(html.contains("<svg") && !html.contains("<script") && !html.contains("style="));
    let subject = first["subject"].as_str().unwrap();
    for path in [
        "/admin/records".to_owned(),
        format!("/admin/records/{}", first["id"].as_str().unwrap()),
        format!("/admin/subject?id={subject}"),
        "/admin/email".to_owned(),
        "/admin/keys".to_owned(),
    ] {
        let r = get(&server, &path, &cookie);
        assert_eq!(r.status, 200, "{path}: {}", r.text());
    }
    let record = get(
        &server,
        &format!("/admin/records/{}", first["id"].as_str().unwrap()),
        &cookie,
    )
    .text();
    assert!(record.contains("Token: valid"), "{record}");
    let keys = get(&server, "/admin/keys", &cookie).text();
    assert!(
        keys.contains("active") && keys.contains(">1<"),
        "one record signed: {keys}"
    );
    // Sign-out needs the CSRF token; then the same cookie opens nothing.
    let r = post_form(&server, "/v1/admin/session/delete", &cookie, &[], "");
    assert_eq!(r.status, 403);
    let r = post_form(
        &server,
        "/v1/admin/session/delete",
        &cookie,
        &[],
        &format!("csrf={}", csrf(&html)),
    );
    assert_eq!(r.status, 303);
    assert!(r.header("set-cookie").unwrap().contains("Max-Age=0"));
    assert_eq!(get(&server, "/admin/", &cookie).status, 303);
    // The bearer-token admin API is unaffected.
    assert_eq!(server.admin_get("/v1/admin/stats").status, 200);
}

#[test]
fn the_cookie_is_secure_behind_https() {
    let server = Server::start();
    let r = request(
        server.addr,
        "POST",
        "/v1/admin/session",
        &[
            ("Content-Type", "application/json"),
            ("X-Forwarded-Proto", "https"),
        ],
        json!({ "token": ADMIN }).to_string().as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.header("set-cookie").unwrap().contains("; Secure"));
    assert!(r.json()["csrf"].as_str().is_some_and(|c| c.len() > 20));
}

#[test]
fn cross_origin_and_csrf_less_writes_are_refused_and_change_nothing() {
    let server = Server::start();
    let r = server.record(&choice());
    let subject = r["subject"].as_str().unwrap();
    let (cookie, _) = sign_in(&server);
    let page = get(
        &server,
        &format!("/admin/subject/erase?id={subject}"),
        &cookie,
    )
    .text();
    let token = csrf(&page);
    let body = format!("csrf={token}&id={subject}");
    for extra in [
        vec![("Origin", "http://evil.example")],
        vec![("Sec-Fetch-Site", "cross-site")],
        vec![("Origin", "null")],
    ] {
        let r = post_form(&server, "/admin/subject/erase", &cookie, &extra, &body);
        assert_eq!(r.status, 403, "{extra:?}");
        assert_eq!(r.error_code(), "cross_origin");
    }
    let r = post_form(
        &server,
        "/admin/subject/erase",
        &cookie,
        &[],
        &format!("id={subject}"),
    );
    assert_eq!(r.status, 403);
    assert_eq!(r.error_code(), "csrf");
    let r = post_form(&server, "/admin/subject/erase", "", &[], &body);
    assert_eq!(r.status, 401);
    // A cross-origin sign-in (login CSRF) is refused too.
    let r = request(
        server.addr,
        "POST",
        "/v1/admin/session",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Origin", "http://evil.example"),
        ],
        format!("token={ADMIN}").as_bytes(),
    );
    assert_eq!(r.status, 403);
    assert_eq!(server.export("").len(), 1, "nothing was erased");
}

#[test]
fn erasing_from_the_dashboard_removes_the_subject() {
    let server = Server::start();
    let first = server.record(&choice());
    let mut later = with(categories(false, false, false), false, false);
    later["subject"] = first["subject"].clone();
    server.record_as(&first, &later);
    let other = server.record(&choice());
    let subject = first["subject"].as_str().unwrap();
    let (cookie, _) = sign_in(&server);
    let confirm = get(
        &server,
        &format!("/admin/subject/erase?id={subject}"),
        &cookie,
    );
    assert!(
        confirm.text().contains("Erase 2 records"),
        "{}",
        confirm.text()
    );
    let origin = format!("http://{}", server.addr);
    let r = post_form(
        &server,
        "/admin/subject/erase",
        &cookie,
        &[("Origin", &origin), ("Sec-Fetch-Site", "same-origin")],
        &format!("csrf={}&id={subject}", csrf(&confirm.text())),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.text().contains("Erased 2 consent records"));
    assert!(r.text().contains(first["id"].as_str().unwrap()));
    let left = server
        .admin_get(&format!("/v1/admin/subjects/{subject}"))
        .json();
    assert_eq!(left["records"].as_array().unwrap().len(), 0);
    let export = server.export("");
    assert_eq!(export.len(), 1);
    assert_eq!(export[0]["record_id"], other["id"]);
}

#[test]
fn the_time_series_counts_what_was_recorded() {
    let server = Server::with(Setup::default());
    // 3 accept all (one with GPC), 2 reject all (both GPC, one DNT), 4 custom (one DNT).
    let mut inserted = Vec::new();
    for _ in 0..3 {
        inserted.push((categories(true, true, true), false, false));
    }
    inserted[0].1 = true;
    inserted.push((categories(false, false, false), true, true));
    inserted.push((categories(false, false, false), true, false));
    for i in 0..4 {
        inserted.push((categories(i % 2 == 0, false, true), false, i == 3));
    }
    for (c, gpc, dnt) in &inserted {
        server.record(&with(c.clone(), *gpc, *dnt));
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let since = now - 2 * 86_400;
    let r = server.admin_get(&format!(
        "/v1/admin/stats/timeseries?site={SITE}&since={since}&until={}&bucket=day",
        now + 60
    ));
    assert_eq!(r.status, 200, "{}", r.text());
    let s = r.json();
    let t = &s["totals"];
    let count =
        |f: &dyn Fn(&(Value, bool, bool)) -> bool| inserted.iter().filter(|x| f(x)).count() as u64;
    assert_eq!(t["records"], 9);
    assert_eq!(t["accept_all"], 3);
    assert_eq!(t["reject_all"], 2);
    assert_eq!(t["custom"], 4);
    assert_eq!(t["gpc"], count(&|x| x.1));
    assert_eq!(t["dnt"], count(&|x| x.2));
    let buckets = s["buckets"].as_array().unwrap();
    assert_eq!(buckets.len(), 3, "{buckets:?}");
    assert_eq!(
        buckets
            .iter()
            .map(|b| b["records"].as_u64().unwrap())
            .sum::<u64>(),
        9
    );
    assert_eq!(buckets.last().unwrap()["records"], 9, "all recorded today");
    let rate = |name: &str| {
        s["categories"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["category"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("{name} in {s}"))
    };
    assert_eq!(rate("analytics")["presented"], 9);
    assert_eq!(
        rate("analytics")["granted"],
        count(&|x| x.0["analytics"] == true)
    );
    assert_eq!(
        rate("functional")["granted"],
        count(&|x| x.0["functional"] == true)
    );
    assert_eq!(s["revisions"][0]["revision"], 3);
    assert_eq!(s["revisions"][0]["records"], 9);
    // The overview shows the same totals.
    let (cookie, _) = sign_in(&server);
    let html = get(&server, &format!("/admin/?site={SITE}"), &cookie).text();
    assert!(html.contains("<dd id=\"total-records\">9</dd>"), "{html}");
    assert!(html.contains("<dd id=\"total-reject\">22.2 %</dd>"));
    // Another site's query sees none of them; a session works in place of the bearer token.
    let r = get(
        &server,
        "/v1/admin/stats/timeseries?site=other.example",
        &cookie,
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["totals"]["records"], 0);
}

#[test]
fn bad_time_series_parameters_are_400_naming_the_field() {
    let server = Server::start();
    for (query, field) in [
        ("bucket=day", "site"),
        ("site=test.example&bucket=month", "bucket"),
        ("site=test.example&since=yesterday", "since"),
        ("site=test.example&until=-5", "until"),
        ("site=test.example&since=2000&until=1000", "since"),
        (
            "site=test.example&since=0&until=1790000000&bucket=hour",
            "bucket",
        ),
        ("site=test.example&colour=red", "colour"),
    ] {
        let r = server.admin_get(&format!("/v1/admin/stats/timeseries?{query}"));
        assert_eq!(r.status, 400, "{query}");
        let message = r.json()["error"]["message"].as_str().unwrap().to_owned();
        assert!(
            message.starts_with(&format!("{field}:")),
            "{query}: {message}"
        );
    }
    let (cookie, _) = sign_in(&server);
    let r = get(&server, "/admin/?from=2026-13-01", &cookie);
    assert_eq!(r.status, 400);
    assert!(r.text().contains("from: expected a date"));
    assert!(server.get("/healthz").status == 200, "the server stays up");
}
