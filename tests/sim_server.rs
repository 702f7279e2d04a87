//! The simulated host over real loopback HTTP (Basic auth only until NTLM is available).

use base64::Engine;
use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use http::{Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hvremote::sim::SimConfig;
use hvremote::sim::server::{ServerOptions, SimServer};
use hvremote::xml::{self, XmlWriter, ns};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

fn identify() -> String {
    let mut w = XmlWriter::new();
    w.start("s:Envelope")
        .attr("xmlns:s", ns::SOAP)
        .start("s:Header")
        .end()
        .start("s:Body");
    w.start("wsmid:Identify")
        .attr("xmlns:wsmid", ns::IDENTITY)
        .end()
        .end()
        .end();
    w.finish().unwrap()
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
