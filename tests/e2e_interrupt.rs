//! End to end: Ctrl-C (SIGINT) while `export` follows its job over real loopback HTTP exits
//! 130, names the job, and leaves it running (or cancels it with `--cancel-on-interrupt`);
//! an unknown job id is exit 1.

mod e2e_support;

use std::time::Duration;

use e2e_support::*;
use hvremote::sim::scenario::Faults;

async fn interrupted_export(s: &hvremote::sim::server::SimServer, extra: &[&str]) -> Run {
    let mut args = vec![
        "-H".to_string(),
        s.addr().to_string(),
        "-u".into(),
        USER.into(),
        "-q".into(),
        "export".into(),
        "web01".into(),
        "--dest".into(),
        "D:\\E".into(),
    ];
    args.extend(extra.iter().map(|a| a.to_string()));
    let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_hvremote"))
        .args(&args)
        .env("HVREMOTE_PASSWORD", PASSWORD)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn hvremote");
    let pid = child.id().expect("pid").to_string();
    for _ in 0..100 {
        if !host(s).lock().state.jobs.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The signal handler is armed once the job is being followed (the poll after the invoke).
    tokio::time::sleep(Duration::from_millis(600)).await;
    let st = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("kill -INT");
    assert!(st.success());
    let out = child.wait_with_output().await.expect("wait");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_leaves_the_job_running_or_cancels_it() {
    let s = start(60_000, Faults::default()).await;
    let r = interrupted_export(&s, &[]).await;
    r.expect_code(130);
    let id = host(&s).lock().state.jobs[0].id.clone();
    assert!(
        r.stderr.contains(&id) && r.stderr.contains("still running"),
        "{r:?}"
    );
    assert!(host(&s).lock().state.jobs[0].stopped.is_none());
    let r = interrupted_export(&s, &["--cancel-on-interrupt"]).await;
    r.expect_code(130);
    let (id2, stopped) = {
        let h = host(&s);
        let g = h.lock();
        let j = &g.state.jobs[1];
        (j.id.clone(), j.stopped)
    };
    assert!(
        r.stderr.contains(&id2) && r.stderr.contains("cancel"),
        "{r:?}"
    );
    assert!(stopped.is_some(), "job cancelled on the host");
    assert_eq!(invocations(&s), 2);
    stop(s).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_job_is_exit_1() {
    let s = start(500, Faults::default()).await;
    let r = hv(&s, &["job", "3F2B8C41-9D7E-4A05-B6C3-1E8F0A2D5B77"]).await;
    r.expect_code(1);
    assert!(
        r.stderr.contains("3F2B8C41-9D7E-4A05-B6C3-1E8F0A2D5B77"),
        "{r:?}"
    );
    let r = hv(
        &s,
        &[
            "-o",
            "json",
            "job",
            "3F2B8C41-9D7E-4A05-B6C3-1E8F0A2D5B77",
            "--wait",
        ],
    )
    .await;
    r.expect_code(1);
    assert_eq!(r.json()["error"]["kind"], "not_found");
    stop(s).await;
}
