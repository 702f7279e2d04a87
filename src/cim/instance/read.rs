//! Reading instance and fragment elements into [`Instance`] values (see the parent docs).

use super::{Instance, Value};
use crate::cim::CimError;
use crate::cim::datetime::{CimDateTime, CimInterval};
use crate::soap::addressing::Epr;
use crate::xml::{Element, ns};

impl Instance {
    /// Read an instance element (see the module docs).
    pub fn from_element(el: &Element) -> Result<Instance, CimError> {
        let Some(uri) = el.ns.as_deref() else {
            return Err(CimError::Instance(format!(
                "instance element {} has no namespace (a property-list fragment?)",
                crate::cim::short(&el.local)
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

    proptest! {
        #[test]
        fn random_strings_never_panic(s in any::<String>()) {
            if let Ok(el) = parse(&s) {
                let _ = Instance::from_element(&el);
                let _ = Instance::from_fragment(&el);
            }
        }

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
