//! SOAP 1.2 envelopes, WS-Addressing headers and faults.

pub mod addressing;
pub mod fault;
