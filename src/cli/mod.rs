//! The `hvremote` command line: parse, validate, run one command, report, exit.
//!
//! Edge tier: the only place (with `http`, `sim::server`, the fixture transports) that does I/O.
//! Exit codes are decided in [`exit`] and nowhere else; results go to stdout, progress and
//! text-mode errors to stderr, JSON-mode errors to stdout as one object.

pub mod args;
pub mod cmd;
pub mod config;
pub mod connect;
pub mod demo;
pub mod exit;
pub mod output;
pub mod password;
pub mod progress;
pub mod simulate;

use std::process::ExitCode;

use clap::Parser;

use crate::error::{Error, ErrorKind};
use args::{Cli, Command, OutputArg};

/// Parse arguments, run, map errors to exit codes.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
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
    init_logging(cli.global.verbose);
    let format = cli.global.output;
    let result = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::new(ErrorKind::Io, "cannot start the async runtime").with_source(e))
        .and_then(|rt| rt.block_on(run(&cli)));
    match result {
        Ok(text) => {
            if !text.is_empty() {
                output::emit(&text);
            }
            ExitCode::from(exit::SUCCESS)
        }
        Err(e) => {
            output::emit_error(&e, format);
            ExitCode::from(exit::code_for(&e))
        }
    }
}

fn init_logging(verbose: u8) {
    let level = match verbose {
        0 => return,
        1 => "hvremote=info",
        2 => "hvremote=debug",
        _ => "hvremote=trace",
    };
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::new(level))
        .try_init();
}

/// A future that fires on Ctrl-C.
pub fn ctrl_c() -> cmd::Interrupt {
    Box::pin(async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    })
}

/// Run the parsed command; returns what to print on stdout.
pub async fn run(cli: &Cli) -> Result<String, Error> {
    let g = &cli.global;
    if g.output == OutputArg::Xml && !matches!(cli.command, Command::Wsman(_)) {
        return Err(Error::new(
            ErrorKind::Usage,
            "-o xml is only available for wsman commands",
        ));
    }
    match &cli.command {
        Command::Demo => demo::run(g).await,
        Command::Simulate(a) => simulate::run(g, a).await,
        other => {
            let session = connect::open(g)?;
            let res = run_remote(&session, other, g).await;
            let fin = session.finish(res.is_ok());
            let out = res?;
            fin?;
            Ok(out)
        }
    }
}

/// Run a command that talks to a host through `session`.
pub async fn run_remote(
    session: &connect::Session,
    command: &Command,
    g: &args::GlobalArgs,
) -> Result<String, Error> {
    let ops = &session.ops;
    let format = g.output;
    let mut progress = progress::Progress::new(progress::ProgressMode::detect(g.quiet), "");
    let out = match command {
        Command::Vms(a) => cmd::vms::run(ops, a, format).await,
        Command::Snapshots(a) => cmd::snapshots::run(ops, a, format).await,
        Command::Export(a) => {
            progress = progress::Progress::new(
                progress::ProgressMode::detect(g.quiet),
                format!("export {}", a.vm),
            );
            cmd::export::run(ops, a, format, &mut progress, ctrl_c()).await
        }
        Command::Job(a) => {
            progress = progress::Progress::new(
                progress::ProgressMode::detect(g.quiet),
                format!("job {}", a.instance_id),
            );
            cmd::job::run(ops, a, format, &mut progress, ctrl_c()).await
        }
        Command::Wsman(w) => cmd::wsman::run(ops, w, format).await,
        Command::Simulate(_) | Command::Demo => {
            Err(Error::new(ErrorKind::Usage, "not a remote command"))
        }
    };
    progress.finish();
    out
}
