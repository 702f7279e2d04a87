//! XML for WS-Management: the only module that imports `quick_xml`.
//!
//! * [`read`]: parses a document into a small owned tree ([`Element`]) whose element and
//!   attribute names are resolved to (namespace URI, local name). Lookups never look at prefixes.
//!   Limits on input size, depth and attribute count keep hostile input bounded.
//! * [`stream`]: a streaming cursor over the same resolved names, building only the subtrees
//!   asked for (enumeration pages are read item by item with it).
//! * [`write`](mod@write): an escaping writer ([`XmlWriter`]); text and attribute values are
//!   always escaped and characters that XML 1.0 forbids are an error, never a broken document.
//! * [`ns`]: the namespace URIs of WS-Addressing, WS-Management, WS-Enumeration, SOAP 1.2, ...
//!
//! What this module does not do: know about SOAP or WS-Man (see `soap` and `wsman`).

pub mod ns;
pub mod read;
pub mod stream;
pub mod write;

pub use read::{Element, Limits, Node, NsUri, parse, parse_with_limits};
pub use write::XmlWriter;

/// Errors of the XML layer.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum XmlError {
    /// The input is not well-formed XML (or uses an undeclared prefix).
    #[error("malformed xml: {0}")]
    Malformed(String),
    /// The document has no root element.
    #[error("malformed xml: no root element")]
    NoRoot,
    /// A limit on size, depth or attribute count was exceeded.
    #[error("xml limit exceeded: {0}")]
    Limit(String),
    /// A string to be written contains a character that XML 1.0 forbids.
    #[error("cannot write character U+{0:04X} in xml (xml 1.0 forbids it)")]
    ForbiddenChar(u32),
}
