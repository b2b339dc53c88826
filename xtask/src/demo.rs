//! `cargo xtask demo [--listen ADDR]`: build the browser SDK (`dist`), build the server, and serve the demo site:
//! `target/debug/assent serve --listen ADDR --db sqlite:./data/assent.db --www www` (default ADDR 127.0.0.1:8080).
//!
//! The dashboard: a first run seeds `./data/assent.db` with a few weeks of history of the example sites
//! (`assent dashboard seed --if-empty`), and the server gets a fresh random admin token, printed with the
//! dashboard's URL. Only the demo does this; `assent serve` itself never has a default token.

use crate::test::{Ctx, build_server};
use crate::util::{self, Args, Result, cmd, header, note, run};
use crate::{dist, install};

pub(crate) const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

pub(crate) fn run_cli(args: &[String]) -> Result {
    let mut args = Args::new(args);
    let listen = args
        .value("--listen")?
        .unwrap_or_else(|| DEFAULT_LISTEN.to_string());
    args.finish()?;
    let root = util::repo_root();

    header("demo: browser SDK");
    // The demo shows what exists even when it is over the size budget (`test` enforces it).
    dist::build(&dist::Options {
        enforce_budget: false,
        ..dist::Options::default()
    })?;

    header("demo: server");
    install::rust_components()?;
    let bin = build_server(&Ctx::default(), false)?;

    std::fs::create_dir_all(root.join("data"))?;
    header("demo: dashboard history");
    run(cmd(&bin).args([
        "dashboard",
        "seed",
        "--db",
        "sqlite:./data/assent.db",
        "--keys",
        "./data/keys",
        "--www",
        "www",
        "--if-empty",
    ]))?;
    let token = match std::env::var("ASSENT_ADMIN_TOKEN") {
        Ok(t) if !t.is_empty() => {
            note("dashboard: using your ASSENT_ADMIN_TOKEN");
            t
        }
        _ => demo_token()?,
    };

    header(&format!("demo: serving on http://{listen}/"));
    note(&format!(
        "dashboard: http://{listen}/admin/ (demo admin token: {token})"
    ));
    note("press Ctrl-C to stop");
    run(cmd(&bin).env("ASSENT_ADMIN_TOKEN", &token).args([
        "serve",
        "--listen",
        &listen,
        "--db",
        "sqlite:./data/assent.db",
        "--www",
        "www",
    ]))
}

/// A fresh random admin token for this demo run (32 hex digits from the kernel's random source).
fn demo_token() -> Result<String> {
    use std::io::Read as _;
    let mut bytes = [0u8; 16];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    Ok(bytes.iter().fold(String::new(), |mut out, b| {
        use std::fmt::Write as _;
        let _ = write!(out, "{b:02x}");
        out
    }))
}
