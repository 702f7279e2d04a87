//! `--record` then `--replay` through the real binary (GitHub issue 6, "What it must show").
//!
//! * Every CLI command run against the simulated host (in-process `SimServer`, loopback HTTP
//!   with NTLM and sealing) with `--record`, then again with `--replay`: same exit code, same
//!   JSON. Replays never sleep between job polls.
//! * Mismatches: replaying a corpus fixture with another VM name or another flag exits 2 and
//!   names the first differing exchange and element.
//! * Secrets: a recording made through a TCP proxy that captures every `Authorization` header
//!   holds neither the password, nor its NT hash (hex, both cases), nor any header value.

mod support;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use hvremote::sim::SimConfig;
use hvremote::sim::server::{ServerOptions, SimServer};
use md4::{Digest, Md4};
use serde_json::Value;
use support::{replay_args, strings as s};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const USER: &str = "lab-operator";
const PASSWORD: &str = "Rec0rd&Replay-Secret";

async fn sim() -> SimServer {
    let mut cfg = SimConfig::demo();
    cfg.job_duration_ms = 100;
    support::start_sim(cfg, USER, PASSWORD, ServerOptions::default()).await
}

/// Run the binary with `args`; (exit code, stdout JSON or null, stdout text).
async fn cli(args: &[String]) -> (i32, Value, String) {
    let r = support::run(PASSWORD, args).await;
    (r.code_or_signal(), r.json_or_null(), r.stdout)
}

fn live_args(host: &str, record: &Path, extra: &[&str], cmd: &[String]) -> Vec<String> {
    let mut v = s(&["-H", host, "-u", USER, "-q", "-o", "json", "--record"]);
    v.push(record.display().to_string());
    v.extend(s(extra));
    v.extend(cmd.iter().cloned());
    v
}

/// Record `cmd` against `host`, replay it, and require the same exit code and JSON.
async fn round_trip(host: &str, dir: &Path, name: &str, cmd: &[String]) -> Value {
    let file = dir.join(format!("{name}.json"));
    let (code, live, text) = cli(&live_args(host, &file, &["--record-keep-names"], cmd)).await;
    assert_eq!(code, 0, "{name}: live run failed: {text}");
    let (rcode, replayed, rtext) = cli(&replay_args(&file, cmd)).await;
    assert_eq!(rcode, 0, "{name}: replay failed: {rtext}");
    assert_eq!(
        replayed, live,
        "{name}: replayed json differs from the live run"
    );
    assert!(live != Value::Null, "{name}: no json output");
    live
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_command_replays_to_the_same_json() {
    let server = sim().await;
    let host = server.addr().to_string();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let vms = round_trip(&host, d, "vms", &s(&["vms"])).await;
    round_trip(&host, d, "vms-name", &s(&["vms", "--name", "db01"])).await;
    round_trip(&host, d, "snapshots", &s(&["snapshots", "web01"])).await;
    let export = s(&["export", "web01", "--dest", "D:\\E", "--no-snapshots"]);
    let out = round_trip(&host, d, "export", &export).await;
    assert_eq!(out["job"]["state"], "Completed");
    let no_wait = s(&["export", "db01", "--dest", "D:\\E", "--no-wait"]);
    let out = round_trip(&host, d, "export-no-wait", &no_wait).await;
    let job = out["job"]["instance_id"].as_str().unwrap().to_string();
    round_trip(&host, d, "job-wait", &s(&["job", &job, "--wait"])).await;
    round_trip(&host, d, "job", &s(&["job", &job])).await;
    round_trip(&host, d, "identify", &s(&["wsman", "identify"])).await;
    let guid = vms[0]["id"].as_str().unwrap();
    let name_sel = format!("Name={guid}");
    let get = ["wsman", "get", "Msvm_ComputerSystem", "--selector"];
    let mut get = s(&get);
    get.extend(s(&[
        "CreationClassName=Msvm_ComputerSystem",
        "--selector",
        &name_sel,
    ]));
    round_trip(&host, d, "get", &get).await;
    let wql = "SELECT * FROM Msvm_VirtualSystemSettingData";
    let en = s(&[
        "wsman",
        "enumerate",
        "Msvm_VirtualSystemSettingData",
        "--wql",
        wql,
    ]);
    round_trip(&host, d, "enumerate", &en).await;
    let sel = format!("InstanceID={job}");
    let inv = s(&[
        "wsman",
        "invoke",
        "Msvm_ConcreteJob",
        "GetErrorEx",
        "--selector",
        &sel,
    ]);
    round_trip(&host, d, "invoke", &inv).await;
    server.stop().await.unwrap();
}

fn corpus(name: &str) -> PathBuf {
    support::corpus_dir().join(format!("{name}.json"))
}

/// Replay the corpus export with other arguments: exit 2 and the message of the mismatch.
async fn mismatch(cmd: &[&str]) -> String {
    let (code, json, text) = cli(&replay_args(&corpus("export-completed"), &s(cmd))).await;
    assert_eq!(code, 2, "{text}");
    assert_eq!(json["error"]["kind"], "replay", "{text}");
    json["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn other_vm_name_fails_at_the_first_exchange() {
    let msg = mismatch(&["export", "db01", "--dest", "D:\\Exports"]).await;
    assert!(msg.contains("exchange 0 (Enumerate)"), "{msg}");
    assert!(msg.contains("Body/Enumerate/Filter"), "{msg}");
    assert!(msg.contains("db01"), "{msg}");
}

#[tokio::test]
async fn other_flag_fails_at_the_export_call() {
    let msg = mismatch(&["export", "web01", "--dest", "D:\\Exports", "--no-storage"]).await;
    assert!(msg.contains("does not match"), "{msg}");
    assert!(msg.contains("ExportSystemDefinition"), "{msg}");
    let msg = mismatch(&["export", "web01", "--dest", "D:\\Other"]).await;
    assert!(msg.contains("ExportDirectory"), "{msg}");
}

/// A loopback TCP proxy to `target` that keeps every `Authorization` header value it forwards.
async fn auth_capturing_proxy(target: std::net::SocketAddr) -> (String, Arc<Mutex<Vec<u8>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let keep = Arc::clone(&seen);
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let keep = Arc::clone(&keep);
            tokio::spawn(pipe(client, target, keep));
        }
    });
    (addr, seen)
}

async fn pipe(client: TcpStream, target: std::net::SocketAddr, keep: Arc<Mutex<Vec<u8>>>) {
    let Ok(server) = TcpStream::connect(target).await else {
        return;
    };
    let (mut cr, mut cw) = client.into_split();
    let (mut sr, mut sw) = server.into_split();
    let up = async move {
        let mut buf = vec![0u8; 64 * 1024];
        while let Ok(n) = cr.read(&mut buf).await {
            if n == 0 || sw.write_all(&buf[..n]).await.is_err() {
                break;
            }
            keep.lock().unwrap().extend_from_slice(&buf[..n]);
        }
        let _ = sw.shutdown().await;
    };
    let down = async move {
        let _ = tokio::io::copy(&mut sr, &mut cw).await;
        let _ = cw.shutdown().await;
    };
    tokio::join!(up, down);
}

/// The `Authorization` header values in a captured client-to-server byte stream.
fn authorization_values(stream: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(stream)
        .lines()
        .filter_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("authorization")
                .then(|| value.trim().to_string())
        })
        .collect()
}

fn nt_hash_hex(password: &str) -> String {
    let utf16: Vec<u8> = password.encode_utf16().flat_map(u16::to_le_bytes).collect();
    Md4::digest(&utf16)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recordings_hold_no_secrets() {
    let server = sim().await;
    let (proxy, seen) = auth_capturing_proxy(server.addr()).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("secrets.json");
    let export = s(&["export", "web01", "--dest", "D:\\E"]);
    for keep in [&[][..], &["--record-keep-names"][..]] {
        let (code, _, text) = cli(&live_args(&proxy, &file, keep, &export)).await;
        assert_eq!(code, 0, "{text}");
        let fixture = std::fs::read_to_string(&file).unwrap();
        let values = authorization_values(&seen.lock().unwrap());
        assert!(values.len() >= 2, "the proxy saw no ntlm legs: {values:?}");
        let hash = nt_hash_hex(PASSWORD);
        let mut secrets = vec![PASSWORD.to_string(), hash.clone(), hash.to_uppercase()];
        for v in &values {
            secrets.push(v.clone());
            if let Some((_, token)) = v.split_once(' ') {
                secrets.push(token.trim().to_string());
            }
        }
        for secret in &secrets {
            assert!(
                !fixture.contains(secret.as_str()),
                "fixture holds a secret: {secret}"
            );
        }
        assert!(
            fixture.contains("ExportSystemDefinition"),
            "not a recording"
        );
        if keep.is_empty() {
            assert!(!fixture.contains(USER), "user name not redacted");
        }
    }
    server.stop().await.unwrap();
}
