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

use quick_xml::NsReader;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;

use super::XmlError;
use super::read::{Element, Limits, Node, NsUri, start_element};

/// One step through a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    /// A start tag (or an empty element, `empty` true: no matching [`Token::End`] follows).
    Start {
        /// Namespace URI (None when the element is in no namespace).
        ns: Option<NsUri>,
        /// Local name.
        local: String,
        /// True for `<x/>`.
        empty: bool,
    },
    /// An end tag.
    End,
    /// Text or CDATA inside the root element (unescaped).
    Text(String),
    /// The end of a complete document.
    Eof,
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
    pub fn next_token(&mut self) -> Result<Token, XmlError> {
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
                    let text = t.unescape().map_err(malformed)?;
                    if self.depth > 0 {
                        return Ok(Token::Text(text.into_owned()));
                    }
                    if !text.trim().is_empty() {
                        return Err(XmlError::Malformed("text outside the root element".into()));
                    }
                }
                Event::CData(c) => {
                    if self.depth == 0 {
                        return Err(XmlError::Malformed("cdata outside the root element".into()));
                    }
                    let raw = c.into_inner();
                    let text = std::str::from_utf8(&raw).map_err(malformed)?;
                    return Ok(Token::Text(text.to_string()));
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
    ) -> Result<Token, XmlError> {
        if self.depth >= self.limits.max_depth {
            return Err(depth_error(&self.limits));
        }
        self.root_seen = true;
        let local = std::str::from_utf8(s.local_name().as_ref())
            .map_err(malformed)?
            .to_string();
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

    fn start(ns: &str, local: &str, empty: bool) -> Token {
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
