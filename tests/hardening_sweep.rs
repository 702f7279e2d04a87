//! The failure sweep (issue 8 §2): an export of `web01` by the `hvremote` binary against the
//! simulated host over real loopback HTTP with NTLM and sealing, through the fault-injecting
//! proxy. For every request index k of the whole flow (auth legs included) and every
//! [`Action`] (connection closed before the request is read, after it is read, after the
//! answer; a 500 fault, a truncated body, a bad seal signature, a 401, a 10-minute stall) the
//! run must end in success or a clean error: a known kind whose exit code is the one
//! `cli::exit` assigns to it, a non-empty lowercase message; ExportSystemDefinition invoked at
//! most once (the host counts); and no case slower than the clean run plus the configured
//! timeouts plus a margin. Short configured timeouts (2 s) keep it fast; cases run in
//! parallel. Prints the table of cases and outcomes (`cargo test --test hardening_sweep --
//! --nocapture`).

#[path = "hardening_proxy.rs"]
mod proxy;

use std::sync::Arc;
use std::time::{Duration, Instant};

use hvremote::ErrorKind;
use hvremote::cli::exit;
use proxy::Action;
use tokio::sync::Semaphore;

const TIMEOUT_SECS: u64 = 2;
const PASSWORD: &str = "Passw0rd!";

#[derive(Debug)]
struct Outcome {
    k: usize,
    action: Option<Action>,
    code: Option<i32>,
    kind: String,
    message: String,
    invocations: u64,
    elapsed: Duration,
}

async fn run_case(fault: Option<(usize, Action)>) -> Outcome {
    let mut cfg = hvremote::sim::SimConfig::demo();
    cfg.job_duration_ms = 1500;
    let sim = hvremote::sim::server::SimServer::start(cfg, Default::default())
        .await
        .unwrap();
    let p = proxy::start(sim.addr(), fault).await;
    let t = TIMEOUT_SECS.to_string();
    let start = Instant::now();
    let out = tokio::process::Command::new(proxy::binary())
        .args([
            "-H",
            "127.0.0.1",
            "--port",
            &p.addr.port().to_string(),
            "-u",
            "admin",
        ])
        .args([
            "--read-timeout",
            &t,
            "--connect-timeout",
            &t,
            "-q",
            "-o",
            "json",
        ])
        .args(["export", "web01", "--dest", "D:\\Exports"])
        .env("HVREMOTE_PASSWORD", PASSWORD)
        .env_remove("HVREMOTE_HOST")
        .env_remove("HVREMOTE_USER")
        .kill_on_drop(true)
        .output()
        .await
        .unwrap();
    let elapsed = start.elapsed();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    let invocations = sim.host().lock().unwrap().export_invocations();
    Outcome {
        k: fault.map_or(usize::MAX, |f| f.0),
        action: fault.map(|f| f.1),
        code: out.status.code(),
        kind: v["error"]["kind"].as_str().unwrap_or("").to_string(),
        message: v["error"]["message"].as_str().unwrap_or("").to_string(),
        invocations,
        elapsed,
    }
}

/// Requests in a clean export (the proxy's count) and how long it took.
async fn baseline() -> (usize, Duration) {
    let mut cfg = hvremote::sim::SimConfig::demo();
    cfg.job_duration_ms = 1500;
    let sim = hvremote::sim::server::SimServer::start(cfg, Default::default())
        .await
        .unwrap();
    let p = proxy::start(sim.addr(), None).await;
    let start = Instant::now();
    let out = tokio::process::Command::new(proxy::binary())
        .args([
            "-H",
            "127.0.0.1",
            "--port",
            &p.addr.port().to_string(),
            "-u",
            "admin",
            "-q",
        ])
        .args(["export", "web01", "--dest", "D:\\Exports"])
        .env("HVREMOTE_PASSWORD", PASSWORD)
        .output()
        .await
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        p.count.load(std::sync::atomic::Ordering::SeqCst),
        start.elapsed(),
    )
}

const KINDS: [ErrorKind; 14] = [
    ErrorKind::Usage,
    ErrorKind::Auth,
    ErrorKind::Connect,
    ErrorKind::Tls,
    ErrorKind::Timeout,
    ErrorKind::Protocol,
    ErrorKind::Fault,
    ErrorKind::MethodFailed,
    ErrorKind::JobFailed,
    ErrorKind::NotFound,
    ErrorKind::LimitExceeded,
    ErrorKind::Replay,
    ErrorKind::Interrupted,
    ErrorKind::Io,
];

/// The kinds a clean failure may have for each injected fault.
fn allowed(action: Action) -> &'static [&'static str] {
    match action {
        Action::CloseBeforeRead | Action::CloseAfterRead | Action::CloseAfterAnswer => {
            &["connect", "auth", "timeout"]
        }
        Action::Fault500 => &["fault", "protocol", "auth"],
        Action::Truncated => &["connect", "protocol", "auth"],
        Action::BadSeal => &["protocol", "auth", "connect"],
        Action::Unauthorized => &["auth"],
        Action::Stall => &["timeout"],
    }
}

/// Everything wrong with one outcome (empty when it is acceptable).
fn problems(o: &Outcome, limit: Duration) -> Vec<String> {
    let mut p = Vec::new();
    if o.invocations > 1 {
        p.push(format!(
            "ExportSystemDefinition invoked {} times",
            o.invocations
        ));
    }
    if o.elapsed > limit {
        p.push(format!("took {:?} (limit {limit:?})", o.elapsed));
    }
    if o.code == Some(0) {
        return p;
    }
    let kind = KINDS.iter().find(|k| exit::kind_name(**k) == o.kind);
    match kind {
        None => p.push(format!("no clean json error (exit {:?})", o.code)),
        Some(k) if o.code != Some(i32::from(exit::code_for_kind(*k))) => {
            p.push(format!("exit {:?} does not match kind {}", o.code, o.kind));
        }
        Some(_) => {}
    }
    if let Some(a) = o.action.filter(|a| !allowed(*a).contains(&o.kind.as_str())) {
        p.push(format!("kind {} unexpected for {a:?}", o.kind));
    }
    let first = o.message.chars().next();
    if o.message.len() < 10 || first.is_some_and(char::is_uppercase) {
        p.push(format!("unspecific message {:?}", o.message));
    }
    p
}

fn row(o: &Outcome) -> String {
    let outcome = match o.code {
        Some(0) => "success".to_string(),
        c => format!("exit {} {}", c.unwrap_or(-1), o.kind),
    };
    let msg: String = o.message.chars().take(90).collect();
    format!(
        "{:>3}  {:<16} {:<22} inv={} {:>6.1}s  {msg}",
        o.k,
        format!("{:?}", o.action.unwrap_or(Action::Stall)),
        outcome,
        o.invocations,
        o.elapsed.as_secs_f64()
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_request_index_times_every_fault_ends_cleanly() {
    let (n, clean) = baseline().await;
    assert!(n >= 5, "a clean export makes several requests: {n}");
    let limit = clean + Duration::from_secs(3 * TIMEOUT_SECS + 10);
    let gate = Arc::new(Semaphore::new(24));
    let mut tasks = Vec::new();
    for k in 0..n {
        for a in Action::ALL {
            let gate = Arc::clone(&gate);
            tasks.push(tokio::spawn(async move {
                let _permit = gate.acquire_owned().await.unwrap();
                run_case(Some((k, a))).await
            }));
        }
    }
    let mut failures = Vec::new();
    println!("clean export: {n} requests in {clean:?}; case limit {limit:?}");
    println!("  k  fault            outcome                inv  elapsed  message");
    for t in tasks {
        let o = t.await.unwrap();
        println!("{}", row(&o));
        for p in problems(&o, limit) {
            failures.push(format!("k={} {:?}: {p}", o.k, o.action));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn problems_flags_double_invocation_wrong_exit_and_vague_messages() {
    let o = Outcome {
        k: 3,
        action: Some(Action::Stall),
        code: Some(1),
        kind: "timeout".into(),
        message: "Error".into(),
        invocations: 2,
        elapsed: Duration::from_secs(1),
    };
    let p = problems(&o, Duration::from_secs(10));
    assert_eq!(p.len(), 3, "{p:?}");
}
