//! CIM names (class, property, key names) and the qualified element names built from them.
//!
//! CIM names are identifiers (`[A-Za-z_][A-Za-z0-9_]*`, DSP0004 restricted to ASCII); they come
//! from our code, never from users, and an invalid one is an error. Validating them here is what
//! makes it safe to hand `prefix:Name` to [`crate::xml::XmlWriter::start`] as an element name.

use super::{CimError, short};

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

/// The qualified name `prefix:local`, or `local` when `prefix` is empty; `local` must be an
/// identifier.
pub(crate) fn qname(prefix: &str, local: &str) -> Result<String, CimError> {
    check_identifier(local)?;
    Ok(match prefix {
        "" => local.to_string(),
        _ => format!("{prefix}:{local}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers() {
        for ok in ["a", "_", "Msvm_ComputerSystem", "A1_b2", "__PATH"] {
            assert!(is_identifier(ok), "{ok}");
        }
        for bad in [
            "", "1a", "a-b", "a b", "a.b", "é", "a'", "a\"", "a:b", "a<b",
        ] {
            assert!(!is_identifier(bad), "{bad}");
        }
    }

    #[test]
    fn check_identifier_errors() {
        assert_eq!(check_identifier("x y"), Err(CimError::Name("x y".into())));
        assert!(check_identifier("Name").is_ok());
    }

    #[test]
    fn qualified_names() {
        assert_eq!(qname("p", "ElementName").unwrap(), "p:ElementName");
        assert_eq!(qname("", "Name").unwrap(), "Name");
        assert!(qname("p", "bad name").is_err());
        assert!(qname("p", "x><y").is_err());
    }
}
