//! `assent serve`: run the consent server.
//!
//! Every option can come from a flag, an environment variable (`ASSENT_*`), or a JSON config file
//! (`--config FILE`); flags and environment win over the file. The admin token comes only from the environment
//! (`ASSENT_ADMIN_TOKEN`), never from a flag, so it does not show in `ps`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use assent_server::http::Limits;
use assent_server::server::{self, ServeOptions};
use clap::Args;
use serde::Deserialize;

use super::defaults::{DEFAULT_DB, DEFAULT_KEYS, DEFAULT_LISTEN};
use super::email::EmailServeArgs;
use super::output::{CmdResult, Failure, Io};

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// JSON file with any of these options (keys: listen, db, keys, www, site_configs, allow_origins,
    /// rate_limit, max_connections, max_connections_per_ip, trusted_proxies, max_in_flight, header_timeout_secs,
    /// body_timeout_secs, log, region_header, subdivision_header).
    #[arg(long, env = "ASSENT_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8080]. Port 0 picks a free port; the address is printed.
    #[arg(long, env = "ASSENT_LISTEN", value_name = "ADDR")]
    listen: Option<SocketAddr>,
    /// Database: sqlite:PATH or postgres://USER@HOST/DB [default: sqlite:./data/assent.db].
    #[arg(long, env = "ASSENT_DB", value_name = "URL")]
    db: Option<String>,
    /// Token-signing key directory; a key is generated on first start [default: ./data/keys].
    #[arg(long, env = "ASSENT_KEYS", value_name = "DIR")]
    keys: Option<PathBuf>,
    /// Serve this directory at / (and DIR/dist at /assent/), and read the inline site configs of its pages.
    #[arg(long, env = "ASSENT_WWW", value_name = "DIR")]
    www: Option<PathBuf>,
    /// A site config (JSON) to accept records for; repeatable.
    #[arg(
        long = "site-config",
        env = "ASSENT_SITE_CONFIG",
        value_name = "FILE",
        value_delimiter = ','
    )]
    site_config: Vec<PathBuf>,
    /// An origin allowed to call the API from the browser (CORS), e.g. https://site.example; repeatable.
    #[arg(
        long = "allow-origin",
        env = "ASSENT_ALLOW_ORIGIN",
        value_name = "ORIGIN",
        value_delimiter = ','
    )]
    allow_origin: Vec<String>,
    /// Requests per minute per client (IPv4 address, IPv6 /64) on every route (0 = no limit) [default: 1200].
    #[arg(long, env = "ASSENT_RATE_LIMIT", value_name = "N")]
    rate_limit: Option<u32>,
    /// Open connections at most [default: 4096].
    #[arg(long, env = "ASSENT_MAX_CONNECTIONS", value_name = "N")]
    max_connections: Option<usize>,
    /// Open connections per client (IPv4 address, IPv6 /64) at most; more are closed (0 = no cap)
    /// [default: 256].
    #[arg(long, env = "ASSENT_MAX_CONNECTIONS_PER_IP", value_name = "N")]
    max_connections_per_ip: Option<usize>,
    /// A reverse proxy (ADDR or ADDR/PREFIX) whose X-Forwarded-For names the client for rate limits;
    /// repeatable. Without one, X-Forwarded-For is ignored.
    #[arg(
        long = "trusted-proxy",
        env = "ASSENT_TRUSTED_PROXY",
        value_name = "CIDR",
        value_delimiter = ','
    )]
    trusted_proxy: Vec<String>,
    /// API requests handled at once [default: 1024].
    #[arg(long, env = "ASSENT_MAX_IN_FLIGHT", value_name = "N")]
    max_in_flight: Option<usize>,
    /// Seconds a client has to send its request headers [default: 10].
    #[arg(long, env = "ASSENT_HEADER_TIMEOUT", value_name = "SECS")]
    header_timeout: Option<u64>,
    /// Seconds a client has to send its request body [default: 10].
    #[arg(long, env = "ASSENT_BODY_TIMEOUT", value_name = "SECS")]
    body_timeout: Option<u64>,
    /// Log filter (tracing env-filter syntax), e.g. info, debug, assent_server=debug [default: info].
    #[arg(long, env = "ASSENT_LOG", value_name = "FILTER")]
    log: Option<String>,
    /// Log format.
    #[arg(long, env = "ASSENT_LOG_FORMAT", value_name = "FORMAT", default_value = "text", value_parser = ["text", "json"])]
    log_format: String,
    /// Trusted CDN request header with the visitor's ISO 3166-1 country, for GET /v1/region (e.g. cf-ipcountry,
    /// x-vercel-ip-country, cloudfront-viewer-country). Only name a header your CDN always overwrites.
    #[arg(long, env = "ASSENT_REGION_HEADER", value_name = "NAME")]
    region_header: Option<String>,
    /// Trusted CDN request header with the visitor's ISO 3166-2 subdivision (e.g. cf-region-code,
    /// x-vercel-ip-country-region, cloudfront-viewer-country-region). Needs --region-header.
    #[arg(long, env = "ASSENT_SUBDIVISION_HEADER", value_name = "NAME")]
    subdivision_header: Option<String>,
    /// E-mail consent (src/cli/email.rs).
    #[command(flatten)]
    email: EmailServeArgs,
}

/// The config file: the same options as the flags.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<SocketAddr>,
    db: Option<String>,
    keys: Option<PathBuf>,
    www: Option<PathBuf>,
    #[serde(default)]
    site_configs: Vec<PathBuf>,
    #[serde(default)]
    allow_origins: Vec<String>,
    rate_limit: Option<u32>,
    max_connections: Option<usize>,
    max_connections_per_ip: Option<usize>,
    #[serde(default)]
    trusted_proxies: Vec<String>,
    max_in_flight: Option<usize>,
    header_timeout_secs: Option<u64>,
    body_timeout_secs: Option<u64>,
    log: Option<String>,
    region_header: Option<String>,
    subdivision_header: Option<String>,
}

fn read_config(path: &Path) -> Result<FileConfig, Failure> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::error(format!("--config {}: {e}", path.display())))?;
    serde_json::from_str(&text)
        .map_err(|e| Failure::error(format!("--config {}: {e}", path.display())))
}

fn options(args: ServeArgs) -> Result<(ServeOptions, String, bool), Failure> {
    let file = match &args.config {
        Some(path) => read_config(path)?,
        None => FileConfig::default(),
    };
    let listen = args
        .listen
        .or(file.listen)
        .unwrap_or_else(|| DEFAULT_LISTEN.parse().expect("valid default"));
    let db = args.db.or(file.db).unwrap_or_else(|| DEFAULT_DB.into());
    let keys = args
        .keys
        .or(file.keys)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_KEYS));
    let mut opts = ServeOptions::new(listen, db, keys);
    opts.www = args.www.or(file.www);
    opts.site_configs = if args.site_config.is_empty() {
        file.site_configs
    } else {
        args.site_config
    };
    opts.allow_origins = if args.allow_origin.is_empty() {
        file.allow_origins
    } else {
        args.allow_origin
    };
    opts.admin_token = std::env::var("ASSENT_ADMIN_TOKEN")
        .ok()
        .filter(|t| !t.is_empty());
    if opts.admin_token.as_ref().is_some_and(|t| t.len() < 16) {
        return Err(Failure::error(
            "ASSENT_ADMIN_TOKEN must be at least 16 characters (use a long random value)",
        ));
    }
    let defaults = Limits::default();
    opts.limits = Limits {
        rate_per_minute: args
            .rate_limit
            .or(file.rate_limit)
            .unwrap_or(defaults.rate_per_minute),
        max_in_flight: args
            .max_in_flight
            .or(file.max_in_flight)
            .unwrap_or(defaults.max_in_flight),
        body_timeout: args
            .body_timeout
            .or(file.body_timeout_secs)
            .map_or(defaults.body_timeout, Duration::from_secs),
        ..defaults
    };
    if let Some(n) = args.max_connections.or(file.max_connections) {
        opts.max_connections = n;
    }
    if let Some(n) = args.max_connections_per_ip.or(file.max_connections_per_ip) {
        opts.max_connections_per_ip = n;
    }
    opts.trusted_proxies = if args.trusted_proxy.is_empty() {
        file.trusted_proxies
    } else {
        args.trusted_proxy
    };
    if let Some(s) = args.header_timeout.or(file.header_timeout_secs) {
        opts.header_timeout = Duration::from_secs(s.max(1));
    }
    opts.region_headers = assent_server::http::region::RegionHeaders::parse(
        args.region_header.or(file.region_header).as_deref(),
        args.subdivision_header
            .or(file.subdivision_header)
            .as_deref(),
    )
    .map_err(Failure::error)?;
    opts.email = args.email.into_options();
    let log = args.log.or(file.log).unwrap_or_else(|| "info".into());
    Ok((opts, log, args.log_format == "json"))
}

/// Logs go to stderr; `RUST_LOG` overrides `--log`.
pub(crate) fn init_logging(filter: &str, json: bool) {
    let mut filter = std::env::var("RUST_LOG").unwrap_or_else(|_| filter.to_owned());
    // tokio-postgres logs every query's parameters at debug level: e-mail addresses, tokens. Keep it at info
    // unless the filter names it explicitly.
    if !filter.contains("tokio_postgres") {
        filter.push_str(",tokio_postgres=info");
    }
    let filter = tracing_subscriber::EnvFilter::try_new(&filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

pub(crate) fn run(args: ServeArgs, io: &mut Io<'_>) -> CmdResult {
    let (opts, log, json) = options(args)?;
    init_logging(&log, json);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("assent-server")
        .build()
        .map_err(|e| Failure::error(format!("cannot start the runtime: {e}")))?;
    let out = &mut *io.out;
    runtime
        .block_on(server::run(opts, server::shutdown_signal(), |addr| {
            // Tests and scripts read this line to learn the port (with --listen 127.0.0.1:0).
            let _ = writeln!(out, "assent: listening on http://{addr}");
            let _ = out.flush();
        }))
        .map_err(|e| Failure::error(e.to_string()))
}
