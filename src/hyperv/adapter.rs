//! [`Ops`] over [`WsManClient`]: the Hyper-V glue's three operations mapped onto the one WS-Man
//! client (hyperv-wsman.md §5, §6, §8). Get, WQL Enumerate on the `root\virtualization\v2` `*`
//! URI with Pulls until `EndOfSequence` (streamed item by item), and Invoke.
//!
//! Glue: I/O only through the transport inside the client, which owns every WS-Man behaviour
//! (TimedOut Pull retry, the EncodingLimit fallback to 153600 bytes, the page, item and XML
//! limits). Faults become `ErrorKind::Fault` errors carrying the parsed
//! [`crate::soap::Fault`]; other unparseable replies are `Protocol` errors. An Invoke is never
//! repeated here: the job follower decides what is worth repeating.

use crate::client::{ClientOptions, EnumerationMode, WsManClient};
use crate::error::Error;
use crate::soap::MessageIdSource;
use crate::transport::{BoxFuture, Transport};
use crate::wsman::invoke::{InvokeOutput, ParamValue};
use crate::xml::Element;

use super::classes;
use super::ops::{Arg, ItemSink, MethodOutput, Ops};

/// [`Ops`] over a transport, through one [`WsManClient`].
pub struct WsManOps<T: Transport> {
    client: WsManClient<T>,
    no_poll_delay: bool,
}

impl<T: Transport> WsManOps<T> {
    /// Use `transport` with the default [`ClientOptions`] and random message IDs.
    pub fn new(transport: T) -> Self {
        Self::with_options(transport, ClientOptions::default())
    }

    /// Use `transport` with `options` (envelope size, timeout, page/item/XML limits).
    pub fn with_options(transport: T, options: ClientOptions) -> Self {
        WsManOps {
            client: WsManClient::new(transport, options),
            no_poll_delay: false,
        }
    }

    /// Use another message-ID source (deterministic tests).
    pub fn with_ids(mut self, ids: Box<dyn MessageIdSource + Send + Sync>) -> Self {
        self.client = self.client.with_message_ids(ids);
        self
    }

    /// Poll jobs without waiting between polls (for a replayed transport).
    pub fn without_poll_delay(mut self) -> Self {
        self.no_poll_delay = true;
        self
    }

    /// The WS-Man client (for generic operations such as `wsman identify`).
    pub fn client(&self) -> &WsManClient<T> {
        &self.client
    }

    /// The options the client runs with.
    pub fn client_options(&self) -> &ClientOptions {
        self.client.options()
    }

    /// The transport.
    pub fn transport(&self) -> &T {
        self.client.transport()
    }
}

fn param(a: &Arg) -> ParamValue {
    match a {
        Arg::Str(s) => ParamValue::Scalar(s.clone()),
        Arg::U32(n) => ParamValue::Scalar(n.to_string()),
        Arg::Ref(e) => ParamValue::Ref(e.clone()),
    }
}

/// The glue's view of an Invoke reply: REF out parameters as EPRs, the rest as text.
pub fn method_output(out: InvokeOutput) -> MethodOutput {
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
    m
}

impl<T: Transport> Ops for WsManOps<T> {
    fn poll_delay(&self, n: u32) -> std::time::Duration {
        if self.no_poll_delay {
            std::time::Duration::ZERO
        } else {
            super::job::poll_delay(n)
        }
    }

    fn get<'a>(
        &'a self,
        uri: &'a str,
        sel: &'a [(String, String)],
    ) -> BoxFuture<'a, Result<Element, Error>> {
        Box::pin(self.client.get(uri, sel))
    }

    fn query<'a>(&'a self, wql: &'a str) -> BoxFuture<'a, Result<Vec<Element>, Error>> {
        Box::pin(async move {
            let mut out = Vec::new();
            self.query_each(wql, &mut |e| {
                out.push(e);
                Ok(())
            })
            .await?;
            Ok(out)
        })
    }

    fn query_each<'a>(
        &'a self,
        wql: &'a str,
        sink: ItemSink<'a>,
    ) -> BoxFuture<'a, Result<usize, Error>> {
        Box::pin(async move {
            let uri = classes::wql_uri();
            self.client
                .enumerate(
                    &uri,
                    Some(wql),
                    EnumerationMode::Objects,
                    &mut |item| match item.instance {
                        Some(e) => sink(e),
                        None => Ok(()),
                    },
                )
                .await
        })
    }

    fn query_each_vm<'a>(
        &'a self,
        wql: &'a str,
        sink: super::ops::VmSink<'a>,
    ) -> BoxFuture<'a, Result<usize, Error>> {
        Box::pin(async move {
            let uri = classes::wql_uri();
            self.client
                .enumerate_mapped(
                    &uri,
                    Some(wql),
                    &classes::vm_from_view,
                    &mut |vm| match vm {
                        Some(vm) => sink(vm),
                        None => Ok(()),
                    },
                )
                .await
        })
    }

    fn invoke<'a>(
        &'a self,
        uri: &'a str,
        method: &'a str,
        sel: &'a [(String, String)],
        args: &'a [(String, Arg)],
    ) -> BoxFuture<'a, Result<MethodOutput, Error>> {
        Box::pin(async move {
            let params: Vec<(String, ParamValue)> =
                args.iter().map(|(n, a)| (n.clone(), param(a))).collect();
            let out = self.client.invoke(uri, method, sel, &params).await?;
            Ok(method_output(out))
        })
    }
}
