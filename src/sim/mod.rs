//! The simulated Hyper-V WinRM host (`hvremote simulate`, `hvremote demo`, tests).
//!
//! * [`host`]: pure, sans-IO `Host::handle(now, request_envelope) -> SimResponse`: Identify,
//!   Get, Enumerate/Pull/Release ([`enumerate`]), Invoke ([`invoke`], [`job_methods`]); the
//!   faults and their codes are listed in [`faults`].
//! * [`state`] / [`instances`] / [`model`]: the in-memory host (VMs, checkpoints, VMMS, jobs
//!   advancing with `now`) and its WMI instances; [`render`] writes them as WinRM does.
//! * [`wql`] and [`associators`]: the WQL subset; [`cimxml`]: embedded CIM-XML instances.
//! * [`scenario`]: [`SimConfig`] (flags, TOML/JSON files, fault injection, reply-shape
//!   variations, demo).
//! * [`transport`]: [`SimTransport`], the host as an in-process `Transport` (edge: it reads
//!   tokio's clock, so a paused test clock drives the jobs).
//! * [`server`]: [`server::SimServer`] / [`server::serve`], the host on an HTTP/1.1 listener
//!   (edge): NTLM with sealing per connection ([`server_auth`]), optional Basic, optional HTTPS
//!   with channel bindings ([`tls`]); Kerberos with a keytab when built with the `kerberos`
//!   feature ([`server_krb`] tells the mechanisms apart by their token bytes).
//!
//! Everything except [`transport`], [`server`], [`server_auth`] and [`tls`] is core (no sockets, files, clock reads or
//! randomness): time arrives as `now`, a `Duration` since the simulator started, and
//! identifiers (VM GUIDs, job IDs, message IDs, contexts) are deterministic from the seed.
//!
//! ## Choices where the reference is unsure (hyperv-wsman.md §20)
//!
//! * Instances are written with the class namespace as the default namespace (plus `p`
//!   bound to it for `xsi:type`); the infoset equals Windows' `p:`-prefixed form (`render`).
//! * Absent `w:MaxElements` (with OptimizeEnumeration) and absent `n:MaxElements` on Pull
//!   mean 1; MaxEnvelopeSize must be 8192..=512000 and bounds every page (`enumerate`).
//! * A WQL filter is accepted on the `*` URI and on a class URI naming the same class; a class
//!   URI without a filter enumerates the class; the `*` URI without a filter is refused.
//! * Enumeration contexts expire after 60 s idle; at most 64 are open (`w:QuotaLimit`).
//! * Get needs every key selector; an unknown instance is `a:DestinationUnreachable`
//!   2150858752 (`faults`).
//! * ExportSystemDefinition: which mistakes are faults and which are ReturnValue 32773/32776
//!   is listed in [`invoke`]; a running VM is exported unless the scenario injects 32775.
//! * Jobs: New for 200 ms, Running with linear PercentComplete, then Completed (or Exception
//!   when injected); removed `job_retention_secs` (300) after they end; JobType 62.
//! * RequestStateChange 4 → Terminated (8), 5 → Killed (9) ([`job_methods`]).
//! * Spec: hyperv-wsman.md §2–§13, §18 (message shapes), §19 (simulator guidance).

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
pub mod server;
pub mod server_auth;
pub mod server_krb;
pub mod state;
pub mod tls;
pub mod transport;
pub mod wql;

pub use host::{Host, SimResponse};
pub use scenario::SimConfig;
pub use transport::SimTransport;
