//! The `hvremote` command line: parse, validate, run one command, report, exit.
//!
//! Edge tier: the only place (with `http`, `sim::server`, the fixture transports) that does I/O.
//! Exit codes are decided in [`exit`] and nowhere else.

pub mod args;
pub mod cmd;
pub mod config;
pub mod exit;
pub mod output;
pub mod password;
pub mod progress;

use std::process::ExitCode;

use clap::Parser;

/// Parse arguments, run, map errors to exit codes.
pub fn main() -> ExitCode {
    let cli = match args::Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                exit::USAGE
            } else {
                exit::SUCCESS
            });
        }
    };
    let _ = cli;
    ExitCode::SUCCESS
}
