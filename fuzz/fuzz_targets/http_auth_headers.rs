//! `WWW-Authenticate` and `Authorization` header parsing. The input is split at NUL bytes
//! into several header values, the way a response can carry several `WWW-Authenticate`.
#![no_main]
use hvremote::http::auth::{
    AuthScheme, find_token, parse_authorization, parse_www_authenticate, scheme_list,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let challenges = parse_www_authenticate(data.split(|b| *b == 0));
    let _ = scheme_list(&challenges);
    for c in &challenges {
        let _ = c.scheme.name();
        let _ = c.decoded_token();
    }
    let _ = parse_authorization(data);
    let _ = find_token(&challenges, &AuthScheme::Negotiate);
});
