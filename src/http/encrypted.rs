//! The `multipart/encrypted` body that carries sealed SOAP ([MS-WSMV] 2.2.9.1,
//! winrm-wire.md §2).
//!
//! ```text
//! --Encrypted Boundary\r\n
//! \tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n
//! \tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=<N>\r\n
//! --Encrypted Boundary\r\n
//! \tContent-Type: application/octet-stream\r\n
//! <u32 LE header length><header (NTLM: 16-byte signature)><sealed SOAP>--Encrypted Boundary--\r\n
//! ```
//!
//! Encoding is byte-exact; decoding is tolerant where peers differ (tabs optional, `-- Encrypted
//! Boundary`, boundary taken from the Content-Type) and strict on lengths: the header length must
//! fit, and the unsealed plaintext must be exactly `Length` bytes. Generic over [`Sealer`], so the
//! client, the simulated host and (later) Kerberos share it. What this module does not do: the
//! cryptography (see `ntlm::Session`) or CredSSP's `multipart/x-multi-encrypted` chunking.

use crate::error::{Error, ErrorKind};

/// Protocol string for Negotiate (NTLM, or Kerberos via SPNEGO).
pub const SPNEGO_PROTOCOL: &str = "application/HTTP-SPNEGO-session-encrypted";
/// Protocol string when the `Kerberos` HTTP scheme was used.
pub const KERBEROS_PROTOCOL: &str = "application/HTTP-Kerberos-session-encrypted";
/// The boundary every WinRM peer uses.
pub const BOUNDARY: &str = "Encrypted Boundary";
/// Largest per-message header (signature / wrap token) accepted when decoding.
const MAX_HEADER_LEN: usize = 4096;

/// Seals and unseals whole messages for one direction pair of a security context.
pub trait Sealer {
    /// Seal `plaintext`; returns (header, e.g. the 16-byte NTLM signature; sealed data).
    fn seal(&mut self, plaintext: &[u8]) -> (Vec<u8>, Vec<u8>);
    /// Verify and unseal; an error means tampering, a wrong key or a lost message.
    fn unseal(&mut self, header: &[u8], data: &[u8]) -> Result<Vec<u8>, Error>;
    /// `Some(header length)` when this sealer's header has a fixed length and its sealed data is
    /// exactly as long as the plaintext (NTLM): [`encode`] then copies the plaintext into the
    /// body once and seals it there with [`Sealer::seal_in_place`], with no buffers between.
    fn in_place_header_len(&self) -> Option<usize> {
        None
    }
    /// Seal `data` in place and write the header into `header` (`in_place_header_len()` bytes
    /// long). Only called when [`Sealer::in_place_header_len`] is `Some`; the default goes
    /// through [`Sealer::seal`] and copies what fits.
    fn seal_in_place(&mut self, header: &mut [u8], data: &mut [u8]) {
        let (h, d) = self.seal(data);
        for (dst, src) in header.iter_mut().zip(&h) {
            *dst = *src;
        }
        for (dst, src) in data.iter_mut().zip(&d) {
            *dst = *src;
        }
    }
}

impl Sealer for crate::ntlm::Session {
    fn seal(&mut self, plaintext: &[u8]) -> (Vec<u8>, Vec<u8>) {
        let (signature, data) = crate::ntlm::Session::seal(self, plaintext);
        (signature.to_vec(), data)
    }

    fn unseal(&mut self, header: &[u8], data: &[u8]) -> Result<Vec<u8>, Error> {
        crate::ntlm::Session::unseal(self, header, data)
            .map_err(|e| Error::new(ErrorKind::Protocol, e.to_string()))
    }

    fn in_place_header_len(&self) -> Option<usize> {
        Some(crate::ntlm::SIGNATURE_LEN)
    }

    fn seal_in_place(&mut self, header: &mut [u8], data: &mut [u8]) {
        let signature = crate::ntlm::Session::seal_in_place(self, data);
        for (dst, src) in header.iter_mut().zip(&signature) {
            *dst = *src;
        }
    }
}

/// `Content-Type` of a sealed body for `protocol`.
pub fn content_type(protocol: &str) -> String {
    format!("multipart/encrypted;protocol=\"{protocol}\";boundary=\"{BOUNDARY}\"")
}

/// Whether a response `Content-Type` announces a sealed body.
pub fn is_encrypted(content_type: &str) -> bool {
    let media = content_type.split(';').next().unwrap_or("").trim();
    media.eq_ignore_ascii_case("multipart/encrypted")
}

/// Seal `plaintext` and frame it. `Length` in `OriginalContent` is the length of the sealed data
/// part, padding included (MS-WSMV 2.2.9.1; equal to the plaintext length for NTLM).
pub fn encode(sealer: &mut dyn Sealer, protocol: &str, plaintext: &[u8]) -> Vec<u8> {
    let Some(header_len) = sealer.in_place_header_len() else {
        let (header, data) = sealer.seal(plaintext);
        let mut out = Vec::with_capacity(framed_len(protocol, header.len(), data.len()));
        frame_head(&mut out, protocol, header.len(), data.len());
        out.extend_from_slice(&header);
        out.extend_from_slice(&data);
        frame_tail(&mut out);
        return out;
    };
    // Frame the plaintext in an exact-size body, then seal it where it lies.
    let mut out = Vec::with_capacity(framed_len(protocol, header_len, plaintext.len()));
    frame_head(&mut out, protocol, header_len, plaintext.len());
    let header_at = out.len();
    out.resize(header_at + header_len, 0);
    out.extend_from_slice(plaintext);
    let (header, data) = out.split_at_mut(header_at + header_len);
    sealer.seal_in_place(&mut header[header_at..], data);
    frame_tail(&mut out);
    out
}

const PART1: &[u8] = b"--Encrypted Boundary\r\n\tContent-Type: ";
const ORIGINAL: &[u8] = b"\r\n\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=";
const PART2: &[u8] = b"\r\n--Encrypted Boundary\r\n\tContent-Type: application/octet-stream\r\n";
const CLOSE: &[u8] = b"--Encrypted Boundary--\r\n";

/// Decimal digits of `n`.
fn digits(mut n: usize) -> usize {
    let mut d = 1;
    while n >= 10 {
        n /= 10;
        d += 1;
    }
    d
}

/// The exact length of a framed body.
fn framed_len(protocol: &str, header_len: usize, data_len: usize) -> usize {
    PART1.len()
        + protocol.len()
        + ORIGINAL.len()
        + digits(data_len)
        + PART2.len()
        + 4
        + header_len
        + data_len
        + CLOSE.len()
}

/// Everything before the header: both part headers and the header's length field.
fn frame_head(out: &mut Vec<u8>, protocol: &str, header_len: usize, data_len: usize) {
    out.extend_from_slice(PART1);
    out.extend_from_slice(protocol.as_bytes());
    out.extend_from_slice(ORIGINAL);
    let mut buf = [0u8; 20];
    let mut at = buf.len();
    let mut n = data_len;
    loop {
        at -= 1;
        buf[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[at..]);
    out.extend_from_slice(PART2);
    let len = u32::try_from(header_len).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_le_bytes());
}

fn frame_tail(out: &mut Vec<u8>) {
    out.extend_from_slice(CLOSE);
}

/// Unframe and unseal a body whose `Content-Type` is `content_type`.
pub fn decode(sealer: &mut dyn Sealer, content_type: &str, body: &[u8]) -> Result<Vec<u8>, Error> {
    let boundary = boundary_of(content_type).unwrap_or(BOUNDARY);
    let mut pos = expect_delimiter(body, 0, boundary)?;
    let header_end =
        find_delimiter(body, pos, boundary).ok_or_else(|| bad("the second boundary is missing"))?;
    let length = original_length(body.get(pos..header_end.0).unwrap_or(&[]))?;
    pos = header_end.1;
    pos = skip_octet_stream_header(body, pos)?;
    let len_bytes: [u8; 4] = body
        .get(pos..pos + 4)
        .and_then(|s| s.try_into().ok())
        .ok_or_else(|| bad("the header length field is truncated"))?;
    let header_len = u32::from_le_bytes(len_bytes) as usize;
    pos += 4;
    if header_len > MAX_HEADER_LEN {
        return Err(bad(&format!(
            "the header length {header_len} is implausible"
        )));
    }
    let header = body
        .get(pos..pos + header_len)
        .ok_or_else(|| bad("the signature is truncated"))?;
    pos += header_len;
    let data_end = closing_delimiter(body, pos, boundary)
        .ok_or_else(|| bad("the closing boundary is missing"))?;
    let data = body.get(pos..data_end).unwrap_or(&[]);
    // Length counts the sealed data part, padding included (RC4 Kerberos adds one byte; NTLM
    // and AES Kerberos add none), so it is checked before unsealing.
    if data.len() != length {
        return Err(bad(&format!(
            "the sealed data is {} bytes but Length says {length} (tampered or truncated)",
            data.len()
        )));
    }
    sealer.unseal(header, data)
}

fn bad(why: &str) -> Error {
    Error::new(
        ErrorKind::Protocol,
        format!("malformed encrypted body: {why}"),
    )
}

fn boundary_of(content_type: &str) -> Option<&str> {
    content_type.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        if !k.trim().eq_ignore_ascii_case("boundary") {
            return None;
        }
        let v = v.trim();
        Some(
            v.strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(v),
        )
    })
}

/// Match `--`, optional spaces/tabs, the boundary and CRLF at `pos`; returns the end.
fn delimiter_at(body: &[u8], pos: usize, boundary: &str) -> Option<usize> {
    let mut p = pos;
    if body.get(p..p + 2)? != b"--" {
        return None;
    }
    p += 2;
    while matches!(body.get(p), Some(b' ' | b'\t')) {
        p += 1;
    }
    if body.get(p..p + boundary.len())? != boundary.as_bytes() {
        return None;
    }
    p += boundary.len();
    if body.get(p..p + 2)? == b"\r\n" {
        return Some(p + 2);
    }
    None
}

fn expect_delimiter(body: &[u8], pos: usize, boundary: &str) -> Result<usize, Error> {
    delimiter_at(body, pos, boundary)
        .ok_or_else(|| bad("the body does not start with the boundary"))
}

/// The next delimiter at the start of a line at or after `from`: (start, end).
fn find_delimiter(body: &[u8], from: usize, boundary: &str) -> Option<(usize, usize)> {
    (from..body.len())
        .filter(|&i| i == from || body.get(i.wrapping_sub(1)) == Some(&b'\n'))
        .find_map(|i| delimiter_at(body, i, boundary).map(|end| (i, end)))
}

/// `Length=` (any case) in the first part's headers.
fn original_length(headers: &[u8]) -> Result<usize, Error> {
    const KEY: &[u8] = b"length=";
    let at = headers
        .windows(KEY.len())
        .position(|w| w.eq_ignore_ascii_case(KEY))
        .ok_or_else(|| bad("OriginalContent has no Length"))?;
    let rest = headers.get(at + KEY.len()..).unwrap_or(&[]);
    let end = rest
        .iter()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(rest.len());
    std::str::from_utf8(rest.get(..end).unwrap_or(&[]))
        .ok()
        .and_then(|d| d.parse::<usize>().ok())
        .ok_or_else(|| bad("OriginalContent Length is not a number"))
}

fn skip_octet_stream_header(body: &[u8], pos: usize) -> Result<usize, Error> {
    let mut p = pos;
    while matches!(body.get(p), Some(b' ' | b'\t')) {
        p += 1;
    }
    let line = b"content-type: application/octet-stream\r\n";
    let got = body
        .get(p..p + line.len())
        .ok_or_else(|| bad("the octet-stream part is truncated"))?;
    if !got.eq_ignore_ascii_case(line) {
        return Err(bad("the second part is not application/octet-stream"));
    }
    Ok(p + line.len())
}

/// Where the closing `--boundary--` starts; it must end the body (a final CRLF is optional).
fn closing_delimiter(body: &[u8], from: usize, boundary: &str) -> Option<usize> {
    let trimmed = body.strip_suffix(b"\r\n").unwrap_or(body);
    let before = trimmed
        .strip_suffix(b"--")?
        .strip_suffix(boundary.as_bytes())?;
    let mut end = before.len();
    while end > from && matches!(before.get(end - 1), Some(b' ' | b'\t')) {
        end -= 1;
    }
    let start = end.checked_sub(2)?;
    if start < from || before.get(start..end)? != b"--" {
        return None;
    }
    Some(start)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A toy sealer: XOR with a counter-derived byte, header = [seq, sum].
    struct Toy {
        out: u8,
        inn: u8,
    }

    impl Sealer for Toy {
        fn seal(&mut self, p: &[u8]) -> (Vec<u8>, Vec<u8>) {
            let k = self.out;
            self.out = self.out.wrapping_add(1);
            let sum = p.iter().fold(0u8, |a, b| a.wrapping_add(*b));
            (vec![k, sum], p.iter().map(|b| b ^ k ^ 0x5a).collect())
        }
        fn unseal(&mut self, h: &[u8], d: &[u8]) -> Result<Vec<u8>, Error> {
            let k = self.inn;
            self.inn = self.inn.wrapping_add(1);
            let p: Vec<u8> = d.iter().map(|b| b ^ k ^ 0x5a).collect();
            let sum = p.iter().fold(0u8, |a, b| a.wrapping_add(*b));
            if h != [k, sum] {
                return Err(Error::new(ErrorKind::Protocol, "bad signature"));
            }
            Ok(p)
        }
    }

    fn toy() -> Toy {
        Toy { out: 0, inn: 0 }
    }

    #[test]
    fn layout_is_byte_exact() {
        let body = encode(&mut toy(), SPNEGO_PROTOCOL, b"<s:Envelope/>");
        let text = String::from_utf8_lossy(&body);
        assert!(text.starts_with("--Encrypted Boundary\r\n\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=13\r\n--Encrypted Boundary\r\n\tContent-Type: application/octet-stream\r\n\x02\0\0\0"));
        assert!(body.ends_with(b"--Encrypted Boundary--\r\n"));
        // 13 bytes of data + 2 header bytes + framing (269 with a 16-byte NTLM signature).
        assert_eq!(body.len(), 269 - 16 + 2);
        assert_eq!(
            content_type(SPNEGO_PROTOCOL),
            "multipart/encrypted;protocol=\"application/HTTP-SPNEGO-session-encrypted\";boundary=\"Encrypted Boundary\""
        );
    }

    #[test]
    fn round_trip_keeps_sequence() {
        let (mut c, mut s) = (toy(), toy());
        for msg in [&b"one"[..], b"--Encrypted Boundary--\r\n inside", b""] {
            let body = encode(&mut c, SPNEGO_PROTOCOL, msg);
            let ct = content_type(SPNEGO_PROTOCOL);
            assert_eq!(decode(&mut s, &ct, &body).ok().as_deref(), Some(msg));
        }
    }

    #[test]
    fn tolerant_variants_decode() {
        let body = b"-- Encrypted Boundary\r\nContent-Type: application/HTTP-SPNEGO-session-encrypted\r\nOriginalContent: type=application/soap+xml;charset=UTF-8;Length=2\r\n--Encrypted Boundary\r\nContent-Type: Application/Octet-Stream\r\n\x02\0\0\0\x00\xc3\x61\x62--Encrypted Boundary--";
        let plain: Vec<u8> = b"ab".iter().map(|b| b ^ 0x5a).collect();
        let mut body = body.to_vec();
        let n = body.len();
        body.splice(n - 24..n - 22, plain);
        let out = decode(
            &mut toy(),
            "multipart/encrypted;boundary=Encrypted Boundary",
            &body,
        );
        assert_eq!(out.ok().as_deref(), Some(&b"ab"[..]));
        assert!(is_encrypted("Multipart/Encrypted; protocol=x"));
        assert!(!is_encrypted("application/soap+xml;charset=UTF-8"));
    }

    #[test]
    fn length_mismatch_and_tampering_fail() {
        let body = encode(&mut toy(), SPNEGO_PROTOCOL, b"hello");
        let text = String::from_utf8_lossy(&body).replace("Length=5", "Length=6");
        let ct = content_type(SPNEGO_PROTOCOL);
        let e = decode(&mut toy(), &ct, text.as_bytes())
            .err()
            .map(|e| e.to_string());
        assert!(e.unwrap_or_default().contains("Length says 6"));
        let mut flipped = body.clone();
        let at = flipped.len() - 26;
        flipped[at] ^= 1;
        assert!(decode(&mut toy(), &ct, &flipped).is_err());
    }

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .filter_map(|i| s.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
            .collect()
    }

    /// winrm-wire.md §3.4: ExportedSessionKey 55..55, flags 0xe2888235, `<s:Envelope/>`.
    #[test]
    fn ntlm_session_matches_the_derived_vector() {
        use crate::ntlm::{NegotiateFlags, Session};
        let flags = NegotiateFlags(0xe288_8235);
        let mut client = Session::client(&[0x55; 16], flags);
        let mut server = Session::server(&[0x55; 16], flags);
        let body = encode(&mut client, SPNEGO_PROTOCOL, b"<s:Envelope/>");
        let mut want = b"--Encrypted Boundary\r\n\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=13\r\n--Encrypted Boundary\r\n\tContent-Type: application/octet-stream\r\n".to_vec();
        want.extend(unhex(
            "1000000001000000b41d13116965b03d0000000038965720b06f3ab0981031eeda",
        ));
        want.extend_from_slice(b"--Encrypted Boundary--\r\n");
        assert_eq!(body.len(), 269);
        assert_eq!(body, want);
        let ct = content_type(SPNEGO_PROTOCOL);
        assert_eq!(
            decode(&mut server, &ct, &body).ok().as_deref(),
            Some(&b"<s:Envelope/>"[..])
        );
        let reply = encode(&mut server, SPNEGO_PROTOCOL, b"<s:Envelope/>");
        let sig_and_data = unhex("010000007d045a5bf225d5e3000000007a7b27f23fcc788547b442f81d");
        assert!(
            reply
                .windows(sig_and_data.len())
                .any(|w| w == sig_and_data.as_slice())
        );
        assert_eq!(
            decode(&mut client, &ct, &reply).ok().as_deref(),
            Some(&b"<s:Envelope/>"[..])
        );
    }

    /// Sealing in place inside the body gives the same bytes as sealing into buffers and
    /// framing them (the trait's default path), at sizes across the 8 KB chunks and the
    /// Length digit counts; bodies are built at their exact size.
    #[test]
    fn in_place_sealing_matches_the_buffered_path() {
        use crate::ntlm::{NegotiateFlags, Session};
        /// An NTLM session through `seal`/`unseal` only.
        struct Buffered(Session);
        impl Sealer for Buffered {
            fn seal(&mut self, p: &[u8]) -> (Vec<u8>, Vec<u8>) {
                Sealer::seal(&mut self.0, p)
            }
            fn unseal(&mut self, h: &[u8], d: &[u8]) -> Result<Vec<u8>, Error> {
                Sealer::unseal(&mut self.0, h, d)
            }
        }
        let flags = NegotiateFlags(0xe288_8235);
        let mut fast = Session::client(&[0x55; 16], flags);
        let mut slow = Buffered(Session::client(&[0x55; 16], flags));
        let mut server = Session::server(&[0x55; 16], flags);
        let ct = content_type(SPNEGO_PROTOCOL);
        for len in [0usize, 1, 9, 10, 99, 100, 8191, 8192, 8193, 20_000] {
            let msg: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
            let a = encode(&mut fast, SPNEGO_PROTOCOL, &msg);
            let b = encode(&mut slow, SPNEGO_PROTOCOL, &msg);
            assert_eq!(a, b, "{len} bytes");
            assert_eq!(a.len(), framed_len(SPNEGO_PROTOCOL, 16, len), "{len} bytes");
            assert!(
                String::from_utf8_lossy(&a).contains(&format!("Length={len}\r\n")),
                "{len} bytes"
            );
            assert_eq!(decode(&mut server, &ct, &a).ok(), Some(msg.clone()));
        }
        let toy_body = encode(&mut toy(), KERBEROS_PROTOCOL, b"abc");
        assert_eq!(toy_body.len(), framed_len(KERBEROS_PROTOCOL, 2, 3));
    }

    #[test]
    fn original_length_is_found_in_any_case_and_must_be_a_number() {
        let len = |h: &str| original_length(h.as_bytes()).map_err(|e| e.to_string());
        assert_eq!(
            len("\tOriginalContent: type=x;charset=UTF-8;Length=269\r\n"),
            Ok(269)
        );
        assert_eq!(len("ORIGINALCONTENT: TYPE=X;LENGTH=7"), Ok(7));
        assert!(
            len("OriginalContent: type=x")
                .unwrap_err()
                .contains("no Length")
        );
        assert!(len("Length=x").unwrap_err().contains("not a number"));
        assert!(len("Length=").unwrap_err().contains("not a number"));
        assert!(len("Length=99999999999999999999999").is_err());
    }

    #[test]
    fn truncations_never_panic() {
        let body = encode(&mut toy(), SPNEGO_PROTOCOL, b"hello world");
        for cut in 0..body.len() - 2 {
            assert!(
                decode(&mut toy(), BOUNDARY, &body[..cut]).is_err(),
                "cut {cut}"
            );
        }
    }
}
