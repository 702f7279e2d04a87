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

impl From<SoapError> for crate::Error {
    /// A fault becomes kind `Fault` (with the fault attached); anything else `Protocol`.
    fn from(e: SoapError) -> Self {
        use crate::ErrorKind;
        match e {
            SoapError::Fault(f) => {
                crate::Error::new(ErrorKind::Fault, f.to_string()).with_fault(*f)
            }
            other => crate::Error::new(ErrorKind::Protocol, other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn converts_to_crate_error() {
        let f = Fault {
            code: "Sender".into(),
            reason: "nope".into(),
            wsman_code: Some(5),
            ..Fault::default()
        };
        let e: crate::Error = SoapError::Fault(Box::new(f.clone())).into();
        assert_eq!(
            (e.kind(), e.to_string().as_str()),
            (ErrorKind::Fault, "nope (wsman code 5)")
        );
        assert_eq!(e.fault(), Some(&f));
        let e: crate::Error = SoapError::Missing("x".into()).into();
        assert_eq!(
            (e.kind(), e.to_string().as_str()),
            (ErrorKind::Protocol, "missing x")
        );
    }

    #[test]
    fn fault_parsing_is_prefix_independent() {
        let a = include_str!("../../fixtures/xml/fault_timed_out.xml");
        let b = r#"<Envelope xmlns="http://www.w3.org/2003/05/soap-envelope"><Body><Fault><Code><Value>Receiver</Value><Subcode><Value xmlns:m="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd">m:TimedOut</Value></Subcode></Code><Reason><Text xml:lang="en-US">The WS-Management service cannot complete the operation within the time specified in OperationTimeout.</Text></Reason><Detail><WSManFault xmlns="http://schemas.microsoft.com/wbem/wsman/1/wsmanfault" Code="2150858793"><Message>The WS-Management service cannot complete the operation within the time specified in OperationTimeout.</Message></WSManFault></Detail></Fault></Body></Envelope>"#;
        let fa = Envelope::parse(a).unwrap().check_fault(500).unwrap_err();
        let fb = Envelope::parse(b).unwrap().check_fault(500).unwrap_err();
        assert_eq!(fa, fb);
        assert!(fa.fault().unwrap().is_timed_out());
    }
}
