//! `assent-scan`: see the crate documentation (`src/lib.rs`) and README "Check your site".

#![forbid(unsafe_code)]

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use assent_core::config::Config;
use assent_scan::cdp::Launch;
use assent_scan::report::Style;
use assent_scan::scan::Options;
use assent_scan::{Crawl, html, report, run, suggest};
use clap::Parser;

/// Checks what a site sets and sends before consent, after "Reject all" and after "Accept all", in a real
/// headless Chromium.
#[derive(Debug, Parser)]
#[command(name = "assent-scan", version)]
struct Cli {
    /// Pages to scan (http or https).
    #[arg(required = true)]
    urls: Vec<String>,
    /// Scan at most N pages in all (default: the URLs given, or 10 with --follow-same-site).
    #[arg(long, value_name = "N")]
    pages: Option<usize>,
    /// Also scan links to the same site found on scanned pages.
    #[arg(long)]
    follow_same_site: bool,
    /// Classify with this site config instead of the one inline in each page.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Write the JSON report here.
    #[arg(long, value_name = "OUT")]
    json: Option<PathBuf>,
    /// Write the self-contained HTML report here.
    #[arg(long, value_name = "OUT")]
    html: Option<PathBuf>,
    /// Exit 1 when a violation is found.
    #[arg(long)]
    fail_on_violation: bool,
    /// Print a config draft (JSON) on standard output and advice on standard error.
    #[arg(long)]
    suggest: bool,
    /// The Chromium to drive.
    #[arg(long, env = "CHROMIUM_PATH", default_value = "/usr/bin/chromium")]
    chromium: PathBuf,
    /// An extra Chromium flag (repeatable), e.g. `--browser-arg=--host-resolver-rules=MAP x 127.0.0.1`.
    #[arg(long = "browser-arg", value_name = "FLAG", allow_hyphen_values = true)]
    browser_args: Vec<String>,
    /// Seconds one page may take.
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    page_timeout: u64,
    /// Seconds the whole scan may take.
    #[arg(long, value_name = "SECS", default_value_t = 600)]
    timeout: u64,
}

fn could_not(reason: &str) -> ExitCode {
    eprintln!("assent-scan: could not scan: {reason}");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match &cli.config {
        None => None,
        Some(path) => {
            let text = match std::fs::read_to_string(path) {
                Ok(t) => t,
                Err(e) => return could_not(&format!("cannot read {}: {e}", path.display())),
            };
            match Config::from_json(&text) {
                Ok(c) => Some(c),
                Err(e) => {
                    return could_not(&format!("{} is not a valid config: {e}", path.display()));
                }
            }
        }
    };
    let crawl = Crawl {
        urls: cli.urls.clone(),
        follow_same_site: cli.follow_same_site,
        max_pages: cli.pages.unwrap_or(if cli.follow_same_site {
            10
        } else {
            cli.urls.len()
        }),
        total_timeout: Duration::from_secs(cli.timeout),
    };
    let options = Options {
        launch: Launch {
            chromium: cli.chromium.clone(),
            extra_args: cli.browser_args.clone(),
            startup_timeout: Duration::from_secs(20),
        },
        page_timeout: Duration::from_secs(cli.page_timeout),
        config: config.clone(),
        quiet: Duration::from_millis(500),
    };
    let tty = std::io::stderr().is_terminal();
    let outcome = run(&crawl, &options, |done, planned, url| {
        if planned > 1 {
            if tty {
                eprint!("\r\x1b[2K[{}/{planned}] {url}", done + 1);
            } else {
                eprintln!("[{}/{planned}] {url}", done + 1);
            }
        }
    });
    if tty && crawl.max_pages > 1 {
        eprint!("\r\x1b[2K");
    }
    let report = outcome.report;
    let summary = report::terminal(
        &report,
        Style {
            colour: std::io::stdout().is_terminal() && !cli.suggest,
        },
    );
    if cli.suggest {
        // Standard output is the draft alone, so it can be redirected to a file.
        eprint!("{summary}");
    } else {
        print!("{summary}");
    }
    for (path, text) in [
        (&cli.json, cli.json.as_ref().map(|_| report::json(&report))),
        (&cli.html, cli.html.as_ref().map(|_| html::html(&report))),
    ] {
        if let (Some(path), Some(text)) = (path, text) {
            if let Err(e) = std::fs::write(path, text) {
                return could_not(&format!("cannot write {}: {e}", path.display()));
            }
        }
    }
    if cli.suggest {
        let base = config.as_ref().or(outcome.page_config.as_ref());
        match suggest::suggest(&report, base) {
            Ok(s) => {
                println!("{}", s.config);
                eprint!("{}", s.advice());
            }
            Err(e) => return could_not(&e),
        }
    }
    for e in &report.errors {
        eprintln!("assent-scan: could not scan {}: {}", e.url, e.reason);
    }
    ExitCode::from(report.exit_code(cli.fail_on_violation) as u8)
}
