//! Reading CIM-XML instances (tolerant of WMI `GetText` output; see the parent module docs).

use super::{CimType, EmbeddedInstance, EmbeddedProperty, EmbeddedValue, emb_err};
use crate::cim::path::ObjectPath;
use crate::cim::{CimError, short};
use crate::xml::{self, Element};

impl EmbeddedInstance {
    /// Parse a CIM-XML `INSTANCE` (see the module docs for what is tolerated).
    pub fn parse(s: &str) -> Result<Self, CimError> {
        let root = xml::parse(s).map_err(|e| emb_err(e.to_string()))?;
        if root.ns.is_some() || root.local != "INSTANCE" {
            return Err(emb_err(format!(
                "root element is {}, expected INSTANCE",
                short(&root.local)
            )));
        }
        let class_name = root
            .attr(None, "CLASSNAME")
            .ok_or_else(|| emb_err("INSTANCE has no CLASSNAME"))?
            .to_string();
        let mut properties = Vec::new();
        for el in root.elements().filter(|e| e.ns.is_none()) {
            if let Some(p) = read_property(el)? {
                properties.push(p);
            }
        }
        Ok(EmbeddedInstance {
            class_name,
            properties,
        })
    }
}

/// A CIM-XML child element with no namespace.
fn cx<'a>(el: &'a Element, local: &str) -> Option<&'a Element> {
    el.elements().find(|e| e.ns.is_none() && e.local == local)
}

fn read_property(el: &Element) -> Result<Option<EmbeddedProperty>, CimError> {
    let kind = el.local.as_str();
    if !matches!(kind, "PROPERTY" | "PROPERTY.ARRAY" | "PROPERTY.REFERENCE") {
        return Ok(None);
    }
    let name = el
        .attr(None, "NAME")
        .ok_or_else(|| emb_err(format!("{kind} has no NAME")))?
        .to_string();
    let ctx = |r: &str| emb_err(format!("property {}: {r}", short(&name)));
    if kind == "PROPERTY.REFERENCE" {
        let value = match cx(el, "VALUE.REFERENCE") {
            Some(v) => EmbeddedValue::Scalar(
                read_reference(v).ok_or_else(|| ctx("unreadable reference value"))?,
            ),
            None => EmbeddedValue::Null,
        };
        return Ok(Some(EmbeddedProperty {
            name,
            cim_type: CimType::Reference,
            value,
        }));
    }
    let ty_text = el.attr(None, "TYPE").ok_or_else(|| ctx("missing TYPE"))?;
    let cim_type = CimType::parse(ty_text)
        .filter(|t| *t != CimType::Reference)
        .ok_or_else(|| ctx(&format!("unknown TYPE {:?}", short(ty_text))))?;
    let norm = |v: &Element| cim_type.normalize(&v.text()).map_err(ctx);
    let value = if kind == "PROPERTY" {
        match cx(el, "VALUE") {
            Some(v) => EmbeddedValue::Scalar(norm(v)?),
            None => EmbeddedValue::Null,
        }
    } else {
        match cx(el, "VALUE.ARRAY") {
            Some(arr) => EmbeddedValue::Array(
                arr.elements()
                    .filter(|v| v.ns.is_none() && v.local == "VALUE")
                    .map(norm)
                    .collect::<Result<_, _>>()?,
            ),
            None => EmbeddedValue::Null,
        }
    };
    Ok(Some(EmbeddedProperty {
        name,
        cim_type,
        value,
    }))
}

/// `VALUE.REFERENCE` → object-path text (INSTANCEPATH, LOCALINSTANCEPATH or INSTANCENAME).
fn read_reference(v: &Element) -> Option<String> {
    let mut path = ObjectPath::default();
    let name = if let Some(ip) = cx(v, "INSTANCEPATH") {
        let nsp = cx(ip, "NAMESPACEPATH")?;
        path.host = cx(nsp, "HOST").map(|h| h.text_trim());
        path.namespace = Some(local_namespace(cx(nsp, "LOCALNAMESPACEPATH")?));
        cx(ip, "INSTANCENAME")?
    } else if let Some(lp) = cx(v, "LOCALINSTANCEPATH") {
        path.namespace = Some(local_namespace(cx(lp, "LOCALNAMESPACEPATH")?));
        cx(lp, "INSTANCENAME")?
    } else {
        cx(v, "INSTANCENAME")?
    };
    path.class = name.attr(None, "CLASSNAME")?.to_string();
    for kb in name.elements().filter(|e| e.local == "KEYBINDING") {
        let key = kb.attr(None, "NAME")?.to_string();
        path.keys.push((
            key,
            cx(kb, "KEYVALUE").map(Element::text).unwrap_or_default(),
        ));
    }
    Some(path.to_string())
}

fn local_namespace(l: &Element) -> String {
    let parts: Vec<&str> = l
        .elements()
        .filter(|e| e.local == "NAMESPACE")
        .filter_map(|e| e.attr(None, "NAME"))
        .collect();
    parts.join("\\")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_wmi_gettext_style() {
        let s = r#"<?xml version="1.0"?>
<INSTANCE CLASSNAME="Msvm_VirtualSystemExportSettingData">
  <QUALIFIER NAME="dynamic" PROPAGATED="true" TYPE="boolean"><VALUE>TRUE</VALUE></QUALIFIER>
  <PROPERTY NAME="CopyVmStorage" CLASSORIGIN="Msvm_VirtualSystemExportSettingData" TYPE="boolean">
    <QUALIFIER NAME="CIMTYPE" TYPE="string"><VALUE>boolean</VALUE></QUALIFIER>
    <VALUE>true</VALUE>
  </PROPERTY>
  <PROPERTY NAME="CopySnapshotConfiguration" PROPAGATED="true" TYPE="UINT8"><VALUE> 1 </VALUE></PROPERTY>
  <PROPERTY NAME="Caption" TYPE="string"></PROPERTY>
  <PROPERTY.ARRAY NAME="ExcludedVirtualHardDisks" TYPE="string"></PROPERTY.ARRAY>
  <PROPERTY.REFERENCE NAME="Ref" REFERENCECLASS="Msvm_ComputerSystem"><VALUE.REFERENCE>
    <INSTANCEPATH><NAMESPACEPATH><HOST>HV01</HOST><LOCALNAMESPACEPATH><NAMESPACE NAME="root"/>
    <NAMESPACE NAME="virtualization"/><NAMESPACE NAME="v2"/></LOCALNAMESPACEPATH></NAMESPACEPATH>
    <INSTANCENAME CLASSNAME="Msvm_ComputerSystem"><KEYBINDING NAME="Name"><KEYVALUE>G"1</KEYVALUE></KEYBINDING>
    </INSTANCENAME></INSTANCEPATH></VALUE.REFERENCE></PROPERTY.REFERENCE>
</INSTANCE>"#;
        let e = EmbeddedInstance::parse(s).unwrap();
        assert_eq!(e.class_name, "Msvm_VirtualSystemExportSettingData");
        assert_eq!(e.get_str("copyvmstorage"), Some("TRUE"));
        assert_eq!(e.get_str("CopySnapshotConfiguration"), Some("1"));
        assert_eq!(
            e.get("Caption").map(|p| &p.value),
            Some(&EmbeddedValue::Null)
        );
        assert_eq!(
            e.get("ExcludedVirtualHardDisks").map(|p| &p.value),
            Some(&EmbeddedValue::Null)
        );
        assert_eq!(
            e.get_str("Ref"),
            Some(r#"\\HV01\root\virtualization\v2:Msvm_ComputerSystem.Name="G\"1""#)
        );
        assert_eq!(e.properties.len(), 5);
    }

    #[test]
    fn parse_errors_are_specific() {
        let cases = [
            ("<INSTANCE><PROPERTY", "malformed xml"),
            (
                "<CLASS NAME=\"C\"/>",
                "root element is CLASS, expected INSTANCE",
            ),
            (
                "<x:INSTANCE xmlns:x=\"urn:x\" CLASSNAME=\"C\"/>",
                "expected INSTANCE",
            ),
            ("<INSTANCE/>", "INSTANCE has no CLASSNAME"),
            (
                r#"<INSTANCE CLASSNAME="C"><PROPERTY NAME="P"/></INSTANCE>"#,
                "property P: missing TYPE",
            ),
            (
                r#"<INSTANCE CLASSNAME="C"><PROPERTY TYPE="string"/></INSTANCE>"#,
                "PROPERTY has no NAME",
            ),
            (
                r#"<INSTANCE CLASSNAME="C"><PROPERTY NAME="P" TYPE="blob"/></INSTANCE>"#,
                "unknown TYPE",
            ),
            (
                r#"<INSTANCE CLASSNAME="C"><PROPERTY NAME="P" TYPE="boolean"><VALUE>yes</VALUE></PROPERTY></INSTANCE>"#,
                "property P: boolean value is not TRUE or FALSE",
            ),
            (
                r#"<INSTANCE CLASSNAME="C"><PROPERTY.ARRAY NAME="P" TYPE="sint8"><VALUE.ARRAY><VALUE>-129</VALUE></VALUE.ARRAY></PROPERTY.ARRAY></INSTANCE>"#,
                "out of range",
            ),
            ("", "malformed xml"),
        ];
        for (input, want) in cases {
            let e = EmbeddedInstance::parse(input).unwrap_err().to_string();
            assert!(e.starts_with("invalid embedded instance: "), "{e}");
            assert!(e.contains(want), "{input}: {e}");
        }
    }

    proptest! {
        #[test]
        fn random_input_never_panics(s in any::<String>(), t in "[<>/A-Z.=\" ]{0,40}") {
            let _ = EmbeddedInstance::parse(&s);
            let _ = EmbeddedInstance::parse(&t);
            let _ = EmbeddedInstance::parse(&format!("<INSTANCE CLASSNAME=\"C\">{t}</INSTANCE>"));
        }
    }
}
