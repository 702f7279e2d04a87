//! Bounds (issue 8 §3), end to end where a flag exists: a reply larger than
//! `--max-response-size` and a stalled reply beyond `--read-timeout` end with an error naming
//! the limit and the flag; the XML reader refuses documents deeper or wider than its limits;
//! the simulated host refuses oversized requests (413), caps open connections (503 beyond
//! `--max-connections`) and caps open enumeration contexts.

#[path = "hardening_proxy.rs"]
mod proxy;

use std::time::{Duration, Instant};

use hvremote::sim::SimConfig;
use hvremote::sim::server::{ServerOptions, SimServer};

async fn export(port: u16, extra: &[&str]) -> (Option<i32>, serde_json::Value, Duration) {
    let start = Instant::now();
    let args = [
        &["-o", "json"],
        extra,
        &["export", "web01", "--dest", "D:\\Exports"],
    ]
    .concat();
    let out = proxy::run_cli(port, &args).await;
    let v = serde_json::from_slice(&out.stdout).unwrap_or_default();
    (out.status.code(), v, start.elapsed())
}

#[tokio::test(flavor = "multi_thread")]
async fn response_size_limit_names_the_flag() {
    let sim = SimServer::start(SimConfig::demo(), ServerOptions::default())
        .await
        .unwrap();
    let (code, v, _) = export(sim.addr().port(), &["--max-response-size", "1000"]).await;
    assert_eq!(code, Some(1), "{v}");
    assert_eq!(v["error"]["kind"], "limit_exceeded", "{v}");
    let msg = v["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("1000 bytes") && msg.contains("--max-response-size"),
        "{msg}"
    );
    assert_eq!(sim.host().lock().unwrap().export_invocations(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn read_timeout_names_the_flag_and_holds() {
    let sim = SimServer::start(SimConfig::demo(), ServerOptions::default())
        .await
        .unwrap();
    let p = proxy::start(sim.addr(), Some((2, proxy::Action::Stall))).await;
    let (code, v, took) = export(p.addr.port(), &["--read-timeout", "1"]).await;
    assert_eq!(code, Some(4), "{v}");
    assert_eq!(v["error"]["kind"], "timeout", "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("--read-timeout"),
        "{v}"
    );
    assert!(took < Duration::from_secs(6), "{took:?}");
}

#[test]
fn xml_depth_and_attribute_limits_are_enforced_and_named() {
    let deep = "<a>".repeat(65) + &"</a>".repeat(65);
    let e = hvremote::xml::parse(&deep).unwrap_err().to_string();
    assert!(e.contains("deeper than 64"), "{e}");
    let attrs: String = (0..65).map(|i| format!(" a{i}=\"x\"")).collect();
    let e = hvremote::xml::parse(&format!("<r{attrs}/>"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("64"), "{e}");
    assert!(hvremote::xml::parse(&("<a>".repeat(60) + &"</a>".repeat(60))).is_ok());
}

#[tokio::test(flavor = "multi_thread")]
async fn simulated_host_refuses_oversized_requests() {
    let opts = ServerOptions {
        max_request_bytes: 4096,
        ..ServerOptions::default()
    };
    let sim = SimServer::start(SimConfig::demo(), opts).await.unwrap();
    let body = vec![b'x'; 10_000];
    let mut s = tokio::net::TcpStream::connect(sim.addr()).await.unwrap();
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let head = format!(
        "POST /wsman HTTP/1.1\r\nHost: x\r\nContent-Type: application/soap+xml\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let _ = s.write_all(&body).await;
    let mut buf = vec![0u8; 256];
    let n = s.read(&mut buf).await.unwrap();
    let text = String::from_utf8_lossy(&buf[..n]);
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
}

#[test]
fn simulated_host_caps_open_enumeration_contexts() {
    let req = include_str!("../fixtures/xml/enumerate_request.xml")
        .replace("<w:OptimizeEnumeration/>", "");
    let mut host = hvremote::sim::Host::new(SimConfig::demo());
    let cap = hvremote::sim::enumerate::MAX_CONTEXTS;
    for i in 0..cap {
        let r = host.handle(Duration::from_secs(1), &req);
        assert_eq!(r.status, 200, "enumeration {i}: {}", r.body);
    }
    let r = host.handle(Duration::from_secs(1), &req);
    assert_eq!(r.status, 500);
    let f = hvremote::wsman::parse_response(r.status, &r.body)
        .unwrap_err()
        .to_string();
    assert!(f.contains("maximum number of concurrent operations"), "{f}");
}

/// Send one unauthenticated request on `s` and return the status line of the answer.
async fn status_line(s: &mut tokio::net::TcpStream) -> String {
    use tokio::io::AsyncWriteExt;
    let req = "POST /wsman HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n";
    let _ = s.write_all(req.as_bytes()).await;
    first_line(s).await
}

/// The first line the host sends on `s` (empty when it closes or is silent for 10 s).
async fn first_line(s: &mut tokio::net::TcpStream) -> String {
    use tokio::io::AsyncReadExt;
    let mut buf = vec![0u8; 512];
    let n = tokio::time::timeout(Duration::from_secs(10), s.read(&mut buf))
        .await
        .map(|r| r.unwrap_or(0))
        .unwrap_or(0);
    String::from_utf8_lossy(&buf[..n])
        .lines()
        .next()
        .unwrap_or("")
        .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn simulated_host_caps_open_connections() {
    let opts = ServerOptions {
        max_connections: 2,
        ..ServerOptions::default()
    };
    let sim = SimServer::start(SimConfig::demo(), opts).await.unwrap();
    // Two idle connections hold both slots (slots are taken when a connection is accepted).
    let a = tokio::net::TcpStream::connect(sim.addr()).await.unwrap();
    let mut b = tokio::net::TcpStream::connect(sim.addr()).await.unwrap();
    let mut c = tokio::net::TcpStream::connect(sim.addr()).await.unwrap();
    let refused = first_line(&mut c).await;
    assert!(refused.starts_with("HTTP/1.1 503"), "{refused}");
    // Closing one admitted connection frees its slot for a new one.
    drop(a);
    let mut admitted = false;
    for _ in 0..50 {
        let mut d = tokio::net::TcpStream::connect(sim.addr()).await.unwrap();
        if status_line(&mut d).await.starts_with("HTTP/1.1 401") {
            admitted = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(admitted, "a freed slot was never reused");
    // The admitted connection that waited is served (401: authentication is required).
    let served = status_line(&mut b).await;
    assert!(served.starts_with("HTTP/1.1 401"), "{served}");
    sim.stop().await.unwrap();
}

/// `vms` by the binary against `sim` with `extra` flags: exit code and the JSON on stdout.
async fn vms(port: u16, extra: &[&str]) -> (Option<i32>, String) {
    let out = proxy::run_cli(port, &[&["-o", "json"], extra, &["vms"]].concat()).await;
    // Rows printed before a failure stay on stdout and the error goes to stderr; an error
    // before any row is the JSON error object on stdout.
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    (out.status.code(), text)
}

#[tokio::test(flavor = "multi_thread")]
async fn enumeration_and_xml_limits_name_their_flags() {
    let mut config = SimConfig::from_flags(&[], 5000);
    config.user = "admin".into();
    config.password = "Passw0rd!".into();
    let sim = SimServer::start(config, ServerOptions::default())
        .await
        .unwrap();
    let port = sim.addr().port();
    // Within the defaults the listing succeeds; each lowered bound stops it with its flag named.
    let (code, out) = vms(port, &[]).await;
    assert_eq!(code, Some(0), "{out}");
    for (flags, named) in [
        (["--max-pages", "1"], "--max-pages"),
        (["--max-items", "10"], "--max-items"),
        (["--max-xml-depth", "4"], "--max-xml-depth"),
    ] {
        let (code, out) = vms(port, &flags).await;
        assert_eq!(code, Some(1), "{flags:?}: {out}");
        assert!(out.contains("limit"), "{flags:?}: {out}");
        assert!(out.contains(named), "{flags:?}: {out}");
    }
    // Raising a bound lets the same listing through.
    let (code, out) = vms(port, &["--max-pages", "100000", "--max-xml-depth", "100"]).await;
    assert_eq!(code, Some(0), "{out}");
    sim.stop().await.unwrap();
}
