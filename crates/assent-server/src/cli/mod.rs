//! `assent` subcommands (clap derive). One file per command group; add a group by adding a variant to
//! [`Command`] and a module with its `Args` and `run`.
//!
//! Shared by the commands: [`output`] (where they write, how they fail) and [`defaults`] (paths and addresses
//! several commands agree on); this file only parses and dispatches.
//!
//! Exit codes: 0 success; 1 the thing checked is invalid (`token verify` refused the token, `check` found a
//! problem in a config); 2 usage errors and failures to do the work (unreadable files, network errors).

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub(crate) use output::Io;

mod bench;
mod check;
mod check_notes;
mod dashboard;
mod defaults;
mod email;
mod http;
mod keys;
mod output;
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
    /// The dashboard: seed a demo history, benchmark the overview query.
    #[command(subcommand)]
    Dashboard(dashboard::DashboardCommand),
}

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
        Command::Dashboard(cmd) => dashboard::run(cmd, io),
    };
    match result {
        Ok(()) => 0,
        Err(f) => {
            let _ = writeln!(io.err, "assent: {}", f.message);
            f.code
        }
    }
}
