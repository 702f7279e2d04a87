//! The HTTP(S) edge: WinRM over HTTP with NTLM or Kerberos message sealing, or over TLS.
//!
//! * [`HttpTransport`] ([`client`]): the [`crate::transport::Transport`] for real hosts; one
//!   pinned, authenticated connection at a time (`conn`). The authentication-mechanism seam:
//!   each connection holds one security context, NTLM (`conn::ntlm_handshake`) or, with the
//!   `kerberos` feature and [`Auth::Kerberos`], Kerberos from the ticket cache (`krb`); both
//!   seal through [`encrypted::Sealer`] with the protocol string of their HTTP scheme.
//! * [`endpoint`]: `host`, `host:port`, `[v6]:port`, `http(s)://host:port/wsman` → [`Endpoint`].
//! * [`auth`]: `WWW-Authenticate` / `Authorization` header codec.
//! * [`encrypted`]: the `multipart/encrypted` framing of sealed SOAP ([MS-WSMV] 2.2.9.1), generic
//!   over [`encrypted::Sealer`] (shared with the simulated host).
//! * [`tls`]: rustls configuration, channel bindings (RFC 5929), self-signed server helper.
//! * [`config`]: [`HttpConfig`], [`Auth`] and [`KerberosTarget`] (SPN overrides).
//!
//! ```no_run
//! # async fn demo(envelope: String) -> Result<(), hvremote::Error> {
//! use hvremote::http::{Endpoint, HttpConfig, HttpTransport};
//! use hvremote::transport::{SoapRequest, Transport};
//!
//! let endpoint = Endpoint::parse("hv01", false)?; // http://hv01:5985/wsman, sealed
//! let transport = HttpTransport::connect_lazy(HttpConfig::new(endpoint, "CORP\\admin", "pw"))?;
//! let request = SoapRequest {
//!     action: "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get".into(),
//!     resource_uri: None,
//!     message_id: "uuid:00000000-0000-0000-0000-000000000001".into(),
//!     body: envelope,
//! };
//! let response = transport.exchange(request).await?; // authenticates on first use
//! println!("{} {}", response.status, response.body);
//! # Ok(()) }
//! ```
//!
//! See winrm-wire.md §1–§3 for the wire facts these follow. What this module does not do:
//! NTLM itself (`ntlm`, sans-IO), GSSAPI (`kerberos`) or SOAP (`soap`, `wsman`).

pub mod auth;
pub mod client;
pub mod config;
mod conn;
pub mod encrypted;
pub mod endpoint;
#[cfg(feature = "kerberos")]
mod krb;
pub mod tls;

pub use client::{HttpTransport, SOAP_CONTENT_TYPE};
pub use config::{Auth, HttpConfig, KerberosTarget};
pub use conn::USER_AGENT;
pub use endpoint::{Endpoint, Scheme};
