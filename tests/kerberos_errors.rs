//! Kerberos failures against a throw-away MIT realm on loopback, each with its specific
//! `ErrorKind::Auth` message and hint: no ticket, unknown SPN, wrong realm, unreachable KDC, a 200
//! without the mutual-auth token, and a ticket that expires mid-session. Harness:
//! tests/kerberos_support.
#![cfg(feature = "kerberos")]

use std::path::Path;

use hvremote::ErrorKind;
use hvremote::kerberos::{Acceptor, ClientContext, KerberosConfig, ticket_available};

mod kerberos_support;
use kerberos_support::{free_port, in_realm, no_tweak};

fn empty_ccache(d: &Path) -> Vec<(String, String)> {
    vec![(
        "KRB5CCNAME".into(),
        format!("FILE:{}/no-such-ccache", d.display()),
    )]
}

#[test]
fn no_ticket_says_kinit() {
    in_realm("no_ticket_says_kinit", "aes", empty_ccache, || {
        let cfg = KerberosConfig::new("hv01.hvlab.test");
        let e = ClientContext::new(cfg.clone()).expect_err("no ticket must fail");
        assert_eq!(e.kind(), ErrorKind::Auth);
        assert!(e.to_string().contains("kinit user@REALM"), "{e}");
        let status = ticket_available(&cfg);
        assert!(
            !status.available && status.reason.contains("kinit"),
            "{status:?}"
        );
    });
}

#[test]
fn unknown_spn_suggests_host_service() {
    in_realm("unknown_spn_suggests_host_service", "aes", no_tweak, || {
        let mut c = ClientContext::new(KerberosConfig::new("nosuch.hvlab.test")).expect("context");
        let e = c.step(None).expect_err("unknown spn must fail");
        assert_eq!(e.kind(), ErrorKind::Auth);
        let text = e.to_string();
        assert!(
            text.contains("HTTP/nosuch.hvlab.test") && text.contains("--spn-service host"),
            "{text}"
        );
        assert!(text.contains("setspn"), "{text}");
    });
}

#[test]
fn wrong_realm_is_named() {
    in_realm("wrong_realm_is_named", "aes", no_tweak, || {
        let mut c = ClientContext::new(KerberosConfig::new("hv01.other.test")).expect("context");
        let e = c.step(None).expect_err("a host of another realm must fail");
        assert_eq!(e.kind(), ErrorKind::Auth);
        assert!(e.to_string().contains("[domain_realm]"), "{e}");
    });
}

fn dead_kdc(d: &Path) -> Vec<(String, String)> {
    let conf = std::fs::read_to_string(d.join("krb5.conf")).unwrap_or_default();
    let port = free_port();
    let bad: String = conf
        .lines()
        .map(|l| {
            if l.trim_start().starts_with("kdc =") {
                format!("        kdc = 127.0.0.1:{port}\n")
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    let path = d.join("krb5-dead-kdc.conf");
    std::fs::write(&path, bad).expect("write krb5.conf copy");
    vec![("KRB5_CONFIG".into(), path.display().to_string())]
}

#[test]
fn unreachable_kdc_is_named() {
    in_realm("unreachable_kdc_is_named", "aes", dead_kdc, || {
        let mut c = ClientContext::new(KerberosConfig::new("hv01.hvlab.test")).expect("context");
        let e = c.step(None).expect_err("no kdc must fail");
        assert_eq!(e.kind(), ErrorKind::Auth);
        assert!(e.to_string().contains("cannot reach a kdc"), "{e}");
    });
}

#[test]
fn missing_mutual_token_is_an_error() {
    in_realm("missing_mutual_token_is_an_error", "aes", no_tweak, || {
        let mut c = ClientContext::new(KerberosConfig::new("hv01.hvlab.test")).expect("context");
        assert!(c.step(None).expect("first").is_some());
        let e = c.step(None).expect_err("a 200 without a token");
        assert!(e.to_string().contains("mutual authentication"), "{e}");
        assert_eq!(
            c.into_session().err().map(|e| e.kind()),
            Some(ErrorKind::Auth)
        );
    });
}

/// A ticket valid for a few seconds, in its own cache (`kinit -l`, password of the lab user).
fn short_ticket(d: &Path) -> Vec<(String, String)> {
    let cache = format!("FILE:{}/short-ccache", d.display());
    let mut kinit = std::process::Command::new("kinit")
        .args(["-l", "3s", "hvadmin@HVLAB.TEST"])
        .env("KRB5_CONFIG", d.join("krb5.conf"))
        .env("KRB5CCNAME", &cache)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("run kinit");
    if let Some(stdin) = kinit.stdin.as_mut() {
        use std::io::Write;
        let _ = writeln!(stdin, "Hv-Lab-Pw-1");
    }
    assert!(
        kinit.wait().map(|s| s.success()).unwrap_or(false),
        "short kinit"
    );
    vec![("KRB5CCNAME".into(), cache)]
}

#[test]
fn ticket_expiring_mid_session_is_reported() {
    in_realm(
        "ticket_expiring_mid_session_is_reported",
        "aes",
        short_ticket,
        || {
            let mut acc = Acceptor::new(None).expect("acceptor");
            let mut c =
                ClientContext::new(KerberosConfig::new("hv01.hvlab.test")).expect("context");
            let first = c.step(None).expect("step").expect("token");
            let mutual = acc.step(&first).expect("accept").expect("mutual token");
            c.step(Some(&mutual)).expect("mutual");
            let mut s = c.into_session().expect("session");
            assert!(!s.expired() && s.lifetime_secs() <= 3);
            std::thread::sleep(std::time::Duration::from_secs(s.lifetime_secs() + 1));
            assert!(s.expired());
            let e = s
                .wrap_winrm(b"<s:Envelope/>")
                .expect_err("an expired context");
            assert_eq!(e.kind(), ErrorKind::Auth);
            assert!(e.to_string().contains("kinit"), "{e}");
            let again = ClientContext::new(KerberosConfig::new("hv01.hvlab.test"))
                .and_then(|mut c| c.step(None));
            let e = again.expect_err("a fresh authentication with the expired ticket");
            assert!(e.to_string().contains("kinit"), "{e}");
        },
    );
}

#[test]
fn realm_script_refuses_a_busy_port() {
    let busy = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = busy.local_addr().expect("addr").port();
    let dir = tempfile::tempdir().expect("temp dir");
    let out = std::process::Command::new("bash")
        .arg(kerberos_support::root().join("scripts/krb-realm.sh"))
        .arg("up")
        .arg(dir.path().join("realm"))
        .env("KRB_REALM_PORT", port.to_string())
        .output()
        .expect("run krb-realm.sh");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("already in use"), "{err}");
    assert!(
        !dir.path().join("realm/principal").exists(),
        "nothing created"
    );
}
