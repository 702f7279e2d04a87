//! The client side: a GSSAPI initiator context from the admin's `kinit` ticket, stepped through
//! the HTTP exchange with mutual authentication required (kerberos.md §3 and §6.3, RFC 4559).
//!
//! `step(None)` gives the token for `Authorization: <scheme> <b64>`; the 200 reply's
//! `WWW-Authenticate: <scheme> <b64>` (AP-REP or NegTokenResp) goes to `step(Some(..))`, after
//! which the context is complete and [`ClientContext::into_session`] yields the sealing session.
//! A 200 without that token is an error, never a silent downgrade. What it does not do: HTTP,
//! retries or ticket renewal (an expired ticket means one new `ClientContext` on a new
//! connection; the transport must not loop).

use libgssapi::context::{ClientCtx, CtxFlags, SecurityContext};
use libgssapi::credential::{Cred, CredUsage};
use libgssapi::name::Name;
use libgssapi::oid::{GSS_MECH_KRB5, GSS_MECH_SPNEGO, GSS_NT_HOSTBASED_SERVICE, OidSet};

use super::config::{KerberosConfig, Mech};
use super::gss_error::gss_failure;
use super::session::KerberosSession;
use crate::error::{Error, ErrorKind, Result};

/// An initiator context on its way to completion.
pub struct ClientContext {
    ctx: ClientCtx,
    spn: String,
    cred: Cred,
    bindings: Option<Vec<u8>>,
    sent_first: bool,
}

impl std::fmt::Debug for ClientContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientContext")
            .field("spn", &self.spn)
            .field("complete", &self.ctx.is_complete())
            .finish_non_exhaustive()
    }
}

impl ClientContext {
    /// Read the default ticket cache and prepare a context for `config`'s SPN.
    pub fn new(config: KerberosConfig) -> Result<Self> {
        let target = config.target_name()?;
        let spn = config.spn();
        let fail = |call: &str, e: libgssapi::error::Error| gss_failure(call, &spn, &e);
        let name = Name::new(target.as_bytes(), Some(GSS_NT_HOSTBASED_SERVICE))
            .map_err(|e| fail("name import", e))?;
        let cred = initiator_cred().map_err(|e| fail("credential lookup", e))?;
        let mut flags = CtxFlags::GSS_C_MUTUAL_FLAG
            | CtxFlags::GSS_C_REPLAY_FLAG
            | CtxFlags::GSS_C_SEQUENCE_FLAG
            | CtxFlags::GSS_C_CONF_FLAG
            | CtxFlags::GSS_C_INTEG_FLAG;
        if config.delegate {
            flags |= CtxFlags::GSS_C_DELEG_FLAG;
        }
        let mech = match config.mech {
            Mech::Krb5 => GSS_MECH_KRB5,
            Mech::Spnego => GSS_MECH_SPNEGO,
        };
        let ctx = ClientCtx::new(Some(cred.clone()), name, flags, Some(mech));
        Ok(ClientContext {
            ctx,
            spn,
            cred,
            bindings: None,
            sent_first: false,
        })
    }

    /// Channel bindings for HTTPS (`tls-server-end-point:` + certificate hash, RFC 5929); set
    /// before the first `step`.
    pub fn set_channel_bindings(&mut self, application_data: Vec<u8>) {
        self.bindings = Some(application_data);
    }

    /// Feed the server's token (`None` first); returns the token to send, if any.
    pub fn step(&mut self, token: Option<&[u8]>) -> Result<Option<Vec<u8>>> {
        if self.ctx.is_complete() {
            return Ok(None);
        }
        if self.sent_first && token.is_none_or(|t| t.is_empty()) {
            return Err(no_mutual_token(&self.spn));
        }
        let out = self
            .ctx
            .step(token, self.bindings.as_deref())
            .map_err(|e| gss_failure("authentication", &self.spn, &e))?;
        self.sent_first = true;
        Ok(out.map(|b| b.to_vec()))
    }

    /// Whether mutual authentication has completed.
    pub fn is_complete(&self) -> bool {
        self.ctx.is_complete()
    }

    /// Seconds the ticket behind this context is still valid.
    pub fn ticket_lifetime_secs(&self) -> u64 {
        self.cred.lifetime().map(|d| d.as_secs()).unwrap_or(0)
    }

    /// The sealing session; only after mutual authentication with confidentiality.
    pub fn into_session(self) -> Result<KerberosSession> {
        if !self.ctx.is_complete() {
            return Err(no_mutual_token(&self.spn));
        }
        let flags = self
            .ctx
            .flags()
            .map_err(|e| gss_failure("context query", &self.spn, &e))?;
        let needed = CtxFlags::GSS_C_MUTUAL_FLAG | CtxFlags::GSS_C_CONF_FLAG;
        if !flags.contains(needed) {
            return Err(Error::new(
                ErrorKind::Auth,
                format!(
                    "kerberos context with {} lacks mutual authentication or confidentiality; \
                     refusing to send messages over it",
                    self.spn
                ),
            ));
        }
        Ok(KerberosSession::client(self.ctx, self.spn))
    }
}

fn initiator_cred() -> std::result::Result<Cred, libgssapi::error::Error> {
    let mut mechs = OidSet::new();
    mechs.add(GSS_MECH_KRB5)?;
    Cred::acquire(None, None, CredUsage::Initiate, Some(&mechs))
}

fn no_mutual_token(spn: &str) -> Error {
    Error::new(
        ErrorKind::Auth,
        format!(
            "kerberos mutual authentication with {spn} did not complete: the host's reply \
             carried no WWW-Authenticate token"
        ),
    )
}

/// Whether a usable ticket for a target exists, and why (for `--auth negotiate` and `-v`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketStatus {
    /// A service ticket for the SPN can be had from the cache (and the KDC).
    pub available: bool,
    /// Why, in one lowercase sentence.
    pub reason: String,
}

/// Try to build the first token for `config`: this reads the cache and may ask the KDC for the
/// service ticket, but sends nothing to the target host.
pub fn ticket_available(config: &KerberosConfig) -> TicketStatus {
    let spn = config.spn();
    let first = ClientContext::new(config.clone()).and_then(|mut c| {
        c.step(None)?;
        Ok(c.ticket_lifetime_secs())
    });
    match first {
        Ok(secs) => TicketStatus {
            available: true,
            reason: format!("a kerberos ticket for {spn} is available (valid {secs} s more)"),
        },
        Err(e) => TicketStatus {
            available: false,
            reason: e.to_string(),
        },
    }
}
