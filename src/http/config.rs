//! Settings of an [`super::HttpTransport`]: endpoint, authentication, TLS, limits and timeouts.
//!
//! The password lives only here (zeroized on drop) and is never shown by `Debug`.
//! What this module does not do: validate combinations (see `HttpTransport::connect_lazy`).

use std::fmt;
use std::time::Duration;

use zeroize::Zeroizing;

use super::endpoint::Endpoint;
use super::tls::TlsOptions;

/// Default connect timeout (`--connect-timeout`).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default read timeout (`--read-timeout`): above the 60 s OperationTimeout plus margin.
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(90);
/// Default response size limit (`--max-response-size`): 16 MiB.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

/// How to authenticate.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Auth {
    /// HTTP `Negotiate` carrying raw NTLMSSP (what Windows accepts from every non-Windows
    /// client); messages are sealed over HTTP. (The CLI's `--auth negotiate` picks
    /// [`Auth::Kerberos`] instead when a ticket for the target exists.)
    #[default]
    Negotiate,
    /// NTLM only, inside the `Negotiate` scheme (WinRM does not advertise `NTLM`).
    Ntlm,
    /// HTTP Basic (local accounts only); HTTPS unless `allow_unencrypted`.
    Basic,
    /// Kerberos from the ticket cache (`kinit`), no password; sealed over HTTP like NTLM. Needs
    /// the `kerberos` cargo feature: without it `HttpTransport::connect_lazy` refuses it.
    Kerberos(KerberosTarget),
}

/// Which service principal Kerberos authenticates to, and how (pure data; see
/// `kerberos::KerberosConfig` for the GSSAPI side).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KerberosTarget {
    /// SPN service class (`--spn-service`): `HTTP` when `None`; `host` and `WSMAN` also occur.
    pub spn_service: Option<String>,
    /// SPN host (`--spn-host`): the endpoint's host name when `None` (needed when connecting
    /// by IP address or through an alias).
    pub spn_host: Option<String>,
    /// Send an SPNEGO NegTokenInit inside `Negotiate` instead of the raw krb5 token (what
    /// pywinrm and Windows' own client send is the raw token; both are accepted by Windows).
    pub spnego: bool,
}

impl KerberosTarget {
    /// The SPN service class in use.
    pub fn service(&self) -> &str {
        self.spn_service.as_deref().unwrap_or("HTTP")
    }

    /// The SPN host in use for an endpoint host.
    pub fn host<'a>(&'a self, endpoint_host: &'a str) -> &'a str {
        self.spn_host.as_deref().unwrap_or(endpoint_host)
    }

    /// The SPN as `setspn -L` shows it: `service/host`.
    pub fn spn(&self, endpoint_host: &str) -> String {
        format!("{}/{}", self.service(), self.host(endpoint_host))
    }
}

/// Settings of an HTTP transport.
#[derive(Clone)]
pub struct HttpConfig {
    /// Where to connect.
    pub endpoint: Endpoint,
    /// Authentication scheme.
    pub auth: Auth,
    /// User name: `DOMAIN\user`, `user@domain` or `user`.
    pub user: String,
    password: Zeroizing<String>,
    /// TLS settings (HTTPS only).
    pub tls: TlsOptions,
    /// Allow Basic over plain HTTP (`--allow-unencrypted`); NTLM always seals over HTTP.
    pub allow_unencrypted: bool,
    /// TCP connect plus TLS handshake timeout (`--connect-timeout`).
    pub connect_timeout: Duration,
    /// Time allowed for one HTTP exchange, request to last response byte (`--read-timeout`).
    pub read_timeout: Duration,
    /// Largest response body accepted (`--max-response-size`).
    pub max_response_bytes: usize,
}

impl HttpConfig {
    /// Settings with defaults: Negotiate, system trust store, 30 s connect, 90 s read, 16 MiB.
    pub fn new(endpoint: Endpoint, user: impl Into<String>, password: impl Into<String>) -> Self {
        HttpConfig {
            endpoint,
            auth: Auth::Negotiate,
            user: user.into(),
            password: Zeroizing::new(password.into()),
            tls: TlsOptions::default(),
            allow_unencrypted: false,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            read_timeout: DEFAULT_READ_TIMEOUT,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
        }
    }

    /// Replace the password.
    pub fn set_password(&mut self, password: impl Into<String>) {
        self.password = Zeroizing::new(password.into());
    }

    pub(crate) fn password(&self) -> &str {
        &self.password
    }
}

impl fmt::Debug for HttpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpConfig")
            .field("endpoint", &self.endpoint)
            .field("auth", &self.auth)
            .field("user", &self.user)
            .field("password", &"<redacted>")
            .field("tls", &self.tls)
            .field("allow_unencrypted", &self.allow_unencrypted)
            .field("connect_timeout", &self.connect_timeout)
            .field("read_timeout", &self.read_timeout)
            .field("max_response_bytes", &self.max_response_bytes)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_password_and_defaults_hold() {
        let ep = Endpoint::parse("hv01", false).ok();
        let Some(ep) = ep else { panic!("endpoint") };
        let mut cfg = HttpConfig::new(ep, "CORP\\admin", "s3cret-pw");
        assert!(!format!("{cfg:?}").contains("s3cret-pw"));
        assert!(cfg.read_timeout > Duration::from_secs(60));
        assert_eq!(cfg.max_response_bytes, 16 << 20);
        cfg.set_password("other");
        assert_eq!(cfg.password(), "other");
        let k = KerberosTarget::default();
        assert_eq!(k.spn("hv01.corp.example"), "HTTP/hv01.corp.example");
        let k = KerberosTarget {
            spn_service: Some("host".into()),
            spn_host: Some("hv01.hvlab.test".into()),
            spnego: false,
        };
        assert_eq!(k.spn("127.0.0.1"), "host/hv01.hvlab.test");
    }
}
