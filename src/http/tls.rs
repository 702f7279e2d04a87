//! TLS for HTTPS endpoints (port 5986): rustls client configuration, certificate-error
//! messages, RFC 5929 channel bindings, and a self-signed server helper for the simulator.
//!
//! * Trust: the system store (rustls-native-certs) unless `--cacert` files are given, which then
//!   replace it; `--insecure` ([`TlsOptions::danger_accept_invalid_certs`]) skips certificate
//!   checks but still verifies the handshake signatures.
//! * SNI/name check: the endpoint host, or `--tls-server-name` when connecting by IP.
//! * Channel bindings (winrm-wire.md §3.6, RFC 5929 §4.1): `tls-server-end-point:` ‖ H(leaf DER)
//!   where H is SHA-256 for MD5/SHA-1/unknown signature hashes, else the signature's own hash.
//!
//! What this module does not do: open sockets (see `http::client`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use sha2::Digest;

use crate::error::{Error, ErrorKind};

/// TLS settings of a connection.
#[derive(Debug, Clone, Default)]
pub struct TlsOptions {
    /// PEM files with trusted CA (or host) certificates; replace the system store when given.
    pub cacert: Vec<PathBuf>,
    /// Accept any certificate (`--insecure`). Dangerous: allows a man in the middle.
    pub danger_accept_invalid_certs: bool,
    /// Name to send in SNI and check against the certificate instead of the host.
    pub tls_server_name: Option<String>,
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn tls_err(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::Tls, msg)
}

/// Build the rustls client configuration for `opts`.
pub fn client_config(opts: &TlsOptions) -> Result<Arc<rustls::ClientConfig>, Error> {
    let builder = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_err(format!("cannot set up tls: {e}")))?;
    let config = if opts.danger_accept_invalid_certs {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(DangerAcceptAny(provider())))
            .with_no_client_auth()
    } else {
        builder
            .with_root_certificates(root_store(&opts.cacert)?)
            .with_no_client_auth()
    };
    Ok(Arc::new(config))
}

fn root_store(cacert: &[PathBuf]) -> Result<rustls::RootCertStore, Error> {
    let mut roots = rustls::RootCertStore::empty();
    if cacert.is_empty() {
        let found = rustls_native_certs::load_native_certs();
        roots.add_parsable_certificates(found.certs);
        return Ok(roots);
    }
    for path in cacert {
        let certs = read_pem_certs(path)?;
        for cert in certs {
            roots.add(cert).map_err(|e| {
                tls_err(format!(
                    "--cacert {}: unusable certificate: {e}",
                    path.display()
                ))
            })?;
        }
    }
    Ok(roots)
}

fn read_pem_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, Error> {
    let bytes = std::fs::read(path).map_err(|e| {
        Error::new(
            ErrorKind::Io,
            format!("cannot read --cacert {}: {e}", path.display()),
        )
    })?;
    let certs: Vec<_> = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<_, _>>()
        .map_err(|e| tls_err(format!("--cacert {}: bad pem: {e:?}", path.display())))?;
    if certs.is_empty() {
        return Err(tls_err(format!(
            "--cacert {}: no certificate found",
            path.display()
        )));
    }
    Ok(certs)
}

/// The name used for SNI and certificate checking.
pub fn server_name(host: &str, opts: &TlsOptions) -> Result<ServerName<'static>, Error> {
    let name = opts.tls_server_name.as_deref().unwrap_or(host);
    ServerName::try_from(name.to_string()).map_err(|_| {
        Error::new(
            ErrorKind::Usage,
            format!("invalid tls server name {name:?}"),
        )
    })
}

/// Turn a failed TLS handshake into an error that says what to do about it.
pub fn handshake_error(err: std::io::Error, authority: &str) -> Error {
    use rustls::CertificateError as C;
    let cert_error = match err
        .get_ref()
        .and_then(|e| e.downcast_ref::<rustls::Error>())
    {
        Some(rustls::Error::InvalidCertificate(c)) => Some(c.clone()),
        _ => None,
    };
    let wrong_name = matches!(
        cert_error,
        Some(C::NotValidForName | C::NotValidForNameContext { .. })
    );
    let msg = if wrong_name {
        format!(
            "tls certificate of {authority} does not name the host you connected to ({err}); connect by \
             the name in the certificate, pass --tls-server-name <name>, or --insecure to skip certificate checks"
        )
    } else if cert_error.is_some() {
        format!(
            "tls certificate of {authority} was rejected ({err}); pass --cacert <pem file> with the \
             host's CA or certificate, or --insecure to skip certificate checks"
        )
    } else {
        format!("tls handshake with {authority} failed: {err}")
    };
    tls_err(msg).with_source(err)
}

/// The hash RFC 5929 prescribes for a certificate's `tls-server-end-point` binding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CertHash {
    /// SHA-256 (also for MD5, SHA-1 and unknown signature hashes).
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

/// Pick the binding hash from the certificate's signature algorithm.
pub fn binding_hash(cert_der: &[u8]) -> Result<CertHash, Error> {
    use x509_parser::signature_algorithm::SignatureAlgorithm;
    let (_, cert) = x509_parser::parse_x509_certificate(cert_der)
        .map_err(|e| tls_err(format!("cannot parse the server certificate: {e}")))?;
    let alg = &cert.signature_algorithm;
    let oid = match SignatureAlgorithm::try_from(alg) {
        Ok(SignatureAlgorithm::RSASSA_PSS(p)) => p.hash_algorithm_oid().to_id_string(),
        _ => alg.algorithm.to_id_string(),
    };
    Ok(match oid.as_str() {
        // sha384WithRSA, ecdsa-with-SHA384, id-sha384 (PSS)
        "1.2.840.113549.1.1.12" | "1.2.840.10045.4.3.3" | "2.16.840.1.101.3.4.2.2" => {
            CertHash::Sha384
        }
        "1.2.840.113549.1.1.13" | "1.2.840.10045.4.3.4" | "2.16.840.1.101.3.4.2.3" => {
            CertHash::Sha512
        }
        _ => CertHash::Sha256,
    })
}

/// Channel-binding application data: `tls-server-end-point:` ‖ H(leaf certificate DER).
pub fn channel_binding_data(cert_der: &[u8]) -> Result<Vec<u8>, Error> {
    let hash = match binding_hash(cert_der)? {
        CertHash::Sha256 => sha2::Sha256::digest(cert_der).to_vec(),
        CertHash::Sha384 => sha2::Sha384::digest(cert_der).to_vec(),
        CertHash::Sha512 => sha2::Sha512::digest(cert_der).to_vec(),
    };
    let mut out = b"tls-server-end-point:".to_vec();
    out.extend_from_slice(&hash);
    Ok(out)
}

/// `--insecure`: accepts any certificate, still checks handshake signatures.
#[derive(Debug)]
struct DangerAcceptAny(Arc<CryptoProvider>);

impl ServerCertVerifier for DangerAcceptAny {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algs = &self.0.signature_verification_algorithms;
        rustls::crypto::verify_tls12_signature(message, cert, dss, algs)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algs = &self.0.signature_verification_algorithms;
        rustls::crypto::verify_tls13_signature(message, cert, dss, algs)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// A generated self-signed server certificate (simulator and tests). `Debug` hides the key.
pub struct SelfSigned {
    /// Certificate, DER.
    pub cert_der: Vec<u8>,
    /// Certificate, PEM.
    pub cert_pem: String,
    key_der: zeroize::Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for SelfSigned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SelfSigned")
            .field("cert_der_len", &self.cert_der.len())
            .finish()
    }
}

impl SelfSigned {
    /// Generate an ECDSA certificate for `names` (DNS names or IP addresses) signed with
    /// SHA-256 (P-256) or SHA-384 (P-384).
    pub fn generate(names: &[String], hash: CertHash) -> Result<SelfSigned, Error> {
        let alg = match hash {
            CertHash::Sha384 => &rcgen::PKCS_ECDSA_P384_SHA384,
            _ => &rcgen::PKCS_ECDSA_P256_SHA256,
        };
        let fail = |e: rcgen::Error| tls_err(format!("cannot generate a certificate: {e}"));
        let key = rcgen::KeyPair::generate_for(alg).map_err(fail)?;
        let mut params = rcgen::CertificateParams::new(names.to_vec()).map_err(fail)?;
        params.distinguished_name = rcgen::DistinguishedName::new();
        params.distinguished_name.push(
            rcgen::DnType::CommonName,
            names.first().map_or("hvremote", |n| n.as_str()),
        );
        let cert = params.self_signed(&key).map_err(fail)?;
        Ok(SelfSigned {
            cert_der: cert.der().to_vec(),
            cert_pem: cert.pem(),
            key_der: zeroize::Zeroizing::new(key.serialize_der()),
        })
    }

    /// A rustls server configuration presenting this certificate (HTTP/1.1 only).
    pub fn server_config(&self) -> Result<Arc<rustls::ServerConfig>, Error> {
        let key = PrivateKeyDer::try_from(self.key_der.to_vec())
            .map_err(|e| tls_err(format!("unusable private key: {e}")))?;
        let cert = CertificateDer::from(self.cert_der.clone());
        let config = rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| tls_err(format!("cannot set up tls: {e}")))?
            .with_no_client_auth()
            .with_single_cert(vec![cert], key)
            .map_err(|e| tls_err(format!("cannot use the generated certificate: {e}")))?;
        Ok(Arc::new(config))
    }

    /// Write the certificate PEM (for the client's `--cacert`).
    pub fn write_pem(&self, path: &Path) -> Result<(), Error> {
        std::fs::write(path, &self.cert_pem).map_err(|e| {
            Error::new(
                ErrorKind::Io,
                format!("cannot write {}: {e}", path.display()),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert(hash: CertHash) -> SelfSigned {
        match SelfSigned::generate(&["localhost".into(), "127.0.0.1".into()], hash) {
            Ok(c) => c,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn binding_hash_follows_signature() {
        let c256 = cert(CertHash::Sha256);
        let c384 = cert(CertHash::Sha384);
        assert_eq!(binding_hash(&c256.cert_der).ok(), Some(CertHash::Sha256));
        assert_eq!(binding_hash(&c384.cert_der).ok(), Some(CertHash::Sha384));
        let data = channel_binding_data(&c384.cert_der).unwrap_or_default();
        assert_eq!(data.len(), 21 + 48);
        assert!(data.starts_with(b"tls-server-end-point:"));
        assert_eq!(&data[21..], &sha2::Sha384::digest(&c384.cert_der)[..]);
        assert!(binding_hash(b"not a certificate").is_err());
    }

    #[test]
    fn configs_build() {
        let c = cert(CertHash::Sha256);
        assert!(c.server_config().is_ok());
        assert!(!format!("{c:?}").contains("key"));
        let dir = tempfile::tempdir().ok();
        let path = dir
            .as_ref()
            .map(|d| d.path().join("ca.pem"))
            .unwrap_or_default();
        assert!(c.write_pem(&path).is_ok());
        let opts = TlsOptions {
            cacert: vec![path],
            ..Default::default()
        };
        assert!(client_config(&opts).is_ok());
        let insecure = TlsOptions {
            danger_accept_invalid_certs: true,
            ..Default::default()
        };
        assert!(client_config(&insecure).is_ok());
    }

    #[test]
    fn bad_cacert_files_are_reported() {
        let missing = TlsOptions {
            cacert: vec!["/nonexistent/ca.pem".into()],
            ..Default::default()
        };
        assert_eq!(
            client_config(&missing).err().map(|e| e.kind()),
            Some(ErrorKind::Io)
        );
        let dir = tempfile::tempdir().ok();
        let path = dir
            .as_ref()
            .map(|d| d.path().join("x.pem"))
            .unwrap_or_default();
        let _ = std::fs::write(&path, "hello");
        let empty = TlsOptions {
            cacert: vec![path],
            ..Default::default()
        };
        let msg = client_config(&empty)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(msg.contains("no certificate"), "{msg}");
    }

    #[test]
    fn server_name_override() {
        let opts = TlsOptions {
            tls_server_name: Some("hv01.corp".into()),
            ..Default::default()
        };
        assert_eq!(
            server_name("10.0.0.1", &opts).ok(),
            ServerName::try_from("hv01.corp").ok()
        );
        assert!(server_name("bad name!", &TlsOptions::default()).is_err());
    }
}
