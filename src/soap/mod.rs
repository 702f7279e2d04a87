//! SOAP 1.2 envelopes, WS-Addressing headers and faults (W3C SOAP 1.2 part 1 §5, WS-Addressing
//! 2004/08, DSP0226 §5–6, hyperv-wsman.md §3, §13).
//!
//! * [`envelope`]: parse a received envelope into header and body elements; write request and
//!   response envelopes (the latter for the simulated host).
//! * [`addressing`]: endpoint references (EPRs) and message-ID sources.
//! * [`fault`]: SOAP faults with WS-Man (`f:WSManFault`) and WMI (`MSFT_WmiError`) detail.
//! * [`names`]: interned qualified names for element names chosen at run time.
//!
//! What this module does not do: know WS-Man operations (see `wsman`) or do any I/O.

pub mod addressing;
pub mod envelope;
pub mod fault;
pub mod names;

pub use addressing::{Epr, MessageIdSource, SequentialMessageIds, UuidMessageIds};
pub use envelope::{Envelope, ResponseBuilder};
pub use fault::{Fault, WmiError};

use crate::xml::XmlError;

/// Errors of the SOAP and WS-Man message layers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SoapError {
    /// The text is not well-formed XML, or could not be written as XML.
    #[error(transparent)]
    Xml(#[from] XmlError),
    /// The document is XML but not a SOAP 1.2 envelope (wrong root, no Body, ...).
    #[error("not a soap 1.2 envelope: {0}")]
    NotSoap(String),
    /// A required element or value is missing.
    #[error("missing {0}")]
    Missing(String),
    /// A value is present but invalid.
    #[error("invalid {0}")]
    Invalid(String),
    /// The response is a SOAP fault.
    #[error("{0}")]
    Fault(Box<Fault>),
}

impl SoapError {
    /// The fault, when this error is a SOAP fault.
    pub fn fault(&self) -> Option<&Fault> {
        match self {
            SoapError::Fault(f) => Some(f),
            _ => None,
        }
    }
}
