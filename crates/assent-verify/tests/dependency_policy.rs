//! `assent-verify` with default features stays small: no async runtime, no HTTP, no database in its tree.

use std::process::Command;

const FORBIDDEN: &[&str] = &[
    "tokio",
    "async-std",
    "smol",
    "futures",
    "mio",
    "hyper",
    "http",
    "reqwest",
    "ureq",
    "axum",
    "tower",
    "rustls",
    "native-tls",
    "openssl",
    "rusqlite",
    "sqlx",
    "postgres",
    "tokio-postgres",
    "diesel",
];

fn tree(features: &[&str]) -> Vec<String> {
    let mut cmd = Command::new(env!("CARGO"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR")).args([
        "tree",
        "-p",
        "assent-verify",
        "-e",
        "normal",
        "--prefix",
        "none",
        "--format",
        "{p}",
    ]);
    cmd.args(features);
    let out = cmd.output().expect("cargo tree runs");
    assert!(
        out.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect()
}

#[test]
fn default_features_have_no_async_http_or_database_crate() {
    let crates = tree(&[]);
    assert!(crates.iter().any(|c| c == "ed25519-dalek"), "{crates:?}");
    for c in &crates {
        assert!(
            !FORBIDDEN.contains(&c.as_str()),
            "{c} is in assent-verify's tree"
        );
    }
    // Verify-only builds do not pull in the random number generator used for key generation.
    assert!(
        !crates.iter().any(|c| c == "rand_core" || c == "getrandom"),
        "{crates:?}"
    );
}

#[test]
fn sign_feature_adds_only_the_key_generator() {
    let crates = tree(&["--features", "sign"]);
    assert!(crates.iter().any(|c| c == "rand_core"), "{crates:?}");
    for c in &crates {
        assert!(
            !FORBIDDEN.contains(&c.as_str()),
            "{c} is in assent-verify's tree"
        );
    }
}
