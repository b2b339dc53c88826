//! A small synchronous client for the Chrome DevTools Protocol: launches the installed Chromium with a fresh
//! profile, connects to its browser WebSocket and talks to one page over a flattened session.
//!
//! Why hand-written: a scan needs a dozen commands and four events. The generated protocol bindings of the
//! full CDP crates take minutes to compile on CI; JSON over one WebSocket (tungstenite) takes seconds.

use std::collections::VecDeque;
use std::io::ErrorKind;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tungstenite::{Message, WebSocket};

/// Flags every scan browser gets: headless, no sandbox (CI runs as root), and nothing that would talk to the
/// network on its own (so every request the scan sees comes from the page).
pub const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--mute-audio",
    "--remote-debugging-port=0",
];

/// Why the browser could not be driven.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CdpError(pub String);

impl std::fmt::Display for CdpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CdpError {}

fn err(message: impl Into<String>) -> CdpError {
    CdpError(message.into())
}

/// A protocol event for the attached page.
#[derive(Debug, Clone)]
pub struct Event {
    pub method: String,
    pub params: Value,
}

/// How to start the browser.
#[derive(Debug, Clone)]
pub struct Launch {
    pub chromium: PathBuf,
    /// Extra command-line flags (e.g. `--host-resolver-rules=…`).
    pub extra_args: Vec<String>,
    /// How long Chromium may take to open its DevTools port.
    pub startup_timeout: Duration,
}

/// One running Chromium with a fresh profile and one attached page. Dropping it kills the browser and removes
/// the profile.
#[derive(Debug)]
pub struct Browser {
    child: Child,
    socket: WebSocket<TcpStream>,
    session: String,
    next_id: u64,
    events: VecDeque<Event>,
    // Declared last: removed after the browser is gone.
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts Chromium on `about:blank` and attaches to its page.
    pub fn launch(launch: &Launch) -> Result<Browser, CdpError> {
        if !launch.chromium.is_file() {
            return Err(err(format!(
                "no Chromium at {} (install it or pass --chromium PATH)",
                launch.chromium.display()
            )));
        }
        let profile = tempfile::Builder::new()
            .prefix("assent-scan-profile-")
            .tempdir()
            .map_err(|e| err(format!("cannot create a browser profile directory: {e}")))?;
        let mut command = Command::new(&launch.chromium);
        command
            .args(CHROMIUM_FLAGS)
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .args(&launch.extra_args)
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let mut child = command.spawn().map_err(|e| {
            err(format!(
                "cannot start Chromium ({}): {e}",
                launch.chromium.display()
            ))
        })?;
        let url = match wait_for_devtools(&mut child, profile.path(), launch.startup_timeout) {
            Ok(url) => url,
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(e);
            }
        };
        let socket = match connect(&url) {
            Ok(s) => s,
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(e);
            }
        };
        let mut browser = Browser {
            child,
            socket,
            session: String::new(),
            next_id: 0,
            events: VecDeque::new(),
            _profile: profile,
        };
        let deadline = Instant::now() + launch.startup_timeout;
        let targets = browser.call_browser("Target.getTargets", json!({}), deadline)?;
        let page = targets["targetInfos"]
            .as_array()
            .and_then(|t| t.iter().find(|t| t["type"] == "page"))
            .and_then(|t| t["targetId"].as_str())
            .ok_or_else(|| err("Chromium opened no page"))?
            .to_string();
        let attached = browser.call_browser(
            "Target.attachToTarget",
            json!({"targetId": page, "flatten": true}),
            deadline,
        )?;
        browser.session = attached["sessionId"]
            .as_str()
            .ok_or_else(|| err("Chromium did not attach to its page"))?
            .to_string();
        Ok(browser)
    }

    /// Sends a command to the page and waits for its result (events that arrive meanwhile are queued).
    pub fn call(
        &mut self,
        method: &str,
        params: Value,
        deadline: Instant,
    ) -> Result<Value, CdpError> {
        let session = self.session.clone();
        self.send(Some(&session), method, params, deadline)
    }

    fn call_browser(
        &mut self,
        method: &str,
        params: Value,
        deadline: Instant,
    ) -> Result<Value, CdpError> {
        self.send(None, method, params, deadline)
    }

    fn send(
        &mut self,
        session: Option<&str>,
        method: &str,
        params: Value,
        deadline: Instant,
    ) -> Result<Value, CdpError> {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = json!({"id": id, "method": method, "params": params});
        if let Some(s) = session {
            message["sessionId"] = json!(s);
        }
        self.socket
            .send(Message::text(message.to_string()))
            .map_err(|e| err(format!("lost the connection to Chromium: {e}")))?;
        loop {
            let Some(message) = self.read(deadline)? else {
                return Err(err(format!("Chromium did not answer `{method}` in time")));
            };
            if message["id"].as_u64() == Some(id) {
                if let Some(error) = message.get("error") {
                    return Err(err(format!(
                        "`{method}` failed: {}",
                        error["message"].as_str().unwrap_or("unknown error")
                    )));
                }
                return Ok(message["result"].clone());
            }
            self.queue(message);
        }
    }

    /// The next page event, or `None` when none arrives before `deadline`.
    pub fn next_event(&mut self, deadline: Instant) -> Result<Option<Event>, CdpError> {
        loop {
            if let Some(e) = self.events.pop_front() {
                return Ok(Some(e));
            }
            match self.read(deadline)? {
                Some(message) => self.queue(message),
                None => return Ok(None),
            }
        }
    }

    fn queue(&mut self, message: Value) {
        let Some(method) = message["method"].as_str() else {
            return;
        };
        if message["sessionId"].as_str() != Some(self.session.as_str()) {
            return;
        }
        self.events.push_back(Event {
            method: method.to_string(),
            params: message["params"].clone(),
        });
    }

    /// One JSON message, or `None` at the deadline.
    fn read(&mut self, deadline: Instant) -> Result<Option<Value>, CdpError> {
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(None);
            }
            self.socket
                .get_mut()
                .set_read_timeout(Some(left.max(Duration::from_millis(1))))
                .map_err(|e| err(format!("socket: {e}")))?;
            match self.socket.read() {
                Ok(Message::Text(text)) => {
                    return serde_json::from_str(text.as_str())
                        .map(Some)
                        .map_err(|e| err(format!("Chromium sent invalid JSON: {e}")));
                }
                Ok(_) => {}
                Err(tungstenite::Error::Io(e))
                    if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                Err(e) => return Err(err(format!("lost the connection to Chromium: {e}"))),
            }
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.socket.close(None);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Chromium writes the port and path of its browser endpoint to `DevToolsActivePort` in the profile.
fn wait_for_devtools(
    child: &mut Child,
    profile: &Path,
    timeout: Duration,
) -> Result<String, CdpError> {
    let deadline = Instant::now() + timeout;
    let file = profile.join("DevToolsActivePort");
    loop {
        if let Ok(text) = std::fs::read_to_string(&file) {
            let mut lines = text.lines();
            if let (Some(port), Some(path)) = (lines.next(), lines.next()) {
                return Ok(format!("ws://127.0.0.1:{port}{path}"));
            }
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(err(format!("Chromium exited at start-up ({status})")));
        }
        if Instant::now() >= deadline {
            return Err(err(format!(
                "Chromium did not open its DevTools port within {} s",
                timeout.as_secs()
            )));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn connect(url: &str) -> Result<WebSocket<TcpStream>, CdpError> {
    let address = url
        .strip_prefix("ws://")
        .and_then(|rest| rest.split('/').next())
        .ok_or_else(|| err(format!("unexpected DevTools address {url}")))?;
    let stream = TcpStream::connect(address)
        .map_err(|e| err(format!("cannot connect to Chromium at {address}: {e}")))?;
    stream.set_nodelay(true).ok();
    let (socket, _) = tungstenite::client::client(url, stream)
        .map_err(|e| err(format!("DevTools handshake with Chromium failed: {e}")))?;
    Ok(socket)
}
