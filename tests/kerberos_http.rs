//! Kerberos at the HTTP level against an independent acceptor (issue 9): the real `hvremote`
//! binary, built with `--features kerberos`, talks to tests/py/krb_winrm_proxy.py (python-gssapi
//! acceptor, WinRM framing) which forwards the unsealed SOAP with Basic to `hvremote simulate`.
//! Each test starts and stops its own loopback realm (scripts/krb-realm.sh, free KDC port) and
//! its own processes (ports from port 0). No password is in the client's environment in the
//! Kerberos runs; only the ticket cache. Needs: krb5-kdc krb5-admin-server krb5-user
//! python3-gssapi (run: `cargo test --features kerberos --test kerberos_http`).
#![cfg(feature = "kerberos")]

mod kerberos_support;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use kerberos_support::{Realm, in_realm, root};

const SIM_PASSWORD: &str = "Sim-Basic-Pw-1";
const SPN_HOST: &str = "hv01.hvlab.test";

/// A child process killed and reaped on drop.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Start `cmd`, read its first stdout line and take the port from it.
fn start_with_port(mut cmd: Command, what: &str) -> (Proc, u16) {
    cmd.stdout(Stdio::piped()).stderr(Stdio::null());
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("start {what}: {e}"));
    let stdout = child.stdout.take().expect("stdout");
    let proc = Proc(child);
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .unwrap_or_else(|e| panic!("read from {what}: {e}"));
    let port = line
        .trim()
        .rsplit([' ', ':', '/'])
        .find_map(|w| w.parse::<u16>().ok())
        .unwrap_or_else(|| panic!("no port in {what}'s first line {line:?}"));
    (proc, port)
}

/// `hvremote simulate` on 127.0.0.1:0: Basic over HTTP (behind the proxy) or NTLM (default).
fn simulator(basic: bool, job_seconds: u32) -> (Proc, u16) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hvremote"));
    cmd.args(["simulate", "--listen", "127.0.0.1:0", "--user", "lab"])
        .args(["--vm", "web01", "--job-seconds", &job_seconds.to_string()])
        .env("HVREMOTE_PASSWORD", SIM_PASSWORD);
    if basic {
        cmd.args(["--auth", "basic", "--allow-unencrypted"]);
    }
    start_with_port(cmd, "hvremote simulate")
}

/// The python-gssapi WinRM proxy in front of a Basic simulator at `upstream`.
fn proxy(env: &[(String, String)], upstream: u16, extra: &[&str], log: &Path) -> (Proc, u16) {
    let mut cmd = Command::new("/usr/bin/python3");
    cmd.arg(root().join("tests/py/krb_winrm_proxy.py"))
        .args(["--upstream", &format!("http://127.0.0.1:{upstream}/wsman")])
        .args(["--upstream-user", "lab", "--log"])
        .arg(log)
        .args(extra)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .env("PROXY_UPSTREAM_PASSWORD", SIM_PASSWORD);
    start_with_port(cmd, "krb_winrm_proxy.py")
}

/// Run the client with the realm's ticket cache and no password anywhere in its environment.
fn client(env: &[(String, String)], args: &[&str]) -> Output {
    kerberos_support::ticket_only_hvremote(env)
        .args(args)
        .output()
        .expect("run hvremote")
}

fn text(o: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn read_log(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_default()
}

/// The common target flags: TCP to the proxy by address, the SPN by name.
fn target(port: u16) -> Vec<String> {
    vec![
        "--host".into(),
        "127.0.0.1".into(),
        "--port".into(),
        port.to_string(),
        "--spn-host".into(),
        SPN_HOST.into(),
    ]
}

fn args<'a>(t: &'a [String], rest: &[&'a str]) -> Vec<&'a str> {
    t.iter()
        .map(String::as_str)
        .chain(rest.iter().copied())
        .collect()
}

/// identify and a full export (waiting for the job) with `--auth kerberos` through a proxy
/// offering `schemes`; returns the proxy log.
fn identify_and_export(realm: &Realm, schemes: &str, log: PathBuf) -> String {
    let env = realm.env();
    let (_sim, sim_port) = simulator(true, 1);
    let (_proxy, port) = proxy(&env, sim_port, &["--schemes", schemes], &log);
    let t = target(port);
    let out = client(
        &env,
        &args(&t, &["--auth", "kerberos", "wsman", "identify"]),
    );
    assert!(
        out.status.success(),
        "identify via {schemes}: {}",
        text(&out)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("Microsoft Corporation"),
        "{}",
        text(&out)
    );
    let out = client(
        &env,
        &args(
            &t,
            &[
                "--auth",
                "kerberos",
                "-o",
                "json",
                "export",
                "web01",
                "--dest",
                "D:\\Exports",
            ],
        ),
    );
    assert!(out.status.success(), "export via {schemes}: {}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("web01"), "{}", text(&out));
    read_log(&log)
}

fn check_aes_or_rc4(rc4: bool) {
    let realm = Realm::up(if rc4 { "rc4" } else { "aes" });
    let dir = tempfile::tempdir().expect("temp dir");
    // Negotiate first (raw krb5 token, SPNEGO protocol string).
    let log = identify_and_export(&realm, "Negotiate,Kerberos", dir.path().join("neg.log"));
    assert!(
        log.contains("auth ok scheme=Negotiate mech=krb5 client=hvadmin@HVLAB.TEST"),
        "{log}"
    );
    assert!(
        log.contains("proto=application/HTTP-SPNEGO-session-encrypted"),
        "{log}"
    );
    assert!(!log.contains("rejected"), "{log}");
    // A host offering only Kerberos: one switch, raw krb5, the Kerberos protocol string.
    let log = identify_and_export(&realm, "Kerberos", dir.path().join("krb.log"));
    assert!(
        log.contains("auth refused scheme=Negotiate (not offered)"),
        "{log}"
    );
    assert!(log.contains("auth ok scheme=Kerberos mech=krb5"), "{log}");
    assert!(
        log.contains("proto=application/HTTP-Kerberos-session-encrypted"),
        "{log}"
    );
    assert!(!log.contains("HTTP-SPNEGO"), "{log}");
    assert!(!log.contains("rejected"), "{log}");
    // AES: 60-byte header, no padding; RC4: a shorter RFC 1964 header and a 1-byte pad.
    if rc4 {
        assert!(
            log.contains(" pad=1") && !log.contains("header=60"),
            "{log}"
        );
    } else {
        assert!(
            log.contains("header=60 pad=0") && !log.contains(" pad=1"),
            "{log}"
        );
    }
}

/// A Kerberos-only host that closes the connection with its 401 to `Negotiate`: the switch to
/// the `Kerberos` scheme happens once, on a new connection.
#[test]
fn scheme_switch_survives_a_closing_401() {
    let realm = Realm::up("aes");
    let dir = tempfile::tempdir().expect("temp dir");
    let log = dir.path().join("close.log");
    let env = realm.env();
    let (_sim, sim_port) = simulator(true, 1);
    let extra = ["--schemes", "Kerberos", "--close-on-refusal"];
    let (_proxy, port) = proxy(&env, sim_port, &extra, &log);
    let t = target(port);
    let out = client(
        &env,
        &args(&t, &["--auth", "kerberos", "wsman", "identify"]),
    );
    assert!(out.status.success(), "{}", text(&out));
    let log = read_log(&log);
    assert!(
        log.contains("auth refused scheme=Negotiate (not offered)"),
        "{log}"
    );
    assert!(log.contains("auth ok scheme=Kerberos mech=krb5"), "{log}");
    assert_eq!(log.matches("auth refused").count(), 1, "{log}");
}

#[test]
fn kerberos_aes_both_schemes() {
    check_aes_or_rc4(false);
}

#[test]
fn kerberos_rc4_both_schemes() {
    check_aes_or_rc4(true);
}

#[test]
fn negotiate_picks_kerberos_with_a_ticket_and_ntlm_without() {
    let realm = Realm::up("aes");
    let env = realm.env();
    let dir = tempfile::tempdir().expect("temp dir");
    let log = dir.path().join("proxy.log");
    let (_sim, sim_port) = simulator(true, 1);
    let (_proxy, port) = proxy(&env, sim_port, &[], &log);
    let t = target(port);
    let out = client(&env, &args(&t, &["-v", "wsman", "identify"]));
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        stderr(&out).contains(&format!(
            "auth: kerberos via negotiate (a kerberos ticket for HTTP/{SPN_HOST} is available"
        )),
        "{}",
        text(&out)
    );
    assert!(read_log(&log).contains("auth ok scheme=Negotiate"));
    // Trace logging shows decrypted SOAP but never a token (raw krb5 tokens are `YII…` in base64).
    let out = client(
        &env,
        &args(&t, &["-vvv", "--auth", "kerberos", "wsman", "identify"]),
    );
    assert!(out.status.success(), "{}", text(&out));
    let err = stderr(&out);
    assert!(
        err.contains("IdentifyResponse") || err.contains("Identify"),
        "{err}"
    );
    assert!(
        !err.contains("YII") && !err.contains("Authorization"),
        "{err}"
    );

    // No ticket: NTLM against the normal (NTLM) simulator, with user and password.
    let (_ntlm_sim, ntlm_port) = simulator(false, 1);
    let mut no_ticket = env.clone();
    no_ticket.push((
        "KRB5CCNAME".into(),
        format!("FILE:{}/empty-ccache", dir.path().display()),
    ));
    let t = target(ntlm_port);
    let out = Command::new(env!("CARGO_BIN_EXE_hvremote"))
        .args(args(&t, &["-v", "-u", "lab", "wsman", "identify"]))
        .envs(no_ticket.iter().map(|(k, v)| (k, v)))
        .env("HVREMOTE_PASSWORD", SIM_PASSWORD)
        .stdin(Stdio::null())
        .output()
        .expect("run hvremote");
    assert!(out.status.success(), "{}", text(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "auth: ntlm via negotiate (no kerberos ticket for HTTP/{SPN_HOST}"
        )) && err.contains("kinit user@REALM"),
        "{}",
        text(&out)
    );
    // Without a user, the error says why kerberos was not used.
    let out = client(&no_ticket, &args(&t, &["wsman", "identify"]));
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        stderr(&out).contains("kerberos was not usable"),
        "{}",
        text(&out)
    );
}

#[test]
fn kerberos_failures_are_specific() {
    let realm = Realm::up("aes");
    let env = realm.env();
    let dir = tempfile::tempdir().expect("temp dir");
    let (_sim, sim_port) = simulator(true, 1);
    let (_proxy, port) = proxy(&env, sim_port, &[], &dir.path().join("p.log"));
    let run = |env: &[(String, String)], extra: &[&str]| {
        let port = port.to_string();
        let mut a = vec!["--host", "127.0.0.1", "--port", &port, "--auth", "kerberos"];
        if !extra.contains(&"--spn-host") {
            a.extend_from_slice(&["--spn-host", SPN_HOST]);
        }
        a.extend_from_slice(extra);
        a.extend_from_slice(&["wsman", "identify"]);
        client(env, &a)
    };
    let mut no_ticket = env.clone();
    no_ticket.push((
        "KRB5CCNAME".into(),
        format!("FILE:{}/empty-ccache", dir.path().display()),
    ));
    type Case<'a> = (&'a [(String, String)], &'a [&'a str], &'a [&'a str]);
    let cases: [Case; 3] = [
        (&no_ticket, &[], &["kinit user@REALM"]),
        (
            &env,
            &["--spn-service", "nosuch"],
            &["nosuch/hv01.hvlab.test", "--spn-service host", "setspn -L"],
        ),
        (
            &env,
            &["--spn-host", "x.other.test"],
            &["realm", "[domain_realm]", "HTTP/x.other.test"],
        ),
    ];
    for (env, extra, needles) in cases {
        let out = run(env, extra);
        assert_eq!(out.status.code(), Some(3), "{extra:?}: {}", text(&out));
        let err = stderr(&out);
        for n in needles {
            assert!(err.contains(n), "{extra:?} lacks {n:?}: {}", text(&out));
        }
        assert!(!err.contains("Error {"), "a debug dump: {err}");
        assert_eq!(err.trim().lines().count(), 1, "one message: {err}");
    }
}

#[test]
fn tampered_body_and_missing_mutual_token_are_rejected() {
    let realm = Realm::up("aes");
    let env = realm.env();
    let dir = tempfile::tempdir().expect("temp dir");
    let (_sim, sim_port) = simulator(true, 1);
    let (_tamper, port) = proxy(&env, sim_port, &["--tamper"], &dir.path().join("t.log"));
    let out = client(
        &env,
        &args(&target(port), &["--auth", "kerberos", "wsman", "identify"]),
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "protocol exit code: {}",
        text(&out)
    );
    assert!(
        stderr(&out)
            .contains("kerberos unwrap of a message from HTTP/hv01.hvlab.test failed (tampered"),
        "{}",
        text(&out)
    );
    let (_nomutual, port) = proxy(&env, sim_port, &["--no-mutual"], &dir.path().join("m.log"));
    let out = client(
        &env,
        &args(&target(port), &["--auth", "kerberos", "wsman", "identify"]),
    );
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(
        stderr(&out).contains("mutual authentication with HTTP/hv01.hvlab.test did not complete"),
        "{}",
        text(&out)
    );
}

#[test]
fn a_401_on_a_kerberos_connection_authenticates_afresh_once() {
    let realm = Realm::up("aes");
    let env = realm.env();
    let dir = tempfile::tempdir().expect("temp dir");
    let log = dir.path().join("p.log");
    let (_sim, sim_port) = simulator(true, 1);
    let (_proxy, port) = proxy(&env, sim_port, &["--unauth-once", "1"], &log);
    let out = client(&env, &args(&target(port), &["--auth", "kerberos", "vms"]));
    assert!(out.status.success(), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("web01"));
    let log = read_log(&log);
    assert_eq!(log.matches("auth ok").count(), 2, "{log}");
    assert_eq!(log.matches("401 injected").count(), 1, "{log}");
    assert_eq!(
        log.matches("sealed request ok").count(),
        1,
        "resent once: {log}"
    );
}

#[test]
fn a_second_401_is_an_auth_error_not_a_loop() {
    let realm = Realm::up("aes");
    let env = realm.env();
    let dir = tempfile::tempdir().expect("temp dir");
    let log = dir.path().join("p.log");
    let (_sim, sim_port) = simulator(true, 1);
    let (_proxy, port) = proxy(&env, sim_port, &["--unauth-always"], &log);
    let out = client(&env, &args(&target(port), &["--auth", "kerberos", "vms"]));
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(
        stderr(&out).contains("401") && stderr(&out).contains("also after a fresh authentication"),
        "{}",
        text(&out)
    );
    let log = read_log(&log);
    assert_eq!(log.matches("auth ok").count(), 2, "{log}");
    assert_eq!(log.matches("401 injected").count(), 2, "{log}");
}

/// A ticket valid for a few seconds: the export's job polls outlive it; the transport sees the
/// expired context before sending, authenticates afresh once, and that fails with the kinit hint.
#[test]
fn ticket_expiring_mid_export_fails_once_with_the_kinit_hint() {
    let realm = Realm::up("aes");
    let mut env = realm.env();
    let dir = tempfile::tempdir().expect("temp dir");
    let cache = format!("FILE:{}/short-ccache", dir.path().display());
    let mut kinit = Command::new("kinit")
        .args(["-l", "4s", "hvadmin@HVLAB.TEST"])
        .envs(env.iter().map(|(k, v)| (k, v)))
        .env("KRB5CCNAME", &cache)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("run kinit");
    if let Some(stdin) = kinit.stdin.as_mut() {
        use std::io::Write;
        let _ = writeln!(stdin, "Hv-Lab-Pw-1");
    }
    assert!(
        kinit.wait().map(|s| s.success()).unwrap_or(false),
        "kinit -l 4s"
    );
    env.push(("KRB5CCNAME".into(), cache));
    let log = dir.path().join("p.log");
    let (_sim, sim_port) = simulator(true, 12);
    let (_proxy, port) = proxy(&realm.env(), sim_port, &[], &log);
    let out = client(
        &env,
        &args(
            &target(port),
            &[
                "--auth",
                "kerberos",
                "export",
                "web01",
                "--dest",
                "D:\\Exports",
            ],
        ),
    );
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(
        stderr(&out).contains("ticket in the cache has expired; run `kinit` again"),
        "{}",
        text(&out)
    );
    let log = read_log(&log);
    // One authentication before the expiry (none if this machine is very slow), never a loop.
    assert!(
        log.matches("auth ok").count() <= 1,
        "no re-authentication loop: {log}"
    );
}

/// SPNEGO tokens inside Negotiate (library level: `KerberosTarget::spnego`), in the realm's
/// environment (GSSAPI reads it from the process).
#[test]
fn spnego_tokens_through_the_transport() {
    in_realm(
        "spnego_tokens_through_the_transport",
        "aes",
        kerberos_support::no_tweak,
        || {
            use hvremote::http::{Auth, Endpoint, HttpConfig, HttpTransport, KerberosTarget};
            let dir = tempfile::tempdir().expect("temp dir");
            let log = dir.path().join("p.log");
            let env: Vec<(String, String)> = Vec::new();
            let (_sim, sim_port) = simulator(true, 1);
            let (_proxy, port) = proxy(&env, sim_port, &[], &log);
            let ep = Endpoint::parse(&format!("127.0.0.1:{port}"), false).expect("endpoint");
            let mut cfg = HttpConfig::new(ep, "", "");
            cfg.auth = Auth::Kerberos(KerberosTarget {
                spn_service: None,
                spn_host: Some(SPN_HOST.into()),
                spnego: true,
            });
            let t = HttpTransport::connect_lazy(cfg).expect("transport");
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            use hvremote::transport::Transport;
            use hvremote::wsman::{Settings, identify};
            let s = Settings::new(t.endpoint());
            let ids = hvremote::soap::SequentialMessageIds::new();
            let request = identify::request(&s, &ids).expect("identify request");
            let r = rt
                .block_on(t.exchange(request))
                .expect("identify over spnego");
            let id = identify::parse(r.status, &r.body).expect("identify answer");
            assert!(format!("{id:?}").contains("Microsoft"), "{id:?}");
            let log = read_log(&log);
            assert!(
                log.contains("auth ok scheme=Negotiate mech=spnego"),
                "{log}"
            );
            assert!(
                log.contains("proto=application/HTTP-SPNEGO-session-encrypted"),
                "{log}"
            );
        },
    );
}

/// Over HTTPS: the acceptor requires the RFC 5929 channel bindings of its certificate and bodies
/// are plain SOAP; bindings of another certificate are refused (exit 3).
#[test]
fn https_carries_channel_bindings_and_no_sealing() {
    let realm = Realm::up("aes");
    let env = realm.env();
    let dir = tempfile::tempdir().expect("temp dir");
    let key = rcgen::KeyPair::generate().expect("key");
    let params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()]).expect("cert params");
    let cert = params.self_signed(&key).expect("self-signed cert");
    let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_path, cert.pem()).expect("write cert");
    std::fs::write(&key_path, key.serialize_pem()).expect("write key");
    let (_sim, sim_port) = simulator(true, 1);
    let tls = [
        "--tls-cert",
        cert_path.to_str().expect("utf-8 path"),
        "--tls-key",
        key_path.to_str().expect("utf-8 path"),
    ];
    let https = |port: u16| {
        let t = target(port);
        let mut a = args(&t, &["--https", "--cacert"]);
        a.push(cert_path.to_str().expect("utf-8 path"));
        a.extend_from_slice(&["--auth", "kerberos", "vms"]);
        client(&env, &a)
    };
    let log = dir.path().join("tls.log");
    let (_proxy, port) = proxy(&env, sim_port, &tls, &log);
    let out = https(port);
    assert!(out.status.success(), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("web01"));
    let log = read_log(&log);
    assert!(
        log.contains("auth ok scheme=Negotiate") && log.contains("https request ok"),
        "{log}"
    );
    assert!(!log.contains("rejected"), "{log}");

    let mut wrong = tls.to_vec();
    wrong.push("--wrong-bindings");
    let log = dir.path().join("wrong.log");
    let (_proxy, port) = proxy(&env, sim_port, &wrong, &log);
    let out = https(port);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(
        stderr(&out).contains("channel bindings did not match"),
        "{}",
        text(&out)
    );
    assert!(read_log(&log).contains("Incorrect channel bindings"));
}
