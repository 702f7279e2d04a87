//! Message integrity and confidentiality after authentication ([MS-NLMP] 3.4.3 SEAL, 3.4.4.2
//! MAC with extended session security, 2.2.2.9.2 signature), connection-oriented mode.
//!
//! Each direction has its own SignKey, SealKey, RC4 handle and sequence number. The RC4 handles
//! are created once and continue across messages; within one message the keystream is used for
//! the data first and then for the 8-byte checksum (winrm-wire.md §2.6, §3.2). Each side seals
//! with its own direction's keys and unseals with the peer's.
//!
//! Not here: the multipart/encrypted HTTP framing (that is `http`), datagram mode, NTLMv1.
//! After any verification error the session is out of sync and must be discarded.

use std::fmt;

use hmac::{Hmac, Mac};
use md5::Md5;
use zeroize::Zeroizing;

use super::NtlmError;
use super::crypto::{Key16, ct_eq, hmac_md5_keyed, rc4, seal_key, sign_key};
use super::rc4::Rc4;
use super::wire::NegotiateFlags;

/// Bytes decrypted and MACed together when sealing or unsealing (fits the L1 cache).
const CHUNK: usize = 8192;

/// Length of an NTLMSSP_MESSAGE_SIGNATURE.
pub const SIGNATURE_LEN: usize = 16;

struct Direction {
    /// HMAC-MD5 keyed once with this direction's SignKey (pads already hashed): each message
    /// clones it instead of re-keying, two MD5 blocks saved per message. (Like every HMAC state
    /// before it, it is not wiped on drop: `hmac` and `md-5` offer no zeroize.)
    mac: Hmac<Md5>,
    seal_key: Zeroizing<Key16>,
    rc4: Rc4,
    seq: u32,
}

impl Direction {
    fn new(exported: &Key16, flags: NegotiateFlags, client_to_server: bool) -> Self {
        let seal_key = seal_key(exported, flags, client_to_server);
        Direction {
            mac: hmac_md5_keyed(&sign_key(exported, client_to_server)),
            rc4: rc4(&seal_key),
            seal_key,
            seq: 0,
        }
    }

    /// The 16-byte signature over `plaintext` at the current sequence number.
    fn signature(&mut self, plaintext: &[u8], key_exch: bool) -> [u8; SIGNATURE_LEN] {
        let mut mac = self.mac();
        mac.update(plaintext);
        self.signature_from(mac, key_exch)
    }

    /// An HMAC-MD5 under the signing key, already fed the sequence number.
    fn mac(&self) -> Hmac<Md5> {
        let mut mac = self.mac.clone();
        mac.update(&self.seq.to_le_bytes());
        mac
    }

    /// The signature from the MAC of the sequence number and the plaintext.
    fn signature_from(&mut self, mac: Hmac<Md5>, key_exch: bool) -> [u8; SIGNATURE_LEN] {
        let mac = mac.finalize().into_bytes();
        let mut sig = [0u8; SIGNATURE_LEN];
        sig[..4].copy_from_slice(&1u32.to_le_bytes());
        sig[4..12].copy_from_slice(&mac[..8]);
        if key_exch {
            self.rc4.apply(&mut sig[4..12]);
        }
        sig[12..].copy_from_slice(&self.seq.to_le_bytes());
        sig
    }
}

/// An established NTLM security context: seals outgoing and unseals incoming messages.
pub struct Session {
    send: Direction,
    recv: Direction,
    flags: NegotiateFlags,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("flags", &self.flags)
            .field("send_seq", &self.send.seq)
            .field("recv_seq", &self.recv.seq)
            .field("keys", &"<redacted>")
            .finish()
    }
}

impl Session {
    /// A session from the client's point of view (sends client→server).
    pub(crate) fn client(exported: &Key16, flags: NegotiateFlags) -> Session {
        Session {
            send: Direction::new(exported, flags, true),
            recv: Direction::new(exported, flags, false),
            flags,
        }
    }

    /// A session from the server's point of view (sends server→client).
    pub(crate) fn server(exported: &Key16, flags: NegotiateFlags) -> Session {
        Session {
            send: Direction::new(exported, flags, false),
            recv: Direction::new(exported, flags, true),
            flags,
        }
    }

    fn key_exch(&self) -> bool {
        self.flags.has(NegotiateFlags::KEY_EXCH)
    }

    /// The negotiated flags this session runs with.
    pub fn flags(&self) -> NegotiateFlags {
        self.flags
    }

    /// Next outgoing sequence number.
    pub fn send_seq(&self) -> u32 {
        self.send.seq
    }

    /// Next expected incoming sequence number.
    pub fn recv_seq(&self) -> u32 {
        self.recv.seq
    }

    /// Seals one message: returns (16-byte signature, ciphertext of the same length).
    pub fn seal(&mut self, plaintext: &[u8]) -> ([u8; SIGNATURE_LEN], Vec<u8>) {
        let mut data = plaintext.to_vec();
        let sig = self.seal_in_place(&mut data);
        (sig, data)
    }

    /// Seals one message in place (the ciphertext has the plaintext's length) and returns its
    /// 16-byte signature: what [`Session::seal`] does, without a buffer of its own, so a framed
    /// body can be sealed where it is built.
    pub fn seal_in_place(&mut self, data: &mut [u8]) -> [u8; SIGNATURE_LEN] {
        // One pass in cache-sized chunks: MAC the plaintext chunk, then encrypt it.
        let mut mac = self.send.mac();
        for chunk in data.chunks_mut(CHUNK) {
            mac.update(chunk);
            self.send.rc4.apply(chunk);
        }
        let sig = self.send.signature_from(mac, self.key_exch());
        self.send.seq = self.send.seq.wrapping_add(1);
        sig
    }

    /// Unseals one message and verifies its signature against the expected sequence number.
    pub fn unseal(&mut self, signature: &[u8], ciphertext: &[u8]) -> Result<Vec<u8>, NtlmError> {
        if signature.len() != SIGNATURE_LEN {
            return Err(NtlmError::malformed("message signature", "not 16 bytes"));
        }
        // One pass in cache-sized chunks: decrypt a chunk straight into the exact-size output,
        // then MAC it while it is hot.
        let mut data = Zeroizing::new(Vec::with_capacity(ciphertext.len()));
        let mut mac = self.recv.mac();
        for chunk in ciphertext.chunks(CHUNK) {
            let at = data.len();
            self.recv.rc4.apply_into(chunk, &mut data);
            mac.update(&data[at..]);
        }
        let want = self.recv.signature_from(mac, self.key_exch());
        if !ct_eq(&want, signature) {
            return Err(NtlmError::BadSignature);
        }
        self.recv.seq = self.recv.seq.wrapping_add(1);
        // Verified: hand the buffer over without another copy (a rejected message's plaintext
        // is still wiped when `data` drops).
        Ok(std::mem::take(&mut *data))
    }

    /// GSS_GetMIC: a signature over `message` without sealing it (used for SPNEGO's
    /// mechListMIC). Consumes an outgoing sequence number and, with KEY_EXCH, RC4 keystream.
    pub fn sign(&mut self, message: &[u8]) -> [u8; SIGNATURE_LEN] {
        let sig = self.send.signature(message, self.key_exch());
        self.send.seq = self.send.seq.wrapping_add(1);
        sig
    }

    /// GSS_VerifyMIC: checks a signature made by the peer's [`Session::sign`].
    pub fn verify(&mut self, message: &[u8], signature: &[u8]) -> Result<(), NtlmError> {
        let want = self.recv.signature(message, self.key_exch());
        if !ct_eq(&want, signature) {
            return Err(NtlmError::BadSignature);
        }
        self.recv.seq = self.recv.seq.wrapping_add(1);
        Ok(())
    }

    /// Re-creates both RC4 handles from the seal keys, keeping the sequence numbers. This is
    /// what Windows and pyspnego do after the SPNEGO mechListMIC exchange (winrm-wire.md §2.6).
    pub fn reset_rc4(&mut self) {
        self.send.rc4 = rc4(&self.send.seal_key);
        self.recv.rc4 = rc4(&self.recv.seal_key);
    }
}

#[cfg(test)]
mod tests {
    //! MS-NLMP 4.2.4.4 and the continuing-stream vectors of winrm-wire.md §3.4.
    use super::*;
    use crate::ntlm::crypto::tests::h;

    const ESK: [u8; 16] = [0x55; 16];
    const PLAIN: &str = "50006c00610069006e007400650078007400";

    #[test]
    fn spec_4_2_4_4_seal_plaintext() {
        let mut c = Session::client(&ESK, NegotiateFlags(0xe28a_8233));
        let (sig, data) = c.seal(&h(PLAIN));
        assert_eq!(data, h("54e50165bf1936dc996020c1811b0f06fb5f"));
        assert_eq!(sig.to_vec(), h("01000000 7fb38ec5c55d4976 00000000"));
        let mut s = Session::server(&ESK, NegotiateFlags(0xe28a_8233));
        assert_eq!(s.unseal(&sig, &data).unwrap(), h(PLAIN));
    }

    #[test]
    fn spec_seal_without_key_exch() {
        let mut c = Session::client(
            &ESK,
            NegotiateFlags(0xe28a_8233 & !NegotiateFlags::KEY_EXCH),
        );
        let (sig, data) = c.seal(&h(PLAIN));
        assert_eq!(data, h("54e50165bf1936dc996020c1811b0f06fb5f"));
        assert_eq!(sig.to_vec(), h("01000000 70352851f2564309 00000000"));
    }

    const FLAGS: NegotiateFlags = NegotiateFlags(0xe288_8235);

    #[test]
    fn continuing_stream_vectors_3_4() {
        let mut c = Session::client(&ESK, FLAGS);
        let mut s = Session::server(&ESK, FLAGS);
        let rows = [
            (
                true,
                "01000000b41d13116965b03d00000000",
                "38965720b06f3ab0981031eeda",
            ),
            (
                true,
                "01000000944c2b64c702e53701000000",
                "a844314f1142a6088f8fc770d9",
            ),
            (
                false,
                "010000007d045a5bf225d5e300000000",
                "7a7b27f23fcc788547b442f81d",
            ),
            (
                false,
                "01000000109b1bd1968d56de01000000",
                "3f172250bc1bddae7719539ad0",
            ),
        ];
        for (c2s, sig_hex, data_hex) in rows {
            let (sender, receiver) = if c2s {
                (&mut c, &mut s)
            } else {
                (&mut s, &mut c)
            };
            let (sig, data) = sender.seal(b"<s:Envelope/>");
            assert_eq!((sig.to_vec(), data.clone()), (h(sig_hex), h(data_hex)));
            assert_eq!(receiver.unseal(&sig, &data).unwrap(), b"<s:Envelope/>");
        }
        assert_eq!(
            (c.send_seq(), c.recv_seq(), s.send_seq(), s.recv_seq()),
            (2, 2, 2, 2)
        );
    }

    #[test]
    fn plaintext_as_second_client_message_and_first_server_message() {
        let mut c = Session::client(&ESK, FLAGS);
        c.seal(&h(PLAIN));
        let (sig, data) = c.seal(&h(PLAIN));
        assert_eq!(data, h("64c308e09ea236e7f4232553c94a01e700fa"));
        assert_eq!(sig.to_vec(), h("0100000025540595 5d31d8c4 01000000"));
        let mut s = Session::server(&ESK, FLAGS);
        let (sig, data) = s.seal(&h(PLAIN));
        assert_eq!(data, h("160871b730ba74e946c453d7465b54278dd0"));
        assert_eq!(sig.to_vec(), h("01000000b298b847ce7c580700000000"));
    }

    #[test]
    fn tampering_and_replay_are_rejected() {
        let mut c = Session::client(&ESK, FLAGS);
        let mut s = Session::server(&ESK, FLAGS);
        let (sig, mut data) = c.seal(b"hello");
        data[0] ^= 1;
        assert_eq!(s.unseal(&sig, &data), Err(NtlmError::BadSignature));
        let mut s = Session::server(&ESK, FLAGS);
        let (sig0, data0) = Session::client(&ESK, FLAGS).seal(b"hello");
        assert!(s.unseal(&sig0, &data0).is_ok());
        assert!(s.unseal(&sig0, &data0).is_err(), "replayed seq 0 must fail");
        assert!(s.unseal(&sig0[..15], &data0).is_err());
    }

    #[test]
    fn sign_verify_and_reset() {
        let mut c = Session::client(&ESK, FLAGS);
        let mut s = Session::server(&ESK, FLAGS);
        let sig = c.sign(b"mechlist");
        s.verify(b"mechlist", &sig).unwrap();
        assert!(s.verify(b"mechlist", &sig).is_err());
        c.reset_rc4();
        let mut s = Session::server(&ESK, FLAGS);
        s.verify(b"mechlist", &sig).unwrap();
        s.reset_rc4();
        let (sig, data) = c.seal(b"after");
        assert_eq!(sig[12], 1, "sequence continues at 1 after the mechListMIC");
        assert_eq!(s.unseal(&sig, &data).unwrap(), b"after");
        assert!(format!("{c:?}").contains("redacted"));
    }
}
