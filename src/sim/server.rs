//! The simulated host behind a real HTTP/1.1 listener (edge tier: sockets and tokio's clock).
//!
//! What it does: serves `POST /wsman` on a given `TcpListener` with hyper, hands each
//! plaintext SOAP body to a shared [`Host`] with `now` = time since the server started, and
//! applies the injected delay and lost replies (the connection is dropped instead of
//! answering). Authentication: a request without `Authorization` gets `401` with
//! `WWW-Authenticate: Negotiate` (and `Basic realm="WSMAN"` when Basic is enabled), as WinRM
//! answers; HTTP Basic is accepted only when [`ServerOptions::danger_allow_basic_unencrypted`]
//! is set (WinRM's `Basic=true` + `AllowUnencrypted=true`), with the account given as
//! `user`, `DOMAIN\user` or `user@dns.domain`.
//!
//! NTLM: `Negotiate` (raw NTLMSSP or SPNEGO) per connection, then every request must be sealed
//! (`multipart/encrypted`) and every reply is sealed (`sim::server_auth`); the AUTHENTICATE leg
//! may carry the first sealed request. What it does not do: Kerberos, HTTPS, channel bindings.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use base64::Engine;
use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::server_auth::{self, ConnAuth, Leg};
use super::{Host, SimConfig};
use crate::error::{Error, ErrorKind};
use crate::http::encrypted;

/// The SOAP content type of plaintext bodies.
pub const SOAP_CONTENT_TYPE: &str = "application/soap+xml;charset=UTF-8";

/// Listener settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerOptions {
    /// Accept HTTP Basic over plain HTTP (credentials and SOAP travel in clear text).
    pub danger_allow_basic_unencrypted: bool,
    /// Largest request body accepted (bytes); larger requests get 413.
    pub max_request_bytes: usize,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            danger_allow_basic_unencrypted: false,
            max_request_bytes: 1024 * 1024,
        }
    }
}

#[derive(Debug)]
struct Shared {
    host: Arc<Mutex<Host>>,
    opts: ServerOptions,
    start: Instant,
}

/// Serve until `shutdown` completes. Connections already open finish on their own.
pub async fn serve(
    listener: TcpListener,
    host: Arc<Mutex<Host>>,
    opts: ServerOptions,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), Error> {
    let shared = Arc::new(Shared {
        host,
        opts,
        start: Instant::now(),
    });
    tokio::pin!(shutdown);
    loop {
        let (stream, _) = tokio::select! {
            _ = &mut shutdown => return Ok(()),
            accepted = listener.accept() => accepted.map_err(|e| {
                Error::new(ErrorKind::Io, "simulated host could not accept a connection").with_source(e)
            })?,
        };
        let shared = Arc::clone(&shared);
        let conn = Arc::new(Mutex::new(ConnAuth::default()));
        tokio::spawn(async move {
            let svc = service_fn(move |req| answer(Arc::clone(&shared), Arc::clone(&conn), req));
            // A dropped connection (including an injected one) is not an error of the server.
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), svc)
                .await;
        });
    }
}

fn reply(status: StatusCode, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(body.into()));
    *r.status_mut() = status;
    r
}

fn unauthorized(opts: &ServerOptions) -> Response<Full<Bytes>> {
    let mut r = reply(StatusCode::UNAUTHORIZED, Bytes::new());
    let h = r.headers_mut();
    h.append(
        WWW_AUTHENTICATE,
        http::HeaderValue::from_static("Negotiate"),
    );
    if opts.danger_allow_basic_unencrypted {
        h.append(
            WWW_AUTHENTICATE,
            http::HeaderValue::from_static("Basic realm=\"WSMAN\""),
        );
    }
    r
}

/// True when `given` names the configured account as `user`, `DOMAIN\user` or `user@domain`.
pub fn account_matches(configured: &str, given: &str) -> bool {
    let user = given.rsplit_once('\\').map_or(given, |(_, u)| u);
    let user = user.split_once('@').map_or(user, |(u, _)| u);
    !user.is_empty() && user.eq_ignore_ascii_case(configured)
}

fn basic_ok(shared: &Shared, header: &[u8]) -> bool {
    let text = std::str::from_utf8(header).unwrap_or_default();
    let Some((scheme, b64)) = text.trim().split_once(' ') else {
        return false;
    };
    if !shared.opts.danger_allow_basic_unencrypted || !scheme.eq_ignore_ascii_case("Basic") {
        return false;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .unwrap_or_default();
    let pair = zeroize::Zeroizing::new(String::from_utf8(decoded).unwrap_or_default());
    let host = shared.host.lock().unwrap_or_else(PoisonError::into_inner);
    let cfg = &host.state.config;
    pair.split_once(':')
        .is_some_and(|(u, p)| account_matches(&cfg.user, u) && p == cfg.password)
}

fn header_str(req: &Request<Incoming>, name: http::header::HeaderName) -> &str {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

fn is_soap(content_type: &str) -> bool {
    let media = content_type.split(';').next().unwrap_or_default();
    media.trim().eq_ignore_ascii_case("application/soap+xml")
}

fn with_token(mut r: Response<Full<Bytes>>, token: Option<&[u8]>) -> Response<Full<Bytes>> {
    if let Some(t) = token {
        let v = format!(
            "Negotiate {}",
            base64::engine::general_purpose::STANDARD.encode(t)
        );
        if let Ok(v) = http::HeaderValue::from_str(&v) {
            r.headers_mut().insert(WWW_AUTHENTICATE, v);
        }
    }
    r
}

fn closing(mut r: Response<Full<Bytes>>) -> Response<Full<Bytes>> {
    r.headers_mut().insert(
        http::header::CONNECTION,
        http::HeaderValue::from_static("close"),
    );
    r
}

type Answer = Result<Response<Full<Bytes>>, std::io::Error>;

async fn answer(shared: Arc<Shared>, conn: Arc<Mutex<ConnAuth>>, req: Request<Incoming>) -> Answer {
    if req.uri().path() != "/wsman" {
        return Ok(reply(StatusCode::NOT_FOUND, Bytes::new()));
    }
    if req.method() != Method::POST {
        return Ok(reply(StatusCode::METHOD_NOT_ALLOWED, Bytes::new()));
    }
    let auth = header_str(&req, AUTHORIZATION).to_string();
    let content_type = header_str(&req, CONTENT_TYPE).to_string();
    let body = match Limited::new(req.into_body(), shared.opts.max_request_bytes)
        .collect()
        .await
    {
        Ok(b) => b.to_bytes(),
        Err(_) => return Ok(reply(StatusCode::PAYLOAD_TOO_LARGE, Bytes::new())),
    };
    let (scheme, token) = auth.trim().split_once(' ').unwrap_or((auth.trim(), ""));
    let mut final_token = None;
    if scheme.eq_ignore_ascii_case("Negotiate") {
        let raw = base64::engine::general_purpose::STANDARD
            .decode(token.trim())
            .unwrap_or_default();
        let leg = {
            let cfg = shared
                .host
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .state
                .config
                .clone();
            server_auth::lock(&conn).negotiate(&cfg, &raw)
        };
        match leg {
            Leg::Continue(t) => return Ok(with_token(unauthorized(&shared.opts), Some(&t))),
            Leg::Failed => return Ok(closing(unauthorized(&shared.opts))),
            Leg::Done(t) if body.is_empty() => {
                return Ok(with_token(
                    reply(StatusCode::OK, Bytes::new()),
                    t.as_deref(),
                ));
            }
            Leg::Done(t) => final_token = t,
        }
    } else if !auth.is_empty() {
        if !basic_ok(&shared, auth.as_bytes()) || !is_soap(&content_type) {
            return Ok(closing(unauthorized(&shared.opts)));
        }
        let Ok(text) = String::from_utf8(body.to_vec()) else {
            return Ok(reply(StatusCode::BAD_REQUEST, Bytes::new()));
        };
        let (status, out) = run_host(&shared, &text).await?;
        let mut r = reply(status, out);
        r.headers_mut().insert(
            CONTENT_TYPE,
            http::HeaderValue::from_static(SOAP_CONTENT_TYPE),
        );
        return Ok(r);
    }
    sealed_exchange(&shared, &conn, &content_type, &body, final_token).await
}

/// A request on an established NTLM context: it must be sealed; the reply is sealed too.
/// An unsealed request (or none established) gets 401 and the context is dropped, as Windows
/// does with `AllowUnencrypted=false` (winrm-wire.md §1.4); a body that does not unseal gets
/// 400 and also drops the context.
async fn sealed_exchange(
    shared: &Shared,
    conn: &Mutex<ConnAuth>,
    content_type: &str,
    body: &[u8],
    final_token: Option<Vec<u8>>,
) -> Answer {
    let plain = {
        let mut c = server_auth::lock(conn);
        if !encrypted::is_encrypted(content_type) {
            c.reset();
            return Ok(closing(unauthorized(&shared.opts)));
        }
        match c.unseal(content_type, body) {
            Some(Ok(p)) => p,
            None => return Ok(closing(unauthorized(&shared.opts))),
            Some(Err(_)) => {
                c.reset();
                return Ok(closing(reply(StatusCode::BAD_REQUEST, Bytes::new())));
            }
        }
    };
    let Ok(text) = String::from_utf8(plain) else {
        return Ok(reply(StatusCode::BAD_REQUEST, Bytes::new()));
    };
    let (status, out) = run_host(shared, &text).await?;
    let Some((ct, sealed)) = server_auth::lock(conn).seal(out.as_bytes()) else {
        return Ok(closing(unauthorized(&shared.opts)));
    };
    let mut r = with_token(reply(status, sealed), final_token.as_deref());
    if let Ok(v) = http::HeaderValue::from_str(&ct) {
        r.headers_mut().insert(CONTENT_TYPE, v);
    }
    Ok(r)
}

/// Hand a plaintext envelope to the host; apply injected delay and lost replies.
async fn run_host(shared: &Shared, text: &str) -> Result<(StatusCode, String), std::io::Error> {
    let out = {
        let mut host = shared.host.lock().unwrap_or_else(PoisonError::into_inner);
        host.handle(shared.start.elapsed(), text)
    };
    if !out.delay.is_zero() {
        tokio::time::sleep(out.delay).await;
    }
    if out.close_connection {
        return Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            "injected connection close",
        ));
    }
    let status = StatusCode::from_u16(out.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    Ok((status, out.body))
}

/// A running simulated host on a loopback port, for tests and `hvremote demo`.
#[derive(Debug)]
pub struct SimServer {
    addr: SocketAddr,
    host: Arc<Mutex<Host>>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<(), Error>>,
}

impl SimServer {
    /// Bind `127.0.0.1:0` and serve a host built from `config`.
    pub async fn start(config: SimConfig, opts: ServerOptions) -> Result<SimServer, Error> {
        let listener = TcpListener::bind("127.0.0.1:0").await.map_err(|e| {
            Error::new(
                ErrorKind::Io,
                "simulated host could not bind a loopback port",
            )
            .with_source(e)
        })?;
        let addr = listener.local_addr().map_err(|e| {
            Error::new(ErrorKind::Io, "simulated host has no local address").with_source(e)
        })?;
        let host = Arc::new(Mutex::new(Host::new(config)));
        let (tx, rx) = oneshot::channel::<()>();
        let shutdown = async move {
            let _ = rx.await;
        };
        let task = tokio::spawn(serve(listener, Arc::clone(&host), opts, shutdown));
        Ok(SimServer {
            addr,
            host,
            stop: Some(tx),
            task,
        })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>/wsman`.
    pub fn endpoint(&self) -> String {
        format!("http://{}/wsman", self.addr)
    }

    /// The shared host (inspect jobs, invocation counters).
    pub fn host(&self) -> Arc<Mutex<Host>> {
        Arc::clone(&self.host)
    }

    /// Stop accepting connections and wait for the accept loop to end.
    pub async fn stop(mut self) -> Result<(), Error> {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        (&mut self.task)
            .await
            .map_err(|e| Error::new(ErrorKind::Io, format!("simulated host task failed: {e}")))?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_forms() {
        assert!(account_matches("admin", "admin"));
        assert!(account_matches("admin", "HV01\\Admin"));
        assert!(account_matches("admin", "admin@example.test"));
        assert!(!account_matches("admin", "HV01\\other"));
        assert!(!account_matches("admin", ""));
    }
}
