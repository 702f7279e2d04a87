//! The simulated host with Kerberos (`ServerOptions::keytab`, `hvremote simulate --keytab`)
//! against a throw-away MIT realm on loopback (tests/kerberos_support, scripts/krb-realm.sh):
//!
//! * an in-process HTTP client made of `kerberos::ClientContext` + `http::encrypted` over hyper:
//!   both schemes (`Negotiate` with raw krb5 and with SPNEGO, `Kerberos`), AES and RC4, the
//!   mutual-auth token on the 200, the first sealed request riding on the AP-REQ leg, tampered,
//!   unsealed and wrongly labelled bodies refused, a new context on each new connection;
//! * the `hvremote simulate --keytab` binary (port 0), and its usage errors;
//! * pywinrm with Kerberos (`transport='kerberos'`, `message_encryption='always'`,
//!   tests/py/pywinrm_kerberos.py; AES: pywinrm gets RC4 wrong, kerberos.md §5.3), Python from
//!   `HVREMOTE_TEST_PYTHON` with tests/py/requirements-kerberos.txt installed (.ci/run does it);
//! * a full export by the real `hvremote` binary with `--auth kerberos` and only the `kinit`
//!   ticket (no password anywhere in its environment).
#![cfg(feature = "kerberos")]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use base64::Engine;
use bytes::Bytes;
use http::header::{AUTHORIZATION, CONNECTION, CONTENT_TYPE, WWW_AUTHENTICATE};
use http::{Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hvremote::http::encrypted;
use hvremote::kerberos::{ClientContext, HttpScheme, KerberosConfig, KerberosSession, Mech};
use hvremote::sim::SimConfig;
use hvremote::sim::server::{ServerOptions, SimServer};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

mod kerberos_support;
use kerberos_support::{in_realm, no_tweak, root};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;
const SOAP_CT: &str = "application/soap+xml;charset=UTF-8";

/// An Identify request as the client builds it.
fn identify() -> Vec<u8> {
    let settings = hvremote::wsman::Settings::new("http://127.0.0.1/wsman");
    hvremote::wsman::identify::request(&settings, &hvremote::soap::UuidMessageIds)
        .expect("identify request")
        .body
        .into_bytes()
}

fn keytab() -> PathBuf {
    let v = std::env::var("KRB5_KTNAME").expect("the realm sets KRB5_KTNAME");
    PathBuf::from(v.trim_start_matches("FILE:"))
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

async fn kerberos_server(ntlm: bool) -> SimServer {
    let opts = ServerOptions {
        keytab: Some(keytab()),
        ntlm,
        ..ServerOptions::default()
    };
    SimServer::start(SimConfig::demo(), opts)
        .await
        .expect("simulated host with a keytab")
}

async fn connect(addr: std::net::SocketAddr) -> SendRequest<Full<Bytes>> {
    let stream = TcpStream::connect(addr).await.expect("connect");
    let (tx, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("http handshake");
    tokio::spawn(conn);
    tx
}

struct Reply {
    status: StatusCode,
    www: Vec<String>,
    content_type: String,
    closing: bool,
    body: Vec<u8>,
}

async fn send(
    tx: &mut SendRequest<Full<Bytes>>,
    auth: Option<&str>,
    content_type: &str,
    body: Vec<u8>,
) -> Reply {
    let mut req = Request::post("/wsman").header(CONTENT_TYPE, content_type);
    if let Some(a) = auth {
        req = req.header(AUTHORIZATION, a);
    }
    tx.ready()
        .await
        .expect("connection ready for the next request");
    let resp = tx
        .send_request(req.body(Full::new(Bytes::from(body))).expect("request"))
        .await
        .expect("reply");
    let header = |n| {
        resp.headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let (content_type, closing) = (header(CONTENT_TYPE), header(CONNECTION) == "close");
    Reply {
        status: resp.status(),
        www: resp
            .headers()
            .get_all(WWW_AUTHENTICATE)
            .iter()
            .map(|v| v.to_str().unwrap_or_default().to_string())
            .collect(),
        content_type,
        closing,
        body: resp
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes()
            .to_vec(),
    }
}

fn client(scheme: HttpScheme, mech: Mech) -> ClientContext {
    ClientContext::new(KerberosConfig {
        scheme,
        mech,
        ..KerberosConfig::new("hv01.hvlab.test")
    })
    .expect("client context from the kinit ticket")
}

/// Authenticate a connection (empty-body leg), check the mutual-auth token, return the session.
async fn login(
    tx: &mut SendRequest<Full<Bytes>>,
    scheme: HttpScheme,
    mech: Mech,
) -> KerberosSession {
    let mut c = client(scheme, mech);
    let first = c.step(None).expect("first token").expect("a token");
    let auth = format!("{} {}", scheme.header_name(), B64.encode(&first));
    let r = send(tx, Some(&auth), SOAP_CT, Vec::new()).await;
    assert_eq!(r.status, StatusCode::OK, "{scheme:?}/{mech:?}: {:?}", r.www);
    let www = r.www.first().cloned().unwrap_or_default();
    let prefix = format!("{} ", scheme.header_name());
    let mutual = B64
        .decode(www.strip_prefix(&prefix).unwrap_or_else(|| {
            panic!("the 200 carries `{prefix}<token>`, got {www:?}");
        }))
        .expect("base64 token");
    assert!(!c.is_complete());
    assert_eq!(c.step(Some(&mutual)).expect("mutual token accepted"), None);
    c.into_session().expect("session")
}

/// One sealed Identify on an authenticated connection.
async fn sealed_identify(
    tx: &mut SendRequest<Full<Bytes>>,
    s: &mut KerberosSession,
    protocol: &str,
) -> Reply {
    let body = encrypted::encode(s, protocol, &identify());
    send(tx, None, &encrypted::content_type(protocol), body).await
}

/// The wrap-token header of a sealed body (after `octet-stream\r\n` and its u32 LE length).
fn sealed_header(body: &[u8]) -> Vec<u8> {
    let marker = b"application/octet-stream\r\n";
    let at = body
        .windows(marker.len())
        .position(|w| w == marker)
        .expect("octet-stream part")
        + marker.len();
    let len = u32::from_le_bytes(body[at..at + 4].try_into().expect("4 bytes")) as usize;
    body[at + 4..at + 4 + len].to_vec()
}

fn reply_text(s: &mut KerberosSession, r: &Reply) -> String {
    let plain = encrypted::decode(s, &r.content_type, &r.body).expect("we unseal the reply");
    String::from_utf8(plain).expect("utf-8 reply")
}

#[test]
fn both_schemes_seal_with_their_protocol_string() {
    in_realm(
        "both_schemes_seal_with_their_protocol_string",
        "aes",
        no_tweak,
        || {
            runtime().block_on(async {
                let server = kerberos_server(false).await;
                let mut probe = connect(server.addr()).await;
                let r = send(&mut probe, None, SOAP_CT, identify()).await;
                assert_eq!(r.status, StatusCode::UNAUTHORIZED);
                assert_eq!(r.www, ["Negotiate", "Kerberos"]);
                for (scheme, mech) in [
                    (HttpScheme::Negotiate, Mech::Krb5),
                    (HttpScheme::Negotiate, Mech::Spnego),
                    (HttpScheme::Kerberos, Mech::Krb5),
                ] {
                    // A new connection, a new context each time.
                    let mut tx = connect(server.addr()).await;
                    let mut s = login(&mut tx, scheme, mech).await;
                    for _ in 0..2 {
                        let r = sealed_identify(&mut tx, &mut s, scheme.protocol()).await;
                        assert_eq!(r.status, StatusCode::OK, "{scheme:?}/{mech:?}");
                        assert!(
                            r.content_type.contains(scheme.protocol()),
                            "reply sealed with {}: {}",
                            scheme.protocol(),
                            r.content_type
                        );
                        assert_eq!(sealed_header(&r.body).get(..2), Some(&[5u8, 4][..]), "aes");
                        assert!(reply_text(&mut s, &r).contains("IdentifyResponse"));
                    }
                }
                assert_eq!(server.host().lock().unwrap().request_count(), 6);
                server.stop().await.expect("stop");
            });
        },
    );
}

#[test]
fn unsealed_body_with_the_ap_req_is_refused() {
    in_realm(
        "unsealed_body_with_the_ap_req_is_refused",
        "aes",
        no_tweak,
        || {
            runtime().block_on(async {
                let server = kerberos_server(true).await;
                let mut tx = connect(server.addr()).await;
                // A client cannot seal before the mutual-auth token completes its context, so a
                // body sent with the AP-REQ is plain SOAP: refused like any unsealed request.
                let mut c = client(HttpScheme::Negotiate, Mech::Krb5);
                let first = c.step(None).expect("step").expect("token");
                let auth = format!("Negotiate {}", B64.encode(&first));
                let r = send(&mut tx, Some(&auth), SOAP_CT, identify()).await;
                assert_eq!(r.status, StatusCode::UNAUTHORIZED, "unsealed body refused");
                assert!(r.closing);
                assert_eq!(server.host().lock().unwrap().request_count(), 0);
                server.stop().await.expect("stop");
            });
        },
    );
}

#[test]
fn tampered_unsealed_and_mislabelled_bodies_are_refused() {
    in_realm(
        "tampered_unsealed_and_mislabelled_bodies_are_refused",
        "aes",
        no_tweak,
        || {
            runtime().block_on(async {
                let server = kerberos_server(false).await;
                let neg = encrypted::SPNEGO_PROTOCOL;
                // Tampered ciphertext: 400, connection closed, context dropped.
                let mut tx = connect(server.addr()).await;
                let mut s = login(&mut tx, HttpScheme::Negotiate, Mech::Krb5).await;
                let mut body = encrypted::encode(&mut s, neg, &identify());
                let n = body.len();
                body[n - 40] ^= 0x01;
                let r = send(&mut tx, None, &encrypted::content_type(neg), body).await;
                assert_eq!(r.status, StatusCode::BAD_REQUEST);
                assert!(r.closing);
                // Unsealed SOAP on an authenticated connection: 401.
                let mut tx = connect(server.addr()).await;
                let _s = login(&mut tx, HttpScheme::Negotiate, Mech::Spnego).await;
                let r = send(&mut tx, None, SOAP_CT, identify()).await;
                assert_eq!(r.status, StatusCode::UNAUTHORIZED);
                assert!(r.closing);
                // The Kerberos scheme's context with the SPNEGO protocol string, and back.
                for (scheme, wrong) in [
                    (HttpScheme::Kerberos, encrypted::SPNEGO_PROTOCOL),
                    (HttpScheme::Negotiate, encrypted::KERBEROS_PROTOCOL),
                ] {
                    let mut tx = connect(server.addr()).await;
                    let mut s = login(&mut tx, scheme, Mech::Krb5).await;
                    let r = sealed_identify(&mut tx, &mut s, wrong).await;
                    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{scheme:?} with {wrong}");
                }
                // The Kerberos scheme takes raw krb5 only, not SPNEGO.
                let mut tx = connect(server.addr()).await;
                let mut c = client(HttpScheme::Negotiate, Mech::Spnego);
                let first = c.step(None).expect("step").expect("token");
                let auth = format!("Kerberos {}", B64.encode(&first));
                let r = send(&mut tx, Some(&auth), SOAP_CT, Vec::new()).await;
                assert_eq!(r.status, StatusCode::UNAUTHORIZED);
                // NTLM is off on this Kerberos-only host; garbage is refused.
                for token in [&b"NTLMSSP\0\x01\0\0\0\x07\x82\x08\xa2"[..], b"\x60\x03junk"] {
                    let mut tx = connect(server.addr()).await;
                    let auth = format!("Negotiate {}", B64.encode(token));
                    let r = send(&mut tx, Some(&auth), SOAP_CT, Vec::new()).await;
                    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
                }
                assert_eq!(server.host().lock().unwrap().request_count(), 0);
                server.stop().await.expect("stop");
            });
        },
    );
}

#[test]
fn rc4_session_keys_seal_with_a_one_byte_pad() {
    in_realm(
        "rc4_session_keys_seal_with_a_one_byte_pad",
        "rc4",
        no_tweak,
        || {
            runtime().block_on(async {
                let server = kerberos_server(false).await;
                for (scheme, mech) in [
                    (HttpScheme::Negotiate, Mech::Krb5),
                    (HttpScheme::Kerberos, Mech::Krb5),
                ] {
                    let mut tx = connect(server.addr()).await;
                    let mut s = login(&mut tx, scheme, mech).await;
                    let r = sealed_identify(&mut tx, &mut s, scheme.protocol()).await;
                    assert_eq!(r.status, StatusCode::OK, "{scheme:?}");
                    assert!(reply_text(&mut s, &r).contains("IdentifyResponse"));
                    // The host's reply header is an RC4 token (RFC 4757 framing, `60 …`), not an
                    // RFC 4121 one (`05 04`); ours has a one-byte pad counted in Length.
                    assert_eq!(sealed_header(&r.body).first(), Some(&0x60), "rc4 reply");
                    let (h, d) = s.wrap_winrm(b"x").expect("wrap");
                    assert_eq!((h.first(), d.len()), (Some(&0x60), 2), "rc4, one pad byte");
                }
                server.stop().await.expect("stop");
            });
        },
    );
}

/// `hvremote simulate` as a child process; stopped (by its PID) on drop.
struct Simulate {
    child: Child,
    addr: std::net::SocketAddr,
}

impl Simulate {
    fn start(extra: &[&str]) -> Simulate {
        Self::start_logging(extra, Stdio::null())
    }

    fn start_logging(extra: &[&str], log: Stdio) -> Simulate {
        let mut child = Command::new(env!("CARGO_BIN_EXE_hvremote"))
            .args(["simulate", "--listen", "127.0.0.1:0", "--job-seconds", "2"])
            .args(extra)
            .env_remove("HVREMOTE_PASSWORD")
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("start hvremote simulate");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("listening line");
        let addr = line
            .trim()
            .rsplit_once("://")
            .and_then(|(_, u)| u.strip_suffix("/wsman"))
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("no address in {line:?}"));
        Simulate { child, addr }
    }
}

impl Drop for Simulate {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn simulate_keytab_must_be_named_by_krb5_ktname() {
    let out = Command::new(env!("CARGO_BIN_EXE_hvremote"))
        .args(["simulate", "--listen", "127.0.0.1:0", "--keytab"])
        .arg(root().join("Cargo.toml"))
        .env("KRB5_KTNAME", "FILE:/nonexistent/other.keytab")
        .output()
        .expect("run simulate");
    assert_eq!(out.status.code(), Some(2), "usage error");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("KRB5_KTNAME=FILE:"), "{err}");
    let out = Command::new(env!("CARGO_BIN_EXE_hvremote"))
        .args([
            "simulate",
            "--listen",
            "127.0.0.1:0",
            "--keytab",
            "/nonexistent/k",
        ])
        .output()
        .expect("run simulate");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not exist"));
}

#[test]
fn simulate_binary_accepts_a_kinit_ticket() {
    in_realm(
        "simulate_binary_accepts_a_kinit_ticket",
        "aes",
        no_tweak,
        || {
            let kt = keytab();
            let sim = Simulate::start(&["--keytab", kt.to_str().expect("utf-8 path")]);
            runtime().block_on(async {
                let mut tx = connect(sim.addr).await;
                let mut s = login(&mut tx, HttpScheme::Kerberos, Mech::Krb5).await;
                let r = sealed_identify(&mut tx, &mut s, encrypted::KERBEROS_PROTOCOL).await;
                assert_eq!(r.status, StatusCode::OK);
                assert!(reply_text(&mut s, &r).contains("IdentifyResponse"));
            });
        },
    );
}

fn python() -> String {
    std::env::var("HVREMOTE_TEST_PYTHON").unwrap_or_else(|_| {
        panic!(
            "HVREMOTE_TEST_PYTHON is not set: it must name a python with \
             tests/py/requirements.txt and tests/py/requirements-kerberos.txt installed \
             (.ci/run prepares it)"
        )
    })
}

#[test]
fn pywinrm_kerberos_enumerates_and_exports() {
    in_realm(
        "pywinrm_kerberos_enumerates_and_exports",
        "aes",
        no_tweak,
        || {
            let kt = keytab();
            let sim = Simulate::start(&["--keytab", kt.to_str().expect("utf-8 path")]);
            let out = Command::new(python())
                .arg(root().join("tests/py/pywinrm_kerberos.py"))
                .arg(format!("http://{}/wsman", sim.addr))
                .args(["hv01.hvlab.test", "web01", "full"])
                .env_remove("HVREMOTE_PASSWORD")
                .output()
                .expect("run the pywinrm kerberos peer");
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(
                out.status.success(),
                "peer failed: {stdout}\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let r: serde_json::Value = serde_json::from_str(stdout.trim())
                .unwrap_or_else(|e| panic!("peer output {stdout:?}: {e}"));
            assert_eq!(r["error"], serde_json::Value::Null, "{r}");
            assert_eq!(r["pywinrm"], "0.5.0");
            assert_eq!(r["vm_name"], "web01");
            assert_eq!(r["filtered_items"], 1);
            assert_eq!(r["return_value"], 4096, "export started a job");
            assert_eq!(r["job_instance_id"], r["job_id"]);
            assert!(r["job_id"].as_str().is_some_and(|j| !j.is_empty()), "{r}");
        },
    );
}

/// The real client with `--auth kerberos`: TCP to the address, the SPN by name, the `kinit`
/// ticket from the realm's ccache, and no password, user or keytab in its environment.
fn hvremote_kerberos(addr: std::net::SocketAddr, rest: &[&str]) -> std::process::Output {
    let port = addr.port().to_string();
    kerberos_support::ticket_only_hvremote(&[])
        .args(["--host", "127.0.0.1", "--port", &port])
        .args(["--spn-host", "hv01.hvlab.test", "--auth", "kerberos"])
        .args(rest)
        .output()
        .expect("run hvremote")
}

fn describe(o: &std::process::Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

const EXPORT: &[&str] = &["-o", "json", "export", "web01", "--dest", "D:\\Exports"];

#[test]
fn hvremote_exports_with_only_a_kinit_ticket() {
    in_realm(
        "hvremote_exports_with_only_a_kinit_ticket",
        "aes",
        no_tweak,
        || {
            let kt = keytab();
            let log = tempfile::NamedTempFile::new().expect("log file");
            let sim = Simulate::start_logging(
                &["-v", "--keytab", kt.to_str().expect("utf-8 path")],
                Stdio::from(log.reopen().expect("log handle")),
            );
            let out = hvremote_kerberos(sim.addr, EXPORT);
            assert!(out.status.success(), "{}", describe(&out));
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(stdout.contains("web01"), "{}", describe(&out));
            assert!(
                stdout.contains("Completed") || stdout.contains("completed"),
                "waited for the job: {}",
                describe(&out)
            );
            drop(sim);
            let log = std::fs::read_to_string(log.path()).unwrap_or_default();
            assert!(
                log.contains("client authenticated")
                    && log.contains("hvadmin@HVLAB.TEST")
                    && log.contains("kerberos"),
                "the host logs the mechanism and the principal:\n{log}"
            );
            assert!(!log.contains("YII"), "no token in the log:\n{log}");
        },
    );
}

/// Round trips: one authentication leg (empty body, pre-emptive token) per connection, plus one
/// 401 when the host offers only the `Kerberos` scheme; every other request is sealed SOAP.
#[test]
fn hvremote_falls_back_to_the_kerberos_scheme() {
    in_realm(
        "hvremote_falls_back_to_the_kerberos_scheme",
        "aes",
        no_tweak,
        || {
            runtime().block_on(async {
                for (kerberos_scheme_only, extra) in [(false, 1), (true, 2)] {
                    let opts = ServerOptions {
                        keytab: Some(keytab()),
                        ntlm: false,
                        kerberos_scheme_only,
                        ..ServerOptions::default()
                    };
                    let mut cfg = SimConfig::demo();
                    cfg.job_duration_ms = 1_000;
                    let server = SimServer::start(cfg, opts).await.expect("server");
                    let addr = server.addr();
                    let out = tokio::task::spawn_blocking(move || hvremote_kerberos(addr, EXPORT))
                        .await
                        .expect("client thread");
                    assert!(out.status.success(), "{}", describe(&out));
                    assert!(String::from_utf8_lossy(&out.stdout).contains("web01"));
                    let host = server.host();
                    let (exports, soap) = {
                        let h = host.lock().unwrap();
                        (h.export_invocations(), h.request_count())
                    };
                    assert_eq!(exports, 1);
                    assert_eq!(
                        server.http_requests(),
                        soap + extra,
                        "kerberos_scheme_only={kerberos_scheme_only}"
                    );
                    server.stop().await.expect("stop");
                }
            });
        },
    );
}

#[test]
fn hvremote_over_https_with_kerberos_needs_no_sealing() {
    in_realm(
        "hvremote_over_https_with_kerberos_needs_no_sealing",
        "aes",
        no_tweak,
        || {
            let kt = keytab();
            let dir = tempfile::tempdir().expect("temp dir");
            let pem = dir.path().join("sim.pem");
            let pem_s = pem.to_str().expect("utf-8 path").to_string();
            let log = tempfile::NamedTempFile::new().expect("log file");
            let sim = Simulate::start_logging(
                &[
                    "-v",
                    "--https",
                    "--cert-out",
                    &pem_s,
                    "--keytab",
                    kt.to_str().expect("utf-8"),
                ],
                Stdio::from(log.reopen().expect("log handle")),
            );
            let url = format!("https://127.0.0.1:{}/wsman", sim.addr.port());
            let out = Command::new(env!("CARGO_BIN_EXE_hvremote"))
                .args(["--host", &url, "--cacert", &pem_s])
                .args(["--spn-host", "hv01.hvlab.test", "--auth", "kerberos"])
                .args(["wsman", "identify"])
                .env_remove("HVREMOTE_PASSWORD")
                .env_remove("KRB5_KTNAME")
                .stdin(Stdio::null())
                .output()
                .expect("run hvremote");
            assert!(out.status.success(), "{}", describe(&out));
            assert!(
                String::from_utf8_lossy(&out.stdout).contains("Microsoft Corporation"),
                "{}",
                describe(&out)
            );
            drop(sim);
            let log = std::fs::read_to_string(log.path()).unwrap_or_default();
            assert!(log.contains("hvadmin@HVLAB.TEST"), "{log}");
            assert!(!log.contains("refused"), "{log}");
        },
    );
}

#[test]
fn https_channel_bindings_are_checked_when_sent() {
    use hvremote::sim::server_auth::{Accepting, ConnAuth, Leg};
    use hvremote::sim::server_krb::Scheme;
    in_realm(
        "https_channel_bindings_are_checked_when_sent",
        "aes",
        no_tweak,
        || {
            let kt = keytab();
            let ours = b"tls-server-end-point:0123456789abcdef0123456789abcdef".to_vec();
            let accepting = Accepting {
                ntlm: false,
                keytab: Some(&kt),
            };
            let cfg = SimConfig::demo();
            for (theirs, accepted) in [
                (Some(ours.clone()), true),
                (None, true),
                (
                    Some(b"tls-server-end-point:another certificate".to_vec()),
                    false,
                ),
            ] {
                let mut c = client(HttpScheme::Negotiate, Mech::Krb5);
                if let Some(b) = theirs.clone() {
                    c.set_channel_bindings(b);
                }
                let first = c.step(None).expect("step").expect("token");
                let mut conn = ConnAuth::with_bindings(ours.clone());
                let leg = conn.authenticate(&cfg, accepting, Scheme::Negotiate, &first);
                assert_eq!(
                    matches!(leg, Leg::Done(Some(_))),
                    accepted,
                    "client bindings {theirs:?}: {leg:?}"
                );
                assert_eq!(conn.established(), accepted);
            }
        },
    );
}
