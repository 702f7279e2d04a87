//! One module per subcommand. Each `run` takes the [`Ops`](crate::hyperv::ops::Ops) seam and
//! returns what to print on stdout; progress goes to stderr through a
//! [`JobObserver`](crate::hyperv::JobObserver); errors go back to `cli::main`, which owns the
//! exit code.

pub mod export;
pub mod job;
pub mod snapshots;
pub mod vms;
pub mod wsman;

use std::future::Future;
use std::pin::Pin;

/// A future that resolves when the user asks to stop waiting (Ctrl-C).
pub type Interrupt = Pin<Box<dyn Future<Output = ()> + Send>>;

/// An interrupt that never fires (tests, `--no-wait`).
pub fn never() -> Interrupt {
    Box::pin(std::future::pending())
}
