//! The browser crates stay small (ARCHITECTURE.md invariant 8): no serde, serde_json or regex, and no async
//! runtime, HTTP client or database, in the tree of assent-web (the engine every page loads), its `ui` build,
//! assent-ui and assent-dom, as built for the browser.
//!
//! A native test (it runs `cargo tree`): `cargo xtask test` runs it with assent-web's unit tests; in the
//! browser run (`--target wasm32-unknown-unknown --test '*'`) this file compiles to nothing.
#![cfg(not(target_arch = "wasm32"))]

use std::process::Command;

/// Crates the browser build must not contain, by name or name prefix (`serde` covers `serde_json`,
/// `serde_derive`, `serde-wasm-bindgen`; `regex` covers `regex-automata`, `regex-syntax`). `futures-util` is
/// not on the list: js-sys itself depends on it (for JavaScript async iterators); the SDK's promises go
/// through js-sys alone.
const FORBIDDEN_PREFIXES: &[&str] = &[
    "serde",
    "regex",
    "tokio",
    "async-std",
    "smol",
    "mio",
    "hyper",
    "http",
    "reqwest",
    "ureq",
    "axum",
    "tower",
    "rusqlite",
    "postgres",
    "sqlx",
];

/// `cargo tree` of `package` for the browser target: the crate names of its normal dependencies.
fn tree(package: &str, features: &[&str]) -> Vec<String> {
    let mut cmd = Command::new(env!("CARGO"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR")).args([
        "tree",
        "-p",
        package,
        "-e",
        "normal",
        "--target",
        "wasm32-unknown-unknown",
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

fn assert_clean(package: &str, features: &[&str], crates: &[String]) {
    for c in crates {
        assert!(
            !FORBIDDEN_PREFIXES.iter().any(|p| c.starts_with(p)),
            "{c} is in the browser tree of {package} {features:?}: {crates:?}"
        );
    }
}

#[test]
fn the_browser_crates_carry_no_serde_regex_runtime_or_database() {
    for (package, features) in [
        ("assent-web", &[][..]),
        ("assent-web", &["--features", "ui"][..]),
        ("assent-ui", &[][..]),
        ("assent-dom", &[][..]),
    ] {
        let crates = tree(package, features);
        // The tree was really read: the crate itself and its DOM bindings are in it.
        assert!(crates.iter().any(|c| c == package), "{crates:?}");
        assert!(crates.iter().any(|c| c == "wasm-bindgen"), "{crates:?}");
        assert_clean(package, features, &crates);
    }
}

#[test]
fn the_engine_alone_does_not_link_the_interface_part() {
    // What a returning visit loads: the engine without the `ui` feature has no assent-ui in it.
    let crates = tree("assent-web", &[]);
    assert!(crates.iter().any(|c| c == "assent-core"), "{crates:?}");
    assert!(!crates.iter().any(|c| c == "assent-ui"), "{crates:?}");
    let full = tree("assent-web", &["--features", "ui"]);
    assert!(full.iter().any(|c| c == "assent-ui"), "{full:?}");
}
