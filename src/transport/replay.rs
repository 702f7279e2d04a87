//! The replayer: a [`Transport`] that answers every exchange from a fixture, with no network
//! (GitHub issue 6, items 3 and 4; ARCHITECTURE.md §4).
//!
//! Matching is strict and in order: request *n* must equal the fixture's request *n* after
//! [`normalize`](super::normalize::normalize) (prefixes resolved, insignificant whitespace
//! dropped, MessageID / RelatesTo / To / OperationTimeout / Locale / DataLocale masked). A
//! mismatch is an [`ErrorKind::Replay`] error naming the exchange (its index in the fixture's
//! `exchanges` array, counted from 0) and the first differing element:
//! `replay f.json: exchange 3 (Enumerate) does not match: Body/Enumerate/Filter: expected … got …`.
//! [`Replayer::finish`] fails when exchanges are left unused. The replayed response's
//! `a:RelatesTo` is rewritten to the new request's MessageID. Recorded elapsed times are never
//! slept; a recorded transport failure is returned as an error of the recorded kind.
//! [`Replayer::with_redaction`] redacts incoming requests like the recording was redacted, for
//! runs whose own arguments carry the real host or user name.
//!
//! # Replaying a fixture in your own test
//!
//! ```
//! use hvremote::transport::{SoapRequest, Transport, replay::Replayer};
//!
//! // A one-exchange fixture (normally a file recorded with `hvremote --record FILE ...`).
//! let request = r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"
//!     xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing"><s:Header>
//!     <a:To>http://host.example:5985/wsman</a:To><a:MessageID>uuid:1</a:MessageID>
//!     </s:Header><s:Body/></s:Envelope>"#;
//! let response = r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"
//!     xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing"><s:Header>
//!     <a:RelatesTo>uuid:1</a:RelatesTo></s:Header><s:Body/></s:Envelope>"#;
//! let json = serde_json::json!({
//!     "version": 1, "docs": "a doc example", "recorded_with": "hvremote 0.1.0",
//!     "endpoint": "http://host.example:5985/wsman",
//!     "exchanges": [{ "action": "", "request": request, "status": 200,
//!                     "response": response, "elapsed_ms": 12 }]
//! });
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("example.json");
//! std::fs::write(&path, json.to_string()).unwrap();
//!
//! let replayer = Replayer::load(&path).unwrap();
//! assert_eq!(replayer.endpoint(), "http://host.example:5985/wsman");
//! // Any client that takes a `Transport` can now run against `replayer` (e.g. in an
//! // `Arc<dyn Transport>`); here we send the request by hand, with a new MessageID and To.
//! let mine = request.replace("uuid:1", "uuid:2").replace("host.example", "my-lab-host");
//! let rt = tokio::runtime::Runtime::new().unwrap();
//! let resp = rt
//!     .block_on(replayer.exchange(SoapRequest {
//!         action: String::new(),
//!         resource_uri: None,
//!         message_id: "uuid:2".into(),
//!         body: mine,
//!     }))
//!     .unwrap();
//! assert!(resp.body.contains("<a:RelatesTo>uuid:2</a:RelatesTo>"));
//! replayer.finish().unwrap(); // every exchange was used
//! ```

use std::path::Path;
use std::sync::Mutex;

use super::fixture::{Exchange, Fixture};
use super::normalize::diff_envelopes;
use super::record::Redaction;
use super::{BoxFuture, SoapRequest, SoapResponse, Transport};
use crate::error::{Error, ErrorKind};
use crate::xml::{self, Element, ns};

/// Answers exchanges from a fixture (see the module docs).
#[derive(Debug)]
pub struct Replayer {
    name: String,
    endpoint: String,
    fixture: Fixture,
    redaction: Redaction,
    next: Mutex<usize>,
}

impl Replayer {
    /// Load a fixture file for replay; errors name the file.
    pub fn load(path: impl AsRef<Path>) -> Result<Replayer, Error> {
        let path = path.as_ref();
        let fixture = Fixture::load(path)?;
        Ok(Replayer::new(fixture, path.display().to_string()))
    }

    /// Replay fixture JSON held in memory (e.g. from `include_str!`); `name` goes into errors.
    pub fn from_json(text: &str, name: &str) -> Result<Replayer, Error> {
        Ok(Replayer::new(Fixture::from_json(text, name)?, name))
    }

    /// Replay `fixture`; `name` (usually its file name) appears in error messages.
    pub fn new(fixture: Fixture, name: impl Into<String>) -> Replayer {
        let endpoint = if fixture.endpoint.is_empty() {
            recorded_to(&fixture).unwrap_or_default()
        } else {
            fixture.endpoint.clone()
        };
        Replayer {
            name: name.into(),
            endpoint,
            fixture,
            redaction: Redaction::default(),
            next: Mutex::new(0),
        }
    }

    /// Redact incoming requests the way the fixture was redacted before comparing them, so a
    /// client run with the real host and user names (e.g. a destination path holding the user
    /// name) matches a redacted recording. Off by default.
    pub fn with_redaction(mut self, redaction: Redaction) -> Replayer {
        self.redaction = redaction;
        self
    }

    /// The fixture being replayed.
    pub fn fixture(&self) -> &Fixture {
        &self.fixture
    }

    /// How many exchanges have been answered.
    pub fn used(&self) -> usize {
        *self.next.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How many exchanges are left.
    pub fn remaining(&self) -> usize {
        self.fixture.exchanges.len().saturating_sub(self.used())
    }

    /// Fail when exchanges of the fixture were not used (call at the end of a test or run).
    pub fn finish(&self) -> Result<(), Error> {
        let used = self.used();
        let total = self.fixture.exchanges.len();
        match self.fixture.exchanges.get(used) {
            None => Ok(()),
            Some(x) => Err(Error::new(
                ErrorKind::Replay,
                format!(
                    "replay {}: {} of {total} exchanges were not used (next: exchange {used} ({}))",
                    self.name,
                    total - used,
                    op_name(x)
                ),
            )),
        }
    }

    fn answer(&self, request: SoapRequest) -> Result<SoapResponse, Error> {
        let mut next = self.next.lock().unwrap_or_else(|p| p.into_inner());
        let idx = *next;
        let total = self.fixture.exchanges.len();
        let Some(x) = self.fixture.exchanges.get(idx) else {
            return Err(self.err(format!(
                "request {idx} ({}) is beyond the end of the fixture ({total} exchanges)",
                short_action(&request.action)
            )));
        };
        let at = format!("exchange {idx} ({})", op_name(x));
        let body = self.redaction.apply(&request.body);
        match diff_envelopes(&x.request, &body) {
            Err(e) => return Err(e.context(format!("replay {}: {at}", self.name))),
            Ok(Some(diff)) => return Err(self.err(format!("{at} does not match: {diff}"))),
            Ok(None) => {}
        }
        *next += 1;
        if let Some(e) = &x.error {
            return Err(e.to_error());
        }
        let (Some(status), Some(body)) = (x.status, x.response.as_deref()) else {
            return Err(self.err(format!("{at} has neither a response nor an error")));
        };
        let body =
            rewrite_relates_to(body, &request).map_err(|e| self.err(format!("{at}: {e}")))?;
        Ok(SoapResponse { status, body })
    }

    fn err(&self, what: String) -> Error {
        Error::new(ErrorKind::Replay, format!("replay {}: {what}", self.name))
    }
}

impl Transport for Replayer {
    fn exchange<'a>(&'a self, request: SoapRequest) -> BoxFuture<'a, Result<SoapResponse, Error>> {
        Box::pin(async move { self.answer(request) })
    }

    /// The recorded endpoint (a placeholder URL when the fixture was redacted).
    fn endpoint(&self) -> &str {
        &self.endpoint
    }
}

fn header(root: &Element) -> Option<&Element> {
    root.child(ns::SOAP, "Header")
}

/// `a:To` of the first recorded request.
fn recorded_to(f: &Fixture) -> Option<String> {
    let root = xml::parse(&f.exchanges.first()?.request).ok()?;
    header(&root)?.child_text(ns::ADDRESSING, "To")
}

fn short_action(action: &str) -> &str {
    match action.rsplit('/').next() {
        Some(s) if !s.is_empty() => s,
        _ => "no action",
    }
}

/// A short operation name for messages: the last segment of the action, or the first body
/// element (Identify has no action).
fn op_name(x: &Exchange) -> String {
    if !x.action.is_empty() {
        return short_action(&x.action).to_string();
    }
    xml::parse(&x.request)
        .ok()
        .and_then(|r| {
            let body = r.child(ns::SOAP, "Body")?;
            body.elements().next().map(|e| e.local.clone())
        })
        .unwrap_or_else(|| "no action".to_string())
}

/// The request's MessageID: the field, or the envelope header when the field is empty.
fn new_message_id(request: &SoapRequest) -> Option<String> {
    if !request.message_id.is_empty() {
        return Some(request.message_id.clone());
    }
    let root = xml::parse(&request.body).ok()?;
    header(&root)?.child_text(ns::ADDRESSING, "MessageID")
}

/// Rewrite the response's `a:RelatesTo` value to the new request's MessageID.
fn rewrite_relates_to(body: &str, request: &SoapRequest) -> Result<String, String> {
    let Some(new_id) = new_message_id(request).filter(|s| !s.trim().is_empty()) else {
        return Ok(body.to_string());
    };
    let relates = |b: &str| -> Option<String> {
        let root = xml::parse(b).ok()?;
        header(&root)?
            .child(ns::ADDRESSING, "RelatesTo")
            .map(Element::text_trim)
    };
    let Some(old) = relates(body).filter(|o| !o.is_empty()) else {
        return Ok(body.to_string());
    };
    let new_id = new_id.trim();
    if old == new_id {
        return Ok(body.to_string());
    }
    let mut escaped = String::new();
    xml::write::escape_text(new_id, &mut escaped);
    let rewritten = body.replace(&old, &escaped);
    if relates(&rewritten).as_deref() == Some(new_id) {
        Ok(rewritten)
    } else {
        Err(format!("cannot rewrite RelatesTo {old} to {new_id}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(header: &str, body: &str) -> String {
        format!(
            "<s:Envelope xmlns:s=\"{}\" xmlns:a=\"{}\" xmlns:n=\"{}\"><s:Header>{header}</s:Header>\
             <s:Body>{body}</s:Body></s:Envelope>",
            ns::SOAP,
            ns::ADDRESSING,
            ns::ENUMERATION
        )
    }

    fn request(id: &str, body: &str) -> SoapRequest {
        SoapRequest {
            action: format!("{}/Enumerate", ns::ENUMERATION),
            resource_uri: None,
            message_id: id.into(),
            body: env(&format!("<a:MessageID>{id}</a:MessageID>"), body),
        }
    }

    fn fixture() -> Fixture {
        let mut f = Fixture::new("unit");
        for body in ["<n:Enumerate/>", "<n:Pull/>"] {
            let req = request("uuid:OLD", body);
            f.exchanges.push(Exchange {
                action: req.action.clone(),
                resource_uri: None,
                request: req.body,
                status: Some(200),
                response: Some(env("<a:RelatesTo>uuid:OLD</a:RelatesTo>", "<n:Ok/>")),
                error: None,
                elapsed_ms: 5,
            });
        }
        f
    }

    #[tokio::test]
    async fn answers_in_order_and_rewrites_relates_to() {
        let r = Replayer::new(fixture(), "u.json");
        let mut req = request("uuid:A&amp;B", "<n:Enumerate/>");
        req.message_id = "uuid:A&B".into();
        let resp = r.exchange(req).await.unwrap();
        assert!(
            resp.body
                .contains("<a:RelatesTo>uuid:A&amp;B</a:RelatesTo>"),
            "{}",
            resp.body
        );
        assert!(
            r.finish()
                .unwrap_err()
                .message()
                .contains("1 of 2 exchanges were not used")
        );
        r.exchange(request("uuid:C", "<n:Pull/>")).await.unwrap();
        r.finish().unwrap();
        let e = r
            .exchange(request("uuid:D", "<n:Pull/>"))
            .await
            .unwrap_err();
        assert_eq!(
            e.message(),
            "replay u.json: request 2 (Enumerate) is beyond the end of the fixture (2 exchanges)"
        );
    }

    #[tokio::test]
    async fn mismatch_names_exchange_and_does_not_advance() {
        let r = Replayer::new(fixture(), "u.json");
        let e = r
            .exchange(request("uuid:A", "<n:Pull/>"))
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Replay);
        assert_eq!(
            e.message(),
            "replay u.json: exchange 0 (Enumerate) does not match: \
             Body: expected element Enumerate got element Pull"
        );
        assert_eq!(r.used(), 0);
    }

    #[tokio::test]
    async fn with_redaction_matches_real_names_against_redacted_fixture() {
        let mut f = fixture();
        if let Some(x) = f.exchanges.first_mut() {
            x.request = request("uuid:OLD", "<n:Enumerate>C:\\Users\\USER</n:Enumerate>").body;
        }
        let real = || request("uuid:N", "<n:Enumerate>C:\\Users\\alice</n:Enumerate>");
        let plain = Replayer::new(f.clone(), "r.json");
        assert!(plain.exchange(real()).await.is_err());
        let redaction = Redaction {
            host: None,
            user: Some("alice".into()),
        };
        let r = Replayer::new(f, "r.json").with_redaction(redaction);
        r.exchange(real()).await.unwrap();
    }

    #[test]
    fn from_json_names_the_source() {
        let r = Replayer::from_json(&fixture().to_json(), "inline").unwrap();
        assert_eq!(r.remaining(), 2);
        let e = Replayer::from_json("[]", "inline").unwrap_err();
        assert!(
            e.message()
                .starts_with("fixture inline: missing \"version\""),
            "{e}"
        );
    }

    #[test]
    fn endpoint_falls_back_to_recorded_to() {
        let mut f = fixture();
        if let Some(x) = f.exchanges.first_mut() {
            x.request = env("<a:To>http://host.example:5985/wsman</a:To>", "");
        }
        assert_eq!(
            Replayer::new(f, "x").endpoint(),
            "http://host.example:5985/wsman"
        );
    }

    #[test]
    fn op_name_of_identify_is_body_element() {
        let mut f = fixture();
        let x = f.exchanges.first_mut().unwrap();
        x.action.clear();
        x.request = env("", "<i:Identify xmlns:i=\"urn:i\"/>");
        assert_eq!(op_name(x), "Identify");
    }
}
