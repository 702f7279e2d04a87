//! WS-Addressing pieces: endpoint references (EPRs), their wire form, and message IDs
//! (WS-Addressing 2004/08 §2; DSP0226 §5.1 and §7.2; hyperv-wsman.md §7, §8.2, §8.4).
//!
//! An EPR as WinRM uses it is `a:Address` plus `a:ReferenceParameters` holding `w:ResourceURI`
//! and `w:SelectorSet`. Parsing tolerates an `a:EndpointReference` wrapper, extra selectors
//! (`__cimnamespace`) and a missing Address; writing emits the unwrapped form that a REF
//! parameter needs. Message IDs come from an injected [`MessageIdSource`] so tests are
//! deterministic. What this module does not do: choose which EPR to use (see `hyperv`).

use std::sync::atomic::{AtomicU64, Ordering};

use super::SoapError;
use crate::xml::{Element, XmlWriter, ns};

/// An endpoint reference as WinRM uses it: an address and reference parameters holding a
/// resource URI and a selector set (hyperv-wsman.md §8.2).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Epr {
    /// `a:Address` (the anonymous role URI in WMI REF values, or the endpoint URL).
    pub address: String,
    /// `w:ResourceURI` of the referenced instance's class.
    pub resource_uri: String,
    /// `w:Selector` name/value pairs in document order (may include `__cimnamespace`).
    pub selectors: Vec<(String, String)>,
}

impl Epr {
    /// The value of selector `name` (case-insensitive name match, as WMI key names are).
    pub fn selector(&self, name: &str) -> Option<&str> {
        self.selectors
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// An EPR with the anonymous address (the form of REF parameter values).
    pub fn anonymous(resource_uri: impl Into<String>, selectors: Vec<(String, String)>) -> Self {
        Epr {
            address: ns::ANONYMOUS.to_string(),
            resource_uri: resource_uri.into(),
            selectors,
        }
    }

    /// Parse an EPR from `el`: either the element holding `a:Address`/`a:ReferenceParameters`
    /// directly (a REF property or parameter), an `a:EndpointReference`, or an element wrapping
    /// one. The Address is optional; `a:ReferenceParameters` is required.
    pub fn from_element(el: &Element) -> Result<Epr, SoapError> {
        let holder = if el.child(ns::ADDRESSING, "ReferenceParameters").is_some() {
            el
        } else {
            el.child(ns::ADDRESSING, "EndpointReference").unwrap_or(el)
        };
        let params = holder
            .child(ns::ADDRESSING, "ReferenceParameters")
            .ok_or_else(|| {
                SoapError::Missing(format!(
                    "a:ReferenceParameters in endpoint reference <{}>",
                    el.local
                ))
            })?;
        let address = holder
            .child_text(ns::ADDRESSING, "Address")
            .unwrap_or_default();
        let resource_uri = params
            .child_text(ns::WSMAN, "ResourceURI")
            .unwrap_or_default();
        let selectors = params
            .child(ns::WSMAN, "SelectorSet")
            .map(parse_selector_set)
            .transpose()?
            .unwrap_or_default();
        Ok(Epr {
            address,
            resource_uri,
            selectors,
        })
    }

    /// Write `a:Address` and `a:ReferenceParameters` into the element currently open in `w`
    /// (no `a:EndpointReference` wrapper). The prefixes `a` and `w` must be in scope (the
    /// envelope writer declares them).
    pub fn write_into(&self, w: &mut XmlWriter) {
        w.leaf("a:Address", &self.address);
        w.start("a:ReferenceParameters");
        w.leaf("w:ResourceURI", &self.resource_uri);
        write_selector_set(w, &self.selectors);
        w.end();
    }
}

/// Parse a `w:SelectorSet` into (name, value) pairs in document order. Selector values are
/// taken verbatim (not trimmed); a selector without a `Name` attribute is an error.
pub fn parse_selector_set(set: &Element) -> Result<Vec<(String, String)>, SoapError> {
    set.children_named(ns::WSMAN, "Selector")
        .map(|s| {
            let name = s
                .attr(None, "Name")
                .ok_or_else(|| SoapError::Missing("Name attribute on w:Selector".into()))?;
            Ok((name.to_string(), s.text()))
        })
        .collect()
}

/// Write `w:SelectorSet` with one `w:Selector Name=".."` per pair (nothing when empty).
pub fn write_selector_set(w: &mut XmlWriter, selectors: &[(String, String)]) {
    if selectors.is_empty() {
        return;
    }
    w.start("w:SelectorSet");
    for (name, value) in selectors {
        w.start("w:Selector").attr("Name", name).text(value).end();
    }
    w.end();
}

/// A source of `wsa:MessageID` values (`uuid:` + GUID).
pub trait MessageIdSource {
    /// The next message ID.
    fn next_id(&self) -> String;
}

/// Random version-4 UUIDs in upper case, as the Windows client sends them: `uuid:XXXXXXXX-...`.
#[derive(Debug, Clone, Copy, Default)]
pub struct UuidMessageIds;

impl MessageIdSource for UuidMessageIds {
    fn next_id(&self) -> String {
        let id = uuid::Uuid::new_v4()
            .hyphenated()
            .to_string()
            .to_ascii_uppercase();
        format!("uuid:{id}")
    }
}

/// Deterministic IDs for tests: `uuid:00000000-0000-4000-8000-000000000001`, `...002`, ...
#[derive(Debug, Default)]
pub struct SequentialMessageIds {
    next: AtomicU64,
}

impl SequentialMessageIds {
    /// A source whose first ID ends in `...001`.
    pub fn new() -> Self {
        Self::default()
    }
}

impl MessageIdSource for SequentialMessageIds {
    fn next_id(&self) -> String {
        let n = self.next.fetch_add(1, Ordering::Relaxed).wrapping_add(1);
        format!("uuid:00000000-0000-4000-8000-{:012X}", n & 0xFFFF_FFFF_FFFF)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::parse;
    use proptest::prelude::*;

    fn write_param(epr: &Epr) -> String {
        let mut w = XmlWriter::new();
        w.start("p:Param")
            .attr("xmlns:p", "urn:test")
            .attr("xmlns:a", ns::ADDRESSING)
            .attr("xmlns:w", ns::WSMAN);
        epr.write_into(&mut w);
        w.end();
        w.finish().unwrap()
    }

    #[test]
    fn parses_wrapped_and_unwrapped_forms() {
        let plain = r#"<p:Job xmlns:p="urn:x" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"><a:Address>A</a:Address><a:ReferenceParameters><w:ResourceURI> R </w:ResourceURI><w:SelectorSet><w:Selector Name="InstanceID">G</w:Selector><w:Selector Name="__cimnamespace">root/virtualization/v2</w:Selector></w:SelectorSet></a:ReferenceParameters></p:Job>"#;
        let wrapped = r#"<Job xmlns="urn:x"><EndpointReference xmlns="http://schemas.xmlsoap.org/ws/2004/08/addressing"><Address>A</Address><ReferenceParameters><ResourceURI xmlns="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd">R</ResourceURI><SelectorSet xmlns="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"><Selector Name="InstanceID">G</Selector><Selector Name="__cimnamespace">root/virtualization/v2</Selector></SelectorSet></ReferenceParameters></EndpointReference></Job>"#;
        let a = Epr::from_element(&parse(plain).unwrap()).unwrap();
        let b = Epr::from_element(&parse(wrapped).unwrap()).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.resource_uri, "R");
        assert_eq!(a.selector("instanceid"), Some("G"));
        assert_eq!(a.selectors.len(), 2);
    }

    #[test]
    fn address_optional_reference_parameters_required() {
        let no_addr = r#"<j xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing"><a:ReferenceParameters/></j>"#;
        let e = Epr::from_element(&parse(no_addr).unwrap()).unwrap();
        assert_eq!(e, Epr::default());
        assert!(matches!(
            Epr::from_element(&parse("<j/>").unwrap()),
            Err(SoapError::Missing(_))
        ));
    }

    #[test]
    fn writes_without_wrapper() {
        let epr = Epr::anonymous("R&1", vec![("Name".into(), "a<b".into())]);
        let doc = parse(&write_param(&epr)).unwrap();
        assert!(doc.child(ns::ADDRESSING, "EndpointReference").is_none());
        assert_eq!(
            doc.child_text(ns::ADDRESSING, "Address").unwrap(),
            ns::ANONYMOUS
        );
        assert_eq!(Epr::from_element(&doc).unwrap(), epr);
    }

    #[test]
    fn message_ids() {
        let s = SequentialMessageIds::new();
        assert_eq!(s.next_id(), "uuid:00000000-0000-4000-8000-000000000001");
        assert_eq!(s.next_id(), "uuid:00000000-0000-4000-8000-000000000002");
        let u = UuidMessageIds.next_id();
        assert!(u.starts_with("uuid:") && u.len() == 41);
        assert_eq!(u, u.to_ascii_uppercase().replace("UUID:", "uuid:"));
        assert_ne!(u, UuidMessageIds.next_id());
    }

    fn text() -> impl Strategy<Value = String> {
        "[ -~\u{e9}\u{4e2d}\t\n]{0,20}"
    }

    proptest! {
        #[test]
        fn epr_round_trip(
            address in "[!-~]{0,30}",
            uri in "[!-~]{0,40}",
            sels in proptest::collection::vec(("[A-Za-z_][A-Za-z0-9_]{0,10}", text()), 0..5),
        ) {
            let epr = Epr { address, resource_uri: uri, selectors: sels };
            let doc = parse(&write_param(&epr)).unwrap();
            prop_assert_eq!(Epr::from_element(&doc).unwrap(), epr);
        }
    }
}
