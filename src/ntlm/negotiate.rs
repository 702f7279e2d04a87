//! NEGOTIATE_MESSAGE ([MS-NLMP] 2.2.1.1): the client's opening token.
//!
//! We always send the VERSION field and empty domain/workstation fields (no OEM names), as
//! pyspnego does. Parsing (server side) only needs the flags; names are ignored.

use super::NtlmError;
use super::wire::{MessageBuilder, NegotiateFlags, Version, array_at, check_header, u32_at};

const MSG: &str = "negotiate message";
const HEADER_LEN: usize = 40;

/// A NEGOTIATE_MESSAGE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NegotiateMessage {
    /// Requested flags.
    pub flags: NegotiateFlags,
    /// The VERSION field, if present.
    pub version: Option<Version>,
}

impl NegotiateMessage {
    /// Encodes the message (40 bytes: header, two empty fields, VERSION).
    pub fn encode(&self) -> Vec<u8> {
        let mut b = MessageBuilder::new(1, HEADER_LEN);
        b.raw(&self.flags.0.to_le_bytes()).field(&[]).field(&[]);
        b.raw(&self.version.unwrap_or(Version([0; 8])).0);
        b.finish()
    }

    /// Parses a NEGOTIATE_MESSAGE; only the signature, type and flags are required.
    pub fn parse(b: &[u8]) -> Result<NegotiateMessage, NtlmError> {
        check_header(b, 1, MSG)?;
        let flags = NegotiateFlags(u32_at(b, 12, MSG)?);
        let version = if flags.has(NegotiateFlags::VERSION) {
            array_at::<8>(b, 32, MSG).ok().map(Version)
        } else {
            None
        };
        Ok(NegotiateMessage { flags, version })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_like_pyspnego_layout() {
        let m = NegotiateMessage {
            flags: NegotiateFlags(0xe208_8237),
            version: Some(Version([0, 0x0c, 4, 0, 0, 0, 0, 0x0f])),
        };
        let want =
            "4e544c4d5353500001000000378208e200000000280000000000000028000000000c04000000000f";
        let got: String = m.encode().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(got, want);
        assert_eq!(NegotiateMessage::parse(&m.encode()).unwrap(), m);
    }

    #[test]
    fn rejects_wrong_type_and_truncation() {
        let mut m = NegotiateMessage {
            flags: NegotiateFlags::CLIENT_DEFAULT,
            version: None,
        }
        .encode();
        assert!(NegotiateMessage::parse(&m[..14]).is_err());
        m[8] = 2;
        assert!(NegotiateMessage::parse(&m).is_err());
    }
}
