//! The NTLM initiator ([MS-NLMP] 3.1.5.1.1–3.1.5.1.2, 3.1.5.2.1): NEGOTIATE, then
//! AUTHENTICATE from the server's CHALLENGE, then a [`Session`] for sealing.
//!
//! NTLMv2 with extended session security and KEY_EXCH. When the CHALLENGE carries
//! MsvAvTimestamp (Windows always sends one) the client uses that time, sends LmChallengeResponse
//! as Z(24), sets MsvAvFlags bit 0x2 and adds a MIC over NEGOTIATE ‖ CHALLENGE ‖ AUTHENTICATE
//! (winrm-wire.md §3.5). It always adds MsvAvTargetName (the SPN) and, when given, the
//! MsvAvChannelBindings hash (§3.6). NTLMv1 and anonymous logons are not supported.
//!
//! [`Client::new`] is the only nondeterministic part of the module: it draws the client
//! challenge and the exported session key from the OS RNG and reads the wall clock for the
//! fallback timestamp. [`Client::new_deterministic`] takes all three as arguments.

use std::fmt;

use rand::RngCore;
use zeroize::Zeroizing;

use super::NtlmError;
use super::authenticate::{AuthenticateMessage, MIC_OFFSET};
use super::avpair::{AV_FLAG_MIC, AvId};
use super::challenge::ChallengeMessage;
use super::credentials::Credentials;
use super::crypto::{
    Key16, channel_bindings_hash, lmv2_response, mic, nt_proof, ntlmv2_temp, ntowfv2, rc4k,
    session_base_key,
};
use super::negotiate::NegotiateMessage;
use super::seal::Session;
use super::wire::{NegotiateFlags, Version};

/// What the client needs to authenticate.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// User and password.
    pub credentials: Credentials,
    /// Service principal name sent as MsvAvTargetName, e.g. `HTTP/hv01.corp.example`
    /// (omitted when empty).
    pub target_spn: String,
    /// Channel-binding application data (e.g. `b"tls-server-end-point:" ‖ cert hash`), hashed
    /// into MsvAvChannelBindings; `None` on plain HTTP.
    pub channel_bindings: Option<Vec<u8>>,
}

enum State {
    Initial,
    Negotiated { negotiate: Vec<u8> },
    Done { session: Box<Session> },
    Failed,
}

/// The NTLM initiator state machine.
pub struct Client {
    cfg: ClientConfig,
    client_challenge: [u8; 8],
    exported_session_key: Zeroizing<Key16>,
    timestamp: u64,
    workstation: String,
    state: State,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("cfg", &self.cfg)
            .field("workstation", &self.workstation)
            .finish_non_exhaustive()
    }
}

/// Seconds between 1601-01-01 (FILETIME epoch) and 1970-01-01.
const FILETIME_UNIX_OFFSET_SECS: u64 = 11_644_473_600;

impl Client {
    /// A client with a random client challenge and session key (OS RNG) and the current time
    /// as the fallback timestamp.
    pub fn new(cfg: ClientConfig) -> Client {
        let mut rng = rand::rngs::OsRng;
        let mut challenge = [0u8; 8];
        rng.fill_bytes(&mut challenge);
        let mut key = Zeroizing::new([0u8; 16]);
        rng.fill_bytes(&mut key[..]);
        let unix = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let filetime = (unix + FILETIME_UNIX_OFFSET_SECS).saturating_mul(10_000_000);
        Client::new_deterministic(cfg, challenge, *key, filetime)
    }

    /// A client with injected randomness and time: `timestamp` (FILETIME) is used only when
    /// the CHALLENGE has no MsvAvTimestamp.
    pub fn new_deterministic(
        cfg: ClientConfig,
        client_challenge: [u8; 8],
        exported_session_key: [u8; 16],
        timestamp: u64,
    ) -> Client {
        Client {
            cfg,
            client_challenge,
            exported_session_key: Zeroizing::new(exported_session_key),
            timestamp,
            workstation: String::new(),
            state: State::Initial,
        }
    }

    /// Sets the workstation name sent in AUTHENTICATE (empty by default).
    pub fn with_workstation(mut self, workstation: &str) -> Client {
        self.workstation = workstation.to_string();
        self
    }

    /// The NEGOTIATE_MESSAGE (first leg). Calling it again restarts the handshake.
    pub fn negotiate(&mut self) -> Vec<u8> {
        let negotiate = NegotiateMessage {
            flags: NegotiateFlags::CLIENT_DEFAULT,
            version: Some(Version::OURS),
        }
        .encode();
        self.state = State::Negotiated {
            negotiate: negotiate.clone(),
        };
        negotiate
    }

    /// The AUTHENTICATE_MESSAGE answering `challenge` (third leg).
    pub fn authenticate(&mut self, challenge: &[u8]) -> Result<Vec<u8>, NtlmError> {
        let State::Negotiated { negotiate } = std::mem::replace(&mut self.state, State::Failed)
        else {
            return Err(NtlmError::State("authenticate called before negotiate"));
        };
        let chal = ChallengeMessage::parse(challenge)?;
        let flags = negotiated_flags(chal.flags)?;
        let (raw, session) = self.build_authenticate(&chal, flags, &negotiate, challenge);
        self.state = State::Done {
            session: Box::new(session),
        };
        Ok(raw)
    }

    fn build_authenticate(
        &self,
        chal: &ChallengeMessage,
        flags: NegotiateFlags,
        negotiate: &[u8],
        challenge: &[u8],
    ) -> (Vec<u8>, Session) {
        let mut pairs = chal.target_info.clone();
        let server_time = pairs.timestamp();
        if !self.cfg.target_spn.is_empty() {
            pairs.set_str(AvId::TARGET_NAME, &self.cfg.target_spn);
        }
        if let Some(app) = &self.cfg.channel_bindings {
            pairs.set(AvId::CHANNEL_BINDINGS, channel_bindings_hash(app).to_vec());
        }
        if server_time.is_some() {
            let av_flags = pairs.flags() | AV_FLAG_MIC;
            pairs.set(AvId::FLAGS, av_flags.to_le_bytes().to_vec());
        }
        let time = server_time.unwrap_or(self.timestamp);
        let temp = ntlmv2_temp(time, &self.client_challenge, &pairs.encode());
        let creds = &self.cfg.credentials;
        let ntowf = ntowfv2(creds.nt_hash(), creds.user(), creds.domain());
        let proof = nt_proof(&ntowf, &chal.server_challenge, &temp);
        let key_exchange_key = session_base_key(&ntowf, &proof);
        let (exported, ersk) = if flags.has(NegotiateFlags::KEY_EXCH) {
            let esk = *self.exported_session_key;
            (Zeroizing::new(esk), rc4k(&key_exchange_key, &esk).to_vec())
        } else {
            (key_exchange_key, Vec::new())
        };
        let lm_response = match server_time {
            Some(_) => vec![0; 24],
            None => lmv2_response(&ntowf, &chal.server_challenge, &self.client_challenge).to_vec(),
        };
        let msg = AuthenticateMessage {
            flags,
            lm_response,
            nt_response: [&proof[..], &temp].concat(),
            domain: creds.domain().to_string(),
            user: creds.user().to_string(),
            workstation: self.workstation.clone(),
            encrypted_random_session_key: ersk,
            version: Some(Version::OURS),
            mic: None,
        };
        let mut raw = msg.encode();
        if server_time.is_some() {
            let code = mic(&exported, negotiate, challenge, &raw);
            raw[MIC_OFFSET..MIC_OFFSET + 16].copy_from_slice(&code);
        }
        (raw, Session::client(&exported, flags))
    }

    /// The established session, once [`Client::authenticate`] has succeeded.
    pub fn into_session(self) -> Result<Session, NtlmError> {
        match self.state {
            State::Done { session } => Ok(*session),
            _ => Err(NtlmError::State(
                "no session before a successful authenticate",
            )),
        }
    }
}

/// Flags for AUTHENTICATE: what we asked for and the server granted, plus the server's
/// informational bits. Extended session security and Unicode are mandatory.
fn negotiated_flags(server: NegotiateFlags) -> Result<NegotiateFlags, NtlmError> {
    if !server.has(NegotiateFlags::EXTENDED_SESSIONSECURITY) {
        return Err(NtlmError::Unsupported("extended session security"));
    }
    if !server.has(NegotiateFlags::UNICODE) {
        return Err(NtlmError::Unsupported("unicode"));
    }
    let keep = NegotiateFlags::CLIENT_DEFAULT.0
        | NegotiateFlags::TARGET_INFO
        | NegotiateFlags::TARGET_TYPE_DOMAIN
        | NegotiateFlags::TARGET_TYPE_SERVER;
    Ok(NegotiateFlags(server.0 & keep))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ntlm::crypto::tests::{MIC_AUTH, MIC_CHAL, h};

    /// The pyspnego run of winrm-wire.md §3.5: same challenge, client challenge, key and SPN
    /// give the same NTLMv2 response (AV pair order included) and encrypted session key.
    #[test]
    fn reproduces_pyspnego_response_and_session_key() {
        let cfg = ClientConfig {
            credentials: Credentials::new("Domain\\User", "Password").unwrap(),
            target_spn: "HTTP/hv01".into(),
            channel_bindings: None,
        };
        let mut c =
            Client::new_deterministic(cfg, [0xaa; 8], [0x55; 16], 0).with_workstation("CLIENT");
        c.negotiate();
        let ours = AuthenticateMessage::parse(&c.authenticate(&h(MIC_CHAL)).unwrap()).unwrap();
        let theirs = AuthenticateMessage::parse(&h(MIC_AUTH)).unwrap();
        assert_eq!(
            &ours.nt_response[..16],
            &h("5262799d206d56e3c2c8ccbd77aa072d")[..]
        );
        assert_eq!(ours.nt_response, theirs.nt_response);
        assert_eq!(
            ours.encrypted_random_session_key,
            h("badb2f97d93f1555dce51dd6b72254b4")
        );
        assert_eq!(ours.lm_response, vec![0; 24]);
        assert!(ours.mic.is_some_and(|m| m != [0; 16]));
        assert!(!format!("{c:?}").contains("Password"));
    }

    #[test]
    fn refuses_a_server_without_extended_session_security() {
        let mut chal = h(MIC_CHAL);
        chal[22] &= !0x08; // clear EXTENDED_SESSIONSECURITY (0x00080000)
        let cfg = ClientConfig {
            credentials: Credentials::new("u", "p").unwrap(),
            target_spn: String::new(),
            channel_bindings: None,
        };
        let mut c = Client::new_deterministic(cfg, [1; 8], [2; 16], 0);
        c.negotiate();
        assert_eq!(
            c.authenticate(&chal),
            Err(NtlmError::Unsupported("extended session security"))
        );
    }
}
