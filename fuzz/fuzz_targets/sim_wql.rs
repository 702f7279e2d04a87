//! The simulated host's WQL parser, name resolution against its model, and matching.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(q) = hvremote::sim::wql::parse(text) {
        let _ = q.resolve();
    }
});
