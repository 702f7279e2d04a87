//! Integration tests of `http::HttpTransport` against loopback servers:
//! * an in-test WinRM-style hyper server built on `ntlm::Server` + `http::encrypted` (sealing,
//!   reconnect after close, no resend after an in-flight drop, size limit, wrong password, TLS
//!   with channel bindings checked against an independently computed value);
//! * pyspnego's acceptor (`tests/py/winrm_pyspnego_server.py`) as an independent peer;
//! * property tests: no panic on random `WWW-Authenticate` headers and multipart bodies.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use base64::Engine;
use bytes::Bytes;
use http::{Request, Response, header};
use http_body_util::{BodyExt, Full};
use hvremote::ErrorKind;
use hvremote::http::auth::{self, Authorization};
use hvremote::http::encrypted::{self, SPNEGO_PROTOCOL, Sealer};
use hvremote::http::tls::{CertHash, SelfSigned, TlsOptions};
use hvremote::http::{Auth, Endpoint, HttpConfig, HttpTransport};
use hvremote::ntlm;
use hvremote::transport::{Delivery, SoapRequest, Transport};
use hyper_util::rt::TokioIo;
use proptest::prelude::*;
use tokio::io::AsyncBufReadExt;
use tokio::sync::Mutex;

const USER: &str = "CORP\\alice";
const PASSWORD: &str = "Passw0rd!";

fn req(n: u32, text: &str) -> SoapRequest {
    SoapRequest {
        action: format!("urn:test/Action{n}"),
        resource_uri: None,
        message_id: format!("uuid:{n}"),
        body: format!("<s:Envelope n=\"{n}\">{text}</s:Envelope>"),
    }
}

/// What the in-test server does, by sealed-request number (1-based).
#[derive(Default, Clone)]
struct Behaviour {
    close_after: Option<u32>,
    drop_on: Option<u32>,
    big_response: Option<usize>,
    delay_on: Option<u32>,
    unauth_on: Option<u32>,
    lifetime: Option<std::time::Duration>,
    expected_cbt: Option<Vec<u8>>,
    tls: Option<Arc<rustls::ServerConfig>>,
}

#[derive(Default)]
struct Counters {
    connections: AtomicU32,
    handshakes: AtomicU32,
    requests: AtomicU32,
    sealed: AtomicU32,
}

struct TestServer {
    port: u16,
    counters: Arc<Counters>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[derive(Default)]
struct ConnState {
    server: Option<ntlm::Server>,
    session: Option<ntlm::Session>,
}

type Reply = Result<Response<Full<Bytes>>, std::io::Error>;

fn reply(status: u16, body: Vec<u8>, headers: &[(&str, String)]) -> Reply {
    let mut b = Response::builder().status(status);
    for (k, v) in headers {
        b = b.header(*k, v.as_str());
    }
    b.body(Full::new(Bytes::from(body)))
        .map_err(std::io::Error::other)
}

fn ntlm_server(behaviour: &Behaviour) -> ntlm::Server {
    let cfg = ntlm::ServerConfig {
        accounts: vec![("alice".into(), PASSWORD.into())],
        netbios_domain: "CORP".into(),
        dns_domain: "corp.example".into(),
        netbios_computer: "HV01".into(),
        dns_computer: "hv01.corp.example".into(),
        expected_channel_bindings: behaviour.expected_cbt.clone(),
    };
    ntlm::Server::new(cfg, [1, 2, 3, 4, 5, 6, 7, 8], 133_000_000_000_000_000)
}

async fn handle(
    req: Request<hyper::body::Incoming>,
    b: Behaviour,
    counters: Arc<Counters>,
    state: Arc<Mutex<ConnState>>,
) -> Reply {
    let authz = req.headers().get(header::AUTHORIZATION).cloned();
    let ct = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let body = req
        .into_body()
        .collect()
        .await
        .map_err(std::io::Error::other)?
        .to_bytes();
    let mut st = state.lock().await;
    if let Some(v) = authz {
        let token = match auth::parse_authorization(v.as_bytes()) {
            Ok(Authorization::Negotiate(token)) => token,
            Ok(Authorization::Basic { user, password }) if user == USER && password == PASSWORD => {
                return answer(&b, &counters, None, body.to_vec()).await;
            }
            _ => {
                return reply(
                    401,
                    Vec::new(),
                    &[("WWW-Authenticate", "Basic realm=\"WSMAN\"".into())],
                );
            }
        };
        if token.get(8) == Some(&1) {
            let mut server = ntlm_server(&b);
            let challenge = server.challenge(&token).map_err(std::io::Error::other)?;
            st.server = Some(server);
            let b64 = base64::engine::general_purpose::STANDARD.encode(challenge);
            return reply(
                401,
                Vec::new(),
                &[("WWW-Authenticate", format!("Negotiate {b64}"))],
            );
        }
        let done = st.server.as_mut().map(|s| s.authenticate(&token));
        return match done {
            Some(Ok((session, _user))) => {
                st.session = Some(session);
                counters.handshakes.fetch_add(1, Ordering::SeqCst);
                reply(200, Vec::new(), &[])
            }
            _ => reply(
                401,
                Vec::new(),
                &[
                    ("WWW-Authenticate", "Negotiate".into()),
                    ("Connection", "close".into()),
                ],
            ),
        };
    }
    let Some(session) = st.session.as_mut() else {
        return reply(401, Vec::new(), &[("WWW-Authenticate", "Negotiate".into())]);
    };
    let plain = if encrypted::is_encrypted(&ct) {
        counters.sealed.fetch_add(1, Ordering::SeqCst);
        encrypted::decode(session, &ct, &body).map_err(std::io::Error::other)?
    } else {
        body.to_vec()
    };
    let sealed = encrypted::is_encrypted(&ct).then_some(session);
    answer(&b, &counters, sealed, plain).await
}

async fn answer(
    b: &Behaviour,
    counters: &Counters,
    sealed: Option<&mut ntlm::Session>,
    plain: Vec<u8>,
) -> Reply {
    let n = counters.requests.fetch_add(1, Ordering::SeqCst) + 1;
    if b.unauth_on == Some(n) {
        return reply(401, Vec::new(), &[("WWW-Authenticate", "Negotiate".into())]);
    }
    if b.drop_on == Some(n) {
        return Err(std::io::Error::other("dropping the connection on purpose"));
    }
    if b.delay_on == Some(n) {
        tokio::time::sleep(std::time::Duration::from_secs(5)).await;
    }
    let mut answer = format!(
        "<Reply n=\"{n}\">{}</Reply>",
        String::from_utf8_lossy(&plain)
    );
    if let Some(size) = b.big_response.filter(|_| n == 2) {
        answer.push_str(&" ".repeat(size));
    }
    let status = if answer.contains("FAULT") { 500 } else { 200 };
    let mut headers = Vec::new();
    if b.close_after == Some(n) {
        headers.push(("Connection", "close".to_string()));
    }
    if let Some(session) = sealed {
        headers.push(("Content-Type", encrypted::content_type(SPNEGO_PROTOCOL)));
        let out = encrypted::encode(session, SPNEGO_PROTOCOL, answer.as_bytes());
        return reply(status, out, &headers);
    }
    headers.push(("Content-Type", "application/soap+xml;charset=UTF-8".into()));
    reply(status, answer.into_bytes(), &headers)
}

async fn serve_one<S>(io: S, b: Behaviour, counters: Arc<Counters>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let state = Arc::new(Mutex::new(ConnState::default()));
    let lifetime = b.lifetime.unwrap_or(std::time::Duration::from_secs(3600));
    let svc =
        hyper::service::service_fn(move |r| handle(r, b.clone(), counters.clone(), state.clone()));
    let serve = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(io), svc);
    // `lifetime` closes the socket silently, like HTTP.sys after its idle timeout.
    let _ = tokio::time::timeout(lifetime, serve).await;
}

async fn start(b: Behaviour) -> TestServer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let counters = Arc::new(Counters::default());
    let c = counters.clone();
    let task = tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            c.connections.fetch_add(1, Ordering::SeqCst);
            let (b, c) = (b.clone(), c.clone());
            tokio::spawn(async move {
                match b.tls.clone() {
                    Some(cfg) => {
                        if let Ok(tls) = tokio_rustls::TlsAcceptor::from(cfg).accept(tcp).await {
                            serve_one(tls, b, c).await;
                        }
                    }
                    None => serve_one(tcp, b, c).await,
                }
            });
        }
    });
    TestServer {
        port,
        counters,
        task,
    }
}

fn config(url: &str, password: &str) -> HttpConfig {
    let ep = Endpoint::parse(url, false).expect("endpoint");
    HttpConfig::new(ep, USER, password)
}

fn transport(cfg: HttpConfig) -> HttpTransport {
    HttpTransport::connect_lazy(cfg).expect("transport")
}

#[tokio::test]
async fn sealed_exchanges_and_fresh_auth_after_close() {
    let server = start(Behaviour {
        close_after: Some(2),
        ..Default::default()
    })
    .await;
    let t = transport(config(&format!("127.0.0.1:{}", server.port), PASSWORD));
    assert_eq!(
        t.endpoint(),
        format!("http://127.0.0.1:{}/wsman", server.port)
    );
    for n in 1..=4 {
        let text = if n == 3 { "FAULT" } else { "hello" };
        let resp = t.exchange(req(n, text)).await.expect("exchange");
        assert_eq!(resp.status, if n == 3 { 500 } else { 200 });
        assert_eq!(
            resp.body,
            format!("<Reply n=\"{n}\">{}</Reply>", req(n, text).body)
        );
    }
    let c = &server.counters;
    assert_eq!(c.sealed.load(Ordering::SeqCst), 4);
    assert_eq!(
        c.handshakes.load(Ordering::SeqCst),
        2,
        "re-authenticated after the close"
    );
    assert_eq!(c.connections.load(Ordering::SeqCst), 2);
}

/// Collects log output in memory.
#[derive(Clone, Default)]
struct LogBuf(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for LogBuf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut v) = self.0.lock() {
            v.extend_from_slice(b);
        }
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn trace_logs_show_exchanges_but_no_secrets() {
    let buf = LogBuf::default();
    let sink = buf.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || sink.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let server = start(Behaviour::default()).await;
    let t = transport(config(&format!("127.0.0.1:{}", server.port), PASSWORD));
    t.exchange(req(1, "logged")).await.expect("exchange");
    let _ = transport(config(&format!("127.0.0.1:{}", server.port), "Wr0ngPass"))
        .exchange(req(2, "x"))
        .await;
    let text =
        String::from_utf8_lossy(&buf.0.lock().map(|v| v.clone()).unwrap_or_default()).to_string();
    assert!(
        text.contains("urn:test/Action1") && text.contains("status=200"),
        "{text}"
    );
    assert!(
        text.contains("logged"),
        "trace shows the decrypted soap: {text}"
    );
    for secret in [
        PASSWORD,
        "Wr0ngPass",
        "TlRMTVNT",
        "Negotiate T",
        "authorization",
    ] {
        assert!(
            !text.to_lowercase().contains(&secret.to_lowercase()),
            "{secret} leaked: {text}"
        );
    }
}

#[tokio::test]
async fn in_flight_drop_is_reported_not_resent() {
    let server = start(Behaviour {
        drop_on: Some(2),
        ..Default::default()
    })
    .await;
    let t = transport(config(&format!("127.0.0.1:{}", server.port), PASSWORD));
    t.exchange(req(1, "a")).await.expect("first");
    let err = t.exchange(req(2, "b")).await.expect_err("dropped");
    assert_eq!(err.kind(), ErrorKind::Connect);
    assert!(
        err.to_string()
            .contains("the request may have been processed"),
        "{err}"
    );
    assert!(err.to_string().contains("urn:test/Action2"), "{err}");
    assert_eq!(t.last_delivery(), Delivery::MaybeSent);
    assert_eq!(
        server.counters.requests.load(Ordering::SeqCst),
        2,
        "no silent resend"
    );
    let resp = t.exchange(req(3, "c")).await.expect("after reconnect");
    assert!(resp.body.starts_with("<Reply n=\"3\">"));
    assert_eq!(server.counters.handshakes.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn silent_idle_close_leads_to_fresh_authentication() {
    let lifetime = Some(std::time::Duration::from_millis(700));
    let server = start(Behaviour {
        lifetime,
        ..Default::default()
    })
    .await;
    let t = transport(config(&format!("127.0.0.1:{}", server.port), PASSWORD));
    t.exchange(req(1, "a")).await.expect("first");
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let resp = t
        .exchange(req(2, "b"))
        .await
        .expect("second, on a new connection");
    assert!(resp.body.starts_with("<Reply n=\"2\">"));
    assert_eq!(server.counters.handshakes.load(Ordering::SeqCst), 2);
    assert_eq!(server.counters.requests.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn read_timeout_names_its_flag() {
    let server = start(Behaviour {
        delay_on: Some(1),
        ..Default::default()
    })
    .await;
    let mut cfg = config(&format!("127.0.0.1:{}", server.port), PASSWORD);
    cfg.read_timeout = std::time::Duration::from_millis(500);
    let t = transport(cfg);
    let err = t.exchange(req(1, "slow")).await.expect_err("timeout");
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert!(err.to_string().contains("--read-timeout"), "{err}");
    assert_eq!(t.last_delivery(), Delivery::MaybeSent);
}

#[tokio::test]
async fn stalled_tls_handshake_hits_the_connect_timeout() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let hold = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((tcp, _)) = listener.accept().await {
            held.push(tcp);
        }
    });
    let mut cfg = config(&format!("https://127.0.0.1:{port}/wsman"), PASSWORD);
    cfg.connect_timeout = std::time::Duration::from_millis(300);
    let err = transport(cfg)
        .exchange(req(1, "x"))
        .await
        .expect_err("stalled");
    hold.abort();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert!(err.to_string().contains("--connect-timeout"), "{err}");
}

#[tokio::test]
async fn unauthorized_on_a_sealed_request_drops_the_context() {
    let server = start(Behaviour {
        unauth_on: Some(2),
        ..Default::default()
    })
    .await;
    let t = transport(config(&format!("127.0.0.1:{}", server.port), PASSWORD));
    t.exchange(req(1, "a")).await.expect("first");
    let err = t.exchange(req(2, "b")).await.expect_err("401");
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert!(
        err.to_string().contains("authenticated connection"),
        "{err}"
    );
    t.exchange(req(3, "c")).await.expect("fresh context");
    assert_eq!(server.counters.handshakes.load(Ordering::SeqCst), 2);
    assert_eq!(
        server.counters.requests.load(Ordering::SeqCst),
        3,
        "request 2 not re-sent"
    );
}

#[tokio::test]
async fn oversized_response_is_rejected() {
    let server = start(Behaviour {
        big_response: Some(2 << 20),
        ..Default::default()
    })
    .await;
    let mut cfg = config(&format!("127.0.0.1:{}", server.port), PASSWORD);
    cfg.max_response_bytes = 1 << 20;
    let t = transport(cfg);
    t.exchange(req(1, "small")).await.expect("small");
    let err = t.exchange(req(2, "big")).await.expect_err("too big");
    assert_eq!(err.kind(), ErrorKind::LimitExceeded);
    assert!(err.to_string().contains("--max-response-size"), "{err}");
}

#[tokio::test]
async fn wrong_password_is_an_auth_error() {
    let server = start(Behaviour::default()).await;
    let t = transport(config(&format!("127.0.0.1:{}", server.port), "wrong"));
    let err = t.exchange(req(1, "x")).await.expect_err("rejected");
    assert_eq!(err.kind(), ErrorKind::Auth);
    let msg = err.to_string();
    assert!(
        msg.contains("LocalAccountTokenFilterPolicy") && msg.contains("wrong password"),
        "{msg}"
    );
    assert!(
        !msg.contains("wrong\""),
        "the password must not appear: {msg}"
    );
    assert_eq!(t.last_delivery(), Delivery::NotSent);
    assert_eq!(server.counters.requests.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn connect_refused_is_a_connect_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    let t = transport(config(&format!("127.0.0.1:{port}"), PASSWORD));
    let err = t.exchange(req(1, "x")).await.expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::Connect);
    assert_eq!(t.last_delivery(), Delivery::NotSent);
}

/// `openssl x509 -fingerprint -<hash>` over the PEM, independent of our x509 parsing.
fn openssl_binding(pem_path: &std::path::Path, hash: &str) -> Vec<u8> {
    let out = std::process::Command::new("openssl")
        .args(["x509", "-noout", "-fingerprint", &format!("-{hash}"), "-in"])
        .arg(pem_path)
        .output()
        .expect("run openssl");
    let text = String::from_utf8_lossy(&out.stdout);
    let hex: String = text
        .split('=')
        .nth(1)
        .expect("fingerprint")
        .trim()
        .replace(':', "");
    let mut data = b"tls-server-end-point:".to_vec();
    for i in (0..hex.len()).step_by(2) {
        data.push(u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"));
    }
    data
}

async fn https_case(hash: CertHash, openssl_hash: &str) {
    let cert = SelfSigned::generate(&["127.0.0.1".into(), "localhost".into()], hash).expect("cert");
    let dir = tempfile::tempdir().expect("tempdir");
    let pem = dir.path().join("host.pem");
    cert.write_pem(&pem).expect("pem");
    let expected = openssl_binding(&pem, openssl_hash);
    assert_eq!(
        hvremote::http::tls::channel_binding_data(&cert.cert_der).expect("cbt"),
        expected
    );
    let tls = Some(cert.server_config().expect("server config"));
    let server = start(Behaviour {
        expected_cbt: Some(expected),
        tls,
        ..Default::default()
    })
    .await;
    let url = format!("https://127.0.0.1:{}/wsman", server.port);

    let err = transport(config(&url, PASSWORD))
        .exchange(req(1, "x"))
        .await
        .expect_err("untrusted");
    assert_eq!(err.kind(), ErrorKind::Tls);
    assert!(
        err.to_string().contains("--cacert") && err.to_string().contains("--insecure"),
        "{err}"
    );

    let mut cfg = config(&url, PASSWORD);
    cfg.tls = TlsOptions {
        cacert: vec![pem.clone()],
        ..Default::default()
    };
    let t = transport(cfg);
    for n in 1..=2 {
        let resp = t
            .exchange(req(n, "over tls"))
            .await
            .expect("trusted via --cacert");
        assert!(resp.body.contains("over tls"));
    }
    assert_eq!(
        server.counters.sealed.load(Ordering::SeqCst),
        0,
        "no sealing inside tls"
    );
    assert_eq!(
        server.counters.handshakes.load(Ordering::SeqCst),
        1,
        "bindings accepted"
    );

    let mut cfg = config(&url, PASSWORD);
    cfg.tls.danger_accept_invalid_certs = true;
    transport(cfg)
        .exchange(req(3, "insecure"))
        .await
        .expect("--insecure");
}

#[tokio::test]
async fn https_sha256_certificate() {
    https_case(CertHash::Sha256, "sha256").await;
}

#[tokio::test]
async fn https_sha384_certificate_binds_with_sha384() {
    https_case(CertHash::Sha384, "sha384").await;
}

#[tokio::test]
async fn tls_server_name_overrides_the_ip() {
    let cert = SelfSigned::generate(&["hv01.test".into()], CertHash::Sha256).expect("cert");
    let dir = tempfile::tempdir().expect("tempdir");
    let pem = dir.path().join("host.pem");
    cert.write_pem(&pem).expect("pem");
    let tls = Some(cert.server_config().expect("server config"));
    let server = start(Behaviour {
        tls,
        ..Default::default()
    })
    .await;
    let mut cfg = config(&format!("https://127.0.0.1:{}", server.port), PASSWORD);
    cfg.tls.cacert = vec![pem];
    let err = transport(cfg.clone())
        .exchange(req(1, "x"))
        .await
        .expect_err("name mismatch");
    assert_eq!(err.kind(), ErrorKind::Tls);
    assert!(err.to_string().contains("--tls-server-name"), "{err}");
    cfg.tls.tls_server_name = Some("hv01.test".into());
    transport(cfg)
        .exchange(req(2, "named"))
        .await
        .expect("with --tls-server-name");
}

#[tokio::test]
async fn basic_with_allow_unencrypted_sends_plain_soap() {
    let server = start(Behaviour::default()).await;
    let mut cfg = config(&format!("127.0.0.1:{}", server.port), PASSWORD);
    cfg.auth = Auth::Basic;
    cfg.allow_unencrypted = true;
    let resp = transport(cfg.clone())
        .exchange(req(1, "basic"))
        .await
        .expect("basic");
    assert!(resp.body.contains("basic"));
    assert_eq!(server.counters.sealed.load(Ordering::SeqCst), 0);
    cfg.set_password("bad");
    let err = transport(cfg)
        .exchange(req(2, "x"))
        .await
        .expect_err("bad basic");
    assert_eq!(err.kind(), ErrorKind::Auth, "{err}");
}

#[tokio::test]
async fn basic_over_http_needs_allow_unencrypted() {
    let mut cfg = config("127.0.0.1:1", PASSWORD);
    cfg.auth = Auth::Basic;
    assert_eq!(
        HttpTransport::connect_lazy(cfg.clone())
            .err()
            .map(|e| e.kind()),
        Some(ErrorKind::Usage)
    );
    cfg.allow_unencrypted = true;
    assert!(HttpTransport::connect_lazy(cfg).is_ok());
}

// ---- pyspnego interop -------------------------------------------------------------------

struct PyServer {
    port: u16,
    _child: tokio::process::Child,
}

async fn pyspnego(tamper: u32) -> PyServer {
    let python = std::env::var("HVREMOTE_TEST_PYTHON").unwrap_or_else(|_| {
        panic!("HVREMOTE_TEST_PYTHON is not set: run scripts/test.sh (it builds the python venv from tests/py/requirements.txt)")
    });
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/py/winrm_pyspnego_server.py"
    );
    let mut child = tokio::process::Command::new(python)
        .args([
            script,
            "--user",
            USER,
            "--password",
            PASSWORD,
            "--tamper",
            &tamper.to_string(),
        ])
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn python");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    tokio::io::BufReader::new(stdout)
        .read_line(&mut line)
        .await
        .expect("port line");
    let port = line
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("python server printed {line:?}"));
    PyServer {
        port,
        _child: child,
    }
}

fn echo_of(body: &str) -> Vec<u8> {
    let inner = body
        .split('>')
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap_or("");
    base64::engine::general_purpose::STANDARD
        .decode(inner)
        .unwrap_or_default()
}

#[tokio::test]
async fn pyspnego_sealed_round_trips() {
    let py = pyspnego(0).await;
    let t = transport(config(&format!("127.0.0.1:{}", py.port), PASSWORD));
    for n in 1..=3 {
        let text = if n == 2 { "FAULT" } else { "ping" };
        let resp = t
            .exchange(req(n, text))
            .await
            .expect("exchange with pyspnego");
        assert_eq!(resp.status, if n == 2 { 500 } else { 200 });
        assert!(
            resp.body.starts_with(&format!("<Echo n=\"{n}\">")),
            "{}",
            resp.body
        );
        assert_eq!(echo_of(&resp.body), req(n, text).body.into_bytes());
    }
}

#[tokio::test]
async fn pyspnego_wrong_password() {
    let py = pyspnego(0).await;
    let err = transport(config(&format!("127.0.0.1:{}", py.port), "nope"))
        .exchange(req(1, "x"))
        .await
        .expect_err("rejected");
    assert_eq!(err.kind(), ErrorKind::Auth, "{err}");
}

#[tokio::test]
async fn pyspnego_tampered_response_is_rejected() {
    let py = pyspnego(2).await;
    let t = transport(config(&format!("127.0.0.1:{}", py.port), PASSWORD));
    t.exchange(req(1, "a")).await.expect("first is intact");
    let err = t.exchange(req(2, "b")).await.expect_err("tampered");
    assert_eq!(err.kind(), ErrorKind::Protocol, "{err}");
    assert!(
        err.to_string().contains("response to urn:test/Action2"),
        "{err}"
    );
}

// ---- no panics on hostile input ---------------------------------------------------------

/// Passes data through; the header must be 16 bytes (like NTLM).
struct Plain;

impl Sealer for Plain {
    fn seal(&mut self, p: &[u8]) -> (Vec<u8>, Vec<u8>) {
        (vec![0; 16], p.to_vec())
    }
    fn unseal(&mut self, h: &[u8], d: &[u8]) -> Result<Vec<u8>, hvremote::Error> {
        if h.len() != 16 {
            return Err(hvremote::Error::new(ErrorKind::Protocol, "bad header"));
        }
        Ok(d.to_vec())
    }
}

proptest! {
    #[test]
    fn www_authenticate_never_panics(values in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..80), 0..4)) {
        let c = auth::parse_www_authenticate(values.iter().map(|v| v.as_slice()));
        prop_assert!(c.len() <= values.iter().map(|v| v.len() + 1).sum::<usize>());
        for v in &values { let _ = auth::parse_authorization(v); }
    }

    #[test]
    fn multipart_never_panics(body in proptest::collection::vec(any::<u8>(), 0..400), cut in 0usize..300, flip in 0usize..300) {
        let _ = encrypted::decode(&mut Plain, "multipart/encrypted", &body);
        let good = encrypted::encode(&mut Plain, SPNEGO_PROTOCOL, b"<s:Envelope>x</s:Envelope>");
        let mut bad = good.clone();
        bad.truncate(cut.min(good.len()));
        let _ = encrypted::decode(&mut Plain, &encrypted::content_type(SPNEGO_PROTOCOL), &bad);
        let mut flipped = good.clone();
        if let Some(b) = flipped.get_mut(flip) { *b ^= 0xff; }
        let _ = encrypted::decode(&mut Plain, "multipart/encrypted;boundary=\"Encrypted Boundary\"", &flipped);
        prop_assert!(encrypted::decode(&mut Plain, "multipart/encrypted", &good).is_ok());
    }
}
