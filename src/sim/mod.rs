//! The simulated Hyper-V WinRM host (`hvremote simulate`, `hvremote demo`, tests).
//!
//! * [`host`]: pure, sans-IO `Host::handle(now, request_envelope) -> SimResponse`: Identify,
//!   Get, Enumerate/Pull/Release ([`enumerate`]), Invoke ([`invoke`]); faults per [`faults`].
//! * [`state`] / [`model`]: the in-memory host (VMs, checkpoints, VMMS, jobs advancing with
//!   `now`) and its WMI instances; [`render`] writes them as WinRM does (WS-CIM).
//! * [`wql`]: the WQL subset; [`cimxml`]: embedded CIM-XML instances.
//! * [`scenario`]: [`scenario::SimConfig`] (flags, TOML/JSON files, fault injection, demo).
//!
//! * [`transport`]: [`SimTransport`], the host as an in-process `Transport` (edge: it reads
//!   tokio's clock, so a paused test clock drives the jobs).
//!
//! Not here yet: the HTTP/NTLM listener (`sim::server`). Everything except [`transport`] is
//! core (no sockets, files, clock reads or randomness): time arrives as `now`, a `Duration`
//! since the simulator started, and identifiers are deterministic from the scenario's seed.
//! Spec: hyperv-wsman.md §2–§13, §18 (message shapes), §19 (simulator guidance).

pub mod associators;
pub mod cimxml;
pub mod enumerate;
pub mod envelope;
pub mod faults;
pub mod host;
pub mod instances;
pub mod invoke;
pub mod job_methods;
pub mod model;
pub mod render;
pub mod scenario;
pub mod state;
pub mod transport;
pub mod wql;

pub use host::{Host, SimResponse};
pub use scenario::SimConfig;
pub use transport::SimTransport;
