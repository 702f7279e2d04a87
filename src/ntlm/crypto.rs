//! NTLMv2 cryptography ([MS-NLMP] 3.3.2, 3.4.5, 3.1.5.1.2, 3.1.5.2.1): NTOWFv2, the NTLMv2
//! response, session keys, sign/seal key derivation, the MIC and the channel-binding hash.
//!
//! Pure functions over RustCrypto primitives (`md4`, `md-5`, `hmac`) and the in-house
//! [`Rc4`](super::rc4::Rc4); nothing here holds state. Secret outputs are returned in [`Zeroizing`] wrappers.

use hmac::digest::KeyInit;
use hmac::digest::generic_array::GenericArray;
use hmac::{Hmac, Mac};
use md4::Md4;
use md5::{Digest, Md5};
use zeroize::Zeroizing;

use super::rc4::Rc4;
use super::wire::{NegotiateFlags, utf16le};

/// A 16-byte key or hash.
pub(crate) type Key16 = [u8; 16];

/// MD5 over the concatenation of `parts`.
pub(crate) fn md5(parts: &[&[u8]]) -> Key16 {
    let mut h = Md5::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// HMAC-MD5 with a 16-byte key over the concatenation of `parts`.
pub(crate) fn hmac_md5(key: &Key16, parts: &[&[u8]]) -> Key16 {
    let mut mac = hmac_md5_keyed(key);
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

/// An HMAC-MD5 keyed with a 16-byte key and fed nothing yet: the inner and outer pads already
/// hashed, so a clone of it MACs a message without re-keying.
pub(crate) fn hmac_md5_keyed(key: &Key16) -> Hmac<Md5> {
    // A key shorter than the 64-byte block is zero-padded by HMAC itself, so padding here is
    // exact and avoids a fallible constructor.
    let mut block = Zeroizing::new([0u8; 64]);
    block[..16].copy_from_slice(key);
    <Hmac<Md5> as KeyInit>::new(GenericArray::from_slice(&block[..]))
}

/// NTOWFv1 / NT hash: MD4(UTF-16LE(password)).
pub(crate) fn nt_hash(password: &str) -> Zeroizing<Key16> {
    let pw = Zeroizing::new(utf16le(password));
    Zeroizing::new(Md4::digest(&pw[..]).into())
}

/// NTOWFv2 = HMAC_MD5(NT hash, UTF-16LE(Uppercase(user) ‖ domain)); the domain keeps its case.
pub(crate) fn ntowfv2(nt_hash: &Key16, user: &str, domain: &str) -> Zeroizing<Key16> {
    let id = utf16le(&(user.to_uppercase() + domain));
    Zeroizing::new(hmac_md5(nt_hash, &[&id]))
}

/// The NTLMv2 client challenge blob `temp`: header, FILETIME, client challenge, Z(4), the
/// encoded AV pairs (ending in MsvAvEOL) and a trailing Z(4).
pub(crate) fn ntlmv2_temp(time: u64, client_challenge: &[u8; 8], av_pairs: &[u8]) -> Vec<u8> {
    let mut t = Vec::with_capacity(32 + av_pairs.len());
    t.extend_from_slice(&[1, 1, 0, 0, 0, 0, 0, 0]);
    t.extend_from_slice(&time.to_le_bytes());
    t.extend_from_slice(client_challenge);
    t.extend_from_slice(&[0; 4]);
    t.extend_from_slice(av_pairs);
    t.extend_from_slice(&[0; 4]);
    t
}

/// NTProofStr = HMAC_MD5(NTOWFv2, ServerChallenge ‖ temp).
pub(crate) fn nt_proof(ntowf: &Key16, server_challenge: &[u8; 8], temp: &[u8]) -> Key16 {
    hmac_md5(ntowf, &[server_challenge, temp])
}

/// SessionBaseKey = HMAC_MD5(NTOWFv2, NTProofStr); equals KeyExchangeKey for NTLMv2.
pub(crate) fn session_base_key(ntowf: &Key16, nt_proof: &Key16) -> Zeroizing<Key16> {
    Zeroizing::new(hmac_md5(ntowf, &[nt_proof]))
}

/// LMv2 response = HMAC_MD5(NTOWFv2, ServerChallenge ‖ ClientChallenge) ‖ ClientChallenge.
pub(crate) fn lmv2_response(ntowf: &Key16, server: &[u8; 8], client: &[u8; 8]) -> [u8; 24] {
    let mut out = [0u8; 24];
    out[..16].copy_from_slice(&hmac_md5(ntowf, &[server, client]));
    out[16..].copy_from_slice(client);
    out
}

/// A fresh RC4 handle keyed with 16 bytes.
pub(crate) fn rc4(key: &Key16) -> Rc4 {
    Rc4::new(key)
}

/// RC4K(key, 16-byte data): used for the EncryptedRandomSessionKey (both directions).
pub(crate) fn rc4k(key: &Key16, data: &Key16) -> Key16 {
    let mut out = *data;
    rc4(key).apply(&mut out);
    out
}

const C2S_SIGN: &[u8] = b"session key to client-to-server signing key magic constant\0";
const S2C_SIGN: &[u8] = b"session key to server-to-client signing key magic constant\0";
const C2S_SEAL: &[u8] = b"session key to client-to-server sealing key magic constant\0";
const S2C_SEAL: &[u8] = b"session key to server-to-client sealing key magic constant\0";

/// SIGNKEY ([MS-NLMP] 3.4.5.2) for one direction.
pub(crate) fn sign_key(exported: &Key16, client_to_server: bool) -> Zeroizing<Key16> {
    let magic = if client_to_server { C2S_SIGN } else { S2C_SIGN };
    Zeroizing::new(md5(&[exported, magic]))
}

/// SEALKEY ([MS-NLMP] 3.4.5.3, with extended session security) for one direction.
pub(crate) fn seal_key(
    exported: &Key16,
    flags: NegotiateFlags,
    client_to_server: bool,
) -> Zeroizing<Key16> {
    let n = if flags.has(NegotiateFlags::NEGOTIATE_128) {
        16
    } else if flags.has(NegotiateFlags::NEGOTIATE_56) {
        7
    } else {
        5
    };
    let magic = if client_to_server { C2S_SEAL } else { S2C_SEAL };
    Zeroizing::new(md5(&[&exported[..n], magic]))
}

/// MIC = HMAC_MD5(ExportedSessionKey, NEGOTIATE ‖ CHALLENGE ‖ AUTHENTICATE-with-MIC-zeroed).
pub(crate) fn mic(exported: &Key16, negotiate: &[u8], challenge: &[u8], auth: &[u8]) -> Key16 {
    hmac_md5(exported, &[negotiate, challenge, auth])
}

/// MsvAvChannelBindings value: MD5 of the RFC 2744 `gss_channel_bindings_struct` with empty
/// addresses and `application_data` (e.g. `b"tls-server-end-point:" ‖ cert hash`, RFC 5929).
pub fn channel_bindings_hash(application_data: &[u8]) -> [u8; 16] {
    let len = u32::try_from(application_data.len()).unwrap_or(u32::MAX);
    md5(&[&[0u8; 16], &len.to_le_bytes(), application_data])
}

/// Constant-time equality of two byte strings (length is not secret).
pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
pub(crate) mod tests {
    //! MS-NLMP 4.2.4 vectors (winrm-wire.md §3.3) and the MIC vector of §3.5.
    use super::*;
    use crate::ntlm::avpair::AvPairs;

    /// Bytes from hex (whitespace ignored): the test vectors of every ntlm module.
    pub(crate) fn h(s: &str) -> Vec<u8> {
        let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }
    fn k(s: &str) -> Key16 {
        h(s).try_into().unwrap()
    }
    const SERVER: [u8; 8] = [0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef];
    const CLIENT: [u8; 8] = [0xaa; 8];
    const SPEC_AV: &str =
        "02000c0044006f006d00610069006e00 01000c00530065007200760065007200 00000000";

    fn spec_ntowf() -> Zeroizing<Key16> {
        ntowfv2(&nt_hash("Password"), "User", "Domain")
    }

    #[test]
    fn nt_hash_and_ntowfv2() {
        assert_eq!(*nt_hash("Password"), k("a4f49c406510bdcab6824ee7c30fd852"));
        assert_eq!(*spec_ntowf(), k("0c868a403bfd7a93a3001ef22ef02e3f"));
    }

    #[test]
    fn temp_proof_session_base_key_and_lmv2() {
        let av = AvPairs::parse(&h(SPEC_AV)).unwrap().encode();
        let temp = ntlmv2_temp(0, &CLIENT, &av);
        let want_temp = "0101000000000000 0000000000000000 aaaaaaaaaaaaaaaa 00000000 \
            02000c0044006f006d00610069006e00 01000c00530065007200760065007200 00000000 00000000";
        assert_eq!(temp, h(want_temp));
        let proof = nt_proof(&spec_ntowf(), &SERVER, &temp);
        assert_eq!(proof, k("68cd0ab851e51c96aabc927bebef6a1c"));
        let sbk = session_base_key(&spec_ntowf(), &proof);
        assert_eq!(*sbk, k("8de40ccadbc14a82f15cb0ad0de95ca3"));
        let lm = lmv2_response(&spec_ntowf(), &SERVER, &CLIENT);
        assert_eq!(
            lm.to_vec(),
            h("86c35097ac9cec102554764a57cccc19 aaaaaaaaaaaaaaaa")
        );
    }

    #[test]
    fn encrypted_random_session_key() {
        let sbk = k("8de40ccadbc14a82f15cb0ad0de95ca3");
        let ersk = rc4k(&sbk, &[0x55; 16]);
        assert_eq!(ersk, k("c5dad2544fc9799094ce1ce90bc9d03e"));
        assert_eq!(rc4k(&sbk, &ersk), [0x55; 16]);
    }

    #[test]
    fn sign_and_seal_keys_both_directions() {
        let esk = [0x55; 16];
        let f = NegotiateFlags(0xe28a_8233);
        assert_eq!(
            *seal_key(&esk, f, true),
            k("59f600973cc4960a25480a7c196e4c58")
        );
        assert_eq!(*sign_key(&esk, true), k("4788dc861b4782f35d43fd98fe1a2d39"));
        assert_eq!(
            *seal_key(&esk, f, false),
            k("9355f3a957c1583d25c4c2f11e40390e")
        );
        assert_eq!(
            *sign_key(&esk, false),
            k("d04d6f10741041d1d246d64188d7a8ad")
        );
        // Without NEGOTIATE_128 the key is weakened before hashing, so it differs.
        assert_ne!(
            *seal_key(&esk, NegotiateFlags(0x8000_0000), true),
            *seal_key(&esk, f, true)
        );
    }

    #[test]
    fn channel_bindings_example() {
        let app = [&b"tls-server-end-point:"[..], &md5(&[b"x"])].concat();
        assert_ne!(channel_bindings_hash(&app), channel_bindings_hash(b""));
        // winrm-wire.md §3.6: SHA-256 of b"example-der-cert" as the certificate hash.
        use sha2::Sha256;
        let hash = Sha256::digest(b"example-der-cert");
        let app = [&b"tls-server-end-point:"[..], &hash[..]].concat();
        assert_eq!(app.len() + 20, 73);
        assert_eq!(
            channel_bindings_hash(&app),
            k("de18fdf2bffdd01be42c17329131352d")
        );
    }

    #[test]
    fn ct_eq_compares() {
        assert!(ct_eq(b"abc", b"abc"));
        assert!(!ct_eq(b"abc", b"abd"));
        assert!(!ct_eq(b"abc", b"ab"));
    }

    const NEG: &str =
        "4e544c4d5353500001000000378208e200000000280000000000000028000000000c04000000000f";
    pub(crate) const MIC_CHAL: &str = "4e544c4d5353500002000000080008003800000035828ae20123456789abcdef00000000000000004200420040000000000c04000000000f48005600300031000100080048005600300031000200160057004f0052004b00530054004100540049004f004e00030008006800760030003100070008000080209bcb82d80100000000";
    pub(crate) const MIC_AUTH: &str = "4e544c4d5353500003000000180018005800000090009000700000000c000c0000010000080008000c0100000c000c0014010000100010002001000035828ae2000c04000000000f43835eb6c0a2978adc4bf4dbd30f0ed00000000000000000000000000000000000000000000000005262799d206d56e3c2c8ccbd77aa072d01010000000000000080209bcb82d801aaaaaaaaaaaaaaaa000000000100080048005600300031000200160057004f0052004b00530054004100540049004f004e00030008006800760030003100070008000080209bcb82d8010900120048005400540050002f0068007600300031000600040002000000000000000000000044006f006d00610069006e00550073006500720043004c00490045004e005400badb2f97d93f1555dce51dd6b72254b4";

    #[test]
    fn mic_vector_winrm_wire_3_5() {
        let mut auth = h(MIC_AUTH);
        let want = auth[72..88].to_vec();
        auth[72..88].fill(0);
        let got = mic(&[0x55; 16], &h(NEG), &h(MIC_CHAL), &auth);
        assert_eq!(got.to_vec(), want);
        assert_eq!(got, k("43835eb6c0a2978adc4bf4dbd30f0ed0"));
    }
}
