//! Minimal DSP0201 CIM-XML for the simulator: read an embedded `<INSTANCE>` parameter and
//! write an embedded `Msvm_Error` instance.
//!
//! What it does: parses the string value of an embedded-instance parameter (hyperv-wsman.md
//! §8.3: `<INSTANCE CLASSNAME>` with `PROPERTY` / `PROPERTY.ARRAY` children, `NAME`, `TYPE`,
//! `VALUE`, `VALUE.ARRAY`), keeping TYPE as sent so the caller can check it against the class;
//! writes the `Msvm_Error` strings returned by `GetErrorEx` (E15).
//! What it does not: `PROPERTY.REFERENCE`, qualifiers, `<CIM>`/`<MESSAGE>` wrappers (rejected).

use crate::xml::{self, Element, XmlWriter};

/// One property of an embedded instance, as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CimProperty {
    /// `NAME`.
    pub name: String,
    /// `TYPE` (None when absent).
    pub ty: Option<String>,
    /// True for `PROPERTY.ARRAY`.
    pub array: bool,
    /// The `VALUE` texts (empty = NULL).
    pub values: Vec<String>,
}

/// A parsed embedded instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CimInstance {
    /// `CLASSNAME`.
    pub class: String,
    /// Properties in document order.
    pub props: Vec<CimProperty>,
}

/// Parse an embedded CIM-XML instance; `Err` holds a lowercase reason.
pub fn parse_instance(text: &str) -> Result<CimInstance, String> {
    let root = xml::parse(text.trim()).map_err(|e| format!("embedded instance: {e}"))?;
    if root.ns.is_some() || root.local != "INSTANCE" {
        return Err(format!(
            "embedded instance: root element is {} not INSTANCE",
            root.local
        ));
    }
    let class = root
        .attr(None, "CLASSNAME")
        .ok_or("embedded instance: CLASSNAME is missing")?;
    let props = root
        .elements()
        .map(property)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(CimInstance {
        class: class.to_string(),
        props,
    })
}

fn property(e: &Element) -> Result<CimProperty, String> {
    let array = match (e.ns.as_deref(), e.local.as_str()) {
        (None, "PROPERTY") => false,
        (None, "PROPERTY.ARRAY") => true,
        (_, other) => return Err(format!("embedded instance: unexpected element {other}")),
    };
    let name = e
        .attr(None, "NAME")
        .ok_or("embedded instance: a property has no NAME")?;
    let values: Vec<String> = if array {
        e.elements()
            .filter(|v| v.local == "VALUE.ARRAY")
            .flat_map(|va| {
                va.elements()
                    .filter(|v| v.local == "VALUE")
                    .map(Element::text)
                    .collect::<Vec<_>>()
            })
            .collect()
    } else {
        e.elements()
            .filter(|v| v.local == "VALUE")
            .map(Element::text)
            .collect()
    };
    if !array && values.len() > 1 {
        return Err(format!(
            "embedded instance: property {name} has several values"
        ));
    }
    Ok(CimProperty {
        name: name.to_string(),
        ty: e.attr(None, "TYPE").map(str::to_string),
        array,
        values,
    })
}

/// Write an `Msvm_Error` CIM-XML instance string.
pub fn msvm_error(message: &str, source: &str, code: u16) -> String {
    let mut w = XmlWriter::new();
    w.start("INSTANCE").attr("CLASSNAME", "Msvm_Error");
    let props: [(&str, &str, String); 4] = [
        ("Message", "string", message.to_string()),
        ("ErrorSource", "string", source.to_string()),
        ("MessageID", "string", format!("{code}")),
        ("CIMStatusCode", "uint32", "1".to_string()),
    ];
    for (n, t, v) in &props {
        w.start("PROPERTY")
            .attr("NAME", n)
            .attr("TYPE", t)
            .leaf("VALUE", v)
            .end();
    }
    w.end();
    w.finish().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_scalars_and_arrays() {
        let i = parse_instance(
            "<INSTANCE CLASSNAME=\"C\"><PROPERTY NAME=\"A\" TYPE=\"uint8\"><VALUE>1</VALUE></PROPERTY>\
             <PROPERTY.ARRAY NAME=\"B\" TYPE=\"string\"><VALUE.ARRAY><VALUE>x</VALUE><VALUE>y</VALUE></VALUE.ARRAY></PROPERTY.ARRAY>\
             <PROPERTY NAME=\"N\"/></INSTANCE>",
        )
        .unwrap();
        assert_eq!(i.class, "C");
        assert_eq!(i.props[1].values, vec!["x", "y"]);
        assert!(i.props[1].array);
        assert_eq!(i.props[2].ty, None);
        assert!(i.props[2].values.is_empty());
    }

    #[test]
    fn rejects_other_shapes_and_writes_errors() {
        assert!(parse_instance("<CIM/>").is_err());
        assert!(parse_instance("<INSTANCE CLASSNAME=\"C\"><X/></INSTANCE>").is_err());
        assert!(parse_instance("<INSTANCE").is_err());
        let e = parse_instance(&msvm_error("a & b", "web01", 32768)).unwrap();
        assert_eq!(e.class, "Msvm_Error");
        assert_eq!(e.props[0].values, vec!["a & b"]);
    }
}
