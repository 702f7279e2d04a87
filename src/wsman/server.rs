//! Server side of the WS-Man operations, for the simulated host (DSP0226 §7–§9;
//! hyperv-wsman.md §6, §8, §19): parsers of received request bodies (Enumerate, Pull, Release,
//! Invoke) and writers of response bodies (EnumerateResponse/PullResponse pages, `_OUTPUT`,
//! IdentifyResponse). Headers are parsed by [`super::header::RequestHeaders::parse`]; envelopes
//! and faults are written by `soap`. What this module does not do: decide what a host answers.

use crate::soap::names::qname;
use crate::soap::{Envelope, Epr, SoapError};
use crate::xml::{Element, XmlWriter, ns};

use super::enumerate::EnumerationMode;
use super::identify::IdentifyResponse;
use super::invoke::{ParamValue, write_param};

/// A received Enumerate body (server side).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EnumerateBody {
    /// `w:Filter` text.
    pub filter: Option<String>,
    /// `w:Filter/@Dialect`.
    pub dialect: Option<String>,
    /// `w:EnumerationMode`.
    pub mode: EnumerationMode,
    /// `w:OptimizeEnumeration` present.
    pub optimize: bool,
    /// `w:MaxElements`.
    pub max_elements: Option<u32>,
}

fn body_child<'a>(env: &'a Envelope, ns: &str, local: &str) -> Result<&'a Element, SoapError> {
    env.body
        .child(ns, local)
        .ok_or_else(|| SoapError::Missing(format!("{local} element in request body")))
}

fn parse_u32(el: Option<&Element>, what: &str) -> Result<Option<u32>, SoapError> {
    el.map(|e| {
        let t = e.text_trim();
        t.parse()
            .map_err(|_| SoapError::Invalid(format!("{what} '{t}'")))
    })
    .transpose()
}

/// Parse an Enumerate request body.
pub fn parse_enumerate(env: &Envelope) -> Result<EnumerateBody, SoapError> {
    let e = body_child(env, ns::ENUMERATION, "Enumerate")?;
    let filter = e.child(ns::WSMAN, "Filter");
    let mode = match e.child_text(ns::WSMAN, "EnumerationMode") {
        Some(m) => EnumerationMode::from_wire(&m)
            .ok_or_else(|| SoapError::Invalid(format!("w:EnumerationMode '{m}'")))?,
        None => EnumerationMode::Objects,
    };
    Ok(EnumerateBody {
        filter: filter.map(Element::text),
        dialect: filter
            .and_then(|f| f.attr(None, "Dialect"))
            .map(str::to_string),
        mode,
        optimize: e.child(ns::WSMAN, "OptimizeEnumeration").is_some(),
        max_elements: parse_u32(e.child(ns::WSMAN, "MaxElements"), "w:MaxElements")?,
    })
}

/// A received Pull body (server side).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PullBody {
    /// `n:EnumerationContext`.
    pub context: String,
    /// `n:MaxElements` (WS-Enumeration: absent means 1).
    pub max_elements: Option<u32>,
}

/// Parse a Pull request body.
pub fn parse_pull(env: &Envelope) -> Result<PullBody, SoapError> {
    let p = body_child(env, ns::ENUMERATION, "Pull")?;
    Ok(PullBody {
        context: p
            .child_text(ns::ENUMERATION, "EnumerationContext")
            .ok_or_else(|| SoapError::Missing("n:EnumerationContext in pull".into()))?,
        max_elements: parse_u32(p.child(ns::ENUMERATION, "MaxElements"), "n:MaxElements")?,
    })
}

/// Parse a Release request body: the context being released.
pub fn parse_release(env: &Envelope) -> Result<String, SoapError> {
    body_child(env, ns::ENUMERATION, "Release")?
        .child_text(ns::ENUMERATION, "EnumerationContext")
        .ok_or_else(|| SoapError::Missing("n:EnumerationContext in release".into()))
}

/// A received Invoke body (server side).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvokeBody {
    /// Method name (the `_INPUT` element's local name without the suffix).
    pub method: String,
    /// Namespace of the `_INPUT` element (the class resource URI).
    pub class_uri: String,
    /// Parameter elements in document order.
    pub params: Vec<Element>,
}

impl InvokeBody {
    /// The first parameter named `name`.
    pub fn param(&self, name: &str) -> Option<&Element> {
        self.params.iter().find(|e| e.local == name)
    }
}

/// Parse an Invoke request body (server side).
pub fn parse_invoke(env: &Envelope) -> Result<InvokeBody, SoapError> {
    let input = env
        .payload()
        .ok_or_else(|| SoapError::Missing("<method>_INPUT element in invoke body".into()))?;
    let method = input
        .local
        .strip_suffix("_INPUT")
        .filter(|m| !m.is_empty())
        .ok_or_else(|| SoapError::Invalid(format!("invoke body element <{}>", input.local)))?;
    Ok(InvokeBody {
        method: method.to_string(),
        class_uri: input.ns_str().to_string(),
        params: input.elements().cloned().collect(),
    })
}

/// Which enumeration reply a page is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PageKind {
    /// `n:EnumerateResponse` (context always present, empty when done; `w:Items`).
    Enumerate,
    /// `n:PullResponse` (context only while more remains; `n:Items`).
    Pull,
}

/// Write an enumeration reply the way Windows does (hyperv-wsman.md §6.2); `items` writes the
/// children of the Items element (instances, or see [`write_epr_item`] /
/// [`write_object_and_epr_item`]).
pub fn write_page(
    w: &mut XmlWriter,
    kind: PageKind,
    context: Option<&str>,
    end_of_sequence: bool,
    items: impl FnOnce(&mut XmlWriter) -> Result<(), SoapError>,
) -> Result<(), SoapError> {
    let (outer, items_q, eos_q) = match kind {
        PageKind::Enumerate => ("n:EnumerateResponse", "w:Items", "w:EndOfSequence"),
        PageKind::Pull => ("n:PullResponse", "n:Items", "n:EndOfSequence"),
    };
    w.start(outer);
    match (kind, context) {
        (_, Some(c)) => {
            w.leaf("n:EnumerationContext", c);
        }
        (PageKind::Enumerate, None) => {
            w.leaf("n:EnumerationContext", "");
        }
        (PageKind::Pull, None) => {}
    }
    w.start(items_q);
    items(w)?;
    w.end();
    if end_of_sequence {
        w.start(eos_q).end();
    }
    w.end();
    Ok(())
}

/// Write one `EnumerateEPR` item: `a:EndpointReference` with Address and ReferenceParameters.
pub fn write_epr_item(w: &mut XmlWriter, epr: &Epr) {
    w.start("a:EndpointReference");
    epr.write_into(w);
    w.end();
}

/// Write one `EnumerateObjectAndEPR` item: `w:Item` holding the instance, then the EPR.
pub fn write_object_and_epr_item(
    w: &mut XmlWriter,
    instance: impl FnOnce(&mut XmlWriter) -> Result<(), SoapError>,
    epr: &Epr,
) -> Result<(), SoapError> {
    w.start("w:Item");
    instance(w)?;
    write_epr_item(w, epr);
    w.end();
    Ok(())
}

/// Write `<p:{method}_OUTPUT xmlns:p="{class_uri}">` with `params` in order, then ReturnValue.
pub fn write_output(
    w: &mut XmlWriter,
    class_uri: &str,
    method: &str,
    return_value: u32,
    params: &[(String, ParamValue)],
) -> Result<(), SoapError> {
    let out = qname("p", &format!("{method}_OUTPUT"))?;
    w.start(out)
        .attr("xmlns:p", class_uri)
        .attr("xmlns:xsi", ns::XSI);
    for (name, value) in params {
        write_param(w, qname("p", name)?, value);
    }
    w.leaf("p:ReturnValue", &return_value.to_string());
    w.end();
    Ok(())
}

/// Write a `wsmid:IdentifyResponse`.
pub fn write_identify_response(w: &mut XmlWriter, r: &IdentifyResponse) {
    w.start("wsmid:IdentifyResponse")
        .attr("xmlns:wsmid", ns::IDENTITY);
    w.leaf("wsmid:ProtocolVersion", &r.protocol_version);
    w.leaf("wsmid:ProductVendor", &r.product_vendor);
    w.leaf("wsmid:ProductVersion", &r.product_version);
    w.start("wsmid:SecurityProfiles");
    for p in &r.security_profiles {
        w.leaf("wsmid:SecurityProfileName", p);
    }
    w.end().end();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::soap::ResponseBuilder;
    use crate::wsman::{ACTION_PULL_RESPONSE, enumerate, identify, invoke};

    fn anon(uri: &str) -> Epr {
        Epr::anonymous(uri, vec![("InstanceID".into(), "J1".into())])
    }

    #[test]
    fn pages_round_trip() {
        let doc = ResponseBuilder::new(ACTION_PULL_RESPONSE, "uuid:2", Some("uuid:1"))
            .build(|w| {
                write_page(w, PageKind::Pull, Some("ctx"), false, |w| {
                    write_epr_item(w, &anon("urn:job"));
                    write_object_and_epr_item(
                        w,
                        |w| {
                            w.leaf("w:Thing", "t");
                            Ok(())
                        },
                        &anon("urn:x"),
                    )
                })
            })
            .unwrap();
        let p = enumerate::parse_page(200, &doc).unwrap();
        assert_eq!(
            (p.context.as_deref(), p.end_of_sequence, p.items.len()),
            (Some("ctx"), false, 2)
        );
        assert_eq!(p.items[0].epr, Some(anon("urn:job")));
        assert_eq!(p.items[1].instance.as_ref().unwrap().text(), "t");
        let doc = ResponseBuilder::new("a", "b", None)
            .build(|w| write_page(w, PageKind::Enumerate, None, true, |_| Ok(())))
            .unwrap();
        let p = enumerate::parse_page(200, &doc).unwrap();
        assert!(p.end_of_sequence && p.items.is_empty() && p.context.is_none());
        assert!(doc.contains("<n:EnumerationContext></n:EnumerationContext>"));
    }

    #[test]
    fn output_and_identify_round_trip() {
        let params = vec![("Job".to_string(), ParamValue::Ref(anon("urn:job")))];
        let doc = ResponseBuilder::new("a", "b", None)
            .build(|w| write_output(w, "urn:class", "ExportSystemDefinition", 4096, &params))
            .unwrap();
        let out = invoke::parse_output(200, &doc, Some("ExportSystemDefinition")).unwrap();
        assert_eq!(
            (out.return_value, out.epr("Job").unwrap()),
            (4096, Some(anon("urn:job")))
        );
        let r = IdentifyResponse {
            protocol_version: ns::WSMAN.into(),
            product_vendor: "Microsoft Corporation".into(),
            product_version: "OS: 0.0.0 SP: 0.0 Stack: 3.0".into(),
            security_profiles: vec!["p1".into()],
        };
        let doc = ResponseBuilder::new("a", "b", None)
            .build(|w| {
                write_identify_response(w, &r);
                Ok(())
            })
            .unwrap();
        assert_eq!(identify::parse(200, &doc).unwrap(), r);
    }
}
