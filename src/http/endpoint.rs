//! Where to connect: parse the `--host` argument into an [`Endpoint`].
//!
//! Accepted forms: `host`, `host:port`, `[v6]`, `[v6]:port`, a bare IPv6 address, and
//! `http(s)://host[:port][/path]`. Default ports are 5985 (HTTP) and 5986 (HTTPS); the default
//! path is `/wsman` (the WinRM listener's URLPrefix, [MS-WSMV] 2.2.1 and winrm-wire.md §1.1a).
//! The `--https` flag picks HTTPS for forms without a scheme; with a URL it must agree with the
//! URL's scheme.
//!
//! What this module does not do: resolve names or connect (see `http::client`).

use std::fmt;
use std::net::Ipv6Addr;

use crate::error::{Error, ErrorKind};

/// Default WinRM HTTP port.
pub const DEFAULT_HTTP_PORT: u16 = 5985;
/// Default WinRM HTTPS port.
pub const DEFAULT_HTTPS_PORT: u16 = 5986;
/// Default listener path.
pub const DEFAULT_PATH: &str = "/wsman";

/// HTTP or HTTPS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Scheme {
    /// Plain HTTP (NTLM message sealing protects the SOAP).
    Http,
    /// HTTP over TLS.
    Https,
}

impl Scheme {
    /// `"http"` or `"https"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }

    /// The WinRM default port of this scheme.
    pub fn default_port(self) -> u16 {
        match self {
            Scheme::Http => DEFAULT_HTTP_PORT,
            Scheme::Https => DEFAULT_HTTPS_PORT,
        }
    }
}

/// A parsed WS-Man endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Endpoint {
    /// HTTP or HTTPS.
    pub scheme: Scheme,
    /// Host name or IP address, without brackets.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Request path, starting with `/`.
    pub path: String,
}

impl Endpoint {
    /// Parse `input`; `https` is the `--https` flag.
    pub fn parse(input: &str, https: bool) -> Result<Endpoint, Error> {
        let input = input.trim();
        if input.is_empty() {
            return Err(usage(input, "the host is empty"));
        }
        let lower = input.to_ascii_lowercase();
        let (scheme, rest) = if lower.starts_with("http://") {
            if https {
                return Err(usage(input, "--https conflicts with the http:// url"));
            }
            (Scheme::Http, input.get(7..).unwrap_or(""))
        } else if lower.starts_with("https://") {
            (Scheme::Https, input.get(8..).unwrap_or(""))
        } else if lower.contains("://") {
            return Err(usage(input, "only http:// and https:// urls are supported"));
        } else if https {
            (Scheme::Https, input)
        } else {
            (Scheme::Http, input)
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (rest.get(..i).unwrap_or(""), rest.get(i..).unwrap_or("")),
            None => (rest, ""),
        };
        let path = check_path(input, path)?;
        let (host, port) = split_authority(input, authority)?;
        let port = port.unwrap_or(scheme.default_port());
        Ok(Endpoint {
            scheme,
            host,
            port,
            path,
        })
    }

    /// The URL that goes into `wsa:To`, e.g. `http://hv01:5985/wsman`.
    pub fn url(&self) -> String {
        format!(
            "{}://{}{}",
            self.scheme.as_str(),
            self.authority(),
            self.path
        )
    }

    /// `host:port` with IPv6 addresses bracketed (the `Host` header value).
    pub fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// Whether this endpoint uses TLS.
    pub fn is_https(&self) -> bool {
        self.scheme == Scheme::Https
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.url())
    }
}

fn usage(input: &str, why: &str) -> Error {
    Error::new(
        ErrorKind::Usage,
        format!(
            "invalid host {input:?}: {why} (expected host, host:port, [v6]:port or http(s)://host:port/wsman)"
        ),
    )
}

fn check_path(input: &str, path: &str) -> Result<String, Error> {
    if path.is_empty() || path == "/" {
        return Ok(DEFAULT_PATH.to_string());
    }
    if path.contains(['?', '#']) {
        return Err(usage(
            input,
            "query strings and fragments are not supported",
        ));
    }
    if path.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(usage(
            input,
            "the path contains whitespace or control characters",
        ));
    }
    Ok(path.to_string())
}

fn split_authority(input: &str, authority: &str) -> Result<(String, Option<u16>), Error> {
    if authority.contains('@') {
        return Err(usage(input, "user names belong in --user, not in the host"));
    }
    if let Some(rest) = authority.strip_prefix('[') {
        let Some((v6, after)) = rest.split_once(']') else {
            return Err(usage(input, "missing ']' after the IPv6 address"));
        };
        if v6.parse::<Ipv6Addr>().is_err() {
            return Err(usage(input, "not a valid IPv6 address inside [ ]"));
        }
        let port = match after {
            "" => None,
            p => match p.strip_prefix(':') {
                Some(p) => Some(parse_port(input, p)?),
                None => return Err(usage(input, "unexpected text after ']'")),
            },
        };
        return Ok((v6.to_string(), port));
    }
    if authority.matches(':').count() > 1 {
        return match authority.parse::<Ipv6Addr>() {
            Ok(_) => Ok((authority.to_string(), None)),
            Err(_) => Err(usage(
                input,
                "IPv6 addresses with a port need brackets: [addr]:port",
            )),
        };
    }
    let (host, port) = match authority.split_once(':') {
        Some((h, p)) => (h, Some(parse_port(input, p)?)),
        None => (authority, None),
    };
    check_host(input, host)?;
    Ok((host.to_string(), port))
}

fn check_host(input: &str, host: &str) -> Result<(), Error> {
    if host.is_empty() {
        return Err(usage(input, "the host name is empty"));
    }
    let ok = host
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'));
    if !ok {
        return Err(usage(
            input,
            "the host name contains characters not allowed in a host name",
        ));
    }
    Ok(())
}

fn parse_port(input: &str, p: &str) -> Result<u16, Error> {
    match p.parse::<u16>() {
        Ok(0) => Err(usage(input, "port 0 is not a valid port")),
        Ok(n) if p.chars().all(|c| c.is_ascii_digit()) => Ok(n),
        _ => Err(usage(input, "the port must be a number from 1 to 65535")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ep(s: &str, https: bool) -> Endpoint {
        match Endpoint::parse(s, https) {
            Ok(e) => e,
            Err(e) => panic!("{s}: {e}"),
        }
    }

    #[test]
    fn bare_host_defaults() {
        assert_eq!(ep("hv01", false).url(), "http://hv01:5985/wsman");
        assert_eq!(ep("hv01", true).url(), "https://hv01:5986/wsman");
        assert_eq!(ep("hv01.corp.example", false).host, "hv01.corp.example");
    }

    #[test]
    fn host_and_port() {
        let e = ep("hv01:8080", true);
        assert_eq!((e.scheme, e.port), (Scheme::Https, 8080));
        assert_eq!(e.authority(), "hv01:8080");
    }

    #[test]
    fn ipv6_forms() {
        assert_eq!(ep("[::1]:5986", true).url(), "https://[::1]:5986/wsman");
        assert_eq!(ep("[fe80::1]", false).port, 5985);
        assert_eq!(ep("::1", false).host, "::1");
        assert_eq!(
            ep("http://[::1]:1234/x", false).url(),
            "http://[::1]:1234/x"
        );
    }

    #[test]
    fn urls() {
        assert_eq!(ep("https://hv01/wsman", false).port, 5986);
        assert_eq!(ep("HTTP://hv01:81", false).url(), "http://hv01:81/wsman");
        assert_eq!(ep("http://hv01:5985/custom", false).path, "/custom");
        assert_eq!(ep("https://hv01:5986/wsman", true).scheme, Scheme::Https);
    }

    #[test]
    fn bad_input_is_a_usage_error() {
        for bad in [
            "",
            "http://hv01",
            "ftp://hv01",
            "hv01:0",
            "hv01:99999",
            "hv01:x",
            "hv01:+5",
            "u@hv01",
            "fe80::1:5985x",
            "[::1",
            "[zz]:1",
            "[::1]x",
            "hv 01",
            "http://hv01/w?x",
            "http://:5985",
        ] {
            let https = bad == "http://hv01";
            let err = Endpoint::parse(bad, https).err();
            assert_eq!(err.map(|e| e.kind()), Some(ErrorKind::Usage), "{bad:?}");
        }
    }

    #[test]
    fn error_names_the_input_and_forms() {
        let e = Endpoint::parse("hv01:0", false)
            .err()
            .map(|e| e.to_string());
        let msg = e.unwrap_or_default();
        assert!(
            msg.contains("\"hv01:0\"") && msg.contains("host:port"),
            "{msg}"
        );
    }
}
