//! The fixture file reader (recorded exchanges, JSON) and the replayer built on it.
#![no_main]
use hvremote::transport::fixture::Fixture;
use hvremote::transport::replay::Replayer;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(f) = Fixture::from_json(text, "fuzz") {
        let _ = f.to_json();
    }
    let _ = Replayer::from_json(text, "fuzz");
});
