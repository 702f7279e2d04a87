//! ExportSystemDefinition, job progress, job methods and fault injection against the pure
//! simulated host.

use std::time::Duration;

use hvremote::sim::scenario::JobFailureSpec;
use hvremote::sim::{Host, SimConfig, SimResponse};
use hvremote::xml::{self, Element, XmlWriter, ns};

const VMMS: &str = "Msvm_VirtualSystemManagementService";

fn uri(class: &str) -> String {
    format!("{}{class}", ns::HYPERV_V2)
}

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn envelope(
    action: &str,
    class: &str,
    sels: &[(&str, &str)],
    body: impl FnOnce(&mut XmlWriter),
) -> String {
    let mut w = XmlWriter::new();
    w.start("s:Envelope")
        .attr("xmlns:s", ns::SOAP)
        .attr("xmlns:a", ns::ADDRESSING)
        .attr("xmlns:w", ns::WSMAN);
    w.start("s:Header")
        .leaf("w:ResourceURI", &uri(class))
        .leaf("a:Action", action);
    w.leaf("a:MessageID", "uuid:X-1").start("w:SelectorSet");
    for (k, v) in sels {
        w.start("w:Selector").attr("Name", k).text(v).end();
    }
    w.end().end().start("s:Body");
    body(&mut w);
    w.end().end();
    w.finish().unwrap()
}

/// How the test shapes the Invoke.
#[derive(Clone)]
struct Export {
    sels: Vec<(&'static str, String)>,
    vm: Option<String>,
    wrap_epr: bool,
    dir: Option<String>,
    esd: Option<String>,
    nested: bool,
}

fn esd(props: &[(&str, &str, &str)]) -> String {
    let mut w = XmlWriter::new();
    w.start("INSTANCE")
        .attr("CLASSNAME", "Msvm_VirtualSystemExportSettingData");
    for (n, t, v) in props {
        w.start("PROPERTY").attr("NAME", n);
        if !t.is_empty() {
            w.attr("TYPE", t);
        }
        w.leaf("VALUE", v).end();
    }
    w.end();
    w.finish().unwrap()
}

fn core(copy: &str) -> Vec<(&'static str, &'static str, String)> {
    vec![
        ("CopySnapshotConfiguration", "uint8", copy.to_string()),
        ("CopyVmRuntimeInformation", "boolean", "TRUE".into()),
        ("CopyVmStorage", "boolean", "TRUE".into()),
        ("CreateVmExportSubdirectory", "boolean", "FALSE".into()),
    ]
}

fn esd_of(props: Vec<(&'static str, &'static str, String)>) -> String {
    let v: Vec<(&str, &str, &str)> = props.iter().map(|(a, b, c)| (*a, *b, c.as_str())).collect();
    esd(&v)
}

impl Export {
    fn new(h: &Host, vm: &str) -> Self {
        Export {
            sels: vec![
                ("CreationClassName", VMMS.into()),
                ("SystemName", "HV01".into()),
            ],
            vm: Some(
                h.state
                    .vms
                    .iter()
                    .find(|v| v.name == vm)
                    .unwrap()
                    .guid
                    .clone(),
            ),
            wrap_epr: false,
            dir: Some("D:\\Exports\\R&D".into()),
            esd: Some(esd_of(core("1"))),
            nested: false,
        }
    }

    fn build(&self) -> String {
        let sels: Vec<(&str, &str)> = self.sels.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let action = format!("{}/ExportSystemDefinition", uri(VMMS));
        envelope(&action, VMMS, &sels, |w| {
            w.start("q:ExportSystemDefinition_INPUT")
                .attr("xmlns:q", &uri(VMMS));
            if let Some(g) = &self.vm {
                w.start("q:ComputerSystem");
                if self.wrap_epr {
                    w.start("a:EndpointReference");
                }
                w.leaf("a:Address", ns::ANONYMOUS)
                    .start("a:ReferenceParameters");
                w.leaf("w:ResourceURI", &uri("Msvm_ComputerSystem"))
                    .start("w:SelectorSet");
                w.start("w:Selector")
                    .attr("Name", "CreationClassName")
                    .text("Msvm_ComputerSystem")
                    .end();
                w.start("w:Selector").attr("Name", "Name").text(g).end();
                w.end().end();
                if self.wrap_epr {
                    w.end();
                }
                w.end();
            }
            if let Some(d) = &self.dir {
                w.leaf("q:ExportDirectory", d);
            }
            if let Some(e) = &self.esd {
                w.start("q:ExportSettingData");
                if self.nested {
                    w.raw_fragment(e);
                } else {
                    w.text(e);
                }
                w.end();
            }
            w.end();
        })
    }
}

fn parse(r: &SimResponse) -> Element {
    xml::parse(&r.body).unwrap_or_else(|e| panic!("bad reply {e}: {}", r.body))
}

fn return_value(r: &SimResponse) -> Option<u32> {
    parse(r)
        .find(&uri(VMMS), "ReturnValue")
        .and_then(|e| e.text_trim().parse().ok())
}

fn fault(r: &SimResponse) -> String {
    let e = parse(r);
    e.find(ns::SOAP, "Subcode")
        .and_then(|s| s.child_text(ns::SOAP, "Value"))
        .unwrap_or_default()
}

fn job_id(r: &SimResponse) -> String {
    let e = parse(r);
    let job = e.find(&uri(VMMS), "Job").unwrap();
    assert_eq!(
        job.child_text(ns::ADDRESSING, "Address").as_deref(),
        Some(ns::ANONYMOUS)
    );
    let rp = job.child(ns::ADDRESSING, "ReferenceParameters").unwrap();
    assert_eq!(
        rp.child_text(ns::WSMAN, "ResourceURI"),
        Some(uri("Msvm_ConcreteJob"))
    );
    rp.find(ns::WSMAN, "Selector").unwrap().text()
}

fn get_job(h: &mut Host, now: Duration, id: &str) -> SimResponse {
    let get = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get";
    h.handle(
        now,
        &envelope(get, "Msvm_ConcreteJob", &[("InstanceID", id)], |_| {}),
    )
}

fn job_prop(r: &SimResponse, name: &str) -> String {
    parse(r)
        .find(&uri("Msvm_ConcreteJob"), name)
        .map(|e| e.text_trim())
        .unwrap_or_default()
}

#[test]
fn export_starts_a_job_that_runs_completes_and_is_removed() {
    let mut h = Host::new(SimConfig::demo());
    let r = h.handle(secs(10), &Export::new(&h, "web01").build());
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(return_value(&r), Some(4096));
    let a = parse(&r).find(ns::ADDRESSING, "Action").unwrap().text();
    assert!(a.ends_with("/ExportSystemDefinitionResponse"));
    let id = job_id(&r);
    assert_eq!(h.export_invocations(), 1);
    let states: Vec<(String, String)> = [10, 12, 14, 17, 18]
        .iter()
        .map(|t| {
            let g = get_job(&mut h, secs(*t), &id);
            (job_prop(&g, "JobState"), job_prop(&g, "PercentComplete"))
        })
        .collect();
    let want = [
        ("2", "0"),
        ("4", "25"),
        ("4", "50"),
        ("4", "87"),
        ("7", "100"),
    ];
    assert_eq!(states, want.map(|(a, b)| (a.to_string(), b.to_string())));
    let done = get_job(&mut h, secs(18 + 299), &id);
    assert_eq!(job_prop(&done, "ErrorCode"), "0");
    assert!(parse(&done).find(ns::CIM, "Interval").is_some());
    assert_eq!(
        fault(&get_job(&mut h, secs(18 + 300), &id)),
        "a:DestinationUnreachable"
    );
}

#[test]
fn checkpoint_export_and_cdata_form() {
    let mut h = Host::new(SimConfig::demo());
    let cp = h.state.vms[0].checkpoints[1].clone();
    let path = h.state.checkpoint_path(&cp);
    let mut props = core("2");
    props.push(("SnapshotVirtualSystem", "string", path.clone()));
    let mut ex = Export::new(&h, "web01");
    ex.esd = Some(esd_of(props.clone()));
    assert_eq!(return_value(&h.handle(secs(0), &ex.build())), Some(4096));
    // The same request with the embedded instance in a CDATA section.
    let text = ex.build();
    let escaped = {
        let mut w = XmlWriter::new();
        w.start("x").text(ex.esd.as_deref().unwrap()).end();
        let s = w.finish().unwrap();
        s["<x>".len()..s.len() - "</x>".len()].to_string()
    };
    let cdata = text.replace(
        &escaped,
        &format!("<![CDATA[{}]]>", ex.esd.as_deref().unwrap()),
    );
    assert_ne!(cdata, text);
    assert_eq!(return_value(&h.handle(secs(0), &cdata)), Some(4096));
    // Another VM's checkpoint is refused.
    let mut other = Export::new(&h, "db01");
    other.esd = Some(esd_of(props));
    assert_eq!(
        return_value(&h.handle(secs(0), &other.build())),
        Some(32773)
    );
}

#[test]
fn export_validation_failures() {
    let mut h = Host::new(SimConfig::demo());
    let base = Export::new(&h, "web01");
    let with = |f: &dyn Fn(&mut Export)| {
        let mut e = base.clone();
        f(&mut e);
        e.build()
    };
    let cases: Vec<(&str, String, Result<u32, &str>)> = vec![
        (
            "wrong selector value",
            with(&|e| e.sels = vec![("SystemName", "OTHER".into())]),
            Err("w:InvalidSelectors"),
        ),
        (
            "unknown selector",
            with(&|e| e.sels = vec![("Color", "red".into())]),
            Err("w:InvalidSelectors"),
        ),
        (
            "unknown vm",
            with(&|e| e.vm = Some("00000000-0000-4000-8000-000000000000".into())),
            Ok(32773),
        ),
        ("missing vm", with(&|e| e.vm = None), Ok(32773)),
        (
            "wrapped epr",
            with(&|e| e.wrap_epr = true),
            Err("w:InvalidParameter"),
        ),
        (
            "relative dir",
            with(&|e| e.dir = Some("Exports".into())),
            Ok(32773),
        ),
        ("missing dir", with(&|e| e.dir = None), Ok(32773)),
        (
            "bad embedded xml",
            with(&|e| e.esd = Some("<INSTANCE CLASSNAME=".into())),
            Err("w:InvalidParameter"),
        ),
        (
            "nested xml",
            with(&|e| {
                e.nested = true;
            }),
            Err("w:InvalidParameter"),
        ),
        (
            "wrong class",
            with(&|e| {
                e.esd = Some(
                    e.esd
                        .as_ref()
                        .unwrap()
                        .replace("Msvm_VirtualSystemExportSettingData", "Msvm_Other"),
                )
            }),
            Err("w:InvalidParameter"),
        ),
        (
            "wrong type",
            with(&|e| e.esd = Some(esd(&[("CopyVmStorage", "string", "TRUE")]))),
            Ok(32776),
        ),
        (
            "missing type",
            with(&|e| e.esd = Some(esd(&[("CopyVmStorage", "", "TRUE")]))),
            Ok(32776),
        ),
        (
            "unknown property",
            with(&|e| e.esd = Some(esd(&[("StorageConfiguration", "uint8", "1")]))),
            Ok(32773),
        ),
        (
            "bad boolean",
            with(&|e| e.esd = Some(esd(&[("CopyVmStorage", "boolean", "yes")]))),
            Ok(32773),
        ),
        (
            "out of range",
            with(&|e| e.esd = Some(esd(&[("CopySnapshotConfiguration", "uint8", "4")]))),
            Ok(32773),
        ),
        (
            "capture live state",
            with(&|e| e.esd = Some(esd(&[("CaptureLiveState", "uint8", "3")]))),
            Ok(32773),
        ),
        (
            "snapshot without path",
            with(&|e| e.esd = Some(esd(&[("CopySnapshotConfiguration", "uint8", "2")]))),
            Ok(32773),
        ),
        (
            "bad checkpoint path",
            with(&|e| {
                e.esd = Some(esd(&[
                    ("CopySnapshotConfiguration", "uint8", "2"),
                    (
                        "SnapshotVirtualSystem",
                        "string",
                        "\\\\HV01\\root\\virtualization\\v2:Msvm_VirtualSystemSettingData.InstanceID=\"Microsoft:NOPE\"",
                    ),
                ]))
            }),
            Ok(32773),
        ),
    ];
    for (what, text, want) in cases {
        let r = h.handle(secs(0), &text);
        match want {
            Ok(code) => assert_eq!(return_value(&r), Some(code), "{what}: {}", r.body),
            Err(sub) => {
                assert_eq!(fault(&r), sub, "{what}");
                assert_eq!(r.status, 500, "{what}");
            }
        }
    }
    assert!(h.state.jobs.is_empty());
    assert_eq!(
        h.export_invocations(),
        16,
        "selector faults do not reach the method"
    );
}

fn job_method(
    h: &mut Host,
    now: Duration,
    id: &str,
    method: &'static str,
    input: &'static str,
    state: Option<&str>,
) -> Element {
    let action = format!("{}/{method}", uri("Msvm_ConcreteJob"));
    let r = h.handle(
        now,
        &envelope(&action, "Msvm_ConcreteJob", &[("InstanceID", id)], |w| {
            w.start(input).attr("xmlns:q", &uri("Msvm_ConcreteJob"));
            if let Some(s) = state {
                w.leaf("q:RequestedState", s);
            }
            w.end();
        }),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    parse(&r)
}

#[test]
fn request_state_change_terminates_a_running_job() {
    let mut h = Host::new(SimConfig::demo());
    let id = job_id(&h.handle(secs(0), &Export::new(&h, "web01").build()));
    let rv = |e: &Element| {
        e.find(&uri("Msvm_ConcreteJob"), "ReturnValue")
            .unwrap()
            .text()
    };
    let e = job_method(
        &mut h,
        secs(2),
        &id,
        "RequestStateChange",
        "q:RequestStateChange_INPUT",
        Some("4"),
    );
    assert_eq!(rv(&e), "0");
    assert_eq!(job_prop(&get_job(&mut h, secs(3), &id), "JobState"), "8");
    let again = job_method(
        &mut h,
        secs(4),
        &id,
        "RequestStateChange",
        "q:RequestStateChange_INPUT",
        Some("5"),
    );
    assert_eq!(rv(&again), "32775");
    let bad = job_method(
        &mut h,
        secs(4),
        &id,
        "RequestStateChange",
        "q:RequestStateChange_INPUT",
        Some("77"),
    );
    assert_eq!(rv(&bad), "32773");
}

#[test]
fn injected_job_failure_and_get_error_ex() {
    let mut c = SimConfig::demo();
    c.faults.job_failure = Some(JobFailureSpec {
        error_code: 32768,
        description: "'web01' failed to export: disk full".into(),
        summary: "Failed".into(),
    });
    let mut h = Host::new(c);
    let id = job_id(&h.handle(secs(0), &Export::new(&h, "web01").build()));
    let running = job_method(
        &mut h,
        secs(1),
        &id,
        "GetErrorEx",
        "q:GetErrorEx_INPUT",
        None,
    );
    assert!(running.find(&uri("Msvm_ConcreteJob"), "Errors").is_none());
    let g = get_job(&mut h, secs(9), &id);
    assert_eq!(
        (job_prop(&g, "JobState"), job_prop(&g, "ErrorCode")),
        ("10".into(), "32768".into())
    );
    assert_eq!(
        job_prop(&g, "ErrorDescription"),
        "'web01' failed to export: disk full"
    );
    let e = job_method(
        &mut h,
        secs(9),
        &id,
        "GetErrorEx",
        "q:GetErrorEx_INPUT",
        None,
    );
    let errors = e.find(&uri("Msvm_ConcreteJob"), "Errors").unwrap().text();
    let inst = hvremote::sim::cimxml::parse_instance(&errors).unwrap();
    assert_eq!(inst.class, "Msvm_Error");
    assert_eq!(
        inst.props[0].values,
        vec!["'web01' failed to export: disk full"]
    );
}

#[test]
fn injected_return_code_access_denied_and_transport_faults() {
    let mut c = SimConfig::demo();
    c.faults.export_return_code = Some(32775);
    c.faults.malformed_response_at = Some(2);
    c.faults.close_after_request = Some(3);
    c.faults.delay_ms = 250;
    let mut h = Host::new(c);
    let r = h.handle(secs(0), &Export::new(&h, "db01").build());
    assert_eq!(return_value(&r), Some(32775));
    assert!(parse(&r).find(&uri(VMMS), "Job").unwrap().is_nil());
    assert_eq!(r.delay, Duration::from_millis(250));
    let r2 = h.handle(secs(0), &Export::new(&h, "db01").build());
    assert!(xml::parse(&r2.body).is_err());
    let r3 = h.handle(secs(0), &Export::new(&h, "db01").build());
    assert!(r3.close_connection && !r2.close_connection);
    assert_eq!(h.export_invocations(), 3);

    let mut c = SimConfig::demo();
    c.faults.access_denied = true;
    c.faults.faults_with_400 = true;
    let mut h = Host::new(c);
    let r = h.handle(secs(0), &Export::new(&h, "web01").build());
    assert_eq!((r.status, fault(&r).as_str()), (400, "w:AccessDenied"));
    assert_eq!(h.export_invocations(), 0);
}
