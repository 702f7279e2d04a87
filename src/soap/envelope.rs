//! SOAP 1.2 envelopes: parse a received one into header and body; write requests and responses
//! (SOAP 1.2 part 1 §5; WS-Addressing 2004/08 message headers; hyperv-wsman.md §3, §19).
//!
//! Requests declare `s`, `a`, `w`, `n` and `p` (= MS-WSMV) on the Envelope, as the Windows client
//! does; the WS-Man headers themselves are written by `wsman::header`. Responses (for the
//! simulated host) carry `xml:lang`, Action, MessageID, To (anonymous) and RelatesTo.
//! What this module does not do: interpret bodies (see `wsman`) or faults (see [`super::fault`]).

use super::SoapError;
use super::fault::Fault;
use crate::xml::{self, Element, XmlWriter, ns};

/// A parsed SOAP 1.2 envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// `s:Header` (an empty element when the envelope has none).
    pub header: Element,
    /// `s:Body`.
    pub body: Element,
}

impl Envelope {
    /// Parse a SOAP 1.2 envelope. Wrong root, a missing Body or malformed XML are errors.
    pub fn parse(input: &str) -> Result<Envelope, SoapError> {
        let root = xml::parse(input)?;
        Self::from_element(root)
    }

    /// Split an already parsed root element into header and body.
    pub fn from_element(root: Element) -> Result<Envelope, SoapError> {
        if !root.is(ns::SOAP, "Envelope") {
            return Err(SoapError::NotSoap(format!(
                "root element is {{{}}}{}, expected a soap 1.2 Envelope",
                root.ns_str(),
                root.local
            )));
        }
        let mut header = None;
        let mut body = None;
        for child in root.children.into_iter() {
            if let xml::Node::Element(e) = child {
                if e.is(ns::SOAP, "Header") && header.is_none() {
                    header = Some(e);
                } else if e.is(ns::SOAP, "Body") && body.is_none() {
                    body = Some(e);
                }
            }
        }
        let body = body.ok_or_else(|| SoapError::NotSoap("envelope has no Body".into()))?;
        let header = header.unwrap_or_else(|| Element {
            ns: Some(ns::SOAP.into()),
            local: "Header".into(),
            ..Element::default()
        });
        Ok(Envelope { header, body })
    }

    fn header_text(&self, ns: &str, local: &str) -> Option<String> {
        self.header.child_text(ns, local)
    }

    /// `a:Action`, trimmed.
    pub fn action(&self) -> Option<String> {
        self.header_text(ns::ADDRESSING, "Action")
    }

    /// `a:MessageID`, trimmed.
    pub fn message_id(&self) -> Option<String> {
        self.header_text(ns::ADDRESSING, "MessageID")
    }

    /// `a:RelatesTo`, trimmed.
    pub fn relates_to(&self) -> Option<String> {
        self.header_text(ns::ADDRESSING, "RelatesTo")
    }

    /// `a:To`, trimmed.
    pub fn to(&self) -> Option<String> {
        self.header_text(ns::ADDRESSING, "To")
    }

    /// The first element inside the Body (None for an empty Body).
    pub fn payload(&self) -> Option<&Element> {
        self.body.elements().next()
    }

    /// The `s:Fault` in the Body, when there is one.
    pub fn fault_element(&self) -> Option<&Element> {
        self.body.child(ns::SOAP, "Fault")
    }

    /// Fail with [`SoapError::Fault`] when the Body carries a fault (`http_status` is recorded
    /// in it); Ok otherwise.
    pub fn check_fault(&self, http_status: u16) -> Result<(), SoapError> {
        match self.fault_element() {
            Some(f) => {
                let mut fault = Fault::from_element(f)?;
                fault.http_status = http_status;
                Err(SoapError::Fault(Box::new(fault)))
            }
            None => Ok(()),
        }
    }
}

/// Open `s:Envelope` with the namespace declarations every hvremote message uses.
pub fn start_envelope(w: &mut XmlWriter, lang: Option<&str>) {
    w.start("s:Envelope");
    if let Some(lang) = lang {
        w.attr("xml:lang", lang);
    }
    w.attr("xmlns:s", ns::SOAP)
        .attr("xmlns:a", ns::ADDRESSING)
        .attr("xmlns:w", ns::WSMAN)
        .attr("xmlns:n", ns::ENUMERATION)
        .attr("xmlns:p", ns::MSWSMAN);
}

/// Build a complete envelope: `header` writes the children of `s:Header`, `body` those of
/// `s:Body`.
pub fn write_envelope(
    lang: Option<&str>,
    header: impl FnOnce(&mut XmlWriter),
    body: impl FnOnce(&mut XmlWriter) -> Result<(), SoapError>,
) -> Result<String, SoapError> {
    let mut w = XmlWriter::with_capacity(2048);
    start_envelope(&mut w, lang);
    w.start("s:Header");
    header(&mut w);
    w.end();
    w.start("s:Body");
    body(&mut w)?;
    w.end();
    w.end();
    Ok(w.finish()?)
}

/// Writes response envelopes (server side, used by the simulated host).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseBuilder {
    /// `a:Action` of the response.
    pub action: String,
    /// `a:MessageID` of the response.
    pub message_id: String,
    /// `a:RelatesTo`: the request's MessageID.
    pub relates_to: Option<String>,
    /// `xml:lang` on the Envelope (Windows sends `en-US`).
    pub lang: String,
}

impl ResponseBuilder {
    /// A builder for a response with `action`, its own `message_id`, relating to `relates_to`.
    pub fn new(action: &str, message_id: &str, relates_to: Option<&str>) -> Self {
        ResponseBuilder {
            action: action.to_string(),
            message_id: message_id.to_string(),
            relates_to: relates_to.map(str::to_string),
            lang: "en-US".to_string(),
        }
    }

    /// Write the envelope; `body` writes the children of `s:Body`.
    pub fn build(
        &self,
        body: impl FnOnce(&mut XmlWriter) -> Result<(), SoapError>,
    ) -> Result<String, SoapError> {
        write_envelope(
            Some(&self.lang),
            |w| {
                w.leaf("a:Action", &self.action);
                w.leaf("a:MessageID", &self.message_id);
                w.leaf("a:To", ns::ANONYMOUS);
                if let Some(r) = &self.relates_to {
                    w.leaf("a:RelatesTo", r);
                }
            },
            body,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn response_round_trip() {
        let doc = ResponseBuilder::new("urn:act", "uuid:1", Some("uuid:0"))
            .build(|w| {
                w.start("w:Thing").text("x&y").end();
                Ok(())
            })
            .unwrap();
        let env = Envelope::parse(&doc).unwrap();
        assert_eq!(env.action().as_deref(), Some("urn:act"));
        assert_eq!(env.message_id().as_deref(), Some("uuid:1"));
        assert_eq!(env.relates_to().as_deref(), Some("uuid:0"));
        assert_eq!(env.to().as_deref(), Some(ns::ANONYMOUS));
        let p = env.payload().unwrap();
        assert!(p.is(ns::WSMAN, "Thing"));
        assert_eq!(p.text(), "x&y");
        assert!(env.check_fault(200).is_ok());
    }

    #[test]
    fn rejects_non_envelopes() {
        let wrong_root = r#"<Envelope xmlns="urn:soap11"><Body/></Envelope>"#;
        assert!(matches!(
            Envelope::parse(wrong_root),
            Err(SoapError::NotSoap(_))
        ));
        let no_body = r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Header/></s:Envelope>"#;
        assert!(matches!(
            Envelope::parse(no_body),
            Err(SoapError::NotSoap(_))
        ));
        let truncated = r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>"#;
        assert!(matches!(Envelope::parse(truncated), Err(SoapError::Xml(_))));
        assert!(Envelope::parse("").is_err());
        assert!(Envelope::parse("HTTP/1.1 500").is_err());
    }

    #[test]
    fn header_optional_unknown_ignored() {
        let doc = r#"<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><x:Junk xmlns:x="urn:j"/><e:Body><b/></e:Body></e:Envelope>"#;
        let env = Envelope::parse(doc).unwrap();
        assert!(env.action().is_none());
        assert_eq!(env.payload().unwrap().local, "b");
    }
}
