//! Which mechanism a simulated host's client speaks, told from the token bytes (core: pure
//! functions): raw NTLMSSP, SPNEGO wrapping NTLM or krb5, or a raw krb5 GSS token; plus the HTTP
//! schemes (`Negotiate`, `Kerberos`) and the `multipart/encrypted` protocol string each one
//! requires ([MS-WSMV] 2.2.9.1, kerberos.md §3 and §5.1).
//!
//! A token is classified by its signature and DER OIDs only, never guessed: `NTLMSSP\0`; an
//! initial context token `0x60 { OID, … }` whose OID is krb5 (1.2.840.113554.1.2.2, or
//! Microsoft's 1.2.840.48018.1.2.2) or SPNEGO (1.3.6.1.5.5.2), and for SPNEGO the first (preferred)
//! entry of its mechTypes. What this module does not do: GSSAPI (`kerberos::Acceptor`, used by
//! `sim::server_auth`) or NTLM (`ntlm::Acceptor`).

use crate::http::encrypted::{KERBEROS_PROTOCOL, SPNEGO_PROTOCOL};
use crate::ntlm::spnego::{NTLM_OID, NegTokenInit, SPNEGO_OID};

/// DER content of the krb5 mechanism OID 1.2.840.113554.1.2.2.
pub const KRB5_OID: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02];
/// DER content of Microsoft's legacy krb5 OID 1.2.840.48018.1.2.2 (Windows clients list it).
pub const MS_KRB5_OID: &[u8] = &[0x2a, 0x86, 0x48, 0x82, 0xf7, 0x12, 0x01, 0x02, 0x02];

/// The mechanism of a client's first token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Mechanism {
    /// A raw NTLMSSP message.
    RawNtlm,
    /// SPNEGO NegTokenInit preferring NTLM.
    SpnegoNtlm,
    /// A raw krb5 GSS token (`60 … 06 09 2a864886f712010202 01 00 <AP-REQ>`).
    RawKerberos,
    /// SPNEGO NegTokenInit preferring krb5.
    SpnegoKerberos,
    /// Anything else (including a NegTokenResp, which is never a first token).
    Unknown,
}

impl Mechanism {
    /// Whether the mechanism is Kerberos.
    pub fn is_kerberos(self) -> bool {
        matches!(self, Mechanism::RawKerberos | Mechanism::SpnegoKerberos)
    }

    /// For logs: `ntlm`, `ntlm in spnego`, `kerberos`, `kerberos in spnego`, `unknown`.
    pub fn describe(self) -> &'static str {
        match self {
            Mechanism::RawNtlm => "ntlm",
            Mechanism::SpnegoNtlm => "ntlm in spnego",
            Mechanism::RawKerberos => "kerberos",
            Mechanism::SpnegoKerberos => "kerberos in spnego",
            Mechanism::Unknown => "unknown",
        }
    }
}

/// The HTTP authentication scheme of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Scheme {
    /// `Negotiate` (NTLM or Kerberos, raw or in SPNEGO).
    Negotiate,
    /// `Kerberos` (raw krb5 tokens only).
    Kerberos,
}

impl Scheme {
    /// The scheme from an `Authorization` scheme token (case-insensitive).
    pub fn parse(name: &str) -> Option<Scheme> {
        if name.eq_ignore_ascii_case("Negotiate") {
            Some(Scheme::Negotiate)
        } else if name.eq_ignore_ascii_case("Kerberos") {
            Some(Scheme::Kerberos)
        } else {
            None
        }
    }

    /// The scheme token for `WWW-Authenticate`.
    pub fn name(self) -> &'static str {
        match self {
            Scheme::Negotiate => "Negotiate",
            Scheme::Kerberos => "Kerberos",
        }
    }

    /// The sealing protocol string this scheme requires.
    pub fn protocol(self) -> &'static str {
        match self {
            Scheme::Negotiate => SPNEGO_PROTOCOL,
            Scheme::Kerberos => KERBEROS_PROTOCOL,
        }
    }
}

/// Classify a client's first token.
pub fn classify(token: &[u8]) -> Mechanism {
    if token.starts_with(b"NTLMSSP\0") {
        return Mechanism::RawNtlm;
    }
    let Some((0x60, body)) = tlv(token) else {
        return Mechanism::Unknown;
    };
    let Some((0x06, oid)) = tlv(body) else {
        return Mechanism::Unknown;
    };
    if is_krb5(oid) {
        return Mechanism::RawKerberos;
    }
    if oid != SPNEGO_OID {
        return Mechanism::Unknown;
    }
    let Ok(init) = NegTokenInit::parse(token) else {
        return Mechanism::Unknown;
    };
    match init.mech_types.first() {
        Some(m) if m.as_slice() == NTLM_OID => Mechanism::SpnegoNtlm,
        Some(m) if is_krb5(m) => Mechanism::SpnegoKerberos,
        _ => Mechanism::Unknown,
    }
}

fn is_krb5(oid: &[u8]) -> bool {
    oid == KRB5_OID || oid == MS_KRB5_OID
}

/// One DER TLV at the start of `b`: (tag, content). Definite lengths up to 4 bytes.
fn tlv(b: &[u8]) -> Option<(u8, &[u8])> {
    let tag = *b.first()?;
    let first = *b.get(1)?;
    let (len, start) = if first < 0x80 {
        (usize::from(first), 2)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let bytes = b.get(2..2 + n)?;
        let len = bytes
            .iter()
            .fold(0usize, |acc, x| (acc << 8) | usize::from(*x));
        (len, 2 + n)
    };
    let end = start.checked_add(len)?;
    Some((tag, b.get(start..end)?))
}

/// The `protocol` parameter of a `multipart/encrypted` Content-Type, without quotes.
pub fn protocol_of(content_type: &str) -> Option<&str> {
    content_type.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        if !k.trim().eq_ignore_ascii_case("protocol") {
            return None;
        }
        let v = v.trim();
        Some(
            v.strip_prefix('"')
                .and_then(|x| x.strip_suffix('"'))
                .unwrap_or(v),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gss(oid: &[u8], rest: &[u8]) -> Vec<u8> {
        let mut inner = vec![0x06, oid.len() as u8];
        inner.extend_from_slice(oid);
        inner.extend_from_slice(rest);
        let mut t = vec![0x60];
        if inner.len() < 0x80 {
            t.push(inner.len() as u8);
        } else {
            t.extend_from_slice(&[0x82, (inner.len() >> 8) as u8, inner.len() as u8]);
        }
        t.extend_from_slice(&inner);
        t
    }

    fn spnego(first: &[u8], second: &[u8]) -> Vec<u8> {
        NegTokenInit {
            mech_types: vec![first.to_vec(), second.to_vec()],
            mech_token: Some(vec![1, 2, 3]),
            ..NegTokenInit::default()
        }
        .encode()
    }

    #[test]
    fn tokens_are_told_apart_by_their_bytes() {
        assert_eq!(classify(b"NTLMSSP\0\x01\0\0\0"), Mechanism::RawNtlm);
        let ap_req = gss(KRB5_OID, &[0x01, 0x00, 0x6e, 0x00]);
        assert_eq!(classify(&ap_req), Mechanism::RawKerberos);
        let long = gss(KRB5_OID, &[0u8; 700]);
        assert_eq!(classify(&long), Mechanism::RawKerberos);
        assert_eq!(classify(&gss(MS_KRB5_OID, &[1])), Mechanism::RawKerberos);
        assert_eq!(classify(&spnego(NTLM_OID, KRB5_OID)), Mechanism::SpnegoNtlm);
        assert_eq!(
            classify(&spnego(MS_KRB5_OID, NTLM_OID)),
            Mechanism::SpnegoKerberos
        );
        assert_eq!(
            classify(&spnego(KRB5_OID, NTLM_OID)),
            Mechanism::SpnegoKerberos
        );
        assert!(Mechanism::SpnegoKerberos.is_kerberos() && !Mechanism::SpnegoNtlm.is_kerberos());
    }

    #[test]
    fn unknown_and_malformed_tokens() {
        assert_eq!(classify(b""), Mechanism::Unknown);
        assert_eq!(classify(b"NTLMSSP"), Mechanism::Unknown);
        assert_eq!(
            classify(&[0xa1, 0x03, 0x0a, 0x01, 0x01]),
            Mechanism::Unknown
        );
        assert_eq!(classify(&gss(&[0x2a, 0x03], &[])), Mechanism::Unknown);
        let mut cut = gss(KRB5_OID, &[1, 2, 3]);
        cut.truncate(6);
        assert_eq!(classify(&cut), Mechanism::Unknown);
        assert_eq!(classify(&[0x60, 0x85, 1, 1, 1, 1, 1]), Mechanism::Unknown);
        assert_eq!(
            classify(&[0x60, 0x84, 0xff, 0xff, 0xff, 0xff]),
            Mechanism::Unknown
        );
        assert_eq!(
            classify(&gss(SPNEGO_OID, &[0xa0, 0x00])),
            Mechanism::Unknown
        );
        for n in 0..40 {
            let t: Vec<u8> = (0..n).map(|i| [0x60, 0x81, 0x06][i % 3]).collect();
            assert_ne!(classify(&t), Mechanism::RawNtlm);
        }
    }

    #[test]
    fn schemes_and_protocol_strings() {
        assert_eq!(Scheme::parse("negotiate"), Some(Scheme::Negotiate));
        assert_eq!(Scheme::parse("KERBEROS"), Some(Scheme::Kerberos));
        assert_eq!(Scheme::parse("Basic"), None);
        assert_eq!(Scheme::Kerberos.protocol(), KERBEROS_PROTOCOL);
        assert_eq!(Scheme::Negotiate.protocol(), SPNEGO_PROTOCOL);
        let ct = crate::http::encrypted::content_type(KERBEROS_PROTOCOL);
        assert_eq!(protocol_of(&ct), Some(KERBEROS_PROTOCOL));
        assert_eq!(
            protocol_of("multipart/encrypted; protocol=application/x ;boundary=b"),
            Some("application/x")
        );
        assert_eq!(protocol_of("multipart/encrypted;boundary=b"), None);
    }
}
