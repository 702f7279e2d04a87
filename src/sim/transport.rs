//! The simulated host as an in-process [`Transport`] (edge tier: it reads tokio's clock).
//!
//! What it does: hands each request envelope to a shared [`Host`] with `now` = time since the
//! transport was created, measured with `tokio::time::Instant`, so tests under a paused clock
//! (`#[tokio::test(start_paused = true)]`) run an 8-second export job in milliseconds. Injected
//! delays become `tokio::time::sleep`; an injected connection close means the host processed
//! the request but the reply is lost: the exchange fails with `ErrorKind::Connect` and
//! [`Delivery::MaybeSent`]. What it does not: HTTP, NTLM or sealing (see `sim::server`).

use std::sync::{Arc, Mutex, PoisonError};

use tokio::time::Instant;

use super::{Host, SimConfig};
use crate::error::{Error, ErrorKind};
use crate::transport::{BoxFuture, Delivery, SoapRequest, SoapResponse, Transport};

/// An in-process transport to a simulated host.
#[derive(Debug, Clone)]
pub struct SimTransport {
    host: Arc<Mutex<Host>>,
    start: Instant,
    endpoint: String,
}

impl SimTransport {
    /// A transport to a fresh host built from `config`.
    pub fn new(config: SimConfig) -> Self {
        Self::with_host(Arc::new(Mutex::new(Host::new(config))))
    }

    /// A transport to a shared host (tests inspect it through [`SimTransport::host`]).
    pub fn with_host(host: Arc<Mutex<Host>>) -> Self {
        let endpoint = {
            let h = host.lock().unwrap_or_else(PoisonError::into_inner);
            format!("http://{}:5985/wsman", h.state.config.dns_name)
        };
        SimTransport {
            host,
            start: Instant::now(),
            endpoint,
        }
    }

    /// The shared host.
    pub fn host(&self) -> Arc<Mutex<Host>> {
        Arc::clone(&self.host)
    }
}

impl Transport for SimTransport {
    fn exchange<'a>(&'a self, request: SoapRequest) -> BoxFuture<'a, Result<SoapResponse, Error>> {
        Box::pin(async move {
            let reply = {
                let mut host = self.host.lock().unwrap_or_else(PoisonError::into_inner);
                host.handle(self.start.elapsed(), &request.body)
            };
            if !reply.delay.is_zero() {
                tokio::time::sleep(reply.delay).await;
            }
            if reply.close_connection {
                return Err(Error::new(
                    ErrorKind::Connect,
                    "connection closed by the simulated host before it answered",
                ));
            }
            Ok(SoapResponse {
                status: reply.status,
                body: reply.body,
            })
        })
    }

    fn endpoint(&self) -> &str {
        &self.endpoint
    }

    fn last_delivery(&self) -> Delivery {
        Delivery::MaybeSent
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::soap::SequentialMessageIds;
    use crate::wsman::{Settings, get};

    fn job_get(t: &SimTransport, id: &str) -> SoapRequest {
        let uri = format!("{}Msvm_ConcreteJob", crate::xml::ns::HYPERV_V2);
        let ids = SequentialMessageIds::new();
        get::request(
            &Settings::new(t.endpoint()),
            &ids,
            &uri,
            &[("InstanceID".into(), id.into())],
        )
        .unwrap()
    }

    #[tokio::test(start_paused = true)]
    async fn paused_clock_drives_jobs_and_delays() {
        let mut cfg = SimConfig::demo();
        cfg.faults.delay_ms = 1_500;
        let t = SimTransport::new(cfg);
        let id = {
            let host = t.host();
            let mut h = host.lock().unwrap();
            let guid = h.state.vms[0].guid.clone();
            h.state.start_job(std::time::Duration::ZERO, &guid)
        };
        let before = Instant::now();
        let r = t.exchange(job_get(&t, &id)).await.unwrap();
        assert_eq!(r.status, 200);
        assert!(before.elapsed() >= std::time::Duration::from_millis(1_500));
        tokio::time::sleep(std::time::Duration::from_secs(10)).await;
        let r = t.exchange(job_get(&t, &id)).await.unwrap();
        let inst =
            crate::cim::instance::Instance::from_element(&get::parse(r.status, &r.body).unwrap())
                .unwrap();
        assert_eq!(inst.get_u16("JobState"), Some(7));
    }

    #[tokio::test]
    async fn injected_close_loses_the_reply() {
        let mut cfg = SimConfig::demo();
        cfg.faults.close_after_request = Some(1);
        let t = SimTransport::new(cfg);
        let e = t.exchange(job_get(&t, "X")).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Connect);
        assert_eq!(t.last_delivery(), Delivery::MaybeSent);
        assert_eq!(t.host().lock().unwrap().request_count(), 1);
        assert!(t.exchange(job_get(&t, "X")).await.is_ok());
    }
}
