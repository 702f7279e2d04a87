//! AV_PAIR lists ([MS-NLMP] 2.2.2.1): the TargetInfo of a CHALLENGE and the pairs inside the
//! NTLMv2 client challenge (`temp`).
//!
//! The list keeps the order it was parsed or built in, because the NTLMv2 proof covers the
//! exact bytes. MsvAvEOL is implicit: parsing stops at it and encoding appends it.

use super::NtlmError;
use super::wire::{from_utf16le, u16_at, utf16le};

/// An AV_PAIR identifier, an open set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AvId(pub u16);

#[allow(missing_docs)]
impl AvId {
    pub const EOL: AvId = AvId(0);
    pub const NB_COMPUTER_NAME: AvId = AvId(1);
    pub const NB_DOMAIN_NAME: AvId = AvId(2);
    pub const DNS_COMPUTER_NAME: AvId = AvId(3);
    pub const DNS_DOMAIN_NAME: AvId = AvId(4);
    pub const DNS_TREE_NAME: AvId = AvId(5);
    pub const FLAGS: AvId = AvId(6);
    pub const TIMESTAMP: AvId = AvId(7);
    pub const SINGLE_HOST: AvId = AvId(8);
    pub const TARGET_NAME: AvId = AvId(9);
    pub const CHANNEL_BINDINGS: AvId = AvId(10);
}

/// MsvAvFlags bit: the AUTHENTICATE message carries a MIC.
pub(crate) const AV_FLAG_MIC: u32 = 0x2;

const MSG: &str = "av pair list";

/// An ordered AV_PAIR list (without the terminating MsvAvEOL).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AvPairs(pub Vec<(AvId, Vec<u8>)>);

impl AvPairs {
    /// Parses pairs up to MsvAvEOL; a list that ends without EOL is malformed.
    pub fn parse(mut b: &[u8]) -> Result<AvPairs, NtlmError> {
        let mut pairs = Vec::new();
        loop {
            let id = AvId(u16_at(b, 0, MSG)?);
            let len = usize::from(u16_at(b, 2, MSG)?);
            let value = b
                .get(4..4 + len)
                .ok_or(NtlmError::malformed(MSG, "pair value runs past the end"))?;
            if id == AvId::EOL {
                return Ok(AvPairs(pairs));
            }
            pairs.push((id, value.to_vec()));
            b = b.get(4 + len..).unwrap_or_default();
        }
    }

    /// Encodes the pairs followed by MsvAvEOL.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for (id, value) in &self.0 {
            let len = u16::try_from(value.len()).unwrap_or(u16::MAX);
            out.extend_from_slice(&id.0.to_le_bytes());
            out.extend_from_slice(&len.to_le_bytes());
            out.extend_from_slice(value.get(..usize::from(len)).unwrap_or(value));
        }
        out.extend_from_slice(&[0, 0, 0, 0]);
        out
    }

    /// The value of the first pair with `id`.
    pub fn get(&self, id: AvId) -> Option<&[u8]> {
        self.0.iter().find(|(i, _)| *i == id).map(|(_, v)| &v[..])
    }

    /// Replaces the value of the first pair with `id`, or appends the pair.
    pub fn set(&mut self, id: AvId, value: Vec<u8>) {
        match self.0.iter_mut().find(|(i, _)| *i == id) {
            Some(pair) => pair.1 = value,
            None => self.0.push((id, value)),
        }
    }

    /// A UTF-16LE string value.
    pub fn get_str(&self, id: AvId) -> Option<String> {
        self.get(id).and_then(|v| from_utf16le(v, MSG).ok())
    }

    /// Sets a UTF-16LE string value.
    pub fn set_str(&mut self, id: AvId, s: &str) {
        self.set(id, utf16le(s));
    }

    /// MsvAvTimestamp as a FILETIME, if present and 8 bytes long.
    pub fn timestamp(&self) -> Option<u64> {
        let v: [u8; 8] = self.get(AvId::TIMESTAMP)?.try_into().ok()?;
        Some(u64::from_le_bytes(v))
    }

    /// MsvAvFlags, 0 when absent or malformed.
    pub fn flags(&self) -> u32 {
        self.get(AvId::FLAGS)
            .and_then(|v| <[u8; 4]>::try_from(v).ok())
            .map_or(0, u32::from_le_bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_reencodes_spec_target_info() {
        let raw = [
            2, 0, 12, 0, 68, 0, 111, 0, 109, 0, 97, 0, 105, 0, 110, 0, 1, 0, 12, 0, 83, 0, 101, 0,
            114, 0, 118, 0, 101, 0, 114, 0, 0, 0, 0, 0,
        ];
        let p = AvPairs::parse(&raw).unwrap();
        assert_eq!(p.get_str(AvId::NB_DOMAIN_NAME).as_deref(), Some("Domain"));
        assert_eq!(p.get_str(AvId::NB_COMPUTER_NAME).as_deref(), Some("Server"));
        assert_eq!(p.encode(), raw.to_vec());
    }

    #[test]
    fn missing_eol_and_overlong_value_are_errors() {
        assert!(AvPairs::parse(&[2, 0, 2, 0, 65, 0]).is_err());
        assert!(AvPairs::parse(&[2, 0, 9, 0, 65, 0]).is_err());
        assert!(AvPairs::parse(&[]).is_err());
    }

    #[test]
    fn set_replaces_in_place_and_reads_flags_and_time() {
        let mut p = AvPairs::default();
        p.set(AvId::FLAGS, 1u32.to_le_bytes().to_vec());
        p.set(AvId::TIMESTAMP, 7u64.to_le_bytes().to_vec());
        p.set(AvId::FLAGS, 2u32.to_le_bytes().to_vec());
        assert_eq!(p.0.len(), 2);
        assert_eq!(p.flags(), 2);
        assert_eq!(p.timestamp(), Some(7));
    }
}
