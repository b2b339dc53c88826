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
//! 6. size report of everything a page downloads (`*.js`, `*.mjs`, `*.wasm`, `*.css` in `www/dist`): raw and gzip
//!    (flate2, level 9) per file and in total, printed and written to `www/dist/size.json`; fails when the total
//!    gzip size is over [`BUDGET_GZIP`].

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::write::GzEncoder;

use crate::install;
use crate::util::{self, Args, Result, bail, cmd, err, header, human_bytes, note, run};

/// The size budget: total gzip bytes of everything a page downloads for Assent.
pub(crate) const BUDGET_GZIP: u64 = 40 * 1024;

/// Base name of the generated files: `assent_web.js` and `assent_web_bg.wasm`. (`assent.js` is the hand-written
/// bootstrap from `www/src/`, the file a page's `<script>` tag loads.)
pub(crate) const OUT_NAME: &str = "assent_web";

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

/// Extensions of the files a page downloads.
const SHIPPED_EXTENSIONS: &[&str] = &["js", "mjs", "wasm", "css"];

/// Where and what to build. `Default` is the real thing (assent-web into `www/dist`).
#[derive(Debug)]
pub(crate) struct Options {
    /// Build this manifest instead of `-p assent-web` (for trying the pipeline on another crate).
    pub(crate) manifest_path: Option<PathBuf>,
    /// Output directory (emptied first).
    pub(crate) out_dir: PathBuf,
    /// Hand-written files copied into the output as they are.
    pub(crate) src_dir: PathBuf,
    /// Fail when the total gzip size is over this.
    pub(crate) budget_gzip: u64,
    /// Whether going over the budget is an error (`true`) or a warning (`false`, for `demo`).
    pub(crate) enforce_budget: bool,
    /// Minify JS and CSS with esbuild.
    pub(crate) minify: bool,
}

impl Default for Options {
    fn default() -> Self {
        let www = util::repo_root().join("www");
        Options {
            manifest_path: None,
            out_dir: www.join("dist"),
            src_dir: www.join("src"),
            budget_gzip: BUDGET_GZIP,
            enforce_budget: true,
            minify: true,
        }
    }
}

/// `cargo xtask dist [--manifest-path PATH] [--out-dir DIR] [--src-dir DIR] [--no-minify]`
pub(crate) fn run_cli(args: &[String]) -> Result {
    let mut args = Args::new(args);
    let mut opts = Options::default();
    if let Some(m) = args.value("--manifest-path")? {
        opts.manifest_path = Some(absolute(m));
    }
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

/// Why the browser SDK cannot be built yet (`None` when it can): `crates/assent-web` must depend on wasm-bindgen.
pub(crate) fn web_sdk_not_ready() -> Option<String> {
    let manifest = util::repo_root().join("crates/assent-web/Cargo.toml");
    let Ok(text) = std::fs::read_to_string(&manifest) else {
        return Some(format!("{} does not exist", manifest.display()));
    };
    if depends_on(&text, "wasm-bindgen") {
        None
    } else {
        Some("crates/assent-web does not depend on wasm-bindgen yet, so there is no browser SDK to ship".into())
    }
}

/// Whether a Cargo.toml lists `dep` among its (non-dev) dependencies.
fn depends_on(manifest: &str, dep: &str) -> bool {
    let mut in_deps = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_deps = line.ends_with("dependencies]") && !line.contains("dev-dependencies");
            continue;
        }
        if in_deps {
            let key = line
                .split(['=', '.', ' '])
                .next()
                .unwrap_or_default()
                .trim_matches('"');
            if key == dep {
                return true;
            }
        }
    }
    false
}

/// Sizes of one shipped file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileSize {
    pub(crate) name: String,
    pub(crate) raw: u64,
    pub(crate) gzip: u64,
}

/// The size report of a dist directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SizeReport {
    pub(crate) files: Vec<FileSize>,
    pub(crate) budget_gzip: u64,
}

impl SizeReport {
    pub(crate) fn total_raw(&self) -> u64 {
        self.files.iter().map(|f| f.raw).sum()
    }

    pub(crate) fn total_gzip(&self) -> u64 {
        self.files.iter().map(|f| f.gzip).sum()
    }

    pub(crate) fn within_budget(&self) -> bool {
        self.total_gzip() <= self.budget_gzip
    }

    pub(crate) fn to_table(&self) -> String {
        let width = self
            .files
            .iter()
            .map(|f| f.name.len())
            .max()
            .unwrap_or(0)
            .max(5);
        let mut s = format!("{:<width$}  {:>10}  {:>10}\n", "file", "raw B", "gzip B");
        for f in &self.files {
            let _ = writeln!(s, "{:<width$}  {:>10}  {:>10}", f.name, f.raw, f.gzip);
        }
        let _ = writeln!(
            s,
            "{:<width$}  {:>10}  {:>10}",
            "total",
            self.total_raw(),
            self.total_gzip()
        );
        let verdict = if self.within_budget() {
            format!(
                "within budget, {} left",
                human_bytes(self.budget_gzip - self.total_gzip())
            )
        } else {
            format!(
                "OVER BUDGET by {}",
                human_bytes(self.total_gzip() - self.budget_gzip)
            )
        };
        let _ = write!(
            s,
            "gzip total {} of budget {}: {verdict}",
            human_bytes(self.total_gzip()),
            human_bytes(self.budget_gzip)
        );
        s
    }

    pub(crate) fn to_json(&self) -> String {
        let files: Vec<String> = self
            .files
            .iter()
            .map(|f| {
                format!(
                    "    {{\"name\": {}, \"raw\": {}, \"gzip\": {}}}",
                    json_str(&f.name),
                    f.raw,
                    f.gzip
                )
            })
            .collect();
        format!(
            "{{\n  \"budget_gzip\": {},\n  \"total_raw\": {},\n  \"total_gzip\": {},\n  \"within_budget\": {},\n  \
             \"files\": [\n{}\n  ]\n}}\n",
            self.budget_gzip,
            self.total_raw(),
            self.total_gzip(),
            self.within_budget(),
            files.join(",\n")
        )
    }
}

fn json_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Gzip size at level 9 (what a server with static gzip serves).
pub(crate) fn gzip_len(bytes: &[u8]) -> u64 {
    let mut enc = GzEncoder::new(Vec::new(), Compression::new(9));
    enc.write_all(bytes).expect("writing to a Vec cannot fail");
    enc.finish().expect("writing to a Vec cannot fail").len() as u64
}

/// Run the whole pipeline; returns the size report (an over-budget report is an error, after it is written).
pub(crate) fn build(opts: &Options) -> Result<SizeReport> {
    if opts.manifest_path.is_none() {
        if let Some(why) = web_sdk_not_ready() {
            bail!("cannot build the browser SDK: {why}");
        }
    }
    install::wasm_nightly()?;
    install::wasm_bindgen_cli()?;
    let wasm_opt = install::wasm_opt()?;

    header("dist: compile the browser SDK to WebAssembly");
    let wasm = cargo_build(opts)?;

    header("dist: wasm-bindgen");
    if opts.out_dir.exists() {
        std::fs::remove_dir_all(&opts.out_dir)
            .map_err(|e| err!("cannot empty {}: {e}", opts.out_dir.display()))?;
    }
    std::fs::create_dir_all(&opts.out_dir)?;
    run(cmd("wasm-bindgen")
        .args([
            "--target",
            "web",
            "--no-typescript",
            "--out-name",
            OUT_NAME,
            "--out-dir",
        ])
        .arg(&opts.out_dir)
        .arg(&wasm))?;

    header("dist: wasm-opt -Oz");
    optimize(&wasm_opt, &opts.out_dir.join(format!("{OUT_NAME}_bg.wasm")))?;
    shorten_names(&opts.out_dir)?;

    copy_sources(&opts.src_dir, &opts.out_dir)?;

    if opts.minify {
        header("dist: minify JS and CSS (esbuild)");
        minify(&opts.out_dir)?;
    }

    header("dist: size report");
    let report = size_report(&opts.out_dir, opts.budget_gzip)?;
    println!("{}", report.to_table());
    let json = opts.out_dir.join("size.json");
    std::fs::write(&json, report.to_json())?;
    note(&format!("wrote {}", json.display()));
    if !report.within_budget() && !opts.enforce_budget {
        note(&format!(
            "WARNING: over the size budget ({} gzip, budget {}); `cargo xtask test` fails on this",
            human_bytes(report.total_gzip()),
            human_bytes(report.budget_gzip)
        ));
    } else if !report.within_budget() {
        bail!(
            "size budget exceeded: {} gzip in total, budget {}",
            human_bytes(report.total_gzip()),
            human_bytes(report.budget_gzip)
        );
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

/// `cargo build` for wasm32 with the size profile; returns the path of the `.wasm` it produced.
fn cargo_build(opts: &Options) -> Result<PathBuf> {
    let mut c = cmd("rustup");
    c.args(["run", install::WASM_NIGHTLY, "cargo"]);
    // `cargo rustc --crate-type cdylib`, not `cargo build`: assent-web is also an `rlib` (for its browser tests),
    // and cargo silently drops `lto = true` for a crate that builds an rlib too (measured: +11 KB gzip).
    c.args(["rustc", "--lib", "--crate-type", "cdylib"]);
    c.args(["-Zbuild-std=std,panic_abort"]);
    // Its own target directory: the rebuilt standard library does not mix with the stable builds in `target/`.
    c.arg("--target-dir")
        .arg(util::repo_root().join("target/wasm-nightly"));
    c.env("RUSTFLAGS", NIGHTLY_RUSTFLAGS);
    // Set by the `cargo xtask` that runs us (the stable toolchain); the nightly cargo must use its own rustc.
    c.env_remove("RUSTC")
        .env_remove("RUSTDOC")
        .env_remove("CARGO");
    match &opts.manifest_path {
        Some(m) => c.arg("--manifest-path").arg(m),
        None => c.args(["-p", "assent-web"]),
    };
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
        .find_map(wasm_file_in)
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
fn shorten_names(out_dir: &Path) -> Result {
    let wasm = out_dir.join(format!("{OUT_NAME}_bg.wasm"));
    let js = out_dir.join(format!("{OUT_NAME}.js"));
    let module = std::fs::read(&wasm)?;
    let glue = std::fs::read_to_string(&js)?;
    let (module, glue, n) =
        crate::wasm::shorten_glue_names(&module, &glue, &format!("./{OUT_NAME}_bg.js"))
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
    for file in files_under(dir)? {
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
    for file in files_under(src)? {
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

/// All files under `dir`, sorted.
fn files_under(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).map_err(|e| err!("{}: {e}", d.display()))? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Measure everything a page downloads from `dir`.
pub(crate) fn size_report(dir: &Path, budget_gzip: u64) -> Result<SizeReport> {
    let mut files = Vec::new();
    for path in files_under(dir)? {
        let shipped = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| SHIPPED_EXTENSIONS.contains(&e));
        if !shipped {
            continue;
        }
        let bytes = std::fs::read(&path)?;
        let name = path
            .strip_prefix(dir)
            .expect("listed under dir")
            .to_string_lossy()
            .into_owned();
        files.push(FileSize {
            name,
            raw: bytes.len() as u64,
            gzip: gzip_len(&bytes),
        });
    }
    if files.is_empty() {
        bail!("nothing to measure in {}", dir.display());
    }
    Ok(SizeReport { files, budget_gzip })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_wasm_dependency_only_in_normal_dependency_tables() {
        let m = "[package]\nname = \"x\"\n[dependencies]\nassent-core.workspace = true\nwasm-bindgen.workspace = true\n";
        assert!(depends_on(m, "wasm-bindgen"));
        let m = "[dependencies]\nwasm-bindgen = { workspace = true }\n";
        assert!(depends_on(m, "wasm-bindgen"));
        let m = "[target.'cfg(target_arch = \"wasm32\")'.dependencies]\nwasm-bindgen = \"0.2\"\n";
        assert!(depends_on(m, "wasm-bindgen"));
        let m = "[dependencies]\nwasm-bindgen-futures = \"0.4\"\n[dev-dependencies]\nwasm-bindgen = \"0.2\"\n";
        assert!(!depends_on(m, "wasm-bindgen"));
        let m = "[package]\nwasm-bindgen = 1\n[dependencies]\nassent-core.workspace = true\n";
        assert!(!depends_on(m, "wasm-bindgen"));
    }

    #[test]
    fn extracts_wasm_path_from_cargo_json() {
        let line = r#"{"reason":"compiler-artifact","target":{"kind":["cdylib","rlib"]},"filenames":["/t/w/x.wasm","/t/w/libx.rlib"]}"#;
        assert_eq!(wasm_file_in(line), Some(PathBuf::from("/t/w/x.wasm")));
        assert_eq!(wasm_file_in(r#"{"filenames":["/t/libx.rlib"]}"#), None);
    }

    #[test]
    fn gzip_shrinks_repetitive_input_and_is_deterministic() {
        let data = b"consent ".repeat(1000);
        let n = gzip_len(&data);
        assert!(n < 200, "{n}");
        assert_eq!(n, gzip_len(&data));
    }

    #[test]
    fn size_report_measures_shipped_files_and_checks_budget() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.js"), "x".repeat(100)).unwrap();
        std::fs::write(dir.path().join("b.wasm"), [0u8; 50]).unwrap();
        std::fs::write(dir.path().join("size.json"), "{}").unwrap();
        std::fs::write(dir.path().join("notes.txt"), "not shipped").unwrap();
        let r = size_report(dir.path(), 10_000).unwrap();
        let names: Vec<&str> = r.files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["a.js", "b.wasm"]);
        assert_eq!(r.total_raw(), 150);
        assert_eq!(
            r.total_gzip(),
            gzip_len(&[b'x'; 100]) + gzip_len(&[0u8; 50])
        );
        assert!(r.within_budget());
        let tight = size_report(dir.path(), r.total_gzip() - 1).unwrap();
        assert!(!tight.within_budget());
        assert!(tight.to_table().contains("OVER BUDGET by 1 B"));
    }

    #[test]
    fn size_json_has_totals_and_files() {
        let r = SizeReport {
            files: vec![FileSize {
                name: "a\"b.js".into(),
                raw: 10,
                gzip: 7,
            }],
            budget_gzip: 40_960,
        };
        assert_eq!(
            r.to_json(),
            "{\n  \"budget_gzip\": 40960,\n  \"total_raw\": 10,\n  \"total_gzip\": 7,\n  \"within_budget\": true,\n  \
             \"files\": [\n    {\"name\": \"a\\\"b.js\", \"raw\": 10, \"gzip\": 7}\n  ]\n}\n"
        );
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
