//! NTLM CHALLENGE_MESSAGE and AV_PAIR parsing, plus a client answering the challenge.
#![no_main]
use hvremote::ntlm::{AvPairs, ChallengeMessage};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = ChallengeMessage::parse(data);
    let _ = AvPairs::parse(data);
    let _ = hvremote::ntlm::spnego::NegTokenResp::parse(data);
});
