//! The simulated host over real loopback HTTP (Basic auth only until NTLM is available).

use base64::Engine;
use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use http::{Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hvremote::sim::SimConfig;
use hvremote::sim::server::{ServerOptions, SimServer};
use hvremote::xml::{self, ns};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// An Identify request as the client builds it.
fn identify() -> String {
    let settings = hvremote::wsman::Settings::new("http://127.0.0.1/wsman");
    hvremote::wsman::identify::request(&settings, &hvremote::soap::UuidMessageIds)
        .expect("identify request")
        .body
}

fn basic(user: &str, password: &str) -> String {
    let raw = format!("{user}:{password}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

async fn post(
    server: &SimServer,
    auth: Option<&str>,
    body: String,
) -> Result<(StatusCode, Vec<String>, String), hyper::Error> {
    let stream = TcpStream::connect(server.addr()).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(conn);
    let mut req =
        Request::post("/wsman").header(CONTENT_TYPE, "application/soap+xml;charset=UTF-8");
    if let Some(a) = auth {
        req = req.header(AUTHORIZATION, a);
    }
    let resp = sender
        .send_request(req.body(Full::new(Bytes::from(body))).unwrap())
        .await?;
    let status = resp.status();
    let challenges = resp
        .headers()
        .get_all(WWW_AUTHENTICATE)
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    let text = String::from_utf8(resp.into_body().collect().await?.to_bytes().to_vec()).unwrap();
    Ok((status, challenges, text))
}

fn basic_opts() -> ServerOptions {
    ServerOptions {
        danger_allow_basic_unencrypted: true,
        ..ServerOptions::default()
    }
}

#[tokio::test]
async fn challenges_and_basic_accounts() {
    let server = SimServer::start(SimConfig::demo(), basic_opts())
        .await
        .unwrap();
    let (st, ch, _) = post(&server, None, identify()).await.unwrap();
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    assert_eq!(
        ch,
        vec!["Negotiate".to_string(), "Basic realm=\"WSMAN\"".to_string()]
    );
    for user in ["admin", "HV01\\admin", "admin@example.test"] {
        let (st, _, body) = post(&server, Some(&basic(user, "Passw0rd!")), identify())
            .await
            .unwrap();
        assert_eq!(st, StatusCode::OK, "{user}");
        assert!(
            xml::parse(&body)
                .unwrap()
                .find(ns::IDENTITY, "ProductVendor")
                .is_some()
        );
    }
    let (st, _, _) = post(&server, Some(&basic("admin", "wrong")), identify())
        .await
        .unwrap();
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    assert_eq!(server.host().lock().unwrap().request_count(), 3);
    server.stop().await.unwrap();
}

#[tokio::test]
async fn basic_is_refused_unless_enabled_and_lost_replies_drop_the_connection() {
    let server = SimServer::start(SimConfig::demo(), ServerOptions::default())
        .await
        .unwrap();
    let (st, ch, _) = post(&server, Some(&basic("admin", "Passw0rd!")), identify())
        .await
        .unwrap();
    assert_eq!(
        (st, ch),
        (StatusCode::UNAUTHORIZED, vec!["Negotiate".to_string()])
    );
    server.stop().await.unwrap();

    let mut cfg = SimConfig::demo();
    cfg.faults.close_after_request = Some(1);
    let server = SimServer::start(cfg, basic_opts()).await.unwrap();
    assert!(
        post(&server, Some(&basic("admin", "Passw0rd!")), identify())
            .await
            .is_err()
    );
    let (st, _, _) = post(&server, Some(&basic("admin", "Passw0rd!")), identify())
        .await
        .unwrap();
    assert_eq!(st, StatusCode::OK);
    server.stop().await.unwrap();
}

mod ntlm_end_to_end {
    use hvremote::http::{Auth, Endpoint, HttpConfig, HttpTransport};
    use hvremote::sim::SimConfig;
    use hvremote::sim::server::{ServerOptions, SimServer};
    use hvremote::soap::SequentialMessageIds;
    use hvremote::transport::Transport;
    use hvremote::wsman::enumerate::{self, EnumerateRequest, EnumerationMode};
    use hvremote::wsman::{Settings, identify};
    use hvremote::xml::ns;

    fn transport(server: &SimServer, user: &str, password: &str, auth: Auth) -> HttpTransport {
        let ep = Endpoint::parse(&server.endpoint(), false).unwrap();
        let mut cfg = HttpConfig::new(ep, user, password);
        cfg.allow_unencrypted = matches!(auth, Auth::Basic);
        cfg.auth = auth;
        HttpTransport::connect_lazy(cfg).unwrap()
    }

    #[tokio::test]
    async fn sealed_ntlm_exchanges_with_the_http_client() {
        let server = SimServer::start(SimConfig::demo(), ServerOptions::default())
            .await
            .unwrap();
        for user in ["admin", "HV01\\admin", "admin@example.test"] {
            let t = transport(&server, user, "Passw0rd!", Auth::Negotiate);
            let s = Settings::new(t.endpoint());
            let ids = SequentialMessageIds::new();
            let r = t
                .exchange(identify::request(&s, &ids).unwrap())
                .await
                .unwrap();
            let id = identify::parse(r.status, &r.body).unwrap();
            assert!(format!("{id:?}").contains("10.0.20348"), "{user}");
            let star = format!("{}*", ns::HYPERV_V2);
            let mut e = EnumerateRequest::new(
                &star,
                Some("SELECT * FROM Msvm_ComputerSystem"),
                EnumerationMode::Objects,
            );
            e.max_elements = 1;
            let r = t.exchange(e.to_request(&s, &ids).unwrap()).await.unwrap();
            let mut page = enumerate::parse_page(r.status, &r.body).unwrap();
            let mut n = page.items.len();
            while !page.end_of_sequence {
                let ctx = page.context.clone().unwrap();
                let r = t
                    .exchange(enumerate::pull_request(&s, &ids, &star, &ctx, 1).unwrap())
                    .await
                    .unwrap();
                page = enumerate::parse_page(r.status, &r.body).unwrap();
                n += page.items.len();
            }
            assert_eq!(n, 4, "{user}");
        }
        server.stop().await.unwrap();
    }

    #[tokio::test]
    async fn wrong_password_is_an_auth_error() {
        let server = SimServer::start(SimConfig::demo(), ServerOptions::default())
            .await
            .unwrap();
        let t = transport(&server, "admin", "nope", Auth::Negotiate);
        let s = Settings::new(t.endpoint());
        let e = t
            .exchange(identify::request(&s, &SequentialMessageIds::new()).unwrap())
            .await
            .unwrap_err();
        assert_eq!(e.kind(), hvremote::ErrorKind::Auth, "{e}");
        assert_eq!(server.host().lock().unwrap().request_count(), 0);
        server.stop().await.unwrap();
    }
}

mod ntlm_raw {
    use base64::Engine;
    use bytes::Bytes;
    use http::header::{AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
    use http::{Request, StatusCode};
    use http_body_util::{BodyExt, Full};
    use hvremote::http::encrypted::{self, SPNEGO_PROTOCOL};
    use hvremote::ntlm::{Client, ClientConfig, Credentials};
    use hvremote::sim::SimConfig;
    use hvremote::sim::server::{ServerOptions, SimServer};
    use hyper::client::conn::http1::SendRequest;
    use hyper_util::rt::TokioIo;
    use tokio::net::TcpStream;

    const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

    async fn connect(server: &SimServer) -> SendRequest<Full<Bytes>> {
        let stream = TcpStream::connect(server.addr()).await.unwrap();
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .unwrap();
        tokio::spawn(conn);
        sender
    }

    async fn send(
        tx: &mut SendRequest<Full<Bytes>>,
        auth: Option<String>,
        ct: &str,
        body: Vec<u8>,
    ) -> (StatusCode, Option<String>, String, Vec<u8>) {
        let mut req = Request::post("/wsman").header(CONTENT_TYPE, ct);
        if let Some(a) = auth {
            req = req.header(AUTHORIZATION, a);
        }
        let resp = tx
            .send_request(req.body(Full::new(Bytes::from(body))).unwrap())
            .await
            .unwrap();
        let st = resp.status();
        let www = resp
            .headers()
            .get(WWW_AUTHENTICATE)
            .map(|v| v.to_str().unwrap().to_string());
        let rct = resp
            .headers()
            .get(CONTENT_TYPE)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        (
            st,
            www,
            rct,
            resp.into_body()
                .collect()
                .await
                .unwrap()
                .to_bytes()
                .to_vec(),
        )
    }

    fn identify() -> String {
        super::identify()
    }

    #[tokio::test]
    async fn authenticate_leg_may_carry_the_first_sealed_request_and_unsealed_is_refused() {
        let server = SimServer::start(SimConfig::demo(), ServerOptions::default())
            .await
            .unwrap();
        let mut tx = connect(&server).await;
        let creds = Credentials::new("HV01\\admin", "Passw0rd!").unwrap();
        let mut client = Client::new(ClientConfig {
            credentials: creds,
            target_spn: String::new(),
            channel_bindings: None,
        });
        let neg = format!("Negotiate {}", B64.encode(client.negotiate()));
        let (st, www, _, _) = send(
            &mut tx,
            Some(neg),
            "application/soap+xml;charset=UTF-8",
            Vec::new(),
        )
        .await;
        assert_eq!(st, StatusCode::UNAUTHORIZED);
        let challenge = B64
            .decode(www.unwrap().trim_start_matches("Negotiate ").trim())
            .unwrap();
        let auth = format!(
            "Negotiate {}",
            B64.encode(client.authenticate(&challenge).unwrap())
        );
        let mut session = client.into_session().unwrap();
        let sealed = encrypted::encode(&mut session, SPNEGO_PROTOCOL, identify().as_bytes());
        let ct = encrypted::content_type(SPNEGO_PROTOCOL);
        let (st, _, rct, body) = send(&mut tx, Some(auth), &ct, sealed).await;
        assert_eq!(st, StatusCode::OK);
        let plain = encrypted::decode(&mut session, &rct, &body).unwrap();
        assert!(
            String::from_utf8(plain)
                .unwrap()
                .contains("IdentifyResponse")
        );

        let (st, _, _, _) = send(
            &mut tx,
            None,
            "application/soap+xml;charset=UTF-8",
            identify().into_bytes(),
        )
        .await;
        assert_eq!(
            st,
            StatusCode::UNAUTHORIZED,
            "unsealed request on an ntlm context"
        );
        assert_eq!(server.host().lock().unwrap().request_count(), 1);
        server.stop().await.unwrap();
    }
}

#[tokio::test]
async fn unauthenticated_identify_reports_zero_version() {
    let server = SimServer::start(SimConfig::demo(), ServerOptions::default())
        .await
        .unwrap();
    let stream = TcpStream::connect(server.addr()).await.unwrap();
    let (mut tx, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(conn);
    let req = Request::post("/wsman")
        .header(CONTENT_TYPE, "application/soap+xml;charset=UTF-8")
        .header("WSMANIDENTIFY", "unauthenticated")
        .body(Full::new(Bytes::from(identify())))
        .unwrap();
    let resp = tx.send_request(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let body = String::from_utf8(
        resp.into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec(),
    )
    .unwrap();
    let v = xml::parse(&body)
        .unwrap()
        .find(ns::IDENTITY, "ProductVersion")
        .unwrap()
        .text();
    assert_eq!(v, "OS: 0.0.0 SP: 0.0 Stack: 3.0");
    server.stop().await.unwrap();
}
