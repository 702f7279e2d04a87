//! WS-Enumeration on the simulated host: Enumerate (WQL or whole class), Pull, Release.
//!
//! What it does: evaluates the `w:Filter` (WQL dialect, `sim::wql`) on the `…/v2/*` URI or on a
//! class URI (no filter on a class URI = every instance of the class; a filter on a class URI
//! must name that class), renders items in the requested `w:EnumerationMode`, and pages them:
//! a page holds at most MaxElements items (absent `w:MaxElements` with OptimizeEnumeration,
//! and absent `n:MaxElements` on Pull, mean **1**, DSP0226 / hyperv-wsman.md §6.3) and must fit
//! the client's MaxEnvelopeSize. Items are rendered when the enumeration starts (a snapshot).
//! EnumerateResponse: `n:EnumerationContext` (empty when done) + `w:Items` + `w:EndOfSequence`;
//! PullResponse: `n:EnumerationContext` (only while more remains) + `n:Items` +
//! `n:EndOfSequence` (E2, E3). A context expires after [`CONTEXT_IDLE`] without use or once
//! its last item was sent; at most [`MAX_CONTEXTS`] may be open.
//! VMs' rendered `Msvm_ComputerSystem` items are kept across enumerations for the last
//! (property list, mode) asked ([`ItemCache`]), so a repeated listing costs paging only.
//! What it does not: `ASSOCIATORS OF`, selector or association filter dialects.

use std::sync::Arc;
use std::time::Duration;

use super::associators;
use super::envelope::{self, SimFault};
use super::faults;
use super::host::{Call, Host, class_of_uri};
use super::model;
use super::render::{self, Mode};
use super::state::Vm;
use super::wql;
use crate::xml::{Element, ns};

/// Idle time after which an enumeration context expires.
pub const CONTEXT_IDLE: Duration = Duration::from_secs(60);
/// Most enumeration contexts open at once.
pub const MAX_CONTEXTS: usize = 64;

const ENUMERATE_RESPONSE: &str =
    "http://schemas.xmlsoap.org/ws/2004/09/enumeration/EnumerateResponse";
const PULL_RESPONSE: &str = "http://schemas.xmlsoap.org/ws/2004/09/enumeration/PullResponse";
const RELEASE_RESPONSE: &str = "http://schemas.xmlsoap.org/ws/2004/09/enumeration/ReleaseResponse";

#[derive(Debug)]
struct Context {
    id: String,
    items: Vec<Arc<str>>,
    pos: usize,
    last_used: Duration,
    pulled: bool,
}

/// Open enumeration contexts.
#[derive(Debug, Default)]
pub struct Contexts {
    open: Vec<Context>,
    next: u64,
    cache: ItemCache,
}

/// A VM's rendered item and what it was rendered from.
#[derive(Debug)]
struct CachedItem {
    guid: String,
    name: String,
    enabled_state: u16,
    text: Arc<str>,
}

/// VMs' rendered `Msvm_ComputerSystem` items for one (property list, mode), by VM index.
///
/// An entry is used only while the VM at that index still has the same GUID, name and
/// EnabledState (otherwise it is rendered again); items that depend on the time (a running
/// VM's `OnTimeInMilliseconds`) are never kept. Memory is bounded: one item per VM for one
/// key; asking for another key drops the old items.
#[derive(Debug, Default)]
pub struct ItemCache {
    key: Option<(Option<Vec<String>>, Mode)>,
    items: Vec<Option<CachedItem>>,
}

impl ItemCache {
    fn select(&mut self, props: Option<&[String]>, mode: Mode, vms: usize) {
        let same = self
            .key
            .as_ref()
            .is_some_and(|(p, m)| *m == mode && p.as_deref() == props);
        if !same {
            self.key = Some((props.map(<[String]>::to_vec), mode));
            self.items.clear();
        }
        self.items.resize_with(vms, || None);
    }

    fn get(&self, i: usize, vm: &Vm) -> Option<Arc<str>> {
        let c = self.items.get(i)?.as_ref()?;
        (c.enabled_state == vm.enabled_state && c.guid == vm.guid && c.name == vm.name)
            .then(|| c.text.clone())
    }

    fn put(&mut self, i: usize, vm: &Vm, text: Arc<str>) {
        if let Some(slot) = self.items.get_mut(i) {
            *slot = Some(CachedItem {
                guid: vm.guid.clone(),
                name: vm.name.clone(),
                enabled_state: vm.enabled_state,
                text,
            });
        }
    }

    /// Number of items kept.
    pub fn len(&self) -> usize {
        self.items.iter().filter(|i| i.is_some()).count()
    }

    /// True when no item is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// True when a VM's item does not depend on the time: `OnTimeInMilliseconds` (in `SELECT *`
/// or named) counts up while the VM runs.
fn timeless(vm: &Vm, props: Option<&[String]>) -> bool {
    vm.enabled_state != 2 || props.is_some_and(|p| !p.iter().any(|n| n == "OnTimeInMilliseconds"))
}

impl Contexts {
    /// Drop contexts idle for longer than [`CONTEXT_IDLE`].
    pub fn expire(&mut self, now: Duration) {
        self.open
            .retain(|c| now.saturating_sub(c.last_used) < CONTEXT_IDLE);
    }

    /// Number of open contexts.
    pub fn len(&self) -> usize {
        self.open.len()
    }

    /// True when none is open.
    pub fn is_empty(&self) -> bool {
        self.open.is_empty()
    }
}

fn max_elements(e: &Element, ns_uri: &str) -> Result<usize, SimFault> {
    match e.child_text(ns_uri, "MaxElements") {
        None => Ok(1),
        Some(t) => t.parse::<usize>().ok().filter(|n| *n > 0).ok_or_else(|| {
            faults::invalid_parameter(&format!("maxelements {t:?} is not a positive integer"))
        }),
    }
}

fn mode(e: &Element) -> Result<Mode, SimFault> {
    match e.child_text(ns::WSMAN, "EnumerationMode").as_deref() {
        None => Ok(Mode::Object),
        Some("EnumerateEPR") => Ok(Mode::Epr),
        Some("EnumerateObjectAndEPR") => Ok(Mode::ObjectAndEpr),
        Some(m) => Err(faults::invalid_parameter(&format!(
            "enumeration mode {m:?} is not supported"
        ))),
    }
}

/// Greedy page: as many items as MaxElements and the envelope size allow.
fn page(items: &[Arc<str>], max: usize, room: usize) -> Result<usize, SimFault> {
    let mut used = 0;
    let mut n = 0;
    for it in items.iter().take(max) {
        if used + it.len() > room {
            break;
        }
        used += it.len();
        n += 1;
    }
    if n == 0 && !items.is_empty() {
        return Err(faults::encoding_limit(
            "an item does not fit in maxenvelopesize",
        ));
    }
    Ok(n)
}

impl Host {
    fn query_items(&mut self, call: &Call<'_>, en: &Element) -> Result<Vec<Arc<str>>, SimFault> {
        let uri = call.req.resource_uri.as_deref().unwrap_or_default();
        let star = uri.eq_ignore_ascii_case(&format!("{}*", ns::HYPERV_V2));
        let uri_class = if star {
            None
        } else {
            Some(class_of_uri(Some(uri))?)
        };
        let mode = mode(en)?;
        let query = match en.child(ns::WSMAN, "Filter") {
            Some(f) => {
                let dialect = f.attr(None, "Dialect").unwrap_or(ns::WQL_DIALECT);
                if dialect != ns::WQL_DIALECT {
                    return Err(faults::cannot_process_filter(&format!(
                        "dialect {dialect} is not supported"
                    )));
                }
                if let Some(a) = associators::parse_associators(&f.text()) {
                    let a = a.map_err(|e| faults::cannot_process_filter(&e.to_string()))?;
                    if uri_class.is_some() {
                        return Err(faults::cannot_process_filter(
                            "associators of needs the * resource uri",
                        ));
                    }
                    let found = self
                        .state
                        .associators(&a)
                        .map_err(|e| faults::cannot_process_filter(&e))?;
                    return Ok(found
                        .iter()
                        .map(|i| render::item(i, None, mode).into())
                        .collect());
                }
                let text = f.text();
                let parsed = wql::parse(&text)
                    .map_err(|e| faults::query_failed(&text, &e.to_string(), false))?;
                let unknown_class = model::canonical_class(&parsed.class).is_none();
                let q = parsed
                    .resolve()
                    .map_err(|e| faults::query_failed(&text, &e.to_string(), unknown_class))?;
                if uri_class.is_some_and(|c| c != q.class) {
                    return Err(faults::cannot_process_filter(
                        "the query class differs from the resource uri class",
                    ));
                }
                q
            }
            None => match uri_class {
                Some(c) => wql::Query {
                    props: None,
                    class: c.to_string(),
                    cond: None,
                },
                None => {
                    return Err(faults::cannot_process_filter(
                        "a wql filter is required with the * resource uri",
                    ));
                }
            },
        };
        let class = model::canonical_class(&query.class).unwrap_or(model::COMPUTER_SYSTEM);
        if class == model::COMPUTER_SYSTEM {
            return Ok(self.computer_system_items(&query, mode, call.now));
        }
        Ok(self
            .state
            .instances(class, call.now)
            .iter()
            .filter(|i| query.matches(i))
            .map(|i| render::item(i, query.props.as_deref(), mode).into())
            .collect())
    }

    /// The host's and the VMs' items, in the order of `State::instances`, taking VMs' items
    /// from the [`ItemCache`] where they are still valid (no instance is built for a kept
    /// item unless a WHERE condition needs it).
    fn computer_system_items(
        &mut self,
        query: &wql::Query,
        mode: Mode,
        now: Duration,
    ) -> Vec<Arc<str>> {
        let props = query.props.as_deref();
        let cache = &mut self.contexts.cache;
        cache.select(props, mode, self.state.vms.len());
        let mut out = Vec::with_capacity(self.state.vms.len() + 1);
        let host = self.state.host_instance();
        if query.matches(&host) {
            out.push(render::item(&host, props, mode).into());
        }
        for (i, vm) in self.state.vms.iter().enumerate() {
            let keep = timeless(vm, props);
            let hit = if keep { cache.get(i, vm) } else { None };
            if let (Some(t), None) = (&hit, &query.cond) {
                out.push(t.clone());
                continue;
            }
            let inst = self.state.vm_instance(vm, now);
            if !query.matches(&inst) {
                continue;
            }
            let text: Arc<str> = match hit {
                Some(t) => t,
                None => {
                    let t: Arc<str> = render::item(&inst, props, mode).into();
                    if keep {
                        cache.put(i, vm, t.clone());
                    }
                    t
                }
            };
            out.push(text);
        }
        out
    }

    fn room(call: &Call<'_>, overhead: &str) -> usize {
        call.max_envelope.saturating_sub(overhead.len() + 64)
    }

    pub(crate) fn enumerate(&mut self, call: &Call<'_>) -> Result<String, SimFault> {
        let en = call
            .req
            .body
            .as_ref()
            .filter(|b| b.is(ns::ENUMERATION, "Enumerate"));
        let en = en.ok_or_else(|| faults::schema_validation("the body is not n:Enumerate"))?;
        let items = self.query_items(call, en)?;
        if self.contexts.open.len() >= MAX_CONTEXTS {
            return Err(faults::quota_limit());
        }
        self.contexts.next += 1;
        let id = format!(
            "uuid:{}",
            model::guid(self.state.config.seed ^ 0xC0, self.contexts.next)
        );
        let optimize = en.child(ns::WSMAN, "OptimizeEnumeration").is_some();
        let n = if optimize {
            let overhead = enumerate_response(call, &id, &[], false);
            page(
                &items,
                max_elements(en, ns::WSMAN)?,
                Self::room(call, &overhead),
            )?
        } else {
            0
        };
        let done = optimize && n == items.len();
        let ctx_text = if done { "" } else { id.as_str() };
        let reply = enumerate_response(call, ctx_text, &items[..n], optimize);
        if !done {
            let ctx = Context {
                id: id.clone(),
                items,
                pos: n,
                last_used: call.now,
                pulled: false,
            };
            self.contexts.open.push(ctx);
        }
        Ok(reply)
    }

    fn context_index(&self, body: Option<&Element>, local: &str) -> Result<usize, SimFault> {
        let el = body.filter(|b| b.is(ns::ENUMERATION, local));
        let el =
            el.ok_or_else(|| faults::schema_validation(&format!("the body is not n:{local}")))?;
        let id = el
            .child_text(ns::ENUMERATION, "EnumerationContext")
            .unwrap_or_default();
        self.contexts
            .open
            .iter()
            .position(|c| c.id == id)
            .ok_or_else(faults::invalid_context)
    }

    pub(crate) fn pull(&mut self, call: &Call<'_>) -> Result<String, SimFault> {
        let idx = self.context_index(call.req.body.as_ref(), "Pull")?;
        let max = max_elements(
            call.req.body.as_ref().unwrap_or(&Element::default()),
            ns::ENUMERATION,
        )?;
        let first_timeout = self.state.config.faults.first_pull_times_out;
        let ctx = self
            .contexts
            .open
            .get_mut(idx)
            .ok_or_else(faults::invalid_context)?;
        ctx.last_used = call.now;
        if first_timeout && !ctx.pulled {
            ctx.pulled = true;
            return Err(faults::timed_out());
        }
        ctx.pulled = true;
        let start = ctx.pos;
        let rest = ctx.items.get(start..).unwrap_or_default();
        let overhead = pull_response(call, Some(&ctx.id), &[], false, false);
        let n = page(rest, max, Self::room(call, &overhead))?;
        let done = start + n >= ctx.items.len();
        let wsman_items = self.state.config.variations.pull_items_in_wsman_ns;
        // The page is written straight from the context's rendered items (no copies).
        let ctx_text = (!done).then_some(ctx.id.as_str());
        let reply = pull_response(call, ctx_text, &rest[..n], done, wsman_items);
        ctx.pos += n;
        if done {
            self.contexts.open.remove(idx);
        }
        Ok(reply)
    }

    pub(crate) fn release(&mut self, call: &Call<'_>) -> Result<String, SimFault> {
        let idx = self.context_index(call.req.body.as_ref(), "Release")?;
        self.contexts.open.remove(idx);
        Ok(envelope::envelope(Some(RELEASE_RESPONSE), call.ids, |_| {}))
    }
}

fn enumerate_response(call: &Call<'_>, ctx: &str, items: &[Arc<str>], with_items: bool) -> String {
    let done = with_items && ctx.is_empty();
    envelope::envelope(Some(ENUMERATE_RESPONSE), call.ids, |w| {
        w.start("n:EnumerateResponse")
            .leaf("n:EnumerationContext", ctx);
        if with_items {
            w.start("w:Items");
            items.iter().for_each(|i| {
                w.raw_fragment(i);
            });
            w.end();
        }
        if done {
            w.start("w:EndOfSequence").end();
        }
        w.end();
    })
}

fn pull_response(
    call: &Call<'_>,
    ctx: Option<&str>,
    items: &[Arc<str>],
    done: bool,
    wsman_items: bool,
) -> String {
    envelope::envelope(Some(PULL_RESPONSE), call.ids, |w| {
        w.start("n:PullResponse");
        if let Some(c) = ctx {
            w.leaf("n:EnumerationContext", c);
        }
        w.start(if wsman_items { "w:Items" } else { "n:Items" });
        items.iter().for_each(|i| {
            w.raw_fragment(i);
        });
        w.end();
        if done {
            w.start(if wsman_items {
                "w:EndOfSequence"
            } else {
                "n:EndOfSequence"
            })
            .end();
        }
        w.end();
    })
}
