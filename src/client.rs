//! `WsManClient`: WS-Man operations over a [`Transport`] (glue tier: logic only, I/O through the
//! transport it is handed; hyperv-wsman.md §4–§8, §13).
//!
//! Each call is build (sans-IO `wsman` builders) → [`Transport::exchange`] → parse. A SOAP fault,
//! whatever the HTTP status, becomes an [`Error`] of kind `Fault` carrying the parsed
//! [`Fault`](crate::soap::Fault) and a message such as
//! `get Msvm_ConcreteJob: <reason> (wsman code 2150858752)`; an unparseable reply is `Protocol`.
//! Enumeration streams page by page, re-issues a Pull after `w:TimedOut`, falls back once to
//! MaxEnvelopeSize 153600 after a `w:EncodingLimit` fault, and stops with `LimitExceeded` at the
//! configured page or item bound. What this does not do: know Hyper-V classes (see `hyperv`) or
//! retry a request that may have reached the host, other than the cases above where the host
//! refused it.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use crate::error::{Error, ErrorKind, Result};
use crate::soap::{MessageIdSource, SoapError, UuidMessageIds};
use crate::transport::{SoapRequest, Transport};
use crate::wsman::enumerate::{self, EnumerateRequest, ItemView, Page};
use crate::wsman::identify::{self, IdentifyResponse};
use crate::wsman::invoke::{self, InvokeOutput, InvokeRequest, ParamValue};
use crate::wsman::{self, FALLBACK_MAX_ENVELOPE_SIZE, Settings};
use crate::xml::Element;

pub use crate::wsman::enumerate::{EnumItem, EnumerationMode};

/// Tunables of a [`WsManClient`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientOptions {
    /// `w:MaxEnvelopeSize` in bytes (default 512000).
    pub max_envelope_size: u32,
    /// `w:OperationTimeout` (default 60 s).
    pub operation_timeout: Duration,
    /// `xml:lang` of `w:Locale` (default `en-US`).
    pub locale: String,
    /// Most responses (Enumerate + Pulls, timed-out Pulls included) one enumeration may take.
    pub max_pages: usize,
    /// Most items one enumeration may deliver.
    pub max_items: usize,
    /// Bounds on every reply parsed (size, nesting depth, attributes per element).
    pub xml_limits: crate::xml::Limits,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            max_envelope_size: wsman::DEFAULT_MAX_ENVELOPE_SIZE,
            operation_timeout: Duration::from_secs(60),
            locale: "en-US".to_string(),
            max_pages: 10_000,
            max_items: 1_000_000,
            xml_limits: crate::xml::Limits::default(),
        }
    }
}

/// A WS-Man client over a transport.
pub struct WsManClient<T: Transport> {
    transport: T,
    options: ClientOptions,
    envelope_size: AtomicU32,
    ids: Box<dyn MessageIdSource + Send + Sync>,
}

impl<T: Transport> std::fmt::Debug for WsManClient<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WsManClient")
            .field("endpoint", &self.transport.endpoint())
            .field("options", &self.options)
            .finish()
    }
}

/// What an enumeration is called in errors (`enumerate "<query>"` or `enumerate <Class>`) and
/// the class its items are counted as.
fn describe<'a>(resource_uri: &'a str, filter: Option<&'a str>) -> (String, &'a str) {
    match filter {
        Some(q) => (
            format!("enumerate \"{q}\""),
            wql_class(q).unwrap_or("the query"),
        ),
        None => (
            format!("enumerate {}", class_of(resource_uri)),
            class_of(resource_uri),
        ),
    }
}

/// The class name at the end of a resource URI (`…/v2/Msvm_ConcreteJob` → `Msvm_ConcreteJob`).
fn class_of(resource_uri: &str) -> &str {
    resource_uri.rsplit('/').next().unwrap_or(resource_uri)
}

/// The class a WQL query enumerates (the word after `FROM`).
fn wql_class(q: &str) -> Option<&str> {
    let mut words = q.split_ascii_whitespace();
    words.find(|w| w.eq_ignore_ascii_case("FROM"))?;
    words.next()
}

/// A page or item bound reached: names the bound and the flag that raises it.
fn limit(class: &str, bound: usize, unit: &str, flag: &str) -> Error {
    Error::new(
        ErrorKind::LimitExceeded,
        format!(
            "enumeration of {class} stopped after {bound} {unit} (limit; raise it with {flag})"
        ),
    )
}

/// Map a failure to build a request: our caller gave something unwritable.
fn build_error(what: &str, e: SoapError) -> Error {
    Error::new(
        ErrorKind::Usage,
        format!("{what}: cannot build request: {e}"),
    )
    .with_source(e)
}

/// Map a failure to understand a reply: a fault, or garbage.
fn reply_error(what: &str, status: u16, e: SoapError) -> Error {
    match e {
        SoapError::Fault(f) => Error::new(ErrorKind::Fault, format!("{what}: {f}")).with_fault(*f),
        other => {
            let msg = match status {
                200 => format!("{what}: unexpected reply: {other}"),
                s => format!("{what}: unexpected reply with http status {s}: {other}"),
            };
            Error::new(ErrorKind::Protocol, msg).with_source(other)
        }
    }
}

impl<T: Transport> WsManClient<T> {
    /// A client over `transport` with random upper-case `uuid:` message IDs.
    pub fn new(transport: T, options: ClientOptions) -> Self {
        WsManClient {
            transport,
            envelope_size: AtomicU32::new(options.max_envelope_size),
            options,
            ids: Box::new(UuidMessageIds),
        }
    }

    /// Replace the message-ID source (tests use `SequentialMessageIds`).
    pub fn with_message_ids(mut self, ids: Box<dyn MessageIdSource + Send + Sync>) -> Self {
        self.ids = ids;
        self
    }

    /// The transport.
    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// The options.
    pub fn options(&self) -> &ClientOptions {
        &self.options
    }

    /// The MaxEnvelopeSize now in use (lower than configured after an EncodingLimit fallback).
    pub fn max_envelope_size(&self) -> u32 {
        self.envelope_size.load(Ordering::Relaxed)
    }

    fn settings(&self) -> Settings {
        Settings {
            to: self.transport.endpoint().to_string(),
            max_envelope_size: self.max_envelope_size(),
            operation_timeout: self.options.operation_timeout,
            locale: self.options.locale.clone(),
        }
    }

    /// One exchange: build, send, parse; after a `w:EncodingLimit` fault, lower
    /// MaxEnvelopeSize to 153600 (for this and later requests) and try once more. `parse` gets
    /// the HTTP status, the body and the configured XML limits; `what` names the operation in
    /// errors. Every operation of this client goes through here (generic commands too).
    pub async fn call<R>(
        &self,
        what: &str,
        build: impl Fn(&Settings, &dyn MessageIdSource) -> Result<SoapRequest, SoapError>,
        parse: impl Fn(u16, &str, &crate::xml::Limits) -> Result<R, SoapError>,
    ) -> Result<R> {
        let mut fell_back = false;
        loop {
            let settings = self.settings();
            let request = build(&settings, &*self.ids).map_err(|e| build_error(what, e))?;
            let response = self
                .transport
                .exchange(request)
                .await
                .map_err(|e| e.context(what))?;
            match parse(response.status, &response.body, &self.options.xml_limits) {
                Err(SoapError::Fault(f))
                    if f.is_encoding_limit()
                        && !fell_back
                        && settings.max_envelope_size != FALLBACK_MAX_ENVELOPE_SIZE =>
                {
                    tracing::debug!(
                        "{what}: encoding limit fault, retrying with a smaller envelope"
                    );
                    self.envelope_size
                        .store(FALLBACK_MAX_ENVELOPE_SIZE, Ordering::Relaxed);
                    fell_back = true;
                }
                Ok(_) if response.status >= 300 => {
                    return Err(Error::new(
                        ErrorKind::Protocol,
                        format!(
                            "{what}: http status {} without a soap fault",
                            response.status
                        ),
                    ));
                }
                other => return other.map_err(|e| reply_error(what, response.status, e)),
            }
        }
    }

    /// WS-Man Identify.
    pub async fn identify(&self) -> Result<IdentifyResponse> {
        self.call("identify", identify::request, identify::parse_with)
            .await
    }

    /// WS-Transfer Get: the instance element of `resource_uri` with key `selectors`.
    pub async fn get(&self, resource_uri: &str, selectors: &[(String, String)]) -> Result<Element> {
        let what = format!("get {}", class_of(resource_uri));
        self.call(
            &what,
            |s, ids| wsman::get::request(s, ids, resource_uri, selectors),
            wsman::get::parse_with,
        )
        .await
    }

    /// Invoke `method` on the instance of `resource_uri` selected by `selectors`.
    /// The output is returned whatever its ReturnValue; interpreting it is the caller's job.
    pub async fn invoke(
        &self,
        resource_uri: &str,
        method: &str,
        selectors: &[(String, String)],
        params: &[(String, ParamValue)],
    ) -> Result<InvokeOutput> {
        let what = format!("invoke {}.{method}", class_of(resource_uri));
        let request = InvokeRequest {
            resource_uri: resource_uri.to_string(),
            method: method.to_string(),
            selectors: selectors.to_vec(),
            params: params.to_vec(),
        };
        self.call(
            &what,
            |s, ids| request.to_request(s, ids),
            |status, body, limits| invoke::parse_output_with(status, body, Some(method), limits),
        )
        .await
    }

    /// Enumerate `resource_uri` (with a WQL `filter`, use the `…/v2/*` URI), handing each item to
    /// `on_item` as soon as its page has been parsed. Returns the number of items delivered.
    /// An error from `on_item`, or a page/item bound, releases the context and stops.
    pub async fn enumerate(
        &self,
        resource_uri: &str,
        filter: Option<&str>,
        mode: EnumerationMode,
        on_item: &mut (dyn FnMut(EnumItem) -> Result<()> + Send),
    ) -> Result<usize> {
        let (what, class) = describe(resource_uri, filter);
        let request = EnumerateRequest::new(resource_uri, filter, mode);
        self.enumerate_pages(
            &what,
            class,
            resource_uri,
            &request,
            enumerate::parse_page_with,
            on_item,
        )
        .await
    }

    /// [`WsManClient::enumerate`] of plain instances (a WQL `filter` on the `…/v2/*` URI) where
    /// each item is read without building its tree and turned by `map` into what the caller
    /// keeps (a row): the allocation-light path of listings such as `vms`. Every item counts
    /// against `max_items`, whatever `map` makes of it.
    pub async fn enumerate_mapped<R: Send>(
        &self,
        resource_uri: &str,
        filter: Option<&str>,
        map: &(dyn Fn(&ItemView<'_>) -> R + Sync),
        on_item: &mut (dyn FnMut(R) -> Result<()> + Send),
    ) -> Result<usize> {
        let (what, class) = describe(resource_uri, filter);
        let request = EnumerateRequest::new(resource_uri, filter, EnumerationMode::Objects);
        self.enumerate_pages(
            &what,
            class,
            resource_uri,
            &request,
            |status, body, limits| enumerate::parse_page_map(status, body, limits, &|v| map(&v)),
            on_item,
        )
        .await
    }

    async fn enumerate_pages<R>(
        &self,
        what: &str,
        class: &str,
        resource_uri: &str,
        request: &EnumerateRequest,
        parse: impl Fn(u16, &str, &crate::xml::Limits) -> std::result::Result<Page<R>, SoapError> + Copy,
        on_item: &mut (dyn FnMut(R) -> Result<()> + Send),
    ) -> Result<usize> {
        let mut page: Page<R> = self
            .call(what, |s, ids| request.to_request(s, ids), parse)
            .await?;
        let (mut pages, mut count) = (1usize, 0usize);
        loop {
            let context = page.context.take();
            for item in std::mem::take(&mut page.items) {
                let step = if count >= self.options.max_items {
                    Err(limit(class, self.options.max_items, "items", "--max-items"))
                } else {
                    on_item(item)
                };
                if let Err(e) = step {
                    self.abandon(resource_uri, context.as_deref(), page.end_of_sequence)
                        .await;
                    return Err(e);
                }
                count += 1;
            }
            if page.end_of_sequence {
                return Ok(count);
            }
            let context = context.ok_or_else(|| {
                Error::new(
                    ErrorKind::Protocol,
                    format!(
                        "{what}: reply has neither an end of sequence nor an enumeration context"
                    ),
                )
            })?;
            page = self
                .pull_page(what, class, resource_uri, &context, &mut pages, parse)
                .await?;
        }
    }

    /// Pull the next page, re-issuing the Pull after `w:TimedOut`; every response counts
    /// against `max_pages`.
    async fn pull_page<R>(
        &self,
        what: &str,
        class: &str,
        resource_uri: &str,
        context: &str,
        pages: &mut usize,
        parse: impl Fn(u16, &str, &crate::xml::Limits) -> std::result::Result<Page<R>, SoapError>,
    ) -> Result<Page<R>> {
        loop {
            if *pages >= self.options.max_pages {
                self.abandon(resource_uri, Some(context), false).await;
                return Err(limit(class, self.options.max_pages, "pages", "--max-pages"));
            }
            *pages += 1;
            let result = self
                .call(
                    what,
                    |s, ids| {
                        enumerate::pull_request(
                            s,
                            ids,
                            resource_uri,
                            context,
                            wsman::DEFAULT_MAX_ELEMENTS,
                        )
                    },
                    &parse,
                )
                .await;
            match result {
                Err(e) if e.fault().is_some_and(|f| f.is_timed_out()) => {
                    tracing::debug!("{what}: pull timed out on the host, pulling again");
                }
                other => return other,
            }
        }
    }

    /// Best-effort Release of a context we stop using before its end.
    async fn abandon(&self, resource_uri: &str, context: Option<&str>, ended: bool) {
        if let (Some(ctx), false) = (context, ended)
            && let Err(e) = self.release(resource_uri, ctx).await
        {
            tracing::debug!("release after abandoning an enumeration failed: {e}");
        }
    }

    /// [`WsManClient::enumerate`] collecting every item.
    pub async fn enumerate_all(
        &self,
        resource_uri: &str,
        filter: Option<&str>,
        mode: EnumerationMode,
    ) -> Result<Vec<EnumItem>> {
        let mut items = Vec::new();
        self.enumerate(resource_uri, filter, mode, &mut |item| {
            items.push(item);
            Ok(())
        })
        .await?;
        Ok(items)
    }

    /// Release an enumeration context (only needed when abandoning one before its end).
    pub async fn release(&self, resource_uri: &str, context: &str) -> Result<()> {
        let what = format!("release enumeration of {}", class_of(resource_uri));
        self.call(
            &what,
            |s, ids| enumerate::release_request(s, ids, resource_uri, context),
            |status, body, limits| wsman::parse_response_with(status, body, limits).map(|_| ()),
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::soap::fault::{Fault, WSMAN_FAULT_ACTION};
    use crate::soap::{Envelope, SequentialMessageIds};
    use crate::transport::{BoxFuture, SoapResponse};
    use crate::wsman::RequestHeaders;
    use crate::xml::ns;
    use std::collections::VecDeque;
    use std::sync::Mutex;

    const V2: &str = "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/virtualization/v2/";
    const STAR: &str = "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/virtualization/v2/*";
    const PARTIAL: &str = include_str!("../fixtures/xml/enumerate_response_partial.xml");
    const FINAL: &str = include_str!("../fixtures/xml/pull_response_final.xml");
    const TIMED_OUT: &str = include_str!("../fixtures/xml/fault_timed_out.xml");

    /// Replies from a script and records every request.
    #[derive(Default)]
    struct Fake {
        replies: Mutex<VecDeque<Result<(u16, String)>>>,
        seen: Mutex<Vec<SoapRequest>>,
    }

    impl Fake {
        fn new(replies: Vec<(u16, &str)>) -> Self {
            let q = replies
                .into_iter()
                .map(|(s, b)| Ok((s, b.to_string())))
                .collect();
            Fake {
                replies: Mutex::new(q),
                ..Fake::default()
            }
        }
        fn seen(&self) -> Vec<SoapRequest> {
            self.seen.lock().unwrap().clone()
        }
    }

    impl Transport for Fake {
        fn exchange<'a>(&'a self, request: SoapRequest) -> BoxFuture<'a, Result<SoapResponse>> {
            self.seen.lock().unwrap().push(request);
            let next = self.replies.lock().unwrap().pop_front();
            Box::pin(async move {
                let (status, body) = next
                    .unwrap_or_else(|| Err(Error::new(ErrorKind::Connect, "script exhausted")))?;
                Ok(SoapResponse { status, body })
            })
        }
        fn endpoint(&self) -> &str {
            "http://hv01.example.test:5985/wsman"
        }
    }

    fn client(replies: Vec<(u16, &str)>, options: ClientOptions) -> WsManClient<Fake> {
        WsManClient::new(Fake::new(replies), options)
            .with_message_ids(Box::new(SequentialMessageIds::new()))
    }

    fn headers(r: &SoapRequest) -> RequestHeaders {
        RequestHeaders::parse(&Envelope::parse(&r.body).unwrap()).unwrap()
    }

    fn names(items: &[EnumItem]) -> Vec<String> {
        let cs = format!("{V2}Msvm_ComputerSystem");
        items
            .iter()
            .filter_map(|i| i.instance.as_ref()?.child_text(&cs, "ElementName"))
            .collect()
    }

    #[tokio::test]
    async fn get_returns_instance() {
        let c = client(
            vec![(200, include_str!("../fixtures/xml/get_job_response.xml"))],
            ClientOptions::default(),
        );
        let sel = vec![(
            "InstanceID".to_string(),
            "3F2B8C41-9D7E-4A05-B6C3-1E8F0A2D5B77".to_string(),
        )];
        let job = c.get(&format!("{V2}Msvm_ConcreteJob"), &sel).await.unwrap();
        assert_eq!(job.local, "Msvm_ConcreteJob");
        let seen = c.transport().seen();
        let h = headers(&seen[0]);
        assert_eq!(
            (h.selectors, h.message_id.as_str()),
            (sel, "uuid:00000000-0000-4000-8000-000000000001")
        );
        assert_eq!(h.to, "http://hv01.example.test:5985/wsman");
    }

    #[tokio::test]
    async fn fault_becomes_fault_error() {
        let c = client(
            vec![(
                500,
                include_str!("../fixtures/xml/fault_invalid_selectors.xml"),
            )],
            ClientOptions::default(),
        );
        let err = c
            .get(&format!("{V2}Msvm_ConcreteJob"), &[])
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Fault);
        assert!(
            err.to_string()
                .starts_with("get Msvm_ConcreteJob: The WS-Management service"),
            "{err}"
        );
        assert!(
            err.to_string().ends_with("(wsman code 2150858813)"),
            "{err}"
        );
        let f = err.fault().unwrap();
        assert_eq!(f.http_status, 500);
        assert!(f.is_not_found());
    }

    #[tokio::test]
    async fn garbage_and_status_without_fault_are_protocol_errors() {
        let ok = include_str!("../fixtures/xml/get_job_response.xml");
        for (status, body) in [
            (200, "<html>oops</html>"),
            (500, ""),
            (200, &ok[..ok.len() / 2]),
            (500, ok),
        ] {
            let c = client(vec![(status, body)], ClientOptions::default());
            let err = c
                .get(&format!("{V2}Msvm_ConcreteJob"), &[])
                .await
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Protocol, "{err}");
            assert!(
                err.to_string().starts_with("get Msvm_ConcreteJob: "),
                "{err}"
            );
        }
        let c = client(vec![], ClientOptions::default());
        let err = c.identify().await.unwrap_err();
        assert_eq!(
            (err.kind(), err.to_string().as_str()),
            (ErrorKind::Connect, "identify: script exhausted")
        );
    }

    #[tokio::test]
    async fn enumerate_streams_pages_and_retries_timed_out_pull() {
        let c = client(
            vec![(200, PARTIAL), (500, TIMED_OUT), (200, FINAL)],
            ClientOptions::default(),
        );
        let items = c
            .enumerate_all(
                STAR,
                Some("SELECT * FROM Msvm_ComputerSystem"),
                EnumerationMode::Objects,
            )
            .await
            .unwrap();
        assert_eq!(
            names(&items),
            ["web01", "db&cache", "build-agent", "o'brien", "test03"]
        );
        let seen = c.transport().seen();
        assert_eq!(seen.len(), 3);
        assert_eq!(seen[1].action, wsman::ACTION_PULL);
        assert_eq!(
            seen[1].body,
            seen[2].body.replace("000000000003", "000000000002")
        );
        let pull =
            crate::wsman::server::parse_pull(&Envelope::parse(&seen[2].body).unwrap()).unwrap();
        assert_eq!(pull.context, "uuid:9A8B7C6D-5E4F-4321-8765-0FEDCBA98765");
        assert_eq!(pull.max_elements, Some(32000));
        assert!(seen.iter().all(|r| r.resource_uri.as_deref() == Some(STAR)));
    }

    #[tokio::test]
    async fn encoding_limit_falls_back_once() {
        let fault = Fault {
            code: "Sender".into(),
            subcode: Some((ns::WSMAN.into(), "EncodingLimit".into())),
            reason: "The maximum envelope size is too small".into(),
            ..Fault::default()
        };
        let fault = fault
            .to_envelope(WSMAN_FAULT_ACTION, "uuid:F", None)
            .unwrap();
        let done = include_str!("../fixtures/xml/enumerate_response_complete.xml");
        let c = client(vec![(500, &fault), (200, done)], ClientOptions::default());
        assert_eq!(
            c.enumerate_all(STAR, None, EnumerationMode::Objects)
                .await
                .unwrap()
                .len(),
            1
        );
        let seen = c.transport().seen();
        assert_eq!(headers(&seen[0]).max_envelope_size, Some(512000));
        assert_eq!(headers(&seen[1]).max_envelope_size, Some(153600));
        assert_eq!(c.max_envelope_size(), 153600);
        let c = client(vec![(500, &fault), (500, &fault)], ClientOptions::default());
        let err = c
            .enumerate_all(STAR, None, EnumerationMode::Objects)
            .await
            .unwrap_err();
        assert!(err.fault().unwrap().is_encoding_limit());
        assert_eq!(c.transport().seen().len(), 2);
    }

    #[tokio::test]
    async fn limits_stop_and_release() {
        let release_ok = include_str!("../fixtures/xml/identify_response.xml");
        let opts = ClientOptions {
            max_items: 1,
            ..ClientOptions::default()
        };
        let c = client(vec![(200, PARTIAL), (200, release_ok)], opts);
        let err = c
            .enumerate_all(
                STAR,
                Some("select * from Msvm_ComputerSystem"),
                EnumerationMode::Objects,
            )
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::LimitExceeded);
        assert_eq!(
            err.to_string(),
            "enumeration of Msvm_ComputerSystem stopped after 1 items (limit; raise it with --max-items)"
        );
        let seen = c.transport().seen();
        assert_eq!(seen.last().unwrap().action, wsman::ACTION_RELEASE);

        let opts = ClientOptions {
            max_pages: 2,
            ..ClientOptions::default()
        };
        let c = client(
            vec![(200, PARTIAL), (500, TIMED_OUT), (200, release_ok)],
            opts,
        );
        let err = c
            .enumerate_all(
                STAR,
                Some("select * from Msvm_ComputerSystem"),
                EnumerationMode::Objects,
            )
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "enumeration of Msvm_ComputerSystem stopped after 2 pages (limit; raise it with --max-pages)"
        );
        assert_eq!(c.transport().seen().len(), 3);
    }

    #[tokio::test]
    async fn callback_error_stops_without_release_after_end() {
        let c = client(
            vec![(
                200,
                include_str!("../fixtures/xml/enumerate_response_complete.xml"),
            )],
            ClientOptions::default(),
        );
        let mut calls = 0;
        let err = c
            .enumerate(STAR, None, EnumerationMode::Objects, &mut |_| {
                calls += 1;
                Err(Error::new(ErrorKind::Usage, "stop"))
            })
            .await
            .unwrap_err();
        assert_eq!((err.to_string().as_str(), calls), ("stop", 1));
        assert_eq!(c.transport().seen().len(), 1);
    }

    #[tokio::test]
    async fn invoke_export_returns_job() {
        let c = client(
            vec![(
                200,
                include_str!("../fixtures/xml/invoke_export_output.xml"),
            )],
            ClientOptions::default(),
        );
        let vm = crate::soap::Epr::anonymous(
            format!("{V2}Msvm_ComputerSystem"),
            vec![("Name".into(), "G".into())],
        );
        let params = vec![("ComputerSystem".to_string(), ParamValue::Ref(vm))];
        let out = c
            .invoke(
                &format!("{V2}Msvm_VirtualSystemManagementService"),
                "ExportSystemDefinition",
                &[],
                &params,
            )
            .await
            .unwrap();
        assert_eq!(out.return_value, 4096);
        assert!(
            out.epr("Job")
                .unwrap()
                .unwrap()
                .selector("InstanceID")
                .is_some()
        );
        let seen = c.transport().seen();
        assert!(
            seen[0]
                .action
                .ends_with("Msvm_VirtualSystemManagementService/ExportSystemDefinition")
        );
        let err = c.invoke(STAR, "bad name", &[], &[]).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Usage);
    }

    #[test]
    fn futures_are_send() {
        fn assert_send<F: Send>(_: F) {}
        let c = client(vec![], ClientOptions::default());
        assert_send(c.enumerate_all(STAR, None, EnumerationMode::Objects));
        assert_send(c.get(STAR, &[]));
    }
}
