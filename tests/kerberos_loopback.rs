//! Kerberos against a throw-away MIT realm on loopback (scripts/krb-realm.sh): our client
//! context with an independent python-gssapi acceptor (tests/py/krb_acceptor.py) and with our
//! own [`Acceptor`], AES and RC4, both wrap paths, both HTTP schemes, and the error hints.
//!
//! GSSAPI reads KRB5_CONFIG / KRB5CCNAME from the process environment, which this crate may not
//! set (no `unsafe`). So each test starts its own realm in a temp dir, re-runs this test binary
//! for just that test with the realm's environment, checks that exactly one test passed there,
//! and stops the realm. Needs: krb5-kdc krb5-admin-server krb5-user python3-gssapi.
#![cfg(feature = "kerberos")]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hvremote::ErrorKind;
use hvremote::http::encrypted;
use hvremote::kerberos::{
    Acceptor, ClientContext, HttpScheme, KerberosConfig, KerberosSession, Mech, WrapMode,
    ticket_available,
};

const CASE_VAR: &str = "HVREMOTE_KRB_CASE";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    l.local_addr().expect("local addr").port()
}

/// A realm in a temp dir, stopped (by PID, in the script) on drop.
struct Realm {
    dir: tempfile::TempDir,
}

impl Realm {
    fn up(enctypes: &str) -> Realm {
        let dir = tempfile::tempdir().expect("temp dir");
        let out = Command::new("bash")
            .arg(root().join("scripts/krb-realm.sh"))
            .arg("up")
            .arg(dir.path().join("realm"))
            .env("KRB_REALM_PORT", free_port().to_string())
            .env("KRB_REALM_ENCTYPES", enctypes)
            .output()
            .expect("run krb-realm.sh");
        let realm = Realm { dir };
        assert!(
            out.status.success(),
            "realm up failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        realm
    }

    fn path(&self) -> PathBuf {
        self.dir.path().join("realm")
    }

    fn env(&self) -> Vec<(String, String)> {
        let d = self.path().display().to_string();
        vec![
            ("KRB5_CONFIG".into(), format!("{d}/krb5.conf")),
            ("KRB5_KDC_PROFILE".into(), format!("{d}/kdc.conf")),
            ("KRB5CCNAME".into(), format!("FILE:{d}/ccache")),
            ("KRB5_KTNAME".into(), format!("FILE:{d}/http.keytab")),
            ("KRB_REALM_DIR".into(), d),
        ]
    }
}

impl Drop for Realm {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(root().join("scripts/krb-realm.sh"))
            .arg("down")
            .arg(self.path())
            .status();
    }
}

/// Run `body` inside a fresh realm (see the module docs); `tweak` adjusts the child's env.
fn in_realm(name: &str, enctypes: &str, tweak: fn(&Path) -> Vec<(String, String)>, body: fn()) {
    if std::env::var(CASE_VAR).as_deref() == Ok(name) {
        body();
        return;
    }
    let realm = Realm::up(enctypes);
    let exe = std::env::current_exe().expect("test binary path");
    let out = Command::new(exe)
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .envs(realm.env())
        .envs(tweak(&realm.path()))
        .env(CASE_VAR, name)
        .env_remove("KRB5_CLIENT_KTNAME")
        .output()
        .expect("re-run the test binary");
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && text.contains("1 passed"),
        "{name} in realm:\n{text}"
    );
}

fn no_tweak(_: &Path) -> Vec<(String, String)> {
    Vec::new()
}

/// The python-gssapi acceptor on stdin/stdout.
struct Py {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Py {
    fn start() -> Py {
        let mut child = Command::new("/usr/bin/python3")
            .arg(root().join("tests/py/krb_acceptor.py"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start /usr/bin/python3 tests/py/krb_acceptor.py");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = BufReader::new(child.stdout.take().expect("stdout"));
        Py {
            child,
            stdin,
            stdout,
        }
    }

    /// Send a command; Ok(fields) or Err(text).
    fn call(&mut self, cmd: &str, args: &[&[u8]]) -> Result<Vec<Vec<u8>>, String> {
        let mut line = cmd.to_string();
        for a in args {
            line.push(' ');
            line.push_str(&if a.is_empty() {
                "-".into()
            } else {
                B64.encode(a)
            });
        }
        writeln!(self.stdin, "{line}").expect("write to python");
        let mut answer = String::new();
        self.stdout
            .read_line(&mut answer)
            .expect("read from python");
        match answer
            .trim_end()
            .split_once(' ')
            .unwrap_or((answer.trim_end(), ""))
        {
            ("ok", rest) => Ok(rest
                .split(' ')
                .map(|w| {
                    if w == "-" {
                        Vec::new()
                    } else {
                        B64.decode(w).unwrap_or_else(|_| w.as_bytes().to_vec())
                    }
                })
                .collect()),
            (_, rest) => Err(rest.to_string()),
        }
    }
}

impl Drop for Py {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Authenticate `config` against python; returns our session (mutual auth completed).
fn login_py(py: &mut Py, config: KerberosConfig) -> KerberosSession {
    let mut client = ClientContext::new(config).expect("client context from the ccache");
    let first = client
        .step(None)
        .expect("first token")
        .expect("a token to send");
    let reply = py
        .call("accept", &[&first])
        .expect("python accepts our token");
    assert_eq!(
        reply.get(1).map(Vec::as_slice),
        Some(&b"1"[..]),
        "acceptor complete"
    );
    let mutual = reply.first().cloned().unwrap_or_default();
    assert!(
        !mutual.is_empty(),
        "the acceptor returns a mutual-auth token"
    );
    assert!(
        !client.is_complete(),
        "not complete before the mutual-auth token"
    );
    assert_eq!(
        client.step(Some(&mutual)).expect("mutual token accepted"),
        None
    );
    assert!(client.is_complete());
    client.into_session().expect("session")
}

/// Our wrap → python unwrap, python wrap → our unwrap, for several sizes; returns header sizes.
fn exchange_tokens(py: &mut Py, s: &mut KerberosSession, pad: usize) -> Vec<usize> {
    let mut header_lens = Vec::new();
    for n in [0usize, 1, 15, 16, 17, 1000, 300_000] {
        let msg: Vec<u8> = (0..n).map(|i| (i * 7 % 251) as u8).collect();
        let (h, d) = s.wrap_winrm(&msg).expect("wrap");
        assert_eq!(d.len(), n + pad, "data carries the padding");
        header_lens.push(h.len());
        let got = py.call("unwrap", &[&h, &d]).expect("python unwraps ours");
        assert_eq!(got.first().map(|p| p.len()), Some(n + pad));
        assert_eq!(got.first().and_then(|p| p.get(..n)), Some(&msg[..]));
        let back = py.call("wrap", &[&msg]).expect("python wraps");
        let (ph, pd) = (
            back.first().cloned().unwrap_or_default(),
            back.get(1).cloned().unwrap_or_default(),
        );
        assert_eq!(s.unwrap_winrm(&ph, &pd).expect("we unwrap python's"), msg);
    }
    header_lens
}

/// Full multipart bodies through http::encrypted both ways.
fn exchange_bodies(py: &mut Py, s: &mut KerberosSession, protocol: &str) {
    let soap = b"<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"/>";
    let body = encrypted::encode(s, protocol, soap);
    let got = py
        .call("unwrap_body", &[protocol.as_bytes(), &body])
        .expect("python decodes our body");
    assert_eq!(got.first().map(Vec::as_slice), Some(&soap[..]));
    let reply = py
        .call("wrap_body", &[protocol.as_bytes(), soap])
        .expect("python encodes");
    let reply = reply.first().cloned().unwrap_or_default();
    let plain =
        encrypted::decode(s, &encrypted::content_type(protocol), &reply).expect("we decode");
    assert_eq!(plain, soap);
}

fn config(host: &str, mech: Mech, scheme: HttpScheme) -> KerberosConfig {
    KerberosConfig {
        mech,
        scheme,
        ..KerberosConfig::new(host)
    }
}

#[test]
fn python_negotiate_raw_krb5_aes() {
    in_realm("python_negotiate_raw_krb5_aes", "aes", no_tweak, || {
        let mut py = Py::start();
        let mut s = login_py(
            &mut py,
            config("hv01.hvlab.test", Mech::Krb5, HttpScheme::Negotiate),
        );
        assert_eq!(s.wrap_mode(), WrapMode::Iov);
        let lens = exchange_tokens(&mut py, &mut s, 0);
        assert!(
            lens.iter().all(|l| *l == 60),
            "aes header is 60 bytes: {lens:?}"
        );
        let (h, d) = s.wrap_winrm(b"x").expect("wrap");
        assert_eq!(h.get(..8), Some(&[5, 4, 6, 0xff, 0, 0, 0, 0x1c][..]));
        assert!(
            py.call("unwrap", &[&h, &d]).is_ok(),
            "keep the sequence in step"
        );
        exchange_bodies(&mut py, &mut s, HttpScheme::Negotiate.protocol());
        let client = py.call("client", &[]).expect("client name");
        assert_eq!(
            client.first().map(Vec::as_slice),
            Some(&b"hvadmin@HVLAB.TEST"[..])
        );
    });
}

#[test]
fn python_portable_rotate_path() {
    in_realm("python_portable_rotate_path", "aes", no_tweak, || {
        let mut py = Py::start();
        let mut s = login_py(
            &mut py,
            config("hv01.hvlab.test", Mech::Krb5, HttpScheme::Negotiate),
        );
        s.set_wrap_mode(WrapMode::Rotate)
            .expect("rotate is always available");
        let lens = exchange_tokens(&mut py, &mut s, 0);
        assert!(lens.iter().all(|l| *l == 60), "{lens:?}");
    });
}

#[test]
fn python_negotiate_spnego_aes() {
    in_realm("python_negotiate_spnego_aes", "aes", no_tweak, || {
        let mut py = Py::start();
        let mut s = login_py(
            &mut py,
            config("hv01.hvlab.test", Mech::Spnego, HttpScheme::Negotiate),
        );
        exchange_tokens(&mut py, &mut s, 0);
        exchange_bodies(&mut py, &mut s, HttpScheme::Negotiate.protocol());
    });
}

#[test]
fn python_kerberos_scheme_with_host_service() {
    in_realm(
        "python_kerberos_scheme_with_host_service",
        "aes",
        no_tweak,
        || {
            let mut py = Py::start();
            let cfg = KerberosConfig {
                spn_service: "host".into(),
                ..config("hv01.hvlab.test", Mech::Krb5, HttpScheme::Kerberos)
            };
            assert!(ticket_available(&cfg).available);
            let mut s = login_py(&mut py, cfg);
            exchange_bodies(
                &mut py,
                &mut s,
                "application/HTTP-Kerberos-session-encrypted",
            );
        },
    );
}

#[test]
fn python_rc4_one_byte_padding() {
    in_realm("python_rc4_one_byte_padding", "rc4", no_tweak, || {
        let mut py = Py::start();
        let mut s = login_py(
            &mut py,
            config("hv01.hvlab.test", Mech::Krb5, HttpScheme::Negotiate),
        );
        let lens = exchange_tokens(&mut py, &mut s, 1);
        // RFC 1964 framing: the DER length grows with the message (45..48 bytes seen here).
        assert!(lens.iter().all(|l| (40..=50).contains(l)), "{lens:?}");
        assert_ne!(
            lens.first(),
            lens.last(),
            "the rc4 header size varies: {lens:?}"
        );
        let (h, _) = s.wrap_winrm(b"x").expect("wrap");
        assert_eq!(h.first(), Some(&0x60), "rfc 1964 framing");
        let err = s
            .set_wrap_mode(WrapMode::Rotate)
            .and_then(|()| s.wrap_winrm(b"x"));
        assert!(
            err.err()
                .map(|e| e.to_string())
                .unwrap_or_default()
                .contains("rc4")
        );
    });
}

#[test]
fn tampered_messages_are_rejected() {
    in_realm("tampered_messages_are_rejected", "aes", no_tweak, || {
        let mut py = Py::start();
        let mut s = login_py(
            &mut py,
            config("hv01.hvlab.test", Mech::Krb5, HttpScheme::Negotiate),
        );
        let (h, mut d) = s.wrap_winrm(b"<s:Envelope/>").expect("wrap");
        d[3] ^= 1;
        assert!(
            py.call("unwrap", &[&h, &d]).is_err(),
            "python rejects a flipped bit"
        );
        let back = py.call("wrap", &[b"<reply/>"]).expect("python wraps");
        let (ph, mut pd) = (back[0].clone(), back[1].clone());
        pd[0] ^= 0x80;
        let e = s.unwrap_winrm(&ph, &pd).err();
        assert_eq!(e.map(|e| e.kind()), Some(ErrorKind::Protocol));
    });
}

#[test]
fn in_process_client_and_acceptor() {
    in_realm("in_process_client_and_acceptor", "aes", no_tweak, || {
        let keytab = std::env::var("KRB5_KTNAME").unwrap_or_default();
        let keytab = PathBuf::from(keytab.trim_start_matches("FILE:"));
        let mut acc = Acceptor::new(Some(&keytab)).expect("acceptor from the keytab");
        let mut client =
            ClientContext::new(config("hv01.hvlab.test", Mech::Krb5, HttpScheme::Negotiate))
                .expect("client");
        let first = client.step(None).expect("step").expect("token");
        let mutual = acc.step(&first).expect("accept").expect("mutual token");
        assert!(acc.is_complete());
        assert_eq!(
            acc.client_name().ok().as_deref(),
            Some("hvadmin@HVLAB.TEST")
        );
        assert_eq!(client.step(Some(&mutual)).expect("mutual"), None);
        let mut c = client.into_session().expect("client session");
        let mut a = acc.into_session().expect("acceptor session");
        for (cm, am) in [
            (WrapMode::Iov, WrapMode::Iov),
            (WrapMode::Rotate, WrapMode::Iov),
            (WrapMode::Iov, WrapMode::Rotate),
            (WrapMode::Rotate, WrapMode::Rotate),
        ] {
            c.set_wrap_mode(cm).expect("mode");
            a.set_wrap_mode(am).expect("mode");
            let body = encrypted::encode(&mut c, encrypted::SPNEGO_PROTOCOL, b"<request/>");
            let ct = encrypted::content_type(encrypted::SPNEGO_PROTOCOL);
            assert_eq!(
                encrypted::decode(&mut a, &ct, &body).expect("acceptor decodes"),
                b"<request/>"
            );
            let reply = encrypted::encode(&mut a, encrypted::SPNEGO_PROTOCOL, b"<reply/>");
            assert_eq!(
                encrypted::decode(&mut c, &ct, &reply).expect("client decodes"),
                b"<reply/>"
            );
        }
        let (h, _) = a.wrap_winrm(b"x").expect("wrap");
        assert_eq!(
            h.get(2),
            Some(&0x07),
            "acceptor flags: sealed, subkey, sent by acceptor"
        );
        assert!(!c.expired() && c.lifetime_secs() > 0);
    });
}

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
