//! Qualified names for elements whose names are only known at run time.
//!
//! Method and parameter names of a WMI Invoke (`p:ExportSystemDefinition_INPUT`,
//! `p:ComputerSystem`) come from the caller, so they are validated as XML NCNames before they
//! become element names. What this does not do: write XML (that is `XmlWriter`'s job).

use super::SoapError;

/// Longest local name accepted.
pub const MAX_NAME_LEN: usize = 256;

/// True when `s` is a plausible XML NCName (ASCII letters, digits, `_`, `-`, `.`; not starting
/// with a digit, `-` or `.`), which covers every WMI class, method and property name.
pub fn is_ncname(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if c.is_ascii_alphabetic() || c == '_' => {}
        _ => return false,
    }
    s.len() <= MAX_NAME_LEN
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// The qualified name `prefix:local`, after checking that both parts are NCNames.
pub fn qname(prefix: &str, local: &str) -> Result<String, SoapError> {
    if !is_ncname(local) || !is_ncname(prefix) {
        return Err(SoapError::Invalid(format!(
            "element name '{}' (expected letters, digits and underscores)",
            local.chars().take(64).collect::<String>()
        )));
    }
    Ok(format!("{prefix}:{local}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_prefixed_name() {
        let a = qname("p", "ExportSystemDefinition_INPUT").unwrap();
        assert_eq!(a, "p:ExportSystemDefinition_INPUT");
    }

    #[test]
    fn rejects_non_names() {
        for bad in ["", "1a", "a b", "a>b", "a:b", "x\"", "ä"] {
            assert!(qname("p", bad).is_err(), "{bad}");
        }
        assert!(qname("p", &"a".repeat(MAX_NAME_LEN + 1)).is_err());
    }
}
