//! WS-Enumeration Enumerate / Pull / Release with the WQL filter dialect (DSP0226 §8;
//! WS-Enumeration 2004/09; hyperv-wsman.md §6, §18 E1–E3, E13).
//!
//! Builders for the three requests (Pull always carries `n:MaxElements`, whose absence means 1),
//! a page parser that accepts `Items`/`EndOfSequence` in either the `w:` or `n:` namespace
//! anywhere in the body (only EndOfSequence ends an enumeration), and server-side parsers of
//! the request bodies for the simulated host. What this module does not do: loop over pages or
//! retry (see `client`), or compose WQL (see `cim`).

use crate::soap::{Envelope, Epr, MessageIdSource, SoapError};
use crate::transport::SoapRequest;
use crate::xml::stream::{Cursor, FlatElement, Token};
use crate::xml::{Element, Limits, ns};

use super::{
    ACTION_ENUMERATE, ACTION_PULL, ACTION_RELEASE, Settings, build_request, parse_response_with,
};

/// What each enumerated item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum EnumerationMode {
    /// Instance elements (no `w:EnumerationMode`).
    #[default]
    Objects,
    /// `EnumerateEPR`: endpoint references only.
    Epr,
    /// `EnumerateObjectAndEPR`: `w:Item` pairs of instance and EPR.
    ObjectAndEpr,
}

impl EnumerationMode {
    /// The `w:EnumerationMode` text (None for plain objects).
    pub fn wire(self) -> Option<&'static str> {
        match self {
            EnumerationMode::Objects => None,
            EnumerationMode::Epr => Some("EnumerateEPR"),
            EnumerationMode::ObjectAndEpr => Some("EnumerateObjectAndEPR"),
        }
    }

    /// The mode named by a `w:EnumerationMode` text.
    pub fn from_wire(s: &str) -> Option<Self> {
        match s.trim() {
            "EnumerateEPR" => Some(EnumerationMode::Epr),
            "EnumerateObjectAndEPR" => Some(EnumerationMode::ObjectAndEpr),
            _ => None,
        }
    }
}

/// One enumerated item: an instance (or `w:XmlFragment`), an EPR, or both.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EnumItem {
    /// The instance element (or the `w:XmlFragment` element of a property-list query).
    pub instance: Option<Element>,
    /// The endpoint reference (EPR modes).
    pub epr: Option<Epr>,
}

/// One EnumerateResponse or PullResponse (items as [`EnumItem`]s, or whatever a caller of
/// [`parse_page_map`] turns each item into).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<I = EnumItem> {
    /// The items, in document order.
    pub items: Vec<I>,
    /// The most recent `n:EnumerationContext` (None when absent or empty).
    pub context: Option<String>,
    /// True when `EndOfSequence` was present: the enumeration is over.
    pub end_of_sequence: bool,
}

impl<I> Default for Page<I> {
    fn default() -> Self {
        Page {
            items: Vec::new(),
            context: None,
            end_of_sequence: false,
        }
    }
}

/// One item as [`for_each_view`] hands it out: a plain instance (or `w:XmlFragment`) as a
/// [`FlatElement`] whose property texts borrow the page, anything else (EPR modes, replies read
/// by the full parser) as an owned [`EnumItem`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemView<'a> {
    /// An instance or fragment, read without building its tree.
    Flat(FlatElement<'a>),
    /// Any other item.
    Item(EnumItem),
}

/// An Enumerate request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnumerateRequest {
    /// `w:ResourceURI` (the `…/v2/*` URI for WQL).
    pub resource_uri: String,
    /// WQL query text for `w:Filter` (None: all instances of the resource URI's class).
    pub filter: Option<String>,
    /// Item kind.
    pub mode: EnumerationMode,
    /// Send `w:OptimizeEnumeration` (items in the first reply).
    pub optimize: bool,
    /// `w:MaxElements` (sent only with `optimize`).
    pub max_elements: u32,
}

impl EnumerateRequest {
    /// An optimized Enumerate of `resource_uri` with `filter`, MaxElements 32000.
    pub fn new(resource_uri: &str, filter: Option<&str>, mode: EnumerationMode) -> Self {
        EnumerateRequest {
            resource_uri: resource_uri.to_string(),
            filter: filter.map(str::to_string),
            mode,
            optimize: true,
            max_elements: super::DEFAULT_MAX_ELEMENTS,
        }
    }

    /// Build the request (children: OptimizeEnumeration, MaxElements, EnumerationMode, Filter).
    pub fn to_request(
        &self,
        s: &Settings,
        ids: &dyn MessageIdSource,
    ) -> Result<SoapRequest, SoapError> {
        let headers = s.headers(ACTION_ENUMERATE, &self.resource_uri, ids);
        build_request(&headers, |w| {
            w.start("n:Enumerate");
            if self.optimize {
                w.start("w:OptimizeEnumeration").end();
                w.leaf("w:MaxElements", &self.max_elements.to_string());
            }
            if let Some(mode) = self.mode.wire() {
                w.leaf("w:EnumerationMode", mode);
            }
            if let Some(q) = &self.filter {
                w.start("w:Filter")
                    .attr("Dialect", ns::WQL_DIALECT)
                    .text(q)
                    .end();
            }
            w.end();
            Ok(())
        })
    }
}

/// Build a Pull request for `context` (MaxElements is always sent).
pub fn pull_request(
    s: &Settings,
    ids: &dyn MessageIdSource,
    resource_uri: &str,
    context: &str,
    max_elements: u32,
) -> Result<SoapRequest, SoapError> {
    let headers = s.headers(ACTION_PULL, resource_uri, ids);
    build_request(&headers, |w| {
        w.start("n:Pull");
        w.leaf("n:EnumerationContext", context);
        w.leaf("n:MaxElements", &max_elements.to_string());
        w.end();
        Ok(())
    })
}

/// Build a Release request for `context`.
pub fn release_request(
    s: &Settings,
    ids: &dyn MessageIdSource,
    resource_uri: &str,
    context: &str,
) -> Result<SoapRequest, SoapError> {
    let headers = s.headers(ACTION_RELEASE, resource_uri, ids);
    build_request(&headers, |w| {
        w.start("n:Release")
            .leaf("n:EnumerationContext", context)
            .end();
        Ok(())
    })
}

fn is_items(e: &Element) -> bool {
    e.is(ns::WSMAN, "Items") || e.is(ns::ENUMERATION, "Items")
}

/// Visit the body depth-first without entering `Items`, collecting Items elements, the last
/// context and whether EndOfSequence occurs.
fn scan<'a>(
    el: &'a Element,
    items: &mut Vec<&'a Element>,
    ctx: &mut Option<String>,
    eos: &mut bool,
) {
    for c in el.elements() {
        if is_items(c) {
            items.push(c);
        } else if c.is(ns::WSMAN, "EndOfSequence") || c.is(ns::ENUMERATION, "EndOfSequence") {
            *eos = true;
        } else if c.is(ns::ENUMERATION, "EnumerationContext") {
            *ctx = Some(c.text_trim()).filter(|t| !t.is_empty());
        } else {
            scan(c, items, ctx, eos);
        }
    }
}

fn to_item(el: &Element) -> Result<EnumItem, SoapError> {
    into_item(el.clone())
}

fn into_item(el: Element) -> Result<EnumItem, SoapError> {
    if el.is(ns::ADDRESSING, "EndpointReference") {
        return Ok(EnumItem {
            instance: None,
            epr: Some(Epr::from_element(&el)?),
        });
    }
    if el.is(ns::WSMAN, "Item") {
        let epr = el
            .child(ns::ADDRESSING, "EndpointReference")
            .map(Epr::from_element)
            .transpose()?;
        let instance = el.children.into_iter().find_map(|c| match c {
            crate::xml::Node::Element(e) if !e.is(ns::ADDRESSING, "EndpointReference") => Some(e),
            _ => None,
        });
        return Ok(EnumItem { instance, epr });
    }
    Ok(EnumItem {
        instance: Some(el),
        epr: None,
    })
}

/// How a page ended: the context to pull with next and whether the sequence is over.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PageEnd {
    /// The most recent `n:EnumerationContext` (None when absent or empty).
    pub context: Option<String>,
    /// True when `EndOfSequence` was present.
    pub end_of_sequence: bool,
    /// How many items were handed out.
    pub items: usize,
}

fn is_eos(ns: Option<&str>, local: &str) -> bool {
    local == "EndOfSequence" && matches!(ns, Some(ns::WSMAN) | Some(ns::ENUMERATION))
}

/// Read an EnumerateResponse or PullResponse with a streaming pass: each item's element is
/// built and handed to `on_item` as it is read, never a tree of the whole page. Accepts what
/// [`parse_page`] accepts (any prefixes, default namespaces, `Items`/`EndOfSequence` in the
/// `w:` or `n:` namespace anywhere in the body); a reply whose Body holds a SOAP fault (or
/// whose root is not a SOAP envelope) is read by the full parser so that the error keeps every
/// detail. `limits` bound size, depth and attributes as for any parse. Items already handed
/// out stay handed out when a later part of the page turns out to be malformed: callers that
/// care collect the page first (as the client does).
pub fn for_each_item(
    status: u16,
    body: &str,
    limits: &Limits,
    on_item: &mut dyn FnMut(EnumItem) -> Result<(), SoapError>,
) -> Result<PageEnd, SoapError> {
    walk(status, body, limits, false, &mut |v| match v {
        ItemView::Item(i) => on_item(i),
        ItemView::Flat(_) => Err(SoapError::Missing("an owned item".into())),
    })
}

/// [`for_each_item`] handing out [`ItemView`]s: instances and fragments are read as
/// [`FlatElement`]s (text borrowed from `body`, no tree per item), which is what a listing
/// that turns each item into a row needs. Same acceptance, limits and fault handling.
pub fn for_each_view<'a>(
    status: u16,
    body: &'a str,
    limits: &Limits,
    on_item: &mut dyn FnMut(ItemView<'a>) -> Result<(), SoapError>,
) -> Result<PageEnd, SoapError> {
    walk(status, body, limits, true, on_item)
}

/// [`for_each_view`] collecting `map` of every item into a page.
pub fn parse_page_map<R>(
    status: u16,
    body: &str,
    limits: &Limits,
    map: &dyn Fn(ItemView<'_>) -> R,
) -> Result<Page<R>, SoapError> {
    collect(|push| for_each_view(status, body, limits, &mut |v| push(map(v))))
}

/// A page from a walk that hands its items to `push` one by one.
fn collect<T>(
    walk: impl FnOnce(&mut dyn FnMut(T) -> Result<(), SoapError>) -> Result<PageEnd, SoapError>,
) -> Result<Page<T>, SoapError> {
    let mut items = Vec::new();
    let end = walk(&mut |i| {
        items.push(i);
        Ok(())
    })?;
    Ok(Page {
        items,
        context: end.context,
        end_of_sequence: end.end_of_sequence,
    })
}

fn walk<'a>(
    status: u16,
    body: &'a str,
    limits: &Limits,
    flat: bool,
    on_item: &mut dyn FnMut(ItemView<'a>) -> Result<(), SoapError>,
) -> Result<PageEnd, SoapError> {
    let mut c = Cursor::new(body, limits)?;
    match c.next_token()? {
        Token::Start {
            ns: Some(n),
            local,
            empty: false,
        } if &*n == ns::SOAP && local == "Envelope" => {}
        _ => return slow_page(status, body, limits, on_item),
    }
    let mut end = PageEnd::default();
    let mut payload: Option<String> = None;
    let mut seen_body = false;
    loop {
        match c.next_token()? {
            Token::Start { ns, local, empty } => {
                if !seen_body && ns.as_deref() == Some(ns::SOAP) && local == "Body" {
                    seen_body = true;
                    if !empty && read_body(&mut c, &mut end, &mut payload, flat, on_item)? {
                        return slow_page(status, body, limits, on_item);
                    }
                } else {
                    c.skip()?;
                }
            }
            Token::Text(_) | Token::End => {}
            Token::Eof => break,
        }
    }
    if !seen_body {
        return Err(SoapError::NotSoap("envelope has no Body".into()));
    }
    let Some(payload) = payload else {
        return Err(SoapError::Missing(
            "enumeration response element in body".into(),
        ));
    };
    if end.items == 0 && end.context.is_none() && !end.end_of_sequence {
        return Err(SoapError::Missing(format!(
            "items, context or end of sequence in <{payload}>"
        )));
    }
    Ok(end)
}

/// Read the children of `s:Body` (the cursor is just inside it) up to its end tag. Returns true
/// when the Body holds a SOAP fault (the caller re-reads the reply with the full parser).
fn read_body<'a>(
    c: &mut Cursor<'a>,
    end: &mut PageEnd,
    payload: &mut Option<String>,
    flat: bool,
    on_item: &mut dyn FnMut(ItemView<'a>) -> Result<(), SoapError>,
) -> Result<bool, SoapError> {
    let inside = c.depth();
    loop {
        match c.next_token()? {
            Token::Start { ns, local, empty } => {
                let ns = ns.as_deref();
                if c.depth() - usize::from(!empty) == inside {
                    if ns == Some(ns::SOAP) && local == "Fault" {
                        return Ok(true);
                    }
                    if payload.is_none() {
                        *payload = Some(local.to_string());
                    }
                }
                let items =
                    local == "Items" && matches!(ns, Some(ns::WSMAN) | Some(ns::ENUMERATION));
                if items {
                    if !empty {
                        read_items(c, end, flat, on_item)?;
                    }
                } else if is_eos(ns, &local) {
                    end.end_of_sequence = true;
                    c.skip()?;
                } else if ns == Some(ns::ENUMERATION) && local == "EnumerationContext" {
                    end.context = Some(c.element()?.text_trim()).filter(|t| !t.is_empty());
                }
                // Any other element: its children follow and are scanned the same way.
            }
            Token::End if c.depth() < inside => return Ok(false),
            Token::End | Token::Text(_) => {}
            Token::Eof => {
                return Err(SoapError::Xml(crate::xml::XmlError::Malformed(
                    "unexpected end of document (unclosed elements)".into(),
                )));
            }
        }
    }
}

/// Hand out each child element of an `Items` element (the cursor is just inside it).
fn read_items<'a>(
    c: &mut Cursor<'a>,
    end: &mut PageEnd,
    flat: bool,
    on_item: &mut dyn FnMut(ItemView<'a>) -> Result<(), SoapError>,
) -> Result<(), SoapError> {
    loop {
        match c.next_token()? {
            Token::Start { ns, local, .. } => {
                let ns = ns.as_deref();
                // Local names first: the cheap test (most items are neither).
                let other = (local == "EndpointReference" && ns == Some(ns::ADDRESSING))
                    || (local == "Item" && ns == Some(ns::WSMAN));
                if flat && !other {
                    on_item(ItemView::Flat(c.flat_element()?))?;
                } else {
                    on_item(ItemView::Item(into_item(c.element()?)?))?;
                }
                end.items += 1;
            }
            Token::End => return Ok(()),
            Token::Text(_) => {}
            Token::Eof => {
                return Err(SoapError::Xml(crate::xml::XmlError::Malformed(
                    "unexpected end of document (unclosed elements)".into(),
                )));
            }
        }
    }
}

/// The full-tree reading of a page (faults and odd documents).
fn slow_page<'a>(
    status: u16,
    body: &str,
    limits: &Limits,
    on_item: &mut dyn FnMut(ItemView<'a>) -> Result<(), SoapError>,
) -> Result<PageEnd, SoapError> {
    let env = parse_response_with(status, body, limits)?;
    let page = page_from_envelope(&env)?;
    let items = page.items.len();
    for item in page.items {
        on_item(ItemView::Item(item))?;
    }
    Ok(PageEnd {
        context: page.context,
        end_of_sequence: page.end_of_sequence,
        items,
    })
}

/// [`for_each_item`] collecting the page.
pub fn parse_page_with(status: u16, body: &str, limits: &Limits) -> Result<Page, SoapError> {
    collect(|push| for_each_item(status, body, limits, push))
}

/// Parse an EnumerateResponse or PullResponse (a fault becomes [`SoapError::Fault`]).
pub fn parse_page(status: u16, body: &str) -> Result<Page, SoapError> {
    parse_page_with(status, body, &Limits::default())
}

/// Read a page out of an already parsed envelope.
pub fn page_from_envelope(env: &Envelope) -> Result<Page, SoapError> {
    let payload = env
        .payload()
        .ok_or_else(|| SoapError::Missing("enumeration response element in body".into()))?;
    let (mut items, mut context, mut eos) = (Vec::new(), None, false);
    scan(&env.body, &mut items, &mut context, &mut eos);
    if items.is_empty() && context.is_none() && !eos {
        return Err(SoapError::Missing(format!(
            "items, context or end of sequence in <{}>",
            payload.local
        )));
    }
    let items = items
        .into_iter()
        .flat_map(|i| i.elements())
        .map(to_item)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page {
        items,
        context,
        end_of_sequence: eos,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::soap::SequentialMessageIds;
    use crate::wsman::RequestHeaders;
    use crate::wsman::server::{PullBody, parse_enumerate, parse_pull, parse_release};

    const STAR: &str = "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/virtualization/v2/*";
    const CS: &str =
        "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/virtualization/v2/Msvm_ComputerSystem";
    const Q: &str = "SELECT * FROM Msvm_ComputerSystem WHERE ElementName = 'web01'";

    fn settings() -> Settings {
        Settings::new("http://hv01.example.test:5985/wsman")
    }

    fn names(p: &Page) -> Vec<String> {
        p.items
            .iter()
            .filter_map(|i| i.instance.as_ref()?.child_text(CS, "ElementName"))
            .collect()
    }

    #[test]
    fn views_agree_with_the_owned_page_on_every_fixture() {
        for body in [
            include_str!("../../fixtures/xml/enumerate_response_complete.xml"),
            include_str!("../../fixtures/xml/enumerate_response_complete_other_prefixes.xml"),
            include_str!("../../fixtures/xml/enumerate_response_epr.xml"),
            include_str!("../../fixtures/xml/enumerate_response_fragments.xml"),
            include_str!("../../fixtures/xml/enumerate_response_partial.xml"),
            include_str!("../../fixtures/xml/pull_response_final.xml"),
            include_str!("../../fixtures/xml/pull_response_object_and_epr.xml"),
        ] {
            let page = parse_page(200, body).unwrap();
            let mut views = Vec::new();
            let end = for_each_view(200, body, &Limits::default(), &mut |v| {
                views.push(v);
                Ok(())
            })
            .unwrap();
            assert_eq!(views.len(), page.items.len());
            assert_eq!(
                (end.context, end.end_of_sequence),
                (page.context.clone(), page.end_of_sequence)
            );
            for (v, item) in views.iter().zip(&page.items) {
                match v {
                    ItemView::Flat(f) => {
                        assert!(item.epr.is_none());
                        assert!(f.agrees_with(item.instance.as_ref().unwrap()), "{f:?}");
                    }
                    ItemView::Item(i) => assert_eq!(i, item),
                }
            }
            let mapped = parse_page_map(200, body, &Limits::default(), &|v| {
                matches!(v, ItemView::Flat(_))
            })
            .unwrap();
            assert_eq!(mapped.items.len(), page.items.len());
        }
        let fault = include_str!("../../fixtures/xml/fault_timed_out.xml");
        let e = for_each_view(500, fault, &Limits::default(), &mut |_| Ok(())).unwrap_err();
        assert!(matches!(e, SoapError::Fault(_)), "{e:?}");
    }

    #[test]
    fn builds_enumerate_like_e1() {
        let req = EnumerateRequest::new(STAR, Some(Q), EnumerationMode::Objects)
            .to_request(&settings(), &SequentialMessageIds::new())
            .unwrap();
        let ours = Envelope::parse(&req.body).unwrap();
        let fixture =
            Envelope::parse(include_str!("../../fixtures/xml/enumerate_request.xml")).unwrap();
        let mut h = RequestHeaders::parse(&ours).unwrap();
        h.message_id = "uuid:7D3E1F20-5A6B-4C7D-8E9F-0A1B2C3D4E5F".into();
        assert_eq!(h, RequestHeaders::parse(&fixture).unwrap());
        assert_eq!(
            parse_enumerate(&ours).unwrap(),
            parse_enumerate(&fixture).unwrap()
        );
        let b = parse_enumerate(&ours).unwrap();
        assert_eq!(b.filter.as_deref(), Some(Q));
        assert_eq!(b.dialect.as_deref(), Some(ns::WQL_DIALECT));
        assert!(b.optimize);
        assert_eq!(b.max_elements, Some(32000));
        assert!(ours.header.child(ns::WSMAN, "SelectorSet").is_none());
    }

    #[test]
    fn enumerate_modes_and_escaping() {
        let q = "SELECT * FROM X WHERE A <> 'a&b'";
        for mode in [
            EnumerationMode::Epr,
            EnumerationMode::ObjectAndEpr,
            EnumerationMode::Objects,
        ] {
            let req = EnumerateRequest::new(STAR, Some(q), mode)
                .to_request(&settings(), &SequentialMessageIds::new())
                .unwrap();
            assert!(req.body.contains("A &lt;&gt; 'a&amp;b'"));
            let b = parse_enumerate(&Envelope::parse(&req.body).unwrap()).unwrap();
            assert_eq!((b.mode, b.filter.as_deref()), (mode, Some(q)));
        }
    }

    #[test]
    fn pull_and_release_builders() {
        let ids = SequentialMessageIds::new();
        let req = pull_request(&settings(), &ids, STAR, "uuid:ctx", 32000).unwrap();
        assert_eq!(req.action, ACTION_PULL);
        let env = Envelope::parse(&req.body).unwrap();
        assert_eq!(
            parse_pull(&env).unwrap(),
            PullBody {
                context: "uuid:ctx".into(),
                max_elements: Some(32000)
            }
        );
        let req = release_request(&settings(), &ids, STAR, "uuid:ctx").unwrap();
        assert_eq!(
            parse_release(&Envelope::parse(&req.body).unwrap()).unwrap(),
            "uuid:ctx"
        );
        assert!(parse_release(&env).is_err());
    }

    #[test]
    fn pages_from_fixtures() {
        let done = parse_page(
            200,
            include_str!("../../fixtures/xml/enumerate_response_complete.xml"),
        )
        .unwrap();
        assert_eq!(
            (names(&done), done.context.clone(), done.end_of_sequence),
            (vec!["web01".to_string()], None, true)
        );
        let part = parse_page(
            200,
            include_str!("../../fixtures/xml/enumerate_response_partial.xml"),
        )
        .unwrap();
        assert_eq!(names(&part), ["web01", "db&cache"]);
        assert_eq!(
            part.context.as_deref(),
            Some("uuid:9A8B7C6D-5E4F-4321-8765-0FEDCBA98765")
        );
        assert!(!part.end_of_sequence);
        let last = parse_page(
            200,
            include_str!("../../fixtures/xml/pull_response_final.xml"),
        )
        .unwrap();
        assert_eq!(names(&last), ["build-agent", "o'brien", "test03"]);
        assert!(last.end_of_sequence && last.context.is_none());
    }

    /// Drop `xsi:type` (a QName value whose prefix legitimately differs; ignored per §14).
    fn strip_types(e: &mut Element) {
        e.attrs
            .retain(|a| !(a.local == "type" && a.ns.as_deref() == Some(ns::XSI)));
        for c in &mut e.children {
            if let crate::xml::Node::Element(c) = c {
                strip_types(c);
            }
        }
    }

    #[test]
    fn prefix_independence() {
        let a = parse_page(
            200,
            include_str!("../../fixtures/xml/enumerate_response_complete.xml"),
        )
        .unwrap();
        let mut b = parse_page(
            200,
            include_str!("../../fixtures/xml/enumerate_response_complete_other_prefixes.xml"),
        )
        .unwrap();
        assert_ne!(a, b, "xsi:type values differ by prefix");
        let mut a = a;
        for p in [&mut a, &mut b] {
            p.items
                .iter_mut()
                .filter_map(|i| i.instance.as_mut())
                .for_each(strip_types);
        }
        assert_eq!(a, b);
        let env = Envelope::parse(include_str!(
            "../../fixtures/xml/enumerate_response_complete_other_prefixes.xml"
        ))
        .unwrap();
        assert_eq!(
            env.relates_to().as_deref(),
            Some("uuid:7D3E1F20-5A6B-4C7D-8E9F-0A1B2C3D4E5F")
        );
        assert_eq!(
            env.action().as_deref(),
            Some(crate::wsman::ACTION_ENUMERATE_RESPONSE)
        );
    }

    #[test]
    fn epr_object_and_fragment_items() {
        let p = parse_page(
            200,
            include_str!("../../fixtures/xml/enumerate_response_epr.xml"),
        )
        .unwrap();
        let epr = p.items[0].epr.as_ref().unwrap();
        assert!(p.items[0].instance.is_none());
        assert_eq!(
            epr.selector("Name"),
            Some("5C9E2A17-3B4D-4F60-8A21-7D0E6B9C4F12")
        );
        assert_eq!(
            epr.selector("__cimnamespace"),
            Some("root/virtualization/v2")
        );
        let p = parse_page(
            200,
            include_str!("../../fixtures/xml/pull_response_object_and_epr.xml"),
        )
        .unwrap();
        assert_eq!(p.items.len(), 1);
        assert_eq!(
            p.items[0].instance.as_ref().unwrap().local,
            "Msvm_VirtualSystemManagementService"
        );
        assert_eq!(
            p.items[0].epr.as_ref().unwrap().selector("SystemName"),
            Some("HV01")
        );
        assert!(!p.end_of_sequence);
        let p = parse_page(
            200,
            include_str!("../../fixtures/xml/enumerate_response_fragments.xml"),
        )
        .unwrap();
        assert!(p.end_of_sequence);
        let frag = p.items[1].instance.as_ref().unwrap();
        assert!(frag.is(ns::WSMAN, "XmlFragment"));
        assert_eq!(frag.child_local("ElementName").unwrap().text(), "db01");
    }

    /// The full-tree reading, for comparison with the streaming reader.
    fn slow(status: u16, body: &str) -> Result<Page, SoapError> {
        let env = parse_response_with(status, body, &Limits::default())?;
        page_from_envelope(&env)
    }

    #[test]
    fn streaming_reader_matches_the_full_tree() {
        let docs = [
            include_str!("../../fixtures/xml/enumerate_response_complete.xml"),
            include_str!("../../fixtures/xml/enumerate_response_complete_other_prefixes.xml"),
            include_str!("../../fixtures/xml/enumerate_response_partial.xml"),
            include_str!("../../fixtures/xml/pull_response_final.xml"),
            include_str!("../../fixtures/xml/enumerate_response_epr.xml"),
            include_str!("../../fixtures/xml/pull_response_object_and_epr.xml"),
            include_str!("../../fixtures/xml/enumerate_response_fragments.xml"),
            include_str!("../../fixtures/xml/fault_timed_out.xml"),
            include_str!("../../fixtures/xml/get_job_response.xml"),
        ];
        for doc in docs {
            assert_eq!(parse_page(200, doc), slow(200, doc), "{doc}");
        }
        // Default namespaces everywhere, items before the context, xsi:nil under another
        // prefix, a Header after... nothing: odd but legal shapes.
        let doc = format!(
            r#"<Envelope xmlns="{soap}"><Header/><Body><PullResponse xmlns="{en}"><Items><Msvm_X xmlns="urn:x" xmlns:i="{xsi}"><A>1</A><B i:nil="true"/></Msvm_X></Items><EnumerationContext> uuid:C </EnumerationContext></PullResponse></Body></Envelope>"#,
            soap = ns::SOAP,
            en = ns::ENUMERATION,
            xsi = ns::XSI
        );
        let p = parse_page(200, &doc).unwrap();
        assert_eq!(p, slow(200, &doc).unwrap());
        let x = p.items[0].instance.as_ref().unwrap();
        assert!(x.is("urn:x", "Msvm_X"));
        assert!(x.child("urn:x", "B").unwrap().is_nil());
        assert_eq!(
            (p.context.as_deref(), p.end_of_sequence),
            (Some("uuid:C"), false)
        );
    }

    #[test]
    fn streaming_reader_enforces_limits_and_reports_items() {
        let doc = include_str!("../../fixtures/xml/pull_response_final.xml");
        let lim = Limits {
            max_depth: 4,
            ..Limits::default()
        };
        let e = parse_page_with(200, doc, &lim).unwrap_err().to_string();
        assert!(e.contains("--max-xml-depth"), "{e}");
        let mut seen = Vec::new();
        let end = for_each_item(200, doc, &Limits::default(), &mut |i| {
            seen.push(i);
            Ok(())
        })
        .unwrap();
        assert_eq!((end.items, seen.len(), end.end_of_sequence), (3, 3, true));
        let err = for_each_item(200, doc, &Limits::default(), &mut |_| {
            Err(SoapError::Missing("stop".into()))
        })
        .unwrap_err();
        assert_eq!(err, SoapError::Missing("stop".into()));
    }

    #[test]
    fn malformed_pages_are_errors() {
        let full = include_str!("../../fixtures/xml/enumerate_response_partial.xml");
        for cut in [10, full.len() / 2, full.len() - 3] {
            assert!(parse_page(200, &full[..cut]).is_err());
        }
        let get = include_str!("../../fixtures/xml/get_job_response.xml");
        assert!(matches!(parse_page(200, get), Err(SoapError::Missing(_))));
        let timed_out = include_str!("../../fixtures/xml/fault_timed_out.xml");
        assert!(
            parse_page(500, timed_out)
                .unwrap_err()
                .fault()
                .unwrap()
                .is_timed_out()
        );
        let huge = format!(
            r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><n:PullResponse xmlns:n="{}"><n:Items><x>{}</x></n:Items></n:PullResponse></s:Body></s:Envelope>"#,
            ns::ENUMERATION,
            "a".repeat(4_000_000)
        );
        let p = parse_page(200, &huge).unwrap();
        assert_eq!(
            p.items[0].instance.as_ref().unwrap().text().len(),
            4_000_000
        );
        assert!(!p.end_of_sequence);
    }
}
