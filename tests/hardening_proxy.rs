//! A fault-injecting HTTP/1.1 proxy for the hardening tests (issue 8), placed between the
//! `hvremote` binary and the simulated host on loopback.
//!
//! What it does: forwards requests and replies (Content-Length framing only, which is what
//! hyper's client and the simulator send), numbers every request of the run from 0 across
//! connections, records each request's `Authorization` value, and at one chosen request index
//! applies one [`Action`]: drop the connection before forwarding, after forwarding but before
//! answering, or after answering; or answer itself with a 500 SOAP fault or a 401; or forward a
//! truncated body, a reply with a corrupted seal signature, or nothing at all (a stall).
//! What it does not do: chunked bodies, pipelining, TLS.
//!
//! Used by `hardening_sweep.rs` and `hardening_secrets.rs` through `#[path]`; its own test
//! checks a clean export through it.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What to do with the request at the chosen index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Close the client's connection before the request reaches the host.
    CloseBeforeRead,
    /// Forward the request, then close instead of answering.
    CloseAfterRead,
    /// Forward the request and its answer, then close.
    CloseAfterAnswer,
    /// Answer with HTTP 500 and a SOAP fault, without forwarding.
    Fault500,
    /// Forward, then send the reply's headers and half its body, then close.
    Truncated,
    /// Forward, then answer with one signature byte flipped (sealed replies).
    BadSeal,
    /// Answer 401 with `WWW-Authenticate: Negotiate`, without forwarding.
    Unauthorized,
    /// Read the request and never answer (10 minutes).
    Stall,
}

impl Action {
    /// Every action, in table order.
    pub const ALL: [Action; 8] = [
        Action::CloseBeforeRead,
        Action::CloseAfterRead,
        Action::CloseAfterAnswer,
        Action::Fault500,
        Action::Truncated,
        Action::BadSeal,
        Action::Unauthorized,
        Action::Stall,
    ];
}

/// What the proxy saw.
#[derive(Debug, Default)]
pub struct Log {
    /// Every request's `Authorization` header value (when present), in order.
    pub authorizations: Vec<String>,
    /// Every reply's `WWW-Authenticate` header value, in order.
    pub challenges: Vec<String>,
}

/// A running proxy.
pub struct Proxy {
    /// Where clients connect.
    pub addr: SocketAddr,
    /// Requests numbered so far.
    pub count: Arc<AtomicUsize>,
    /// Captured headers.
    pub log: Arc<Mutex<Log>>,
}

struct Shared {
    upstream: SocketAddr,
    fault: Option<(usize, Action)>,
    count: Arc<AtomicUsize>,
    log: Arc<Mutex<Log>>,
}

/// One parsed HTTP message: the head (start line and headers, with the blank line) and body.
struct Message {
    head: Vec<u8>,
    body: Vec<u8>,
}

impl Message {
    fn header(&self, name: &str) -> Option<String> {
        let text = String::from_utf8_lossy(&self.head);
        text.lines().skip(1).find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_string())
        })
    }

    fn bytes(&self) -> Vec<u8> {
        [self.head.as_slice(), self.body.as_slice()].concat()
    }
}

/// Start a proxy to `upstream` injecting `fault` (request index, action).
pub async fn start(upstream: SocketAddr, fault: Option<(usize, Action)>) -> Proxy {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
    let addr = listener.local_addr().expect("proxy address");
    let count = Arc::new(AtomicUsize::new(0));
    let log = Arc::new(Mutex::new(Log::default()));
    let shared = Arc::new(Shared {
        upstream,
        fault,
        count: Arc::clone(&count),
        log: Arc::clone(&log),
    });
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            tokio::spawn(connection(Arc::clone(&shared), client));
        }
    });
    Proxy { addr, count, log }
}

/// Read one message; `None` at a clean or unclean end of stream.
async fn read_message(s: &mut TcpStream, buf: &mut Vec<u8>) -> Option<Message> {
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head: Vec<u8> = buf.drain(..end + 4).collect();
            let mut m = Message {
                head,
                body: Vec::new(),
            };
            let len: usize = m
                .header("content-length")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            while buf.len() < len {
                read_more(s, buf).await?;
            }
            m.body = buf.drain(..len).collect();
            return Some(m);
        }
        read_more(s, buf).await?;
    }
}

async fn read_more(s: &mut TcpStream, buf: &mut Vec<u8>) -> Option<()> {
    let mut chunk = [0u8; 16384];
    match s.read(&mut chunk).await {
        Ok(0) | Err(_) => None,
        Ok(n) => {
            buf.extend_from_slice(&chunk[..n]);
            Some(())
        }
    }
}

async fn connection(shared: Arc<Shared>, mut client: TcpStream) {
    let mut upstream: Option<TcpStream> = None;
    let (mut cbuf, mut ubuf) = (Vec::new(), Vec::new());
    while let Some(req) = read_message(&mut client, &mut cbuf).await {
        let index = shared.count.fetch_add(1, Ordering::SeqCst);
        if let Some(a) = req.header("authorization") {
            shared.log.lock().unwrap().authorizations.push(a);
        }
        let action = shared.fault.and_then(|(k, a)| (k == index).then_some(a));
        match action {
            Some(Action::CloseBeforeRead) => return,
            Some(Action::Fault500) => {
                let _ = client.write_all(&fault_500()).await;
                continue;
            }
            Some(Action::Unauthorized) => {
                let _ = client.write_all(UNAUTHORIZED).await;
                return;
            }
            Some(Action::Stall) => {
                tokio::time::sleep(Duration::from_secs(600)).await;
                return;
            }
            _ => {}
        }
        if upstream.is_none() {
            upstream = TcpStream::connect(shared.upstream).await.ok();
        }
        let Some(up) = upstream.as_mut() else { return };
        if up.write_all(&req.bytes()).await.is_err() {
            return;
        }
        let Some(mut resp) = read_message(up, &mut ubuf).await else {
            return;
        };
        if let Some(c) = resp.header("www-authenticate") {
            shared.log.lock().unwrap().challenges.push(c);
        }
        let out = match action {
            Some(Action::CloseAfterRead) => return,
            Some(Action::Truncated) => {
                let half = resp.body.len() / 2;
                let mut b = resp.head.clone();
                b.extend_from_slice(&resp.body[..half]);
                let _ = client.write_all(&b).await;
                return;
            }
            Some(Action::BadSeal) => {
                corrupt_signature(&mut resp.body);
                resp.bytes()
            }
            _ => resp.bytes(),
        };
        if client.write_all(&out).await.is_err() || action == Some(Action::CloseAfterAnswer) {
            return;
        }
        if resp
            .header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"))
        {
            return;
        }
    }
}

const UNAUTHORIZED: &[u8] =
    b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Negotiate\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

fn fault_500() -> Vec<u8> {
    let body = include_str!("../fixtures/xml/fault_wmi_error.xml");
    let head = format!(
        "HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/soap+xml;charset=UTF-8\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    [head.as_bytes(), body.as_bytes()].concat()
}

/// Flip a checksum byte of the NTLM signature that follows the octet-stream part header; an
/// unsealed body gets its last byte flipped instead.
fn corrupt_signature(body: &mut [u8]) {
    let marker = b"application/octet-stream\r\n";
    let at = body
        .windows(marker.len())
        .position(|w| w == marker)
        .map(|p| p + marker.len() + 4 + 6);
    match at.filter(|i| *i < body.len()) {
        Some(i) => body[i] ^= 0x5a,
        None => {
            if let Some(last) = body.last_mut() {
                *last ^= 0x01;
            }
        }
    }
}

/// The `hvremote` binary's path, set by cargo for integration tests.
pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_hvremote")
}

/// Run the binary against the simulated host's account (`admin`) on 127.0.0.1:`port` with
/// `-q`, the password in the environment only, and `args` after the connection flags.
pub async fn run_cli(port: u16, args: &[&str]) -> std::process::Output {
    tokio::process::Command::new(binary())
        .args([
            "-H",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "-u",
            "admin",
            "-q",
        ])
        .args(args)
        .env("HVREMOTE_PASSWORD", "Passw0rd!")
        .env_remove("HVREMOTE_HOST")
        .env_remove("HVREMOTE_USER")
        .output()
        .await
        .unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn clean_export_through_the_proxy_counts_requests_and_sees_authorization() {
        let mut cfg = hvremote::sim::SimConfig::demo();
        cfg.job_duration_ms = 500;
        let sim = hvremote::sim::server::SimServer::start(cfg, Default::default())
            .await
            .unwrap();
        let proxy = start(sim.addr(), None).await;
        let args = ["-o", "json", "export", "web01", "--dest", "D:\\Exports"];
        let out = run_cli(proxy.addr.port(), &args).await;
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(proxy.count.load(Ordering::SeqCst) >= 4);
        assert!(!proxy.log.lock().unwrap().authorizations.is_empty());
        assert_eq!(sim.host().lock().unwrap().export_invocations(), 1);
    }

    #[test]
    fn corrupt_signature_changes_the_checksum_byte() {
        let mut b =
            b"--x\r\n\tContent-Type: application/octet-stream\r\n\x10\0\0\0ABCDEFGHIJKLMNOPdata"
                .to_vec();
        let before = b.clone();
        corrupt_signature(&mut b);
        let diff: Vec<usize> = (0..b.len()).filter(|i| b[*i] != before[*i]).collect();
        assert_eq!(diff.len(), 1);
        assert_eq!(before[diff[0]], b'G');
    }
}
