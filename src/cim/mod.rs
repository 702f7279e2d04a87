//! The CIM layer: WMI values as WinRM renders them, and the small CIM languages around them.
//!
//! * [`instance`]: read a WS-CIM instance (DSP0230; hyperv-wsman.md §7) or a `w:XmlFragment`
//!   item of a property-list query (§6.5) into an [`Instance`] of typed [`Value`]s.
//! * [`render`]: the mirror, writing an instance exactly as WinRM renders it (used by the
//!   simulated host).
//! * [`datetime`]: CIM datetimes and intervals (DMTF 25-character strings, `xs:dateTime`,
//!   `xs:duration`).
//! * [`embedded`]: CIM-XML (DSP0201) embedded instances, the `ExportSettingData` parameter
//!   (§8.3, §9.4).
//! * [`wql`]: WQL string literals and a small `SELECT` builder (§6.5).
//! * [`path`]: WMI object paths such as `SnapshotVirtualSystem` and `Parent` (§9.3, §9.4, §12).
//!
//! Everything here is sans-IO: parsers take `&str` or an [`crate::xml::Element`] and return
//! typed values or a [`CimError`]; no input makes them panic. What this module does not do:
//! SOAP envelopes, WS-Man operations or EPR headers (see `soap` and `wsman`).

pub mod datetime;
pub mod embedded;
pub mod instance;
mod names;
pub mod path;
pub mod render;
pub mod wql;

pub use datetime::{CimDateTime, CimInterval};
pub use embedded::{CimType, EmbeddedInstance, EmbeddedProperty, EmbeddedValue};
pub use instance::{Instance, Value};
pub use names::is_identifier;
pub use path::ObjectPath;
pub use render::write_instance;
pub use wql::{Select, quote, unquote};

use crate::error::{Error, ErrorKind};
use crate::xml::XmlError;

/// Errors of the CIM layer. Messages are lowercase and name the offending input (shortened).
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CimError {
    /// A datetime or interval string could not be read or a component is out of range.
    #[error("invalid cim datetime {input:?}: {reason}")]
    DateTime {
        /// The input (shortened).
        input: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A WS-CIM instance could not be read or written.
    #[error("invalid cim instance: {0}")]
    Instance(String),
    /// A CIM-XML embedded instance could not be read or written.
    #[error("invalid embedded instance: {0}")]
    Embedded(String),
    /// A WQL literal could not be read.
    #[error("invalid wql literal {input:?}: {reason}")]
    WqlLiteral {
        /// The input (shortened).
        input: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A class, property or key name is not an identifier (`[A-Za-z_][A-Za-z0-9_]*`).
    #[error(
        "invalid cim name {0:?}: expected letters, digits and underscores, not starting with a digit"
    )]
    Name(String),
    /// A WMI object path could not be read.
    #[error("invalid object path {input:?}: {reason}")]
    Path {
        /// The input (shortened).
        input: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The XML layer failed (malformed document or a character XML cannot carry).
    #[error(transparent)]
    Xml(#[from] XmlError),
}

/// Shorten user- or peer-supplied text for an error message (at most 80 characters).
pub(crate) fn short(s: &str) -> String {
    const MAX: usize = 80;
    match s.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}...", &s[..i]),
        None => s.to_string(),
    }
}

impl From<CimError> for Error {
    fn from(e: CimError) -> Self {
        let kind = match e {
            CimError::Name(_) => ErrorKind::Usage,
            _ => ErrorKind::Protocol,
        };
        Error::new(kind, e.to_string()).with_source(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_truncates_on_char_boundary() {
        let long = "é".repeat(100);
        let s = short(&long);
        assert_eq!(s.chars().count(), 83);
        assert!(s.ends_with("..."));
        assert_eq!(short("abc"), "abc");
    }

    #[test]
    fn converts_to_crate_error_with_kind() {
        let e: Error = CimError::Name("1x".into()).into();
        assert_eq!(e.kind(), ErrorKind::Usage);
        let e: Error = CimError::Instance("bad".into()).into();
        assert_eq!(e.kind(), ErrorKind::Protocol);
        assert_eq!(e.to_string(), "invalid cim instance: bad");
    }
}
