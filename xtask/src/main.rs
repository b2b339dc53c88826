//! `cargo xtask`: Assent's build pipeline, in Rust. One module per subcommand; `util` holds the shared helpers and
//! `install` the installers every subcommand uses to fetch what it needs.
#![forbid(unsafe_code)]

mod bench;
mod demo;
mod dist;
mod docs;
mod fuzz;
mod install;
mod lang;
mod size;
mod test;
mod util;
mod wasm;

use std::process::ExitCode;

const USAGE: &str = "\
Usage: cargo xtask <command> [options]

Commands:
  test [--only STEP,..] [--skip STEP,..] [--list]
        Everything CI checks: install prerequisites, fmt, clippy (native and wasm32), workspace tests (PostgreSQL
        included), browser tests (wasm-bindgen-test in headless Chromium), dist size budget, Playwright e2e.
  demo [--listen ADDR]
        Build the browser SDK and the server, then serve the demo site (default 127.0.0.1:8080).
  dist [--out-dir DIR] [--src-dir DIR] [--no-minify]
        Build the browser SDK into www/dist (three wasm modules: engine, interface part, full build; wasm-bindgen,
        wasm-opt, esbuild), print the size report per download set, write www/dist/size.json, and fail when a set
        is over its budget (xtask/src/size.rs).
  bench [verify|server|web|size|all] [-- ARGS]
        Run benchmarks (default: all that exist).
  fuzz [--seconds N] [--target NAME] [--proptest]
        Fuzz a target (token_parser, the default, or html_config_scanner) with cargo-fuzz (nightly), or run its
        proptest harness when that is unavailable (or with --proptest).
  docs
        Regenerate the documentation screenshots (docs/img/*.png and screenshots.json) in headless Chromium; the
        e2e suite compares against them. Refused under CI.
  install
        Install the prerequisites of `test` (wasm32 target, wasm-bindgen-cli, Chromium, chromedriver, binaryen,
        PostgreSQL) when missing.
  help
        This message.
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rest = args.get(1..).unwrap_or_default();
    let result = match args.first().map(String::as_str) {
        Some("test") => test::run_cli(rest),
        Some("demo") => demo::run_cli(rest),
        Some("dist") => dist::run_cli(rest),
        Some("bench") => bench::run_cli(rest),
        Some("fuzz") => fuzz::run_cli(rest),
        Some("docs") => docs::run_cli(rest),
        Some("install") => install::run_cli(rest),
        Some("help" | "-h" | "--help") | None => {
            print!("{USAGE}");
            Ok(())
        }
        Some(other) => Err(util::err!("unknown command `{other}`\n\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("\nxtask: error: {e}");
            ExitCode::FAILURE
        }
    }
}
