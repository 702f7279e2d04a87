//! Request parsing and response/fault writing for the simulated host.
//!
//! What it does: reads the WS-Man headers of a request (`a:Action`, `a:MessageID`,
//! `w:ResourceURI`, `w:SelectorSet`, `w:MaxEnvelopeSize`) by namespace URI and local name, and
//! writes replies the way Windows does (hyperv-wsman.md §19): `xml:lang="en-US"` on the
//! Envelope, prefixes `s a n w` (with `x e p` declared), `a:Action`, `a:MessageID`
//! (`uuid:` + upper case), `a:To` anonymous, `a:RelatesTo` = request MessageID. Faults follow
//! E14: `s:Code/s:Value` + `s:Subcode/s:Value`, `s:Reason/s:Text xml:lang`, `s:Detail` with
//! `f:WSManFault Code Machine` + `f:Message`.
//! What it does not: decide which fault an operation deserves (see `sim::host`).

use crate::xml::{self, Element, XmlWriter, ns};

/// A parsed request envelope.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// `a:Action` (absent on Identify).
    pub action: Option<String>,
    /// `a:MessageID`.
    pub message_id: Option<String>,
    /// `w:ResourceURI`.
    pub resource_uri: Option<String>,
    /// `w:SelectorSet` entries (name, value).
    pub selectors: Vec<(String, String)>,
    /// `w:MaxEnvelopeSize`, when sent (None when absent; Err text when not a number).
    pub max_envelope: Option<Result<u64, String>>,
    /// The first element child of `s:Body`, if any.
    pub body: Option<Element>,
}

/// Parse a request envelope; `Err` carries a lowercase reason (answered with a schema fault).
pub fn parse_request(text: &str) -> Result<Request, String> {
    let root = xml::parse(text).map_err(|e| e.to_string())?;
    if !root.is(ns::SOAP, "Envelope") {
        return Err("the root element is not a soap 1.2 envelope".into());
    }
    let header = root.child(ns::SOAP, "Header");
    let body = root
        .child(ns::SOAP, "Body")
        .ok_or("the envelope has no body")?;
    let h = |n: &str, local: &str| header.and_then(|h| h.child_text(n, local));
    let selectors = header
        .and_then(|h| h.child(ns::WSMAN, "SelectorSet"))
        .map(|s| {
            s.children_named(ns::WSMAN, "Selector")
                .map(|e| {
                    (
                        e.attr(None, "Name").unwrap_or_default().to_string(),
                        e.text_trim(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Request {
        action: h(ns::ADDRESSING, "Action"),
        message_id: h(ns::ADDRESSING, "MessageID"),
        resource_uri: h(ns::WSMAN, "ResourceURI"),
        selectors,
        max_envelope: h(ns::WSMAN, "MaxEnvelopeSize").map(|t| t.parse::<u64>().map_err(|_| t)),
        body: body.elements().next().cloned(),
    })
}

/// Fault action URIs (hyperv-wsman.md §2.3).
pub mod fault_action {
    /// WS-Management faults.
    pub const WSMAN: &str = "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault";
    /// WS-Enumeration faults.
    pub const ENUMERATION: &str = "http://schemas.xmlsoap.org/ws/2004/09/enumeration/fault";
    /// WS-Addressing faults.
    pub const ADDRESSING: &str = "http://schemas.xmlsoap.org/ws/2004/08/addressing/fault";
}

/// A fault the simulator sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimFault {
    /// HTTP status (500, or 400).
    pub status: u16,
    /// `a:Action` of the fault.
    pub action: &'static str,
    /// True for `s:Sender`, false for `s:Receiver`.
    pub sender: bool,
    /// Subcode as a prefixed QName (`w:InvalidSelectors`); the prefix is declared on the Envelope.
    pub subcode: &'static str,
    /// WSManFault `Code` (decimal HRESULT).
    pub code: u32,
    /// Reason and message text.
    pub reason: String,
    /// What `s:Detail` holds (boxed: keeps `Result<_, SimFault>` small).
    pub detail: Box<Detail>,
}

/// The content of a fault's `s:Detail` (hyperv-wsman.md §13.1).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Detail {
    /// `f:WSManFault Code Machine` with `f:Message`.
    #[default]
    Plain,
    /// `f:WSManFault` whose `f:Message` holds `f:ProviderFault` (WMI provider) with a nested
    /// `f:WSManFault` and `f:ExtendedError/p:__ExtendedStatus` (E14, bad WQL).
    Provider {
        /// Inner `f:WSManFault/@Code`.
        inner_code: u32,
        /// Inner `f:Message`.
        inner_message: String,
        /// `__ExtendedStatus.Operation` (e.g. `ExecQuery`).
        operation: &'static str,
        /// `__ExtendedStatus.ParameterInfo` (e.g. the query).
        parameter: String,
    },
    /// `p:MSFT_WmiError b:IsCIM_Error="true"` instead of `f:WSManFault`.
    WmiError {
        /// `CIMStatusCode` (e.g. 4 CIM_ERR_INVALID_PARAMETER).
        cim_status: u32,
        /// `error_Code` (decimal HRESULT).
        error_code: u32,
    },
}

impl SimFault {
    /// A fault with HTTP 500 and the WS-Man fault action.
    pub fn new(sender: bool, subcode: &'static str, code: u32, reason: impl Into<String>) -> Self {
        SimFault {
            status: 500,
            action: fault_action::WSMAN,
            sender,
            subcode,
            code,
            reason: reason.into(),
            detail: Box::new(Detail::Plain),
        }
    }

    /// The same fault with another action URI.
    pub fn with_action(mut self, action: &'static str) -> Self {
        self.action = action;
        self
    }
}

/// Identifiers of one reply.
#[derive(Debug, Clone, Copy)]
pub struct ReplyIds<'a> {
    /// Our MessageID (`uuid:...`).
    pub message_id: &'a str,
    /// The request's MessageID, if it had one.
    pub relates_to: Option<&'a str>,
}

/// Write a whole response envelope; `body` writes the children of `s:Body`.
pub fn envelope(
    action: Option<&str>,
    ids: ReplyIds<'_>,
    body: impl FnOnce(&mut XmlWriter),
) -> String {
    let mut w = XmlWriter::with_capacity(4096);
    w.start("s:Envelope")
        .attr("xml:lang", "en-US")
        .attr("xmlns:s", ns::SOAP);
    w.attr("xmlns:a", ns::ADDRESSING)
        .attr("xmlns:n", ns::ENUMERATION)
        .attr("xmlns:w", ns::WSMAN);
    w.attr("xmlns:x", ns::TRANSFER)
        .attr("xmlns:e", ns::EVENTING)
        .attr("xmlns:p", ns::MSWSMAN);
    w.start("s:Header");
    if let Some(a) = action {
        w.leaf("a:Action", a);
        w.leaf("a:MessageID", ids.message_id);
        w.leaf("a:To", ns::ANONYMOUS);
        if let Some(r) = ids.relates_to {
            w.leaf("a:RelatesTo", r);
        }
    }
    w.end().start("s:Body");
    body(&mut w);
    w.end().end();
    // Every text written here passed the writer's checks except caller-supplied ids; fall back
    // to a minimal envelope rather than panic if one held a forbidden character.
    w.finish()
        .unwrap_or_else(|e| minimal_fault_text(&e.to_string()))
}

fn minimal_fault_text(reason: &str) -> String {
    let mut w = XmlWriter::new();
    w.start("s:Envelope")
        .attr("xmlns:s", ns::SOAP)
        .start("s:Body")
        .start("s:Fault");
    w.start("s:Code").leaf("s:Value", "s:Receiver").end();
    w.start("s:Reason")
        .start("s:Text")
        .attr("xml:lang", "en-US");
    w.text(&reason.replace(|c| !xml::write::is_xml_char(c), "?"))
        .end()
        .end();
    w.end().end().end();
    w.finish().unwrap_or_default()
}

/// Write a fault envelope.
pub fn fault(f: &SimFault, ids: ReplyIds<'_>, machine: &str) -> String {
    envelope(Some(f.action), ids, |w| {
        w.start("s:Fault").start("s:Code");
        w.leaf("s:Value", if f.sender { "s:Sender" } else { "s:Receiver" });
        w.start("s:Subcode").leaf("s:Value", f.subcode).end().end();
        w.start("s:Reason")
            .start("s:Text")
            .attr("xml:lang", "en-US")
            .text(&f.reason)
            .end()
            .end();
        w.start("s:Detail");
        match f.detail.as_ref() {
            Detail::WmiError {
                cim_status,
                error_code,
            } => write_wmi_error(w, *cim_status, *error_code, &f.reason),
            detail => write_wsman_fault(w, f, detail, machine),
        }
        w.end().end();
    })
}

fn write_wsman_fault(w: &mut XmlWriter, f: &SimFault, detail: &Detail, machine: &str) {
    w.start("f:WSManFault").attr("xmlns:f", ns::WSMANFAULT);
    w.attr("Code", &f.code.to_string()).attr("Machine", machine);
    match detail {
        Detail::Provider {
            inner_code,
            inner_message,
            operation,
            parameter,
        } => {
            w.start("f:Message").start("f:ProviderFault");
            w.attr("provider", "WMI Provider")
                .attr("path", "%systemroot%\\system32\\WsmWmiPl.dll");
            w.start("f:WSManFault")
                .attr("Code", &inner_code.to_string())
                .attr("Machine", machine);
            w.leaf("f:Message", inner_message).end();
            w.start("f:ExtendedError")
                .start("p:__ExtendedStatus")
                .attr("xmlns:p", EXTENDED_STATUS);
            w.attr("xmlns:xsi", ns::XSI)
                .attr("xsi:type", "p:__ExtendedStatus_Type");
            w.start("p:Description").attr("xsi:nil", "true").end();
            w.leaf("p:Operation", operation)
                .leaf("p:ParameterInfo", parameter);
            w.leaf("p:ProviderName", "WinMgmt")
                .leaf("p:StatusCode", "2147749911");
            w.end().end().end().end();
        }
        _ => {
            w.leaf("f:Message", &f.reason);
        }
    }
    w.end();
}

const EXTENDED_STATUS: &str =
    "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/__ExtendedStatus";

fn write_wmi_error(w: &mut XmlWriter, cim_status: u32, error_code: u32, message: &str) {
    w.start("p:MSFT_WmiError")
        .attr("xmlns:p", ns::MSFT_WMIERROR)
        .attr("xmlns:b", ns::CIMBINDING);
    w.attr("xmlns:cim", ns::CIM).attr("xmlns:xsi", ns::XSI);
    w.attr("b:IsCIM_Error", "true")
        .attr("xsi:type", "p:MSFT_WmiError_Type");
    let typed = |w: &mut XmlWriter, name: &'static str, ty: &str, v: &str| {
        w.start(name).attr("xsi:type", ty).text(v).end();
    };
    typed(
        w,
        "p:CIMStatusCode",
        "cim:cimUnsignedInt",
        &cim_status.to_string(),
    );
    w.start("p:CIMStatusCodeDescription")
        .attr("xsi:nil", "true")
        .end();
    typed(w, "p:Message", "cim:cimString", message);
    typed(
        w,
        "p:MessageID",
        "cim:cimString",
        &format!("HRESULT 0x{error_code:08x}"),
    );
    typed(w, "p:error_Category", "cim:cimUnsignedShort", "5");
    typed(
        w,
        "p:error_Code",
        "cim:cimUnsignedInt",
        &error_code.to_string(),
    );
    typed(w, "p:error_Type", "cim:cimString", "HRESULT");
    typed(w, "p:error_WindowsErrorMessage", "cim:cimString", message);
    w.end();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_has_windows_shape() {
        let f = SimFault::new(true, "w:InvalidSelectors", 2150858813, "bad selectors");
        let t = fault(
            &f,
            ReplyIds {
                message_id: "uuid:1",
                relates_to: Some("uuid:0"),
            },
            "hv01",
        );
        let root = xml::parse(&t).unwrap();
        let fl = root.find(ns::SOAP, "Fault").unwrap();
        let sub = fl
            .find(ns::SOAP, "Subcode")
            .unwrap()
            .child_text(ns::SOAP, "Value");
        assert_eq!(sub.as_deref(), Some("w:InvalidSelectors"));
        let wf = fl.find(ns::WSMANFAULT, "WSManFault").unwrap();
        assert_eq!(wf.attr(None, "Code"), Some("2150858813"));
        assert_eq!(
            root.find(ns::ADDRESSING, "RelatesTo").unwrap().text(),
            "uuid:0"
        );
    }

    #[test]
    fn request_headers_are_read_by_namespace() {
        let t = r#"<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope" xmlns:q="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"><e:Header><q:ResourceURI>R</q:ResourceURI><q:MaxEnvelopeSize>9000</q:MaxEnvelopeSize><q:SelectorSet><q:Selector Name="N">v</q:Selector></q:SelectorSet></e:Header><e:Body><x/></e:Body></e:Envelope>"#;
        let r = parse_request(t).unwrap();
        assert_eq!(r.resource_uri.as_deref(), Some("R"));
        assert_eq!(r.max_envelope, Some(Ok(9000)));
        assert_eq!(r.selectors, vec![("N".to_string(), "v".to_string())]);
        assert!(parse_request("<a/>").is_err());
    }
}
