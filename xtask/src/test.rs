//! `cargo xtask test`: everything CI checks, as a list of steps (see [`steps`]). Each step prints a header; the
//! first failure stops the run with a non-zero exit naming the step.
//!
//! Nothing is skipped quietly. A step that could not run everything it covers (PostgreSQL tests turned off
//! with `ASSENT_SKIP_POSTGRES=1`, an `#[ignore]`d Rust test, a skipped Playwright test) ends as
//! [`Outcome::Skipped`]: with `CI` set that is a failure, otherwise the summary and the last line say loudly
//! what did not run. A missing suite (no browser tests, no e2e suite, no `serve` command) is an error, not a
//! skip.
//!
//! To add a check, add a [`Step`] to [`steps`] (or extend the function of an existing step).

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::util::{self, Args, Result, bail, cargo, cmd, header, note, run, run_tests};
use crate::{dist, install};

/// One step of the pipeline.
#[derive(Debug)]
pub(crate) struct Step {
    /// Short name for `--only` / `--skip`.
    pub(crate) name: &'static str,
    /// What it does, for the header.
    pub(crate) title: &'static str,
    pub(crate) run: fn(&mut Ctx) -> Result<Outcome>,
}

/// What a step did.
#[derive(Debug)]
pub(crate) enum Outcome {
    Done,
    /// It ran, but not all of it: what did not run. A failure under `CI`.
    Skipped(String),
}

/// State shared by the steps of one run.
#[derive(Debug, Default)]
pub(crate) struct Ctx {
    /// Environment variables set for every command of later steps (e.g. `ASSENT_TEST_POSTGRES_BIN`).
    pub(crate) env: Vec<(String, OsString)>,
    /// Whether `www/dist` was built by this run (the `dist` step).
    pub(crate) dist_built: bool,
}

impl Ctx {
    /// A cargo command with the shared environment.
    pub(crate) fn cargo(&self) -> std::process::Command {
        let mut c = cargo();
        c.envs(self.env.iter().map(|(k, v)| (k, v)));
        c
    }

    /// Set an environment variable for the commands of the following steps.
    pub(crate) fn set_env(&mut self, key: &str, value: impl Into<OsString>) {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.to_string(), value.into()));
    }
}

/// The pipeline, in order. Edit here to add steps.
pub(crate) fn steps() -> Vec<Step> {
    vec![
        Step {
            name: "install",
            title: "Install prerequisites",
            run: install_prerequisites,
        },
        Step {
            name: "fmt",
            title: "Formatting (cargo fmt --check)",
            run: fmt,
        },
        Step {
            name: "clippy",
            title: "Lints (clippy -D warnings, native)",
            run: clippy,
        },
        Step {
            name: "clippy-wasm",
            title: "Lints (clippy -D warnings, assent-web on wasm32)",
            run: clippy_wasm,
        },
        Step {
            name: "test",
            title: "Workspace tests (native, PostgreSQL-backed included)",
            run: native_tests,
        },
        Step {
            name: "wasm-test",
            title: "assent-web tests in headless Chromium (wasm-bindgen-test)",
            run: wasm_tests,
        },
        Step {
            name: "dist",
            title: "Browser SDK build and size budget (cargo xtask dist)",
            run: dist_budget,
        },
        Step {
            name: "scan",
            title: "assent-scan against our examples and fixtures (real Chromium)",
            run: scan_tests,
        },
        Step {
            name: "e2e",
            title: "End-to-end browser tests (Playwright, tests/e2e)",
            run: browser_e2e,
        },
    ]
}

const USAGE: &str = "cargo xtask test [--only STEP,..] [--skip STEP,..] [--list]";

/// `cargo xtask test [--only a,b] [--skip a,b] [--list]`
pub(crate) fn run_cli(args: &[String]) -> Result {
    let mut args = Args::new(args);
    let list = args.flag("--list");
    let only = args.value("--only")?;
    let skip = args.value("--skip")?;
    args.finish()?;

    let all = steps();
    if list {
        for s in &all {
            println!("{:<12} {}", s.name, s.title);
        }
        return Ok(());
    }
    let names = |v: &Option<String>| -> Result<Vec<String>> {
        let list: Vec<String> = v
            .iter()
            .flat_map(|s| s.split(','))
            .map(|s| s.trim().to_string())
            .collect();
        for n in &list {
            if !all.iter().any(|s| s.name == n) {
                bail!("unknown step `{n}` ({USAGE}; `--list` shows the steps)");
            }
        }
        Ok(list)
    };
    let (only, skip) = (names(&only)?, names(&skip)?);

    let mut ctx = Ctx::default();
    let mut summary: Vec<(&str, String, Duration)> = Vec::new();
    let mut not_run: Vec<String> = Vec::new();
    let started = Instant::now();
    for step in &all {
        let selected = (only.is_empty() || only.iter().any(|n| n == step.name))
            && !skip.iter().any(|n| n == step.name);
        if !selected {
            continue;
        }
        header(&format!("test step `{}`: {}", step.name, step.title));
        let t = Instant::now();
        match (step.run)(&mut ctx) {
            Ok(Outcome::Done) => summary.push((step.name, "ok".into(), t.elapsed())),
            Ok(Outcome::Skipped(why)) if util::under_ci() => {
                summary.push((step.name, format!("FAILED: skipped {why}"), t.elapsed()));
                print_summary(&summary);
                bail!(
                    "test step `{}` ({}) skipped {why}; under CI a check that did not run is a failure",
                    step.name,
                    step.title
                );
            }
            Ok(Outcome::Skipped(why)) => {
                warn_loudly(&format!(
                    "step `{}` did NOT run everything: skipped {why}",
                    step.name
                ));
                summary.push((step.name, format!("ok, but SKIPPED {why}"), t.elapsed()));
                not_run.push(format!("{}: {why}", step.name));
            }
            Err(e) => {
                summary.push((step.name, "FAILED".into(), t.elapsed()));
                print_summary(&summary);
                bail!("test step `{}` ({}) failed: {e}", step.name, step.title);
            }
        }
    }
    print_summary(&summary);
    if not_run.is_empty() {
        println!("\nall selected steps passed in {:.0?}", started.elapsed());
    } else {
        println!(
            "\nthe selected steps passed in {:.0?}, but NOT EVERYTHING RAN (a failure under CI):",
            started.elapsed()
        );
        for n in &not_run {
            println!("  - skipped {n}");
        }
    }
    Ok(())
}

/// A warning nobody scrolls past.
fn warn_loudly(msg: &str) {
    let line = "!".repeat(78);
    println!("\n{line}\n!! WARNING: {msg}\n{line}");
}

/// Why a step did not run everything (`None`: it did), from the parts it skipped.
fn outcome(skipped: Vec<String>) -> Outcome {
    if skipped.is_empty() {
        Outcome::Done
    } else {
        Outcome::Skipped(skipped.join("; "))
    }
}

/// The harness summaries' count of `#[ignore]`d tests, as a skipped part.
fn ignored_tests(tally: util::TestTally, what: &str) -> Option<String> {
    (tally.ignored > 0).then(|| format!("{} ignored {what} test(s)", tally.ignored))
}

/// Whether the PostgreSQL tests are turned off (`ASSENT_SKIP_POSTGRES=1`); refused under CI, where they must run.
fn postgres_skipped() -> Result<bool> {
    let Some(value) = std::env::var_os("ASSENT_SKIP_POSTGRES") else {
        return Ok(false);
    };
    if util::under_ci() {
        bail!(
            "ASSENT_SKIP_POSTGRES={} is refused under CI: the PostgreSQL tests must run (unset it)",
            value.to_string_lossy()
        );
    }
    Ok(value == "1")
}

fn print_summary(summary: &[(&str, String, Duration)]) {
    header("summary");
    for (name, status, took) in summary {
        println!("{name:<12} {:>7.1}s  {status}", took.as_secs_f64());
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Steps
// ---------------------------------------------------------------------------------------------------------------

fn install_prerequisites(ctx: &mut Ctx) -> Result<Outcome> {
    install::for_test()?;
    let pg = install::postgres()?;
    note(&format!("ASSENT_TEST_POSTGRES_BIN={}", pg.display()));
    ctx.set_env("ASSENT_TEST_POSTGRES_BIN", pg);
    Ok(Outcome::Done)
}

fn fmt(_ctx: &mut Ctx) -> Result<Outcome> {
    install::rust_components()?;
    run(cargo().args(["fmt", "--all", "--", "--check"]))?;
    Ok(Outcome::Done)
}

fn clippy(_ctx: &mut Ctx) -> Result<Outcome> {
    install::rust_components()?;
    run(cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    Ok(Outcome::Done)
}

fn clippy_wasm(_ctx: &mut Ctx) -> Result<Outcome> {
    install::rust_components()?;
    install::wasm_target()?;
    // The engine (with its tests), the interface part, the full build (`--features ui`: the linked backend), the
    // regions builds' code (`ui,regions` covers both), and the GPP part.
    for (package, features) in [
        ("assent-web", ""),
        ("assent-ui", ""),
        ("assent-web", "ui"),
        ("assent-web", "ui,regions"),
        ("assent-gpp", ""),
    ] {
        let mut c = cargo();
        c.args([
            "clippy",
            "-p",
            package,
            "--target",
            install::WASM_TARGET,
            "--all-targets",
        ]);
        if !features.is_empty() {
            c.args(["--features", features]);
        }
        run(c.args(["--", "-D", "warnings"]))?;
    }
    Ok(Outcome::Done)
}

/// assent-web's browser tests: `crates/assent-web/tests/*.rs` (wasm-bindgen-test). They call into JavaScript, so
/// they run only on wasm32 in Chromium (`wasm-test`); the crate's unit tests in `src/` are plain `#[test]`s of
/// plain-Rust modules and run natively (`test`).
fn web_browser_tests_dir() -> PathBuf {
    util::repo_root().join("crates/assent-web/tests")
}

fn native_tests(ctx: &mut Ctx) -> Result<Outcome> {
    let mut skipped = Vec::new();
    if postgres_skipped()? {
        warn_loudly(
            "ASSENT_SKIP_POSTGRES=1: every PostgreSQL test returns early and counts as passed",
        );
        skipped.push("the PostgreSQL tests (ASSENT_SKIP_POSTGRES=1)".to_string());
    } else if !ctx.env.iter().any(|(k, _)| k == "ASSENT_TEST_POSTGRES_BIN") {
        let pg = install::postgres()?;
        ctx.set_env("ASSENT_TEST_POSTGRES_BIN", pg);
    }
    let mut tally = run_tests(
        ctx.cargo()
            .args(["test", "--workspace", "--exclude", "assent-web"])
            // assent-scan scans the built examples: its tests run in the `scan` step, after `dist`.
            .args(["--exclude", "assent-scan"]),
    )?;
    // assent-web natively: its unit tests and its dependency policy (the browser tests in tests/ run in
    // `wasm-test`; the policy file compiles to nothing there).
    let web = run_tests(ctx.cargo().args([
        "test",
        "-p",
        "assent-web",
        "--lib",
        "--test",
        "dependency_policy",
    ]))?;
    tally.ignored += web.ignored;
    skipped.extend(ignored_tests(tally, "Rust"));
    Ok(outcome(skipped))
}

fn wasm_tests(ctx: &mut Ctx) -> Result<Outcome> {
    if !web_browser_tests_dir().is_dir() {
        bail!("crates/assent-web/tests (the browser tests) is missing");
    }
    install::wasm_target()?;
    install::wasm_bindgen_cli()?;
    let (_, chromedriver) = install::browser()?;
    // `--test '*'`: every file in tests/, under wasm-bindgen-test-runner (the `.cargo/config.toml` runner).
    let tally = run_tests(
        ctx.cargo()
            .args([
                "test",
                "-p",
                "assent-web",
                "--target",
                install::WASM_TARGET,
                "--test",
                "*",
            ])
            .env("CHROMEDRIVER", chromedriver),
    )?;
    if tally.passed == 0 {
        // The runner's summary normally comes on stdout; without it the ignored count below is unknown.
        note(
            "no `test result:` line read from wasm-bindgen-test-runner: ignored browser tests not counted",
        );
    }
    Ok(outcome(
        ignored_tests(tally, "browser").into_iter().collect(),
    ))
}

fn dist_budget(ctx: &mut Ctx) -> Result<Outcome> {
    dist::build(&dist::Options::default())?;
    ctx.dist_built = true;
    Ok(Outcome::Done)
}

/// The `assent` server binary (debug build), built if needed.
pub(crate) fn build_server(ctx: &Ctx, release: bool) -> Result<PathBuf> {
    let mut c = ctx.cargo();
    c.args(["build", "-p", "assent-server", "--bin", "assent"]);
    if release {
        c.arg("--release");
    }
    run(&mut c)?;
    Ok(util::target_dir()
        .join(if release { "release" } else { "debug" })
        .join("assent"))
}

/// Environment for browser suites: where the server binary, the www directory and Chromium are.
pub(crate) fn browser_env(bin: PathBuf, chromium: PathBuf) -> Vec<(&'static str, OsString)> {
    vec![
        ("ASSENT_BIN", bin.into()),
        ("ASSENT_WWW", util::repo_root().join("www").into()),
        ("CHROMIUM_PATH", chromium.into()),
        ("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1".into()),
    ]
}

/// assent-scan's tests drive the real Chromium against `assent serve` and the built SDK (`www/dist`), so they
/// run after `dist`, with the environment the tests require (they fail, never skip, without it).
/// The built SDK, for a step run alone (`--only scan`, `--only e2e`): built here when the `dist` step did not run;
/// the budget is that step's business.
fn ensure_dist(ctx: &mut Ctx) -> Result {
    if !ctx.dist_built {
        dist::build(&dist::Options {
            enforce_budget: false,
            ..dist::Options::default()
        })?;
        ctx.dist_built = true;
    }
    Ok(())
}

fn scan_tests(ctx: &mut Ctx) -> Result<Outcome> {
    let bin = build_server(ctx, false)?;
    let (chromium, _) = install::browser()?;
    ensure_dist(ctx)?;
    let tally = run_tests(
        ctx.cargo()
            .args(["test", "-p", "assent-scan"])
            .envs(browser_env(bin, chromium)),
    )?;
    Ok(outcome(ignored_tests(tally, "scan").into_iter().collect()))
}

fn browser_e2e(ctx: &mut Ctx) -> Result<Outcome> {
    let e2e = util::repo_root().join("tests/e2e");
    let bin = build_server(ctx, false)?;
    let (chromium, _) = install::browser()?;
    ensure_dist(ctx)?;
    util::npm_install(&e2e)?;
    // The suite's reporter (support/skip-report.mjs) lists every skipped test in this file.
    let skip_report = util::target_dir().join("e2e-skipped.txt");
    let _ = std::fs::remove_file(&skip_report);
    run(cmd("npx")
        .args(["playwright", "test"])
        .current_dir(&e2e)
        .envs(ctx.env.iter().map(|(k, v)| (k, v)))
        .envs(browser_env(bin, chromium))
        .env("E2E_SKIP_REPORT", &skip_report))?;
    let report = std::fs::read_to_string(&skip_report).map_err(|e| {
        util::err!(
            "the e2e run wrote no skip report ({}: {e}); is support/skip-report.mjs in playwright.config.mjs?",
            skip_report.display()
        )
    })?;
    let skipped: Vec<&str> = report.lines().filter(|l| !l.trim().is_empty()).collect();
    if skipped.is_empty() {
        return Ok(Outcome::Done);
    }
    for t in &skipped {
        note(&format!("skipped e2e test: {t}"));
    }
    Ok(Outcome::Skipped(format!("{} e2e test(s)", skipped.len())))
}
