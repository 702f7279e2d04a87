//! WS-CIM rendering of simulator instances, as WinRM renders WMI objects (hyperv-wsman.md §7).
//!
//! What it does: writes an [`Instance`] as `<Class xsi:type="p:Class_Type">` with one child per
//! property in alphabetical order, `xsi:nil="true"` for NULL, repeated elements for arrays,
//! `cim:Datetime` / `cim:Interval` wrappers; a property-list projection as `w:XmlFragment` with
//! unqualified children (§6.5); an instance's EPR (`a:Address` + `a:ReferenceParameters`).
//! Documented choice: the instance element and its properties are written in the class
//! namespace as the *default* namespace (`xmlns="…/v2/Class"`, with `p` bound to the same URI
//! for `xsi:type`) because the writer takes static qualified names; the infoset is the one
//! Windows sends with a `p:` prefix, and clients match by namespace URI only.
//! What it does not: page or wrap items in a response (see `sim::host`).

use super::model::{Instance, Value};
use crate::xml::{XmlWriter, ns};

/// Resource URI of a v2 class.
pub fn class_uri(class: &str) -> String {
    format!("{}{class}", ns::HYPERV_V2)
}

fn write_value(w: &mut XmlWriter, name: &'static str, v: &Value) {
    match v {
        Value::Null => {
            w.start(name).attr("xsi:nil", "true").end();
        }
        Value::Str(s) => {
            w.leaf(name, s);
        }
        Value::UInt(n) => {
            w.leaf(name, &n.to_string());
        }
        Value::Bool(b) => {
            w.leaf(name, if *b { "true" } else { "false" });
        }
        Value::Datetime(d) => {
            w.start(name).leaf("cim:Datetime", d).end();
        }
        Value::Interval(d) => {
            w.start(name).leaf("cim:Interval", d).end();
        }
        Value::StrArray(v) => v.iter().for_each(|s| {
            w.leaf(name, s);
        }),
        Value::UIntArray(v) => v.iter().for_each(|n| {
            w.leaf(name, &n.to_string());
        }),
    }
}

fn sorted(inst: &Instance) -> Vec<&(&'static str, Value)> {
    let mut props: Vec<_> = inst.props.iter().collect();
    // Case-insensitive order without a lowercased copy per comparison (stable, as before).
    props.sort_by(|(a, _), (b, _)| {
        a.bytes()
            .map(|c| c.to_ascii_lowercase())
            .cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
    });
    props
}

/// Write an instance element into `w`.
pub fn write_instance(w: &mut XmlWriter, inst: &Instance) {
    w.start(inst.class)
        .attr("xmlns", &class_uri(inst.class))
        .attr("xmlns:p", &class_uri(inst.class));
    w.attr("xmlns:cim", ns::CIM).attr("xmlns:xsi", ns::XSI);
    w.attr("xsi:type", &format!("p:{}_Type", inst.class));
    for (n, v) in sorted(inst) {
        write_value(w, n, v);
    }
    w.end();
}

/// Write a `w:XmlFragment` holding only `props` (canonical names), unqualified.
pub fn write_fragment(w: &mut XmlWriter, inst: &Instance, props: &[String]) {
    w.start("w:XmlFragment")
        .attr("xmlns:cim", ns::CIM)
        .attr("xmlns:xsi", ns::XSI);
    for (n, v) in sorted(inst) {
        if props.iter().any(|p| p == n) {
            let v = match v {
                Value::Datetime(d) => {
                    w.start(*n).leaf("Datetime", d).end();
                    continue;
                }
                Value::Interval(d) => {
                    w.start(*n).leaf("Interval", d).end();
                    continue;
                }
                v => v,
            };
            write_value(w, n, v);
        }
    }
    w.end();
}

/// Write the children of an EPR (`a:Address`, `a:ReferenceParameters`) for `class` + keys.
pub fn write_epr_children(w: &mut XmlWriter, class: &str, keys: &[(&str, String)]) {
    w.leaf("a:Address", ns::ANONYMOUS)
        .start("a:ReferenceParameters");
    w.leaf("w:ResourceURI", &class_uri(class))
        .start("w:SelectorSet");
    for (k, v) in keys {
        w.start("w:Selector").attr("Name", k).text(v).end();
    }
    w.end().end();
}

/// Write `a:EndpointReference` for an instance.
pub fn write_epr(w: &mut XmlWriter, inst: &Instance) {
    w.start("a:EndpointReference");
    write_epr_children(w, inst.class, &inst.keys());
    w.end();
}

/// Render one enumeration item for a mode, as a standalone fragment.
pub fn item(inst: &Instance, props: Option<&[String]>, mode: Mode) -> String {
    // A property-list fragment is a few hundred bytes; the item is kept until it is pulled.
    let mut w = XmlWriter::with_capacity(if props.is_some() { 384 } else { 2048 });
    match (mode, props) {
        (Mode::Epr, _) => write_epr(&mut w, inst),
        (Mode::ObjectAndEpr, p) => {
            w.start("w:Item");
            write_object(&mut w, inst, p);
            write_epr(&mut w, inst);
            w.end();
        }
        (Mode::Object, p) => write_object(&mut w, inst, p),
    }
    w.finish().unwrap_or_default()
}

fn write_object(w: &mut XmlWriter, inst: &Instance, props: Option<&[String]>) {
    match props {
        Some(p) => write_fragment(w, inst, p),
        None => write_instance(w, inst),
    }
}

/// `w:EnumerationMode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Mode {
    /// Instances (default).
    Object,
    /// `EnumerateEPR`.
    Epr,
    /// `EnumerateObjectAndEPR`.
    ObjectAndEpr,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml;

    fn inst() -> Instance {
        Instance {
            class: "Msvm_ConcreteJob",
            props: vec![
                ("PercentComplete", Value::UInt(37)),
                ("ErrorDescription", Value::Null),
                ("InstanceID", Value::s("J1")),
                ("ElapsedTime", Value::Interval("P0DT0H0M1S".into())),
            ],
        }
    }

    #[test]
    fn instance_is_namespaced_typed_and_sorted() {
        let t = item(&inst(), None, Mode::Object);
        let e = xml::parse(&t).unwrap();
        let uri = class_uri("Msvm_ConcreteJob");
        assert!(e.is(&uri, "Msvm_ConcreteJob"));
        assert_eq!(
            e.attr(Some(ns::XSI), "type"),
            Some("p:Msvm_ConcreteJob_Type")
        );
        let names: Vec<_> = e.elements().map(|c| c.local.clone()).collect();
        assert_eq!(
            names,
            [
                "ElapsedTime",
                "ErrorDescription",
                "InstanceID",
                "PercentComplete"
            ]
        );
        assert!(e.child(&uri, "ErrorDescription").unwrap().is_nil());
        let el = e.child(&uri, "ElapsedTime").unwrap();
        assert_eq!(
            el.child_text(ns::CIM, "Interval").as_deref(),
            Some("P0DT0H0M1S")
        );
    }

    #[test]
    fn fragment_children_are_unqualified_and_epr_has_keys() {
        let t = format!(
            "<r xmlns:w=\"{}\" xmlns:a=\"{}\">{}{}</r>",
            ns::WSMAN,
            ns::ADDRESSING,
            item(&inst(), Some(&["InstanceID".into()]), Mode::Object),
            item(&inst(), None, Mode::Epr)
        );
        let e = xml::parse(&t).unwrap();
        let frag = e.child(ns::WSMAN, "XmlFragment").unwrap();
        let id = frag.child_local("InstanceID").unwrap();
        assert_eq!((id.ns.clone(), id.text()), (None, "J1".to_string()));
        assert_eq!(frag.elements().count(), 1);
        let sel = e.find(ns::WSMAN, "Selector").unwrap();
        assert_eq!(
            (sel.attr(None, "Name"), sel.text().as_str()),
            (Some("InstanceID"), "J1")
        );
    }
}
