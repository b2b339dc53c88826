//! Small helpers shared by every subcommand: errors, headers, running commands, finding binaries.

use std::ffi::{OsStr, OsString};
use std::fmt::{self, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// An error for the user: one line saying what failed and, where we know it, what to do about it.
#[derive(Debug)]
pub(crate) struct Error(pub(crate) String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error(e.to_string())
    }
}

pub(crate) type Result<T = ()> = std::result::Result<T, Error>;

/// Build an [`Error`] with `format!` syntax.
macro_rules! err {
    ($($arg:tt)*) => { $crate::util::Error(format!($($arg)*)) };
}
pub(crate) use err;

/// Return early with an [`Error`] built with `format!` syntax.
macro_rules! bail {
    ($($arg:tt)*) => { return Err($crate::util::err!($($arg)*)) };
}
pub(crate) use bail;

/// The repository root (the directory holding the workspace `Cargo.toml`).
pub(crate) fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the repository root")
        .to_path_buf()
}

/// Cargo's target directory for this workspace: `$CARGO_TARGET_DIR` or `<root>/target`.
pub(crate) fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => {
            let dir = PathBuf::from(dir);
            if dir.is_absolute() {
                dir
            } else {
                repo_root().join(dir)
            }
        }
        _ => repo_root().join("target"),
    }
}

/// The `cargo` that runs us (so nested builds use the same toolchain).
pub(crate) fn cargo_bin() -> OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

/// `$CARGO_HOME/bin`, where `cargo install` puts binaries (`~/.cargo/bin` by default).
pub(crate) fn cargo_home_bin() -> Option<PathBuf> {
    if let Some(home) = std::env::var_os("CARGO_HOME").filter(|h| !h.is_empty()) {
        return Some(PathBuf::from(home).join("bin"));
    }
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo").join("bin"))
}

/// `$PATH` with `$CARGO_HOME/bin` appended when missing, so binaries we just `cargo install`ed are found.
/// Every child process gets this `PATH` (see [`cmd`]).
pub(crate) fn search_path() -> OsString {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    if let Some(bin) = cargo_home_bin().filter(|b| !dirs.contains(b)) {
        dirs.push(bin);
    }
    std::env::join_paths(dirs).unwrap_or_default()
}

/// Find an executable by name on [`search_path`].
pub(crate) fn which(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&search_path())
        .map(|dir| dir.join(name))
        .find(|p| is_executable(p))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Whether we run as root (effective uid 0), read from `/proc/self/status` to stay free of `unsafe`.
pub(crate) fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|status| {
        status
            .lines()
            .find_map(|l| l.strip_prefix("Uid:"))
            .and_then(|ids| ids.split_whitespace().nth(1))
            == Some("0")
    })
}

/// A big header for a step of a pipeline.
pub(crate) fn header(title: &str) {
    let line = "=".repeat(78);
    println!("\n{line}\n== {title}\n{line}");
}

/// A one-line note about what xtask is doing (and why).
pub(crate) fn note(msg: &str) {
    println!("[xtask] {msg}");
}

/// A [`Command`] for `program` with our `PATH`, run from the repository root.
pub(crate) fn cmd(program: impl AsRef<OsStr>) -> Command {
    let mut c = Command::new(program);
    c.env("PATH", search_path()).current_dir(repo_root());
    c
}

/// A `cargo` command (the same cargo that runs xtask).
pub(crate) fn cargo() -> Command {
    cmd(cargo_bin())
}

/// Render a command for display: `program arg arg` (with `cd dir &&` when not run from the root).
pub(crate) fn show(c: &Command) -> String {
    let mut s = String::new();
    let in_other_dir = c.get_current_dir().filter(|d| *d != repo_root());
    if let Some(dir) = in_other_dir {
        let _ = write!(s, "(cd {} && ", dir.display());
    }
    for (k, v) in c.get_envs() {
        if k == "PATH" {
            continue;
        }
        if let Some(v) = v {
            let _ = write!(s, "{}={} ", k.to_string_lossy(), v.to_string_lossy());
        }
    }
    if c.get_program() == cargo_bin() {
        s.push_str("cargo");
    } else {
        s.push_str(&c.get_program().to_string_lossy());
    }
    for a in c.get_args() {
        let a = a.to_string_lossy();
        if a.is_empty() || a.contains(' ') {
            let _ = write!(s, " '{a}'");
        } else {
            s.push(' ');
            s.push_str(&a);
        }
    }
    if in_other_dir.is_some() {
        s.push(')');
    }
    s
}

/// Run a command with inherited stdio, echoing it first; a non-zero exit is an error naming the command.
pub(crate) fn run(c: &mut Command) -> Result {
    let shown = show(c);
    println!("$ {shown}");
    let status = c
        .status()
        .map_err(|e| err!("could not start `{shown}`: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        bail!("`{shown}` failed ({status})")
    }
}

/// Whether we run under CI (`CI` set to anything but empty, `0` or `false`, as CI services do). Under CI a check
/// that did not run is a failure, never a pass: see `cargo xtask test`.
pub(crate) fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && !v.eq_ignore_ascii_case("false"))
}

/// What the test harnesses of one command reported, summed over its `test result:` lines (libtest and
/// wasm-bindgen-test print the same line).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TestTally {
    pub(crate) passed: u64,
    pub(crate) ignored: u64,
}

impl TestTally {
    /// Adds one harness summary line (`test result: ok. 3 passed; 0 failed; 1 ignored; …`); other lines are
    /// not counted.
    pub(crate) fn add_line(&mut self, line: &str) {
        let Some(rest) = line.trim().strip_prefix("test result:") else {
            return;
        };
        for part in rest.split([';', '.']) {
            let mut words = part.split_whitespace();
            if let (Some(n), Some(what)) = (words.next(), words.next()) {
                if let Ok(n) = n.parse::<u64>() {
                    match what {
                        "passed" => self.passed += n,
                        "ignored" => self.ignored += n,
                        _ => {}
                    }
                }
            }
        }
    }
}

/// Like [`run`], but also reads the command's stdout (echoed as it comes) and sums its test harness summaries.
pub(crate) fn run_tests(c: &mut Command) -> Result<TestTally> {
    use std::io::BufRead as _;
    let shown = show(c);
    println!("$ {shown}");
    let mut child = c
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| err!("could not start `{shown}`: {e}"))?;
    let mut tally = TestTally::default();
    if let Some(out) = child.stdout.take() {
        for line in std::io::BufReader::new(out).lines() {
            let line = line?;
            println!("{line}");
            tally.add_line(&line);
        }
    }
    let status = child.wait()?;
    if status.success() {
        Ok(tally)
    } else {
        bail!("`{shown}` failed ({status})")
    }
}

/// Run a command quietly and return its stdout when it exits successfully (`None` if it cannot start or fails).
pub(crate) fn output(c: &mut Command) -> Option<String> {
    let out = c.stdin(Stdio::null()).stderr(Stdio::null()).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Hand-rolled argument parsing: `--flag`, `--key value`, `--key=value`, positionals, and a `--` pass-through.
#[derive(Debug)]
pub(crate) struct Args {
    args: Vec<String>,
    /// Everything after a literal `--`, passed through to the underlying tool.
    pub(crate) passthrough: Vec<String>,
}

impl Args {
    pub(crate) fn new(args: &[String]) -> Self {
        let split = args.iter().position(|a| a == "--");
        let (own, rest) = match split {
            Some(i) => (&args[..i], &args[i + 1..]),
            None => (args, &[][..]),
        };
        Args {
            args: own.to_vec(),
            passthrough: rest.to_vec(),
        }
    }

    /// Take a boolean `--name` flag.
    pub(crate) fn flag(&mut self, name: &str) -> bool {
        let before = self.args.len();
        self.args.retain(|a| a != name);
        self.args.len() != before
    }

    /// Take the value of `--name VALUE` or `--name=VALUE`.
    pub(crate) fn value(&mut self, name: &str) -> Result<Option<String>> {
        let prefix = format!("{name}=");
        if let Some(i) = self.args.iter().position(|a| a.starts_with(&prefix)) {
            let a = self.args.remove(i);
            return Ok(Some(a[prefix.len()..].to_string()));
        }
        if let Some(i) = self.args.iter().position(|a| a == name) {
            if i + 1 >= self.args.len() {
                bail!("`{name}` needs a value");
            }
            self.args.remove(i);
            return Ok(Some(self.args.remove(i)));
        }
        Ok(None)
    }

    /// The remaining positional arguments; any leftover `--option` is an error.
    pub(crate) fn positionals(self) -> Result<Vec<String>> {
        if let Some(opt) = self.args.iter().find(|a| a.starts_with('-')) {
            bail!("unknown option `{opt}` (see `cargo xtask help`)");
        }
        Ok(self.args)
    }

    /// No positional arguments allowed.
    pub(crate) fn finish(self) -> Result {
        let rest = self.positionals()?;
        if let Some(a) = rest.first() {
            bail!("unexpected argument `{a}` (see `cargo xtask help`)");
        }
        Ok(())
    }
}

/// Install the npm dependencies of `dir` (`npm ci` with a lockfile, else `npm install`). Skipped when
/// `node_modules` was installed from the current lockfile (npm's `node_modules/.package-lock.json` is newer).
pub(crate) fn npm_install(dir: &Path) -> Result {
    let modified = |p: PathBuf| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    if let (Some(lock), Some(installed)) = (
        modified(dir.join("package-lock.json")),
        modified(dir.join("node_modules/.package-lock.json")),
    ) {
        if installed >= lock {
            note(&format!("npm packages in {} are up to date", dir.display()));
            return Ok(());
        }
    }
    let sub = if dir.join("package-lock.json").is_file() {
        "ci"
    } else {
        "install"
    };
    run(cmd("npm")
        .arg(sub)
        .args(["--no-audit", "--no-fund"])
        .current_dir(dir)
        .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1"))
}

/// Format a byte count as `12345 B (12.1 KiB)`.
pub(crate) fn human_bytes(n: u64) -> String {
    format!("{n} B ({:.1} KiB)", n as f64 / 1024.0)
}

/// All files under `dir`, sorted.
pub(crate) fn files_under(dir: &Path) -> Result<Vec<PathBuf>> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn show_quotes_arguments_with_spaces() {
        let mut c = cmd("echo");
        c.arg("a b").arg("c");
        assert_eq!(show(&c), "echo 'a b' c");
    }

    #[test]
    fn show_mentions_directory_and_env() {
        let mut c = cmd("npm");
        c.current_dir("/tmp").env("X", "1").arg("ci");
        assert_eq!(show(&c), "(cd /tmp && X=1 npm ci)");
    }

    #[test]
    fn run_reports_failing_command() {
        let e = run(&mut cmd("false")).unwrap_err();
        assert!(e.0.contains("`false` failed"), "{e}");
    }

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn args_parse_flags_values_and_passthrough() {
        let mut a = Args::new(&strings(&[
            "server",
            "--seconds",
            "5",
            "--listen=0:1",
            "-v",
            "--",
            "--x",
            "y",
        ]));
        assert!(a.flag("-v"));
        assert!(!a.flag("-v"));
        assert_eq!(a.value("--seconds").unwrap().as_deref(), Some("5"));
        assert_eq!(a.value("--listen").unwrap().as_deref(), Some("0:1"));
        assert_eq!(a.value("--nope").unwrap(), None);
        assert_eq!(a.passthrough, strings(&["--x", "y"]));
        assert_eq!(a.positionals().unwrap(), strings(&["server"]));
    }

    #[test]
    fn args_reject_unknown_options_and_missing_values() {
        assert!(Args::new(&strings(&["--bogus"])).finish().is_err());
        assert!(Args::new(&strings(&["extra"])).finish().is_err());
        assert!(
            Args::new(&strings(&["--seconds"]))
                .value("--seconds")
                .is_err()
        );
    }

    #[test]
    fn which_finds_sh_and_not_nonsense() {
        assert!(which("sh").is_some());
        assert!(which("no-such-binary-assent-xtask").is_none());
    }

    #[test]
    fn test_tally_sums_harness_summaries_and_ignores_other_lines() {
        let mut t = TestTally::default();
        for line in [
            "running 3 tests",
            "test a ... ignored",
            "test result: ok. 12 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.01s",
            "test result: ok. 3 passed; 0 failed; 2 ignored; 0 measured; 0 filtered out; finished in 1.5s",
            "test result: ok. 0 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s",
        ] {
            t.add_line(line);
        }
        assert_eq!(
            t,
            TestTally {
                passed: 15,
                ignored: 3
            }
        );
    }

    #[test]
    fn run_tests_counts_ignored_tests_and_fails_like_run() {
        let t =
            run_tests(cmd("echo").arg("test result: ok. 1 passed; 0 failed; 4 ignored;")).unwrap();
        assert_eq!((t.passed, t.ignored), (1, 4));
        assert!(run_tests(&mut cmd("false")).is_err());
    }
}
