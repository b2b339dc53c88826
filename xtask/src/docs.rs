//! `cargo xtask docs`: regenerate the documentation images (`docs/img/*.png` and `docs/img/screenshots.json`)
//! from the current build, in headless Chromium. The test suite only compares against them
//! (`tests/e2e/specs/screenshots.spec.mjs`); this is the one command that writes them. Refused under CI: CI
//! checks the committed images, it never rewrites them.

use crate::test::{Ctx, browser_env, build_server};
use crate::util::{self, Args, Result, bail, cmd, header, note, run};
use crate::{dist, install};

pub(crate) fn run_cli(args: &[String]) -> Result {
    Args::new(args).finish()?;
    if util::under_ci() {
        bail!(
            "`cargo xtask docs` rewrites docs/img and is refused under CI (the `e2e` step compares them)"
        );
    }
    header("docs: browser SDK and server");
    dist::build(&dist::Options {
        enforce_budget: false,
        ..dist::Options::default()
    })?;
    let bin = build_server(&Ctx::default(), false)?;
    let (chromium, _) = install::browser()?;
    let e2e = util::repo_root().join("tests/e2e");
    util::npm_install(&e2e)?;
    header("docs: screenshots (docs/img)");
    run(cmd("npx")
        .args(["playwright", "test", "specs/screenshots.spec.mjs"])
        .current_dir(&e2e)
        .envs(browser_env(bin, chromium))
        .env("ASSENT_UPDATE_SCREENSHOTS", "1"))?;
    note("review the new images (git diff --stat docs/img) before committing them");
    Ok(())
}
