//! Hyper-V operations over WS-Management: list and find VMs, list checkpoints, export a VM or a
//! checkpoint, and follow the resulting `Msvm_ConcreteJob` (hyperv-wsman.md §9–§12).
//!
//! [`model`] and [`options`] are core (pure values); the rest is glue over a
//! [`crate::transport::Transport`]. This module never prints or exits.

pub mod model;
pub mod options;

pub use model::{
    CollectingObserver, ConcreteJob, JobObserver, JobState, NoopObserver, ReturnCode, Snapshot, Vm,
    VmState,
};
pub use options::{CaptureLiveState, ExportOptions, PropertyValue, SnapshotSelection};
pub mod adapter;
pub mod classes;
pub mod export;
pub mod job;
pub mod ops;
pub mod vm;
