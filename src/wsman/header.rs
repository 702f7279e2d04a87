//! WS-Man request headers: writing them in the order the Windows client uses, and parsing them
//! on the server side (DSP0226 §6; MS-WSMV 2.2.4; hyperv-wsman.md §3).
//!
//! Order: To, ResourceURI (mustUnderstand), ReplyTo/Address (mustUnderstand), Action
//! (mustUnderstand), MaxEnvelopeSize (mustUnderstand), MessageID, Locale and DataLocale
//! (mustUnderstand=false), SelectorSet, OptionSet, OperationTimeout (`PT60.000S`).
//! What this module does not do: write bodies.

use std::time::Duration;

use crate::soap::addressing::{parse_selector_set, write_selector_set};
use crate::soap::envelope::write_envelope;
use crate::soap::{Envelope, SoapError};
use crate::xml::{XmlWriter, ns};

/// The headers of one WS-Man request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RequestHeaders {
    /// `a:To` (the endpoint URL).
    pub to: String,
    /// `a:Action` (None for Identify).
    pub action: Option<String>,
    /// `w:ResourceURI` (None for Identify).
    pub resource_uri: Option<String>,
    /// `a:MessageID`.
    pub message_id: String,
    /// `w:SelectorSet` pairs (Get and Invoke only).
    pub selectors: Vec<(String, String)>,
    /// `w:MaxEnvelopeSize`.
    pub max_envelope_size: Option<u32>,
    /// `w:OperationTimeout`.
    pub operation_timeout: Option<Duration>,
    /// `xml:lang` of `w:Locale` (and `p:DataLocale`).
    pub locale: Option<String>,
    /// `w:OptionSet` name/value pairs.
    pub option_set: Vec<(String, String)>,
}

impl RequestHeaders {
    /// Write the complete request envelope; `body` writes the children of `s:Body`.
    pub fn to_envelope(
        &self,
        body: impl FnOnce(&mut XmlWriter) -> Result<(), SoapError>,
    ) -> Result<String, SoapError> {
        write_envelope(None, |w| self.write(w), body)
    }

    /// Write the header elements into the open `s:Header`.
    pub fn write(&self, w: &mut XmlWriter) {
        w.leaf("a:To", &self.to);
        if let Some(uri) = &self.resource_uri {
            w.start("w:ResourceURI")
                .attr("s:mustUnderstand", "true")
                .text(uri)
                .end();
        }
        w.start("a:ReplyTo")
            .start("a:Address")
            .attr("s:mustUnderstand", "true");
        w.text(ns::ANONYMOUS).end().end();
        if let Some(action) = &self.action {
            w.start("a:Action")
                .attr("s:mustUnderstand", "true")
                .text(action)
                .end();
        }
        if let Some(size) = self.max_envelope_size {
            w.start("w:MaxEnvelopeSize")
                .attr("s:mustUnderstand", "true");
            w.text(&size.to_string()).end();
        }
        w.leaf("a:MessageID", &self.message_id);
        if let Some(lang) = &self.locale {
            w.start("w:Locale")
                .attr("xml:lang", lang)
                .attr("s:mustUnderstand", "false")
                .end();
            w.start("p:DataLocale")
                .attr("xml:lang", lang)
                .attr("s:mustUnderstand", "false")
                .end();
        }
        write_selector_set(w, &self.selectors);
        if !self.option_set.is_empty() {
            w.start("w:OptionSet");
            for (name, value) in &self.option_set {
                w.start("w:Option").attr("Name", name).text(value).end();
            }
            w.end();
        }
        if let Some(t) = self.operation_timeout {
            w.leaf("w:OperationTimeout", &format_duration(t));
        }
    }

    /// Parse the headers of a received request (server side). Missing headers are None/empty;
    /// a malformed number or duration is an error.
    pub fn parse(env: &Envelope) -> Result<RequestHeaders, SoapError> {
        let h = &env.header;
        let max_envelope_size = h
            .child_text(ns::WSMAN, "MaxEnvelopeSize")
            .map(|t| {
                t.parse()
                    .map_err(|_| SoapError::Invalid(format!("w:MaxEnvelopeSize '{t}'")))
            })
            .transpose()?;
        let operation_timeout = h
            .child_text(ns::WSMAN, "OperationTimeout")
            .map(|t| {
                parse_duration(&t)
                    .ok_or_else(|| SoapError::Invalid(format!("w:OperationTimeout '{t}'")))
            })
            .transpose()?;
        let selectors = h
            .child(ns::WSMAN, "SelectorSet")
            .map(parse_selector_set)
            .transpose()?
            .unwrap_or_default();
        let option_set = h
            .child(ns::WSMAN, "OptionSet")
            .map(|o| {
                o.children_named(ns::WSMAN, "Option")
                    .map(|e| {
                        (
                            e.attr(None, "Name").unwrap_or_default().to_string(),
                            e.text(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(RequestHeaders {
            to: env.to().unwrap_or_default(),
            action: env.action(),
            resource_uri: h.child_text(ns::WSMAN, "ResourceURI"),
            message_id: env.message_id().unwrap_or_default(),
            selectors,
            max_envelope_size,
            operation_timeout,
            locale: h
                .child(ns::WSMAN, "Locale")
                .and_then(|l| l.attr(Some(ns::XML), "lang"))
                .map(str::to_string),
            option_set,
        })
    }
}

/// Format a duration as `xs:duration` with milliseconds, e.g. `PT60.000S`.
pub fn format_duration(d: Duration) -> String {
    format!("PT{}.{:03}S", d.as_secs(), d.subsec_millis())
}

/// Parse the `xs:duration` forms WS-Man uses (`PnDTnHnMn.nS`, no years or months).
/// Returns None for anything else, negative durations included.
pub fn parse_duration(s: &str) -> Option<Duration> {
    let rest = s.trim().strip_prefix('P')?;
    let (date, time) = match rest.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (rest, None),
    };
    let mut total = 0f64;
    let mut any = false;
    for (part, units) in [
        (date, &[('D', 86400.0)][..]),
        (
            time.unwrap_or(""),
            &[('H', 3600.0), ('M', 60.0), ('S', 1.0)][..],
        ),
    ] {
        let mut p = part;
        for (unit, secs) in units {
            if let Some((num, tail)) = p.split_once(*unit) {
                if num.is_empty() || !num.chars().all(|c| c.is_ascii_digit() || c == '.') {
                    return None;
                }
                total += num.parse::<f64>().ok()? * secs;
                p = tail;
                any = true;
            }
        }
        if !p.is_empty() {
            return None;
        }
    }
    if !any || time == Some("") || !total.is_finite() || total > 1e12 {
        return None;
    }
    Some(Duration::from_secs_f64(total))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::soap::Envelope;

    fn sample() -> RequestHeaders {
        RequestHeaders {
            to: "http://hv01:5985/wsman".into(),
            action: Some("urn:act".into()),
            resource_uri: Some("urn:res".into()),
            message_id: "uuid:1".into(),
            selectors: vec![("Name".into(), "a&b".into())],
            max_envelope_size: Some(512000),
            operation_timeout: Some(Duration::from_millis(60_000)),
            locale: Some("en-US".into()),
            option_set: vec![("opt".into(), "v".into())],
        }
    }

    #[test]
    fn write_then_parse_round_trip() {
        let h = sample();
        let doc = h.to_envelope(|_| Ok(())).unwrap();
        assert!(doc.contains("<w:OperationTimeout>PT60.000S</w:OperationTimeout>"));
        let env = Envelope::parse(&doc).unwrap();
        assert_eq!(RequestHeaders::parse(&env).unwrap(), h);
    }

    #[test]
    fn header_order_and_must_understand() {
        let doc = sample().to_envelope(|_| Ok(())).unwrap();
        let env = Envelope::parse(&doc).unwrap();
        let names: Vec<&str> = env.header.elements().map(|e| e.local.as_str()).collect();
        assert_eq!(
            names,
            [
                "To",
                "ResourceURI",
                "ReplyTo",
                "Action",
                "MaxEnvelopeSize",
                "MessageID",
                "Locale",
                "DataLocale",
                "SelectorSet",
                "OptionSet",
                "OperationTimeout"
            ]
        );
        let mu = |local: &str, n: &str| {
            env.header
                .child(n, local)
                .and_then(|e| e.attr(Some(ns::SOAP), "mustUnderstand"))
                .map(str::to_string)
        };
        assert_eq!(mu("ResourceURI", ns::WSMAN).as_deref(), Some("true"));
        assert_eq!(mu("Locale", ns::WSMAN).as_deref(), Some("false"));
        assert_eq!(mu("DataLocale", ns::MSWSMAN).as_deref(), Some("false"));
        let reply = env.header.child(ns::ADDRESSING, "ReplyTo").unwrap();
        assert_eq!(
            reply.child_text(ns::ADDRESSING, "Address").unwrap(),
            ns::ANONYMOUS
        );
    }

    #[test]
    fn parses_fixture_headers() {
        let env =
            Envelope::parse(include_str!("../../fixtures/xml/invoke_export_request.xml")).unwrap();
        let h = RequestHeaders::parse(&env).unwrap();
        assert_eq!(h.to, "http://hv01.example.test:5985/wsman");
        assert_eq!(h.max_envelope_size, Some(512000));
        assert_eq!(h.operation_timeout, Some(Duration::from_secs(60)));
        assert_eq!(h.selectors.len(), 4);
        assert_eq!(
            h.selectors[3],
            ("SystemName".to_string(), "HV01".to_string())
        );
        assert_eq!(h.locale.as_deref(), Some("en-US"));
    }

    #[test]
    fn durations() {
        assert_eq!(format_duration(Duration::from_millis(1500)), "PT1.500S");
        assert_eq!(parse_duration("PT60.000S"), Some(Duration::from_secs(60)));
        assert_eq!(parse_duration("PT60S"), Some(Duration::from_secs(60)));
        assert_eq!(
            parse_duration("P1DT1H1M1.5S"),
            Some(Duration::from_millis(90_061_500))
        );
        for bad in [
            "", "P", "PT", "60", "PT-1S", "PTxS", "P1Y", "PT1S2", "PT1e9S",
        ] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
    }
}
