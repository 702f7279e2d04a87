//! WMI instances as WinRM renders them (WS-CIM, DMTF DSP0230; hyperv-wsman.md §7, §14).
//!
//! [`Instance::from_element`] reads an instance element: local name = class name, namespace =
//! class resource URI, one child per property in that namespace (children in other namespaces
//! are ignored). Per property: `xsi:nil` → [`Value::Null`]; a repeated element → an array
//! (a single element is read as a scalar, so a one-element array and a scalar look alike — use
//! [`Instance::get_strings`]); `cim:Datetime`/`cim:Date` → a timestamp, `cim:Interval` → an
//! interval, `cim:CIM_DateTime` → either (DMTF form), `cim:Time` → its text; `a:Address` +
//! `a:ReferenceParameters` (or an `a:EndpointReference` wrapper) → an [`Epr`]; any other child
//! element → a nested instance. A datetime that does not parse is kept as its text.
//! `xsi:type` and other attributes are ignored; text is kept exactly (getters trim numbers).
//!
//! [`Instance::from_fragment`] reads a `w:XmlFragment` item of a property-list query, whose
//! children are unqualified (`<Datetime>` too); its class name is empty.
//!
//! What this module does not do: enumerate, unwrap SOAP bodies, or write (see `render`).

use super::CimError;
use super::datetime::{CimDateTime, CimInterval};
use crate::soap::addressing::Epr;
use crate::xml::{Element, ns};

/// A property value.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Value {
    /// NULL (`xsi:nil`).
    Null,
    /// Text of a scalar (string, number, boolean), exactly as sent.
    Scalar(String),
    /// Repeated elements, in order.
    Array(Vec<Value>),
    /// A timestamp.
    DateTime(CimDateTime),
    /// An interval.
    Interval(CimInterval),
    /// A reference (endpoint reference).
    Ref(Epr),
    /// An embedded instance rendered inline.
    Instance(Box<Instance>),
}

/// A WMI instance: class name, resource URI and properties in document order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Instance {
    class_name: String,
    resource_uri: Option<String>,
    properties: Vec<(String, Value)>,
}

impl Instance {
    /// An empty instance of `class_name` (resource URI optional), for building by hand.
    pub fn new(class_name: &str, resource_uri: Option<&str>) -> Self {
        Instance {
            class_name: class_name.to_string(),
            resource_uri: resource_uri.map(str::to_string),
            properties: Vec::new(),
        }
    }

    /// Set property `name` (replacing one of the same name, case-insensitively).
    pub fn set(&mut self, name: &str, value: Value) {
        match self
            .properties
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            Some(slot) => slot.1 = value,
            None => self.properties.push((name.to_string(), value)),
        }
    }

    /// Builder form of [`Instance::set`].
    pub fn with(mut self, name: &str, value: Value) -> Self {
        self.set(name, value);
        self
    }

    /// Read an instance element (see the module docs).
    pub fn from_element(el: &Element) -> Result<Instance, CimError> {
        let Some(uri) = el.ns.as_deref() else {
            return Err(CimError::Instance(format!(
                "instance element {} has no namespace (a property-list fragment?)",
                super::short(&el.local)
            )));
        };
        Ok(Instance {
            class_name: el.local.clone(),
            resource_uri: Some(uri.to_string()),
            properties: read_properties(el, Some(uri))?,
        })
    }

    /// Read a `w:XmlFragment` item (unqualified children); the class name is empty.
    pub fn from_fragment(el: &Element) -> Result<Instance, CimError> {
        Ok(Instance {
            class_name: String::new(),
            resource_uri: None,
            properties: read_properties(el, None)?,
        })
    }

    /// The class name (the element's local name; empty for fragments).
    pub fn class_name(&self) -> &str {
        &self.class_name
    }

    /// The class resource URI (the element's namespace), if known.
    pub fn resource_uri(&self) -> Option<&str> {
        self.resource_uri.as_deref()
    }

    /// All properties in document order.
    pub fn properties(&self) -> &[(String, Value)] {
        &self.properties
    }

    /// The value of property `name` (case-insensitive); `None` when absent.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.properties
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// The text of a scalar property.
    pub fn get_str(&self, name: &str) -> Option<&str> {
        match self.get(name)? {
            Value::Scalar(s) => Some(s),
            _ => None,
        }
    }

    fn get_num<T: std::str::FromStr>(&self, name: &str) -> Option<T> {
        self.get_str(name)?.trim().parse().ok()
    }

    /// A `uint16` property.
    pub fn get_u16(&self, name: &str) -> Option<u16> {
        self.get_num(name)
    }
    /// A `uint32` property.
    pub fn get_u32(&self, name: &str) -> Option<u32> {
        self.get_num(name)
    }
    /// A `uint64` property.
    pub fn get_u64(&self, name: &str) -> Option<u64> {
        self.get_num(name)
    }

    /// A boolean property (`true`/`false` in any case, or `1`/`0`).
    pub fn get_bool(&self, name: &str) -> Option<bool> {
        match self.get_str(name)?.trim() {
            t if t.eq_ignore_ascii_case("true") || t == "1" => Some(true),
            t if t.eq_ignore_ascii_case("false") || t == "0" => Some(false),
            _ => None,
        }
    }

    /// A timestamp property (a `cim:Datetime` or bare text in either datetime form).
    pub fn get_datetime(&self, name: &str) -> Option<CimDateTime> {
        match self.get(name)? {
            Value::DateTime(d) => Some(*d),
            Value::Scalar(s) => CimDateTime::parse(s).ok(),
            _ => None,
        }
    }

    /// An interval property (a `cim:Interval` or bare text in either interval form).
    pub fn get_interval(&self, name: &str) -> Option<CimInterval> {
        match self.get(name)? {
            Value::Interval(i) => Some(*i),
            Value::Scalar(s) => CimInterval::parse(s).ok(),
            _ => None,
        }
    }

    /// A string array: the scalars of an array, a scalar as one element, else empty.
    pub fn get_strings(&self, name: &str) -> Vec<String> {
        match self.get(name) {
            Some(Value::Scalar(s)) => vec![s.clone()],
            Some(Value::Array(vs)) => vs
                .iter()
                .filter_map(|v| match v {
                    Value::Scalar(s) => Some(s.clone()),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// A reference property.
    pub fn get_ref(&self, name: &str) -> Option<Epr> {
        match self.get(name)? {
            Value::Ref(e) => Some(e.clone()),
            _ => None,
        }
    }

    /// An embedded instance property.
    pub fn get_instance(&self, name: &str) -> Option<&Instance> {
        match self.get(name)? {
            Value::Instance(i) => Some(i),
            _ => None,
        }
    }
}

/// Group child elements into properties (repeated names become arrays). With `only_ns`,
/// children in other namespaces are skipped.
fn read_properties(el: &Element, only_ns: Option<&str>) -> Result<Vec<(String, Value)>, CimError> {
    let mut props: Vec<(String, Vec<Value>)> = Vec::new();
    for child in el.elements() {
        if only_ns.is_some_and(|n| child.ns.as_deref() != Some(n)) {
            continue;
        }
        let v = read_value(child)?;
        match props.iter_mut().find(|(n, _)| *n == child.local) {
            Some((_, vs)) => vs.push(v),
            None => props.push((child.local.clone(), vec![v])),
        }
    }
    Ok(props
        .into_iter()
        .map(|(n, mut vs)| match vs.len() {
            1 => (n, vs.pop().unwrap_or(Value::Null)),
            _ => (n, Value::Array(vs)),
        })
        .collect())
}

/// The value of one property element.
fn read_value(el: &Element) -> Result<Value, CimError> {
    if el.is_nil() {
        return Ok(Value::Null);
    }
    let Some(first) = el.elements().next() else {
        return Ok(Value::Scalar(el.text()));
    };
    if el.child(ns::ADDRESSING, "Address").is_some()
        || el.child(ns::ADDRESSING, "ReferenceParameters").is_some()
    {
        return Ok(Value::Ref(read_epr(el)));
    }
    if first.is(ns::ADDRESSING, "EndpointReference") {
        return Ok(Value::Ref(read_epr(first)));
    }
    if let Some(v) = read_datetime_wrapper(first) {
        return Ok(v);
    }
    let nested = match first.ns {
        Some(_) => Instance::from_element(first)?,
        None => Instance::from_fragment(first)?,
    };
    Ok(Value::Instance(Box::new(nested)))
}

/// `cim:Datetime`, `cim:Interval`, `cim:Date`, `cim:Time`, `cim:CIM_DateTime` (also
/// unqualified, as in fragments). A value that does not parse is kept as text.
fn read_datetime_wrapper(w: &Element) -> Option<Value> {
    if !(w.ns.is_none() || w.ns.as_deref() == Some(ns::CIM)) {
        return None;
    }
    let text = w.text_trim();
    let as_dt = |t: &str| CimDateTime::parse(t).map(Value::DateTime);
    let as_iv = |t: &str| CimInterval::parse(t).map(Value::Interval);
    let v = match w.local.as_str() {
        "Datetime" | "Date" => as_dt(&text),
        "Interval" => as_iv(&text),
        "CIM_DateTime" => as_dt(&text).or_else(|_| as_iv(&text)),
        "Time" => return Some(Value::Scalar(text)),
        _ => return None,
    };
    Some(v.unwrap_or(Value::Scalar(text)))
}

/// An EPR from an element holding `a:Address` and `a:ReferenceParameters` (DSP0226 §8.2).
fn read_epr(el: &Element) -> Epr {
    let rp = el.child(ns::ADDRESSING, "ReferenceParameters");
    let selectors = rp
        .and_then(|r| r.child(ns::WSMAN, "SelectorSet"))
        .map(|set| {
            set.children_named(ns::WSMAN, "Selector")
                .filter_map(|s| Some((s.attr(None, "Name")?.to_string(), s.text_trim())))
                .collect()
        })
        .unwrap_or_default();
    Epr {
        address: el.child_text(ns::ADDRESSING, "Address").unwrap_or_default(),
        resource_uri: rp
            .and_then(|r| r.child_text(ns::WSMAN, "ResourceURI"))
            .unwrap_or_default(),
        selectors,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::parse;
    use proptest::prelude::*;

    const VM: &str = r#"<p:Msvm_ComputerSystem xmlns:p="http://schemas.microsoft.com/wbem/wsman/1/wmi/root/virtualization/v2/Msvm_ComputerSystem"
        xmlns:cim="http://schemas.dmtf.org/wbem/wscim/1/common"
        xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="p:Msvm_ComputerSystem_Type">
      <p:Caption>Virtual Machine</p:Caption>
      <p:ElementName>it&apos;s &lt;web01&gt;</p:ElementName>
      <p:EnabledState xsi:type="cim:cimUnsignedShort"> 3 </p:EnabledState>
      <p:InstallDate xsi:nil="true"/>
      <p:Name>5C9E2A17-3B4D-4F60-8A21-7D0E6B9C4F12</p:Name>
      <p:OnTimeInMilliseconds>18446744073709551615</p:OnTimeInMilliseconds>
      <p:OperationalStatus>2</p:OperationalStatus>
      <p:OperationalStatus>32768</p:OperationalStatus>
      <p:StatusDescriptions>Operating normally</p:StatusDescriptions>
      <p:TimeOfLastStateChange><cim:Datetime>2025-11-20T09:14:02.123456Z</cim:Datetime></p:TimeOfLastStateChange>
      <p:ElapsedTime><cim:Interval>P0DT0H0M42.123S</cim:Interval></p:ElapsedTime>
      <p:Cancellable>TRUE</p:Cancellable>
      <p:Raw><cim:CIM_DateTime>00000000000100.000000:000</cim:CIM_DateTime></p:Raw>
      <p:BadDate><cim:Datetime>yesterday</cim:Datetime></p:BadDate>
      <p:Empty/>
      <x:Other xmlns:x="urn:other">ignored</x:Other>
      <cim:Location>ignored too</cim:Location>
    </p:Msvm_ComputerSystem>"#;

    #[test]
    fn reads_a_winrm_instance() {
        let i = Instance::from_element(&parse(VM).unwrap()).unwrap();
        assert_eq!(i.class_name(), "Msvm_ComputerSystem");
        assert!(
            i.resource_uri()
                .unwrap()
                .ends_with("/v2/Msvm_ComputerSystem")
        );
        assert_eq!(i.get_str("elementname"), Some("it's <web01>"));
        assert_eq!(i.get_u16("EnabledState"), Some(3));
        assert_eq!(i.get_u64("OnTimeInMilliseconds"), Some(u64::MAX));
        assert_eq!(i.get_u32("OnTimeInMilliseconds"), None);
        assert_eq!(i.get("InstallDate"), Some(&Value::Null));
        assert_eq!(i.get("Missing"), None);
        assert_eq!(i.get_strings("OperationalStatus"), vec!["2", "32768"]);
        assert_eq!(
            i.get_strings("StatusDescriptions"),
            vec!["Operating normally"]
        );
        assert_eq!(i.get_strings("InstallDate"), Vec::<String>::new());
        let d = i.get_datetime("TimeOfLastStateChange").unwrap();
        assert_eq!(d.to_dmtf(), "20251120091402.123456+000");
        let e = i.get_interval("ElapsedTime").unwrap();
        assert_eq!(e.to_duration().as_millis(), 42_123);
        assert_eq!(i.get_bool("Cancellable"), Some(true));
        assert_eq!(
            i.get_interval("Raw").map(|r| r.to_duration().as_secs()),
            Some(60)
        );
        assert_eq!(i.get("BadDate"), Some(&Value::Scalar("yesterday".into())));
        assert_eq!(i.get_str("Empty"), Some(""));
        assert!(i.get("Other").is_none() && i.get("Location").is_none());
        assert_eq!(i.properties().len(), 14);
    }

    #[test]
    fn reads_references_with_and_without_wrapper() {
        let doc = r#"<p:X_OUTPUT xmlns:p="urn:svc" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing"
              xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd">
          <p:Job><a:Address>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address>
            <a:ReferenceParameters><w:ResourceURI>urn:job</w:ResourceURI><w:SelectorSet>
              <w:Selector Name="InstanceID"> 3F2B </w:Selector><w:Selector Name="__cimnamespace">root/virtualization/v2</w:Selector>
              <w:Selector>no name</w:Selector>
            </w:SelectorSet></a:ReferenceParameters></p:Job>
          <p:Wrapped><a:EndpointReference><a:Address>addr</a:Address></a:EndpointReference></p:Wrapped>
          <p:ReturnValue>4096</p:ReturnValue>
        </p:X_OUTPUT>"#;
        let i = Instance::from_element(&parse(doc).unwrap()).unwrap();
        let job = i.get_ref("job").unwrap();
        assert_eq!(job.resource_uri, "urn:job");
        assert_eq!(job.selector("instanceid"), Some("3F2B"));
        assert_eq!(job.selectors.len(), 2);
        assert!(job.address.ends_with("/role/anonymous"));
        let w = i.get_ref("Wrapped").unwrap();
        assert_eq!((w.address.as_str(), w.selectors.len()), ("addr", 0));
        assert_eq!(i.get_u32("ReturnValue"), Some(4096));
        assert_eq!(i.get_ref("ReturnValue"), None);
    }

    #[test]
    fn reads_nested_instances_and_fragments() {
        let doc = r#"<p:GetSummaryInformation_OUTPUT xmlns:p="urn:svc">
          <p:SummaryInformation><q:Msvm_SummaryInformation xmlns:q="urn:sum"><q:Name>G1</q:Name></q:Msvm_SummaryInformation></p:SummaryInformation>
          <p:SummaryInformation><q:Msvm_SummaryInformation xmlns:q="urn:sum"><q:Name>G2</q:Name></q:Msvm_SummaryInformation></p:SummaryInformation>
          <p:One><q:C xmlns:q="urn:c"><q:K>v</q:K></q:C></p:One>
        </p:GetSummaryInformation_OUTPUT>"#;
        let i = Instance::from_element(&parse(doc).unwrap()).unwrap();
        let Some(Value::Array(items)) = i.get("SummaryInformation") else {
            panic!("expected an array: {:?}", i.get("SummaryInformation"));
        };
        assert_eq!(items.len(), 2);
        let one = i.get_instance("One").unwrap();
        assert_eq!((one.class_name(), one.get_str("K")), ("C", Some("v")));

        let frag = r#"<w:XmlFragment xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd">
          <Name>G1</Name><ElementName>web01</ElementName><EnabledState>2</EnabledState>
          <TimeOfLastStateChange><Datetime>2013-03-09T02:57:32Z</Datetime></TimeOfLastStateChange>
        </w:XmlFragment>"#;
        let f = Instance::from_fragment(&parse(frag).unwrap()).unwrap();
        assert_eq!(f.class_name(), "");
        assert_eq!(f.get_str("ElementName"), Some("web01"));
        assert_eq!(f.get_u16("EnabledState"), Some(2));
        assert_eq!(
            f.get_datetime("TimeOfLastStateChange")
                .unwrap()
                .to_rfc3339(),
            "2013-03-09T02:57:32Z"
        );
    }

    #[test]
    fn unqualified_instance_element_is_an_error() {
        let e = Instance::from_element(&parse("<Msvm_X><A>1</A></Msvm_X>").unwrap()).unwrap_err();
        assert!(e.to_string().contains("has no namespace"), "{e}");
    }

    #[test]
    fn set_replaces_case_insensitively() {
        let mut i = Instance::new("C", None).with("Name", Value::Scalar("a".into()));
        i.set("NAME", Value::Scalar("b".into()));
        assert_eq!(i.properties().len(), 1);
        assert_eq!(i.get_str("name"), Some("b"));
        assert_eq!(i.get_bool("name"), None);
    }

    proptest! {
        #[test]
        fn random_documents_never_panic(body in "(<p:[A-C]( xsi:nil=\"true\")?>([a-z0-9 ]|<cim:(Datetime|Interval|Date|Time|CIM_DateTime)>[0-9PTDHMS:.+-]{0,26}</cim:(Datetime|Interval|Date|Time|CIM_DateTime)>){0,2}</p:[A-C]>){0,6}") {
            let doc = format!(
                "<p:C xmlns:p=\"urn:c\" xmlns:cim=\"{}\" xmlns:xsi=\"{}\">{body}</p:C>",
                ns::CIM, ns::XSI
            );
            if let Ok(el) = parse(&doc) {
                let i = Instance::from_element(&el).unwrap();
                for n in ["A", "B", "C"] {
                    let _ = (i.get_datetime(n), i.get_interval(n), i.get_u64(n), i.get_strings(n));
                }
            }
        }
    }
}
