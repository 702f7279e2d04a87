//! Interop: pywinrm 0.5.0 (NTLM, `message_encryption='always'`) drives the simulated host over
//! plain HTTP with sealing (winrm-wire.md §4.3). The peer is `tests/py/pywinrm_client.py`; it
//! writes its envelopes by hand with xml.etree and prints a JSON summary asserted on here.
//!
//! Python comes from `HVREMOTE_TEST_PYTHON` (set by `scripts/test.sh`, which builds the venv
//! from `tests/py/requirements.txt`). Without it these tests fail on purpose.

use std::process::Command;

use hvremote::sim::SimConfig;
use hvremote::sim::server::{ServerOptions, SimServer};
use serde_json::Value;

/// Run the peer (blocking, on a worker thread so the server keeps serving).
async fn pywinrm(server: &SimServer, user: &str, password: &str, vm: &str, mode: &str) -> Value {
    pywinrm_with(server, &[user, password, vm, mode], None).await
}

/// Run the peer with `args` after the endpoint; `ca` makes it trust that PEM (HTTPS).
async fn pywinrm_with(server: &SimServer, args: &[&str], ca: Option<&std::path::Path>) -> Value {
    let python = std::env::var("HVREMOTE_TEST_PYTHON").unwrap_or_else(|_| {
        panic!(
            "HVREMOTE_TEST_PYTHON is not set: run scripts/test.sh (it creates the python venv \
             with pywinrm and sets the variable)"
        )
    });
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/py/pywinrm_client.py");
    let mut args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    args.insert(0, server.endpoint());
    let ca = ca.map(|p| p.to_path_buf());
    let out = tokio::task::spawn_blocking(move || {
        let mut cmd = Command::new(python);
        cmd.arg(script).args(args).env_remove("PYWINRM_CA");
        if let Some(ca) = ca {
            cmd.env("PYWINRM_CA", ca);
        }
        cmd.output().expect("start the pywinrm peer")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "peer failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("peer output {stdout:?}: {e}"))
}

async fn server() -> SimServer {
    let mut config = SimConfig::demo();
    // A fixed GUID, to check pywinrm sees the configured VM.
    config.vms[0].guid = Some("5C9E2A17-3B4D-4F60-8A21-7D0E6B9C4F12".into());
    SimServer::start(config, ServerOptions::default())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn pywinrm_enumerates_pulls_gets_and_exports() {
    let server = server().await;
    let r = pywinrm(&server, "admin", "Passw0rd!", "web01", "full").await;
    assert_eq!(r["error"], Value::Null, "{r}");
    assert_eq!(r["pywinrm"], "0.5.0");
    assert_eq!(r["vm_name"], "web01");
    assert_eq!(r["vm_guid"], "5C9E2A17-3B4D-4F60-8A21-7D0E6B9C4F12");
    assert_eq!(r["filtered_items"], 1);
    assert_eq!(r["filtered_pull_end"], true);
    let mut names: Vec<String> = r["all_names"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    names.sort();
    assert_eq!(names, ["HV01", "db01", "test'vm", "web01"]);
    assert_eq!(
        r["pulls"], 3,
        "one element per page: the enumerate and three pulls"
    );
    assert_eq!(r["get_name"], "web01");
    assert_eq!(r["get_guid"], "5C9E2A17-3B4D-4F60-8A21-7D0E6B9C4F12");
    assert_eq!(r["return_value"], 4096);
    let job = r["job_id"].as_str().unwrap();
    assert!(!job.is_empty());
    assert_eq!(r["job_instance_id"], job);
    assert!(
        matches!(r["job_state"].as_u64(), Some(2 | 3 | 4 | 7)),
        "{r}"
    );
    let (exports, requests) = {
        let host = server.host();
        let host = host.lock().unwrap();
        (host.export_invocations(), host.request_count())
    };
    assert_eq!(exports, 1);
    assert_eq!(Some(requests), r["exchanges"].as_u64());
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn pywinrm_user_forms_and_wrong_password() {
    let server = server().await;
    for user in ["HV01\\admin", "admin@example.test"] {
        let r = pywinrm(&server, user, "Passw0rd!", "test'vm", "one").await;
        assert_eq!(r["error"], Value::Null, "{user}: {r}");
        assert_eq!(
            r["vm_guids"].as_array().map(Vec::len),
            Some(1),
            "{user}: {r}"
        );
        assert_eq!(r["end"], true);
    }
    let r = pywinrm(&server, "HV01\\admin", "wrong", "web01", "one").await;
    assert_eq!(
        r["error"], "winrm.exceptions.InvalidCredentialsError",
        "{r}"
    );
    assert_eq!(server.host().lock().unwrap().request_count(), 2);
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn pywinrm_over_https_with_channel_bindings() {
    use hvremote::sim::tls::{SimTls, loopback_names};
    let dir = tempfile::tempdir().unwrap();
    let pem = dir.path().join("sim-ca.pem");
    let opts = ServerOptions {
        tls: Some(SimTls::generate(&loopback_names(), Some(&pem)).unwrap()),
        ..ServerOptions::default()
    };
    let server = SimServer::start(SimConfig::demo(), opts).await.unwrap();
    // The listener requires bindings, so this passes only if requests_ntlm's
    // tls-server-end-point hash matches the server's.
    let args = ["admin@example.test", "Passw0rd!", "db01", "one"];
    let r = pywinrm_with(&server, &args, Some(&pem)).await;
    assert_eq!(r["error"], Value::Null, "{r}");
    assert_eq!(r["vm_guids"].as_array().map(Vec::len), Some(1), "{r}");
    // Without trusting the certificate pywinrm refuses the connection.
    let other = dir.path().join("other.pem");
    SimTls::generate(&loopback_names(), Some(&other)).unwrap();
    let r = pywinrm_with(&server, &args, Some(&other)).await;
    assert_eq!(r["error"], "requests.exceptions.SSLError", "{r}");
    assert_eq!(server.host().lock().unwrap().request_count(), 1);
    server.stop().await.unwrap();
}
