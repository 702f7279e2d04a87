//! Reading, following and cancelling a `CIM_ConcreteJob` (hyperv-wsman.md §9.5, §11, E9–E15).
//!
//! Reading: WS-Transfer Get on the ResourceURI + selectors of the job's EPR; if the host refuses
//! that Get (a fault), fall back to WQL `SELECT * FROM Msvm_ConcreteJob WHERE InstanceID = '…'`
//! for the rest of the wait. Following: poll about once a second at first, then every two
//! seconds (≤ 1 request/s on average, completion noticed within 2 s). Transient failures
//! (`w:TimedOut`, quota, dropped connections, read timeouts) are retried by polling again —
//! never by repeating the method that started the job. Uses tokio's clock, so tests run with a
//! paused clock.

use std::time::Duration;

use tokio::time::Instant;

use super::classes::{self, CONCRETE_JOB};
use super::model::{ConcreteJob, JobObserver};
use super::ops::{Arg, Ops};
use crate::error::{Error, ErrorKind};
use crate::soap::addressing::Epr;
use crate::xml::ns;

/// Consecutive transient poll failures tolerated before giving up.
pub const MAX_TRANSIENT_FAILURES: u32 = 10;

/// Where to read a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRef {
    /// The job's InstanceID.
    pub instance_id: String,
    /// The EPR (ResourceURI + selectors) to Get it with.
    pub epr: Epr,
}

impl JobRef {
    /// From a returned job EPR (its `InstanceID` selector is required).
    pub fn from_epr(epr: &Epr) -> Result<JobRef, Error> {
        let id = epr.selector("InstanceID").ok_or_else(|| {
            Error::new(
                ErrorKind::Protocol,
                "job reference has no InstanceID selector",
            )
        })?;
        Ok(JobRef {
            instance_id: id.to_string(),
            epr: epr.clone(),
        })
    }

    /// For a job known only by InstanceID (assumes `Msvm_ConcreteJob`).
    pub fn from_instance_id(id: &str) -> JobRef {
        JobRef {
            instance_id: id.to_string(),
            epr: Epr {
                address: ns::ANONYMOUS.to_string(),
                resource_uri: classes::uri(CONCRETE_JOB),
                selectors: vec![("InstanceID".to_string(), id.to_string())],
            },
        }
    }
}

/// Delay before poll number `n` (0-based): 1 s for the first ten, then 1.5 s. Never more:
/// the end of a job is noticed within 2 s even with a round trip added to the delay, and polls
/// stay at most one per second on average (issue 7).
pub fn poll_delay(n: u32) -> Duration {
    if n < 10 {
        Duration::from_secs(1)
    } else {
        Duration::from_millis(1500)
    }
}

/// Whether a failed poll is worth repeating.
pub fn is_transient(e: &Error) -> bool {
    match e.kind() {
        ErrorKind::Connect | ErrorKind::Timeout => true,
        ErrorKind::Fault => e.fault().is_some_and(|f| {
            matches!(f.subcode_local(), Some("TimedOut" | "QuotaLimit"))
                || matches!(f.wsman_code, Some(2150858793 | 2150859174))
        }),
        _ => false,
    }
}

fn vanished(id: &str) -> Error {
    Error::new(
        ErrorKind::NotFound,
        format!(
            "job {id} no longer exists on the host (hosts remove finished jobs after about five minutes)"
        ),
    )
}

/// Read a job once. `use_wql` selects the fallback; a refused Get switches it on.
pub async fn read_job(
    ops: &dyn Ops,
    job: &JobRef,
    use_wql: &mut bool,
) -> Result<Option<ConcreteJob>, Error> {
    if !*use_wql {
        match ops.get(&job.epr.resource_uri, &job.epr.selectors).await {
            Ok(el) => return parse_job(&el, &job.instance_id).map(Some),
            Err(e) if e.kind() == ErrorKind::Fault && !is_transient(&e) => *use_wql = true,
            Err(e) => return Err(e),
        }
    }
    let items = ops.query(&classes::wql_job(&job.instance_id)).await?;
    match items.first() {
        Some(el) => parse_job(el, &job.instance_id).map(Some),
        None => Ok(None),
    }
}

fn parse_job(el: &crate::xml::Element, id: &str) -> Result<ConcreteJob, Error> {
    classes::job_from_instance(el).ok_or_else(|| {
        Error::new(
            ErrorKind::Protocol,
            format!("job {id}: reply has no InstanceID"),
        )
    })
}

/// Read a job by InstanceID (`NotFound` when it does not exist).
pub async fn get_job(ops: &dyn Ops, instance_id: &str) -> Result<ConcreteJob, Error> {
    let job = JobRef::from_instance_id(instance_id);
    let mut use_wql = false;
    read_job(ops, &job, &mut use_wql).await?.ok_or_else(|| {
        Error::new(
            ErrorKind::NotFound,
            format!("job '{instance_id}' not found"),
        )
    })
}

/// Follow a job until it ends or `deadline` passes.
///
/// Success: the final reading. Failure: `JobFailed` (`job failed (<code>): <description>`),
/// `NotFound` when the job vanished, `Timeout` (job facts attached; it keeps running) at the
/// deadline, or the poll error after [`MAX_TRANSIENT_FAILURES`] consecutive transient failures.
pub async fn wait_job(
    ops: &dyn Ops,
    job: &JobRef,
    observer: &mut dyn JobObserver,
    deadline: Option<Instant>,
) -> Result<ConcreteJob, Error> {
    let mut use_wql = false;
    let mut last: Option<ConcreteJob> = None;
    let (mut polls, mut failures) = (0u32, 0u32);
    loop {
        match read_job(ops, job, &mut use_wql).await {
            Ok(Some(j)) => {
                failures = 0;
                observer.on_update(&j);
                if j.is_terminal() {
                    return finish(ops, job, j).await;
                }
                last = Some(j);
            }
            Ok(None) => return Err(vanished(&job.instance_id)),
            Err(e) if is_transient(&e) && failures < MAX_TRANSIENT_FAILURES => {
                failures += 1;
                observer.on_retry(e.message());
            }
            Err(e) => return Err(e.context(format!("follow job {}", job.instance_id))),
        }
        let delay = ops.poll_delay(polls);
        polls += 1;
        if let Some(d) = deadline.filter(|d| Instant::now() + delay > *d) {
            tokio::time::sleep_until(d).await;
            return Err(still_running(job, last.as_ref()));
        }
        tokio::time::sleep(delay).await;
    }
}

fn still_running(job: &JobRef, last: Option<&ConcreteJob>) -> Error {
    let id = &job.instance_id;
    let facts = last
        .map(ConcreteJob::to_failure)
        .unwrap_or_else(|| crate::error::JobFailure {
            instance_id: id.clone(),
            ..Default::default()
        });
    Error::new(
        ErrorKind::Timeout,
        format!("gave up waiting; job {id} is still running on the host (resume with: hvremote job {id} --wait)"),
    )
    .with_job(facts)
}

async fn finish(ops: &dyn Ops, job: &JobRef, mut j: ConcreteJob) -> Result<ConcreteJob, Error> {
    if j.succeeded() {
        return Ok(j);
    }
    if j.error_description.is_none() {
        j.error_description = error_messages(ops, job).await;
    }
    let code = j.error_code.unwrap_or(0);
    let desc = j
        .error_description
        .clone()
        .or_else(|| j.error_summary.clone())
        .unwrap_or_else(|| {
            format!(
                "job ended in state {}",
                j.job_state.map(|s| s.to_string()).unwrap_or_default()
            )
        });
    Err(
        Error::new(ErrorKind::JobFailed, format!("job failed ({code}): {desc}"))
            .with_job(j.to_failure()),
    )
}

/// The `Message` of each `Msvm_Error` from `GetErrorEx`, joined; `None` if unavailable.
pub async fn error_messages(ops: &dyn Ops, job: &JobRef) -> Option<String> {
    let out = ops
        .invoke(&job.epr.resource_uri, "GetErrorEx", &job.epr.selectors, &[])
        .await
        .ok()?;
    let msgs: Vec<String> = out
        .values("Errors")
        .into_iter()
        .filter_map(cim_error_message)
        .collect();
    (!msgs.is_empty()).then(|| msgs.join("; "))
}

/// The `Message` property of an embedded `Msvm_Error` (CIM-XML text).
pub fn cim_error_message(cim_xml: &str) -> Option<String> {
    let root = crate::xml::parse(cim_xml).ok()?;
    root.elements()
        .filter(|p| p.local == "PROPERTY" && p.attr(None, "NAME") == Some("Message"))
        .find_map(|p| p.child_local("VALUE").map(|v| v.text_trim()))
        .filter(|m| !m.is_empty())
}

/// Ask the host to stop a job (`RequestStateChange` with RequestedState 5 = Kill, as os-win
/// does; 4 = Terminate is the CIM alternative). A non-zero return value is a `MethodFailed`.
pub async fn cancel_job(ops: &dyn Ops, job: &JobRef) -> Result<(), Error> {
    let args = [("RequestedState".to_string(), Arg::U32(5))];
    let out = ops
        .invoke(
            &job.epr.resource_uri,
            "RequestStateChange",
            &job.epr.selectors,
            &args,
        )
        .await
        .map_err(|e| e.context(format!("cancel job {}", job.instance_id)))?;
    match out.return_value {
        0 | 4096 => Ok(()),
        c => {
            let rc = super::model::ReturnCode(c);
            Err(Error::new(
                ErrorKind::MethodFailed,
                format!(
                    "cancel job {}: method failed ({c}): {}",
                    job.instance_id,
                    rc.describe()
                ),
            )
            .with_return_code(c))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hyperv::model::CollectingObserver;
    use crate::hyperv::ops::fake::{TimedJob, inst};
    use crate::soap::fault::Fault;

    #[tokio::test(start_paused = true)]
    async fn ten_minute_job_polls_a_bounded_number_of_times() {
        let ops = TimedJob::new(600, 7);
        let mut obs = CollectingObserver::default();
        let t0 = Instant::now();
        let j = wait_job(&ops, &JobRef::from_instance_id("J1"), &mut obs, None)
            .await
            .unwrap();
        assert_eq!(j.percent_complete, Some(100));
        let polls = *ops.gets.lock().unwrap();
        let waited = t0.elapsed().as_secs();
        assert!((600..=602).contains(&waited), "noticed after {waited}s");
        assert!((380..=420).contains(&polls), "{polls} polls");
        assert!(polls as u64 <= waited, "more than one poll per second");
        assert_eq!(obs.updates.len() as u32, polls);
        assert!(
            obs.updates
                .windows(2)
                .all(|w| w[0].percent_complete <= w[1].percent_complete)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn timed_out_and_dropped_connection_are_survived() {
        let mut ops = TimedJob::new(30, 7);
        ops.fail_at = vec![
            (3, ErrorKind::Fault),
            (5, ErrorKind::Connect),
            (6, ErrorKind::Timeout),
        ];
        let mut obs = CollectingObserver::default();
        wait_job(&ops, &JobRef::from_instance_id("J1"), &mut obs, None)
            .await
            .unwrap();
        assert_eq!(obs.retries.len(), 3);
        assert!(
            ops.invokes.lock().unwrap().is_empty(),
            "must not invoke while polling"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn exception_fetches_error_text() {
        let ops = TimedJob::new(5, 10);
        let e = wait_job(
            &ops,
            &JobRef::from_instance_id("J1"),
            &mut CollectingObserver::default(),
            None,
        )
        .await
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::JobFailed);
        assert_eq!(e.message(), "job failed (32768): 'web01' failed to export.");
        assert_eq!(e.job().unwrap().error_code, Some(32768));
        assert_eq!(*ops.invokes.lock().unwrap(), ["GetErrorEx"]);
    }

    #[tokio::test(start_paused = true)]
    async fn deadline_leaves_job_running() {
        let ops = TimedJob::new(600, 7);
        let deadline = Instant::now() + Duration::from_secs(10);
        let e = wait_job(
            &ops,
            &JobRef::from_instance_id("J1"),
            &mut CollectingObserver::default(),
            Some(deadline),
        )
        .await
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Timeout);
        assert!(
            e.message().contains("hvremote job J1 --wait"),
            "{}",
            e.message()
        );
        assert_eq!(e.job().unwrap().job_state, Some(4));
        assert!(Instant::now() <= deadline + Duration::from_millis(1));
    }

    #[tokio::test(start_paused = true)]
    async fn refused_get_falls_back_to_wql_and_vanished_job_is_named() {
        let ops = crate::hyperv::ops::fake::FakeOps::default();
        ops.push_get(Err(
            Error::new(ErrorKind::Fault, "invalid resource uri").with_fault(Fault::default())
        ));
        ops.push_query(Ok(vec![inst(
            CONCRETE_JOB,
            &[("InstanceID", Some("J1")), ("JobState", Some("4"))],
        )]));
        ops.push_query(Ok(vec![]));
        let e = wait_job(
            &ops,
            &JobRef::from_instance_id("J1"),
            &mut CollectingObserver::default(),
            None,
        )
        .await
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound);
        assert_eq!(
            e.message(),
            "job J1 no longer exists on the host (hosts remove finished jobs after about five minutes)"
        );
        let calls = ops.calls();
        assert_eq!(calls.len(), 3, "{calls:?}");
    }

    #[test]
    fn schedule_and_error_text() {
        let total: u128 = (0..40).map(|n| poll_delay(n).as_millis()).sum();
        assert!(total >= 40_000, "more than one poll per second on average");
        assert!((0..1000).all(|n| poll_delay(n) <= Duration::from_millis(1500)));
        assert_eq!(cim_error_message("<INSTANCE/>"), None);
    }
}
