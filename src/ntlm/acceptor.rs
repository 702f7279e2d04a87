//! The server side of `Authorization: Negotiate`: an [`Acceptor`] that takes raw NTLMSSP or
//! SPNEGO-wrapped NTLM tokens and drives a [`Server`] (winrm-wire.md §1.2, §2.6).
//!
//! See [`super::spnego`] for the token codec and what happens to the mechListMIC: it is
//! verified and answered, then both RC4 handles are reset, so the first sealed message of an
//! SPNEGO context has sequence number 1 (raw NTLM contexts start at 0).

use super::server::{AuthenticatedUser, Server};
use super::spnego::{NTLM_OID, NegState, NegTokenInit, NegTokenResp, TokenKind, detect};
use super::{NtlmError, Session};

/// One step of the [`Acceptor`].
#[derive(Debug)]
#[non_exhaustive]
pub enum AcceptStep {
    /// Send `token` in a 401 `WWW-Authenticate: Negotiate` and wait for the next token.
    Continue(Vec<u8>),
    /// Authentication succeeded; send `token` (if any) with the 200.
    Complete {
        /// Final SPNEGO token (accept-completed with mechListMIC), `None` for raw NTLM.
        token: Option<Vec<u8>>,
        /// The established session (boxed: it is large).
        session: Box<Session>,
        /// Who authenticated.
        user: AuthenticatedUser,
    },
}

/// Server side of `Authorization: Negotiate`: raw NTLMSSP or SPNEGO-wrapped NTLM.
#[derive(Debug)]
pub struct Acceptor {
    server: Server,
    /// `None` before the first token; `Some(None)` raw; `Some(Some(mech_types_der))` SPNEGO.
    mode: Option<Option<Vec<u8>>>,
}

impl Acceptor {
    /// Wraps an NTLM [`Server`].
    pub fn new(server: Server) -> Acceptor {
        Acceptor { server, mode: None }
    }

    /// Processes the client's next token.
    pub fn step(&mut self, token: &[u8]) -> Result<AcceptStep, NtlmError> {
        match self.mode.take() {
            None => self.first(token),
            Some(None) => {
                let (session, user) = self.server.authenticate(token)?;
                Ok(AcceptStep::Complete {
                    token: None,
                    session: Box::new(session),
                    user,
                })
            }
            Some(Some(mech_types)) => self.second_spnego(token, &mech_types),
        }
    }

    fn first(&mut self, token: &[u8]) -> Result<AcceptStep, NtlmError> {
        if detect(token) == TokenKind::RawNtlm {
            let challenge = self.server.challenge(token)?;
            self.mode = Some(None);
            return Ok(AcceptStep::Continue(challenge));
        }
        let init = NegTokenInit::parse(token)?;
        if init.mech_types.first().map(Vec::as_slice) != Some(NTLM_OID) {
            return Err(NtlmError::Spnego("initiator does not offer ntlm first"));
        }
        let negotiate = init
            .mech_token
            .ok_or(NtlmError::Spnego("NegTokenInit without token"))?;
        let challenge = self.server.challenge(&negotiate)?;
        self.mode = Some(Some(init.mech_types_der));
        Ok(AcceptStep::Continue(
            NegTokenResp {
                neg_state: Some(NegState::ACCEPT_INCOMPLETE),
                supported_mech: Some(NTLM_OID.to_vec()),
                response_token: Some(challenge),
                mech_list_mic: None,
            }
            .encode(),
        ))
    }

    fn second_spnego(&mut self, token: &[u8], mech_types: &[u8]) -> Result<AcceptStep, NtlmError> {
        let resp = NegTokenResp::parse(token)?;
        let auth = resp
            .response_token
            .ok_or(NtlmError::Spnego("NegTokenResp without token"))?;
        let (mut session, user) = self.server.authenticate(&auth)?;
        let mech_list_mic = match resp.mech_list_mic {
            Some(mic) => {
                session
                    .verify(mech_types, &mic)
                    .map_err(|_| NtlmError::Spnego("mechListMIC does not verify"))?;
                let ours = session.sign(mech_types).to_vec();
                session.reset_rc4();
                Some(ours)
            }
            None => None,
        };
        let token = NegTokenResp {
            neg_state: Some(NegState::ACCEPT_COMPLETED),
            supported_mech: None,
            response_token: None,
            mech_list_mic,
        }
        .encode();
        Ok(AcceptStep::Complete {
            token: Some(token),
            session: Box::new(session),
            user,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ntlm::spnego::enc;
    use crate::ntlm::{Client, ClientConfig, Credentials, ServerConfig};

    fn server() -> Server {
        let cfg = ServerConfig {
            accounts: vec![("alice".into(), "pw".into())],
            netbios_domain: "CORP".into(),
            dns_domain: "corp.example".into(),
            netbios_computer: "HV01".into(),
            dns_computer: "hv01.corp.example".into(),
            expected_channel_bindings: None,
        };
        Server::new(cfg, [5; 8], 1)
    }

    fn client() -> Client {
        let cfg = ClientConfig {
            credentials: Credentials::new("CORP\\alice", "pw").unwrap(),
            target_spn: "HTTP/hv01".into(),
            channel_bindings: None,
        };
        Client::new_deterministic(cfg, [1; 8], [2; 16], 0)
    }

    #[test]
    fn acceptor_raw_ntlm() {
        let (mut c, mut a) = (client(), Acceptor::new(server()));
        let AcceptStep::Continue(chal) = a.step(&c.negotiate()).unwrap() else {
            panic!()
        };
        let auth = c.authenticate(&chal).unwrap();
        let AcceptStep::Complete {
            token,
            mut session,
            user,
        } = a.step(&auth).unwrap()
        else {
            panic!()
        };
        assert_eq!((token, user.user.as_str()), (None, "alice"));
        let mut cs = c.into_session().unwrap();
        let (sig, data) = cs.seal(b"x");
        assert_eq!(session.unseal(&sig, &data).unwrap(), b"x");
    }

    #[test]
    fn acceptor_spnego_with_mech_list_mic() {
        let (mut c, mut a) = (client(), Acceptor::new(server()));
        let init = NegTokenInit {
            mech_types: vec![NTLM_OID.to_vec()],
            mech_token: Some(c.negotiate()),
            ..Default::default()
        };
        let AcceptStep::Continue(resp) = a.step(&init.encode()).unwrap() else {
            panic!()
        };
        let resp = NegTokenResp::parse(&resp).unwrap();
        assert_eq!(resp.neg_state, Some(NegState::ACCEPT_INCOMPLETE));
        assert_eq!(resp.supported_mech.as_deref(), Some(NTLM_OID));
        let auth = c.authenticate(&resp.response_token.unwrap()).unwrap();
        let mut cs = c.into_session().unwrap();
        let mech_der = enc(0x30, &enc(0x06, NTLM_OID));
        let mic = cs.sign(&mech_der).to_vec();
        let last = NegTokenResp {
            response_token: Some(auth),
            mech_list_mic: Some(mic),
            ..Default::default()
        };
        let AcceptStep::Complete {
            token, mut session, ..
        } = a.step(&last.encode()).unwrap()
        else {
            panic!()
        };
        let fin = NegTokenResp::parse(&token.unwrap()).unwrap();
        assert_eq!(fin.neg_state, Some(NegState::ACCEPT_COMPLETED));
        cs.verify(&mech_der, &fin.mech_list_mic.unwrap()).unwrap();
        cs.reset_rc4();
        let (sig, data) = cs.seal(b"first");
        assert_eq!(sig[12], 1);
        assert_eq!(session.unseal(&sig, &data).unwrap(), b"first");
    }

    #[test]
    fn rejects_initiator_without_ntlm_first() {
        let init = NegTokenInit {
            mech_types: vec![vec![0x2a, 0x86, 0x48]],
            mech_token: Some(vec![1]),
            ..Default::default()
        };
        assert!(Acceptor::new(server()).step(&init.encode()).is_err());
    }
}
