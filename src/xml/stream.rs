//! A streaming, namespace-resolving cursor over a document: the skeleton of a large reply is
//! walked token by token and only the parts a caller asks for are built into [`Element`]s.
//!
//! [`Cursor::next_token`] returns start tags (resolved to namespace URI + local name, never a prefix),
//! end tags and text; right after a start tag, [`Cursor::element`] builds that element's whole
//! subtree (the same tree [`super::parse`] would build for it) and consumes it. This is how an
//! enumeration page is read item by item without a tree of the whole page. The [`Limits`] are
//! enforced exactly as by [`super::parse_with_limits`]: total size up front, nesting depth and
//! attributes per element as the input is read. Comments, processing instructions and the XML
//! declaration are skipped; a DOCTYPE is refused.

use std::borrow::Cow;

use quick_xml::NsReader;
use quick_xml::events::{BytesStart, BytesText, Event};
use quick_xml::name::ResolveResult;

use super::XmlError;
use super::read::{Element, Limits, Node, NsUri, start_element};

/// One step through a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token<'a> {
    /// A start tag (or an empty element, `empty` true: no matching [`Token::End`] follows).
    Start {
        /// Namespace URI (None when the element is in no namespace).
        ns: Option<NsUri>,
        /// Local name (borrowed from the document).
        local: Cow<'a, str>,
        /// True for `<x/>`.
        empty: bool,
    },
    /// An end tag.
    End,
    /// Text or CDATA inside the root element (unescaped).
    Text(Cow<'a, str>),
    /// The end of a complete document.
    Eof,
}

/// One child of a [`FlatElement`]: a property with its text borrowed from the document where
/// no entity had to be replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlatChild<'a> {
    /// Namespace URI (None when the element is in no namespace).
    pub ns: Option<NsUri>,
    /// Local name.
    pub local: Cow<'a, str>,
    /// The direct text children, concatenated and unescaped (what [`Element::text`] returns).
    pub text: Cow<'a, str>,
    /// True when the element carries `xsi:nil="true"` (or `"1"`), as [`Element::is_nil`].
    pub nil: bool,
    /// Nested child elements (datetime wrappers, embedded references), built in full.
    pub elements: Vec<Element>,
}

/// An element read by [`Cursor::flat_element`]: its name and its child elements as
/// [`FlatChild`]ren. Text directly inside it and the children's attributes other than `xsi:nil`
/// are not kept; everything is still checked as by a full parse (limits, namespace prefixes).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FlatElement<'a> {
    /// Namespace URI (None when the element is in no namespace).
    pub ns: Option<NsUri>,
    /// Local name.
    pub local: Cow<'a, str>,
    /// The child elements in document order.
    pub children: Vec<FlatChild<'a>>,
}

impl FlatElement<'_> {
    /// True when this is what a full parse of the same element keeps in the view: same name,
    /// and child by child the same name, text, nil flag and nested elements (tests and fuzzing).
    pub fn agrees_with(&self, el: &Element) -> bool {
        self.ns == el.ns
            && self.local == el.local
            && self.children.len() == el.elements().count()
            && self.children.iter().zip(el.elements()).all(|(f, e)| {
                f.ns == e.ns
                    && f.local == e.local
                    && f.text == e.text()
                    && f.nil == e.is_nil()
                    && f.elements.iter().eq(e.elements())
            })
    }
}

/// The local name of a start tag, borrowed from `input` when the reader did not copy it (the
/// reader over a `&str` never does; the position is found from the slice's address).
fn local_of<'a>(input: &'a str, s: &BytesStart<'_>) -> Result<Cow<'a, str>, XmlError> {
    let name = s.local_name();
    let bytes = name.as_ref();
    let off = (bytes.as_ptr() as usize).wrapping_sub(input.as_ptr() as usize);
    if let Some(b) = off
        .checked_add(bytes.len())
        .and_then(|end| input.get(off..end))
        .filter(|b| b.as_bytes() == bytes)
    {
        return Ok(Cow::Borrowed(b));
    }
    std::str::from_utf8(bytes)
        .map(|s| Cow::Owned(s.to_string()))
        .map_err(malformed)
}

/// `bytes` as the slice of `input` they are, when they are one (no UTF-8 check needed then).
fn slice_of<'a>(input: &'a str, bytes: &[u8]) -> Option<&'a str> {
    let off = (bytes.as_ptr() as usize).wrapping_sub(input.as_ptr() as usize);
    let end = off.checked_add(bytes.len())?;
    // Same address and length: the bytes are that part of `input` (an `as_bytes` view of a
    // `&str` slice cut at markup characters, so on character boundaries; `get` checks that).
    input
        .get(off..end)
        .filter(|s| s.as_ptr() == bytes.as_ptr() && s.len() == bytes.len())
}

/// A text node's content, unescaped as [`BytesText::unescape`] does, borrowed from `input`
/// without a second UTF-8 check when no entity is in it.
fn text_of<'a>(input: &'a str, t: &BytesText<'_>) -> Result<Cow<'a, str>, XmlError> {
    let bytes: &[u8] = t;
    match slice_of(input, bytes) {
        Some(s) if !s.as_bytes().contains(&b'&') => Ok(Cow::Borrowed(s)),
        Some(s) => quick_xml::escape::unescape(s).map_err(malformed),
        None => Ok(Cow::Owned(t.unescape().map_err(malformed)?.into_owned())),
    }
}

/// Check a start tag's attributes as [`start_element`] does (count limit, known prefixes,
/// well-formed values) and return whether it carries a true `xsi:nil`.
fn check_attrs(
    reader: &NsReader<&[u8]>,
    s: &BytesStart<'_>,
    limits: &Limits,
) -> Result<bool, XmlError> {
    if s.attributes_raw().iter().all(u8::is_ascii_whitespace) {
        return Ok(false);
    }
    let mut nil = None;
    let mut n = 0usize;
    for a in s.attributes() {
        let a = a.map_err(malformed)?;
        if a.key.as_namespace_binding().is_some() {
            continue;
        }
        if n >= limits.max_attributes {
            return Err(XmlError::Limit(format!(
                "more than {} attributes on one element (limit; raise it with --max-xml-attributes)",
                limits.max_attributes
            )));
        }
        n += 1;
        let (res, local) = reader.resolve_attribute(a.key);
        let is_xsi = match res {
            ResolveResult::Bound(ns) => ns.as_ref() == super::ns::XSI.as_bytes(),
            ResolveResult::Unbound => false,
            ResolveResult::Unknown(p) if p == b"xml" => false,
            ResolveResult::Unknown(p) => {
                return Err(XmlError::Malformed(format!(
                    "undeclared namespace prefix '{}'",
                    String::from_utf8_lossy(&p)
                )));
            }
        };
        let value = a.unescape_value().map_err(malformed)?;
        std::str::from_utf8(local.as_ref()).map_err(malformed)?;
        if is_xsi && local.as_ref() == b"nil" && nil.is_none() {
            nil = Some(matches!(value.trim(), "true" | "1"));
        }
    }
    Ok(nil.unwrap_or(false))
}

/// Append `text` to a borrowed-if-possible text.
fn append<'a>(to: &mut Cow<'a, str>, text: Cow<'a, str>) {
    if to.is_empty() {
        *to = text;
    } else {
        to.to_mut().push_str(&text);
    }
}

/// The namespace URIs met so far in a document, so that each element shares one copy.
#[derive(Default)]
pub(super) struct NsCache {
    seen: Vec<(Vec<u8>, NsUri)>,
}

/// Distinct URIs remembered per document (a hostile document with more just allocates).
const NS_CACHE_MAX: usize = 32;

impl NsCache {
    /// The shared URI for `bytes`.
    pub(super) fn uri(&mut self, bytes: &[u8]) -> Result<NsUri, XmlError> {
        if let Some((_, u)) = self.seen.iter().find(|(b, _)| b.as_slice() == bytes) {
            return Ok(u.clone());
        }
        let u: NsUri = std::str::from_utf8(bytes).map_err(malformed)?.into();
        if self.seen.len() < NS_CACHE_MAX {
            self.seen.push((bytes.to_vec(), u.clone()));
        }
        Ok(u)
    }

    fn resolve(&mut self, res: &ResolveResult<'_>) -> Result<Option<NsUri>, XmlError> {
        match res {
            ResolveResult::Bound(ns) => self.uri(ns.as_ref()).map(Some),
            ResolveResult::Unbound => Ok(None),
            ResolveResult::Unknown(p) => Err(XmlError::Malformed(format!(
                "undeclared namespace prefix '{}'",
                String::from_utf8_lossy(p)
            ))),
        }
    }
}

/// A streaming reader over one document (see the module docs).
pub struct Cursor<'a> {
    input: &'a str,
    reader: NsReader<&'a [u8]>,
    limits: Limits,
    depth: usize,
    root_seen: bool,
    pending: Option<(BytesStart<'a>, Option<NsUri>, bool)>,
    ns: NsCache,
    scratch: Vec<Node>,
}

pub(super) fn malformed(e: impl std::fmt::Display) -> XmlError {
    XmlError::Malformed(e.to_string())
}

pub(super) fn depth_error(limits: &Limits) -> XmlError {
    XmlError::Limit(format!(
        "element nesting deeper than {} (limit; raise it with --max-xml-depth)",
        limits.max_depth
    ))
}

/// Append text to the children that start at `mark` in `scratch` (merging adjacent text).
fn push_text(scratch: &mut Vec<Node>, mark: usize, text: &str) {
    if scratch.len() > mark
        && let Some(Node::Text(prev)) = scratch.last_mut()
    {
        prev.push_str(text);
        return;
    }
    scratch.push(Node::Text(text.to_string()));
}

impl<'a> Cursor<'a> {
    /// A cursor at the start of `input`; fails at once when it is larger than
    /// `limits.max_bytes`.
    pub fn new(input: &'a str, limits: &Limits) -> Result<Self, XmlError> {
        if input.len() > limits.max_bytes {
            return Err(XmlError::Limit(format!(
                "document of {} bytes exceeds the maximum of {} bytes",
                input.len(),
                limits.max_bytes
            )));
        }
        let mut reader = NsReader::from_str(input);
        reader.config_mut().trim_text(false);
        reader.config_mut().check_end_names = true;
        Ok(Cursor {
            input,
            reader,
            limits: *limits,
            depth: 0,
            root_seen: false,
            pending: None,
            ns: NsCache::default(),
            scratch: Vec::new(),
        })
    }

    /// Elements open around the current position (1 inside the root element).
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// The next token. Whitespace outside the root element is skipped; anything else there,
    /// a second root, unclosed elements at the end or a DOCTYPE is an error.
    pub fn next_token(&mut self) -> Result<Token<'a>, XmlError> {
        self.pending = None;
        loop {
            let (res, ev) = self.reader.read_resolved_event().map_err(malformed)?;
            match ev {
                Event::Start(_) | Event::Empty(_) if self.root_seen && self.depth == 0 => {
                    return Err(XmlError::Malformed("content after the root element".into()));
                }
                Event::Start(s) => {
                    let ns = self.ns.resolve(&res)?;
                    return self.start(s, ns, false);
                }
                Event::Empty(s) => {
                    let ns = self.ns.resolve(&res)?;
                    return self.start(s, ns, true);
                }
                Event::End(_) => {
                    self.depth = self
                        .depth
                        .checked_sub(1)
                        .ok_or_else(|| XmlError::Malformed("unexpected end tag".into()))?;
                    return Ok(Token::End);
                }
                Event::Text(t) => {
                    let text = text_of(self.input, &t)?;
                    if self.depth > 0 {
                        return Ok(Token::Text(text));
                    }
                    if !text.trim().is_empty() {
                        return Err(XmlError::Malformed("text outside the root element".into()));
                    }
                }
                Event::CData(c) => {
                    if self.depth == 0 {
                        return Err(XmlError::Malformed("cdata outside the root element".into()));
                    }
                    let text = match c.into_inner() {
                        Cow::Borrowed(b) => {
                            Cow::Borrowed(std::str::from_utf8(b).map_err(malformed)?)
                        }
                        Cow::Owned(b) => Cow::Owned(String::from_utf8(b).map_err(malformed)?),
                    };
                    return Ok(Token::Text(text));
                }
                Event::DocType(_) => {
                    return Err(XmlError::Malformed(
                        "document type declarations are not accepted".into(),
                    ));
                }
                Event::Eof => {
                    if self.depth > 0 {
                        return Err(XmlError::Malformed(
                            "unexpected end of document (unclosed elements)".into(),
                        ));
                    }
                    if !self.root_seen {
                        return Err(XmlError::NoRoot);
                    }
                    return Ok(Token::Eof);
                }
                _ => {}
            }
        }
    }

    fn start(
        &mut self,
        s: BytesStart<'a>,
        ns: Option<NsUri>,
        empty: bool,
    ) -> Result<Token<'a>, XmlError> {
        if self.depth >= self.limits.max_depth {
            return Err(depth_error(&self.limits));
        }
        self.root_seen = true;
        let local = local_of(self.input, &s)?;
        if !empty {
            self.depth += 1;
        }
        self.pending = Some((s, ns.clone(), empty));
        Ok(Token::Start { ns, local, empty })
    }

    /// Build the element whose start tag [`Cursor::next_token`] has just returned, with its whole
    /// subtree, and move past its end tag. Called at any other time it is an error.
    pub fn element(&mut self) -> Result<Element, XmlError> {
        let (start, ns, empty) = self
            .pending
            .take()
            .ok_or_else(|| XmlError::Malformed("no start tag to read an element from".into()))?;
        let root = start_element(&self.reader, &start, ns, &self.limits, &mut self.ns)?;
        if empty {
            return Ok(root);
        }
        // Children of every open element are collected in one scratch vector and moved into an
        // exactly sized `children` at the end tag: one allocation per element instead of one
        // per doubling.
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        let mut open: Vec<(Element, usize)> = Vec::with_capacity(8);
        open.push((root, 0));
        let result = loop {
            let (res, ev) = match self.reader.read_resolved_event() {
                Ok(x) => x,
                Err(e) => break Err(malformed(e)),
            };
            match ev {
                Event::Start(ref s) | Event::Empty(ref s) => {
                    let empty = matches!(ev, Event::Empty(_));
                    if self.depth >= self.limits.max_depth {
                        break Err(depth_error(&self.limits));
                    }
                    let el = match self.ns.resolve(&res).and_then(|ns| {
                        start_element(&self.reader, s, ns, &self.limits, &mut self.ns)
                    }) {
                        Ok(el) => el,
                        Err(e) => break Err(e),
                    };
                    if empty {
                        scratch.push(Node::Element(el));
                    } else {
                        self.depth += 1;
                        open.push((el, scratch.len()));
                    }
                }
                Event::End(_) => {
                    self.depth -= 1;
                    let Some((mut done, mark)) = open.pop() else {
                        break Err(XmlError::Malformed("unexpected end tag".into()));
                    };
                    done.children = scratch.drain(mark..).collect();
                    if open.is_empty() {
                        break Ok(done);
                    }
                    scratch.push(Node::Element(done));
                }
                Event::Text(t) => match t.unescape() {
                    Ok(text) => push_text(&mut scratch, open.last().map_or(0, |o| o.1), &text),
                    Err(e) => break Err(malformed(e)),
                },
                Event::CData(c) => {
                    let raw = c.into_inner();
                    match std::str::from_utf8(&raw) {
                        Ok(text) => push_text(&mut scratch, open.last().map_or(0, |o| o.1), text),
                        Err(e) => break Err(malformed(e)),
                    }
                }
                Event::DocType(_) => {
                    break Err(XmlError::Malformed(
                        "document type declarations are not accepted".into(),
                    ));
                }
                Event::Eof => {
                    break Err(XmlError::Malformed(
                        "unexpected end of document (unclosed elements)".into(),
                    ));
                }
                _ => {}
            }
        };
        scratch.clear();
        self.scratch = scratch;
        result
    }

    /// Read the element whose start tag [`Cursor::next_token`] has just returned as a
    /// [`FlatElement`] (its child elements with their text borrowed from the document where
    /// possible; grandchildren are built in full) and move past its end tag. This is the
    /// allocation-light reading of an enumeration item. Called at any other time it is an error.
    pub fn flat_element(&mut self) -> Result<FlatElement<'a>, XmlError> {
        let (start, ns, empty) = self
            .pending
            .take()
            .ok_or_else(|| XmlError::Malformed("no start tag to read an element from".into()))?;
        check_attrs(&self.reader, &start, &self.limits)?;
        let mut out = FlatElement {
            ns,
            local: local_of(self.input, &start)?,
            children: Vec::new(),
        };
        if empty {
            return Ok(out);
        }
        let mut in_child = false;
        loop {
            let (res, ev) = self.reader.read_resolved_event().map_err(malformed)?;
            let (s, empty) = match ev {
                Event::Start(s) => (s, false),
                Event::Empty(s) => (s, true),
                Event::End(_) => {
                    self.depth -= 1;
                    if in_child {
                        in_child = false;
                        continue;
                    }
                    return Ok(out);
                }
                Event::Text(t) => {
                    let text = text_of(self.input, &t)?;
                    if in_child && let Some(c) = out.children.last_mut() {
                        append(&mut c.text, text);
                    }
                    continue;
                }
                Event::CData(c) => {
                    let text = match c.into_inner() {
                        Cow::Borrowed(b) => {
                            Cow::Borrowed(std::str::from_utf8(b).map_err(malformed)?)
                        }
                        Cow::Owned(b) => Cow::Owned(String::from_utf8(b).map_err(malformed)?),
                    };
                    if in_child && let Some(c) = out.children.last_mut() {
                        append(&mut c.text, text);
                    }
                    continue;
                }
                Event::DocType(_) => {
                    return Err(XmlError::Malformed(
                        "document type declarations are not accepted".into(),
                    ));
                }
                Event::Eof => {
                    return Err(XmlError::Malformed(
                        "unexpected end of document (unclosed elements)".into(),
                    ));
                }
                _ => continue,
            };
            if self.depth >= self.limits.max_depth {
                return Err(depth_error(&self.limits));
            }
            let ns = self.ns.resolve(&res)?;
            if in_child {
                if !empty {
                    self.depth += 1;
                }
                self.pending = Some((s, ns, empty));
                let el = self.element()?;
                if let Some(c) = out.children.last_mut() {
                    c.elements.push(el);
                }
                continue;
            }
            let nil = check_attrs(&self.reader, &s, &self.limits)?;
            out.children.push(FlatChild {
                ns,
                local: local_of(self.input, &s)?,
                text: Cow::Borrowed(""),
                nil,
                elements: Vec::new(),
            });
            if !empty {
                self.depth += 1;
                in_child = true;
            }
        }
    }

    /// Skip the rest of the element whose start tag was just returned (nothing for `<x/>`).
    pub fn skip(&mut self) -> Result<(), XmlError> {
        let Some((_, _, empty)) = self.pending.take() else {
            return Err(XmlError::Malformed(
                "no start tag to skip an element from".into(),
            ));
        };
        if empty {
            return Ok(());
        }
        let target = self.depth - 1;
        while self.depth > target {
            if self.next_token()? == Token::Eof {
                return Err(XmlError::Malformed(
                    "unexpected end of document (unclosed elements)".into(),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"<?xml version="1.0"?><s:E xmlns:s="urn:s" xmlns="urn:d"><!-- c --><s:H><x>1</x></s:H><B><I a="1" s:b="2">t&amp;u<![CDATA[<v>]]><J/></I><I/></B></s:E>"#;

    fn start(ns: &str, local: &'static str, empty: bool) -> Token<'static> {
        Token::Start {
            ns: Some(ns.into()),
            local: local.into(),
            empty,
        }
    }

    #[test]
    fn walks_skips_and_builds_elements_like_parse() {
        let mut c = Cursor::new(DOC, &Limits::default()).unwrap();
        assert_eq!(c.next_token().unwrap(), start("urn:s", "E", false));
        assert_eq!(c.next_token().unwrap(), start("urn:s", "H", false));
        c.skip().unwrap();
        assert_eq!(c.depth(), 1);
        assert_eq!(c.next_token().unwrap(), start("urn:d", "B", false));
        assert_eq!(c.next_token().unwrap(), start("urn:d", "I", false));
        let i = c.element().unwrap();
        let whole = super::super::parse(DOC).unwrap();
        let b = whole.child("urn:d", "B").unwrap();
        assert_eq!(&i, b.child("urn:d", "I").unwrap());
        assert_eq!(i.text(), "t&u<v>");
        assert_eq!(i.attr(Some("urn:s"), "b"), Some("2"));
        assert_eq!(c.next_token().unwrap(), start("urn:d", "I", true));
        assert_eq!(c.element().unwrap().local, "I");
        assert!(c.element().is_err(), "only right after a start tag");
        assert_eq!(c.next_token().unwrap(), Token::End);
        assert_eq!(c.next_token().unwrap(), Token::End);
        assert_eq!(c.depth(), 0);
        assert_eq!(c.next_token().unwrap(), Token::Eof);
    }

    #[test]
    fn flat_elements_agree_with_parse_and_borrow_plain_text() {
        let doc = r#"<s:E xmlns:s="urn:s" xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns="urn:d"><B><I a="1"><N>web&amp;01</N> <M i:nil="true"/><D><c:Dt xmlns:c="urn:c">2024</c:Dt>x</D><T>a<![CDATA[<b>]]>c</T><P>plain</P></I></B><B/></s:E>"#;
        let whole = super::super::parse(doc).unwrap();
        let mut c = Cursor::new(doc, &Limits::default()).unwrap();
        c.next_token().unwrap();
        c.next_token().unwrap();
        c.next_token().unwrap();
        let f = c.flat_element().unwrap();
        let i = whole
            .child("urn:d", "B")
            .unwrap()
            .child("urn:d", "I")
            .unwrap();
        assert!(f.agrees_with(i), "{f:?}");
        let texts: Vec<&str> = f.children.iter().map(|c| c.text.as_ref()).collect();
        assert_eq!(texts, ["web&01", "", "x", "a<b>c", "plain"]);
        assert!(f.children[1].nil && !f.children[0].nil);
        assert!(matches!(f.children[4].text, Cow::Borrowed("plain")));
        assert!(matches!(f.local, Cow::Borrowed("I")));
        assert_eq!(f.children[2].elements[0].text(), "2024");
        assert_eq!(c.next_token().unwrap(), Token::End);
        assert_eq!(c.next_token().unwrap(), start("urn:d", "B", true));
        assert!(c.flat_element().unwrap().children.is_empty());
        assert!(c.flat_element().is_err(), "only right after a start tag");
        assert_eq!(c.next_token().unwrap(), Token::End);
        assert_eq!(c.next_token().unwrap(), Token::Eof);
        // A changed text or name no longer agrees.
        let mut other = f.clone();
        other.children[4].text = Cow::Borrowed("other");
        assert!(!other.agrees_with(i));
    }

    #[test]
    fn flat_elements_keep_the_limits() {
        let lim = Limits {
            max_depth: 3,
            ..Limits::default()
        };
        let mut c = Cursor::new("<a><b><c><d/></c></b></a>", &lim).unwrap();
        c.next_token().unwrap();
        c.next_token().unwrap();
        let e = c.flat_element().unwrap_err();
        assert!(e.to_string().contains("--max-xml-depth"), "{e}");
        let lim = Limits {
            max_attributes: 1,
            ..Limits::default()
        };
        let mut c = Cursor::new(r#"<a><b><c x="1" y="2"/></b></a>"#, &lim).unwrap();
        c.next_token().unwrap();
        c.next_token().unwrap();
        let e = c.flat_element().unwrap_err();
        assert!(e.to_string().contains("--max-xml-attributes"), "{e}");
        for bad in [
            r#"<a><b><c q:x="1"/></b></a>"#,
            "<a><b><c></d></b></a>",
            "<a><b><c>&bogus;</c></b></a>",
            "<a><b><c>",
        ] {
            let mut c = Cursor::new(bad, &Limits::default()).unwrap();
            c.next_token().unwrap();
            c.next_token().unwrap();
            assert!(c.flat_element().is_err(), "{bad}");
        }
    }

    #[test]
    fn errors_and_limits() {
        for bad in [
            "<a/><b/>",
            "<a>",
            "x<a/>",
            "",
            "<a></b>",
            "<!DOCTYPE a><a/>",
        ] {
            let mut c = Cursor::new(bad, &Limits::default()).unwrap();
            let r = (0..4).try_for_each(|_| c.next_token().map(|_| ()));
            assert!(r.is_err(), "{bad}");
        }
        let lim = Limits {
            max_depth: 2,
            ..Limits::default()
        };
        let mut c = Cursor::new("<a><b><c/></b></a>", &lim).unwrap();
        c.next_token().unwrap();
        c.next_token().unwrap();
        let e = c.element().unwrap_err();
        assert!(e.to_string().contains("--max-xml-depth"), "{e}");
        let lim = Limits {
            max_attributes: 1,
            ..Limits::default()
        };
        let mut c = Cursor::new(r#"<a><b x="1" y="2"/></a>"#, &lim).unwrap();
        c.next_token().unwrap();
        c.next_token().unwrap();
        let e = c.element().unwrap_err();
        assert!(e.to_string().contains("--max-xml-attributes"), "{e}");
        let lim = Limits {
            max_bytes: 3,
            ..Limits::default()
        };
        assert!(matches!(Cursor::new("<a/>", &lim), Err(XmlError::Limit(_))));
    }
}
