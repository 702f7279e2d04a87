//! WS-Management operations as sans-IO messages (DSP0226; MS-WSMV; hyperv-wsman.md §3–§8).
//!
//! One file per operation: [`identify`], [`get`], [`enumerate`] (with Pull and Release) and
//! [`invoke`]; [`header`] writes and parses the request headers. Each operation has a request
//! builder producing a [`SoapRequest`] and a response parser taking the HTTP status and body;
//! the simulated host uses the server-side parsers of request bodies. A client call is
//! build → `Transport::exchange` → parse (see `client`). What this module does not do: I/O,
//! retries, or paging decisions.

pub mod enumerate;
pub mod get;
pub mod header;
pub mod identify;
pub mod invoke;
pub mod server;

use std::time::Duration;

use crate::soap::{Envelope, MessageIdSource, SoapError};
use crate::transport::SoapRequest;
use crate::xml::{Limits, XmlWriter};
pub use header::RequestHeaders;

/// `a:Action` of WS-Transfer Get.
pub const ACTION_GET: &str = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get";
/// `a:Action` of a Get response.
pub const ACTION_GET_RESPONSE: &str = "http://schemas.xmlsoap.org/ws/2004/09/transfer/GetResponse";
/// `a:Action` of WS-Enumeration Enumerate.
pub const ACTION_ENUMERATE: &str = "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate";
/// `a:Action` of an Enumerate response.
pub const ACTION_ENUMERATE_RESPONSE: &str =
    "http://schemas.xmlsoap.org/ws/2004/09/enumeration/EnumerateResponse";
/// `a:Action` of WS-Enumeration Pull.
pub const ACTION_PULL: &str = "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Pull";
/// `a:Action` of a Pull response.
pub const ACTION_PULL_RESPONSE: &str =
    "http://schemas.xmlsoap.org/ws/2004/09/enumeration/PullResponse";
/// `a:Action` of WS-Enumeration Release.
pub const ACTION_RELEASE: &str = "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Release";
/// `a:Action` of a Release response.
pub const ACTION_RELEASE_RESPONSE: &str =
    "http://schemas.xmlsoap.org/ws/2004/09/enumeration/ReleaseResponse";

/// Default `w:MaxEnvelopeSize` (what the Windows client sends).
pub const DEFAULT_MAX_ENVELOPE_SIZE: u32 = 512_000;
/// Smaller `w:MaxEnvelopeSize` to fall back to after a `w:EncodingLimit` fault.
pub const FALLBACK_MAX_ENVELOPE_SIZE: u32 = 153_600;
/// Default `w:MaxElements` for Enumerate and Pull (Windows' `MaxBatchItems`).
pub const DEFAULT_MAX_ELEMENTS: u32 = 32_000;

/// Per-connection values every request header carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// `a:To`: the endpoint URL.
    pub to: String,
    /// `w:MaxEnvelopeSize` in bytes.
    pub max_envelope_size: u32,
    /// `w:OperationTimeout`.
    pub operation_timeout: Duration,
    /// `xml:lang` of `w:Locale` and `p:DataLocale` (e.g. `en-US`).
    pub locale: String,
}

impl Settings {
    /// Settings with Windows' defaults (512000 bytes, 60 s, en-US) for endpoint `to`.
    pub fn new(to: impl Into<String>) -> Self {
        Settings {
            to: to.into(),
            max_envelope_size: DEFAULT_MAX_ENVELOPE_SIZE,
            operation_timeout: Duration::from_secs(60),
            locale: "en-US".to_string(),
        }
    }

    /// Headers for one request with `action` on `resource_uri`, with a fresh message ID.
    pub fn headers(
        &self,
        action: &str,
        resource_uri: &str,
        ids: &dyn MessageIdSource,
    ) -> RequestHeaders {
        RequestHeaders {
            to: self.to.clone(),
            action: Some(action.to_string()),
            resource_uri: Some(resource_uri.to_string()),
            message_id: ids.next_id(),
            selectors: Vec::new(),
            max_envelope_size: Some(self.max_envelope_size),
            operation_timeout: Some(self.operation_timeout),
            locale: Some(self.locale.clone()),
            option_set: Vec::new(),
        }
    }
}

/// Write the envelope for `headers` and `body` and wrap it as a [`SoapRequest`].
pub fn build_request(
    headers: &RequestHeaders,
    body: impl FnOnce(&mut XmlWriter) -> Result<(), SoapError>,
) -> Result<SoapRequest, SoapError> {
    let text = headers.to_envelope(body)?;
    Ok(SoapRequest {
        action: headers.action.clone().unwrap_or_default(),
        resource_uri: headers.resource_uri.clone(),
        message_id: headers.message_id.clone(),
        body: text,
    })
}

/// Parse a response envelope; a SOAP fault in it (whatever the HTTP status) becomes
/// [`SoapError::Fault`] carrying `status`.
pub fn parse_response(status: u16, body: &str) -> Result<Envelope, SoapError> {
    parse_response_with(status, body, &Limits::default())
}

/// [`parse_response`] under explicit XML [`Limits`] (size, depth, attributes per element).
pub fn parse_response_with(
    status: u16,
    body: &str,
    limits: &Limits,
) -> Result<Envelope, SoapError> {
    let env = Envelope::from_element(crate::xml::parse_with_limits(body, limits)?)?;
    env.check_fault(status)?;
    Ok(env)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const FIXTURES: [&str; 8] = [
        include_str!("../../fixtures/xml/enumerate_response_partial.xml"),
        include_str!("../../fixtures/xml/pull_response_object_and_epr.xml"),
        include_str!("../../fixtures/xml/invoke_export_output.xml"),
        include_str!("../../fixtures/xml/get_job_response.xml"),
        include_str!("../../fixtures/xml/fault_cannot_process_filter.xml"),
        include_str!("../../fixtures/xml/fault_wmi_error.xml"),
        include_str!("../../fixtures/xml/identify_response.xml"),
        include_str!("../../fixtures/xml/invoke_export_request.xml"),
    ];

    /// Feed `doc` to every parser; they may fail but must not panic.
    fn parse_all(doc: &str) -> usize {
        let mut ok = 0;
        ok += usize::from(enumerate::parse_page(200, doc).is_ok());
        ok += usize::from(invoke::parse_output(500, doc, None).is_ok());
        ok += usize::from(get::parse(400, doc).is_ok());
        ok += usize::from(identify::parse(200, doc).is_ok());
        if let Ok(env) = Envelope::parse(doc) {
            ok += usize::from(RequestHeaders::parse(&env).is_ok());
            ok += usize::from(server::parse_invoke(&env).is_ok());
            ok += usize::from(server::parse_enumerate(&env).is_ok());
            ok += usize::from(server::parse_pull(&env).is_ok());
        }
        ok
    }

    #[test]
    fn fixtures_parse() {
        for f in FIXTURES {
            assert!(parse_all(f) > 0);
        }
    }

    proptest! {
        #[test]
        fn mutated_fixtures_never_panic(
            which in 0..FIXTURES.len(),
            cut in any::<prop::sample::Index>(),
            at in any::<prop::sample::Index>(),
            junk in "[<>&;:/\"'a-z0-9 =]{0,12}",
        ) {
            let doc = FIXTURES[which];
            let bytes: Vec<char> = doc.chars().collect();
            let (c, a) = (cut.index(bytes.len()), at.index(bytes.len()));
            let truncated: String = bytes[..c].iter().collect();
            parse_all(&truncated);
            let mut spliced: String = bytes[..a].iter().collect();
            spliced.push_str(&junk);
            spliced.extend(&bytes[a..]);
            parse_all(&spliced);
        }

        #[test]
        fn arbitrary_text_never_panics(s in any::<String>()) {
            prop_assert_eq!(parse_all(&s), 0);
        }
    }
}
