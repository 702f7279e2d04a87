//! The simulated host never panics and always answers with a well-formed envelope, whatever
//! the request text (random strings and byte-level mutations of valid requests).

use std::time::Duration;

use hvremote::sim::{Host, SimConfig};
use hvremote::xml::{self, ns};
use proptest::prelude::*;

const VALID: &str = concat!(
    r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" "#,
    r#"xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" xmlns:n="http://schemas.xmlsoap.org/ws/2004/09/enumeration">"#,
    r#"<s:Header><w:ResourceURI>http://schemas.microsoft.com/wbem/wsman/1/wmi/root/virtualization/v2/*</w:ResourceURI>"#,
    r#"<a:Action>http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate</a:Action>"#,
    r#"<w:MaxEnvelopeSize>9000</w:MaxEnvelopeSize><a:MessageID>uuid:1</a:MessageID></s:Header>"#,
    r#"<s:Body><n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>3</w:MaxElements>"#,
    r#"<w:Filter Dialect="http://schemas.microsoft.com/wbem/wsman/1/WQL">SELECT * FROM Msvm_ComputerSystem WHERE ElementName = 'web01' OR EnabledState = 2</w:Filter>"#,
    r#"</n:Enumerate></s:Body></s:Envelope>"#
);

fn check(h: &mut Host, text: &str) {
    let r = h.handle(Duration::from_secs(1), text);
    assert!(matches!(r.status, 200 | 400 | 500), "status {}", r.status);
    let e = xml::parse(&r.body).expect("reply is well-formed xml");
    assert!(e.is(ns::SOAP, "Envelope"));
}

#[test]
fn the_valid_seed_request_succeeds() {
    let mut h = Host::new(SimConfig::demo());
    let r = h.handle(Duration::ZERO, VALID);
    assert_eq!(r.status, 200, "{}", r.body);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn random_text_gets_an_envelope(s in ".{0,300}") {
        let mut h = Host::new(SimConfig::demo());
        check(&mut h, &s);
    }

    #[test]
    fn mutated_requests_get_an_envelope(pos in 0usize..2000, len in 0usize..40, insert in "[<>&'\"\\\\ a-zA-Z0-9=:/]{0,12}") {
        let mut text = VALID.to_string();
        let start = pos.min(text.len());
        let end = (start + len).min(text.len());
        if text.is_char_boundary(start) && text.is_char_boundary(end) {
            text.replace_range(start..end, &insert);
        }
        let mut h = Host::new(SimConfig::from_flags(&[], 3));
        check(&mut h, &text);
    }
}
