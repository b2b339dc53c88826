//! A private PostgreSQL server in a temporary directory, for the storage conformance suite, the server tests and
//! `assent bench --db postgres`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A private PostgreSQL server in a temporary directory on a free loopback port, for tests and benchmarks.
///
/// Binaries come from `ASSENT_TEST_POSTGRES_BIN` (set by `cargo xtask test`), else the newest
/// `/usr/lib/postgresql/*/bin`. PostgreSQL refuses to run as root, so as root every command runs as the
/// `postgres` user through `runuser` and the directory is handed to that user. Authentication is `trust` and
/// it listens on 127.0.0.1 only; `fsync` is on, so commits are as durable as in production. Stopped (fast
/// shutdown) and deleted on drop.
#[derive(Debug)]
pub struct LocalPostgres {
    dir: PathBuf,
    bin: PathBuf,
    port: u16,
    as_postgres_user: bool,
    running: bool,
}

impl LocalPostgres {
    /// Where the PostgreSQL server binaries are, or why there are none.
    pub fn bin_dir() -> Result<PathBuf, String> {
        if let Some(dir) = std::env::var_os("ASSENT_TEST_POSTGRES_BIN").filter(|d| !d.is_empty()) {
            let dir = PathBuf::from(dir);
            return if dir.join("postgres").is_file() {
                Ok(dir)
            } else {
                Err(format!(
                    "ASSENT_TEST_POSTGRES_BIN={} holds no `postgres` binary",
                    dir.display()
                ))
            };
        }
        let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
            .into_iter()
            .flatten()
            .filter_map(Result::ok)
            .filter_map(|e| {
                let version = e.file_name().to_str()?.parse().ok()?;
                let bin = e.path().join("bin");
                bin.join("postgres").is_file().then_some((version, bin))
            })
            .collect();
        found.sort();
        found.pop().map(|(_, bin)| bin).ok_or_else(|| {
            "no PostgreSQL server binaries: set ASSENT_TEST_POSTGRES_BIN or install them \
             (`apt-get install -y postgresql`; `cargo xtask test` does it)"
                .to_string()
        })
    }

    /// For tests: a private server, or `None` when the run turned the PostgreSQL tests off with
    /// `ASSENT_SKIP_POSTGRES=1`. A test that returns early counts as passed, so CI must never take that exit.
    ///
    /// # Panics
    /// When no server can start (saying why), and when `ASSENT_SKIP_POSTGRES` is set under `CI`.
    pub fn for_test() -> Option<LocalPostgres> {
        if let Some(skip) = std::env::var_os("ASSENT_SKIP_POSTGRES") {
            let ci = std::env::var("CI")
                .is_ok_and(|v| !v.is_empty() && v != "0" && !v.eq_ignore_ascii_case("false"));
            assert!(
                !ci,
                "ASSENT_SKIP_POSTGRES={} is refused under CI: the PostgreSQL tests must run",
                skip.to_string_lossy()
            );
            if skip == "1" {
                eprintln!("ASSENT_SKIP_POSTGRES=1: PostgreSQL test SKIPPED (it counts as passed)");
                return None;
            }
        }
        Some(LocalPostgres::start().unwrap_or_else(|e| {
            panic!(
                "the PostgreSQL tests need PostgreSQL server binaries and could not start one: {e}\n\
                 Install them (`cargo xtask test` does) or point ASSENT_TEST_POSTGRES_BIN at their directory; \
                 outside CI, ASSENT_SKIP_POSTGRES=1 skips these tests explicitly."
            )
        }))
    }

    /// Creates a cluster (`initdb`) and starts it.
    pub fn start() -> Result<LocalPostgres, String> {
        let bin = LocalPostgres::bin_dir()?;
        let as_postgres_user = effective_uid() == Some(0);
        let mut name = [0u8; 8];
        getrandom::getrandom(&mut name).map_err(|e| e.to_string())?;
        // Short and world-traversable: the socket path must fit in 107 bytes, and the postgres user needs it.
        let parent = if as_postgres_user {
            PathBuf::from("/tmp")
        } else {
            std::env::temp_dir()
        };
        let dir = parent.join(format!("assent-pg-{:016x}", u64::from_le_bytes(name)));
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let mut pg = LocalPostgres {
            dir,
            bin,
            port: 0,
            as_postgres_user,
            running: false,
        };
        if as_postgres_user {
            let ok = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&pg.dir)
                .status()
                .is_ok_and(|s| s.success());
            if !ok {
                return Err(format!(
                    "cannot hand {} to the postgres user (PostgreSQL refuses to run as root; is there a \
                     `postgres` user?)",
                    pg.dir.display()
                ));
            }
        }
        let data = pg.data_dir();
        pg.run(
            "initdb",
            &[
                "-D".as_ref(),
                data.as_os_str(),
                "-U".as_ref(),
                "postgres".as_ref(),
                "--auth=trust".as_ref(),
                "--encoding=UTF8".as_ref(),
                "--locale=C".as_ref(),
                // Only the empty cluster's files are not fsynced; the server runs with fsync on.
                "--no-sync".as_ref(),
            ],
        )?;
        let mut last = String::new();
        for _ in 0..5 {
            pg.port = free_port()?;
            match pg.start_server() {
                Ok(()) => return Ok(pg),
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        if self.as_postgres_user {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        }
    }

    fn run(&self, program: &str, args: &[&std::ffi::OsStr]) -> Result<(), String> {
        let out = self
            .command(program)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run {}: {e}", self.bin.join(program).display()))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{program} failed ({}): {}{}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    }

    fn start_server(&mut self) -> Result<(), String> {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=on -c synchronous_commit=on \
             -c max_connections=200 -c dynamic_shared_memory_type=mmap -c track_wal_io_timing=on",
            self.port,
            self.dir.display()
        );
        let data = self.data_dir();
        let log = self.dir.join("postgres.log");
        let result = self.run(
            "pg_ctl",
            &[
                "start".as_ref(),
                "-D".as_ref(),
                data.as_os_str(),
                "-l".as_ref(),
                log.as_os_str(),
                "-w".as_ref(),
                "-t".as_ref(),
                "120".as_ref(),
                "-o".as_ref(),
                options.as_ref(),
            ],
        );
        match result {
            Ok(()) => {
                self.running = true;
                Ok(())
            }
            Err(e) => Err(format!(
                "{e}\nserver log:\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            )),
        }
    }

    fn stop_server(&mut self, mode: &str) -> Result<(), String> {
        let data = self.data_dir();
        self.running = false;
        self.run(
            "pg_ctl",
            &[
                "stop".as_ref(),
                "-D".as_ref(),
                data.as_os_str(),
                "-m".as_ref(),
                mode.as_ref(),
                "-w".as_ref(),
                "-t".as_ref(),
                "120".as_ref(),
            ],
        )
    }

    /// The URL of the `postgres` database as the `postgres` superuser.
    pub fn url(&self) -> String {
        self.database_url("postgres")
    }

    /// The URL of another database (see [`LocalPostgres::create_database`]).
    pub fn database_url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }

    /// Creates an empty database.
    pub fn create_database(&self, db: &str) -> Result<(), String> {
        self.run(
            "createdb",
            &[
                "-h".as_ref(),
                "127.0.0.1".as_ref(),
                "-p".as_ref(),
                self.port.to_string().as_ref(),
                "-U".as_ref(),
                "postgres".as_ref(),
                db.as_ref(),
            ],
        )
    }

    /// Runs SQL with `psql` and returns its unaligned output (`-At`).
    pub fn psql(&self, db: &str, sql: &str) -> Result<String, String> {
        let out = self
            .command("psql")
            .args([
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "-At",
                "-v",
                "ON_ERROR_STOP=1",
            ])
            .arg("-p")
            .arg(self.port.to_string())
            .arg("-d")
            .arg(db)
            .arg("-c")
            .arg(sql)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run psql: {e}"))?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(format!(
                "psql failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    }

    /// Crashes the server: an immediate shutdown, where every server process quits at once without writing
    /// anything out, as after `kill -9` (the next start runs crash recovery from the WAL).
    pub fn crash(&mut self) -> Result<(), String> {
        self.stop_server("immediate")
    }

    /// Starts the server again after [`LocalPostgres::crash`] (same port and data).
    pub fn restart(&mut self) -> Result<(), String> {
        if self.running {
            self.stop_server("fast")?;
        }
        self.start_server()
    }

    /// The cluster's directory (data in `data/`, the server log in `postgres.log`).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The server log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("postgres.log")).unwrap_or_default()
    }
}

impl Drop for LocalPostgres {
    fn drop(&mut self) {
        if self.running {
            if let Err(e) = self.stop_server("fast") {
                eprintln!("stopping the private PostgreSQL failed: {e}");
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The effective user id (Linux `/proc`), `None` when unknown.
fn effective_uid() -> Option<u32> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("Uid:"))?;
    line.split_whitespace().nth(2)?.parse().ok()
}

fn free_port() -> Result<u16, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(listener.local_addr().map_err(|e| e.to_string())?.port())
}
