//! The `hvremote` command line (under construction).

use std::process::ExitCode;

/// Parse arguments, run, map errors to exit codes.
pub fn main() -> ExitCode {
    ExitCode::SUCCESS
}
