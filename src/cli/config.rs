//! Validated settings built from the raw command line ([`super::args`]) and the environment.
//!
//! Decides the endpoint URL (`http::Endpoint`: host, `host:port` or URL; `--https`; `--port`),
//! refuses unsafe or contradictory combinations (Basic over plain HTTP without `--allow-unencrypted`, TLS options
//! without HTTPS), and says where the password comes from. Reading the password itself is
//! [`super::password`]'s job. Nothing here touches the network.

use std::path::PathBuf;
use std::time::Duration;

use super::args::{AuthArg, GlobalArgs, OutputArg};
use crate::error::{Error, ErrorKind};
use crate::http::Endpoint;

/// Where the password comes from (never a flag value).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordSource {
    /// `HVREMOTE_PASSWORD`.
    Env,
    /// First line of stdin (`--password-stdin`).
    Stdin,
    /// A no-echo prompt on the terminal.
    Prompt,
}

/// TLS choices.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsOptions {
    /// Skip certificate verification (dangerous).
    pub danger_insecure: bool,
    /// Extra CA certificates (PEM).
    pub cacert: Option<PathBuf>,
    /// Name to verify instead of the host.
    pub server_name: Option<String>,
}

/// Validated connection settings.
#[derive(Debug, Clone)]
pub struct Connection {
    /// `http(s)://host:port/wsman`.
    pub url: String,
    /// The parsed endpoint.
    pub endpoint: Endpoint,
    /// Host name (without port or brackets).
    pub host: String,
    /// Whether the URL is HTTPS.
    pub https: bool,
    /// User name (empty when Kerberos may authenticate without one).
    pub user: String,
    /// Where the password comes from.
    pub password: PasswordSource,
    /// Authentication scheme.
    pub auth: AuthArg,
    /// TLS options.
    pub tls: TlsOptions,
    /// Permit unsealed HTTP / Basic over HTTP.
    pub danger_allow_unencrypted: bool,
    /// WS-Man OperationTimeout.
    pub operation_timeout: Duration,
    /// Connect timeout.
    pub connect_timeout: Duration,
    /// Read timeout.
    pub read_timeout: Duration,
    /// Largest accepted response.
    pub max_response_size: usize,
    /// Kerberos SPN overrides (`--spn-service`, `--spn-host`).
    pub kerberos: crate::http::KerberosTarget,
}

/// Output settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputSettings {
    /// Format.
    pub format: OutputArg,
    /// `-q`.
    pub quiet: bool,
    /// `-v` count.
    pub verbose: u8,
}

/// Default WS-Man OperationTimeout.
pub const DEFAULT_OPERATION_TIMEOUT: Duration = Duration::from_secs(60);
/// Default largest response (bytes).
pub const DEFAULT_MAX_RESPONSE: usize = 64 * 1024 * 1024;

/// Output settings from the global flags.
pub fn output_settings(g: &GlobalArgs) -> OutputSettings {
    OutputSettings {
        format: g.output,
        quiet: g.quiet,
        verbose: g.verbose,
    }
}

/// Why `--auth kerberos` is refused, and how to get a build that has it.
#[cfg(not(feature = "kerberos"))]
pub const KERBEROS_UNAVAILABLE: &str = "kerberos support is not in this build: rebuild with `cargo build --release --features kerberos` (needs the system GSSAPI: libkrb5-dev, libclang-dev and pkg-config on Debian/Ubuntu; krb5-devel and clang-devel on Fedora/RHEL)";

/// Whether this build can authenticate with Kerberos (`--features kerberos`).
pub const KERBEROS_BUILT: bool = cfg!(feature = "kerberos");

/// Check `--spn-service` / `--spn-host` and build the Kerberos target from them.
fn kerberos_target(g: &GlobalArgs) -> Result<crate::http::KerberosTarget, Error> {
    for (flag, value) in [
        ("--spn-service", &g.spn_service),
        ("--spn-host", &g.spn_host),
    ] {
        let Some(v) = value else { continue };
        let bad = v.is_empty()
            || v.chars()
                .any(|c| c == '@' || c == '/' || c.is_whitespace() || c.is_control());
        if bad {
            return Err(usage(format!(
                "invalid {flag} {v:?}: it must be non-empty without '@', '/' or spaces"
            )));
        }
        if matches!(g.auth, AuthArg::Ntlm | AuthArg::Basic) {
            return Err(usage(format!(
                "{flag} applies to kerberos only (--auth kerberos or negotiate)"
            )));
        }
    }
    Ok(crate::http::KerberosTarget {
        spn_service: g.spn_service.clone(),
        spn_host: g.spn_host.clone(),
        spnego: false,
    })
}

/// The error when NTLM or Basic needs a user and none was given.
pub const NO_USER: &str = "no user given (use -u/--user or HVREMOTE_USER)";

fn usage(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::Usage, msg)
}

/// Validate the connection flags; `password_env_set` tells whether `HVREMOTE_PASSWORD` exists.
pub fn connection(g: &GlobalArgs, password_env_set: bool) -> Result<Connection, Error> {
    let raw = g
        .host
        .as_deref()
        .filter(|h| !h.trim().is_empty())
        .ok_or_else(|| usage("no host given (use -H/--host or HVREMOTE_HOST)"))?;
    let mut endpoint = Endpoint::parse(raw, g.https)?;
    if let Some(p) = g.port {
        endpoint.port = p;
    }
    let (https, url, host) = (endpoint.is_https(), endpoint.url(), endpoint.host.clone());
    #[cfg(not(feature = "kerberos"))]
    if g.auth == AuthArg::Kerberos {
        return Err(usage(KERBEROS_UNAVAILABLE));
    }
    // Kerberos needs no user; negotiate may pick it (decided when connecting, see `connect`).
    let user_optional =
        g.auth == AuthArg::Kerberos || (KERBEROS_BUILT && g.auth == AuthArg::Negotiate);
    let user = match g.user.clone().filter(|u| !u.is_empty()) {
        Some(u) => u,
        None if user_optional => String::new(),
        None => return Err(usage(NO_USER)),
    };
    let kerberos = kerberos_target(g)?;
    if g.auth == AuthArg::Basic && !https && !g.allow_unencrypted {
        return Err(usage(
            "basic authentication over plain http sends the password in clear text; use --https or --allow-unencrypted",
        ));
    }
    if !https && (g.insecure || g.cacert.is_some() || g.tls_server_name.is_some()) {
        return Err(usage(
            "--insecure, --cacert and --tls-server-name need --https",
        ));
    }
    let password = if g.password_stdin {
        PasswordSource::Stdin
    } else if password_env_set {
        PasswordSource::Env
    } else {
        PasswordSource::Prompt
    };
    Ok(Connection {
        url,
        endpoint,
        host,
        https,
        user,
        password,
        auth: g.auth,
        tls: TlsOptions {
            danger_insecure: g.insecure,
            cacert: g.cacert.clone(),
            server_name: g.tls_server_name.clone(),
        },
        danger_allow_unencrypted: g.allow_unencrypted,
        operation_timeout: secs(g.operation_timeout, DEFAULT_OPERATION_TIMEOUT)?,
        connect_timeout: secs(g.connect_timeout, Duration::from_secs(30))?,
        read_timeout: secs(g.read_timeout, Duration::from_secs(120))?,
        max_response_size: g.max_response_size.unwrap_or(DEFAULT_MAX_RESPONSE),
        kerberos,
    })
}

/// A bound from its flag: at least 1, else the default.
pub(crate) fn at_least_one(v: Option<usize>, flag: &str, default: usize) -> Result<usize, Error> {
    match v {
        None => Ok(default),
        Some(0) => Err(usage(format!("{flag} must be at least 1"))),
        Some(n) => Ok(n),
    }
}

fn secs(v: Option<u64>, default: Duration) -> Result<Duration, Error> {
    match v {
        None => Ok(default),
        Some(0) => Err(usage("timeouts must be at least one second")),
        Some(s) => Ok(Duration::from_secs(s)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(host: &str) -> GlobalArgs {
        GlobalArgs {
            host: Some(host.into()),
            user: Some("admin".into()),
            ..Default::default()
        }
    }

    #[test]
    fn endpoint_forms() {
        let u = |h: &str, https: bool, port: Option<u16>| {
            let mut a = g(h);
            a.https = https;
            a.port = port;
            connection(&a, true).map(|c| c.url)
        };
        assert_eq!(u("hv01", false, None).unwrap(), "http://hv01:5985/wsman");
        assert_eq!(u("hv01", true, None).unwrap(), "https://hv01:5986/wsman");
        assert_eq!(
            u("hv01:8080", false, None).unwrap(),
            "http://hv01:8080/wsman"
        );
        assert_eq!(
            u("hv01:8080", false, Some(1)).unwrap(),
            "http://hv01:1/wsman"
        );
        assert!(u("ftp://hv01", false, None).is_err());
        assert!(u("http://hv01", true, None).is_err());
    }

    #[test]
    fn basic_over_http_is_refused() {
        let mut a = g("hv01");
        a.auth = AuthArg::Basic;
        assert_eq!(connection(&a, true).unwrap_err().kind(), ErrorKind::Usage);
        a.allow_unencrypted = true;
        assert!(connection(&a, true).is_ok());
        a.allow_unencrypted = false;
        a.https = true;
        assert!(connection(&a, true).is_ok());
    }

    #[test]
    fn password_source_and_required_fields() {
        assert_eq!(
            connection(&g("hv01"), true).unwrap().password,
            PasswordSource::Env
        );
        assert_eq!(
            connection(&g("hv01"), false).unwrap().password,
            PasswordSource::Prompt
        );
        let mut a = g("hv01");
        a.password_stdin = true;
        assert_eq!(
            connection(&a, true).unwrap().password,
            PasswordSource::Stdin
        );
        a.host = None;
        assert_eq!(connection(&a, true).unwrap_err().kind(), ErrorKind::Usage);
        let mut b = g("hv01");
        b.user = None;
        b.auth = AuthArg::Ntlm;
        assert!(connection(&b, true).is_err());
        // negotiate may pick kerberos (no user needed) only in a kerberos build.
        b.auth = AuthArg::Negotiate;
        assert_eq!(connection(&b, true).is_ok(), KERBEROS_BUILT);
    }

    #[test]
    fn kerberos_flags() {
        let mut a = g("127.0.0.1");
        a.user = None;
        a.auth = AuthArg::Kerberos;
        a.spn_service = Some("host".into());
        a.spn_host = Some("hv01.hvlab.test".into());
        match (connection(&a, false), KERBEROS_BUILT) {
            (Ok(c), true) => {
                assert_eq!(c.kerberos.spn(&c.host), "host/hv01.hvlab.test");
                assert!(c.user.is_empty());
            }
            (Err(e), false) => {
                assert_eq!(e.kind(), ErrorKind::Usage);
                assert!(e.to_string().contains("--features kerberos"), "{e}");
            }
            (other, built) => panic!("kerberos build {built}: {other:?}"),
        }
        a.spn_service = Some("HTTP/x".into());
        assert_eq!(connection(&a, false).unwrap_err().kind(), ErrorKind::Usage);
        let mut n = g("hv01");
        n.auth = AuthArg::Ntlm;
        n.spn_host = Some("hv01.corp.example".into());
        let e = connection(&n, true).unwrap_err();
        assert!(e.to_string().contains("kerberos only"), "{e}");
    }

    #[test]
    fn tls_flags_need_https() {
        let mut a = g("hv01");
        a.insecure = true;
        assert!(connection(&a, true).is_err());
        a.https = true;
        assert!(connection(&a, true).unwrap().tls.danger_insecure);
        a.operation_timeout = Some(0);
        assert!(connection(&a, true).is_err());
    }
}
