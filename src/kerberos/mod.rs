//! Kerberos with the admin's own ticket (GitHub issue 9), over the system GSSAPI.
//!
//! What it does: builds a Kerberos client security context from the credential cache that `kinit`
//! filled (`KRB5CCNAME`, `krb5.conf`), steps it through the HTTP `Negotiate` or `Kerberos` scheme
//! with mutual authentication, and seals WinRM messages with GSS wrap in the layout Windows uses:
//! HEADER | DATA | PADDING, no trailer (kerberos.md §5, [MS-WSMV] 2.2.9.1, RFC 4121 §4.2.6.2).
//! An [`Acceptor`] gives the simulated host the server side of the same exchange.
//!
//! What it does not do: HTTP (the `http` module frames the sealed parts as `multipart/encrypted`
//! through [`crate::http::encrypted::Sealer`], implemented here for [`KerberosSession`]), ticket
//! renewal, or its own KDC traffic (libkrb5 does that). Each HTTP connection owns one context:
//! GSSAPI contexts are `Send` but not `Sync`.
//!
//! Sealing path: with `gss_wrap_iov` (Linux, libgssapi `iov`) the header comes straight from
//! GSSAPI and works for AES and RC4; elsewhere the portable path wraps with `gss_wrap` and
//! rotates the RFC 4121 token into the same header/data split (AES only, kerberos.md §6.3, see
//! [`token`]).
//!
//! This module is only built with the `kerberos` cargo feature.

mod acceptor;
mod client;
mod config;
mod gss_error;
mod session;
pub mod token;

pub use acceptor::Acceptor;
pub use client::{ClientContext, TicketStatus, ticket_available};
pub use config::{HttpScheme, KerberosConfig, Mech};
pub use session::{KerberosSession, WrapMode};
