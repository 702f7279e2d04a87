//! Shared NTLM wire helpers ([MS-NLMP] 2.2): the `NTLMSSP\0` header, negotiate flags,
//! the VERSION structure, bounds-checked little-endian reads, security-buffer fields
//! (len/maxlen/offset) and UTF-16LE strings.
//!
//! Every read is bounds-checked and returns an error instead of panicking on short or
//! hostile input.

use super::NtlmError;

/// The 8-byte signature every NTLM message starts with.
pub(crate) const SIGNATURE: &[u8; 8] = b"NTLMSSP\0";

/// NTLM negotiate flags ([MS-NLMP] 2.2.2.5), an open set: unknown bits are preserved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct NegotiateFlags(pub u32);

#[allow(missing_docs)]
impl NegotiateFlags {
    pub const UNICODE: u32 = 0x0000_0001;
    pub const OEM: u32 = 0x0000_0002;
    pub const REQUEST_TARGET: u32 = 0x0000_0004;
    pub const SIGN: u32 = 0x0000_0010;
    pub const SEAL: u32 = 0x0000_0020;
    pub const LM_KEY: u32 = 0x0000_0080;
    pub const NTLM: u32 = 0x0000_0200;
    pub const ANONYMOUS: u32 = 0x0000_0800;
    pub const ALWAYS_SIGN: u32 = 0x0000_8000;
    pub const TARGET_TYPE_DOMAIN: u32 = 0x0001_0000;
    pub const TARGET_TYPE_SERVER: u32 = 0x0002_0000;
    pub const EXTENDED_SESSIONSECURITY: u32 = 0x0008_0000;
    pub const TARGET_INFO: u32 = 0x0080_0000;
    pub const VERSION: u32 = 0x0200_0000;
    pub const NEGOTIATE_128: u32 = 0x2000_0000;
    pub const KEY_EXCH: u32 = 0x4000_0000;
    pub const NEGOTIATE_56: u32 = 0x8000_0000;

    /// The flags our client requests (winrm-wire.md §3.7): UNICODE, REQUEST_TARGET, SIGN,
    /// SEAL, NTLM, ALWAYS_SIGN, EXTENDED_SESSIONSECURITY, VERSION, 128, KEY_EXCH, 56.
    pub const CLIENT_DEFAULT: NegotiateFlags = NegotiateFlags(
        Self::UNICODE
            | Self::REQUEST_TARGET
            | Self::SIGN
            | Self::SEAL
            | Self::NTLM
            | Self::ALWAYS_SIGN
            | Self::EXTENDED_SESSIONSECURITY
            | Self::VERSION
            | Self::NEGOTIATE_128
            | Self::KEY_EXCH
            | Self::NEGOTIATE_56,
    );

    /// True when every bit of `bits` is set.
    pub fn has(self, bits: u32) -> bool {
        self.0 & bits == bits
    }
}

/// The 8-byte VERSION structure ([MS-NLMP] 2.2.2.10); debugging information only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Version(pub [u8; 8]);

impl Version {
    /// Windows 10.0 build 20348, NTLM revision 15: what we announce.
    pub const OURS: Version = Version([10, 0, 0x4c, 0x4f, 0, 0, 0, 15]);
}

/// Reads a little-endian u16 at `off`.
pub(crate) fn u16_at(b: &[u8], off: usize, msg: &'static str) -> Result<u16, NtlmError> {
    let s = b
        .get(off..off.saturating_add(2))
        .ok_or(NtlmError::malformed(msg, "truncated"))?;
    Ok(u16::from_le_bytes([s[0], s[1]]))
}

/// Reads a little-endian u32 at `off`.
pub(crate) fn u32_at(b: &[u8], off: usize, msg: &'static str) -> Result<u32, NtlmError> {
    let s = b
        .get(off..off.saturating_add(4))
        .ok_or(NtlmError::malformed(msg, "truncated"))?;
    Ok(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

/// Copies `N` bytes at `off`.
pub(crate) fn array_at<const N: usize>(
    b: &[u8],
    off: usize,
    msg: &'static str,
) -> Result<[u8; N], NtlmError> {
    let s = b
        .get(off..off.saturating_add(N))
        .ok_or(NtlmError::malformed(msg, "truncated"))?;
    let mut out = [0u8; N];
    out.copy_from_slice(s);
    Ok(out)
}

/// Checks the signature and message type of an NTLM message.
pub(crate) fn check_header(b: &[u8], kind: u32, msg: &'static str) -> Result<(), NtlmError> {
    if b.get(..8) != Some(&SIGNATURE[..]) {
        return Err(NtlmError::malformed(msg, "missing NTLMSSP signature"));
    }
    if u32_at(b, 8, msg)? != kind {
        return Err(NtlmError::malformed(msg, "unexpected message type"));
    }
    Ok(())
}

/// A security buffer field descriptor at header offset `at`: returns the payload slice and its
/// offset. Empty fields return an empty slice whatever their offset.
pub(crate) fn field<'a>(
    b: &'a [u8],
    at: usize,
    msg: &'static str,
) -> Result<(&'a [u8], usize), NtlmError> {
    let len = usize::from(u16_at(b, at, msg)?);
    let off = usize::try_from(u32_at(b, at + 4, msg)?)
        .map_err(|_| NtlmError::malformed(msg, "field offset out of range"))?;
    if len == 0 {
        return Ok((&[], off));
    }
    let s = b
        .get(off..off.saturating_add(len))
        .ok_or(NtlmError::malformed(
            msg,
            "field points outside the message",
        ))?;
    Ok((s, off))
}

/// Builds a message: a fixed header (with field descriptors) followed by a payload.
pub(crate) struct MessageBuilder {
    header: Vec<u8>,
    payload: Vec<u8>,
    header_len: usize,
}

impl MessageBuilder {
    /// Starts a message of `kind` whose fixed header is `header_len` bytes.
    pub(crate) fn new(kind: u32, header_len: usize) -> Self {
        let mut header = Vec::with_capacity(header_len);
        header.extend_from_slice(SIGNATURE);
        header.extend_from_slice(&kind.to_le_bytes());
        MessageBuilder {
            header,
            payload: Vec::new(),
            header_len,
        }
    }

    /// Appends raw bytes to the header.
    pub(crate) fn raw(&mut self, bytes: &[u8]) -> &mut Self {
        self.header.extend_from_slice(bytes);
        self
    }

    /// Appends a field descriptor to the header and its data to the payload.
    /// Data longer than 65535 bytes is truncated to keep the descriptor consistent (callers
    /// never produce that much).
    pub(crate) fn field(&mut self, data: &[u8]) -> &mut Self {
        let data = data.get(..usize::from(u16::MAX)).unwrap_or(data);
        let off = self.header_len + self.payload.len();
        let len = u16::try_from(data.len()).unwrap_or(u16::MAX);
        self.header.extend_from_slice(&len.to_le_bytes());
        self.header.extend_from_slice(&len.to_le_bytes());
        self.header
            .extend_from_slice(&u32::try_from(off).unwrap_or(u32::MAX).to_le_bytes());
        self.payload.extend_from_slice(data);
        self
    }

    /// Finishes the message; pads the header with zeros to `header_len`.
    pub(crate) fn finish(mut self) -> Vec<u8> {
        self.header.resize(self.header_len, 0);
        self.header.extend_from_slice(&self.payload);
        self.header
    }
}

/// UTF-16LE encoding of `s`.
pub(crate) fn utf16le(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// Decodes UTF-16LE (lossy: unpaired surrogates become U+FFFD).
pub(crate) fn from_utf16le(b: &[u8], msg: &'static str) -> Result<String, NtlmError> {
    if !b.len().is_multiple_of(2) {
        return Err(NtlmError::malformed(msg, "odd-length UTF-16 string"));
    }
    let units: Vec<u16> = b
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    Ok(String::from_utf16_lossy(&units))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_default_flags_match_winrm_wire_3_7() {
        assert_eq!(NegotiateFlags::CLIENT_DEFAULT.0, 0xe208_8235);
        assert!(NegotiateFlags(0xe208_8235).has(NegotiateFlags::KEY_EXCH));
        assert!(!NegotiateFlags(0x1).has(NegotiateFlags::SEAL));
    }

    #[test]
    fn builder_places_fields_after_header() {
        let mut b = MessageBuilder::new(3, 20);
        b.field(b"ab");
        let m = b.finish();
        assert_eq!(m.len(), 22);
        assert_eq!(field(&m, 12, "t").unwrap(), (&b"ab"[..], 20));
    }

    #[test]
    fn field_rejects_out_of_bounds() {
        let mut m = SIGNATURE.to_vec();
        m.extend_from_slice(&[1, 0, 0, 0, 5, 0, 5, 0, 0xff, 0xff, 0xff, 0xff]);
        assert!(field(&m, 12, "t").is_err());
        assert!(u32_at(&m, 18, "t").is_err());
        assert!(check_header(&m, 2, "t").is_err());
        assert!(check_header(&m, 1, "t").is_ok());
    }

    #[test]
    fn utf16_round_trip_and_odd_length() {
        assert_eq!(utf16le("Ab"), vec![0x41, 0, 0x62, 0]);
        assert_eq!(from_utf16le(&utf16le("Dömain"), "t").unwrap(), "Dömain");
        assert!(from_utf16le(&[0x41], "t").is_err());
    }
}
