//! The acceptor side, for the simulated host (issue 9 item 5): a GSSAPI acceptor context over
//! the service keys of a keytab, answering the client's token with the mutual-auth token and
//! ending in the same [`KerberosSession`] type (kerberos.md §3.1 and §7).
//!
//! GSSAPI reads the acceptor keytab from `KRB5_KTNAME` (or krb5.conf `default_keytab_name`);
//! libgssapi 0.11 has no `gss_acquire_cred_from`, and this crate forbids `unsafe` (so it cannot
//! set the variable itself). [`Acceptor::new`] therefore checks that a requested keytab is the one
//! the process environment names. Any SPN in the keytab is accepted. What it does not do: HTTP.

use std::path::Path;

use libgssapi::context::{SecurityContext, ServerCtx};
use libgssapi::credential::{Cred, CredUsage};

use super::gss_error::gss_failure;
use super::session::KerberosSession;
use crate::error::{Error, ErrorKind, Result};

/// One acceptor context (one per client connection).
pub struct Acceptor {
    ctx: ServerCtx,
    bindings: Option<Vec<u8>>,
}

impl std::fmt::Debug for Acceptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Acceptor")
            .field("complete", &self.ctx.is_complete())
            .finish_non_exhaustive()
    }
}

impl Acceptor {
    /// An acceptor over `keytab` (must be the process's `KRB5_KTNAME`) or the default keytab.
    pub fn new(keytab: Option<&Path>) -> Result<Self> {
        if let Some(path) = keytab {
            check_keytab_env(path, std::env::var("KRB5_KTNAME").ok().as_deref())?;
        }
        let cred = Cred::acquire(None, None, CredUsage::Accept, None)
            .map_err(|e| gss_failure("acceptor credential lookup", "the keytab", &e))?;
        Ok(Acceptor {
            ctx: ServerCtx::new(Some(cred)),
            bindings: None,
        })
    }

    /// Channel-binding application data of a TLS listener (`tls-server-end-point:` ‖ hash):
    /// MIT then refuses a client whose authenticator carries different bindings, and accepts a
    /// client that sends none (set before the first `step`).
    pub fn set_channel_bindings(&mut self, application_data: Vec<u8>) {
        self.bindings = Some(application_data);
    }

    /// Feed the client's token; returns the token for the 200's `WWW-Authenticate`, if any.
    pub fn step(&mut self, token: &[u8]) -> Result<Option<Vec<u8>>> {
        let out = self
            .ctx
            .step(token, self.bindings.as_deref())
            .map_err(|e| gss_failure("acceptance", "this service", &e))?;
        Ok(out.map(|b| b.to_vec()))
    }

    /// Whether the context is established.
    pub fn is_complete(&self) -> bool {
        self.ctx.is_complete()
    }

    /// The authenticated client principal, e.g. `hvadmin@HVLAB.TEST`.
    pub fn client_name(&self) -> Result<String> {
        let name = self
            .ctx
            .source_name()
            .map_err(|e| gss_failure("context query", "this service", &e))?;
        Ok(name.to_string())
    }

    /// The sealing session, once the context is established.
    pub fn into_session(self) -> Result<KerberosSession> {
        if !self.ctx.is_complete() {
            return Err(Error::new(
                ErrorKind::Auth,
                "kerberos acceptor context is not established yet",
            ));
        }
        let target = self
            .ctx
            .target_name()
            .map(|n| n.to_string())
            .unwrap_or_else(|_| "this service".to_string());
        Ok(KerberosSession::server(self.ctx, target))
    }
}

fn check_keytab_env(path: &Path, env: Option<&str>) -> Result<()> {
    let named = env.map(|v| v.strip_prefix("FILE:").unwrap_or(v));
    if named.map(Path::new) == Some(path) {
        return Ok(());
    }
    Err(Error::new(
        ErrorKind::Usage,
        format!(
            "the kerberos acceptor reads its keytab from KRB5_KTNAME; start the simulated host \
             with KRB5_KTNAME=FILE:{} (it is {})",
            path.display(),
            env.unwrap_or("unset")
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keytab_must_match_the_environment() {
        let p = Path::new("/tmp/lab/http.keytab");
        assert!(check_keytab_env(p, Some("FILE:/tmp/lab/http.keytab")).is_ok());
        assert!(check_keytab_env(p, Some("/tmp/lab/http.keytab")).is_ok());
        let e = check_keytab_env(p, None).err();
        assert_eq!(e.as_ref().map(|e| e.kind()), Some(ErrorKind::Usage));
        assert!(
            e.map(|e| e.to_string())
                .unwrap_or_default()
                .contains("KRB5_KTNAME=FILE:/tmp/lab")
        );
        assert!(check_keytab_env(p, Some("FILE:/other")).is_err());
    }
}
