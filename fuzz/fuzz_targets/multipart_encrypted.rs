//! The `multipart/encrypted` body parser (WinRM message sealing framing), driven with a
//! pass-through sealer so the framing is what gets fuzzed, and with a real NTLM session so
//! signature checking sees garbage too. The first input line is the Content-Type.
#![no_main]
use hvremote::Error;
use hvremote::http::encrypted::{Sealer, decode};
use libfuzzer_sys::fuzz_target;

struct PassThrough;

impl Sealer for PassThrough {
    fn seal(&mut self, plaintext: &[u8]) -> (Vec<u8>, Vec<u8>) {
        (vec![0; 16], plaintext.to_vec())
    }
    fn unseal(&mut self, header: &[u8], data: &[u8]) -> Result<Vec<u8>, Error> {
        if header.len() != 16 {
            return Err(Error::new(
                hvremote::ErrorKind::Protocol,
                "bad signature length",
            ));
        }
        Ok(data.to_vec())
    }
}

fuzz_target!(|data: &[u8]| {
    let (ct, body) = match data.iter().position(|b| *b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (&b"multipart/encrypted;protocol=\"application/HTTP-SPNEGO-session-encrypted\";boundary=\"Encrypted Boundary\""[..], data),
    };
    let ct = String::from_utf8_lossy(ct);
    let _ = decode(&mut PassThrough, &ct, body);
});
