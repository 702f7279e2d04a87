//! Shared harness of the end-to-end tests: a simulated Hyper-V host on a real loopback HTTP
//! listener (NTLM with sealing, the CLI's default `--auth negotiate`) and the real `hvremote`
//! binary run against it with the password in `HVREMOTE_PASSWORD` (never a flag).
//!
//! What it does not: HTTPS or Kerberos (other test files cover those).

#![allow(dead_code)]

#[path = "../support/mod.rs"]
pub mod support;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use hvremote::sim::scenario::{Faults, VmSpec};
use hvremote::sim::server::{ServerOptions, SimServer};
use hvremote::sim::{Host, SimConfig};

pub use support::Run;

/// The account the simulated host accepts.
pub const USER: &str = "HV01\\lab";
/// Its password.
pub const PASSWORD: &str = "S3cret-e2e-pw!";
/// A VM name full of characters that XML, WQL, JSON and shells treat specially.
pub const ODD_NAME: &str = "we'b \"01\" <&> \\ ü";
/// The fixed GUID of `web01`.
pub const WEB01_GUID: &str = "5C9E2A17-3B4D-4F60-8A21-7D0E6B9C4F12";

/// The test host: `web01` (off, checkpoints `before` and `after`), `db01` (running), the odd
/// name (saved), and two VMs both named `twin`.
pub fn config(job_ms: u64, faults: Faults) -> SimConfig {
    let mut web = VmSpec::new("web01");
    web.checkpoints = vec!["before".into(), "after".into()];
    web.guid = Some(WEB01_GUID.into());
    let mut db = VmSpec::new("db01");
    db.state = 2;
    let mut odd = VmSpec::new(ODD_NAME);
    odd.state = 6;
    let mut c = SimConfig::from_flags(&[], 0);
    c.vms = vec![web, db, odd, VmSpec::new("twin"), VmSpec::new("twin")];
    c.user = "lab".into();
    c.password = PASSWORD.into();
    c.job_duration_ms = job_ms;
    c.faults = faults;
    c
}

/// Start the simulated host on `127.0.0.1:0`.
pub async fn start(job_ms: u64, faults: Faults) -> SimServer {
    SimServer::start(config(job_ms, faults), ServerOptions::default())
        .await
        .expect("start the simulated host")
}

/// Run `hvremote -H 127.0.0.1:<port> -u <USER> <args>` with the right password.
pub async fn hv(server: &SimServer, args: &[&str]) -> Run {
    hv_at(&server.addr().to_string(), PASSWORD, args).await
}

/// The binary with `-H <addr> -u <USER>` and `password` in the environment (arguments to add).
pub fn hv_command(addr: &str, password: &str) -> tokio::process::Command {
    let mut c = support::command(password);
    c.args(["-H", addr, "-u", USER]);
    c
}

/// Run the binary against `addr` with `password` in the environment.
pub async fn hv_at(addr: &str, password: &str, args: &[&str]) -> Run {
    let run = support::run(password, &[&["-H", addr, "-u", USER], args].concat()).await;
    assert!(!run.all().contains(PASSWORD), "password leaked: {run:?}");
    run
}

/// `-o json export web01 --dest D:\E --no-wait`, which must succeed: its JSON and the job's
/// InstanceID.
pub async fn export_web01_no_wait(server: &SimServer) -> (serde_json::Value, String) {
    let args = [
        "-o",
        "json",
        "export",
        "web01",
        "--dest",
        "D:\\E",
        "--no-wait",
    ];
    let r = hv(server, &args).await;
    r.expect_code(0);
    let v = r.json();
    let id = v["job"]["instance_id"]
        .as_str()
        .expect("job id")
        .to_string();
    (v, id)
}

/// Lock the server's host.
pub fn host(server: &SimServer) -> HostGuard {
    HostGuard(server.host())
}

/// Owner of the shared host handle; `lock()` gives the guard.
pub struct HostGuard(Arc<Mutex<Host>>);

impl HostGuard {
    /// The locked host.
    pub fn lock(&self) -> MutexGuard<'_, Host> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// How many ExportSystemDefinition calls reached the host.
pub fn invocations(server: &SimServer) -> u64 {
    host(server).lock().export_invocations()
}

/// The embedded export settings the host last accepted, as NAME → first VALUE.
pub fn last_settings(server: &SimServer) -> BTreeMap<String, String> {
    let h = host(server);
    let g = h.lock();
    let e = g.last_export().expect("an export reached the host");
    e.settings
        .props
        .iter()
        .map(|p| {
            (
                p.name.clone(),
                p.values.first().cloned().unwrap_or_default(),
            )
        })
        .collect()
}

/// Stop the server.
pub async fn stop(server: SimServer) {
    server.stop().await.expect("stop the simulated host");
}
