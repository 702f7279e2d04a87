//! An established Kerberos context sealing WinRM messages (kerberos.md §5 and §6.3,
//! [MS-WSMV] 2.2.9.1.1.2.2, RFC 4121 §4.2.6.2).
//!
//! `wrap_winrm` returns the two pieces of the `application/octet-stream` part: the wrap-token
//! header (its length is variable: 60 bytes for AES, 46/48 for RC4; never assume one) and the
//! sealed data, *including* any padding (1 byte for RC4, none for AES), so the OriginalContent
//! `Length` is `data.len()`. `unwrap_winrm` verifies and decrypts, and strips the RC4 padding.
//! What it does not do: the MIME framing (`http::encrypted`) or authentication (`client`,
//! `acceptor`).

use libgssapi::context::{ClientCtx, SecurityContext, ServerCtx};

use super::gss_error::{Cause, auth_error, gss_failure};
use super::token;
use crate::error::{Error, ErrorKind, Result};

/// How messages are wrapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum WrapMode {
    /// `gss_wrap_iov` HEADER | DATA | PADDING (Linux builds); AES and RC4.
    Iov,
    /// `gss_wrap` then rotate into the same split (AES only), `gss_unwrap` of header || data.
    Rotate,
}

enum Ctx {
    Client(ClientCtx),
    Server(ServerCtx),
}

/// An authenticated, mutually verified Kerberos context for one HTTP connection.
pub struct KerberosSession {
    ctx: Ctx,
    mode: WrapMode,
    spn: String,
    last_error: Option<String>,
}

impl std::fmt::Debug for KerberosSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KerberosSession")
            .field("spn", &self.spn)
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

impl KerberosSession {
    pub(crate) fn client(ctx: ClientCtx, spn: String) -> Self {
        Self::new(Ctx::Client(ctx), spn)
    }

    pub(crate) fn server(ctx: ServerCtx, spn: String) -> Self {
        Self::new(Ctx::Server(ctx), spn)
    }

    fn new(ctx: Ctx, spn: String) -> Self {
        KerberosSession {
            ctx,
            mode: default_mode(),
            spn,
            last_error: None,
        }
    }

    fn sc(&mut self) -> &mut dyn SecurityContext {
        match &mut self.ctx {
            Ctx::Client(c) => c,
            Ctx::Server(s) => s,
        }
    }

    /// The wrap mode in use (`Iov` where available).
    pub fn wrap_mode(&self) -> WrapMode {
        self.mode
    }

    /// Choose the wrap mode; `Iov` is refused where the build has no `gss_wrap_iov`.
    pub fn set_wrap_mode(&mut self, mode: WrapMode) -> Result<()> {
        if mode == WrapMode::Iov && !cfg!(target_os = "linux") {
            return Err(Error::new(
                ErrorKind::Usage,
                "gss_wrap_iov is not available in this build (only on linux)",
            ));
        }
        self.mode = mode;
        Ok(())
    }

    /// Seconds the context stays valid; 0 once the ticket has expired.
    pub fn lifetime_secs(&self) -> u64 {
        let life = match &self.ctx {
            Ctx::Client(c) => c.lifetime(),
            Ctx::Server(s) => s.lifetime(),
        };
        life.map(|d| d.as_secs()).unwrap_or(0)
    }

    /// Whether the ticket behind this context has expired (re-authenticate once, on a new
    /// connection, with a fresh `ClientContext`).
    pub fn expired(&self) -> bool {
        self.lifetime_secs() == 0
    }

    /// The error of the last failed `Sealer::seal`, which cannot return one.
    pub fn take_last_error(&mut self) -> Option<String> {
        self.last_error.take()
    }

    /// Seal `plaintext`: (wrap-token header, sealed data including padding).
    /// A client session whose ticket has expired refuses to wrap (MIT would still seal, and the
    /// host would answer 401): the transport re-authenticates once on a new connection.
    pub fn wrap_winrm(&mut self, plaintext: &[u8]) -> Result<(Vec<u8>, Vec<u8>)> {
        if matches!(self.ctx, Ctx::Client(_)) && self.expired() {
            return Err(auth_error(
                "wrap",
                &self.spn,
                Cause::TicketExpired,
                "the security context has expired",
            ));
        }
        match self.mode {
            WrapMode::Iov => self.wrap_iov(plaintext),
            WrapMode::Rotate => {
                let spn = self.spn.clone();
                let tok = self
                    .sc()
                    .wrap(true, plaintext)
                    .map_err(|e| gss_failure("wrap", &spn, &e))?;
                token::split_for_winrm(&tok, plaintext.len())
            }
        }
    }

    /// Verify and decrypt a (header, data) pair; returns the plaintext without padding.
    pub fn unwrap_winrm(&mut self, header: &[u8], data: &[u8]) -> Result<Vec<u8>> {
        // gss_unwrap_iov leaves the RFC 1964 padding in DATA; plain gss_unwrap removes it.
        let rc4 = header.first() == Some(&0x60) && self.mode == WrapMode::Iov;
        let mut plain = match self.mode {
            WrapMode::Iov => self.unwrap_iov(header, data)?,
            WrapMode::Rotate => {
                let spn = self.spn.clone();
                let tok = token::join_for_unwrap(header, data);
                let buf = self.sc().unwrap(&tok).map_err(|e| rejected(&spn, &e))?;
                buf.to_vec()
            }
        };
        if rc4 {
            strip_rc4_padding(&mut plain)?;
        }
        Ok(plain)
    }

    #[cfg(target_os = "linux")]
    fn wrap_iov(&mut self, plaintext: &[u8]) -> Result<(Vec<u8>, Vec<u8>)> {
        use libgssapi::util::{GssIov, GssIovType};
        let spn = self.spn.clone();
        let mut data = plaintext.to_vec();
        let (header, padding) = {
            let mut iov = [
                GssIov::new_alloc(GssIovType::Header),
                GssIov::new(GssIovType::Data, &mut data),
                GssIov::new_alloc(GssIovType::Padding),
            ];
            self.sc()
                .wrap_iov(true, &mut iov)
                .map_err(|e| gss_failure("wrap", &spn, &e))?;
            let [h, _, p] = &iov;
            (h.to_vec(), p.to_vec())
        };
        data.extend_from_slice(&padding);
        Ok((header, data))
    }

    #[cfg(target_os = "linux")]
    fn unwrap_iov(&mut self, header: &[u8], data: &[u8]) -> Result<Vec<u8>> {
        use libgssapi::util::{GssIov, GssIovType};
        let spn = self.spn.clone();
        let mut h = header.to_vec();
        let mut d = data.to_vec();
        {
            let mut iov = [
                GssIov::new(GssIovType::Header, &mut h),
                GssIov::new(GssIovType::Data, &mut d),
            ];
            self.sc()
                .unwrap_iov(&mut iov)
                .map_err(|e| rejected(&spn, &e))?;
        }
        Ok(d)
    }

    #[cfg(not(target_os = "linux"))]
    fn wrap_iov(&mut self, _plaintext: &[u8]) -> Result<(Vec<u8>, Vec<u8>)> {
        Err(Error::new(
            ErrorKind::Usage,
            "gss_wrap_iov is not available in this build",
        ))
    }

    #[cfg(not(target_os = "linux"))]
    fn unwrap_iov(&mut self, _header: &[u8], _data: &[u8]) -> Result<Vec<u8>> {
        Err(Error::new(
            ErrorKind::Usage,
            "gss_unwrap_iov is not available in this build",
        ))
    }
}

fn default_mode() -> WrapMode {
    if cfg!(target_os = "linux") {
        WrapMode::Iov
    } else {
        WrapMode::Rotate
    }
}

/// A message that fails to verify is tampering or a lost message, not a login problem.
fn rejected(spn: &str, e: &libgssapi::error::Error) -> Error {
    let text = e.to_string();
    Error::new(
        ErrorKind::Protocol,
        format!(
            "kerberos unwrap of a message from {spn} failed (tampered, truncated or out of sequence): {}",
            text.trim()
        ),
    )
}

/// RFC 1964 §1.2.2.3 padding: 1..=8 bytes, each holding the pad length (RC4: one 0x01 byte).
fn strip_rc4_padding(plain: &mut Vec<u8>) -> Result<()> {
    let n = usize::from(plain.last().copied().unwrap_or(0));
    let ok = (1..=8).contains(&n)
        && plain.len() >= n
        && plain.iter().rev().take(n).all(|b| usize::from(*b) == n);
    if !ok {
        return Err(Error::new(
            ErrorKind::Protocol,
            "kerberos rc4 message has invalid padding",
        ));
    }
    plain.truncate(plain.len() - n);
    Ok(())
}

/// For `http::encrypted`. `seal` cannot fail in that trait: a failed wrap yields empty parts
/// (the host then rejects the message) and the reason is kept for [`KerberosSession::take_last_error`].
/// RC4 caveat: `http::encrypted::encode` writes `Length = plaintext.len()` and `decode` compares it
/// with the unsealed plaintext, while RC4 peers (pypsrp, pyspnego) use `len + padding`; AES has no
/// padding and is exact.
impl crate::http::encrypted::Sealer for KerberosSession {
    fn seal(&mut self, plaintext: &[u8]) -> (Vec<u8>, Vec<u8>) {
        match self.wrap_winrm(plaintext) {
            Ok(parts) => parts,
            Err(e) => {
                self.last_error = Some(e.to_string());
                (Vec::new(), Vec::new())
            }
        }
    }

    fn unseal(&mut self, header: &[u8], data: &[u8]) -> Result<Vec<u8>, Error> {
        self.unwrap_winrm(header, data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rc4_padding_is_checked_and_stripped() {
        let mut p = b"abc\x01".to_vec();
        assert!(strip_rc4_padding(&mut p).is_ok());
        assert_eq!(p, b"abc");
        let mut p = b"ab\x02\x02".to_vec();
        assert!(strip_rc4_padding(&mut p).is_ok());
        assert_eq!(p, b"ab");
        for bad in [&b""[..], b"abc\x00", b"a\x02", b"abc\x09", b"\x03\x03"] {
            assert!(strip_rc4_padding(&mut bad.to_vec()).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn default_mode_matches_the_platform() {
        assert_eq!(default_mode() == WrapMode::Iov, cfg!(target_os = "linux"));
    }
}
