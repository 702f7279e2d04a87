//! Per-connection authentication of the simulated listener: NTLM through `Negotiate` (raw or
//! SPNEGO-wrapped, via `ntlm::Acceptor`), Kerberos through `Negotiate` or `Kerberos` (raw krb5 or
//! SPNEGO, via `kerberos::Acceptor`, with the `kerberos` feature and a keytab), and the
//! sealed-message framing (`http::encrypted`).
//!
//! What it does: keeps one security context per TCP connection, tells the mechanism of the first
//! token from its bytes (`sim::server_krb::classify`), answers the handshake legs (401 with the
//! CHALLENGE token, then 200 with an empty body and the final or mutual-auth token, or the first
//! sealed exchange when the last leg carries a body, winrm-wire.md §1.3), and unseals requests
//! and seals replies with the protocol string of the scheme used (`HTTP-Kerberos-session-encrypted`
//! for `Kerberos`, `HTTP-SPNEGO-session-encrypted` for `Negotiate`); a request sealed under another
//! protocol string is refused. Randomness (the server challenge) and the clock (the CHALLENGE
//! timestamp) are read here: this is edge code. Accounts: the scenario's `user`/`password`,
//! accepted as `user`, `DOMAIN\user` (DOMAIN = the host's NetBIOS or DNS name) or
//! `user@dns.domain`; Kerberos accepts any principal with a ticket for a keytab SPN. Over HTTPS the
//! context is created with the listener's channel-binding data, so an NTLM AUTHENTICATE must carry
//! matching MsvAvChannelBindings (winrm-wire.md §3.6) and a Kerberos authenticator that carries
//! bindings must match (one without bindings is accepted, as MIT does); HTTP Basic accounts and the
//! 401 challenge responses are here too. What it does not do: TLS itself (`sim::tls`).

use std::sync::{Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use bytes::Bytes;
use http::header::WWW_AUTHENTICATE;
use http::{Response, StatusCode};
use http_body_util::Full;

use crate::error::{Error, ErrorKind};
use crate::http::encrypted::{self, SPNEGO_PROTOCOL};
use crate::ntlm::{AcceptStep, Acceptor, Server, ServerConfig, Session};

use super::SimConfig;
use super::server_krb::{Mechanism, Scheme, classify, protocol_of};

/// The security state of one connection.
#[derive(Debug, Default)]
pub struct ConnAuth {
    acceptor: Option<Acceptor>,
    #[cfg(feature = "kerberos")]
    krb: Option<(crate::kerberos::Acceptor, Scheme, Mechanism)>,
    session: Option<Sealing>,
    bindings: Option<Vec<u8>>,
}

/// The established context of a connection and the protocol string its messages use.
#[derive(Debug)]
struct Sealing {
    session: Sess,
    protocol: &'static str,
}

#[derive(Debug)]
enum Sess {
    Ntlm(Box<Session>),
    #[cfg(feature = "kerberos")]
    Kerberos(Box<crate::kerberos::KerberosSession>),
}

impl Sess {
    fn sealer(&mut self) -> &mut dyn encrypted::Sealer {
        match self {
            Sess::Ntlm(s) => s.as_mut(),
            #[cfg(feature = "kerberos")]
            Sess::Kerberos(s) => s.as_mut(),
        }
    }
}

/// Which mechanisms a listener accepts.
#[derive(Debug, Clone, Copy, Default)]
pub struct Accepting<'a> {
    /// NTLM with the scenario's account (off for a Kerberos-only host).
    pub ntlm: bool,
    /// Kerberos over the service keys of this keytab (the process's `KRB5_KTNAME`).
    pub keytab: Option<&'a std::path::Path>,
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

    /// Process one `Authorization: Negotiate` token (NTLM only).
    pub fn negotiate(&mut self, cfg: &SimConfig, token: &[u8]) -> Leg {
        let accepting = Accepting {
            ntlm: true,
            keytab: None,
        };
        self.authenticate(cfg, accepting, Scheme::Negotiate, token)
    }

    /// Process one `Authorization: <scheme> <token>`: the mechanism of a first token is told
    /// from its bytes; later tokens continue the context in progress.
    pub fn authenticate(
        &mut self,
        cfg: &SimConfig,
        accepting: Accepting<'_>,
        scheme: Scheme,
        token: &[u8],
    ) -> Leg {
        if self.acceptor.is_some() {
            return self.ntlm_step(cfg, token);
        }
        #[cfg(feature = "kerberos")]
        if self.krb.is_some() {
            return self.kerberos_step(scheme, token);
        }
        let mech = classify(token);
        if mech.is_kerberos() && accepting.keytab.is_some() {
            if scheme == Scheme::Kerberos && mech != Mechanism::RawKerberos {
                tracing::info!(
                    mechanism = mech.describe(),
                    "sim: the kerberos scheme carries raw krb5 tokens only; refused"
                );
                return Leg::Failed;
            }
            return self.kerberos_start(accepting, scheme, mech, token);
        }
        if scheme != Scheme::Negotiate || !accepting.ntlm {
            tracing::info!(
                mechanism = mech.describe(),
                scheme = scheme.name(),
                "sim: mechanism not accepted on this listener"
            );
            self.reset();
            return Leg::Failed;
        }
        self.ntlm_step(cfg, token)
    }

    #[cfg(feature = "kerberos")]
    fn kerberos_start(
        &mut self,
        accepting: Accepting<'_>,
        scheme: Scheme,
        mech: Mechanism,
        token: &[u8],
    ) -> Leg {
        match crate::kerberos::Acceptor::new(accepting.keytab) {
            Ok(mut a) => {
                if let Some(b) = &self.bindings {
                    a.set_channel_bindings(b.clone());
                }
                self.krb = Some((a, scheme, mech));
                self.kerberos_step(scheme, token)
            }
            Err(e) => {
                tracing::info!("sim: kerberos acceptor unavailable: {e}");
                Leg::Failed
            }
        }
    }

    #[cfg(not(feature = "kerberos"))]
    fn kerberos_start(&mut self, _: Accepting<'_>, _: Scheme, _: Mechanism, _: &[u8]) -> Leg {
        tracing::info!("sim: kerberos token refused: this build has no kerberos support");
        Leg::Failed
    }

    #[cfg(feature = "kerberos")]
    fn kerberos_step(&mut self, scheme: Scheme, token: &[u8]) -> Leg {
        let Some((mut acc, started, mech)) = self.krb.take() else {
            return Leg::Failed;
        };
        if scheme != started {
            tracing::info!("sim: kerberos context continued under another http scheme; refused");
            self.reset();
            return Leg::Failed;
        }
        let out = match acc.step(token) {
            Ok(out) => out,
            Err(e) => {
                tracing::info!(
                    mechanism = mech.describe(),
                    "sim: kerberos authentication failed: {e}"
                );
                self.reset();
                return Leg::Failed;
            }
        };
        if !acc.is_complete() {
            let t = out.unwrap_or_default();
            self.krb = Some((acc, started, mech));
            return Leg::Continue(t);
        }
        let client = acc
            .client_name()
            .unwrap_or_else(|_| "(unknown principal)".to_string());
        match acc.into_session() {
            Ok(session) => {
                tracing::info!(
                    mechanism = mech.describe(),
                    scheme = scheme.name(),
                    client = %client,
                    "sim: client authenticated"
                );
                self.session = Some(Sealing {
                    session: Sess::Kerberos(Box::new(session)),
                    protocol: scheme.protocol(),
                });
                Leg::Done(out)
            }
            Err(e) => {
                tracing::info!("sim: kerberos session unavailable: {e}");
                self.reset();
                Leg::Failed
            }
        }
    }

    fn ntlm_step(&mut self, cfg: &SimConfig, token: &[u8]) -> Leg {
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
            Ok(AcceptStep::Complete {
                token: final_token,
                session,
                user,
            }) => {
                self.acceptor = None;
                let mech = if final_token.is_some() {
                    Mechanism::SpnegoNtlm
                } else {
                    Mechanism::RawNtlm
                };
                tracing::info!(
                    mechanism = mech.describe(),
                    scheme = "Negotiate",
                    client = %format_args!("{}\\{}", user.domain, user.user),
                    "sim: client authenticated"
                );
                self.session = Some(Sealing {
                    session: Sess::Ntlm(session),
                    protocol: SPNEGO_PROTOCOL,
                });
                Leg::Done(final_token)
            }
            Err(e) => {
                tracing::info!("sim: ntlm authentication failed: {e}");
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
        #[cfg(feature = "kerberos")]
        {
            self.krb = None;
        }
        self.session = None;
    }

    /// Unseal a request body. The Content-Type's `protocol` must be the one of the scheme the
    /// context was made with (an NTLM request may leave it out).
    pub fn unseal(&mut self, content_type: &str, body: &[u8]) -> Option<Result<Vec<u8>, Error>> {
        let s = self.session.as_mut()?;
        let given = protocol_of(content_type);
        let ntlm = matches!(s.session, Sess::Ntlm(_));
        let ok = match given {
            Some(p) => p.eq_ignore_ascii_case(s.protocol),
            None => ntlm,
        };
        if !ok {
            return Some(Err(Error::new(
                ErrorKind::Protocol,
                format!(
                    "sealed request uses protocol {} but this connection requires {}",
                    given.unwrap_or("(none)"),
                    s.protocol
                ),
            )));
        }
        Some(encrypted::decode(s.session.sealer(), content_type, body))
    }

    /// Seal a reply body; returns (Content-Type, body).
    pub fn seal(&mut self, plaintext: &[u8]) -> Option<(String, Vec<u8>)> {
        let s = self.session.as_mut()?;
        let body = encrypted::encode(s.session.sealer(), s.protocol, plaintext);
        #[cfg(feature = "kerberos")]
        if let Sess::Kerberos(k) = &mut s.session
            && let Some(e) = k.take_last_error()
        {
            tracing::info!("sim: sealing the reply failed: {e}");
            return None;
        }
        Some((encrypted::content_type(s.protocol), body))
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

/// A bare 401 offering `Negotiate` (then `Kerberos` when `kerberos`, and `Basic realm="WSMAN"`
/// when `basic`), as WinRM does.
pub(crate) fn unauthorized(basic: bool, kerberos: bool) -> Response<Full<Bytes>> {
    offering(true, kerberos, basic)
}

/// A bare 401 offering the given schemes, in WinRM's order.
pub(crate) fn offering(negotiate: bool, kerberos: bool, basic: bool) -> Response<Full<Bytes>> {
    let mut r = reply(StatusCode::UNAUTHORIZED, Bytes::new());
    let h = r.headers_mut();
    if negotiate {
        h.append(
            WWW_AUTHENTICATE,
            http::HeaderValue::from_static("Negotiate"),
        );
    }
    if kerberos {
        h.append(WWW_AUTHENTICATE, http::HeaderValue::from_static("Kerberos"));
    }
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

/// Add `WWW-Authenticate: <scheme> <token>` when there is a token.
pub(crate) fn with_token(
    mut r: Response<Full<Bytes>>,
    scheme: Scheme,
    token: Option<&[u8]>,
) -> Response<Full<Bytes>> {
    if let Some(t) = token {
        let v = format!(
            "{} {}",
            scheme.name(),
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
        let offered = |basic, krb| {
            unauthorized(basic, krb)
                .headers()
                .get_all(WWW_AUTHENTICATE)
                .iter()
                .map(|v| v.to_str().unwrap_or_default().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        };
        assert_eq!(offered(false, false), "Negotiate");
        assert_eq!(offered(true, false), "Negotiate, Basic realm=\"WSMAN\"");
        assert_eq!(offered(false, true), "Negotiate, Kerberos");
        let only = offering(false, true, false);
        assert_eq!(only.headers().get_all(WWW_AUTHENTICATE).iter().count(), 1);
        assert_eq!(
            only.headers().get(WWW_AUTHENTICATE).map(|v| v.as_bytes()),
            Some(&b"Kerberos"[..])
        );
        let r = closing(with_token(
            unauthorized(false, false),
            Scheme::Negotiate,
            Some(b"t"),
        ));
        assert_eq!(
            r.headers().get(WWW_AUTHENTICATE).map(|v| v.as_bytes()),
            Some(&b"Negotiate dA=="[..])
        );
        assert!(r.headers().get(http::header::CONNECTION).is_some());
        let r = with_token(
            reply(StatusCode::OK, Bytes::new()),
            Scheme::Kerberos,
            Some(b"t"),
        );
        assert_eq!(
            r.headers().get(WWW_AUTHENTICATE).map(|v| v.as_bytes()),
            Some(&b"Kerberos dA=="[..])
        );
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

    #[test]
    fn mechanisms_not_offered_are_refused() {
        let cfg = SimConfig::default();
        let ntlm_negotiate = crate::ntlm::NegotiateMessage {
            flags: crate::ntlm::NegotiateFlags::CLIENT_DEFAULT,
            version: None,
        }
        .encode();
        let kerberos_only = Accepting {
            ntlm: false,
            keytab: None,
        };
        let mut c = ConnAuth::default();
        assert!(matches!(
            c.authenticate(&cfg, kerberos_only, Scheme::Negotiate, &ntlm_negotiate),
            Leg::Failed
        ));
        let both = Accepting {
            ntlm: true,
            keytab: None,
        };
        assert!(matches!(
            c.authenticate(&cfg, both, Scheme::Kerberos, &ntlm_negotiate),
            Leg::Failed
        ));
        assert!(matches!(
            c.authenticate(&cfg, both, Scheme::Negotiate, &ntlm_negotiate),
            Leg::Continue(_)
        ));
    }

    #[test]
    fn a_session_refuses_another_protocol_string() {
        let mut c = ConnAuth::default();
        assert!(
            c.unseal("multipart/encrypted", b"").is_none(),
            "no context yet"
        );
        c.session = Some(Sealing {
            session: Sess::Ntlm(Box::new(Session::server(
                &[7; 16],
                crate::ntlm::NegotiateFlags::CLIENT_DEFAULT,
            ))),
            protocol: SPNEGO_PROTOCOL,
        });
        let krb = encrypted::content_type(encrypted::KERBEROS_PROTOCOL);
        let e = c.unseal(&krb, b"x").and_then(Result::err);
        assert!(
            e.map(|e| e.to_string())
                .unwrap_or_default()
                .contains("requires application/HTTP-SPNEGO-session-encrypted")
        );
        let (ct, body) = c.seal(b"<r/>").unwrap_or_default();
        assert_eq!(protocol_of(&ct), Some(SPNEGO_PROTOCOL));
        assert!(!body.is_empty());
    }
}
