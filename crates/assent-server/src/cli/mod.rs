//! `assent` subcommands (clap derive). One file per command group; add a group by adding a variant to
//! [`Command`] and a module with its `Args` and `run`.
//!
//! Exit codes: 0 success; 1 the thing checked is invalid (`token verify` refused the token, `check` found a
//! problem in a config); 2 usage errors and failures to do the work (unreadable files, network errors).

use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod bench;
mod check;
mod email;
mod http;
mod keys;
mod serve;
#[cfg(test)]
mod tests;
mod token;

/// Assent: consent and cookie management.
#[derive(Debug, Parser)]
#[command(name = "assent", version, about, propagate_version = true)]
pub(crate) struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Generate a token-signing key: DIR/<kid>.key (mode 0600) and DIR/assent-keys.json (public key set).
    Keygen(keys::KeygenArgs),
    /// Manage token-signing keys (rotate, list, remove).
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Mint and verify signed consent tokens.
    #[command(subcommand)]
    Token(token::TokenCommand),
    /// Run the consent server (records, tokens, receipts, admin API; serves --www).
    Serve(Box<serve::ServeArgs>), // boxed: the largest variant by far
    /// Load-test the consent server over loopback (bounded; reports records/s and latency).
    Bench(bench::BenchArgs),
    /// Validate site configs: config JSON files, or the inline configs of HTML pages (files or http(s) URLs).
    /// Prints `OK <source>` or every problem as `<source>: <field>: <message>`; exit 1 when any is invalid,
    /// 2 when an input could not be read.
    Check(check::CheckArgs),
    /// Marketing e-mail: one-click unsubscribe headers for outgoing messages.
    #[command(subcommand)]
    Email(email::EmailCommand),
}

/// Where a command writes: stdout for results, stderr for messages (separate so tests can capture them).
pub(crate) struct Io<'a> {
    pub(crate) out: &'a mut dyn Write,
    pub(crate) err: &'a mut dyn Write,
}

/// A command that did not succeed: the exit code and what to tell the user.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) code: u8,
    pub(crate) message: String,
}

impl Failure {
    /// Exit 1: the input was checked and is invalid.
    pub(crate) fn invalid(message: impl Into<String>) -> Failure {
        Failure {
            code: 1,
            message: message.into(),
        }
    }

    /// Exit 2: the command could not do its work.
    pub(crate) fn error(message: impl Into<String>) -> Failure {
        Failure {
            code: 2,
            message: message.into(),
        }
    }
}

pub(crate) type CmdResult = Result<(), Failure>;

/// Writes a line, turning a closed pipe into a failure instead of a panic.
macro_rules! say {
    ($w:expr, $($arg:tt)*) => {
        writeln!($w, $($arg)*).map_err(|e| $crate::cli::Failure::error(format!("write failed: {e}")))
    };
}
pub(crate) use say;

pub(crate) fn main() -> ExitCode {
    let cli = Cli::parse();
    // Unlocked handles: `serve` logs to stderr from other threads while `run` is still on this one.
    let mut out = std::io::stdout();
    let mut err = std::io::stderr();
    ExitCode::from(run(
        cli,
        &mut Io {
            out: &mut out,
            err: &mut err,
        },
    ))
}

/// Runs a parsed command; returns the exit code (the message of a failure goes to `io.err`).
pub(crate) fn run(cli: Cli, io: &mut Io<'_>) -> u8 {
    let result = match cli.command {
        Command::Keygen(args) => keys::keygen(&args, io),
        Command::Keys(cmd) => keys::run(cmd, io),
        Command::Token(cmd) => token::run(cmd, io),
        Command::Serve(args) => serve::run(*args, io),
        Command::Bench(args) => bench::run(args, io),
        Command::Check(args) => check::run(&args, io),
        Command::Email(cmd) => email::run(cmd, io),
    };
    match result {
        Ok(()) => 0,
        Err(f) => {
            let _ = writeln!(io.err, "assent: {}", f.message);
            f.code
        }
    }
}
