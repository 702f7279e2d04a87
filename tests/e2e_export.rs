//! End to end over real loopback HTTP (NTLM + sealing) against the simulated host: `export`
//! with every flag, the issue 4 JSON shape, odd names and GUIDs, `--no-wait` then
//! `job --wait`, and a connection dropped while polling (the export is invoked exactly once).

mod e2e_support;

use e2e_support::*;
use hvremote::sim::scenario::Faults;

const DEST: &str = "D:\\Exports\\R&D";

fn map(pairs: &[(&str, &str)]) -> std::collections::BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_json_has_the_issue_4_shape_and_default_settings() {
    let s = start(800, Faults::default()).await;
    let r = hv(&s, &["-q", "-o", "json", "export", "web01", "--dest", DEST]).await;
    r.expect_code(0);
    let v = r.json();
    assert_eq!(v["vm"]["name"], "web01");
    assert_eq!(v["vm"]["id"], WEB01_GUID);
    assert_eq!(v["destination"], DEST);
    assert_eq!(v["return_value"], 4096);
    let j = &v["job"];
    assert!(!j["instance_id"].as_str().unwrap_or_default().is_empty());
    assert_eq!(j["job_state"], 7);
    assert_eq!(j["state"], "Completed");
    assert_eq!(j["percent_complete"], 100);
    assert_eq!(j["error_code"], 0);
    assert!(j["error_description"].is_null(), "{j}");
    assert!(j["elapsed_seconds"].as_f64().is_some(), "{j}");
    assert!(r.stderr.is_empty(), "-q: {}", r.stderr);
    assert_eq!(invocations(&s), 1);
    {
        let h = host(&s);
        let g = h.lock();
        let e = g.last_export().unwrap();
        assert_eq!(e.directory, DEST);
        assert!(e.vm_guid.eq_ignore_ascii_case(WEB01_GUID));
        assert_eq!(g.state.jobs.len(), 1);
        assert!(j["instance_id"] == g.state.jobs[0].id.as_str());
    }
    let expect = map(&[
        ("CopySnapshotConfiguration", "0"),
        ("CopyVmRuntimeInformation", "TRUE"),
        ("CopyVmStorage", "TRUE"),
        ("CreateVmExportSubdirectory", "TRUE"),
    ]);
    assert_eq!(last_settings(&s), expect);
    stop(s).await;
}

/// Export flags and the settings the host must receive for them.
type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)]);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_flag_combination_reaches_the_host() {
    let s = start(300, Faults::default()).await;
    let cases: &[Case] = &[
        (
            &["--no-storage"],
            &[
                ("CopyVmStorage", "FALSE"),
                ("CopyVmRuntimeInformation", "TRUE"),
            ],
        ),
        (
            &["--no-runtime-state"],
            &[
                ("CopyVmRuntimeInformation", "FALSE"),
                ("CopyVmStorage", "TRUE"),
            ],
        ),
        (&["--no-snapshots"], &[("CopySnapshotConfiguration", "1")]),
        (
            &["--no-subdirectory"],
            &[("CreateVmExportSubdirectory", "FALSE")],
        ),
        (
            &["--capture-live-state", "crash"],
            &[("CaptureLiveState", "0")],
        ),
        (
            &["--capture-live-state", "saved"],
            &[("CaptureLiveState", "1")],
        ),
        (
            &["--capture-live-state", "app"],
            &[("CaptureLiveState", "2")],
        ),
        (
            &[
                "--no-storage",
                "--no-runtime-state",
                "--no-snapshots",
                "--no-subdirectory",
                "--capture-live-state",
                "app",
            ],
            &[
                ("CopySnapshotConfiguration", "1"),
                ("CopyVmRuntimeInformation", "FALSE"),
                ("CopyVmStorage", "FALSE"),
                ("CreateVmExportSubdirectory", "FALSE"),
                ("CaptureLiveState", "2"),
            ],
        ),
    ];
    for (i, (flags, want)) in cases.iter().enumerate() {
        let mut args = vec!["-q", "export", "web01", "--dest", "D:\\E", "--no-wait"];
        args.extend_from_slice(flags);
        hv(&s, &args).await.expect_code(0);
        assert_eq!(invocations(&s), i as u64 + 1, "{flags:?}");
        let got = last_settings(&s);
        for (k, v) in *want {
            assert_eq!(
                got.get(*k).map(String::as_str),
                Some(*v),
                "{flags:?}: {got:?}"
            );
        }
        if !flags.contains(&"--capture-live-state") {
            assert!(!got.contains_key("CaptureLiveState"), "{flags:?}: {got:?}");
        }
        assert!(!got.contains_key("SnapshotVirtualSystem"), "{flags:?}");
    }
    stop(s).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_checkpoint_is_exported_by_its_object_path() {
    let s = start(500, Faults::default()).await;
    let r = hv(
        &s,
        &["export", "web01", "--dest", "D:\\E", "--snapshot", "after"],
    )
    .await;
    r.expect_code(0);
    assert!(
        r.stdout
            .starts_with("exported checkpoint 'after' of web01 to D:\\E"),
        "{r:?}"
    );
    let got = last_settings(&s);
    assert_eq!(got["CopySnapshotConfiguration"], "2");
    let after_id = host(&s).lock().state.vms[0].checkpoints[1]
        .instance_id
        .clone();
    let path = &got["SnapshotVirtualSystem"];
    assert!(
        path.ends_with(&format!("InstanceID=\"{after_id}\"")),
        "{path}"
    );
    assert!(path.contains(":Msvm_VirtualSystemSettingData."), "{path}");
    let r = hv(
        &s,
        &["export", "web01", "--dest", "D:\\E", "--snapshot", "nope"],
    )
    .await;
    r.expect_code(1);
    assert!(r.stderr.contains("nope"), "{r:?}");
    assert_eq!(invocations(&s), 1);
    stop(s).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn odd_name_and_guid_both_export() {
    let s = start(300, Faults::default()).await;
    let r = hv(
        &s,
        &[
            "-q",
            "-o",
            "json",
            "export",
            ODD_NAME,
            "--dest",
            "\\\\srv\\share\\x",
        ],
    )
    .await;
    r.expect_code(0);
    let v = r.json();
    assert_eq!(v["vm"]["name"], ODD_NAME);
    let odd_guid = host(&s).lock().state.vms[2].guid.clone();
    assert_eq!(v["vm"]["id"], odd_guid.as_str());
    assert_eq!(v["destination"], "\\\\srv\\share\\x");
    let r = hv(&s, &["export", ODD_NAME, "--dest", "D:\\E"]).await;
    r.expect_code(0);
    assert!(r.stdout.contains(ODD_NAME), "{r:?}");
    let lower = WEB01_GUID.to_ascii_lowercase();
    let r = hv(&s, &["-o", "json", "export", &lower, "--dest", "D:\\E"]).await;
    r.expect_code(0);
    assert_eq!(r.json()["vm"]["name"], "web01");
    let h = host(&s);
    assert!(
        h.lock()
            .last_export()
            .unwrap()
            .vm_guid
            .eq_ignore_ascii_case(WEB01_GUID)
    );
    assert_eq!(h.lock().export_invocations(), 3);
    stop(s).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_wait_then_job_wait_and_job_show() {
    let s = start(2_500, Faults::default()).await;
    let (v, id) = export_web01_no_wait(&s).await;
    assert_ne!(v["job"]["job_state"], 7, "{v}");
    assert_eq!(v["return_value"], 4096);
    let t = hv(&s, &["export", "web01", "--dest", "D:\\F", "--no-wait"]).await;
    t.expect_code(0);
    assert!(t.stdout.contains("follow it with: hvremote job "), "{t:?}");
    let r = hv(&s, &["-o", "json", "job", &id]).await;
    r.expect_code(0);
    let j = r.json();
    assert_eq!(j["instance_id"], id.as_str());
    assert!(matches!(j["job_state"].as_u64(), Some(2 | 4)), "{j}");
    assert!(j.get("percent_complete").is_some() && j.get("elapsed_seconds").is_some());
    let r = hv(&s, &["-q", "-o", "json", "job", &id, "--wait"]).await;
    r.expect_code(0);
    let j = r.json();
    assert_eq!(j["job_state"], 7);
    assert_eq!(j["state"], "Completed");
    assert_eq!(j["percent_complete"], 100);
    let r = hv(&s, &["job", &id]).await;
    r.expect_code(0);
    assert!(
        r.stdout.contains(&id) && r.stdout.contains("Completed (7)"),
        "{r:?}"
    );
    assert_eq!(invocations(&s), 2);
    stop(s).await;
}

/// Requests up to and including the invoke of an export of web01 (measured, not guessed).
async fn requests_through_invoke() -> u64 {
    let f = Faults {
        export_return_code: Some(32775),
        ..Faults::default()
    };
    let s = start(300, f).await;
    hv(&s, &["export", "web01", "--dest", "D:\\E"])
        .await
        .expect_code(1);
    let n = host(&s).lock().request_count();
    stop(s).await;
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_dropped_mid_poll_still_succeeds_with_one_invoke() {
    let k = requests_through_invoke().await;
    for drop_at in [k + 1, k + 2] {
        let f = Faults {
            close_after_request: Some(drop_at),
            ..Faults::default()
        };
        let s = start(2_000, f).await;
        let r = hv(&s, &["-o", "json", "export", "web01", "--dest", "D:\\E"]).await;
        r.expect_code(0);
        assert_eq!(r.json()["job"]["state"], "Completed", "drop at {drop_at}");
        assert_eq!(invocations(&s), 1, "drop at {drop_at}");
        assert!(host(&s).lock().request_count() > drop_at);
        stop(s).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_invoke_reply_is_not_retried() {
    let k = requests_through_invoke().await;
    let f = Faults {
        close_after_request: Some(k),
        ..Faults::default()
    };
    let s = start(500, f).await;
    let r = hv(&s, &["export", "web01", "--dest", "D:\\E"]).await;
    r.expect_code(4);
    assert!(r.stderr.starts_with("hvremote: export web01: "), "{r:?}");
    assert!(r.stderr.contains("may have been processed"), "{r:?}");
    assert!(r.stderr.lines().count() <= 3, "{r:?}");
    assert_eq!(invocations(&s), 1, "a lost invoke reply must not re-invoke");
    assert_eq!(host(&s).lock().request_count(), k);
    stop(s).await;
}
