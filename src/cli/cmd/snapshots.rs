//! `hvremote snapshots <VM>`: the VM's checkpoints (name, instance id, creation time).

use crate::cli::args::{OutputArg, SnapshotsArgs};
use crate::cli::output;
use crate::error::Error;
use crate::hyperv::{ops::Ops, vm};

/// List a VM's checkpoints and render them.
pub async fn run(ops: &dyn Ops, args: &SnapshotsArgs, format: OutputArg) -> Result<String, Error> {
    let v = vm::find_vm(ops, &args.vm).await?;
    let snaps = vm::snapshots(ops, &v).await?;
    Ok(match format {
        OutputArg::Text => output::snapshots_text(&snaps),
        _ => super::vms::json(&serde_json::Value::Array(
            snaps.iter().map(output::snapshot_json).collect(),
        )),
    })
}
