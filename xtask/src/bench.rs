//! `cargo xtask bench [verify|server|web|size|all] [-- ARGS]`: run benchmarks. Each suite is a command owned by the
//! crate it measures (see [`suites`]); ARGS after `--` are passed to it. `all` (the default) runs every suite; a
//! suite that cannot run fails the command.
//!
//! | suite | runs |
//! |---|---|
//! | verify | `cargo bench -p assent-verify -- ARGS` (criterion benches in `crates/assent-verify/benches`) |
//! | server | `cargo run --release -p assent-server --bin assent -- bench ARGS` (the server's own load benchmark), then the same with `--db postgres` (a private PostgreSQL) |
//! | web | `cargo xtask dist`, then `npm run bench -- ARGS` in `tests/e2e` with `ASSENT_BIN`, `ASSENT_WWW`, `CHROMIUM_PATH` |
//! | size | `cargo xtask dist`: the size report (`www/dist/size.json`) against the budget |

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
            name: "web",
            title: "browser SDK in headless Chromium vs peers",
            run: web,
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
                "--",
                "bench",
            ])
            .args(db)
            .args(args))
    };
    let names_db = args.iter().any(|a| a == "--db" || a.starts_with("--db="));
    bench(&Ctx::default(), &[])?;
    if !names_db {
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
