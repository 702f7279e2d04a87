//! The HTTP(S) edge: WinRM over HTTP with NTLM message sealing, or over TLS.
//!
//! * [`HttpTransport`] ([`client`]): the [`crate::transport::Transport`] for real hosts; one
//!   pinned, authenticated connection at a time ([`conn`]).
//! * [`endpoint`]: `host`, `host:port`, `[v6]:port`, `http(s)://host:port/wsman` → [`Endpoint`].
//! * [`auth`]: `WWW-Authenticate` / `Authorization` header codec.
//! * [`encrypted`]: the `multipart/encrypted` framing of sealed SOAP ([MS-WSMV] 2.2.9.1), generic
//!   over [`encrypted::Sealer`] (shared with the simulated host).
//! * [`tls`]: rustls configuration, channel bindings (RFC 5929), self-signed server helper.
//! * [`config`]: [`HttpConfig`] and [`Auth`].
//!
//! See winrm-wire.md §1–§3 for the wire facts these follow. What this module does not do:
//! NTLM itself (`ntlm`, sans-IO) or SOAP (`soap`, `wsman`).

pub mod auth;
pub mod client;
pub mod config;
mod conn;
pub mod encrypted;
pub mod endpoint;
pub mod tls;

pub use client::{HttpTransport, SOAP_CONTENT_TYPE};
pub use config::{Auth, HttpConfig};
pub use conn::USER_AGENT;
pub use endpoint::{Endpoint, Scheme};
