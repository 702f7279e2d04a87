//! The `Transport` seam: one plaintext SOAP exchange.
//!
//! A transport carries a complete SOAP envelope to the host and brings back the HTTP status and
//! the (decrypted) response envelope. It sits *above* authentication and message sealing, so a
//! recorder wrapped around it can never see a credential. Faults are data: an HTTP 500 carrying
//! a SOAP fault is an `Ok` [`SoapResponse`]; an `Err` means the exchange itself failed (could not
//! connect, TLS, timeout, authentication rejected, not SOAP, too large, connection lost).
//!
//! Implemented by `http::HttpTransport`, the recorder and replayer of fixtures, and the simulated
//! host in process.

pub mod fixture;
pub mod normalize;
pub mod record;
pub mod replay;

use std::future::Future;
use std::pin::Pin;

use crate::error::Error;

/// A boxed, sendable future (the trait stays object-safe).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One SOAP request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoapRequest {
    /// `wsa:Action` of the envelope (for logs, fixtures and routing).
    pub action: String,
    /// `w:ResourceURI` of the envelope, when it has one.
    pub resource_uri: Option<String>,
    /// `wsa:MessageID` of the envelope (replay rewrites RelatesTo to it).
    pub message_id: String,
    /// The complete envelope, UTF-8.
    pub body: String,
}

/// One SOAP response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoapResponse {
    /// HTTP status (200, or 400/500 with a fault).
    pub status: u16,
    /// The complete response envelope, UTF-8 (decrypted when the transport seals).
    pub body: String,
}

/// Whether a failed exchange may have reached the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// The request certainly did not reach the host (e.g. connect failed); safe to retry.
    NotSent,
    /// The request may have reached the host; a non-idempotent call must not be repeated.
    MaybeSent,
}

/// Carries SOAP exchanges to a WS-Man endpoint.
pub trait Transport: Send + Sync {
    /// Send one request and wait for its response.
    ///
    /// Errors carry an [`crate::ErrorKind`]; [`Transport::last_delivery`] tells whether the
    /// failed request may have reached the host.
    fn exchange<'a>(&'a self, request: SoapRequest) -> BoxFuture<'a, Result<SoapResponse, Error>>;

    /// The endpoint URL that goes into `wsa:To` (e.g. `http://hv01:5985/wsman`).
    fn endpoint(&self) -> &str;

    /// Whether the most recent failed exchange may have reached the host.
    fn last_delivery(&self) -> Delivery {
        Delivery::MaybeSent
    }
}

impl<T: Transport + ?Sized> Transport for std::sync::Arc<T> {
    fn exchange<'a>(&'a self, request: SoapRequest) -> BoxFuture<'a, Result<SoapResponse, Error>> {
        (**self).exchange(request)
    }
    fn endpoint(&self) -> &str {
        (**self).endpoint()
    }
    fn last_delivery(&self) -> Delivery {
        (**self).last_delivery()
    }
}

impl<T: Transport + ?Sized> Transport for Box<T> {
    fn exchange<'a>(&'a self, request: SoapRequest) -> BoxFuture<'a, Result<SoapResponse, Error>> {
        (**self).exchange(request)
    }
    fn endpoint(&self) -> &str {
        (**self).endpoint()
    }
    fn last_delivery(&self) -> Delivery {
        (**self).last_delivery()
    }
}
