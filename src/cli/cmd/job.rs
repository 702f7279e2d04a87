//! `hvremote job <INSTANCE_ID> [--wait]`: show a job, or follow it to its end.

use std::time::Duration;

use super::Interrupt;
use crate::cli::args::{JobArgs, OutputArg};
use crate::cli::output;
use crate::error::{Error, ErrorKind};
use crate::hyperv::job::{self, JobRef};
use crate::hyperv::{ConcreteJob, JobObserver, ops::Ops};

/// Show or follow a job.
pub async fn run(
    ops: &dyn Ops,
    args: &JobArgs,
    format: OutputArg,
    observer: &mut dyn JobObserver,
    interrupt: Interrupt,
) -> Result<String, Error> {
    let j = if args.wait {
        let r = JobRef::from_instance_id(&args.instance_id);
        follow(ops, &r, observer, args.wait_timeout, interrupt, false).await?
    } else {
        job::get_job(ops, &args.instance_id).await?
    };
    Ok(render(&j, format))
}

/// Render a job.
pub fn render(j: &ConcreteJob, format: OutputArg) -> String {
    match format {
        OutputArg::Text => output::job_text(j),
        _ => super::vms::json(&output::job_json(j)),
    }
}

/// Wait for a job, racing the user's interrupt; on interrupt, optionally cancel the job.
pub async fn follow(
    ops: &dyn Ops,
    r: &JobRef,
    observer: &mut dyn JobObserver,
    wait_timeout: Option<u64>,
    interrupt: Interrupt,
    cancel_on_interrupt: bool,
) -> Result<ConcreteJob, Error> {
    let deadline = wait_timeout.map(|s| tokio::time::Instant::now() + Duration::from_secs(s));
    tokio::select! {
        res = job::wait_job(ops, r, observer, deadline) => res,
        () = interrupt => Err(interrupted(ops, r, cancel_on_interrupt).await),
    }
}

async fn interrupted(ops: &dyn Ops, r: &JobRef, cancel: bool) -> Error {
    let id = &r.instance_id;
    let facts = crate::error::JobFailure {
        instance_id: id.clone(),
        ..Default::default()
    };
    let msg = if cancel {
        match job::cancel_job(ops, r).await {
            Ok(()) => format!("interrupted; asked the host to cancel job {id}"),
            Err(e) => format!(
                "interrupted; cancelling job {id} failed ({e}); it may still be running (resume with: hvremote job {id} --wait)"
            ),
        }
    } else {
        format!(
            "interrupted; job {id} is still running on the host (resume with: hvremote job {id} --wait)"
        )
    };
    Error::new(ErrorKind::Interrupted, msg).with_job(facts)
}
