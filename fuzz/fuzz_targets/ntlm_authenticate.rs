//! NTLM NEGOTIATE / AUTHENTICATE message parsing and SPNEGO NegTokenInit.
#![no_main]
use hvremote::ntlm::{AuthenticateMessage, NegotiateMessage};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = AuthenticateMessage::parse(data);
    let _ = NegotiateMessage::parse(data);
    let _ = hvremote::ntlm::spnego::NegTokenInit::parse(data);
});
