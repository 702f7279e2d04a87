//! `--replay`: an export recorded from the simulated host (through the recorder) is replayed
//! by the binary with no host at all; a fixture that does not match exits 2.

use std::process::Command;
use std::sync::Arc;

use clap::Parser;
use hvremote::cli::args::Cli;
use hvremote::cli::connect::Session;
use hvremote::cli::demo::InProcess;
use hvremote::cli::run_remote;
use hvremote::sim::SimConfig;
use hvremote::transport::record::{Recorder, Redaction};

async fn record(path: &std::path::Path) {
    let mut c = SimConfig::from_flags(&["web01".into()], 0);
    c.job_duration_ms = 2_000;
    let rec = Arc::new(Recorder::new(
        Arc::new(InProcess::new(c)),
        Redaction::default(),
    ));
    let cli =
        Cli::try_parse_from(["hvremote", "-q", "export", "web01", "--dest", "D:\\E"]).unwrap();
    let session = Session::over(rec.clone(), None);
    run_remote(&session, &cli.command, &cli.global)
        .await
        .unwrap();
    rec.save(path).unwrap();
}

#[tokio::test(start_paused = true)]
async fn recorded_export_replays_without_a_host() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("export.json");
    record(&path).await;
    let p = path.to_str().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_hvremote"))
        .args([
            "-q", "-o", "json", "--replay", p, "export", "web01", "--dest", "D:\\E",
        ])
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["job"]["state"], "Completed");

    let o = Command::new(env!("CARGO_BIN_EXE_hvremote"))
        .args([
            "-q", "-o", "json", "--replay", p, "export", "db01", "--dest", "D:\\E",
        ])
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["error"]["kind"], "replay");
}
