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
//!
//! Tokens come from quick-xml's plain (namespace-unaware) reader; namespaces are resolved here.
//! Each start tag's attribute list is read once: checked (quoted values, whitespace between
//! attributes, no `<` in a value, no duplicate names), its `xmlns` declarations brought into a
//! scope stack that is left when the element ends (the reserved `xml`/`xmlns` rules of
//! Namespaces in XML apply), and its other attributes kept as slices of the document until an
//! element or the `xsi:nil` test needs them. A declared URI becomes a shared [`NsUri`] only when
//! a name resolves to it. The unit tests compare every name and attribute with quick-xml's own
//! `NsReader` on the XML fixtures.

use std::borrow::Cow;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, BytesText, Event};

use super::XmlError;
use super::read::{Attribute, Element, Limits, Node, NsUri};

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
    /// The shared URI for `s`.
    fn uri(&mut self, s: &str) -> NsUri {
        if let Some((_, u)) = self.seen.iter().find(|(b, _)| b.as_slice() == s.as_bytes()) {
            return u.clone();
        }
        let u: NsUri = s.into();
        if self.seen.len() < NS_CACHE_MAX {
            self.seen.push((s.as_bytes().to_vec(), u.clone()));
        }
        u
    }
}

/// One namespace declaration in scope: `prefix` (empty for the default namespace) bound to
/// `value` (empty: the default namespace undeclared, or a prefix unbound), made on an element
/// at nesting `level`; `uri` is the shared URI once something has been resolved to it.
struct Binding<'a> {
    prefix: &'a str,
    value: Cow<'a, str>,
    level: usize,
    uri: Option<NsUri>,
}

/// An attribute of the start tag just read that is not a namespace declaration: its qualified
/// name and its value as written (entities not yet replaced), both slices of the document.
#[derive(Clone, Copy)]
struct RawAttr<'a> {
    key: &'a str,
    value: &'a str,
}

/// Where a prefix leads: no namespace, a declaration in scope, or the built-in `xml` prefix.
enum Scope {
    NoNamespace,
    At(usize),
    Xml,
}

/// The namespace URI that may not be bound to any prefix (Namespaces in XML, section 3).
const XMLNS_URI: &str = "http://www.w3.org/2000/xmlns/";

/// XML whitespace.
fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// `name` split at its colon into (prefix, local name); a name with an empty prefix or local
/// part, or more than one colon, is not a qualified name (Namespaces in XML, section 4).
fn split_qname(name: &str) -> Result<(Option<&str>, &str), XmlError> {
    let (prefix, local) = match name.split_once(':') {
        Some((p, l)) => (Some(p), l),
        None => (None, name),
    };
    if local.is_empty() || local.contains(':') || prefix == Some("") {
        return Err(XmlError::Malformed(format!(
            "'{name}' is not a qualified name"
        )));
    }
    Ok((prefix, local))
}

/// An entity-replaced attribute value, borrowed when there is no `&` in it.
fn unescape_value(v: &str) -> Result<Cow<'_, str>, XmlError> {
    if v.as_bytes().contains(&b'&') {
        quick_xml::escape::unescape(v).map_err(malformed)
    } else {
        Ok(Cow::Borrowed(v))
    }
}

/// A streaming reader over one document (see the module docs).
pub struct Cursor<'a> {
    input: &'a str,
    reader: Reader<&'a [u8]>,
    limits: Limits,
    depth: usize,
    root_seen: bool,
    pending: Option<(BytesStart<'a>, Option<NsUri>, bool)>,
    ns: NsCache,
    /// Namespace declarations in scope, innermost last.
    scopes: Vec<Binding<'a>>,
    /// The other attributes of the last start tag read.
    attrs: Vec<RawAttr<'a>>,
    /// Every attribute name of the last start tag read (duplicate check).
    keys: Vec<&'a str>,
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
        let mut reader = Reader::from_str(input);
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
            scopes: Vec::new(),
            attrs: Vec::new(),
            keys: Vec::new(),
            scratch: Vec::new(),
        })
    }

    /// The next event, after leaving the namespace scopes of the elements that have ended (and
    /// of the empty element read last).
    fn read(&mut self) -> Result<Event<'a>, XmlError> {
        while self.scopes.last().is_some_and(|b| b.level > self.depth) {
            self.scopes.pop();
        }
        self.reader.read_event().map_err(malformed)
    }

    /// Take in a start tag read at the current depth: check its attributes (well-formed, unique,
    /// within the limit), bring its namespace declarations into scope, keep its other
    /// attributes for [`Cursor::attributes`] / [`Cursor::nil`], and resolve its name.
    fn open(&mut self, s: &BytesStart<'a>) -> Result<Option<NsUri>, XmlError> {
        self.attrs.clear();
        let raw = s.attributes_raw();
        if !raw.iter().all(|b| is_ws(*b)) {
            let raw = slice_of(self.input, raw)
                .ok_or_else(|| XmlError::Malformed("attributes outside the document".into()))?;
            self.scan_attributes(raw)?;
        }
        let name = slice_of(self.input, s.name().into_inner())
            .ok_or_else(|| XmlError::Malformed("element name outside the document".into()))?;
        let (prefix, _) = split_qname(name)?;
        let at = self.lookup(prefix, true)?;
        Ok(self.uri_of(at))
    }

    /// Read the attribute list of a start tag (everything after its name).
    fn scan_attributes(&mut self, raw: &'a str) -> Result<(), XmlError> {
        let b = raw.as_bytes();
        let level = self.depth + 1;
        self.keys.clear();
        let mut i = 0;
        loop {
            let before = i;
            while i < b.len() && is_ws(b[i]) {
                i += 1;
            }
            if i == b.len() {
                break;
            }
            if i == before {
                return Err(XmlError::Malformed(
                    "attributes must be separated by whitespace".into(),
                ));
            }
            let k = i;
            while i < b.len() && !is_ws(b[i]) && b[i] != b'=' {
                i += 1;
            }
            let key = &raw[k..i];
            if key
                .bytes()
                .any(|c| matches!(c, b'"' | b'\'' | b'<' | b'>' | b'&' | b'/'))
            {
                return Err(XmlError::Malformed(format!("bad attribute name '{key}'")));
            }
            while i < b.len() && is_ws(b[i]) {
                i += 1;
            }
            if b.get(i) != Some(&b'=') {
                return Err(XmlError::Malformed(format!(
                    "attribute '{key}' has no value"
                )));
            }
            i += 1;
            while i < b.len() && is_ws(b[i]) {
                i += 1;
            }
            let quote = match b.get(i) {
                Some(q @ (b'"' | b'\'')) => *q,
                _ => {
                    return Err(XmlError::Malformed(format!(
                        "value of attribute '{key}' is not quoted"
                    )));
                }
            };
            i += 1;
            let Some(len) = memchr::memchr(quote, &b[i..]) else {
                return Err(XmlError::Malformed(format!(
                    "value of attribute '{key}' is not closed"
                )));
            };
            let value = &raw[i..i + len];
            i += len + 1;
            if memchr::memchr(b'<', value.as_bytes()).is_some() {
                return Err(XmlError::Malformed(format!(
                    "'<' in the value of attribute '{key}'"
                )));
            }
            self.keys.push(key);
            let declared = match key.strip_prefix("xmlns") {
                Some("") => Some(""),
                Some(p) => p.strip_prefix(':'),
                None => None,
            };
            let Some(prefix) = declared else {
                if self.attrs.len() >= self.limits.max_attributes {
                    return Err(XmlError::Limit(format!(
                        "more than {} attributes on one element (limit; raise it with --max-xml-attributes)",
                        self.limits.max_attributes
                    )));
                }
                self.attrs.push(RawAttr { key, value });
                continue;
            };
            let value = unescape_value(value)?;
            match (prefix, value.as_ref()) {
                ("xml", v) if v == super::ns::XML => continue,
                ("xml", _) => {
                    return Err(XmlError::Malformed(
                        "the prefix 'xml' cannot be bound to another namespace".into(),
                    ));
                }
                ("xmlns", _) => {
                    return Err(XmlError::Malformed(
                        "the prefix 'xmlns' cannot be declared".into(),
                    ));
                }
                (_, v) if v == super::ns::XML || v == XMLNS_URI => {
                    return Err(XmlError::Malformed(format!(
                        "the namespace '{v}' cannot be bound to another prefix"
                    )));
                }
                (p, _) if p.is_empty() && key.len() > 5 => {
                    return Err(XmlError::Malformed("empty namespace prefix".into()));
                }
                _ => {}
            }
            self.scopes.push(Binding {
                prefix,
                value,
                level,
                uri: None,
            });
        }
        if self.keys.len() > 1 {
            let dup = if self.keys.len() <= 16 {
                self.keys
                    .iter()
                    .enumerate()
                    .find(|(n, k)| self.keys[..*n].contains(k))
                    .map(|(_, k)| *k)
            } else {
                self.keys.sort_unstable();
                self.keys.windows(2).find(|w| w[0] == w[1]).map(|w| w[0])
            };
            if let Some(k) = dup {
                return Err(XmlError::Malformed(format!("duplicate attribute '{k}'")));
            }
        }
        Ok(())
    }

    /// Where `prefix` leads in the current scope (`element`: an unprefixed name takes the
    /// default namespace; an unprefixed attribute is in no namespace).
    fn lookup(&self, prefix: Option<&str>, element: bool) -> Result<Scope, XmlError> {
        let want = match prefix {
            None if !element => return Ok(Scope::NoNamespace),
            None => "",
            Some(p) => p,
        };
        match self.scopes.iter().rposition(|b| b.prefix == want) {
            Some(i) if !self.scopes[i].value.is_empty() => Ok(Scope::At(i)),
            _ if want.is_empty() => Ok(Scope::NoNamespace),
            None if want == "xml" => Ok(Scope::Xml),
            _ => Err(XmlError::Malformed(format!(
                "undeclared namespace prefix '{want}'"
            ))),
        }
    }

    /// The shared URI of a [`Scope`].
    fn uri_of(&mut self, at: Scope) -> Option<NsUri> {
        match at {
            Scope::NoNamespace => None,
            Scope::Xml => Some(self.ns.uri(super::ns::XML)),
            Scope::At(i) => {
                let b = &mut self.scopes[i];
                if b.uri.is_none() {
                    b.uri = Some(self.ns.uri(&b.value));
                }
                b.uri.clone()
            }
        }
    }

    /// The URI of a namespace-resolved name, borrowed (no shared copy made).
    fn uri_str(&self, at: &Scope) -> Option<&str> {
        match at {
            Scope::At(i) => Some(&self.scopes[*i].value),
            Scope::Xml => Some(super::ns::XML),
            Scope::NoNamespace => None,
        }
    }

    /// The attributes kept by the last [`Cursor::open`], resolved and unescaped.
    fn attributes(&mut self) -> Result<Vec<Attribute>, XmlError> {
        let mut out = Vec::with_capacity(self.attrs.len());
        for i in 0..self.attrs.len() {
            let RawAttr { key, value } = self.attrs[i];
            let (prefix, local) = split_qname(key)?;
            let at = self.lookup(prefix, false)?;
            let ns = self.uri_of(at);
            out.push(Attribute {
                ns,
                local: local.to_string(),
                value: unescape_value(value)?.into_owned(),
            });
        }
        Ok(out)
    }

    /// Check the attributes kept by the last [`Cursor::open`] as [`Cursor::attributes`] does
    /// (prefixes declared, values well-formed) and tell whether they hold a true `xsi:nil`.
    fn nil(&self) -> Result<bool, XmlError> {
        let mut nil = None;
        for a in &self.attrs {
            let (prefix, local) = split_qname(a.key)?;
            let at = self.lookup(prefix, false)?;
            let value = unescape_value(a.value)?;
            if nil.is_none() && local == "nil" && self.uri_str(&at) == Some(super::ns::XSI) {
                nil = Some(matches!(value.trim(), "true" | "1"));
            }
        }
        Ok(nil.unwrap_or(false))
    }

    /// The element for a start tag taken in by [`Cursor::open`], without children.
    fn start_element(
        &mut self,
        s: &BytesStart<'a>,
        ns: Option<NsUri>,
    ) -> Result<Element, XmlError> {
        Ok(Element {
            ns,
            local: local_of(self.input, s)?.into_owned(),
            attrs: self.attributes()?,
            children: Vec::new(),
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
            match self.read()? {
                Event::Start(_) | Event::Empty(_) if self.root_seen && self.depth == 0 => {
                    return Err(XmlError::Malformed("content after the root element".into()));
                }
                Event::Start(s) => return self.start(s, false),
                Event::Empty(s) => return self.start(s, true),
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

    fn start(&mut self, s: BytesStart<'a>, empty: bool) -> Result<Token<'a>, XmlError> {
        if self.depth >= self.limits.max_depth {
            return Err(depth_error(&self.limits));
        }
        let ns = self.open(&s)?;
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
        let root = self.start_element(&start, ns)?;
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
            let ev = match self.read() {
                Ok(x) => x,
                Err(e) => break Err(e),
            };
            match ev {
                Event::Start(ref s) | Event::Empty(ref s) => {
                    let empty = matches!(ev, Event::Empty(_));
                    if self.depth >= self.limits.max_depth {
                        break Err(depth_error(&self.limits));
                    }
                    let el = match self.open(s).and_then(|ns| self.start_element(s, ns)) {
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
        self.nil()?;
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
            let (s, empty) = match self.read()? {
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
            let ns = self.open(&s)?;
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
            let nil = self.nil()?;
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
        // Attributes are checked as the start tag is read, skipped or not.
        let mut c = Cursor::new(r#"<a><b x="1" y="2"/></a>"#, &lim).unwrap();
        c.next_token().unwrap();
        let e = c.next_token().unwrap_err();
        assert!(e.to_string().contains("--max-xml-attributes"), "{e}");
        let mut c = Cursor::new(r#"<a><b><c x="1" y="2"/></b></a>"#, &lim).unwrap();
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

    /// Every start tag of `doc` as (namespace URI, local name, sorted (ns, local, value)
    /// attributes), read by our cursor.
    type Names = Vec<(
        Option<String>,
        String,
        Vec<(Option<String>, String, String)>,
    )>;

    fn ours(doc: &str) -> Result<Names, XmlError> {
        fn walk(e: &Element, out: &mut Names) {
            let mut attrs: Vec<_> = e
                .attrs
                .iter()
                .map(|a| {
                    (
                        a.ns.as_deref().map(String::from),
                        a.local.clone(),
                        a.value.clone(),
                    )
                })
                .collect();
            attrs.sort();
            out.push((e.ns.as_deref().map(String::from), e.local.clone(), attrs));
            for c in e.elements() {
                walk(c, out);
            }
        }
        let mut out = Vec::new();
        walk(&super::super::parse(doc)?, &mut out);
        Ok(out)
    }

    /// The same read by quick-xml's own namespace reader (an independent implementation).
    fn theirs(doc: &str) -> Names {
        use quick_xml::name::ResolveResult;
        let mut r = quick_xml::NsReader::from_str(doc);
        let mut out = Vec::new();
        let uri = |res: ResolveResult<'_>| match res {
            ResolveResult::Bound(n) => Some(String::from_utf8(n.0.to_vec()).unwrap()),
            ResolveResult::Unbound => None,
            ResolveResult::Unknown(p) => panic!("unknown prefix {p:?} in {doc}"),
        };
        loop {
            let (res, ev) = r.read_resolved_event().unwrap();
            let ns = uri(res);
            match ev {
                Event::Start(s) | Event::Empty(s) => {
                    let mut attrs = Vec::new();
                    for a in s.attributes() {
                        let a = a.unwrap();
                        if a.key.as_namespace_binding().is_some() {
                            continue;
                        }
                        let (res, local) = r.resolve_attribute(a.key);
                        let value = a.unescape_value().unwrap().into_owned();
                        let local = String::from_utf8(local.as_ref().to_vec()).unwrap();
                        attrs.push((uri(res), local, value));
                    }
                    attrs.sort();
                    let local = String::from_utf8(s.local_name().as_ref().to_vec()).unwrap();
                    out.push((ns, local, attrs));
                }
                Event::Eof => return out,
                _ => {}
            }
        }
    }

    #[test]
    fn names_agree_with_quick_xml_namespace_reader() {
        let mut docs: Vec<String> = vec![
            DOC.to_string(),
            r#"<a xmlns="urn:d" xmlns:p="urn:p"><b xmlns=""><c/><p:c/></b><p:d xmlns:p="urn:q" p:x="1"><e/></p:d><p:f/></a>"#.into(),
            r#"<p:a q:x="1" xmlns:q="urn:q" xmlns:p="urn:p" y='&lt;2&gt;'><q:b/></p:a>"#.into(),
            r#"<a><b xmlns:p="urn:p"/><p:c xmlns:p="urn:other"/><d xml:lang="en"/></a>"#.into(),
            "<a \t x = \"1\"\n y='2'/>".into(),
        ];
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/xml");
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "xml") {
                docs.push(std::fs::read_to_string(p).unwrap());
            }
        }
        assert!(docs.len() > 15, "fixtures found");
        for d in &docs {
            let theirs = theirs(d);
            assert_eq!(ours(d).unwrap(), theirs, "{d}");
            assert!(!theirs.is_empty());
        }
        // xml: is the XML namespace without a declaration.
        let xml = ours(r#"<a xml:lang="en"/>"#).unwrap();
        assert_eq!(xml[0].2[0].0.as_deref(), Some(super::super::ns::XML));
    }

    #[test]
    fn namespace_and_attribute_errors() {
        for bad in [
            r#"<a xmlns:p="urn:p"><p:b xmlns:p=""/></a>"#,
            r#"<a><b xmlns:p="urn:p"/><p:c/></a>"#,
            r#"<a xmlns:xmlns="urn:x"/>"#,
            r#"<a xmlns:xml="urn:x"/>"#,
            r#"<a xmlns:p="http://www.w3.org/XML/1998/namespace"/>"#,
            r#"<a xmlns:p="http://www.w3.org/2000/xmlns/"/>"#,
            r#"<a xmlns:="urn:x"/>"#,
            r#"<xmlns:a/>"#,
            r#"<a x="1" x="2"/>"#,
            r#"<a xmlns:p="urn:p" xmlns:p="urn:q"/>"#,
            r#"<a x="1"y="2"/>"#,
            r#"<a x="1<"/>"#,
            r#"<a x=1/>"#,
            r#"<a x/>"#,
            r#"<a x="1/>"#,
            r#"<a x="&bogus;"/>"#,
            r#"<a "x"="1"/>"#,
            "<a><:b/></a>",
            "<a><p:/></a>",
            r#"<a xmlns:p="urn:p"><p:b:c/></a>"#,
            r#"<a :x="1"/>"#,
            r#"<a xmlns:p="urn:p" p:="1"/>"#,
        ] {
            assert!(super::super::parse(bad).is_err(), "{bad}");
        }
        // A duplicate among many attributes (the sorted check).
        let many: String = (0..20).map(|i| format!(" a{i}=\"{i}\"")).collect();
        assert!(super::super::parse(&format!("<a{many}/>")).is_ok());
        assert!(super::super::parse(&format!("<a{many} a7=\"x\"/>")).is_err());
        // Declaring xml: to its own namespace is allowed.
        let ok = r#"<a xmlns:xml="http://www.w3.org/XML/1998/namespace" xml:lang="en"/>"#;
        assert!(super::super::parse(ok).is_ok());
    }
}
