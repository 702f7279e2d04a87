//! A minimal SPNEGO ([RFC 4178], [MS-SPNG]) DER codec and an acceptor that takes both raw
//! NTLMSSP and SPNEGO-wrapped NTLM tokens (pywinrm sends raw, pypsrp `auth="negotiate"` sends
//! SPNEGO; winrm-wire.md §1.2).
//!
//! Codec: [`detect`] tells raw NTLMSSP from a NegTokenInit (`0x60`) or NegTokenResp (`0xa1`);
//! [`NegTokenInit`] and [`NegTokenResp`] parse and encode the fields NTLM needs. Only definite
//! DER lengths up to 4 bytes are accepted; every read is bounds-checked.
//!
//! mechListMIC (winrm-wire.md §2.6): NTLM always produces a MIC with our CHALLENGE, so an SPNEGO
//! client sends a mechListMIC with its AUTHENTICATE. [`Acceptor`] verifies it with
//! [`super::Session::verify`] over the initiator's DER MechTypeList (consuming incoming sequence number
//! 0), answers with its own ([`super::Session::sign`], outgoing sequence number 0) in an
//! accept-completed NegTokenResp, then resets both RC4 handles ([`super::Session::reset_rc4`]) as
//! pyspnego and Windows do. The first sealed WinRM message on such a context therefore has
//! sequence number 1. If the client sends no mechListMIC we complete without one and without
//! resetting. Only NTLM is offered: an initiator whose first mech is not NTLM is rejected.
//! Not here: the SPNEGO initiator role (our client sends raw NTLMSSP), Kerberos, NegTokenInit2.
//!
//! [RFC 4178]: https://www.rfc-editor.org/rfc/rfc4178
//! [MS-SPNG]: https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-spng/f377a379-c24f-4a0f-a3eb-0d835389e28a

use super::NtlmError;
pub use super::acceptor::{AcceptStep, Acceptor};

/// DER content of the NTLMSSP mechanism OID 1.3.6.1.4.1.311.2.2.10.
pub const NTLM_OID: &[u8] = &[0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a];
/// DER content of the SPNEGO OID 1.3.6.1.5.5.2.
pub const SPNEGO_OID: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x02];

/// What kind of token a `Negotiate` header carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenKind {
    /// A raw NTLMSSP message.
    RawNtlm,
    /// An SPNEGO NegTokenInit (initial context token, `0x60`).
    NegTokenInit,
    /// An SPNEGO NegTokenResp (`0xa1`).
    NegTokenResp,
    /// Anything else.
    Unknown,
}

/// Classifies a token by its first bytes.
pub fn detect(token: &[u8]) -> TokenKind {
    match token.first() {
        _ if token.starts_with(b"NTLMSSP\0") => TokenKind::RawNtlm,
        Some(0x60) => TokenKind::NegTokenInit,
        Some(0xa1) => TokenKind::NegTokenResp,
        _ => TokenKind::Unknown,
    }
}

/// SPNEGO negState, an open enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NegState(pub u8);

#[allow(missing_docs)]
impl NegState {
    pub const ACCEPT_COMPLETED: NegState = NegState(0);
    pub const ACCEPT_INCOMPLETE: NegState = NegState(1);
    pub const REJECT: NegState = NegState(2);
    pub const REQUEST_MIC: NegState = NegState(3);
}

/// Splits one DER TLV off `b`: (tag, content, rest).
fn tlv(b: &[u8]) -> Result<(u8, &[u8], &[u8]), NtlmError> {
    let bad = |why| NtlmError::Spnego(why);
    let (&tag, b) = b.split_first().ok_or(bad("token truncated"))?;
    let (&first, b) = b.split_first().ok_or(bad("token truncated"))?;
    let (len, b) = if first < 0x80 {
        (usize::from(first), b)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return Err(bad("unsupported der length"));
        }
        let bytes = b.get(..n).ok_or(bad("token truncated"))?;
        let len = bytes
            .iter()
            .fold(0usize, |acc, &x| (acc << 8) | usize::from(x));
        (len, b.get(n..).unwrap_or_default())
    };
    let content = b.get(..len).ok_or(bad("der length runs past the end"))?;
    Ok((tag, content, b.get(len..).unwrap_or_default()))
}

/// Encodes one DER TLV.
pub(crate) fn enc(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = (len as u32).to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (4 - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

/// Iterates the context-tagged fields of a SEQUENCE: yields (tag, content).
fn fields(seq: &[u8]) -> Result<Vec<(u8, &[u8])>, NtlmError> {
    let (tag, mut body, _) = tlv(seq)?;
    if tag != 0x30 {
        return Err(NtlmError::Spnego("expected a der sequence"));
    }
    let mut out = Vec::new();
    while !body.is_empty() {
        let (t, c, rest) = tlv(body)?;
        out.push((t, c));
        body = rest;
    }
    Ok(out)
}

/// The content of an OCTET STRING inside an explicit tag.
fn octets(c: &[u8]) -> Result<Vec<u8>, NtlmError> {
    match tlv(c)? {
        (0x04, v, _) => Ok(v.to_vec()),
        _ => Err(NtlmError::Spnego("expected an octet string")),
    }
}

/// NegTokenInit inside the initial context token.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NegTokenInit {
    /// Offered mechanism OIDs (DER content bytes), in preference order.
    pub mech_types: Vec<Vec<u8>>,
    /// The DER MechTypeList exactly as received (input to the mechListMIC).
    pub mech_types_der: Vec<u8>,
    /// The optimistic token for the first mechanism.
    pub mech_token: Option<Vec<u8>>,
    /// mechListMIC, if present.
    pub mech_list_mic: Option<Vec<u8>>,
}

impl NegTokenInit {
    /// Parses `0x60 { OID spnego, [0] NegTokenInit }`.
    pub fn parse(token: &[u8]) -> Result<NegTokenInit, NtlmError> {
        let (tag, body, _) = tlv(token)?;
        let (oid_tag, oid, rest) = tlv(body)?;
        if tag != 0x60 || oid_tag != 0x06 || oid != SPNEGO_OID {
            return Err(NtlmError::Spnego("not an spnego initial context token"));
        }
        let (tag, inner, _) = tlv(rest)?;
        if tag != 0xa0 {
            return Err(NtlmError::Spnego("initial token is not a NegTokenInit"));
        }
        let mut out = NegTokenInit::default();
        for (t, c) in fields(inner)? {
            match t {
                0xa0 => {
                    let (_, mut list, after) = tlv(c)?;
                    let der_len = c.len() - after.len();
                    out.mech_types_der = c.get(..der_len).unwrap_or(c).to_vec();
                    while !list.is_empty() {
                        let (ot, oid, rest) = tlv(list)?;
                        if ot != 0x06 {
                            return Err(NtlmError::Spnego("mech type is not an oid"));
                        }
                        out.mech_types.push(oid.to_vec());
                        list = rest;
                    }
                }
                0xa2 => out.mech_token = Some(octets(c)?),
                0xa3 => out.mech_list_mic = Some(octets(c)?),
                _ => {}
            }
        }
        Ok(out)
    }

    /// Encodes the initial context token (MechTypeList rebuilt from `mech_types`).
    pub fn encode(&self) -> Vec<u8> {
        let oids: Vec<u8> = self.mech_types.iter().flat_map(|o| enc(0x06, o)).collect();
        let mut seq = enc(0xa0, &enc(0x30, &oids));
        if let Some(t) = &self.mech_token {
            seq.extend(enc(0xa2, &enc(0x04, t)));
        }
        if let Some(m) = &self.mech_list_mic {
            seq.extend(enc(0xa3, &enc(0x04, m)));
        }
        let body = [enc(0x06, SPNEGO_OID), enc(0xa0, &enc(0x30, &seq))].concat();
        enc(0x60, &body)
    }
}

/// NegTokenResp.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NegTokenResp {
    /// negState.
    pub neg_state: Option<NegState>,
    /// supportedMech OID (DER content bytes).
    pub supported_mech: Option<Vec<u8>>,
    /// responseToken.
    pub response_token: Option<Vec<u8>>,
    /// mechListMIC.
    pub mech_list_mic: Option<Vec<u8>>,
}

impl NegTokenResp {
    /// Parses `0xa1 { SEQUENCE { [0] negState, [1] supportedMech, [2] token, [3] mic } }`.
    pub fn parse(token: &[u8]) -> Result<NegTokenResp, NtlmError> {
        let (tag, inner, _) = tlv(token)?;
        if tag != 0xa1 {
            return Err(NtlmError::Spnego("not a NegTokenResp"));
        }
        let mut out = NegTokenResp::default();
        for (t, c) in fields(inner)? {
            match (t, tlv(c)?) {
                (0xa0, (0x0a, [v], _)) => out.neg_state = Some(NegState(*v)),
                (0xa1, (0x06, oid, _)) => out.supported_mech = Some(oid.to_vec()),
                (0xa2, _) => out.response_token = Some(octets(c)?),
                (0xa3, _) => out.mech_list_mic = Some(octets(c)?),
                (0xa0 | 0xa1, _) => return Err(NtlmError::Spnego("malformed NegTokenResp field")),
                _ => {}
            }
        }
        Ok(out)
    }

    /// Encodes the token.
    pub fn encode(&self) -> Vec<u8> {
        let mut seq = Vec::new();
        if let Some(s) = self.neg_state {
            seq.extend(enc(0xa0, &enc(0x0a, &[s.0])));
        }
        if let Some(m) = &self.supported_mech {
            seq.extend(enc(0xa1, &enc(0x06, m)));
        }
        if let Some(t) = &self.response_token {
            seq.extend(enc(0xa2, &enc(0x04, t)));
        }
        if let Some(m) = &self.mech_list_mic {
            seq.extend(enc(0xa3, &enc(0x04, m)));
        }
        enc(0xa1, &enc(0x30, &seq))
    }
}

/// Extracts the NTLM token from a raw or SPNEGO-wrapped token.
pub fn unwrap_ntlm(token: &[u8]) -> Result<Vec<u8>, NtlmError> {
    let missing = NtlmError::Spnego("token carries no ntlm message");
    match detect(token) {
        TokenKind::RawNtlm => Ok(token.to_vec()),
        TokenKind::NegTokenInit => NegTokenInit::parse(token)?.mech_token.ok_or(missing),
        TokenKind::NegTokenResp => NegTokenResp::parse(token)?.response_token.ok_or(missing),
        _ => Err(NtlmError::Spnego("token is neither ntlmssp nor spnego")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_and_round_trips_tokens() {
        let init = NegTokenInit {
            mech_types: vec![NTLM_OID.to_vec()],
            mech_token: Some(vec![0xab; 200]),
            ..Default::default()
        };
        let raw = init.encode();
        assert_eq!(detect(&raw), TokenKind::NegTokenInit);
        let back = NegTokenInit::parse(&raw).unwrap();
        assert_eq!(back.mech_types, init.mech_types);
        assert_eq!(back.mech_token, init.mech_token);
        assert_eq!(back.mech_types_der[0], 0x30);
        assert_eq!(unwrap_ntlm(&raw).unwrap(), vec![0xab; 200]);
        let resp = NegTokenResp {
            neg_state: Some(NegState::ACCEPT_INCOMPLETE),
            supported_mech: Some(NTLM_OID.to_vec()),
            response_token: Some(vec![1, 2, 3]),
            mech_list_mic: Some(vec![4; 16]),
        };
        assert_eq!(detect(&resp.encode()), TokenKind::NegTokenResp);
        assert_eq!(NegTokenResp::parse(&resp.encode()).unwrap(), resp);
        assert_eq!(detect(b"NTLMSSP\0\x01"), TokenKind::RawNtlm);
        assert_eq!(detect(b"xyz"), TokenKind::Unknown);
        assert!(unwrap_ntlm(b"xyz").is_err());
    }

    #[test]
    fn rejects_bad_der() {
        assert!(tlv(&[0x30, 0x85, 1, 1, 1, 1, 1]).is_err());
        assert!(tlv(&[0x30, 0x80]).is_err());
        assert!(tlv(&[0x30, 0x82, 0x01]).is_err());
        assert!(NegTokenResp::parse(&[0xa1, 0x03, 0x30, 0x01, 0x00]).is_err());
    }
}
