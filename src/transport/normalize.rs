//! Canonical text form of a SOAP envelope, for comparing a replayed request with the recorded
//! one (GitHub issue 6, item 3; ARCHITECTURE.md §4).
//!
//! [`normalize`] parses the envelope and writes one line per element, attribute and text node,
//! indented two spaces per level:
//!
//! ```text
//! {http://www.w3.org/2003/05/soap-envelope}Envelope
//!   {http://www.w3.org/2003/05/soap-envelope}Header
//!     {http://schemas.xmlsoap.org/ws/2004/08/addressing}To
//!       *
//!     {http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd}ResourceURI
//!       @{http://www.w3.org/2003/05/soap-envelope}mustUnderstand="true"
//!       "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/virtualization/v2/*"
//! ```
//!
//! Names are resolved to `{namespace}local` (prefixes never matter), attributes are sorted,
//! namespace declarations are dropped, whitespace-only text is dropped and other text trimmed.
//! The SOAP header children that differ on every run are masked to `*`: `a:MessageID`,
//! `a:RelatesTo`, `a:To`, `w:OperationTimeout`, `w:Locale`, `p:DataLocale`, and also the
//! per-session MS-WSMV `p:SessionId` and `p:OperationID` (random UUIDs). [`first_difference`]
//! compares two canonical forms and names the first differing element path, e.g.
//! `Body/Enumerate/Filter: expected "…" got "…"`.
//!
//! Not done here: deciding what a mismatch means (that is the replayer's job).

use crate::error::{Error, ErrorKind};
use crate::xml::{self, Element, Node, ns};

/// Header children masked to `*` (namespace URI, local name).
pub const MASKED_HEADERS: &[(&str, &str)] = &[
    (ns::ADDRESSING, "MessageID"),
    (ns::ADDRESSING, "RelatesTo"),
    (ns::ADDRESSING, "To"),
    (ns::WSMAN, "OperationTimeout"),
    (ns::WSMAN, "Locale"),
    (ns::MSWSMAN, "DataLocale"),
    (ns::MSWSMAN, "SessionId"),
    (ns::MSWSMAN, "OperationID"),
];

/// Longest value shown in a difference message before it is shortened.
const SHOW_MAX: usize = 160;

/// The canonical text form of `envelope` (see the module docs).
pub fn normalize(envelope: &str) -> Result<String, Error> {
    let root = xml::parse(envelope).map_err(|e| {
        Error::new(ErrorKind::Replay, format!("cannot normalize envelope: {e}")).with_source(e)
    })?;
    let mut out = String::with_capacity(envelope.len());
    write_element(&root, 0, false, &mut out);
    Ok(out)
}

fn qname(ns: Option<&str>, local: &str) -> String {
    match ns {
        Some(ns) => format!("{{{ns}}}{local}"),
        None => local.to_string(),
    }
}

fn quoted(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("{s:?}"))
}

fn push_line(out: &mut String, depth: usize, content: &str) {
    for _ in 0..depth {
        out.push_str("  ");
    }
    out.push_str(content);
    out.push('\n');
}

fn is_masked(el: &Element, parent_is_header: bool) -> bool {
    parent_is_header && MASKED_HEADERS.iter().any(|(n, l)| el.is(n, l))
}

fn write_element(el: &Element, depth: usize, parent_is_header: bool, out: &mut String) {
    push_line(out, depth, &qname(el.ns.as_deref(), &el.local));
    if is_masked(el, parent_is_header) {
        push_line(out, depth + 1, "*");
        return;
    }
    let mut attrs: Vec<_> = el.attrs.iter().collect();
    attrs.sort_by(|a, b| (a.ns.as_deref(), &a.local).cmp(&(b.ns.as_deref(), &b.local)));
    for a in attrs {
        let line = format!("@{}={}", qname(a.ns.as_deref(), &a.local), quoted(&a.value));
        push_line(out, depth + 1, &line);
    }
    let is_header = el.is(ns::SOAP, "Header");
    for child in &el.children {
        match child {
            Node::Element(c) => write_element(c, depth + 1, is_header, out),
            Node::Text(t) => {
                let t = t.trim();
                if !t.is_empty() {
                    push_line(out, depth + 1, &quoted(t));
                }
            }
        }
    }
}

/// One line of a canonical form, split into depth and content.
fn split_line(line: &str) -> (usize, &str) {
    let content = line.trim_start_matches(' ');
    ((line.len() - content.len()) / 2, content)
}

fn local_of(content: &str) -> &str {
    content.rsplit('}').next().unwrap_or(content)
}

/// Split an attribute line (without `@`) into its name and quoted value; the value starts at
/// the first `"` (names never contain one, namespace URIs may contain `=`).
fn split_attr(rest: &str) -> (&str, &str) {
    match rest.find('"') {
        Some(q) => (
            rest.get(..q).unwrap_or(rest).trim_end_matches('='),
            rest.get(q..).unwrap_or(""),
        ),
        None => (rest, ""),
    }
}

fn is_element_line(content: &str) -> bool {
    !(content.starts_with('@') || content.starts_with('"') || content == "*")
}

/// The element path (local names below the root, `/`-separated) that line `i` belongs to; an
/// attribute line adds `/@name`.
fn path_at(lines: &[&str], i: usize) -> String {
    let mut stack: Vec<&str> = Vec::new();
    let mut attr = None;
    for (n, line) in lines.iter().enumerate().take(i + 1) {
        let (depth, content) = split_line(line);
        stack.truncate(depth);
        if n == i {
            if let Some(rest) = content.strip_prefix('@') {
                attr = Some(local_of(split_attr(rest).0));
            }
        } else if is_element_line(content) {
            stack.push(local_of(content));
        }
    }
    let mut path = match stack.len() {
        0 => String::new(),
        1 => stack.join("/"),
        _ => stack.get(1..).unwrap_or_default().join("/"),
    };
    if let Some(a) = attr {
        if !path.is_empty() {
            path.push('/');
        }
        path.push('@');
        path.push_str(a);
    }
    if path.is_empty() {
        "(root)".into()
    } else {
        path
    }
}

fn shorten(s: &str) -> String {
    if s.chars().count() <= SHOW_MAX {
        return s.to_string();
    }
    let head: String = s.chars().take(SHOW_MAX).collect();
    format!("{head}…")
}

fn describe(line: Option<&&str>, other: Option<&&str>) -> String {
    let Some(line) = line else {
        return "nothing".into();
    };
    let (_, content) = split_line(line);
    if let Some(rest) = content.strip_prefix('@') {
        return shorten(split_attr(rest).1);
    }
    if content.starts_with('"') || content == "*" {
        return shorten(content);
    }
    // An element: show the local name unless the other side has the same local name.
    let same_local = other
        .map(|o| local_of(split_line(o).1) == local_of(content))
        .unwrap_or(false);
    if same_local {
        format!("element {content}")
    } else {
        format!("element {}", local_of(content))
    }
}

/// Compare two canonical forms; `None` when equal, else
/// `<path>: expected <what> got <what>` for the first differing line.
pub fn first_difference(expected: &str, got: &str) -> Option<String> {
    let e: Vec<&str> = expected.lines().collect();
    let g: Vec<&str> = got.lines().collect();
    let i = (0..e.len().max(g.len())).find(|&i| e.get(i) != g.get(i))?;
    let path = if i < e.len() {
        path_at(&e, i)
    } else {
        path_at(&g, i)
    };
    Some(format!(
        "{path}: expected {} got {}",
        describe(e.get(i), g.get(i)),
        describe(g.get(i), e.get(i))
    ))
}

/// Normalize both envelopes and compare them (see [`first_difference`]).
pub fn diff_envelopes(expected: &str, got: &str) -> Result<Option<String>, Error> {
    let e = normalize(expected).map_err(|e| e.context("recorded request"))?;
    let g = normalize(got).map_err(|e| e.context("new request"))?;
    Ok(first_difference(&e, &g))
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"
        xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing"
        xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
        xmlns:n="http://schemas.xmlsoap.org/ws/2004/09/enumeration">
      <s:Header>
        <a:To>http://hv01:5985/wsman</a:To>
        <a:MessageID>uuid:1</a:MessageID>
        <w:OperationTimeout>PT60S</w:OperationTimeout>
      </s:Header>
      <s:Body><n:Enumerate>
        <w:Filter Dialect="http://schemas.microsoft.com/wbem/wsman/1/WQL">SELECT * FROM Msvm_ComputerSystem</w:Filter>
      </n:Enumerate></s:Body></s:Envelope>"#;

    #[test]
    fn prefixes_whitespace_and_masked_headers_do_not_matter() {
        let b = r#"<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Header>
          <x:To xmlns:x="http://schemas.xmlsoap.org/ws/2004/08/addressing">http://other/wsman</x:To>
          <x:MessageID xmlns:x="http://schemas.xmlsoap.org/ws/2004/08/addressing">uuid:2</x:MessageID>
          <m:OperationTimeout xmlns:m="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd">PT9S</m:OperationTimeout>
          </env:Header><env:Body><e:Enumerate xmlns:e="http://schemas.xmlsoap.org/ws/2004/09/enumeration"><q:Filter
          xmlns:q="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" Dialect="http://schemas.microsoft.com/wbem/wsman/1/WQL">
          SELECT * FROM Msvm_ComputerSystem </q:Filter></e:Enumerate></env:Body></env:Envelope>"#;
        assert_eq!(normalize(A).unwrap(), normalize(b).unwrap());
        assert_eq!(diff_envelopes(A, b).unwrap(), None);
    }

    #[test]
    fn canonical_form_shape() {
        let n = normalize(A).unwrap();
        assert!(n.starts_with("{http://www.w3.org/2003/05/soap-envelope}Envelope\n"));
        assert!(n.contains("    {http://schemas.xmlsoap.org/ws/2004/08/addressing}To\n      *\n"));
        assert!(n.contains("@Dialect=\"http://schemas.microsoft.com/wbem/wsman/1/WQL\""));
        assert!(!n.contains("xmlns"));
        assert!(!n.contains("hv01"));
    }

    #[test]
    fn difference_names_element_path() {
        let b = A.replace("Msvm_ComputerSystem", "Msvm_ConcreteJob");
        let d = diff_envelopes(A, &b).unwrap().unwrap();
        assert_eq!(
            d,
            "Body/Enumerate/Filter: expected \"SELECT * FROM Msvm_ComputerSystem\" \
             got \"SELECT * FROM Msvm_ConcreteJob\""
        );
    }

    #[test]
    fn difference_in_attribute_and_structure() {
        let b = A.replace("/WQL\"", "/CQL\"");
        let d = diff_envelopes(A, &b).unwrap().unwrap();
        assert!(
            d.starts_with("Body/Enumerate/Filter/@Dialect: expected"),
            "{d}"
        );
        let c = A
            .replace("<w:Filter", "<w:Other")
            .replace("</w:Filter>", "</w:Other>");
        let d = diff_envelopes(A, &c).unwrap().unwrap();
        assert_eq!(
            d,
            "Body/Enumerate: expected element Filter got element Other"
        );
        let e = A.replace(
            "</n:Enumerate>",
            "<w:MaxElements>5</w:MaxElements></n:Enumerate>",
        );
        let d = diff_envelopes(A, &e).unwrap().unwrap();
        assert_eq!(
            d,
            "Body/Enumerate: expected nothing got element MaxElements"
        );
    }

    #[test]
    fn same_local_name_other_namespace_shows_uri() {
        let b = A.replace("<n:Enumerate>", "<n:Enumerate xmlns:n=\"urn:other\">");
        let d = diff_envelopes(A, &b).unwrap().unwrap();
        assert!(d.starts_with("Body: expected element {http://schemas.xmlsoap.org/ws/2004/09/enumeration}Enumerate got element {urn:other}Enumerate"), "{d}");
    }

    #[test]
    fn attribute_in_namespace_with_equals_sign() {
        let a = r#"<r xmlns:q="urn:x?a=b"><e q:k="1"/></r>"#;
        let b = r#"<r xmlns:q="urn:x?a=b"><e q:k="2"/></r>"#;
        let d = diff_envelopes(a, b).unwrap().unwrap();
        assert_eq!(d, "e/@k: expected \"1\" got \"2\"");
    }

    #[test]
    fn malformed_envelope_is_replay_error() {
        let e = normalize("<a><b></a>").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Replay);
        assert!(e.message().starts_with("cannot normalize envelope"), "{e}");
    }
}
