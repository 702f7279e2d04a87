//! Building the transport stack for a command: HTTP to the host (NTLM/Negotiate/Basic, TLS),
//! or a replayed fixture (`--replay`), optionally wrapped by the recorder (`--record`), and the
//! Hyper-V [`Ops`](crate::hyperv::ops::Ops) over it.
//!
//! Edge tier. The password is read only when a real host is contacted and handed straight to
//! the HTTP layer; it never reaches logs, errors or fixtures (the recorder sits above auth).

use std::path::PathBuf;
use std::sync::Arc;

use super::args::{AuthArg, GlobalArgs};
use super::config;
use crate::client::ClientOptions;
use crate::error::Error;
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
pub fn client_options(g: &GlobalArgs) -> ClientOptions {
    let mut options = ClientOptions::default();
    if let Some(secs) = g.operation_timeout {
        options.operation_timeout = std::time::Duration::from_secs(secs);
    }
    options
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
    let options = client_options(g);
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

/// The HTTP transport to the host named by the flags (reads the password).
pub fn http_transport(g: &GlobalArgs) -> Result<DynTransport, Error> {
    let env_set = std::env::var_os(super::password::PASSWORD_ENV).is_some();
    let conn = config::connection(g, env_set)?;
    let endpoint = conn.endpoint.clone();
    let password = super::password::obtain(conn.password, &conn.user)?;
    let mut cfg = HttpConfig::new(endpoint, conn.user.clone(), password.expose());
    cfg.auth = match conn.auth {
        AuthArg::Negotiate => Auth::Negotiate,
        AuthArg::Ntlm => Auth::Ntlm,
        AuthArg::Basic => Auth::Basic,
        // Refused with a usage error by `config::connection` before a transport is built.
        AuthArg::Kerberos => Auth::Negotiate,
    };
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
