//! WS-Transfer Get of one instance by ResourceURI + SelectorSet (DSP0226 §7.3;
//! hyperv-wsman.md §5, §18 E9–E10).
//!
//! The request body is empty; the reply body is exactly one instance element. What this module
//! does not do: interpret the instance (see `cim`).

use crate::soap::{MessageIdSource, SoapError};
use crate::transport::SoapRequest;
use crate::xml::{Element, Limits};

use super::{ACTION_GET, Settings, build_request, parse_response_with};

/// Build a Get request for the instance of `resource_uri` with key `selectors`.
pub fn request(
    s: &Settings,
    ids: &dyn MessageIdSource,
    resource_uri: &str,
    selectors: &[(String, String)],
) -> Result<SoapRequest, SoapError> {
    let mut headers = s.headers(ACTION_GET, resource_uri, ids);
    headers.selectors = selectors.to_vec();
    build_request(&headers, |_| Ok(()))
}

/// Parse a GetResponse: the instance element (a fault becomes [`SoapError::Fault`]).
pub fn parse(status: u16, body: &str) -> Result<Element, SoapError> {
    parse_with(status, body, &Limits::default())
}

/// [`parse`] under explicit XML [`Limits`].
pub fn parse_with(status: u16, body: &str, limits: &Limits) -> Result<Element, SoapError> {
    let env = parse_response_with(status, body, limits)?;
    let mut body = env.body;
    body.children
        .drain(..)
        .find_map(|n| match n {
            crate::xml::Node::Element(e) => Some(e),
            crate::xml::Node::Text(_) => None,
        })
        .ok_or_else(|| SoapError::Missing("instance element in get response body".into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::soap::{Envelope, SequentialMessageIds};
    use crate::wsman::RequestHeaders;

    const JOB: &str =
        "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/virtualization/v2/Msvm_ConcreteJob";

    #[test]
    fn builds_get_like_e9() {
        let sel = vec![(
            "InstanceID".to_string(),
            "3F2B8C41-9D7E-4A05-B6C3-1E8F0A2D5B77".to_string(),
        )];
        let req = request(
            &Settings::new("http://hv01.example.test:5985/wsman"),
            &SequentialMessageIds::new(),
            JOB,
            &sel,
        )
        .unwrap();
        assert_eq!(req.action, ACTION_GET);
        assert_eq!(req.message_id, "uuid:00000000-0000-4000-8000-000000000001");
        let env = Envelope::parse(&req.body).unwrap();
        let fixture =
            Envelope::parse(include_str!("../../fixtures/xml/get_job_request.xml")).unwrap();
        let (mut ours, mut theirs) = (
            RequestHeaders::parse(&env).unwrap(),
            RequestHeaders::parse(&fixture).unwrap(),
        );
        ours.message_id.clear();
        theirs.message_id.clear();
        assert_eq!(ours, theirs);
        assert!(env.payload().is_none());
    }

    #[test]
    fn parses_job_instance() {
        let job = parse(200, include_str!("../../fixtures/xml/get_job_response.xml")).unwrap();
        assert!(job.is(JOB, "Msvm_ConcreteJob"));
        assert_eq!(job.child_text(JOB, "JobState").as_deref(), Some("4"));
        assert!(job.child(JOB, "ErrorDescription").unwrap().is_nil());
    }

    #[test]
    fn fault_and_empty_body() {
        let err = parse(
            500,
            include_str!("../../fixtures/xml/fault_invalid_selectors.xml"),
        )
        .unwrap_err();
        let f = err.fault().unwrap();
        assert_eq!(f.http_status, 500);
        assert!(f.is_not_found());
        let empty = r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body/></s:Envelope>"#;
        assert!(matches!(parse(200, empty), Err(SoapError::Missing(_))));
    }
}
