//! `cargo xtask demo [--listen ADDR]`: build the browser SDK (`dist`), build the server, and serve the demo site:
//! `target/debug/assent serve --listen ADDR --db sqlite:./data/assent.db --www www` (default ADDR 127.0.0.1:8080).

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

    header(&format!("demo: serving on http://{listen}/"));
    std::fs::create_dir_all(root.join("data"))?;
    note("press Ctrl-C to stop");
    run(cmd(&bin).args([
        "serve",
        "--listen",
        &listen,
        "--db",
        "sqlite:./data/assent.db",
        "--www",
        "www",
    ]))
}
