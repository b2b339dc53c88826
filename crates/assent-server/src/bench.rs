//! `assent bench`: a bounded load generator for the consent server over loopback.
//!
//! It starts `assent serve` as a child process on `127.0.0.1` with a fresh database (SQLite in a temporary
//! directory unless `--db` names another; `--db postgres` starts a private PostgreSQL server for the run), then runs N clients, each on its own keep-alive connection, posting
//! consent records back to back for a fixed time. Only acknowledged records (201) count; the latency of each is
//! measured from sending the request to reading the whole answer. Afterwards the server is stopped gracefully
//! and the store is checked to hold at least every acknowledged record.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// What to run.
#[derive(Clone, Debug)]
pub struct BenchOptions {
    /// Concurrent clients (connections).
    pub clients: usize,
    /// Measured time.
    pub duration: Duration,
    /// Unmeasured time before it (connections and caches warm up).
    pub warmup: Duration,
    /// Database URL for the server; `None` = SQLite in a temporary directory; `postgres` (or
    /// `postgres?PARAMS`) = a private PostgreSQL server started for the run
    /// (`assent_testkit::postgres::LocalPostgres`, in builds with the `local-postgres` feature).
    pub db: Option<String>,
    /// The `assent` binary to start.
    pub server_bin: PathBuf,
    /// Appended to the default SQLite URL, e.g. `?max_batch=1` (one `fsync` per record, for comparison).
    pub sqlite_options: String,
}

/// The outcome.
#[derive(Clone, Debug)]
pub struct BenchReport {
    /// `sqlite` or `postgres`.
    pub backend: String,
    /// Concurrent clients.
    pub clients: usize,
    /// Measured seconds.
    pub seconds: f64,
    /// Records acknowledged (201) in the measured window.
    pub acknowledged: u64,
    /// Non-201 answers by status (0 = connection error), in the measured window.
    pub errors: BTreeMap<u16, u64>,
    /// Latency percentiles of acknowledged records, milliseconds.
    pub p50_ms: f64,
    /// 90th percentile.
    pub p90_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Slowest.
    pub max_ms: f64,
    /// Records acknowledged over the whole run, warm-up included.
    pub acknowledged_total: u64,
    /// Records in the store after the server stopped (SQLite, or a private PostgreSQL), to check nothing
    /// acknowledged was lost.
    pub stored_after: Option<u64>,
    /// A private PostgreSQL's WAL flushes over the whole run: how many, and their mean time in milliseconds
    /// (`pg_stat_wal`), to read the figures against the disk's flush latency.
    pub wal_flushes: Option<(u64, f64)>,
}

impl BenchReport {
    /// Acknowledged records per second.
    pub fn records_per_sec(&self) -> f64 {
        self.acknowledged as f64 / self.seconds
    }
}

impl std::fmt::Display for BenchReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "{} | {} clients | {:.1} s | {} acknowledged | {:.0} records/s | p50 {:.2} ms | p90 {:.2} ms | p99 {:.2} ms | max {:.2} ms",
            self.backend,
            self.clients,
            self.seconds,
            self.acknowledged,
            self.records_per_sec(),
            self.p50_ms,
            self.p90_ms,
            self.p99_ms,
            self.max_ms
        )?;
        if !self.errors.is_empty() {
            writeln!(f, "errors by status: {:?}", self.errors)?;
        }
        if let Some((n, ms)) = self.wal_flushes {
            writeln!(
                f,
                "PostgreSQL WAL: {n} flushes (fdatasync), mean {ms:.2} ms, {:.1} records per flush",
                self.acknowledged_total as f64 / (n.max(1) as f64)
            )?;
        }
        if let Some(n) = self.stored_after {
            writeln!(
                f,
                "store after shutdown: {n} records (acknowledged over the whole run: {})",
                self.acknowledged_total
            )?;
        }
        Ok(())
    }
}

const SITE: &str = "bench.example";
const SITE_CONFIG: &str = r#"{"site": "bench.example", "revision": 1, "policy_url": "/privacy",
  "categories": {"analytics": {}, "remarketing": {}}}"#;

/// A running `assent serve` child, stopped with SIGTERM on drop.
#[derive(Debug)]
pub struct ServerProcess {
    child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
}

impl ServerProcess {
    /// Starts `bin serve ARGS --listen 127.0.0.1:0` and waits for its "listening on" line.
    pub fn start(bin: &Path, args: &[String], log: &Path) -> Result<ServerProcess, String> {
        let log_file = std::fs::File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
        let mut child = Command::new(bin)
            .arg("serve")
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .env_remove("ASSENT_ADMIN_TOKEN")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log_file)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
        let stdout = child.stdout.take().expect("piped");
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let addr = line
            .trim()
            .strip_prefix("assent: listening on http://")
            .and_then(|a| a.parse().ok());
        if let Some(addr) = addr {
            Ok(ServerProcess { child, addr })
        } else {
            let _ = child.kill();
            let _ = child.wait();
            Err(format!(
                "the server did not start; its log is {}:\n{}",
                log.display(),
                std::fs::read_to_string(log).unwrap_or_default()
            ))
        }
    }

    /// SIGTERM, then waits (up to 60 s, then SIGKILL). Returns whether it exited successfully.
    pub fn stop(mut self) -> bool {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.success();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        false
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn body(client: usize, n: u64) -> String {
    // A realistic choice: a random-looking subject per client, choices varying per request.
    let subject = assent_core::base64url::encode(&{
        let mut s = [0u8; 16];
        s[..8].copy_from_slice(&(client as u64).to_le_bytes());
        s[8..].copy_from_slice(&0x5eed_u64.to_le_bytes());
        s
    });
    format!(
        r#"{{"site":"{SITE}","revision":1,"categories":{{"analytics":{},"remarketing":{}}},"signals":{{"dnt":false,"gpc":{}}},"language":"en","method":"banner","notice_hash":"{}","subject":"{subject}","decided_at":{},"sdk_version":"0.1.0"}}"#,
        n % 2 == 0,
        n % 3 == 0,
        n % 5 == 0,
        "5f".repeat(32),
        1_790_000_000 + n
    )
}

struct ClientResult {
    latencies_us: Vec<u32>,
    errors: BTreeMap<u16, u64>,
    acknowledged_total: u64,
}

/// Reads one HTTP/1.1 response with a Content-Length body; returns the status.
async fn read_response(stream: &mut TcpStream, buf: &mut Vec<u8>) -> std::io::Result<u16> {
    buf.clear();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = std::str::from_utf8(&buf[..end]).map_err(std::io::Error::other)?;
            let status: u16 = head
                .get(9..12)
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| std::io::Error::other("bad status line"))?;
            let len: usize = head
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse().ok())?
                })
                .ok_or_else(|| std::io::Error::other("no content-length"))?;
            let total = end + 4 + len;
            while buf.len() < total {
                let n = stream.read(&mut chunk).await?;
                if n == 0 {
                    return Err(std::io::ErrorKind::UnexpectedEof.into());
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            return Ok(status);
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

async fn client(
    id: usize,
    addr: SocketAddr,
    measure_from: Instant,
    until: Instant,
) -> ClientResult {
    let mut result = ClientResult {
        latencies_us: Vec::with_capacity(65_536),
        errors: BTreeMap::new(),
        acknowledged_total: 0,
    };
    let mut buf = Vec::with_capacity(8192);
    let mut stream: Option<TcpStream> = None;
    let mut n = 0u64;
    while Instant::now() < until {
        if stream.is_none() {
            if let Ok(s) = TcpStream::connect(addr).await {
                let _ = s.set_nodelay(true);
                stream = Some(s);
            } else {
                *result.errors.entry(0).or_default() += 1;
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        }
        let s = stream.as_mut().expect("connected");
        let body = body(id, n);
        n += 1;
        let request = format!(
            "POST /v1/consents HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        let start = Instant::now();
        let outcome = async {
            s.write_all(request.as_bytes()).await?;
            read_response(s, &mut buf).await
        }
        .await;
        let measured = start >= measure_from;
        match outcome {
            Ok(201) => {
                result.acknowledged_total += 1;
                if measured {
                    let us = start.elapsed().as_micros().min(u128::from(u32::MAX)) as u32;
                    result.latencies_us.push(us);
                }
            }
            Ok(status) => {
                if measured {
                    *result.errors.entry(status).or_default() += 1;
                }
            }
            Err(_) => {
                if measured {
                    *result.errors.entry(0).or_default() += 1;
                }
                stream = None;
            }
        }
    }
    result
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    f64::from(sorted[rank.clamp(1, sorted.len()) - 1]) / 1000.0
}

/// A private PostgreSQL server for the run, from the test tools (feature `local-postgres`).
#[cfg(feature = "local-postgres")]
pub(crate) fn local_postgres() -> Result<assent_testkit::postgres::LocalPostgres, String> {
    assent_testkit::postgres::LocalPostgres::start()
}

/// Without the `local-postgres` feature the product carries no PostgreSQL launcher: `--db postgres` says how
/// to get one.
#[cfg(not(feature = "local-postgres"))]
pub(crate) fn local_postgres() -> Result<NoPostgres, String> {
    Err("`--db postgres` (a private PostgreSQL for the run) needs a build with the local-postgres feature \
         (`cargo xtask bench` has it); or pass --db postgres://USER@HOST/DB"
        .into())
}

/// The launcher's place in a build without it: no value exists.
#[cfg(not(feature = "local-postgres"))]
pub(crate) enum NoPostgres {}

#[cfg(not(feature = "local-postgres"))]
impl NoPostgres {
    pub(crate) fn url(&self) -> String {
        match *self {}
    }

    pub(crate) fn psql(&self, _db: &str, _sql: &str) -> Result<String, String> {
        match *self {}
    }
}

/// Runs the benchmark. Bounded: at most `warmup + duration` of load, and the server is always stopped.
pub fn run(opts: &BenchOptions) -> Result<BenchReport, String> {
    let tmp = tempdir()?;
    let site = tmp.join("site.json");
    std::fs::write(&site, SITE_CONFIG).map_err(|e| e.to_string())?;
    // `--db postgres`: a private PostgreSQL server (fsync on) for this run, stopped and deleted afterwards.
    // `--db postgres?assent_writers=2…` passes URL parameters to it.
    let local_params = opts
        .db
        .as_deref()
        .and_then(|d| d.strip_prefix("postgres"))
        .filter(|rest| rest.is_empty() || rest.starts_with('?'));
    let local_pg = match local_params {
        Some(_) => Some(local_postgres()?),
        None => None,
    };
    let db = match &local_pg {
        Some(pg) => format!("{}{}", pg.url(), local_params.unwrap_or_default()),
        None => opts.db.clone().unwrap_or_else(|| {
            format!(
                "sqlite:{}{}",
                tmp.join("assent.db").display(),
                opts.sqlite_options
            )
        }),
    };
    let backend = if db.starts_with("postgres") {
        "postgres"
    } else {
        "sqlite"
    };
    let args: Vec<String> = [
        "--db",
        &db,
        "--keys",
        &tmp.join("keys").display().to_string(),
        "--site-config",
        &site.display().to_string(),
        "--rate-limit",
        "0",
        "--max-in-flight",
        "4096",
        "--log",
        "warn",
    ]
    .iter()
    .map(ToString::to_string)
    .collect();
    let mut args = args;
    if opts.clients > crate::server::DEFAULT_MAX_CONNECTIONS_PER_IP {
        // Every client connects from 127.0.0.1: lift the per-client connection cap (only then, so that
        // `--server-bin` can still run a server that predates the option).
        args.extend(["--max-connections-per-ip".to_owned(), "0".to_owned()]);
    }
    let server = ServerProcess::start(&opts.server_bin, &args, &tmp.join("server.log"))?;
    let addr = server.addr;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let clients = opts.clients.max(1);
    let results = runtime.block_on(async {
        let measure_from = Instant::now() + opts.warmup;
        let until = measure_from + opts.duration;
        let tasks: Vec<_> = (0..clients)
            .map(|i| tokio::spawn(client(i, addr, measure_from, until)))
            .collect();
        let mut out = Vec::with_capacity(clients);
        for t in tasks {
            out.push(t.await.map_err(|e| e.to_string())?);
        }
        Ok::<_, String>(out)
    });
    let clean = server.stop();
    let results = results?;
    if !clean {
        return Err("the server did not shut down cleanly after the run".into());
    }

    let mut latencies: Vec<u32> = results
        .iter()
        .flat_map(|r| r.latencies_us.iter().copied())
        .collect();
    latencies.sort_unstable();
    let mut errors = BTreeMap::new();
    for r in &results {
        for (k, v) in &r.errors {
            *errors.entry(*k).or_default() += v;
        }
    }
    let acknowledged_total = results.iter().map(|r| r.acknowledged_total).sum();
    let stored_after = match db.strip_prefix("sqlite:") {
        Some(path) => Some(count_sqlite(Path::new(
            path.split_once('?').map_or(path, |(p, _)| p),
        ))?),
        None => match &local_pg {
            Some(pg) => Some(
                pg.psql("postgres", "SELECT COUNT(*) FROM consent_records")?
                    .trim()
                    .parse()
                    .map_err(|e| format!("counting the stored records: {e}"))?,
            ),
            None => None,
        },
    };
    let wal_flushes = match &local_pg {
        Some(pg) => {
            let out = pg.psql(
                "postgres",
                "SELECT wal_sync, wal_sync_time FROM pg_stat_wal",
            )?;
            let (n, ms) = out.trim().split_once('|').unwrap_or(("0", "0"));
            Some((
                n.parse().unwrap_or(0),
                ms.parse::<f64>().unwrap_or(0.0) / n.parse::<f64>().unwrap_or(1.0).max(1.0),
            ))
        }
        None => None,
    };
    // Stops the private server (it is an uninhabited placeholder in builds without the launcher).
    #[cfg_attr(not(feature = "local-postgres"), allow(clippy::drop_non_drop))]
    drop(local_pg);
    let report = BenchReport {
        backend: backend.into(),
        clients,
        seconds: opts.duration.as_secs_f64(),
        acknowledged: latencies.len() as u64,
        errors,
        p50_ms: percentile(&latencies, 50.0),
        p90_ms: percentile(&latencies, 90.0),
        p99_ms: percentile(&latencies, 99.0),
        max_ms: latencies.last().map_or(0.0, |&m| f64::from(m) / 1000.0),
        acknowledged_total,
        stored_after,
        wal_flushes,
    };
    let _ = std::fs::remove_dir_all(&tmp);
    if report.stored_after.is_some_and(|n| n < acknowledged_total) {
        return Err(format!("records were lost: {report}"));
    }
    Ok(report)
}

fn count_sqlite(path: &Path) -> Result<u64, String> {
    let conn = rusqlite::Connection::open(path).map_err(|e| e.to_string())?;
    conn.query_row("SELECT COUNT(*) FROM consent_records", [], |r| {
        r.get::<_, i64>(0)
    })
    .map(|n| n as u64)
    .map_err(|e| e.to_string())
}

/// Median time of `fdatasync` after overwriting 4 KB of an already allocated file (as SQLite does when it
/// reuses its WAL), in the temporary directory the benchmark's SQLite file uses: context for the figures, since
/// every acknowledged record waits for a flush to stable storage.
pub fn fsync_probe() -> Result<Duration, String> {
    use std::io::{Seek, SeekFrom, Write as _};
    const BLOCK: usize = 4096;
    const BLOCKS: usize = 64;
    let dir = tempdir()?;
    let path = dir.join("probe");
    let mut file = std::fs::File::create(&path).map_err(|e| e.to_string())?;
    file.write_all(&vec![0u8; BLOCK * BLOCKS])
        .and_then(|()| file.sync_all())
        .map_err(|e| e.to_string())?;
    let block = [0x5au8; BLOCK];
    let mut times = Vec::with_capacity(BLOCKS);
    for i in 0..BLOCKS {
        let start = Instant::now();
        file.seek(SeekFrom::Start((i * BLOCK) as u64))
            .and_then(|_| file.write_all(&block))
            .and_then(|()| file.sync_data())
            .map_err(|e| e.to_string())?;
        times.push(start.elapsed());
    }
    drop(file);
    let _ = std::fs::remove_dir_all(&dir);
    times.sort_unstable();
    Ok(times[times.len() / 2])
}

fn tempdir() -> Result<PathBuf, String> {
    let mut name = [0u8; 8];
    getrandom::getrandom(&mut name).map_err(|e| e.to_string())?;
    let dir = std::env::temp_dir().join(format!(
        "assent-bench-{}",
        assent_core::base64url::encode(&name)
    ));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    Ok(dir)
}
