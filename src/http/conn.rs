//! One authenticated HTTP/1.1 connection: TCP (+ TLS), the hyper `client::conn::http1`
//! handle, and the NTLM handshake that binds a security context to it.
//!
//! NTLM authenticates the TCP connection, not the request (winrm-wire.md §1.3): the three legs
//! and every sealed message use this one socket; when it drops, the context is gone. The legs
//! are body-less POSTs (`Content-Length: 0`) with raw NTLMSSP in `Authorization: Negotiate`
//! (§1.2). Over HTTPS the AUTHENTICATE carries channel bindings (§3.6).
//!
//! What this module does not do: send SOAP (see `http::client`).

use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Request, StatusCode, header};
use http_body_util::{BodyExt, Full, Limited};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::task::JoinHandle;

use super::auth::{self, AuthScheme};
use super::config::HttpConfig;
use super::encrypted::{SPNEGO_PROTOCOL, Sealer};
use super::tls;
use crate::error::{Error, ErrorKind};
use crate::ntlm;

/// User-Agent sent on every request.
pub const USER_AGENT: &str = concat!("hvremote/", env!("CARGO_PKG_VERSION"));

/// A live connection and, for NTLM or Kerberos, its security context.
pub(crate) struct Conn {
    pub(crate) sender: SendRequest<Full<Bytes>>,
    pub(crate) session: Option<Session>,
    driver: JoinHandle<()>,
}

/// The security context bound to one connection: the authentication-mechanism seam. Both
/// mechanisms seal through [`Sealer`]; the protocol string follows the HTTP scheme the context
/// was built under.
pub(crate) enum Session {
    /// NTLM (always under `Negotiate`).
    Ntlm(Box<ntlm::Session>),
    /// Kerberos, under the `Negotiate` or the `Kerberos` HTTP scheme.
    #[cfg(feature = "kerberos")]
    Kerberos(
        Box<crate::kerberos::KerberosSession>,
        crate::kerberos::HttpScheme,
    ),
}

impl Session {
    /// The `multipart/encrypted` protocol string for this context.
    pub(crate) fn protocol(&self) -> &'static str {
        match self {
            Session::Ntlm(_) => SPNEGO_PROTOCOL,
            #[cfg(feature = "kerberos")]
            Session::Kerberos(_, scheme) => scheme.protocol(),
        }
    }

    /// The sealer for message encryption.
    pub(crate) fn sealer(&mut self) -> &mut dyn Sealer {
        match self {
            Session::Ntlm(s) => s.as_mut(),
            #[cfg(feature = "kerberos")]
            Session::Kerberos(s, _) => s.as_mut(),
        }
    }

    /// Whether this is a Kerberos context (one fresh authentication after a 401 is allowed).
    pub(crate) fn is_kerberos(&self) -> bool {
        match self {
            Session::Ntlm(_) => false,
            #[cfg(feature = "kerberos")]
            Session::Kerberos(..) => true,
        }
    }

    /// Whether the context can no longer be used (an expired Kerberos ticket); NTLM never expires.
    pub(crate) fn expired(&self) -> bool {
        match self {
            Session::Ntlm(_) => false,
            #[cfg(feature = "kerberos")]
            Session::Kerberos(s, _) => s.expired(),
        }
    }

    /// Why the last seal failed (Kerberos wrap errors; NTLM sealing cannot fail).
    pub(crate) fn take_seal_error(&mut self) -> Option<String> {
        match self {
            Session::Ntlm(_) => None,
            #[cfg(feature = "kerberos")]
            Session::Kerberos(s, _) => s.take_last_error(),
        }
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        self.driver.abort();
    }
}

/// A response read to the end.
pub(crate) struct ReadResponse {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

/// Open TCP (+TLS) and start the HTTP/1.1 connection; returns it and the channel bindings.
pub(crate) async fn open(
    cfg: &HttpConfig,
    tls_config: Option<&std::sync::Arc<rustls::ClientConfig>>,
) -> Result<(Conn, Option<Vec<u8>>), Error> {
    let ep = &cfg.endpoint;
    let authority = ep.authority();
    let connect = TcpStream::connect((ep.host.as_str(), ep.port));
    let tcp = tokio::time::timeout(cfg.connect_timeout, connect)
        .await
        .map_err(|_| connect_timeout(cfg, &authority))?
        .map_err(|e| {
            Error::new(
                ErrorKind::Connect,
                format!("cannot connect to {authority}: {e}"),
            )
            .with_source(e)
        })?;
    let _ = tcp.set_nodelay(true);
    let Some(tls_config) = tls_config else {
        return Ok((start(TokioIo::new(tcp)).await?, None));
    };
    let name = tls::server_name(&ep.host, &cfg.tls)?;
    let connector = tokio_rustls::TlsConnector::from(tls_config.clone());
    let stream = tokio::time::timeout(cfg.connect_timeout, connector.connect(name, tcp))
        .await
        .map_err(|_| connect_timeout(cfg, &authority))?
        .map_err(|e| tls::handshake_error(e, &authority))?;
    let leaf = stream
        .get_ref()
        .1
        .peer_certificates()
        .and_then(|c| c.first());
    let bindings = match leaf {
        Some(cert) => Some(tls::channel_binding_data(cert.as_ref())?),
        None => None,
    };
    Ok((start(TokioIo::new(stream)).await?, bindings))
}

fn connect_timeout(cfg: &HttpConfig, authority: &str) -> Error {
    Error::new(
        ErrorKind::Timeout,
        format!(
            "connecting to {authority} timed out after {}s (--connect-timeout)",
            cfg.connect_timeout.as_secs_f32()
        ),
    )
}

async fn start<T>(io: T) -> Result<Conn, Error>
where
    T: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    // Title-case header names, as every Windows-facing peer sends them.
    let (sender, connection) = hyper::client::conn::http1::Builder::new()
        .title_case_headers(true)
        .handshake(io)
        .await
        .map_err(|e| Error::new(ErrorKind::Connect, format!("http setup failed: {e}")))?;
    let driver = tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::debug!("http connection ended: {e}");
        }
    });
    Ok(Conn {
        sender,
        session: None,
        driver,
    })
}

/// A POST to the endpoint path with the WinRM headers and an exact Content-Length.
pub(crate) fn post(
    cfg: &HttpConfig,
    body: Vec<u8>,
    content_type: Option<&str>,
    authorization: Option<HeaderValue>,
) -> Result<Request<Full<Bytes>>, Error> {
    let mut req = Request::post(cfg.endpoint.path.as_str())
        .header(header::HOST, cfg.endpoint.authority())
        .header(header::CONTENT_LENGTH, body.len())
        .header(header::CONNECTION, "Keep-Alive")
        .header(header::USER_AGENT, USER_AGENT)
        .header(header::ACCEPT_ENCODING, "identity");
    if let Some(ct) = content_type {
        req = req.header(header::CONTENT_TYPE, ct);
    }
    if let Some(a) = authorization {
        req = req.header(header::AUTHORIZATION, a);
    }
    req.body(Full::new(Bytes::from(body))).map_err(|e| {
        Error::new(
            ErrorKind::Usage,
            format!("cannot build the http request: {e}"),
        )
    })
}

/// Read a response body, enforcing the size limit.
pub(crate) async fn read(
    resp: http::Response<hyper::body::Incoming>,
    limit: usize,
    what: &str,
) -> Result<ReadResponse, Error> {
    let (parts, body) = resp.into_parts();
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large(limit, what));
    }
    let body = Limited::new(body, limit).collect().await.map_err(|e| {
        if e.is::<http_body_util::LengthLimitError>() {
            too_large(limit, what)
        } else {
            lost(what)
        }
    })?;
    Ok(ReadResponse {
        status: parts.status,
        headers: parts.headers,
        body: body.to_bytes(),
    })
}

fn too_large(limit: usize, what: &str) -> Error {
    Error::new(
        ErrorKind::LimitExceeded,
        format!(
            "the response to {what} exceeds the limit of {limit} bytes (raise it with --max-response-size)"
        ),
    )
}

/// The error for a connection that broke after the request may have been written.
pub(crate) fn lost(what: &str) -> Error {
    Error::new(
        ErrorKind::Connect,
        format!(
            "connection lost while waiting for the response to {what}; the request may have been processed"
        ),
    )
}

/// Run the NTLM legs on `conn`; on success `conn.session` holds the security context.
pub(crate) async fn ntlm_handshake(
    conn: &mut Conn,
    cfg: &HttpConfig,
    bindings: Option<Vec<u8>>,
) -> Result<(), Error> {
    let credentials = ntlm::Credentials::new(&cfg.user, cfg.password())?;
    let mut client = ntlm::Client::new(ntlm::ClientConfig {
        credentials,
        target_spn: format!("HTTP/{}", cfg.endpoint.host),
        channel_bindings: bindings,
    });
    let negotiate = client.negotiate();
    let first = leg(
        conn,
        cfg,
        auth::negotiate_value(&negotiate),
        "ntlm negotiate",
    )
    .await?;
    let challenges = auth::parse_www_authenticate(
        first
            .headers
            .get_all(header::WWW_AUTHENTICATE)
            .iter()
            .map(|v| v.as_bytes()),
    );
    let token = auth::find_token(&challenges, &AuthScheme::Negotiate)
        .or_else(|| auth::find_token(&challenges, &AuthScheme::Ntlm));
    let Some(challenge) = token.filter(|_| first.status == StatusCode::UNAUTHORIZED) else {
        return Err(no_challenge(
            cfg,
            first.status,
            &auth::scheme_list(&challenges),
        ));
    };
    let authenticate = client.authenticate(&challenge)?;
    let last = leg(
        conn,
        cfg,
        auth::negotiate_value(&authenticate),
        "ntlm authenticate",
    )
    .await?;
    if last.status == StatusCode::UNAUTHORIZED {
        return Err(rejected(cfg));
    }
    if !last.status.is_success() {
        return Err(Error::new(
            ErrorKind::Auth,
            format!(
                "the host answered http {} to the ntlm authenticate message",
                last.status.as_u16()
            ),
        ));
    }
    conn.session = Some(Session::Ntlm(Box::new(client.into_session()?)));
    tracing::debug!(endpoint = %cfg.endpoint, "ntlm context established");
    Ok(())
}

/// One body-less authentication POST carrying `authorization`; the response read to the end.
pub(crate) async fn leg(
    conn: &mut Conn,
    cfg: &HttpConfig,
    authorization: HeaderValue,
    what: &str,
) -> Result<ReadResponse, Error> {
    let request = post(cfg, Vec::new(), None, Some(authorization))?;
    let exchange = async {
        conn.sender.ready().await.map_err(|_| lost(what))?;
        let resp = conn
            .sender
            .send_request(request)
            .await
            .map_err(|_| lost(what))?;
        read(resp, 64 * 1024, what).await
    };
    let out = tokio::time::timeout(cfg.read_timeout, exchange)
        .await
        .map_err(|_| read_timeout(cfg.read_timeout, what))??;
    tracing::debug!(leg = what, status = out.status.as_u16(), "auth leg");
    Ok(out)
}

/// The error for an exchange that exceeded the read timeout.
pub(crate) fn read_timeout(t: Duration, what: &str) -> Error {
    Error::new(
        ErrorKind::Timeout,
        format!(
            "no response to {what} within {}s (raise it with --read-timeout)",
            t.as_secs_f32()
        ),
    )
}

fn no_challenge(cfg: &HttpConfig, status: StatusCode, offered: &str) -> Error {
    Error::new(
        ErrorKind::Auth,
        format!(
            "{} did not answer the ntlm negotiate message with a challenge (http {}, schemes offered: {offered}); \
             is Negotiate authentication enabled on the WinRM service?",
            cfg.endpoint,
            status.as_u16()
        ),
    )
}

/// The error for a 401 after AUTHENTICATE (or Basic), with the likely causes.
pub(crate) fn rejected(cfg: &HttpConfig) -> Error {
    Error::new(
        ErrorKind::Auth,
        format!(
            "{} rejected the credentials of user '{}'; likely causes: wrong password or user form \
             (DOMAIN\\user, user@domain, or user for a local account); a local account that is not \
             in Administrators or is filtered by UAC remote restrictions (LocalAccountTokenFilterPolicy=0); \
             Negotiate (or Basic) authentication disabled on the WinRM service; the host requires \
             channel binding (CbtHardeningLevel=Strict: connect over https)",
            cfg.endpoint, cfg.user
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::Endpoint;

    fn cfg() -> HttpConfig {
        let ep = Endpoint::parse("[::1]:5985", false).unwrap_or_else(|e| panic!("{e}"));
        HttpConfig::new(ep, "CORP\\bob", "topsecret")
    }

    #[test]
    fn auth_leg_request_has_winrm_headers() {
        let r = post(&cfg(), Vec::new(), None, Some(auth::negotiate_value(b"x")));
        let Ok(r) = r else { panic!("request") };
        let h = r.headers();
        assert_eq!(r.uri().path(), "/wsman");
        assert_eq!(
            h.get(header::HOST).map(|v| v.as_bytes()),
            Some(&b"[::1]:5985"[..])
        );
        assert_eq!(
            h.get(header::CONTENT_LENGTH).map(|v| v.as_bytes()),
            Some(&b"0"[..])
        );
        assert_eq!(
            h.get(header::CONNECTION).map(|v| v.as_bytes()),
            Some(&b"Keep-Alive"[..])
        );
        assert!(
            h.get(header::AUTHORIZATION)
                .is_some_and(|v| v.is_sensitive())
        );
        assert!(h.get(header::CONTENT_TYPE).is_none());
    }

    #[test]
    fn rejection_lists_causes_without_password() {
        let msg = rejected(&cfg()).to_string();
        for needle in [
            "wrong password",
            "LocalAccountTokenFilterPolicy",
            "Negotiate",
            "channel binding",
            "CORP\\bob",
        ] {
            assert!(msg.contains(needle), "{needle}: {msg}");
        }
        assert!(!msg.contains("topsecret"));
        assert!(
            read_timeout(Duration::from_secs(90), "A")
                .to_string()
                .contains("--read-timeout")
        );
        assert!(
            lost("urn:x")
                .to_string()
                .contains("may have been processed")
        );
    }
}
