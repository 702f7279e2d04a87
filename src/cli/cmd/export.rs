//! `hvremote export <VM> --dest <DIR> …`: start the export and (unless `--no-wait`) follow the
//! job with progress on stderr. Ctrl-C or `--wait-timeout` leave the job running and name it.

use serde_json::{Value, json};

use super::Interrupt;
use crate::cli::args::{CaptureArg, ExportArgs, OutputArg};
use crate::cli::output;
use crate::error::Error;
use crate::hyperv::export::{self, ExportStarted};
use crate::hyperv::job::{self, JobRef};
use crate::hyperv::{
    CaptureLiveState, ConcreteJob, ExportOptions, JobObserver, SnapshotSelection, ops::Ops,
};

/// The export options the flags ask for.
pub fn options(a: &ExportArgs) -> ExportOptions {
    let snapshots = match (&a.snapshot, a.no_snapshots) {
        (Some(n), _) => SnapshotSelection::One(n.clone()),
        (None, true) => SnapshotSelection::None,
        (None, false) => SnapshotSelection::All,
    };
    ExportOptions {
        snapshots,
        copy_storage: !a.no_storage,
        copy_runtime_state: !a.no_runtime_state,
        create_subdirectory: !a.no_subdirectory,
        capture_live_state: a.capture_live_state.map(|c| match c {
            CaptureArg::Crash => CaptureLiveState::CrashConsistent,
            CaptureArg::Saved => CaptureLiveState::SavedState,
            CaptureArg::App => CaptureLiveState::AppConsistent,
        }),
    }
}

/// Run the export.
pub async fn run(
    ops: &dyn Ops,
    a: &ExportArgs,
    format: OutputArg,
    observer: &mut dyn JobObserver,
    interrupt: Interrupt,
) -> Result<String, Error> {
    let started = export::export(ops, &a.vm, &a.dest, &options(a)).await?;
    let ctx = format!("export {}", started.vm.name);
    let job = match &started.job {
        None => None,
        Some(epr) => {
            let r = JobRef::from_epr(epr).map_err(|e| e.context(&ctx))?;
            Some(if a.no_wait {
                current(ops, &r).await
            } else {
                super::job::follow(
                    ops,
                    &r,
                    observer,
                    a.wait_timeout,
                    interrupt,
                    a.cancel_on_interrupt,
                )
                .await
                .map_err(|e| e.context(&ctx))?
            })
        }
    };
    Ok(render(&started, &a.dest, job.as_ref(), a.no_wait, format))
}

async fn current(ops: &dyn Ops, r: &JobRef) -> ConcreteJob {
    let mut wql = false;
    match job::read_job(ops, r, &mut wql).await {
        Ok(Some(j)) => j,
        _ => ConcreteJob {
            instance_id: r.instance_id.clone(),
            ..Default::default()
        },
    }
}

/// The result object: `{"vm":{…},"destination":…,"return_value":…,"job":{…}|null}`.
pub fn result_json(s: &ExportStarted, dest: &str, job: Option<&ConcreteJob>) -> Value {
    json!({
        "vm": {"name": s.vm.name, "id": s.vm.id},
        "destination": dest,
        "return_value": s.return_value,
        "job": job.map(output::job_json),
    })
}

fn render(
    s: &ExportStarted,
    dest: &str,
    job: Option<&ConcreteJob>,
    no_wait: bool,
    f: OutputArg,
) -> String {
    if f != OutputArg::Text {
        return super::vms::json(&result_json(s, dest, job));
    }
    let what = match &s.snapshot {
        Some(c) => format!("checkpoint '{}' of {}", c.name, s.vm.name),
        None => s.vm.name.clone(),
    };
    match job {
        None => format!("exported {what} to {dest}\n"),
        Some(j) if no_wait => format!(
            "export of {what} to {dest} started: job {id} ({state})\nfollow it with: hvremote job {id} --wait\n",
            id = j.instance_id,
            state = j
                .job_state
                .map(|s| s.to_string())
                .unwrap_or_else(|| "state unknown".into())
        ),
        Some(j) => {
            let secs = j
                .elapsed
                .map(|d| format!(" in {}s", d.as_secs()))
                .unwrap_or_default();
            let warn = j
                .job_state
                .filter(|s| *s == crate::hyperv::JobState::COMPLETED_WITH_WARNINGS)
                .map(|_| {
                    format!(
                        " with warnings: {}",
                        j.error_description.clone().unwrap_or_default()
                    )
                })
                .unwrap_or_default();
            format!(
                "exported {what} to {dest} (job {}{secs}){warn}\n",
                j.instance_id
            )
        }
    }
}
