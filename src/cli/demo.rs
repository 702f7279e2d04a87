//! `hvremote demo` and an in-process [`Transport`] over the simulated host.
//!
//! [`InProcess`] hands each request envelope to `sim::Host::handle` with the time elapsed on
//! tokio's clock (so paused-clock tests run long jobs instantly) and records every request.
//! `demo` starts `sim::server` on an ephemeral loopback port and exports a VM from it over real
//! HTTP with Negotiate/NTLM authentication and message sealing (as against a default Windows
//! listener), showing progress and the result. The account's password is a random one-time
//! value that is never shown.

use std::sync::Mutex;

use tokio::time::Instant;

use super::args::{ExportArgs, GlobalArgs, OutputArg};
use super::connect::Session;
use super::progress::{Progress, ProgressMode};
use crate::error::{Error, ErrorKind};
use crate::http::{Auth, Endpoint, HttpConfig, HttpTransport};
use crate::sim::server::{ServerOptions, SimServer};
use crate::sim::{Host, SimConfig};
use crate::transport::{BoxFuture, Delivery, SoapRequest, SoapResponse, Transport};

/// Endpoint URL the in-process host claims.
pub const IN_PROCESS_ENDPOINT: &str = "http://sim.invalid:5985/wsman";

/// The simulated host as a transport; records requests.
pub struct InProcess {
    host: Mutex<Host>,
    start: Instant,
    requests: Mutex<Vec<SoapRequest>>,
    fail: Mutex<Vec<(usize, ErrorKind)>>,
}

impl InProcess {
    /// A host built from `config`, its clock starting now.
    pub fn new(config: SimConfig) -> Self {
        InProcess {
            host: Mutex::new(Host::new(config)),
            start: Instant::now(),
            requests: Mutex::new(Vec::new()),
            fail: Mutex::new(Vec::new()),
        }
    }

    /// Make request number `n` (1-based) fail with a transport error of `kind` (tests).
    pub fn fail_request(&self, n: usize, kind: ErrorKind) {
        if let Ok(mut f) = self.fail.lock() {
            f.push((n, kind));
        }
    }

    /// Every request seen so far.
    pub fn requests(&self) -> Vec<SoapRequest> {
        self.requests.lock().map(|r| r.clone()).unwrap_or_default()
    }

    /// How many ExportSystemDefinition calls the host received.
    pub fn export_invocations(&self) -> u64 {
        self.host
            .lock()
            .map(|h| h.export_invocations())
            .unwrap_or(0)
    }
}

impl Transport for InProcess {
    fn exchange<'a>(&'a self, request: SoapRequest) -> BoxFuture<'a, Result<SoapResponse, Error>> {
        Box::pin(async move {
            let n = {
                let mut r = self.requests.lock().map_err(|_| poisoned())?;
                r.push(request.clone());
                r.len()
            };
            let injected = self
                .fail
                .lock()
                .map_err(|_| poisoned())?
                .iter()
                .find(|(i, _)| *i == n)
                .map(|(_, k)| *k);
            if let Some(kind) = injected {
                return Err(Error::new(kind, "connection reset by the simulated host"));
            }
            let resp = {
                let mut h = self.host.lock().map_err(|_| poisoned())?;
                h.handle(self.start.elapsed(), &request.body)
            };
            if !resp.delay.is_zero() {
                tokio::time::sleep(resp.delay).await;
            }
            Ok(SoapResponse {
                status: resp.status,
                body: resp.body,
            })
        })
    }

    fn endpoint(&self) -> &str {
        IN_PROCESS_ENDPOINT
    }

    fn last_delivery(&self) -> Delivery {
        Delivery::MaybeSent
    }
}

fn poisoned() -> Error {
    Error::new(ErrorKind::Connect, "simulated host state is unavailable")
}

/// Run the demo: start the simulated host on an ephemeral loopback port, export its first VM
/// over real HTTP, print the result, stop the host.
pub async fn run(g: &GlobalArgs) -> Result<String, Error> {
    let mut config = SimConfig::demo();
    let vm = config
        .all_vms()
        .first()
        .map(|v| v.name.clone())
        .ok_or_else(|| Error::new(ErrorKind::Usage, "the demo scenario has no vm"))?;
    let password = demo_password();
    config.user = "demo".into();
    config.password = password.expose().to_string();
    let server = SimServer::start(config, ServerOptions::default()).await?;
    let endpoint = Endpoint::parse(&server.endpoint(), false)?;
    let mut cfg = HttpConfig::new(endpoint, "demo", password.expose());
    cfg.auth = Auth::Negotiate;
    let transport = std::sync::Arc::new(HttpTransport::connect_lazy(cfg)?);
    let session = Session::over(transport, None);
    if g.output == OutputArg::Text && !g.quiet {
        eprintln!(
            "demo: simulated hyper-v host at {} (http on loopback, ntlm with message encryption); exporting '{vm}' to D:\\Exports",
            server.endpoint()
        );
    }
    let mut progress = Progress::new(ProgressMode::detect(g.quiet), format!("export {vm}"));
    let args = demo_export_args(&vm);
    let out = super::cmd::export::run(
        &session.ops,
        &args,
        g.output,
        &mut progress,
        super::ctrl_c(),
    )
    .await;
    progress.finish();
    let _ = server.stop().await;
    out
}

fn demo_password() -> super::password::Secret {
    use rand::Rng;
    let mut rng = rand::thread_rng();
    let s: String = (0..24)
        .map(|_| rng.sample(rand::distributions::Alphanumeric) as char)
        .collect();
    super::password::Secret::new(s)
}

fn demo_export_args(vm: &str) -> ExportArgs {
    ExportArgs {
        vm: vm.to_string(),
        dest: "D:\\Exports".into(),
        snapshot: None,
        no_storage: false,
        no_runtime_state: false,
        no_snapshots: false,
        no_subdirectory: false,
        capture_live_state: None,
        no_wait: false,
        wait_timeout: None,
        cancel_on_interrupt: false,
    }
}
