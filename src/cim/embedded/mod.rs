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

use super::CimError;
use super::datetime::CimDateTime;
use super::names::check_identifier;
use crate::xml::XmlWriter;

mod read;
mod types;
pub use types::CimType;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml;
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
    fn two_layers_of_escaping_survive_a_soap_text_node() {
        let e = EmbeddedInstance::new("C").string("P", "a&b");
        let inner = e.to_cimxml().unwrap();
        let mut w = XmlWriter::new();
        w.leaf("ExportSettingData", &inner);
        let wire = w.finish().unwrap();
        assert!(
            wire.contains("&lt;VALUE&gt;a&amp;amp;b&lt;/VALUE&gt;"),
            "{wire}"
        );
        let text = xml::parse(&wire).unwrap().text();
        assert_eq!(EmbeddedInstance::parse(&text).unwrap(), e);
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
    }
}
