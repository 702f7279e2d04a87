//! NTLM authentication and message sealing for WinRM ([MS-NLMP]), sans-IO.
//!
//! What it does:
//! * [`Client`]: NEGOTIATE → CHALLENGE → AUTHENTICATE with NTLMv2, Extended Session Security,
//!   KEY_EXCH, a MIC (MsvAvFlags bit 0x2), MsvAvTargetName and optional MsvAvChannelBindings
//!   ([MS-NLMP] 3.1.5.1.2, 3.1.5.2.1; winrm-wire.md §3).
//! * [`Server`]: the acceptor used by the simulator: issues a CHALLENGE with a timestamp and
//!   verifies the NTLMv2 response, the MIC and the channel bindings ([MS-NLMP] 3.2.5.1.2).
//! * [`Session`]: per-direction sign/seal keys with RC4 state that continues across messages and
//!   separate send/receive sequence numbers ([MS-NLMP] 3.4.3, 3.4.4.2; winrm-wire.md §2.6).
//! * [`spnego`]: a minimal DER codec so raw NTLMSSP and SPNEGO-wrapped tokens are both accepted.
//!
//! What it does not: any I/O, clock reads or randomness except in [`Client::new`], which draws
//! the client challenge and session key from the OS RNG (use [`Client::new_deterministic`] to
//! inject them). No NTLMv1, no LM, no connectionless (datagram) mode, no Kerberos.
//!
//! Secrets (passwords, NT hashes, session keys) never appear in `Debug` output or errors and are
//! zeroized on drop.
//!
//! [MS-NLMP]: https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-nlmp/b38c36ed-2804-4868-a9ff-8dd3182128e4

mod acceptor;
mod authenticate;
mod avpair;
mod challenge;
mod client;
mod credentials;
mod crypto;
mod error;
mod negotiate;
#[cfg(test)]
mod proptests;
mod rc4;
mod seal;
mod server;
pub mod spnego;
mod wire;

pub use acceptor::{AcceptStep, Acceptor};
pub use authenticate::AuthenticateMessage;
pub use avpair::{AvId, AvPairs};
pub use challenge::ChallengeMessage;
pub use client::{Client, ClientConfig};
pub use credentials::Credentials;
pub use crypto::channel_bindings_hash;
pub use error::NtlmError;
pub use negotiate::NegotiateMessage;
pub use seal::{SIGNATURE_LEN, Session};
pub use server::{AuthenticatedUser, Server, ServerConfig};
pub use wire::{NegotiateFlags, Version};
