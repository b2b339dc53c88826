//! `assent serve` as a child process: started on `127.0.0.1:0` with a clean environment, its address read
//! from the first line it prints, its log written to a file, killed when dropped.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// `BIN serve --listen 127.0.0.1:0` with no inherited `ASSENT_*` or `RUST_LOG` variable and `ASSENT_LOG=debug`;
/// the caller adds the rest (database, keys, site config, admin token…) and passes it to [`Process::start`].
pub fn command(bin: impl AsRef<Path>) -> Command {
    let mut cmd = Command::new(bin.as_ref());
    cmd.arg("serve").args(["--listen", "127.0.0.1:0"]);
    for (k, _) in std::env::vars_os() {
        if k.to_str().is_some_and(|k| k.starts_with("ASSENT_")) {
            cmd.env_remove(k);
        }
    }
    cmd.env_remove("RUST_LOG").env("ASSENT_LOG", "debug");
    cmd
}

/// A running `assent serve`.
#[derive(Debug)]
pub struct Process {
    child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
    log: PathBuf,
}

impl Process {
    /// Spawns `cmd` (see [`command`]) with its standard error in `log` and waits for its
    /// `assent: listening on http://ADDR` line.
    ///
    /// # Panics
    /// When it does not start, with its log in the message.
    pub fn start(mut cmd: Command, log: &Path) -> Process {
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(log).expect("create the server log"));
        let mut child = cmd.spawn().expect("start assent serve");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("piped stdout"))
            .read_line(&mut line)
            .expect("read the server's first line");
        let Some(addr) = line
            .trim()
            .strip_prefix("assent: listening on http://")
            .and_then(|a| a.parse().ok())
        else {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "server did not start (stdout {line:?}); log:\n{}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
        };
        Process {
            child,
            addr,
            log: log.to_path_buf(),
        }
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// What it has logged so far.
    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Whether it is still running.
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// SIGKILL: no chance to flush or clean up.
    pub fn kill9(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// Waits (up to 60 s) for the process to exit; returns whether it exited with success.
    pub fn wait_exit(&mut self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.success();
            }
            assert!(Instant::now() < deadline, "server did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends a signal by name (`HUP`, `TERM`).
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
