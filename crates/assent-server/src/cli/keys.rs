//! `assent keygen` and `assent keys rotate|list|remove`.

use std::path::PathBuf;

use assent_server::keys::{KEY_SET_FILE, KeyDir};
use assent_verify::Kid;
use clap::{Args, Subcommand};

use super::output::{CmdResult, Failure, Io, say};

#[derive(Debug, Args)]
pub(crate) struct KeygenArgs {
    /// Directory to create the key in (created with mode 0700; must not already hold a key set).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
}

#[derive(Debug, Subcommand)]
pub(crate) enum KeysCommand {
    /// Add a new active key; previous keys become retired (still published, so their tokens keep verifying).
    Rotate {
        /// The key directory.
        #[arg(long, value_name = "DIR")]
        dir: PathBuf,
    },
    /// List the keys in a key directory.
    List {
        /// The key directory.
        #[arg(long, value_name = "DIR")]
        dir: PathBuf,
    },
    /// Stop publishing a retired key and delete its private key: tokens it signed stop verifying.
    Remove {
        /// The key directory.
        #[arg(long, value_name = "DIR")]
        dir: PathBuf,
        /// The kid of the retired key.
        kid: String,
    },
}

fn failed(e: impl std::fmt::Display) -> Failure {
    Failure::error(e.to_string())
}

pub(crate) fn keygen(args: &KeygenArgs, io: &mut Io<'_>) -> CmdResult {
    let keys = KeyDir::generate(&args.out).map_err(failed)?;
    let kid = keys.signing_key().kid();
    say!(io.out, "{kid}")?;
    say!(
        io.err,
        "generated key {kid}\n  private key: {} (mode 0600, keep it secret)\n  public keys: {} (publish at /.well-known/assent-keys.json)",
        keys.key_path(kid).display(),
        args.out.join(KEY_SET_FILE).display()
    )
}

pub(crate) fn run(cmd: KeysCommand, io: &mut Io<'_>) -> CmdResult {
    match cmd {
        KeysCommand::Rotate { dir } => {
            let mut keys = KeyDir::load(&dir).map_err(failed)?;
            let kid = keys.rotate().map_err(failed)?;
            say!(io.out, "{kid}")?;
            say!(
                io.err,
                "new active key {kid}; {} retired key(s) still published",
                keys.key_set().len() - 1
            )
        }
        KeysCommand::List { dir } => {
            let keys = KeyDir::load(&dir).map_err(failed)?;
            for k in keys.key_set().iter() {
                let status = match k.status() {
                    assent_verify::KeyStatus::Active => "active",
                    assent_verify::KeyStatus::Retired => "retired",
                };
                say!(io.out, "{}\t{status}", k.kid())?;
            }
            Ok(())
        }
        KeysCommand::Remove { dir, kid } => {
            let kid: Kid = kid
                .parse()
                .map_err(|e| Failure::error(format!("{kid}: {e}")))?;
            let mut keys = KeyDir::load(&dir).map_err(failed)?;
            keys.remove(kid).map_err(failed)?;
            say!(
                io.err,
                "removed key {kid}; tokens it signed no longer verify"
            )
        }
    }
}
