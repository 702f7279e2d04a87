//! The embedded-instance (CIM-XML `<INSTANCE>`) parsers: the client's `cim::EmbeddedInstance`
//! and the one the simulated host uses for ExportSystemDefinition's setting data.
#![no_main]
use hvremote::cim::EmbeddedInstance;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = EmbeddedInstance::parse(text);
    let _ = hvremote::sim::cimxml::parse_instance(text);
});
