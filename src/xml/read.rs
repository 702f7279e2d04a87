//! A namespace-aware XML reader producing a small owned tree.
//!
//! Every element and attribute name is resolved to (namespace URI, local name) while parsing,
//! so lookups such as [`Element::child`] take a namespace URI and a local name and never see a
//! prefix. Comments, processing instructions and the XML declaration are dropped; text and
//! CDATA become [`Node::Text`] (CDATA content is taken literally, text is unescaped).
//!
//! Hostile input is bounded by [`Limits`]: total size, nesting depth, attributes per element.

use super::XmlError;
use super::stream::Token;

/// Bounds applied while parsing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Maximum input size in bytes.
    pub max_bytes: usize,
    /// Maximum element nesting depth.
    pub max_depth: usize,
    /// Maximum number of attributes on one element.
    pub max_attributes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 64 * 1024 * 1024,
            max_depth: 64,
            max_attributes: 64,
        }
    }
}

/// A namespace URI, shared by every element and attribute of a parse that is in it (cloning
/// is a reference-count increment, not a copy). Build one with `"urn:x".into()`.
pub type NsUri = std::sync::Arc<str>;

/// An attribute with its resolved namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    /// Namespace URI (None for unprefixed attributes).
    pub ns: Option<NsUri>,
    /// Local name.
    pub local: String,
    /// Unescaped value.
    pub value: String,
}

/// A child of an element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// A nested element.
    Element(Element),
    /// Character data (text or CDATA), unescaped.
    Text(String),
}

/// An element with resolved names, its attributes and children.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Element {
    /// Namespace URI (None when the element is in no namespace).
    pub ns: Option<NsUri>,
    /// Local name.
    pub local: String,
    /// Attributes in document order (namespace declarations excluded).
    pub attrs: Vec<Attribute>,
    /// Children in document order.
    pub children: Vec<Node>,
}

impl Element {
    /// True when this element is `{ns}local`.
    pub fn is(&self, ns: &str, local: &str) -> bool {
        self.local == local && self.ns.as_deref() == Some(ns)
    }

    /// The namespace URI, or "" when none.
    pub fn ns_str(&self) -> &str {
        self.ns.as_deref().unwrap_or("")
    }

    /// Child elements in document order.
    pub fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|n| match n {
            Node::Element(e) => Some(e),
            Node::Text(_) => None,
        })
    }

    /// The first child element `{ns}local`.
    pub fn child(&self, ns: &str, local: &str) -> Option<&Element> {
        self.elements().find(|e| e.is(ns, local))
    }

    /// All child elements `{ns}local`.
    pub fn children_named<'a>(
        &'a self,
        ns: &'a str,
        local: &'a str,
    ) -> impl Iterator<Item = &'a Element> + 'a {
        self.elements().filter(move |e| e.is(ns, local))
    }

    /// The first child element with this local name, in any namespace (for unqualified
    /// `w:XmlFragment` content, where WinRM emits names with no namespace).
    pub fn child_local(&self, local: &str) -> Option<&Element> {
        self.elements().find(|e| e.local == local)
    }

    /// Depth-first search (self included) for the first element `{ns}local`.
    pub fn find(&self, ns: &str, local: &str) -> Option<&Element> {
        if self.is(ns, local) {
            return Some(self);
        }
        self.elements().find_map(|e| e.find(ns, local))
    }

    /// The concatenated text of direct text children.
    pub fn text(&self) -> String {
        let mut s = String::new();
        for n in &self.children {
            if let Node::Text(t) = n {
                s.push_str(t);
            }
        }
        s
    }

    /// The text of direct text children, trimmed of XML whitespace.
    pub fn text_trim(&self) -> String {
        self.text().trim().to_string()
    }

    /// The text of child `{ns}local`, trimmed.
    pub fn child_text(&self, ns: &str, local: &str) -> Option<String> {
        self.child(ns, local).map(|e| e.text_trim())
    }

    /// The value of attribute `{ns}local` (ns None for unprefixed attributes).
    pub fn attr(&self, ns: Option<&str>, local: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|a| a.local == local && a.ns.as_deref() == ns)
            .map(|a| a.value.as_str())
    }

    /// True when the element carries `xsi:nil="true"`.
    pub fn is_nil(&self) -> bool {
        matches!(
            self.attr(Some(super::ns::XSI), "nil").map(str::trim),
            Some("true") | Some("1")
        )
    }
}

/// Parse a document with default limits; returns its root element.
pub fn parse(input: &str) -> Result<Element, XmlError> {
    parse_with_limits(input, &Limits::default())
}

/// Parse a document with the given limits; returns its root element.
pub fn parse_with_limits(input: &str, limits: &Limits) -> Result<Element, XmlError> {
    let mut cursor = super::stream::Cursor::new(input, limits)?;
    let root = loop {
        match cursor.next_token()? {
            Token::Start { .. } => break cursor.element()?,
            Token::Text(_) => {}
            Token::End => return Err(XmlError::Malformed("unexpected end tag".into())),
            Token::Eof => return Err(XmlError::NoRoot),
        }
    };
    loop {
        match cursor.next_token()? {
            Token::Eof => return Ok(root),
            Token::Text(_) => {}
            Token::Start { .. } | Token::End => {
                return Err(XmlError::Malformed("content after the root element".into()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_prefixes_and_default_namespace() {
        let a = parse(r#"<s:E xmlns:s="urn:a"><s:B x="1">t</s:B></s:E>"#).unwrap();
        let b = parse(r#"<E xmlns="urn:a"><B x="1">t</B></E>"#).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.child("urn:a", "B").unwrap().text(), "t");
        assert!(a.child("urn:b", "B").is_none());
    }

    #[test]
    fn cdata_and_entities_become_text() {
        let e = parse("<a>x &amp;<![CDATA[<y>&amp;]]></a>").unwrap();
        assert_eq!(e.text(), "x &<y>&amp;");
    }

    #[test]
    fn malformed_is_error() {
        for bad in [
            "", "<a>", "<a></b>", "<p:a/>", "<a/><b/>", "text", "<a x=1/>",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn depth_and_attribute_limits() {
        let deep = "<a>".repeat(100) + &"</a>".repeat(100);
        assert!(matches!(parse(&deep), Err(XmlError::Limit(_))));
        let lim = Limits {
            max_attributes: 2,
            ..Limits::default()
        };
        assert!(matches!(
            parse_with_limits(r#"<a x="1" y="2" z="3"/>"#, &lim),
            Err(XmlError::Limit(_))
        ));
        let lim = Limits {
            max_bytes: 4,
            ..Limits::default()
        };
        assert!(matches!(
            parse_with_limits("<abc/>", &lim),
            Err(XmlError::Limit(_))
        ));
    }

    #[test]
    fn xsi_nil() {
        let e =
            parse(r#"<a xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:nil="true"/>"#)
                .unwrap();
        assert!(e.is_nil());
    }
}
