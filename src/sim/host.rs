//! The simulated Hyper-V WinRM host, pure and sans-IO: `Host::handle(now, request) -> response`.
//!
//! What it does: parses one plaintext SOAP request envelope with `crate::xml` (by namespace URI
//! and local name), answers Identify, WS-Transfer Get, WS-Enumeration Enumerate/Pull/Release
//! (`sim::enumerate`) and the Invoke methods `Msvm_VirtualSystemManagementService/
//! ExportSystemDefinition`, `Msvm_ConcreteJob/RequestStateChange` and
//! `Msvm_ConcreteJob/GetErrorEx` (`sim::invoke`), and applies the scenario's fault injection.
//! Time arrives as `now` (a `Duration` since the simulator started); message IDs are
//! deterministic. Which fault answers which mistake is listed in `sim::faults`.
//! What it does not: HTTP, NTLM or sealing (that is `sim::server`'s job), or read a clock.
//! Spec: DSP0226 / MS-WSMV as summarized in hyperv-wsman.md §3–§8, §13, §18, §19.

use std::time::Duration;

use super::enumerate::Contexts;
use super::envelope::{self, ReplyIds, Request, SimFault};
use super::faults;
use super::model::{self, Instance};
use super::render;
use super::scenario::SimConfig;
use super::state::State;
use crate::xml::{XmlWriter, ns};

/// The reply to one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimResponse {
    /// HTTP status (200, 500 for faults, 400 for malformed requests).
    pub status: u16,
    /// The SOAP envelope (plaintext).
    pub body: String,
    /// How long the server should wait before answering (fault injection).
    pub delay: Duration,
    /// The request was processed but the server must close the connection instead of sending
    /// this reply (fault injection: the reply is lost).
    pub close_connection: bool,
}

/// Default `w:MaxEnvelopeSize` when a request sends none (Windows' default, 500 KB).
pub const DEFAULT_MAX_ENVELOPE: u64 = 512_000;
/// Smallest accepted `w:MaxEnvelopeSize` (MS-WSMV 3.1.4.1.7).
pub const MIN_MAX_ENVELOPE: u64 = 8_192;

const TRANSFER_GET: &str = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get";
const ENUMERATE: &str = "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate";
const PULL: &str = "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Pull";
const RELEASE: &str = "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Release";

/// One request in flight: what handlers need to answer it.
#[derive(Debug)]
pub struct Call<'a> {
    /// Simulated time.
    pub now: Duration,
    /// The parsed request.
    pub req: &'a Request,
    /// Reply identifiers.
    pub ids: ReplyIds<'a>,
    /// The client's MaxEnvelopeSize.
    pub max_envelope: usize,
}

/// The simulated host.
#[derive(Debug)]
pub struct Host {
    /// The model (public so tests and the server can inspect it).
    pub state: State,
    pub(crate) contexts: Contexts,
    requests: u64,
    replies: u64,
}

impl Host {
    /// A host for a scenario.
    pub fn new(config: SimConfig) -> Self {
        Host {
            state: State::new(config),
            contexts: Contexts::default(),
            requests: 0,
            replies: 0,
        }
    }

    /// How many ExportSystemDefinition invocations reached the method.
    pub fn export_invocations(&self) -> u64 {
        self.state.export_invocations
    }

    /// How many requests were handled.
    pub fn request_count(&self) -> u64 {
        self.requests
    }

    /// Answer one request envelope at simulated time `now`.
    pub fn handle(&mut self, now: Duration, request: &str) -> SimResponse {
        self.requests += 1;
        self.replies += 1;
        let n = self.requests;
        self.state.advance(now);
        self.contexts.expire(now);
        let message_id = format!(
            "uuid:{}",
            model::guid(self.state.config.seed ^ 0xA5A5, self.replies)
        );
        let (status, mut body) = match envelope::parse_request(request) {
            Err(e) => self.fault_text(&faults::schema_validation(&e), &message_id, None),
            Ok(req) => {
                let ids = ReplyIds {
                    message_id: &message_id,
                    relates_to: req.message_id.as_deref(),
                };
                match self.dispatch(now, &req, ids) {
                    Ok(text) => (200, text),
                    Err(f) => self.fault_text(&f, &message_id, req.message_id.as_deref()),
                }
            }
        };
        let inject = &self.state.config.faults;
        if inject.malformed_response_at == Some(n) {
            body.truncate(body.len() / 2);
            while !body.is_char_boundary(body.len()) {
                body.pop();
            }
        }
        SimResponse {
            status,
            body,
            delay: Duration::from_millis(inject.delay_ms),
            close_connection: inject.close_after_request == Some(n),
        }
    }

    fn fault_text(&self, f: &SimFault, mid: &str, relates: Option<&str>) -> (u16, String) {
        let status = if self.state.config.faults.faults_with_400 {
            400
        } else {
            f.status
        };
        let ids = ReplyIds {
            message_id: mid,
            relates_to: relates,
        };
        (status, envelope::fault(f, ids, &self.state.config.dns_name))
    }

    fn dispatch(
        &mut self,
        now: Duration,
        req: &Request,
        ids: ReplyIds<'_>,
    ) -> Result<String, SimFault> {
        if req
            .body
            .as_ref()
            .is_some_and(|b| b.is(ns::IDENTITY, "Identify"))
        {
            return Ok(self.identify(ids, &self.state.config.os_version));
        }
        if self.state.config.faults.access_denied {
            return Err(faults::access_denied());
        }
        let max_envelope = check_max_envelope(req)?;
        let call = Call {
            now,
            req,
            ids,
            max_envelope,
        };
        let action = req.action.as_deref().unwrap_or_default();
        match action {
            TRANSFER_GET => self.get(&call),
            ENUMERATE => self.enumerate(&call),
            PULL => self.pull(&call),
            RELEASE => self.release(&call),
            a if a.starts_with(ns::HYPERV_V2) => self.invoke(&call),
            a => Err(faults::action_not_supported(a)),
        }
    }

    /// Answer an unauthenticated Identify (HTTP header `WSMANIDENTIFY: unauthenticated`):
    /// the OS version reads `0.0.0`, as Windows reports it (hyperv-wsman.md §4). Any other
    /// request gets `None` (the caller answers 401).
    pub fn identify_unauthenticated(&mut self, request: &str) -> Option<SimResponse> {
        let req = envelope::parse_request(request).ok()?;
        if !req
            .body
            .as_ref()
            .is_some_and(|b| b.is(ns::IDENTITY, "Identify"))
        {
            return None;
        }
        self.replies += 1;
        let message_id = format!(
            "uuid:{}",
            model::guid(self.state.config.seed ^ 0xA5A5, self.replies)
        );
        let ids = ReplyIds {
            message_id: &message_id,
            relates_to: req.message_id.as_deref(),
        };
        let body = self.identify(ids, "0.0.0");
        Some(SimResponse {
            status: 200,
            body,
            delay: Duration::ZERO,
            close_connection: false,
        })
    }

    fn identify(&self, ids: ReplyIds<'_>, os_version: &str) -> String {
        let version = format!("OS: {os_version} SP: 0.0 Stack: 3.0");
        envelope::envelope(None, ids, |w| {
            w.start("wsmid:IdentifyResponse")
                .attr("xmlns:wsmid", ns::IDENTITY);
            w.leaf("wsmid:ProtocolVersion", ns::WSMAN);
            w.leaf("wsmid:ProductVendor", "Microsoft Corporation");
            w.leaf("wsmid:ProductVersion", &version);
            w.start("wsmid:SecurityProfiles");
            w.leaf(
                "wsmid:SecurityProfileName",
                "http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/http/basic",
            );
            w.leaf(
                "wsmid:SecurityProfileName",
                "http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/http/spnego-kerberos",
            );
            w.end().end();
        })
    }

    fn get(&mut self, call: &Call<'_>) -> Result<String, SimFault> {
        let class = class_of_uri(call.req.resource_uri.as_deref())?;
        let inst = self.select_instance(class, &call.req.selectors, call.now)?;
        let body = render::item(&inst, None, render::Mode::Object);
        let action = format!("{TRANSFER_GET}Response");
        Ok(envelope::envelope(Some(&action), call.ids, |w| {
            w.raw_fragment(&body);
        }))
    }

    /// The one instance of `class` that the selectors name (all keys required).
    pub(crate) fn select_instance(
        &self,
        class: &'static str,
        selectors: &[(String, String)],
        now: Duration,
    ) -> Result<Instance, SimFault> {
        let keys = check_selectors(class, selectors)?;
        for k in model::key_names(class) {
            if !keys.iter().any(|(n, _)| n == k) {
                return Err(faults::insufficient_selectors(k));
            }
        }
        self.state
            .instances(class, now)
            .into_iter()
            .find(|i| {
                keys.iter()
                    .all(|(k, v)| i.get_str(k).is_some_and(|x| x.eq_ignore_ascii_case(v)))
            })
            .ok_or_else(|| faults::not_found(&describe(class, &keys)))
    }

    /// Write a method's `_OUTPUT` reply.
    pub(crate) fn output(
        call: &Call<'_>,
        class: &str,
        element: &'static str,
        fill: impl FnOnce(&mut XmlWriter),
    ) -> String {
        let action = format!("{}Response", call.req.action.as_deref().unwrap_or_default());
        envelope::envelope(Some(&action), call.ids, |w| {
            w.start(element)
                .attr("xmlns:p", &render::class_uri(class))
                .attr("xmlns:xsi", ns::XSI);
            fill(w);
            w.end();
        })
    }
}

fn describe(class: &str, keys: &[(&'static str, String)]) -> String {
    let parts: Vec<String> = keys.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("{class}({})", parts.join(","))
}

fn check_max_envelope(req: &Request) -> Result<usize, SimFault> {
    let v = match &req.max_envelope {
        None => DEFAULT_MAX_ENVELOPE,
        Some(Err(t)) => {
            return Err(faults::encoding_limit(&format!(
                "maxenvelopesize {t:?} is not a number"
            )));
        }
        Some(Ok(v)) => *v,
    };
    if !(MIN_MAX_ENVELOPE..=DEFAULT_MAX_ENVELOPE).contains(&v) {
        return Err(faults::encoding_limit(&format!(
            "maxenvelopesize {v} is outside {MIN_MAX_ENVELOPE}..={DEFAULT_MAX_ENVELOPE}"
        )));
    }
    Ok(v as usize)
}

/// The class a `…/v2/<Class>` resource URI names.
pub(crate) fn class_of_uri(uri: Option<&str>) -> Result<&'static str, SimFault> {
    let uri = uri.unwrap_or_default();
    uri.get(..ns::HYPERV_V2.len())
        .filter(|p| p.eq_ignore_ascii_case(ns::HYPERV_V2))
        .and_then(|_| uri.get(ns::HYPERV_V2.len()..))
        .and_then(model::canonical_class)
        .ok_or_else(|| faults::invalid_resource_uri(uri))
}

/// Validate selector names against the class keys (and `__cimnamespace`); canonical key names.
pub(crate) fn check_selectors(
    class: &str,
    selectors: &[(String, String)],
) -> Result<Vec<(&'static str, String)>, SimFault> {
    let mut out = Vec::new();
    for (name, value) in selectors {
        if name.eq_ignore_ascii_case("__cimnamespace") {
            let v = value.replace('/', "\\");
            if !v.eq_ignore_ascii_case("root\\virtualization\\v2") {
                return Err(SimFault {
                    code: 2150859067,
                    ..faults::invalid_selectors("__cimnamespace names another namespace")
                });
            }
            continue;
        }
        let key = model::key_names(class)
            .iter()
            .find(|k| k.eq_ignore_ascii_case(name))
            .ok_or_else(|| faults::unexpected_selector(name))?;
        out.push((*key, value.clone()));
    }
    Ok(out)
}
