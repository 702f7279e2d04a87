//! [`Ops`] over any [`Transport`], built from the sans-IO `wsman` messages: Get, Enumerate with
//! WQL on the `root\virtualization\v2` `*` URI followed by Pulls until `EndOfSequence`, and
//! Invoke (hyperv-wsman.md §5, §6, §8).
//!
//! Glue: I/O only through the transport. Faults become `ErrorKind::Fault` errors carrying the
//! parsed [`crate::soap::Fault`]; other unparseable replies are `Protocol` errors. No retries
//! here: the job follower decides what is worth repeating, and an Invoke is never repeated.

use crate::error::{Error, ErrorKind};
use crate::soap::{MessageIdSource, SoapError, UuidMessageIds};
use crate::transport::{BoxFuture, SoapRequest, SoapResponse, Transport};
use crate::wsman::enumerate::{self, EnumerateRequest, EnumerationMode};
use crate::wsman::invoke::{self, InvokeRequest, ParamValue};
use crate::wsman::{Settings, get};
use crate::xml::Element;

use super::classes;
use super::ops::{Arg, MethodOutput, Ops};

/// Most Pull round trips per enumeration (a hostile server cannot keep us forever).
pub const MAX_PAGES: usize = 10_000;
/// Pulls repeated after `w:TimedOut` before giving up.
pub const MAX_PULL_RETRIES: u32 = 5;

/// [`Ops`] over a transport.
pub struct WsManOps<T> {
    transport: T,
    settings: Settings,
    ids: Box<dyn MessageIdSource + Send + Sync>,
}

impl<T: Transport> WsManOps<T> {
    /// Use `transport` with Windows' default settings and random message IDs.
    pub fn new(transport: T) -> Self {
        let settings = Settings::new(transport.endpoint());
        WsManOps {
            transport,
            settings,
            ids: Box::new(UuidMessageIds),
        }
    }

    /// Replace the header settings (OperationTimeout, MaxEnvelopeSize, locale).
    pub fn with_settings(mut self, settings: Settings) -> Self {
        self.settings = settings;
        self
    }

    /// Use another message-ID source (deterministic tests).
    pub fn with_ids(mut self, ids: Box<dyn MessageIdSource + Send + Sync>) -> Self {
        self.ids = ids;
        self
    }

    /// The transport.
    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// Header settings in use.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The message-ID source.
    pub fn ids(&self) -> &dyn MessageIdSource {
        self.ids.as_ref()
    }

    /// Send one built request.
    pub async fn send(
        &self,
        req: Result<SoapRequest, SoapError>,
        op: &str,
    ) -> Result<SoapResponse, Error> {
        let req = req.map_err(|e| soap_error(e, op))?;
        self.transport
            .exchange(req)
            .await
            .map_err(|e| e.context(op))
    }

    async fn query_all(&self, wql: &str) -> Result<Vec<Element>, Error> {
        let uri = classes::wql_uri();
        let op = "enumerate";
        let first = EnumerateRequest::new(&uri, Some(wql), EnumerationMode::Objects);
        let resp = self
            .send(first.to_request(&self.settings, self.ids()), op)
            .await?;
        let mut page =
            enumerate::parse_page(resp.status, &resp.body).map_err(|e| soap_error(e, op))?;
        let mut out = Vec::new();
        for _ in 0..MAX_PAGES {
            out.extend(page.items.drain(..).filter_map(|i| i.instance));
            let ctx = match (&page.context, page.end_of_sequence) {
                (Some(c), false) if !c.is_empty() => c.clone(),
                _ => return Ok(out),
            };
            page = self.pull(&uri, &ctx, first.max_elements).await?;
        }
        Err(Error::new(
            ErrorKind::LimitExceeded,
            format!("enumeration exceeded {MAX_PAGES} pages"),
        ))
    }

    /// One Pull; a `w:TimedOut` fault (the host had nothing ready within OperationTimeout) is
    /// answered by pulling again with the same context, up to [`MAX_PULL_RETRIES`] times.
    async fn pull(&self, uri: &str, ctx: &str, max: u32) -> Result<enumerate::Page, Error> {
        let mut attempt = 0;
        loop {
            let req = enumerate::pull_request(&self.settings, self.ids(), uri, ctx, max);
            let resp = self.send(req, "pull").await?;
            match enumerate::parse_page(resp.status, &resp.body) {
                Ok(p) => return Ok(p),
                Err(e) if attempt < MAX_PULL_RETRIES && is_timed_out(&e) => attempt += 1,
                Err(e) => return Err(soap_error(e, "pull")),
            }
        }
    }

    async fn invoke_once(
        &self,
        uri: &str,
        method: &str,
        selectors: &[(String, String)],
        args: &[(String, Arg)],
    ) -> Result<MethodOutput, Error> {
        let req = InvokeRequest {
            resource_uri: uri.to_string(),
            method: method.to_string(),
            selectors: selectors.to_vec(),
            params: args.iter().map(|(n, a)| (n.clone(), param(a))).collect(),
        };
        let op = format!("invoke {method}");
        let resp = self
            .send(req.to_request(&self.settings, self.ids()), &op)
            .await?;
        let out = invoke::parse_output(resp.status, &resp.body, Some(method))
            .map_err(|e| soap_error(e, &op))?;
        let mut m = MethodOutput {
            return_value: out.return_value,
            ..Default::default()
        };
        for p in &out.params {
            if p.local == "ReturnValue" || p.is_nil() {
                continue;
            }
            match crate::soap::Epr::from_element(p) {
                Ok(epr) if !epr.resource_uri.is_empty() => m.refs.push((p.local.clone(), epr)),
                _ => m.values.push((p.local.clone(), p.text_trim())),
            }
        }
        Ok(m)
    }
}

fn is_timed_out(e: &SoapError) -> bool {
    e.fault()
        .is_some_and(|f| f.subcode_local() == Some("TimedOut"))
}

fn param(a: &Arg) -> ParamValue {
    match a {
        Arg::Str(s) => ParamValue::Scalar(s.clone()),
        Arg::U32(n) => ParamValue::Scalar(n.to_string()),
        Arg::Ref(e) => ParamValue::Ref(e.clone()),
    }
}

/// A `SoapError` as a crate error: faults keep their detail.
pub fn soap_error(e: SoapError, op: &str) -> Error {
    match e {
        SoapError::Fault(f) => {
            let sub = f
                .subcode_local()
                .map(|s| format!(" {s}"))
                .unwrap_or_default();
            let reason = f.reason.trim().to_string();
            Error::new(
                ErrorKind::Fault,
                format!("{op}: wsman fault{sub}: {reason}"),
            )
            .with_fault(*f)
        }
        other => Error::new(ErrorKind::Protocol, format!("{op}: {other}")),
    }
}

impl<T: Transport> Ops for WsManOps<T> {
    fn get<'a>(
        &'a self,
        uri: &'a str,
        sel: &'a [(String, String)],
    ) -> BoxFuture<'a, Result<Element, Error>> {
        Box::pin(async move {
            let resp = self
                .send(get::request(&self.settings, self.ids(), uri, sel), "get")
                .await?;
            get::parse(resp.status, &resp.body).map_err(|e| soap_error(e, "get"))
        })
    }

    fn query<'a>(&'a self, wql: &'a str) -> BoxFuture<'a, Result<Vec<Element>, Error>> {
        Box::pin(self.query_all(wql))
    }

    fn invoke<'a>(
        &'a self,
        uri: &'a str,
        method: &'a str,
        sel: &'a [(String, String)],
        args: &'a [(String, Arg)],
    ) -> BoxFuture<'a, Result<MethodOutput, Error>> {
        Box::pin(self.invoke_once(uri, method, sel, args))
    }
}
