//! End to end: `--record` over real loopback HTTP (NTLM + sealing) writes a fixture with the
//! host and user redacted and no password, and `--replay` of it prints the same result with
//! no host at all.

mod e2e_support;

use e2e_support::*;
use hvremote::sim::scenario::Faults;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recorded_vms_replay_identically_without_the_host() {
    let s = start(500, Faults::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let fixture = dir.path().join("vms.json");
    let f = fixture.to_str().unwrap();
    let live = hv(
        &s,
        &["-o", "json", "--record", f, "vms", "--name", ODD_NAME],
    )
    .await;
    live.expect_code(0);
    assert_eq!(live.json()[0]["name"], ODD_NAME);
    let text = std::fs::read_to_string(&fixture).expect("fixture written");
    assert!(!text.contains(PASSWORD));
    assert!(!text.contains(&s.addr().to_string()), "endpoint redacted");
    assert!(text.contains("Msvm_ComputerSystem"), "{text}");
    let requests = host(&s).lock().request_count();
    stop(s).await;
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_hvremote"))
        .args(["-o", "json", "--replay", f, "vms", "--name", ODD_NAME])
        .env_remove("HVREMOTE_HOST")
        .env_remove("HVREMOTE_PASSWORD")
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let replayed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(replayed, live.json());
    assert!(requests >= 1);
}
