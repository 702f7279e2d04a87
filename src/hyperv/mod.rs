//! Hyper-V operations over WS-Management: list and find VMs, list checkpoints, export a VM or a
//! checkpoint, and follow the resulting `Msvm_ConcreteJob` (hyperv-wsman.md §9–§12).
//!
//! * Core (pure values, no I/O): [`model`] (VmState, JobState, ReturnCode, Vm, Snapshot,
//!   ConcreteJob, JobObserver), [`options`] (ExportOptions → export setting properties),
//!   [`classes`] (class URIs, escaped WQL, reading instances).
//! * Glue over the narrow [`ops::Ops`] seam: [`vm`] (list/find VMs and checkpoints),
//!   [`export`](mod@export) (ExportSystemDefinition), [`job`] (read, follow, cancel jobs).
//! * [`adapter::WsManOps`]: `Ops` over any [`crate::transport::Transport`], through the one
//!   [`crate::client::WsManClient`].
//!
//! ```no_run
//! # async fn demo(t: impl hvremote::transport::Transport) -> hvremote::Result<()> {
//! use hvremote::hyperv::{self, ExportOptions, NoopObserver};
//! let ops = hyperv::adapter::WsManOps::new(t);
//! let started = hyperv::export::export(&ops, "web01", "D:\\Exports", &ExportOptions::default()).await?;
//! if let Some(epr) = &started.job {
//!     let job = hyperv::job::JobRef::from_epr(epr)?;
//!     hyperv::job::wait_job(&ops, &job, &mut NoopObserver, None).await?;
//! }
//! # Ok(()) }
//! ```
//!
//! This module never prints or exits; the CLI decides output and exit codes.

pub mod adapter;
pub mod classes;
pub mod export;
pub mod job;
pub mod model;
pub mod ops;
pub mod options;
pub mod vm;

pub use export::{ExportStarted, export};
pub use job::{JobRef, cancel_job, get_job, wait_job};
pub use model::{
    CollectingObserver, ConcreteJob, JobObserver, JobState, NoopObserver, ReturnCode, Snapshot, Vm,
    VmState,
};
pub use options::{CaptureLiveState, ExportOptions, PropertyValue, SnapshotSelection};
pub use vm::{each_vm, find_snapshot, find_vm, list_vms, snapshots};
