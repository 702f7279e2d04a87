//! Namespace URIs used on the WS-Management wire (hyperv-wsman.md §2.1).
//!
//! Prefixes are conventional only; code matches on these URIs, never on a prefix.

/// SOAP 1.2 envelope.
pub const SOAP: &str = "http://www.w3.org/2003/05/soap-envelope";
/// WS-Addressing (2004/08).
pub const ADDRESSING: &str = "http://schemas.xmlsoap.org/ws/2004/08/addressing";
/// DMTF WS-Management.
pub const WSMAN: &str = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd";
/// WS-Enumeration (2004/09).
pub const ENUMERATION: &str = "http://schemas.xmlsoap.org/ws/2004/09/enumeration";
/// WS-Transfer (2004/09).
pub const TRANSFER: &str = "http://schemas.xmlsoap.org/ws/2004/09/transfer";
/// WS-Eventing (declared by Windows, unused).
pub const EVENTING: &str = "http://schemas.xmlsoap.org/ws/2004/08/eventing";
/// Microsoft MS-WSMV header extensions (DataLocale, SessionId, ...).
pub const MSWSMAN: &str = "http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd";
/// XML Schema instance (`xsi:nil`, `xsi:type`).
pub const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";
/// WS-CIM common (`cim:Datetime`, `cim:Interval`, ...).
pub const CIM: &str = "http://schemas.dmtf.org/wbem/wscim/1/common";
/// CIM binding (`b:IsCIM_Error`).
pub const CIMBINDING: &str = "http://schemas.dmtf.org/wbem/wsman/1/cimbinding.xsd";
/// Microsoft WSManFault detail.
pub const WSMANFAULT: &str = "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault";
/// WS-Man Identify.
pub const IDENTITY: &str = "http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd";
/// The `xml:` namespace (`xml:lang`).
pub const XML: &str = "http://www.w3.org/XML/1998/namespace";
/// MSFT_WmiError instance namespace in fault details.
pub const MSFT_WMIERROR: &str = "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/MSFT_WmiError";
/// Anonymous WS-Addressing role URI.
pub const ANONYMOUS: &str = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous";
/// WQL filter dialect.
pub const WQL_DIALECT: &str = "http://schemas.microsoft.com/wbem/wsman/1/WQL";
/// Prefix of WMI class resource URIs.
pub const WMI_BASE: &str = "http://schemas.microsoft.com/wbem/wsman/1/wmi/";
/// Resource URI prefix of `root/virtualization/v2` classes (append the class name).
pub const HYPERV_V2: &str = "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/virtualization/v2/";
