//! WMI method Invoke: custom action `<class URI>/<Method>` with a `<Method>_INPUT` body, and the
//! `<Method>_OUTPUT` reply (DSP0226 §9 custom actions; MS-WSMV 3.1.4.1.30; hyperv-wsman.md §8,
//! §18 E5–E8).
//!
//! Parameters are written in the order given, each as `<p:Name>` in the class namespace: scalar
//! text, arrays as repeated elements, NULL as `xsi:nil`, REF values as an EPR written directly
//! inside the element (no `a:EndpointReference` wrapper), and embedded instances as a *string*
//! the writer escapes. The output parser reads `ReturnValue` (u32) and keeps the other out
//! parameters as raw elements, tolerating any order and a nil or missing `Job`. Server-side
//! parsing of an Invoke body is here too. What this module does not do: build the CIM-XML of an
//! embedded instance (see `cim`) or interpret return codes (see `hyperv`).

use crate::soap::names::qname;
use crate::soap::{Epr, MessageIdSource, SoapError};
use crate::transport::SoapRequest;
use crate::xml::{Element, XmlWriter, ns};

use super::{Settings, build_request};

/// The value of one input parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParamValue {
    /// A scalar: decimal number, `true`/`false`, or string text.
    Scalar(String),
    /// An array: the element repeated once per value.
    Array(Vec<String>),
    /// NULL: `xsi:nil="true"`.
    Null,
    /// A REF parameter: the EPR's Address and ReferenceParameters inside the element.
    Ref(Epr),
    /// An embedded instance passed as a string (CIM-XML text; escaped by the writer).
    Embedded(String),
}

/// An Invoke request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvokeRequest {
    /// Class resource URI (also the namespace of the `_INPUT` element).
    pub resource_uri: String,
    /// Method name.
    pub method: String,
    /// Keys of the target instance.
    pub selectors: Vec<(String, String)>,
    /// Parameters in declaration order.
    pub params: Vec<(String, ParamValue)>,
}

impl InvokeRequest {
    /// The `a:Action`: resource URI + `/` + method.
    pub fn action(&self) -> String {
        format!(
            "{}/{}",
            self.resource_uri.trim_end_matches('/'),
            self.method
        )
    }

    /// Build the request. Method and parameter names must be XML names.
    pub fn to_request(
        &self,
        s: &Settings,
        ids: &dyn MessageIdSource,
    ) -> Result<SoapRequest, SoapError> {
        let input = qname("p", &format!("{}_INPUT", self.method))?;
        let names = self
            .params
            .iter()
            .map(|(n, _)| qname("p", n))
            .collect::<Result<Vec<_>, _>>()?;
        let mut headers = s.headers(&self.action(), &self.resource_uri, ids);
        headers.selectors = self.selectors.clone();
        build_request(&headers, |w| {
            w.start(input)
                .attr("xmlns:p", &self.resource_uri)
                .attr("xmlns:xsi", ns::XSI);
            for (q, (_, value)) in names.iter().zip(&self.params) {
                write_param(w, q, value);
            }
            w.end();
            Ok(())
        })
    }
}

pub(crate) fn write_param(w: &mut XmlWriter, q: &str, value: &ParamValue) {
    match value {
        ParamValue::Scalar(s) | ParamValue::Embedded(s) => {
            w.leaf(q.to_string(), s);
        }
        ParamValue::Array(items) => {
            for s in items {
                w.leaf(q.to_string(), s);
            }
        }
        ParamValue::Null => {
            w.start(q.to_string()).attr("xsi:nil", "true").end();
        }
        ParamValue::Ref(epr) => {
            w.start(q.to_string());
            epr.write_into(w);
            w.end();
        }
    }
}

/// The `<Method>_OUTPUT` of an Invoke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvokeOutput {
    /// `ReturnValue` (0 done, 4096 job started, ≥ 32768 error).
    pub return_value: u32,
    /// The other out parameters, raw, in document order.
    pub params: Vec<Element>,
}

impl InvokeOutput {
    /// The first out parameter named `name`.
    pub fn param(&self, name: &str) -> Option<&Element> {
        self.params.iter().find(|e| e.local == name)
    }

    /// All out parameters named `name` (arrays).
    pub fn params_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.params.iter().filter(move |e| e.local == name)
    }

    /// The trimmed text of out parameter `name` (None when missing or nil).
    pub fn text(&self, name: &str) -> Option<String> {
        self.param(name)
            .filter(|e| !e.is_nil())
            .map(Element::text_trim)
    }

    /// REF out parameter `name` (e.g. `Job`) as an EPR; None when missing or nil.
    pub fn epr(&self, name: &str) -> Result<Option<Epr>, SoapError> {
        match self.param(name).filter(|e| !e.is_nil()) {
            Some(e) => Epr::from_element(e).map(Some),
            None => Ok(None),
        }
    }
}

/// Parse an Invoke reply. With `method` given, the body must be `<method>_OUTPUT`; otherwise any
/// `*_OUTPUT` element is accepted. A fault becomes [`SoapError::Fault`].
pub fn parse_output(
    status: u16,
    body: &str,
    method: Option<&str>,
) -> Result<InvokeOutput, SoapError> {
    parse_output_with(status, body, method, &crate::xml::Limits::default())
}

/// [`parse_output`] under explicit XML [`Limits`](crate::xml::Limits).
pub fn parse_output_with(
    status: u16,
    body: &str,
    method: Option<&str>,
    limits: &crate::xml::Limits,
) -> Result<InvokeOutput, SoapError> {
    let env = super::parse_response_with(status, body, limits)?;
    let out = env
        .body
        .elements()
        .find(|e| match method {
            Some(m) => e.local.strip_suffix("_OUTPUT") == Some(m),
            None => e.local.ends_with("_OUTPUT"),
        })
        .ok_or_else(|| {
            SoapError::Missing(format!(
                "{}_OUTPUT in invoke reply",
                method.unwrap_or("<method>")
            ))
        })?;
    let n = out.ns_str();
    let rv = out
        .child_text(n, "ReturnValue")
        .ok_or_else(|| SoapError::Missing(format!("ReturnValue in {}", out.local)))?;
    let return_value = rv
        .parse()
        .map_err(|_| SoapError::Invalid(format!("ReturnValue '{rv}' in {}", out.local)))?;
    let params = out
        .elements()
        .filter(|e| !e.is(n, "ReturnValue"))
        .cloned()
        .collect();
    Ok(InvokeOutput {
        return_value,
        params,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::soap::Envelope;
    use crate::soap::SequentialMessageIds;
    use crate::wsman::RequestHeaders;
    use crate::wsman::server::parse_invoke;

    const V2: &str = "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/virtualization/v2/";
    const ESD: &str = r#"<INSTANCE CLASSNAME="Msvm_VirtualSystemExportSettingData"><PROPERTY NAME="CopySnapshotConfiguration" TYPE="uint8"><VALUE>1</VALUE></PROPERTY><PROPERTY NAME="CopyVmRuntimeInformation" TYPE="boolean"><VALUE>TRUE</VALUE></PROPERTY><PROPERTY NAME="CopyVmStorage" TYPE="boolean"><VALUE>TRUE</VALUE></PROPERTY><PROPERTY NAME="CreateVmExportSubdirectory" TYPE="boolean"><VALUE>TRUE</VALUE></PROPERTY></INSTANCE>"#;

    fn sel(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    fn export_request() -> InvokeRequest {
        let vm = Epr::anonymous(
            format!("{V2}Msvm_ComputerSystem"),
            sel(&[
                ("CreationClassName", "Msvm_ComputerSystem"),
                ("Name", "5C9E2A17-3B4D-4F60-8A21-7D0E6B9C4F12"),
            ]),
        );
        InvokeRequest {
            resource_uri: format!("{V2}Msvm_VirtualSystemManagementService"),
            method: "ExportSystemDefinition".into(),
            selectors: sel(&[
                ("CreationClassName", "Msvm_VirtualSystemManagementService"),
                ("Name", "vmms"),
                ("SystemCreationClassName", "Msvm_ComputerSystem"),
                ("SystemName", "HV01"),
            ]),
            params: vec![
                ("ComputerSystem".into(), ParamValue::Ref(vm)),
                (
                    "ExportDirectory".into(),
                    ParamValue::Scalar(r"D:\Exports\R&D".into()),
                ),
                ("ExportSettingData".into(), ParamValue::Embedded(ESD.into())),
            ],
        }
    }

    #[test]
    fn builds_export_like_e5() {
        let req = export_request()
            .to_request(
                &Settings::new("http://hv01.example.test:5985/wsman"),
                &SequentialMessageIds::new(),
            )
            .unwrap();
        assert_eq!(
            req.action,
            format!("{V2}Msvm_VirtualSystemManagementService/ExportSystemDefinition")
        );
        let ours = Envelope::parse(&req.body).unwrap();
        for fixture in [
            include_str!("../../fixtures/xml/invoke_export_request.xml"),
            include_str!("../../fixtures/xml/invoke_export_request_cdata.xml"),
        ] {
            let theirs = Envelope::parse(fixture).unwrap();
            let (mut h1, h2) = (
                RequestHeaders::parse(&ours).unwrap(),
                RequestHeaders::parse(&theirs).unwrap(),
            );
            h1.message_id = h2.message_id.clone();
            assert_eq!(h1, h2);
            let (b1, b2) = (parse_invoke(&ours).unwrap(), parse_invoke(&theirs).unwrap());
            assert_eq!(
                (b1.method.as_str(), b1.class_uri.as_str()),
                (b2.method.as_str(), b2.class_uri.as_str())
            );
            assert_eq!(b1.params.len(), 3);
            for (p1, p2) in b1.params.iter().zip(&b2.params) {
                assert!(p1.is(p2.ns_str(), &p2.local));
                assert_eq!(p1.text_trim(), p2.text_trim());
            }
            let cs = b1.param("ComputerSystem").unwrap();
            assert!(cs.child(ns::ADDRESSING, "EndpointReference").is_none());
            assert_eq!(
                Epr::from_element(cs).unwrap(),
                Epr::from_element(b2.param("ComputerSystem").unwrap()).unwrap()
            );
            assert_eq!(b2.param("ExportSettingData").unwrap().text(), ESD);
        }
    }

    #[test]
    fn arrays_null_and_bad_names() {
        let mut r = export_request();
        r.params = vec![
            ("A".into(), ParamValue::Array(vec!["1".into(), "2".into()])),
            ("N".into(), ParamValue::Null),
        ];
        let req = r
            .to_request(&Settings::new("h"), &SequentialMessageIds::new())
            .unwrap();
        let b = parse_invoke(&Envelope::parse(&req.body).unwrap()).unwrap();
        let texts: Vec<String> = b.params.iter().map(Element::text).collect();
        assert_eq!(texts, ["1", "2", ""]);
        assert!(b.param("N").unwrap().is_nil());
        r.params = vec![("bad name".into(), ParamValue::Null)];
        assert!(matches!(
            r.to_request(&Settings::new("h"), &SequentialMessageIds::new()),
            Err(SoapError::Invalid(_))
        ));
        r.params.clear();
        r.method = "x<y".into();
        assert!(
            r.to_request(&Settings::new("h"), &SequentialMessageIds::new())
                .is_err()
        );
    }

    #[test]
    fn output_job_started() {
        let out = parse_output(
            200,
            include_str!("../../fixtures/xml/invoke_export_output.xml"),
            Some("ExportSystemDefinition"),
        )
        .unwrap();
        assert_eq!(out.return_value, 4096);
        let job = out.epr("Job").unwrap().unwrap();
        assert_eq!(job.resource_uri, format!("{V2}Msvm_ConcreteJob"));
        assert_eq!(
            job.selector("InstanceID"),
            Some("3F2B8C41-9D7E-4A05-B6C3-1E8F0A2D5B77")
        );
    }

    #[test]
    fn output_error_nil_job_reordered() {
        let out = parse_output(
            200,
            include_str!("../../fixtures/xml/invoke_export_output_error.xml"),
            None,
        )
        .unwrap();
        assert_eq!(out.return_value, 32775);
        assert_eq!(out.epr("Job").unwrap(), None);
        assert_eq!(out.epr("Missing").unwrap(), None);
        assert_eq!(out.text("Job"), None);
    }

    #[test]
    fn output_errors() {
        let fixture = include_str!("../../fixtures/xml/invoke_export_output.xml");
        assert!(matches!(
            parse_output(200, fixture, Some("Other")),
            Err(SoapError::Missing(_))
        ));
        let bad = fixture.replace(">4096<", ">-1<");
        assert!(matches!(
            parse_output(200, &bad, None),
            Err(SoapError::Invalid(_))
        ));
        let none = fixture.replace("ReturnValue", "Other");
        assert!(matches!(
            parse_output(200, &none, None),
            Err(SoapError::Missing(_))
        ));
        let wmi = include_str!("../../fixtures/xml/fault_wmi_error.xml");
        assert!(
            parse_output(500, wmi, None)
                .unwrap_err()
                .fault()
                .unwrap()
                .wmi_error
                .is_some()
        );
        let env = Envelope::parse(include_str!("../../fixtures/xml/get_job_response.xml")).unwrap();
        assert!(matches!(parse_invoke(&env), Err(SoapError::Invalid(_))));
    }
}
