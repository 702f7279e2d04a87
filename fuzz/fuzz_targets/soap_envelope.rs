//! SOAP envelope and fault parsing: `soap::Envelope::parse`, the fault reader, and
//! `wsman::parse_response` under the statuses a WinRM listener answers with.
#![no_main]
use hvremote::soap::{Envelope, Fault};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(env) = Envelope::parse(text) {
        for el in env.body.elements() {
            let _ = Fault::from_element(el);
        }
    }
    for status in [200u16, 400, 500] {
        let _ = hvremote::wsman::parse_response(status, text);
    }
});
