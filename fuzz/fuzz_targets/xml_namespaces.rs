//! Differential check of hvremote's own namespace resolution (xml::stream tracks scopes itself
//! on quick-xml's plain reader) against quick-xml's `NsReader`, an independent implementation:
//! whatever hvremote accepts, `NsReader` must read to the same element and attribute names,
//! namespace URIs and attribute values. hvremote may refuse more (it is stricter on attribute
//! syntax and reserved prefixes), never less.
#![no_main]
use libfuzzer_sys::fuzz_target;
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;

type Name = (Option<String>, String);
type Row = (Name, Vec<(Name, String)>);

fn ours(e: &hvremote::xml::Element, out: &mut Vec<Row>) {
    let mut attrs: Vec<_> = e
        .attrs
        .iter()
        .map(|a| {
            (
                (a.ns.as_deref().map(String::from), a.local.clone()),
                a.value.clone(),
            )
        })
        .collect();
    attrs.sort();
    out.push(((e.ns.as_deref().map(String::from), e.local.clone()), attrs));
    for c in e.elements() {
        ours(c, out);
    }
}

/// quick-xml's reading; None where it refuses the document; Some(None) where a namespace
/// declaration holds an entity (hvremote replaces entities in the URI, NsReader does not).
fn theirs(doc: &str) -> Option<Option<Vec<Row>>> {
    let uri = |r: ResolveResult<'_>| match r {
        ResolveResult::Bound(n) => Some(Some(String::from_utf8(n.0.to_vec()).ok()?)),
        ResolveResult::Unbound => Some(None),
        ResolveResult::Unknown(_) => None,
    };
    let mut r = quick_xml::NsReader::from_str(doc);
    r.config_mut().check_end_names = true;
    let mut out = Vec::new();
    loop {
        let (res, ev) = r.read_resolved_event().ok()?;
        let ns = uri(res);
        match ev {
            Event::Start(s) | Event::Empty(s) => {
                let mut attrs = Vec::new();
                for a in s.attributes() {
                    let a = a.ok()?;
                    if a.key.as_namespace_binding().is_some() {
                        if a.value.contains(&b'&') {
                            return Some(None);
                        }
                        continue;
                    }
                    let (res, local) = r.resolve_attribute(a.key);
                    let value = a.unescape_value().ok()?.into_owned();
                    let local = String::from_utf8(local.as_ref().to_vec()).ok()?;
                    attrs.push(((uri(res)?, local), value));
                }
                attrs.sort();
                let local = String::from_utf8(s.local_name().as_ref().to_vec()).ok()?;
                out.push(((ns?, local), attrs));
            }
            Event::Eof => return Some(Some(out)),
            _ => {}
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(root) = hvremote::xml::parse(text) else {
        return;
    };
    let Some(theirs) = theirs(text).expect("a document hvremote accepts is read by NsReader too")
    else {
        return;
    };
    let mut mine = Vec::new();
    ours(&root, &mut mine);
    assert_eq!(mine, theirs);
});
