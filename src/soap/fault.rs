//! SOAP 1.2 faults with WS-Man and WMI detail.
//!
//! (Skeleton: the `Fault` shape is fixed; the parser is added by the soap layer.)

/// A WMI error instance (`MSFT_WmiError` / `CIM_Error`) found in a fault detail.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WmiError {
    /// `Message`.
    pub message: Option<String>,
    /// `error_Code` / `CIMStatusCode` text as sent.
    pub error_code: Option<String>,
    /// `CIMStatusCodeDescription`.
    pub status_description: Option<String>,
}

/// A SOAP 1.2 fault.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Fault {
    /// HTTP status the fault arrived with (500, sometimes 400).
    pub http_status: u16,
    /// `s:Code/s:Value` local name (`Sender` or `Receiver`).
    pub code: String,
    /// `s:Subcode/s:Value` as (namespace URI, local name), e.g. (`WSMAN`, `TimedOut`).
    pub subcode: Option<(String, String)>,
    /// `s:Reason/s:Text`.
    pub reason: String,
    /// `f:WSManFault/@Code` (decimal HRESULT).
    pub wsman_code: Option<u32>,
    /// `f:WSManFault/f:Message` text (flattened).
    pub wsman_message: Option<String>,
    /// WMI error detail, when present.
    pub wmi_error: Option<WmiError>,
}

impl Fault {
    /// The subcode's local name, if any.
    pub fn subcode_local(&self) -> Option<&str> {
        self.subcode.as_ref().map(|(_, l)| l.as_str())
    }
}
