//! The portable WinRM split of an RFC 4121 wrap token, for GSSAPI libraries without
//! `gss_wrap_iov` (macOS GSS.framework): kerberos.md §6.3, RFC 4121 §4.2.4 and §4.2.6.2.
//!
//! `gss_wrap` yields `TOK_HDR(16) | body`, body = `E(confounder | plaintext | filler(EC) |
//! TOK_HDR') | checksum`, possibly rotated right by the header's RRC. Windows and the IOV path
//! send the same bytes rotated right by `EC + 16 + checksum length` (RRC = 28 for the AES-SHA1
//! enctypes), split after the encrypted confounder: "header" = `TOK_HDR | rotated trailer |
//! E(confounder)`, "data" = `E(plaintext)`. Receiving needs no work: `gss_unwrap(header || data)`
//! honours RRC. Pure byte functions; AES (CFX) tokens only: RC4 tokens (RFC 4757, `60 …`) are
//! refused with a clear error.

use crate::error::{Error, ErrorKind, Result};

/// TOK_ID of an RFC 4121 wrap token.
pub const TOK_ID_WRAP: [u8; 2] = [0x05, 0x04];
/// Length of the RFC 4121 token header.
pub const TOKEN_HEADER_LEN: usize = 16;
/// Confounder length (the AES block size).
const CONFOUNDER_LEN: usize = 16;
/// Shortest RFC 3962/8009 checksum (HMAC-SHA1-96).
const MIN_CHECKSUM_LEN: usize = 12;

/// The fields of an RFC 4121 wrap token header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WrapHeader {
    /// Flags: 0x01 SentByAcceptor, 0x02 Sealed, 0x04 AcceptorSubkey.
    pub flags: u8,
    /// Extra count (filler bytes).
    pub ec: u16,
    /// Right rotation count.
    pub rrc: u16,
    /// Sender's sequence number.
    pub seq: u64,
}

/// Parse the 16-byte header of an RFC 4121 wrap token.
pub fn parse_header(token: &[u8]) -> Result<WrapHeader> {
    let h = token
        .get(..TOKEN_HEADER_LEN)
        .ok_or_else(|| bad("the wrap token is shorter than its 16-byte header"))?;
    if h.get(..2) != Some(&TOK_ID_WRAP[..]) {
        return Err(Error::new(
            ErrorKind::Auth,
            "the kerberos wrap token is not an rfc 4121 (aes) token; an rc4 session key needs \
             a build with gss_wrap_iov (linux)",
        ));
    }
    let u16_at = |i: usize| u16::from_be_bytes([byte(h, i), byte(h, i + 1)]);
    let mut seq = [0u8; 8];
    seq.copy_from_slice(h.get(8..16).unwrap_or(&[0; 8]));
    Ok(WrapHeader {
        flags: byte(h, 2),
        ec: u16_at(4),
        rrc: u16_at(6),
        seq: u64::from_be_bytes(seq),
    })
}

/// Split a sealed `gss_wrap` token of `plaintext_len` bytes into WinRM (header, data).
pub fn split_for_winrm(token: &[u8], plaintext_len: usize) -> Result<(Vec<u8>, Vec<u8>)> {
    let hdr = parse_header(token)?;
    if hdr.flags & 0x02 == 0 {
        return Err(bad(
            "the wrap token is not sealed (confidentiality was not applied)",
        ));
    }
    let mut body = token.get(TOKEN_HEADER_LEN..).unwrap_or(&[]).to_vec();
    let ec = usize::from(hdr.ec);
    let fixed = plaintext_len.saturating_add(CONFOUNDER_LEN + ec + TOKEN_HEADER_LEN);
    let cksum = body
        .len()
        .checked_sub(fixed)
        .filter(|c| *c >= MIN_CHECKSUM_LEN)
        .ok_or_else(|| bad("the wrap token is too short for its plaintext"))?;
    if !body.is_empty() {
        let undo = usize::from(hdr.rrc) % body.len();
        body.rotate_left(undo);
    }
    let rrc = ec + TOKEN_HEADER_LEN + cksum;
    body.rotate_right(rrc);
    let rrc16 = u16::try_from(rrc).map_err(|_| bad("the rotation count does not fit"))?;
    let mut header = token.get(..TOKEN_HEADER_LEN).unwrap_or(&[]).to_vec();
    header.truncate(6);
    header.extend_from_slice(&rrc16.to_be_bytes());
    header.extend_from_slice(token.get(8..TOKEN_HEADER_LEN).unwrap_or(&[]));
    let data = body.split_off(rrc + CONFOUNDER_LEN);
    header.extend_from_slice(&body);
    Ok((header, data))
}

/// The whole token to hand to `gss_unwrap` for a WinRM (header, data) pair.
pub fn join_for_unwrap(header: &[u8], data: &[u8]) -> Vec<u8> {
    let mut token = Vec::with_capacity(header.len() + data.len());
    token.extend_from_slice(header);
    token.extend_from_slice(data);
    token
}

fn byte(b: &[u8], i: usize) -> u8 {
    b.get(i).copied().unwrap_or(0)
}

fn bad(why: &str) -> Error {
    Error::new(ErrorKind::Protocol, format!("kerberos wrap token: {why}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A synthetic sealed token: header with `rrc`, body rotated right by `rrc`.
    fn token(plain: &[u8], rrc: u16) -> (Vec<u8>, Vec<u8>) {
        let mut body: Vec<u8> = vec![0xc0; 16];
        body.extend_from_slice(plain);
        body.extend_from_slice(&[0xd0; 16]);
        body.extend_from_slice(&[0xe0; 12]);
        let canonical = body.clone();
        let n = body.len();
        body.rotate_right(usize::from(rrc) % n);
        let mut t = vec![0x05, 0x04, 0x06, 0xff, 0, 0];
        t.extend_from_slice(&rrc.to_be_bytes());
        t.extend_from_slice(&7u64.to_be_bytes());
        t.extend_from_slice(&body);
        (t, canonical)
    }

    #[test]
    fn aes_split_gives_the_60_byte_header() {
        for rrc in [0u16, 5, 28] {
            let (t, canonical) = token(b"hello world", rrc);
            let (h, d) = split_for_winrm(&t, 11).unwrap_or_default();
            assert_eq!(h.len(), 60, "rrc {rrc}");
            assert_eq!(d, b"hello world");
            assert_eq!(h.get(..8), Some(&[5, 4, 6, 0xff, 0, 0, 0, 28][..]));
            let hdr = parse_header(&h).ok();
            assert_eq!(hdr.map(|x| (x.rrc, x.seq)), Some((28, 7)));
            let mut joined = join_for_unwrap(&h, &d).split_off(16);
            joined.rotate_left(28);
            assert_eq!(joined, canonical);
        }
    }

    #[test]
    fn empty_plaintext_and_bad_tokens() {
        let (t, _) = token(b"", 0);
        let (h, d) = split_for_winrm(&t, 0).unwrap_or_default();
        assert_eq!((h.len(), d.len()), (60, 0));
        assert!(split_for_winrm(&t, 1).is_err());
        assert!(split_for_winrm(&t[..10], 0).is_err());
        let mut unsealed = t.clone();
        unsealed[2] = 0x04;
        assert!(split_for_winrm(&unsealed, 0).is_err());
        let rc4 = [
            0x60, 0x2b, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 1, 2, 2, 2, 1, 0,
        ];
        let e = split_for_winrm(&rc4, 0).err().map(|e| e.to_string());
        assert!(e.unwrap_or_default().contains("rc4"));
    }

    #[test]
    fn arbitrary_input_never_panics() {
        for len in 0..80 {
            let t: Vec<u8> = (0..len)
                .map(|i| if i < 2 { [5, 4][i] } else { 0xff })
                .collect();
            for p in [0, 1, 20, usize::MAX] {
                let _ = split_for_winrm(&t, p);
            }
            assert_eq!(join_for_unwrap(&t, &t).len(), 2 * t.len());
        }
    }
}
