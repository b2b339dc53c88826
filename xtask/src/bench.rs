//! `cargo xtask bench [verify|server|web|size|all] [-- ARGS]`: run benchmarks. Each suite is a command owned by the
//! crate it measures (see [`suites`]); ARGS after `--` are passed to it. `all` (the default) runs every suite; a
//! suite that cannot run fails the command.
//!
//! | suite | runs |
//! |---|---|
//! | verify | `cargo bench -p assent-verify -- ARGS` (criterion benches in `crates/assent-verify/benches`) |
//! | server | `cargo run --release -p assent-server --features local-postgres --bin assent -- bench ARGS` (the server's own load benchmark), then the same with `--db postgres` (a private PostgreSQL) |
//! | dashboard | `assent dashboard bench ARGS` (release, `local-postgres` feature): 1,000,000 records seeded, the 90-day overview query timed on SQLite, then on a private PostgreSQL |
//! | web | `cargo xtask dist`, then `npm run bench -- ARGS` in `tests/e2e` with `ASSENT_BIN`, `ASSENT_WWW`, `CHROMIUM_PATH` |
//! | size | `cargo xtask dist`: the size report (`www/dist/size.json`) against the budget |
//! | scan | `cargo xtask dist`, then a release `assent-scan / /demo/video.html /examples/ --follow-same-site --pages 10` of the demo served by `assent serve`, three runs, wall time each (ARGS are added to the scan) |

use crate::test::{Ctx, browser_env, build_server};
use crate::util::{self, Args, Result, bail, cmd, header, note, run};
use crate::{dist, install};

/// A benchmark suite.
#[derive(Debug)]
pub(crate) struct Suite {
    pub(crate) name: &'static str,
    pub(crate) title: &'static str,
    pub(crate) run: fn(&[String]) -> Result,
}

/// The suites, in the order `all` runs them. Edit here to add one.
pub(crate) fn suites() -> Vec<Suite> {
    vec![
        Suite {
            name: "verify",
            title: "token verification (criterion)",
            run: verify,
        },
        Suite {
            name: "server",
            title: "consent server load (assent bench)",
            run: server,
        },
        Suite {
            name: "dashboard",
            title: "the dashboard's 90-day overview query over 1,000,000 records",
            run: dashboard,
        },
        Suite {
            name: "web",
            title: "browser SDK in headless Chromium vs peers",
            run: web,
        },
        Suite {
            name: "scan",
            title: "assent-scan: a 10-page same-site scan of the demo",
            run: scan,
        },
        Suite {
            name: "size",
            title: "browser SDK size report",
            run: size,
        },
    ]
}

pub(crate) fn run_cli(args: &[String]) -> Result {
    let args = Args::new(args);
    let passthrough = args.passthrough.clone();
    let positionals = args.positionals()?;
    let which = match positionals.as_slice() {
        [] => "all",
        [one] => one.as_str(),
        [_, extra, ..] => bail!("unexpected argument `{extra}`; pass suite arguments after `--`"),
    };
    let all = suites();
    if which == "all" {
        for s in &all {
            header(&format!("bench `{}`: {}", s.name, s.title));
            (s.run)(&passthrough).map_err(|e| util::err!("bench `{}` failed: {e}", s.name))?;
        }
        return Ok(());
    }
    let Some(s) = all.iter().find(|s| s.name == which) else {
        let names: Vec<&str> = all.iter().map(|s| s.name).collect();
        bail!(
            "unknown bench `{which}`; choose one of {} or all",
            names.join(", ")
        );
    };
    header(&format!("bench `{}`: {}", s.name, s.title));
    (s.run)(&passthrough)
}

fn verify(args: &[String]) -> Result {
    let mut c = Ctx::default().cargo();
    c.args(["bench", "-p", "assent-verify"]);
    if !args.is_empty() {
        c.arg("--").args(args);
    }
    run(&mut c)
}

/// SQLite (the default store), then PostgreSQL on a private server (`--db postgres`), unless ARGS name a
/// database themselves.
fn server(args: &[String]) -> Result {
    on_both_databases(&["bench"], args)
}

/// `assent dashboard bench` (1,000,000 records, 30 timed runs) on SQLite, then on a private PostgreSQL, unless
/// ARGS name a database themselves.
fn dashboard(args: &[String]) -> Result {
    on_both_databases(&["dashboard", "bench"], args)
}

/// `assent COMMAND… ARGS` (release build) on SQLite, then with `--db postgres` on a private PostgreSQL server,
/// unless ARGS name a database themselves.
fn on_both_databases(command: &[&str], args: &[String]) -> Result {
    let bench = |ctx: &Ctx, db: &[&str]| {
        run(ctx
            .cargo()
            .args([
                "run",
                "--release",
                "-p",
                "assent-server",
                "--bin",
                "assent",
                // `--db postgres`: the private PostgreSQL launcher (assent-testkit) is not in default builds.
                "--features",
                "local-postgres",
                "--",
            ])
            .args(command)
            .args(db)
            .args(args))
    };
    bench(&Ctx::default(), &[])?;
    if !args.iter().any(|a| a == "--db" || a.starts_with("--db=")) {
        let mut ctx = Ctx::default();
        let pg = install::postgres()?;
        note(&format!(
            "PostgreSQL: a private server from {} (fsync on, synchronous_commit on)",
            pg.display()
        ));
        ctx.set_env("ASSENT_TEST_POSTGRES_BIN", pg);
        bench(&ctx, &["--db", "postgres"])?;
    }
    Ok(())
}

fn web(args: &[String]) -> Result {
    // Speed is measured on the current build even when it is over the size budget (that is `size`'s verdict).
    dist::build(&dist::Options {
        enforce_budget: false,
        ..dist::Options::default()
    })?;
    let (chromium, _) = install::browser()?;
    let bin = build_server(&Ctx::default(), true)?;
    let e2e = util::repo_root().join("tests/e2e");
    util::npm_install(&e2e)?;
    run(cmd("npm")
        .args(["run", "bench", "--"])
        .args(args)
        .current_dir(&e2e)
        .envs(browser_env(bin, chromium)))
}

fn size(args: &[String]) -> Result {
    if !args.is_empty() {
        bail!("bench `size` takes no arguments");
    }
    dist::build(&dist::Options::default()).map(|_| ())
}

/// Three 10-page same-site scans of the demo site (release builds), timed from start to exit.
fn scan(args: &[String]) -> Result {
    dist::build(&dist::Options {
        enforce_budget: false,
        ..dist::Options::default()
    })?;
    let (chromium, _) = install::browser()?;
    let bin = build_server(&Ctx::default(), true)?;
    run(Ctx::default().cargo().args([
        "build",
        "--release",
        "-p",
        "assent-scan",
        "--bin",
        "assent-scan",
    ]))?;
    let scanner = util::target_dir().join("release/assent-scan");
    let state = std::env::temp_dir().join(format!("assent-bench-scan-{}", std::process::id()));
    std::fs::create_dir_all(state.join("keys"))?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let mut server = cmd(&bin)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .arg("--db")
        .arg(format!("sqlite:{}", state.join("assent.db").display()))
        .arg("--www")
        .arg(util::repo_root().join("www"))
        .arg("--keys")
        .arg(state.join("keys"))
        .env("ASSENT_ADMIN_TOKEN", "bench-scan-admin-token-0123456789")
        .env("ASSENT_LOG", "warn")
        .spawn()?;
    let started = std::time::Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if started.elapsed() > std::time::Duration::from_secs(30) {
            let _ = server.kill();
            bail!("assent serve did not listen on 127.0.0.1:{port} within 30 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // The demo, its embedded video page and the example sites: ten pages, nine of them found by following links.
    // (Opened on its own, the video stand-in sets its remarketing cookie at once: the scan reports that, as it
    // should; the benchmark only times the scan.)
    let urls = [
        format!("http://127.0.0.1:{port}/"),
        format!("http://127.0.0.1:{port}/demo/video.html"),
        format!("http://127.0.0.1:{port}/examples/"),
    ];
    let mut result = Ok(());
    let mut times = Vec::new();
    for i in 1..=3 {
        let t = std::time::Instant::now();
        let status = cmd(&scanner)
            .args(&urls)
            .args(["--follow-same-site", "--pages", "10"])
            .args(args)
            .env("CHROMIUM_PATH", &chromium)
            .status();
        let took = t.elapsed();
        match status {
            Ok(s) if s.success() => {
                note(&format!("run {i}: 10 pages in {:.1} s", took.as_secs_f64()));
                times.push(took.as_secs_f64());
            }
            Ok(s) => {
                result = Err(util::err!("assent-scan exited with {s}"));
                break;
            }
            Err(e) => {
                result = Err(e.into());
                break;
            }
        }
    }
    let _ = server.kill();
    let _ = server.wait();
    let _ = std::fs::remove_dir_all(&state);
    result?;
    times.sort_by(f64::total_cmp);
    note(&format!(
        "10-page same-site scan of the demo: median {:.1} s (min {:.1}, max {:.1}), {:.2} s per page",
        times[1],
        times[0],
        times[2],
        times[1] / 10.0
    ));
    Ok(())
}
