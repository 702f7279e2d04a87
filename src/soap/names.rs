//! Interned qualified names for elements whose names are only known at run time.
//!
//! [`crate::xml::XmlWriter::start`] takes `&'static str` names. Method and parameter names of a
//! WMI Invoke (`p:ExportSystemDefinition_INPUT`, `p:ComputerSystem`) come from the caller, so
//! they are validated as XML NCNames and interned here: each distinct name is leaked once and
//! reused afterwards. The table is bounded ([`MAX_NAMES`]) so hostile input cannot grow it
//! without limit. What this does not do: write XML (that is `XmlWriter`'s job).

use std::collections::HashSet;
use std::sync::{Mutex, OnceLock};

use super::SoapError;

/// Most distinct names the table holds.
pub const MAX_NAMES: usize = 4096;

/// Longest local name accepted.
pub const MAX_NAME_LEN: usize = 256;

fn table() -> &'static Mutex<HashSet<&'static str>> {
    static TABLE: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    TABLE.get_or_init(|| Mutex::new(HashSet::new()))
}

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

/// The interned qualified name `prefix:local`, after checking that `local` is an NCName.
pub fn qname(prefix: &str, local: &str) -> Result<&'static str, SoapError> {
    if !is_ncname(local) || !is_ncname(prefix) {
        return Err(SoapError::Invalid(format!(
            "element name '{}' (expected letters, digits and underscores)",
            local.chars().take(64).collect::<String>()
        )));
    }
    let full = format!("{prefix}:{local}");
    let mut set = table().lock().unwrap_or_else(|e| e.into_inner());
    if let Some(s) = set.get(full.as_str()) {
        return Ok(s);
    }
    if set.len() >= MAX_NAMES {
        return Err(SoapError::Invalid(format!(
            "element name '{full}': more than {MAX_NAMES} distinct names in use"
        )));
    }
    let leaked: &'static str = Box::leak(full.into_boxed_str());
    set.insert(leaked);
    Ok(leaked)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interns_once() {
        let a = qname("p", "ExportSystemDefinition_INPUT").unwrap();
        let b = qname("p", "ExportSystemDefinition_INPUT").unwrap();
        assert_eq!(a, "p:ExportSystemDefinition_INPUT");
        assert!(std::ptr::eq(a, b));
    }

    #[test]
    fn rejects_non_names() {
        for bad in ["", "1a", "a b", "a>b", "a:b", "x\"", "ä"] {
            assert!(qname("p", bad).is_err(), "{bad}");
        }
        assert!(qname("p", &"a".repeat(MAX_NAME_LEN + 1)).is_err());
    }
}
