//! An escaping XML writer.
//!
//! Element and attribute *names* are qualified names chosen by our code (`"s:Envelope"`);
//! every *value* passes through escaping. A character that XML 1.0 forbids (most C0 controls,
//! U+FFFE, U+FFFF) makes [`XmlWriter::finish`] fail with [`XmlError::ForbiddenChar`] instead of
//! producing a document no parser would accept. Calls chain; the first error is kept and
//! reported by `finish`.

use std::borrow::Cow;

use super::XmlError;

/// Builds an XML document into a `String`.
#[derive(Debug, Default)]
pub struct XmlWriter {
    buf: String,
    stack: Vec<Cow<'static, str>>,
    open: bool,
    error: Option<XmlError>,
}

/// True for characters allowed by the XML 1.0 `Char` production.
pub fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Check that a string can be written as XML character data.
pub fn check_text(s: &str) -> Result<(), XmlError> {
    // Printable ASCII plus tab, LF and CR: the common case, decided without decoding.
    if s.bytes()
        .all(|b| (0x20..0x80).contains(&b) || matches!(b, b'\t' | b'\n' | b'\r'))
    {
        return Ok(());
    }
    match s.chars().find(|&c| !is_xml_char(c)) {
        Some(c) => Err(XmlError::ForbiddenChar(c as u32)),
        None => Ok(()),
    }
}

/// Escape `s` as element text (`&`, `<`, `>`, and CR so it survives line-end normalization).
pub fn escape_text(s: &str, out: &mut String) {
    escape_with(s, out, |b| match b {
        b'&' => Some("&amp;"),
        b'<' => Some("&lt;"),
        b'>' => Some("&gt;"),
        b'\r' => Some("&#xD;"),
        _ => None,
    })
}

/// Escape `s` as a double-quoted attribute value.
pub fn escape_attr(s: &str, out: &mut String) {
    escape_with(s, out, |b| match b {
        b'&' => Some("&amp;"),
        b'<' => Some("&lt;"),
        b'>' => Some("&gt;"),
        b'"' => Some("&quot;"),
        b'\'' => Some("&apos;"),
        b'\t' => Some("&#x9;"),
        b'\n' => Some("&#xA;"),
        b'\r' => Some("&#xD;"),
        _ => None,
    })
}

/// Copy `s` to `out` in runs, replacing the (ASCII) bytes `rep` names: every replaced byte is
/// ASCII, so each run ends on a character boundary.
fn escape_with(s: &str, out: &mut String, rep: impl Fn(u8) -> Option<&'static str>) {
    let mut last = 0;
    for (i, b) in s.bytes().enumerate() {
        if let Some(r) = rep(b) {
            out.push_str(&s[last..i]);
            out.push_str(r);
            last = i + 1;
        }
    }
    out.push_str(&s[last..]);
}

impl XmlWriter {
    /// An empty writer.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty writer with capacity.
    pub fn with_capacity(n: usize) -> Self {
        XmlWriter {
            buf: String::with_capacity(n),
            ..Self::default()
        }
    }

    fn close_open(&mut self) {
        if self.open {
            self.buf.push('>');
            self.open = false;
        }
    }

    fn record(&mut self, r: Result<(), XmlError>) {
        if let (Err(e), None) = (r, &self.error) {
            self.error = Some(e);
        }
    }

    /// Open element `qname` (a qualified name such as `"s:Envelope"`; names are chosen by our
    /// code or validated by the caller, never taken raw from user input).
    pub fn start(&mut self, qname: impl Into<Cow<'static, str>>) -> &mut Self {
        let qname = qname.into();
        self.close_open();
        self.buf.push('<');
        self.buf.push_str(&qname);
        self.stack.push(qname);
        self.open = true;
        self
    }

    /// Add an attribute to the element just opened.
    pub fn attr(&mut self, qname: &str, value: &str) -> &mut Self {
        if !self.open {
            self.record(Err(XmlError::Malformed(format!(
                "attribute {qname} written outside a start tag"
            ))));
            return self;
        }
        self.record(check_text(value));
        self.buf.push(' ');
        self.buf.push_str(qname);
        self.buf.push_str("=\"");
        escape_attr(value, &mut self.buf);
        self.buf.push('"');
        self
    }

    /// Write escaped character data.
    pub fn text(&mut self, s: &str) -> &mut Self {
        self.record(check_text(s));
        self.close_open();
        escape_text(s, &mut self.buf);
        self
    }

    /// Close the innermost open element (self-closing when it has no content).
    pub fn end(&mut self) -> &mut Self {
        match self.stack.pop() {
            Some(q) => {
                if self.open {
                    self.buf.push_str("/>");
                    self.open = false;
                } else {
                    self.buf.push_str("</");
                    self.buf.push_str(&q);
                    self.buf.push('>');
                }
            }
            None => self.record(Err(XmlError::Malformed("end() without start()".into()))),
        }
        self
    }

    /// `<qname>text</qname>`.
    pub fn leaf(&mut self, qname: impl Into<Cow<'static, str>>, text: &str) -> &mut Self {
        self.start(qname).text(text).end()
    }

    /// Insert an already well-formed fragment produced by another `XmlWriter`.
    pub fn raw_fragment(&mut self, fragment: &str) -> &mut Self {
        self.close_open();
        self.buf.push_str(fragment);
        self
    }

    /// Finish: all elements must be closed; returns the document or the first error.
    pub fn finish(mut self) -> Result<String, XmlError> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        if !self.stack.is_empty() {
            return Err(XmlError::Malformed(format!(
                "unclosed element {}",
                self.stack.last().map(|q| q.as_ref()).unwrap_or_default()
            )));
        }
        Ok(self.buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_escaping_matches_char_by_char() {
        let s = "é<a href='x'>\t\"&\r\n</a>ü€𝄞>";
        let mut t = String::new();
        escape_text(s, &mut t);
        assert_eq!(t, "é&lt;a href='x'&gt;\t\"&amp;&#xD;\n&lt;/a&gt;ü€𝄞&gt;");
        let mut a = String::new();
        escape_attr(s, &mut a);
        assert_eq!(
            a,
            "é&lt;a href=&apos;x&apos;&gt;&#x9;&quot;&amp;&#xD;&#xA;&lt;/a&gt;ü€𝄞&gt;"
        );
        assert!(check_text(s).is_ok() && check_text("ok\u{7f}").is_ok());
        assert!(check_text("a\u{1}").is_err() && check_text("é\u{FFFE}").is_err());
    }
    use proptest::prelude::*;

    #[test]
    fn escapes_text_and_attributes() {
        let mut w = XmlWriter::new();
        w.start("a").attr("v", "x\"'<&>\n").text("<&>]]>").end();
        let s = w.finish().unwrap();
        assert_eq!(
            s,
            "<a v=\"x&quot;&apos;&lt;&amp;&gt;&#xA;\">&lt;&amp;&gt;]]&gt;</a>"
        );
    }

    #[test]
    fn forbidden_char_is_error() {
        let mut w = XmlWriter::new();
        w.start("a").text("x\u{1}y").end();
        assert_eq!(w.finish(), Err(XmlError::ForbiddenChar(1)));
    }

    #[test]
    fn unclosed_is_error() {
        let mut w = XmlWriter::new();
        w.start("a");
        assert!(w.finish().is_err());
    }

    proptest! {
        #[test]
        fn text_and_attr_round_trip(s in any::<String>()) {
            let mut w = XmlWriter::new();
            w.start("r").attr("v", &s).text(&s).end();
            match w.finish() {
                Ok(doc) => {
                    let e = crate::xml::parse(&doc).unwrap();
                    prop_assert_eq!(e.text(), s.clone());
                    prop_assert_eq!(e.attr(None, "v"), Some(s.as_str()));
                }
                Err(XmlError::ForbiddenChar(c)) => {
                    prop_assert!(s.chars().any(|x| x as u32 == c && !is_xml_char(x)));
                }
                Err(e) => prop_assert!(false, "unexpected {e}"),
            }
        }
    }
}
