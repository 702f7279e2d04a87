//! The three WS-Man operations the Hyper-V glue needs, as a small object-safe trait.
//!
//! [`Ops`] is implemented for `client::WsManClient<T>` (in [`super::adapter`]) and by a scripted
//! fake in tests. Keeping the seam this narrow lets the glue (find VM, export, follow the job)
//! be tested without envelopes, and keeps it independent of the client's exact signatures.
//! Invoke parameters are sent in the order given (MOF declaration order, hyperv-wsman.md §8.1).
//! Queries stream: [`Ops::query_each`] hands each instance to a sink as soon as its page has
//! been read, so a listing never holds the whole enumeration.

use crate::error::Error;
use crate::soap::addressing::Epr;
use crate::transport::BoxFuture;
use crate::xml::Element;

/// One method input parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Arg {
    /// A string (sent as escaped text; an embedded instance is a string too).
    Str(String),
    /// An unsigned integer.
    U32(u32),
    /// A REF parameter (an EPR).
    Ref(Epr),
}

/// What a method returned.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MethodOutput {
    /// `ReturnValue`.
    pub return_value: u32,
    /// REF out parameters (e.g. `Job`), by name.
    pub refs: Vec<(String, Epr)>,
    /// Scalar or array out parameters as text, by name (arrays repeat the name).
    pub values: Vec<(String, String)>,
}

impl MethodOutput {
    /// The REF out parameter `name` (case-insensitive).
    pub fn epr(&self, name: &str) -> Option<&Epr> {
        self.refs
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, e)| e)
    }

    /// Every value of out parameter `name` (case-insensitive).
    pub fn values(&self, name: &str) -> Vec<&str> {
        self.values
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// Receives each instance of a streamed query; an error stops the enumeration (the context is
/// released) and is returned by [`Ops::query_each`].
pub type ItemSink<'a> = &'a mut (dyn FnMut(Element) -> Result<(), Error> + Send);

/// Receives each VM of [`Ops::query_each_vm`]; an error stops the enumeration.
pub type VmSink<'a> = &'a mut (dyn FnMut(super::model::Vm) -> Result<(), Error> + Send);

/// The WS-Man operations used by the Hyper-V glue.
pub trait Ops: Send + Sync {
    /// WS-Transfer Get of one instance.
    fn get<'a>(
        &'a self,
        resource_uri: &'a str,
        selectors: &'a [(String, String)],
    ) -> BoxFuture<'a, Result<Element, Error>>;

    /// WQL enumeration on the `root\virtualization\v2` `*` URI; every instance element.
    fn query<'a>(&'a self, wql: &'a str) -> BoxFuture<'a, Result<Vec<Element>, Error>>;

    /// [`Ops::query`] streamed: every instance element goes to `sink` in host order as soon as
    /// its page has been read; returns how many were delivered. The default collects
    /// [`Ops::query`] first (fakes); real implementations stream page by page.
    fn query_each<'a>(
        &'a self,
        wql: &'a str,
        sink: ItemSink<'a>,
    ) -> BoxFuture<'a, Result<usize, Error>> {
        Box::pin(async move {
            let items = self.query(wql).await?;
            let n = items.len();
            for e in items {
                sink(e)?;
            }
            Ok(n)
        })
    }

    /// The VMs of a WQL query on `Msvm_ComputerSystem` (the host instance skipped), each handed
    /// to `sink` as its page is read; returns how many items the host sent (host included).
    /// The default reads [`Ops::query_each`] instances; the WS-Man implementation reads each
    /// item without building its tree.
    fn query_each_vm<'a>(
        &'a self,
        wql: &'a str,
        sink: VmSink<'a>,
    ) -> BoxFuture<'a, Result<usize, Error>> {
        Box::pin(async move {
            self.query_each(wql, &mut |e| match super::classes::vm_from_instance(&e) {
                Some(vm) => sink(vm),
                None => Ok(()),
            })
            .await
        })
    }

    /// Invoke `method` on the instance named by `resource_uri` + `selectors`.
    fn invoke<'a>(
        &'a self,
        resource_uri: &'a str,
        method: &'a str,
        selectors: &'a [(String, String)],
        args: &'a [(String, Arg)],
    ) -> BoxFuture<'a, Result<MethodOutput, Error>>;

    /// Delay before job poll number `n` (0-based); zero when answers come from a recording
    /// (`--replay`), where waiting would only slow the run down.
    fn poll_delay(&self, n: u32) -> std::time::Duration {
        super::job::poll_delay(n)
    }
}

#[cfg(test)]
pub(crate) mod fake {
    //! A scripted [`Ops`]: answers are queued per operation and every call is recorded.

    use std::collections::VecDeque;
    use std::sync::Mutex;

    use tokio::time::Instant;

    use super::*;
    use crate::ErrorKind;
    use crate::hyperv::classes::CONCRETE_JOB;
    use crate::soap::fault::Fault;
    use crate::xml::ns;

    /// One recorded call.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum Call {
        Get(String, Vec<(String, String)>),
        Query(String),
        Invoke(String, String, Vec<(String, String)>, Vec<(String, Arg)>),
    }

    #[derive(Default)]
    pub struct FakeOps {
        pub calls: Mutex<Vec<Call>>,
        pub gets: Mutex<VecDeque<Result<Element, Error>>>,
        pub queries: Mutex<VecDeque<Result<Vec<Element>, Error>>>,
        pub invokes: Mutex<VecDeque<Result<MethodOutput, Error>>>,
    }

    fn pop<T>(q: &Mutex<VecDeque<Result<T, Error>>>, what: &str) -> Result<T, Error> {
        q.lock().unwrap().pop_front().unwrap_or_else(|| {
            Err(Error::new(
                crate::ErrorKind::Replay,
                format!("fake: no scripted {what}"),
            ))
        })
    }

    impl FakeOps {
        pub fn calls(&self) -> Vec<Call> {
            self.calls.lock().unwrap().clone()
        }
        pub fn push_get(&self, r: Result<Element, Error>) {
            self.gets.lock().unwrap().push_back(r);
        }
        pub fn push_query(&self, r: Result<Vec<Element>, Error>) {
            self.queries.lock().unwrap().push_back(r);
        }
        pub fn push_invoke(&self, r: Result<MethodOutput, Error>) {
            self.invokes.lock().unwrap().push_back(r);
        }
    }

    impl Ops for FakeOps {
        fn get<'a>(
            &'a self,
            u: &'a str,
            s: &'a [(String, String)],
        ) -> BoxFuture<'a, Result<Element, Error>> {
            self.calls
                .lock()
                .unwrap()
                .push(Call::Get(u.into(), s.to_vec()));
            Box::pin(async move { pop(&self.gets, "get") })
        }
        fn query<'a>(&'a self, wql: &'a str) -> BoxFuture<'a, Result<Vec<Element>, Error>> {
            self.calls.lock().unwrap().push(Call::Query(wql.into()));
            Box::pin(async move { pop(&self.queries, "query") })
        }
        fn invoke<'a>(
            &'a self,
            u: &'a str,
            m: &'a str,
            s: &'a [(String, String)],
            a: &'a [(String, Arg)],
        ) -> BoxFuture<'a, Result<MethodOutput, Error>> {
            self.calls.lock().unwrap().push(Call::Invoke(
                u.into(),
                m.into(),
                s.to_vec(),
                a.to_vec(),
            ));
            Box::pin(async move { pop(&self.invokes, "invoke") })
        }
    }

    /// An instance element of `class` with the given properties (None → xsi:nil).
    pub fn inst(class: &str, props: &[(&str, Option<&str>)]) -> Element {
        use crate::xml::Node;
        use crate::xml::read::Attribute;
        let ns: Option<crate::xml::NsUri> = Some(crate::hyperv::classes::uri(class).into());
        let children = props
            .iter()
            .map(|(n, v)| {
                let nil = Attribute {
                    ns: Some(crate::xml::ns::XSI.into()),
                    local: "nil".into(),
                    value: "true".into(),
                };
                Node::Element(Element {
                    ns: ns.clone(),
                    local: n.to_string(),
                    attrs: if v.is_none() { vec![nil] } else { vec![] },
                    children: v.iter().map(|t| Node::Text(t.to_string())).collect(),
                })
            })
            .collect();
        Element {
            ns,
            local: class.to_string(),
            attrs: vec![],
            children,
        }
    }

    /// A job that runs `secs` seconds of tokio time, then ends in `end_state`.
    pub struct TimedJob {
        pub start: Instant,
        pub secs: u64,
        pub end_state: u16,
        pub fail_at: Vec<(u32, ErrorKind)>,
        pub gets: Mutex<u32>,
        pub invokes: Mutex<Vec<String>>,
    }

    impl TimedJob {
        pub fn new(secs: u64, end_state: u16) -> Self {
            TimedJob {
                start: Instant::now(),
                secs,
                end_state,
                fail_at: vec![],
                gets: Mutex::new(0),
                invokes: Mutex::new(vec![]),
            }
        }
        pub fn reading(&self) -> Element {
            let t = self.start.elapsed().as_secs();
            let (state, pct) = if t >= self.secs {
                (self.end_state, 100)
            } else {
                (4, t * 100 / self.secs)
            };
            let (code, desc) = if state == 10 {
                ("32768", None)
            } else {
                ("0", None)
            };
            let (s, p) = (state.to_string(), pct.to_string());
            inst(
                CONCRETE_JOB,
                &[
                    ("ErrorCode", Some(code)),
                    ("ErrorDescription", desc),
                    ("InstanceID", Some("J1")),
                    ("JobState", Some(&s)),
                    ("PercentComplete", Some(&p)),
                ],
            )
        }
    }

    impl Ops for TimedJob {
        fn get<'a>(
            &'a self,
            _u: &'a str,
            _s: &'a [(String, String)],
        ) -> BoxFuture<'a, Result<Element, Error>> {
            let n = {
                let mut g = self.gets.lock().unwrap();
                *g += 1;
                *g
            };
            let fail = self
                .fail_at
                .iter()
                .find(|(at, _)| *at == n)
                .map(|(_, k)| *k);
            Box::pin(async move {
                match fail {
                    Some(ErrorKind::Fault) => Err(Error::new(ErrorKind::Fault, "timed out")
                        .with_fault(Fault {
                            subcode: Some((ns::WSMAN.into(), "TimedOut".into())),
                            wsman_code: Some(2150858793),
                            ..Default::default()
                        })),
                    Some(k) => Err(Error::new(k, "connection reset")),
                    None => Ok(self.reading()),
                }
            })
        }
        fn query<'a>(&'a self, _w: &'a str) -> BoxFuture<'a, Result<Vec<Element>, Error>> {
            Box::pin(async { Ok(vec![]) })
        }
        fn invoke<'a>(
            &'a self,
            _u: &'a str,
            m: &'a str,
            _s: &'a [(String, String)],
            _a: &'a [(String, Arg)],
        ) -> BoxFuture<'a, Result<MethodOutput, Error>> {
            self.invokes.lock().unwrap().push(m.to_string());
            let err = r#"<INSTANCE CLASSNAME="Msvm_Error"><PROPERTY NAME="Message" TYPE="string"><VALUE>'web01' failed to export.</VALUE></PROPERTY></INSTANCE>"#;
            Box::pin(async move {
                Ok(MethodOutput {
                    return_value: 0,
                    refs: vec![],
                    values: vec![("Errors".into(), err.into())],
                })
            })
        }
    }
}
