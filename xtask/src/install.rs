//! Installers for what the pipeline needs. Each checks first and does nothing when the tool is already there, so
//! calling them again is cheap; when it does install, it says what and why.
//!
//! | need | check | install |
//! |---|---|---|
//! | rustfmt, clippy | `cargo fmt --version`, `cargo clippy --version` | `rustup component add` |
//! | wasm32 target | `<sysroot>/lib/rustlib/wasm32-unknown-unknown` | `rustup target add` |
//! | wasm-bindgen-cli | `wasm-bindgen --version` = the `wasm-bindgen` version in Cargo.lock | `cargo install wasm-bindgen-cli --version X` |
//! | wasm-opt | on `PATH` | apt `binaryen` (root only) |
//! | Chromium, chromedriver | `/usr/bin/chromium`, `chromedriver` on `PATH` | apt `chromium chromium-driver` (root only) |
//! | PostgreSQL server binaries | `/usr/lib/postgresql/*/bin/postgres` | apt `postgresql` (root only) |
//! | strace (fsync counting in the server's durability tests) | `strace` on `PATH` | apt `strace` (root only) |
//! | pinned nightly + rust-src (browser SDK build) | `rustup run NIGHTLY rustc --print sysroot` has `lib/rustlib/src/rust/library` | `rustup toolchain install NIGHTLY --profile minimal --component rust-src` |
//! | nightly + cargo-fuzz (fuzzing only) | `rustup toolchain list`, `cargo-fuzz` on `PATH` | `rustup toolchain install nightly --profile minimal`, `cargo install cargo-fuzz` |

use std::path::{Path, PathBuf};

use crate::util::{self, Args, Result, bail, cargo, cmd, note, output, run, which};

pub(crate) const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// `cargo xtask install`: install everything `cargo xtask test` needs.
pub(crate) fn run_cli(args: &[String]) -> Result {
    Args::new(args).finish()?;
    for_test()?;
    note("all prerequisites are installed");
    Ok(())
}

/// Everything `cargo xtask test` needs, with one apt run for all system packages.
pub(crate) fn for_test() -> Result {
    rust_components()?;
    wasm_target()?;
    apt(&[&BINARYEN, &CHROMIUM, &CHROMEDRIVER, &POSTGRES, &STRACE])?;
    let bindgen = if let Some(version) = lock_version("wasm-bindgen")? {
        wasm_bindgen_cli()?;
        format!("wasm-bindgen-cli {version}")
    } else {
        note("wasm-bindgen-cli: not needed yet (no crate depends on wasm-bindgen in Cargo.lock)");
        "no wasm-bindgen-cli (not needed yet)".to_string()
    };
    note(&format!(
        "present: rustfmt, clippy, {WASM_TARGET} target, {bindgen}, wasm-opt, chromium, chromedriver, strace, PostgreSQL ({})",
        postgres_bin_dir().map_or_else(|| "?".into(), |p| p.display().to_string())
    ));
    Ok(())
}

/// rustfmt and clippy for the active toolchain.
pub(crate) fn rust_components() -> Result {
    let have = |sub: &str| output(cargo().args([sub, "--version"])).is_some();
    let missing: Vec<&str> = [("fmt", "rustfmt"), ("clippy", "clippy")]
        .into_iter()
        .filter(|(sub, _)| !have(sub))
        .map(|(_, component)| component)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    note(&format!(
        "installing rustup components {missing:?} (needed for the lint steps)"
    ));
    run(cmd("rustup").args(["component", "add"]).args(&missing))
}

/// The `wasm32-unknown-unknown` standard library for the active toolchain.
pub(crate) fn wasm_target() -> Result {
    let sysroot = output(cmd("rustc").args(["--print", "sysroot"]));
    let installed = sysroot.is_some_and(|s| {
        Path::new(s.trim())
            .join("lib/rustlib")
            .join(WASM_TARGET)
            .join("lib")
            .is_dir()
    });
    if installed {
        return Ok(());
    }
    note(&format!(
        "installing the {WASM_TARGET} target (the browser SDK is compiled to WebAssembly)"
    ));
    run(cmd("rustup").args(["target", "add", WASM_TARGET]))
}

/// The nightly the browser SDK is compiled with (`cargo xtask dist`): its standard library is rebuilt for size with
/// `-Zbuild-std` and `-Cpanic=immediate-abort` (no panic messages, locations or formatting code in the wasm).
/// Pinned, so that every machine builds the same bytes; only the browser build uses it.
pub(crate) const WASM_NIGHTLY: &str = "nightly-2026-05-20";

/// [`WASM_NIGHTLY`] with the standard library's source (for `-Zbuild-std`). A prebuilt wasm32 standard library is
/// not needed: it is built from source.
pub(crate) fn wasm_nightly() -> Result {
    let has_src = || {
        output(cmd("rustup").args(["run", WASM_NIGHTLY, "rustc", "--print", "sysroot"]))
            .is_some_and(|s| {
                Path::new(s.trim())
                    .join("lib/rustlib/src/rust/library/std")
                    .is_dir()
            })
    };
    if has_src() {
        return Ok(());
    }
    note(&format!(
        "installing {WASM_NIGHTLY} with rust-src (the browser SDK's standard library is rebuilt for size)"
    ));
    run(cmd("rustup").args([
        "toolchain",
        "install",
        WASM_NIGHTLY,
        "--profile",
        "minimal",
        "--component",
        "rust-src",
    ]))?;
    if !has_src() {
        bail!("{WASM_NIGHTLY} has no rust-src after installing it");
    }
    Ok(())
}

/// The version of `package` recorded in Cargo.lock (`None` when no crate depends on it).
pub(crate) fn lock_version(package: &str) -> Result<Option<String>> {
    let lock = std::fs::read_to_string(util::repo_root().join("Cargo.lock"))
        .map_err(|e| util::err!("cannot read Cargo.lock: {e}"))?;
    Ok(parse_lock_version(&lock, package))
}

fn parse_lock_version(lock: &str, package: &str) -> Option<String> {
    let wanted = format!("name = \"{package}\"");
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == wanted {
            let version = lines
                .next()?
                .trim()
                .strip_prefix("version = \"")?
                .strip_suffix('"')?;
            return Some(version.to_string());
        }
    }
    None
}

/// `wasm-bindgen` and `wasm-bindgen-test-runner` at exactly the Cargo.lock version of the `wasm-bindgen` crate
/// (the CLI refuses to process output of a different crate version).
pub(crate) fn wasm_bindgen_cli() -> Result {
    let Some(version) = lock_version("wasm-bindgen")? else {
        bail!(
            "no crate depends on wasm-bindgen (Cargo.lock has no entry), so there is nothing to run wasm-bindgen on"
        );
    };
    let installed = |bin: &str| {
        output(cmd(bin).arg("--version"))
            .and_then(|v| v.split_whitespace().nth(1).map(str::to_string))
    };
    let bindgen = installed("wasm-bindgen");
    let runner = installed("wasm-bindgen-test-runner");
    if bindgen.as_deref() == Some(&version) && runner.as_deref() == Some(&version) {
        return Ok(());
    }
    let why = match bindgen {
        Some(v) => format!("found {v}, Cargo.lock pins the wasm-bindgen crate at {version}"),
        None => "not installed".to_string(),
    };
    note(&format!(
        "installing wasm-bindgen-cli {version} ({why}); this compiles it and takes a few minutes, once"
    ));
    run(cargo().args(["install", "wasm-bindgen-cli", "--version", &version]))?;
    if installed("wasm-bindgen").as_deref() != Some(&version) {
        bail!(
            "installed wasm-bindgen-cli {version}, but `wasm-bindgen --version` still reports something else: \
             is another wasm-bindgen earlier on PATH than {}?",
            util::cargo_home_bin()
                .map_or_else(|| "~/.cargo/bin".into(), |p| p.display().to_string())
        );
    }
    Ok(())
}

/// A system package that provides something we need.
#[derive(Debug)]
pub(crate) struct AptNeed {
    /// What we need, for messages.
    pub(crate) what: &'static str,
    /// The Debian package providing it.
    pub(crate) package: &'static str,
    /// Whether it is already present.
    pub(crate) present: fn() -> bool,
}

pub(crate) const BINARYEN: AptNeed = AptNeed {
    what: "wasm-opt (shrinks the browser SDK)",
    package: "binaryen",
    present: || which("wasm-opt").is_some(),
};
pub(crate) const CHROMIUM: AptNeed = AptNeed {
    what: "Chromium (browser tests)",
    package: "chromium",
    present: || chromium_path().is_some(),
};
pub(crate) const CHROMEDRIVER: AptNeed = AptNeed {
    what: "chromedriver (wasm-bindgen-test in a real browser)",
    package: "chromium-driver",
    present: || chromedriver_path().is_some(),
};
pub(crate) const STRACE: AptNeed = AptNeed {
    what: "strace (counts the SQLite store's fsyncs in the durability tests)",
    package: "strace",
    present: || which("strace").is_some(),
};
pub(crate) const POSTGRES: AptNeed = AptNeed {
    what: "PostgreSQL server binaries (server storage tests)",
    package: "postgresql",
    present: || postgres_bin_dir().is_some(),
};

/// Install the missing ones with apt, in one run. Needs root; otherwise says what to install.
pub(crate) fn apt(needs: &[&AptNeed]) -> Result {
    let missing: Vec<&&AptNeed> = needs.iter().filter(|n| !(n.present)()).collect();
    if missing.is_empty() {
        return Ok(());
    }
    let packages: Vec<&str> = missing.iter().map(|n| n.package).collect();
    let whats: Vec<&str> = missing.iter().map(|n| n.what).collect();
    if !util::is_root() || which("apt-get").is_none() {
        bail!(
            "missing {}; install it with `sudo apt-get install -y {}` (xtask installs system packages itself only \
             when it runs as root on a machine with apt)",
            whats.join(", "),
            packages.join(" ")
        );
    }
    note(&format!(
        "installing {} with apt: missing {}",
        packages.join(" "),
        whats.join(", ")
    ));
    // A failing update (one unreachable mirror) need not be fatal: the install below says whether it matters.
    if let Err(e) = run(cmd("apt-get")
        .args(["update", "-q"])
        .env("DEBIAN_FRONTEND", "noninteractive"))
    {
        note(&format!(
            "apt-get update failed ({e}); trying to install anyway"
        ));
    }
    run(cmd("apt-get")
        .args(["install", "-y", "-q"])
        .args(&packages)
        .env("DEBIAN_FRONTEND", "noninteractive"))?;
    let still: Vec<&str> = missing
        .iter()
        .filter(|n| !(n.present)())
        .map(|n| n.what)
        .collect();
    if !still.is_empty() {
        bail!(
            "apt-get installed {} but these are still missing: {}",
            packages.join(" "),
            still.join(", ")
        );
    }
    Ok(())
}

/// `wasm-opt` from binaryen.
pub(crate) fn wasm_opt() -> Result<PathBuf> {
    apt(&[&BINARYEN])?;
    which("wasm-opt").ok_or_else(|| util::err!("wasm-opt not found after installing binaryen"))
}

pub(crate) fn chromium_path() -> Option<PathBuf> {
    ["chromium", "chromium-browser"].into_iter().find_map(which)
}

pub(crate) fn chromedriver_path() -> Option<PathBuf> {
    which("chromedriver")
}

/// Chromium and chromedriver; returns their paths.
pub(crate) fn browser() -> Result<(PathBuf, PathBuf)> {
    apt(&[&CHROMIUM, &CHROMEDRIVER])?;
    match (chromium_path(), chromedriver_path()) {
        (Some(c), Some(d)) => Ok((c, d)),
        _ => bail!("chromium or chromedriver not found after installing them"),
    }
}

/// The newest `/usr/lib/postgresql/<version>/bin` that holds a `postgres` binary.
pub(crate) fn postgres_bin_dir() -> Option<PathBuf> {
    let mut dirs: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| {
            let e = e.ok()?;
            let version: u32 = e.file_name().to_str()?.split('.').next()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("postgres").is_file().then_some((version, bin))
        })
        .collect();
    dirs.sort();
    dirs.pop().map(|(_, bin)| bin)
}

/// PostgreSQL server binaries; returns the directory to export as `ASSENT_TEST_POSTGRES_BIN`
/// (an already-set `ASSENT_TEST_POSTGRES_BIN` wins).
pub(crate) fn postgres() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os("ASSENT_TEST_POSTGRES_BIN").filter(|d| !d.is_empty()) {
        return Ok(dir.into());
    }
    apt(&[&POSTGRES])?;
    postgres_bin_dir().ok_or_else(|| {
        util::err!("no /usr/lib/postgresql/*/bin/postgres after installing postgresql")
    })
}

/// A nightly toolchain and cargo-fuzz, for `cargo xtask fuzz`.
pub(crate) fn nightly_and_cargo_fuzz() -> Result {
    let has_nightly = output(cmd("rustup").args(["toolchain", "list"]))
        .is_some_and(|list| list.lines().any(|l| l.starts_with("nightly")));
    if !has_nightly {
        note(
            "installing the nightly toolchain (cargo-fuzz needs it for sanitizer instrumentation)",
        );
        run(cmd("rustup").args(["toolchain", "install", "nightly", "--profile", "minimal"]))?;
    }
    if which("cargo-fuzz").is_none() {
        note("installing cargo-fuzz (runs libFuzzer targets)");
        run(cargo().args(["install", "cargo-fuzz"]))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_versions_from_a_lock_file() {
        let lock = "[[package]]\nname = \"wasm-bindgen\"\nversion = \"0.2.130\"\nsource = \"x\"\n\n\
                    [[package]]\nname = \"wasm-bindgen-backend\"\nversion = \"0.2.99\"\n";
        assert_eq!(
            parse_lock_version(lock, "wasm-bindgen").as_deref(),
            Some("0.2.130")
        );
        assert_eq!(
            parse_lock_version(lock, "wasm-bindgen-backend").as_deref(),
            Some("0.2.99")
        );
        assert_eq!(parse_lock_version(lock, "js-sys"), None);
    }
}
