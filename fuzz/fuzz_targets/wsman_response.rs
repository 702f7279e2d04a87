//! WS-Man response parsing: Get, Enumerate/Pull pages, Invoke output and Identify.
#![no_main]
use hvremote::wsman::{enumerate, get, identify, invoke};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for status in [200u16, 500] {
        let _ = get::parse(status, text);
        let _ = enumerate::parse_page(status, text);
        let _ = invoke::parse_output(status, text, None);
        let _ = invoke::parse_output(status, text, Some("ExportSystemDefinition"));
        let _ = identify::parse(status, text);
    }
});
