//! A loopback SMTP server run by the tests: enough of RFC 5321 for lettre (EHLO/HELO, MAIL, RCPT, DATA, RSET,
//! NOOP, QUIT), and readers for the messages it received.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

// A loopback SMTP server: enough of RFC 5321 for lettre (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT).

#[derive(Clone, Debug)]
pub(crate) struct Received {
    pub(crate) rcpt: Vec<String>,
    pub(crate) data: String,
}

#[derive(Clone)]
pub(crate) struct SmtpServer {
    pub(crate) addr: SocketAddr,
    pub(crate) inbox: Arc<Mutex<Vec<Received>>>,
}

impl SmtpServer {
    pub(crate) fn start() -> SmtpServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let inbox = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&inbox);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                let sink = Arc::clone(&sink);
                std::thread::spawn(move || {
                    let _ = smtp_session(stream, &sink);
                });
            }
        });
        SmtpServer { addr, inbox }
    }

    pub(crate) fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    /// Waits (up to 30 s) for a message to `to` whose text contains `needle`, and returns it.
    pub(crate) fn wait_for(&self, to: &str, needle: &str) -> Received {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(m) = self
                .inbox
                .lock()
                .unwrap()
                .iter()
                .find(|m| m.rcpt.iter().any(|r| r == to) && m.data.contains(needle))
            {
                return m.clone();
            }
            assert!(
                Instant::now() < deadline,
                "no message to {to} containing {needle:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub(crate) fn count_to(&self, to: &str) -> usize {
        self.inbox
            .lock()
            .unwrap()
            .iter()
            .filter(|m| m.rcpt.iter().any(|r| r == to))
            .count()
    }
}

pub(crate) fn smtp_session(stream: TcpStream, inbox: &Mutex<Vec<Received>>) -> std::io::Result<()> {
    let mut out = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    out.write_all(b"220 loopback ESMTP test\r\n")?;
    let mut rcpt = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let upper = line.to_ascii_uppercase();
        if upper.starts_with("EHLO") {
            out.write_all(b"250-loopback\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")?;
        } else if upper.starts_with("HELO") || upper.starts_with("NOOP") {
            out.write_all(b"250 OK\r\n")?;
        } else if upper.starts_with("MAIL FROM:") {
            rcpt.clear();
            out.write_all(b"250 OK\r\n")?;
        } else if upper.starts_with("RCPT TO:") {
            let addr = line[8..].trim().trim_start_matches('<');
            let addr = addr.split('>').next().unwrap_or_default().to_owned();
            rcpt.push(addr);
            out.write_all(b"250 OK\r\n")?;
        } else if upper.starts_with("DATA") {
            out.write_all(b"354 end with <CRLF>.<CRLF>\r\n")?;
            let mut data = String::new();
            loop {
                line.clear();
                if reader.read_line(&mut line)? == 0 {
                    return Ok(());
                }
                if line == ".\r\n" {
                    break;
                }
                // Undo dot-stuffing (RFC 5321 §4.5.2).
                data.push_str(line.strip_prefix('.').unwrap_or(&line));
            }
            inbox.lock().unwrap().push(Received {
                rcpt: rcpt.clone(),
                data,
            });
            out.write_all(b"250 OK queued\r\n")?;
        } else if upper.starts_with("RSET") {
            rcpt.clear();
            out.write_all(b"250 OK\r\n")?;
        } else if upper.starts_with("QUIT") {
            out.write_all(b"221 bye\r\n")?;
            return Ok(());
        } else {
            out.write_all(b"502 not implemented\r\n")?;
        }
    }
}

/// A header of a received message (unfolded), by name.
pub(crate) fn header(message: &str, name: &str) -> Option<String> {
    let head = message.split("\r\n\r\n").next()?;
    let unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ");
    unfolded.split("\r\n").find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
    })
}

/// The body of a received message with quoted-printable soft line breaks and `=3D` undone.
pub(crate) fn body(message: &str) -> String {
    let b = message.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    b.replace("=\r\n", "").replace("=3D", "=")
}

pub(crate) fn link_after(text: &str, prefix: &str) -> String {
    let start = text
        .find(prefix)
        .unwrap_or_else(|| panic!("no {prefix} in {text}"));
    text[start..]
        .split(|c: char| c.is_whitespace())
        .next()
        .unwrap()
        .to_owned()
}
