//! The simulated host behind a real HTTP/1.1 or HTTPS listener (edge tier: sockets, TLS and
//! tokio's clock).
//!
//! What it does: serves `POST /wsman` on a given `TcpListener` with hyper, hands each
//! plaintext SOAP body to a shared [`Host`] with `now` = time since the server started, and
//! applies the injected delay and lost replies (the connection is dropped instead of
//! answering). Authentication: a request without `Authorization` gets `401` with
//! `WWW-Authenticate: Negotiate` (and `Basic realm="WSMAN"` when Basic is enabled), as WinRM
//! answers; HTTP Basic is accepted over HTTP only when
//! [`ServerOptions::danger_allow_basic_unencrypted`] is set (WinRM's `Basic=true` +
//! `AllowUnencrypted=true`), over HTTPS when [`ServerOptions::allow_basic`] (or the former) is
//! set, with the account given as `user`, `DOMAIN\user` or `user@dns.domain`.
//!
//! A request with `WSMANIDENTIFY: unauthenticated` and an Identify body is answered without
//! authentication (OS version `0.0.0`).
//! NTLM: `Negotiate` (raw NTLMSSP or SPNEGO) per connection, then every request must be sealed
//! (`multipart/encrypted`) and every reply is sealed (`sim::server_auth`); the AUTHENTICATE leg
//! may carry the first sealed request.
//!
//! HTTPS ([`ServerOptions::tls`], `sim::tls`): accepted sockets are wrapped in tokio-rustls.
//! NTLM then requires channel bindings matching the certificate (like
//! `CbtHardeningLevel=Strict`; missing or wrong bindings get 401), and requests on the
//! authenticated connection may be plain `application/soap+xml` (answered plain, as Windows does
//! since TLS protects them, winrm-wire.md §1.5) or sealed (answered sealed).
//!
//! Kerberos ([`ServerOptions::keytab`], `kerberos` cargo feature): the 401 also offers
//! `Kerberos`; `Authorization: Negotiate` takes raw krb5 or SPNEGO(krb5) tokens besides NTLM,
//! `Authorization: Kerberos` takes raw krb5 only (told apart by their bytes, `sim::server_krb`).
//! The 200 that completes the context carries the mutual-auth token under the same scheme, and
//! over HTTP every message is sealed with the scheme's protocol string
//! (`HTTP-Kerberos-session-encrypted` or `HTTP-SPNEGO-session-encrypted`); over HTTPS messages may
//! be plain, and bindings in the client's authenticator are checked when present. GSSAPI reads
//! the keytab from `KRB5_KTNAME`, which must name [`ServerOptions::keytab`] (checked at start).
//! `-v` logs the mechanism and client principal of each authenticated connection.
//! Bounds: request bodies over [`ServerOptions::max_request_bytes`] get 413; at most
//! [`ServerOptions::max_connections`] connections are served at once (more get 503 and are
//! closed); headers must arrive within [`ServerOptions::header_read_timeout`]; the host itself
//! keeps at most `sim::enumerate::MAX_CONTEXTS` enumeration contexts open.
//! What it does not do: certificate authentication, HTTP/2.

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use base64::Engine;
use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_TYPE};
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, oneshot};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::server_auth::{
    self, Accepting, ConnAuth, Leg, closing, is_soap, offering, reply, unauthorized, with_token,
};
use super::server_krb::Scheme;
use super::tls::SimTls;
use super::{Host, SimConfig};
use crate::error::{Error, ErrorKind};
use crate::http::encrypted;

/// The SOAP content type of plaintext bodies.
pub const SOAP_CONTENT_TYPE: &str = "application/soap+xml;charset=UTF-8";

pub use super::server_auth::account_matches;

/// Listener settings.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// Accept HTTP Basic over plain HTTP (credentials and SOAP travel in clear text); implies
    /// [`ServerOptions::allow_basic`] over HTTPS.
    pub danger_allow_basic_unencrypted: bool,
    /// Accept HTTP Basic over HTTPS (WinRM `Service/Auth/Basic=true`).
    pub allow_basic: bool,
    /// Largest request body accepted (bytes); larger requests get 413.
    pub max_request_bytes: usize,
    /// Serve HTTPS with this certificate (NTLM then requires channel bindings).
    pub tls: Option<SimTls>,
    /// Most connections served at once; a connection beyond it gets `503` (over HTTP) and is
    /// closed, so a misbehaving client cannot exhaust the host's sockets and tasks.
    pub max_connections: usize,
    /// How long a connection may take to send a request's headers (also bounds idle
    /// keep-alive connections); `None` waits forever.
    pub header_read_timeout: Option<Duration>,
    /// When set, the host's clock is logical: it advances by this step for every SOAP message
    /// handled instead of following wall time, so job progress seen by each poll does not
    /// depend on how fast the client or the machine is (deterministic fixture recordings).
    pub clock_step: Option<Duration>,
    /// Accept Kerberos with the service keys of this keytab (needs the `kerberos` feature, and
    /// `KRB5_KTNAME` must name it: GSSAPI reads the keytab from there).
    pub keytab: Option<PathBuf>,
    /// Accept NTLM with the scenario's account (default true; false for a Kerberos-only host).
    pub ntlm: bool,
    /// With a keytab: offer and accept only the `Kerberos` HTTP scheme, not `Negotiate` (as
    /// Exchange's endpoint does; for testing a client's fallback to that scheme).
    pub kerberos_scheme_only: bool,
}

/// Default of [`ServerOptions::max_connections`].
pub const DEFAULT_MAX_CONNECTIONS: usize = 64;
/// Default of [`ServerOptions::max_request_bytes`].
pub const DEFAULT_MAX_REQUEST_BYTES: usize = 1024 * 1024;
/// Default of [`ServerOptions::header_read_timeout`].
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(60);

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            danger_allow_basic_unencrypted: false,
            allow_basic: false,
            max_request_bytes: DEFAULT_MAX_REQUEST_BYTES,
            tls: None,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            header_read_timeout: Some(DEFAULT_HEADER_READ_TIMEOUT),
            clock_step: None,
            keytab: None,
            ntlm: true,
            kerberos_scheme_only: false,
        }
    }
}

impl ServerOptions {
    /// Whether HTTP Basic is accepted on this listener.
    pub fn basic_enabled(&self) -> bool {
        match self.tls {
            Some(_) => self.allow_basic || self.danger_allow_basic_unencrypted,
            None => self.danger_allow_basic_unencrypted,
        }
    }

    /// Check the options before serving: a keytab needs the `kerberos` feature, an existing
    /// file named by `KRB5_KTNAME`, and service keys GSSAPI can use.
    pub fn check(&self) -> Result<(), Error> {
        match &self.keytab {
            Some(keytab) => check_kerberos(keytab),
            None => Ok(()),
        }
    }

    fn accepting(&self) -> Accepting<'_> {
        Accepting {
            ntlm: self.ntlm,
            keytab: self.keytab.as_deref(),
        }
    }
}

#[cfg(feature = "kerberos")]
fn check_kerberos(keytab: &std::path::Path) -> Result<(), Error> {
    if !keytab.is_file() {
        return Err(Error::new(
            ErrorKind::Usage,
            format!(
                "keytab {} does not exist or is not a file",
                keytab.display()
            ),
        ));
    }
    crate::kerberos::Acceptor::new(Some(keytab))
        .map(drop)
        .map_err(|e| e.context(format!("simulated host keytab {}", keytab.display())))
}

#[cfg(not(feature = "kerberos"))]
fn check_kerberos(_: &std::path::Path) -> Result<(), Error> {
    Err(Error::new(
        ErrorKind::Usage,
        "this build has no kerberos support, so it cannot accept kerberos with a keytab; build \
         with `cargo build --release --features kerberos` (needs libkrb5-dev and libclang-dev)",
    ))
}

#[derive(Debug)]
struct Shared {
    host: Arc<Mutex<Host>>,
    opts: ServerOptions,
    start: Instant,
    soap_messages: AtomicU64,
    http_requests: Arc<AtomicU64>,
}

/// Serve until `shutdown` completes. Connections already open finish on their own.
pub async fn serve(
    listener: TcpListener,
    host: Arc<Mutex<Host>>,
    opts: ServerOptions,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), Error> {
    serve_counted(listener, host, opts, Arc::default(), shutdown).await
}

/// [`serve`], counting every HTTP request (NTLM legs and 401s included) in `http_requests`
/// and logging each at `info` level (`sim: http request n=…`), so benchmarks can count
/// round trips from the host's side.
pub async fn serve_counted(
    listener: TcpListener,
    host: Arc<Mutex<Host>>,
    opts: ServerOptions,
    http_requests: Arc<AtomicU64>,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), Error> {
    opts.check()?;
    let shared = Arc::new(Shared {
        host,
        opts,
        start: Instant::now(),
        soap_messages: AtomicU64::new(0),
        http_requests,
    });
    let slots = Arc::new(Semaphore::new(shared.opts.max_connections));
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            _ = &mut shutdown => return Ok(()),
            accepted = listener.accept() => accepted.map_err(|e| {
                Error::new(ErrorKind::Io, "simulated host could not accept a connection").with_source(e)
            })?,
        };
        let Ok(permit) = Arc::clone(&slots).try_acquire_owned() else {
            tracing::warn!(
                %peer,
                limit = shared.opts.max_connections,
                "sim: connection refused: too many open connections (raise it with --max-connections)"
            );
            tokio::spawn(refuse(stream, shared.opts.tls.is_none()));
            continue;
        };
        let shared = Arc::clone(&shared);
        tokio::spawn(async move {
            let _permit = permit;
            let Some(tls) = shared.opts.tls.clone() else {
                return serve_conn(shared, stream, ConnAuth::default()).await;
            };
            // A failed handshake (e.g. an untrusting client) only ends that connection.
            if let Some(stream) = tls.accept(stream).await {
                let auth = ConnAuth::with_bindings(tls.channel_bindings().to_vec());
                serve_conn(shared, stream, auth).await;
            }
        });
    }
}

async fn serve_conn<S>(shared: Arc<Shared>, stream: S, auth: ConnAuth)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let conn = Arc::new(Mutex::new(auth));
    let header_timeout = shared.opts.header_read_timeout;
    let svc = service_fn(move |req| answer(Arc::clone(&shared), Arc::clone(&conn), req));
    let mut builder = http1::Builder::new();
    match header_timeout {
        Some(t) => builder.timer(TokioTimer::new()).header_read_timeout(t),
        None => builder.header_read_timeout(None),
    };
    // A dropped connection (including an injected one) is not an error of the server.
    let _ = builder.serve_connection(TokioIo::new(stream), svc).await;
}

/// Answer a connection over the limit: `503` with `Connection: close` over plain HTTP (the
/// request is not read), a plain close over TLS.
async fn refuse(mut stream: tokio::net::TcpStream, plain_http: bool) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    if plain_http {
        let _ = stream.write_all(REFUSED_RESPONSE).await;
    }
    let _ = stream.shutdown().await;
    // Drain what the client already sent (briefly, bounded) so that closing does not reset the
    // connection and destroy the 503 before the client reads it.
    let mut sink = [0u8; 4096];
    let drain = async {
        let mut total = 0usize;
        while let Ok(n @ 1..) = stream.read(&mut sink).await {
            total += n;
            if total > DEFAULT_MAX_REQUEST_BYTES {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(2), drain).await;
}

const REFUSED_RESPONSE: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\nRetry-After: 1\r\n\r\n";

impl Shared {
    /// The bare 401 of this listener.
    fn challenge(&self) -> Response<Full<Bytes>> {
        let kerberos = self.opts.keytab.is_some();
        if kerberos && self.opts.kerberos_scheme_only {
            return offering(false, true, self.opts.basic_enabled());
        }
        unauthorized(self.opts.basic_enabled(), kerberos)
    }

    /// Whether `scheme` is accepted on this listener.
    fn accepts(&self, scheme: Scheme) -> bool {
        let kerberos = self.opts.keytab.is_some();
        match scheme {
            Scheme::Negotiate => !(kerberos && self.opts.kerberos_scheme_only),
            _ => kerberos,
        }
    }
}

fn basic_ok(shared: &Shared, header: &str) -> bool {
    if !shared.opts.basic_enabled() {
        return false;
    }
    let host = shared.host.lock().unwrap_or_else(PoisonError::into_inner);
    server_auth::basic_matches(&host.state.config, header)
}

fn header_str(req: &Request<Incoming>, name: http::header::HeaderName) -> &str {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

type Answer = Result<Response<Full<Bytes>>, std::io::Error>;

async fn answer(shared: Arc<Shared>, conn: Arc<Mutex<ConnAuth>>, req: Request<Incoming>) -> Answer {
    let n = shared.http_requests.fetch_add(1, Ordering::Relaxed) + 1;
    tracing::info!(n, "sim: http request");
    if req.uri().path() != "/wsman" {
        return Ok(reply(StatusCode::NOT_FOUND, Bytes::new()));
    }
    if req.method() != Method::POST {
        return Ok(reply(StatusCode::METHOD_NOT_ALLOWED, Bytes::new()));
    }
    let auth = header_str(&req, AUTHORIZATION).to_string();
    let content_type = header_str(&req, CONTENT_TYPE).to_string();
    let unauthenticated_identify =
        header_str(&req, http::header::HeaderName::from_static("wsmanidentify"))
            .eq_ignore_ascii_case("unauthenticated");
    let body = match Limited::new(req.into_body(), shared.opts.max_request_bytes)
        .collect()
        .await
    {
        Ok(b) => b.to_bytes(),
        Err(_) => return Ok(reply(StatusCode::PAYLOAD_TOO_LARGE, Bytes::new())),
    };
    if auth.is_empty() && !server_auth::lock(&conn).established() && unauthenticated_identify {
        let text = String::from_utf8_lossy(&body);
        let out = shared
            .host
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .identify_unauthenticated(&text);
        if let Some(out) = out {
            let mut r = reply(StatusCode::OK, out.body);
            r.headers_mut().insert(
                CONTENT_TYPE,
                http::HeaderValue::from_static(SOAP_CONTENT_TYPE),
            );
            return Ok(r);
        }
    }
    let (scheme, token) = auth.trim().split_once(' ').unwrap_or((auth.trim(), ""));
    let mut final_token = None;
    let mut auth_scheme = Scheme::Negotiate;
    let negotiated = Scheme::parse(scheme).filter(|s| shared.accepts(*s));
    if let Some(sch) = negotiated {
        auth_scheme = sch;
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
            server_auth::lock(&conn).authenticate(&cfg, shared.opts.accepting(), sch, &raw)
        };
        match leg {
            Leg::Continue(t) => {
                return Ok(with_token(shared.challenge(), sch, Some(&t)));
            }
            Leg::Failed => return Ok(closing(shared.challenge())),
            Leg::Done(t) if body.is_empty() => {
                return Ok(with_token(
                    reply(StatusCode::OK, Bytes::new()),
                    sch,
                    t.as_deref(),
                ));
            }
            Leg::Done(t) => final_token = t,
        }
    } else if Scheme::parse(scheme).is_some() {
        // A scheme this listener does not offer: a plain challenge listing what it does offer,
        // keeping the connection (nothing was authenticated or refused yet).
        server_auth::lock(&conn).reset();
        return Ok(shared.challenge());
    } else if !auth.is_empty() {
        if !basic_ok(&shared, &auth) || !is_soap(&content_type) {
            return Ok(closing(shared.challenge()));
        }
        return plain_exchange(&shared, &body, None).await;
    }
    let token = final_token.as_deref().map(|t| (auth_scheme, t));
    let tls_plain = shared.opts.tls.is_some() && is_soap(&content_type);
    if tls_plain && server_auth::lock(&conn).established() {
        return plain_exchange(&shared, &body, token).await;
    }
    sealed_exchange(&shared, &conn, &content_type, &body, token).await
}

/// The final handshake token to send with a reply, under its scheme.
type FinalToken<'a> = Option<(Scheme, &'a [u8])>;

fn with_final(r: Response<Full<Bytes>>, token: FinalToken<'_>) -> Response<Full<Bytes>> {
    match token {
        Some((scheme, t)) => with_token(r, scheme, Some(t)),
        None => r,
    }
}

/// An authenticated request whose body is not sealed (Basic, or NTLM/Kerberos over HTTPS).
async fn plain_exchange(shared: &Shared, body: &[u8], final_token: FinalToken<'_>) -> Answer {
    let Ok(text) = std::str::from_utf8(body) else {
        return Ok(reply(StatusCode::BAD_REQUEST, Bytes::new()));
    };
    let (status, out) = run_host(shared, text).await?;
    let mut r = with_final(reply(status, out), final_token);
    r.headers_mut().insert(
        CONTENT_TYPE,
        http::HeaderValue::from_static(SOAP_CONTENT_TYPE),
    );
    Ok(r)
}

/// A request on an established NTLM or Kerberos context: it must be sealed; the reply is sealed
/// too. An unsealed request (or none established) gets 401 and the context is dropped, as
/// Windows does with `AllowUnencrypted=false` (winrm-wire.md §1.4); a body that does not unseal
/// (bad wrap, tampering, another protocol string) gets 400 and also drops the context.
async fn sealed_exchange(
    shared: &Shared,
    conn: &Mutex<ConnAuth>,
    content_type: &str,
    body: &[u8],
    final_token: FinalToken<'_>,
) -> Answer {
    let plain = {
        let mut c = server_auth::lock(conn);
        if !encrypted::is_encrypted(content_type) {
            if c.established() {
                tracing::info!("sim: unsealed request on a sealed connection refused");
            }
            c.reset();
            return Ok(closing(shared.challenge()));
        }
        match c.unseal(content_type, body) {
            Some(Ok(p)) => p,
            None => return Ok(closing(shared.challenge())),
            Some(Err(e)) => {
                tracing::info!("sim: sealed request refused: {e}");
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
        return Ok(closing(shared.challenge()));
    };
    let mut r = with_final(reply(status, sealed), final_token);
    if let Ok(v) = http::HeaderValue::from_str(&ct) {
        r.headers_mut().insert(CONTENT_TYPE, v);
    }
    Ok(r)
}

/// The host's `now`: wall time since the start, or the logical clock of
/// [`ServerOptions::clock_step`] (one step per SOAP message).
fn host_now(shared: &Shared) -> Duration {
    let n = shared.soap_messages.fetch_add(1, Ordering::Relaxed) + 1;
    match shared.opts.clock_step {
        Some(step) => step.saturating_mul(u32::try_from(n).unwrap_or(u32::MAX)),
        None => shared.start.elapsed(),
    }
}

/// Hand a plaintext envelope to the host; apply injected delay and lost replies.
async fn run_host(shared: &Shared, text: &str) -> Result<(StatusCode, String), std::io::Error> {
    let out = {
        let mut host = shared.host.lock().unwrap_or_else(PoisonError::into_inner);
        host.handle(host_now(shared), text)
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
    https: bool,
    host: Arc<Mutex<Host>>,
    http_requests: Arc<AtomicU64>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<(), Error>>,
}

impl SimServer {
    /// Bind `127.0.0.1:0` and serve a host built from `config`.
    pub async fn start(config: SimConfig, opts: ServerOptions) -> Result<SimServer, Error> {
        opts.check()?;
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
        let https = opts.tls.is_some();
        let http_requests = Arc::new(AtomicU64::new(0));
        let task = tokio::spawn(serve_counted(
            listener,
            Arc::clone(&host),
            opts,
            Arc::clone(&http_requests),
            shutdown,
        ));
        Ok(SimServer {
            addr,
            https,
            host,
            http_requests,
            stop: Some(tx),
            task,
        })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>/wsman`, or `https://…` when serving TLS.
    pub fn endpoint(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        format!("{scheme}://{}/wsman", self.addr)
    }

    /// The shared host (inspect jobs, invocation counters).
    pub fn host(&self) -> Arc<Mutex<Host>> {
        Arc::clone(&self.host)
    }

    /// HTTP requests received so far (every leg: 401 challenges, NTLM legs, SOAP).
    pub fn http_requests(&self) -> u64 {
        self.http_requests.load(Ordering::Relaxed)
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
    fn basic_enabled_depends_on_scheme() {
        let mut o = ServerOptions {
            allow_basic: true,
            ..ServerOptions::default()
        };
        assert!(
            !o.basic_enabled(),
            "allow_basic alone does not open plain http"
        );
        o.danger_allow_basic_unencrypted = true;
        assert!(o.basic_enabled());
        let tls = SimTls::generate(&super::super::tls::loopback_names(), None).ok();
        let mut o = ServerOptions {
            tls,
            ..ServerOptions::default()
        };
        assert!(!o.basic_enabled());
        o.allow_basic = true;
        assert!(o.basic_enabled());
    }
}
