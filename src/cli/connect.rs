//! Building the transport stack for a command: HTTP to the host (Negotiate/NTLM/Kerberos/Basic,
//! TLS; `--auth negotiate` picks Kerberos when a ticket for the target exists, see
//! `choose_auth`), or a replayed fixture (`--replay`), optionally wrapped by the recorder
//! (`--record`), and the Hyper-V [`Ops`](crate::hyperv::ops::Ops) over it.
//!
//! Edge tier. The password is read only when a real host is contacted and handed straight to
//! the HTTP layer; it never reaches logs, errors or fixtures (the recorder sits above auth).

use std::path::PathBuf;
use std::sync::Arc;

use super::args::{AuthArg, GlobalArgs};
use super::config;
use crate::client::ClientOptions;
use crate::error::{Error, ErrorKind};
use crate::http::tls::TlsOptions;
use crate::http::{Auth, HttpConfig, HttpTransport};
use crate::hyperv::adapter::WsManOps;
use crate::transport::record::{Recorder, Redaction};
use crate::transport::replay::Replayer;
use crate::transport::{BoxFuture, SoapRequest, SoapResponse, Transport};

/// A shared, type-erased transport.
pub type DynTransport = Arc<dyn Transport>;

/// Everything a command talks through, plus what must happen when it ends.
pub struct Session {
    /// The Hyper-V operations.
    pub ops: WsManOps<DynTransport>,
    recorder: Option<(Arc<Recorder<DynTransport>>, PathBuf)>,
    replayer: Option<Arc<Replayer>>,
}

impl Session {
    /// A session over an already built transport (tests, demo).
    pub fn over(
        transport: DynTransport,
        operation_timeout: Option<std::time::Duration>,
    ) -> Session {
        let mut options = ClientOptions::default();
        if let Some(t) = operation_timeout {
            options.operation_timeout = t;
        }
        Self::with_options(transport, options)
    }

    /// A session over `transport` whose client runs with `options` (envelope size, operation
    /// timeout, page/item bounds, XML limits).
    pub fn with_options(transport: DynTransport, options: ClientOptions) -> Session {
        Session {
            ops: WsManOps::with_options(transport, options),
            recorder: None,
            replayer: None,
        }
    }

    /// Save the recording and check that a replayed fixture was used up. Call after the command
    /// (also after a failed one: the recording is saved either way).
    pub fn finish(&self, command_ok: bool) -> Result<(), Error> {
        if let Some((rec, path)) = &self.recorder {
            rec.save(path)?;
        }
        match &self.replayer {
            Some(r) if command_ok => r.finish(),
            _ => Ok(()),
        }
    }
}

struct RecorderRef(Arc<Recorder<DynTransport>>);

impl Transport for RecorderRef {
    fn exchange<'a>(&'a self, request: SoapRequest) -> BoxFuture<'a, Result<SoapResponse, Error>> {
        self.0.exchange(request)
    }
    fn endpoint(&self) -> &str {
        self.0.endpoint()
    }
    fn last_delivery(&self) -> crate::transport::Delivery {
        self.0.last_delivery()
    }
}

/// The WS-Man client's options as the global flags ask (defaults for what no flag sets).
pub fn client_options(g: &GlobalArgs) -> Result<ClientOptions, Error> {
    use super::config::at_least_one;
    let mut o = ClientOptions::default();
    if let Some(secs) = g.operation_timeout {
        o.operation_timeout = std::time::Duration::from_secs(secs);
    }
    o.max_pages = at_least_one(g.max_pages, "--max-pages", o.max_pages)?;
    o.max_items = at_least_one(g.max_items, "--max-items", o.max_items)?;
    let xml = &mut o.xml_limits;
    xml.max_depth = at_least_one(g.max_xml_depth, "--max-xml-depth", xml.max_depth)?;
    xml.max_attributes = at_least_one(
        g.max_xml_attributes,
        "--max-xml-attributes",
        xml.max_attributes,
    )?;
    if let Some(n) = g.max_response_size {
        xml.max_bytes = n;
    }
    Ok(o)
}

/// Open a session as the global flags ask.
pub fn open(g: &GlobalArgs) -> Result<Session, Error> {
    let (base, replayer): (DynTransport, _) = match &g.replay {
        Some(path) => {
            let r = Arc::new(Replayer::load(path).map_err(|e| e.context("--replay"))?);
            (r.clone() as DynTransport, Some(r))
        }
        None => (http_transport(g)?, None),
    };
    let options = client_options(g)?;
    let Some(path) = g.record.clone() else {
        let mut s = Session::with_options(base, options);
        if replayer.is_some() {
            // Replayed answers are instant: never sleep between job polls.
            s.ops = s.ops.without_poll_delay();
        }
        s.replayer = replayer;
        return Ok(s);
    };
    let redaction = if g.record_keep_names {
        Redaction::default()
    } else {
        Redaction::for_endpoint(base.endpoint(), g.user.as_deref())
    };
    let rec = Arc::new(Recorder::new(base, redaction));
    let mut s = Session::with_options(Arc::new(RecorderRef(rec.clone())), options);
    s.recorder = Some((rec, path));
    s.replayer = replayer;
    Ok(s)
}

/// The HTTP transport to the host named by the flags (reads the password unless Kerberos is
/// used; Kerberos never prompts).
pub fn http_transport(g: &GlobalArgs) -> Result<DynTransport, Error> {
    let env_set = std::env::var_os(super::password::PASSWORD_ENV).is_some();
    let conn = config::connection(g, env_set)?;
    let endpoint = conn.endpoint.clone();
    let (auth, why_not_kerberos) = choose_auth(&conn);
    let mut cfg = if matches!(auth, Auth::Kerberos(_)) {
        HttpConfig::new(endpoint, conn.user.clone(), String::new())
    } else {
        if conn.user.is_empty() {
            let msg = match why_not_kerberos {
                Some(why) => format!("{}; kerberos was not usable: {why}", config::NO_USER),
                None => config::NO_USER.to_string(),
            };
            return Err(Error::new(ErrorKind::Usage, msg));
        }
        let password = super::password::obtain(conn.password, &conn.user)?;
        HttpConfig::new(endpoint, conn.user.clone(), password.expose())
    };
    cfg.auth = auth;
    cfg.tls = TlsOptions {
        cacert: conn.tls.cacert.into_iter().collect(),
        danger_accept_invalid_certs: conn.tls.danger_insecure,
        tls_server_name: conn.tls.server_name,
    };
    cfg.allow_unencrypted = conn.danger_allow_unencrypted;
    cfg.connect_timeout = conn.connect_timeout;
    cfg.read_timeout = conn.read_timeout;
    cfg.max_response_bytes = conn.max_response_size;
    Ok(Arc::new(HttpTransport::connect_lazy(cfg)?))
}

/// The mechanism for `--auth`; for negotiate, Kerberos when built with it and a ticket for the
/// target SPN is available, else NTLM. Logs one `auth:` info line saying which and why (`-v`).
/// Also returns why Kerberos was not chosen by negotiate, for the missing-user error.
fn choose_auth(conn: &config::Connection) -> (Auth, Option<String>) {
    let spn = conn.kerberos.spn(&conn.host);
    match conn.auth {
        AuthArg::Ntlm => (Auth::Ntlm, None),
        AuthArg::Basic => (Auth::Basic, None),
        AuthArg::Kerberos => {
            tracing::info!("auth: kerberos (--auth kerberos, service principal {spn})");
            (Auth::Kerberos(conn.kerberos.clone()), None)
        }
        AuthArg::Negotiate => negotiate(conn, &spn),
    }
}

#[cfg(feature = "kerberos")]
fn negotiate(conn: &config::Connection, spn: &str) -> (Auth, Option<String>) {
    let target = &conn.kerberos;
    let mut kc = crate::kerberos::KerberosConfig::new(target.host(&conn.host));
    kc.spn_service = target.service().to_string();
    let status = crate::kerberos::ticket_available(&kc);
    if status.available {
        tracing::info!("auth: kerberos via negotiate ({})", status.reason);
        (Auth::Kerberos(target.clone()), None)
    } else {
        tracing::info!(
            "auth: ntlm via negotiate (no kerberos ticket for {spn}: {})",
            status.reason
        );
        (Auth::Negotiate, Some(status.reason))
    }
}

#[cfg(not(feature = "kerberos"))]
fn negotiate(_conn: &config::Connection, _spn: &str) -> (Auth, Option<String>) {
    tracing::info!("auth: ntlm via negotiate (kerberos is not in this build)");
    (Auth::Negotiate, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_flags_default_raise_and_refuse_zero() {
        let c = client_options(&GlobalArgs::default()).unwrap();
        assert_eq!((c.max_pages, c.max_items), (10_000, 1_000_000));
        assert_eq!(c.xml_limits.max_depth, 64);
        let g = GlobalArgs {
            max_pages: Some(3),
            max_items: Some(7),
            max_xml_depth: Some(200),
            max_xml_attributes: Some(500),
            max_response_size: Some(1000),
            ..Default::default()
        };
        let c = client_options(&g).unwrap();
        assert_eq!((c.max_pages, c.max_items), (3, 7));
        assert_eq!(c.xml_limits.max_depth, 200);
        assert_eq!(c.xml_limits.max_attributes, 500);
        assert_eq!(c.xml_limits.max_bytes, 1000);
        let zero = GlobalArgs {
            max_xml_depth: Some(0),
            ..Default::default()
        };
        let e = client_options(&zero).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Usage);
        assert!(e.to_string().contains("--max-xml-depth"), "{e}");
    }

    /// A replayed session never waits between job polls (what replaying a recorded export in
    /// CI relies on); a live one waits as `job::poll_delay` says.
    #[test]
    fn replay_sessions_never_wait_between_polls() {
        use crate::hyperv::ops::Ops;
        let g = GlobalArgs {
            replay: Some(
                concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/fixtures/hyperv/export-capture-app.json"
                )
                .into(),
            ),
            ..Default::default()
        };
        let s = open(&g).unwrap();
        assert!((0..30).all(|n| s.ops.poll_delay(n).is_zero()));
        assert!(!crate::hyperv::job::poll_delay(0).is_zero());
    }
}
