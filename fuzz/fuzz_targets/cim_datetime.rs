//! CIM datetime and interval parsing (DMTF and xs: forms).
#![no_main]
use hvremote::cim::{CimDateTime, CimInterval};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = CimDateTime::parse(text);
    let _ = CimDateTime::parse_dmtf(text);
    let _ = CimDateTime::parse_xs(text);
    let _ = CimInterval::parse(text);
    let _ = CimInterval::parse_dmtf(text);
    let _ = CimInterval::parse_xs_duration(text);
    let _ = hvremote::wsman::header::parse_duration(text);
});
