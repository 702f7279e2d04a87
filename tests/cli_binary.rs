//! The `hvremote` binary end to end: usage errors exit 2, JSON-mode errors are one object on
//! stdout, help has examples, and the in-process demo exports a VM (exit 0).

use std::process::{Command, Output};

fn hv(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hvremote"))
        .args(args)
        .env_remove("HVREMOTE_HOST")
        .env_remove("HVREMOTE_USER")
        .env_remove("HVREMOTE_PASSWORD")
        .output()
        .expect("run hvremote")
}

#[test]
fn unknown_flag_is_usage_exit_2() {
    let o = hv(&["vms", "--password", "x"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn missing_host_is_usage_with_text_error_on_stderr() {
    let o = hv(&["vms"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.starts_with("hvremote: no host given"), "{err}");
    assert!(o.stdout.is_empty());
}

#[test]
fn json_mode_error_is_one_object_on_stdout() {
    let o = hv(&["-o", "json", "export", "web01", "--dest", "D:\\E"]);
    assert_eq!(o.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json on stdout");
    assert_eq!(v["error"]["kind"], "usage");
    assert!(v["error"]["message"].as_str().unwrap().contains("host"));
}

#[test]
fn help_has_examples_for_every_command() {
    for c in [
        "vms",
        "snapshots",
        "export",
        "job",
        "wsman",
        "simulate",
        "demo",
    ] {
        let o = hv(&[c, "--help"]);
        assert_eq!(o.status.code(), Some(0), "{c}");
        assert!(
            String::from_utf8_lossy(&o.stdout).contains("Examples:"),
            "{c}"
        );
    }
}

#[test]
fn demo_exports_a_vm() {
    let o = hv(&["-q", "-o", "json", "demo"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["job"]["state"], "Completed");
    assert!(o.stderr.is_empty(), "-q prints nothing on stderr");
}

#[test]
fn basic_over_http_is_refused() {
    let o = Command::new(env!("CARGO_BIN_EXE_hvremote"))
        .args(["-H", "hv01", "-u", "admin", "--auth", "basic", "vms"])
        .env("HVREMOTE_PASSWORD", "pw")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(!String::from_utf8_lossy(&o.stderr).contains("pw\n"));
}

#[test]
fn refused_connection_is_exit_4() {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    let o = Command::new(env!("CARGO_BIN_EXE_hvremote"))
        .args([
            "-H",
            &format!("127.0.0.1:{port}"),
            "-u",
            "admin",
            "-o",
            "json",
            "vms",
        ])
        .env("HVREMOTE_PASSWORD", "s3cret-pw")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(4));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["error"]["kind"], "connect");
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(!all.contains("s3cret-pw"));
}

#[test]
#[cfg(not(feature = "kerberos"))]
fn kerberos_without_a_transport_for_it_is_a_usage_error_with_a_hint() {
    let o = Command::new(env!("CARGO_BIN_EXE_hvremote"))
        .args(["-H", "hv01", "-u", "admin", "--auth", "kerberos", "vms"])
        .env("HVREMOTE_PASSWORD", "pw")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("kerberos"), "{err}");
    assert!(
        err.contains("--features kerberos") || err.contains("--auth negotiate"),
        "{err}"
    );
}
