//! AUTHENTICATE_MESSAGE ([MS-NLMP] 2.2.1.3): the client's responses, names, encrypted session
//! key and MIC.
//!
//! We always encode the 88-byte header (VERSION at 64, MIC at 72) with the payload in field
//! order (LM, NT, domain, user, workstation, key), as pyspnego does. Parsing decides whether a
//! MIC field exists from the lowest payload offset, so messages without VERSION/MIC (such as
//! the [MS-NLMP] 4.2.4.3 example) parse too.

use std::fmt;

use super::NtlmError;
use super::wire::{
    MessageBuilder, NegotiateFlags, Version, array_at, check_header, field, from_utf16le, u32_at,
    utf16le,
};

const MSG: &str = "authenticate message";
/// Size of the fixed header including VERSION and MIC.
pub(crate) const HEADER_LEN: usize = 88;
/// Offset of the MIC field.
pub(crate) const MIC_OFFSET: usize = 72;

/// An AUTHENTICATE_MESSAGE. `Debug` shows only the lengths of responses and keys.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct AuthenticateMessage {
    /// Negotiated flags.
    pub flags: NegotiateFlags,
    /// LmChallengeResponse (24 zero bytes when a MIC is sent).
    pub lm_response: Vec<u8>,
    /// NtChallengeResponse: NTProofStr ‖ temp.
    pub nt_response: Vec<u8>,
    /// Domain as sent.
    pub domain: String,
    /// User name as sent.
    pub user: String,
    /// Workstation name as sent.
    pub workstation: String,
    /// EncryptedRandomSessionKey (empty without KEY_EXCH).
    pub encrypted_random_session_key: Vec<u8>,
    /// VERSION field, if present.
    pub version: Option<Version>,
    /// MIC, if the message has a MIC field.
    pub mic: Option<[u8; 16]>,
}

impl fmt::Debug for AuthenticateMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthenticateMessage")
            .field("flags", &self.flags)
            .field("user", &self.user)
            .field("domain", &self.domain)
            .field("workstation", &self.workstation)
            .field("nt_response_len", &self.nt_response.len())
            .field("has_mic", &self.mic.is_some())
            .finish_non_exhaustive()
    }
}

fn decode_name(b: &[u8], flags: NegotiateFlags) -> Result<String, NtlmError> {
    if flags.has(NegotiateFlags::UNICODE) {
        from_utf16le(b, MSG)
    } else {
        Ok(b.iter().map(|&c| char::from(c)).collect())
    }
}

impl AuthenticateMessage {
    /// Encodes the message; a `None` MIC is written as 16 zero bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut b = MessageBuilder::new(3, HEADER_LEN);
        b.field(&self.lm_response).field(&self.nt_response);
        b.field(&utf16le(&self.domain))
            .field(&utf16le(&self.user))
            .field(&utf16le(&self.workstation));
        b.field(&self.encrypted_random_session_key);
        b.raw(&self.flags.0.to_le_bytes());
        b.raw(&self.version.unwrap_or(Version([0; 8])).0);
        b.raw(&self.mic.unwrap_or([0; 16]));
        b.finish()
    }

    /// Parses an AUTHENTICATE_MESSAGE.
    pub fn parse(b: &[u8]) -> Result<AuthenticateMessage, NtlmError> {
        check_header(b, 3, MSG)?;
        let flags = NegotiateFlags(u32_at(b, 60, MSG)?);
        let mut min_off = b.len();
        let mut f = |at: usize| -> Result<&[u8], NtlmError> {
            let (data, off) = field(b, at, MSG)?;
            if !data.is_empty() {
                min_off = min_off.min(off);
            }
            Ok(data)
        };
        let lm_response = f(12)?.to_vec();
        let nt_response = f(20)?.to_vec();
        let (domain, user, workstation) = (f(28)?, f(36)?, f(44)?);
        let encrypted_random_session_key = f(52)?.to_vec();
        if min_off < 64 {
            return Err(NtlmError::malformed(MSG, "payload overlaps the header"));
        }
        let version = (min_off >= MIC_OFFSET && flags.has(NegotiateFlags::VERSION))
            .then(|| array_at::<8>(b, 64, MSG).map(Version))
            .transpose()?;
        let mic = (min_off >= HEADER_LEN)
            .then(|| array_at::<16>(b, MIC_OFFSET, MSG))
            .transpose()?;
        Ok(AuthenticateMessage {
            flags,
            lm_response,
            nt_response,
            domain: decode_name(domain, flags)?,
            user: decode_name(user, flags)?,
            workstation: decode_name(workstation, flags)?,
            encrypted_random_session_key,
            version,
            mic,
        })
    }
}

/// A copy of an encoded AUTHENTICATE message with the MIC field zeroed (input to the MIC).
pub(crate) fn with_zeroed_mic(raw: &[u8]) -> Vec<u8> {
    let mut out = raw.to_vec();
    if let Some(m) = out.get_mut(MIC_OFFSET..HEADER_LEN) {
        m.fill(0);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ntlm::crypto::tests::h;

    const SPEC: &str = "4e544c4d5353500003000000180018006c00000054005400840000000c000c00480000000800080054000000100010005c00000010001000d8000000358288e20501280a0000000f44006f006d00610069006e00550073006500720043004f004d005000550054004500520086c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa68cd0ab851e51c96aabc927bebef6a1c01010000000000000000000000000000aaaaaaaaaaaaaaaa0000000002000c0044006f006d00610069006e0001000c005300650072007600650072000000000000000000c5dad2544fc9799094ce1ce90bc9d03e";

    #[test]
    fn parses_spec_4_2_4_3_without_mic() {
        let raw = h(SPEC);
        assert_eq!(raw.len(), 232);
        let a = AuthenticateMessage::parse(&raw).unwrap();
        assert_eq!((a.user.as_str(), a.domain.as_str()), ("User", "Domain"));
        assert_eq!(a.workstation, "COMPUTER");
        assert_eq!(a.flags.0, 0xe288_8235);
        assert_eq!(a.mic, None);
        assert_eq!(a.nt_response.len(), 84);
        assert_eq!(
            &a.nt_response[..16],
            &h("68cd0ab851e51c96aabc927bebef6a1c")[..]
        );
        assert_eq!(
            a.encrypted_random_session_key,
            h("c5dad2544fc9799094ce1ce90bc9d03e")
        );
        assert_eq!(
            a.lm_response,
            h("86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa")
        );
    }

    #[test]
    fn pyspnego_message_with_mic_round_trips_byte_for_byte() {
        let raw = h(crate::ntlm::crypto::tests::MIC_AUTH);
        let a = AuthenticateMessage::parse(&raw).unwrap();
        assert_eq!(
            a.mic.map(|m| m.to_vec()),
            Some(h("43835eb6c0a2978adc4bf4dbd30f0ed0"))
        );
        assert_eq!(a.workstation, "CLIENT");
        assert_eq!(a.encode(), raw);
        assert!(!format!("{a:?}").contains("5262"));
        assert_eq!(&with_zeroed_mic(&raw)[72..88], &[0u8; 16]);
    }

    #[test]
    fn hostile_offsets_are_errors() {
        let mut raw = h(SPEC);
        raw[16] = 0x00; // LM offset into the header
        assert!(AuthenticateMessage::parse(&raw).is_err());
        let mut raw = h(SPEC);
        raw[24] = 0xf0; // NT offset past the end
        assert!(AuthenticateMessage::parse(&raw).is_err());
        assert!(AuthenticateMessage::parse(&h(SPEC)[..63]).is_err());
    }
}
