//! SOAP 1.2 faults with WS-Man and WMI detail (SOAP 1.2 part 1 §5.4; DSP0226 §14; MS-WSMV
//! 2.2.4.43 WSManFault; hyperv-wsman.md §13, §18 E14).
//!
//! Parses `s:Fault` (Code/Subcode/Reason/Detail) with `f:WSManFault` (decimal HRESULT `Code`,
//! flattened `f:Message`, nested `f:ProviderFault`), `MSFT_WmiError`/`CIM_Error` and the WMI
//! `__ExtendedStatus` form into [`Fault`], classifies it (timed out, access denied, ...), and
//! writes faults for the simulated host. What it does not do: decide what the caller does next.
//!
//! Subcode values are QNames in element *content*; the xml tree keeps no namespace bindings,
//! so the namespace of a subcode is taken from the table of DSP0226/WS-Enumeration/
//! WS-Addressing subcode names ([`subcode_namespace`]) rather than from its prefix.

use std::fmt;

use super::SoapError;
use super::envelope::ResponseBuilder;
use crate::xml::{Element, Node, XmlWriter, ns};

/// Namespace of `CIM_Error` instances in fault details.
pub const CIM_ERROR_NS: &str = "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_Error";

/// `a:Action` of WS-Man faults.
pub const WSMAN_FAULT_ACTION: &str = "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault";
/// `a:Action` of WS-Enumeration faults.
pub const ENUMERATION_FAULT_ACTION: &str =
    "http://schemas.xmlsoap.org/ws/2004/09/enumeration/fault";
/// WSManFault code: `ERROR_WSMAN_OPERATION_TIMEDOUT`.
pub const CODE_OPERATION_TIMEDOUT: u32 = 2150858793;
/// WSManFault code: `ERROR_WSMAN_ENUMERATE_TIMED_OUT`.
pub const CODE_ENUMERATE_TIMED_OUT: u32 = 2150858780;
/// WSManFault code: `ERROR_WSMAN_RESOURCE_NOT_FOUND`.
pub const CODE_RESOURCE_NOT_FOUND: u32 = 2150858752;
/// WMI `WBEM_E_NOT_FOUND` (0x80041002).
pub const CODE_WBEM_NOT_FOUND: u32 = 2147749890;
/// WSManFault code: `ERROR_WSMAN_ENUMERATE_INVALID_ENUMERATION_CONTEXT`.
pub const CODE_INVALID_ENUMERATION_CONTEXT: u32 = 2150858779;
/// WSManFault code: `ERROR_WSMAN_WMI_PROVIDER_ACCESS_DENIED`.
pub const CODE_WMI_ACCESS_DENIED: u32 = 2150859013;
/// `ERROR_ACCESS_DENIED`.
pub const CODE_ACCESS_DENIED: u32 = 5;

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

/// The namespace a fault subcode local name belongs to (empty when unknown). `TimedOut`
/// exists in both WS-Man and WS-Enumeration; it is reported as WS-Man.
pub fn subcode_namespace(local: &str) -> &'static str {
    match local {
        "CannotProcessFilter"
        | "InvalidEnumerationContext"
        | "FilteringNotSupported"
        | "FilterDialectRequestedUnavailable"
        | "InvalidExpirationTime"
        | "UnsupportedExpirationType" => ns::ENUMERATION,
        "DestinationUnreachable"
        | "ActionNotSupported"
        | "EndpointUnavailable"
        | "InvalidMessageInformationHeader"
        | "MessageInformationHeaderRequired" => ns::ADDRESSING,
        "Sender" | "Receiver" | "MustUnderstand" | "VersionMismatch" | "DataEncodingUnknown" => {
            ns::SOAP
        }
        "AccessDenied"
        | "AlreadyExists"
        | "Concurrency"
        | "EncodingLimit"
        | "InternalError"
        | "InvalidBookmark"
        | "InvalidOptions"
        | "InvalidParameter"
        | "InvalidRepresentation"
        | "InvalidSelectors"
        | "QuotaLimit"
        | "SchemaValidationError"
        | "TimedOut"
        | "UnsupportedFeature"
        | "UnsupportedFeatures"
        | "NoAck"
        | "MetadataRedirect"
        | "FragmentDialectNotSupported" => ns::WSMAN,
        _ => "",
    }
}

fn qname_local(q: &str) -> &str {
    let q = q.trim();
    q.rsplit_once(':').map_or(q, |(_, l)| l)
}

/// Collapse runs of whitespace into single spaces and trim.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// All text below `el`, skipping `f:ExtendedError` subtrees.
fn flatten_text(el: &Element, out: &mut String) {
    for n in &el.children {
        match n {
            Node::Text(t) => {
                out.push(' ');
                out.push_str(t);
            }
            Node::Element(e) if !e.is(ns::WSMANFAULT, "ExtendedError") => flatten_text(e, out),
            Node::Element(_) => {}
        }
    }
}

fn find_by<'a>(el: &'a Element, pred: &dyn Fn(&Element) -> bool) -> Option<&'a Element> {
    if pred(el) {
        return Some(el);
    }
    el.elements().find_map(|c| find_by(c, pred))
}

fn nonempty(s: Option<String>) -> Option<String> {
    s.filter(|t| !t.is_empty())
}

fn parse_wmi_error(detail: &Element) -> Option<WmiError> {
    let wmi = find_by(detail, &|e| {
        e.is(ns::MSFT_WMIERROR, "MSFT_WmiError") || e.is(CIM_ERROR_NS, "CIM_Error")
    });
    if let Some(w) = wmi {
        let n = w.ns_str();
        return Some(WmiError {
            message: nonempty(w.child_text(n, "Message")),
            error_code: nonempty(w.child_text(n, "error_Code"))
                .or_else(|| nonempty(w.child_text(n, "CIMStatusCode"))),
            status_description: nonempty(w.child_text(n, "CIMStatusCodeDescription")),
        });
    }
    let ext = find_by(detail, &|e| {
        e.local == "__ExtendedStatus" && e.ns_str().starts_with(ns::WMI_BASE)
    })?;
    let n = ext.ns_str();
    Some(WmiError {
        message: nonempty(ext.child_text(n, "Description")),
        error_code: nonempty(ext.child_text(n, "StatusCode")),
        status_description: nonempty(ext.child_text(n, "Operation")),
    })
}

impl Fault {
    /// The subcode's local name, if any.
    pub fn subcode_local(&self) -> Option<&str> {
        self.subcode.as_ref().map(|(_, l)| l.as_str())
    }

    /// Parse an `s:Fault` element (`http_status` is left 0 for the caller to set).
    pub fn from_element(f: &Element) -> Result<Fault, SoapError> {
        if !f.is(ns::SOAP, "Fault") {
            return Err(SoapError::NotSoap(format!(
                "expected s:Fault, found {}",
                f.local
            )));
        }
        let code_el = f.child(ns::SOAP, "Code");
        let code = code_el
            .and_then(|c| c.child_text(ns::SOAP, "Value"))
            .map(|v| qname_local(&v).to_string())
            .ok_or_else(|| SoapError::Missing("s:Code/s:Value in soap fault".into()))?;
        let subcode = code_el
            .and_then(|c| c.child(ns::SOAP, "Subcode"))
            .and_then(|s| s.child_text(ns::SOAP, "Value"))
            .map(|v| qname_local(&v).to_string())
            .filter(|l| !l.is_empty())
            .map(|l| (subcode_namespace(&l).to_string(), l));
        let reason = f
            .child(ns::SOAP, "Reason")
            .and_then(|r| r.child(ns::SOAP, "Text"))
            .map(|t| one_line(&t.text()))
            .unwrap_or_default();
        let mut fault = Fault {
            code,
            subcode,
            reason,
            ..Fault::default()
        };
        if let Some(detail) = f.child(ns::SOAP, "Detail") {
            fault.read_detail(detail);
        }
        Ok(fault)
    }

    fn read_detail(&mut self, detail: &Element) {
        if let Some(wf) = detail.find(ns::WSMANFAULT, "WSManFault") {
            self.wsman_code = wf.attr(None, "Code").and_then(|c| c.trim().parse().ok());
            self.wsman_message = wf.child(ns::WSMANFAULT, "Message").and_then(|m| {
                let mut s = String::new();
                flatten_text(m, &mut s);
                nonempty(Some(one_line(&s)))
            });
        }
        self.wmi_error = parse_wmi_error(detail);
    }

    fn subcode_is(&self, local: &str) -> bool {
        self.subcode_local() == Some(local)
    }

    fn code_in(&self, codes: &[u32]) -> bool {
        self.wsman_code.is_some_and(|c| codes.contains(&c))
    }

    /// `w:TimedOut`/`n:TimedOut`, or WSManFault 2150858793 / 2150858780: re-issue the request.
    pub fn is_timed_out(&self) -> bool {
        self.subcode_is("TimedOut")
            || self.code_in(&[CODE_OPERATION_TIMEDOUT, CODE_ENUMERATE_TIMED_OUT])
    }

    /// `w:AccessDenied`, or codes 5 / 2150859013.
    pub fn is_access_denied(&self) -> bool {
        self.subcode_is("AccessDenied")
            || self.code_in(&[CODE_ACCESS_DENIED, CODE_WMI_ACCESS_DENIED])
    }

    /// `n:InvalidEnumerationContext` or code 2150858779: restart the enumeration.
    pub fn is_invalid_enumeration_context(&self) -> bool {
        self.subcode_is("InvalidEnumerationContext")
            || self.code_in(&[CODE_INVALID_ENUMERATION_CONTEXT])
    }

    /// `w:EncodingLimit`: the host refused our MaxEnvelopeSize (or another encoding bound).
    pub fn is_encoding_limit(&self) -> bool {
        self.subcode_is("EncodingLimit")
    }

    /// Not found: `DestinationUnreachable`/`InvalidSelectors`, codes 2150858752/2147749890, or a
    /// WMI error with code 2147749890 (hyperv-wsman.md §13.4).
    pub fn is_not_found(&self) -> bool {
        self.subcode_is("DestinationUnreachable")
            || self.subcode_is("InvalidSelectors")
            || self.code_in(&[CODE_RESOURCE_NOT_FOUND, CODE_WBEM_NOT_FOUND])
            || self
                .wmi_error
                .as_ref()
                .and_then(|w| w.error_code.as_deref())
                == Some("2147749890")
    }

    /// Write this fault as a complete response envelope (server side, for the simulator).
    pub fn to_envelope(
        &self,
        action: &str,
        message_id: &str,
        relates_to: Option<&str>,
    ) -> Result<String, SoapError> {
        ResponseBuilder::new(action, message_id, relates_to).build(|w| {
            self.write(w);
            Ok(())
        })
    }

    fn write(&self, w: &mut XmlWriter) {
        w.start("s:Fault").start("s:Code");
        w.leaf("s:Value", &format!("s:{}", self.code));
        if let Some((sns, local)) = &self.subcode {
            w.start("s:Subcode").start("s:Value");
            let prefix = match sns.as_str() {
                ns::SOAP => "s",
                ns::ADDRESSING => "a",
                ns::WSMAN => "w",
                ns::ENUMERATION => "n",
                other => {
                    w.attr("xmlns:x", other);
                    "x"
                }
            };
            w.text(&format!("{prefix}:{local}")).end().end();
        }
        w.end();
        w.start("s:Reason")
            .start("s:Text")
            .attr("xml:lang", "en-US");
        w.text(&self.reason).end().end();
        if self.wsman_code.is_some() || self.wsman_message.is_some() || self.wmi_error.is_some() {
            w.start("s:Detail");
            self.write_detail(w);
            w.end();
        }
        w.end();
    }

    fn write_detail(&self, w: &mut XmlWriter) {
        if self.wsman_code.is_some() || self.wsman_message.is_some() {
            w.start("f:WSManFault").attr("xmlns:f", ns::WSMANFAULT);
            if let Some(c) = self.wsman_code {
                w.attr("Code", &c.to_string());
            }
            if let Some(m) = &self.wsman_message {
                w.leaf("f:Message", m);
            }
            w.end();
        }
        if let Some(e) = &self.wmi_error {
            w.start("m:MSFT_WmiError")
                .attr("xmlns:m", ns::MSFT_WMIERROR)
                .attr("xmlns:b", ns::CIMBINDING)
                .attr("b:IsCIM_Error", "true");
            let fields = [
                ("m:Message", &e.message),
                ("m:error_Code", &e.error_code),
                ("m:CIMStatusCodeDescription", &e.status_description),
            ];
            for (q, v) in fields {
                if let Some(v) = v {
                    w.leaf(q, v);
                }
            }
            w.end();
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = if !self.reason.is_empty() {
            self.reason.trim_end_matches([' ', '.'])
        } else if let Some(m) = &self.wsman_message {
            m.trim_end_matches([' ', '.'])
        } else {
            "soap fault"
        };
        f.write_str(text)?;
        match (self.wsman_code, self.subcode_local()) {
            (Some(c), _) => write!(f, " (wsman code {c})"),
            (None, Some(s)) => write!(f, " ({s})"),
            (None, None) => write!(f, " ({})", self.code),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::soap::Envelope;

    fn fault_of(doc: &str) -> Fault {
        let env = Envelope::parse(doc).unwrap();
        match env.check_fault(500) {
            Err(SoapError::Fault(f)) => *f,
            other => panic!("expected a fault, got {other:?}"),
        }
    }

    #[test]
    fn invalid_selectors() {
        let f = fault_of(include_str!(
            "../../fixtures/xml/fault_invalid_selectors.xml"
        ));
        assert_eq!(f.http_status, 500);
        assert_eq!(f.code, "Sender");
        assert_eq!(
            f.subcode,
            Some((ns::WSMAN.to_string(), "InvalidSelectors".to_string()))
        );
        assert_eq!(f.wsman_code, Some(2150858813));
        assert!(f.reason.ends_with("for the resource."));
        assert!(f.is_not_found() && !f.is_timed_out() && !f.is_access_denied());
        assert_eq!(
            f.to_string(),
            "The WS-Management service cannot process the request because the request contained \
             invalid selectors for the resource (wsman code 2150858813)"
        );
    }

    #[test]
    fn timed_out_and_access_denied() {
        let t = fault_of(include_str!("../../fixtures/xml/fault_timed_out.xml"));
        assert!(t.is_timed_out() && !t.is_not_found());
        assert_eq!(t.code, "Receiver");
        let a = fault_of(include_str!("../../fixtures/xml/fault_access_denied.xml"));
        assert!(a.is_access_denied() && !a.is_timed_out());
        assert_eq!(a.wsman_code, Some(5));
    }

    #[test]
    fn wmi_error_detail() {
        let f = fault_of(include_str!("../../fixtures/xml/fault_wmi_error.xml"));
        let w = f.wmi_error.clone().unwrap();
        assert_eq!(w.error_code.as_deref(), Some("2147749896"));
        assert_eq!(
            w.message.as_deref(),
            Some("The embedded instance ExportSettingData could not be parsed.")
        );
        assert_eq!(w.status_description, None);
        assert_eq!(f.wsman_code, None);
        assert!(
            f.to_string()
                .ends_with("could not be parsed (InternalError)")
        );
    }

    #[test]
    fn provider_fault_flattened_with_extended_status() {
        let f = fault_of(include_str!(
            "../../fixtures/xml/fault_cannot_process_filter.xml"
        ));
        assert_eq!(f.subcode_local(), Some("CannotProcessFilter"));
        assert_eq!(f.subcode.as_ref().unwrap().0, ns::ENUMERATION);
        assert_eq!(f.wsman_code, Some(2150858778));
        assert_eq!(
            f.wsman_message.as_deref(),
            Some("The specified class does not exist in the given namespace.")
        );
        let w = f.wmi_error.unwrap();
        assert_eq!(w.status_description.as_deref(), Some("ExecQuery"));
        assert_eq!(w.error_code, None);
    }

    #[test]
    fn write_then_parse() {
        let f = Fault {
            http_status: 500,
            code: "Receiver".into(),
            subcode: Some((ns::WSMAN.into(), "EncodingLimit".into())),
            reason: "too big & <bad>".into(),
            wsman_code: Some(2150858824),
            wsman_message: Some("m".into()),
            wmi_error: Some(WmiError {
                message: Some("x".into()),
                error_code: Some("7".into()),
                status_description: None,
            }),
        };
        let doc = f
            .to_envelope(WSMAN_FAULT_ACTION, "uuid:2", Some("uuid:1"))
            .unwrap();
        assert_eq!(fault_of(&doc), f);
        assert!(f.is_encoding_limit());
        let other = Fault {
            code: "Sender".into(),
            subcode: Some(("urn:other".into(), "Odd".into())),
            ..Fault::default()
        };
        let doc = other
            .to_envelope(WSMAN_FAULT_ACTION, "uuid:2", None)
            .unwrap();
        assert_eq!(fault_of(&doc).subcode_local(), Some("Odd"));
        assert_eq!(other.to_string(), "soap fault (Odd)");
    }

    #[test]
    fn missing_code_is_error_not_panic() {
        let doc = r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><s:Fault><s:Reason/></s:Fault></s:Body></s:Envelope>"#;
        let env = Envelope::parse(doc).unwrap();
        assert!(matches!(env.check_fault(400), Err(SoapError::Missing(_))));
    }
}
