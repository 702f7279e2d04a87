//! # hvremote
//!
//! A pure-Rust WinRM / WS-Management client that manages Windows Hyper-V hosts from Linux and
//! macOS. Its flagship job: export a VM (or one of its checkpoints) through
//! `Msvm_VirtualSystemManagementService.ExportSystemDefinition` and follow the returned
//! `Msvm_ConcreteJob` to its end.
//!
//! ## Layers
//!
//! ```text
//!   cli  ──────────────► hyperv (find VM, export, follow job)      glue: logic over a Transport
//!                          │
//!                        client (WS-Man operations over a Transport)
//!                          │
//!          ┌───────────────┼──────────────────────────┐
//!        wsman  cim  soap  xml                        │         core: sans-IO
//!                                              Transport (seam)
//!                          ┌──────────────┬───────────┴────────┬──────────────┐
//!                        http (NTLM+seal, TLS)  record  replay      sim (in process)
//!                          │                                               edge: I/O
//!                        ntlm (core, sans-IO)
//! ```
//!
//! ## Tier invariants
//!
//! * **Core** (`xml`, `soap`, `wsman`, `cim`, `ntlm`, `hyperv::model`, `sim::host`): no sockets,
//!   no files, no clock reads, no randomness. Time, random challenges and message IDs arrive as
//!   arguments; every parser takes `&str`/`&[u8]` and returns a typed value or a layer error.
//! * **Edge** (`http`, `transport::{record, replay}`, `sim::server`, `cli`): the only code that
//!   does I/O.
//! * **Glue** (`client`, `hyperv`): orchestration over a [`transport::Transport`] it is handed.
//! * Library code never prints and never exits; the CLI decides output and exit codes in one
//!   place (`cli::exit`).
//! * Secrets (passwords, hashes, session keys, Authorization values) never appear in `Debug`
//!   output, logs, errors or fixtures.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod cim;
pub mod cli;
pub mod client;
pub mod error;
pub mod http;
pub mod hyperv;
#[cfg(feature = "kerberos")]
pub mod kerberos;
pub mod ntlm;
pub mod sim;
pub mod soap;
pub mod transport;
pub mod wsman;
pub mod xml;

pub use error::{Error, ErrorKind, Result};
