//! CIM names (class, property, key names) and the qualified names the writer needs.
//!
//! CIM names are identifiers (`[A-Za-z_][A-Za-z0-9_]*`, DSP0004 restricted to ASCII); they come
//! from our code, never from users, and an invalid one is an error.
//!
//! [`crate::xml::XmlWriter::start`] takes `&'static str` element names, while WS-CIM element
//! names are class and property names known only at run time. [`qname`] interns `prefix:Name`
//! strings once per distinct name (a bounded, process-wide table) so the writer can be used
//! without building XML by hand. It is not I/O and not randomness; it is a cache.

use std::collections::HashSet;
use std::sync::{Mutex, OnceLock};

use super::{CimError, short};

/// Most distinct qualified names ever interned (class and property names are a small set).
const MAX_INTERNED: usize = 16 * 1024;

/// True when `s` is a CIM identifier: `[A-Za-z_][A-Za-z0-9_]*`.
pub fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if c.is_ascii_alphabetic() || c == '_' => {}
        _ => return false,
    }
    chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `Ok(())` when `s` is an identifier, else [`CimError::Name`].
pub(crate) fn check_identifier(s: &str) -> Result<(), CimError> {
    if is_identifier(s) {
        Ok(())
    } else {
        Err(CimError::Name(short(s)))
    }
}

/// The interned qualified name `prefix:local` (`local` must be an identifier).
pub(crate) fn qname(prefix: &str, local: &str) -> Result<&'static str, CimError> {
    check_identifier(local)?;
    let wanted = format!("{prefix}:{local}");
    static TABLE: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let table = TABLE.get_or_init(|| Mutex::new(HashSet::new()));
    let mut set = table
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(found) = set.get(wanted.as_str()) {
        return Ok(found);
    }
    if set.len() >= MAX_INTERNED {
        return Err(CimError::Instance(format!(
            "too many distinct element names (more than {MAX_INTERNED})"
        )));
    }
    let leaked: &'static str = Box::leak(wanted.into_boxed_str());
    set.insert(leaked);
    Ok(leaked)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers() {
        for ok in ["a", "_", "Msvm_ComputerSystem", "A1_b2", "__PATH"] {
            assert!(is_identifier(ok), "{ok}");
        }
        for bad in ["", "1a", "a-b", "a b", "a.b", "é", "a'", "a\"", "a:b"] {
            assert!(!is_identifier(bad), "{bad}");
        }
    }

    #[test]
    fn check_identifier_errors() {
        assert_eq!(check_identifier("x y"), Err(CimError::Name("x y".into())));
        assert!(check_identifier("Name").is_ok());
    }

    #[test]
    fn qname_interns_once() {
        let a = qname("p", "ElementName").unwrap();
        let b = qname("p", "ElementName").unwrap();
        assert_eq!(a, "p:ElementName");
        assert!(std::ptr::eq(a, b));
        assert!(qname("p", "bad name").is_err());
    }
}
