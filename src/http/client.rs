//! [`HttpTransport`]: the [`Transport`] that talks to a real WinRM listener.
//!
//! Exactly one pinned HTTP/1.1 connection per authentication context, behind a tokio mutex (no
//! pool): NTLM binds the security context and its RC4 streams to that socket, so requests are
//! strictly one at a time (winrm-wire.md §1.3, §2.6). Over HTTP every request is sealed and every
//! `multipart/encrypted` response (faults on 400/500 included) is unsealed and verified (§1.4,
//! §2.5). Over HTTPS NTLM adds channel bindings and does not seal (§1.5). Basic sends the
//! password on each request and is refused over HTTP unless `allow_unencrypted`.
//!
//! Failure rules: a connection found closed before sending is replaced by a freshly
//! authenticated one; a request whose bytes may have reached the host is never re-sent (the
//! error says so and [`Transport::last_delivery`] is `MaybeSent`). Any broken exchange drops
//! the connection, so the next request authenticates afresh.
//!
//! Kerberos ([`Auth::Kerberos`], feature `kerberos`, see `krb`): the same pinned connection and
//! sealing, with the protocol string of the HTTP scheme the context was built under. A context
//! whose ticket has expired is replaced before sending (fresh authentication on a new
//! connection). A 401 to a request on a Kerberos-authenticated connection proves the request
//! was not processed, so the transport authenticates afresh ONCE and re-sends; a second 401 is
//! an `Auth` error. (NTLM keeps its rule: a 401 is reported and nothing is re-sent.)
//!
//! Logging: `info` one line per exchange (action, status, elapsed), `trace` the decrypted SOAP.
//! Authorization values, passwords and keys are never logged.

use std::sync::{Arc, Mutex as StdMutex};
use std::time::Instant;

use http::{HeaderValue, StatusCode, header};
use tokio::sync::Mutex;

use super::auth;
use super::config::{Auth, HttpConfig};
use super::conn::{self, Conn, ReadResponse};
use super::encrypted;
use crate::error::{Error, ErrorKind};
use crate::transport::{BoxFuture, Delivery, SoapRequest, SoapResponse, Transport};

/// Content-Type of unsealed SOAP.
pub const SOAP_CONTENT_TYPE: &str = "application/soap+xml;charset=UTF-8";

/// WinRM over HTTP(S) with NTLM or Kerberos (sealed) or Basic authentication.
pub struct HttpTransport {
    cfg: HttpConfig,
    url: String,
    tls: Option<Arc<rustls::ClientConfig>>,
    basic: Option<HeaderValue>,
    conn: Mutex<Option<Conn>>,
    delivery: StdMutex<Delivery>,
}

impl std::fmt::Debug for HttpTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpTransport")
            .field("cfg", &self.cfg)
            .finish()
    }
}

/// A failed exchange: the error and whether the request may have reached the host.
struct Failure(Error, Delivery);

impl HttpTransport {
    /// Validate `cfg` and prepare TLS; connects on the first exchange.
    pub fn connect_lazy(cfg: HttpConfig) -> Result<HttpTransport, Error> {
        let https = cfg.endpoint.is_https();
        let basic = match &cfg.auth {
            Auth::Basic if !https && !cfg.allow_unencrypted => {
                return Err(Error::new(
                    ErrorKind::Usage,
                    "basic authentication over http would send the password and all data in clear text; \
                     use https, or pass --allow-unencrypted if the host allows it",
                ));
            }
            Auth::Basic => Some(auth::basic_value(&cfg.user, cfg.password())?),
            #[cfg(not(feature = "kerberos"))]
            Auth::Kerberos(_) => {
                return Err(Error::new(
                    ErrorKind::Usage,
                    "kerberos support is not in this build: rebuild with `cargo build --release \
                     --features kerberos` (needs libkrb5-dev, libclang-dev and pkg-config)",
                ));
            }
            _ => None,
        };
        let tls = if https {
            Some(super::tls::client_config(&cfg.tls)?)
        } else {
            None
        };
        Ok(HttpTransport {
            url: cfg.endpoint.url(),
            cfg,
            tls,
            basic,
            conn: Mutex::new(None),
            delivery: StdMutex::new(Delivery::NotSent),
        })
    }

    /// Whether requests are sealed (NTLM or Kerberos over plain HTTP).
    fn seals(&self) -> bool {
        self.basic.is_none() && !self.cfg.endpoint.is_https()
    }

    async fn connect(&self) -> Result<Conn, Error> {
        #[cfg_attr(not(feature = "kerberos"), allow(unused_mut))]
        let (mut c, mut bindings) = conn::open(&self.cfg, self.tls.as_ref()).await?;
        match &self.cfg.auth {
            Auth::Basic => {}
            #[cfg(feature = "kerberos")]
            Auth::Kerberos(target) => {
                use super::krb::kerberos_handshake;
                let first = crate::kerberos::HttpScheme::Negotiate;
                let switch = kerberos_handshake(&mut c, &self.cfg, target, bindings, first).await?;
                if let Some(next) = switch {
                    // The host closed the connection with the 401 that offered `next`.
                    (c, bindings) = conn::open(&self.cfg, self.tls.as_ref()).await?;
                    if kerberos_handshake(&mut c, &self.cfg, target, bindings, next)
                        .await?
                        .is_some()
                    {
                        return Err(Error::new(
                            ErrorKind::Auth,
                            "the host refused both kerberos schemes (negotiate and kerberos)",
                        ));
                    }
                }
            }
            _ => conn::ntlm_handshake(&mut c, &self.cfg, bindings).await?,
        }
        Ok(c)
    }

    async fn run(&self, req: &SoapRequest) -> Result<SoapResponse, Failure> {
        let mut slot = self.conn.lock().await;
        let mut retried = false;
        let mut reauthed = false;
        loop {
            if slot
                .as_ref()
                .and_then(|c| c.session.as_ref())
                .is_some_and(conn::Session::expired)
            {
                tracing::debug!("kerberos ticket of the connection expired; authenticating afresh");
                *slot = None;
            }
            let reused = match slot.as_mut() {
                Some(c) => {
                    let ready = tokio::time::timeout(self.cfg.read_timeout, c.sender.ready());
                    matches!(ready.await, Ok(Ok(())))
                }
                None => false,
            };
            if !reused {
                *slot = None;
                let mut fresh = self
                    .connect()
                    .await
                    .map_err(|e| Failure(e, Delivery::NotSent))?;
                // The last auth leg's response may still be winding down in the connection
                // task; sending before it is ready fails spuriously ("closed before sending").
                let ready = tokio::time::timeout(self.cfg.read_timeout, fresh.sender.ready());
                if !matches!(ready.await, Ok(Ok(()))) {
                    let msg = format!("connection to {} closed after authenticating", self.url);
                    return Err(Failure(
                        Error::new(ErrorKind::Connect, msg),
                        Delivery::NotSent,
                    ));
                }
                *slot = Some(fresh);
            }
            let Some(c) = slot.as_mut() else {
                return Err(Failure(
                    Error::new(ErrorKind::Connect, "no connection"),
                    Delivery::NotSent,
                ));
            };
            match self.send_on(c, req).await {
                Ok(resp) => return Ok(resp),
                // Kerberos: a 401 (or a wrap refused for an expired ticket) on an authenticated
                // connection; the request was not processed. One fresh authentication.
                Err(Failure(e, Delivery::NotSent)) if e.kind() == ErrorKind::Auth && !reauthed => {
                    tracing::debug!(
                        "{e}; authenticating afresh once and re-sending {}",
                        req.action
                    );
                    *slot = None;
                    reauthed = true;
                }
                Err(Failure(e, Delivery::NotSent)) if reused && !retried => {
                    tracing::debug!(
                        "connection closed before sending {}: {e}; reconnecting",
                        req.action
                    );
                    *slot = None;
                    retried = true;
                }
                Err(f) => {
                    *slot = None;
                    return Err(f);
                }
            }
        }
    }

    async fn send_on(&self, c: &mut Conn, req: &SoapRequest) -> Result<SoapResponse, Failure> {
        let action = req.action.as_str();
        let (body, ct) = match c.session.as_mut() {
            Some(s) if self.seals() => {
                let protocol = s.protocol();
                let body = encrypted::encode(s.sealer(), protocol, req.body.as_bytes());
                if let Some(why) = s.take_seal_error() {
                    return Err(Failure(
                        Error::new(ErrorKind::Auth, why).context(format!("sealing {action}")),
                        Delivery::NotSent,
                    ));
                }
                (body, encrypted::content_type(protocol))
            }
            _ => (req.body.clone().into_bytes(), SOAP_CONTENT_TYPE.to_string()),
        };
        tracing::trace!(action, body = %req.body, "request");
        let request = conn::post(&self.cfg, body, Some(&ct), self.basic.clone())
            .map_err(|e| Failure(e, Delivery::NotSent))?;
        let limit = self.cfg.max_response_bytes;
        let exchange = async {
            let resp = c.sender.try_send_request(request).await.map_err(|mut e| {
                if e.take_message().is_some() {
                    let msg = format!("connection to {} closed before sending {action}", self.url);
                    Failure(Error::new(ErrorKind::Connect, msg), Delivery::NotSent)
                } else {
                    Failure(conn::lost(action), Delivery::MaybeSent)
                }
            })?;
            conn::read(resp, limit, action)
                .await
                .map_err(|e| Failure(e, Delivery::MaybeSent))
        };
        let resp = tokio::time::timeout(self.cfg.read_timeout, exchange)
            .await
            .map_err(|_| {
                Failure(
                    conn::read_timeout(self.cfg.read_timeout, action),
                    Delivery::MaybeSent,
                )
            })??;
        if resp.status == StatusCode::UNAUTHORIZED
            && c.session.as_ref().is_some_and(conn::Session::is_kerberos)
        {
            // Proves the request was not processed (the run loop may authenticate once more).
            return Err(Failure(
                Error::new(
                    ErrorKind::Auth,
                    format!(
                        "the host answered 401 to {action} on a kerberos-authenticated connection, \
                         also after a fresh authentication (the ticket or the sealed message was \
                         refused); run `kinit` again and check the host's kerberos settings"
                    ),
                ),
                Delivery::NotSent,
            ));
        }
        self.interpret(c, action, resp)
            .map_err(|e| Failure(e, Delivery::MaybeSent))
    }

    fn interpret(
        &self,
        c: &mut Conn,
        action: &str,
        resp: ReadResponse,
    ) -> Result<SoapResponse, Error> {
        let status = resp.status;
        let ct = resp
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        if status == StatusCode::UNAUTHORIZED {
            return Err(match c.session {
                Some(_) => Error::new(
                    ErrorKind::Auth,
                    format!(
                        "the host answered 401 to {action} on an authenticated connection (the security \
                         context was lost or message encryption was refused); the next request authenticates afresh"
                    ),
                ),
                None => conn::rejected(&self.cfg),
            });
        }
        let body = if encrypted::is_encrypted(&ct) {
            let Some(session) = c.session.as_mut() else {
                return Err(protocol(
                    action,
                    status,
                    "a sealed body arrived without a security context",
                ));
            };
            encrypted::decode(session.sealer(), &ct, &resp.body)
                .map_err(|e| e.context(format!("response to {action}")))?
        } else if self.seals() && !resp.body.is_empty() {
            return Err(protocol(
                action,
                status,
                "the body is not sealed although the request was",
            ));
        } else {
            resp.body.to_vec()
        };
        let text = String::from_utf8(body)
            .map_err(|_| protocol(action, status, "the body is not utf-8"))?;
        tracing::trace!(action, body = %text, "response");
        check_status(action, status, text)
    }
}

fn protocol(action: &str, status: StatusCode, why: &str) -> Error {
    Error::new(
        ErrorKind::Protocol,
        format!(
            "unusable http {} response to {action}: {why}",
            status.as_u16()
        ),
    )
}

fn check_status(action: &str, status: StatusCode, body: String) -> Result<SoapResponse, Error> {
    let code = status.as_u16();
    let is_soap = body.trim_start().starts_with('<');
    match code {
        200 | 400 | 500 if is_soap => Ok(SoapResponse { status: code, body }),
        200 | 400 | 500 => Err(protocol(action, status, "no soap envelope in the body")),
        413 => Err(Error::new(
            ErrorKind::LimitExceeded,
            format!(
                "the host refused the request for {action} as too large (http 413, MaxEnvelopeSizekb)"
            ),
        )),
        503 => Err(Error::new(
            ErrorKind::Connect,
            format!("the host is unavailable (http 503) for {action}"),
        )),
        _ => Err(protocol(
            action,
            status,
            &format!("unexpected status; body starts {:?}", snippet(&body)),
        )),
    }
}

fn snippet(body: &str) -> String {
    body.chars().take(120).collect()
}

impl Transport for HttpTransport {
    fn exchange<'a>(&'a self, request: SoapRequest) -> BoxFuture<'a, Result<SoapResponse, Error>> {
        Box::pin(async move {
            let started = Instant::now();
            let out = self.run(&request).await;
            let elapsed_ms = started.elapsed().as_millis() as u64;
            match out {
                Ok(resp) => {
                    tracing::info!(action = %request.action, status = resp.status, elapsed_ms, "exchange");
                    Ok(resp)
                }
                Err(Failure(e, delivery)) => {
                    tracing::info!(action = %request.action, elapsed_ms, error = %e, "exchange failed");
                    if let Ok(mut d) = self.delivery.lock() {
                        *d = delivery;
                    }
                    Err(e)
                }
            }
        })
    }

    fn endpoint(&self) -> &str {
        &self.url
    }

    fn last_delivery(&self) -> Delivery {
        self.delivery
            .lock()
            .map(|d| *d)
            .unwrap_or(Delivery::MaybeSent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::Endpoint;

    fn cfg(url: &str) -> HttpConfig {
        let ep = Endpoint::parse(url, false).unwrap_or_else(|e| panic!("{e}"));
        HttpConfig::new(ep, "u", "p")
    }

    #[test]
    fn statuses_map_to_kinds() {
        let kind = |code: u16, body: &str| {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::IM_A_TEAPOT);
            check_status("A", status, body.to_string())
                .err()
                .map(|e| e.kind())
        };
        assert_eq!(kind(200, "<x/>"), None);
        assert_eq!(kind(500, " <s:Envelope/>"), None);
        assert_eq!(kind(500, ""), Some(ErrorKind::Protocol));
        assert_eq!(kind(413, ""), Some(ErrorKind::LimitExceeded));
        assert_eq!(kind(503, ""), Some(ErrorKind::Connect));
        assert_eq!(
            kind(404, "<html>not here</html>"),
            Some(ErrorKind::Protocol)
        );
    }

    #[test]
    fn sealing_depends_on_scheme_and_auth() {
        let http = HttpTransport::connect_lazy(cfg("hv01")).ok();
        assert_eq!(http.as_ref().map(|t| t.seals()), Some(true));
        assert_eq!(
            http.as_ref().map(|t| t.endpoint().to_string()).as_deref(),
            Some("http://hv01:5985/wsman")
        );
        let https = HttpTransport::connect_lazy(cfg("https://hv01")).ok();
        assert_eq!(https.map(|t| t.seals()), Some(false));
        let mut basic = cfg("hv01");
        basic.auth = Auth::Basic;
        basic.allow_unencrypted = true;
        let t = HttpTransport::connect_lazy(basic).ok();
        assert_eq!(t.as_ref().map(|t| t.seals()), Some(false));
        assert!(!format!("{t:?}").contains("\"p\""));
    }

    #[test]
    fn snippet_is_bounded() {
        assert_eq!(snippet(&"x".repeat(1000)).len(), 120);
    }
}
