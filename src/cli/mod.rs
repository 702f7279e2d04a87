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
    // A client command is one sequential conversation: a current-thread runtime is enough and
    // costs no worker threads; the simulated host (and the demo, which runs one) serves
    // connections on every core.
    let mut rt = match cli.command {
        Command::Simulate(_) | Command::Demo => tokio::runtime::Builder::new_multi_thread(),
        _ => tokio::runtime::Builder::new_current_thread(),
    };
    let mut out = output::Sink::stdout();
    let result = rt
        .enable_all()
        .build()
        .map_err(|e| Error::new(ErrorKind::Io, "cannot start the async runtime").with_source(e))
        .and_then(|rt| rt.block_on(run_to(&cli, &mut out)))
        .and_then(|text| out.emit_nonempty(&text));
    let flushed = out.flush();
    match result.and(flushed) {
        Ok(()) => ExitCode::from(exit::SUCCESS),
        // The reader closed stdout (`| head`): the command stopped at the first write that
        // found the pipe gone; nothing more to say, and not a failure.
        Err(e) if out.closed() && output::is_closed_pipe(&e) => ExitCode::from(exit::SUCCESS),
        Err(e) => {
            if out.wrote() {
                // Part of a listing is already on stdout: the error goes to stderr (see
                // `output`), and in JSON mode also as the last line of stdout.
                eprintln!("{}", output::error_text(&e));
                if format == OutputArg::Json && !out.closed() {
                    let line = serde_json::to_string(&output::error_json(&e)).unwrap_or_default();
                    output::emit(&format!("\n{line}\n"));
                }
            } else {
                output::emit_error(&e, format);
            }
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

/// Run the parsed command; returns what to print on stdout (listings are written to `out` as
/// they arrive instead, and return "").
pub async fn run_to(cli: &Cli, out: &mut output::Sink) -> Result<String, Error> {
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
            let res = run_remote_to(&session, other, g, out).await;
            let fin = session.finish(res.is_ok());
            let out = res?;
            fin?;
            Ok(out)
        }
    }
}

/// [`run_to`] collecting everything the command prints into the returned string.
pub async fn run(cli: &Cli) -> Result<String, Error> {
    let (mut out, buf) = output::Sink::memory();
    let text = run_to(cli, &mut out).await?;
    Ok(buf.take_string() + &text)
}

/// [`run_remote_to`] collecting everything the command prints into the returned string (tests).
pub async fn run_remote(
    session: &connect::Session,
    command: &Command,
    g: &args::GlobalArgs,
) -> Result<String, Error> {
    let (mut out, buf) = output::Sink::memory();
    let text = run_remote_to(session, command, g, &mut out).await?;
    Ok(buf.take_string() + &text)
}

/// Run a command that talks to a host through `session`; listings stream into `out`.
pub async fn run_remote_to(
    session: &connect::Session,
    command: &Command,
    g: &args::GlobalArgs,
    out: &mut output::Sink,
) -> Result<String, Error> {
    let ops = &session.ops;
    let format = g.output;
    let mut progress = progress::Progress::new(progress::ProgressMode::detect(g.quiet), "");
    let out = match command {
        Command::Vms(a) => cmd::vms::run(ops, a, format, out).await,
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
        Command::Wsman(w) => cmd::wsman::run(ops, w, format, out).await,
        Command::Simulate(_) | Command::Demo => {
            Err(Error::new(ErrorKind::Usage, "not a remote command"))
        }
    };
    progress.finish();
    out
}
