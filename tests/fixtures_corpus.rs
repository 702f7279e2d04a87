//! The fixture corpus under `fixtures/hyperv/` (GitHub issue 6, item 5; fixtures/README.md).
//!
//! * `corpus_replays_to_documented_outcome`: every `<name>.json` fixture replays through the
//!   real binary (`--replay`, no network, no simulator) to the exit code and JSON stored in
//!   `<name>.expected.json`.
//! * `regeneration_reproduces_committed_fixtures` (the drift check): every case of [`CASES`] is
//!   recorded again against the simulated host (in-process `SimServer`, real HTTP + NTLM +
//!   sealing on loopback, the real binary with `--record`) into a temporary directory and
//!   compared with the committed files, masking what differs on every run (MessageIDs,
//!   datetimes and intervals, `elapsed_ms`). With `HVREMOTE_REGEN_FIXTURES=1` it writes into
//!   `fixtures/hyperv/` instead (that is what `scripts/regen-fixtures.sh` runs).

use std::path::{Path, PathBuf};

use hvremote::sim::SimConfig;
use hvremote::sim::server::{ServerOptions, SimServer};
use hvremote::transport::fixture::Fixture;
use hvremote::transport::normalize::normalize;
use serde_json::{Value, json};

/// The simulated host's account (test credentials, not a secret).
const USER: &str = "admin";
const PASSWORD: &str = "Corpus-Passw0rd!";
/// The port written into fixtures in place of the ephemeral one the recording used.
const FIXED_PORT: &str = "5985";

/// One corpus entry: which simulated host, what to run first, what to record.
struct Case {
    name: &'static str,
    scenario: &'static str,
    docs: &'static str,
    /// Run (not recorded) before the command; `{job}` in `args` is its `job.instance_id`;
    /// the command runs once that job has ended.
    setup: &'static [&'static str],
    args: &'static [&'static str],
}

const NO_WAIT: &[&str] = &["export", "web01", "--dest", "D:\\Exports", "--no-wait"];

macro_rules! case {
    ($name:literal, $sc:literal, $docs:literal, [$($a:expr),*]) => {
        Case { name: $name, scenario: $sc, docs: $docs, setup: &[], args: &[$($a),*] }
    };
    ($name:literal, $sc:literal, $docs:literal, setup, [$($a:expr),*]) => {
        Case { name: $name, scenario: $sc, docs: $docs, setup: NO_WAIT, args: &[$($a),*] }
    };
}

/// Every corpus fixture (one per scenario of issue 6, item 5).
const CASES: &[Case] = &[
    case!(
        "export-completed",
        "demo",
        "export web01, job polled to completion; exit 0",
        ["export", "web01", "--dest", "D:\\Exports"]
    ),
    case!(
        "export-no-storage",
        "demo",
        "export with CopyVmStorage false (--no-storage); exit 0",
        ["export", "web01", "--dest", "D:\\Exports", "--no-storage"]
    ),
    case!(
        "export-no-runtime-state",
        "demo",
        "export with CopyVmRuntimeInformation false; exit 0",
        [
            "export",
            "web01",
            "--dest",
            "D:\\Exports",
            "--no-runtime-state"
        ]
    ),
    case!(
        "export-no-snapshots",
        "demo",
        "export with CopySnapshotConfiguration 1 (no checkpoints); exit 0",
        ["export", "web01", "--dest", "D:\\Exports", "--no-snapshots"]
    ),
    case!(
        "export-no-subdirectory",
        "demo",
        "export with CreateVmExportSubdirectory false; exit 0",
        [
            "export",
            "web01",
            "--dest",
            "D:\\Exports",
            "--no-subdirectory"
        ]
    ),
    case!(
        "export-capture-app",
        "demo",
        "export of running db01 with CaptureLiveState 2 (application consistent); exit 0",
        [
            "export",
            "db01",
            "--dest",
            "D:\\Exports",
            "--capture-live-state",
            "app"
        ]
    ),
    case!(
        "export-no-wait",
        "demo",
        "export started, job read once and not followed (--no-wait); exit 0",
        ["export", "web01", "--dest", "D:\\Exports", "--no-wait"]
    ),
    case!(
        "export-checkpoint",
        "demo",
        "export of one checkpoint (--snapshot before-update, SnapshotVirtualSystem set); exit 0",
        [
            "export",
            "web01",
            "--dest",
            "D:\\Exports",
            "--snapshot",
            "before-update"
        ]
    ),
    case!(
        "export-checkpoint-not-found",
        "demo",
        "export of a checkpoint that does not exist; exit 1 (not found)",
        [
            "export",
            "web01",
            "--dest",
            "D:\\Exports",
            "--snapshot",
            "nosuch"
        ]
    ),
    case!(
        "export-job-exception",
        "job-failure",
        "export whose job ends in JobState 10 (Exception) with ErrorCode 32768; exit 1",
        ["export", "web01", "--dest", "D:\\Exports"]
    ),
    case!(
        "export-rc-32768",
        "rc-32768",
        "ExportSystemDefinition returns 32768 (failed); exit 1",
        ["export", "web01", "--dest", "D:\\Exports"]
    ),
    case!(
        "export-rc-32770",
        "rc-32770",
        "ExportSystemDefinition returns 32770 (not supported); exit 1",
        ["export", "web01", "--dest", "D:\\Exports"]
    ),
    case!(
        "export-rc-32773",
        "rc-32773",
        "ExportSystemDefinition returns 32773 (invalid parameter); exit 1",
        ["export", "web01", "--dest", "D:\\Exports"]
    ),
    case!(
        "export-rc-32775",
        "rc-32775",
        "ExportSystemDefinition returns 32775 (invalid state); exit 1",
        ["export", "web01", "--dest", "D:\\Exports"]
    ),
    case!(
        "export-rc-32776",
        "rc-32776",
        "ExportSystemDefinition returns 32776 (incorrect data type); exit 1",
        ["export", "web01", "--dest", "D:\\Exports"]
    ),
    case!(
        "export-vm-not-found",
        "demo",
        "export of a VM name that does not exist; exit 1 (not found)",
        ["export", "nosuch", "--dest", "D:\\Exports"]
    ),
    case!(
        "export-duplicate-names",
        "duplicates",
        "export by a display name two VMs share; exit 2 (ambiguous, use the GUID)",
        ["export", "web01", "--dest", "D:\\Exports"]
    ),
    case!("vms", "demo", "list all VMs; exit 0", ["vms"]),
    case!(
        "vms-name",
        "demo",
        "list VMs named web01 (WQL filter); exit 0",
        ["vms", "--name", "web01"]
    ),
    case!(
        "vms-duplicate-names",
        "duplicates",
        "list VMs named web01 when two share the name; exit 0, two entries",
        ["vms", "--name", "web01"]
    ),
    case!(
        "vms-paged",
        "paged",
        "list 600 VMs over two pages (Enumerate, then Pull); exit 0",
        ["vms"]
    ),
    case!(
        "snapshots",
        "demo",
        "list web01's checkpoints; exit 0",
        ["snapshots", "web01"]
    ),
    case!(
        "snapshots-vm-not-found",
        "demo",
        "checkpoints of a VM that does not exist; exit 1 (not found)",
        ["snapshots", "nosuch"]
    ),
    case!(
        "job-show",
        "demo",
        "read a completed job once by InstanceID (started by an unrecorded export --no-wait); exit 0",
        setup,
        ["job", "{job}"]
    ),
    case!(
        "job-wait",
        "demo",
        "follow a job (--wait) that has already completed: one reading; exit 0",
        setup,
        ["job", "{job}", "--wait"]
    ),
    case!(
        "job-not-found",
        "demo",
        "read a job that does not exist; exit 1 (not found)",
        ["job", "00000000-0000-0000-0000-000000000000"]
    ),
    case!(
        "wsman-identify",
        "demo",
        "wsman identify; exit 0",
        ["wsman", "identify"]
    ),
    case!(
        "wsman-get",
        "demo",
        "wsman get of web01's Msvm_ComputerSystem by key selectors; exit 0",
        [
            "wsman",
            "get",
            "Msvm_ComputerSystem",
            "--selector",
            "CreationClassName=Msvm_ComputerSystem",
            "--selector",
            "Name=B6A3EE20-3DDF-4EA3-B06A-23E191DAE32C"
        ]
    ),
    case!(
        "wsman-enumerate",
        "demo",
        "wsman enumerate of a class; exit 0",
        ["wsman", "enumerate", "Msvm_VirtualSystemSettingData"]
    ),
    case!(
        "wsman-enumerate-wql",
        "demo",
        "wsman enumerate with a WQL filter; exit 0",
        [
            "wsman",
            "enumerate",
            "Msvm_ComputerSystem",
            "--wql",
            "SELECT * FROM Msvm_ComputerSystem WHERE ElementName = 'db01'"
        ]
    ),
    case!(
        "wsman-invoke",
        "demo",
        "wsman invoke GetErrorEx on a job; exit 0",
        setup,
        [
            "wsman",
            "invoke",
            "Msvm_ConcreteJob",
            "GetErrorEx",
            "--selector",
            "InstanceID={job}"
        ]
    ),
    case!(
        "fault-access-denied",
        "access-denied",
        "w:AccessDenied fault (HTTP 500) on the first enumeration; exit 1",
        ["vms"]
    ),
    case!(
        "fault-access-denied-400",
        "access-denied-400",
        "w:AccessDenied fault sent with HTTP 400; exit 1",
        ["vms"]
    ),
    case!(
        "fault-invalid-selectors",
        "demo",
        "wsman get with a selector the class does not have: w:InvalidSelectors fault; exit 1",
        [
            "wsman",
            "get",
            "Msvm_ComputerSystem",
            "--selector",
            "Bogus=1"
        ]
    ),
    case!(
        "fault-destination-unreachable",
        "demo",
        "wsman get of an instance that does not exist: a:DestinationUnreachable fault; exit 1",
        [
            "wsman",
            "get",
            "Msvm_ComputerSystem",
            "--selector",
            "CreationClassName=Msvm_ComputerSystem",
            "--selector",
            "Name=00000000-0000-0000-0000-000000000000"
        ]
    ),
    case!(
        "fault-cannot-process-filter",
        "demo",
        "wsman enumerate with invalid WQL: w:CannotProcessFilter fault; exit 1",
        [
            "wsman",
            "enumerate",
            "Msvm_ComputerSystem",
            "--wql",
            "SELECT FROM WHERE"
        ]
    ),
    case!(
        "fault-pull-timed-out",
        "pull-timeout",
        "the first Pull answers w:TimedOut (600 VMs, two pages), the client pulls again; exit 0",
        ["vms"]
    ),
    case!(
        "fault-malformed-response",
        "malformed",
        "the first response is truncated XML; exit 1 (protocol error)",
        ["vms"]
    ),
    case!(
        "fault-connection-lost",
        "connection-lost",
        "the connection closes after the request is processed (recorded transport error); exit 4",
        ["vms"]
    ),
];

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/hyperv")
}

/// Run the binary; (exit code, stdout as JSON or null).
async fn run_cli(args: &[String]) -> (i32, Value) {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_hvremote"))
        .args(args)
        .env("HVREMOTE_PASSWORD", PASSWORD)
        .env_remove("HVREMOTE_HOST")
        .env_remove("HVREMOTE_USER")
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .expect("run hvremote");
    let stdout = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out.status.code().unwrap_or(-1), stdout)
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// The replay command line of a fixture.
fn replay_args(fixture: &Path, args: &[String]) -> Vec<String> {
    let mut v = strings(&["-q", "-o", "json", "--replay"]);
    v.push(fixture.display().to_string());
    v.extend(args.iter().cloned());
    v
}

/// Record `case` against a fresh simulated host into `out_dir`; also writes the expected file.
async fn record_case(case: &Case, out_dir: &Path) {
    let scenario = corpus_dir().join(format!("scenarios/{}.toml", case.scenario));
    let text = std::fs::read_to_string(&scenario).expect("read scenario");
    let mut cfg = SimConfig::from_toml(&text).expect("scenario parses");
    cfg.user = USER.into();
    cfg.password = PASSWORD.into();
    let server = SimServer::start(cfg, ServerOptions::default())
        .await
        .unwrap();
    let host = server.addr().to_string();
    let base = strings(&["-H", &host, "-u", USER, "-q", "-o", "json"]);
    let mut args = strings(case.args);
    if !case.setup.is_empty() {
        let (code, out) = run_cli(&[base.clone(), strings(case.setup)].concat()).await;
        assert_eq!(code, 0, "{}: setup failed: {out}", case.name);
        let job = out["job"]["instance_id"].as_str().expect("setup job id");
        // Let the 100 ms job end, so what the command reads does not depend on timing.
        tokio::time::sleep(std::time::Duration::from_millis(800)).await;
        args = args.iter().map(|a| a.replace("{job}", job)).collect();
    }
    let raw = out_dir.join(format!("{}.raw.json", case.name));
    let mut rec = base.clone();
    rec.extend(["--record".to_string(), raw.display().to_string()]);
    let (live_code, _) = run_cli(&[rec, args.clone()].concat()).await;
    server.stop().await.unwrap();
    let port = host.rsplit(':').next().unwrap_or_default();
    let json = std::fs::read_to_string(&raw).unwrap().replace(
        &format!("host.example:{port}"),
        &format!("host.example:{FIXED_PORT}"),
    );
    std::fs::remove_file(&raw).unwrap();
    let mut fixture = Fixture::from_json(&json, case.name).unwrap();
    fixture.docs = format!(
        "{} (simulated host, scenarios/{}.toml)",
        case.docs, case.scenario
    );
    let path = out_dir.join(format!("{}.json", case.name));
    fixture.save_atomic(&path).unwrap();
    let (code, stdout) = run_cli(&replay_args(&path, &args)).await;
    assert_eq!(
        code, live_code,
        "{}: replay exit differs from the live run",
        case.name
    );
    let expected = json!({
        "docs": case.docs,
        "scenario": format!("scenarios/{}.toml", case.scenario),
        "args": args,
        "exit_code": code,
        "stdout_json": stdout,
    });
    let text = serde_json::to_string_pretty(&expected).unwrap() + "\n";
    std::fs::write(out_dir.join(format!("{}.expected.json", case.name)), text).unwrap();
}

/// Elements whose text follows the simulator's clock (canonical-form line endings).
const CLOCK_ELEMENTS: &[&str] = &["}Datetime", "}Interval", "}OnTimeInMilliseconds"];

/// Canonical response text with datetimes and intervals masked (they follow the clock).
fn mask_times(canonical: &str) -> String {
    let mut out = Vec::new();
    let mut mask_next = false;
    for line in canonical.lines() {
        if mask_next && line.trim_start().starts_with('"') {
            out.push("*".to_string());
        } else {
            out.push(line.to_string());
        }
        let t = line.trim_end();
        mask_next = CLOCK_ELEMENTS.iter().any(|e| t.ends_with(e));
    }
    out.join("\n")
}

fn canonical_body(body: Option<&str>) -> String {
    match body {
        Some(b) => normalize(b)
            .map(|c| mask_times(&c))
            .unwrap_or_else(|_| mask_uuids(b)),
        None => String::new(),
    }
}

/// `uuid:<36 characters>` (MessageID, RelatesTo) masked, for bodies that do not parse.
fn mask_uuids(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("uuid:") {
        out.push_str(&rest[..i + 5]);
        rest = &rest[i + 5..];
        let n = rest
            .chars()
            .take_while(|c| c.is_ascii_hexdigit() || *c == '-')
            .count();
        out.push('*');
        rest = &rest[n..];
    }
    out.push_str(rest);
    out
}

/// A fixture with everything that changes on every recording masked.
fn masked_fixture(path: &Path) -> Value {
    let f = Fixture::load(path).unwrap();
    let exchanges: Vec<Value> = f
        .exchanges
        .iter()
        .map(|e| {
            json!({
                "action": e.action, "resource_uri": e.resource_uri,
                "request": canonical_body(Some(&e.request)), "status": e.status,
                "response": canonical_body(e.response.as_deref()),
                "error": e.error.as_ref().map(|r| (r.kind.clone(), r.message.clone())),
            })
        })
        .collect();
    json!({ "docs": f.docs, "endpoint": f.endpoint, "redacted": f.redacted,
            "host_info": serde_json::to_value(&f.host_info).unwrap(), "exchanges": exchanges })
}

/// Expected output with clock-dependent values (`elapsed_seconds`, `*_time`) masked.
fn masked_json(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| {
                    let lower = k.to_ascii_lowercase();
                    let clock = lower.contains("elapsed") || lower.contains("time");
                    (k.clone(), if clock { json!("*") } else { masked_json(v) })
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(masked_json).collect()),
        other => other.clone(),
    }
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corpus_replays_to_documented_outcome() {
    let dir = corpus_dir();
    for case in CASES {
        let expected = read_json(&dir.join(format!("{}.expected.json", case.name)));
        let args: Vec<String> = serde_json::from_value(expected["args"].clone()).unwrap();
        let fixture = dir.join(format!("{}.json", case.name));
        let (code, stdout) = run_cli(&replay_args(&fixture, &args)).await;
        assert_eq!(
            json!(code),
            expected["exit_code"],
            "{}: exit code",
            case.name
        );
        assert_eq!(
            stdout, expected["stdout_json"],
            "{}: json output",
            case.name
        );
        assert!(
            !expected["docs"].as_str().unwrap_or("").is_empty(),
            "{}: docs",
            case.name
        );
    }
}

#[test]
fn every_corpus_file_belongs_to_a_case() {
    for entry in std::fs::read_dir(corpus_dir()).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        let Some(stem) = name.strip_suffix(".json") else {
            continue;
        };
        let stem = stem.strip_suffix(".expected").unwrap_or(stem);
        assert!(
            CASES.iter().any(|c| c.name == stem),
            "{name} is not in CASES"
        );
    }
    for case in CASES {
        assert!(
            corpus_dir()
                .join(format!("scenarios/{}.toml", case.scenario))
                .is_file()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regeneration_reproduces_committed_fixtures() {
    let regen = std::env::var_os("HVREMOTE_REGEN_FIXTURES").is_some_and(|v| v == "1");
    let tmp = tempfile::tempdir().unwrap();
    let out = if regen {
        corpus_dir()
    } else {
        tmp.path().to_path_buf()
    };
    for case in CASES {
        record_case(case, &out).await;
    }
    if regen {
        return;
    }
    for case in CASES {
        for (file, mask) in [
            (
                format!("{}.json", case.name),
                masked_fixture as fn(&Path) -> Value,
            ),
            (format!("{}.expected.json", case.name), |p: &Path| {
                masked_json(&read_json(p))
            }),
        ] {
            let fresh = serde_json::to_string_pretty(&mask(&tmp.path().join(&file))).unwrap();
            let committed = serde_json::to_string_pretty(&mask(&corpus_dir().join(&file))).unwrap();
            if let Some((n, (a, b))) = fresh
                .lines()
                .zip(committed.lines())
                .enumerate()
                .find(|(_, (a, b))| a != b)
            {
                panic!(
                    "{file} drifted from the simulator (masked line {n}):\n  regenerated: {a}\n  committed:   {b}\nrun scripts/regen-fixtures.sh and review the diff"
                );
            }
            assert_eq!(fresh.len(), committed.len(), "{file} drifted (length)");
        }
    }
}
