//! End to end over real loopback HTTP (NTLM + sealing) against the simulated host: `vms`,
//! `snapshots`, the `wsman` commands, and every failure with its exit code and message
//! (issue 5): not found, ambiguous, return code 32775, job Exception, access denied, wrong
//! password, connection refused, `--wait-timeout`, malformed reply.

mod e2e_support;

use e2e_support::*;
use hvremote::sim::scenario::{Faults, JobFailureSpec};
use hvremote::sim::server::{ServerOptions, SimServer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vms_text_json_and_by_name() {
    let s = start(500, Faults::default()).await;
    let r = hv(&s, &["vms"]).await;
    r.expect_code(0);
    let first = r.stdout.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("NAME") && first.contains("ID") && first.contains("STATE"),
        "{r:?}"
    );
    assert!(
        r.stdout.contains(ODD_NAME) && r.stdout.contains(WEB01_GUID),
        "{r:?}"
    );
    let r = hv(&s, &["-o", "json", "vms"]).await;
    r.expect_code(0);
    let v = r.json();
    let arr = v.as_array().expect("array");
    assert_eq!(arr.len(), 5);
    for vm in arr {
        let keys: Vec<&String> = vm.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["enabled_state", "id", "name", "state"], "{vm}");
    }
    let web = arr.iter().find(|x| x["name"] == "web01").unwrap();
    assert_eq!(web["id"], WEB01_GUID);
    assert_eq!(web["state"], "Off");
    assert_eq!(web["enabled_state"], 3);
    let db = arr.iter().find(|x| x["name"] == "db01").unwrap();
    assert_eq!(db["enabled_state"], 2);
    assert_eq!(db["state"], "Running");
    let r = hv(&s, &["-o", "json", "vms", "--name", ODD_NAME]).await;
    r.expect_code(0);
    let v = r.json();
    assert_eq!(v.as_array().map(Vec::len), Some(1), "{v}");
    assert_eq!(v[0]["name"], ODD_NAME);
    assert_eq!(v[0]["enabled_state"], 6);
    let r = hv(&s, &["-o", "json", "vms", "--name", "absent"]).await;
    r.expect_code(0);
    assert_eq!(r.json(), serde_json::json!([]));
    stop(s).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshots_text_and_json() {
    let s = start(500, Faults::default()).await;
    let r = hv(&s, &["-o", "json", "snapshots", "web01"]).await;
    r.expect_code(0);
    let v = r.json();
    let names: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|x| x["name"].as_str())
        .collect();
    assert_eq!(names.len(), 2);
    assert!(names.contains(&"before") && names.contains(&"after"), "{v}");
    let ids = host(&s).lock().state.vms[0].checkpoints.clone();
    for c in &ids {
        assert!(
            v.as_array()
                .unwrap()
                .iter()
                .any(|x| x["instance_id"] == c.instance_id.as_str()),
            "{v}"
        );
    }
    let r = hv(&s, &["snapshots", WEB01_GUID]).await;
    r.expect_code(0);
    assert!(
        r.stdout.starts_with("NAME") && r.stdout.contains("before"),
        "{r:?}"
    );
    let r = hv(&s, &["-o", "json", "snapshots", "db01"]).await;
    r.expect_code(0);
    assert_eq!(r.json(), serde_json::json!([]));
    stop(s).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wsman_identify_get_enumerate_invoke() {
    let s = start(20_000, Faults::default()).await;
    let r = hv(&s, &["wsman", "identify"]).await;
    r.expect_code(0);
    assert!(r.stdout.contains("10.0.20348"), "{r:?}");
    let r = hv(&s, &["-o", "xml", "wsman", "identify"]).await;
    r.expect_code(0);
    assert!(r.stdout.contains("IdentifyResponse"), "{r:?}");
    let sel = format!("Name={WEB01_GUID}");
    let r = hv(
        &s,
        &[
            "-o",
            "json",
            "wsman",
            "get",
            "Msvm_ComputerSystem",
            "--selector",
            "CreationClassName=Msvm_ComputerSystem",
            "--selector",
            &sel,
        ],
    )
    .await;
    r.expect_code(0);
    let v = r.json();
    assert_eq!(v["ElementName"], "web01");
    assert_eq!(v["Name"], WEB01_GUID);
    let q = "SELECT * FROM Msvm_ComputerSystem WHERE ElementName = 'db01'";
    let r = hv(
        &s,
        &[
            "-o",
            "json",
            "wsman",
            "enumerate",
            "Msvm_ComputerSystem",
            "--wql",
            q,
        ],
    )
    .await;
    r.expect_code(0);
    let v = r.json();
    assert_eq!(v.as_array().map(Vec::len), Some(1), "{v}");
    assert_eq!(v[0]["ElementName"], "db01");
    assert_eq!(v[0]["EnabledState"], "2");
    // invoke: start a long export, then terminate its job through the generic invoke.
    let (_, id) = export_web01_no_wait(&s).await;
    let sel = format!("InstanceID={id}");
    let r = hv(
        &s,
        &[
            "-o",
            "json",
            "wsman",
            "invoke",
            "Msvm_ConcreteJob",
            "RequestStateChange",
            "--selector",
            &sel,
            "--param",
            "RequestedState=4",
        ],
    )
    .await;
    r.expect_code(0);
    assert_eq!(r.json()["ReturnValue"], 0, "{r:?}");
    let stopped = host(&s)
        .lock()
        .state
        .jobs
        .iter()
        .find(|j| j.id == id)
        .and_then(|j| j.stopped);
    assert_eq!(
        stopped.map(|(_, st)| st),
        Some(8),
        "job terminated on the host"
    );
    let r = hv(&s, &["-o", "json", "job", &id]).await;
    r.expect_code(0);
    assert_eq!(r.json()["job_state"], 8);
    stop(s).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn not_found_and_ambiguous_names() {
    let s = start(500, Faults::default()).await;
    let r = hv(&s, &["export", "ghost", "--dest", "D:\\E"]).await;
    r.expect_code(1);
    assert!(
        r.stderr.starts_with("hvremote: ") && r.stderr.contains("ghost"),
        "{r:?}"
    );
    let r = hv(&s, &["-o", "json", "export", "twin", "--dest", "D:\\E"]).await;
    r.expect_code(2);
    let v = r.json();
    assert_eq!(v["error"]["exit_code"], 2);
    let msg = v["error"]["message"].as_str().unwrap_or_default();
    assert!(msg.contains("twin"), "{msg}");
    let twins: Vec<String> = host(&s)
        .lock()
        .state
        .vms
        .iter()
        .filter(|v| v.name == "twin")
        .map(|v| v.guid.clone())
        .collect();
    assert!(
        twins
            .iter()
            .all(|g| msg.to_ascii_lowercase().contains(&g.to_ascii_lowercase())),
        "{msg}"
    );
    let r = hv(&s, &["snapshots", "ghost"]).await;
    r.expect_code(1);
    assert_eq!(invocations(&s), 0);
    stop(s).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn return_code_32775_is_explained() {
    let f = Faults {
        export_return_code: Some(32775),
        ..Faults::default()
    };
    let s = start(500, f).await;
    let r = hv(&s, &["export", "db01", "--dest", "D:\\E"]).await;
    r.expect_code(1);
    assert!(
        r.stderr.contains("32775") && r.stderr.to_ascii_lowercase().contains("invalid state"),
        "{r:?}"
    );
    let r = hv(&s, &["-o", "json", "export", "db01", "--dest", "D:\\E"]).await;
    r.expect_code(1);
    let v = r.json();
    assert_eq!(v["error"]["return_code"], 32775);
    assert_eq!(v["error"]["kind"], "method_failed");
    assert_eq!(invocations(&s), 2);
    assert!(host(&s).lock().state.jobs.is_empty());
    stop(s).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn job_exception_reports_code_and_description() {
    let f = Faults {
        job_failure: Some(JobFailureSpec {
            error_code: 32768,
            description: "The disk is full (0x80070070).".into(),
            summary: "Failed to export virtual machine".into(),
        }),
        ..Faults::default()
    };
    let s = start(500, f).await;
    let r = hv(&s, &["export", "web01", "--dest", "D:\\E"]).await;
    r.expect_code(1);
    assert!(
        r.stderr.contains("32768") && r.stderr.contains("The disk is full"),
        "{r:?}"
    );
    let r = hv(&s, &["-o", "json", "export", "web01", "--dest", "D:\\E"]).await;
    r.expect_code(1);
    let v = r.json();
    assert_eq!(v["error"]["kind"], "job_failed");
    assert_eq!(v["error"]["job"]["error_code"], 32768);
    assert_eq!(v["error"]["job"]["job_state"], 10);
    assert_eq!(invocations(&s), 2);
    stop(s).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_denied_fault_is_exit_1() {
    let f = Faults {
        access_denied: true,
        ..Faults::default()
    };
    let s = start(500, f).await;
    let r = hv(&s, &["vms"]).await;
    r.expect_code(1);
    assert!(r.stderr.to_ascii_lowercase().contains("access"), "{r:?}");
    let r = hv(&s, &["-o", "json", "export", "web01", "--dest", "D:\\E"]).await;
    r.expect_code(1);
    assert_eq!(r.json()["error"]["kind"], "fault");
    assert_eq!(invocations(&s), 0);
    stop(s).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_is_exit_3_and_refused_connection_exit_4() {
    let s = start(500, Faults::default()).await;
    let r = hv_at(&s.addr().to_string(), "wrong-password", &["vms"]).await;
    r.expect_code(3);
    assert!(r.stderr.starts_with("hvremote: "), "{r:?}");
    assert!(!r.all().contains("wrong-password"), "{r:?}");
    assert_eq!(host(&s).lock().request_count(), 0);
    stop(s).await;
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap().to_string();
    drop(l);
    let r = hv_at(&addr, PASSWORD, &["export", "web01", "--dest", "D:\\E"]).await;
    r.expect_code(4);
    assert!(
        r.stderr.starts_with("hvremote: ") && r.stderr.lines().count() <= 3,
        "{r:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_timeout_names_the_job_and_leaves_it_running() {
    let s = start(60_000, Faults::default()).await;
    let r = hv(
        &s,
        &[
            "-q",
            "export",
            "web01",
            "--dest",
            "D:\\E",
            "--wait-timeout",
            "1",
        ],
    )
    .await;
    r.expect_code(4);
    let id = host(&s).lock().state.jobs[0].id.clone();
    assert!(
        r.stderr.contains(&id) && r.stderr.contains("still running"),
        "{r:?}"
    );
    assert!(host(&s).lock().state.jobs[0].stopped.is_none());
    let r = hv(
        &s,
        &["-o", "json", "job", &id, "--wait", "--wait-timeout", "1"],
    )
    .await;
    r.expect_code(4);
    assert_eq!(r.json()["error"]["job"]["instance_id"], id.as_str());
    assert_eq!(invocations(&s), 1);
    stop(s).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_reply_is_a_clean_error() {
    let f = Faults {
        malformed_response_at: Some(1),
        ..Faults::default()
    };
    let s = start(500, f).await;
    let r = hv(&s, &["vms"]).await;
    // A truncated reply is a protocol error of the remote side: exit 1, one clean line.
    r.expect_code(1);
    assert!(r.stderr.starts_with("hvremote: list vms: "), "{r:?}");
    assert!(r.stderr.contains("malformed xml"), "{r:?}");
    assert!(
        !r.stderr.contains("panicked") && r.stderr.lines().count() <= 4,
        "{r:?}"
    );
    assert!(r.stdout.is_empty());
    let r = hv(&s, &["-o", "json", "vms"]).await;
    r.expect_code(0);
    assert!(r.json().as_array().is_some());
    stop(s).await;
}

/// Run the binary with `args` against `server`, read one line of its stdout, close the pipe
/// and wait: exit code, that line, and all of stderr.
async fn first_line_then_close(server: &SimServer, args: &[&str]) -> (Option<i32>, String, String) {
    use tokio::io::{AsyncBufReadExt, AsyncReadExt};
    let mut child = hv_command(&server.addr().to_string(), PASSWORD)
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("run hvremote");
    let mut stdout = tokio::io::BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    stdout.read_line(&mut line).await.expect("read one line");
    drop(stdout);
    let mut stderr = String::new();
    let mut err = child.stderr.take().expect("stderr");
    err.read_to_string(&mut stderr).await.expect("read stderr");
    let status = child.wait().await.expect("wait for hvremote");
    (status.code(), line, stderr)
}

/// `hvremote vms | head -1` (and the JSON listings): when the reader closes stdout the command
/// stops writing and pulling pages, says nothing, and exits 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_stdout_ends_a_listing_quietly() {
    let config = hvremote::sim::SimConfig::from_flags(&[], 20_000);
    let s = support::start_sim(config, "lab", PASSWORD, ServerOptions::default()).await;
    let requests = || host(&s).lock().request_count();
    // The whole listing, for the number of requests it takes.
    let before = requests();
    let r = hv(&s, &["-o", "json", "vms"]).await;
    r.expect_code(0);
    assert_eq!(r.json().as_array().map(Vec::len), Some(20_000));
    let full = requests() - before;
    let enumerate = ["-o", "json", "wsman", "enumerate", "Msvm_ComputerSystem"];
    for args in [&["vms"][..], &["-o", "json", "vms"], &enumerate] {
        let before = requests();
        let (code, line, stderr) = first_line_then_close(&s, args).await;
        let used = requests() - before;
        assert_eq!(code, Some(0), "{args:?}: {stderr}");
        assert_eq!(stderr, "", "{args:?}");
        assert!(
            line.starts_with("NAME") || line == "[\n",
            "{args:?}: {line:?}"
        );
        // It stopped pulling once the pipe was gone (what fits in the pipe and the output
        // buffer is well short of 20000 rows).
        assert!(
            used * 2 < full,
            "{args:?}: {used} requests, a whole listing takes {full}"
        );
    }
    stop(s).await;
}
