//! Per-connection authentication of the simulated listener: NTLM through `Negotiate` (raw or
//! SPNEGO-wrapped, via `ntlm::Acceptor`) and the sealed-message framing (`http::encrypted`).
//!
//! What it does: keeps one security context per TCP connection, answers the handshake legs
//! (401 with the CHALLENGE token, then 200 with an empty body, or the first sealed exchange
//! when the AUTHENTICATE leg carries a body, winrm-wire.md §1.3), and unseals requests and
//! seals replies. Randomness (the server challenge) and the clock (the CHALLENGE timestamp)
//! are read here: this is edge code. Accounts: the scenario's `user`/`password`, accepted as
//! `user`, `DOMAIN\user` (DOMAIN = the host's NetBIOS or DNS name) or `user@dns.domain`.
//! What it does not do: Kerberos, channel bindings, HTTPS.

use std::sync::{Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::Error;
use crate::http::encrypted::{self, SPNEGO_PROTOCOL};
use crate::ntlm::{AcceptStep, Acceptor, Server, ServerConfig, Session};

use super::SimConfig;

/// The security state of one connection.
#[derive(Debug, Default)]
pub struct ConnAuth {
    acceptor: Option<Acceptor>,
    session: Option<Box<Session>>,
}

/// Outcome of one `Negotiate` token.
#[derive(Debug)]
pub enum Leg {
    /// Answer 401 with this token.
    Continue(Vec<u8>),
    /// The context is established (optional final token for the 200).
    Done(Option<Vec<u8>>),
    /// Authentication failed: answer a bare 401 and close.
    Failed,
}

fn ntlm_config(cfg: &SimConfig) -> ServerConfig {
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
        expected_channel_bindings: None,
    }
}

fn filetime_now() -> u64 {
    let unix = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    (unix.as_secs() + 11_644_473_600) * 10_000_000 + u64::from(unix.subsec_nanos() / 100)
}

impl ConnAuth {
    /// Process one `Authorization: Negotiate` token.
    pub fn negotiate(&mut self, cfg: &SimConfig, token: &[u8]) -> Leg {
        let acceptor = self.acceptor.get_or_insert_with(|| {
            Acceptor::new(Server::new(
                ntlm_config(cfg),
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
                *self = ConnAuth::default();
                Leg::Failed
            }
        }
    }

    /// True once a context is established.
    pub fn established(&self) -> bool {
        self.session.is_some()
    }

    /// Forget the context (a broken or refused message).
    pub fn reset(&mut self) {
        *self = ConnAuth::default();
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
