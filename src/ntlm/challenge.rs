//! CHALLENGE_MESSAGE ([MS-NLMP] 2.2.1.2): the server's 8-byte challenge, flags, target name and
//! TargetInfo AV pairs.
//!
//! Parsed by the client (strictly bounds-checked), encoded by the simulator's [`super::Server`].

use super::NtlmError;
use super::avpair::AvPairs;
use super::wire::{
    MessageBuilder, NegotiateFlags, Version, array_at, check_header, field, from_utf16le, u32_at,
    utf16le,
};

const MSG: &str = "challenge message";
const HEADER_LEN: usize = 56;

/// A CHALLENGE_MESSAGE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChallengeMessage {
    /// Flags the server agreed to.
    pub flags: NegotiateFlags,
    /// The server challenge.
    pub server_challenge: [u8; 8],
    /// TargetName (decoded as UTF-16LE when UNICODE is set, else as Latin-1).
    pub target_name: String,
    /// TargetInfo AV pairs (empty when absent).
    pub target_info: AvPairs,
    /// The VERSION field, if present.
    pub version: Option<Version>,
}

impl ChallengeMessage {
    /// Parses a CHALLENGE_MESSAGE.
    pub fn parse(b: &[u8]) -> Result<ChallengeMessage, NtlmError> {
        check_header(b, 2, MSG)?;
        let flags = NegotiateFlags(u32_at(b, 20, MSG)?);
        let server_challenge = array_at::<8>(b, 24, MSG)?;
        let (name, _) = field(b, 12, MSG)?;
        let target_name = if flags.has(NegotiateFlags::UNICODE) {
            from_utf16le(name, MSG)?
        } else {
            name.iter().map(|&c| char::from(c)).collect()
        };
        let target_info = if flags.has(NegotiateFlags::TARGET_INFO) {
            let (info, _) = field(b, 40, MSG)?;
            AvPairs::parse(info)?
        } else {
            AvPairs::default()
        };
        let version = if flags.has(NegotiateFlags::VERSION) {
            array_at::<8>(b, 48, MSG).ok().map(Version)
        } else {
            None
        };
        Ok(ChallengeMessage {
            flags,
            server_challenge,
            target_name,
            target_info,
            version,
        })
    }

    /// Encodes the message (UTF-16LE target name, TargetInfo, VERSION).
    pub fn encode(&self) -> Vec<u8> {
        let mut b = MessageBuilder::new(2, HEADER_LEN);
        b.field(&utf16le(&self.target_name));
        b.raw(&self.flags.0.to_le_bytes())
            .raw(&self.server_challenge)
            .raw(&[0; 8]);
        b.field(&self.target_info.encode());
        b.raw(&self.version.unwrap_or(Version([0; 8])).0);
        b.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ntlm::avpair::AvId;

    pub(crate) fn unhex(s: &str) -> Vec<u8> {
        let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    const SPEC: &str = "4e544c4d53535000 02000000 0c000c0038000000 33828ae2 0123456789abcdef \
        0000000000000000 2400240044000000 060070170000000f 530065007200760065007200 \
        02000c0044006f006d00610069006e0001000c0053006500720076006500720000000000";

    #[test]
    fn parses_and_reencodes_spec_4_2_4_3() {
        let raw = unhex(SPEC);
        assert_eq!(raw.len(), 104);
        let c = ChallengeMessage::parse(&raw).unwrap();
        assert_eq!(c.flags.0, 0xe28a_8233);
        assert_eq!(
            c.server_challenge,
            [0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef]
        );
        assert_eq!(c.target_name, "Server");
        assert_eq!(
            c.target_info.get_str(AvId::NB_DOMAIN_NAME).as_deref(),
            Some("Domain")
        );
        assert_eq!(c.encode(), raw);
    }

    #[test]
    fn truncated_or_bad_offsets_are_errors() {
        let raw = unhex(SPEC);
        for n in 0..raw.len() {
            assert!(ChallengeMessage::parse(&raw[..n]).is_err(), "len {n}");
        }
        let mut bad = raw.clone();
        bad[44] = 0xff; // TargetInfo offset
        assert!(ChallengeMessage::parse(&bad).is_err());
    }
}
