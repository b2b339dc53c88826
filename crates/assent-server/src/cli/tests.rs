//! The `assent` CLI, run in-process on real files and a real loopback HTTP socket.

use std::io::{BufRead, BufReader, Write as _};
use std::net::TcpListener;
use std::path::Path;

use clap::Parser;

use super::{Cli, Io};

fn assent(args: &[&str]) -> (u8, String, String) {
    let cli = Cli::try_parse_from(std::iter::once("assent").chain(args.iter().copied()))
        .unwrap_or_else(|e| panic!("{args:?}: {e}"));
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = super::run(
        cli,
        &mut Io {
            out: &mut out,
            err: &mut err,
        },
    );
    (
        code,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

fn ok(args: &[&str]) -> String {
    let (code, out, err) = assent(args);
    assert_eq!(code, 0, "{args:?} failed: {err}");
    out
}

fn keygen(dir: &Path) -> String {
    ok(&["keygen", "--out", dir.to_str().unwrap()])
        .trim()
        .to_owned()
}

fn key_file(dir: &Path, kid: &str) -> String {
    dir.join(format!("{kid}.key")).to_str().unwrap().to_owned()
}

#[test]
fn keygen_mint_verify_round_trip() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("keys");
    let kid = keygen(&dir);
    assert_eq!(kid.len(), 6);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join(format!("{kid}.key")))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let token = ok(&[
        "token",
        "mint",
        "--key",
        &key_file(&dir, &kid),
        "--categories",
        "analytics,remarketing,5",
        "--site",
        "example.com",
        "--subject",
        "c3ViamVjdC1pZC0x",
        "--record",
        "0194f1a2-7b3c-7d4e-8f5a-6b7c8d9e0f10",
        "--revision",
        "7",
        "--gpc",
        "--issued-at",
        "1767225600",
        "--ttl",
        "3600",
    ]);
    let token = token.trim();
    assert!(token.len() <= 160, "{} characters", token.len());
    let keys = dir.join("assent-keys.json");
    let out = ok(&[
        "token",
        "verify",
        token,
        "--keys",
        keys.to_str().unwrap(),
        "--now",
        "1767226000",
    ]);
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["kid"], kid.as_str());
    assert_eq!(json["site_id"], "example.com");
    assert_eq!(json["subject_id"], "c3ViamVjdC1pZC0x");
    assert_eq!(json["record_id"], "0194f1a2-7b3c-7d4e-8f5a-6b7c8d9e0f10");
    assert_eq!(json["config_revision"], 7);
    assert_eq!(json["issued_at"], 1_767_225_600);
    assert_eq!(json["expires_at"], 1_767_229_200);
    assert_eq!(json["granted"], serde_json::json!([0, 1, 2, 5]));
    assert_eq!(
        json["categories"],
        serde_json::json!(["essential", "analytics", "remarketing", "custom#5"])
    );
    assert_eq!(
        json["signals"],
        serde_json::json!({"dnt": false, "gpc": true})
    );

    // The key directory itself works as --keys and as --key.
    let by_dir = ok(&[
        "token",
        "verify",
        token,
        "--keys",
        dir.to_str().unwrap(),
        "--now",
        "1767226000",
    ]);
    assert_eq!(by_dir, out);
    let from_dir = ok(&["token", "mint", "--key", dir.to_str().unwrap()]);
    assert!(
        ok(&[
            "token",
            "verify",
            from_dir.trim(),
            "--keys",
            dir.to_str().unwrap()
        ])
        .contains("\"localhost\"")
    );

    // Expired, not yet valid, tampered: exit 1 with the reason.
    let (code, out, err) = assent(&[
        "token",
        "verify",
        token,
        "--keys",
        keys.to_str().unwrap(),
        "--now",
        "1767229260",
    ]);
    assert_eq!((code, out.as_str()), (1, ""));
    assert!(err.contains("expired"), "{err}");
    let (code, _, err) = assent(&[
        "token",
        "verify",
        token,
        "--keys",
        keys.to_str().unwrap(),
        "--now",
        "1767225000",
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("not_yet_valid"), "{err}");
    let mut tampered = token.to_owned().into_bytes();
    tampered[20] = if tampered[20] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    let (code, _, err) = assent(&[
        "token",
        "verify",
        &tampered,
        "--keys",
        keys.to_str().unwrap(),
        "--now",
        "1767226000",
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("invalid token"), "{err}");
    let (code, _, err) = assent(&[
        "token",
        "verify",
        "not-a-token",
        "--keys",
        keys.to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("malformed"), "{err}");
}

#[test]
fn verify_with_site_refuses_another_sites_token() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("keys");
    let kid = keygen(&dir);
    let mint = |site: &str| {
        ok(&[
            "token",
            "mint",
            "--key",
            &key_file(&dir, &kid),
            "--categories",
            "analytics",
            "--site",
            site,
        ])
        .trim()
        .to_owned()
    };
    let (blog, shop) = (mint("blog.example.com"), mint("shop.example.com"));
    let keys = dir.to_str().unwrap();
    let out = ok(&[
        "token",
        "verify",
        &shop,
        "--keys",
        keys,
        "--site",
        "shop.example.com",
    ]);
    assert!(out.contains("\"shop.example.com\""), "{out}");
    let (code, out, err) = assent(&[
        "token",
        "verify",
        &blog,
        "--keys",
        keys,
        "--site",
        "shop.example.com",
    ]);
    assert_eq!((code, out.as_str()), (1, ""));
    assert!(err.contains("(wrong_site)"), "{err}");
    assert!(err.contains("blog.example.com"), "{err}");
    // Without --site the blog's token is valid (the check is the backend's choice).
    assert!(ok(&["token", "verify", &blog, "--keys", keys]).contains("blog.example.com"));
}

#[test]
fn keygen_refuses_to_overwrite_and_mint_refuses_bad_input() {
    let tmp = tempfile::tempdir().unwrap();
    let kid = keygen(tmp.path());
    let (code, _, err) = assent(&["keygen", "--out", tmp.path().to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("already exists"), "{err}");
    let key = key_file(tmp.path(), &kid);
    for (args, expected) in [
        (vec!["--categories", "functional"], "custom category"),
        (vec!["--categories", "Bad-Name"], "category"),
        (vec!["--categories", "64"], "over 63"),
        (vec!["--site", "has space"], "site id"),
        (vec!["--subject", "short"], "--subject"),
        (vec!["--record", "nope"], "--record"),
        (vec!["--ttl", "0"], "--ttl"),
    ] {
        let mut full = vec!["token", "mint", "--key", &key];
        full.extend(args.iter().copied());
        let (code, out, err) = assent(&full);
        assert_eq!(code, 2, "{args:?}");
        assert!(out.is_empty());
        assert!(err.contains(expected), "{args:?}: {err}");
    }
    let (code, _, err) = assent(&["token", "mint", "--key", "/nonexistent/x.key"]);
    assert_eq!(code, 2);
    assert!(err.contains("/nonexistent/x.key"), "{err}");
}

#[test]
fn rotate_keeps_old_tokens_until_the_key_is_removed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_str().unwrap();
    let old = keygen(tmp.path());
    let old_token = ok(&["token", "mint", "--key", &key_file(tmp.path(), &old)]);
    let new = ok(&["keys", "rotate", "--dir", dir]).trim().to_owned();
    assert_ne!(old, new);
    let list = ok(&["keys", "list", "--dir", dir]);
    assert!(list.contains(&format!("{old}\tretired")), "{list}");
    assert!(list.contains(&format!("{new}\tactive")), "{list}");
    // Old tokens still verify against the published set; new ones are signed by the new key.
    let out = ok(&["token", "verify", old_token.trim(), "--keys", dir]);
    assert!(out.contains(&old));
    let new_token = ok(&["token", "mint", "--key", dir]);
    assert!(ok(&["token", "verify", new_token.trim(), "--keys", dir]).contains(&new));
    // The active key cannot be removed; the retired one can, and then its tokens fail.
    let (code, _, err) = assent(&["keys", "remove", "--dir", dir, &new]);
    assert_eq!(code, 2);
    assert!(err.contains("active"), "{err}");
    ok(&["keys", "remove", "--dir", dir, &old]);
    let (code, _, err) = assent(&["token", "verify", old_token.trim(), "--keys", dir]);
    assert_eq!(code, 1);
    assert!(err.contains("unknown_kid"), "{err}");
    assert!(ok(&["token", "verify", new_token.trim(), "--keys", dir]).contains(&new));
}

#[test]
fn verify_with_a_raw_public_key_file() {
    let tmp = tempfile::tempdir().unwrap();
    let kid = keygen(tmp.path());
    let set: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(tmp.path().join("assent-keys.json")).unwrap(),
    )
    .unwrap();
    let x = set["keys"][0]["x"].as_str().unwrap();
    let pk = tmp.path().join("public.b64");
    std::fs::write(&pk, format!("{x}\n")).unwrap();
    let token = ok(&["token", "mint", "--key", &key_file(tmp.path(), &kid)]);
    assert!(
        ok(&[
            "token",
            "verify",
            token.trim(),
            "--keys",
            pk.to_str().unwrap()
        ])
        .contains(&kid)
    );
}

/// Serves `body` with `status` to `requests` HTTP requests on a loopback port.
fn serve(status: &'static str, body: String, requests: usize) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(requests) {
            let mut stream = stream.unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap() > 2 {
                line.clear();
            }
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    format!("http://{addr}/.well-known/assent-keys.json")
}

#[test]
fn verify_fetches_the_key_set_from_a_url() {
    let tmp = tempfile::tempdir().unwrap();
    let kid = keygen(tmp.path());
    let token = ok(&["token", "mint", "--key", &key_file(tmp.path(), &kid)]);
    let set = std::fs::read_to_string(tmp.path().join("assent-keys.json")).unwrap();
    let url = serve("200 OK", set, 1);
    let out = ok(&["token", "verify", token.trim(), "--keys", &url]);
    assert!(out.contains(&kid), "{out}");

    let url = serve("404 Not Found", "{}".into(), 1);
    let (code, _, err) = assent(&["token", "verify", token.trim(), "--keys", &url]);
    assert_eq!(code, 2);
    assert!(err.contains("404"), "{err}");

    let url = serve("200 OK", "{\"keys\": \"nope\"}".into(), 1);
    let (code, _, err) = assent(&["token", "verify", token.trim(), "--keys", &url]);
    assert_eq!(code, 2);
    assert!(err.contains("invalid key set JSON"), "{err}");
}
