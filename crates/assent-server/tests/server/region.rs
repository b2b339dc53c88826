//! `GET /v1/region` from trusted CDN headers, and the region a record and its token carry.

use std::process::{Command, Stdio};

use serde_json::{Value, json};

use crate::support::{Server, Setup, choice, data, request, stored_count};

fn cloudflare() -> Server {
    Server::with(
        Setup::default()
            .arg("--region-header")
            .arg("CF-IPCountry")
            .arg("--subdivision-header")
            .arg("cf-region-code"),
    )
}

fn region(server: &Server, headers: &[(&str, &str)]) -> (Value, Option<String>, Option<String>) {
    let r = request(server.addr, "GET", "/v1/region", headers, b"");
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/json"));
    (r.json(), r.header("cache-control").map(str::to_owned), {
        let vary: Vec<&str> = r
            .headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("vary"))
            .map(|(_, v)| v.as_str())
            .collect();
        (!vary.is_empty()).then(|| vary.join(", "))
    })
}

#[test]
fn the_configured_headers_give_the_country_and_subdivision() {
    let server = cloudflare();
    let (body, cache, vary) = region(&server, &[("CF-IPCountry", "DE")]);
    assert_eq!(body, json!({"country": "DE", "subdivision": null}));
    assert_eq!(cache.as_deref(), Some("private, no-store"));
    let vary = vary.expect("Vary names the headers read");
    assert!(vary.contains("cf-ipcountry"), "{vary}");
    assert!(vary.contains("cf-region-code"), "{vary}");

    let (body, ..) = region(&server, &[("cf-ipcountry", "us"), ("CF-Region-Code", "ca")]);
    assert_eq!(body, json!({"country": "US", "subdivision": "CA"}));
    let (body, ..) = region(
        &server,
        &[("cf-ipcountry", "US"), ("cf-region-code", "US-NY")],
    );
    assert_eq!(body, json!({"country": "US", "subdivision": "NY"}));
}

#[test]
fn missing_or_garbage_values_are_unknown() {
    let server = cloudflare();
    let unknown = json!({"country": "unknown", "subdivision": null});
    for headers in [
        vec![],
        vec![("cf-ipcountry", "XX")],
        vec![("cf-ipcountry", "T1")],
        vec![("cf-ipcountry", "Germany")],
        vec![("cf-ipcountry", "<script>")],
        vec![("cf-ipcountry", "")],
        vec![("cf-ipcountry", "DE"), ("cf-ipcountry", "US")],
        // A subdivision without a country means nothing.
        vec![("cf-region-code", "CA")],
    ] {
        let (body, cache, _) = region(&server, &headers);
        assert_eq!(body, unknown, "{headers:?}");
        assert_eq!(cache.as_deref(), Some("private, no-store"));
    }
    // A garbage subdivision is dropped, the country kept.
    let (body, ..) = region(
        &server,
        &[("cf-ipcountry", "US"), ("cf-region-code", "Califor")],
    );
    assert_eq!(body, json!({"country": "US", "subdivision": null}));
    let (body, ..) = region(
        &server,
        &[("cf-ipcountry", "US"), ("cf-region-code", "MX-CA")],
    );
    assert_eq!(body, json!({"country": "US", "subdivision": null}));
}

#[test]
fn headers_are_ignored_unless_configured() {
    let server = Server::start();
    let (body, cache, vary) = region(
        &server,
        &[
            ("CF-IPCountry", "DE"),
            ("cf-region-code", "BY"),
            ("X-Vercel-IP-Country", "DE"),
            ("CloudFront-Viewer-Country", "DE"),
        ],
    );
    assert_eq!(body, json!({"country": "unknown", "subdivision": null}));
    assert_eq!(cache.as_deref(), Some("private, no-store"));
    // (The CORS layer's own Vary may be there; the location headers are not named.)
    assert!(
        !vary.unwrap_or_default().contains("cf-"),
        "Vary names no header it did not read"
    );
    // Configured for Vercel, the Cloudflare header is still ignored.
    let vercel = Server::with(
        Setup::default()
            .arg("--region-header")
            .arg("x-vercel-ip-country")
            .arg("--subdivision-header")
            .arg("x-vercel-ip-country-region"),
    );
    let (body, ..) = region(&vercel, &[("CF-IPCountry", "DE")]);
    assert_eq!(body["country"], "unknown");
    let (body, ..) = region(
        &vercel,
        &[
            ("X-Vercel-IP-Country", "US"),
            ("X-Vercel-IP-Country-Region", "TX"),
        ],
    );
    assert_eq!(body, json!({"country": "US", "subdivision": "TX"}));
}

#[test]
fn a_bad_header_option_stops_the_server_with_the_option_named() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_assent"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--region-header",
            "bad header",
        ])
        .arg("--db")
        .arg(format!("sqlite:{}", dir.path().join("a.db").display()))
        .arg("--keys")
        .arg(dir.path().join("keys"))
        .arg("--site-config")
        .arg(data("site.json"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--region-header"), "{err}");
    assert!(out.stdout.is_empty(), "never started listening");
}

#[test]
fn a_record_stores_its_region_and_the_token_carries_it() {
    let server = Server::start();
    let mut body = choice();
    body["region"] = json!("us_states");
    let answer = server.record(&body);
    let token = answer["token"].as_str().unwrap();
    let verified = server.verifier().verify_now(token).unwrap();
    assert_eq!(verified.region(), Some("us_states"));
    assert_eq!(
        assent_verify::UntrustedToken::parse(token)
            .unwrap()
            .version(),
        2
    );
    let stored = server.export("");
    assert_eq!(stored[0]["region"], "us_states");

    // Without a region: a version 1 token, and the record says null.
    let answer = server.record(&choice());
    let token = answer["token"].as_str().unwrap();
    let verified = server.verifier().verify_now(token).unwrap();
    assert_eq!(verified.region(), None);
    assert_eq!(
        assent_verify::UntrustedToken::parse(token)
            .unwrap()
            .version(),
        1
    );
    let stored = server.export("");
    assert_eq!(stored[1]["region"], Value::Null);
}

#[test]
fn an_invalid_region_is_refused_with_the_field_named_and_nothing_stored() {
    let server = Server::start();
    for bad in [
        json!("EU"),
        json!(""),
        json!("us-states"),
        json!("a".repeat(33)),
        json!(7),
    ] {
        let mut body = choice();
        body["region"] = bad.clone();
        let r = server.post_json("/v1/consents", &body);
        assert_eq!(r.status, 422, "{bad}: {}", r.text());
        assert!(r.text().contains("region"), "{bad}: {}", r.text());
    }
    assert_eq!(stored_count(&server), 0);
    // The server is still up and takes a good record.
    let mut body = choice();
    body["region"] = json!("eu");
    server.record(&body);
    assert_eq!(stored_count(&server), 1);
}
