//! WS-Man Identify: the connectivity probe (DSP0226 §11; hyperv-wsman.md §4).
//!
//! The request has no Action and no ResourceURI; its body is `wsmid:Identify`. The reply names
//! the protocol version, vendor, product version and security profiles. What this module does
//! not do: send the unauthenticated-identify HTTP header (that is the transport's business).

use crate::soap::{MessageIdSource, SoapError};
use crate::transport::SoapRequest;
use crate::xml::ns;

use super::{RequestHeaders, Settings, build_request};

/// What an IdentifyResponse says.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IdentifyResponse {
    /// `wsmid:ProtocolVersion`.
    pub protocol_version: String,
    /// `wsmid:ProductVendor`.
    pub product_vendor: String,
    /// `wsmid:ProductVersion` (e.g. `OS: 10.0.20348 SP: 0.0 Stack: 3.0`).
    pub product_version: String,
    /// `wsmid:SecurityProfiles/wsmid:SecurityProfileName` values.
    pub security_profiles: Vec<String>,
}

/// Build an Identify request.
pub fn request(s: &Settings, ids: &dyn MessageIdSource) -> Result<SoapRequest, SoapError> {
    let headers = RequestHeaders {
        to: s.to.clone(),
        message_id: ids.next_id(),
        ..RequestHeaders::default()
    };
    build_request(&headers, |w| {
        w.start("wsmid:Identify")
            .attr("xmlns:wsmid", ns::IDENTITY)
            .end();
        Ok(())
    })
}

/// Parse an IdentifyResponse.
pub fn parse(status: u16, body: &str) -> Result<IdentifyResponse, SoapError> {
    parse_with(status, body, &crate::xml::Limits::default())
}

/// [`parse`] under explicit XML [`Limits`](crate::xml::Limits).
pub fn parse_with(
    status: u16,
    body: &str,
    limits: &crate::xml::Limits,
) -> Result<IdentifyResponse, SoapError> {
    let env = super::parse_response_with(status, body, limits)?;
    let r = env
        .body
        .child(ns::IDENTITY, "IdentifyResponse")
        .ok_or_else(|| SoapError::Missing("wsmid:IdentifyResponse in identify reply".into()))?;
    let text = |local| r.child_text(ns::IDENTITY, local).unwrap_or_default();
    Ok(IdentifyResponse {
        protocol_version: text("ProtocolVersion"),
        product_vendor: text("ProductVendor"),
        product_version: text("ProductVersion"),
        security_profiles: r
            .child(ns::IDENTITY, "SecurityProfiles")
            .map(|p| {
                p.children_named(ns::IDENTITY, "SecurityProfileName")
                    .map(|e| e.text_trim())
                    .collect()
            })
            .unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::soap::{Envelope, SequentialMessageIds};

    #[test]
    fn builds_identify() {
        let req = request(
            &Settings::new("http://h:5985/wsman"),
            &SequentialMessageIds::new(),
        )
        .unwrap();
        let env = Envelope::parse(&req.body).unwrap();
        assert!(env.payload().unwrap().is(ns::IDENTITY, "Identify"));
        assert!(env.action().is_none());
        assert!(env.header.child(ns::WSMAN, "ResourceURI").is_none());
        assert_eq!(req.resource_uri, None);
    }

    #[test]
    fn parses_fixture() {
        let r = parse(
            200,
            include_str!("../../fixtures/xml/identify_response.xml"),
        )
        .unwrap();
        assert_eq!(r.product_vendor, "Microsoft Corporation");
        assert_eq!(r.protocol_version, ns::WSMAN);
        assert_eq!(r.security_profiles.len(), 2);
        assert!(matches!(
            parse(200, include_str!("../../fixtures/xml/get_job_response.xml")),
            Err(SoapError::Missing(_))
        ));
    }
}
