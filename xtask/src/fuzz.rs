//! `cargo xtask fuzz [--seconds N] [--target NAME] [--proptest]`: fuzz one target for N seconds (default 60).
//!
//! Targets ([`TARGETS`]): `token_parser` (default; the consent-token parser and verifier) and
//! `html_config_scanner` (the server's inline site-config scanner).
//! With `fuzz/Cargo.toml` present and a nightly toolchain + cargo-fuzz available (installed when missing):
//! `cargo +nightly fuzz run NAME -- -max_total_time=N` in `fuzz/`.
//! Otherwise (no fuzz crate, or nightly/cargo-fuzz cannot be installed) it falls back to the target's proptest
//! harness (e.g. `cargo test -p assent-verify --test fuzz_harness`) with `PROPTEST_CASES` =
//! [`CASES_PER_SECOND`] × N. `--proptest` chooses the fallback directly.

use crate::install;
use crate::util::{self, Args, Result, bail, cmd, header, note, run};

pub(crate) const DEFAULT_SECONDS: u64 = 60;
pub(crate) const DEFAULT_TARGET: &str = "token_parser";
/// How many proptest cases stand in for one second of fuzzing in the fallback.
pub(crate) const CASES_PER_SECOND: u64 = 1000;

/// Every fuzz target: its cargo-fuzz name (a `[[bin]]` of `fuzz/Cargo.toml`) and its proptest fallback
/// (package, test file under that package's `tests/`).
pub(crate) const TARGETS: &[(&str, &str, &str)] = &[
    ("token_parser", "assent-verify", "fuzz_harness"),
    ("html_config_scanner", "assent-server", "fuzz_html_scanner"),
];

pub(crate) fn run_cli(args: &[String]) -> Result {
    let mut args = Args::new(args);
    let seconds = match args.value("--seconds")? {
        Some(s) => s
            .parse::<u64>()
            .map_err(|_| util::err!("--seconds needs a whole number, got `{s}`"))?,
        None => DEFAULT_SECONDS,
    };
    if seconds == 0 {
        bail!("--seconds must be at least 1");
    }
    let target = args
        .value("--target")?
        .unwrap_or_else(|| DEFAULT_TARGET.to_string());
    let proptest_only = args.flag("--proptest");
    args.finish()?;
    let Some(&(_, package, harness_name)) = TARGETS.iter().find(|(name, _, _)| *name == target)
    else {
        let names: Vec<&str> = TARGETS.iter().map(|(name, _, _)| *name).collect();
        bail!(
            "--target {target}: no such fuzz target (known: {})",
            names.join(", ")
        );
    };

    let fuzz_dir = util::repo_root().join("fuzz");
    if proptest_only {
        note("--proptest: using the proptest harness");
    } else if fuzz_dir.join("Cargo.toml").is_file() {
        match install::nightly_and_cargo_fuzz() {
            Ok(()) => {
                header(&format!(
                    "fuzz: cargo-fuzz target `{target}` for {seconds}s"
                ));
                return run(cmd("cargo")
                    .args(["+nightly", "fuzz", "run", &target, "--"])
                    .arg(format!("-max_total_time={seconds}"))
                    .current_dir(&fuzz_dir)
                    .env_remove("RUSTUP_TOOLCHAIN")
                    .env_remove("CARGO")
                    .env_remove("RUSTC"));
            }
            Err(e) => note(&format!(
                "cannot use cargo-fuzz ({e}); falling back to the proptest harness"
            )),
        }
    } else {
        note("no fuzz/Cargo.toml; using the proptest harness instead of cargo-fuzz");
    }

    let cases = seconds.saturating_mul(CASES_PER_SECOND);
    header(&format!(
        "fuzz: proptest harness, {cases} cases (~{seconds}s budget)"
    ));
    let harness = util::repo_root()
        .join("crates")
        .join(package)
        .join("tests")
        .join(format!("{harness_name}.rs"));
    if !harness.is_file() {
        bail!(
            "no fuzz target: neither fuzz/Cargo.toml with cargo-fuzz nor {}",
            harness.display()
        );
    }
    run(util::cargo()
        .args(["test", "-p", package, "--test", harness_name])
        .env("PROPTEST_CASES", cases.to_string()))
}
