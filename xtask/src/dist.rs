//! `cargo xtask dist`: build the drop-in browser SDK into `www/dist` and enforce the size budget.
//!
//! 1. `rustup run nightly-… cargo rustc -p assent-web --lib --crate-type cdylib --target wasm32-unknown-unknown
//!    --profile wasm-release -Zbuild-std=std,panic_abort` with `RUSTFLAGS=-Cpanic=immediate-abort
//!    -Zlocation-detail=none` (cdylib only, so that `lto = true` applies; the pinned nightly rebuilds the standard
//!    library without panic messages and formatting code: about 4 KB gzip less than stable, see docs/size.md)
//! 2. `wasm-bindgen --target web --no-typescript --out-dir www/dist --out-name assent_web` → `assent_web.js` (the
//!    ES module glue the bootstrap imports) + `assent_web_bg.wasm`
//! 3. `wasm-opt --flatten --rereloop -Oz -Oz --converge` on `assent_web_bg.wasm` (binaryen 108 from apt: features passed explicitly, table exports repaired
//!    afterwards, see `wasm.rs`)
//! 4. copy the hand-written files of `www/src/` (the bootstrap `assent.js`, CSS, …) into `www/dist/`
//! 5. minify the JS and CSS in `www/dist/` with esbuild (npm package pinned in `xtask/package.json`, installed into
//!    `xtask/node_modules`); without npm, or when the install fails, it says so and ships them unminified
//! 6. the built-in languages for the browser: `www/dist/lang/<tag>.json`, minified, without the server's e-mail
//!    texts (`lang.rs`); in no set of the size report (fetched on demand, one at most, none for English)
//! 7. size report of everything a page downloads (`*.js`, `*.mjs`, `*.wasm`, `*.css` in `www/dist`): raw and gzip
//!    (flate2, level 9) per file and in total, printed and written to `www/dist/size.json`; fails when the total
//!    gzip size is over [`BUDGET_GZIP`].

use std::path::{Path, PathBuf};

use crate::install;
use crate::size::{SETS, SizeReport};
use crate::util::{self, Args, Result, bail, cmd, err, header, human_bytes, note, run};

/// One wasm module of the SDK: the crate and its features, and the base name of its files (`<out>.js`, the glue;
/// `<out>_bg.wasm`). (`assent.js` is the hand-written bootstrap from `www/src/`, the file a page's `<script>` tag
/// loads.)
#[derive(Debug)]
pub(crate) struct Module {
    pub(crate) package: &'static str,
    pub(crate) features: &'static str,
    pub(crate) out_name: &'static str,
}

/// The four modules (docs/size.md, "Shape"): the engine a returning visitor loads; the interface part it loads on
/// demand; the full build (engine with the interface linked in) a first visit loads, so a page that shows the
/// banner downloads one module and one copy of the runtime; and the GPP part (`window.__gpp`), loaded only in a
/// region with `gpp`.
pub(crate) const MODULES: &[Module] = &[
    Module {
        package: "assent-web",
        features: "",
        out_name: "assent_web",
    },
    Module {
        package: "assent-ui",
        features: "",
        out_name: "assent_ui",
    },
    Module {
        package: "assent-web",
        features: "ui",
        out_name: "assent_full",
    },
    Module {
        package: "assent-web",
        features: "regions",
        out_name: "assent_web_regions",
    },
    Module {
        package: "assent-web",
        features: "ui,regions",
        out_name: "assent_full_regions",
    },
    Module {
        package: "assent-gpp",
        features: "",
        out_name: "assent_gpp",
    },
];

/// Features rustc 1.95 enables for wasm32-unknown-unknown; binaryen 108 does not read them from the module
/// reliably, so they are passed explicitly.
const WASM_OPT_FEATURES: &[&str] = &[
    "--enable-bulk-memory",
    "--enable-nontrapping-float-to-int",
    "--enable-sign-ext",
    "--enable-mutable-globals",
    "--enable-reference-types",
    "--enable-multivalue",
];

/// Where to build. `Default` is the real thing (the SDK into `www/dist`).
#[derive(Debug)]
pub(crate) struct Options {
    /// Output directory (emptied first).
    pub(crate) out_dir: PathBuf,
    /// Hand-written files copied into the output as they are.
    pub(crate) src_dir: PathBuf,
    /// Whether going over the budget is an error (`true`) or a warning (`false`, for `demo`).
    pub(crate) enforce_budget: bool,
    /// Minify JS and CSS with esbuild.
    pub(crate) minify: bool,
}

impl Default for Options {
    fn default() -> Self {
        let www = util::repo_root().join("www");
        Options {
            out_dir: www.join("dist"),
            src_dir: www.join("src"),
            enforce_budget: true,
            minify: true,
        }
    }
}

/// `cargo xtask dist [--out-dir DIR] [--src-dir DIR] [--no-minify]`
pub(crate) fn run_cli(args: &[String]) -> Result {
    let mut args = Args::new(args);
    let mut opts = Options::default();
    if let Some(d) = args.value("--out-dir")? {
        opts.out_dir = absolute(d);
    }
    if let Some(d) = args.value("--src-dir")? {
        opts.src_dir = absolute(d);
    }
    opts.minify = !args.flag("--no-minify");
    args.finish()?;
    build(&opts).map(|_| ())
}

fn absolute(p: String) -> PathBuf {
    let p = PathBuf::from(p);
    if p.is_absolute() {
        p
    } else {
        std::env::current_dir().map_or(p.clone(), |cwd| cwd.join(p))
    }
}

/// Run the whole pipeline; returns the size report (an over-budget report is an error, after it is written).
pub(crate) fn build(opts: &Options) -> Result<SizeReport> {
    install::wasm_nightly()?;
    install::wasm_bindgen_cli()?;
    let wasm_opt = install::wasm_opt()?;

    if opts.out_dir.exists() {
        std::fs::remove_dir_all(&opts.out_dir)
            .map_err(|e| err!("cannot empty {}: {e}", opts.out_dir.display()))?;
    }
    std::fs::create_dir_all(&opts.out_dir)?;
    for module in MODULES {
        header(&format!(
            "dist: compile {} ({}) to WebAssembly",
            module.package, module.out_name
        ));
        let wasm = cargo_build(module)?;

        header(&format!("dist: wasm-bindgen ({})", module.out_name));
        run(cmd("wasm-bindgen")
            .args([
                "--target",
                "web",
                "--no-typescript",
                "--out-name",
                module.out_name,
                "--out-dir",
            ])
            .arg(&opts.out_dir)
            .arg(&wasm))?;

        header(&format!("dist: wasm-opt -Oz ({})", module.out_name));
        optimize(
            &wasm_opt,
            &opts.out_dir.join(format!("{}_bg.wasm", module.out_name)),
        )?;
        shorten_names(&opts.out_dir, module.out_name)?;
    }

    copy_sources(&opts.src_dir, &opts.out_dir)?;

    header("dist: language files");
    let languages = crate::lang::copy_languages(
        &util::repo_root().join("crates/assent-core/i18n"),
        &opts.out_dir,
    )?;

    if opts.minify {
        header("dist: minify JS and CSS (esbuild)");
        minify(&opts.out_dir)?;
    }

    header("dist: size report");
    let report = SizeReport::measure(&opts.out_dir, SETS)?;
    println!("{}", report.to_table());
    println!("{}", crate::lang::summary(&languages));
    let json = opts.out_dir.join("size.json");
    std::fs::write(&json, report.to_json())?;
    note(&format!("wrote {}", json.display()));
    if !report.within_budget() && !opts.enforce_budget {
        note(&format!(
            "WARNING: over the size budget ({}); `cargo xtask test` fails on this",
            report.problems().join("; ")
        ));
    } else if !report.within_budget() {
        bail!("size budget exceeded: {}", report.problems().join("; "));
    }
    Ok(report)
}

/// Flags for the pinned nightly: the standard library is compiled with the crate (`-Zbuild-std`) so that
/// `panic=immediate-abort` and `location-detail=none` apply to it too. A panic then traps at once (`unreachable`):
/// no message, no file/line strings, no formatting code. (With stable's `panic = "abort"` a panic ends in the same
/// trap, after formatting a message nobody sees.)
///
/// Reference types and multi-value are turned off (for the rebuilt standard library too): wasm-bindgen then keeps
/// JS values in a JS-side slab instead of an externref table, which costs less code at every call that returns a
/// JS value (measured: wasm -0.8 KB, glue +0.2 KB gzip).
const NIGHTLY_RUSTFLAGS: &str = "-Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none \
                                 -Ctarget-feature=-reference-types,-multivalue";

/// `cargo build` of one package for wasm32 with the size profile; returns the path of the `.wasm` it produced.
fn cargo_build(module: &Module) -> Result<PathBuf> {
    let mut c = cmd("rustup");
    c.args(["run", install::WASM_NIGHTLY, "cargo"]);
    // `cargo rustc --crate-type cdylib`, not `cargo build`: assent-web is also an `rlib` (for its browser tests),
    // and cargo silently drops `lto = true` for a crate that builds an rlib too (measured: +11 KB gzip).
    c.args(["rustc", "--lib", "--crate-type", "cdylib"]);
    c.args(["-Zbuild-std=std,panic_abort"]);
    // Its own target directory (under `$CARGO_TARGET_DIR` when set): the rebuilt standard library does not mix
    // with the stable builds.
    c.arg("--target-dir")
        .arg(util::target_dir().join("wasm-nightly"));
    c.env("RUSTFLAGS", NIGHTLY_RUSTFLAGS);
    // Set by the `cargo xtask` that runs us (the stable toolchain); the nightly cargo must use its own rustc.
    c.env_remove("RUSTC")
        .env_remove("RUSTDOC")
        .env_remove("CARGO");
    c.args(["-p", module.package]);
    if !module.features.is_empty() {
        c.args(["--features", module.features]);
    }
    c.args([
        "--target",
        install::WASM_TARGET,
        "--profile",
        "wasm-release",
        "--message-format=json-render-diagnostics",
    ]);
    println!("$ {}", util::show(&c));
    let out = c
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| err!("could not start cargo: {e}"))?;
    if !out.status.success() {
        bail!("compiling the browser SDK failed ({})", out.status);
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let wasm = stdout
        .lines()
        .filter(|l| l.contains("\"reason\":\"compiler-artifact\"") && l.contains("\"cdylib\""))
        .filter_map(wasm_file_in)
        // A dependency that is a cdylib too (assent-ui in the full build) reports its own .wasm first.
        .find(|p| {
            p.file_stem()
                .is_some_and(|s| *s == *module.package.replace('-', "_"))
        })
        .ok_or_else(|| err!("cargo built no .wasm file (is the crate's crate-type `cdylib`?)"))?;
    note(&format!(
        "built {} ({})",
        wasm.display(),
        human_bytes(file_len(&wasm)?)
    ));
    Ok(wasm)
}

/// The `.wasm` path in a cargo `compiler-artifact` JSON message.
fn wasm_file_in(line: &str) -> Option<PathBuf> {
    let end = line.find(".wasm\"")? + ".wasm".len();
    let start = line[..end].rfind('"')? + 1;
    Some(PathBuf::from(&line[start..end]))
}

fn file_len(p: &Path) -> Result<u64> {
    Ok(std::fs::metadata(p)
        .map_err(|e| err!("{}: {e}", p.display()))?
        .len())
}

/// `wasm-opt -Oz` in place, then repair binaryen 108's table exports.
fn optimize(wasm_opt: &Path, wasm: &Path) -> Result {
    let before = std::fs::read(wasm)?;
    let tmp = wasm.with_extension("opt.wasm");
    // `--flatten --rereloop` first gives `-Oz` more to fold; two rounds of `-Oz` until the size stops shrinking
    // (measured: 0.14 KB gzip less than one `-Oz`, for a second of build time).
    run(cmd(wasm_opt)
        .args(["--flatten", "--rereloop", "-Oz", "-Oz", "--converge"])
        .args(WASM_OPT_FEATURES)
        .args([
            "--strip-debug",
            "--strip-producers",
            "--strip-target-features",
        ])
        .arg(wasm)
        .arg("-o")
        .arg(&tmp))?;
    let after = std::fs::read(&tmp)?;
    std::fs::remove_file(&tmp)?;
    let (fixed, repaired) = crate::wasm::fix_table_exports(&before, &after)
        .map_err(|e| err!("checking wasm-opt output: {e}"))?;
    if !repaired.is_empty() {
        note(&format!(
            "repaired table exports broken by this wasm-opt: {}",
            repaired.join(", ")
        ));
    }
    std::fs::write(wasm, &fixed)?;
    note(&format!(
        "{}: {} -> {}",
        wasm.display(),
        human_bytes(before.len() as u64),
        human_bytes(fixed.len() as u64)
    ));
    Ok(())
}

/// Shorten the import and export names only the glue uses (`__wbg_getAttribute_c7b80d4010284561` → `$4`) in the
/// wasm and in `assent_web.js`: about 1.5 KB gzip of the wasm is names otherwise. wasm-opt's own
/// `--minify-imports-and-exports` cannot be used: it renames `boot` too, and leaves the glue as it is.
fn shorten_names(out_dir: &Path, out_name: &str) -> Result {
    let wasm = out_dir.join(format!("{out_name}_bg.wasm"));
    let js = out_dir.join(format!("{out_name}.js"));
    let module = std::fs::read(&wasm)?;
    let glue = std::fs::read_to_string(&js)?;
    let (module, glue, n) =
        crate::wasm::shorten_glue_names(&module, &glue, &format!("./{out_name}_bg.js"))
            .map_err(|e| err!("shortening the glue's import and export names: {e}"))?;
    std::fs::write(&wasm, &module)?;
    std::fs::write(&js, glue)?;
    note(&format!(
        "shortened {n} import/export names: {} is now {}",
        wasm.display(),
        human_bytes(module.len() as u64)
    ));
    Ok(())
}

/// Minify every `.js`, `.mjs` and `.css` file in `dir` in place with esbuild from `xtask/node_modules`.
/// Missing npm or a failed install is reported and skipped (the files stay as they are); a failing esbuild run on
/// a file is an error.
fn minify(dir: &Path) -> Result {
    let xtask_dir = util::repo_root().join("xtask");
    if util::which("npm").is_none() {
        note("npm not found: shipping JS and CSS unminified");
        return Ok(());
    }
    if let Err(e) = util::npm_install(&xtask_dir) {
        note(&format!(
            "could not install esbuild ({e}): shipping JS and CSS unminified"
        ));
        return Ok(());
    }
    let esbuild = xtask_dir.join("node_modules/.bin/esbuild");
    for file in crate::util::files_under(dir)? {
        let ext = file
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or_default();
        if !["js", "mjs", "css"].contains(&ext) {
            continue;
        }
        let before = file_len(&file)?;
        run(cmd(&esbuild)
            .arg(&file)
            .args(["--minify", "--allow-overwrite", "--log-level=warning"])
            .arg(format!("--outfile={}", file.display())))?;
        note(&format!(
            "{}: {before} B -> {} B",
            file.display(),
            file_len(&file)?
        ));
    }
    Ok(())
}

/// Copy every file under `src` into `out`, keeping relative paths. A missing `src` is fine.
fn copy_sources(src: &Path, out: &Path) -> Result {
    if !src.is_dir() {
        note(&format!(
            "no {} (no hand-written bootstrap yet)",
            src.display()
        ));
        return Ok(());
    }
    for file in crate::util::files_under(src)? {
        let rel = file.strip_prefix(src).expect("listed under src");
        let dest = out.join(rel);
        if dest.exists() {
            bail!(
                "{} would overwrite the generated {}",
                file.display(),
                dest.display()
            );
        }
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::copy(&file, &dest).map_err(|e| err!("copying {}: {e}", file.display()))?;
        note(&format!("copied {}", rel.display()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extracts_wasm_path_from_cargo_json() {
        let line = r#"{"reason":"compiler-artifact","target":{"kind":["cdylib","rlib"]},"filenames":["/t/w/x.wasm","/t/w/libx.rlib"]}"#;
        assert_eq!(wasm_file_in(line), Some(PathBuf::from("/t/w/x.wasm")));
        assert_eq!(wasm_file_in(r#"{"filenames":["/t/libx.rlib"]}"#), None);
    }

    #[test]
    fn copies_sources_but_refuses_to_overwrite_generated_files() {
        let src = tempfile::tempdir().unwrap();
        let out = tempfile::tempdir().unwrap();
        std::fs::create_dir(src.path().join("css")).unwrap();
        std::fs::write(src.path().join("boot.js"), "b").unwrap();
        std::fs::write(src.path().join("css/a.css"), "c").unwrap();
        copy_sources(src.path(), out.path()).unwrap();
        assert_eq!(
            std::fs::read_to_string(out.path().join("css/a.css")).unwrap(),
            "c"
        );
        assert!(copy_sources(src.path(), out.path()).is_err());
        copy_sources(&src.path().join("missing"), out.path()).unwrap();
    }
}
