//! Per-connection authentication of the simulated listener: NTLM through `Negotiate` (raw or
//! SPNEGO-wrapped, via `ntlm::Acceptor`) and the sealed-message framing (`http::encrypted`).
//!
//! What it does: keeps one security context per TCP connection, answers the handshake legs
//! (401 with the CHALLENGE token, then 200 with an empty body, or the first sealed exchange
//! when the AUTHENTICATE leg carries a body, winrm-wire.md §1.3), and unseals requests and
//! seals replies. Randomness (the server challenge) and the clock (the CHALLENGE timestamp)
//! are read here: this is edge code. Accounts: the scenario's `user`/`password`, accepted as
//! `user`, `DOMAIN\user` (DOMAIN = the host's NetBIOS or DNS name) or `user@dns.domain`.
//! Over HTTPS the context is created with the listener's channel-binding data, so the
//! AUTHENTICATE must carry matching MsvAvChannelBindings (winrm-wire.md §3.6); HTTP Basic
//! accounts and the 401 challenge responses are here too. What it does not do: Kerberos, TLS
//! itself (`sim::tls`).

use std::sync::{Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use bytes::Bytes;
use http::header::WWW_AUTHENTICATE;
use http::{Response, StatusCode};
use http_body_util::Full;

use crate::error::Error;
use crate::http::encrypted::{self, SPNEGO_PROTOCOL};
use crate::ntlm::{AcceptStep, Acceptor, Server, ServerConfig, Session};

use super::SimConfig;

/// The security state of one connection.
#[derive(Debug, Default)]
pub struct ConnAuth {
    acceptor: Option<Acceptor>,
    session: Option<Box<Session>>,
    bindings: Option<Vec<u8>>,
}

/// Outcome of one `Negotiate` token.
#[derive(Debug)]
#[non_exhaustive]
pub enum Leg {
    /// Answer 401 with this token.
    Continue(Vec<u8>),
    /// The context is established (optional final token for the 200).
    Done(Option<Vec<u8>>),
    /// Authentication failed: answer a bare 401 and close.
    Failed,
}

fn ntlm_config(cfg: &SimConfig, bindings: Option<Vec<u8>>) -> ServerConfig {
    let dns_domain = cfg
        .dns_name
        .split_once('.')
        .map_or(cfg.dns_name.as_str(), |(_, d)| d);
    ServerConfig {
        accounts: vec![(cfg.user.clone(), cfg.password.clone())],
        netbios_domain: cfg.host_name.clone(),
        dns_domain: dns_domain.to_string(),
        netbios_computer: cfg.host_name.clone(),
        dns_computer: cfg.dns_name.clone(),
        expected_channel_bindings: bindings,
    }
}

fn filetime_now() -> u64 {
    let unix = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    (unix.as_secs() + 11_644_473_600) * 10_000_000 + u64::from(unix.subsec_nanos() / 100)
}

impl ConnAuth {
    /// The state of a TLS connection: NTLM must carry bindings hashing `bindings`
    /// (`tls-server-end-point:` ‖ H(certificate)).
    pub fn with_bindings(bindings: Vec<u8>) -> ConnAuth {
        ConnAuth {
            bindings: Some(bindings),
            ..ConnAuth::default()
        }
    }

    /// Process one `Authorization: Negotiate` token.
    pub fn negotiate(&mut self, cfg: &SimConfig, token: &[u8]) -> Leg {
        let bindings = self.bindings.clone();
        let acceptor = self.acceptor.get_or_insert_with(|| {
            Acceptor::new(Server::new(
                ntlm_config(cfg, bindings),
                rand::random(),
                filetime_now(),
            ))
        });
        match acceptor.step(token) {
            Ok(AcceptStep::Continue(t)) => Leg::Continue(t),
            Ok(AcceptStep::Complete { token, session, .. }) => {
                self.acceptor = None;
                self.session = Some(session);
                Leg::Done(token)
            }
            Err(_) => {
                self.reset();
                Leg::Failed
            }
        }
    }

    /// True once a context is established.
    pub fn established(&self) -> bool {
        self.session.is_some()
    }

    /// Forget the context (a broken or refused message); the channel bindings stay.
    pub fn reset(&mut self) {
        self.acceptor = None;
        self.session = None;
    }

    /// Unseal a request body.
    pub fn unseal(&mut self, content_type: &str, body: &[u8]) -> Option<Result<Vec<u8>, Error>> {
        let s = self.session.as_deref_mut()?;
        Some(encrypted::decode(s, content_type, body))
    }

    /// Seal a reply body; returns (Content-Type, body).
    pub fn seal(&mut self, plaintext: &[u8]) -> Option<(String, Vec<u8>)> {
        let s = self.session.as_deref_mut()?;
        let body = encrypted::encode(s, SPNEGO_PROTOCOL, plaintext);
        Some((encrypted::content_type(SPNEGO_PROTOCOL), body))
    }
}

/// Lock a connection's state (a poisoned lock still holds usable state).
pub fn lock(m: &Mutex<ConnAuth>) -> std::sync::MutexGuard<'_, ConnAuth> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A response with `status` and `body`.
pub(crate) fn reply(status: StatusCode, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(body.into()));
    *r.status_mut() = status;
    r
}

/// A bare 401 offering `Negotiate` (and `Basic realm="WSMAN"` when `basic`), as WinRM does.
pub(crate) fn unauthorized(basic: bool) -> Response<Full<Bytes>> {
    let mut r = reply(StatusCode::UNAUTHORIZED, Bytes::new());
    let h = r.headers_mut();
    h.append(
        WWW_AUTHENTICATE,
        http::HeaderValue::from_static("Negotiate"),
    );
    if basic {
        h.append(
            WWW_AUTHENTICATE,
            http::HeaderValue::from_static("Basic realm=\"WSMAN\""),
        );
    }
    r
}

/// Whether a Content-Type is plain `application/soap+xml`.
pub(crate) fn is_soap(content_type: &str) -> bool {
    let media = content_type.split(';').next().unwrap_or_default();
    media.trim().eq_ignore_ascii_case("application/soap+xml")
}

/// Add `WWW-Authenticate: Negotiate <token>` when there is a token.
pub(crate) fn with_token(
    mut r: Response<Full<Bytes>>,
    token: Option<&[u8]>,
) -> Response<Full<Bytes>> {
    if let Some(t) = token {
        let v = format!(
            "Negotiate {}",
            base64::engine::general_purpose::STANDARD.encode(t)
        );
        if let Ok(v) = http::HeaderValue::from_str(&v) {
            r.headers_mut().insert(WWW_AUTHENTICATE, v);
        }
    }
    r
}

/// Mark a response `Connection: close`.
pub(crate) fn closing(mut r: Response<Full<Bytes>>) -> Response<Full<Bytes>> {
    r.headers_mut().insert(
        http::header::CONNECTION,
        http::HeaderValue::from_static("close"),
    );
    r
}

/// True when `given` names the configured account as `user`, `DOMAIN\user` or `user@domain`.
pub fn account_matches(configured: &str, given: &str) -> bool {
    let user = given.rsplit_once('\\').map_or(given, |(_, u)| u);
    let user = user.split_once('@').map_or(user, |(u, _)| u);
    !user.is_empty() && user.eq_ignore_ascii_case(configured)
}

/// Whether an `Authorization: Basic …` value names the scenario's account and password.
pub fn basic_matches(cfg: &SimConfig, header: &str) -> bool {
    let Some((scheme, b64)) = header.trim().split_once(' ') else {
        return false;
    };
    if !scheme.eq_ignore_ascii_case("Basic") {
        return false;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .unwrap_or_default();
    let pair = zeroize::Zeroizing::new(String::from_utf8(decoded).unwrap_or_default());
    pair.split_once(':')
        .is_some_and(|(u, p)| account_matches(&cfg.user, u) && p == cfg.password)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_forms() {
        assert!(account_matches("admin", "admin"));
        assert!(account_matches("admin", "HV01\\Admin"));
        assert!(account_matches("admin", "admin@example.test"));
        assert!(!account_matches("admin", "HV01\\other"));
        assert!(!account_matches("admin", ""));
    }

    #[test]
    fn basic_values() {
        let cfg = SimConfig::default();
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        assert!(basic_matches(
            &cfg,
            &format!("Basic {}", b64("admin:Passw0rd!"))
        ));
        assert!(basic_matches(
            &cfg,
            &format!("basic {}", b64("HV01\\admin:Passw0rd!"))
        ));
        assert!(!basic_matches(
            &cfg,
            &format!("Basic {}", b64("admin:nope"))
        ));
        assert!(!basic_matches(&cfg, "Negotiate abc"));
        assert!(!basic_matches(&cfg, "Basic !!!"));
    }

    #[test]
    fn challenges_offer_basic_only_when_enabled() {
        let offered = |basic| {
            unauthorized(basic)
                .headers()
                .get_all(WWW_AUTHENTICATE)
                .iter()
                .count()
        };
        assert_eq!((offered(false), offered(true)), (1, 2));
        let r = closing(with_token(unauthorized(false), Some(b"t")));
        assert_eq!(
            r.headers().get(WWW_AUTHENTICATE).map(|v| v.as_bytes()),
            Some(&b"Negotiate dA=="[..])
        );
        assert!(r.headers().get(http::header::CONNECTION).is_some());
    }

    #[test]
    fn reset_keeps_the_channel_bindings() {
        let mut c = ConnAuth::with_bindings(b"tls-server-end-point:x".to_vec());
        assert!(matches!(
            c.negotiate(&SimConfig::default(), b"junk"),
            Leg::Failed
        ));
        c.reset();
        assert_eq!(c.bindings.as_deref(), Some(&b"tls-server-end-point:x"[..]));
        assert!(!c.established());
    }
}
