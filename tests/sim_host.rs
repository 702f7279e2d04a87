//! Drives the pure simulated host (`hvremote::sim::Host::handle`) with complete request
//! envelopes, written with `XmlWriter`, and checks replies by namespace URI + local name.

use std::time::Duration;

use hvremote::sim::scenario::VmSpec;
use hvremote::sim::{Host, SimConfig, SimResponse};
use hvremote::xml::{self, Element, XmlWriter, ns};

const ENUMERATE: &str = "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate";
const PULL: &str = "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Pull";
const RELEASE: &str = "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Release";
const GET: &str = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get";

fn uri(class: &str) -> String {
    format!("{}{class}", ns::HYPERV_V2)
}

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

struct Req<'a> {
    action: Option<String>,
    uri: String,
    selectors: Vec<(&'a str, String)>,
    max_env: Option<&'a str>,
}

impl<'a> Req<'a> {
    fn new(action: &str, uri: String) -> Self {
        Req {
            action: Some(action.into()),
            uri,
            selectors: Vec::new(),
            max_env: Some("512000"),
        }
    }
    fn sel(mut self, k: &'a str, v: &str) -> Self {
        self.selectors.push((k, v.to_string()));
        self
    }
    fn build(&self, body: impl FnOnce(&mut XmlWriter)) -> String {
        let mut w = XmlWriter::new();
        w.start("s:Envelope")
            .attr("xmlns:s", ns::SOAP)
            .attr("xmlns:a", ns::ADDRESSING);
        w.attr("xmlns:w", ns::WSMAN)
            .attr("xmlns:n", ns::ENUMERATION)
            .start("s:Header");
        w.leaf("a:To", "http://hv01:5985/wsman")
            .leaf("w:ResourceURI", &self.uri);
        if let Some(a) = &self.action {
            w.leaf("a:Action", a);
        }
        if let Some(m) = self.max_env {
            w.leaf("w:MaxEnvelopeSize", m);
        }
        w.leaf("a:MessageID", "uuid:REQ-1");
        if !self.selectors.is_empty() {
            w.start("w:SelectorSet");
            for (k, v) in &self.selectors {
                w.start("w:Selector").attr("Name", k).text(v).end();
            }
            w.end();
        }
        w.end().start("s:Body");
        body(&mut w);
        w.end().end();
        w.finish().unwrap()
    }
}

fn parse(r: &SimResponse) -> Element {
    xml::parse(&r.body).unwrap_or_else(|e| panic!("bad reply {e}: {}", r.body))
}

/// (subcode text, WSManFault code) of a fault reply.
fn fault_of(r: &SimResponse) -> (String, String) {
    let e = parse(r);
    let sub = e
        .find(ns::SOAP, "Subcode")
        .and_then(|s| s.child_text(ns::SOAP, "Value"));
    let code = e
        .find(ns::WSMANFAULT, "WSManFault")
        .and_then(|f| f.attr(None, "Code"))
        .map(str::to_string);
    (sub.unwrap_or_default(), code.unwrap_or_default())
}

fn enumerate(
    h: &mut Host,
    now: Duration,
    req: Req<'_>,
    filter: Option<&str>,
    extra: &[(&'static str, &str)],
) -> SimResponse {
    let text = req.build(|w| {
        w.start("n:Enumerate");
        for (k, v) in extra {
            w.leaf(*k, v);
        }
        if let Some(f) = filter {
            w.start("w:Filter")
                .attr("Dialect", ns::WQL_DIALECT)
                .text(f)
                .end();
        }
        w.end();
    });
    h.handle(now, &text)
}

fn wql(h: &mut Host, now: Duration, q: &str) -> SimResponse {
    enumerate(
        h,
        now,
        Req::new(ENUMERATE, uri("*")),
        Some(q),
        &[("w:OptimizeEnumeration", ""), ("w:MaxElements", "32000")],
    )
}

fn items(e: &Element) -> Vec<Element> {
    let its = e
        .find(ns::WSMAN, "Items")
        .or_else(|| e.find(ns::ENUMERATION, "Items"));
    its.map(|i| i.elements().cloned().collect())
        .unwrap_or_default()
}

fn end_of_sequence(e: &Element) -> bool {
    e.find(ns::WSMAN, "EndOfSequence").is_some()
        || e.find(ns::ENUMERATION, "EndOfSequence").is_some()
}

fn context(e: &Element) -> String {
    e.find(ns::ENUMERATION, "EnumerationContext")
        .map(|c| c.text_trim())
        .unwrap_or_default()
}

fn pull(h: &mut Host, now: Duration, ctx: &str, max: Option<&str>) -> SimResponse {
    let text = Req::new(PULL, uri("*")).build(|w| {
        w.start("n:Pull").leaf("n:EnumerationContext", ctx);
        if let Some(m) = max {
            w.leaf("n:MaxElements", m);
        }
        w.end();
    });
    h.handle(now, &text)
}

fn prop(e: &Element, class: &str, name: &str) -> Option<String> {
    e.find(&uri(class), name).map(|p| p.text_trim())
}

fn vm_guid(h: &Host, name: &str) -> String {
    h.state
        .vms
        .iter()
        .find(|v| v.name == name)
        .unwrap()
        .guid
        .clone()
}

#[test]
fn identify_reports_version_without_addressing() {
    let mut h = Host::new(SimConfig::demo());
    let mut r = Req::new("", String::new());
    r.action = None;
    let reply = h.handle(
        secs(0),
        &r.build(|w| {
            w.start("wsmid:Identify")
                .attr("xmlns:wsmid", ns::IDENTITY)
                .end();
        }),
    );
    assert_eq!(reply.status, 200);
    let e = parse(&reply);
    let v = e.find(ns::IDENTITY, "ProductVersion").unwrap().text();
    assert_eq!(v, "OS: 10.0.20348 SP: 0.0 Stack: 3.0");
}

#[test]
fn wql_by_escaped_name_returns_one_complete_page() {
    let mut h = Host::new(SimConfig::demo());
    let r = wql(
        &mut h,
        secs(1),
        r"SELECT * FROM Msvm_ComputerSystem WHERE ElementName = 'test\'vm'",
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let e = parse(&r);
    assert_eq!(
        e.find(ns::ADDRESSING, "RelatesTo").unwrap().text(),
        "uuid:REQ-1"
    );
    let its = items(&e);
    assert_eq!(its.len(), 1);
    assert_eq!(
        prop(&its[0], "Msvm_ComputerSystem", "EnabledState").as_deref(),
        Some("6")
    );
    assert!(e.find(ns::WSMAN, "EndOfSequence").is_some());
    assert_eq!(context(&e), "");
    let both = wql(
        &mut h,
        secs(1),
        "select * from msvm_computersystem where ElementName = \"web01\" OR ElementName = 'db01'",
    );
    assert_eq!(items(&parse(&both)).len(), 2);
}

#[test]
fn property_lists_and_epr_modes() {
    let mut h = Host::new(SimConfig::demo());
    let r = wql(
        &mut h,
        secs(0),
        "SELECT Name, EnabledState FROM Msvm_ComputerSystem WHERE ElementName = 'db01'",
    );
    let its = items(&parse(&r));
    assert!(its[0].is(ns::WSMAN, "XmlFragment"));
    assert_eq!(its[0].child_local("EnabledState").unwrap().ns, None);
    assert!(its[0].child_local("ElementName").is_none());
    let q = "SELECT * FROM Msvm_ComputerSystem WHERE ElementName = 'web01'";
    let extra = [
        ("w:OptimizeEnumeration", ""),
        ("w:MaxElements", "10"),
        ("w:EnumerationMode", "EnumerateEPR"),
    ];
    let r = enumerate(
        &mut h,
        secs(0),
        Req::new(ENUMERATE, uri("*")),
        Some(q),
        &extra,
    );
    let its = items(&parse(&r));
    assert!(its[0].is(ns::ADDRESSING, "EndpointReference"));
    let name = its[0]
        .find(ns::WSMAN, "Selector")
        .into_iter()
        .chain(its[0].find(ns::WSMAN, "SelectorSet").unwrap().elements())
        .find(|s| s.attr(None, "Name") == Some("Name"));
    assert_eq!(name.unwrap().text(), vm_guid(&h, "web01"));
    let extra = [
        ("w:OptimizeEnumeration", ""),
        ("w:EnumerationMode", "EnumerateObjectAndEPR"),
    ];
    let r = enumerate(
        &mut h,
        secs(0),
        Req::new(ENUMERATE, uri("*")),
        Some(q),
        &extra,
    );
    let its = items(&parse(&r));
    assert!(its[0].is(ns::WSMAN, "Item"));
    assert!(its[0].child(ns::ADDRESSING, "EndpointReference").is_some());
}

#[test]
fn paging_by_max_elements_and_default_pull_size() {
    let mut h = Host::new(SimConfig::from_flags(&[], 30));
    let q = "SELECT * FROM Msvm_ComputerSystem";
    let r = enumerate(
        &mut h,
        secs(0),
        Req::new(ENUMERATE, uri("*")),
        Some(q),
        &[("w:OptimizeEnumeration", ""), ("w:MaxElements", "7")],
    );
    let e = parse(&r);
    assert_eq!(items(&e).len(), 7);
    assert!(!end_of_sequence(&e));
    let mut ctx = context(&e);
    let one = parse(&pull(&mut h, secs(1), &ctx, None));
    assert_eq!(items(&one).len(), 1, "absent MaxElements on Pull means 1");
    ctx = context(&one);
    let mut total = 8;
    loop {
        let p = parse(&pull(&mut h, secs(2), &ctx, Some("10")));
        assert!(p.find(ns::ENUMERATION, "Items").is_some());
        total += items(&p).len();
        if end_of_sequence(&p) {
            assert!(p.find(ns::ENUMERATION, "EnumerationContext").is_none());
            break;
        }
        ctx = context(&p);
    }
    assert_eq!(total, 31);
    let (sub, code) = fault_of(&pull(&mut h, secs(3), &ctx, Some("10")));
    assert_eq!(
        (sub.as_str(), code.as_str()),
        ("n:InvalidEnumerationContext", "2150858779")
    );
}

#[test]
fn paging_by_max_envelope_size_and_limits() {
    let mut h = Host::new(SimConfig::from_flags(&[], 40));
    let q = "SELECT * FROM Msvm_ComputerSystem";
    let mut req = Req::new(ENUMERATE, uri("*"));
    req.max_env = Some("8192");
    let r = enumerate(
        &mut h,
        secs(0),
        req,
        Some(q),
        &[("w:OptimizeEnumeration", ""), ("w:MaxElements", "32000")],
    );
    assert!(r.body.len() <= 8192);
    let e = parse(&r);
    let first = items(&e).len();
    assert!(first > 1 && first < 41, "{first}");
    assert!(!end_of_sequence(&e));
    for (bad, _) in [("4096", ()), ("600000", ()), ("abc", ())] {
        let mut req = Req::new(ENUMERATE, uri("*"));
        req.max_env = Some(bad);
        let r = enumerate(&mut h, secs(0), req, Some(q), &[]);
        assert_eq!(
            fault_of(&r),
            ("w:EncodingLimit".to_string(), "2150858824".to_string()),
            "{bad}"
        );
        assert_eq!(r.status, 500);
    }
}

#[test]
fn contexts_expire_and_release() {
    let mut h = Host::new(SimConfig::demo());
    let r = enumerate(
        &mut h,
        secs(0),
        Req::new(ENUMERATE, uri("Msvm_ComputerSystem")),
        None,
        &[],
    );
    let ctx = context(&parse(&r));
    assert!(ctx.starts_with("uuid:"));
    let r = pull(&mut h, secs(61), &ctx, Some("5"));
    assert_eq!(fault_of(&r).0, "n:InvalidEnumerationContext");
    let r = enumerate(
        &mut h,
        secs(100),
        Req::new(ENUMERATE, uri("Msvm_ComputerSystem")),
        None,
        &[],
    );
    let ctx = context(&parse(&r));
    let rel = Req::new(RELEASE, uri("*")).build(|w| {
        w.start("n:Release")
            .leaf("n:EnumerationContext", &ctx)
            .end();
    });
    assert_eq!(h.handle(secs(101), &rel).status, 200);
    assert_eq!(
        fault_of(&h.handle(secs(102), &rel)).0,
        "n:InvalidEnumerationContext"
    );
}

#[test]
fn bad_queries_fault_with_cannot_process_filter() {
    let mut h = Host::new(SimConfig::demo());
    for q in [
        "SELECT * FROM Win32_Nope",
        "SELECT * FROM Msvm_ComputerSystem WHERE Name = 'x",
        "SELEKT *",
        "SELECT Bogus FROM Msvm_ComputerSystem",
    ] {
        let r = wql(&mut h, secs(0), q);
        assert_eq!(
            fault_of(&r),
            (
                "n:CannotProcessFilter".to_string(),
                "2150858778".to_string()
            ),
            "{q}"
        );
        let a = parse(&r).find(ns::ADDRESSING, "Action").unwrap().text();
        assert_eq!(a, "http://schemas.xmlsoap.org/ws/2004/09/enumeration/fault");
    }
}

#[test]
fn get_by_selectors() {
    let mut h = Host::new(SimConfig::demo());
    let g = vm_guid(&h, "web01");
    let ok = Req::new(GET, uri("Msvm_ComputerSystem"))
        .sel("CreationClassName", "Msvm_ComputerSystem")
        .sel("Name", &g.to_lowercase());
    let r = h.handle(secs(0), &ok.build(|_| {}));
    assert_eq!(
        prop(&parse(&r), "Msvm_ComputerSystem", "ElementName").as_deref(),
        Some("web01")
    );
    let missing = Req::new(GET, uri("Msvm_ComputerSystem")).sel("Name", &g);
    assert_eq!(
        fault_of(&h.handle(secs(0), &missing.build(|_| {}))).1,
        "2150858842"
    );
    let unknown = Req::new(GET, uri("Msvm_ComputerSystem"))
        .sel("CreationClassName", "Msvm_ComputerSystem")
        .sel("Name", "nope");
    assert_eq!(
        fault_of(&h.handle(secs(0), &unknown.build(|_| {}))).0,
        "a:DestinationUnreachable"
    );
    let extra = Req::new(GET, uri("Msvm_ComputerSystem")).sel("Bogus", "1");
    assert_eq!(
        fault_of(&h.handle(secs(0), &extra.build(|_| {}))).1,
        "2150858843"
    );
    let vmms = Req::new(GET, uri("Msvm_VirtualSystemManagementService"))
        .sel("CreationClassName", "Msvm_VirtualSystemManagementService")
        .sel("Name", "vmms")
        .sel("SystemCreationClassName", "Msvm_ComputerSystem")
        .sel("SystemName", "HV01");
    let r = h.handle(secs(0), &vmms.build(|_| {}));
    assert_eq!(
        prop(
            &parse(&r),
            "Msvm_VirtualSystemManagementService",
            "SystemName"
        )
        .as_deref(),
        Some("HV01")
    );
    let r = h.handle(secs(0), "<not xml");
    assert_eq!(
        (r.status, fault_of(&r).0.as_str()),
        (400, "w:SchemaValidationError")
    );
}

#[test]
fn first_pull_times_out_then_same_pull_succeeds() {
    let mut c = SimConfig::from_flags(&[], 0);
    c.vms = vec![VmSpec::new("a"), VmSpec::new("b")];
    c.faults.first_pull_times_out = true;
    let mut h = Host::new(c);
    let r = enumerate(
        &mut h,
        secs(0),
        Req::new(ENUMERATE, uri("Msvm_ComputerSystem")),
        None,
        &[],
    );
    let e = parse(&r);
    assert!(items(&e).is_empty() && !end_of_sequence(&e));
    let ctx = context(&e);
    let t = pull(&mut h, secs(1), &ctx, Some("10"));
    assert_eq!(
        fault_of(&t),
        ("w:TimedOut".to_string(), "2150858793".to_string())
    );
    let p = parse(&pull(&mut h, secs(2), &ctx, Some("10")));
    assert_eq!(items(&p).len(), 3);
    assert!(end_of_sequence(&p));
}

#[test]
fn open_contexts_are_limited_and_pulls_respect_max_envelope_size() {
    let mut h = Host::new(SimConfig::from_flags(&[], 40));
    let limit = hvremote::sim::enumerate::MAX_CONTEXTS;
    let mut last = String::new();
    for _ in 0..limit {
        let r = enumerate(
            &mut h,
            secs(0),
            Req::new(ENUMERATE, uri("Msvm_ComputerSystem")),
            None,
            &[],
        );
        last = context(&parse(&r));
    }
    let r = enumerate(
        &mut h,
        secs(0),
        Req::new(ENUMERATE, uri("Msvm_ComputerSystem")),
        None,
        &[],
    );
    assert_eq!(
        fault_of(&r),
        ("w:QuotaLimit".to_string(), "2150859174".to_string())
    );
    let text = |ctx: &str| {
        let mut req = Req::new(PULL, uri("*"));
        req.max_env = Some("8192");
        req.build(|w| {
            w.start("n:Pull")
                .leaf("n:EnumerationContext", ctx)
                .leaf("n:MaxElements", "1000")
                .end();
        })
    };
    let mut ctx = last;
    let mut total = 0;
    let mut pages = 0;
    loop {
        let r = h.handle(secs(1), &text(&ctx));
        assert!(r.body.len() <= 8192, "page of {} bytes", r.body.len());
        let p = parse(&r);
        total += items(&p).len();
        pages += 1;
        if end_of_sequence(&p) {
            break;
        }
        ctx = context(&p);
    }
    assert_eq!(total, 41);
    assert!(pages > 2, "{pages}");
}

#[test]
fn repeated_listings_reuse_items_until_a_vm_changes_and_never_freeze_the_clock() {
    let mut h = Host::new(SimConfig::demo());
    let q = "SELECT Name, ElementName, EnabledState FROM Msvm_ComputerSystem";
    let texts = |r: &SimResponse| -> Vec<String> {
        items(&parse(r)).iter().map(|i| format!("{i:?}")).collect()
    };
    let first = texts(&wql(&mut h, secs(1), q));
    let second = texts(&wql(&mut h, secs(50), q));
    assert!(first.len() > 1);
    assert_eq!(first, second);
    h.state.vms[0].name = "renamed-vm".into();
    h.state.vms[0].enabled_state = 9;
    let third = texts(&wql(&mut h, secs(60), q));
    assert!(third.iter().any(|t| t.contains("renamed-vm")));
    assert_ne!(first, third);
    // A running VM's OnTimeInMilliseconds must move on between listings.
    let star = "SELECT * FROM Msvm_ComputerSystem WHERE EnabledState = 2";
    let on_time = |r: &SimResponse| -> Vec<String> {
        items(&parse(r))
            .iter()
            .filter_map(|i| i.child_local("OnTimeInMilliseconds").map(|p| p.text_trim()))
            .collect()
    };
    let a = on_time(&wql(&mut h, secs(70), star));
    let b = on_time(&wql(&mut h, secs(80), star));
    assert!(!a.is_empty());
    assert_ne!(a, b);
}
