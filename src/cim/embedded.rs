//! CIM-XML (DMTF DSP0201) embedded instances: the string value of `ExportSettingData`
//! (hyperv-wsman.md §8.3, §9.4, example E6).
//!
//! [`EmbeddedInstance::to_cimxml`] writes
//! `<INSTANCE CLASSNAME=…><PROPERTY NAME=… TYPE=…><VALUE>…</VALUE></PROPERTY>…</INSTANCE>`:
//! no XML declaration, `TYPE` always present (DSP0201 declares it required), booleans
//! `TRUE`/`FALSE`, arrays as `PROPERTY.ARRAY`/`VALUE.ARRAY`, NULL as a `PROPERTY` without
//! `VALUE`. The result is one XML fragment; the SOAP layer places it as a text node and so
//! escapes it a second time (two layers of escaping, §8.3).
//!
//! [`EmbeddedInstance::parse`] also accepts what WMI's `GetText` produces: an optional XML
//! declaration, `CLASSORIGIN`/`PROPAGATED` attributes and `QUALIFIER` elements (ignored),
//! booleans in any case, `PROPERTY.REFERENCE` (its path is kept as an object-path string).
//! Values are checked against `TYPE` (integers in range, booleans, datetimes) and normalized
//! (trimmed integers, upper-case booleans); string values are kept exactly.
//!
//! What this module does not do: WS-CIM (the WinRM rendering, see `instance`), or the WMI
//! `WmiDtd20` extensions beyond ignoring them.

use super::datetime::{CimDateTime, CimInterval};
use super::names::check_identifier;
use super::path::ObjectPath;
use super::{CimError, short};
use crate::xml::{self, Element, XmlWriter};

/// A CIM data type as named in CIM-XML `TYPE` attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CimType {
    /// `boolean`
    Boolean,
    /// `string`
    String,
    /// `uint8`
    Uint8,
    /// `uint16`
    Uint16,
    /// `uint32`
    Uint32,
    /// `uint64`
    Uint64,
    /// `sint8`
    Sint8,
    /// `sint16`
    Sint16,
    /// `sint32`
    Sint32,
    /// `sint64`
    Sint64,
    /// `real32`
    Real32,
    /// `real64`
    Real64,
    /// `datetime`
    Datetime,
    /// `char16`
    Char16,
    /// A reference (`PROPERTY.REFERENCE`; has no `TYPE` attribute on the wire).
    Reference,
}

const TYPES: [(CimType, &str); 15] = [
    (CimType::Boolean, "boolean"),
    (CimType::String, "string"),
    (CimType::Uint8, "uint8"),
    (CimType::Uint16, "uint16"),
    (CimType::Uint32, "uint32"),
    (CimType::Uint64, "uint64"),
    (CimType::Sint8, "sint8"),
    (CimType::Sint16, "sint16"),
    (CimType::Sint32, "sint32"),
    (CimType::Sint64, "sint64"),
    (CimType::Real32, "real32"),
    (CimType::Real64, "real64"),
    (CimType::Datetime, "datetime"),
    (CimType::Char16, "char16"),
    (CimType::Reference, "reference"),
];

impl CimType {
    /// The lower-case CIM-XML name (`uint8`, `boolean`, ...).
    pub fn as_str(self) -> &'static str {
        TYPES
            .iter()
            .find(|(t, _)| *t == self)
            .map_or("string", |(_, n)| n)
    }

    /// The type named `s` (case-insensitive), if any.
    pub fn parse(s: &str) -> Option<CimType> {
        let s = s.trim();
        TYPES
            .iter()
            .find(|(_, n)| n.eq_ignore_ascii_case(s))
            .map(|(t, _)| *t)
    }

    /// Check `text` against the type; the normalized value or why it is wrong.
    fn normalize(self, text: &str) -> Result<String, &'static str> {
        fn int<T: std::str::FromStr + ToString>(t: &str) -> Result<String, &'static str> {
            t.trim()
                .parse::<T>()
                .map(|v| v.to_string())
                .map_err(|_| "integer value out of range for its type")
        }
        match self {
            CimType::Boolean => match text.trim() {
                t if t.eq_ignore_ascii_case("true") => Ok("TRUE".into()),
                t if t.eq_ignore_ascii_case("false") => Ok("FALSE".into()),
                _ => Err("boolean value is not TRUE or FALSE"),
            },
            CimType::Uint8 => int::<u8>(text),
            CimType::Uint16 => int::<u16>(text),
            CimType::Uint32 => int::<u32>(text),
            CimType::Uint64 => int::<u64>(text),
            CimType::Sint8 => int::<i8>(text),
            CimType::Sint16 => int::<i16>(text),
            CimType::Sint32 => int::<i32>(text),
            CimType::Sint64 => int::<i64>(text),
            CimType::Real32 | CimType::Real64 => match text.trim().parse::<f64>() {
                Ok(_) => Ok(text.trim().to_string()),
                Err(_) => Err("real value is not a number"),
            },
            CimType::Datetime => {
                let t = text.trim();
                match CimDateTime::parse(t).is_ok() || CimInterval::parse(t).is_ok() {
                    true => Ok(t.to_string()),
                    false => Err("datetime value is not a datetime or interval"),
                }
            }
            CimType::Char16 if text.chars().count() != 1 => {
                Err("char16 value is not one character")
            }
            CimType::Char16 | CimType::String | CimType::Reference => Ok(text.to_string()),
        }
    }
}

/// The value of an embedded property.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EmbeddedValue {
    /// NULL (no `VALUE`).
    Null,
    /// One value (`VALUE`).
    Scalar(String),
    /// An array (`VALUE.ARRAY`).
    Array(Vec<String>),
}

/// One property of an embedded instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbeddedProperty {
    /// Property name.
    pub name: String,
    /// Its CIM type.
    pub cim_type: CimType,
    /// Its value.
    pub value: EmbeddedValue,
}

/// A CIM-XML instance: a class name and properties in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbeddedInstance {
    /// Class name (`Msvm_VirtualSystemExportSettingData`).
    pub class_name: String,
    /// Properties in document order.
    pub properties: Vec<EmbeddedProperty>,
}

fn emb_err(msg: impl Into<String>) -> CimError {
    CimError::Embedded(msg.into())
}

impl EmbeddedInstance {
    /// An instance of `class_name` with no properties.
    pub fn new(class_name: &str) -> Self {
        EmbeddedInstance {
            class_name: class_name.to_string(),
            properties: Vec::new(),
        }
    }

    /// Add a property (any type and value).
    pub fn property(mut self, name: &str, cim_type: CimType, value: EmbeddedValue) -> Self {
        self.properties.push(EmbeddedProperty {
            name: name.to_string(),
            cim_type,
            value,
        });
        self
    }

    fn scalar(self, name: &str, ty: CimType, v: String) -> Self {
        self.property(name, ty, EmbeddedValue::Scalar(v))
    }

    /// Add a `string` property.
    pub fn string(self, name: &str, v: &str) -> Self {
        self.scalar(name, CimType::String, v.to_string())
    }
    /// Add a `boolean` property (`TRUE`/`FALSE`).
    pub fn boolean(self, name: &str, b: bool) -> Self {
        let v = if b { "TRUE" } else { "FALSE" };
        self.scalar(name, CimType::Boolean, v.to_string())
    }
    /// Add a `uint8` property.
    pub fn uint8(self, name: &str, v: u8) -> Self {
        self.scalar(name, CimType::Uint8, v.to_string())
    }
    /// Add a `uint16` property.
    pub fn uint16(self, name: &str, v: u16) -> Self {
        self.scalar(name, CimType::Uint16, v.to_string())
    }
    /// Add a `uint32` property.
    pub fn uint32(self, name: &str, v: u32) -> Self {
        self.scalar(name, CimType::Uint32, v.to_string())
    }
    /// Add a `uint64` property.
    pub fn uint64(self, name: &str, v: u64) -> Self {
        self.scalar(name, CimType::Uint64, v.to_string())
    }
    /// Add a `datetime` property (DMTF form).
    pub fn datetime(self, name: &str, v: CimDateTime) -> Self {
        self.scalar(name, CimType::Datetime, v.to_dmtf())
    }
    /// Add a `string[]` property.
    pub fn string_array(self, name: &str, values: &[&str]) -> Self {
        let v = values.iter().map(|s| s.to_string()).collect();
        self.property(name, CimType::String, EmbeddedValue::Array(v))
    }
    /// Add a NULL property of type `ty`.
    pub fn null(self, name: &str, ty: CimType) -> Self {
        self.property(name, ty, EmbeddedValue::Null)
    }

    /// The property `name` (case-insensitive).
    pub fn get(&self, name: &str) -> Option<&EmbeddedProperty> {
        self.properties
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
    }

    /// The scalar value of property `name`, if it has one.
    pub fn get_str(&self, name: &str) -> Option<&str> {
        match &self.get(name)?.value {
            EmbeddedValue::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// Write the CIM-XML string (starts with `<INSTANCE`, no declaration).
    pub fn to_cimxml(&self) -> Result<String, CimError> {
        check_identifier(&self.class_name)?;
        let mut w = XmlWriter::with_capacity(256);
        w.start("INSTANCE").attr("CLASSNAME", &self.class_name);
        for p in &self.properties {
            write_property(&mut w, p)?;
        }
        w.end();
        Ok(w.finish()?)
    }

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

fn write_property(w: &mut XmlWriter, p: &EmbeddedProperty) -> Result<(), CimError> {
    check_identifier(&p.name)?;
    if p.cim_type == CimType::Reference {
        return Err(emb_err(format!(
            "property {}: writing reference properties is not supported",
            p.name
        )));
    }
    let norm = |v: &str| {
        p.cim_type
            .normalize(v)
            .map_err(|r| emb_err(format!("property {}: {r}", p.name)))
    };
    let tag = if matches!(p.value, EmbeddedValue::Array(_)) {
        "PROPERTY.ARRAY"
    } else {
        "PROPERTY"
    };
    w.start(tag)
        .attr("NAME", &p.name)
        .attr("TYPE", p.cim_type.as_str());
    match &p.value {
        EmbeddedValue::Null => {}
        EmbeddedValue::Scalar(v) => {
            w.leaf("VALUE", &norm(v)?);
        }
        EmbeddedValue::Array(vs) => {
            w.start("VALUE.ARRAY");
            for v in vs {
                w.leaf("VALUE", &norm(v)?);
            }
            w.end();
        }
    }
    w.end();
    Ok(())
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

    const SNAP: &str = r#"\\HV01\root\virtualization\v2:Msvm_VirtualSystemSettingData.InstanceID="Microsoft:A1B2C3D4-E5F6-4711-8899-AABBCCDDEEFF""#;

    fn export_one() -> EmbeddedInstance {
        EmbeddedInstance::new("Msvm_VirtualSystemExportSettingData")
            .uint8("CopySnapshotConfiguration", 2)
            .boolean("CopyVmRuntimeInformation", true)
            .boolean("CopyVmStorage", true)
            .boolean("CreateVmExportSubdirectory", false)
            .string("SnapshotVirtualSystem", SNAP)
    }

    #[test]
    fn writes_the_e6_shape() {
        let s = export_one().to_cimxml().unwrap();
        let want = concat!(
            r#"<INSTANCE CLASSNAME="Msvm_VirtualSystemExportSettingData">"#,
            r#"<PROPERTY NAME="CopySnapshotConfiguration" TYPE="uint8"><VALUE>2</VALUE></PROPERTY>"#,
            r#"<PROPERTY NAME="CopyVmRuntimeInformation" TYPE="boolean"><VALUE>TRUE</VALUE></PROPERTY>"#,
            r#"<PROPERTY NAME="CopyVmStorage" TYPE="boolean"><VALUE>TRUE</VALUE></PROPERTY>"#,
            r#"<PROPERTY NAME="CreateVmExportSubdirectory" TYPE="boolean"><VALUE>FALSE</VALUE></PROPERTY>"#,
            r#"<PROPERTY NAME="SnapshotVirtualSystem" TYPE="string"><VALUE>\\HV01\root\virtualization\v2:Msvm_VirtualSystemSettingData.InstanceID="Microsoft:A1B2C3D4-E5F6-4711-8899-AABBCCDDEEFF"</VALUE></PROPERTY>"#,
            "</INSTANCE>"
        );
        assert_eq!(s, want);
        assert_eq!(EmbeddedInstance::parse(&s).unwrap(), export_one());
    }

    #[test]
    fn writes_arrays_nulls_and_escapes() {
        let e = EmbeddedInstance::new("C")
            .string_array("A", &["x<y", "a&b"])
            .null("N", CimType::Uint16)
            .string_array("E", &[]);
        let s = e.to_cimxml().unwrap();
        assert_eq!(
            s,
            concat!(
                r#"<INSTANCE CLASSNAME="C"><PROPERTY.ARRAY NAME="A" TYPE="string"><VALUE.ARRAY>"#,
                r#"<VALUE>x&lt;y</VALUE><VALUE>a&amp;b</VALUE></VALUE.ARRAY></PROPERTY.ARRAY>"#,
                r#"<PROPERTY NAME="N" TYPE="uint16"/>"#,
                r#"<PROPERTY.ARRAY NAME="E" TYPE="string"><VALUE.ARRAY/></PROPERTY.ARRAY></INSTANCE>"#
            )
        );
        assert_eq!(EmbeddedInstance::parse(&s).unwrap(), e);
    }

    #[test]
    fn write_rejects_bad_names_values_and_chars() {
        assert!(matches!(
            EmbeddedInstance::new("a b").to_cimxml(),
            Err(CimError::Name(_))
        ));
        assert!(
            EmbeddedInstance::new("C")
                .string("x-y", "v")
                .to_cimxml()
                .is_err()
        );
        let bad = EmbeddedInstance::new("C").property(
            "N",
            CimType::Uint8,
            EmbeddedValue::Scalar("300".into()),
        );
        assert_eq!(
            bad.to_cimxml().unwrap_err().to_string(),
            "invalid embedded instance: property N: integer value out of range for its type"
        );
        assert!(matches!(
            EmbeddedInstance::new("C").string("S", "a\u{1}").to_cimxml(),
            Err(CimError::Xml(_))
        ));
        assert!(
            EmbeddedInstance::new("C")
                .null("R", CimType::Reference)
                .to_cimxml()
                .is_err()
        );
    }

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

    #[test]
    fn cim_type_names() {
        for (t, n) in TYPES {
            assert_eq!(t.as_str(), n);
            assert_eq!(CimType::parse(&n.to_uppercase()), Some(t));
        }
        assert_eq!(CimType::parse("object"), None);
    }

    fn xml_string() -> impl Strategy<Value = String> {
        any::<String>().prop_map(|s| s.chars().filter(|&c| xml::write::is_xml_char(c)).collect())
    }

    fn any_property() -> impl Strategy<Value = (String, u8, String, Vec<String>, bool, u64)> {
        (
            "[A-Za-z_][A-Za-z0-9_]{0,10}",
            0u8..6,
            xml_string(),
            proptest::collection::vec(xml_string(), 0..4),
            any::<bool>(),
            any::<u64>(),
        )
    }

    proptest! {
        #[test]
        fn write_then_parse_round_trip(class in "[A-Za-z_][A-Za-z0-9_]{0,20}", props in proptest::collection::vec(any_property(), 0..8)) {
            let mut e = EmbeddedInstance::new(&class);
            for (name, kind, s, arr, b, n) in &props {
                e = match kind {
                    0 => e.string(name, s),
                    1 => e.boolean(name, *b),
                    2 => e.uint64(name, *n),
                    3 => e.uint16(name, *n as u16),
                    4 => e.string_array(name, &arr.iter().map(String::as_str).collect::<Vec<_>>()),
                    _ => e.null(name, CimType::Uint32),
                };
            }
            let text = e.to_cimxml().unwrap();
            prop_assert!(text.starts_with("<INSTANCE"));
            prop_assert_eq!(EmbeddedInstance::parse(&text).unwrap(), e);
        }

        #[test]
        fn random_input_never_panics(s in any::<String>(), t in "[<>/A-Z.=\" ]{0,40}") {
            let _ = EmbeddedInstance::parse(&s);
            let _ = EmbeddedInstance::parse(&t);
            let _ = EmbeddedInstance::parse(&format!("<INSTANCE CLASSNAME=\"C\">{t}</INSTANCE>"));
        }
    }
}
