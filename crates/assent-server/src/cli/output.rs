//! Where a command writes ([`Io`]) and how it fails ([`Failure`], exit 1 or 2), shared by every command.

use std::io::Write;

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
        writeln!($w, $($arg)*).map_err(|e| $crate::cli::output::Failure::error(format!("write failed: {e}")))
    };
}
pub(crate) use say;
