//! The simulated host over HTTPS (winrm-wire.md §1.5, §3.6): certificate trust as the client
//! reports it, NTLM channel bindings checked by the listener, Basic over TLS, and the whole
//! export flow with our `HttpTransport`.

use std::path::PathBuf;
use std::time::Duration;

use base64::Engine;
use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use http::{Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hvremote::cim::embedded::EmbeddedInstance;
use hvremote::http::tls::{TlsOptions, client_config};
use hvremote::http::{Auth, Endpoint, HttpConfig, HttpTransport};
use hvremote::ntlm::{Client, ClientConfig, Credentials};
use hvremote::sim::SimConfig;
use hvremote::sim::server::{ServerOptions, SimServer};
use hvremote::sim::tls::{SimTls, loopback_names};
use hvremote::soap::{Epr, SequentialMessageIds};
use hvremote::transport::Transport;
use hvremote::wsman::enumerate::{self, EnumerateRequest, EnumerationMode};
use hvremote::wsman::invoke::{self, InvokeRequest, ParamValue};
use hvremote::wsman::{Settings, get, identify};
use hvremote::xml::ns;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// A server over HTTPS and the path of its certificate PEM.
async fn https_server(
    config: SimConfig,
    allow_basic: bool,
) -> (SimServer, PathBuf, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let pem = dir.path().join("sim-ca.pem");
    let tls = SimTls::generate(&loopback_names(), Some(&pem)).unwrap();
    let opts = ServerOptions {
        tls: Some(tls),
        allow_basic,
        ..ServerOptions::default()
    };
    (SimServer::start(config, opts).await.unwrap(), pem, dir)
}

fn transport(server: &SimServer, tls: TlsOptions, auth: Auth, password: &str) -> HttpTransport {
    let ep = Endpoint::parse(&server.endpoint(), true).unwrap();
    let mut cfg = HttpConfig::new(ep, "HV01\\admin", password);
    cfg.auth = auth;
    cfg.tls = tls;
    HttpTransport::connect_lazy(cfg).unwrap()
}

fn trusting(pem: &std::path::Path) -> TlsOptions {
    TlsOptions {
        cacert: vec![pem.to_path_buf()],
        ..TlsOptions::default()
    }
}

async fn identify_version(t: &HttpTransport) -> Result<String, hvremote::Error> {
    let s = Settings::new(t.endpoint());
    let r = t
        .exchange(identify::request(&s, &SequentialMessageIds::new()).unwrap())
        .await?;
    Ok(format!("{:?}", identify::parse(r.status, &r.body).unwrap()))
}

#[tokio::test]
async fn untrusted_certificate_is_refused_and_cacert_or_insecure_is_accepted() {
    let (server, pem, _dir) = https_server(SimConfig::demo(), false).await;
    assert!(server.endpoint().starts_with("https://127.0.0.1:"));
    let t = transport(&server, TlsOptions::default(), Auth::Negotiate, "Passw0rd!");
    let e = identify_version(&t).await.unwrap_err();
    assert_eq!(e.kind(), hvremote::ErrorKind::Tls, "{e}");
    let msg = e.to_string();
    assert!(
        msg.contains("--cacert") && msg.contains("--insecure"),
        "{msg}"
    );
    assert_eq!(server.host().lock().unwrap().request_count(), 0);

    let t = transport(&server, trusting(&pem), Auth::Negotiate, "Passw0rd!");
    assert!(identify_version(&t).await.unwrap().contains("10.0.20348"));
    // A second request on the same authenticated TLS connection, unsealed.
    assert!(identify_version(&t).await.unwrap().contains("10.0.20348"));
    let insecure = TlsOptions {
        danger_accept_invalid_certs: true,
        ..TlsOptions::default()
    };
    let t = transport(&server, insecure, Auth::Negotiate, "Passw0rd!");
    assert!(identify_version(&t).await.is_ok());
    let t = transport(&server, trusting(&pem), Auth::Negotiate, "wrong");
    let e = identify_version(&t).await.unwrap_err();
    assert_eq!(e.kind(), hvremote::ErrorKind::Auth, "{e}");
    assert_eq!(server.host().lock().unwrap().request_count(), 3);
    server.stop().await.unwrap();
}

#[tokio::test]
async fn basic_over_https_only_when_enabled() {
    let (server, pem, _dir) = https_server(SimConfig::demo(), false).await;
    let t = transport(&server, trusting(&pem), Auth::Basic, "Passw0rd!");
    let e = identify_version(&t).await.unwrap_err();
    assert_eq!(e.kind(), hvremote::ErrorKind::Auth, "{e}");
    server.stop().await.unwrap();

    let (server, pem, _dir) = https_server(SimConfig::demo(), true).await;
    let t = transport(&server, trusting(&pem), Auth::Basic, "Passw0rd!");
    assert!(identify_version(&t).await.unwrap().contains("10.0.20348"));
    let t = transport(&server, trusting(&pem), Auth::Basic, "wrong");
    assert!(identify_version(&t).await.is_err());
    server.stop().await.unwrap();
}

/// A raw TLS + HTTP/1.1 connection to the server, trusting its certificate.
async fn raw_tls(server: &SimServer, pem: &std::path::Path) -> SendRequest<Full<Bytes>> {
    let config = client_config(&trusting(pem)).unwrap();
    let tcp = TcpStream::connect(server.addr()).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap();
    let tls = tokio_rustls::TlsConnector::from(config)
        .connect(name, tcp)
        .await
        .unwrap();
    let (tx, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
        .await
        .unwrap();
    tokio::spawn(conn);
    tx
}

async fn leg(tx: &mut SendRequest<Full<Bytes>>, token: &[u8]) -> (StatusCode, Option<Vec<u8>>) {
    let req = Request::post("/wsman")
        .header(AUTHORIZATION, format!("Negotiate {}", B64.encode(token)))
        .body(Full::new(Bytes::new()))
        .unwrap();
    let resp = tx.send_request(req).await.unwrap();
    let token = resp
        .headers()
        .get(WWW_AUTHENTICATE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Negotiate "))
        .map(|t| B64.decode(t.trim()).unwrap());
    let status = resp.status();
    let _ = resp.into_body().collect().await;
    (status, token)
}

/// NTLM over TLS by hand with the given bindings; returns the AUTHENTICATE leg's status.
async fn authenticate_with(
    server: &SimServer,
    pem: &std::path::Path,
    cbt: Option<Vec<u8>>,
) -> StatusCode {
    let mut tx = raw_tls(server, pem).await;
    let mut client = Client::new(ClientConfig {
        credentials: Credentials::new("HV01\\admin", "Passw0rd!").unwrap(),
        target_spn: "HTTP/127.0.0.1".into(),
        channel_bindings: cbt,
    });
    let (st, challenge) = leg(&mut tx, &client.negotiate()).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    let auth = client.authenticate(&challenge.unwrap()).unwrap();
    let (st, _) = leg(&mut tx, &auth).await;
    if st == StatusCode::OK {
        // The context works: a plain SOAP request on the same connection is answered.
        let req = Request::post("/wsman")
            .header(CONTENT_TYPE, "application/soap+xml;charset=UTF-8")
            .body(Full::new(Bytes::from(identify_body())))
            .unwrap();
        let resp = tx.send_request(req).await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        assert!(String::from_utf8_lossy(&body).contains("IdentifyResponse"));
    }
    st
}

fn identify_body() -> String {
    let s = Settings::new("https://127.0.0.1/wsman");
    identify::request(&s, &SequentialMessageIds::new())
        .unwrap()
        .body
}

#[tokio::test]
async fn channel_bindings_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let pem = dir.path().join("sim-ca.pem");
    let tls = SimTls::generate(&loopback_names(), Some(&pem)).unwrap();
    let right = tls.channel_bindings().to_vec();
    let opts = ServerOptions {
        tls: Some(tls),
        ..ServerOptions::default()
    };
    let server = SimServer::start(SimConfig::demo(), opts).await.unwrap();
    // Bindings of another certificate (what a TLS-terminating man in the middle would cause).
    let other = SimTls::generate(&loopback_names(), None).unwrap();
    let wrong = other.channel_bindings().to_vec();
    assert_ne!(right, wrong);
    assert_eq!(
        authenticate_with(&server, &pem, Some(wrong)).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        authenticate_with(&server, &pem, None).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(server.host().lock().unwrap().request_count(), 0);
    assert_eq!(
        authenticate_with(&server, &pem, Some(right)).await,
        StatusCode::OK
    );
    assert_eq!(server.host().lock().unwrap().request_count(), 1);
    server.stop().await.unwrap();
}

#[tokio::test]
async fn export_flow_over_https() {
    let mut config = SimConfig::demo();
    config.job_duration_ms = 300;
    let (server, pem, _dir) = https_server(config, false).await;
    let t = transport(&server, trusting(&pem), Auth::Negotiate, "Passw0rd!");
    let s = Settings::new(t.endpoint());
    let ids = SequentialMessageIds::new();
    let star = format!("{}*", ns::HYPERV_V2);
    let wql = "SELECT * FROM Msvm_ComputerSystem WHERE ElementName = 'web01'";
    let e = EnumerateRequest::new(&star, Some(wql), EnumerationMode::Objects);
    let r = t.exchange(e.to_request(&s, &ids).unwrap()).await.unwrap();
    let page = enumerate::parse_page(r.status, &r.body).unwrap();
    let vm = page.items[0].instance.clone().unwrap();
    let guid = vm.child_local("Name").unwrap().text_trim();

    let cs_uri = format!("{}Msvm_ComputerSystem", ns::HYPERV_V2);
    let vm_epr = Epr::anonymous(
        cs_uri,
        vec![
            ("CreationClassName".into(), "Msvm_ComputerSystem".into()),
            ("Name".into(), guid),
        ],
    );
    let esd = EmbeddedInstance::new("Msvm_VirtualSystemExportSettingData")
        .uint8("CopySnapshotConfiguration", 0)
        .boolean("CopyVmRuntimeInformation", true)
        .boolean("CopyVmStorage", true)
        .boolean("CreateVmExportSubdirectory", true)
        .to_cimxml()
        .unwrap();
    let inv = InvokeRequest {
        resource_uri: format!("{}Msvm_VirtualSystemManagementService", ns::HYPERV_V2),
        method: "ExportSystemDefinition".into(),
        selectors: vec![
            (
                "CreationClassName".into(),
                "Msvm_VirtualSystemManagementService".into(),
            ),
            ("Name".into(), "vmms".into()),
            (
                "SystemCreationClassName".into(),
                "Msvm_ComputerSystem".into(),
            ),
            ("SystemName".into(), "HV01".into()),
        ],
        params: vec![
            ("ComputerSystem".into(), ParamValue::Ref(vm_epr)),
            (
                "ExportDirectory".into(),
                ParamValue::Scalar("D:\\Exports\\R&D".into()),
            ),
            ("ExportSettingData".into(), ParamValue::Embedded(esd)),
        ],
    };
    let r = t.exchange(inv.to_request(&s, &ids).unwrap()).await.unwrap();
    let out = invoke::parse_output(r.status, &r.body, Some("ExportSystemDefinition")).unwrap();
    assert_eq!(out.return_value, 4096);
    let job = out.epr("Job").unwrap().unwrap();
    let mut state = String::new();
    for _ in 0..50 {
        let r = t
            .exchange(get::request(&s, &ids, &job.resource_uri, &job.selectors).unwrap())
            .await
            .unwrap();
        let inst = get::parse(r.status, &r.body).unwrap();
        state = inst.child_local("JobState").unwrap().text_trim();
        if state == "7" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(state, "7", "the export job completes");
    assert_eq!(server.host().lock().unwrap().export_invocations(), 1);
    server.stop().await.unwrap();
}
