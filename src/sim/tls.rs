//! HTTPS for the simulated listener (edge tier: generates a key, may write a file).
//!
//! What it does: [`SimTls`] holds a generated self-signed certificate (via
//! `http::tls::SelfSigned`, ECDSA P-256/SHA-256), the rustls server configuration presenting it,
//! and the certificate's RFC 5929 `tls-server-end-point` channel-binding application data, which
//! the listener hands to the NTLM acceptor so a client's MsvAvChannelBindings must match
//! (winrm-wire.md §1.5, §3.6). The PEM can be written to a file for the client's `--cacert`.
//!
//! Policy: the simulator behaves like `CbtHardeningLevel=Strict` over HTTPS: NTLM without
//! channel bindings, or with bindings of another channel, is refused with 401.
//! What it does not do: load an existing certificate, client certificates, HTTP/2.

use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpStream;
use tokio_rustls::server::TlsStream;

use crate::error::Error;
use crate::http::tls::{CertHash, SelfSigned, channel_binding_data};

/// How long a client may take to finish the TLS handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The listener's TLS identity. `Debug` shows no key material.
#[derive(Clone)]
pub struct SimTls {
    config: Arc<rustls::ServerConfig>,
    cert_pem: String,
    cert_der: Vec<u8>,
    bindings: Vec<u8>,
}

impl fmt::Debug for SimTls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimTls")
            .field("cert_der_len", &self.cert_der.len())
            .finish_non_exhaustive()
    }
}

/// Names a loopback certificate carries: `localhost`, `127.0.0.1`, `::1`.
pub fn loopback_names() -> Vec<String> {
    vec!["localhost".into(), "127.0.0.1".into(), "::1".into()]
}

impl SimTls {
    /// Generate a self-signed certificate for `names` (DNS names or IP addresses); when
    /// `pem_out` is given, write the certificate PEM there (for `--cacert`).
    pub fn generate(names: &[String], pem_out: Option<&Path>) -> Result<SimTls, Error> {
        let cert = SelfSigned::generate(names, CertHash::Sha256)?;
        if let Some(path) = pem_out {
            cert.write_pem(path)?;
        }
        SimTls::from_cert(&cert)
    }

    /// Use an already generated certificate.
    pub fn from_cert(cert: &SelfSigned) -> Result<SimTls, Error> {
        Ok(SimTls {
            config: cert.server_config()?,
            cert_pem: cert.cert_pem.clone(),
            cert_der: cert.cert_der.clone(),
            bindings: channel_binding_data(&cert.cert_der)?,
        })
    }

    /// The certificate, PEM.
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// The certificate, DER.
    pub fn cert_der(&self) -> &[u8] {
        &self.cert_der
    }

    /// `tls-server-end-point:` ‖ H(certificate): what a client's bindings must hash.
    pub fn channel_bindings(&self) -> &[u8] {
        &self.bindings
    }

    /// A tokio-rustls acceptor presenting the certificate.
    pub fn acceptor(&self) -> tokio_rustls::TlsAcceptor {
        tokio_rustls::TlsAcceptor::from(Arc::clone(&self.config))
    }

    /// Run the server side of the handshake on `tcp`, within [`HANDSHAKE_TIMEOUT`]; `None`
    /// when it fails or times out.
    pub async fn accept(&self, tcp: TcpStream) -> Option<TlsStream<TcpStream>> {
        let handshake = tokio::time::timeout(HANDSHAKE_TIMEOUT, self.acceptor().accept(tcp));
        handshake.await.ok()?.ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generates_bindings_and_writes_pem() {
        let dir = tempfile::tempdir().ok();
        let path = dir
            .as_ref()
            .map(|d| d.path().join("sim.pem"))
            .unwrap_or_default();
        let tls = SimTls::generate(&loopback_names(), Some(&path));
        let Ok(tls) = tls else {
            panic!("generate failed")
        };
        let written = std::fs::read_to_string(&path).unwrap_or_default();
        assert_eq!(written, tls.cert_pem());
        assert!(written.starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(tls.channel_bindings().starts_with(b"tls-server-end-point:"));
        assert_eq!(tls.channel_bindings().len(), 21 + 32);
        assert!(!format!("{tls:?}").contains("BEGIN"));
    }

    #[test]
    fn unwritable_pem_path_is_an_error() {
        let bad = Path::new("/nonexistent-dir/x/sim.pem");
        let err = SimTls::generate(&loopback_names(), Some(bad)).err();
        assert!(err.is_some_and(|e| e.to_string().contains("sim.pem")));
    }
}
