//! [`NtlmError`]: everything that can go wrong in the NTLM layer, and its mapping onto the
//! crate's [`crate::Error`].
//!
//! Messages are lowercase phrases that never contain secret bytes (passwords, hashes, keys,
//! responses); user and domain names may appear because they are not secret.

use crate::error::{Error, ErrorKind};

/// An NTLM failure: a malformed peer message, a rejected authentication, a bad signature or a
/// misuse of the state machine.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NtlmError {
    /// A peer message could not be parsed.
    #[error("malformed ntlm {message}: {reason}")]
    Malformed {
        /// Which message or structure (e.g. "challenge message").
        message: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The peer does not support something this implementation requires.
    #[error("ntlm peer does not support {0}")]
    Unsupported(&'static str),
    /// The user name given to [`super::Credentials::new`] is unusable.
    #[error("invalid ntlm user name: {0}")]
    InvalidUser(&'static str),
    /// The server has no account matching the client's user and domain.
    #[error("unknown ntlm user {user:?} (domain {domain:?})")]
    UnknownUser {
        /// User name as sent by the client.
        user: String,
        /// Domain as sent by the client.
        domain: String,
    },
    /// The NTLMv2 response did not verify: wrong password (or wrong user/domain spelling).
    #[error("ntlmv2 response for user {user:?} does not verify (wrong password?)")]
    BadResponse {
        /// User name as sent by the client.
        user: String,
    },
    /// The AUTHENTICATE message integrity code did not verify.
    #[error("ntlm authenticate message integrity code (mic) does not verify")]
    BadMic,
    /// Channel bindings were missing or did not match the TLS channel.
    #[error("ntlm channel bindings {0}")]
    ChannelBindings(&'static str),
    /// A sealed message's signature did not verify (tampering, wrong key or out of sequence).
    #[error("ntlm message signature does not verify (tampered or out of sequence)")]
    BadSignature,
    /// A method was called in the wrong state.
    #[error("ntlm state error: {0}")]
    State(&'static str),
    /// An SPNEGO token could not be understood or was rejected.
    #[error("spnego {0}")]
    Spnego(&'static str),
}

impl NtlmError {
    pub(crate) fn malformed(message: &'static str, reason: &'static str) -> Self {
        NtlmError::Malformed { message, reason }
    }

    /// The crate-level kind this error maps to.
    pub fn kind(&self) -> ErrorKind {
        match self {
            NtlmError::Malformed { .. } | NtlmError::Unsupported(_) | NtlmError::Spnego(_) => {
                ErrorKind::Protocol
            }
            NtlmError::InvalidUser(_) | NtlmError::State(_) => ErrorKind::Usage,
            NtlmError::UnknownUser { .. }
            | NtlmError::BadResponse { .. }
            | NtlmError::BadMic
            | NtlmError::ChannelBindings(_) => ErrorKind::Auth,
            NtlmError::BadSignature => ErrorKind::Protocol,
        }
    }
}

impl From<NtlmError> for Error {
    fn from(e: NtlmError) -> Self {
        Error::new(e.kind(), e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_to_crate_error_kinds() {
        let e: Error = NtlmError::BadMic.into();
        assert_eq!(e.kind(), ErrorKind::Auth);
        let e: Error = NtlmError::malformed("challenge message", "too short").into();
        assert_eq!(e.kind(), ErrorKind::Protocol);
        assert_eq!(e.message(), "malformed ntlm challenge message: too short");
        assert_eq!(NtlmError::InvalidUser("empty").kind(), ErrorKind::Usage);
    }
}
