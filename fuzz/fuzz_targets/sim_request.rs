//! Whole requests into the simulated host: its envelope reader and request dispatch
//! (Identify, Get, Enumerate/Pull/Release, Invoke) on a small scenario.
#![no_main]
use std::time::Duration;

use hvremote::sim::{Host, SimConfig};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = hvremote::sim::envelope::parse_request(text);
    let mut host = Host::new(SimConfig::demo());
    let _ = host.handle(Duration::from_secs(1), text);
    let _ = host.handle(Duration::from_secs(2), text);
});
