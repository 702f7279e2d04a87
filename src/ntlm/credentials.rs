//! [`Credentials`]: a user name split into NTLM user and domain, plus the NT hash of the
//! password ([MS-NLMP] 3.3.2 NTOWFv2 input).
//!
//! Accepted forms: `DOMAIN\user`, `user@dns.domain` (a UPN: sent as the user name with an
//! empty domain, as Windows clients do) and bare `user` (empty domain). Only the NT hash is
//! kept; it is zeroized on drop and never printed.

use std::fmt;

use zeroize::Zeroizing;

use super::NtlmError;
use super::crypto::{Key16, nt_hash};

/// NTLM credentials. `Debug` redacts the password hash.
#[derive(Clone)]
pub struct Credentials {
    user: String,
    domain: String,
    nt_hash: Zeroizing<Key16>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("user", &self.user)
            .field("domain", &self.domain)
            .field("password", &"<redacted>")
            .finish()
    }
}

impl Credentials {
    /// Splits `user` (`DOMAIN\user`, `user@domain` or `user`) and hashes `password`.
    pub fn new(user: &str, password: &str) -> Result<Credentials, NtlmError> {
        let (domain, name) = match user.split_once('\\') {
            Some((d, u)) => (d, u),
            None => ("", user),
        };
        if name.is_empty() {
            return Err(NtlmError::InvalidUser("empty user name"));
        }
        if name.contains('\\') {
            return Err(NtlmError::InvalidUser("more than one backslash"));
        }
        if name.starts_with('@') || name.ends_with('@') {
            return Err(NtlmError::InvalidUser("empty part around '@'"));
        }
        if name.chars().any(char::is_control) || domain.chars().any(char::is_control) {
            return Err(NtlmError::InvalidUser("control character"));
        }
        Ok(Credentials {
            user: name.to_string(),
            domain: domain.to_string(),
            nt_hash: nt_hash(password),
        })
    }

    /// The user name as sent in the AUTHENTICATE message (a UPN stays whole).
    pub fn user(&self) -> &str {
        &self.user
    }

    /// The domain as sent (empty for UPNs and bare user names).
    pub fn domain(&self) -> &str {
        &self.domain
    }

    pub(crate) fn nt_hash(&self) -> &Key16 {
        &self.nt_hash
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_the_three_forms() {
        let c = Credentials::new("CORP\\alice", "pw").unwrap();
        assert_eq!((c.user(), c.domain()), ("alice", "CORP"));
        let c = Credentials::new("alice@corp.example", "pw").unwrap();
        assert_eq!((c.user(), c.domain()), ("alice@corp.example", ""));
        let c = Credentials::new("alice", "pw").unwrap();
        assert_eq!((c.user(), c.domain()), ("alice", ""));
    }

    #[test]
    fn rejects_unusable_names() {
        for bad in ["", "CORP\\", "a\\b\\c", "@corp", "alice@", "al\nice"] {
            assert!(Credentials::new(bad, "pw").is_err(), "{bad:?}");
        }
    }

    #[test]
    fn debug_redacts_password_and_hash() {
        let c = Credentials::new("CORP\\alice", "Sup3rSecret").unwrap();
        let d = format!("{c:?}");
        assert!(d.contains("alice") && d.contains("redacted"));
        assert!(!d.contains("Sup3rSecret"));
        let hash: String = c.nt_hash().iter().map(|b| format!("{b:02x}")).collect();
        assert!(!d.contains(&hash[..8]));
    }
}
