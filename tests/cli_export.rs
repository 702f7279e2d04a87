//! The CLI's commands against the simulated host in process, with tokio's paused clock:
//! the messages sent (WQL, VMMS selectors, ComputerSystem EPR, every export setting per flag
//! combination, the checkpoint object path, the polling requests) and the outcomes (JSON
//! shapes, exit codes for job failure, wait timeout, interrupt).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use hvremote::cli::args::{Cli, Command};
use hvremote::cli::connect::Session;
use hvremote::cli::demo::InProcess;
use hvremote::cli::{cmd, exit, run_remote};
use hvremote::hyperv::CollectingObserver;
use hvremote::sim::SimConfig;
use hvremote::sim::scenario::{JobFailureSpec, VmSpec};
use hvremote::xml::{self, Element};
use hvremote::{Error, ErrorKind};

fn host(vms: Vec<VmSpec>, job_ms: u64) -> Arc<InProcess> {
    let mut c = SimConfig::from_flags(&[], 0);
    c.vms = vms;
    c.job_duration_ms = job_ms;
    Arc::new(InProcess::new(c))
}

fn web01() -> VmSpec {
    let mut v = VmSpec::new("web01");
    v.checkpoints = vec!["before".into(), "after".into()];
    v
}

async fn run(t: &Arc<InProcess>, argv: &[&str]) -> Result<String, Error> {
    let mut full = vec!["hvremote", "-q"];
    full.extend_from_slice(argv);
    let cli = Cli::try_parse_from(full).map_err(|e| Error::new(ErrorKind::Usage, e.to_string()))?;
    let session = Session::over(t.clone(), None);
    run_remote(&session, &cli.command, &cli.global).await
}

fn bodies(t: &InProcess, action_suffix: &str) -> Vec<Element> {
    t.requests()
        .iter()
        .filter(|r| r.action.ends_with(action_suffix))
        .map(|r| xml::parse(&r.body).unwrap())
        .collect()
}

fn find<'a>(e: &'a Element, local: &str) -> Option<&'a Element> {
    if e.local == local {
        return Some(e);
    }
    e.elements().find_map(|c| find(c, local))
}

fn filters(t: &InProcess) -> Vec<String> {
    bodies(t, "/Enumerate")
        .iter()
        .filter_map(|b| find(b, "Filter").map(|f| f.text()))
        .collect()
}

fn export_settings(t: &InProcess) -> BTreeMap<String, String> {
    let inv = bodies(t, "/ExportSystemDefinition");
    assert_eq!(inv.len(), 1, "exactly one invoke");
    let text = find(&inv[0], "ExportSettingData").unwrap().text();
    let inst = xml::parse(&text).unwrap();
    assert_eq!(
        inst.attr(None, "CLASSNAME"),
        Some("Msvm_VirtualSystemExportSettingData")
    );
    inst.elements()
        .map(|p| {
            let v = p.child_local("VALUE").map(|v| v.text()).unwrap_or_default();
            (p.attr(None, "NAME").unwrap().to_string(), v)
        })
        .collect()
}

#[tokio::test(start_paused = true)]
async fn default_export_sends_expected_messages_and_json() {
    let t = host(vec![web01()], 20_000);
    let out = run(
        &t,
        &[
            "-o",
            "json",
            "export",
            "web01",
            "--dest",
            "D:\\Exports\\R&D",
        ],
    )
    .await
    .unwrap();
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["vm"]["name"], "web01");
    assert_eq!(v["destination"], "D:\\Exports\\R&D");
    assert_eq!(v["return_value"], 4096);
    assert_eq!(v["job"]["job_state"], 7);
    assert_eq!(v["job"]["state"], "Completed");
    assert_eq!(v["job"]["percent_complete"], 100);
    assert_eq!(v["job"]["error_code"], 0);
    assert!(v["job"]["error_description"].is_null());
    assert!(v["job"]["elapsed_seconds"].is_number());

    let f = filters(&t);
    assert_eq!(
        f[0],
        "SELECT * FROM Msvm_ComputerSystem WHERE ElementName = 'web01'"
    );
    assert_eq!(f[1], "SELECT * FROM Msvm_VirtualSystemManagementService");
    let inv = &bodies(&t, "/ExportSystemDefinition")[0];
    let sels: Vec<(String, String)> = find(inv, "Header")
        .and_then(|h| find(h, "SelectorSet"))
        .unwrap()
        .elements()
        .map(|s| (s.attr(None, "Name").unwrap().to_string(), s.text()))
        .collect();
    let names: Vec<&str> = sels.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        [
            "CreationClassName",
            "Name",
            "SystemCreationClassName",
            "SystemName"
        ]
    );
    let cs = find(inv, "ComputerSystem").unwrap();
    let cs_sel: Vec<String> = find(cs, "SelectorSet")
        .unwrap()
        .elements()
        .map(|s| format!("{}={}", s.attr(None, "Name").unwrap(), s.text()))
        .collect();
    assert_eq!(cs_sel[0], "CreationClassName=Msvm_ComputerSystem");
    assert_eq!(
        cs_sel[1],
        format!("Name={}", v["vm"]["id"].as_str().unwrap())
    );
    assert_eq!(
        find(inv, "ExportDirectory").unwrap().text(),
        "D:\\Exports\\R&D"
    );
    let s = export_settings(&t);
    let expect: BTreeMap<String, String> = [
        ("CopySnapshotConfiguration", "0"),
        ("CopyVmRuntimeInformation", "TRUE"),
        ("CopyVmStorage", "TRUE"),
        ("CreateVmExportSubdirectory", "TRUE"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(s, expect);
}

#[tokio::test(start_paused = true)]
async fn every_flag_maps_to_its_property() {
    let t = host(vec![web01()], 2_000);
    run(
        &t,
        &[
            "export",
            "web01",
            "--dest",
            "D:\\E",
            "--no-storage",
            "--no-runtime-state",
            "--no-snapshots",
            "--no-subdirectory",
            "--capture-live-state",
            "saved",
        ],
    )
    .await
    .unwrap();
    let s = export_settings(&t);
    assert_eq!(s["CopySnapshotConfiguration"], "1");
    assert_eq!(s["CopyVmRuntimeInformation"], "FALSE");
    assert_eq!(s["CopyVmStorage"], "FALSE");
    assert_eq!(s["CreateVmExportSubdirectory"], "FALSE");
    assert_eq!(s["CaptureLiveState"], "1");
    assert!(!s.contains_key("SnapshotVirtualSystem"));
}

#[tokio::test(start_paused = true)]
async fn snapshot_export_sends_object_path() {
    let t = host(vec![web01()], 2_000);
    run(
        &t,
        &["export", "web01", "--dest", "D:\\E", "--snapshot", "after"],
    )
    .await
    .unwrap();
    let s = export_settings(&t);
    assert_eq!(s["CopySnapshotConfiguration"], "2");
    let path = &s["SnapshotVirtualSystem"];
    assert!(
        path.starts_with("\\\\")
            && path.contains(
                "\\root\\virtualization\\v2:Msvm_VirtualSystemSettingData.InstanceID=\"Microsoft:"
            ),
        "{path}"
    );
    let f = filters(&t);
    assert!(
        f.iter()
            .any(|q| q.contains("VirtualSystemType = 'Microsoft:Hyper-V:Snapshot:Realized'"))
    );
}

#[tokio::test(start_paused = true)]
async fn hostile_vm_name_is_escaped_in_wql() {
    let name = r#"o'b\"<&x"#;
    let t = host(vec![VmSpec::new(name)], 1_000);
    let out = run(&t, &["-o", "json", "vms", "--name", name])
        .await
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v[0]["name"], name);
    assert_eq!(v[0]["state"], "Off");
    assert_eq!(v[0]["enabled_state"], 3);
    assert_eq!(
        filters(&t)[0],
        r#"SELECT * FROM Msvm_ComputerSystem WHERE ElementName = 'o\'b\\\"<&x'"#
    );
}

#[tokio::test(start_paused = true)]
async fn ten_minute_job_is_followed_with_bounded_polls() {
    let t = host(vec![web01()], 600_000);
    let t0 = tokio::time::Instant::now();
    run(&t, &["export", "web01", "--dest", "D:\\E"])
        .await
        .unwrap();
    let waited = t0.elapsed();
    let polls = bodies(&t, "/transfer/Get").len()
        + filters(&t)
            .iter()
            .filter(|f| f.contains("Msvm_ConcreteJob"))
            .count();
    assert!(
        waited >= Duration::from_secs(600) && waited <= Duration::from_secs(603),
        "{waited:?}"
    );
    // 1 s for ten polls, then 1.5 s: about 403 polls, at most one per second.
    assert!((380..=420).contains(&polls), "{polls} polls");
    assert!(
        polls as u64 <= waited.as_secs(),
        "more than one poll per second"
    );
    assert_eq!(t.export_invocations(), 1);
}

#[tokio::test(start_paused = true)]
async fn dropped_connection_while_polling_does_not_reinvoke() {
    let t = host(vec![web01()], 30_000);
    // requests: 1 find vm, 2 vmms, 3 invoke, 4.. polls
    t.fail_request(6, ErrorKind::Connect);
    t.fail_request(8, ErrorKind::Timeout);
    run(&t, &["export", "web01", "--dest", "D:\\E"])
        .await
        .unwrap();
    assert_eq!(t.export_invocations(), 1);
    assert_eq!(bodies(&t, "/ExportSystemDefinition").len(), 1);
}

#[tokio::test(start_paused = true)]
async fn job_exception_is_exit_1_with_code_and_description() {
    let mut c = SimConfig::from_flags(&["web01".into()], 0);
    c.job_duration_ms = 5_000;
    c.faults.job_failure = Some(JobFailureSpec {
        error_code: 32768,
        description: "The system cannot find the path specified.".into(),
        summary: "Failed to export virtual machine".into(),
    });
    let t = Arc::new(InProcess::new(c));
    let e = run(&t, &["export", "web01", "--dest", "D:\\E"])
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::JobFailed);
    assert_eq!(exit::code_for(&e), 1);
    assert!(
        e.message()
            .starts_with("export web01: job failed (32768): "),
        "{}",
        e.message()
    );
    assert!(
        e.message().contains("cannot find the path"),
        "{}",
        e.message()
    );
}

#[tokio::test(start_paused = true)]
async fn wait_timeout_leaves_job_running_exit_4() {
    let t = host(vec![web01()], 600_000);
    let e = run(
        &t,
        &["export", "web01", "--dest", "D:\\E", "--wait-timeout", "5"],
    )
    .await
    .unwrap_err();
    assert_eq!(exit::code_for(&e), 4);
    let id = e.job().unwrap().instance_id.clone();
    assert!(!id.is_empty());
    assert!(
        e.message().contains(&format!("hvremote job {id} --wait")),
        "{}",
        e.message()
    );
    // the job is still there and running
    let out = run(&t, &["-o", "json", "job", &id]).await.unwrap();
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["instance_id"], id.as_str());
    assert_eq!(v["job_state"], 4);
}

#[tokio::test(start_paused = true)]
async fn interrupt_prints_job_id_and_exits_130() {
    let t = host(vec![web01()], 600_000);
    let cli = Cli::try_parse_from(["hvremote", "export", "web01", "--dest", "D:\\E"]).unwrap();
    let Command::Export(a) = &cli.command else {
        panic!("export")
    };
    let session = Session::over(t.clone(), None);
    let interrupt = Box::pin(tokio::time::sleep(Duration::from_secs(7)));
    let mut obs = CollectingObserver::default();
    let e = cmd::export::run(&session.ops, a, cli.global.output, &mut obs, interrupt)
        .await
        .unwrap_err();
    assert_eq!(exit::code_for(&e), 130);
    assert!(e.message().contains("still running"), "{}", e.message());
    assert!(!obs.updates.is_empty());
    assert_eq!(t.export_invocations(), 1);
}

#[tokio::test(start_paused = true)]
async fn missing_vm_and_failed_method_are_exit_1() {
    let t = host(vec![web01()], 1_000);
    let e = run(&t, &["export", "nope", "--dest", "D:\\E"])
        .await
        .unwrap_err();
    assert_eq!(e.message(), "vm 'nope' not found");
    assert_eq!(exit::code_for(&e), 1);
    let mut c = SimConfig::from_flags(&["web01".into()], 0);
    c.faults.export_return_code = Some(32775);
    let t = Arc::new(InProcess::new(c));
    let e = run(&t, &["export", "web01", "--dest", "D:\\E"])
        .await
        .unwrap_err();
    assert_eq!(
        e.message(),
        "export web01: method failed (32775): invalid state for this operation"
    );
    assert_eq!(exit::code_for(&e), 1);
}

#[tokio::test(start_paused = true)]
async fn snapshots_and_job_commands() {
    let t = host(vec![web01()], 3_000);
    let out = run(&t, &["-o", "json", "snapshots", "web01"])
        .await
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let names: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 2);
    assert!(names.contains(&"before") && names.contains(&"after"));
    let out = run(
        &t,
        &[
            "-o",
            "json",
            "export",
            "web01",
            "--dest",
            "D:\\E",
            "--no-wait",
        ],
    )
    .await
    .unwrap();
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let id = v["job"]["instance_id"].as_str().unwrap().to_string();
    assert_ne!(v["job"]["job_state"], 7);
    let out = run(&t, &["-o", "json", "job", &id, "--wait"])
        .await
        .unwrap();
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(j["job_state"], 7);
    assert_eq!(j["percent_complete"], 100);
    let e = run(&t, &["job", "00000000-0000-0000-0000-000000000000"])
        .await
        .unwrap_err();
    assert_eq!(exit::code_for(&e), 1, "{}", e.message());
}

#[tokio::test(start_paused = true)]
async fn tolerates_reply_shape_variations_and_pull_timeouts() {
    let mut c = SimConfig::from_flags(&["web01".into()], 0);
    c.job_duration_ms = 3_000;
    c.variations.job_epr_wrapped = true;
    c.variations.job_epr_cimnamespace = true;
    c.variations.return_value_first = true;
    c.variations.pull_items_in_wsman_ns = true;
    c.faults.first_pull_times_out = true;
    c.generated_vms = 6000;
    let t = Arc::new(InProcess::new(c));
    let out = run(&t, &["-o", "json", "export", "web01", "--dest", "D:\\E"])
        .await
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["job"]["state"], "Completed");
    let out = run(&t, &["-o", "json", "vms"]).await.unwrap();
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 6001);
    let pulls = bodies(&t, "/enumeration/Pull").len();
    assert!(
        pulls >= 2,
        "{pulls} pulls: the listing needed paging and a repeated pull"
    );
}

#[tokio::test(start_paused = true)]
async fn cancel_on_interrupt_asks_the_host_to_stop_the_job() {
    let t = host(vec![web01()], 600_000);
    let argv = [
        "hvremote",
        "export",
        "web01",
        "--dest",
        "D:\\E",
        "--cancel-on-interrupt",
    ];
    let cli = Cli::try_parse_from(argv).unwrap();
    let Command::Export(a) = &cli.command else {
        panic!("export")
    };
    let session = Session::over(t.clone(), None);
    let interrupt = Box::pin(tokio::time::sleep(Duration::from_secs(3)));
    let mut obs = CollectingObserver::default();
    let e = cmd::export::run(&session.ops, a, cli.global.output, &mut obs, interrupt)
        .await
        .unwrap_err();
    assert_eq!(exit::code_for(&e), 130);
    assert!(e.message().contains("cancel"), "{}", e.message());
    assert_eq!(bodies(&t, "/RequestStateChange").len(), 1);
    let id = e.job().unwrap().instance_id.clone();
    let out = run(&t, &["-o", "json", "job", &id]).await.unwrap();
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(matches!(v["job_state"].as_u64(), Some(8 | 9)), "{v}");
}
