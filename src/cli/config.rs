//! Validated settings built from the raw command line ([`super::args`]) and the environment.
//!
//! Decides the endpoint URL (host, `host:port` or URL; `--https`; `--port`), refuses unsafe or
//! contradictory combinations (Basic over plain HTTP without `--allow-unencrypted`, TLS options
//! without HTTPS), and says where the password comes from. Reading the password itself is
//! [`super::password`]'s job. Nothing here touches the network.

use std::path::PathBuf;
use std::time::Duration;

use super::args::{AuthArg, GlobalArgs, OutputArg};
use crate::error::{Error, ErrorKind};

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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    /// `http(s)://host:port/wsman`.
    pub url: String,
    /// Host name (without port or brackets).
    pub host: String,
    /// Whether the URL is HTTPS.
    pub https: bool,
    /// User name.
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
    let (host, https, url) = endpoint_url(raw.trim(), g.https, g.port)?;
    let user = g
        .user
        .clone()
        .filter(|u| !u.is_empty())
        .ok_or_else(|| usage("no user given (use -u/--user or HVREMOTE_USER)"))?;
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
    })
}

fn secs(v: Option<u64>, default: Duration) -> Result<Duration, Error> {
    match v {
        None => Ok(default),
        Some(0) => Err(usage("timeouts must be at least one second")),
        Some(s) => Ok(Duration::from_secs(s)),
    }
}

/// Resolve `host`, `host:port`, `[v6]:port` or a URL into (host, https, url).
pub fn endpoint_url(
    raw: &str,
    https_flag: bool,
    port: Option<u16>,
) -> Result<(String, bool, String), Error> {
    let (scheme_https, rest) = if let Some(r) = strip_prefix_ci(raw, "https://") {
        (Some(true), r)
    } else if let Some(r) = strip_prefix_ci(raw, "http://") {
        (Some(false), r)
    } else if raw.contains("://") {
        return Err(usage(format!("unsupported url scheme in host '{raw}'")));
    } else {
        (None, raw)
    };
    let https = scheme_https.unwrap_or(false) || https_flag;
    if scheme_https == Some(false) && https_flag {
        return Err(usage("--https contradicts the http:// url given as host"));
    }
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/wsman"),
    };
    let (host, host_port) = split_host_port(authority)?;
    if host.is_empty() || host.chars().any(|c| c.is_whitespace() || "@?#".contains(c)) {
        return Err(usage(format!("invalid host '{raw}'")));
    }
    let port = port
        .or(host_port)
        .unwrap_or(if https { 5986 } else { 5985 });
    let shown = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.clone()
    };
    let scheme = if https { "https" } else { "http" };
    let path = if path == "/" { "/wsman" } else { path };
    Ok((host, https, format!("{scheme}://{shown}:{port}{path}")))
}

fn strip_prefix_ci<'a>(s: &'a str, p: &str) -> Option<&'a str> {
    let head = s.get(..p.len())?;
    head.eq_ignore_ascii_case(p).then(|| &s[p.len()..])
}

fn split_host_port(a: &str) -> Result<(String, Option<u16>), Error> {
    let bad_port = || usage(format!("invalid port in '{a}'"));
    if let Some(rest) = a.strip_prefix('[') {
        let end = rest
            .find(']')
            .ok_or_else(|| usage(format!("invalid host '{a}'")))?;
        let host = rest[..end].to_string();
        let tail = &rest[end + 1..];
        let port = match tail.strip_prefix(':') {
            Some(p) => Some(p.parse::<u16>().map_err(|_| bad_port())?),
            None if tail.is_empty() => None,
            None => return Err(usage(format!("invalid host '{a}'"))),
        };
        return Ok((host, port));
    }
    match a.matches(':').count() {
        0 => Ok((a.to_string(), None)),
        1 => {
            let (h, p) = a.split_once(':').unwrap_or((a, ""));
            Ok((
                h.to_string(),
                Some(p.parse::<u16>().map_err(|_| bad_port())?),
            ))
        }
        _ => Ok((a.to_string(), None)),
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
        let u = |h, s, p| endpoint_url(h, s, p).unwrap().2;
        assert_eq!(u("hv01", false, None), "http://hv01:5985/wsman");
        assert_eq!(u("hv01", true, None), "https://hv01:5986/wsman");
        assert_eq!(u("hv01:8080", false, None), "http://hv01:8080/wsman");
        assert_eq!(u("hv01:8080", false, Some(1)), "http://hv01:1/wsman");
        assert_eq!(
            u("https://hv01/wsman", false, None),
            "https://hv01:5986/wsman"
        );
        assert_eq!(u("[::1]:5985", false, None), "http://[::1]:5985/wsman");
        assert_eq!(u("::1", false, None), "http://[::1]:5985/wsman");
        assert!(endpoint_url("hv01:x", false, None).is_err());
        assert!(endpoint_url("ftp://hv01", false, None).is_err());
        assert!(endpoint_url("http://hv01", true, None).is_err());
        assert!(endpoint_url("", false, None).is_err());
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
        assert!(connection(&b, true).is_err());
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
