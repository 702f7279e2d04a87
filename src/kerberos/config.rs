//! What to ask the KDC for: the SPN (service and host, each overridable), the mechanism inside
//! the HTTP scheme, and the matching `multipart/encrypted` protocol string ([MS-WSMV] 2.2.9.1,
//! kerberos.md §3 and §9). Pure data, no GSSAPI calls.

use crate::error::{Error, ErrorKind, Result};

/// The HTTP authentication scheme carrying the Kerberos tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum HttpScheme {
    /// `Authorization: Negotiate …` (what every peer uses; Windows sniffs krb5 or SPNEGO).
    Negotiate,
    /// `Authorization: Kerberos …` (only when the server offers nothing else).
    Kerberos,
}

impl HttpScheme {
    /// The scheme token for `Authorization` / `WWW-Authenticate`.
    pub fn header_name(self) -> &'static str {
        match self {
            HttpScheme::Negotiate => "Negotiate",
            HttpScheme::Kerberos => "Kerberos",
        }
    }

    /// The encryption protocol string of this scheme ([MS-WSMV] 2.2.9.1).
    pub fn protocol(self) -> &'static str {
        match self {
            HttpScheme::Negotiate => "application/HTTP-SPNEGO-session-encrypted",
            HttpScheme::Kerberos => "application/HTTP-Kerberos-session-encrypted",
        }
    }
}

/// The GSS mechanism of the first token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Mech {
    /// A raw krb5 GSS token (`60 … 2a864886f712010202 01 00 <AP-REQ>`), like pywinrm sends.
    Krb5,
    /// An SPNEGO NegTokenInit wrapping krb5 (pypsrp `auth=negotiate`); `Negotiate` scheme only.
    Spnego,
}

/// Which service principal to authenticate to, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KerberosConfig {
    /// SPN service class: `HTTP` (default) or `host`; the SPN is `<service>/<host>`.
    pub spn_service: String,
    /// SPN host: the target's FQDN; may differ from the address TCP connects to.
    pub spn_host: String,
    /// Mechanism of the first token.
    pub mech: Mech,
    /// The HTTP scheme used (decides the protocol string).
    pub scheme: HttpScheme,
    /// Ask for a forwardable ticket to be delegated (double hop); off by default.
    pub delegate: bool,
}

impl KerberosConfig {
    /// Defaults for `host`: service `HTTP`, raw krb5 inside `Negotiate`, no delegation.
    pub fn new(spn_host: &str) -> Self {
        KerberosConfig {
            spn_service: "HTTP".to_string(),
            spn_host: spn_host.to_string(),
            mech: Mech::Krb5,
            scheme: HttpScheme::Negotiate,
            delegate: false,
        }
    }

    /// The GSS host-based service name, `service@host` (krb5.conf `domain_realm` applies).
    pub fn target_name(&self) -> Result<String> {
        check_part("spn service", &self.spn_service)?;
        check_part("spn host", &self.spn_host)?;
        if self.spn_host.parse::<std::net::IpAddr>().is_ok() {
            return Err(Error::new(
                ErrorKind::Usage,
                format!(
                    "kerberos needs a host name, not the address {}: no SPN exists for an ip \
                     address; pass the host's fqdn (or --spn-host) and keep the address for tcp",
                    self.spn_host
                ),
            ));
        }
        if self.scheme == HttpScheme::Kerberos && self.mech == Mech::Spnego {
            return Err(Error::new(
                ErrorKind::Usage,
                "the kerberos http scheme carries raw krb5 tokens, not spnego",
            ));
        }
        Ok(format!("{}@{}", self.spn_service, self.spn_host))
    }

    /// The SPN as `setspn` shows it, `service/host`, for messages.
    pub fn spn(&self) -> String {
        format!("{}/{}", self.spn_service, self.spn_host)
    }
}

fn check_part(what: &str, value: &str) -> Result<()> {
    let bad = value.is_empty()
        || value
            .chars()
            .any(|c| c == '@' || c == '/' || c.is_whitespace() || c.is_control());
    if bad {
        return Err(Error::new(
            ErrorKind::Usage,
            format!("invalid {what} {value:?}: it must be non-empty without '@', '/' or spaces"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_target_is_http_at_host() {
        let c = KerberosConfig::new("hv01.hvlab.test");
        assert_eq!(
            c.target_name().ok().as_deref(),
            Some("HTTP@hv01.hvlab.test")
        );
        assert_eq!(c.spn(), "HTTP/hv01.hvlab.test");
        let h = KerberosConfig {
            spn_service: "host".into(),
            ..c
        };
        assert_eq!(
            h.target_name().ok().as_deref(),
            Some("host@hv01.hvlab.test")
        );
    }

    #[test]
    fn protocol_follows_the_scheme() {
        assert_eq!(
            HttpScheme::Negotiate.protocol(),
            "application/HTTP-SPNEGO-session-encrypted"
        );
        assert_eq!(
            HttpScheme::Kerberos.protocol(),
            "application/HTTP-Kerberos-session-encrypted"
        );
        assert_eq!(HttpScheme::Kerberos.header_name(), "Kerberos");
    }

    #[test]
    fn bad_names_are_usage_errors() {
        for (svc, host) in [
            ("", "h"),
            ("HTTP", ""),
            ("HT/TP", "h"),
            ("HTTP", "a@b"),
            ("HTTP", "10.0.0.1"),
        ] {
            let c = KerberosConfig {
                spn_service: svc.into(),
                ..KerberosConfig::new(host)
            };
            let e = c.target_name().err().map(|e| e.kind());
            assert_eq!(e, Some(ErrorKind::Usage), "{svc} {host}");
        }
        let c = KerberosConfig {
            mech: Mech::Spnego,
            scheme: HttpScheme::Kerberos,
            ..KerberosConfig::new("h")
        };
        assert!(c.target_name().is_err());
    }
}
