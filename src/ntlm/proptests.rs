//! Property tests: every NTLM and SPNEGO parser survives arbitrary, truncated and mutated input
//! with an error instead of a panic (winrm-wire.md §5; the house rule on network parsers).

use proptest::prelude::*;

use super::spnego::{self, AcceptStep, Acceptor, NegTokenInit, NegTokenResp};
use super::*;

fn server() -> Server {
    let cfg = ServerConfig {
        accounts: vec![("alice".into(), "pw".into())],
        netbios_domain: "CORP".into(),
        dns_domain: "corp.example".into(),
        netbios_computer: "HV01".into(),
        dns_computer: "hv01.corp.example".into(),
        expected_channel_bindings: Some(b"cb".to_vec()),
    };
    Server::new(cfg, [5; 8], 1)
}

fn client() -> Client {
    let cfg = ClientConfig {
        credentials: Credentials::new("CORP\\alice", "pw").expect("valid user"),
        target_spn: "HTTP/hv01".into(),
        channel_bindings: Some(b"cb".to_vec()),
    };
    Client::new_deterministic(cfg, [1; 8], [2; 16], 0)
}

/// A valid (negotiate, challenge, authenticate) triple.
fn handshake() -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let (mut c, mut s) = (client(), server());
    let neg = c.negotiate();
    let chal = s.challenge(&neg).expect("challenge");
    let auth = c.authenticate(&chal).expect("authenticate");
    (neg, chal, auth)
}

/// Random bytes that start like an NTLM message of `kind`, to reach the field parsers.
fn ntlm_like(kind: u8) -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 0..400).prop_map(move |tail| {
        let mut m = b"NTLMSSP\0".to_vec();
        m.extend_from_slice(&[kind, 0, 0, 0]);
        m.extend(tail);
        m
    })
}

proptest! {
    #[test]
    fn random_bytes_never_panic(b in proptest::collection::vec(any::<u8>(), 0..600)) {
        prop_assert!(ChallengeMessage::parse(&b).is_err());
        prop_assert!(AuthenticateMessage::parse(&b).is_err());
        let _ = NegotiateMessage::parse(&b);
        let _ = AvPairs::parse(&b);
        let _ = spnego::unwrap_ntlm(&b);
        let _ = NegTokenInit::parse(&b);
        let _ = NegTokenResp::parse(&b);
        let _ = Acceptor::new(server()).step(&b);
        let mut c = client();
        c.negotiate();
        prop_assert!(c.authenticate(&b).is_err());
    }

    #[test]
    fn ntlm_shaped_garbage_never_panics(chal in ntlm_like(2), auth in ntlm_like(3)) {
        let _ = ChallengeMessage::parse(&chal);
        let mut c = client();
        c.negotiate();
        let _ = c.authenticate(&chal);
        let _ = AuthenticateMessage::parse(&auth);
        let (neg, _, _) = handshake();
        let mut s = server();
        s.challenge(&neg).expect("challenge");
        prop_assert!(s.authenticate(&auth).is_err());
    }

    #[test]
    fn truncated_messages_are_errors(cut in 0usize..1000) {
        let (neg, chal, auth) = handshake();
        let c_cut = cut.min(chal.len() - 1);
        let mut c = client();
        c.negotiate();
        prop_assert!(c.authenticate(&chal[..c_cut]).is_err());
        let a_cut = cut.min(auth.len() - 1);
        let mut s = server();
        s.challenge(&neg).expect("challenge");
        prop_assert!(s.authenticate(&auth[..a_cut]).is_err());
        let init = NegTokenInit {
            mech_types: vec![spnego::NTLM_OID.to_vec()],
            mech_token: Some(neg.clone()),
            ..Default::default()
        }
        .encode();
        prop_assert!(NegTokenInit::parse(&init[..cut.min(init.len() - 1)]).is_err());
        let resp = NegTokenResp { response_token: Some(auth), ..Default::default() }.encode();
        prop_assert!(NegTokenResp::parse(&resp[..cut.min(resp.len() - 1)]).is_err());
    }

    #[test]
    fn mutated_authenticate_is_rejected(pos in 0usize..2000, bit in 0u8..8) {
        let (neg, _, mut auth) = handshake();
        let pos = pos % auth.len();
        auth[pos] ^= 1 << bit;
        let mut s = server();
        s.challenge(&neg).expect("challenge");
        // Every byte is covered by the signature check, the MIC, the proof or a parser check,
        // except the unused high byte of a field's MaxLen and the Version field.
        let unchecked = (14..60).step_by(8).any(|p| pos == p || pos == p + 1) || (64..72).contains(&pos);
        let r = s.authenticate(&auth);
        prop_assert!(unchecked || r.is_err(), "flip at {pos} accepted");
    }

    #[test]
    fn spnego_acceptor_survives_garbage_second_token(b in proptest::collection::vec(any::<u8>(), 0..300)) {
        let (mut c, mut a) = (client(), Acceptor::new(server()));
        let init = NegTokenInit {
            mech_types: vec![spnego::NTLM_OID.to_vec()],
            mech_token: Some(c.negotiate()),
            ..Default::default()
        };
        let first = a.step(&init.encode()).expect("challenge");
        prop_assert!(matches!(first, AcceptStep::Continue(_)));
        prop_assert!(a.step(&b).is_err());
    }

    #[test]
    fn unseal_garbage_is_rejected(sig in proptest::collection::vec(any::<u8>(), 0..20),
                                  data in proptest::collection::vec(any::<u8>(), 0..100)) {
        let (neg, _, auth) = handshake();
        let mut s = server();
        s.challenge(&neg).expect("challenge");
        let (mut session, _) = s.authenticate(&auth).expect("valid handshake");
        prop_assert!(session.unseal(&sig, &data).is_err());
    }
}
