//! Writing instances exactly as WinRM renders them (WS-CIM, DSP0230; hyperv-wsman.md §7, E2,
//! E10); the mirror of [`super::instance`], used by the simulated host.
//!
//! Shape: `<p:Class xmlns:p="<resource URI>" xmlns:cim=… xmlns:xsi=… xsi:type="p:Class_Type">`
//! with one `<p:Prop>` per property; NULL as `xsi:nil="true"`; arrays as repeated elements (an
//! empty array writes nothing, a one-element array reads back as a scalar); timestamps as
//! `<cim:Datetime>` in `xs:dateTime` form (offsets beyond ±14:00 cannot be written that way and
//! read back as text); intervals as `<cim:Interval>` in `xs:duration` form; references as
//! `a:Address` + `a:ReferenceParameters` with `xmlns:a` and `xmlns:w` on the property element;
//! nested instances inline (they need a resource URI).
//!
//! Class and property names must be identifiers. What this module does not do: envelopes or
//! enumeration responses (the simulator wraps the output).

use super::CimError;
use super::instance::{Instance, Value};
use super::names::qname;
use crate::soap::addressing::Epr;
use crate::xml::{XmlWriter, ns};

/// Write one instance element of `class` in namespace `resource_uri`.
pub fn write_instance<S: AsRef<str>>(
    w: &mut XmlWriter,
    class: &str,
    resource_uri: &str,
    props: &[(S, Value)],
) -> Result<(), CimError> {
    let tag = qname("p", class)?;
    w.start(tag)
        .attr("xmlns:p", resource_uri)
        .attr("xmlns:cim", ns::CIM)
        .attr("xmlns:xsi", ns::XSI)
        .attr("xsi:type", &format!("p:{class}_Type"));
    for (name, value) in props {
        write_value(w, qname("p", name.as_ref())?, value, true)?;
    }
    w.end();
    Ok(())
}

/// Write an [`Instance`] (it must carry a resource URI).
pub fn write(w: &mut XmlWriter, inst: &Instance) -> Result<(), CimError> {
    let uri = inst.resource_uri().ok_or_else(|| {
        CimError::Instance(format!(
            "instance of {} has no resource uri",
            inst.class_name()
        ))
    })?;
    write_instance(w, inst.class_name(), uri, inst.properties())
}

/// Write the element(s) `tag` for one value.
fn write_value(w: &mut XmlWriter, tag: &'static str, v: &Value, top: bool) -> Result<(), CimError> {
    match v {
        Value::Null => {
            w.start(tag).attr("xsi:nil", "true").end();
        }
        Value::Scalar(s) => {
            w.leaf(tag, s);
        }
        Value::Array(vs) if top => {
            for item in vs {
                write_value(w, tag, item, false)?;
            }
        }
        Value::Array(_) => {
            return Err(CimError::Instance(format!(
                "{tag}: arrays of arrays cannot be rendered"
            )));
        }
        Value::DateTime(d) => {
            w.start(tag).leaf("cim:Datetime", &d.to_rfc3339()).end();
        }
        Value::Interval(i) => {
            w.start(tag).leaf("cim:Interval", &i.to_xs_duration()).end();
        }
        Value::Ref(epr) => write_epr(w, tag, epr),
        Value::Instance(inst) => {
            w.start(tag);
            write(w, inst)?;
            w.end();
        }
    }
    Ok(())
}

fn write_epr(w: &mut XmlWriter, tag: &'static str, epr: &Epr) {
    w.start(tag)
        .attr("xmlns:a", ns::ADDRESSING)
        .attr("xmlns:w", ns::WSMAN)
        .leaf("a:Address", &epr.address)
        .start("a:ReferenceParameters")
        .leaf("w:ResourceURI", &epr.resource_uri)
        .start("w:SelectorSet");
    for (name, value) in &epr.selectors {
        w.start("w:Selector").attr("Name", name).text(value).end();
    }
    w.end().end().end();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cim::datetime::{CimDateTime, CimInterval};
    use crate::xml::parse;
    use proptest::prelude::*;

    const URI: &str =
        "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/virtualization/v2/Msvm_ConcreteJob";

    fn job_epr() -> Epr {
        Epr {
            address: ns::ANONYMOUS.into(),
            resource_uri: URI.into(),
            selectors: vec![("InstanceID".into(), "3F2B".into())],
        }
    }

    #[test]
    fn renders_like_winrm() {
        let props = [
            ("ElementName", Value::Scalar("a<b".into())),
            ("ErrorDescription", Value::Null),
            (
                "OperationalStatus",
                Value::Array(vec![Value::Scalar("2".into()), Value::Scalar("3".into())]),
            ),
            (
                "StartTime",
                Value::DateTime(CimDateTime::parse("2025-11-26T01:02:03.456Z").unwrap()),
            ),
            (
                "ElapsedTime",
                Value::Interval(CimInterval::parse("PT100S").unwrap()),
            ),
            ("Job", Value::Ref(job_epr())),
        ];
        let mut w = XmlWriter::new();
        write_instance(&mut w, "Msvm_ConcreteJob", URI, &props).unwrap();
        let s = w.finish().unwrap();
        let want = format!(
            concat!(
                r#"<p:Msvm_ConcreteJob xmlns:p="{uri}" xmlns:cim="{cim}" xmlns:xsi="{xsi}" xsi:type="p:Msvm_ConcreteJob_Type">"#,
                "<p:ElementName>a&lt;b</p:ElementName>",
                r#"<p:ErrorDescription xsi:nil="true"/>"#,
                "<p:OperationalStatus>2</p:OperationalStatus><p:OperationalStatus>3</p:OperationalStatus>",
                "<p:StartTime><cim:Datetime>2025-11-26T01:02:03.456000Z</cim:Datetime></p:StartTime>",
                "<p:ElapsedTime><cim:Interval>P0DT0H1M40S</cim:Interval></p:ElapsedTime>",
                r#"<p:Job xmlns:a="{a}" xmlns:w="{wsman}"><a:Address>{anon}</a:Address><a:ReferenceParameters>"#,
                "<w:ResourceURI>{uri}</w:ResourceURI><w:SelectorSet>",
                r#"<w:Selector Name="InstanceID">3F2B</w:Selector></w:SelectorSet></a:ReferenceParameters></p:Job>"#,
                "</p:Msvm_ConcreteJob>"
            ),
            uri = URI,
            cim = ns::CIM,
            xsi = ns::XSI,
            a = ns::ADDRESSING,
            wsman = ns::WSMAN,
            anon = ns::ANONYMOUS
        );
        assert_eq!(s, want);
    }

    #[test]
    fn rejects_what_it_cannot_render() {
        let mut w = XmlWriter::new();
        assert!(matches!(
            write_instance::<&str>(&mut w, "a b", URI, &[]),
            Err(CimError::Name(_))
        ));
        let mut w = XmlWriter::new();
        let nested = Value::Array(vec![Value::Array(vec![])]);
        assert!(write_instance(&mut w, "C", URI, &[("P", nested)]).is_err());
        let mut w = XmlWriter::new();
        let no_uri = Value::Instance(Box::new(Instance::new("N", None)));
        assert!(write_instance(&mut w, "C", URI, &[("P", no_uri)]).is_err());
        let mut w = XmlWriter::new();
        write_instance(&mut w, "C", URI, &[("P", Value::Scalar("\u{0}".into()))]).unwrap();
        assert!(w.finish().is_err());
    }

    fn scalar() -> impl Strategy<Value = Value> {
        any::<String>().prop_map(|s| {
            Value::Scalar(
                s.chars()
                    .filter(|&c| crate::xml::write::is_xml_char(c))
                    .collect(),
            )
        })
    }

    fn leaf_value() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            scalar(),
            (
                0u16..=9999,
                1u8..=12,
                1u8..=28,
                0u8..24,
                0u8..60,
                0u8..60,
                0u32..1_000_000,
                -840i16..=840
            )
                .prop_map(|(y, mo, d, h, mi, s, us, o)| Value::DateTime(
                    CimDateTime::new(y, mo, d, h, mi, s, us, o).unwrap()
                )),
            (0u32..99_999_999, 0u64..86_400_000_000)
                .prop_map(|(d, us)| Value::Interval(CimInterval::new(d, us).unwrap())),
            proptest::collection::vec(("[A-Za-z_]{1,8}", "[!-~]{0,12}"), 0..3).prop_map(|sel| {
                Value::Ref(Epr {
                    address: ns::ANONYMOUS.into(),
                    resource_uri: URI.into(),
                    selectors: sel,
                })
            }),
        ]
    }

    fn value() -> impl Strategy<Value = Value> {
        prop_oneof![
            4 => leaf_value(),
            1 => proptest::collection::vec(scalar(), 2..4).prop_map(Value::Array),
            1 => proptest::collection::vec(("[A-Z][a-z]{0,6}", leaf_value()), 0..3).prop_map(|ps| {
                let mut i = Instance::new("Nested_Class", Some("urn:nested"));
                for (n, v) in ps { i.set(&n, v); }
                Value::Instance(Box::new(i))
            }),
        ]
    }

    proptest! {
        #[test]
        fn render_then_parse_round_trip(props in proptest::collection::vec(("[A-Z][A-Za-z0-9_]{0,10}", value()), 0..8)) {
            let mut inst = Instance::new("Msvm_ConcreteJob", Some(URI));
            for (n, v) in props { inst.set(&n, v); }
            let mut w = XmlWriter::new();
            write(&mut w, &inst).unwrap();
            let text = w.finish().unwrap();
            let back = Instance::from_element(&parse(&text).unwrap()).unwrap();
            prop_assert_eq!(back, inst);
        }
    }
}
