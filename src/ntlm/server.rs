//! The NTLM acceptor used by the simulator ([MS-NLMP] 3.2.5.1): answers a NEGOTIATE with a
//! CHALLENGE (TargetInfo with names and MsvAvTimestamp, so clients send a MIC) and verifies
//! the AUTHENTICATE: the NTLMv2 proof, the MIC when MsvAvFlags announces one, and the channel
//! bindings when configured.
//!
//! Account matching: a configured account `alice` is accepted as `DOMAIN\alice` (domain equal
//! to one of the configured NetBIOS/DNS domain or computer names, or to the client's own
//! workstation name), as the UPN `alice@dns.domain` with an empty domain, and as bare `alice`
//! with an empty domain. User and domain compare case-insensitively; NTOWFv2 is computed over
//! the user and domain exactly as the client sent them. Timestamps and MsvAvTargetName are not
//! checked (neither does pyspnego). No NTLMv1, no anonymous logon, no domain controller.

use std::fmt;

use super::NtlmError;
use super::authenticate::{AuthenticateMessage, with_zeroed_mic};
use super::avpair::{AV_FLAG_MIC, AvId, AvPairs};
use super::challenge::ChallengeMessage;
use super::crypto::{
    channel_bindings_hash, ct_eq, mic, nt_hash, nt_proof, ntowfv2, rc4k, session_base_key,
};
use super::negotiate::NegotiateMessage;
use super::seal::Session;
use super::wire::{NegotiateFlags, Version};

/// The simulated host's NTLM identity and accounts.
#[derive(Clone)]
pub struct ServerConfig {
    /// (user, password) pairs; user names are bare (`alice`).
    pub accounts: Vec<(String, String)>,
    /// NetBIOS domain name (also the CHALLENGE TargetName), e.g. `CORP`.
    pub netbios_domain: String,
    /// DNS domain name, e.g. `corp.example`.
    pub dns_domain: String,
    /// NetBIOS computer name, e.g. `HV01`.
    pub netbios_computer: String,
    /// DNS computer name, e.g. `hv01.corp.example`.
    pub dns_computer: String,
    /// Channel-binding application data; when `Some`, the client's MsvAvChannelBindings must
    /// match its hash.
    pub expected_channel_bindings: Option<Vec<u8>>,
}

impl fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let users: Vec<&str> = self.accounts.iter().map(|(u, _)| u.as_str()).collect();
        f.debug_struct("ServerConfig")
            .field("accounts", &users)
            .field("netbios_domain", &self.netbios_domain)
            .field("dns_domain", &self.dns_domain)
            .field("netbios_computer", &self.netbios_computer)
            .field("dns_computer", &self.dns_computer)
            .field(
                "channel_bindings",
                &self.expected_channel_bindings.is_some(),
            )
            .finish()
    }
}

/// Who authenticated: the configured account name and the domain the client sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthenticatedUser {
    /// Configured account name.
    pub user: String,
    /// Domain as sent by the client (may be empty).
    pub domain: String,
}

/// The NTLM acceptor state machine, one per connection.
#[derive(Debug)]
pub struct Server {
    cfg: ServerConfig,
    server_challenge: [u8; 8],
    timestamp: u64,
    legs: Option<(Vec<u8>, Vec<u8>)>,
    done: bool,
}

/// Flags the server grants when the client asks for them.
const GRANTABLE: u32 = NegotiateFlags::CLIENT_DEFAULT.0;

impl Server {
    /// A server with an injected challenge and FILETIME timestamp.
    pub fn new(cfg: ServerConfig, server_challenge: [u8; 8], timestamp: u64) -> Server {
        Server {
            cfg,
            server_challenge,
            timestamp,
            legs: None,
            done: false,
        }
    }

    /// Answers a NEGOTIATE_MESSAGE with a CHALLENGE_MESSAGE.
    pub fn challenge(&mut self, negotiate: &[u8]) -> Result<Vec<u8>, NtlmError> {
        let neg = NegotiateMessage::parse(negotiate)?;
        if !neg.flags.has(NegotiateFlags::EXTENDED_SESSIONSECURITY) {
            return Err(NtlmError::Unsupported("extended session security"));
        }
        if !neg.flags.has(NegotiateFlags::UNICODE) {
            return Err(NtlmError::Unsupported("unicode"));
        }
        let flags = (neg.flags.0 & GRANTABLE)
            | NegotiateFlags::TARGET_INFO
            | NegotiateFlags::TARGET_TYPE_DOMAIN
            | NegotiateFlags::VERSION;
        let c = &self.cfg;
        let mut info = AvPairs::default();
        info.set_str(AvId::NB_DOMAIN_NAME, &c.netbios_domain);
        info.set_str(AvId::NB_COMPUTER_NAME, &c.netbios_computer);
        info.set_str(AvId::DNS_DOMAIN_NAME, &c.dns_domain);
        info.set_str(AvId::DNS_COMPUTER_NAME, &c.dns_computer);
        info.set_str(AvId::DNS_TREE_NAME, &c.dns_domain);
        info.set(AvId::TIMESTAMP, self.timestamp.to_le_bytes().to_vec());
        let challenge = ChallengeMessage {
            flags: NegotiateFlags(flags),
            server_challenge: self.server_challenge,
            target_name: c.netbios_domain.clone(),
            target_info: info,
            version: Some(Version::OURS),
        }
        .encode();
        self.legs = Some((negotiate.to_vec(), challenge.clone()));
        self.done = false;
        Ok(challenge)
    }

    /// Verifies an AUTHENTICATE_MESSAGE; on success returns the session and the user.
    pub fn authenticate(
        &mut self,
        authenticate: &[u8],
    ) -> Result<(Session, AuthenticatedUser), NtlmError> {
        let Some((negotiate, challenge)) = self.legs.take().filter(|_| !self.done) else {
            return Err(NtlmError::State("authenticate before challenge"));
        };
        self.done = true;
        let msg = AuthenticateMessage::parse(authenticate)?;
        let (proof, temp) = split_response(&msg.nt_response)?;
        let pairs = AvPairs::parse(temp.get(28..).unwrap_or_default())?;
        let (account, base_key) = self.verify_proof(&msg, proof, temp)?;
        self.check_bindings(&pairs)?;
        let exported = if msg.flags.has(NegotiateFlags::KEY_EXCH) {
            let ersk: [u8; 16] = msg.encrypted_random_session_key[..]
                .try_into()
                .map_err(|_| {
                    NtlmError::malformed("authenticate message", "session key not 16 bytes")
                })?;
            zeroize::Zeroizing::new(rc4k(&base_key, &ersk))
        } else {
            base_key
        };
        if pairs.flags() & AV_FLAG_MIC != 0 {
            let got = msg.mic.ok_or(NtlmError::BadMic)?;
            let want = mic(
                &exported,
                &negotiate,
                &challenge,
                &with_zeroed_mic(authenticate),
            );
            if !ct_eq(&got, &want) {
                return Err(NtlmError::BadMic);
            }
        }
        let user = AuthenticatedUser {
            user: account,
            domain: msg.domain.clone(),
        };
        Ok((Session::server(&exported, msg.flags), user))
    }

    /// Finds the account the client named and checks the NTProofStr; returns the configured
    /// account name and the session base key.
    fn verify_proof(
        &self,
        msg: &AuthenticateMessage,
        proof: &[u8],
        temp: &[u8],
    ) -> Result<(String, zeroize::Zeroizing<[u8; 16]>), NtlmError> {
        let mut known = false;
        for (name, password) in &self.cfg.accounts {
            if !self.names_account(msg, name) {
                continue;
            }
            known = true;
            let ntowf = ntowfv2(&nt_hash(password), &msg.user, &msg.domain);
            let want = nt_proof(&ntowf, &self.server_challenge, temp);
            if ct_eq(&want, proof) {
                return Ok((name.clone(), session_base_key(&ntowf, &want)));
            }
        }
        if known {
            Err(NtlmError::BadResponse {
                user: msg.user.clone(),
            })
        } else {
            Err(NtlmError::UnknownUser {
                user: msg.user.clone(),
                domain: msg.domain.clone(),
            })
        }
    }

    /// Whether the user/domain the client sent designate the configured account `name`.
    fn names_account(&self, msg: &AuthenticateMessage, name: &str) -> bool {
        let c = &self.cfg;
        let eq = |a: &str, b: &str| a.to_lowercase() == b.to_lowercase();
        if msg.domain.is_empty() {
            if let Some((u, realm)) = msg.user.rsplit_once('@') {
                return eq(u, name) && (eq(realm, &c.dns_domain) || eq(realm, &c.netbios_domain));
            }
            return eq(&msg.user, name);
        }
        let domains = [
            &c.netbios_domain,
            &c.dns_domain,
            &c.netbios_computer,
            &c.dns_computer,
            &msg.workstation,
        ];
        eq(&msg.user, name) && domains.iter().any(|d| !d.is_empty() && eq(d, &msg.domain))
    }

    fn check_bindings(&self, pairs: &AvPairs) -> Result<(), NtlmError> {
        let Some(app) = &self.cfg.expected_channel_bindings else {
            return Ok(());
        };
        match pairs.get(AvId::CHANNEL_BINDINGS) {
            None => Err(NtlmError::ChannelBindings("missing")),
            Some(got) if ct_eq(got, &channel_bindings_hash(app)) => Ok(()),
            Some(_) => Err(NtlmError::ChannelBindings("do not match the tls channel")),
        }
    }
}

/// Splits an NTLMv2 response into NTProofStr and `temp`, checking the minimum shape.
fn split_response(nt: &[u8]) -> Result<(&[u8], &[u8]), NtlmError> {
    const MSG: &str = "ntlmv2 response";
    if nt.len() < 16 + 28 + 4 {
        return Err(NtlmError::malformed(
            MSG,
            "too short (ntlmv1 is not supported)",
        ));
    }
    let (proof, temp) = nt.split_at(16);
    if temp.get(..2) != Some(&[1, 1][..]) {
        return Err(NtlmError::malformed(MSG, "unknown response version"));
    }
    Ok((proof, temp))
}

#[cfg(test)]
mod tests {
    //! Client ↔ Server round trips.
    use super::*;
    use crate::ntlm::{Client, ClientConfig, Credentials};

    fn server_cfg(cbt: Option<&[u8]>) -> ServerConfig {
        ServerConfig {
            accounts: vec![("alice".into(), "S3cret!".into())],
            netbios_domain: "CORP".into(),
            dns_domain: "corp.example".into(),
            netbios_computer: "HV01".into(),
            dns_computer: "hv01.corp.example".into(),
            expected_channel_bindings: cbt.map(<[u8]>::to_vec),
        }
    }

    fn run(
        user: &str,
        pw: &str,
        cbt: Option<&[u8]>,
        want: Option<&[u8]>,
    ) -> Result<(Session, Session, AuthenticatedUser), NtlmError> {
        let cfg = ClientConfig {
            credentials: Credentials::new(user, pw)?,
            target_spn: "HTTP/hv01.corp.example".into(),
            channel_bindings: cbt.map(<[u8]>::to_vec),
        };
        let mut client = Client::new_deterministic(cfg, [7; 8], [9; 16], 1);
        let mut server = Server::new(server_cfg(want), [3; 8], 133_000_000_000_000_000);
        let challenge = server.challenge(&client.negotiate())?;
        let auth = client.authenticate(&challenge)?;
        let (ss, who) = server.authenticate(&auth)?;
        Ok((client.into_session()?, ss, who))
    }

    #[test]
    fn all_three_user_forms_authenticate() {
        for (form, domain) in [
            ("CORP\\alice", "CORP"),
            ("alice@corp.example", ""),
            ("alice", ""),
        ] {
            let (_, _, who) = run(form, "S3cret!", None, None).unwrap();
            assert_eq!(
                who,
                AuthenticatedUser {
                    user: "alice".into(),
                    domain: domain.into()
                }
            );
        }
        assert!(run("corp.example\\ALICE", "S3cret!", None, None).is_ok());
    }

    #[test]
    fn wrong_password_and_unknown_user_fail() {
        let e = run("CORP\\alice", "Wr0ngPw", None, None).unwrap_err();
        assert!(matches!(e, NtlmError::BadResponse { .. }), "{e}");
        assert!(!e.to_string().contains("Wr0ngPw"));
        let e = run("CORP\\bob", "S3cret!", None, None).unwrap_err();
        assert!(matches!(e, NtlmError::UnknownUser { .. }));
        let e = run("OTHER\\alice", "S3cret!", None, None).unwrap_err();
        assert!(matches!(e, NtlmError::UnknownUser { .. }));
    }

    #[test]
    fn channel_bindings_match_and_mismatch() {
        assert!(
            run(
                "alice",
                "S3cret!",
                Some(b"tls-server-end-point:A"),
                Some(b"tls-server-end-point:A")
            )
            .is_ok()
        );
        let e = run(
            "alice",
            "S3cret!",
            Some(b"tls-server-end-point:B"),
            Some(b"tls-server-end-point:A"),
        )
        .unwrap_err();
        assert_eq!(
            e,
            NtlmError::ChannelBindings("do not match the tls channel")
        );
        let e = run("alice", "S3cret!", None, Some(b"x")).unwrap_err();
        assert_eq!(e, NtlmError::ChannelBindings("missing"));
        assert!(run("alice", "S3cret!", Some(b"x"), None).is_ok());
    }

    #[test]
    fn sealed_messages_both_ways_with_sequence_numbers() {
        let (mut c, mut s, _) = run("CORP\\alice", "S3cret!", None, None).unwrap();
        for i in 0..3u32 {
            let req = format!("request {i}");
            let (sig, data) = c.seal(req.as_bytes());
            assert_eq!(sig[12..], i.to_le_bytes());
            assert_ne!(data, req.as_bytes());
            assert_eq!(s.unseal(&sig, &data).unwrap(), req.as_bytes());
            let (sig, data) = s.seal(b"reply");
            assert_eq!(c.unseal(&sig, &data).unwrap(), b"reply");
        }
        let (sig, mut data) = c.seal(b"tamper me");
        data[3] ^= 0x80;
        assert_eq!(s.unseal(&sig, &data), Err(NtlmError::BadSignature));
    }

    #[test]
    fn tampered_authenticate_fails_the_mic() {
        let cfg = ClientConfig {
            credentials: Credentials::new("CORP\\alice", "S3cret!").unwrap(),
            target_spn: String::new(),
            channel_bindings: None,
        };
        let mut client = Client::new_deterministic(cfg, [7; 8], [9; 16], 1).with_workstation("WS");
        let mut server = Server::new(server_cfg(None), [3; 8], 5);
        let challenge = server.challenge(&client.negotiate()).unwrap();
        let mut auth = client.authenticate(&challenge).unwrap();
        auth[60] ^= 0x10; // flip SIGN in the flags: covered only by the MIC
        assert_eq!(server.authenticate(&auth).unwrap_err(), NtlmError::BadMic);
        assert!(
            server.authenticate(&auth).is_err(),
            "a second authenticate is a state error"
        );
    }

    #[test]
    fn client_state_errors() {
        let cfg = ClientConfig {
            credentials: Credentials::new("alice", "x").unwrap(),
            target_spn: String::new(),
            channel_bindings: None,
        };
        let mut c = Client::new(cfg);
        assert!(matches!(c.authenticate(b"x"), Err(NtlmError::State(_))));
        c.negotiate();
        assert!(c.authenticate(b"NTLMSSP\0").is_err());
        assert!(c.into_session().is_err());
    }
}
