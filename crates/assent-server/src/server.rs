//! Running the consent server: start-up (site configs, keys, store), the accept loop, graceful shutdown.
//!
//! Connections are served by hyper directly (not `axum::serve`) so that a client has a bounded time to send
//! its request headers (`header_read_timeout`, against slowloris), the number of open connections is capped,
//! and shutdown can wait for in-flight requests: the listener closes, each connection finishes the request it
//! is on, and then the store commits whatever it has already accepted before the process exits.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::http::HeaderValue;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt as _;

use crate::http::{self, AppState, Limits};
use crate::keys::KeyDir;
use crate::sites::Sites;
use crate::store;
use crate::tokens::Keys;

/// Largest request head (request line and headers); larger gets 431.
const MAX_HEADER_BYTES: usize = 16 * 1024;

/// Default of `--max-connections-per-ip`: far above what a browser opens (about 6 per origin), low enough that
/// one client cannot hold a large share of `--max-connections`.
pub const DEFAULT_MAX_CONNECTIONS_PER_IP: usize = 256;

/// Everything `assent serve` can be told.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Database URL: `sqlite:PATH` or `postgres://…`.
    pub db: String,
    /// Key directory (generated on first start).
    pub keys_dir: PathBuf,
    /// Static site to serve at `/` (and `DIR/dist` at `/assent/`); its HTML's inline configs are loaded.
    pub www: Option<PathBuf>,
    /// Site config files.
    pub site_configs: Vec<PathBuf>,
    /// Origins allowed to call the API from a browser (CORS), e.g. `https://site.example`.
    pub allow_origins: Vec<String>,
    /// Admin bearer token; `None` disables the admin endpoints.
    pub admin_token: Option<String>,
    /// Request limits.
    pub limits: Limits,
    /// Time a client has to send its request headers.
    pub header_timeout: Duration,
    /// Open connections at most; more wait in the listen backlog.
    pub max_connections: usize,
    /// Open connections per client (IPv4 address, IPv6 /64) at most; more are closed at once (0 = no cap).
    /// Trusted proxies are exempt.
    pub max_connections_per_ip: usize,
    /// Reverse proxies (`ADDR/PREFIX`) whose `X-Forwarded-For` names the client for rate limits.
    pub trusted_proxies: Vec<String>,
    /// How long shutdown waits for in-flight requests.
    pub shutdown_grace: Duration,
    /// E-mail consent: SMTP or outbox, lists, sender (`src/email/`, `docs/email.md`).
    pub email: crate::email::EmailOptions,
    /// CDN headers carrying the visitor's country and subdivision (`GET /v1/region`); none by default.
    pub region_headers: http::region::RegionHeaders,
}

impl ServeOptions {
    /// Defaults for everything but what must be chosen.
    pub fn new(listen: SocketAddr, db: String, keys_dir: PathBuf) -> ServeOptions {
        ServeOptions {
            listen,
            db,
            keys_dir,
            www: None,
            site_configs: Vec::new(),
            allow_origins: Vec::new(),
            admin_token: None,
            limits: Limits::default(),
            header_timeout: Duration::from_secs(10),
            max_connections: 4096,
            max_connections_per_ip: DEFAULT_MAX_CONNECTIONS_PER_IP,
            trusted_proxies: Vec::new(),
            shutdown_grace: Duration::from_secs(10),
            email: crate::email::EmailOptions::default(),
            region_headers: http::region::RegionHeaders::default(),
        }
    }
}

/// A start-up failure, with a message that says what to fix.
#[derive(Debug)]
pub struct ServeError(pub String);

impl std::fmt::Display for ServeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ServeError {}

/// Checks a CORS origin: `scheme://host[:port]`, no path, no wildcard.
fn origin(text: &str) -> Result<HeaderValue, ServeError> {
    let bad = |why: &str| ServeError(format!("--allow-origin {text:?}: {why}"));
    if text == "*" || text.contains('*') {
        return Err(bad("wildcards are not allowed; list each site origin"));
    }
    let (scheme, rest) = text
        .split_once("://")
        .ok_or_else(|| bad("expected scheme://host[:port]"))?;
    if !matches!(scheme, "http" | "https") {
        return Err(bad("scheme must be http or https"));
    }
    if rest.is_empty()
        || rest.contains('/')
        || rest.contains('?')
        || rest.contains('#')
        || rest.contains('@')
    {
        return Err(bad("expected scheme://host[:port] with no path"));
    }
    HeaderValue::from_str(text).map_err(|_| bad("not a valid header value"))
}

/// Loads site configs: every `--site-config` file, then inline configs under `--www`.
pub fn load_sites(opts: &ServeOptions) -> Result<Sites, ServeError> {
    let mut sites = Sites::new();
    for path in &opts.site_configs {
        sites
            .add_file(path)
            .map_err(|e| ServeError(e.to_string()))?;
    }
    if let Some(www) = &opts.www {
        if !www.is_dir() {
            return Err(ServeError(format!(
                "--www {}: not a directory",
                www.display()
            )));
        }
        let n = sites
            .add_html_dir(www)
            .map_err(|e| ServeError(e.to_string()))?;
        tracing::info!(dir = %www.display(), configs = n, "read inline site configs");
    }
    if sites.is_empty() {
        tracing::warn!(
            "no site configs: every record will be refused (422 unknown_site); use --site-config or --www"
        );
    }
    for name in sites.names() {
        let site = sites.get(name).expect("listed");
        tracing::info!(site = name, revision = site.config.revision, source = %site.source.display(), "site");
    }
    Ok(sites)
}

/// Loads the key directory, generating a first key when it has none.
pub fn load_keys(dir: &std::path::Path) -> Result<Keys, ServeError> {
    let (keys, generated) =
        KeyDir::load_or_generate(dir).map_err(|e| ServeError(format!("keys: {e}")))?;
    let kid = keys.signing_key().kid().to_string();
    if generated {
        tracing::info!(kid, dir = %dir.display(), "generated a new token-signing key");
    } else {
        tracing::info!(kid, dir = %dir.display(), published = keys.key_set().len(), "loaded token-signing keys");
    }
    Ok(Keys::from_dir(&keys))
}

/// Runs the server until `shutdown` resolves. `ready` is called with the bound address once the server
/// accepts connections.
pub async fn run(
    opts: ServeOptions,
    shutdown: impl std::future::Future<Output = ()>,
    ready: impl FnOnce(SocketAddr),
) -> Result<(), ServeError> {
    let origins = opts
        .allow_origins
        .iter()
        .map(|o| origin(o))
        .collect::<Result<Vec<_>, _>>()?;
    let trusted_proxies = opts
        .trusted_proxies
        .iter()
        .map(|c| http::client::Cidr::parse(c).map_err(ServeError))
        .collect::<Result<Vec<_>, _>>()?;
    let sites = load_sites(&opts)?;
    let keys = load_keys(&opts.keys_dir)?;
    let store = store::open(&opts.db)
        .await
        .map_err(|e| ServeError(format!("--db {}: {e}", store::redact_url(&opts.db))))?;
    if opts.admin_token.is_none() {
        tracing::info!("admin endpoints disabled (set ASSENT_ADMIN_TOKEN to enable them)");
    }
    // The composition root: each part of the server outside `http` plugs its routes and export lines in here.
    let email =
        Arc::new(crate::email::EmailService::new(&opts.email, &opts.keys_dir).map_err(ServeError)?);
    tracing::info!(mailer = %email.mailer.describe(), lists = email.lists.iter().count(), "e-mail consent");
    let plugins = vec![
        crate::email::http::plugin(Arc::clone(&email), Arc::clone(&store)),
        crate::dashboard::plugin(
            opts.admin_token.as_deref(),
            opts.email.public_url.as_deref(),
        ),
    ];
    let app = Arc::new(
        AppState::new(
            Arc::clone(&store),
            sites,
            keys,
            opts.admin_token.as_deref(),
            opts.limits.clone(),
        )
        .with_region_headers(opts.region_headers.clone())
        .with_trusted_proxies(trusted_proxies.clone()),
    );
    let router = http::router(Arc::clone(&app), opts.www.as_deref(), &origins, plugins);

    let listener = TcpListener::bind(opts.listen)
        .await
        .map_err(|e| ServeError(format!("--listen {}: {e}", opts.listen)))?;
    let addr = listener
        .local_addr()
        .map_err(|e| ServeError(e.to_string()))?;
    tracing::info!(%addr, store = store.backend(), "listening");
    email.default_public_url(addr);
    #[cfg(unix)]
    spawn_key_reloader(Arc::clone(&app), opts.keys_dir.clone());
    ready(addr);

    let connections = Arc::new(Semaphore::new(opts.max_connections.max(1)));
    let per_client = Arc::new(ConnectionCounts::new(
        opts.max_connections_per_ip,
        trusted_proxies,
    ));
    let graceful = GracefulShutdown::new();
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(opts.header_timeout)
        .max_header_size(MAX_HEADER_BYTES)
        .keep_alive(true);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            () = &mut shutdown => break,
            p = Arc::clone(&connections).acquire_owned() => p.expect("semaphore never closed"),
        };
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let Some(slot) = per_client.open(peer.ip()) else {
            // Dropping the stream closes it: this client already holds its share of the connections.
            tracing::debug!("connection refused: client over --max-connections-per-ip");
            continue;
        };
        let _ = stream.set_nodelay(true);
        let service = router
            .clone()
            .map_request(move |mut req: axum::extract::Request<_>| {
                req.extensions_mut().insert(ConnectInfo(peer));
                req
            });
        let conn =
            builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
            drop(slot);
            drop(permit);
        });
    }
    drop(listener);
    tracing::info!(
        open = graceful.count(),
        "shutting down: finishing in-flight requests"
    );
    if tokio::time::timeout(opts.shutdown_grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("some connections did not finish in time");
    }
    store
        .close()
        .await
        .map_err(|e| ServeError(format!("closing the store: {e}")))?;
    tracing::info!(
        records_stored = app.metrics.records_stored_total(),
        "stopped"
    );
    Ok(())
}

/// Open connections per client, for `--max-connections-per-ip`.
#[derive(Debug)]
struct ConnectionCounts {
    max: usize,
    exempt: Vec<http::client::Cidr>,
    open: std::sync::Mutex<std::collections::HashMap<std::net::IpAddr, usize>>,
}

/// One open connection of a client; closing it (dropping this) frees the slot.
struct ConnectionSlot {
    counts: Arc<ConnectionCounts>,
    key: Option<std::net::IpAddr>,
}

impl ConnectionCounts {
    fn new(max: usize, exempt: Vec<http::client::Cidr>) -> ConnectionCounts {
        ConnectionCounts {
            max,
            exempt,
            open: std::sync::Mutex::new(std::collections::HashMap::new()),
        }
    }

    /// A slot for a new connection from `peer`, or `None` when the client is at its cap.
    fn open(self: &Arc<Self>, peer: std::net::IpAddr) -> Option<ConnectionSlot> {
        if self.max == 0 || self.exempt.iter().any(|c| c.contains(peer)) {
            return Some(ConnectionSlot {
                counts: Arc::clone(self),
                key: None,
            });
        }
        let key = http::client::rate_key(peer);
        let mut open = self.open.lock().expect("connection counts lock");
        let n = open.entry(key).or_insert(0);
        if *n >= self.max {
            return None;
        }
        *n += 1;
        Some(ConnectionSlot {
            counts: Arc::clone(self),
            key: Some(key),
        })
    }
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        if let Some(key) = self.key {
            let mut open = self.counts.open.lock().expect("connection counts lock");
            if let Some(n) = open.get_mut(&key) {
                *n -= 1;
                if *n == 0 {
                    open.remove(&key);
                }
            }
        }
    }
}

/// Reloads the keys on SIGHUP (after `assent keys rotate`).
#[cfg(unix)]
fn spawn_key_reloader(app: Arc<AppState>, dir: PathBuf) {
    use tokio::signal::unix::{SignalKind, signal};
    let Ok(mut hup) = signal(SignalKind::hangup()) else {
        tracing::warn!("cannot listen for SIGHUP; restart to pick up rotated keys");
        return;
    };
    tokio::spawn(async move {
        while hup.recv().await.is_some() {
            match KeyDir::load(&dir) {
                Ok(keys) => {
                    tracing::info!(kid = %keys.signing_key().kid(), "reloaded token-signing keys");
                    app.set_keys(Keys::from_dir(&keys));
                }
                Err(e) => {
                    tracing::error!(error = %e, "key reload failed; keeping the current keys");
                }
            }
        }
    });
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutdown requested");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_checked() {
        assert!(origin("https://site.example").is_ok());
        assert!(origin("http://127.0.0.1:8080").is_ok());
        for bad in [
            "*",
            "https://*.example",
            "site.example",
            "https://site.example/",
            "ftp://x",
            "https://",
        ] {
            assert!(origin(bad).is_err(), "{bad}");
        }
    }
}
